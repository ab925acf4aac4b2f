"""The check_governance rule engine: a pure function from plan, request and clock to a verdict.

``evaluate`` runs the rules in the reference's order (section 2.5): data-subject contestation
and the Annex III industry advisory, delegation and seller authority, then for an intent check
(``binding: proposed``) the payload's budget, seller concentration, per-purchase-type
allocations, geography, channels and mix, flight and custom policies; for an execution check
(``committed``) the planned delivery; in the delivery phase the delivery metrics. Any critical
finding denies, any condition conditions, else the check approves; the plan's ``mode`` then
softens the status unless the plan requires human review.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

import attrs

from trainer.clock import parse_instant

PHASES: Final = frozenset({"purchase", "modification", "delivery"})
BINDINGS: Final = frozenset({"proposed", "committed"})
ANNEX_III_INDUSTRIES: Final = frozenset(
    {
        "consumer_finance",
        "banking",
        "mortgage",
        "credit",
        "life_insurance",
        "health_insurance",
        "insurance",
        "recruitment",
        "staffing",
        "real_estate",
        "property_management",
        "housing",
    }
)
SPEND_CRITICAL_PCT: Final = 95.0
SPEND_WARNING_PCT: Final = 80.0
UNAUTHORIZED_GEO_PCT: Final = 1.0
CHANNEL_CONCENTRATION_PCT: Final = 60.0


@attrs.frozen
class Finding:
    """One thing a check found.

    Attributes:
        category_id: the governance category (``budget_authority``, ``geo_compliance``, ...).
        severity: ``critical`` (denies), ``warning`` or ``info``.
        explanation: one sentence for a person.
        policy_id: the custom or registry policy behind it, if any.
        confidence: how sure a heuristic finding is, in [0, 1].
    """

    category_id: str
    severity: str
    explanation: str
    policy_id: str | None = None
    confidence: float | None = None

    def wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "category_id": self.category_id,
            "severity": self.severity,
            "explanation": self.explanation,
        }
        if self.policy_id is not None:
            out["policy_id"] = self.policy_id
        if self.confidence is not None:
            out["confidence"] = self.confidence
        return out


@attrs.frozen
class Condition:
    """A change the buyer must make for the action to be approved.

    Attributes:
        field: the payload field to change (``total_budget.amount``) or ``campaign``.
        reason: why.
        required_value: the value that would satisfy the rule, when there is one.
    """

    field: str
    reason: str
    required_value: float | None = None

    def wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {"field": self.field}
        if self.required_value is not None:
            out["required_value"] = self.required_value
        out["reason"] = self.reason
        return out


@attrs.frozen
class CheckRequest:
    """What a check_governance call asks about.

    Attributes:
        caller: the URL of the agent asking (matched against delegations and approved sellers).
        purchase_type: ``media_buy``, ``rights_license``, ``signal_activation`` or ``creative_services``.
        binding: ``proposed`` (intent check over ``payload``) or ``committed`` (execution check).
        phase: ``purchase``, ``modification`` or ``delivery``.
        payload: the tool arguments of an intent check.
        planned_delivery: what the seller will deliver, on an execution check.
        delivery_metrics: what has been delivered, in the delivery phase.
    """

    caller: str
    purchase_type: str = "media_buy"
    binding: str = "proposed"
    phase: str = "purchase"
    payload: Mapping[str, Any] | None = None
    planned_delivery: Mapping[str, Any] | None = None
    delivery_metrics: Mapping[str, Any] | None = None


@attrs.frozen
class Verdict:
    """The outcome of evaluating one request against one plan.

    Attributes:
        status: ``approved``, ``conditions`` or ``denied``, after the mode is applied.
        findings: what the rules found, in rule order.
        conditions: what must change, in rule order.
        categories_evaluated: the categories the rules looked at, first appearance order.
        human_review: whether a person must approve (a critical ``human_review`` finding is among the findings).
        explanation: one paragraph for a person.
    """

    status: str
    findings: tuple[Finding, ...]
    conditions: tuple[Condition, ...]
    categories_evaluated: tuple[str, ...]
    human_review: bool
    explanation: str


@attrs.frozen
class PayloadFacts:
    """What an intent payload says about money, places, channels and dates."""

    budget: float | None = None
    budget_field: str = "budget.total"
    countries: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    start: str | None = None
    end: str | None = None


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _strings(value: object) -> tuple[str, ...]:
    return tuple(item for item in value if isinstance(item, str)) if isinstance(value, list) else ()


def _member(value: object, name: str) -> Any:
    return value.get(name) if isinstance(value, Mapping) else None


def _budget(payload: Mapping[str, Any]) -> tuple[float | None, str]:
    total_budget = payload.get("total_budget")
    if _number(total_budget) is not None:
        return _number(total_budget), "total_budget"
    if _number(_member(total_budget, "amount")) is not None:
        return _number(_member(total_budget, "amount")), "total_budget.amount"
    budget = payload.get("budget")
    if _number(budget) is not None:
        return _number(budget), "budget"
    if _number(_member(budget, "total")) is not None:
        return _number(_member(budget, "total")), "budget.total"
    packages = payload.get("packages")
    if isinstance(packages, list) and packages:
        total = sum(_number(_member(pkg, "budget")) or 0.0 for pkg in packages)
        return total, "packages[0].budget"
    return None, "budget.total"


def payload_facts(payload: Mapping[str, Any]) -> PayloadFacts:
    """Extract budget, countries, channels and flight from an intent payload, wherever it keeps them.

    Budget: ``total_budget`` (number or ``.amount``), ``budget`` (number or ``.total``), else the
    sum of package budgets. Countries: ``geo.countries``, ``targeting.countries``, ``countries``,
    ``campaign.countries``. Channels: ``channels``, ``channel``, package ``channels``. Flight:
    ``flight {start|start_time, end|end_time}``, ``campaign {start_date, end_date}``, else
    ``start_time``/``end_time``.
    """
    budget, budget_field = _budget(payload)
    countries = (
        _strings(_member(payload.get("geo"), "countries"))
        or _strings(_member(payload.get("targeting"), "countries"))
        or _strings(payload.get("countries"))
        or _strings(_member(payload.get("campaign"), "countries"))
    )
    channels = _strings(payload.get("channels"))
    if not channels and isinstance(payload.get("channel"), str):
        channels = (payload["channel"],)
    if not channels and isinstance(payload.get("packages"), list):
        channels = tuple(dict.fromkeys(c for pkg in payload["packages"] for c in _strings(_member(pkg, "channels"))))
    flight, campaign = payload.get("flight"), payload.get("campaign")
    if isinstance(flight, Mapping):
        start, end = flight.get("start") or flight.get("start_time"), flight.get("end") or flight.get("end_time")
    elif isinstance(campaign, Mapping) and (campaign.get("start_date") or campaign.get("end_date")):
        start, end = campaign.get("start_date"), campaign.get("end_date")
    else:
        start, end = payload.get("start_time"), payload.get("end_time")
    return PayloadFacts(
        budget=budget,
        budget_field=budget_field,
        countries=countries,
        channels=channels,
        start=start if isinstance(start, str) else None,
        end=end if isinstance(end, str) else None,
    )


def _instant(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return parse_instant(text)
    except ValueError:
        return None


def _money(amount: float) -> str:
    return f"${amount:,.2f}".replace(".00", "")


@attrs.define
class Evaluation:
    """The scratch state the rules write into while one request is evaluated.

    Attributes:
        plan: the stored plan.
        request: the check request.
        now: the clock reading the check is made at.
        facts: what the payload says (empty facts when there is no payload).
        delegation: the caller's delegation on the plan, if it has one.
        findings, conditions, categories: what the rules found so far.
        human_review_reason: why a person must approve, once a rule decides one must.
    """

    plan: Mapping[str, Any]
    request: CheckRequest
    now: datetime
    facts: PayloadFacts
    delegation: Mapping[str, Any] | None = None
    findings: list[Finding] = attrs.field(factory=list)
    conditions: list[Condition] = attrs.field(factory=list)
    categories: list[str] = attrs.field(factory=list)
    human_review_reason: str | None = None

    @property
    def budget(self) -> Mapping[str, Any]:
        budget = self.plan.get("budget")
        return budget if isinstance(budget, Mapping) else {}

    @property
    def total(self) -> float:
        return _number(self.budget.get("total")) or 0.0

    @property
    def committed(self) -> float:
        return _number(self.plan.get("committed_budget")) or 0.0

    @property
    def intent(self) -> bool:
        return self.request.binding == "proposed" and self.request.payload is not None

    def evaluated(self, *categories: str) -> None:
        self.categories.extend(categories)

    def find(self, category_id: str, severity: str, explanation: str, **extra: Any) -> None:
        self.findings.append(Finding(category_id, severity, explanation, **extra))


Rule = Callable[[Evaluation], None]


def contestation_rule(ev: Evaluation) -> None:
    """A human-reviewed plan's brand must say where a data subject can contest (GDPR Art 22(3))."""
    if not ev.plan.get("human_review_required"):
        return
    ev.evaluated("data_subject_contestation")
    contestation = _member(ev.plan.get("brand"), "data_subject_contestation")
    if not (_member(contestation, "url") or _member(contestation, "email")):
        ev.find(
            "data_subject_contestation",
            "critical",
            "Plan requires human review (Annex III / Art 22) but the brand exposes no data_subject_contestation "
            "contact; set brand.data_subject_contestation {url or email}.",
        )


