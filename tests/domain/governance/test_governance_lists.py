"""Property and collection list lifecycles, limits, resolution and pagination."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.schemas import assert_schema_valid
from trainer.adcp.errors import AdcpError
from trainer.domain.governance.inventory_lists import (
    COLLECTION_LISTS,
    MAX_LISTS_PER_SESSION,
    PROPERTY_LISTS,
    create_list,
    delete_list,
    get_list,
    list_lists,
    update_list,
    validate_property_delivery,
)

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
ACCOUNT = {"brand": {"domain": "acme.example"}, "operator": "agency.example"}


def _domains(*values: str) -> list[dict[str, Any]]:
    return [{"selection_type": "identifiers", "identifiers": [{"type": "domain", "value": v} for v in values]}]


def test_property_list_lifecycle() -> None:
    """Create, get (resolved), update (replace), list and delete a property list."""
    lists: dict[str, Any] = {}
    created = create_list(
        PROPERTY_LISTS,
        lists,
        {"name": "Approved", "account": ACCOUNT, "base_properties": _domains("a.example", "b.example")},
        NOW,
    )
    assert_schema_valid("create_property_list", created)
    list_id = created["list"]["list_id"]
    assert list_id.startswith("pl_")
    assert created["auth_token"].startswith("pat_sandbox_")
    assert created["list"]["property_count"] == 2
    got = get_list(PROPERTY_LISTS, lists, {"list_id": list_id}, NOW)
    assert_schema_valid("get_property_list", got)
    assert [i["value"] for i in got["identifiers"]] == ["a.example", "b.example"]
    assert got["cache_valid_until"] == "2026-06-02T12:00:00.000Z"
    updated = update_list(PROPERTY_LISTS, lists, {"list_id": list_id, "base_properties": _domains("c.example")}, NOW)
    assert_schema_valid("update_property_list", updated)
    assert updated["list"]["property_count"] == 1
    assert updated["list"]["name"] == "Approved"
    listed = list_lists(PROPERTY_LISTS, lists, {"name_contains": "appro"})
    assert_schema_valid("list_property_lists", listed)
    assert [entry["list_id"] for entry in listed["lists"]] == [list_id]
    deleted = delete_list(PROPERTY_LISTS, lists, {"list_id": list_id})
    assert_schema_valid("delete_property_list", deleted)
    assert deleted == {"deleted": True, "list_id": list_id}
    assert lists == {}


def test_publisher_sources_resolve_to_their_domain_minus_exclusions() -> None:
    """Publisher tag/id sources resolve to the publisher domain; exclude_identifiers removes entries."""
    lists: dict[str, Any] = {}
    sources = [
        {"selection_type": "publisher_tags", "publisher_domain": "news.example", "tags": ["premium"]},
        *_domains("x.example"),
    ]
    created = create_list(
        PROPERTY_LISTS,
        lists,
        {
            "name": "P",
            "base_properties": sources,
            "filters": {"exclude_identifiers": [{"type": "domain", "value": "x.example"}]},
        },
        NOW,
    )
    assert get_list(PROPERTY_LISTS, lists, {"list_id": created["list"]["list_id"]}, NOW)["identifiers"] == [
        {"type": "domain", "value": "news.example"}
    ]


def test_collection_list_lifecycle() -> None:
    """Create, resolve, update, list and delete a collection list; deleting twice reports deleted false."""
    lists: dict[str, Any] = {}
    sources = [
        {
            "selection_type": "distribution_ids",
            "identifiers": [{"type": "imdb_id", "value": "tt1"}, {"type": "imdb_id", "value": "tt2"}],
        }
    ]
    created = create_list(
        COLLECTION_LISTS, lists, {"name": "Shows", "base_collections": sources, "filters": {"kinds": ["series"]}}, NOW
    )
    assert_schema_valid("create_collection_list", created)
    list_id = created["list"]["list_id"]
    assert list_id.startswith("cl_")
    assert created["auth_token"].startswith("tok_")
    plain = get_list(COLLECTION_LISTS, lists, {"list_id": list_id}, NOW)
    assert "collections" not in plain
    resolved = get_list(COLLECTION_LISTS, lists, {"list_id": list_id, "resolve": True}, NOW)
    assert_schema_valid("get_collection_list", resolved)
    assert [c["collection_rid"] for c in resolved["collections"]] == ["imdb_id:tt1", "imdb_id:tt2"]
    assert resolved["cache_valid_until"] == "2026-06-08T12:00:00.000Z"
    updated = update_list(COLLECTION_LISTS, lists, {"list_id": list_id, "name": "Renamed"}, NOW)
    assert_schema_valid("update_collection_list", updated)
    assert delete_list(COLLECTION_LISTS, lists, {"list_id": list_id}) == {"deleted": True, "list_id": list_id}
    assert delete_list(COLLECTION_LISTS, lists, {"list_id": list_id}) == {"deleted": False, "list_id": list_id}


def test_collection_sources_are_clamped_to_one_hundred() -> None:
    """A collection list keeps its first 100 sources instead of failing."""
    sources = [
        {"selection_type": "publisher_collections", "publisher_domain": "tv.example", "collection_ids": [f"c{i}"]}
        for i in range(120)
    ]
    created = create_list(COLLECTION_LISTS, {}, {"name": "Many", "base_collections": sources}, NOW)
    assert len(created["list"]["base_collections"]) == 100


@pytest.mark.parametrize("kind", [PROPERTY_LISTS, COLLECTION_LISTS])
def test_list_pagination_walks_to_a_terminal_page(kind: Any) -> None:
    """max_results 2 over three lists gives a cursor page, then a terminal page without cursor."""
    lists: dict[str, Any] = {}
    for name in ("one", "two", "three"):
        create_list(kind, lists, {"name": name}, NOW)
    first = list_lists(kind, lists, {"pagination": {"max_results": 2}})
    assert first["pagination"]["has_more"] is True
    assert first["pagination"]["total_count"] == 3
    second = list_lists(kind, lists, {"pagination": {"max_results": 2, "cursor": first["pagination"]["cursor"]}})
    assert [entry["name"] for entry in second["lists"]] == ["three"]
    assert second["pagination"] == {"has_more": False, "total_count": 3}


@pytest.mark.parametrize("kind", [PROPERTY_LISTS, COLLECTION_LISTS])
def test_session_holds_at_most_one_hundred_lists(kind: Any) -> None:
    """The 101st list of a kind fails LIMIT_EXCEEDED."""
    lists: dict[str, Any] = {}
    for i in range(MAX_LISTS_PER_SESSION):
        create_list(kind, lists, {"name": f"list {i}"}, NOW)
    with pytest.raises(AdcpError) as caught:
        create_list(kind, lists, {"name": "one too many"}, NOW)
    assert caught.value.code == "LIMIT_EXCEEDED"


@pytest.mark.parametrize(("kind", "code"), [(PROPERTY_LISTS, "REFERENCE_NOT_FOUND"), (COLLECTION_LISTS, "NOT_FOUND")])
def test_unknown_list_id_uses_the_kinds_not_found_code(kind: Any, code: str) -> None:
    """get and update on an unknown id fail with the reference's code for that list kind."""
    operations: list[Callable[[], object]] = [
        lambda: get_list(kind, {}, {"list_id": "nope"}, NOW),
        lambda: update_list(kind, {}, {"list_id": "nope"}, NOW),
    ]
    for operation in operations:
        with pytest.raises(AdcpError) as caught:
            operation()
        assert (caught.value.code, caught.value.field) == (code, "list_id")


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 257}, "name"),
        ({"name": "ok", "base_properties": {}}, "base_properties"),
        ({"name": "ok", "base_properties": ["a.example"]}, "base_properties[0]"),
        ({"name": "ok", "base_properties": [{"selection_type": "everything"}]}, "base_properties[0].selection_type"),
        (
            {"name": "ok", "base_properties": [{"selection_type": "identifiers", "identifiers": []}]},
            "base_properties[0].identifiers",
        ),
        (
            {"name": "ok", "base_properties": [{"selection_type": "identifiers", "identifiers": [{"type": "domain"}]}]},
            "base_properties[0].identifiers[0]",
        ),
        (
            {"name": "ok", "base_properties": [{"selection_type": "publisher_tags", "tags": ["a"]}]},
            "base_properties[0].publisher_domain",
        ),
        ({"name": "ok", "filters": "none"}, "filters"),
    ],
)
def test_bad_property_list_names_the_field(args: dict[str, Any], field: str) -> None:
    """Malformed create_property_list input fails INVALID_REQUEST on the offending field."""
    with pytest.raises(AdcpError) as caught:
        create_list(PROPERTY_LISTS, {}, args, NOW)
    assert (caught.value.code, caught.value.field) == ("INVALID_REQUEST", field)


