"""check_governance storage, report_plan_outcome accounting and get_plan_audit_logs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.schemas import assert_schema_valid
from trainer.adcp.errors import AdcpError
from trainer.domain.governance.checks import check_response, parse_check, run_check
from trainer.domain.governance.ledger import audit_logs, report_outcome
from trainer.domain.governance.plans import sync_plans

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
CALLER = "https://buyer.example/mcp"


@pytest.fixture
def plans() -> dict[str, Any]:
    store: dict[str, Any] = {}
    plan = {
        "plan_id": "plan_q3",
        "brand": {"domain": "acme.example"},
        "objectives": "Q3 awareness",
        "budget": {"total": 10_000, "currency": "USD", "reallocation_threshold": 8000},
        "flight": {"start": "2026-06-01T00:00:00Z", "end": "2026-09-30T23:59:59Z"},
        "countries": ["US"],
    }
    sync_plans(store, [plan], NOW)
    return store


def _check(plans: dict[str, Any], checks: dict[str, Any], **args: Any) -> dict[str, Any]:
    request = {"plan_id": "plan_q3", "caller": CALLER, "tool": "create_media_buy", **args}
    return run_check(plans, checks, parse_check(request), NOW)


def test_approved_check_opens_a_governed_action(plans: dict[str, Any]) -> None:
    """An approval carries a fresh governance_context, an expiry an hour out, and a schema-valid shape."""
    checks: dict[str, Any] = {}
    check = _check(plans, checks, payload={"total_budget": {"amount": 5000, "currency": "USD"}})
    reply = check_response(check)
    assert reply["status"] == "approved"
    assert reply["expires_at"] == "2026-06-01T13:00:00.000Z"
    assert reply["governance_context"]
    assert checks[reply["check_id"]] is check
    assert_schema_valid("check_governance", reply)


def test_denied_check_keeps_the_buyers_context_and_findings(plans: dict[str, Any]) -> None:
    """A denial is stored with its findings under the buyer's context, without an expiry."""
    checks: dict[str, Any] = {}
    reply = check_response(_check(plans, checks, governance_context="gc-1", payload={"countries": ["FR"]}))
    assert reply["status"] == "denied"
    assert reply["governance_context"] == "gc-1"
    assert "expires_at" not in reply
    assert reply["findings"][0]["category_id"] == "geo_compliance"
    assert_schema_valid("check_governance", reply)


def test_unknown_plan_is_a_stored_denial(plans: dict[str, Any]) -> None:
    """A check against an unknown plan is denied with a plan_lookup finding, and kept."""
    checks: dict[str, Any] = {}
    reply = check_response(_check(plans, checks, plan_id="nope"))
    assert reply["status"] == "denied"
    assert reply["findings"][0]["category_id"] == "plan_lookup"
    assert len(checks) == 1


def test_delivery_phase_approval_schedules_the_next_check(plans: dict[str, Any]) -> None:
    """An approved delivery-phase check says when to check again."""
    reply = check_response(_check(plans, {}, phase="delivery", delivery_metrics={"cumulative_spend": 100}))
    assert reply["next_check"] == "2026-06-02T12:00:00.000Z"


@pytest.mark.parametrize(
    ("args", "code", "field"),
    [
        ({"plan_id": None}, "INVALID_REQUEST", "plan_id"),
        ({"caller": None}, "INVALID_REQUEST", "caller"),
        ({"purchase_type": "tv"}, "VALIDATION_ERROR", "purchase_type"),
        ({"phase": "later"}, "VALIDATION_ERROR", "phase"),
        ({"governance_phase": "later"}, "VALIDATION_ERROR", "governance_phase"),
        ({"binding": "maybe"}, "VALIDATION_ERROR", "binding"),
        ({"payload": []}, "INVALID_REQUEST", "payload"),
        ({"governance_context": "\n"}, "INVALID_REQUEST", "governance_context"),
    ],
)
def test_bad_check_request_names_the_field(args: dict[str, Any], code: str, field: str) -> None:
    """Malformed check_governance input fails on the offending field."""
    request = {"plan_id": "plan_q3", "caller": CALLER, **args}
    with pytest.raises(AdcpError) as caught:
        parse_check({k: v for k, v in request.items() if v is not None})
    assert (caught.value.code, caught.value.field) == (code, field)


def test_completed_outcome_commits_budget(plans: dict[str, Any]) -> None:
    """A completed outcome adds the seller's committed budget to the plan, by purchase type."""
    outcomes: dict[str, Any] = {}
    reply = report_outcome(
        plans,
        outcomes,
        {
            "plan_id": "plan_q3",
            "outcome": "completed",
            "governance_context": "gc",
            "seller_response": {"committed_budget": 4000},
        },
        NOW,
    )
    assert reply["status"] == "accepted"
    assert reply["committed_budget"] == 4000
    assert reply["plan_summary"] == {"total_committed": 4000, "budget_remaining": 6000}
    assert plans["plan_q3"]["committed_by_type"] == {"media_buy": 4000}
    assert_schema_valid("report_plan_outcome", reply)


def test_completed_outcome_sums_packages_when_no_total(plans: dict[str, Any]) -> None:
    """Without committed_budget, the packages' committed budgets add up."""
    seller = {"packages": [{"committed_budget": 3000}, {"budget": 2000}, {"budget": {"total": 500}}]}
    reply = report_outcome(
        plans,
        {},
        {"plan_id": "plan_q3", "outcome": "completed", "governance_context": "gc", "seller_response": seller},
        NOW,
    )
    assert reply["committed_budget"] == 5500


