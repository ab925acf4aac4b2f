"""The check_governance rule engine, rule by rule, each with its own table."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import attrs
import pytest

from trainer.domain.governance import rules
from trainer.domain.governance.rules import CheckRequest, Evaluation, evaluate, payload_facts

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
CALLER = "https://buyer.example/mcp"


def _plan(**overrides: Any) -> dict[str, Any]:
    plan: dict[str, Any] = {
        "plan_id": "plan_q3",
        "brand": {"domain": "acme.example"},
        "objectives": "Q3 awareness",
        "budget": {"total": 10_000, "currency": "USD", "reallocation_threshold": 8000},
        "flight": {"start": "2026-07-01T00:00:00Z", "end": "2026-09-30T23:59:59Z"},
        "mode": "enforce",
        "version": 1,
        "committed_budget": 0,
        "committed_by_type": {},
        "human_review_required": False,
    }
    plan.update(overrides)
    return plan


def _request(payload: dict[str, Any] | None = None, **overrides: Any) -> CheckRequest:
    return CheckRequest(caller=CALLER, payload=payload, **overrides)


def _run(rule: rules.Rule, plan: dict[str, Any], request: CheckRequest) -> Evaluation:
    facts = payload_facts(request.payload) if request.payload is not None else rules.PayloadFacts()
    ev = Evaluation(plan=plan, request=request, now=NOW, facts=facts)
    if rule is rules.delegation_limits_rule:
        rules.delegation_rule(ev)  # limits apply to the delegation the caller was matched to
        ev.findings.clear()
    rule(ev)
    return ev


def _found(ev: Evaluation) -> list[tuple[str, str]]:
    return [(f.category_id, f.severity) for f in ev.findings]


def _conditions(ev: Evaluation) -> list[tuple[str, float | None]]:
    return [(c.field, c.required_value) for c in ev.conditions]


@pytest.mark.parametrize(
    ("brand", "review", "expected"),
    [
        ({"domain": "a.example"}, True, [("data_subject_contestation", "critical")]),
        ({"domain": "a.example", "data_subject_contestation": {"email": "dpo@a.example"}}, True, []),
        ({"domain": "a.example", "data_subject_contestation": {}}, True, [("data_subject_contestation", "critical")]),
        ({"domain": "a.example"}, False, []),
    ],
)
def test_contestation_rule(brand: dict[str, Any], review: bool, expected: list[tuple[str, str]]) -> None:
    """A human-reviewed plan needs a contestation contact on its brand."""
    assert (
        _found(_run(rules.contestation_rule, _plan(brand=brand, human_review_required=review), _request())) == expected
    )


@pytest.mark.parametrize(
    ("industries", "review", "expected"),
    [
        (["banking", "retail"], False, [("annex_iii_industry_advisory", "warning")]),
        (["retail"], False, []),
        (["banking"], True, []),
    ],
)
def test_industry_advisory_rule(industries: list[str], review: bool, expected: list[tuple[str, str]]) -> None:
    """Annex III industries without human review draw an advisory warning, never a denial."""
    plan = _plan(brand={"domain": "a.example", "industries": industries}, human_review_required=review)
    assert _found(_run(rules.industry_advisory_rule, plan, _request())) == expected


@pytest.mark.parametrize(
    ("delegations", "expected"),
    [
        (None, []),
        ([{"agent_url": CALLER, "authority": "full"}], []),
        ([{"agent_url": "https://other.example", "authority": "full"}], [("delegation_authority", "critical")]),
        (
            [{"agent_url": CALLER, "authority": "full", "expires_at": "2026-05-01T00:00:00Z"}],
            [("delegation_authority", "critical")],
        ),
        ([{"agent_url": CALLER, "authority": "full", "expires_at": "2026-07-01T00:00:00Z"}], []),
    ],
)
def test_delegation_rule(delegations: list[dict[str, Any]] | None, expected: list[tuple[str, str]]) -> None:
    """With delegations, only a listed caller whose delegation has not expired may act."""
    ev = _run(rules.delegation_rule, _plan(delegations=delegations), _request())
    assert _found(ev) == expected
    assert "delegation_authority" in ev.categories


@pytest.mark.parametrize(
    ("sellers", "expected"),
    [
        (None, []),
        ([CALLER], []),
        ([], [("seller_compliance", "critical")]),
        (["https://other.example"], [("seller_compliance", "critical")]),
    ],
)
def test_seller_rule(sellers: list[str] | None, expected: list[tuple[str, str]]) -> None:
    """approved_sellers null admits anyone, [] nobody, a list only its members."""
    assert _found(_run(rules.seller_rule, _plan(approved_sellers=sellers), _request())) == expected


@pytest.mark.parametrize(
    ("delegation", "payload", "expected"),
    [
        ({"budget_limit": {"amount": 500, "currency": "USD"}}, {"budget": 600}, [("delegation_authority", "critical")]),
        ({"budget_limit": {"amount": 500, "currency": "USD"}}, {"budget": 500}, []),
        ({"markets": ["US"]}, {"countries": ["US", "CA"]}, [("delegation_authority", "critical")]),
        ({"markets": ["US"]}, {"countries": ["US"]}, []),
    ],
)
def test_delegation_limits_rule(
    delegation: dict[str, Any], payload: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    """An intent must stay inside the caller's delegated budget limit and markets."""
    plan = _plan(delegations=[{"agent_url": CALLER, "authority": "full", **delegation}])
    assert _found(_run(rules.delegation_limits_rule, plan, _request(payload))) == expected


