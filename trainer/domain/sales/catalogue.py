"""The /sales product catalogue: a dozen fictional publishers, their products, storyboard aliases, proposals.

``trainer/data/sales_catalogue.json`` is read once, when the tenant builds its ``Catalogue``; every
product is turned into its wire object then, so ``get_products`` hands out prebuilt dicts and never
rebuilds or deep-copies the catalogue. Seeded products (``comply_test_controller``
``seed_product``/``seed_pricing_option``) are per session: they are merged into wire objects when
seeded and cached in the session, so reads stay as cheap as for the static catalogue.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

import attrs
import orjson

from trainer.adcp.sessions import Session
from trainer.domain.creatives.formats import FormatCatalogue
from trainer.domain.creatives.provenance import ProvenancePolicy

CATALOGUE_RESOURCE: Final = "sales_catalogue.json"
# Session collections written by the seed scenarios: the raw fixtures, and the wire products built from them.
SEEDED_PRODUCT_FIXTURES: Final = "sales_seeded_product_fixtures"
SEEDED_PRICING_FIXTURES: Final = "sales_seeded_pricing_fixtures"
SEEDED_PRODUCTS: Final = "sales_seeded_products"

CHANNELS: Final = frozenset(
    {
        "display", "olv", "social", "search", "ctv", "linear_tv", "radio", "streaming_audio", "podcast", "dooh",
        "ooh", "print", "cinema", "email", "gaming", "retail_media", "influencer", "affiliate", "product_placement",
        "sponsored_intelligence",
    }
)  # fmt: skip
# Informal channel names fixtures use, mapped to the AdCP channel enum so seeded products stay schema-valid.
CHANNEL_ALIASES: Final[Mapping[str, str]] = {
    "video": "olv",
    "online_video": "olv",
    "connected_tv": "ctv",
    "tv": "linear_tv",
    "broadcast": "linear_tv",
    "audio": "streaming_audio",
    "native": "display",
    "mobile": "display",
    "retail": "retail_media",
}
PRICING_MODELS: Final = frozenset({"cpm", "vcpm", "cpc", "cpcv", "cpv", "cpp", "cpa", "flat_rate", "time"})
FIXTURE_PUBLISHER_DOMAIN: Final = "training.example.com"
FIXTURE_DEFAULT_PRICING: Final[Mapping[str, Any]] = {
    "pricing_option_id": "fixture_default_cpm",
    "pricing_model": "cpm",
    "currency": "USD",
    "fixed_price": 5,
}
ALL_METRICS: Final = (
    "impressions", "spend", "clicks", "ctr", "views", "completed_views", "completion_rate", "conversions",
    "viewability", "reach", "frequency",
)  # fmt: skip
REPORTING_DELAY_MINUTES: Final = 240


SeededLookup = Callable[[str], Mapping[str, Any] | None]
"""Find a product some session seeded under this id, or None."""


def seeded_product(session: Session | None, product_id: str) -> Mapping[str, Any] | None:
    """Return the product ``session`` seeded under ``product_id``, or None."""
    if session is None or not session.has_collection(SEEDED_PRODUCTS):
        return None
    found: Mapping[str, Any] | None = session.collection(SEEDED_PRODUCTS).get(product_id)
    return found


def normalize_channels(raw: object) -> list[str]:
    """Return the AdCP channels a fixture's ``channels`` names, aliases mapped and unknown names dropped."""
    if not isinstance(raw, list):
        return []
    channels: list[str] = []
    for name in raw:
        if not isinstance(name, str):
            continue
        channel = CHANNEL_ALIASES.get(name, name)
        if channel in CHANNELS and channel not in channels:
            channels.append(channel)
    return channels


def reporting_capabilities(frequencies: Sequence[str], metrics: Sequence[str]) -> dict[str, Any]:
    """Return a product's ``reporting_capabilities``."""
    return {
        "available_reporting_frequencies": list(frequencies),
        "expected_delay_minutes": REPORTING_DELAY_MINUTES,
        "timezone": "UTC",
        "supports_webhooks": True,
        "available_metrics": list(metrics),
        "supports_creative_breakdown": False,
        "date_range_support": "date_range",
    }


