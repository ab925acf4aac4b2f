"""The /governance tenant: plans, checks, outcomes, inventory lists and content standards (reference section 2.5).

Handlers parse, pick the session, call ``trainer.domain.governance`` and shape the reply. Plans
live in the buyer's brand session, which /sales, /signals and /brand share: a plan synced here
gates their spending through ``trainer.domain.governance.gate``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import attrs

from trainer.adcp.comply import Scenario
from trainer.adcp.sessions import Session
from trainer.adcp.tenant_kit import build_tenant, object_schema
from trainer.domain.governance import content_standards as standards
from trainer.domain.governance import inventory_lists as lists
from trainer.domain.governance.checks import check_response, parse_check, run_check
from trainer.domain.governance.comply import governance_scenarios
from trainer.domain.governance.gate import CHECKS, OUTCOMES, PLANS
from trainer.domain.governance.ledger import audit_logs, report_outcome
from trainer.domain.governance.plans import sync_plans
from trainer.domain.sales.comply import media_buy_scenarios
from trainer.domain.sales.seller import SalesDomain
from trainer.tenant import JsonObject, Tenant, TenantContext, ToolCall, ToolSpec

# The SDK client gates the content-standards tools on media_buy.features.content_standards; without
# it a storyboard runner treats them as unsupported and skips the content_standards specialism.
CAPABILITIES: Final = {"media_buy": {"features": {"content_standards": True}}}
SPECIALISMS: Final = (
    "governance-spend-authority",
    "governance-delivery-monitor",
    "property-lists",
    "collection-lists",
    "content-standards",
)
# Scenarios the sales domain owns that /governance serves without listing them.
SALES_UNLISTED: Final = (
    "seed_product",
    "seed_pricing_option",
    "seed_media_buy",
    "force_creative_status",
    "force_create_media_buy_arm",
)
AGENT_URL_OPTION: Final = "agent_url"

ACCOUNT: Final = {"description": "Account reference: {account_id} or {brand: {domain}, operator}."}
KEY: Final = {"description": "A unique key per change (16-255 of A-Za-z0-9_.:-)."}
LIST_ID: Final = {"description": "The list id create returned."}
PAGINATION: Final = {"description": "{max_results, cursor}."}

SYNC_PLANS_SCHEMA: Final = object_schema(
    {
        "plans": {
            "description": "[{plan_id, brand, objectives, budget {total, currency, reallocation_threshold | "
            "reallocation_unlimited, per_seller_max_pct?, allocations?}, flight {start, end}, countries?, channels?, "
            "delegations?, approved_sellers?, policy_ids?, policy_categories?, custom_policies?, mode?, "
            "human_review_required?, human_override?}]."
        },
        "idempotency_key": KEY,
        "account": ACCOUNT,
    }
)
CHECK_SCHEMA: Final = object_schema(
    {
        "plan_id": {"description": "The plan to check against."},
        "caller": {"description": "URL of the agent asking."},
        "purchase_type": {"description": "media_buy (default), rights_license, signal_activation, creative_services."},
        "tool": {"description": "The AdCP tool an intent check is about."},
        "payload": {"description": "The tool arguments of an intent check."},
        "governance_context": {"description": "The token of the governed action, on follow-up checks."},
        "phase": {"description": "purchase (default), modification or delivery (alias governance_phase)."},
        "binding": {"description": "proposed (intent) or committed (execution); inferred when absent."},
        "planned_delivery": {"description": "What the seller will deliver, on an execution check."},
        "delivery_metrics": {"description": "{cumulative_spend, geo_distribution, channel_distribution, pacing}."},
        "account": ACCOUNT,
    }
)
OUTCOME_SCHEMA: Final = object_schema(
    {
        "plan_id": {"description": "The plan the outcome counts against."},
        "governance_context": {"description": "The token of the authorizing check."},
        "outcome": {"description": "completed, failed or delivery."},
        "check_id": {"description": "The authorizing check."},
        "purchase_type": {"description": "media_buy (default), rights_license, signal_activation, creative_services."},
        "seller_response": {"description": "{seller_reference?, committed_budget?, packages[]}."},
        "delivery": {"description": "{spend}, for delivery outcomes."},
        "error": {"description": "What failed, for failed outcomes."},
        "idempotency_key": KEY,
        "account": ACCOUNT,
    }
)
AUDIT_SCHEMA: Final = object_schema(
    {
        "plan_ids": {"description": "Plans to report on (alias plan_id)."},
        "portfolio_plan_ids": {"description": "Portfolio plans to report on."},
        "governance_contexts": {"description": "Report only these governed actions."},
        "purchase_types": {"description": "Report only these purchase types."},
        "include_entries": {"description": "Include every check and outcome, in time order."},
        "account": ACCOUNT,
    }
)


def _list_schemas(sources: str) -> dict[str, dict[str, Any]]:
    common = {"name": {"description": "The list's name."}, "description": {"description": "What the list is for."}}
    source = {sources: {"description": "Inventory sources, each with a selection_type."}}
    filters = {"filters": {"description": "Filters applied when the list resolves."}}
    brand = {"brand": {"description": "Brand reference {domain}."}}
    return {
        "create": object_schema({**common, **source, **filters, **brand, "idempotency_key": KEY, "account": ACCOUNT}),
        "update": object_schema(
            {
                "list_id": LIST_ID,
                **common,
                **source,
                **filters,
                **brand,
                "webhook_url": {"description": "Change webhook."},
            }
            | {"idempotency_key": KEY, "account": ACCOUNT}
        ),
        "get": object_schema(
            {
                "list_id": LIST_ID,
                "resolve": {"description": "Resolve the entries."},
                "pagination": PAGINATION,
                "account": ACCOUNT,
            }
        ),
        "list": object_schema(
            {
                "name_contains": {"description": "Case-insensitive name filter."},
                "pagination": PAGINATION,
                "account": ACCOUNT,
            }
        ),
        "delete": object_schema({"list_id": LIST_ID, "idempotency_key": KEY, "account": ACCOUNT}),
    }


STANDARDS_ID: Final = {"description": "The content standards id."}
STANDARDS_SCHEMAS: Final = {
    "create": object_schema(
        {
            "scope": {"description": "{languages_any (required), countries_all?, channels_any?, description?}."},
            "policies": {"description": "[{policy_id, enforcement: must|should|may, policy}]."},
            "registry_policy_ids": {"description": "Registry policies to apply."},
            "policy": {"description": "A single policy text (legacy form)."},
            "calibration_exemplars": {"description": "{pass?, fail?} artifacts."},
            "idempotency_key": KEY,
            "account": ACCOUNT,
        }
    ),
    "update": object_schema(
        {
            "standards_id": STANDARDS_ID,
            "scope": {"description": "Scope members to replace."},
            "policies": {"description": "Replacement policies."},
            "registry_policy_ids": {"description": "Replacement registry policies."},
            "calibration_exemplars": {"description": "Replacement exemplars."},
            "idempotency_key": KEY,
            "account": ACCOUNT,
        }
    ),
    "get": object_schema({"standards_id": STANDARDS_ID, "account": ACCOUNT}),
    "list": object_schema(
        {
            "channels": {"description": "Match any of these channels."},
            "languages": {"description": "Match any of these languages."},
            "countries": {"description": "Match any of these countries."},
            "pagination": PAGINATION,
            "account": ACCOUNT,
        }
    ),
    "calibrate": object_schema(
        {
            "standards_id": STANDARDS_ID,
            "artifact": {"description": "{property_rid, artifact_id, assets[]}."},
            "idempotency_key": KEY,
        }
        | {"account": ACCOUNT}
    ),
    "validate": object_schema(
        {"standards_id": STANDARDS_ID, "records": {"description": "[{record_id, artifact?}]."}, "account": ACCOUNT}
    ),
}
VALIDATE_DELIVERY_SCHEMA: Final = object_schema(
    {
        "list_id": LIST_ID,
        "records": {"description": "[{identifier {type, value}, impressions, record_id?}]."},
        "include_compliant": {"description": "Also list compliant records."},
        "account": ACCOUNT,
    }
)


def _plan_session(call: ToolCall, plan_ids: list[str]) -> Session:
    """Return the caller's session, or the most recent one holding one of ``plan_ids``.

    check_governance, report_plan_outcome and get_plan_audit_logs need carry no account or brand,
    so their session key can miss the brand session sync_plans wrote to (reference section 3.1).
    """
    session = call.session()
    if any(plan_id in session.collection(PLANS) for plan_id in plan_ids) or not plan_ids:
        return session
    found = call.sessions.find(
        lambda candidate: (
            candidate.has_collection(PLANS) and any(plan_id in candidate.collection(PLANS) for plan_id in plan_ids)
        )
    )
    return found or session


def _audit_plan_ids(args: Mapping[str, Any]) -> list[str]:
    ids = [*(args.get("plan_ids") or ()), *(args.get("portfolio_plan_ids") or ())]
    if isinstance(args.get("plan_id"), str):
        ids.append(args["plan_id"])
    return [plan_id for plan_id in ids if isinstance(plan_id, str)]


def _plan_tools() -> list[ToolSpec]:
    async def sync_plans_handler(call: ToolCall) -> JsonObject:
        return sync_plans(call.session().collection(PLANS), call.args.get("plans"), call.clock.now())

    async def check_governance(call: ToolCall) -> JsonObject:
        parsed = parse_check(call.args)
        session = _plan_session(call, [parsed.plan_id])
        check = run_check(session.collection(PLANS), session.collection(CHECKS), parsed, call.clock.now())
        return check_response(check)

    async def report_plan_outcome(call: ToolCall) -> JsonObject:
        plan_id = call.args.get("plan_id")
        session = _plan_session(call, [plan_id] if isinstance(plan_id, str) else [])
        return report_outcome(session.collection(PLANS), session.collection(OUTCOMES), call.args, call.clock.now())

    async def get_plan_audit_logs(call: ToolCall) -> JsonObject:
        session = _plan_session(call, _audit_plan_ids(call.args))
        return audit_logs(
            session.collection(PLANS), session.collection(CHECKS), session.collection(OUTCOMES), call.args
        )

    return [
        ToolSpec(
            name="sync_plans",
            description="Push governance plans (budget, flight, markets, channels, policies); version +1 per sync.",
            input_schema=SYNC_PLANS_SCHEMA,
            handler=sync_plans_handler,
            mutating=True,
            summary=lambda payload: f"Synced {len(payload.get('plans', ()))} plan(s)",
        ),
        ToolSpec(
            name="check_governance",
            description="Check an intended or committed purchase against its plan: approved, conditions or denied.",
            input_schema=CHECK_SCHEMA,
            handler=check_governance,
            summary=lambda payload: f"Governance check {payload.get('status')}",
        ),
        ToolSpec(
            name="report_plan_outcome",
            description="Report what a governed action committed or delivered, against its plan's budget.",
            input_schema=OUTCOME_SCHEMA,
            handler=report_plan_outcome,
            mutating=True,
            summary=lambda payload: f"Outcome {payload.get('outcome_id')} {payload.get('status')}",
        ),
        ToolSpec(
            name="get_plan_audit_logs",
            description="Budget state, governed actions, decision counts, drift metrics and entries for plans.",
            input_schema=AUDIT_SCHEMA,
            handler=get_plan_audit_logs,
            summary=lambda payload: f"Audit logs for {len(payload.get('plans', ()))} plan(s)",
            read_only=True,
        ),
    ]


def _list_tools(kind: lists.ListKind, noun: str) -> list[ToolSpec]:
    schemas = _list_schemas(kind.sources)

    def store(call: ToolCall) -> dict[str, Any]:
        return call.session().collection(kind.collection)

    async def create(call: ToolCall) -> JsonObject:
        return lists.create_list(kind, store(call), call.args, call.clock.now())

    async def update(call: ToolCall) -> JsonObject:
        return lists.update_list(kind, store(call), call.args, call.clock.now())

    async def get(call: ToolCall) -> JsonObject:
        return lists.get_list(kind, store(call), call.args, call.clock.now())

    async def list_all(call: ToolCall) -> JsonObject:
        return lists.list_lists(kind, store(call), call.args)

    async def delete(call: ToolCall) -> JsonObject:
        return lists.delete_list(kind, store(call), call.args)

    def named(payload: JsonObject) -> str:
        return f"{noun.capitalize()} list {payload.get('list', {}).get('list_id')}"

    return [
        ToolSpec(
            f"create_{noun}_list", f"Create a {noun} list.", schemas["create"], create, mutating=True, summary=named
        ),
        ToolSpec(
            f"update_{noun}_list",
            f"Replace members of a {noun} list.",
            schemas["update"],
            update,
            mutating=True,
            summary=named,
        ),
        ToolSpec(
            f"get_{noun}_list", f"Get a {noun} list, resolved.", schemas["get"], get, summary=named, read_only=True
        ),
        ToolSpec(
            f"list_{noun}_lists",
            f"List the session's {noun} lists.",
            schemas["list"],
            list_all,
            summary=lambda payload: f"Found {payload.get('pagination', {}).get('total_count', 0)} {noun} lists",
            read_only=True,
        ),
        ToolSpec(
            f"delete_{noun}_list",
            f"Delete a {noun} list.",
            schemas["delete"],
            delete,
            mutating=True,
            summary=lambda payload: (
                f"{noun.capitalize()} list {payload.get('list_id')} deleted: {payload.get('deleted')}"
            ),
        ),
    ]


def _standards_tools() -> list[ToolSpec]:
    def store(call: ToolCall) -> dict[str, Any]:
        return call.session().collection(standards.COLLECTION)

    async def create(call: ToolCall) -> JsonObject:
        return standards.create_standards(store(call), call.args, call.clock.now())

    async def update(call: ToolCall) -> JsonObject:
        return standards.update_standards(store(call), call.args, call.clock.now())

    async def get(call: ToolCall) -> JsonObject:
        return standards.get_standards(store(call), call.args)

    async def list_all(call: ToolCall) -> JsonObject:
        return standards.list_standards(store(call), call.args)

    async def calibrate(call: ToolCall) -> JsonObject:
        return standards.calibrate(store(call), call.args)

    async def validate(call: ToolCall) -> JsonObject:
        return standards.validate_delivery(store(call), call.args)

    def named(payload: JsonObject) -> str:
        return f"Content standards {payload.get('standards_id')}"

    schemas = STANDARDS_SCHEMAS
    return [
        ToolSpec(
            "create_content_standards",
            "Create brand safety and suitability standards.",
            schemas["create"],
            create,
            mutating=True,
            summary=named,
        ),
        ToolSpec(
            "update_content_standards",
            "Replace scope, policies or exemplars of standards.",
            schemas["update"],
            update,
            mutating=True,
            summary=named,
        ),
        ToolSpec(
            "get_content_standards",
            "Get one content standards configuration.",
            schemas["get"],
            get,
            summary=named,
            read_only=True,
        ),
        ToolSpec(
            "list_content_standards",
            "List the session's content standards, filtered by channel, language or country.",
            schemas["list"],
            list_all,
            summary=lambda payload: f"Found {payload.get('pagination', {}).get('total_count', 0)} content standards",
            read_only=True,
        ),
        ToolSpec(
            "calibrate_content",
            "Evaluate one artifact against content standards: pass or fail, per policy.",
            schemas["calibrate"],
            calibrate,
            mutating=True,
            summary=lambda payload: f"Calibration verdict: {payload.get('verdict')}",
        ),
        ToolSpec(
            "validate_content_delivery",
            "Evaluate delivered records against content standards.",
            schemas["validate"],
            validate,
            summary=lambda payload: f"Validated {payload.get('summary', {}).get('total_records', 0)} records",
            read_only=True,
        ),
    ]


def _validate_delivery_tool() -> ToolSpec:
    async def validate(call: ToolCall) -> JsonObject:
        store = call.session().collection(lists.PROPERTY_LISTS.collection)
        return lists.validate_property_delivery(store, call.args, call.clock.now())

    return ToolSpec(
        "validate_property_delivery",
        "Check delivery records against a property list: compliant when every identified record is on it.",
        VALIDATE_DELIVERY_SCHEMA,
        validate,
        summary=lambda payload: f"Delivery compliant: {payload.get('compliant')}",
        read_only=True,
    )


def scenarios(ctx: TenantContext) -> list[Scenario]:
    """Return the controller scenarios of /governance in the reference's list_scenarios order.

    force_media_buy_status, simulate_delivery, simulate_budget_spend and the product, pricing and
    buy seeds come from the sales domain, bound to a seller of their own; force_creative_status
    and force_create_media_buy_arm are served too, unlisted, so storyboards that probe them from
    here get the controller's answer rather than UNKNOWN_SCENARIO.
    """
    host = ctx.config.host if ctx.config.host not in {"", "0.0.0.0", "::"} else "localhost"
    seller = SalesDomain.build(str(ctx.options.get(AGENT_URL_OPTION, f"http://{host}:{ctx.config.port}/{ctx.id}/mcp")))
    sales = {scenario.name: scenario for scenario in media_buy_scenarios(seller)}
    own = {scenario.name: scenario for scenario in governance_scenarios()}
    listed = [
        own["force_account_status"],
        sales["force_media_buy_status"],
        own["force_session_status"],
        sales["simulate_delivery"],
        sales["simulate_budget_spend"],
    ]
    unlisted = [own["seed_plan"], *(sales[name] for name in SALES_UNLISTED)]
    return [*listed, *(attrs.evolve(scenario, listed=False) for scenario in unlisted)]


async def build(ctx: TenantContext) -> Tenant:
    """Return the /governance tenant with its plan, list and standards tools and its comply scenarios."""
    tools = [
        *_plan_tools(),
        *_list_tools(lists.PROPERTY_LISTS, "property"),
        _validate_delivery_tool(),
        *_list_tools(lists.COLLECTION_LISTS, "collection"),
        *_standards_tools(),
    ]
    return build_tenant(ctx, tools=tools, capabilities=CAPABILITIES, scenarios=scenarios(ctx), specialisms=SPECIALISMS)
