"""Capability derivation and tenant assembly."""

from __future__ import annotations

from typing import Any

import pytest
from structlog.testing import capture_logs

from tests.adcp.conftest import MakeCall
from trainer.adcp.capabilities import KNOWN_SPECIALISMS, capabilities_payload, supported_protocols
from trainer.adcp.comply import ComplyCall, Scenario, seed_scenario
from trainer.adcp.pipeline import run_tool
from trainer.adcp.tenant_kit import build_tenant, object_schema
from trainer.config import Config
from trainer.platform import Platform
from trainer.tenant import JsonObject, TenantContext, TenantId, ToolCall, ToolSpec

SALES = ["get_products", "create_media_buy", "update_media_buy", "get_media_buys", "list_creative_formats"]


@pytest.mark.parametrize(
    ("tools", "protocols"),
    [
        (SALES, ["media_buy", "creative"]),
        (["get_signals", "activate_signal"], ["signals"]),
        (["sync_plans", "check_governance", "create_property_list"], ["governance"]),
        (["build_creative", "preview_creative", "list_creative_formats"], ["media_buy", "creative"]),
        (["get_brand_identity", "get_rights", "acquire_rights", "creative_approval"], ["brand"]),
        (["sync_accounts", "get_adcp_capabilities", "tasks_get", "comply_test_controller"], []),
    ],
)
def test_protocols_follow_the_tools_served(tools: list[str], protocols: list[str]) -> None:
    """supported_protocols is derived from tool names, in the reference framework's order."""
    assert supported_protocols(tools) == protocols


def test_payload_has_the_fixed_blocks() -> None:
    """Every tenant advertises AdCP 3 with a 24 h replay window and operator-auth accounts."""
    payload = capabilities_payload(["get_signals"])
    assert payload == {
        "adcp": {"major_versions": [3], "idempotency": {"supported": True, "replay_ttl_seconds": 86400}},
        "supported_protocols": ["signals"],
        "account": {"require_operator_auth": True, "supported_billing": ["agent", "operator"]},
    }


def test_blocks_scenarios_and_known_specialisms_are_added() -> None:
    """Declared blocks and listed scenarios appear; unknown specialisms are dropped with a warning."""
    with capture_logs() as logs:
        payload = capabilities_payload(
            ["get_rights"],
            blocks={"brand": {"rights": True}},
            scenarios=["force_media_buy_status"],
            specialisms=["brand-rights", "made-up-specialism"],
        )
    assert payload["brand"] == {"rights": True}
    assert payload["compliance_testing"] == {"scenarios": ["force_media_buy_status"]}
    assert payload["specialisms"] == ["brand-rights"]
    assert logs[0]["event"] == "capabilities.specialisms_dropped"
    assert logs[0]["specialisms"] == ["made-up-specialism"]


def test_only_schema_enum_scenarios_are_advertised() -> None:
    """compliance_testing lists only the schema's enum scenarios, and is omitted when none remain."""
    payload = capabilities_payload(
        ["get_products"],
        scenarios=[
            "force_media_buy_status",
            "force_create_media_buy_arm",
            "force_task_completion",
            "simulate_delivery",
        ],
    )
    assert payload["compliance_testing"] == {"scenarios": ["force_media_buy_status", "simulate_delivery"]}
    assert "compliance_testing" not in capabilities_payload(["get_products"], scenarios=["force_task_completion"])


def test_known_specialisms_cover_the_reference_tenants() -> None:
    """Every specialism the reference tenants declare is one the 3.0.6 runner knows."""
    declared = {
        "sales-non-guaranteed",
        "sales-guaranteed",
        "signal-marketplace",
        "signal-owned",
        "governance-spend-authority",
        "governance-delivery-monitor",
        "property-lists",
        "collection-lists",
        "content-standards",
        "creative-ad-server",
        "creative-template",
        "creative-generative",
        "brand-rights",
    }
    assert declared <= KNOWN_SPECIALISMS


async def _products(call: ToolCall) -> JsonObject:
    return {"products": []}


async def _noop_seed(comply: ComplyCall, ids: tuple[str, ...], fixture: JsonObject) -> None:
    return None


async def _force(comply: ComplyCall) -> JsonObject:
    return {"previous_state": "a", "current_state": "b"}