def _pricing_option(product_id: str, index: int, spec: Mapping[str, Any]) -> dict[str, Any]:
    option: dict[str, Any] = {
        "pricing_option_id": spec.get("pricing_option_id") or f"{product_id}_pricing_{index}",
        "pricing_model": spec["model"],
        "currency": spec["currency"],
    }
    option.update({key: value for key, value in spec.items() if key not in {"model", "currency", "pricing_option_id"}})
    return option


def _forecast(impressions: int, delivery_type: str, option: Mapping[str, Any]) -> dict[str, Any]:
    """Return a one-point forecast: the month's impressions and the spend they cost at the headline rate."""
    rate = option.get("fixed_price") or (option.get("price_guidance") or {}).get("p50") or option.get("floor_price")
    metrics: dict[str, Any] = {
        "impressions": {"low": round(impressions * 0.8), "mid": impressions, "high": round(impressions * 1.2)}
    }
    if option.get("pricing_model") == "cpm" and isinstance(rate, int | float):
        spend = round(impressions / 1000 * rate, 2)
        metrics["spend"] = {"mid": spend}
    return {
        "points": [{"label": "30 days", "metrics": metrics}],
        "method": "guaranteed" if delivery_type == "guaranteed" else "estimate",
        "currency": option.get("currency", "USD"),
    }


@attrs.frozen
class Product:
    """One catalogue product as scoring and validation see it.

    Attributes:
        product_id: the id buyers send back in ``packages[].product_id``.
        wire: the prebuilt ``Product`` object; shared, never mutated.
        channels: its channels.
        delivery_type: ``guaranteed`` or ``non_guaranteed``.
        terms: words a brief may match (name, description, publisher, property tags, keywords).
        alias: a storyboard alias (``test-product``, ...): found by id, never offered by a brief.
        order: its position in the catalogue, the tie-break of brief scoring.
    """

    product_id: str
    wire: Mapping[str, Any]
    channels: frozenset[str]
    delivery_type: str
    terms: frozenset[str]
    alias: bool
    order: int


