"""The /signals tenant; its own tools are being wired (issue 4)."""

from __future__ import annotations

from trainer.adcp.tenant_kit import build_tenant
from trainer.tenant import Tenant, TenantContext


async def build(ctx: TenantContext) -> Tenant:
    """Return the tenant with the shared tools only, until its own tools land."""
    return build_tenant(ctx, tools=[])
