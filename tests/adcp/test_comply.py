"""comply_test_controller: dispatch, the sandbox gate, controller errors and seed idempotency."""

from __future__ import annotations

from typing import Any

import pytest

from tests.adcp.conftest import MakeCall
from trainer.adcp.comply import ComplyCall, ComplyError, Scenario, comply_tool, seed_scenario
from trainer.adcp.pipeline import ToolOutcome, run_tool
from trainer.tenant import JsonObject

CONTEXT = {"correlation_id": "c-1"}
ACCOUNT = {"brand": {"domain": "acme.example"}, "operator": "acme.example", "sandbox": True}


async def force_status(comply: ComplyCall) -> JsonObject:
    status = comply.params.get("status")
    if status == "bogus":
        raise ComplyError("INVALID_TRANSITION", "Cannot go from active to bogus", current_state="active")
    return {"previous_state": "active", "current_state": status, "message": "forced"}


async def simulate(comply: ComplyCall) -> JsonObject:
    return {"simulated": {"impressions": 10}, "message": "ok"}


async def explode(comply: ComplyCall) -> JsonObject:
    raise RuntimeError("store broke")


SEEDED: list[tuple[str, tuple[str, ...], JsonObject]] = []


async def remember(comply: ComplyCall, ids: tuple[str, ...], fixture: JsonObject) -> None:
    comply.session().collection("products")[ids[0]] = fixture
    SEEDED.append((comply.scenario, ids, fixture))


SCENARIOS = [
    Scenario("force_media_buy_status", force_status),
    Scenario("simulate_delivery", simulate),
    Scenario("explode", explode, listed=False),
    seed_scenario("seed_product", ["product_id"], remember),
    seed_scenario("seed_pricing_option", ["product_id", "pricing_option_id"], remember),
]
TOOL = comply_tool(SCENARIOS)


async def control(make_call: MakeCall, scenario: str | None, params: Any = None, **extra: Any) -> ToolOutcome:
    args: dict[str, Any] = {"account": ACCOUNT, "context": CONTEXT, **extra}
    if scenario is not None:
        args["scenario"] = scenario
    if params is not None:
        args["params"] = params
    return await run_tool(TOOL, make_call("comply_test_controller", args))


async def test_list_scenarios_lists_only_listed_ones(make_call: MakeCall) -> None:
    """list_scenarios answers the listed scenario names with the context echoed."""
    outcome = await control(make_call, "list_scenarios")
    assert outcome.is_error is False
    assert outcome.payload == {
        "success": True,
        "scenarios": ["force_media_buy_status", "simulate_delivery"],
        "status": "completed",
        "context": CONTEXT,
    }
    assert outcome.text == "Supported scenarios: force_media_buy_status, simulate_delivery"


async def test_list_scenarios_is_allowed_on_non_sandbox_accounts(make_call: MakeCall) -> None:
    """The sandbox gate never blocks list_scenarios."""
    outcome = await control(make_call, "list_scenarios", account={"account_id": "live", "sandbox": False})
    assert outcome.payload["success"] is True


async def test_non_sandbox_account_is_forbidden(make_call: MakeCall) -> None:
    """account.sandbox false gets FORBIDDEN as a controller error."""
    outcome = await control(
        make_call, "force_media_buy_status", {"status": "paused"}, account={"account_id": "x", "sandbox": False}
    )
    assert outcome.is_error is True
    assert outcome.payload["error"] == "FORBIDDEN"
    assert outcome.text == "Controller error: FORBIDDEN"


@pytest.mark.parametrize(
    ("scenario", "params", "code", "detail"),
    [
        ("nonexistent", None, "UNKNOWN_SCENARIO", "Unrecognized scenario name"),
        (None, None, "INVALID_PARAMS", "Missing required field: scenario"),
        ("force_media_buy_status", ["not", "an", "object"], "INVALID_PARAMS", "params must be an object"),
        ("explode", None, "INTERNAL_ERROR", "An unexpected error occurred in the test controller store"),
    ],
)
async def test_controller_errors_have_the_controller_shape(
    make_call: MakeCall, scenario: str | None, params: Any, code: str, detail: str
) -> None:
    """Failures answer {success: false, error, error_detail} with isError and 'Controller error: <code>'."""
    outcome = await control(make_call, scenario, params)
    assert outcome.is_error is True
    assert outcome.payload == {"success": False, "error": code, "error_detail": detail, "context": CONTEXT}
    assert outcome.text == f"Controller error: {code}"


