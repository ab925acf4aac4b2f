"""The governance gate a spending tool passes before it commits money (reference section 2.3).

/sales ``create_media_buy``, /signals ``activate_signal`` and /brand ``acquire_rights`` call
``enforce_budget_gate`` with the session their request keys to. Sessions key by brand, not by
tenant (reference section 3.1), so a plan synced on /governance gates a buy on /sales for the
same brand.

Session collections (``session.collection(name)``, insertion-ordered ``dict``s) written by
/governance and read here:

``governance_plans`` (``PLANS``), plan_id -> stored plan: the synced plan as sent on the wire
    (``plan_id``, ``brand``, ``budget {total, currency, allocations?, ...}``, ``flight``,
    ``approved_sellers?``, ``mode?``, ...) plus ``version`` (int, +1 per sync),
    ``committed_budget`` (number, what reported outcomes committed) and ``committed_by_type``
    (purchase_type -> number).
``governance_checks`` (``CHECKS``), check_id -> stored check: ``check_id``, ``plan_id``,
    ``status`` (``approved`` | ``conditions`` | ``denied``), ``explanation``, ``findings`` and
    ``conditions`` in wire shape, ``governance_context?``, ``purchase_type?``, ``binding``,
    ``expires_at?`` (ISO instant), ``created_at``.
``governance_outcomes`` (``OUTCOMES``), outcome_id -> stored outcome of ``report_plan_outcome``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from trainer.adcp.errors import AdcpError
from trainer.adcp.sessions import Session
from trainer.clock import parse_instant

PLANS: Final = "governance_plans"
CHECKS: Final = "governance_checks"
OUTCOMES: Final = "governance_outcomes"

# A check in one of these states lets the purchase it governs go ahead.
_AUTHORIZING: Final = frozenset({"approved", "conditions"})


def enforce_budget_gate(
    session: Session,
    *,
    amount: float | None,
    currency: str | None,
    governance_context: str | None,
    now: datetime,
    purchase_type: str = "media_buy",
    seller: str | None = None,
) -> None:
    """Let a purchase through only if the session's governance plans allow it.

    With a ``governance_context``, the latest check carrying it decides: ``denied`` denies, and
    when the session has plans a missing or expired check denies too. Without one, a session
    with plans denies a signal activation outright (nothing says which plan approved it) and
    checks any other purchase's ``amount`` against each plan's remaining budget, its
    ``allocations[purchase_type]`` and its ``approved_sellers``. A session without plans is
    ungoverned and everything passes.

    Raises:
        AdcpError: ``GOVERNANCE_DENIED`` with ``details {findings, plan_id, check_id?, conditions?}``.
    """
    plans = session.collection(PLANS) if session.has_collection(PLANS) else {}
    if governance_context:
        _enforce_check(session, plans, governance_context, now)
        return
    if not plans:
        return
    if purchase_type == "signal_activation":
        plan_id = next(iter(plans))
        raise _denied(
            plan_id,
            "budget_authority",
            f"Signal activation requires governance approval: plan {plan_id!r} governs this account. "
            "Call check_governance first and pass its governance_context.",
        )
    for plan in plans.values():
        _enforce_plan(plan, amount, currency, purchase_type, seller)


def latest_check(session: Session, governance_context: str) -> dict[str, Any] | None:
    """Return the most recent stored check that carries ``governance_context``, if any."""
    if not session.has_collection(CHECKS):
        return None
    found: dict[str, Any] | None = None
    for check in session.collection(CHECKS).values():
        if check.get("governance_context") == governance_context:
            found = check
    return found


def _enforce_check(session: Session, plans: Mapping[str, Any], governance_context: str, now: datetime) -> None:
    check = latest_check(session, governance_context)
    if check is None:
        if plans:
            raise _denied(
                next(iter(plans)),
                "governance_context",
                f"governance_context {governance_context!r} does not match any governance check; "
                "call check_governance first.",
            )
        return
    if check.get("status") not in _AUTHORIZING:
        raise AdcpError(
            "GOVERNANCE_DENIED",
            str(check.get("explanation") or "The governance check denied this purchase."),
            details=_check_details(check),
        )
    expires_at = check.get("expires_at")
    if plans and isinstance(expires_at, str) and parse_instant(expires_at) < now:
        raise _denied(
            str(check.get("plan_id")),
            "budget_authority",
            f"Governance check {check.get('check_id')} expired at {expires_at}; call check_governance again.",
        )


def _enforce_plan(
    plan: Mapping[str, Any], amount: float | None, currency: str | None, purchase_type: str, seller: str | None
) -> None:
    plan_id = str(plan.get("plan_id"))
    approved_sellers = plan.get("approved_sellers")
    if seller is not None and isinstance(approved_sellers, list) and seller not in approved_sellers:
        raise _denied(plan_id, "seller_compliance", f"Seller {seller} is not approved by plan {plan_id!r}.")
    if amount is None:
        return
    raw_budget = plan.get("budget")
    budget: Mapping[str, Any] = raw_budget if isinstance(raw_budget, Mapping) else {}
    unit = currency or budget.get("currency") or ""
    total = _number(budget.get("total"))
    if total is not None:
        remaining = total - (_number(plan.get("committed_budget")) or 0.0)
        if amount > remaining:
            raise _denied(
                plan_id,
                "budget_authority",
                f"Budget {_money(amount, unit)} exceeds governance plan {plan_id!r} remaining budget "
                f"{_money(remaining, unit)}; call check_governance first.",
            )
    allocations = budget.get("allocations")
    allocation = allocations.get(purchase_type) if isinstance(allocations, Mapping) else None
    allocated = _number(allocation.get("amount")) if isinstance(allocation, Mapping) else None
    if allocated is not None:
        committed_by_type = plan.get("committed_by_type")
        committed = _number(committed_by_type.get(purchase_type)) if isinstance(committed_by_type, Mapping) else None
        type_remaining = allocated - (committed or 0.0)
        if amount > type_remaining:
            raise _denied(
                plan_id,
                "budget_authority",
                f"Budget {_money(amount, unit)} exceeds the {purchase_type} allocation of plan {plan_id!r} "
                f"({_money(type_remaining, unit)} remaining); call check_governance first.",
            )


def _denied(plan_id: str, category_id: str, explanation: str) -> AdcpError:
    finding = {"category_id": category_id, "severity": "critical", "explanation": explanation}
    return AdcpError(
        "GOVERNANCE_DENIED",
        explanation,
        suggestion="Call check_governance with this purchase and pass the governance_context it returns.",
        details={"findings": [finding], "plan_id": plan_id},
    )


def _check_details(check: Mapping[str, Any]) -> dict[str, Any]:
    details: dict[str, Any] = {
        "findings": list(check.get("findings") or []),
        "plan_id": check.get("plan_id"),
        "check_id": check.get("check_id"),
    }
    if check.get("conditions"):
        details["conditions"] = list(check["conditions"])
    return details


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _money(amount: float, currency: str) -> str:
    text = f"{amount:,.2f}".rstrip("0").rstrip(".")
    return f"{text} {currency}".strip()
