"""get_signals selection: catalogue, id lookup, term matching with synonyms, filters."""

from __future__ import annotations

from typing import Any

import pytest

from trainer.adcp.errors import AdcpError
from trainer.domain.signals.catalogue import Catalogue, load_catalogue
from trainer.domain.signals.search import parse_query, search


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def _ids(catalogue: Catalogue, **args: Any) -> list[str]:
    return [signal.segment_id for signal in search(catalogue, parse_query(args)).signals]


def test_catalogue_has_six_providers_and_about_thirty_signals(catalogue: Catalogue) -> None:
    """The packaged catalogue holds 32 signals from six providers, each with a price."""
    assert len(catalogue.signals) == 32
    assert len({signal.provider.id for signal in catalogue.signals}) == 6
    assert all(signal.pricing_options for signal in catalogue.signals)


def test_signal_wire_shape_carries_catalog_provenance(catalogue: Catalogue) -> None:
    """Every signal names its provider domain as catalog provenance."""
    signal = catalogue.by_segment("trident_likely_ev_buyers")
    assert signal is not None
    assert signal.wire["signal_id"] == {
        "source": "catalog",
        "data_provider_domain": "tridentauto.example",
        "id": "likely_ev_buyers",
    }
    assert signal.wire["coverage_percentage"] == 8


def test_lookup_by_segment_id_and_by_catalog_id(catalogue: Catalogue) -> None:
    """signal_ids match the segment id or the provider catalogue id, in request order."""
    ids = _ids(
        catalogue,
        signal_ids=[
            {"source": "catalog", "data_provider_domain": "prismcdp.example", "id": "high_ltv"},
            "meridian_trade_area",
        ],
    )
    assert ids == ["prism_high_ltv", "meridian_trade_area"]


def test_unknown_or_wrong_provider_ids_are_omitted(catalogue: Catalogue) -> None:
    """An id the catalogue lacks, or scoped to the wrong provider, drops out without an error."""
    ids = _ids(
        catalogue,
        signal_ids=[{"source": "catalog", "data_provider_domain": "shopgrid.example", "id": "high_ltv"}, "nope"],
    )
    assert ids == []


@pytest.mark.parametrize(
    ("spec", "expected_first"),
    [
        ("Adults interested in electric vehicles", "trident_likely_ev_buyers"),
        ("car ownership", "trident_vehicle_ownership"),
        ("geofencing near stores", "meridian_competitor_visitors"),
        ("loyalty tier", "shopgrid_loyalty_tier"),
    ],
)
def test_spec_terms_and_synonyms_rank_the_best_match_first(
    catalogue: Catalogue, spec: str, expected_first: str
) -> None:
    """Terms, expanded with synonyms, rank signals by how many they match."""
    assert _ids(catalogue, signal_spec=spec)[0] == expected_first


def test_brief_is_an_alias_of_signal_spec(catalogue: Catalogue) -> None:
    """The SDK test tool's brief selects exactly what signal_spec does."""
    assert _ids(catalogue, brief="cart abandoners") == _ids(catalogue, signal_spec="cart abandoners")


def test_broad_query_matches_many_signals(catalogue: Catalogue) -> None:
    """'audience' matches enough signals for a paginated walk."""
    assert len(_ids(catalogue, signal_spec="audience")) > 2


def test_nonsense_spec_matches_nothing(catalogue: Catalogue) -> None:
    """A spec with no catalogue words returns no signals rather than everything."""
    assert _ids(catalogue, signal_spec="zzqx florp") == []


@pytest.mark.parametrize(
    ("filters", "admitted"),
    [
        ({"max_cpm": 1.0}, {"pinnacle_content_category", "pinnacle_sentiment", "pinnacle_page_type"}),
        ({"catalog_types": ["custom"], "max_cpm": 3.0}, {"prism_cross_device"}),
        ({"data_providers": ["Prism CDP"], "min_coverage_percentage": 20}, {"prism_cross_device"}),
        (
            {"data_providers": ["keystoneidentity.example"], "max_percent": 5},
            set(
                [
                    "keystone_household_income",
                    "keystone_life_stage",
                    "keystone_credit_active",
                    "keystone_household_composition",
                ]
            ),
        ),
    ],
)
def test_filters_narrow_the_selection(catalogue: Catalogue, filters: dict[str, Any], admitted: set[str]) -> None:
    """max_cpm, catalog_types, data_providers, coverage and percent filters each exclude non-matching signals."""
    everything = [signal.segment_id for signal in catalogue.signals]
    assert set(_ids(catalogue, signal_ids=everything, filters=filters)) == admitted


def test_identity_query_carries_a_scope_note(catalogue: Catalogue) -> None:
    """Identity and credit terms add a note on what the protocol covers."""
    assert search(catalogue, parse_query({"signal_spec": "identity graph"})).note is not None
    credit = search(catalogue, parse_query({"signal_spec": "credit seekers"})).note
    assert credit is not None
    assert "credit" in credit
    assert search(catalogue, parse_query({"signal_spec": "cars"})).note is None


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({}, "signal_spec"),
        ({"signal_spec": "   "}, "signal_spec"),
        ({"signal_spec": 5}, "signal_spec"),
        ({"signal_ids": "x"}, "signal_ids"),
        ({"signal_ids": [{"source": "catalog"}]}, "signal_ids[0].id"),
        ({"signal_spec": "cars", "filters": []}, "filters"),
        ({"signal_spec": "cars", "filters": {"max_cpm": -1}}, "filters.max_cpm"),
        ({"signal_spec": "cars", "filters": {"catalog_types": ["bogus"]}}, "filters.catalog_types"),
        ({"signal_spec": "cars", "filters": {"data_providers": []}}, "filters.data_providers"),
        ({"signal_spec": "cars", "max_results": 0}, "max_results"),
    ],
)
def test_bad_query_names_the_field(args: dict[str, Any], field: str) -> None:
    """Malformed get_signals input raises INVALID_REQUEST on the offending field."""
    with pytest.raises(AdcpError) as caught:
        parse_query(args)
    assert (caught.value.code, caught.value.field) == ("INVALID_REQUEST", field)


def test_legacy_max_results_is_capped_at_fifty() -> None:
    """The deprecated top-level max_results is honoured up to 50."""
    assert parse_query({"signal_spec": "cars", "max_results": 500}).legacy_max_results == 50
