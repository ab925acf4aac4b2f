"""acquire_rights, update_rights and creative_approval: grants of the talent house's rights, dated by the trainer clock.

An acquisition goes through, in order: request validation (dates against today, not a fixed
term), the governance budget gate (the projected commitment: a CPM option over the campaign's
estimated impressions, one million when unstated, or a flat rate's price), the offering's reach
(uses and countries it does not cover are rejected with what it does cover), then the talent's
keyword rules over the campaign description: a rejected category, then one needing the talent's
approval; anything else is acquired. An acquired grant is kept in the buyer's session under
``brand_rights_grants`` (rights_id -> grant), where update_rights and creative_approval find it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final

import attrs

from trainer.adcp.errors import AdcpError, invalid
from trainer.adcp.sessions import Session
from trainer.clock import iso
from trainer.domain.brand import fields
from trainer.domain.brand.catalogue import (
    RIGHT_USES,
    BrandCatalogue,
    RightsOffering,
    RightsPricingOption,
    Talent,
    mentions,
    phrase,
)
from trainer.domain.governance.gate import enforce_budget_gate

GRANTS: Final = "brand_rights_grants"
DEFAULT_ESTIMATED_IMPRESSIONS: Final = 1_000_000
# Without campaign dates a licence runs for a quarter from today, the reference's default term length.
DEFAULT_TERM: Final = timedelta(days=90)
PENDING_RESPONSE_TIME: Final = "48h"
COUNTRY: Final = re.compile(r"[A-Z]{2}")
RESTRICTIONS: Final = (
    "All generated creatives must be submitted for approval before distribution",
    "No modification of talent likeness beyond approved AI generation parameters",
)
SANDBOX_CONDITION: Final = "Sandbox approval — not valid for production distribution"


@attrs.frozen
class Campaign:
    """The campaign a licence is for.

    Attributes:
        description: what the campaign advertises; the talent's keyword rules read it.
        uses: the rights uses it needs.
        countries: where it runs; ``None`` means wherever the offering allows.
        estimated_impressions: the planned volume, when the buyer gave one.
        start_date: the first day of the licence.
        end_date: the last day of the licence.
    """

    description: str
    uses: tuple[str, ...]
    countries: tuple[str, ...] | None
    estimated_impressions: int | None
    start_date: date
    end_date: date


@attrs.frozen
class AcquireRequest:
    """A parsed acquire_rights request.

    Attributes:
        rights_id: the offering.
        pricing_option_id: the chosen way to pay.
        buyer_domain: who licenses (``buyer.domain``).
        campaign: what the licence is for.
        governance_context: the context of the buyer's governance check, if any.
    """

    rights_id: str
    pricing_option_id: str
    buyer_domain: str
    campaign: Campaign
    governance_context: str | None = None


def _webhook(args: Mapping[str, Any], name: str, *, required: bool) -> None:
    config = fields.mapping(args, name, required=required)
    if config is not None:
        fields.text(config, "url", name, required=True)


def parse_acquire_request(args: Mapping[str, Any], today: date) -> AcquireRequest:
    """Parse and check an acquire_rights request against ``today``.

    Raises:
        AdcpError: INVALID_REQUEST naming the field: ``rights_id``, ``pricing_option_id``,
            ``buyer.domain``, ``campaign.description``, ``campaign.uses[i]``, ``campaign.countries[i]``,
            ``campaign.estimated_impressions``, ``campaign.start_date``, ``campaign.end_date`` (also
            when it is before the start or in the past), ``revocation_webhook.url``.
    """
    rights_id = fields.text(args, "rights_id", required=True)
    pricing_option_id = fields.text(args, "pricing_option_id", required=True)
    buyer = fields.mapping(args, "buyer", required=True)
    buyer_domain = fields.text(buyer, "domain", "buyer", required=True)
    raw = fields.mapping(args, "campaign", required=True)
    description = fields.text(raw, "description", "campaign", required=True)
    uses = fields.strings(raw, "uses", "campaign", required=True, allowed=RIGHT_USES)
    countries = fields.strings(raw, "countries", "campaign", pattern=COUNTRY)
    estimated = fields.integer(raw, "estimated_impressions", "campaign")
    start = fields.day(raw, "start_date", "campaign") or today
    end = fields.day(raw, "end_date", "campaign") or start + DEFAULT_TERM
    if end < start:
        raise invalid("campaign.end_date", f"campaign.end_date {end} is before campaign.start_date {start}")
    if end < today:
        raise invalid(
            "campaign.end_date",
            f"Campaign end_date {end} is in the past; cannot license rights for an expired period.",
            suggestion=f"Choose an end_date on or after {today}.",
        )
    # The spec requires somewhere to send a revocation: a licence can be withdrawn after it is granted.
    _webhook(args, "revocation_webhook", required=True)
    _webhook(args, "push_notification_config", required=False)
    governance_context = fields.text(args, "governance_context")
    campaign = Campaign(description, uses, countries, estimated, start, end)
    return AcquireRequest(rights_id, pricing_option_id, buyer_domain, campaign, governance_context)


def find_offering(catalogue: BrandCatalogue, rights_id: str) -> tuple[Talent, RightsOffering]:
    """Return the talent and offering of ``rights_id``.

    Raises:
        AdcpError: REFERENCE_NOT_FOUND (field ``rights_id``) for an id the house does not offer.
    """
    found = catalogue.offering(rights_id)
    if found is None:
        raise AdcpError(
            "REFERENCE_NOT_FOUND",
            f"No rights offering with id {rights_id!r}",
            field="rights_id",
            suggestion="Call get_rights to find the offerings available.",
        )
    return found


def _credentials(talent: Talent, uses: tuple[str, ...], end: date) -> list[dict[str, Any]]:
    expires_at = f"{end.isoformat()}T23:59:59Z"
    image_uses = [use for use in uses if use in ("likeness", "ai_generated_image")]
    credentials: list[dict[str, Any]] = []
    # rights_key is a generated secret, so it is the one part of a grant that differs per call.
    if image_uses:
        key = f"rk_mj_sandbox_{talent.brand.brand_id}_{uuid.uuid4().hex[:12]}"
        credentials.append({"provider": "midjourney", "rights_key": key, "uses": image_uses, "expires_at": expires_at})
    if "voice" in uses and talent.voice_synthesis:
        key = f"rk_el_sandbox_{talent.brand.brand_id}_{uuid.uuid4().hex[:12]}"
        credentials.append({"provider": "elevenlabs", "rights_key": key, "uses": ["voice"], "expires_at": expires_at})
    return credentials


def _terms(grant: Mapping[str, Any], option: RightsPricingOption, talent: Talent) -> dict[str, Any]:
    terms: dict[str, Any] = {
        "pricing_option_id": option.id,
        "amount": option.price,
        "currency": option.currency,
        "uses": list(option.uses),
        "start_date": grant["start_date"],
        "end_date": grant["end_date"],
        "exclusivity": {
            "scope": f"Exclusive licensee for {talent.brand.name} in {', '.join(grant['countries'])} "
            "for the requested campaign category",
            "countries": list(grant["countries"]),
        },
    }
    if option.period is not None:
        terms["period"] = option.period
    cap = grant.get("impression_cap")
    if cap is not None:
        terms["impression_cap"] = cap
    if option.overage_cpm is not None:
        terms["overage_cpm"] = option.overage_cpm
    return terms


def _constraint(catalogue: BrandCatalogue, grant: Mapping[str, Any], offering: RightsOffering) -> dict[str, Any]:
    rights_id = grant["rights_id"]
    constraint: dict[str, Any] = {
        "rights_id": rights_id,
        "rights_agent": dict(catalogue.rights_agent),
        "valid_from": f"{grant['start_date']}T00:00:00Z",
        "valid_until": f"{grant['end_date']}T23:59:59Z",
        "uses": list(grant["uses"]),
        "countries": list(grant["countries"]),
        "right_type": offering.right_type,
        "approval_status": "approved",
        "verification_url": f"{catalogue.sandbox_base_url}/{rights_id}/verify",
    }
    if grant.get("impression_cap") is not None:
        constraint["impression_cap"] = grant["impression_cap"]
    return constraint


def _reach_rejection(talent: Talent, offering: RightsOffering, campaign: Campaign) -> dict[str, Any] | None:
    missing_uses = [use for use in campaign.uses if use not in offering.available_uses]
    if missing_uses:
        return {
            "reason": f"{talent.brand.name}'s licence does not cover {', '.join(missing_uses)}",
            "suggestions": [f"Available uses: {', '.join(offering.available_uses)}"],
        }
    outside = [country for country in campaign.countries or () if country not in offering.countries]
    if outside:
        return {
            "reason": f"{talent.brand.name}'s licence does not cover {', '.join(outside)}",
            "suggestions": [f"Available in {', '.join(offering.countries)}"],
        }
    return None


def acquire_rights(
    catalogue: BrandCatalogue, request: AcquireRequest, session: Session, gate_session: Session, now: datetime
) -> dict[str, Any]:
    """Decide an acquisition and, when it is acquired, keep the grant in ``session``.

    ``gate_session`` holds the governance plans the purchase answers to.

    Raises:
        AdcpError: REFERENCE_NOT_FOUND (``rights_id``), INVALID_REQUEST (``pricing_option_id``),
            GOVERNANCE_DENIED from the budget gate.
    """
    talent, offering = find_offering(catalogue, request.rights_id)
    option = offering.pricing_option(request.pricing_option_id)
    if option is None:
        known = ", ".join(po.id for po in offering.pricing_options)
        raise invalid(
            "pricing_option_id",
            f"No pricing option {request.pricing_option_id!r} in offering {request.rights_id!r}",
            suggestion=f"Choose one of: {known}.",
        )
    campaign = request.campaign
    impressions = campaign.estimated_impressions
    enforce_budget_gate(
        gate_session,
        amount=option.commitment(impressions if impressions is not None else DEFAULT_ESTIMATED_IMPRESSIONS),
        currency=option.currency,
        governance_context=request.governance_context,
        now=now,
        purchase_type="rights_license",
    )
    base = {"rights_id": offering.rights_id, "brand_id": talent.brand.brand_id, "sandbox": True}
    rejection = _reach_rejection(talent, offering, campaign)
    if rejection is not None:
        return {**base, "status": "rejected", **rejection}
    description = phrase(campaign.description)
    for keyword, rule in talent.rejected_keywords:
        # A rule born of an exclusivity contract lapses with it.
        if rule.applies(now.date()) and mentions(description, keyword):
            return {**base, "status": "rejected", **rule.wire()}
    for keyword in talent.pending_keywords:
        if mentions(description, keyword):
            return {
                **base,
                "status": "pending_approval",
                "detail": f"{talent.brand.name}'s management reviews {keyword} campaigns; "
                "the request was submitted for talent approval.",
                "estimated_response_time": PENDING_RESPONSE_TIME,
            }
    grant: dict[str, Any] = {
        "rights_id": offering.rights_id,
        "brand_id": talent.brand.brand_id,
        "buyer_domain": request.buyer_domain,
        "pricing_option_id": option.id,
        "uses": list(campaign.uses),
        "countries": list(campaign.countries or offering.countries),
        "start_date": campaign.start_date.isoformat(),
        "end_date": campaign.end_date.isoformat(),
        "impression_cap": option.impression_cap,
        "estimated_impressions": impressions,
        "paused": False,
        "acquired_at": iso(now),
    }
    session.collection(GRANTS)[offering.rights_id] = grant
    base_url = f"{catalogue.sandbox_base_url}/{offering.rights_id}"
    return {
        **base,
        "status": "acquired",
        "terms": _terms(grant, option, talent),
        "generation_credentials": _credentials(talent, campaign.uses, campaign.end_date),
        "restrictions": list(RESTRICTIONS),
        "disclosure": {"required": True, "text": disclosure_text(catalogue, talent)},
        "rights_constraint": _constraint(catalogue, grant, offering),
        "approval_webhook": {
            "url": f"{base_url}/approve",
            "authentication": {
                "schemes": ["Bearer"],
                "credentials": f"rk_approve_sandbox_{offering.rights_id}_token_min_32_chars",
            },
        },
        "usage_reporting_url": f"{base_url}/usage",
    }


def disclosure_text(catalogue: BrandCatalogue, talent: Talent) -> str:
    """Return the disclosure a creative made under a talent's licence must carry."""
    return f"Features AI-generated likeness of {talent.brand.name}, used under license from {catalogue.house['name']}"


