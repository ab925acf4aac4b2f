"""acquire_rights, update_rights and creative_approval: outcomes, terms, the governance gate and clock dates."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.domain.brand.conftest import NOW, SchemaCheck
from trainer.adcp.errors import AdcpError
from trainer.adcp.sessions import Session
from trainer.domain.brand.catalogue import BrandCatalogue
from trainer.domain.brand.licensing import (
    GRANTS,
    acquire_rights,
    delivered_impressions,
    grant_in,
    parse_acquire_request,
    parse_approval_request,
    parse_update_request,
    review_creative,
    update_rights,
)
from trainer.domain.governance.gate import PLANS

WEBHOOK = {"url": "https://pinnacle-agency.example/webhooks/revocation"}


def _request(**overrides: Any) -> dict[str, Any]:
    campaign = {
        "description": "AI-generated display ads for Acme Outdoor summer trail gear campaign",
        "uses": ["likeness", "commercial"],
        "start_date": "2026-04-01",
        "end_date": "2026-06-30",
    }
    campaign.update(overrides.pop("campaign", {}))
    args: dict[str, Any] = {
        "rights_id": "janssen_likeness_voice",
        "pricing_option_id": "cpm_endorsement",
        "buyer": {"domain": "pinnacle-agency.example"},
        "campaign": campaign,
        "revocation_webhook": WEBHOOK,
    }
    args.update(overrides)
    return args


def _acquire(catalogue: BrandCatalogue, session: Session, **overrides: Any) -> dict[str, Any]:
    request = parse_acquire_request(_request(**overrides), NOW.date())
    return acquire_rights(catalogue, request, session, session, NOW)


def test_acquired_grant_carries_terms_credentials_disclosure_and_constraint(
    catalogue: BrandCatalogue, session: Session, schema_valid: SchemaCheck
) -> None:
    """A clean campaign is acquired with its dates, a likeness credential to the end date, and a stored grant."""
    grant = _acquire(catalogue, session)
    assert grant["status"] == "acquired"
    assert grant["terms"]["amount"] == 3.5
    assert grant["terms"]["currency"] == "EUR"
    assert (grant["terms"]["start_date"], grant["terms"]["end_date"]) == ("2026-04-01", "2026-06-30")
    assert grant["terms"]["exclusivity"]["countries"] == ["NL", "BE", "DE"]
    [credential] = grant["generation_credentials"]
    assert credential["provider"] == "midjourney"
    assert credential["expires_at"] == "2026-06-30T23:59:59Z"
    assert grant["disclosure"] == {
        "required": True,
        "text": "Features AI-generated likeness of Daan Janssen, used under license from Loti Entertainment",
    }
    assert grant["rights_constraint"]["valid_until"] == "2026-06-30T23:59:59Z"
    assert grant["rights_constraint"]["rights_agent"]["id"] == "loti_entertainment"
    assert grant_in(session, "janssen_likeness_voice") is not None
    schema_valid("acquire_rights", grant)


def test_voice_credential_only_for_talent_with_a_synthetic_voice(catalogue: BrandCatalogue, session: Session) -> None:
    """Voice use adds an ElevenLabs credential for a talent the house holds a voice for."""
    grant = _acquire(
        catalogue, session, pricing_option_id="monthly_exclusive", campaign={"uses": ["likeness", "voice"]}
    )
    assert [credential["provider"] for credential in grant["generation_credentials"]] == ["midjourney", "elevenlabs"]
    assert grant["terms"]["impression_cap"] == 100000
    assert grant["terms"]["period"] == "monthly"


def test_dates_default_to_a_quarter_from_the_clock(catalogue: BrandCatalogue, session: Session) -> None:
    """Without campaign dates the licence runs from today for 90 days, never a fixed year."""
    grant = _acquire(catalogue, session, campaign={"start_date": None, "end_date": None})
    assert grant["terms"]["start_date"] == "2026-06-01"
    assert grant["terms"]["end_date"] == (NOW.date() + timedelta(days=90)).isoformat()


def test_rejected_category_returns_reason_and_suggestions(
    catalogue: BrandCatalogue, session: Session, schema_valid: SchemaCheck
) -> None:
    """A sportswear campaign hits the talent's active exclusivity and stores no grant."""
    result = _acquire(catalogue, session, campaign={"description": "Sportswear launch in Amsterdam"})
    assert result["status"] == "rejected"
    assert result["reason"].startswith("Active exclusivity with another brand for sportswear")
    assert result["suggestions"] == [
        "Available for sportswear in BE and DE markets",
        "Available in NL after 2027-01-01",
    ]
    assert not session.has_collection(GRANTS)
    schema_valid("acquire_rights", result)


