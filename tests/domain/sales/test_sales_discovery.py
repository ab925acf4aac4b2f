"""get_products: the catalogue, brief scoring, filters, seeded products, refine and proposal finalize."""

from __future__ import annotations

from typing import Any

import pytest

from tests.domain.sales.conftest import AGENT_URL, NOW, SchemaCheck
from trainer.adcp.errors import AdcpError
from trainer.adcp.sessions import Session
from trainer.domain.sales.discovery import LAST_RESULT, PROPOSALS
from trainer.domain.sales.seller import SalesDomain

# The briefs storyboards send, and the products the runner then buys from products[0].
STORYBOARD_BRIEFS = [
    "Premium video inventory on sports and outdoor lifestyle publishers. Q2 flight, $50K budget. Adults 25-54, US.",
    "Display inventory on outdoor lifestyle content. Q3 flight.",
    "Video inventory on outdoor lifestyle programming. Q3 flight, $30K budget.",
    "Premium video inventory with measurement guarantees. Q2 flight, $50K.",
    "Display advertising products for state machine testing",
    "Display inventory on outdoor lifestyle content for creative-reuse testing.",
    "Premium display inventory with pricing details",
]


def _products(domain: SalesDomain, session: Session, **args: Any) -> dict[str, Any]:
    return domain.discovery.get_products(session, args, now=NOW)


def test_catalogue_has_a_dozen_publishers_and_the_storyboard_aliases(domain: SalesDomain) -> None:
    """Every product is built once with resolvable formats; the storyboard aliases carry their pricing ids."""
    publishers = {
        p.wire["publisher_properties"][0]["publisher_domain"] for p in domain.catalogue.products if not p.alias
    }
    assert len(publishers) == 12
    for product in domain.catalogue.products:
        for ref in product.wire["format_ids"]:
            assert ref["agent_url"] == AGENT_URL
            assert domain.formats.get(ref["id"]) is not None
    expected_aliases = {
        "test-product": ["test-pricing", "default"],
        "sports_ctv_q2": ["cpm_guaranteed"],
        "outdoor_ctv_q2": ["cpm_standard"],
        "local_display_dynamic": ["cpm_standard"],
    }
    for product_id, pricing_ids in expected_aliases.items():
        wire = domain.catalogue.product(None, product_id)
        assert wire is not None
        assert [option["pricing_option_id"] for option in wire["pricing_options"]] == pricing_ids


def test_brief_ranks_by_channel_and_keywords(domain: SalesDomain, session: Session, schema_valid: SchemaCheck) -> None:
    """A video brief about outdoor lifestyle ranks the lifestyle video product first, explained in brief_relevance."""
    reply = _products(domain, session, buying_mode="brief", brief="Video inventory on outdoor lifestyle programming")
    schema_valid("get_products", reply)
    first = reply["products"][0]
    assert first["product_id"] == "pinnacle_lifestyle_video"
    assert "olv channel" in first["brief_relevance"]
    assert "keyword 'outdoor'" in first["brief_relevance"]
    assert all(not product["product_id"].startswith("test-") for product in reply["products"])


@pytest.mark.parametrize("brief", STORYBOARD_BRIEFS)
def test_storyboard_briefs_lead_with_a_buyable_product(domain: SalesDomain, session: Session, brief: str) -> None:
    """For every storyboard brief, products[0] prices in USD CPM with no minimum above 5,000 and a known format."""
    first = _products(domain, session, brief=brief)["products"][0]
    option = first["pricing_options"][0]
    assert (option["pricing_model"], option["currency"]) == ("cpm", "USD")
    assert option.get("min_spend_per_package", 0) <= 5000
    assert domain.formats.get(first["format_ids"][0]["id"]) is not None


def test_brief_pulls_in_whole_proposals(domain: SalesDomain, session: Session, schema_valid: SchemaCheck) -> None:
    """A brief matching part of a proposal returns the proposal with all its products."""
    reply = _products(domain, session, brief="Live sports CTV for fans")
    schema_valid("get_products", reply)
    proposals = {proposal["proposal_id"]: proposal for proposal in reply["proposals"]}
    assert "viewpoint_multi_screen" in proposals
    returned = {product["product_id"] for product in reply["products"]}
    assert {a["product_id"] for a in proposals["viewpoint_multi_screen"]["allocations"]} <= returned
    assert proposals["viewpoint_multi_screen"]["proposal_status"] == "draft"