def delivered_impressions(grant: Mapping[str, Any], now: datetime) -> int:
    """Return the impressions a grant has delivered by ``now``: its planned volume pro rata over its term.

    The plan is the estimated impressions, else the impression cap, else nothing delivered.
    """
    planned = grant.get("estimated_impressions") or grant.get("impression_cap") or 0
    start = datetime.combine(date.fromisoformat(grant["start_date"]), time.min, UTC)
    end = datetime.combine(date.fromisoformat(grant["end_date"]), time.max, UTC)
    if now <= start:
        return 0
    elapsed = min((now - start) / (end - start), 1.0)
    return int(planned * elapsed)


@attrs.frozen
class UpdateRequest:
    """A parsed update_rights request; ``None`` leaves a term as it is."""

    rights_id: str
    end_date: date | None = None
    impression_cap: int | None = None
    pricing_option_id: str | None = None
    paused: bool | None = None


def parse_update_request(args: Mapping[str, Any]) -> UpdateRequest:
    """Parse update_rights arguments.

    Raises:
        AdcpError: INVALID_REQUEST naming ``rights_id``, ``end_date``, ``impression_cap``,
            ``pricing_option_id`` or ``paused``.
    """
    return UpdateRequest(
        rights_id=fields.text(args, "rights_id", required=True),
        end_date=fields.day(args, "end_date"),
        impression_cap=fields.integer(args, "impression_cap", minimum=1),
        pricing_option_id=fields.text(args, "pricing_option_id"),
        paused=fields.boolean(args, "paused"),
    )