@attrs.frozen
class Catalogue:
    """The static catalogue of one /sales tenant, prebuilt for the wire.

    Attributes:
        formats: the formats products reference (their ``format_ids`` resolve there).
        products: every product, aliases last, in catalogue order.
        proposals: proposal id -> the draft wire proposal.
    """

    formats: FormatCatalogue
    products: tuple[Product, ...]
    proposals: Mapping[str, Mapping[str, Any]]
    seeded_elsewhere: SeededLookup = attrs.field(default=lambda product_id: None, kw_only=True)
    _by_id: Mapping[str, Product] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {product.product_id: product for product in self.products})

    @classmethod
    def load(cls, formats: FormatCatalogue, seeded_elsewhere: SeededLookup | None = None) -> Catalogue:
        """Build the catalogue from the packaged data file, with format ids naming ``formats``' agent.

        ``seeded_elsewhere`` finds a product another session seeded (see ``product``).

        Raises:
            OSError, orjson.JSONDecodeError, KeyError, ValueError: when the data file is missing or
                malformed, or a product names a format, channel or pricing model that does not exist.
        """
        from trainer.domain.sales.scoring import words  # scoring imports this module's types

        raw = orjson.loads(importlib.resources.files("trainer.data").joinpath(CATALOGUE_RESOURCE).read_bytes())
        publishers = {publisher["id"]: publisher for publisher in raw["publishers"]}
        products: list[Product] = []
        for spec in raw["products"]:
            publisher = publishers[spec["publisher"]]
            wire = _product_wire(spec, publisher, formats)
            terms = set(words(spec["name"]) | words(spec["description"]) | words(publisher["name"]))
            terms |= words(" ".join(spec.get("keywords", ())))
            for prop in publisher["properties"]:
                if spec["properties"] == "all" or prop["property_id"] in spec["properties"]:
                    terms |= words(" ".join(prop["tags"]))
            products.append(
                Product(
                    product_id=spec["product_id"],
                    wire=wire,
                    channels=frozenset(spec["channels"]),
                    delivery_type=spec["delivery_type"],
                    terms=frozenset(terms),
                    alias=False,
                    order=len(products),
                )
            )
        originals = {product.product_id: product for product in products}
        for spec in raw["aliases"]:
            base = originals[spec["clone_of"]]
            wire = dict(base.wire)
            wire.update(
                product_id=spec["product_id"],
                name=spec["name"],
                description=spec["description"],
                pricing_options=[_pricing_option(spec["product_id"], i, p) for i, p in enumerate(spec["pricing"])],
            )
            products.append(
                attrs.evolve(base, product_id=spec["product_id"], wire=wire, alias=True, order=len(products))
            )
        proposals = {spec["proposal_id"]: _proposal_wire(spec, originals) for spec in raw["proposals"]}
        if seeded_elsewhere is None:
            return cls(formats=formats, products=tuple(products), proposals=proposals)
        return cls(formats=formats, products=tuple(products), proposals=proposals, seeded_elsewhere=seeded_elsewhere)

    def get(self, product_id: str) -> Product | None:
        """Return the static product with this id, or None."""
        return self._by_id.get(product_id)

    def product(self, session: Session | None, product_id: str) -> Mapping[str, Any] | None:
        """Return the wire product a session sees under ``product_id``.

        Its own seeded version comes first, then the static product, then a product another
        session seeded: products are the seller's catalogue, not buyer state, so a fixture seeded
        under one account can be bought by id from another (a storyboard runner seeds under its
        default account and buys under the account it synced). Only lookups by id look elsewhere;
        briefs rank the caller's own seeds only.
        """
        seeded = seeded_product(session, product_id)
        if seeded is not None:
            return seeded
        product = self._by_id.get(product_id)
        if product is not None:
            return product.wire
        return self.seeded_elsewhere(product_id)

    def seeded(self, session: Session | None) -> list[Mapping[str, Any]]:
        """Return the session's seeded wire products, in seeding order."""
        if session is None or not session.has_collection(SEEDED_PRODUCTS):
            return []
        return list(session.collection(SEEDED_PRODUCTS).values())

    def wholesale(self, session: Session | None) -> list[Mapping[str, Any]]:
        """Return every product a session sees: the static catalogue, seeded versions substituted, then new seeds."""
        seeded = (
            session.collection(SEEDED_PRODUCTS)
            if session is not None and session.has_collection(SEEDED_PRODUCTS)
            else {}
        )
        listed = [seeded.get(product.product_id, product.wire) for product in self.products]
        listed.extend(wire for product_id, wire in seeded.items() if product_id not in self._by_id)
        return listed

    def provenance_policy(self, session: Session | None) -> ProvenancePolicy:
        """Return the provenance policy the session's seeded products publish (none for the static catalogue)."""
        return ProvenancePolicy.from_policies(product.get("creative_policy") for product in self.seeded(session))

    # -- seeding --------------------------------------------------------------------------------

    def seed_product(self, session: Session, product_id: str, fixture: Mapping[str, Any]) -> Mapping[str, Any]:
        """Store a ``seed_product`` fixture and rebuild the session's wire product for it."""
        session.collection(SEEDED_PRODUCT_FIXTURES)[product_id] = dict(fixture)
        return self._rebuild(session, product_id)

    def seed_pricing_option(
        self, session: Session, product_id: str, pricing_option_id: str, fixture: Mapping[str, Any]
    ) -> Mapping[str, Any]:
        """Store a ``seed_pricing_option`` fixture and rebuild the session's wire product it belongs to."""
        pricing = session.collection(SEEDED_PRICING_FIXTURES).setdefault(product_id, {})
        pricing[pricing_option_id] = dict(fixture)
        return self._rebuild(session, product_id)

    def _rebuild(self, session: Session, product_id: str) -> Mapping[str, Any]:
        fixtures = session.collection(SEEDED_PRODUCT_FIXTURES)
        pricing_fixtures = session.collection(SEEDED_PRICING_FIXTURES).get(product_id, {})
        static = self._by_id.get(product_id)
        wire = _seeded_wire(
            product_id,
            static.wire if static is not None else None,
            fixtures.get(product_id, {}),
            pricing_fixtures,
            self.formats,
        )
        session.collection(SEEDED_PRODUCTS)[product_id] = wire
        return wire


