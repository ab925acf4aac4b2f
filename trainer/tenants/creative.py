"""The /creative tenant: a creative ad server with a library, builds, previews and delivery (reference section 2.6).

The creative tools are defined here once and served by both creative tenants; /creative-builder
(``trainer.tenants.creative_builder``) differs only in the specialisms it claims. Unlike the
reference's builder, both serve ``list_creatives`` and ``get_creative_delivery``, and both thread
the brand into ``sync_creatives``: sessions key by brand, so the provenance policy of the products
seeded for that brand applies on either tenant.

The creative library tools (``list_creative_formats``, ``sync_creatives``, ``list_creatives``) and
the comply scenarios are /sales's own, bound to a seller built for this tenant's URL: one
implementation, served wherever a creative library is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from trainer.adcp.comply import Scenario
from trainer.adcp.tenant_kit import build_tenant, object_schema
from trainer.domain.brand.catalogue import BrandCatalogue, load_catalogue
from trainer.domain.creative_build.build import BrandLook, BuildContext, build_creative, parse_build_request
from trainer.domain.creative_build.catalogs import items_for_brief, sync_catalogs
from trainer.domain.creative_build.delivery import creative_delivery, parse_delivery_request, resolve_variant
from trainer.domain.creative_build.formats import FormatLookup, no_catalogue
from trainer.domain.creative_build.library import find_creative
from trainer.domain.creative_build.preview import PreviewContext, preview_creative
from trainer.domain.creative_build.render import style_from_identity
from trainer.domain.creative_build.usage import library_rate, report_usage
from trainer.domain.sales.comply import media_buy_scenarios, scenario
from trainer.domain.sales.seller import SalesDomain
from trainer.tenant import JsonObject, Tenant, TenantContext, ToolCall, ToolSpec
from trainer.tenants import sales

# What the sales tenant shares with the creative tenants: the library tools and these comply scenarios.
LIBRARY_TOOLS: Final = ("list_creative_formats", "list_creatives", "sync_creatives")
SCENARIOS: Final = (
    "force_creative_status",
    "force_media_buy_status",
    # Accounts exist here too (sync_accounts), so they can be forced like anywhere else.
    "force_account_status",
    # Unlisted: arms the brand's next create_media_buy (on /sales; sessions are shared), so the
    # async-creation storyboard's controller step succeeds here instead of failing as in the reference.
    "force_create_media_buy_arm",
    "seed_creative",
    "seed_creative_format",
    "seed_product",
    "seed_pricing_option",
    "seed_media_buy",
)
# The reference's creative tenants declare every media_buy feature false: they sell no media.
MEDIA_BUY_FEATURES: Final[Mapping[str, bool]] = {
    "inline_creative_management": False,
    "property_list_filtering": False,
    "content_standards": False,
    "conversion_tracking": False,
    "audience_targeting": False,
}
CREATIVE_CAPABILITIES: Final[Mapping[str, Any]] = {
    # Implicit account mode, as on /sales: sync_accounts provisions and every reference resolves, so
    # no operator authorization comes first (explicit mode made runners skip sync_accounts here).
    "account": {"require_operator_auth": False, "supported_billing": ["agent", "operator"]},
    "media_buy": {"features": dict(MEDIA_BUY_FEATURES)},
    "creative": {
        "has_creative_library": True,
        "supports_generation": True,
        "supports_transformation": True,
        "supports_compliance": False,
    },
}

ACCOUNT_PROPERTY: Final = {"description": "Account reference: {account_id} or {brand: {domain}, operator}."}
FORMAT_ID_PROPERTY: Final = {"description": "A format_id object {agent_url, id, width?, height?, duration_ms?}."}

BUILD_SCHEMA: Final = object_schema(
    {
        "creative_id": {"description": "Library mode: the creative in the buyer's library to build a tag for."},
        "creative_manifest": {"description": "Transform mode: the manifest {format_id, assets} to adapt."},
        "message": {"description": "Generative mode: the brief; with a manifest, refinement instructions."},
        "target_format_id": FORMAT_ID_PROPERTY,
        "target_format_ids": {"description": "Several target formats (up to 50): the reply lists creative_manifests."},
        "media_buy_id": {"description": "The buy a library tag is trafficked on."},
        "package_id": {"description": "The package within that buy."},
        "brand": {"description": "The brand the creative is for: {domain}."},
        "quality": {"description": "draft or production."},
        "include_preview": {"description": "Render previews of the built creative."},
        "preview_inputs": {"description": "Macro sets for the previews: [{name, macros}]."},
        "preview_output_format": {"description": "url, html or both."},
        "macro_values": {"description": "Macro values substituted into the serving tags."},
        "idempotency_key": {"description": "A unique key per build (16-255 of A-Za-z0-9_.:-)."},
        "account": ACCOUNT_PROPERTY,
    }
)
PREVIEW_SCHEMA: Final = object_schema(
    {
        "request_type": {"description": "single, batch or variant (required)."},
        "creative_manifest": {"description": "single: the manifest to preview."},
        "creative_id": {"description": "single: a library creative instead of a manifest."},
        "format_id": FORMAT_ID_PROPERTY,
        "inputs": {"description": "Macro sets, one preview each: [{name, macros}]."},
        "requests": {"description": "batch: up to 50 {creative_manifest, inputs?, output_format?}."},
        "variant_id": {"description": "variant: a variant id get_creative_delivery reported."},
        "output_format": {"description": "url (default), html or both."},
        "quality": {"description": "draft or production."},
        "account": ACCOUNT_PROPERTY,
    }
)
DELIVERY_SCHEMA: Final = object_schema(
    {
        "media_buy_ids": {"description": "Buys to report on."},
        "creative_ids": {"description": "Creatives to report on (a filter when buys are given)."},
        "start_date": {"description": "First day reported (YYYY-MM-DD)."},
        "end_date": {"description": "Last day reported (YYYY-MM-DD)."},
        "max_variants": {"description": "The most variants listed per creative."},
        "pagination": {"description": "{max_results, cursor}."},
        "account": ACCOUNT_PROPERTY,
    }
)

CATALOGS_SCHEMA: Final = object_schema(
    {
        "catalogs": {"description": "Catalogues [{catalog_id, type, items[{item_id, title, url, image_url, ...}]}]."},
        "catalog_ids": {"description": "Stored catalogues to re-check."},
        "delete_missing": {"description": "Delete stored catalogues this sync leaves out."},
        "dry_run": {"description": "Report what would change without storing."},
        "idempotency_key": {"description": "A unique key per sync (16-255 of A-Za-z0-9_.:-)."},
        "account": ACCOUNT_PROPERTY,
    }
)
USAGE_SCHEMA: Final = object_schema(
    {
        "reporting_period": {"description": "{start, end} date-times the records cover (required)."},
        "usage": {
            "description": "Records: [{account, creative_id, pricing_option_id, impressions, vendor_cost, currency}]."
        },
        "idempotency_key": {"description": "A unique key per report (16-255 of A-Za-z0-9_.:-)."},
        "account": ACCOUNT_PROPERTY,
    }
)


def _brand_domain(args: Mapping[str, Any]) -> str | None:
    account = args.get("account")
    for holder in (args.get("brand"), account.get("brand") if isinstance(account, Mapping) else None):
        domain = holder.get("domain") if isinstance(holder, Mapping) else None
        if isinstance(domain, str) and domain:
            return domain
    return None


def _build_summary(payload: JsonObject) -> str:
    manifests = payload.get("creative_manifests")
    count = len(manifests) if isinstance(manifests, list) else 1
    return f"Built {count} creative manifest{'s' if count != 1 else ''}"


def creative_tools(brands: BrandCatalogue, formats: FormatLookup = no_catalogue) -> list[ToolSpec]:
    """Return the creative tools both creative tenants serve, over a brand catalogue and a format lookup."""

    def brand_look(args: Mapping[str, Any]) -> BrandLook | None:
        domain = _brand_domain(args)
        brand = brands.brand_for_domain(domain) if domain is not None else None
        if brand is None:
            return None
        tagline = brand.identity.get("tagline")
        return BrandLook(
            brand.name, brand.domain, style_from_identity(brand.identity), tagline if isinstance(tagline, str) else None
        )

    async def build(call: ToolCall) -> JsonObject:
        request = parse_build_request(call.args)
        session = call.session()
        ctx = BuildContext(
            now=call.clock.now(),
            formats=formats,
            find_creative=lambda creative_id: find_creative(session, creative_id),
            brand=brand_look(call.args),
            catalog_items=lambda message: items_for_brief(session, message),
        )
        return build_creative(request, ctx)

    async def preview(call: ToolCall) -> JsonObject:
        session = call.session()
        look = brand_look(call.args)
        ctx = PreviewContext(
            now=call.clock.now(),
            formats=formats,
            find_creative=lambda creative_id: find_creative(session, creative_id),
            style=look.style if look is not None else None,
        )
        return preview_creative(call.args, ctx, lambda variant, creative: resolve_variant(session, variant, creative))

    async def delivery(call: ToolCall) -> JsonObject:
        return creative_delivery(parse_delivery_request(call.args), call.session(), call.clock.now())

    async def catalogs(call: ToolCall) -> JsonObject:
        return sync_catalogs(call.session(), call.args, call.clock.now())

    async def usage(call: ToolCall) -> JsonObject:
        # Each record carries its own account, so each is reconciled against that account's library.
        return report_usage(
            call.args, lambda account: call.sessions.for_args({"account": account}), library_rate, call.clock.now()
        )

    return [
        ToolSpec(
            "build_creative",
            "Build a traffickable creative: from a library creative_id, by transforming a manifest, or from a brief; "
            "one target format or many.",
            BUILD_SCHEMA,
            build,
            mutating=True,
            summary=_build_summary,
        ),
        ToolSpec(
            "preview_creative",
            "Preview creatives as a URL, inline HTML or both: one manifest, a batch of up to 50, or a variant.",
            PREVIEW_SCHEMA,
            preview,
            read_only=True,
            summary=lambda payload: f"Preview ready ({payload['response_type']})",
        ),
        ToolSpec(
            "get_creative_delivery",
            "Report delivery per creative and per variant for media buys or creatives.",
            DELIVERY_SCHEMA,
            delivery,
            read_only=True,
            summary=lambda payload: f"Delivery for {len(payload['creatives'])} creatives",
        ),
        ToolSpec(
            "sync_catalogs",
            "Sync product catalogues that generative builds can feature items from, one result per catalogue.",
            CATALOGS_SCHEMA,
            catalogs,
            mutating=True,
            summary=lambda payload: f"Synced {len(payload['catalogs'])} catalogues",
        ),
        ToolSpec(
            "report_usage",
            "Report serving usage for billing; each record is reconciled against the creative's rate.",
            USAGE_SCHEMA,
            usage,
            mutating=True,
            summary=lambda payload: f"Accepted {payload['accepted']} usage records",
        ),
    ]


def library_tools(domain: SalesDomain, ctx: TenantContext) -> list[ToolSpec]:
    """Return /sales's creative library tools bound to ``domain``, in the reference's order."""
    by_name = {tool.name: tool for tool in sales.tools(domain, ctx.platform)}
    return [by_name[name] for name in LIBRARY_TOOLS]


def creative_scenarios(domain: SalesDomain) -> list[Scenario]:
    """Return the comply scenarios a creative tenant serves (reference section 4: C and CB)."""
    every = media_buy_scenarios(domain)
    return [scenario(every, name) for name in SCENARIOS]


async def build_creative_tenant(ctx: TenantContext, specialisms: Sequence[str]) -> Tenant:
    """Return a creative tenant claiming ``specialisms``.

    Raises:
        OSError, ValueError, KeyError: when packaged brand, format or product data is inconsistent.
    """
    domain = SalesDomain.build(
        sales.agent_url(ctx),
        sales.account_lookup(ctx.platform),
        sales.seeded_lookup(ctx.platform),
        ctx.platform.sessions.scan,
    )
    own = creative_tools(load_catalogue(), domain.formats.get)
    tools = [*own[:2], *library_tools(domain, ctx), *own[2:]]
    return build_tenant(
        ctx,
        tools=tools,
        capabilities=CREATIVE_CAPABILITIES,
        scenarios=creative_scenarios(domain),
        specialisms=specialisms,
    )


async def build(ctx: TenantContext) -> Tenant:
    """Return the /creative tenant, an ad server."""
    return await build_creative_tenant(ctx, ["creative-ad-server"])
