"""The brand catalogue: the Loti Entertainment talent house with its rights offerings, plus the sandbox advertisers.

Two data files feed it, both loaded once at tenant build: ``brand_talent.json`` (four fictional
athletes, their identity, rights offerings and the keyword rules that decide acquisitions) and
``brand_sandbox_brands.json`` (the advertiser brands of the AdCP compliance test kits, the same
brands ``getSandboxBrands()`` serves the reference). Keyword rules match whole words of a
lowercased text, so ``fast_food`` matches "fast food" and ``us`` never matches "campus". Existing
exclusivity contracts and the rejection rules they cause carry an end date and lapse after it, by
the trainer clock, so the roster never freezes in one year.
"""

from __future__ import annotations

import importlib.resources
import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, Final

import attrs
import orjson

TALENT_RESOURCE: Final = "brand_talent.json"
SANDBOX_BRANDS_RESOURCE: Final = "brand_sandbox_brands.json"

# brand.json identity fields: the public ones are always returned, the others only to an
# authorized caller (an account linked to the brand), as the reference's get_brand_identity does.
PUBLIC_FIELDS: Final = ("description", "industries", "keller_type", "logos", "tagline")
AUTHORIZED_FIELDS: Final = ("colors", "fonts", "visual_guidelines", "tone", "voice_synthesis", "assets", "rights")
IDENTITY_FIELDS: Final = (*PUBLIC_FIELDS, *AUTHORIZED_FIELDS)

RIGHT_USES: Final = frozenset(
    {
        "likeness",
        "voice",
        "name",
        "endorsement",
        "motion_capture",
        "signature",
        "catchphrase",
        "sync",
        "background_music",
        "editorial",
        "commercial",
        "ai_generated_image",
    }
)
RIGHT_TYPES: Final = frozenset({"talent", "character", "brand_ip", "music", "stock_media"})

_WORD: Final = re.compile(r"[a-z0-9]+")


def phrase(text: str) -> str:
    """Return ``text`` lowercased as single-space-separated words, with a space at each end.

    Matching ``f" {keyword} "`` against it is a whole-word (or whole-phrase) match.
    """
    return " " + " ".join(_WORD.findall(text.lower())) + " "


def mentions(text_phrase: str, keyword: str) -> bool:
    """Say whether a ``phrase()`` contains ``keyword`` (underscores read as spaces), singular or plural."""
    words = " ".join(_WORD.findall(keyword.lower()))
    return f" {words} " in text_phrase or f" {words}s " in text_phrase


@attrs.frozen
class Rule:
    """A keyword rule's outcome: why, and what the buyer could do instead.

    Attributes:
        reason: one sentence for the buyer.
        suggestions: alternatives that would be accepted.
        until: the last day the rule applies (an exclusivity's end); ``None`` means always.
    """

    reason: str
    suggestions: tuple[str, ...] = ()
    until: date | None = None

    def applies(self, today: date) -> bool:
        return self.until is None or today <= self.until

    def wire(self) -> dict[str, Any]:
        body: dict[str, Any] = {"reason": self.reason}
        if self.suggestions:
            body["suggestions"] = list(self.suggestions)
        return body


@attrs.frozen
class Exclusive:
    """An exclusivity contract another brand holds on a talent.

    Attributes:
        category: what it covers (``sportswear``).
        region: where (``NL``, ``EU``).
        until: its last day.
    """

    category: str
    region: str
    until: date

    def label(self) -> str:
        return f"{self.category} ({self.region}) — through {self.until.isoformat()}"


@attrs.frozen
class RightsPricingOption:
    """A way to pay for an offering (AdCP ``rights-pricing-option``).

    Attributes:
        id: ``pricing_option_id``, unique within its offering only.
        model: ``cpm`` or ``flat_rate``.
        price: per thousand impressions for ``cpm``, per period for ``flat_rate``.
        currency: ISO 4217.
        uses: the rights uses the option covers.
        period: the billing period of a flat rate.
        impression_cap: impressions included in a flat rate.
        overage_cpm: the rate past the cap.
        wire: the option as ``get_rights`` lists it.
    """

    id: str
    model: str
    price: float
    currency: str
    uses: tuple[str, ...]
    period: str | None
    impression_cap: int | None
    overage_cpm: float | None
    wire: Mapping[str, Any]

    def commitment(self, estimated_impressions: int) -> float:
        """Return what the option commits the buyer to for a campaign of ``estimated_impressions``."""
        if self.model == "cpm":
            return self.price / 1000 * estimated_impressions
        return self.price