def test_a_brief_asking_for_everything_gets_every_product(domain: SalesDomain, session: Session) -> None:
    """'Show all available advertising products' lists the whole catalogue, aliases excepted."""
    reply = _products(domain, session, brief="Show all available advertising products")
    assert len(reply["products"]) == sum(1 for product in domain.catalogue.products if not product.alias)


def test_wholesale_and_missing_brief_list_the_catalogue(domain: SalesDomain, session: Session) -> None:
    """Wholesale mode, and brief mode without a brief, list every product including the storyboard aliases."""
    wholesale = _products(domain, session, buying_mode="wholesale")
    assert len(wholesale["products"]) == len(domain.catalogue.products)
    assert "brief_relevance" not in wholesale["products"][0]
    assert len(_products(domain, session)["products"]) == len(domain.catalogue.products)


def test_filters_narrow_the_answer(domain: SalesDomain, session: Session) -> None:
    """Delivery type, channel and fixed-price filters each narrow the products returned."""
    guaranteed = _products(domain, session, buying_mode="wholesale", filters={"delivery_type": "guaranteed"})
    assert {p["delivery_type"] for p in guaranteed["products"]} == {"guaranteed"}
    social = _products(domain, session, brief="everything for a launch", filters={"channels": ["social"]})
    assert all("social" in p["channels"] for p in social["products"])
    auctions = _products(domain, session, buying_mode="wholesale", filters={"is_fixed_price": False})
    assert all(all("fixed_price" not in o for o in p["pricing_options"]) for p in auctions["products"])


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"buying_mode": "haggle"}, "buying_mode"),
        ({"brief": 42}, "brief"),
        ({"filters": []}, "filters"),
        ({"filters": {"delivery_type": "sometimes"}}, "filters.delivery_type"),
        ({"filters": {"channels": "social"}}, "filters.channels"),
        ({"buying_mode": "refine"}, "refine"),
        ({"buying_mode": "refine", "refine": [{"scope": "world"}]}, "refine[0].scope"),
        ({"buying_mode": "refine", "refine": [{"scope": "product"}]}, "refine[0].product_id"),
    ],
)
def test_malformed_requests_name_the_field(
    domain: SalesDomain, session: Session, args: dict[str, Any], field: str
) -> None:
    """Bad modes, briefs, filters and refinements are INVALID_REQUEST naming the field."""
    with pytest.raises(AdcpError) as caught:
        _products(domain, session, **args)
    assert (caught.value.code, caught.value.field) == ("INVALID_REQUEST", field)


def test_seeded_products_are_completed_and_ranked(
    domain: SalesDomain, session: Session, schema_valid: SchemaCheck
) -> None:
    """A sparse product fixture becomes a schema-valid product in the session, found by briefs and by id."""
    domain.catalogue.seed_product(
        session,
        "sports_preroll_q2",
        {"delivery_type": "guaranteed", "channels": ["video"], "format_ids": [{"id": "video_30s"}]},
    )
    domain.catalogue.seed_pricing_option(
        session, "sports_preroll_q2", "cpm_guaranteed", {"pricing_model": "cpm", "currency": "USD", "fixed_price": 22}
    )
    wire = domain.catalogue.product(session, "sports_preroll_q2")
    assert wire is not None
    assert wire["channels"] == ["olv"]
    assert wire["format_ids"] == [{"id": "video_30s", "agent_url": AGENT_URL}]
    assert [o["pricing_option_id"] for o in wire["pricing_options"]] == ["cpm_guaranteed"]
    reply = _products(domain, session, brief="sports preroll video")
    schema_valid("get_products", reply)
    assert "sports_preroll_q2" in [p["product_id"] for p in reply["products"]]
    other = Session(key="open:other.example", created_at=NOW, last_accessed_at=NOW)
    assert "sports_preroll_q2" not in [
        p["product_id"] for p in _products(domain, other, brief="sports preroll video")["products"]
    ]


