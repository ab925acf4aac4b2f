"""The spend gate /sales, /signals and /brand call before committing money."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from trainer.adcp.errors import AdcpError
from trainer.adcp.sessions import Session
from trainer.domain.governance.gate import CHECKS, PLANS, enforce_budget_gate

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def _session(plans: Sequence[dict[str, Any]] = (), checks: Sequence[dict[str, Any]] = ()) -> Session:
    session = Session(key="open:acme.example", created_at=NOW, last_accessed_at=NOW)
    for plan in plans:
        session.collection(PLANS)[plan["plan_id"]] = plan
    for check in checks:
        session.collection(CHECKS)[check["check_id"]] = check
    return session


def _plan(**overrides: Any) -> dict[str, Any]:
    plan: dict[str, Any] = {
        "plan_id": "plan_q2",
        "budget": {"total": 10_000, "currency": "USD"},
        "version": 1,
        "committed_budget": 0,
        "committed_by_type": {},
    }
    plan.update(overrides)
    return plan


def _denial(session: Session, **kwargs: Any) -> AdcpError:
    args: dict[str, Any] = {"amount": 1000.0, "currency": "USD", "governance_context": None, "now": NOW}
    args.update(kwargs)
    with pytest.raises(AdcpError) as caught:
        enforce_budget_gate(session, **args)
    assert caught.value.code == "GOVERNANCE_DENIED"
    return caught.value


def test_session_without_plans_is_ungoverned() -> None:
    """A session with no plans lets any purchase through."""
    enforce_budget_gate(_session(), amount=1e9, currency="USD", governance_context=None, now=NOW)


def test_buy_within_remaining_budget_passes() -> None:
    """A buy that fits the plan's remaining budget passes without a governance_context."""
    enforce_budget_gate(_session([_plan()]), amount=10_000, currency="USD", governance_context=None, now=NOW)


def test_buy_over_remaining_budget_is_denied_with_budget_authority_finding() -> None:
    """Committed spend shrinks what is left; a buy over the rest is denied with a critical finding."""
    error = _denial(_session([_plan(committed_budget=9500)]), amount=1000.0)
    assert error.details is not None
    assert error.details["plan_id"] == "plan_q2"
    assert error.details["findings"][0]["category_id"] == "budget_authority"
    assert error.details["findings"][0]["severity"] == "critical"


def test_buy_over_purchase_type_allocation_is_denied() -> None:
    """A plan's per-purchase-type allocation caps that purchase type."""
    plan = _plan(budget={"total": 10_000, "currency": "USD", "allocations": {"media_buy": {"amount": 500}}})
    _denial(_session([plan]), amount=600.0)


def test_unapproved_seller_is_denied() -> None:
    """A plan with approved_sellers denies a seller not on the list."""
    plan = _plan(approved_sellers=["https://good.example/mcp"])
    error = _denial(_session([plan]), seller="https://other.example/mcp")
    assert error.details is not None
    assert error.details["findings"][0]["category_id"] == "seller_compliance"


def test_denied_check_denies_with_its_findings_and_conditions() -> None:
    """The latest check for the governance_context decides, and its findings travel in details."""
    finding = {"category_id": "geo_compliance", "severity": "critical", "explanation": "FR is not in the plan"}
    check = {
        "check_id": "chk_1",
        "plan_id": "plan_q2",
        "status": "denied",
        "explanation": "Denied: geo",
        "findings": [finding],
        "conditions": [{"field": "countries", "reason": "US only"}],
        "governance_context": "gc-1",
    }
    error = _denial(_session([_plan()], [check]), governance_context="gc-1")
    assert error.message == "Denied: geo"
    assert error.details == {
        "findings": [finding],
        "plan_id": "plan_q2",
        "check_id": "chk_1",
        "conditions": [{"field": "countries", "reason": "US only"}],
    }


def test_approved_check_lets_an_over_budget_amount_through() -> None:
    """An approving check for the context authorizes the purchase; the amount is not re-checked."""
    check = {"check_id": "chk_1", "plan_id": "plan_q2", "status": "approved", "governance_context": "gc-1"}
    session = _session([_plan(committed_budget=10_000)], [check])
    enforce_budget_gate(session, amount=5000, currency="USD", governance_context="gc-1", now=NOW)


def test_unknown_governance_context_is_denied_when_plans_exist() -> None:
    """A governance_context no check issued cannot authorize spend in a governed session."""
    _denial(_session([_plan()]), governance_context="gc-unknown")


def test_unknown_governance_context_passes_without_plans() -> None:
    """Without plans nothing is governed, whatever context the buyer sends."""
    enforce_budget_gate(_session(), amount=5, currency="USD", governance_context="gc-x", now=NOW)


def test_signal_activation_without_context_is_denied_when_plans_exist() -> None:
    """A governed session needs a check before a signal activation, whatever it costs."""
    _denial(_session([_plan()]), amount=None, purchase_type="signal_activation")


def test_expired_check_is_denied() -> None:
    """An approval past its expires_at no longer authorizes spend."""
    check = {
        "check_id": "chk_1",
        "plan_id": "plan_q2",
        "status": "approved",
        "governance_context": "gc-1",
        "expires_at": "2026-06-01T11:00:00.000Z",
    }
    _denial(_session([_plan()], [check]), governance_context="gc-1")
