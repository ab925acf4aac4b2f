"""One incarnation of a tenant: build it, report READY, run its housekeeping until it crashes or is cancelled."""

from __future__ import annotations

from typing import Protocol

from trainer.supervision.spec import TenantSpec
from trainer.tenant import Tenant


class ReportReady(Protocol):
    def __call__(self, spec: TenantSpec, tenant: Tenant) -> None: ...


async def run_incarnation(spec: TenantSpec, report_ready: ReportReady) -> None:
    """Run one incarnation of ``spec``; returns only by raising (a crash) or by cancellation (a stop).

    Raises:
        Exception: whatever building or running the tenant raised; the supervisor restarts it.
    """
    # Each incarnation is new: a restart never reuses state that a crash may have left half-built.
    tenant = await spec.build()
    async with tenant.running():
        report_ready(spec, tenant)
        await tenant.wait_crashed()
    raise RuntimeError(f"tenant {spec.id!r} stopped running without an error")
