"""sync_plans: validate governance plans, then store them versioned (reference section 2.5).

A stored plan (``session.collection(PLANS)[plan_id]``, see ``gate``) is the plan as synced plus
the governance agent's own bookkeeping: ``version``, ``status``, ``synced_at``, the effective
``human_review_required`` and the ``human_review_triggers`` that forced it, ``committed_budget``,
``committed_by_type`` and a ``revision_history`` of earlier versions.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, MutableMapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Final

from trainer.adcp.errors import AdcpError
from trainer.clock import iso, parse_instant

PURCHASE_TYPES: Final = ("media_buy", "rights_license", "signal_activation", "creative_services")
MODES: Final = frozenset({"enforce", "advisory", "audit"})
ENFORCEMENTS: Final = frozenset({"must", "should", "may"})
AUTHORITIES: Final = frozenset({"full", "execute_only", "propose_only"})
# The categories every plan is evaluated under; sync_plans reports them all active.
CATEGORIES: Final = (
    "budget_authority",
    "geo_compliance",
    "channel_compliance",
    "flight_compliance",
    "delegation_authority",
    "seller_compliance",
    "seller_concentration",
    "delivery_pacing",
)
# GDPR Art 22 / EU AI Act Annex III: these force human review whatever the buyer says.
HUMAN_REVIEW_CATEGORIES: Final = frozenset(
    {"fair_housing", "fair_lending", "fair_employment", "pharmaceutical_advertising"}
)
HUMAN_REVIEW_POLICY_IDS: Final = frozenset({"eu_ai_act_annex_iii"})
MAX_OBJECTIVES: Final = 2000
MAX_POLICY_TEXT: Final = 5000
MAX_POLICY_DESCRIPTION: Final = 500
MIN_OVERRIDE_REASON: Final = 20
OVERRIDE_MAX_AGE: Final = timedelta(hours=24)
# Clock skew tolerated on a human_override approved "in the future".
OVERRIDE_SKEW: Final = timedelta(minutes=1)
MAX_PLANS_PER_SESSION: Final = 1000
_EMAIL: Final = re.compile(r"^[^\s@]+@[^\s@]+\.[^\s@]+$")


def _fail(field: str, message: str) -> AdcpError:
    return AdcpError("VALIDATION_ERROR", message, field=field)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _string_list(plan: Mapping[str, Any], name: str, field: str) -> list[str]:
    value = plan.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _fail(f"{field}.{name}", f"{field}.{name} must be an array of strings")
    return list(value)


def _instant(value: object, field: str) -> datetime:
    if not isinstance(value, str):
        raise _fail(field, f"{field} must be an ISO 8601 date-time")
    try:
        return parse_instant(value)
    except ValueError:
        raise _fail(field, f"{field} must be an ISO 8601 date-time") from None


def human_review_triggers(plan: Mapping[str, Any]) -> list[str]:
    """Return why a plan must be human-reviewed: regulated categories, policies, custom policies."""
    triggers = [f"policy_category:{c}" for c in plan.get("policy_categories") or () if c in HUMAN_REVIEW_CATEGORIES]
    triggers += [f"policy_id:{p}" for p in plan.get("policy_ids") or () if p in HUMAN_REVIEW_POLICY_IDS]
    for policy in plan.get("custom_policies") or ():
        if isinstance(policy, Mapping) and policy.get("requires_human_review") is True:
            triggers.append(f"custom_policy:{policy.get('policy_id') or 'unnamed'}")
    return triggers


def _validate_budget(budget: object, field: str) -> None:
    if not isinstance(budget, Mapping):
        raise _fail(field, f"{field} must be an object with total and currency")
    if not _is_number(budget.get("total")) or budget["total"] < 0:
        raise _fail(f"{field}.total", f"{field}.total must be a non-negative number")
    if not isinstance(budget.get("currency"), str) or not budget["currency"]:
        raise _fail(f"{field}.currency", f"{field}.currency must be a currency code")
    threshold = budget.get("reallocation_threshold")
    unlimited = budget.get("reallocation_unlimited") is True
    if (threshold is not None) == unlimited:
        raise _fail(
            f"{field}.reallocation_threshold",
            f"{field} must specify exactly one of reallocation_threshold (>= 0) or reallocation_unlimited (true)",
        )
    if threshold is not None and (not _is_number(threshold) or threshold < 0):
        raise _fail(f"{field}.reallocation_threshold", f"{field}.reallocation_threshold must be a number >= 0")
    per_seller = budget.get("per_seller_max_pct")
    if per_seller is not None and (not _is_number(per_seller) or not 0 <= per_seller <= 100):
        raise _fail(f"{field}.per_seller_max_pct", f"{field}.per_seller_max_pct must be a percentage")
    allocations = budget.get("allocations")
    if allocations is None:
        return
    if not isinstance(allocations, Mapping):
        raise _fail(f"{field}.allocations", f"{field}.allocations must be an object keyed by purchase type")
    for key, allocation in allocations.items():
        if key not in PURCHASE_TYPES:
            raise _fail(
                f"{field}.allocations.{key}",
                f"{field}.allocations has invalid key {key!r}; use one of {', '.join(PURCHASE_TYPES)}",
            )
        if not isinstance(allocation, Mapping):
            raise _fail(f"{field}.allocations.{key}", f"{field}.allocations.{key} must be an object")
        for member in ("amount", "max_pct"):
            value = allocation.get(member)
            if value is not None and (not _is_number(value) or value < 0):
                raise _fail(f"{field}.allocations.{key}.{member}", f"{field}.allocations.{key}.{member} must be >= 0")


def _validate_policies(plan: Mapping[str, Any], field: str) -> None:
    policies = plan.get("custom_policies")
    if policies is None:
        return
    if not isinstance(policies, list):
        raise _fail(f"{field}.custom_policies", f"{field}.custom_policies must be an array of policy objects")
    for index, policy in enumerate(policies):
        at = f"{field}.custom_policies[{index}]"
        if not isinstance(policy, Mapping):
            raise _fail(at, f"{at} must be an object per the policy-entry schema; the string form is deprecated")
        text = policy.get("policy")
        if not isinstance(text, str) or not text:
            raise _fail(f"{at}.policy", f"{at} requires a policy string")
        if len(text) > MAX_POLICY_TEXT:
            raise _fail(f"{at}.policy", f"{at}.policy exceeds {MAX_POLICY_TEXT} characters")
        description = policy.get("description")
        if description is not None and (not isinstance(description, str) or len(description) > MAX_POLICY_DESCRIPTION):
            raise _fail(f"{at}.description", f"{at}.description must be a string of at most {MAX_POLICY_DESCRIPTION}")
        enforcement = policy.get("enforcement")
        if enforcement is not None and enforcement not in ENFORCEMENTS:
            raise _fail(f"{at}.enforcement", f"{at}.enforcement must be must, should or may")


def _validate_delegations(plan: Mapping[str, Any], field: str) -> None:
    delegations = plan.get("delegations")
    if delegations is None:
        return
    if not isinstance(delegations, list):
        raise _fail(f"{field}.delegations", f"{field}.delegations must be an array")
    for index, delegation in enumerate(delegations):
        at = f"{field}.delegations[{index}]"
        if not isinstance(delegation, Mapping) or not isinstance(delegation.get("agent_url"), str):
            raise _fail(f"{at}.agent_url", f"{at} requires agent_url")
        if delegation.get("authority") not in AUTHORITIES:
            raise _fail(f"{at}.authority", f"{at}.authority must be full, execute_only or propose_only")
        limit = delegation.get("budget_limit")
        if limit is not None and (not isinstance(limit, Mapping) or not _is_number(limit.get("amount"))):
            raise _fail(f"{at}.budget_limit", f"{at}.budget_limit must be {{amount, currency}}")
        if delegation.get("expires_at") is not None:
            _instant(delegation["expires_at"], f"{at}.expires_at")


def _validate_override(plan: Mapping[str, Any], field: str, now: datetime) -> None:
    override = plan.get("human_override")
    at = f"{field}.human_override"
    if not isinstance(override, Mapping):
        raise _fail(at, f"plan {plan['plan_id']} had human_review_required=true; downgrading requires human_override")
    reason = override.get("reason")
    if not isinstance(reason, str) or len(reason) < MIN_OVERRIDE_REASON:
        raise _fail(f"{at}.reason", f"{at}.reason must explain the downgrade in {MIN_OVERRIDE_REASON}+ characters")
    approver = override.get("approver")
    if not isinstance(approver, str) or not _EMAIL.match(approver):
        raise _fail(f"{at}.approver", f"{at}.approver must be the approver's email address")
    if override.get("approved_at") is not None:
        approved_at = _instant(override["approved_at"], f"{at}.approved_at")
        if now - approved_at > OVERRIDE_MAX_AGE:
            raise _fail(f"{at}.approved_at", f"{at}.approved_at is older than 24 hours; a fresh approval is required")
        if approved_at - now > OVERRIDE_SKEW:
            raise _fail(f"{at}.approved_at", f"{at}.approved_at is in the future")


def validate_plan(plan: object, index: int, existing: Mapping[str, Any] | None, now: datetime) -> None:
    """Check one ``plans[index]`` entry against the sync_plans rules.

    Raises:
        AdcpError: VALIDATION_ERROR naming the field (``plans[0].budget.reallocation_threshold``).
    """
    field = f"plans[{index}]"
    if not isinstance(plan, Mapping):
        raise _fail(field, f"{field} must be a plan object")
    for required in ("plan_id", "brand", "objectives", "budget", "flight"):
        if not plan.get(required):
            raise _fail(f"{field}.{required}", f"{field} requires plan_id, brand, objectives, budget and flight")
    if not isinstance(plan["plan_id"], str):
        raise _fail(f"{field}.plan_id", f"{field}.plan_id must be a string")
    if not isinstance(plan["brand"], Mapping):
        raise _fail(f"{field}.brand", f"{field}.brand must be a brand reference object")
    objectives = plan["objectives"]
    if not isinstance(objectives, str) or len(objectives) > MAX_OBJECTIVES:
        raise _fail(f"{field}.objectives", f"{field}.objectives must be text of at most {MAX_OBJECTIVES} characters")
    _validate_budget(plan["budget"], f"{field}.budget")
    flight = plan["flight"]
    if not isinstance(flight, Mapping):
        raise _fail(f"{field}.flight", f"{field}.flight must be {{start, end}}")
    start = _instant(flight.get("start"), f"{field}.flight.start")
    if _instant(flight.get("end"), f"{field}.flight.end") < start:
        raise _fail(f"{field}.flight.end", f"{field}.flight.end must not be before flight.start")
    for name in ("countries", "regions", "policy_ids", "policy_categories"):
        _string_list(plan, name, field)
    channels = plan.get("channels")
    if channels is not None and not isinstance(channels, Mapping):
        raise _fail(f"{field}.channels", f"{field}.channels must be {{required?, allowed?, mix_targets?}}")
    sellers = plan.get("approved_sellers")
    if sellers is not None and (not isinstance(sellers, list) or not all(isinstance(s, str) for s in sellers)):
        raise _fail(f"{field}.approved_sellers", f"{field}.approved_sellers must be null or an array of URLs")
    if plan.get("mode") is not None and plan["mode"] not in MODES:
        raise _fail(f"{field}.mode", f"{field}.mode must be enforce, advisory or audit")
    _validate_policies(plan, field)
    _validate_delegations(plan, field)
    flag = plan.get("human_review_required")
    if flag is not None and not isinstance(flag, bool):
        raise _fail(f"{field}.human_review_required", f"{field}.human_review_required must be a boolean")
    triggers = human_review_triggers(plan)
    if flag is False and triggers:
        raise _fail(
            f"{field}.human_review_required",
            f"plan {plan['plan_id']} declares {', '.join(triggers)}, which require human_review_required=true",
        )
    if existing is not None and existing.get("human_review_required") and not (flag or triggers):
        _validate_override(plan, field, now)


def stored_plan(plan: Mapping[str, Any], existing: Mapping[str, Any] | None, now: datetime) -> dict[str, Any]:
    """Return the stored form of a validated plan, one version after ``existing``."""
    triggers = human_review_triggers(plan)
    stored = copy.deepcopy(dict(plan))
    stored["version"] = int(existing["version"]) + 1 if existing else 1
    stored["status"] = "active"
    stored["synced_at"] = iso(now)
    stored["mode"] = plan.get("mode") or "enforce"
    stored["human_review_required"] = plan.get("human_review_required") is True or bool(triggers)
    # Re-syncs keep earlier triggers: the audit trail must still say why review was forced.
    earlier = (existing or {}).get("human_review_triggers", ())
    stored["human_review_triggers"] = list(dict.fromkeys([*earlier, *triggers]))
    override = plan.get("human_override")
    if isinstance(override, Mapping):
        stored["human_override"] = {**override, "approved_at": override.get("approved_at") or iso(now)}
    elif existing is not None and "human_override" in existing:
        stored["human_override"] = existing["human_override"]
    stored["committed_budget"] = existing.get("committed_budget", 0) if existing else 0
    stored["committed_by_type"] = dict(existing.get("committed_by_type", {})) if existing else {}
    history = list(existing.get("revision_history", ())) if existing else []
    if existing is not None:
        history.append(
            {
                "version": existing["version"],
                "synced_at": existing.get("synced_at"),
                "human_review_required": existing.get("human_review_required"),
                "mode": existing.get("mode"),
            }
        )
    stored["revision_history"] = history
    return stored


def sync_plans(plans_store: MutableMapping[str, Any], plans: object, now: datetime) -> dict[str, Any]:
    """Validate every plan, then upsert them all; return the sync_plans response payload.

    Validation runs over the whole batch before anything is stored, so a bad plan leaves the
    session untouched.

    Raises:
        AdcpError: VALIDATION_ERROR naming the field; LIMIT_EXCEEDED past 1000 plans per session.
    """
    if not isinstance(plans, list) or not plans:
        raise _fail("plans", "plans must be a non-empty array")
    batch: Sequence[Any] = plans
    for index, plan in enumerate(batch):
        existing = plans_store.get(plan["plan_id"]) if isinstance(plan, Mapping) and "plan_id" in plan else None
        validate_plan(plan, index, existing if isinstance(existing, Mapping) else None, now)
    new_ids = {plan["plan_id"] for plan in batch} - set(plans_store)
    if len(plans_store) + len(new_ids) > MAX_PLANS_PER_SESSION:
        raise AdcpError("LIMIT_EXCEEDED", f"A session holds at most {MAX_PLANS_PER_SESSION} plans.", field="plans")
    results = []
    for plan in batch:
        stored = stored_plan(plan, plans_store.get(plan["plan_id"]), now)
        plans_store[plan["plan_id"]] = stored
        results.append(
            {
                "plan_id": plan["plan_id"],
                "status": "active",
                "version": stored["version"],
                "categories": [{"category_id": category, "status": "active"} for category in CATEGORIES],
            }
        )
    return {"plans": results}