def industry_advisory_rule(ev: Evaluation) -> None:
    """Warn when a brand's industries are typically regulated under Annex III but review is off."""
    if ev.plan.get("human_review_required"):
        return
    industries = [i for i in _strings(_member(ev.plan.get("brand"), "industries")) if i in ANNEX_III_INDUSTRIES]
    if industries:
        ev.evaluated("annex_iii_industry_advisory")
        ev.find(
            "annex_iii_industry_advisory",
            "warning",
            f"brand.industries includes {', '.join(industries)}, sectors commonly regulated under GDPR Art 22 / "
            "EU AI Act Annex III. If targeting affects credit, insurance, recruitment or housing, set "
            "plan.policy_categories to require human review. Informational; the plan proceeds.",
        )


def delegation_rule(ev: Evaluation) -> None:
    """With delegations, only a listed, unexpired caller may act on the plan."""
    ev.evaluated("delegation_authority")
    delegations = [d for d in ev.plan.get("delegations") or () if isinstance(d, Mapping)]
    if not delegations:
        return
    caller = ev.request.caller
    ev.delegation = next((d for d in delegations if d.get("agent_url") == caller), None)
    if ev.delegation is None:
        ev.find("delegation_authority", "critical", f"Caller {caller} is not in the plan's delegations list.")
        return
    expires_at = _instant(ev.delegation.get("expires_at"))
    if expires_at is not None and expires_at < ev.now:
        ev.find(
            "delegation_authority", "critical", f"Delegation for {caller} expired at {ev.delegation['expires_at']}."
        )