async def test_scenario_success_adds_success_and_summarises(make_call: MakeCall) -> None:
    """A transition answers success: true with the handler's body and a transition summary."""
    outcome = await control(make_call, "force_media_buy_status", {"status": "paused"})
    assert outcome.payload == {
        "success": True,
        "previous_state": "active",
        "current_state": "paused",
        "message": "forced",
        "status": "completed",
        "context": CONTEXT,
    }
    assert outcome.text == "Transitioned from active to paused"
    simulated = await control(make_call, "simulate_delivery", {})
    assert simulated.text == 'Simulation complete: {"impressions":10}'


async def test_comply_error_carries_current_state(make_call: MakeCall) -> None:
    """A refused transition reports current_state."""
    outcome = await control(make_call, "force_media_buy_status", {"status": "bogus"})
    assert outcome.payload["error"] == "INVALID_TRANSITION"
    assert outcome.payload["current_state"] == "active"


async def test_seed_then_equivalent_reseed_then_divergent(make_call: MakeCall) -> None:
    """Same id + equal fixture re-seeds; a different fixture for the id is INVALID_PARAMS."""
    fixture = {"name": "Seeded", "channels": ["display"], "delivery_type": "non_guaranteed"}
    first = await control(make_call, "seed_product", {"product_id": "p1", "fixture": fixture})
    assert first.payload == {"success": True, "message": "Fixture seeded", "status": "completed", "context": CONTEXT}
    assert first.text == "Fixture seeded"
    reordered = dict(reversed(list(fixture.items())))
    again = await control(make_call, "seed_product", {"product_id": "p1", "fixture": reordered})
    assert again.payload["message"] == "Fixture re-seeded (equivalent)"
    divergent = await control(make_call, "seed_product", {"product_id": "p1", "fixture": {"name": "Other"}})
    assert divergent.payload["error"] == "INVALID_PARAMS"
    assert "diverges" in divergent.payload["error_detail"]
    other_id = await control(make_call, "seed_product", {"product_id": "p2", "fixture": {"name": "Other"}})
    assert other_id.payload["message"] == "Fixture seeded"


async def test_seed_applies_the_fixture_to_the_session(make_call: MakeCall) -> None:
    """The apply callback receives the ids and fixture and can store them in the call's session."""
    await control(make_call, "seed_pricing_option", {"product_id": "p9", "pricing_option_id": "po1", "fixture": {}})
    assert SEEDED[-1] == ("seed_pricing_option", ("p9", "po1"), {})
    session = make_call("x", {"account": ACCOUNT}).session()
    assert session.collection("products")["p9"] == {}


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"fixture": {}}, "seed_product requires params.product_id"),
        ({"product_id": "", "fixture": {}}, "seed_product requires params.product_id"),
        ({"product_id": "p1", "fixture": ["x"]}, "seed_product requires params.fixture to be an object (got array)"),
        (
            {"product_id": "p1", "fixture": {"__proto__": {"polluted": True}}},
            'seed_product fixture key "__proto__" is reserved and rejected to prevent prototype pollution',
        ),
        (
            {"product_id": "p1", "fixture": {"constructor": 1}},
            'seed_product fixture key "constructor" is reserved and rejected to prevent prototype pollution',
        ),
        (
            {"product_id": "p1", "fixture": {"prototype": 1}},
            'seed_product fixture key "prototype" is reserved and rejected to prevent prototype pollution',
        ),
    ],
)
async def test_bad_seed_params_are_invalid_params(make_call: MakeCall, params: JsonObject, detail: str) -> None:
    """Missing ids, non-object fixtures and reserved fixture keys are INVALID_PARAMS."""
    outcome = await control(make_call, "seed_product", params)
    assert outcome.payload["error"] == "INVALID_PARAMS"
    assert outcome.payload["error_detail"] == detail


async def test_seed_pricing_option_names_both_ids(make_call: MakeCall) -> None:
    """A seed keyed by two ids requires both."""
    outcome = await control(make_call, "seed_pricing_option", {"product_id": "p1"})
    assert (
        outcome.payload["error_detail"] == "seed_pricing_option requires params.product_id and params.pricing_option_id"
    )


def test_duplicate_or_reserved_scenarios_are_refused() -> None:
    """Declaring a scenario twice, or one named list_scenarios, is a programming error."""
    with pytest.raises(ValueError, match="twice or reserved"):
        comply_tool([Scenario("a", simulate), Scenario("a", simulate)])
    with pytest.raises(ValueError, match="twice or reserved"):
        comply_tool([Scenario("list_scenarios", simulate)])


def test_comply_tool_schema_accepts_extra_fields() -> None:
    """The input schema is an open object, so storyboard extras are never rejected."""
    assert TOOL.input_schema["type"] == "object"
    assert TOOL.input_schema["additionalProperties"] is True
    assert set(TOOL.input_schema["properties"]) >= {"scenario", "params", "account", "context", "ext"}
    assert TOOL.mutating is False
