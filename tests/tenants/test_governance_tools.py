"""The /governance tenant over real HTTP: plans, checks, outcomes, lists, standards and comply."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import CallTool, Rpc, only_tenants
from trainer.config import Config

ACCOUNT = {"brand": {"domain": "acmeoutdoor.example"}, "operator": "pinnacle-agency.example"}
CALLER = "https://pinnacle-agency.example"
PLAN = {
    "plan_id": "gov_acme_q3",
    "brand": {"domain": "acmeoutdoor.example"},
    "objectives": "Q3 outdoor lifestyle campaign",
    "budget": {"total": 50_000, "currency": "USD", "reallocation_threshold": 20_000},
    "flight": {"start": "2026-06-01T00:00:00Z", "end": "2026-09-30T23:59:59Z"},
    "countries": ["US"],
}


@pytest.fixture
def trainer_config() -> Config:
    """Only the tenant under test: these tests need nothing else to boot."""
    return only_tenants("governance")


def _payload(result: dict[str, Any]) -> dict[str, Any]:
    assert result.get("isError") is not True, result
    payload: dict[str, Any] = result["structuredContent"]
    return payload


def _error(result: dict[str, Any]) -> dict[str, Any]:
    assert result["isError"] is True, result
    error: dict[str, Any] = result["structuredContent"]["adcp_error"]
    return error


async def _sync(call_tool: CallTool, key: str = "sync-plans-gov-acme-q3", **overrides: Any) -> dict[str, Any]:
    return await call_tool("governance", "sync_plans", {"plans": [{**PLAN, **overrides}], "idempotency_key": key})


async def _check(call_tool: CallTool, budget: float, **extra: Any) -> dict[str, Any]:
    args = {
        "plan_id": "gov_acme_q3",
        "caller": CALLER,
        "tool": "create_media_buy",
        "payload": {"total_budget": {"amount": budget, "currency": "USD"}},
        **extra,
    }
    return await call_tool("governance", "check_governance", args)


async def test_tools_capabilities_and_scenarios(call_tool: CallTool, rpc: Rpc) -> None:
    """The tenant lists the governance tools, declares governance and its comply scenarios."""
    listed = await rpc("governance", "tools/list")
    names = [tool["name"] for tool in listed["result"]["tools"]]
    assert names[:4] == ["sync_plans", "check_governance", "report_plan_outcome", "get_plan_audit_logs"]
    assert {"create_property_list", "create_collection_list", "calibrate_content", "comply_test_controller"} <= set(
        names
    )
    capabilities = _payload(await call_tool("governance", "get_adcp_capabilities"))
    assert capabilities["supported_protocols"] == ["governance"]
    assert "force_account_status" in capabilities["compliance_testing"]["scenarios"]
    scenarios = _payload(await call_tool("governance", "comply_test_controller", {"scenario": "list_scenarios"}))
    assert "seed_plan" not in scenarios["scenarios"]


async def test_sync_then_resync_bumps_version(call_tool: CallTool) -> None:
    """sync_plans answers version 1, then 2 for a changed plan."""
    assert _payload(await _sync(call_tool))["plans"][0]["version"] == 1
    second = _payload(await _sync(call_tool, key="sync-plans-gov-acme-q3-v2", objectives="Revised"))
    assert second["plans"][0]["version"] == 2


async def test_sync_validation_names_the_field(call_tool: CallTool) -> None:
    """A budget with both threshold styles is VALIDATION_ERROR on that field."""
    budget = {"total": 1, "currency": "USD", "reallocation_threshold": 1, "reallocation_unlimited": True}
    error = _error(await _sync(call_tool, key="sync-plans-bad-budget-0001", budget=budget))
    assert (error["code"], error["field"]) == ("VALIDATION_ERROR", "plans[0].budget.reallocation_threshold")


async def test_check_finds_the_plan_synced_under_the_brand(call_tool: CallTool) -> None:
    """A check carrying no account finds the plan in its brand's session and approves within budget."""
    await _sync(call_tool)
    reply = _payload(await _check(call_tool, 10_000, context={"correlation_id": "chk"}))
    assert reply["status"] == "approved"
    assert reply["governance_context"]
    assert reply["expires_at"] == "2026-06-01T13:00:00.000Z"
    assert reply["context"] == {"correlation_id": "chk"}


async def test_over_threshold_check_is_denied_for_human_review(call_tool: CallTool) -> None:
    """A budget over the reallocation threshold is denied with a human_review finding."""
    await _sync(call_tool)
    reply = _payload(await _check(call_tool, 30_000))
    assert reply["status"] == "denied"
    assert [f["category_id"] for f in reply["findings"]] == ["human_review"]


async def test_unknown_plan_check_is_denied(call_tool: CallTool) -> None:
    """Checking a plan nobody synced is a denied check, not a transport error."""
    reply = _payload(await call_tool("governance", "check_governance", {"plan_id": "ghost", "caller": CALLER}))
    assert reply["status"] == "denied"
    assert reply["findings"][0]["category_id"] == "plan_lookup"