def grant_in(session: Session, rights_id: str) -> dict[str, Any] | None:
    """Return the grant ``session`` holds for ``rights_id``, if any."""
    if not session.has_collection(GRANTS):
        return None
    grant = session.collection(GRANTS).get(rights_id)
    return grant if isinstance(grant, dict) else None


def update_rights(
    catalogue: BrandCatalogue, request: UpdateRequest, grant: dict[str, Any] | None, now: datetime
) -> dict[str, Any]:
    """Apply an update to a stored grant (in place) and return the new terms.

    Raises:
        AdcpError: REFERENCE_NOT_FOUND (``rights_id``) without a grant; INVALID_REQUEST when the
            new ``end_date`` is before the current one or in the past, the new ``impression_cap``
            is below the impressions already delivered, or ``pricing_option_id`` is unknown.
    """
    talent, offering = find_offering(catalogue, request.rights_id)
    if grant is None:
        raise AdcpError(
            "REFERENCE_NOT_FOUND",
            f"No active grant for rights_id {request.rights_id!r}",
            field="rights_id",
            suggestion="Acquire the rights with acquire_rights first; update_rights changes an existing grant.",
        )
    today = now.date()
    current_end = date.fromisoformat(grant["end_date"])
    if request.end_date is not None:
        if request.end_date < current_end:
            raise invalid("end_date", f"The new end_date {request.end_date} is before the current one, {current_end}")
        if request.end_date < today:
            raise invalid("end_date", f"The new end_date {request.end_date} is in the past")
    delivered = delivered_impressions(grant, now)
    if request.impression_cap is not None and request.impression_cap < delivered:
        raise invalid(
            "impression_cap",
            f"The new impression_cap ({request.impression_cap}) is below the {delivered} impressions already delivered",
        )
    option_id = request.pricing_option_id or grant["pricing_option_id"]
    option = offering.pricing_option(option_id)
    if option is None:
        raise invalid("pricing_option_id", f"No pricing option {option_id!r} in offering {request.rights_id!r}")
    if request.end_date is not None:
        grant["end_date"] = request.end_date.isoformat()
    if request.pricing_option_id is not None:
        grant["pricing_option_id"] = option.id
        grant["impression_cap"] = option.impression_cap
    if request.impression_cap is not None:
        grant["impression_cap"] = request.impression_cap
    if request.paused is not None:
        grant["paused"] = request.paused
    grant["updated_at"] = iso(now)
    return {
        "rights_id": request.rights_id,
        "terms": _terms(grant, option, talent),
        "generation_credentials": _credentials(talent, tuple(grant["uses"]), date.fromisoformat(grant["end_date"])),
        "rights_constraint": _constraint(catalogue, grant, offering),
        "paused": grant["paused"],
        "implementation_date": iso(now),
        "sandbox": True,
    }