@attrs.frozen
class RightsOffering:
    """Rights a talent licenses, with the ways to pay for them.

    Attributes:
        rights_id: the offering id ``get_rights`` lists and ``acquire_rights`` takes.
        right_type: AdCP ``right-type``.
        available_uses: the uses the offering can cover.
        countries: where it can be used.
        pricing_options: in catalogue order.
        exclusives: exclusivity contracts other brands hold on the talent.
        exclusivity_available: whether exclusivity can be sold while those contracts run.
        wire: the offering fields ``get_rights`` lists as they are (restrictions, previews).
    """

    rights_id: str
    right_type: str
    available_uses: tuple[str, ...]
    countries: tuple[str, ...]
    pricing_options: tuple[RightsPricingOption, ...]
    exclusives: tuple[Exclusive, ...]
    exclusivity_available: bool
    wire: Mapping[str, Any]

    def pricing_option(self, pricing_option_id: str) -> RightsPricingOption | None:
        return next((option for option in self.pricing_options if option.id == pricing_option_id), None)

    def exclusivity_status(self, today: date) -> dict[str, Any]:
        """Return the ``exclusivity_status`` of the offering on ``today``: lapsed contracts drop out."""
        running = [exclusive.label() for exclusive in self.exclusives if today <= exclusive.until]
        return {"available": self.exclusivity_available or not running, "existing_exclusives": running}


@attrs.frozen
class Brand:
    """A brand ``get_brand_identity`` serves: a talent of the house or a sandbox advertiser.

    Attributes:
        brand_id: the id buyers ask for.
        house: ``{domain, name}`` of the corporate entity.
        names: localized names.
        identity: the brand.json identity fields it has, keyed by ``IDENTITY_FIELDS`` names.
    """

    brand_id: str
    house: Mapping[str, str]
    names: tuple[Mapping[str, str], ...]
    identity: Mapping[str, Any]

    @property
    def name(self) -> str:
        """The first localized name, or the id when there is none."""
        for names in self.names:
            for value in names.values():
                return value
        return self.brand_id

    @property
    def domain(self) -> str:
        return self.house["domain"]


@attrs.frozen
class Talent:
    """A rights holder of the house.

    Attributes:
        brand: the talent's identity.
        countries: where the talent's rights can be used.
        available_uses: every use any of the talent's offerings covers.
        offerings: what the talent licenses.
        pending_keywords: campaign words that send an acquisition to the talent's management.
        rejected_keywords: campaign words that reject an acquisition, each with its rule.
        exclusions: query words that drop the talent from ``get_rights``, each with its rule.
        voice_synthesis: whether the house holds a synthetic voice for the talent.
    """

    brand: Brand
    countries: tuple[str, ...]
    available_uses: tuple[str, ...]
    offerings: tuple[RightsOffering, ...]
    pending_keywords: tuple[str, ...]
    rejected_keywords: tuple[tuple[str, Rule], ...]
    exclusions: tuple[tuple[str, Rule], ...]
    voice_synthesis: bool


@attrs.frozen
class BrandCatalogue:
    """Every brand served and every offering licensed, indexed once.

    Attributes:
        house: ``{domain, name}`` of the talent house.
        rights_agent: ``{url, id}`` named in each ``rights_constraint``.
        sandbox_base_url: where grant verification, approval and usage URLs live.
        talent: the rights holders, in catalogue order.
        brands: every brand by id (talent first, then advertisers).
    """

    house: Mapping[str, str]
    rights_agent: Mapping[str, str]
    sandbox_base_url: str
    talent: tuple[Talent, ...]
    brands: Mapping[str, Brand]
    _offerings: Mapping[str, tuple[Talent, RightsOffering]] = attrs.field(alias="offerings")
    _by_domain: Mapping[str, Brand] = attrs.field(alias="by_domain")

    def brand(self, brand_id: str) -> Brand | None:
        return self.brands.get(brand_id)

    def brand_for_domain(self, domain: str) -> Brand | None:
        """Return the brand whose house lives at ``domain`` (case-insensitive)."""
        return self._by_domain.get(domain.lower())

    def offering(self, rights_id: str) -> tuple[Talent, RightsOffering] | None:
        """Return the talent and offering ``rights_id`` names, if any."""
        return self._offerings.get(rights_id)


