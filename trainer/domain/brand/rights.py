"""get_rights: filter the talent house's offerings, score them against the request, and drop excluded talent.

Filtering keeps a talent when it covers at least one requested country and one requested use.
The score starts at 0.2 and adds 0.3 for a country match (a requested country, or a country the
query names), 0.3 times the share of requested uses the talent covers, and 0.2 when a budget the
query names ("400 EUR", "$900") covers the talent's flat rate; it is rounded to two decimals.
Exclusions are keyword rules over the query and the buyer brand's own description (a vegan
athlete is not offered to a steakhouse), and appear under ``excluded`` only when asked for.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any, Final

import attrs

from trainer.adcp.errors import invalid
from trainer.domain.brand import fields
from trainer.domain.brand.catalogue import RIGHT_TYPES, RIGHT_USES, BrandCatalogue, Rule, Talent, mentions, phrase

MAX_QUERY_LEN: Final = 2000
COUNTRY: Final = re.compile(r"[A-Z]{2}")
BASE_SCORE: Final = 0.2
COUNTRY_SCORE: Final = 0.3
USES_SCORE: Final = 0.3
BUDGET_SCORE: Final = 0.2

# Words in a query that name a country, for buyers who say "Dutch athlete" instead of countries: ["NL"].
COUNTRY_HINTS: Final[Mapping[str, tuple[str, ...]]] = {
    "NL": ("dutch", "netherlands", "holland", "amsterdam", "rotterdam"),
    "BE": ("belgian", "belgium", "brussels"),
    "DE": ("german", "germany", "berlin"),
    "FR": ("french", "france", "paris"),
    "MX": ("mexican", "mexico"),
    "US": ("american", "usa", "united states"),
    "JP": ("japanese", "japan", "tokyo"),
    "KR": ("korean", "korea", "seoul"),
}
_BUDGET: Final = re.compile(
    r"(?:(\d[\d,]*(?:\.\d+)?)\s*(?:eur|euro|euros|usd|dollars|€|\$))|(?:[€$]\s*(\d[\d,]*(?:\.\d+)?))"
)


@attrs.frozen
class RightsQuery:
    """A parsed get_rights request.

    Attributes:
        query: the natural-language ask.
        uses: the rights uses wanted.
        countries: where the rights are needed; ``None`` means anywhere.
        brand_id: a rights holder to search within; an id the house does not know means no filter.
        right_type: only offerings of this type.
        include_excluded: whether to list excluded talent with reasons.
        buyer_description: what the buyer brand says about itself, for compatibility exclusions.
    """

    query: str
    uses: tuple[str, ...]
    countries: tuple[str, ...] | None = None
    brand_id: str | None = None
    right_type: str | None = None
    include_excluded: bool = False
    buyer_description: str = ""


def parse_rights_query(args: Mapping[str, Any], catalogue: BrandCatalogue) -> RightsQuery:
    """Parse get_rights arguments; ``buyer_brand`` (or ``buyer``) is looked up among the sandbox brands.

    Raises:
        AdcpError: INVALID_REQUEST naming ``query``, ``uses[i]``, ``countries[i]``, ``brand_id``,
            ``right_type``, ``include_excluded`` or ``buyer_brand``.
    """
    query = fields.text(args, "query", required=True, max_len=MAX_QUERY_LEN)
    uses = fields.strings(args, "uses", required=True, allowed=RIGHT_USES)
    countries = fields.strings(args, "countries", pattern=COUNTRY)
    brand_id = fields.text(args, "brand_id")
    right_type = fields.text(args, "right_type")
    if right_type is not None and right_type not in RIGHT_TYPES:
        raise invalid("right_type", f"right_type must be one of: {', '.join(sorted(RIGHT_TYPES))}")
    include_excluded = fields.boolean(args, "include_excluded") is True
    buyer_name = "buyer_brand" if "buyer_brand" in args else "buyer"
    buyer = fields.mapping(args, buyer_name)
    buyer_description = ""
    if buyer is not None:
        domain = fields.text(buyer, "domain", buyer_name)
        brand = catalogue.brand_for_domain(domain) if domain is not None else None
        if brand is not None:
            industries = " ".join(str(industry) for industry in brand.identity.get("industries", ()))
            buyer_description = f"{brand.identity.get('description', '')} {industries}"
    return RightsQuery(query, uses, countries, brand_id, right_type, include_excluded, buyer_description)


@attrs.frozen
class RightsResult:
    """What get_rights found: offerings best first, and the talent excluded with why."""

    rights: list[dict[str, Any]]
    excluded: list[dict[str, Any]]


def _hinted_countries(query: str) -> frozenset[str]:
    return frozenset(code for code, hints in COUNTRY_HINTS.items() if any(mentions(query, hint) for hint in hints))


def _budget(query_lower: str) -> float | None:
    match = _BUDGET.search(query_lower)
    if match is None:
        return None
    return float((match.group(1) or match.group(2)).replace(",", ""))


def _flat_rate(talent: Talent) -> tuple[float, str, str | None] | None:
    for offering in talent.offerings:
        for option in offering.pricing_options:
            if option.model == "flat_rate":
                return option.price, option.currency, option.period
    return None


def _score(
    talent: Talent, request: RightsQuery, query_phrase: str, hinted: frozenset[str], budget: float | None
) -> tuple[float, list[str]]:
    score = BASE_SCORE
    reasons: list[str] = []
    wanted_countries = set(request.countries) if request.countries else set(hinted)
    covered = [country for country in talent.countries if country in wanted_countries]
    if covered:
        score += COUNTRY_SCORE
        reasons.append(f"Available in requested markets: {', '.join(covered)}")
    else:
        reasons.append(f"Available in {', '.join(talent.countries)}")
    matched = [use for use in request.uses if use in talent.available_uses]
    score += USES_SCORE * len(matched) / len(request.uses)
    if matched:
        reasons.append(f"Supports requested uses: {', '.join(matched)}")
    flat_rate = _flat_rate(talent)
    if budget is not None and flat_rate is not None and flat_rate[0] <= budget:
        score += BUDGET_SCORE
        price, currency, period = flat_rate
        reasons.append(f"Within budget at {price:g} {currency}{f'/{period}' if period else ''}")
    industries = talent.brand.identity.get("industries", ())
    if any(mentions(query_phrase, word) for word in ("athlete", "sport")):
        reasons.append(f"{'/'.join(industries)} talent")
    if any(mentions(query_phrase, word) for word in ("food", "restaurant")):
        reasons.append("Available for food and restaurant brands")
    return round(min(score, 1.0), 2), reasons


def _exclusion(talent: Talent, text_phrase: str) -> Rule | None:
    return next((rule for keyword, rule in talent.exclusions if mentions(text_phrase, keyword)), None)


def search_rights(catalogue: BrandCatalogue, request: RightsQuery, today: date) -> RightsResult:
    """Return the offerings matching ``request`` on ``today``, best score first (catalogue order breaks ties)."""
    candidates = list(catalogue.talent)
    if request.brand_id is not None:
        # Callers (and compliance runners) often put their own brand here; an id the house does
        # not know therefore means "no filter", not "nothing".
        named = [talent for talent in candidates if talent.brand.brand_id == request.brand_id]
        candidates = named or candidates
    if request.countries:
        candidates = [talent for talent in candidates if set(request.countries) & set(talent.countries)]
    candidates = [talent for talent in candidates if set(request.uses) & set(talent.available_uses)]
    query_phrase = phrase(request.query)
    exclusion_phrase = phrase(f"{request.query} {request.buyer_description}")
    hinted = _hinted_countries(query_phrase)
    budget = _budget(request.query.lower())
    scored: list[tuple[float, dict[str, Any]]] = []
    excluded: list[dict[str, Any]] = []
    for talent in candidates:
        rule = _exclusion(talent, exclusion_phrase)
        if rule is not None:
            excluded.append({"brand_id": talent.brand.brand_id, "name": talent.brand.name, **rule.wire()})
            continue
        score, reasons = _score(talent, request, query_phrase, hinted, budget)
        for offering in talent.offerings:
            if request.right_type is not None and offering.right_type != request.right_type:
                continue
            entry = {
                "rights_id": offering.rights_id,
                "brand_id": talent.brand.brand_id,
                "name": talent.brand.name,
                "description": talent.brand.identity.get("description", ""),
                "right_type": offering.right_type,
                "match_score": score,
                "match_reasons": reasons,
                "available_uses": list(offering.available_uses),
                "countries": list(offering.countries),
                "pricing_options": [dict(option.wire) for option in offering.pricing_options],
                "exclusivity_status": offering.exclusivity_status(today),
                **offering.wire,
            }
            scored.append((score, entry))
    # sorted() is stable: equal scores keep catalogue order, so the first offering is deterministic.
    ranked = [entry for _, entry in sorted(scored, key=lambda pair: -pair[0])]
    return RightsResult(ranked, excluded if request.include_excluded else [])