def test_overcommitment_is_reported_as_a_finding(plans: dict[str, Any]) -> None:
    """Committing past the authorized total returns status findings with a budget warning."""
    args = {
        "plan_id": "plan_q3",
        "outcome": "completed",
        "governance_context": "gc",
        "seller_response": {"committed_budget": 12_000},
    }
    reply = report_outcome(plans, {}, args, NOW)
    assert reply["status"] == "findings"
    assert reply["findings"][0]["severity"] == "warning"


def test_delivery_and_failed_outcomes(plans: dict[str, Any]) -> None:
    """Delivery spend is committed without a plan summary; a failure commits nothing."""
    delivery = report_outcome(
        plans,
        {},
        {"plan_id": "plan_q3", "outcome": "delivery", "governance_context": "gc", "delivery": {"spend": 250}},
        NOW,
    )
    assert "plan_summary" not in delivery
    failed = report_outcome(plans, {}, {"plan_id": "plan_q3", "outcome": "failed", "governance_context": "gc"}, NOW)
    assert failed["plan_summary"]["total_committed"] == 250


@pytest.mark.parametrize(
    ("args", "code", "field"),
    [
        ({"plan_id": "nope"}, "REFERENCE_NOT_FOUND", "plan_id"),
        ({"outcome": "great"}, "VALIDATION_ERROR", "outcome"),
        ({"governance_context": None}, "INVALID_REQUEST", "governance_context"),
        ({"purchase_type": "tv"}, "VALIDATION_ERROR", "purchase_type"),
        ({"seller_response": "ok"}, "INVALID_REQUEST", "seller_response"),
    ],
)
def test_bad_outcome_names_the_field(plans: dict[str, Any], args: dict[str, Any], code: str, field: str) -> None:
    """Malformed report_plan_outcome input fails on the offending field."""
    request = {"plan_id": "plan_q3", "outcome": "completed", "governance_context": "gc", **args}
    with pytest.raises(AdcpError) as caught:
        report_outcome(plans, {}, {k: v for k, v in request.items() if v is not None}, NOW)
    assert (caught.value.code, caught.value.field) == (code, field)


def test_audit_log_shows_checks_outcomes_and_drift(plans: dict[str, Any]) -> None:
    """The audit log counts statuses, groups actions by context, and lists entries in order."""
    checks: dict[str, Any] = {}
    outcomes: dict[str, Any] = {}
    denied = _check(plans, checks, payload={"budget": 9000})
    approved = _check(plans, checks, payload={"budget": 4000})
    report_outcome(
        plans,
        outcomes,
        {
            "plan_id": "plan_q3",
            "outcome": "completed",
            "governance_context": approved["governance_context"],
            "seller_response": {"seller_reference": "mb_1", "committed_budget": 4000},
        },
        NOW,
    )
    reply = audit_logs(plans, checks, outcomes, {"plan_ids": ["plan_q3", "unknown"], "include_entries": True})
    assert_schema_valid("get_plan_audit_logs", reply)
    (log,) = reply["plans"]
    assert log["budget"] == {"authorized": 10000, "committed": 4000, "remaining": 6000, "utilization_pct": 40.0}
    assert log["summary"]["statuses"] == {"approved": 1, "denied": 1, "conditions": 0, "human_reviewed": 1}
    assert log["summary"]["escalations"][0]["check_id"] == denied["check_id"]
    assert log["summary"]["drift_metrics"]["escalation_rate"] == 0.5
    assert log["governed_actions"] == [
        {
            "governance_context": approved["governance_context"],
            "purchase_type": "media_buy",
            "status": "active",
            "committed": 4000,
            "check_count": 1,
            "seller_reference": "mb_1",
        }
    ]
    assert [entry["type"] for entry in log["entries"]] == ["check", "check", "outcome"]


def test_audit_log_filters_by_context_and_purchase_type(plans: dict[str, Any]) -> None:
    """governance_contexts selects the plans and records of those actions only."""
    checks: dict[str, Any] = {}
    first = _check(plans, checks, payload={"budget": 100})
    _check(plans, checks, payload={"budget": 200})
    reply = audit_logs(plans, checks, {}, {"governance_contexts": [first["governance_context"]]})
    assert reply["plans"][0]["summary"]["checks_performed"] == 1
    empty = audit_logs(plans, checks, {}, {"plan_ids": ["plan_q3"], "purchase_types": ["rights_license"]})
    assert empty["plans"][0]["summary"]["checks_performed"] == 0


@pytest.mark.parametrize(
    ("args", "code", "field"),
    [
        ({}, "VALIDATION_ERROR", "plan_ids"),
        ({"plan_ids": "plan_q3"}, "INVALID_REQUEST", "plan_ids"),
        ({"plan_ids": ["plan_q3"], "purchase_types": ["tv"]}, "VALIDATION_ERROR", "purchase_types[0]"),
        ({"plan_ids": ["plan_q3"], "include_entries": "yes"}, "INVALID_REQUEST", "include_entries"),
    ],
)
def test_bad_audit_request_names_the_field(plans: dict[str, Any], args: dict[str, Any], code: str, field: str) -> None:
    """Malformed get_plan_audit_logs input fails on the offending field."""
    with pytest.raises(AdcpError) as caught:
        audit_logs(plans, {}, {}, args)
    assert (caught.value.code, caught.value.field) == (code, field)