@attrs.frozen
class ApprovalRequest:
    """A parsed creative_approval request.

    Attributes:
        rights_id: the grant the creative was made under (``rights_id`` or ``rights_grant_id``).
        creative_url: where the creative can be fetched.
        creative_id: the buyer's creative id.
        creative_format: the format, as a string or a format_id object.
    """

    rights_id: str
    creative_url: str
    creative_id: str
    creative_format: str | Mapping[str, Any] | None


def parse_approval_request(args: Mapping[str, Any]) -> ApprovalRequest:
    """Parse creative_approval arguments; ``creative {creative_id, format, assets[0].url}`` is accepted too.

    Raises:
        AdcpError: INVALID_REQUEST naming ``rights_id``, ``creative_url`` or ``creative_format``.
    """
    rights_id = fields.text(args, "rights_id") or fields.text(args, "rights_grant_id")
    if rights_id is None:
        raise invalid("rights_id", "rights_id (or rights_grant_id) is required")
    creative = fields.mapping(args, "creative") or {}
    creative_url = fields.text(args, "creative_url")
    if creative_url is None:
        assets = creative.get("assets")
        first = assets[0] if isinstance(assets, list) and assets and isinstance(assets[0], Mapping) else {}
        creative_url = first.get("url") if isinstance(first.get("url"), str) else None
    if creative_url is None:
        raise invalid("creative_url", "creative_url (or creative.assets[0].url) is required")
    creative_id = (
        fields.text(args, "creative_id") or fields.text(creative, "creative_id", "creative") or "sandbox_creative"
    )
    creative_format = args.get("creative_format", creative.get("format"))
    if creative_format is not None and not isinstance(creative_format, str | Mapping):
        raise invalid("creative_format", "creative_format must be a format id string or a format_id object")
    return ApprovalRequest(rights_id, creative_url, creative_id, creative_format)