def _ctx(platform: Platform, options: dict[str, Any] | None = None) -> TenantContext:
    return TenantContext(id=TenantId("sales"), config=Config(), platform=platform, options=options or {})


PRODUCTS = ToolSpec("get_products", "Find products.", object_schema({"brief": {"type": "string"}}), _products)


def test_build_tenant_appends_shared_tools_in_order(platform: Platform) -> None:
    """Own tools come first, then sync_accounts, comply (with scenarios), capabilities, tasks_get."""
    scenarios = [Scenario("force_media_buy_status", _force), seed_scenario("seed_product", ["product_id"], _noop_seed)]
    tenant = build_tenant(_ctx(platform), [PRODUCTS], capabilities={"media_buy": {"features": {}}}, scenarios=scenarios)
    assert tenant.tool_names == [
        "get_products",
        "sync_accounts",
        "comply_test_controller",
        "get_adcp_capabilities",
        "tasks_get",
    ]
    assert tenant.id == "sales"
    assert tenant.capabilities == {"media_buy": {"features": {}}}
    sync = tenant.tool("sync_accounts")
    assert sync is not None
    assert sync.mutating is True
    for tool in tenant.tools:
        assert tool.input_schema["type"] == "object"
        assert tool.input_schema["additionalProperties"] is True


def test_no_scenarios_means_no_controller(platform: Platform) -> None:
    """A tenant without scenarios does not serve comply_test_controller."""
    tenant = build_tenant(_ctx(platform), [PRODUCTS])
    assert "comply_test_controller" not in tenant.tool_names


async def test_capabilities_tool_reports_the_tenant(platform: Platform, make_call: MakeCall) -> None:
    """get_adcp_capabilities answers the derived payload with the listed scenarios only."""
    scenarios = [Scenario("force_media_buy_status", _force), seed_scenario("seed_product", ["product_id"], _noop_seed)]
    tenant = build_tenant(
        _ctx(platform),
        [PRODUCTS],
        capabilities={"media_buy": {"features": {}}},
        scenarios=scenarios,
        specialisms=["sales-non-guaranteed"],
    )
    tool = tenant.tool("get_adcp_capabilities")
    assert tool is not None
    outcome = await run_tool(tool, make_call("get_adcp_capabilities", {"context": {"correlation_id": "c"}}))
    assert outcome.text == "Agent capabilities retrieved"
    assert outcome.payload["supported_protocols"] == ["media_buy"]
    assert outcome.payload["compliance_testing"] == {"scenarios": ["force_media_buy_status"]}
    assert outcome.payload["media_buy"] == {"features": {}}
    assert outcome.payload["context"] == {"correlation_id": "c"}
    assert "specialisms" not in outcome.payload


@pytest.mark.parametrize(("option", "emitted"), [(True, True), (False, False), ("yes", False)])
async def test_specialisms_are_emitted_only_when_the_tenant_opts_in(
    platform: Platform, make_call: MakeCall, option: object, emitted: bool
) -> None:
    """The emit_specialisms option puts the declared specialisms on the wire."""
    tenant = build_tenant(_ctx(platform, {"emit_specialisms": option}), [PRODUCTS], specialisms=["sales-guaranteed"])
    tool = tenant.tool("get_adcp_capabilities")
    assert tool is not None
    outcome = await run_tool(tool, make_call("get_adcp_capabilities", {}))
    assert ("specialisms" in outcome.payload) is emitted


def test_a_tenant_cannot_redefine_a_shared_tool(platform: Platform) -> None:
    """Serving a tool name twice is refused at build time."""
    clash = ToolSpec("sync_accounts", "Mine.", object_schema(), _products)
    with pytest.raises(ValueError, match="serves tool 'sync_accounts' twice"):
        build_tenant(_ctx(platform), [PRODUCTS, clash])


def test_object_schema_is_open_and_keeps_envelope_fields() -> None:
    """object_schema merges the envelope properties and never requires or forbids fields."""
    schema = object_schema({"brief": {"type": "string"}})
    assert schema["additionalProperties"] is True
    assert "required" not in schema
    assert set(schema["properties"]) == {"brief", "context", "ext", "adcp_major_version", "adcp_version"}
