"""The creative library: sync_creatives upserts, per-row errors, dry_run and assignments; list_creatives."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.domain.creatives.conftest import AGENT_URL, NOW, SchemaCheck, creative
from trainer.adcp.errors import AdcpError
from trainer.adcp.sessions import Session
from trainer.domain.creatives.library import CreativeError, CreativeLibrary, find, record_assignment
from trainer.domain.creatives.provenance import ProvenancePolicy


def _sync(library: CreativeLibrary, session: Session, *rows: dict[str, Any], **args: Any) -> dict[str, Any]:
    return library.sync_creatives(session, {"creatives": list(rows), **args}, now=NOW)


def test_sync_creates_updates_and_reports_unchanged(
    library: CreativeLibrary, session: Session, schema_valid: SchemaCheck
) -> None:
    """First sync creates (approved), an identical resync is unchanged, a changed one is updated."""
    created = _sync(library, session, creative())
    schema_valid("sync_creatives", created)
    assert created["creatives"][0] == {
        "creative_id": "banner_1",
        "action": "created",
        "status": "approved",
        "platform_id": "crv_banner_1",
    }
    assert _sync(library, session, creative())["creatives"][0]["action"] == "unchanged"
    renamed = _sync(library, session, creative(name="Renamed"))
    assert renamed["creatives"][0]["action"] == "updated"
    stored = find(session, "banner_1")
    assert stored is not None
    assert (stored["name"], stored["created_date"]) == ("Renamed", "2026-06-01T12:00:00.000Z")


def test_third_party_formats_are_accepted_and_unknown_local_ones_fail_per_row(
    library: CreativeLibrary, session: Session, schema_valid: SchemaCheck
) -> None:
    """Another agent's format is taken as named; an unknown format of this agent fails that row only."""
    foreign = creative("native_1", format_id="anything")
    foreign["format_id"] = {"agent_url": "https://your-platform.example.com", "id": "native_post"}
    reply = _sync(
        library, session, foreign, creative("ghost", format_id="no_such_format"), creative("bad_url", format_id="x")
    )
    reply_rows = reply["creatives"]
    schema_valid("sync_creatives", reply)
    assert reply_rows[0]["action"] == "created"
    assert reply_rows[1]["action"] == "failed"
    assert "status" not in reply_rows[1]
    assert reply_rows[1]["errors"][0]["field"] == "creatives[1].format_id.id"
    assert find(session, "ghost") is None


@pytest.mark.parametrize(
    ("rows", "field"),
    [
        ([], "creatives"),
        ([{"name": "no id"}], "creatives[0].creative_id"),
        ([creative(), creative()], "creatives[1].creative_id"),
        (["string"], "creatives[0]"),
    ],
)
def test_malformed_calls_name_the_field(
    library: CreativeLibrary, session: Session, rows: list[Any], field: str
) -> None:
    """A call without creatives, a row without an id or a duplicated id is INVALID_REQUEST naming it."""
    with pytest.raises(AdcpError) as caught:
        library.sync_creatives(session, {"creatives": rows}, now=NOW)
    assert (caught.value.code, caught.value.field) == ("INVALID_REQUEST", field)


def test_row_level_problems_stay_in_the_row(library: CreativeLibrary, session: Session) -> None:
    """A bad agent_url or a non-object assets fails its row, the others still sync."""
    bad_url = creative("bad_url")
    bad_url["format_id"] = {"agent_url": "ftp://nope", "id": "display_300x250"}
    rows = _sync(library, session, bad_url, creative("bad_assets", assets="png"), creative("fine"))["creatives"]
    assert [row["action"] for row in rows] == ["failed", "failed", "created"]
    assert [row["errors"][0]["field"] for row in rows[:2]] == [
        "creatives[0].format_id.agent_url",
        "creatives[1].assets",
    ]


def test_dry_run_validates_without_storing(library: CreativeLibrary, session: Session) -> None:
    """dry_run reports what would happen and stores nothing."""
    reply = _sync(library, session, creative(), dry_run=True)
    assert reply["dry_run"] is True
    assert reply["creatives"][0]["action"] == "created"
    assert find(session, "banner_1") is None


