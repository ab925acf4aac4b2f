"""The creative format catalogue: 37 static formats, filters, cursors and a session's seeded pool."""

from __future__ import annotations

from typing import Any

import pytest

from tests.domain.creatives.conftest import AGENT_URL, NOW, SchemaCheck
from trainer.adcp.errors import AdcpError
from trainer.adcp.sessions import Session
from trainer.domain.creatives.formats import FormatCatalogue


def test_catalogue_has_37_schema_valid_formats(formats: FormatCatalogue, schema_valid: SchemaCheck) -> None:
    """All 37 formats name this agent, have unique ids, and list as a valid response."""
    reply = formats.list_formats(None, {})
    schema_valid("list_creative_formats", reply)
    assert reply["pagination"] == {"has_more": False, "total_count": 37}
    ids = [fmt["format_id"]["id"] for fmt in reply["formats"]]
    assert len(set(ids)) == 37
    assert {fmt["format_id"]["agent_url"] for fmt in reply["formats"]} == {AGENT_URL}
    assert {"display_300x250", "video_30s", "video_15s", "vast_30s", "ssai_30s", "native_post", "broadcast_30s"} <= set(
        ids
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            {"format_ids": [{"agent_url": AGENT_URL, "id": "video_30s"}, {"id": "display_728x90"}]},
            ["display_728x90", "video_30s"],
        ),
        ({"type": "dooh"}, ["dooh_landscape", "dooh_portrait"]),
        (
            {"type": "display", "max_width": 728, "max_height": 90, "min_width": 728, "is_responsive": False},
            ["display_static", "display_728x90"],
        ),
        ({"name_search": "BROADCAST SPOT"}, ["broadcast_spot_15s", "broadcast_spot_30s"]),
        ({"channels": ["podcast"]}, ["podcast_host_read"]),
        ({"asset_types": ["audio"], "type": "audio"}, ["audio_spot"]),
    ],
)
def test_filters(formats: FormatCatalogue, args: dict[str, Any], expected: list[str]) -> None:
    """Id, type, size, name, channel and asset-type filters pick the formats expected (catalogue order)."""
    reply = formats.list_formats(None, args)
    assert sorted(fmt["format_id"]["id"] for fmt in reply["formats"]) == sorted(expected)


def test_cursor_pages_through_the_catalogue(formats: FormatCatalogue) -> None:
    """Ten per page: four pages, the last one terminal, nothing seen twice."""
    seen: list[str] = []
    cursor = None
    for _ in range(4):
        reply = formats.list_formats(
            None, {"pagination": {"max_results": 10, **({"cursor": cursor} if cursor else {})}}
        )
        seen += [fmt["format_id"]["id"] for fmt in reply["formats"]]
        cursor = reply["pagination"].get("cursor")
    assert cursor is None
    assert len(seen) == len(set(seen)) == 37


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"type": "hologram"}, "type"),
        ({"format_ids": "video_30s"}, "format_ids"),
        ({"format_ids": [{}]}, "format_ids[0]"),
        ({"max_width": "wide"}, "max_width"),
        ({"pagination": {"cursor": "bm9wZQ"}}, "pagination.cursor"),
    ],
)
def test_bad_filters_name_the_field(formats: FormatCatalogue, args: dict[str, Any], field: str) -> None:
    """A malformed filter or cursor is INVALID_REQUEST naming it."""
    with pytest.raises(AdcpError) as caught:
        formats.list_formats(None, args)
    assert caught.value.field == field


def test_a_session_that_seeded_formats_sees_only_its_pool(formats: FormatCatalogue) -> None:
    """Without a session scan, seeds replace the catalogue only for the seeding session, back-filled by id."""
    seeded = Session(key="open:seeded.example", created_at=NOW, last_accessed_at=NOW)
    formats.seed(seeded, "pagination_integrity_format_1", {"name": "Format A", "type": "display"})
    formats.seed(seeded, "video_30s", {"name": "My 30s"})
    reply = formats.list_formats(seeded, {"pagination": {"max_results": 1}})
    assert reply["pagination"]["total_count"] == 2
    assert reply["formats"][0]["format_id"] == {"agent_url": AGENT_URL, "id": "pagination_integrity_format_1"}
    video = formats.list_formats(seeded, {"format_ids": [{"id": "video_30s"}]})["formats"][0]
    base = formats.get("video_30s")
    assert base is not None
    assert (video["name"], video["renders"]) == ("My 30s", base["renders"])
    other = Session(key="open:other.example", created_at=NOW, last_accessed_at=NOW)
    assert formats.list_formats(other, {})["pagination"]["total_count"] == 37
    assert formats.known(seeded, "pagination_integrity_format_1")
    assert not formats.known(other, "pagination_integrity_format_1")


def test_account_scoped_listings_read_the_process_wide_seeded_pool() -> None:
    """A bare-account_id listing shows formats seeded in any session; brand and unkeyed listings keep the catalogue."""
    controller = Session(key="open:test.example", created_at=NOW, last_accessed_at=NOW)
    account = Session(key="open:acct_formats", created_at=NOW, last_accessed_at=NOW)
    brand = Session(key="open:acmeoutdoor.example", created_at=NOW, last_accessed_at=NOW)
    live = [account, brand, controller]
    formats = FormatCatalogue.load(AGENT_URL, lambda: live)
    other_agent = FormatCatalogue.load("https://sales.trainer.example/sales/mcp", lambda: live)
    other_agent.seed(controller, "seeded_a", {"name": "Format A", "type": "display"})
    formats.seed(controller, "seeded_b", {"name": "Format B", "type": "display"})
    by_account = {"account": {"account_id": "acct_formats"}, "pagination": {"max_results": 1}}
    first = formats.list_formats(account, by_account)
    assert first["pagination"] == {"has_more": True, "total_count": 2, "cursor": first["pagination"]["cursor"]}
    # A format another agent seeded is listed as this agent's.
    assert first["formats"][0]["format_id"] == {"agent_url": AGENT_URL, "id": "seeded_a"}
    rest = formats.list_formats(account, {**by_account, "pagination": {"cursor": first["pagination"]["cursor"]}})
    assert [fmt["format_id"]["id"] for fmt in rest["formats"]] == ["seeded_b"]
    assert "cursor" not in rest["pagination"]
    by_brand = formats.list_formats(brand, {"account": {"brand": {"domain": "acmeoutdoor.example"}}})
    assert by_brand["pagination"]["total_count"] == 37
    assert formats.list_formats(None, {})["pagination"]["total_count"] == 37
    assert formats.known(brand, "seeded_a")
    assert not formats.known(brand, "never_seeded")


def test_agent_urls_compare_loosely(formats: FormatCatalogue) -> None:
    """A trailing slash or different case still names this agent; another host does not."""
    assert formats.is_local(AGENT_URL.upper() + "/")
    assert not formats.is_local("https://your-platform.example.com")
    assert formats.ids_for_channels(["email"]) == ["email_sponsored"]
