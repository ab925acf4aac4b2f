"""``/healthz`` (the loop runs), ``/readyz`` (every required tenant READY) and ``/status`` (the supervisor's view)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from aiohttp import web

import trainer
from trainer.middleware import json_response
from trainer.supervision.state import TenantState
from trainer.supervision.supervisor import Supervisor

SUPERVISOR_KEY: web.AppKey[Supervisor] = web.AppKey("supervisor", Supervisor)
STARTED_AT: web.AppKey[float] = web.AppKey("started_at", float)


async def healthz(request: web.Request) -> web.Response:
    return json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    supervisor = request.app[SUPERVISOR_KEY]
    snapshot = supervisor.store.snapshot()
    missing = [
        spec.id
        for spec in supervisor.specs
        if spec.required and (spec.id not in snapshot or snapshot[spec.id].state is not TenantState.READY)
    ]
    body = {
        "ready": not missing,
        "tenants": {tenant: status.state.value for tenant, status in snapshot.items()},
        "not_ready": missing,
    }
    return json_response(body, status=200 if not missing else 503)


async def status(request: web.Request) -> web.Response:
    supervisor = request.app[SUPERVISOR_KEY]
    now_mono, now_wall = supervisor.clock(), datetime.now(UTC)
    tenants = {}
    for spec in supervisor.specs:
        current = supervisor.store.get(spec.id)
        if current is None:
            continue
        since = now_wall.timestamp() - (now_mono - current.since)
        tenants[spec.id] = {
            "state": current.state.value,
            "since": datetime.fromtimestamp(since, UTC).isoformat(timespec="milliseconds"),
            "required": spec.required,
            "restarts": current.restarts,
            "last_error": current.error,
            "tools": list(current.tools),
        }
    body = {
        "service": "trainer",
        "version": trainer.__version__,
        "uptime_s": round(time.monotonic() - request.app[STARTED_AT], 3),
        "tenants": tenants,
    }
    return json_response(body)