def test_assignments_go_through_the_hook(library: CreativeLibrary, session: Session) -> None:
    """Assignments call the hook per package; failures land in assignment_errors, unknown creatives fail."""
    calls: list[tuple[str, str]] = []

    def hook(session: Session, creative_id: str, package_id: str, now: Any) -> str | None:
        calls.append((creative_id, package_id))
        return None if package_id == "pkg_ok" else f"Package {package_id} not found"

    reply = library.sync_creatives(
        session,
        {
            "creatives": [creative()],
            "assignments": [
                {"creative_id": "banner_1", "package_id": "pkg_ok"},
                {"creative_id": "banner_1", "package_id": "pkg_gone"},
                {"creative_id": "never_synced", "package_id": "pkg_ok"},
            ],
        },
        now=NOW,
        assign=hook,
    )
    first, missing = reply["creatives"]
    assert first["assigned_to"] == ["pkg_ok"]
    assert first["assignment_errors"] == {"pkg_gone": "Package pkg_gone not found"}
    assert missing["errors"][0]["code"] == "CREATIVE_NOT_FOUND"
    assert calls == [("banner_1", "pkg_ok"), ("banner_1", "pkg_gone")]
    with pytest.raises(AdcpError) as bad:
        library.sync_creatives(session, {"creatives": [creative()], "assignments": [{"creative_id": "x"}]}, now=NOW)
    assert bad.value.field == "assignments[0].package_id"


def test_library_limit(formats: Any, session: Session) -> None:
    """A call that would take the library past its limit is LIMIT_EXCEEDED."""
    small = CreativeLibrary(formats, max_creatives=2)
    small.sync_creatives(session, {"creatives": [creative("a"), creative("b")]}, now=NOW)
    with pytest.raises(AdcpError) as caught:
        small.sync_creatives(session, {"creatives": [creative("c")]}, now=NOW)
    assert caught.value.code == "LIMIT_EXCEEDED"


def test_provenance_policy_fails_rows(library: CreativeLibrary, session: Session) -> None:
    """Under a policy requiring provenance, a creative without it fails with PROVENANCE_REQUIRED."""
    policy = ProvenancePolicy(required=True)
    reply = library.sync_creatives(session, {"creatives": [creative()]}, now=NOW, policy=policy)
    error = reply["creatives"][0]["errors"][0]
    assert (error["code"], error["field"]) == ("PROVENANCE_REQUIRED", "creatives[0].provenance")


def test_empty_library_lists_the_fixture_creative(
    library: CreativeLibrary, session: Session, schema_valid: SchemaCheck
) -> None:
    """A session that synced nothing lists campaign_hero_video, with pricing when an account is named."""
    reply = library.list_creatives(session, {"account": {"account_id": "acct_1"}}, now=NOW)
    schema_valid("list_creatives", reply)
    (hero,) = reply["creatives"]
    assert hero["creative_id"] == "campaign_hero_video"
    assert hero["format_id"] == {"agent_url": AGENT_URL, "id": "vast_30s"}
    assert hero["pricing_options"] == [
        {"pricing_option_id": "po_vast_30s_cpm", "model": "cpm", "cpm": 0.5, "currency": "USD"}
    ]


def test_empty_library_lists_the_library_found_elsewhere(library: CreativeLibrary, session: Session) -> None:
    """A session that holds no creatives lists the library its lookup finds, filters and pages included."""
    seeded = Session(key="open:test.example", created_at=NOW, last_accessed_at=NOW)
    for n in range(3):
        library.seed(seeded, f"seeded_{n}", {"status": "approved", "format_id": {"id": "display_static"}}, now=NOW)
    args = {"account": {"account_id": "acct_1"}, "pagination": {"max_results": 2}}
    reply = library.list_creatives(session, args, now=NOW, elsewhere=lambda: seeded)
    assert reply["query_summary"] == {"total_matching": 3, "returned": 2}
    assert [creative["creative_id"] for creative in reply["creatives"]] == ["seeded_0", "seeded_1"]
    by_id = library.list_creatives(session, {"creative_ids": ["seeded_2"]}, now=NOW, elsewhere=lambda: seeded)
    assert [creative["creative_id"] for creative in by_id["creatives"]] == ["seeded_2"]
    # A session with a library of its own never reads another.
    library.seed(session, "own", {"status": "approved"}, now=NOW)
    own = library.list_creatives(session, {}, now=NOW, elsewhere=lambda: seeded)
    assert [creative["creative_id"] for creative in own["creatives"]] == ["own"]


