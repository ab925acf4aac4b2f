"""activate_signal: per-destination activation state, pricing checks and the governance gate."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from trainer.adcp.errors import AdcpError
from trainer.adcp.sessions import Session
from trainer.domain.governance.gate import CHECKS, PLANS
from trainer.domain.signals.activation import ACTIVATIONS, apply_activation, deployment_for, parse_activation
from trainer.domain.signals.catalogue import Catalogue, load_catalogue

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
AGENT = "https://wonderstruck.salesagents.example"


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture
def session() -> Session:
    return Session(key="open:novamotors.example", created_at=NOW, last_accessed_at=NOW)


def _activate(session: Session, catalogue: Catalogue, **args: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "signal_agent_segment_id": "prism_cart_abandoner",
        "destinations": [{"type": "agent", "agent_url": AGENT}],
    }
    request.update(args)
    return apply_activation(session, catalogue, parse_activation(request), NOW)


def test_agent_activation_is_live_with_a_key_value_key(session: Session, catalogue: Catalogue) -> None:
    """Activating on a sales agent returns a live deployment keyed audience_segment."""
    reply = _activate(session, catalogue, pricing_option_id="po_prism_abandoner_cpm")
    assert reply["deployments"] == [
        {
            "type": "agent",
            "agent_url": AGENT,
            "is_live": True,
            "activation_key": {"type": "key_value", "key": "audience_segment", "value": "prism_cart_abandoner"},
            "deployed_at": "2026-06-01T12:00:00.000Z",
        }
    ]
    assert f"prism_cart_abandoner:{AGENT}" in session.collection(ACTIVATIONS)


def test_platform_activation_returns_a_segment_id(session: Session, catalogue: Catalogue) -> None:
    """Activating on a DSP returns the platform's segment id and repeats the account."""
    reply = _activate(
        session, catalogue, destinations=[{"type": "platform", "platform": "the-trade-desk", "account": "a-1"}]
    )
    deployment = reply["deployments"][0]
    assert deployment["platform"] == "the-trade-desk"
    assert deployment["account"] == "a-1"
    assert deployment["activation_key"] == {"type": "segment_id", "segment_id": "the-trade-desk_prism_cart_abandoner"}


def test_deactivate_removes_only_that_destination(session: Session, catalogue: Catalogue) -> None:
    """Deactivation drops the activation for the named destination and reports it not live."""
    _activate(
        session,
        catalogue,
        destinations=[{"type": "agent", "agent_url": AGENT}, {"type": "platform", "platform": "dsp"}],
    )
    reply = _activate(session, catalogue, action="deactivate")
    assert reply["deployments"][0]["is_live"] is False
    assert list(session.collection(ACTIVATIONS)) == ["prism_cart_abandoner:dsp"]


def test_singular_destination_and_signal_id_aliases_are_accepted(session: Session, catalogue: Catalogue) -> None:
    """The SDK test tool's signal_id and destination aliases activate like the spec fields."""
    request = parse_activation({"signal_id": "prism_high_ltv", "destination": {"platform": "dsp", "account_id": "x"}})
    reply = apply_activation(session, catalogue, request, NOW)
    assert reply["deployments"][0]["type"] == "platform"
    assert reply["deployments"][0]["account"] == "x"


def test_get_signals_deployment_turns_live_after_activation_on_this_agent(
    session: Session, catalogue: Catalogue
) -> None:
    """The deployment get_signals shows is live only once the signal is activated on this agent."""
    signal = catalogue.by_segment("prism_cart_abandoner")
    assert signal is not None
    assert deployment_for(session, signal, AGENT)["is_live"] is False
    _activate(session, catalogue)
    assert deployment_for(session, signal, AGENT)["activation_key"]["value"] == "prism_cart_abandoner"


def test_unknown_segment_is_not_found(session: Session, catalogue: Catalogue) -> None:
    """An unknown segment id fails with the reference's not-found code on that field."""
    with pytest.raises(AdcpError) as caught:
        _activate(session, catalogue, signal_agent_segment_id="nope")
    assert (caught.value.code, caught.value.field) == ("SIGNAL_AGENT_SEGMENT_NOT_FOUND", "signal_agent_segment_id")


def test_pricing_option_of_another_signal_is_rejected(session: Session, catalogue: Catalogue) -> None:
    """A pricing option the signal does not offer fails INVALID_PRICING_MODEL."""
    with pytest.raises(AdcpError) as caught:
        _activate(session, catalogue, pricing_option_id="po_trident_ev_cpm")
    assert (caught.value.code, caught.value.field) == ("INVALID_PRICING_MODEL", "pricing_option_id")


def test_governed_session_denies_activation_without_a_check(session: Session, catalogue: Catalogue) -> None:
    """With a plan in the session, activation needs an approving check, and nothing is stored."""
    session.collection(PLANS)["plan_1"] = {"plan_id": "plan_1", "budget": {"total": 100, "currency": "USD"}}
    with pytest.raises(AdcpError) as caught:
        _activate(session, catalogue)
    assert caught.value.code == "GOVERNANCE_DENIED"
    assert caught.value.details is not None
    assert caught.value.details["plan_id"] == "plan_1"
    assert not session.has_collection(ACTIVATIONS)


def test_governed_session_allows_activation_with_an_approved_check(session: Session, catalogue: Catalogue) -> None:
    """An approved check's governance_context lets the activation through."""
    session.collection(PLANS)["plan_1"] = {"plan_id": "plan_1", "budget": {"total": 100, "currency": "USD"}}
    session.collection(CHECKS)["chk_1"] = {
        "check_id": "chk_1",
        "plan_id": "plan_1",
        "status": "approved",
        "governance_context": "gc",
    }
    assert _activate(session, catalogue, governance_context="gc")["deployments"][0]["is_live"] is True


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"destinations": [{"type": "agent", "agent_url": AGENT}]}, "signal_agent_segment_id"),
        ({"signal_agent_segment_id": "x"}, "destinations"),
        ({"signal_agent_segment_id": "x", "destinations": []}, "destinations"),
        ({"signal_agent_segment_id": "x", "destinations": ["dsp"]}, "destinations[0]"),
        ({"signal_agent_segment_id": "x", "destinations": [{"type": "agent"}]}, "destinations[0].agent_url"),
        ({"signal_agent_segment_id": "x", "destinations": [{"type": "platform"}]}, "destinations[0].platform"),
        ({"signal_agent_segment_id": "x", "destinations": [{"type": "tv", "platform": "p"}]}, "destinations[0].type"),
        ({"signal_agent_segment_id": "x", "destinations": [{"platform": "p"}], "action": "pause"}, "action"),
        (
            {"signal_agent_segment_id": "x", "destinations": [{"platform": "p"}], "pricing_option_id": 3},
            "pricing_option_id",
        ),
    ],
)
def test_bad_activation_names_the_field(args: dict[str, Any], field: str) -> None:
    """Malformed activate_signal input raises INVALID_REQUEST on the offending field."""
    with pytest.raises(AdcpError) as caught:
        parse_activation(args)
    assert (caught.value.code, caught.value.field) == ("INVALID_REQUEST", field)
