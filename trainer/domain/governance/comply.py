"""The /governance scenarios of ``comply_test_controller``: seed_plan, force_account_status, force_session_status.

Forced account statuses live in ``session.collection(ACCOUNT_STATUSES)`` (account_id -> status);
``account_status`` reads them for create_media_buy's ACCOUNT_STATUS_BLOCKED gate. SI sessions
live in ``session.collection(SI_SESSIONS)`` (session_id -> ``{status, termination_reason?}``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from trainer.adcp.comply import ComplyCall, ComplyError, Scenario, seed_scenario
from trainer.adcp.sessions import Session, session_key
from trainer.domain.governance.gate import PLANS
from trainer.domain.governance.plans import stored_plan
from trainer.tenant import JsonObject

ACCOUNT_STATUSES: Final = "account_statuses"
SI_SESSIONS: Final = "si_sessions"
ACCOUNT_TRANSITIONS: Final[Mapping[str, frozenset[str]]] = {
    "pending_approval": frozenset({"active", "rejected"}),
    "active": frozenset({"payment_required", "suspended", "closed"}),
    "payment_required": frozenset({"active"}),
    "suspended": frozenset({"active", "payment_required", "closed"}),
    "rejected": frozenset(),
    "closed": frozenset(),
}
SI_TRANSITIONS: Final[Mapping[str, frozenset[str]]] = {
    "active": frozenset({"pending_handoff", "complete", "terminated"}),
    "pending_handoff": frozenset({"complete", "terminated"}),
    "complete": frozenset(),
    "terminated": frozenset(),
}
# Statuses a buyer may force an SI session into (the rest are reached by the protocol itself).
SI_FORCEABLE: Final = frozenset({"complete", "terminated"})


def account_status(session: Session, account_id: str) -> str:
    """Return the status forced on ``account_id`` in ``session``, ``active`` when none was."""
    if not session.has_collection(ACCOUNT_STATUSES):
        return "active"
    return str(session.collection(ACCOUNT_STATUSES).get(account_id, "active"))


def _param(comply: ComplyCall, name: str) -> str:
    value = comply.params.get(name)
    if not isinstance(value, str) or not value:
        raise ComplyError("INVALID_PARAMS", f"{comply.scenario} requires params.{name}")
    return value


async def force_account_status(comply: ComplyCall) -> JsonObject:
    """Move an account along its status machine; accounts start ``active``.

    Raises:
        ComplyError: INVALID_PARAMS for a missing id or unknown status, INVALID_TRANSITION for a
            move the machine does not allow.
    """
    account_id = _param(comply, "account_id")
    status = _param(comply, "status")
    if status not in ACCOUNT_TRANSITIONS:
        raise ComplyError("INVALID_PARAMS", f"Unknown account status {status!r}")
    session = comply.session()
    previous = account_status(session, account_id)
    if status != previous and status not in ACCOUNT_TRANSITIONS[previous]:
        raise ComplyError(
            "INVALID_TRANSITION", f"Cannot move account {account_id} from {previous} to {status}", previous
        )
    session.collection(ACCOUNT_STATUSES)[account_id] = status
    return {"previous_state": previous, "current_state": status, "message": f"Account {account_id} is {status}"}


async def force_session_status(comply: ComplyCall) -> JsonObject:
    """End an SI session (``complete`` or ``terminated`` with a ``termination_reason``).

    Raises:
        ComplyError: INVALID_PARAMS for a bad status or a termination without a reason, NOT_FOUND
            for an unknown session, INVALID_TRANSITION from a terminal state.
    """
    session_id = _param(comply, "session_id")
    status = _param(comply, "status")
    if status not in SI_FORCEABLE:
        raise ComplyError("INVALID_PARAMS", "force_session_status status must be complete or terminated")
    reason = comply.params.get("termination_reason")
    if status == "terminated" and (not isinstance(reason, str) or not reason):
        raise ComplyError("INVALID_PARAMS", "force_session_status to terminated requires params.termination_reason")
    session = comply.session()
    si_sessions = session.collection(SI_SESSIONS) if session.has_collection(SI_SESSIONS) else {}
    entry = si_sessions.get(session_id)
    if entry is None:
        raise ComplyError("NOT_FOUND", f"SI session not found: {session_id}")
    previous = str(entry.get("status", "active"))
    if status != previous and status not in SI_TRANSITIONS.get(previous, frozenset()):
        raise ComplyError(
            "INVALID_TRANSITION", f"Cannot move session {session_id} from {previous} to {status}", previous
        )
    entry["status"] = status
    if status == "terminated":
        entry["termination_reason"] = reason
    return {"previous_state": previous, "current_state": status, "message": f"Session {session_id} is {status}"}


def _plan_from_fixture(plan_id: str, fixture: Mapping[str, Any]) -> dict[str, Any]:
    """Fill what a seeded plan leaves out, so the rule engine and the gate can read it."""
    budget = dict(fixture.get("budget") or {}) if isinstance(fixture.get("budget"), Mapping) else {}
    budget.setdefault("total", 0)
    budget.setdefault("currency", "USD")
    if "reallocation_threshold" not in budget and "reallocation_unlimited" not in budget:
        budget["reallocation_unlimited"] = True
    plan: dict[str, Any] = {
        "objectives": "Seeded plan",
        "brand": {"domain": "seeded.example"},
        "flight": {"start": "2000-01-01T00:00:00Z", "end": "2100-01-01T00:00:00Z"},
        **fixture,
        "plan_id": plan_id,
        "budget": budget,
    }
    return plan


def _seed_session(comply: ComplyCall, fixture: Mapping[str, Any]) -> Session:
    # A seeded plan belongs with its brand's buys: key by the call's account, else the plan's brand.
    if isinstance(comply.call.args.get("account"), Mapping):
        return comply.session()
    brand = fixture.get("brand")
    return comply.call.sessions.get(session_key({"plans": [{"brand": brand}]}))


async def _apply_seed_plan(comply: ComplyCall, ids: tuple[str, ...], fixture: JsonObject) -> None:
    (plan_id,) = ids
    session = _seed_session(comply, fixture)
    plans = session.collection(PLANS)
    plans[plan_id] = stored_plan(_plan_from_fixture(plan_id, fixture), plans.get(plan_id), comply.call.clock.now())


def governance_scenarios() -> list[Scenario]:
    """Return the scenarios /governance owns, in list_scenarios order, seeds unlisted."""
    return [
        Scenario("force_account_status", force_account_status),
        Scenario("force_session_status", force_session_status),
        seed_scenario("seed_plan", ("plan_id",), _apply_seed_plan),
    ]