@pytest.mark.parametrize(
    ("committed", "payload", "findings", "conditions", "review"),
    [
        (0, {"total_budget": {"amount": 5000, "currency": "USD"}}, [], [], False),
        (7000, {"total_budget": {"amount": 5000}}, [], [("total_budget.amount", 3000.0)], False),
        (0, {"budget": 12_000}, [("budget_authority", "critical")], [], True),
        (0, {"packages": [{"budget": 4500}, {"budget": 4500}]}, [], [], True),
        (0, {"budget": {"total": 8000}}, [], [], False),
    ],
)
def test_budget_rule(
    committed: float,
    payload: dict[str, Any],
    findings: list[tuple[str, str]],
    conditions: list[tuple[str, float]],
    review: bool,
) -> None:
    """Over remaining is a condition, over total a denial, over the threshold a human review."""
    ev = _run(rules.budget_rule, _plan(committed_budget=committed), _request(payload))
    assert _found(ev) == findings
    assert _conditions(ev) == conditions
    assert (ev.human_review_reason is not None) == review


def test_budget_rule_unlimited_reallocation_never_escalates() -> None:
    """reallocation_unlimited lets any in-budget commitment through without review."""
    plan = _plan(budget={"total": 10_000, "currency": "USD", "reallocation_unlimited": True})
    assert _run(rules.budget_rule, plan, _request({"budget": 9999})).human_review_reason is None


@pytest.mark.parametrize(("review", "payload", "expected"), [(True, {}, True), (False, {}, False), (True, None, False)])
def test_plan_review_rule(review: bool, payload: dict[str, Any] | None, expected: bool) -> None:
    """A human-review plan escalates every intent check."""
    ev = _run(rules.plan_review_rule, _plan(human_review_required=review), _request(payload))
    assert (ev.human_review_reason is not None) == expected


@pytest.mark.parametrize(
    ("pct", "amount", "expected"),
    [(None, 9000, []), (50, 5000, []), (50, 6000, [("budget.total", 5000.0)])],
)
def test_seller_concentration_rule(pct: float | None, amount: float, expected: list[tuple[str, float]]) -> None:
    """A purchase above per_seller_max_pct of the total gets a condition capping it."""
    budget = {"total": 10_000, "currency": "USD", "reallocation_threshold": 10_000, "per_seller_max_pct": pct}
    ev = _run(rules.seller_concentration_rule, _plan(budget=budget), _request({"budget": {"total": amount}}))
    assert _conditions(ev) == expected


@pytest.mark.parametrize(
    ("allocation", "committed_by_type", "purchase_type", "amount", "expected"),
    [
        ({"amount": 3000}, {}, "media_buy", 3000, []),
        ({"amount": 3000}, {"media_buy": 1000}, "media_buy", 2500, [("budget_authority", "critical")]),
        ({"max_pct": 20}, {}, "media_buy", 2500, [("budget_authority", "critical")]),
        ({"amount": 100}, {}, "signal_activation", 5000, []),
    ],
)
def test_allocation_rule(
    allocation: dict[str, Any],
    committed_by_type: dict[str, float],
    purchase_type: str,
    amount: float,
    expected: list[tuple[str, str]],
) -> None:
    """A purchase type's allocation caps it by amount left and by share of the total."""
    budget = {
        "total": 10_000,
        "currency": "USD",
        "reallocation_threshold": 10_000,
        "allocations": {"media_buy": allocation},
    }
    plan = _plan(budget=budget, committed_by_type=committed_by_type)
    ev = _run(rules.allocation_rule, plan, _request({"budget": amount}, purchase_type=purchase_type))
    assert _found(ev) == expected


