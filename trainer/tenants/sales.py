"""The /sales tenant: the media-buy seller most buyers practise against (reference section 2.3).

Handlers only parse the call, pick the session and the clock, and hand over to
``trainer.domain.sales`` and ``trainer.domain.creatives``; everything they use is built once, in
``build``. The format ``agent_url`` is the tenant option ``agent_url`` when set, else this
server's own ``/sales/mcp`` URL.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from trainer.adcp.sessions import Session
from trainer.adcp.tenant_kit import build_tenant, object_schema
from trainer.domain.creatives.library import holds_creatives
from trainer.domain.sales import media_buys
from trainer.domain.sales.catalogue import SeededLookup, seeded_product
from trainer.domain.sales.comply import media_buy_scenarios
from trainer.domain.sales.delivery import get_media_buy_delivery
from trainer.domain.sales.queries import get_media_buys, provide_performance_feedback
from trainer.domain.sales.seller import SalesDomain
from trainer.domain.sales.updates import assign_creative, update_media_buy
from trainer.platform import Platform
from trainer.tenant import JsonObject, Tenant, TenantContext, ToolCall, ToolResult, ToolSpec

SPECIALISMS: Final = ("sales-non-guaranteed", "sales-guaranteed")
AGENT_URL_OPTION: Final = "agent_url"
_ANY_OBJECT: Final[Mapping[str, Any]] = {"type": "object", "additionalProperties": True}
_ANY_ARRAY: Final[Mapping[str, Any]] = {"type": "array", "items": {}}
_STRING: Final[Mapping[str, Any]] = {"type": "string"}
_ACCOUNT: Final[Mapping[str, Any]] = {"account": _ANY_OBJECT, "brand": _ANY_OBJECT}
_MUTATING: Final[Mapping[str, Any]] = {"idempotency_key": _STRING, "push_notification_config": _ANY_OBJECT}


def agent_url(ctx: TenantContext) -> str:
    """Return the URL this tenant's formats name: the ``agent_url`` option, else this server's own route."""
    configured = ctx.options.get(AGENT_URL_OPTION)
    if isinstance(configured, str) and configured:
        return configured
    host = ctx.config.host if ctx.config.host not in {"", "0.0.0.0", "::"} else "localhost"
    return f"http://{host}:{ctx.config.port}/{ctx.id}/mcp"


def account_lookup(platform: Platform) -> media_buys.AccountStatus:
    """Return a lookup of forced account statuses across every session (the controller may key elsewhere)."""

    def status(account_id: str) -> str | None:
        session = platform.sessions.find(lambda s: media_buys.account_status_in(s, account_id) is not None)
        return media_buys.account_status_in(session, account_id) if session is not None else None

    return status


def seeded_lookup(platform: Platform) -> SeededLookup:
    """Return a lookup of products seeded in any session, most recently used first."""

    def find(product_id: str) -> Mapping[str, Any] | None:
        session = platform.sessions.find(lambda s: seeded_product(s, product_id) is not None)
        return seeded_product(session, product_id) if session is not None else None

    return find


def capabilities(domain: SalesDomain) -> JsonObject:
    """Return the /sales capability blocks (reference section 2.2, plus the portfolio and pricing models)."""
    products = [product.wire for product in domain.catalogue.products if not product.alias]
    domains = sorted({selector["publisher_domain"] for p in products for selector in p["publisher_properties"]})
    channels = sorted({channel for p in products for channel in p["channels"]})
    models = sorted({option["pricing_model"] for p in products for option in p["pricing_options"]})
    return {
        # Implicit account mode: sync_accounts provisions accounts and every account reference
        # resolves, so buyers need no operator authorization first (the reference declared explicit
        # mode, which made runners skip sync_accounts on /sales).
        "account": {"require_operator_auth": False, "supported_billing": ["agent", "operator"]},
        "media_buy": {
            "supported_pricing_models": models,
            "features": {
                "inline_creative_management": False,
                "property_list_filtering": False,
                "content_standards": False,
                "conversion_tracking": True,
                "audience_targeting": True,
            },
            "audience_targeting": {"supported_identifier_types": ["hashed_email"], "minimum_audience_size": 100},
            "conversion_tracking": {
                "supported_event_types": ["purchase", "add_to_cart", "lead", "page_view"],
                "supported_hashed_identifiers": ["hashed_email"],
                "supported_action_sources": ["website", "app"],
            },
            "portfolio": {"publisher_domains": domains, "primary_channels": channels},
        },
    }


def _count(key: str, noun: str) -> Callable[[JsonObject], str]:
    """Return a summary builder saying how many ``noun`` items the payload's ``key`` holds."""

    def summary(payload: JsonObject) -> str:
        items = payload.get(key) or ()
        return f"Found {len(items)} {noun}{'' if len(items) == 1 else 's'}"

    return summary