def seller_rule(ev: Evaluation) -> None:
    """A non-null approved_sellers list admits only the sellers it names ([] admits none)."""
    sellers = ev.plan.get("approved_sellers")
    if sellers is None:
        return
    ev.evaluated("seller_compliance")
    if ev.request.caller not in sellers:
        ev.find("seller_compliance", "critical", f"Caller {ev.request.caller} is not in the plan's approved sellers.")


def delegation_limits_rule(ev: Evaluation) -> None:
    """An intent must fit the caller's delegation: its budget_limit and its markets."""
    if not ev.intent or ev.delegation is None:
        return
    limit = _number(_member(ev.delegation.get("budget_limit"), "amount"))
    if limit is not None and ev.facts.budget is not None and ev.facts.budget > limit:
        ev.find(
            "delegation_authority",
            "critical",
            f"Proposed budget {_money(ev.facts.budget)} exceeds the delegation budget limit of {_money(limit)} "
            f"for {ev.request.caller}.",
        )
    markets = _strings(ev.delegation.get("markets"))
    outside = [c for c in ev.facts.countries if c not in markets]
    if markets and outside:
        ev.find(
            "delegation_authority",
            "critical",
            f"Unauthorized markets for delegated agent {ev.request.caller}: {', '.join(outside)}. "
            f"Delegation allows: {', '.join(markets)}.",
        )