def test_list_filters_sort_and_pages(library: CreativeLibrary, session: Session, schema_valid: SchemaCheck) -> None:
    """Filters by id, status, format and assignment; two per page with a cursor; a descending sort."""
    _sync(library, session, creative("a"), creative("b", format_id="video_30s"), creative("c"))
    library.force_status(session, "c", "rejected", "Off brand")
    record_assignment(session, "a", "pkg_1", "mb_1", NOW + timedelta(hours=1))
    by_ids = library.list_creatives(session, {"creative_ids": ["b", "c"]}, now=NOW)
    assert [c["creative_id"] for c in by_ids["creatives"]] == ["b", "c"]
    approved = library.list_creatives(
        session, {"filters": {"statuses": ["approved"], "format_ids": [{"id": "display_300x250"}]}}, now=NOW
    )
    assert [c["creative_id"] for c in approved["creatives"]] == ["a"]
    assigned = library.list_creatives(session, {"filters": {"assigned_to_packages": ["pkg_1"]}}, now=NOW)
    assert assigned["creatives"][0]["assignments"]["assigned_packages"] == [
        {"package_id": "pkg_1", "assigned_date": "2026-06-01T13:00:00.000Z"}
    ]
    unassigned = library.list_creatives(session, {"filters": {"unassigned": True}}, now=NOW)
    assert [c["creative_id"] for c in unassigned["creatives"]] == ["b", "c"]
    first = library.list_creatives(
        session, {"pagination": {"max_results": 2}, "sort": {"field": "name", "direction": "desc"}}, now=NOW
    )
    schema_valid("list_creatives", first)
    assert first["query_summary"] == {"total_matching": 3, "returned": 2}
    assert [c["creative_id"] for c in first["creatives"]] == ["c", "b"]
    rest = library.list_creatives(
        session,
        {
            "pagination": {"max_results": 2, "cursor": first["pagination"]["cursor"]},
            "sort": {"field": "name", "direction": "desc"},
        },
        now=NOW,
    )
    assert [c["creative_id"] for c in rest["creatives"]] == ["a"]
    assert rest["pagination"] == {"has_more": False, "total_count": 3}


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"filters": []}, "filters"),
        ({"filters": {"statuses": "approved"}}, "filters.statuses"),
        ({"filters": {"created_after": "yesterday"}}, "filters.created_after"),
        ({"sort": {"field": "size"}}, "sort.field"),
    ],
)
def test_bad_list_requests_name_the_field(
    library: CreativeLibrary, session: Session, args: dict[str, Any], field: str
) -> None:
    """A malformed filter or sort is INVALID_REQUEST naming the field."""
    _sync(library, session, creative())
    with pytest.raises(AdcpError) as caught:
        library.list_creatives(session, args, now=NOW)
    assert caught.value.field == field


def test_status_machine_of_creatives(library: CreativeLibrary, session: Session) -> None:
    """approved -> archived -> approved is allowed; archived -> processing is refused with the current state."""
    _sync(library, session, creative())
    assert library.force_status(session, "banner_1", "archived") == ("approved", "archived")
    with pytest.raises(CreativeError) as refused:
        library.force_status(session, "banner_1", "processing")
    assert (refused.value.code, refused.value.current_state) == ("INVALID_TRANSITION", "archived")
    assert library.force_status(session, "banner_1", "approved") == ("archived", "approved")
    assert library.force_status(session, "banner_1", "approved") == ("approved", "approved")


def test_seeded_creatives_are_completed(library: CreativeLibrary, session: Session, schema_valid: SchemaCheck) -> None:
    """A sparse creative fixture lists as a valid creative; its pricing is normalised to the vendor shape."""
    library.seed(
        session,
        "campaign_hero_video",
        {
            "status": "approved",
            "format_id": {"id": "vast_30s"},
            "pricing_options": [
                {"pricing_option_id": "po_vast_30s_cpm", "pricing_model": "cpm", "rate": 0.5, "currency": "USD"}
            ],
        },
        now=NOW,
    )
    reply = library.list_creatives(session, {"include_pricing": True}, now=NOW)
    schema_valid("list_creatives", reply)
    assert reply["creatives"][0]["pricing_options"] == [
        {"pricing_option_id": "po_vast_30s_cpm", "currency": "USD", "model": "cpm", "cpm": 0.5}
    ]
    with pytest.raises(CreativeError):
        library.seed(session, "x", {"status": "glowing"}, now=NOW)