def test_list_id_is_validated() -> None:
    """A list_id that is missing or over 128 characters fails on list_id."""
    for args in ({}, {"list_id": "x" * 129}):
        with pytest.raises(AdcpError) as caught:
            get_list(COLLECTION_LISTS, {}, args, NOW)
        assert caught.value.field == "list_id"


def test_property_delivery_is_compliant_only_on_listed_domains() -> None:
    """Delivery on listed domains (and their www subdomain) is compliant; elsewhere it is not."""
    lists: dict[str, Any] = {}
    list_id = create_list(PROPERTY_LISTS, lists, {"name": "P", "base_properties": _domains("outdoor.example")}, NOW)[
        "list"
    ]["list_id"]
    good = validate_property_delivery(
        lists,
        {
            "list_id": list_id,
            "records": [{"identifier": {"type": "domain", "value": "www.outdoor.example"}, "impressions": 10}],
        },
        NOW,
    )
    assert good["compliant"] is True
    bad = validate_property_delivery(
        lists,
        {
            "list_id": list_id,
            "records": [
                {"record_id": "r1", "identifier": {"type": "domain", "value": "random.example"}, "impressions": 5}
            ],
        },
        NOW,
    )
    assert bad["compliant"] is False
    assert bad["results"][0]["status"] == "non_compliant"
    assert bad["summary"]["non_compliant_impressions"] == 5