def budget_rule(ev: Evaluation) -> None:
    """An intent's budget must fit what is left (else a condition) and the plan total (else denial).

    A budget above the plan's reallocation threshold needs a person's approval.
    """
    if not ev.intent:
        return
    ev.evaluated("budget_authority")
    amount = ev.facts.budget
    if amount is None:
        return
    remaining = ev.total - ev.committed
    if amount > ev.total:
        ev.find(
            "budget_authority",
            "critical",
            f"Requested budget {_money(amount)} exceeds plan total {_money(ev.total)}.",
        )
    elif amount > remaining:
        ev.conditions.append(
            Condition(
                ev.facts.budget_field,
                f"Budget exceeds remaining {_money(remaining)} (committed: {_money(ev.committed)} "
                f"of {_money(ev.total)}).",
                remaining,
            )
        )
    threshold = ev.total if ev.budget.get("reallocation_unlimited") is True else ev.budget.get("reallocation_threshold")
    threshold_value = _number(threshold)
    if threshold_value is not None and amount > threshold_value:
        ev.human_review_reason = f"Budget commitment exceeds reallocation_threshold of {_money(threshold_value)}."


def plan_review_rule(ev: Evaluation) -> None:
    """On a human-review plan every intent needs a person's approval, whatever it spends."""
    if ev.intent and ev.plan.get("human_review_required"):
        ev.human_review_reason = "Plan has human_review_required = true; every action requires human approval."


def seller_concentration_rule(ev: Evaluation) -> None:
    """No single purchase may take more than per_seller_max_pct of the plan total."""
    if not ev.intent:
        return
    ev.evaluated("seller_concentration")
    pct = _number(ev.budget.get("per_seller_max_pct"))
    if pct is None or ev.facts.budget is None:
        return
    cap = ev.total * pct / 100
    if ev.facts.budget > cap:
        ev.conditions.append(
            Condition(
                ev.facts.budget_field,
                f"Budget exceeds the per-seller maximum of {pct:g}% ({_money(cap)}).",
                cap,
            )
        )


def allocation_rule(ev: Evaluation) -> None:
    """A purchase type with an allocation may not exceed its amount or its share of the total."""
    if not ev.intent or ev.facts.budget is None:
        return
    purchase_type = ev.request.purchase_type
    allocation = _member(ev.budget.get("allocations"), purchase_type)
    if not isinstance(allocation, Mapping):
        return
    committed = _number(_member(ev.plan.get("committed_by_type"), purchase_type)) or 0.0
    amount = _number(allocation.get("amount"))
    if amount is not None and ev.facts.budget > amount - committed:
        ev.find(
            "budget_authority",
            "critical",
            f"Requested {purchase_type} budget {_money(ev.facts.budget)} exceeds the remaining {purchase_type} "
            f"allocation {_money(amount - committed)} (committed: {_money(committed)} of {_money(amount)}).",
        )
    max_pct = _number(allocation.get("max_pct"))
    if max_pct is not None and committed + ev.facts.budget > ev.total * max_pct / 100:
        ev.find(
            "budget_authority",
            "critical",
            f"{purchase_type} spend would reach {_money(committed + ev.facts.budget)}, exceeding its {max_pct:g}% "
            f"allocation ({_money(ev.total * max_pct / 100)}).",
        )


def geo_rule(ev: Evaluation) -> None:
    """An intent may target only the plan's countries."""
    if not ev.intent:
        return
    ev.evaluated("geo_compliance")
    allowed = _strings(ev.plan.get("countries"))
    outside = [c for c in ev.facts.countries if c not in allowed]
    if allowed and outside:
        ev.find(
            "geo_compliance",
            "critical",
            f"Unauthorized markets: {', '.join(outside)}. Plan allows: {', '.join(allowed)}.",
        )


def channel_rule(ev: Evaluation) -> None:
    """An intent may use only the plan's allowed channels."""
    if not ev.intent:
        return
    ev.evaluated("channel_compliance")
    allowed = _strings(_member(ev.plan.get("channels"), "allowed"))
    outside = [c for c in ev.facts.channels if c not in allowed]
    if allowed and outside:
        ev.find(
            "channel_compliance",
            "critical",
            f"Unauthorized channels: {', '.join(outside)}. Plan allows: {', '.join(allowed)}.",
        )