def _product_wire(spec: Mapping[str, Any], publisher: Mapping[str, Any], formats: FormatCatalogue) -> dict[str, Any]:
    product_id = spec["product_id"]
    unknown_channels = set(spec["channels"]) - CHANNELS
    if unknown_channels:
        raise ValueError(f"product {product_id}: unknown channels {sorted(unknown_channels)}")
    for format_id in spec["formats"]:
        if formats.get(format_id) is None:
            raise ValueError(f"product {product_id}: unknown format {format_id}")
    options = [_pricing_option(product_id, index, option) for index, option in enumerate(spec["pricing"])]
    for option in options:
        if option["pricing_model"] not in PRICING_MODELS:
            raise ValueError(f"product {product_id}: unknown pricing model {option['pricing_model']}")
    if spec["properties"] == "all":
        selector: dict[str, Any] = {"publisher_domain": publisher["domain"], "selection_type": "all"}
    else:
        selector = {
            "publisher_domain": publisher["domain"],
            "selection_type": "by_id",
            "property_ids": spec["properties"],
        }
    reporting = publisher["reporting"]
    wire: dict[str, Any] = {
        "product_id": product_id,
        "name": spec["name"],
        "description": spec["description"],
        "publisher_properties": [selector],
        "channels": list(spec["channels"]),
        "format_ids": [formats.ref(format_id) for format_id in spec["formats"]],
        "delivery_type": spec["delivery_type"],
        "exclusivity": spec.get("exclusivity", "none"),
        "pricing_options": options,
        "forecast": _forecast(spec["impressions"], spec["delivery_type"], options[0]),
        "delivery_measurement": dict(publisher["measurement"]),
        "reporting_capabilities": reporting_capabilities(reporting["frequencies"], reporting["metrics"]),
        "property_targeting_allowed": True,
        "collection_targeting_allowed": True,
    }
    if "creative_policy" in spec:
        wire["creative_policy"] = spec["creative_policy"]
    if "catalog_types" in spec:
        wire["catalog_types"] = spec["catalog_types"]
    return wire


def _proposal_wire(spec: Mapping[str, Any], products: Mapping[str, Product]) -> dict[str, Any]:
    allocations = []
    for allocation in spec["allocations"]:
        product = products[allocation["product_id"]]
        allocations.append(
            {
                **allocation,
                "pricing_option_id": allocation.get("pricing_option_id")
                or product.wire["pricing_options"][0]["pricing_option_id"],
            }
        )
    budget = spec["budget"]
    return {
        "proposal_id": spec["proposal_id"],
        "name": spec["name"],
        "description": spec["description"],
        "allocations": allocations,
        "proposal_status": "draft",
        "total_budget_guidance": dict(budget),
        "brief_alignment": spec["brief_alignment"],
    }


