"""create_app(config): the aiohttp application, wired on aiohttp's own lifecycle.

The supervisor starts in a ``cleanup_ctx`` and an ``on_startup`` hook blocks until every required
tenant is READY, so the port opens only when the tenants can answer. A required tenant that is not
READY by the boot deadline fails the boot with one ``boot.failed`` line naming it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Final

import attrs
import structlog
from aiohttp import web

from trainer.auth import Authenticator
from trainer.config import Config, TenantConfig
from trainer.health import STARTED_AT, SUPERVISOR_KEY, healthz, readyz, status
from trainer.middleware import observe
from trainer.platform import Platform
from trainer.routing import TenantRouter
from trainer.supervision.periodic import run_periodic
from trainer.supervision.spec import TenantSpec
from trainer.supervision.supervisor import BootReport, Supervisor
from trainer.tenant import Tenant, TenantContext, TenantId
from trainer.transport import McpEndpoint

log = structlog.get_logger("trainer.boot")

CONFIG: Final = web.AppKey("config", Config)
PLATFORM: Final = web.AppKey("platform", Platform)
SUPERVISOR: Final = SUPERVISOR_KEY
SWEEP_INTERVAL_S: Final = 60.0


class BootFailed(Exception):
    """Required tenants were not READY by the boot deadline."""

    def __init__(self, report: BootReport) -> None:
        names = ", ".join(f"{m.tenant} ({m.state}: {m.error})" for m in report.missing_required)
        super().__init__(f"required tenants not ready: {names}")
        self.report = report


def tenant_specs(config: Config, platform: Platform) -> list[TenantSpec]:
    """Build one spec per configured tenant; every factory is imported here, before anything starts.

    Raises:
        ConfigError: when a factory cannot be imported.
    """
    return [_spec(config, row, platform) for row in config.tenants]


def _spec(config: Config, row: TenantConfig, platform: Platform) -> TenantSpec:
    factory = row.load_factory(config.source)
    context = TenantContext(id=row.id, config=config, platform=platform, options=row.options)

    async def build() -> Tenant:
        tenant = await factory(context)
        if tenant.id != row.id:
            raise ValueError(f"factory {row.factory} built tenant {tenant.id!r} for config row {row.id!r}")
        return tenant

    return TenantSpec(id=row.id, build=build, required=row.required)


def _with_endpoint(
    spec: TenantSpec, endpoints: dict[TenantId, McpEndpoint], platform: Platform, limit: int
) -> TenantSpec:
    """Wrap a spec's build so each incarnation gets its MCP endpoint while it is STARTING, not on a request."""

    async def build() -> Tenant:
        tenant = await spec.build()
        endpoints[spec.id] = McpEndpoint(tenant, platform, limit)
        return tenant

    return attrs.evolve(spec, build=build)


def create_app(
    config: Config,
    *,
    platform: Platform | None = None,
    specs: list[TenantSpec] | None = None,
    supervisor_factory: Callable[[list[TenantSpec]], Supervisor] | None = None,
) -> web.Application:
    """Return the application for ``config``.

    ``platform``, ``specs`` and ``supervisor_factory`` let tests inject a frozen clock, fake tenants
    and a supervisor with a fake clock; production passes only ``config``.

    Raises:
        ConfigError: when a tenant factory cannot be imported.
    """
    platform = platform or Platform.from_config(config)
    endpoints: dict[TenantId, McpEndpoint] = {}
    specs = [
        _with_endpoint(spec, endpoints, platform, config.max_body_bytes)
        for spec in (specs if specs is not None else tenant_specs(config, platform))
    ]
    supervisor = supervisor_factory(specs) if supervisor_factory is not None else Supervisor(specs, config.restart)
    router = TenantRouter(supervisor, endpoints, Authenticator(config.auth), config.allowed_origins)

    app = web.Application(client_max_size=config.max_body_bytes, middlewares=[observe])
    app[CONFIG] = config
    app[PLATFORM] = platform
    app[SUPERVISOR] = supervisor
    app[STARTED_AT] = time.monotonic()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/status", status)
    app.router.add_route("*", "/{tenant}/mcp", router.handle)
    app.router.add_get("/.well-known/jwks.json", _jwks)
    # First in, last out: webhooks triggered while tenants drain still have a client to go out on.
    app.cleanup_ctx.append(_webhooks_ctx)
    app.cleanup_ctx.append(_supervisor_ctx)
    app.cleanup_ctx.append(_housekeeping_ctx)
    app.on_startup.append(_wait_for_tenants)
    return app


async def _webhooks_ctx(app: web.Application) -> AsyncIterator[None]:
    webhooks = app[PLATFORM].webhooks
    await webhooks.start()
    yield
    await webhooks.close()  # cancels deliveries still retrying


async def _jwks(request: web.Request) -> web.Response:
    """Serve the public key of webhook signatures (reference section 1.4), as the AdCP verifier fetches it."""
    return web.json_response(request.app[PLATFORM].webhooks.jwks(), headers={"Cache-Control": "public, max-age=300"})


async def _supervisor_ctx(app: web.Application) -> AsyncIterator[None]:
    supervisor = app[SUPERVISOR]
    log.info("boot.started", tenants=[spec.id for spec in supervisor.specs])
    supervisor.start()  # sync: spawns one task per tenant and returns at once
    yield  # aiohttp runs what follows only if what precedes finished
    await supervisor.stop()  # reverse order, each within its shutdown timeout


async def _housekeeping_ctx(app: web.Application) -> AsyncIterator[None]:
    platform = app[PLATFORM]

    def sweep() -> None:
        expired = platform.sessions.sweep()
        if expired:
            log.info("sessions.expired", count=expired, remaining=len(platform.sessions))

    task = run_periodic("sessions.sweep", SWEEP_INTERVAL_S, sweep)
    yield
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def _wait_for_tenants(app: web.Application) -> None:
    report = await app[SUPERVISOR].wait_ready(deadline_s=app[CONFIG].boot_deadline_s)
    if report.missing_required:
        log.error(
            "boot.failed",
            tenants=[{"tenant": m.tenant, "state": m.state, "error": m.error} for m in report.missing_required],
            waited_ms=report.elapsed_ms,
        )
        raise BootFailed(report)  # aiohttp aborts startup; the process exits non-zero; the deploy rolls back
    log.info("boot.ready", boot_ms=report.elapsed_ms, **report.counts())