def test_seeding_overlays_a_catalogue_product(domain: SalesDomain, session: Session) -> None:
    """Seeding an existing product id overlays the fixture on it and overlays pricing options by id."""
    domain.catalogue.seed_product(session, "sports_ctv_q2", {"channels": ["ctv"], "format_ids": [{"id": "video_30s"}]})
    domain.catalogue.seed_pricing_option(
        session, "sports_ctv_q2", "cpm_guaranteed", {"pricing_model": "cpm", "currency": "USD", "fixed_price": 45}
    )
    wire = domain.catalogue.product(session, "sports_ctv_q2")
    assert wire is not None
    assert wire["name"] == "Sports CTV Q2"
    assert wire["pricing_options"] == [
        {"pricing_option_id": "cpm_guaranteed", "pricing_model": "cpm", "currency": "USD", "fixed_price": 45}
    ]


def test_refine_works_on_the_previous_answer(domain: SalesDomain, session: Session, schema_valid: SchemaCheck) -> None:
    """Refine keeps guaranteed products on request, omits a product, and reports each refinement."""
    _products(domain, session, brief="Premium video and display across outdoor lifestyle and sports")
    assert session.extras[LAST_RESULT]["product_ids"]
    reply = _products(
        domain,
        session,
        buying_mode="refine",
        refine=[
            {"scope": "request", "ask": "Only guaranteed packages."},
            {"scope": "product", "product_id": "pinnacle_news_video_premium", "action": "omit"},
            {"scope": "product", "product_id": "nope"},
            {"scope": "proposal", "proposal_id": "balanced_reach_q2", "ask": "Shift budget to CTV"},
        ],
    )
    schema_valid("get_products", reply)
    assert {p["delivery_type"] for p in reply["products"]} == {"guaranteed"}
    assert "pinnacle_news_video_premium" not in [p["product_id"] for p in reply["products"]]
    assert [entry["status"] for entry in reply["refinement_applied"]] == ["applied", "applied", "unable", "unable"]
    assert "proposals" in reply


def test_more_like_this_adds_similar_products(domain: SalesDomain, session: Session) -> None:
    """more_like_this adds up to three products sharing a channel with the one named."""
    _products(domain, session, brief="podcasts")
    reply = _products(
        domain,
        session,
        buying_mode="refine",
        refine=[{"scope": "product", "product_id": "sparq_social_feed", "action": "more_like_this"}],
    )
    assert reply["refinement_applied"][0]["status"] == "applied"
    assert "trendsettr_creator_program" in [p["product_id"] for p in reply["products"]]


def test_finalize_commits_a_proposal_with_an_insertion_order(
    domain: SalesDomain, session: Session, schema_valid: SchemaCheck
) -> None:
    """Finalizing a draft stores a committed copy, expiring in 24 hours, with an IO to sign for guaranteed buys."""
    _products(domain, session, brief="Live sports CTV for fans")
    reply = _products(
        domain,
        session,
        buying_mode="refine",
        brand={"domain": "acmeoutdoor.example"},
        refine=[{"scope": "proposal", "proposal_id": "viewpoint_multi_screen", "action": "finalize"}],
    )
    schema_valid("get_products", reply)
    committed = next(p for p in reply["proposals"] if p["proposal_id"] == "viewpoint_multi_screen")
    assert committed["proposal_status"] == "committed"
    assert committed["expires_at"] == "2026-06-02T12:00:00.000Z"
    order = committed["insertion_order"]
    assert order["requires_signature"] is True
    assert order["terms"]["advertiser"] == "acmeoutdoor.example"
    assert order["terms"]["total_budget"] == {"amount": 50000, "currency": "USD"}
    assert (
        session.collection(PROPOSALS)["viewpoint_multi_screen"]
        is not domain.catalogue.proposals["viewpoint_multi_screen"]
    )
    assert domain.catalogue.proposals["viewpoint_multi_screen"]["proposal_status"] == "draft"


def test_repeated_briefs_share_one_answer(domain: SalesDomain, session: Session) -> None:
    """The same brief twice returns the same product objects: nothing is rebuilt per call."""
    first = _products(domain, session, brief="Premium video on sports")
    second = _products(domain, session, brief="premium   VIDEO on sports")
    assert [id(p) for p in first["products"]] == [id(p) for p in second["products"]]
