"""sync_plans: validation, versioning and the automatic human-review rules."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from trainer.adcp.errors import AdcpError
from trainer.domain.governance.plans import CATEGORIES, sync_plans

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def _plan(**overrides: Any) -> dict[str, Any]:
    plan: dict[str, Any] = {
        "plan_id": "plan_q3",
        "brand": {"domain": "acme.example"},
        "objectives": "Q3 awareness",
        "budget": {"total": 10_000, "currency": "USD", "reallocation_threshold": 5000},
        "flight": {"start": "2026-07-01T00:00:00Z", "end": "2026-09-30T23:59:59Z"},
    }
    plan.update(overrides)
    return plan


def _error(store: dict[str, Any], *plans: Any) -> AdcpError:
    with pytest.raises(AdcpError) as caught:
        sync_plans(store, list(plans), NOW)
    return caught.value


def test_first_sync_stores_version_one_with_all_categories_active() -> None:
    """A new plan is stored at version 1 and reports the eight categories active."""
    store: dict[str, Any] = {}
    reply = sync_plans(store, [_plan()], NOW)
    assert reply["plans"][0]["version"] == 1
    assert reply["plans"][0]["status"] == "active"
    assert [c["category_id"] for c in reply["plans"][0]["categories"]] == list(CATEGORIES)
    assert store["plan_q3"]["mode"] == "enforce"
    assert store["plan_q3"]["committed_budget"] == 0


def test_resync_bumps_the_version_and_keeps_commitments() -> None:
    """Re-syncing a plan increments its version without forgetting what was committed."""
    store: dict[str, Any] = {}
    sync_plans(store, [_plan()], NOW)
    store["plan_q3"]["committed_budget"] = 2500
    reply = sync_plans(store, [_plan(objectives="revised")], NOW)
    assert reply["plans"][0]["version"] == 2
    assert store["plan_q3"]["committed_budget"] == 2500
    assert store["plan_q3"]["revision_history"][0]["version"] == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"plan_id": ""}, "plans[0].plan_id"),
        ({"brand": "acme"}, "plans[0].brand"),
        ({"objectives": "x" * 2001}, "plans[0].objectives"),
        ({"budget": {"currency": "USD", "reallocation_threshold": 1}}, "plans[0].budget.total"),
        ({"budget": {"total": 10, "reallocation_threshold": 1}}, "plans[0].budget.currency"),
        ({"budget": {"total": 10, "currency": "USD"}}, "plans[0].budget.reallocation_threshold"),
        (
            {"budget": {"total": 10, "currency": "USD", "reallocation_threshold": 1, "reallocation_unlimited": True}},
            "plans[0].budget.reallocation_threshold",
        ),
        (
            {"budget": {"total": 10, "currency": "USD", "reallocation_threshold": -1}},
            "plans[0].budget.reallocation_threshold",
        ),
        (
            {"budget": {"total": 10, "currency": "USD", "reallocation_unlimited": True, "allocations": {"tv": {}}}},
            "plans[0].budget.allocations.tv",
        ),
        ({"flight": {"start": "2026-07-01T00:00:00Z"}}, "plans[0].flight.end"),
        ({"flight": {"start": "soon", "end": "2026-07-01T00:00:00Z"}}, "plans[0].flight.start"),
        ({"flight": {"start": "2026-07-02T00:00:00Z", "end": "2026-07-01T00:00:00Z"}}, "plans[0].flight.end"),
        ({"countries": "US"}, "plans[0].countries"),
        ({"mode": "strict"}, "plans[0].mode"),
        ({"approved_sellers": "all"}, "plans[0].approved_sellers"),
        ({"custom_policies": ["be nice"]}, "plans[0].custom_policies[0]"),
        ({"custom_policies": [{"policy": "x" * 5001}]}, "plans[0].custom_policies[0].policy"),
        ({"custom_policies": [{"policy": "ok", "description": "x" * 501}]}, "plans[0].custom_policies[0].description"),
        ({"custom_policies": [{"policy": "ok", "enforcement": "always"}]}, "plans[0].custom_policies[0].enforcement"),
        (
            {"delegations": [{"agent_url": "https://a.example", "authority": "god"}]},
            "plans[0].delegations[0].authority",
        ),
        ({"policy_categories": ["fair_lending"], "human_review_required": False}, "plans[0].human_review_required"),
    ],
)
def test_invalid_plan_names_the_field(overrides: dict[str, Any], field: str) -> None:
    """Each sync_plans validation rule fails VALIDATION_ERROR on the offending field."""
    error = _error({}, _plan(**overrides))
    assert (error.code, error.field) == ("VALIDATION_ERROR", field)


def test_empty_batch_is_rejected() -> None:
    """plans must hold at least one plan."""
    assert _error({}).field == "plans"


def test_batch_is_atomic() -> None:
    """One bad plan in a batch leaves every plan of the batch unsynced."""
    store: dict[str, Any] = {}
    error = _error(store, _plan(plan_id="good"), _plan(plan_id="bad", mode="strict"))
    assert error.field == "plans[1].mode"
    assert store == {}


@pytest.mark.parametrize(
    "overrides",
    [
        {"policy_categories": ["fair_housing"]},
        {"policy_ids": ["eu_ai_act_annex_iii"]},
        {"custom_policies": [{"policy_id": "p", "policy": "check it", "requires_human_review": True}]},
        {"human_review_required": True},
    ],
)
def test_regulated_plans_are_flipped_to_human_review(overrides: dict[str, Any]) -> None:
    """Regulated categories, Annex III policies and flagged custom policies force human review."""
    store: dict[str, Any] = {}
    sync_plans(store, [_plan(**overrides)], NOW)
    assert store["plan_q3"]["human_review_required"] is True


def test_downgrade_from_human_review_needs_a_fresh_override() -> None:
    """Turning human review off requires a reasoned, recent override by an approver email."""
    store: dict[str, Any] = {}
    sync_plans(store, [_plan(human_review_required=True)], NOW)
    assert _error(store, _plan()).field == "plans[0].human_override"
    short = {"reason": "too short", "approver": "cmo@acme.example"}
    assert _error(store, _plan(human_override=short)).field == "plans[0].human_override.reason"
    reason = "Legal reviewed the campaign and it is not regulated."
    bad_email = {"reason": reason, "approver": "cmo"}
    assert _error(store, _plan(human_override=bad_email)).field == "plans[0].human_override.approver"
    stale = {"reason": reason, "approver": "cmo@acme.example", "approved_at": "2026-05-30T12:00:00Z"}
    assert _error(store, _plan(human_override=stale)).field == "plans[0].human_override.approved_at"
    future = {"reason": reason, "approver": "cmo@acme.example", "approved_at": "2026-06-02T12:00:00Z"}
    assert _error(store, _plan(human_override=future)).field == "plans[0].human_override.approved_at"
    fresh = {"reason": reason, "approver": "cmo@acme.example", "approved_at": "2026-06-01T11:00:00Z"}
    sync_plans(store, [_plan(human_override=fresh)], NOW)
    assert store["plan_q3"]["human_review_required"] is False
    assert store["plan_q3"]["human_override"]["approver"] == "cmo@acme.example"


def test_resync_keeps_earlier_review_triggers() -> None:
    """The reasons review was forced survive a re-sync that keeps review on."""
    store: dict[str, Any] = {}
    sync_plans(store, [_plan(policy_categories=["fair_lending"])], NOW)
    sync_plans(store, [_plan(human_review_required=True)], NOW)
    assert store["plan_q3"]["human_review_triggers"] == ["policy_category:fair_lending"]


def test_stored_plan_does_not_alias_the_request() -> None:
    """Mutating the request after sync does not change the stored plan."""
    store: dict[str, Any] = {}
    plan = _plan(countries=["US"])
    sync_plans(store, [plan], NOW)
    snapshot = copy.deepcopy(store)
    plan["countries"].append("FR")
    assert store == snapshot