def test_keyword_rules_match_phrases(catalogue: BrandCatalogue, session: Session) -> None:
    """The fast_food rule matches 'fast food' in a description."""
    result = _acquire(
        catalogue,
        session,
        rights_id="vandijk_likeness",
        pricing_option_id="cpm_likeness",
        campaign={"description": "A fast food burger promotion"},
    )
    assert (result["status"], result["reason"]) == ("rejected", "This conflicts with our talent lifestyle guidelines")


def test_sensitive_category_goes_to_the_talent_for_approval(
    catalogue: BrandCatalogue, session: Session, schema_valid: SchemaCheck
) -> None:
    """An alcohol campaign is pending_approval with a 48h estimate."""
    result = _acquire(catalogue, session, campaign={"description": "Craft beer and alcohol summer ads"})
    assert result["status"] == "pending_approval"
    assert result["estimated_response_time"] == "48h"
    schema_valid("acquire_rights", result)


def test_uses_and_countries_outside_the_offering_are_rejected(catalogue: BrandCatalogue, session: Session) -> None:
    """Voice from a talent without one, or a market the licence does not cover, is rejected with what is offered."""
    voice = _acquire(
        catalogue, session, rights_id="reyes_likeness", pricing_option_id="cpm_likeness", campaign={"uses": ["voice"]}
    )
    assert voice["status"] == "rejected"
    assert voice["reason"] == "Sofia Reyes's licence does not cover voice"
    market = _acquire(catalogue, session, campaign={"countries": ["US"]})
    assert market["status"] == "rejected"
    assert market["suggestions"] == ["Available in NL, BE, DE"]


def test_governance_plan_denies_a_commitment_over_budget(catalogue: BrandCatalogue, session: Session) -> None:
    """A $50 plan denies a CPM licence projected over a million impressions."""
    session.collection(PLANS)["comply-rights-gov-denied"] = {
        "plan_id": "comply-rights-gov-denied",
        "budget": {"total": 50, "currency": "USD"},
    }
    with pytest.raises(AdcpError) as raised:
        _acquire(catalogue, session)
    assert raised.value.code == "GOVERNANCE_DENIED"
    assert raised.value.details is not None
    assert raised.value.details["findings"][0]["category_id"] == "budget_authority"


def test_small_estimated_campaign_fits_the_plan(catalogue: BrandCatalogue, session: Session) -> None:
    """10 000 estimated impressions at 3.50 CPM (35) fit a 50 plan."""
    session.collection(PLANS)["small"] = {"plan_id": "small", "budget": {"total": 50, "currency": "USD"}}
    assert _acquire(catalogue, session, campaign={"estimated_impressions": 10_000})["status"] == "acquired"