def tools(domain: SalesDomain, platform: Platform) -> list[ToolSpec]:
    """Return the /sales tools bound to ``domain``."""

    async def get_products(call: ToolCall) -> JsonObject:
        return domain.discovery.get_products(call.session(), call.args, now=call.clock.now())

    async def create_media_buy(call: ToolCall) -> JsonObject | ToolResult:
        session = call.session()
        result = media_buys.create_media_buy(domain.seller, session, call.args, now=call.clock.now())
        if isinstance(result, media_buys.Submitted):
            has_webhook = isinstance(call.args.get("push_notification_config"), Mapping)
            platform.tasks.submit(
                "create_media_buy", session.key, result.message, result.task_id, has_webhook=has_webhook
            )
            return ToolResult(result.to_wire(), summary=f"Task {result.task_id} submitted")
        # The key comes back so a buyer can tie the buy to the request that made it (storyboards capture it).
        return ToolResult(
            {**result, "idempotency_key": call.args["idempotency_key"]},
            summary=f"Media buy {result['media_buy_id']} created",
        )

    async def update(call: ToolCall) -> ToolResult:
        payload = update_media_buy(domain.seller, call.session(), call.args, now=call.clock.now())
        return ToolResult(
            payload, summary=f"Media buy {payload['media_buy_id']} updated to revision {payload['revision']}"
        )

    async def list_buys(call: ToolCall) -> JsonObject:
        return get_media_buys(call.session(), call.args, now=call.clock.now())

    async def delivery(call: ToolCall) -> JsonObject:
        return get_media_buy_delivery(call.session(), call.args, now=call.clock.now())

    async def feedback(call: ToolCall) -> ToolResult:
        def elsewhere(media_buy_id: str) -> Session | None:
            return call.sessions.find(lambda s: media_buys.find(s, media_buy_id) is not None)

        payload = provide_performance_feedback(call.session(), call.args, now=call.clock.now(), elsewhere=elsewhere)
        return ToolResult(payload, summary=f"Feedback recorded for {payload['media_buy_id']}")

    async def list_formats(call: ToolCall) -> JsonObject:
        return domain.formats.list_formats(call.session(), call.args)

    async def sync_creatives(call: ToolCall) -> ToolResult:
        session = call.session()
        payload = domain.library.sync_creatives(
            session,
            call.args,
            now=call.clock.now(),
            assign=assign_creative,
            policy=domain.catalogue.provenance_policy(session),
        )
        rows = payload["creatives"]
        failed = sum(1 for row in rows if row["action"] == "failed")
        return ToolResult(payload, summary=f"Synced {len(rows) - failed} creative(s), {failed} failed")

    async def list_creatives(call: ToolCall) -> JsonObject:
        return domain.library.list_creatives(
            call.session(), call.args, now=call.clock.now(), elsewhere=lambda: call.sessions.find(holds_creatives)
        )

    return [
        ToolSpec(
            "get_products",
            "Discover advertising products: a natural-language brief, the whole catalogue (wholesale), "
            "or refinement of the previous answer, with proposals to accept.",
            object_schema(
                {
                    **_ACCOUNT,
                    "buying_mode": {"type": "string", "enum": ["brief", "wholesale", "refine"]},
                    "brief": _STRING,
                    "refine": _ANY_ARRAY,
                    "filters": _ANY_OBJECT,
                    "preferred_delivery_types": _ANY_ARRAY,
                }
            ),
            get_products,
            summary=_count("products", "product"),
            read_only=True,
        ),
        ToolSpec(
            "create_media_buy",
            "Buy packages of products (or accept a finalized proposal) for a flight; returns the media buy.",
            object_schema(
                {
                    **_ACCOUNT,
                    **_MUTATING,
                    "start_time": _STRING,
                    "end_time": _STRING,
                    "packages": _ANY_ARRAY,
                    "proposal_id": _STRING,
                    "total_budget": {},
                    "io_acceptance": _ANY_OBJECT,
                    "governance_context": _STRING,
                    "media_buy_id": _STRING,
                }
            ),
            create_media_buy,
            mutating=True,
        ),
        ToolSpec(
            "update_media_buy",
            "Change a media buy: pause, resume, cancel, flight dates, package budgets, bids, targeting, "
            "creative assignments, or add packages. Send revision for optimistic concurrency.",
            object_schema(
                {
                    **_ACCOUNT,
                    **_MUTATING,
                    "media_buy_id": _STRING,
                    "revision": {"type": "integer"},
                    "paused": {"type": "boolean"},
                    "canceled": {"type": "boolean"},
                    "cancellation_reason": _STRING,
                    "start_time": _STRING,
                    "end_time": _STRING,
                    "packages": _ANY_ARRAY,
                    "new_packages": _ANY_ARRAY,
                }
            ),
            update,
            mutating=True,
        ),
        ToolSpec(
            "get_media_buys",
            "Read media buys by id or status, with history and delivery snapshots on request.",
            object_schema(
                {
                    **_ACCOUNT,
                    "media_buy_ids": _ANY_ARRAY,
                    "status_filter": {},
                    "include_history": {"type": "integer"},
                    "include_snapshot": {"type": "boolean"},
                    "pagination": _ANY_OBJECT,
                }
            ),
            list_buys,
            summary=_count("media_buys", "media buy"),
            read_only=True,
        ),
        ToolSpec(
            "get_media_buy_delivery",
            "Report simulated delivery (impressions, spend, clicks, views) per media buy and package.",
            object_schema(
                {
                    **_ACCOUNT,
                    "media_buy_ids": _ANY_ARRAY,
                    "media_buy_id": _STRING,
                    "status_filter": {},
                    "start_date": _STRING,
                    "end_date": _STRING,
                    "include_package_daily_breakdown": {"type": "boolean"},
                }
            ),
            delivery,
            summary=_count("media_buy_deliveries", "delivery report"),
            read_only=True,
        ),
        ToolSpec(
            "provide_performance_feedback",
            "Tell the seller how a media buy performed against the buyer's own measurement.",
            object_schema(
                {
                    **_MUTATING,
                    "media_buy_id": _STRING,
                    "measurement_period": _ANY_OBJECT,
                    "performance_index": {"type": "number"},
                    "package_id": _STRING,
                    "metric_type": _STRING,
                    "feedback_source": _STRING,
                }
            ),
            feedback,
            mutating=True,
        ),
        ToolSpec(
            "list_creative_formats",
            "List the creative formats this seller accepts, filterable by id, type, size and asset types.",
            object_schema(
                {
                    **_ACCOUNT,
                    "format_ids": _ANY_ARRAY,
                    "type": _STRING,
                    "asset_types": _ANY_ARRAY,
                    "name_search": _STRING,
                    "pagination": _ANY_OBJECT,
                }
            ),
            list_formats,
            summary=_count("formats", "format"),
            read_only=True,
        ),
        ToolSpec(
            "sync_creatives",
            "Upload or update creatives in the library and assign them to packages; dry_run validates only.",
            object_schema(
                {**_ACCOUNT, **_MUTATING, "creatives": _ANY_ARRAY, "assignments": {}, "dry_run": {"type": "boolean"}}
            ),
            sync_creatives,
            mutating=True,
        ),
        ToolSpec(
            "list_creatives",
            "List the creatives in the library, with filters, assignments and pricing.",
            object_schema(
                {
                    **_ACCOUNT,
                    "filters": _ANY_OBJECT,
                    "creative_ids": _ANY_ARRAY,
                    "sort": _ANY_OBJECT,
                    "include_pricing": {"type": "boolean"},
                    "include_assignments": {"type": "boolean"},
                    "include_snapshot": {"type": "boolean"},
                    "pagination": _ANY_OBJECT,
                }
            ),
            list_creatives,
            summary=_count("creatives", "creative"),
            read_only=True,
        ),
    ]


async def build(ctx: TenantContext) -> Tenant:
    """Build the /sales tenant: catalogues, brief index and tools, all precomputed here.

    Raises:
        OSError, ValueError, KeyError: when a packaged catalogue is missing or malformed.
    """
    domain = SalesDomain.build(
        agent_url(ctx), account_lookup(ctx.platform), seeded_lookup(ctx.platform), ctx.platform.sessions.scan
    )
    return build_tenant(
        ctx,
        tools=tools(domain, ctx.platform),
        capabilities=capabilities(domain),
        scenarios=media_buy_scenarios(domain),
        specialisms=SPECIALISMS,
    )