def review_creative(
    catalogue: BrandCatalogue, request: ApprovalRequest, grant: Mapping[str, Any] | None, now: datetime
) -> dict[str, Any]:
    """Review a creative made under a licence: approved, unless its grant is paused or has ended.

    Raises:
        AdcpError: REFERENCE_NOT_FOUND (``rights_id``) for an id the house does not offer.
    """
    talent, _ = find_offering(catalogue, request.rights_id)
    base: dict[str, Any] = {
        "rights_id": request.rights_id,
        "creative_id": request.creative_id,
        "creative_url": request.creative_url,
    }
    if request.creative_format is not None:
        base["creative_format"] = request.creative_format
    if grant is not None and grant.get("paused"):
        return {
            **base,
            "status": "rejected",
            "reason": "The rights grant is paused; creatives made under it cannot be approved.",
            "suggestions": ["Resume the grant with update_rights (paused: false), then resubmit."],
            "sandbox": True,
        }
    if grant is not None and date.fromisoformat(grant["end_date"]) < now.date():
        return {
            **base,
            "status": "rejected",
            "reason": f"The rights grant ended on {grant['end_date']}.",
            "suggestions": ["Extend the grant with update_rights (end_date), then resubmit."],
            "sandbox": True,
        }
    conditions = [SANDBOX_CONDITION, f"Carry the disclosure: {disclosure_text(catalogue, talent)}"]
    if grant is None:
        conditions.append("No grant for these rights is on record for this buyer; acquire them before distribution.")
    return {**base, "status": "approved", "approved_at": iso(now), "conditions": conditions, "sandbox": True}