def test_unknown_offering_and_pricing_option(catalogue: BrandCatalogue, session: Session) -> None:
    """An unknown rights_id is REFERENCE_NOT_FOUND; an unknown pricing option is INVALID_REQUEST."""
    with pytest.raises(AdcpError) as raised:
        _acquire(catalogue, session, rights_id="nobody_likeness")
    assert (raised.value.code, raised.value.field) == ("REFERENCE_NOT_FOUND", "rights_id")
    with pytest.raises(AdcpError) as raised:
        _acquire(catalogue, session, pricing_option_id="lifetime")
    assert (raised.value.code, raised.value.field) == ("INVALID_REQUEST", "pricing_option_id")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"rights_id": None}, "rights_id"),
        ({"buyer": None}, "buyer"),
        ({"buyer": {"brand_id": "x"}}, "buyer.domain"),
        ({"campaign": {"description": None}}, "campaign.description"),
        ({"campaign": {"uses": ["likeness", "mind_reading"]}}, "campaign.uses[1]"),
        ({"campaign": {"countries": ["Netherlands"]}}, "campaign.countries[0]"),
        ({"campaign": {"estimated_impressions": -5}}, "campaign.estimated_impressions"),
        ({"campaign": {"start_date": "2026/04/01"}}, "campaign.start_date"),
        ({"campaign": {"end_date": "2026-02-30"}}, "campaign.end_date"),
        ({"campaign": {"start_date": "2026-07-01", "end_date": "2026-06-30"}}, "campaign.end_date"),
        ({"campaign": {"start_date": "2024-01-01", "end_date": "2024-03-31"}}, "campaign.end_date"),
        ({"revocation_webhook": None}, "revocation_webhook"),
        ({"revocation_webhook": {"token": "x"}}, "revocation_webhook.url"),
    ],
)
def test_bad_acquire_input_names_the_field(overrides: dict[str, Any], field: str) -> None:
    """Malformed or expired acquisitions are INVALID_REQUEST naming the field."""
    with pytest.raises(AdcpError) as raised:
        parse_acquire_request(_request(**overrides), NOW.date())
    assert (raised.value.code, raised.value.field) == ("INVALID_REQUEST", field)


def test_expiry_is_judged_against_the_clock_not_a_fixed_term() -> None:
    """The storyboard's 2026-06-30 end date is fine in June 2026 and expired in July."""
    parse_acquire_request(_request(), NOW.date())
    with pytest.raises(AdcpError):
        parse_acquire_request(_request(), (NOW + timedelta(days=31)).date())


def test_update_extends_a_grant_and_reissues_credentials(
    catalogue: BrandCatalogue, session: Session, schema_valid: SchemaCheck
) -> None:
    """Extending the end date moves the terms, the constraint and the credential expiry together."""
    _acquire(catalogue, session)
    grant = grant_in(session, "janssen_likeness_voice")
    result = update_rights(
        catalogue, parse_update_request({"rights_id": "janssen_likeness_voice", "end_date": "2026-09-30"}), grant, NOW
    )
    assert result["terms"]["end_date"] == "2026-09-30"
    assert result["rights_constraint"]["valid_until"] == "2026-09-30T23:59:59Z"
    assert result["generation_credentials"][0]["expires_at"] == "2026-09-30T23:59:59Z"
    assert result["implementation_date"] == "2026-06-01T12:00:00.000Z"
    assert grant_in(session, "janssen_likeness_voice")["end_date"] == "2026-09-30"  # type: ignore[index]
    schema_valid("update_rights", result)


def test_update_checks_against_the_grant_and_delivery(catalogue: BrandCatalogue, session: Session) -> None:
    """An earlier end date, or a cap below what the grant has delivered by now, is refused."""
    _acquire(catalogue, session, pricing_option_id="monthly_exclusive")
    grant = grant_in(session, "janssen_likeness_voice")
    assert grant is not None
    delivered = delivered_impressions(grant, NOW)
    assert 0 < delivered < 100_000
    for args, field in (
        ({"end_date": "2026-05-31"}, "end_date"),
        ({"impression_cap": delivered - 1}, "impression_cap"),
    ):
        with pytest.raises(AdcpError) as raised:
            update_rights(catalogue, parse_update_request({"rights_id": "janssen_likeness_voice", **args}), grant, NOW)
        assert raised.value.field == field
    paused = update_rights(
        catalogue, parse_update_request({"rights_id": "janssen_likeness_voice", "paused": True}), grant, NOW
    )
    assert paused["paused"] is True


