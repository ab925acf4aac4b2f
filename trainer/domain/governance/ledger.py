"""report_plan_outcome and get_plan_audit_logs: what was committed and what governance decided.

Outcomes are stored in ``session.collection(OUTCOMES)`` (see ``gate``) and move the plan's
``committed_budget`` and ``committed_by_type``, which the rule engine and the spend gate read.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, MutableMapping, Sequence
from datetime import datetime
from typing import Any, Final

from trainer.adcp.errors import AdcpError, invalid
from trainer.clock import iso
from trainer.domain.governance.checks import parse_governance_context, parse_purchase_type

OUTCOME_TYPES: Final = ("completed", "failed", "delivery")
MAX_OUTCOMES_PER_SESSION: Final = 1000
MAX_SELLER_REFERENCE: Final = 255


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _round(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 2)


def _committed_from(seller_response: Mapping[str, Any]) -> float:
    committed = _number(seller_response.get("committed_budget"))
    if committed is not None:
        return committed
    total = 0.0
    for package in seller_response.get("packages") or ():
        if not isinstance(package, Mapping):
            continue
        budget = package.get("committed_budget", package.get("budget"))
        amount = _number(budget)
        if amount is None and isinstance(budget, Mapping):
            amount = _number(budget.get("total"))
        total += amount or 0.0
    return total


def _optional_object(args: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    value = args.get(name)
    if value is not None and not isinstance(value, Mapping):
        raise invalid(name, f"{name} must be an object")
    return value


def report_outcome(
    plans: Mapping[str, Any], outcomes: MutableMapping[str, Any], args: Mapping[str, Any], now: datetime
) -> dict[str, Any]:
    """Record one outcome against its plan and return the report_plan_outcome response.

    ``completed`` commits ``seller_response.committed_budget`` (else the sum of its packages);
    ``delivery`` commits ``delivery.spend``; ``failed`` commits nothing.

    Raises:
        AdcpError: INVALID_REQUEST for a missing ``plan_id`` or ``governance_context`` or a malformed
            member, VALIDATION_ERROR for an unknown ``outcome`` or ``purchase_type``,
            REFERENCE_NOT_FOUND (field ``plan_id``) when the plan is unknown.
    """
    plan_id = args.get("plan_id")
    if not isinstance(plan_id, str) or not plan_id:
        raise invalid("plan_id", "plan_id is required")
    outcome = args.get("outcome")
    if outcome not in OUTCOME_TYPES:
        raise AdcpError("VALIDATION_ERROR", "outcome must be completed, failed or delivery", field="outcome")
    governance_context = parse_governance_context(args.get("governance_context"))
    if governance_context is None:
        raise invalid("governance_context", "governance_context (from the authorizing check) is required")
    purchase_type = parse_purchase_type(args.get("purchase_type"))
    check_id = args.get("check_id")
    if check_id is not None and not isinstance(check_id, str):
        raise invalid("check_id", "check_id must be a string")
    seller_response = _optional_object(args, "seller_response")
    delivery = _optional_object(args, "delivery")
    _optional_object(args, "error")
    plan = plans.get(plan_id)
    if not isinstance(plan, MutableMapping):
        raise AdcpError("REFERENCE_NOT_FOUND", f"Plan not found: {plan_id}", field="plan_id")

    committed = 0.0
    if outcome == "completed" and seller_response is not None:
        committed = _committed_from(seller_response)
    elif outcome == "delivery" and delivery is not None:
        committed = _number(delivery.get("spend")) or 0.0
    plan["committed_budget"] = (_number(plan.get("committed_budget")) or 0.0) + committed
    by_type = plan.setdefault("committed_by_type", {})
    by_type[purchase_type] = (_number(by_type.get(purchase_type)) or 0.0) + committed
    total = _number(plan.get("budget", {}).get("total")) or 0.0
    findings = []
    if outcome == "completed" and plan["committed_budget"] > total:
        findings.append(
            {
                "category_id": "budget_authority",
                "severity": "warning",
                "explanation": f"Total committed {_round(plan['committed_budget'])} now exceeds the authorized "
                f"{_round(total)}.",
            }
        )
    seller_reference = seller_response.get("seller_reference") if seller_response else None
    outcome_id = f"out_{uuid.uuid4().hex[:8]}"
    while len(outcomes) >= MAX_OUTCOMES_PER_SESSION:
        del outcomes[next(iter(outcomes))]
    outcomes[outcome_id] = {
        "outcome_id": outcome_id,
        "plan_id": plan_id,
        "check_id": check_id,
        "governance_context": governance_context,
        "purchase_type": purchase_type,
        "outcome": outcome,
        "seller_reference": str(seller_reference)[:MAX_SELLER_REFERENCE] if seller_reference is not None else None,
        "committed_budget": committed,
        "findings": findings,
        "created_at": iso(now),
    }
    reply: dict[str, Any] = {"outcome_id": outcome_id, "status": "findings" if findings else "accepted"}
    if committed > 0:
        reply["committed_budget"] = _round(committed)
    if findings:
        reply["findings"] = findings
    if outcome in ("completed", "failed"):
        reply["plan_summary"] = {
            "total_committed": _round(plan["committed_budget"]),
            "budget_remaining": _round(total - plan["committed_budget"]),
        }
    return reply


def _string_list(args: Mapping[str, Any], name: str) -> list[str]:
    value = args.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise invalid(name, f"{name} must be an array of non-empty strings")
    return list(value)


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 3) if whole else 0.0


def _plan_log(
    plan: Mapping[str, Any], checks: Sequence[Mapping[str, Any]], outcomes: Sequence[Mapping[str, Any]], entries: bool
) -> dict[str, Any]:
    total = _number(plan.get("budget", {}).get("total")) or 0.0
    committed = _number(plan.get("committed_budget")) or 0.0
    actions: dict[str, dict[str, Any]] = {}

    def action(record: Mapping[str, Any]) -> dict[str, Any] | None:
        context = record.get("governance_context")
        if not context:
            return None
        return actions.setdefault(
            context,
            {
                "governance_context": context,
                "purchase_type": record.get("purchase_type") or "media_buy",
                "status": "active",
                "committed": 0,
                "check_count": 0,
            },
        )

    for check in checks:
        checked = action(check)
        if checked is not None:
            checked["check_count"] += 1
    for outcome in outcomes:
        reported = action(outcome)
        if reported is None:
            continue
        reported["committed"] = _round(reported["committed"] + outcome["committed_budget"])
        if outcome.get("seller_reference"):
            reported["seller_reference"] = outcome["seller_reference"]
    statuses = {"approved": 0, "denied": 0, "conditions": 0, "human_reviewed": 0}
    escalations = []
    for check in checks:
        statuses[check["status"]] += 1
        review = next((f for f in check["findings"] if f["category_id"] == "human_review"), None)
        if review is not None:
            statuses["human_reviewed"] += 1
            escalations.append({"check_id": check["check_id"], "reason": review["explanation"]})
    findings = [f for record in [*checks, *outcomes] for f in record.get("findings") or ()]
    confidences = [f["confidence"] for f in findings if "confidence" in f]
    drift: dict[str, Any] = {
        "escalation_rate": _ratio(statuses["human_reviewed"], len(checks)),
        "escalation_rate_trend": "stable",
        "auto_approval_rate": _ratio(statuses["approved"], len(checks)),
        "human_override_rate": 0,
    }
    if confidences:
        drift["mean_confidence"] = round(sum(confidences) / len(confidences), 3)
    log: dict[str, Any] = {
        "plan_id": plan["plan_id"],
        "plan_version": plan.get("version", 1),
        "status": plan.get("status", "active"),
        "budget": {
            "authorized": _round(total),
            "committed": _round(committed),
            "remaining": _round(total - committed),
            "utilization_pct": round(committed / total * 100, 2) if total > 0 else 0,
        },
        "channel_allocation": {},
        "governed_actions": list(actions.values()),
        "summary": {
            "checks_performed": len(checks),
            "outcomes_reported": len(outcomes),
            "statuses": statuses,
            "findings_count": len(findings),
            "escalations": escalations,
            "drift_metrics": drift,
        },
    }
    if entries:
        log["entries"] = _entries(checks, outcomes)
    return log


def _entries(checks: Sequence[Mapping[str, Any]], outcomes: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for check in checks:
        row = {
            "id": check["check_id"],
            "type": "check",
            "timestamp": check["created_at"],
            "plan_id": check["plan_id"],
            "caller": check["caller"],
            "status": check["status"],
            "check_type": "execution" if check.get("binding") == "committed" else "intent",
            "mode": check["mode"],
            "explanation": check["explanation"],
            "policies_evaluated": list(check["policies_evaluated"]),
            "categories_evaluated": list(check["categories_evaluated"]),
            "findings": list(check["findings"]),
            "purchase_type": check.get("purchase_type") or "media_buy",
        }
        if check.get("tool"):
            row["tool"] = check["tool"]
        if check.get("governance_context"):
            row["governance_context"] = check["governance_context"]
        rows.append(row)
    for outcome in outcomes:
        rows.append(
            {
                "id": outcome["outcome_id"],
                "type": "outcome",
                "timestamp": outcome["created_at"],
                "plan_id": outcome["plan_id"],
                "outcome": outcome["outcome"],
                "committed_budget": _round(outcome["committed_budget"]),
                "purchase_type": outcome["purchase_type"],
                "governance_context": outcome["governance_context"],
                "outcome_status": "findings" if outcome.get("findings") else "accepted",
            }
        )
    # Stable: same-instant records (a frozen clock) keep checks before outcomes, each in order.
    rows.sort(key=lambda row: row["timestamp"])
    return rows


def audit_logs(
    plans: Mapping[str, Any], checks: Mapping[str, Any], outcomes: Mapping[str, Any], args: Mapping[str, Any]
) -> dict[str, Any]:
    """Return the get_plan_audit_logs response over the session's plans, checks and outcomes.

    Plans come from ``plan_ids`` (alias ``plan_id``) and ``portfolio_plan_ids``, or else from the
    checks carrying one of ``governance_contexts``; unknown plan ids are left out.

    Raises:
        AdcpError: VALIDATION_ERROR when none of plan_ids, portfolio_plan_ids and governance_contexts
            is given or a purchase type is unknown; INVALID_REQUEST for a malformed list.
    """
    plan_ids = _string_list(args, "plan_ids") + _string_list(args, "portfolio_plan_ids")
    if isinstance(args.get("plan_id"), str):
        plan_ids.append(args["plan_id"])
    contexts = _string_list(args, "governance_contexts")
    if not plan_ids and not contexts:
        raise AdcpError(
            "VALIDATION_ERROR", "plan_ids, portfolio_plan_ids or governance_contexts is required", field="plan_ids"
        )
    purchase_types = [
        parse_purchase_type(value, f"purchase_types[{i}]")
        for i, value in enumerate(_string_list(args, "purchase_types"))
    ]
    include_entries = args.get("include_entries", False)
    if not isinstance(include_entries, bool):
        raise invalid("include_entries", "include_entries must be a boolean")
    if contexts and not plan_ids:
        plan_ids = [c["plan_id"] for c in checks.values() if c.get("governance_context") in contexts]

    def selected(record: Mapping[str, Any], plan_id: str) -> bool:
        return (
            record["plan_id"] == plan_id
            and (not contexts or record.get("governance_context") in contexts)
            and (not purchase_types or (record.get("purchase_type") or "media_buy") in purchase_types)
        )

    logs = []
    for plan_id in dict.fromkeys(plan_ids):
        plan = plans.get(plan_id)
        if not isinstance(plan, Mapping):
            continue
        plan_checks = [c for c in checks.values() if selected(c, plan_id)]
        plan_outcomes = [o for o in outcomes.values() if selected(o, plan_id)]
        logs.append(_plan_log(plan, plan_checks, plan_outcomes, include_entries))
    return {"plans": logs}
