"""The /signals tenant: catalogue search and activation (reference section 2.4).

Handlers parse, pick the session, call ``trainer.domain.signals`` and shape the reply. There is
no comply controller here, as in the reference.
"""

from __future__ import annotations

from typing import Any, Final

from trainer.adcp.pagination import paginate
from trainer.adcp.tenant_kit import build_tenant, object_schema
from trainer.domain.signals.activation import apply_activation, deployment_for, parse_activation
from trainer.domain.signals.catalogue import Catalogue, load_catalogue
from trainer.domain.signals.search import parse_query, search
from trainer.tenant import JsonObject, Tenant, TenantContext, ToolCall, ToolSpec

CURSOR_KIND: Final = "signals"
DEFAULT_PAGE: Final = 10
MAX_PAGE: Final = 100
# Where deployments say signals go live; the reference used its canonical base URL.
AGENT_URL_OPTION: Final = "agent_url"
DEFAULT_AGENT_URL: Final = "http://localhost/signals/mcp"
SPECIALISMS: Final = ("signal-marketplace", "signal-owned")

ACCOUNT_PROPERTY: Final = {"description": "Account reference: {account_id} or {brand: {domain}, operator}."}
GET_SIGNALS_SCHEMA: Final = object_schema(
    {
        "signal_spec": {"description": "Natural-language description of the audience wanted."},
        "brief": {"description": "Alias of signal_spec."},
        "signal_ids": {"description": "Exact lookups: [{source: catalog, data_provider_domain, id}]."},
        "filters": {
            "description": "{max_cpm, max_percent, min_coverage_percentage, data_providers[], catalog_types[]}."
        },
        "pagination": {"description": "{max_results (default 10, at most 100), cursor}."},
        "max_results": {"description": "Deprecated page size (at most 50); pagination.max_results wins."},
        "destinations": {"description": "Where the signals would be activated."},
        "countries": {"description": "Where the signals would be used (ISO 3166-1 alpha-2)."},
        "account": ACCOUNT_PROPERTY,
    }
)
ACTIVATE_SCHEMA: Final = object_schema(
    {
        "signal_agent_segment_id": {"description": "The segment from get_signals (alias signal_id)."},
        "destinations": {"description": "[{type: platform, platform, account?} | {type: agent, agent_url, account?}]."},
        "action": {"description": "activate (default) or deactivate."},
        "pricing_option_id": {"description": "One of the signal's pricing options."},
        "governance_context": {"description": "The governance_context check_governance returned, if governed."},
        "idempotency_key": {"description": "A unique key per activation (16-255 of A-Za-z0-9_.:-)."},
        "account": ACCOUNT_PROPERTY,
    }
)


def _signals_summary(payload: JsonObject) -> str:
    total = payload.get("pagination", {}).get("total_count", len(payload.get("signals", ())))
    return f"Found {total} signals"


def _activation_summary(payload: JsonObject) -> str:
    deployments = payload.get("deployments", ())
    live = sum(1 for deployment in deployments if deployment.get("is_live"))
    return f"Signal live on {live} of {len(deployments)} destination(s)"


def _tools(catalogue: Catalogue, agent_url: str) -> list[ToolSpec]:
    async def get_signals(call: ToolCall) -> JsonObject:
        query = parse_query(call.args)
        result = search(catalogue, query)
        pagination: Any = call.args.get("pagination")
        if pagination is None and query.legacy_max_results is not None:
            pagination = {"max_results": query.legacy_max_results}
        page, page_info = paginate(
            result.signals, pagination, CURSOR_KIND, default_limit=DEFAULT_PAGE, max_limit=MAX_PAGE
        )
        session = call.session()
        signals = [{**signal.wire, "deployments": [deployment_for(session, signal, agent_url)]} for signal in page]
        reply: JsonObject = {"signals": signals, "pagination": page_info, "sandbox": True}
        if result.note is not None:
            reply["note"] = result.note
        return reply

    async def activate_signal(call: ToolCall) -> JsonObject:
        request = parse_activation(call.args)
        return apply_activation(call.session(), catalogue, request, call.clock.now())

    return [
        ToolSpec(
            name="get_signals",
            description="Search the signal catalogue by description, id and filters; paginated (10 a page by default).",
            input_schema=GET_SIGNALS_SCHEMA,
            handler=get_signals,
            summary=_signals_summary,
            read_only=True,
        ),
        ToolSpec(
            name="activate_signal",
            description="Activate or deactivate a signal on DSPs or sales agents; governed sessions need a check.",
            input_schema=ACTIVATE_SCHEMA,
            handler=activate_signal,
            mutating=True,
            summary=_activation_summary,
        ),
    ]


async def build(ctx: TenantContext) -> Tenant:
    """Return the /signals tenant: get_signals and activate_signal over the packaged catalogue."""
    agent_url = str(ctx.options.get(AGENT_URL_OPTION, DEFAULT_AGENT_URL))
    return build_tenant(ctx, tools=_tools(load_catalogue(), agent_url), specialisms=SPECIALISMS)
