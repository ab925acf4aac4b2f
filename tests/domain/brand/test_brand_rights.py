"""get_rights: filtering by uses and countries, scoring, exclusions and the brand_id filter."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.domain.brand.conftest import NOW, SchemaCheck
from trainer.adcp.errors import AdcpError
from trainer.domain.brand.catalogue import BrandCatalogue
from trainer.domain.brand.rights import parse_rights_query, search_rights


def _search(catalogue: BrandCatalogue, **args: Any) -> dict[str, Any]:
    result = search_rights(catalogue, parse_rights_query(args, catalogue), NOW.date())
    body: dict[str, Any] = {"rights": result.rights, "sandbox": True}
    if result.excluded:
        body["excluded"] = result.excluded
    return body


def test_all_talent_offering_a_use_is_listed_in_catalogue_order_on_a_tie(
    catalogue: BrandCatalogue, schema_valid: SchemaCheck
) -> None:
    """Every talent licenses AI imagery, so all four come back, tied, first talent first, with pricing."""
    body = _search(catalogue, query="image generation rights for advertising", uses=["ai_generated_image"])
    assert [right["rights_id"] for right in body["rights"]] == [
        "janssen_likeness_voice",
        "reyes_likeness",
        "vandijk_likeness",
        "tanaka_likeness_voice",
    ]
    assert {right["match_score"] for right in body["rights"]} == {0.5}
    assert body["rights"][0]["pricing_options"][0]["pricing_option_id"] == "cpm_endorsement"
    schema_valid("get_rights", body)


def test_countries_filter_and_score(catalogue: BrandCatalogue) -> None:
    """A requested country keeps only talent licensed there and scores the country match."""
    body = _search(catalogue, query="swimmer", uses=["likeness"], countries=["MX"])
    assert [right["brand_id"] for right in body["rights"]] == ["sofia_reyes"]
    assert body["rights"][0]["match_score"] == 0.8


def test_query_country_words_and_budget_raise_the_score(catalogue: BrandCatalogue) -> None:
    """'Dutch' and a budget covering the flat rate rank Dutch talent within budget first."""
    body = _search(catalogue, query="Dutch athlete for a restaurant, budget 300 EUR", uses=["likeness", "voice"])
    first = body["rights"][0]
    assert first["brand_id"] == "pieter_van_dijk"
    assert first["match_score"] == pytest.approx(0.2 + 0.3 + 0.15 + 0.2)
    assert "Within budget at 275 EUR/monthly" in first["match_reasons"]
    assert body["rights"][1]["brand_id"] == "daan_janssen"


def test_country_words_match_whole_words_only(catalogue: BrandCatalogue) -> None:
    """'business' does not contain the country word 'us': no talent gets a country bonus."""
    body = _search(catalogue, query="rights for our business campaign", uses=["likeness"])
    assert {right["match_score"] for right in body["rights"]} == {0.5}


def test_use_filter_drops_talent_without_the_use(catalogue: BrandCatalogue) -> None:
    """Only talent with a synthetic voice licenses voice."""
    body = _search(catalogue, query="voice over", uses=["voice"])
    assert [right["brand_id"] for right in body["rights"]] == ["daan_janssen", "yuki_tanaka"]


def test_exclusions_are_listed_only_when_asked(catalogue: BrandCatalogue, schema_valid: SchemaCheck) -> None:
    """A steakhouse query drops the vegan cyclist, and include_excluded says why."""
    hidden = _search(catalogue, query="athlete for a steakhouse chain", uses=["likeness"])
    assert "pieter_van_dijk" not in [right["brand_id"] for right in hidden["rights"]]
    assert "excluded" not in hidden
    shown = _search(catalogue, query="athlete for a steakhouse chain", uses=["likeness"], include_excluded=True)
    assert shown["excluded"] == [
        {
            "brand_id": "pieter_van_dijk",
            "name": "Pieter van Dijk",
            "reason": "Dietary lifestyle conflict with steakhouse brand",
            "suggestions": ["Available for plant-based and health food brands"],
        }
    ]
    schema_valid("get_rights", shown)


def test_brand_id_scopes_to_one_talent_and_unknown_ids_do_not_filter(catalogue: BrandCatalogue) -> None:
    """A known talent id narrows the search; a buyer's own brand id in that field is ignored."""
    scoped = _search(catalogue, query="skater", uses=["likeness"], brand_id="yuki_tanaka")
    assert [right["brand_id"] for right in scoped["rights"]] == ["yuki_tanaka"]
    unscoped = _search(catalogue, query="skater", uses=["likeness"], brand_id="acme_outdoor")
    assert len(unscoped["rights"]) == 4


def test_right_type_outside_the_house_finds_nothing(catalogue: BrandCatalogue) -> None:
    """The house licenses talent only: a music search is empty, not an error."""
    assert _search(catalogue, query="soundtrack", uses=["sync"], right_type="music")["rights"] == []


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"uses": ["likeness"]}, "query"),
        ({"query": "x"}, "uses"),
        ({"query": "x", "uses": []}, "uses"),
        ({"query": "x", "uses": ["likeness", "telepathy"]}, "uses[1]"),
        ({"query": "x", "uses": ["likeness"], "countries": ["nl"]}, "countries[0]"),
        ({"query": "x", "uses": ["likeness"], "right_type": "vibes"}, "right_type"),
        ({"query": "x", "uses": ["likeness"], "buyer_brand": "acme"}, "buyer_brand"),
        ({"query": "x" * 2001, "uses": ["likeness"]}, "query"),
    ],
)
def test_bad_input_names_the_field(catalogue: BrandCatalogue, args: dict[str, Any], field: str) -> None:
    """Malformed get_rights arguments are INVALID_REQUEST naming the field."""
    with pytest.raises(AdcpError) as raised:
        parse_rights_query(args, catalogue)
    assert (raised.value.code, raised.value.field) == ("INVALID_REQUEST", field)


def test_lapsed_exclusivity_drops_out_by_the_clock(catalogue: BrandCatalogue) -> None:
    """The sportswear exclusive runs through 2026-12-31: listed in June 2026, gone in 2027."""
    request = parse_rights_query({"query": "skater", "uses": ["likeness"], "brand_id": "daan_janssen"}, catalogue)
    june = search_rights(catalogue, request, NOW.date()).rights[0]["exclusivity_status"]
    assert june == {"available": True, "existing_exclusives": ["sportswear (NL) — through 2026-12-31"]}
    later = search_rights(catalogue, request, date(2027, 1, 1)).rights[0]["exclusivity_status"]
    assert later == {"available": True, "existing_exclusives": []}
    tanaka = parse_rights_query({"query": "skater", "uses": ["likeness"], "brand_id": "yuki_tanaka"}, catalogue)
    assert search_rights(catalogue, tanaka, NOW.date()).rights[0]["exclusivity_status"]["available"] is False
    assert search_rights(catalogue, tanaka, date(2027, 7, 1)).rights[0]["exclusivity_status"]["available"] is True
