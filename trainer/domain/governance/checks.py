"""check_governance: parse the request, run the rule engine, store and shape the check.

Every check is stored (``session.collection(CHECKS)``, see ``gate``), denied ones included: the
spend gate reads the latest check of a ``governance_context``, and the audit log counts them all.
A check against an unknown plan is stored too, denied with a ``plan_lookup`` finding.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, MutableMapping
from datetime import datetime, timedelta
from typing import Any, Final

import attrs

from trainer.adcp.errors import AdcpError, invalid
from trainer.clock import iso
from trainer.domain.governance.plans import PURCHASE_TYPES
from trainer.domain.governance.rules import BINDINGS, PHASES, CheckRequest, Finding, evaluate

APPROVAL_TTL: Final = timedelta(hours=1)
NEXT_DELIVERY_CHECK: Final = timedelta(hours=24)
MAX_CHECKS_PER_SESSION: Final = 1000
MAX_CONTEXT_LENGTH: Final = 4096
_PRINTABLE: Final = re.compile(r"^[\x20-\x7E]+$")


@attrs.frozen
class ParsedCheck:
    """A check_governance request, parsed.

    Attributes:
        plan_id: the plan to check against.
        request: what the rule engine evaluates.
        governance_context: the lifecycle token the buyer sent, if any.
        tool: the AdCP tool an intent check is about.
    """

    plan_id: str
    request: CheckRequest
    governance_context: str | None
    tool: str | None


def parse_governance_context(value: object, field: str = "governance_context") -> str | None:
    """Return a well-formed governance_context or ``None`` when absent.

    Raises:
        AdcpError: INVALID_REQUEST when it is not 1-4096 printable ASCII characters.
    """
    if value is None:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= MAX_CONTEXT_LENGTH or not _PRINTABLE.match(value):
        raise invalid(field, f"{field} must be 1 to {MAX_CONTEXT_LENGTH} printable ASCII characters")
    return value


def parse_purchase_type(value: object, field: str = "purchase_type") -> str:
    """Return the purchase type, ``media_buy`` when absent.

    Raises:
        AdcpError: VALIDATION_ERROR when it is not one of the four purchase types.
    """
    if value is None:
        return "media_buy"
    if value not in PURCHASE_TYPES:
        raise AdcpError(
            "VALIDATION_ERROR", f"Invalid {field}: {value}. Must be one of: {', '.join(PURCHASE_TYPES)}", field=field
        )
    return str(value)


def _object(args: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    value = args.get(name)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise invalid(name, f"{name} must be an object")
    return value


def parse_check(args: Mapping[str, Any]) -> ParsedCheck:
    """Parse a check_governance request.

    The binding is inferred when absent: a governance_context with planned_delivery is an
    execution check (``committed``), anything else an intent check (``proposed``).

    Raises:
        AdcpError: INVALID_REQUEST for a missing ``plan_id``/``caller`` or a malformed member,
            VALIDATION_ERROR for an unknown ``purchase_type``, ``phase`` or ``binding``.
    """
    plan_id = args.get("plan_id")
    if not isinstance(plan_id, str) or not plan_id:
        raise invalid("plan_id", "plan_id is required")
    caller = args.get("caller")
    if not isinstance(caller, str) or not caller:
        raise invalid("caller", "caller (the URL of the agent asking) is required")
    purchase_type = parse_purchase_type(args.get("purchase_type"))
    phase_field = "phase" if "phase" in args else "governance_phase"
    phase = args.get(phase_field) or "purchase"
    if phase not in PHASES:
        raise AdcpError(
            "VALIDATION_ERROR", f"{phase_field} must be purchase, modification or delivery", field=phase_field
        )
    governance_context = parse_governance_context(args.get("governance_context"))
    planned_delivery = _object(args, "planned_delivery")
    binding = args.get("binding")
    if binding is None:
        binding = "committed" if governance_context and planned_delivery is not None else "proposed"
    if binding not in BINDINGS:
        raise AdcpError("VALIDATION_ERROR", "binding must be proposed or committed", field="binding")
    tool = args.get("tool")
    if tool is not None and not isinstance(tool, str):
        raise invalid("tool", "tool must be a tool name")
    return ParsedCheck(
        plan_id=plan_id,
        request=CheckRequest(
            caller=caller,
            purchase_type=purchase_type,
            binding=str(binding),
            phase=str(phase),
            payload=_object(args, "payload"),
            planned_delivery=planned_delivery,
            delivery_metrics=_object(args, "delivery_metrics"),
        ),
        governance_context=governance_context,
        tool=tool,
    )


def _policies(plan: Mapping[str, Any]) -> list[str]:
    ids = [p for p in plan.get("policy_ids") or () if isinstance(p, str)]
    ids += [
        p["policy_id"]
        for p in plan.get("custom_policies") or ()
        if isinstance(p, Mapping) and isinstance(p.get("policy_id"), str)
    ]
    return list(dict.fromkeys(ids))


def _store(checks: MutableMapping[str, Any], check: dict[str, Any]) -> None:
    while len(checks) >= MAX_CHECKS_PER_SESSION:
        # Oldest first: the gate and the audit log care about recent checks.
        del checks[next(iter(checks))]
    checks[check["check_id"]] = check


def run_check(
    plans: Mapping[str, Any], checks: MutableMapping[str, Any], parsed: ParsedCheck, now: datetime
) -> dict[str, Any]:
    """Evaluate and store one check; return the stored check (wire fields plus bookkeeping)."""
    check_id = f"chk_{uuid.uuid4().hex[:8]}"
    request = parsed.request
    base = {
        "check_id": check_id,
        "plan_id": parsed.plan_id,
        "binding": request.binding,
        "caller": request.caller,
        "tool": parsed.tool,
        "purchase_type": request.purchase_type,
        "phase": request.phase,
        "created_at": iso(now),
    }
    plan = plans.get(parsed.plan_id)
    if not isinstance(plan, Mapping):
        finding = Finding("plan_lookup", "critical", f"Plan not found: {parsed.plan_id}")
        check = {
            **base,
            "status": "denied",
            "explanation": f"Plan not found: {parsed.plan_id}. Call sync_plans first.",
            "mode": "enforce",
            "categories_evaluated": ["plan_lookup"],
            "policies_evaluated": [],
            "findings": [finding.wire()],
            "conditions": [],
            "governance_context": parsed.governance_context,
            "human_review": False,
        }
        _store(checks, check)
        return check
    verdict = evaluate(plan, request, now)
    authorizing = verdict.status in ("approved", "conditions")
    check = {
        **base,
        "status": verdict.status,
        "explanation": verdict.explanation,
        "mode": plan.get("mode") or "enforce",
        "categories_evaluated": list(verdict.categories_evaluated),
        "policies_evaluated": _policies(plan),
        "findings": [finding.wire() for finding in verdict.findings],
        "conditions": [condition.wire() for condition in verdict.conditions],
        # An approval opens (or continues) a governed action; the buyer passes this to the seller.
        "governance_context": (parsed.governance_context or str(uuid.uuid4()))
        if authorizing
        else parsed.governance_context,
        "expires_at": iso(now + APPROVAL_TTL) if authorizing else None,
        "next_check": iso(now + NEXT_DELIVERY_CHECK)
        if request.phase == "delivery" and verdict.status == "approved"
        else None,
        "human_review": verdict.human_review,
    }
    _store(checks, check)
    return check


def check_response(check: Mapping[str, Any]) -> dict[str, Any]:
    """Return the check_governance response payload of a stored check."""
    reply: dict[str, Any] = {
        "check_id": check["check_id"],
        "status": check["status"],
        "plan_id": check["plan_id"],
        "explanation": check["explanation"],
        "mode": check["mode"],
        "categories_evaluated": list(check["categories_evaluated"]),
        "policies_evaluated": list(check["policies_evaluated"]),
    }
    if check["findings"]:
        reply["findings"] = list(check["findings"])
    if check["conditions"]:
        reply["conditions"] = list(check["conditions"])
    for optional in ("expires_at", "next_check", "governance_context"):
        if check.get(optional):
            reply[optional] = check[optional]
    return reply
