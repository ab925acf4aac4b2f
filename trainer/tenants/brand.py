"""The /brand tenant: brand identity and rights licensing from a fictional talent house (reference section 2.7).

Handlers parse, pick the session, call ``trainer.domain.brand`` and shape the reply. There is no
comply controller here, as in the reference.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from trainer.adcp.pagination import paginate
from trainer.adcp.sessions import DEFAULT_KEY, Session
from trainer.adcp.tenant_kit import build_tenant, object_schema
from trainer.domain.brand.catalogue import BrandCatalogue, load_catalogue
from trainer.domain.brand.identity import brand_identity, parse_identity_request
from trainer.domain.brand.licensing import (
    acquire_rights,
    grant_in,
    parse_acquire_request,
    parse_approval_request,
    parse_update_request,
    review_creative,
    update_rights,
)
from trainer.domain.brand.rights import parse_rights_query, search_rights
from trainer.domain.governance.gate import PLANS
from trainer.tenant import JsonObject, Tenant, TenantContext, ToolCall, ToolSpec

RIGHTS_CURSOR_KIND: Final = "rights"

ACCOUNT_PROPERTY: Final = {"description": "Account reference: {account_id} or {brand: {domain}, operator}."}
BRAND_PROPERTY: Final = {"description": "Brand reference {domain}: keys the caller's session."}

IDENTITY_SCHEMA: Final = object_schema(
    {
        "brand_id": {"description": "The brand to describe (daan_janssen, acme_outdoor, ...)."},
        "fields": {"description": "Sections to return; omitted means all the caller may see."},
        "use_case": {"description": "Intended use: endorsement, voice_synthesis, likeness, creative_production."},
        "authorized": {"description": "Simulate a linked account and see colors, fonts, tone, voice and rights."},
        "account": ACCOUNT_PROPERTY,
        "brand": BRAND_PROPERTY,
    }
)
RIGHTS_SCHEMA: Final = object_schema(
    {
        "query": {"description": "Natural-language description of the rights wanted (required)."},
        "uses": {"description": "Rights uses wanted: likeness, voice, name, endorsement, ... (required)."},
        "countries": {"description": "ISO 3166-1 alpha-2 countries the rights are needed in."},
        "brand_id": {"description": "Search within one rights holder."},
        "right_type": {"description": "talent, character, brand_ip, music or stock_media."},
        "buyer_brand": {"description": "The advertiser, for compatibility exclusions: {domain}."},
        "include_excluded": {"description": "List excluded talent with the reason."},
        "pagination": {"description": "{max_results, cursor}."},
    }
)
ACQUIRE_SCHEMA: Final = object_schema(
    {
        "rights_id": {"description": "The offering from get_rights."},
        "pricing_option_id": {"description": "The chosen pricing option of that offering."},
        "buyer": {"description": "Who licenses: {domain, brand_id?}."},
        "campaign": {
            "description": "{description, uses[], countries?, estimated_impressions?, start_date?, end_date?}."
        },
        "revocation_webhook": {"description": "Where a revocation is sent: {url, authentication?}."},
        "governance_context": {"description": "The governance_context check_governance returned, if governed."},
        "idempotency_key": {"description": "A unique key per purchase (16-255 of A-Za-z0-9_.:-)."},
        "account": ACCOUNT_PROPERTY,
        "brand": BRAND_PROPERTY,
    }
)
UPDATE_SCHEMA: Final = object_schema(
    {
        "rights_id": {"description": "The acquired grant."},
        "end_date": {"description": "A later end date (YYYY-MM-DD)."},
        "impression_cap": {"description": "A new cap, at least what was delivered."},
        "pricing_option_id": {"description": "Move the grant to another pricing option of its offering."},
        "paused": {"description": "Pause or resume the grant."},
        "idempotency_key": {"description": "A unique key per update (16-255 of A-Za-z0-9_.:-)."},
        "account": ACCOUNT_PROPERTY,
    }
)
APPROVAL_SCHEMA: Final = object_schema(
    {
        "rights_id": {"description": "The grant the creative was made under (alias rights_grant_id)."},
        "creative_url": {"description": "Where the creative can be fetched for review."},
        "creative_id": {"description": "The buyer's creative id."},
        "creative_format": {"description": "The creative's format id."},
        "creative": {"description": "Alternative: {creative_id, format, assets[{url}]}."},
        "account": ACCOUNT_PROPERTY,
    }
)


def _caller_domain(args: Mapping[str, Any]) -> str | None:
    account = args.get("account")
    for holder in (account.get("brand") if isinstance(account, Mapping) else None, args.get("brand")):
        domain = holder.get("domain") if isinstance(holder, Mapping) else None
        if isinstance(domain, str) and domain:
            return domain
    return None


def _governed(session: Session) -> bool:
    return session.has_collection(PLANS)


def _grant_session(call: ToolCall, rights_id: str) -> Session | None:
    """Return the session holding a grant for ``rights_id``: the caller's, else the most recent one.

    update_rights and creative_approval carry no account in the spec, so a grant acquired under
    the buyer's brand session must be found from wherever the follow-up lands.
    """
    session = call.session()
    if grant_in(session, rights_id) is not None:
        return session
    return call.sessions.find(lambda candidate: grant_in(candidate, rights_id) is not None)


def _rights_summary(payload: JsonObject) -> str:
    return f"Found {len(payload['rights'])} rights offerings"


def _acquire_summary(payload: JsonObject) -> str:
    return f"Rights {payload['rights_id']}: {payload['status']}"


async def build(ctx: TenantContext) -> Tenant:
    """Return the /brand tenant over the packaged talent house and sandbox brands.

    Raises:
        ValueError, KeyError: when the packaged brand data is inconsistent.
    """
    catalogue: BrandCatalogue = load_catalogue()

    async def get_brand_identity(call: ToolCall) -> JsonObject:
        request = parse_identity_request(call.args, _caller_domain(call.args), catalogue)
        return brand_identity(catalogue, request)

    async def get_rights(call: ToolCall) -> JsonObject:
        result = search_rights(catalogue, parse_rights_query(call.args, catalogue), call.clock.now().date())
        page, pagination = paginate(result.rights, call.args.get("pagination"), RIGHTS_CURSOR_KIND)
        payload: JsonObject = {"rights": page, "pagination": pagination, "sandbox": True}
        if result.excluded:
            payload["excluded"] = result.excluded
        return payload

    async def acquire(call: ToolCall) -> JsonObject:
        now = call.clock.now()
        request = parse_acquire_request(call.args, now.date())
        session = call.session()
        gate_session = session
        if session.key == DEFAULT_KEY and not _governed(session):
            # A request naming no brand cannot key to the buyer's plans; like the reference, let the
            # most recently used governed session gate it rather than let spending go ungoverned.
            gate_session = call.sessions.find(_governed) or session
        return acquire_rights(catalogue, request, session, gate_session, now)

    async def update(call: ToolCall) -> JsonObject:
        request = parse_update_request(call.args)
        holder = _grant_session(call, request.rights_id)
        grant = grant_in(holder, request.rights_id) if holder is not None else None
        return update_rights(catalogue, request, grant, call.clock.now())

    async def creative_approval(call: ToolCall) -> JsonObject:
        request = parse_approval_request(call.args)
        holder = _grant_session(call, request.rights_id)
        grant = grant_in(holder, request.rights_id) if holder is not None else None
        return review_creative(catalogue, request, grant, call.clock.now())

    tools = [
        ToolSpec(
            "get_brand_identity",
            "Get a brand's identity: public fields for anyone, colors, fonts, tone, voice and rights for linked "
            f"callers (authorized: true). Brands: {', '.join(catalogue.brands)}.",
            IDENTITY_SCHEMA,
            get_brand_identity,
            read_only=True,
            summary=lambda payload: f"Brand identity for {payload['brand_id']}",
        ),
        ToolSpec(
            "get_rights",
            "Search licensable talent rights by query, uses and countries; matches come scored with pricing options.",
            RIGHTS_SCHEMA,
            get_rights,
            read_only=True,
            summary=_rights_summary,
        ),
        ToolSpec(
            "acquire_rights",
            "License rights for a campaign: acquired (with credentials and terms), pending_approval or rejected.",
            ACQUIRE_SCHEMA,
            acquire,
            mutating=True,
            summary=_acquire_summary,
        ),
        ToolSpec(
            "update_rights",
            "Change an acquired grant: extend its end date, raise its impression cap, switch pricing, pause or resume.",
            UPDATE_SCHEMA,
            update,
            mutating=True,
            summary=lambda payload: f"Rights {payload['rights_id']} updated",
        ),
        ToolSpec(
            "creative_approval",
            "Submit a creative made under a rights grant for the brand's approval.",
            APPROVAL_SCHEMA,
            creative_approval,
            summary=lambda payload: f"Creative {payload['creative_id']}: {payload['status']}",
        ),
    ]
    offerings = [offering for talent in catalogue.talent for offering in talent.offerings]
    capabilities = {
        "brand": {
            "rights": True,
            "right_types": sorted({offering.right_type for offering in offerings}),
            "available_uses": sorted({use for offering in offerings for use in offering.available_uses}),
        }
    }
    return build_tenant(ctx, tools=tools, capabilities=capabilities, specialisms=["brand-rights"])