def test_update_without_a_grant_is_not_found(catalogue: BrandCatalogue) -> None:
    """update_rights changes an acquired grant; an offering never acquired is REFERENCE_NOT_FOUND."""
    with pytest.raises(AdcpError) as raised:
        update_rights(catalogue, parse_update_request({"rights_id": "reyes_likeness"}), None, NOW)
    assert (raised.value.code, raised.value.field) == ("REFERENCE_NOT_FOUND", "rights_id")


def test_creative_approval_approves_under_an_active_grant(
    catalogue: BrandCatalogue, session: Session, schema_valid: SchemaCheck
) -> None:
    """A creative under an active grant is approved now, with the disclosure as a condition."""
    _acquire(catalogue, session)
    request = parse_approval_request(
        {
            "rights_grant_id": "janssen_likeness_voice",
            "creative": {"creative_id": "cr_1", "assets": [{"url": "https://x.example/a.png"}]},
        }
    )
    result = review_creative(catalogue, request, grant_in(session, "janssen_likeness_voice"), NOW)
    assert result["status"] == "approved"
    assert result["creative_id"] == "cr_1"
    assert result["approved_at"] == "2026-06-01T12:00:00.000Z"
    assert any("Features AI-generated likeness of Daan Janssen" in condition for condition in result["conditions"])
    schema_valid("creative_approval", result)


def test_creative_approval_rejects_under_a_paused_or_ended_grant(catalogue: BrandCatalogue, session: Session) -> None:
    """A paused grant and an ended grant both reject the creative with a way out."""
    _acquire(catalogue, session)
    grant = grant_in(session, "janssen_likeness_voice")
    assert grant is not None
    request = parse_approval_request({"rights_id": "janssen_likeness_voice", "creative_url": "https://x.example/a.png"})
    assert review_creative(catalogue, request, grant, NOW + timedelta(days=60))["status"] == "rejected"
    grant["paused"] = True
    assert review_creative(catalogue, request, grant, NOW)["status"] == "rejected"


@pytest.mark.parametrize(
    ("args", "field"),
    [({"creative_url": "https://x.example/a.png"}, "rights_id"), ({"rights_id": "reyes_likeness"}, "creative_url")],
)
def test_bad_approval_input_names_the_field(args: dict[str, Any], field: str) -> None:
    """creative_approval needs a rights id and a creative URL."""
    with pytest.raises(AdcpError) as raised:
        parse_approval_request(args)
    assert raised.value.field == field


def test_exclusivity_rejection_lapses_with_the_contract(catalogue: BrandCatalogue, session: Session) -> None:
    """After the sportswear exclusivity ends (2026-12-31), a sportswear campaign is acquired."""
    later = NOW.replace(year=2027, month=2)
    args = _request(campaign={"description": "Sportswear launch", "start_date": "2027-02-01", "end_date": "2027-04-30"})
    result = acquire_rights(catalogue, parse_acquire_request(args, later.date()), session, session, later)
    assert result["status"] == "acquired"


def test_rights_license_allocation_caps_rights_purchases(catalogue: BrandCatalogue, session: Session) -> None:
    """A plan's rights_license allocation limits licences even when its total budget would allow them."""
    session.collection(PLANS)["allocated"] = {
        "plan_id": "allocated",
        "budget": {"total": 1_000_000, "currency": "USD", "allocations": {"rights_license": {"amount": 20}}},
    }
    with pytest.raises(AdcpError) as raised:
        _acquire(catalogue, session, campaign={"estimated_impressions": 10_000})
    assert raised.value.code == "GOVERNANCE_DENIED"
    assert "rights_license allocation" in raised.value.message