def mix_rule(ev: Evaluation) -> None:
    """A channel's share of the plan total may not exceed its mix target's max_pct."""
    targets = _member(ev.plan.get("channels"), "mix_targets")
    if not ev.intent or ev.facts.budget is None or not isinstance(targets, Mapping) or ev.total <= 0:
        return
    share = ev.facts.budget / ev.total * 100
    for channel in ev.facts.channels:
        max_pct = _number(_member(targets.get(channel), "max_pct"))
        if max_pct is not None and share > max_pct:
            ev.conditions.append(
                Condition(
                    ev.facts.budget_field,
                    f"{channel} allocation {share:.1f}% exceeds max {max_pct:g}%.",
                    float(int(ev.total * max_pct / 100)),
                )
            )


def flight_rule(ev: Evaluation) -> None:
    """An intent's dates must sit inside the plan's flight."""
    if not ev.intent:
        return
    ev.evaluated("flight_compliance")
    raw_flight = ev.plan.get("flight")
    flight: Mapping[str, Any] = raw_flight if isinstance(raw_flight, Mapping) else {}
    plan_start, plan_end = _instant(flight.get("start")), _instant(flight.get("end"))
    start, end = _instant(ev.facts.start), _instant(ev.facts.end)
    if start is not None and plan_start is not None and start < plan_start:
        ev.find(
            "flight_compliance",
            "critical",
            f"Start date {ev.facts.start} is before plan flight start {flight.get('start')}.",
        )
    if end is not None and plan_end is not None and end > plan_end:
        ev.find(
            "flight_compliance", "critical", f"End date {ev.facts.end} is after plan flight end {flight.get('end')}."
        )


def custom_policy_rule(ev: Evaluation) -> None:
    """Custom policies bind intents: ``must`` (the default) is a condition, ``should`` a note, ``may`` nothing."""
    if ev.request.binding != "proposed":
        return
    policies = [p for p in ev.plan.get("custom_policies") or () if isinstance(p, Mapping)]
    if not policies:
        return
    ev.evaluated("custom_policy")
    for policy in policies:
        enforcement = policy.get("enforcement", "must")
        if enforcement == "may":
            continue
        binding = enforcement == "must"
        text = str(policy.get("policy"))
        if binding:
            ev.conditions.append(Condition("campaign", text))
        policy_id = policy.get("policy_id") if isinstance(policy.get("policy_id"), str) else None
        ev.find("custom_policy", "warning" if binding else "info", text, policy_id=policy_id)


def committed_rule(ev: Evaluation) -> None:
    """An execution check's planned delivery must stay in the plan's markets, channels and budget."""
    delivery = ev.request.planned_delivery
    if ev.request.binding != "committed" or delivery is None:
        return
    ev.evaluated("geo_compliance", "channel_compliance", "flight_compliance")
    allowed_countries = _strings(ev.plan.get("countries"))
    outside = [c for c in _strings(_member(delivery.get("geo"), "countries")) if c not in allowed_countries]
    if allowed_countries and outside:
        ev.find("geo_compliance", "critical", f"Planned delivery includes unauthorized markets: {', '.join(outside)}.")
    allowed_channels = _strings(_member(ev.plan.get("channels"), "allowed"))
    off_plan = [c for c in _strings(delivery.get("channels")) if c not in allowed_channels]
    if allowed_channels and off_plan:
        ev.find(
            "channel_compliance", "critical", f"Planned delivery includes unauthorized channels: {', '.join(off_plan)}."
        )
    planned = _number(delivery.get("total_budget"))
    if planned is None:
        planned = _number(_member(delivery.get("total_budget"), "amount"))
    if planned is not None:
        ev.evaluated("budget_authority")
        remaining = ev.total - ev.committed
        if planned > remaining:
            ev.find(
                "budget_authority",
                "critical",
                f"Planned delivery budget {_money(planned)} exceeds remaining {_money(remaining)}.",
            )


