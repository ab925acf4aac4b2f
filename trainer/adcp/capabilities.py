"""The ``get_adcp_capabilities`` payload of a tenant (reference section 2.2).

Like the reference framework, ``supported_protocols`` is derived from the tools a tenant serves,
so a tenant cannot claim a protocol it has no tools for.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import structlog

from trainer.tenant import JsonObject

REPLAY_TTL_SECONDS: Final = 86400

# Tool groups per protocol, in the order the reference framework reports them. A tool may serve
# two protocols (list_creative_formats is media_buy and creative).
PROTOCOL_TOOLS: Final[Sequence[tuple[str, frozenset[str]]]] = (
    (
        "media_buy",
        frozenset(
            {
                "get_products",
                "list_creative_formats",
                "create_media_buy",
                "update_media_buy",
                "sync_creatives",
                "list_creatives",
                "get_media_buy_delivery",
                "provide_performance_feedback",
                "sync_audiences",
            }
        ),
    ),
    ("signals", frozenset({"get_signals", "activate_signal"})),
    (
        "governance",
        frozenset(
            {
                "create_property_list",
                "update_property_list",
                "get_property_list",
                "list_property_lists",
                "delete_property_list",
                "create_collection_list",
                "update_collection_list",
                "get_collection_list",
                "list_collection_lists",
                "delete_collection_list",
                "list_content_standards",
                "get_content_standards",
                "create_content_standards",
                "update_content_standards",
                "calibrate_content",
                "validate_content_delivery",
                "get_media_buy_artifacts",
                "sync_plans",
                "check_governance",
                "report_plan_outcome",
                "get_plan_audit_logs",
                "get_creative_features",
            }
        ),
    ),
    (
        "creative",
        frozenset({"build_creative", "list_creative_formats", "preview_creative", "list_creatives", "sync_creatives"}),
    ),
    (
        "sponsored_intelligence",
        frozenset({"si_get_offering", "si_initiate_session", "si_send_message", "si_terminate_session"}),
    ),
    ("brand", frozenset({"get_brand_identity", "get_rights", "acquire_rights", "update_rights"})),
)

# The specialism ids of the AdCP 3.0.6 compliance cache the storyboard runner ships
# (`npx adcp storyboard list --json`, bundle kind "specialism"). The runner aborts a whole run on
# an id it does not know, so nothing outside this set ever reaches the wire.
KNOWN_SPECIALISMS: Final = frozenset(
    {
        "audience-sync",
        "brand-rights",
        "collection-lists",
        "content-standards",
        "creative-ad-server",
        "creative-generative",
        "creative-template",
        "governance-aware-seller",
        "governance-delivery-monitor",
        "governance-spend-authority",
        "property-lists",
        "sales-broadcast-tv",
        "sales-catalog-driven",
        "sales-guaranteed",
        "sales-non-guaranteed",
        "sales-proposal-mode",
        "sales-social",
        "signal-marketplace",
        "signal-owned",
    }
)

# The scenario names the 3.0.6 response schema allows in compliance_testing.scenarios (an enum):
# other listed scenarios (force_create_media_buy_arm, ...) are discoverable through
# list_scenarios only, as on the reference agent.
CAPABILITY_SCENARIOS: Final = frozenset(
    {
        "force_creative_status",
        "force_account_status",
        "force_media_buy_status",
        "force_session_status",
        "simulate_delivery",
        "simulate_budget_spend",
    }
)

ACCOUNT_BLOCK: Final[Mapping[str, Any]] = {"require_operator_auth": True, "supported_billing": ["agent", "operator"]}


def supported_protocols(tool_names: Iterable[str]) -> list[str]:
    """Return the protocols the tools serve, in the reference framework's order."""
    names = set(tool_names)
    return [protocol for protocol, tools in PROTOCOL_TOOLS if names & tools]


def known_specialisms(specialisms: Iterable[str]) -> list[str]:
    """Return the specialisms the runner knows, in order, logging and dropping the rest."""
    known = [specialism for specialism in specialisms if specialism in KNOWN_SPECIALISMS]
    unknown = [specialism for specialism in specialisms if specialism not in KNOWN_SPECIALISMS]
    if unknown:
        structlog.get_logger().warning("capabilities.specialisms_dropped", specialisms=unknown)
    return known


def capabilities_payload(
    tool_names: Iterable[str],
    *,
    blocks: Mapping[str, Any] | None = None,
    scenarios: Sequence[str] = (),
    specialisms: Sequence[str] = (),
) -> JsonObject:
    """Return a tenant's ``get_adcp_capabilities`` payload.

    ``blocks`` are the tenant's own top-level blocks (``media_buy``, ``brand``, ...); they may
    override the derived ones. ``scenarios`` that the schema's enum allows become
    ``compliance_testing.scenarios`` (the block is omitted when none remain); ``specialisms`` are
    filtered through ``KNOWN_SPECIALISMS`` and omitted when empty.
    """
    payload: JsonObject = {
        "adcp": {"major_versions": [3], "idempotency": {"supported": True, "replay_ttl_seconds": REPLAY_TTL_SECONDS}},
        "supported_protocols": supported_protocols(tool_names),
        "account": dict(ACCOUNT_BLOCK),
    }
    advertised = [scenario for scenario in scenarios if scenario in CAPABILITY_SCENARIOS]
    if advertised:
        payload["compliance_testing"] = {"scenarios": advertised}
    emitted = known_specialisms(specialisms)
    if emitted:
        payload["specialisms"] = emitted
    payload.update(blocks or {})
    return payload
