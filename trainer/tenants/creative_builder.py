"""The /creative-builder tenant: template and generative creative building (reference section 2.6).

It serves the same tools as /creative (``trainer.tenants.creative``), library and delivery
included, where the reference's builder answered UNSUPPORTED_FEATURE for ``list_creatives`` and
``get_creative_delivery`` and skipped brand threading on ``sync_creatives``.
"""

from __future__ import annotations

from trainer.tenant import Tenant, TenantContext
from trainer.tenants.creative import build_creative_tenant


async def build(ctx: TenantContext) -> Tenant:
    """Return the /creative-builder tenant, a template and generative creative agent."""
    return await build_creative_tenant(ctx, ["creative-template", "creative-generative"])