def delivery_rule(ev: Evaluation) -> None:
    """In flight: near-exhausted spend, off-plan geography, pacing drift and channel concentration."""
    metrics = ev.request.delivery_metrics
    if ev.request.phase != "delivery" or metrics is None:
        return
    ev.evaluated("delivery_pacing")
    spend = _number(metrics.get("cumulative_spend"))
    if spend is not None and ev.total > 0:
        pct = spend / ev.total * 100
        if pct > SPEND_CRITICAL_PCT:
            ev.find(
                "delivery_pacing",
                "critical",
                f"Cumulative spend {_money(spend)} is {pct:.1f}% of plan budget, near exhaustion.",
                confidence=0.95,
            )
        elif pct > SPEND_WARNING_PCT:
            ev.find(
                "delivery_pacing",
                "warning",
                f"Cumulative spend {_money(spend)} is {pct:.1f}% of plan budget.",
                confidence=0.9,
            )
    allowed = _strings(ev.plan.get("countries"))
    geo = metrics.get("geo_distribution")
    if allowed and isinstance(geo, Mapping):
        for country, share in geo.items():
            if country not in allowed and (_number(share) or 0.0) > UNAUTHORIZED_GEO_PCT:
                ev.find("geo_compliance", "warning", f"{share}% of delivery in unauthorized market {country}.")
    pacing = metrics.get("pacing")
    if pacing in ("ahead", "behind"):
        ev.find(
            "delivery_pacing",
            "warning",
            f"Pacing reported as {pacing}: line items are drifting from the planned schedule.",
            confidence=0.85,
        )
    channels = metrics.get("channel_distribution")
    if isinstance(channels, Mapping):
        heavy = [f"{c} at {s}%" for c, s in channels.items() if (_number(s) or 0.0) >= CHANNEL_CONCENTRATION_PCT]
        if heavy:
            ev.find(
                "delivery_pacing",
                "warning",
                f"Channel mix concentrated: {', '.join(heavy)}. Re-evaluate against the plan's reallocation threshold.",
                confidence=0.8,
            )


RULES: Final[Sequence[Rule]] = (
    contestation_rule,
    industry_advisory_rule,
    delegation_rule,
    seller_rule,
    delegation_limits_rule,
    budget_rule,
    plan_review_rule,
    seller_concentration_rule,
    allocation_rule,
    geo_rule,
    channel_rule,
    mix_rule,
    flight_rule,
    custom_policy_rule,
    committed_rule,
    delivery_rule,
)


def _explanation(status: str, findings: Sequence[Finding], conditions: Sequence[Condition], review: bool) -> str:
    if status == "approved":
        return f"Approved with {len(findings)} advisory finding(s)." if findings else "All governance checks passed."
    if status == "conditions":
        reasons = "; ".join(condition.reason for condition in conditions)
        return f"Conditional approval: {len(conditions)} adjustment(s) required: {reasons}"
    reasons = "; ".join(f.explanation for f in findings if f.severity == "critical")
    return f"{'Denied pending human review' if review else 'Denied'}: {reasons}"


def evaluate(plan: Mapping[str, Any], request: CheckRequest, now: datetime) -> Verdict:
    """Evaluate ``request`` against the stored ``plan`` at ``now``; pure and deterministic."""
    facts = payload_facts(request.payload) if request.payload is not None else PayloadFacts()
    ev = Evaluation(plan=plan, request=request, now=now, facts=facts)
    for rule in RULES:
        rule(ev)
    review = ev.human_review_reason is not None
    if review:
        ev.evaluated("human_review")
        ev.find(
            "human_review",
            "critical",
            f"{ev.human_review_reason} Resolve off-protocol and re-call check_governance with human_approval.",
        )
    if any(f.severity == "critical" for f in ev.findings):
        status = "denied"
    elif ev.conditions:
        status = "conditions"
    else:
        status = "approved"
    mode = plan.get("mode") or "enforce"
    if not plan.get("human_review_required"):
        # advisory reports but never blocks; audit only records.
        if mode in ("advisory", "audit"):
            status = "approved"
    elif mode != "enforce":
        # Annex III / Art 22 obligations are not the buyer's to switch off with a mode.
        ev.evaluated("human_review_override")
        ev.find(
            "human_review_override",
            "info",
            f"plan.mode is '{mode}' but plan.human_review_required=true: mode downgrades are disabled for "
            f"Annex III / Art 22 plans. Action remains '{status}'.",
        )
    return Verdict(
        status=status,
        findings=tuple(ev.findings),
        conditions=tuple(ev.conditions),
        categories_evaluated=tuple(dict.fromkeys(ev.categories)),
        human_review=review,
        explanation=_explanation(status, ev.findings, ev.conditions, review),
    )