@pytest.mark.parametrize(
    ("countries", "payload", "expected"),
    [
        (["US"], {"countries": ["US"]}, []),
        (["US"], {"geo": {"countries": ["US", "FR"]}}, [("geo_compliance", "critical")]),
        (["US"], {"targeting": {"countries": ["DE"]}}, [("geo_compliance", "critical")]),
        (["US"], {"campaign": {"countries": ["DE"]}}, [("geo_compliance", "critical")]),
        (None, {"countries": ["DE"]}, []),
    ],
)
def test_geo_rule(countries: list[str] | None, payload: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    """An intent may only target the plan's countries, wherever the payload lists them."""
    assert _found(_run(rules.geo_rule, _plan(countries=countries), _request(payload))) == expected


@pytest.mark.parametrize(
    ("allowed", "payload", "expected"),
    [
        (["display", "olv"], {"channels": ["display"]}, []),
        (["display"], {"channel": "ctv"}, [("channel_compliance", "critical")]),
        (["display"], {"packages": [{"channels": ["display", "audio"]}]}, [("channel_compliance", "critical")]),
        (None, {"channels": ["ctv"]}, []),
    ],
)
def test_channel_rule(allowed: list[str] | None, payload: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    """An intent may only use the plan's allowed channels."""
    plan = _plan(channels={"allowed": allowed} if allowed is not None else None)
    assert _found(_run(rules.channel_rule, plan, _request(payload))) == expected


@pytest.mark.parametrize(
    ("targets", "payload", "expected"),
    [
        ({"ctv": {"max_pct": 30}}, {"budget": 3000, "channels": ["ctv"]}, []),
        ({"ctv": {"max_pct": 30}}, {"budget": 4000, "channels": ["ctv"]}, [("budget", 3000.0)]),
        ({"ctv": {"max_pct": 30}}, {"budget": 4000, "channels": ["display"]}, []),
    ],
)
def test_mix_rule(targets: dict[str, Any], payload: dict[str, Any], expected: list[tuple[str, float]]) -> None:
    """A channel's share above its mix target's max_pct becomes a capping condition."""
    ev = _run(rules.mix_rule, _plan(channels={"mix_targets": targets}), _request(payload))
    assert _conditions(ev) == expected


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"start_time": "2026-07-01T00:00:00Z", "end_time": "2026-09-30T00:00:00Z"}, []),
        ({"start_time": "2026-06-01T00:00:00Z"}, [("flight_compliance", "critical")]),
        ({"flight": {"end": "2026-10-02T00:00:00Z"}}, [("flight_compliance", "critical")]),
        (
            {"campaign": {"start_date": "2026-01-01", "end_date": "2027-01-01"}},
            [("flight_compliance", "critical"), ("flight_compliance", "critical")],
        ),
    ],
)
def test_flight_rule(payload: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    """An intent's dates must sit inside the plan's flight."""
    assert _found(_run(rules.flight_rule, _plan(), _request(payload))) == expected


@pytest.mark.parametrize(
    ("policy", "binding", "findings", "conditions"),
    [
        ({"policy": "Weekly reporting", "policy_id": "wk"}, "proposed", [("custom_policy", "warning")], ["campaign"]),
        ({"policy": "Weekly reporting", "enforcement": "should"}, "proposed", [("custom_policy", "info")], []),
        ({"policy": "Weekly reporting", "enforcement": "may"}, "proposed", [], []),
        ({"policy": "Weekly reporting"}, "committed", [], []),
    ],
)
def test_custom_policy_rule(
    policy: dict[str, Any], binding: str, findings: list[tuple[str, str]], conditions: list[str]
) -> None:
    """must binds as a condition, should informs, may is ignored; only intents are bound."""
    ev = _run(rules.custom_policy_rule, _plan(custom_policies=[policy]), _request(binding=binding))
    assert _found(ev) == findings
    assert [c.field for c in ev.conditions] == conditions


@pytest.mark.parametrize(
    ("committed", "delivery", "expected"),
    [
        (0, {"geo": {"countries": ["US"]}, "channels": ["display"], "total_budget": 5000}, []),
        (0, {"geo": {"countries": ["FR"]}}, [("geo_compliance", "critical")]),
        (0, {"channels": ["ctv"]}, [("channel_compliance", "critical")]),
        (8000, {"total_budget": 5000}, [("budget_authority", "critical")]),
    ],
)
def test_committed_rule(committed: float, delivery: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    """An execution check's planned delivery must stay in the plan's markets, channels and budget."""
    plan = _plan(countries=["US"], channels={"allowed": ["display"]}, committed_budget=committed)
    request = _request(binding="committed", planned_delivery=delivery)
    assert _found(_run(rules.committed_rule, plan, request)) == expected


@pytest.mark.parametrize(
    ("metrics", "expected"),
    [
        ({"cumulative_spend": 9600}, [("delivery_pacing", "critical")]),
        ({"cumulative_spend": 8500}, [("delivery_pacing", "warning")]),
        ({"cumulative_spend": 5000, "pacing": "on_track"}, []),
        ({"geo_distribution": {"US": 97, "CA": 3}}, [("geo_compliance", "warning")]),
        ({"geo_distribution": {"US": 99.5, "CA": 0.5}}, []),
        ({"pacing": "ahead"}, [("delivery_pacing", "warning")]),
        ({"channel_distribution": {"ctv": 70, "video": 30}}, [("delivery_pacing", "warning")]),
    ],
)
def test_delivery_rule(metrics: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    """Delivery metrics flag near-exhausted spend, off-plan geography, pacing drift and concentration."""
    request = _request(phase="delivery", delivery_metrics=metrics)
    assert _found(_run(rules.delivery_rule, _plan(countries=["US"]), request)) == expected


def test_delivery_rule_ignores_metrics_outside_the_delivery_phase() -> None:
    """Delivery metrics on a purchase-phase check are not evaluated."""
    request = _request(delivery_metrics={"cumulative_spend": 9999})
    assert _found(_run(rules.delivery_rule, _plan(), request)) == []


@pytest.mark.parametrize(
    ("mode", "review", "payload", "status"),
    [
        ("enforce", False, {"countries": ["FR"]}, "denied"),
        ("advisory", False, {"countries": ["FR"]}, "approved"),
        ("audit", False, {"countries": ["FR"]}, "approved"),
        ("enforce", False, {"budget": 100}, "approved"),
        ("advisory", True, {"budget": 100}, "denied"),
    ],
)
def test_status_and_mode(mode: str, review: bool, payload: dict[str, Any], status: str) -> None:
    """Critical findings deny in enforce mode; advisory and audit approve unless the plan needs human review."""
    plan = _plan(mode=mode, human_review_required=review, countries=["US"])
    if review:
        plan["brand"] = {"domain": "a.example", "data_subject_contestation": {"url": "https://a.example/contest"}}
    verdict = evaluate(plan, _request(payload), NOW)
    assert verdict.status == status
    assert ("human_review_override" in verdict.categories_evaluated) == (review and mode != "enforce")


def test_conditions_without_criticals_give_conditions_status() -> None:
    """A condition and no critical finding yields status conditions with an explanation listing them."""
    verdict = evaluate(_plan(committed_budget=9000), _request({"budget": 2000}), NOW)
    assert verdict.status == "conditions"
    assert verdict.explanation.startswith("Conditional approval")


def test_over_threshold_intent_is_denied_pending_human_review() -> None:
    """Crossing the reallocation threshold adds a critical human_review finding."""
    verdict = evaluate(_plan(), _request({"budget": 9000}), NOW)
    assert verdict.status == "denied"
    assert verdict.human_review
    assert verdict.findings[-1].category_id == "human_review"
    assert verdict.explanation.startswith("Denied pending human review")


def test_evaluate_is_pure() -> None:
    """The same plan, request and clock always give the same verdict, and the plan is not mutated."""
    plan = _plan(custom_policies=[{"policy": "Weekly reporting"}])
    before = attrs.asdict(evaluate(plan, _request({"budget": 100}), NOW))
    assert attrs.asdict(evaluate(plan, _request({"budget": 100}), NOW)) == before
    assert plan == _plan(custom_policies=[{"policy": "Weekly reporting"}])