def _merge(base: Mapping[str, Any], seed: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge ``seed`` onto ``base`` the way the reference SDK merges seed fixtures.

    ``None`` in the seed keeps the base value; objects merge key by key; arrays and other values replace.
    """
    merged = dict(base)
    for key, value in seed.items():
        if value is None:
            continue
        existing = merged.get(key)
        if isinstance(existing, Mapping) and isinstance(value, Mapping):
            merged[key] = _merge(existing, value)
        else:
            merged[key] = value
    return merged


def _overlay_by_id(base: Iterable[Mapping[str, Any]], seed: Iterable[Mapping[str, Any]], key: str) -> list[Any]:
    """Overlay ``seed`` entries on ``base`` entries with the same ``key``; new ones append."""
    seeded = {entry.get(key): entry for entry in seed if isinstance(entry, Mapping)}
    merged = [_merge(entry, seeded.pop(entry.get(key))) if entry.get(key) in seeded else dict(entry) for entry in base]
    merged.extend(dict(entry) for entry in seeded.values())
    return merged


def _seed_pricing(pricing_option_id: str, fixture: Mapping[str, Any]) -> dict[str, Any]:
    """Return a wire pricing option from a ``seed_pricing_option`` fixture."""
    option = {key: value for key, value in fixture.items() if key not in {"product_id", "model", "rate"}}
    pricing_model = fixture.get("pricing_model", fixture.get("model", "cpm"))
    option["pricing_option_id"] = pricing_option_id
    option["pricing_model"] = (
        pricing_model if isinstance(pricing_model, str) and pricing_model in PRICING_MODELS else "cpm"
    )
    option.setdefault("currency", "USD")
    if "rate" in fixture and "fixed_price" not in fixture and "floor_price" not in fixture:
        option["fixed_price"] = fixture["rate"]
    return option


def _seeded_wire(
    product_id: str,
    static: Mapping[str, Any] | None,
    fixture: Mapping[str, Any],
    pricing_fixtures: Mapping[str, Mapping[str, Any]],
    formats: FormatCatalogue,
) -> dict[str, Any]:
    """Build a seeded product: the static product (or fixture defaults) with the fixtures merged on top."""
    base: dict[str, Any] = (
        dict(static)
        if static is not None
        else {
            "product_id": product_id,
            "name": product_id.replace("_", " ").replace("-", " ").title(),
            "description": f"Fixture product {product_id}, seeded through comply_test_controller.",
            "publisher_properties": [{"publisher_domain": FIXTURE_PUBLISHER_DOMAIN, "selection_type": "all"}],
            "channels": ["display"],
            "format_ids": [formats.ref("display_300x250")],
            "delivery_type": "non_guaranteed",
            "pricing_options": [],
            "reporting_capabilities": reporting_capabilities(["daily"], ALL_METRICS),
        }
    )
    wire = _merge(base, {key: value for key, value in fixture.items() if key != "pricing_options"})
    wire["product_id"] = product_id
    if isinstance(fixture.get("pricing_options"), list):
        wire["pricing_options"] = _overlay_by_id(
            base["pricing_options"], fixture["pricing_options"], "pricing_option_id"
        )
    seeded_options = [_seed_pricing(option_id, option) for option_id, option in pricing_fixtures.items()]
    if seeded_options:
        wire["pricing_options"] = _overlay_by_id(wire["pricing_options"], seeded_options, "pricing_option_id")
    if not wire["pricing_options"]:
        wire["pricing_options"] = [dict(FIXTURE_DEFAULT_PRICING)]
    # Fixtures name formats by id alone and use informal channel names: complete both, so the
    # product stays schema-valid and its format_ids resolve in list_creative_formats.
    wire["format_ids"] = [
        {**ref, "agent_url": ref.get("agent_url") or formats.agent_url}
        for ref in wire.get("format_ids") or ()
        if isinstance(ref, Mapping) and isinstance(ref.get("id"), str)
    ] or [formats.ref("display_300x250")]
    wire["channels"] = normalize_channels(wire.get("channels")) or ["display"]
    if not (isinstance(wire.get("delivery_type"), str) and wire["delivery_type"] in {"guaranteed", "non_guaranteed"}):
        wire["delivery_type"] = "non_guaranteed"
    for key in ("name", "description"):
        if not isinstance(wire.get(key), str):
            wire[key] = base[key]
    if not isinstance(wire.get("reporting_capabilities"), Mapping):
        wire["reporting_capabilities"] = reporting_capabilities(["daily"], ALL_METRICS)
    if not isinstance(wire.get("publisher_properties"), list) or not wire["publisher_properties"]:
        wire["publisher_properties"] = [{"publisher_domain": FIXTURE_PUBLISHER_DOMAIN, "selection_type": "all"}]
    return wire