@pytest.mark.parametrize(
    ("tool", "args", "code", "field"),
    [
        ("check_governance", {"caller": CALLER}, "INVALID_REQUEST", "plan_id"),
        (
            "check_governance",
            {"plan_id": "p", "caller": CALLER, "purchase_type": "tv"},
            "VALIDATION_ERROR",
            "purchase_type",
        ),
        ("get_plan_audit_logs", {}, "VALIDATION_ERROR", "plan_ids"),
        ("sync_plans", {"plans": [], "idempotency_key": "sync-plans-empty-batch-01"}, "VALIDATION_ERROR", "plans"),
        (
            "report_plan_outcome",
            {
                "plan_id": "ghost",
                "outcome": "completed",
                "governance_context": "g",
                "idempotency_key": "report-ghost-plan-0001",
            },
            "REFERENCE_NOT_FOUND",
            "plan_id",
        ),
        ("create_property_list", {"idempotency_key": "create-list-no-name-01"}, "INVALID_REQUEST", "name"),
        ("get_collection_list", {"list_id": "nope"}, "NOT_FOUND", "list_id"),
        ("get_content_standards", {"standards_id": "nope"}, "REFERENCE_NOT_FOUND", "standards_id"),
        (
            "create_content_standards",
            {"policy": "x", "idempotency_key": "create-cs-no-scope-01"},
            "INVALID_REQUEST",
            "scope",
        ),
        (
            "calibrate_content",
            {"standards_id": "nope", "artifact": {}, "idempotency_key": "calibrate-nope-0001"},
            "REFERENCE_NOT_FOUND",
            "standards_id",
        ),
        ("validate_property_delivery", {"list_id": "nope", "records": []}, "REFERENCE_NOT_FOUND", "list_id"),
    ],
)
async def test_bad_input_is_an_error_naming_the_field(
    call_tool: CallTool, tool: str, args: dict[str, Any], code: str, field: str
) -> None:
    """Every governance tool answers bad input with an adcp_error naming the field."""
    error = _error(await call_tool("governance", tool, args))
    assert (error["code"], error["field"]) == (code, field)


async def test_property_list_lifecycle_over_http(call_tool: CallTool) -> None:
    """Create, get, list and delete a property list in the caller's session."""
    sources = [{"selection_type": "identifiers", "identifiers": [{"type": "domain", "value": "trails.example"}]}]
    created = _payload(
        await call_tool(
            "governance",
            "create_property_list",
            {
                "account": ACCOUNT,
                "name": "Approved",
                "base_properties": sources,
                "idempotency_key": "create-approved-list-01",
            },
        )
    )
    list_id = created["list"]["list_id"]
    got = _payload(await call_tool("governance", "get_property_list", {"account": ACCOUNT, "list_id": list_id}))
    assert got["identifiers"] == [{"type": "domain", "value": "trails.example"}]
    listed = _payload(await call_tool("governance", "list_property_lists", {"account": ACCOUNT}))
    assert listed["pagination"]["total_count"] == 1
    other = _payload(await call_tool("governance", "list_property_lists", {"account": {"account_id": "someone_else"}}))
    assert other["lists"] == []
    deleted = _payload(
        await call_tool(
            "governance",
            "delete_property_list",
            {"account": ACCOUNT, "list_id": list_id, "idempotency_key": "delete-approved-list-1"},
        )
    )
    assert deleted["deleted"] is True


async def test_content_standards_calibration_over_http(call_tool: CallTool) -> None:
    """A must policy against violence fails a violent artifact through the tool."""
    created = _payload(
        await call_tool(
            "governance",
            "create_content_standards",
            {
                "account": ACCOUNT,
                "scope": {"languages_any": ["en"]},
                "policies": [{"policy_id": "no_violence", "enforcement": "must", "policy": "No violent imagery"}],
                "idempotency_key": "create-standards-violence",
            },
        )
    )
    verdict = _payload(
        await call_tool(
            "governance",
            "calibrate_content",
            {
                "account": ACCOUNT,
                "standards_id": created["standards_id"],
                "artifact": {
                    "property_rid": "p.example",
                    "artifact_id": "a",
                    "assets": [],
                    "description": "violent scene",
                },
                "idempotency_key": "calibrate-violent-scene",
            },
        )
    )
    assert verdict["verdict"] == "fail"


async def test_seed_plan_then_force_account_status(call_tool: CallTool) -> None:
    """seed_plan stores a plan checks can find; force_account_status walks the account machine."""
    seeded = _payload(
        await call_tool(
            "governance",
            "comply_test_controller",
            {
                "scenario": "seed_plan",
                "params": {
                    "plan_id": "seeded_plan",
                    "fixture": {"budget": {"total": 1000}, "brand": {"domain": "acmeoutdoor.example"}},
                },
            },
        )
    )
    assert seeded["message"] == "Fixture seeded"
    check = _payload(await call_tool("governance", "check_governance", {"plan_id": "seeded_plan", "caller": CALLER}))
    assert check["status"] == "approved"
    forced = _payload(
        await call_tool(
            "governance",
            "comply_test_controller",
            {"scenario": "force_account_status", "params": {"account_id": "acc_1", "status": "suspended"}},
        )
    )
    assert (forced["previous_state"], forced["current_state"]) == ("active", "suspended")
    refused = await call_tool(
        "governance",
        "comply_test_controller",
        {"scenario": "force_account_status", "params": {"account_id": "acc_1", "status": "pending_approval"}},
    )
    assert refused["isError"] is True
    assert refused["structuredContent"]["error"] == "INVALID_TRANSITION"


async def test_force_session_status_needs_a_known_session(call_tool: CallTool) -> None:
    """An unknown SI session is NOT_FOUND; a termination without a reason is INVALID_PARAMS."""
    unknown = await call_tool(
        "governance",
        "comply_test_controller",
        {"scenario": "force_session_status", "params": {"session_id": "s1", "status": "complete"}},
    )
    assert unknown["structuredContent"]["error"] == "NOT_FOUND"
    reasonless = await call_tool(
        "governance",
        "comply_test_controller",
        {"scenario": "force_session_status", "params": {"session_id": "s1", "status": "terminated"}},
    )
    assert reasonless["structuredContent"]["error"] == "INVALID_PARAMS"
