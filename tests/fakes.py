"""Test doubles for tenants and time, injected through specs and constructors (never by patching)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import attrs

from trainer.tenant import Tenant, TenantContext, TenantId, ToolCall, ToolSpec

ECHO_SCHEMA = {"type": "object", "properties": {"text": {"type": "string"}}, "additionalProperties": True}


async def _echo(call: ToolCall) -> dict[str, Any]:
    return {"echo": call.args.get("text", ""), "tenant": call.tenant, "principal": call.principal}


async def _nap(call: ToolCall) -> dict[str, Any]:
    await asyncio.sleep(float(call.args.get("seconds", 0.1)))
    return {"slept": True}


async def _boom(call: ToolCall) -> dict[str, Any]:
    raise RuntimeError("tool exploded")


def echo_tools() -> list[ToolSpec]:
    return [
        ToolSpec("echo", "Return the text it is given.", ECHO_SCHEMA, _echo, read_only=True),
        ToolSpec("boom", "Always raise.", {"type": "object"}, _boom),
        ToolSpec("nap", "Sleep for `seconds`, as a slow tool would.", {"type": "object"}, _nap),
    ]


def echo_tenant(tenant_id: str) -> Tenant:
    return Tenant(id=TenantId(tenant_id), tools=echo_tools())


async def build_echo(ctx: TenantContext) -> Tenant:
    """A factory importable from config as ``tests.fakes:build_echo``."""
    return echo_tenant(ctx.id)


async def build_broken(ctx: TenantContext) -> Tenant:
    """A factory that always fails, as a deterministic init bug would."""
    raise RuntimeError(f"cannot build {ctx.id}: catalogue missing")


@attrs.define
class FakeClock:
    """Monotonic seconds that move only when the fake sleep says so."""

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@attrs.define
class RecordingSleep:
    """Records each requested delay, advances the fake clock and yields once instead of waiting."""

    clock: FakeClock
    calls: list[float] = attrs.field(factory=list)

    async def __call__(self, delay: float) -> None:
        self.calls.append(round(delay, 6))
        self.clock.now += delay
        await asyncio.sleep(0)


Build = Callable[[], Awaitable[Tenant]]


def flaky(tenant_id: str, fail_times: int, error: Exception | None = None) -> Build:
    """Return a build that raises ``fail_times`` times, then succeeds."""
    failures = {"left": fail_times}

    async def build() -> Tenant:
        if failures["left"] > 0:
            failures["left"] -= 1
            raise error or OSError("boom")
        return echo_tenant(tenant_id)

    return build


def never_ready(tenant_id: str) -> Build:
    """Return a build that hangs forever, as an init stuck on a dead dependency would."""

    async def build() -> Tenant:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    return build


@attrs.define
class CrashSwitch:
    """A build whose incarnations can be crashed from the test after they are READY."""

    tenant_id: str
    incarnations: list[Tenant] = attrs.field(factory=list)

    async def __call__(self) -> Tenant:
        tenant = echo_tenant(self.tenant_id)
        self.incarnations.append(tenant)
        return tenant

    def crash(self, error: Exception | None = None) -> None:
        self.incarnations[-1].crash(error or RuntimeError("crashed after ready"))


async def build_slow(ctx: TenantContext) -> Tenant:
    """A factory that takes ``options.delay_s`` to build, as a tenant loading a big catalogue would."""
    await asyncio.sleep(float(ctx.options.get("delay_s", 0.5)))
    return echo_tenant(ctx.id)