def _rules(raw: Mapping[str, Any]) -> tuple[tuple[str, Rule], ...]:
    return tuple(
        (
            keyword,
            Rule(
                str(rule["reason"]),
                tuple(rule.get("suggestions", ())),
                date.fromisoformat(rule["until"]) if "until" in rule else None,
            ),
        )
        for keyword, rule in raw.items()
    )


def _pricing_option(raw: Mapping[str, Any]) -> RightsPricingOption:
    return RightsPricingOption(
        id=raw["pricing_option_id"],
        model=raw["model"],
        price=float(raw["price"]),
        currency=raw["currency"],
        uses=tuple(raw["uses"]),
        period=raw.get("period"),
        impression_cap=raw.get("impression_cap"),
        overage_cpm=raw.get("overage_cpm"),
        wire=dict(raw),
    )


def _offering(raw: Mapping[str, Any]) -> RightsOffering:
    exclusivity = raw["exclusivity"]
    return RightsOffering(
        rights_id=raw["rights_id"],
        right_type=raw["right_type"],
        available_uses=tuple(raw["available_uses"]),
        countries=tuple(raw["countries"]),
        pricing_options=tuple(_pricing_option(option) for option in raw["pricing_options"]),
        exclusives=tuple(
            Exclusive(item["category"], item["region"], date.fromisoformat(item["until"]))
            for item in exclusivity["existing"]
        ),
        exclusivity_available=bool(exclusivity["available"]),
        wire={"content_restrictions": raw["content_restrictions"], "preview_assets": raw["preview_assets"]},
    )


def _identity(raw: Mapping[str, Any]) -> dict[str, Any]:
    identity = {name: raw[name] for name in IDENTITY_FIELDS if name in raw}
    if "industry" in raw and "industries" not in identity:
        identity["industries"] = [raw["industry"]]
    return identity


def _talent(raw: Mapping[str, Any], house: Mapping[str, str]) -> Talent:
    brand = Brand(raw["brand_id"], house, tuple(raw["names"]), _identity(raw))
    rules = raw["acquire_rules"]
    return Talent(
        brand=brand,
        countries=tuple(raw["rights"]["countries"]),
        available_uses=tuple(raw["rights"]["available_uses"]),
        offerings=tuple(_offering(offering) for offering in raw["offerings"]),
        pending_keywords=tuple(rules["pending_approval"]),
        rejected_keywords=_rules(rules["rejected"]),
        exclusions=_rules(raw["exclusions"]),
        voice_synthesis="voice_synthesis" in raw,
    )


def _read(resource: str) -> Any:
    return orjson.loads(importlib.resources.files("trainer.data").joinpath(resource).read_bytes())


def build_catalogue(talent_data: Mapping[str, Any], advertisers: Iterable[Mapping[str, Any]]) -> BrandCatalogue:
    """Index a talent roster and advertiser brands.

    Raises:
        ValueError: when two brands share an id or two offerings share a rights_id.
        KeyError: when a record lacks a required key.
    """
    house = dict(talent_data["house"])
    talent = tuple(_talent(raw, house) for raw in talent_data["talent"])
    brands: dict[str, Brand] = {}
    by_domain: dict[str, Brand] = {}
    offerings: dict[str, tuple[Talent, RightsOffering]] = {}
    for member in talent:
        for offering in member.offerings:
            if offering.rights_id in offerings:
                raise ValueError(f"rights_id {offering.rights_id!r} is offered twice")
            offerings[offering.rights_id] = (member, offering)
    advertiser_brands = [
        Brand(raw["brand_id"], dict(raw["house"]), tuple(raw["names"]), _identity(raw)) for raw in advertisers
    ]
    for brand in [member.brand for member in talent] + advertiser_brands:
        if brand.brand_id in brands:
            raise ValueError(f"brand_id {brand.brand_id!r} is defined twice")
        brands[brand.brand_id] = brand
        # The house domain names the house, not one talent: only advertisers are found by domain.
        if brand.domain != house["domain"]:
            by_domain[brand.domain.lower()] = brand
    return BrandCatalogue(
        house=house,
        rights_agent=dict(talent_data["rights_agent"]),
        sandbox_base_url=talent_data["sandbox_base_url"],
        talent=talent,
        brands=brands,
        offerings=offerings,
        by_domain=by_domain,
    )


def load_catalogue() -> BrandCatalogue:
    """Load the packaged talent roster and sandbox advertisers.

    Raises:
        ValueError, KeyError: when a data file is inconsistent (a packaging bug: the tenant fails to build).
    """
    return build_catalogue(_read(TALENT_RESOURCE), _read(SANDBOX_BRANDS_RESOURCE)["brands"])
