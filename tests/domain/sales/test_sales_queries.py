"""get_media_buys (filters, history, snapshots, pagination cursors) and provide_performance_feedback."""

from __future__ import annotations

import pytest

from tests.domain.sales.conftest import NOW, CreateBuy, SchemaCheck, package
from trainer.adcp.errors import AdcpError
from trainer.adcp.pagination import encode_cursor
from trainer.adcp.sessions import Session
from trainer.clock import parse_instant
from trainer.domain.sales.queries import get_media_buys, provide_performance_feedback
from trainer.domain.sales.seller import SalesDomain
from trainer.domain.sales.updates import update_media_buy

LIVE = {"start_time": "2026-05-01T00:00:00Z", "end_time": "2026-07-01T00:00:00Z"}


def _live(create_buy: CreateBuy) -> str:
    media_buy_id: str = create_buy(packages=[package(creative_assignments=[{"creative_id": "hero"}])], **LIVE)[
        "media_buy_id"
    ]
    return media_buy_id


def test_lookup_by_id_is_one_terminal_page(session: Session, create_buy: CreateBuy, schema_valid: SchemaCheck) -> None:
    """Buys asked for by id come back (unknown ids skipped) with a terminal pagination object."""
    first, second = create_buy()["media_buy_id"], _live(create_buy)
    reply = get_media_buys(session, {"media_buy_ids": [second, "mb_unknown", first]}, now=NOW)
    schema_valid("get_media_buys", reply)
    assert [buy["media_buy_id"] for buy in reply["media_buys"]] == [second, first]
    assert reply["pagination"] == {"has_more": False, "total_count": 2}
    live = reply["media_buys"][0]
    assert (live["status"], live["total_budget"], live["currency"]) == ("active", 10000.0, "USD")
    assert live["packages"][0]["creative_approvals"] == [{"creative_id": "hero", "approval_status": "pending_review"}]


def test_listing_defaults_to_active_buys(session: Session, create_buy: CreateBuy) -> None:
    """Without ids or a status filter only active buys are listed; status_filter widens the list."""
    create_buy()
    live = _live(create_buy)
    assert [buy["media_buy_id"] for buy in get_media_buys(session, {}, now=NOW)["media_buys"]] == [live]
    both = get_media_buys(session, {"status_filter": ["active", "pending_creatives"]}, now=NOW)
    assert both["pagination"]["total_count"] == 2


def test_cursors_walk_every_buy_once(session: Session, create_buy: CreateBuy) -> None:
    """Three active buys at two per page: a page with a cursor, then a terminal page without one."""
    ids = [_live(create_buy) for _ in range(3)]
    first = get_media_buys(session, {"pagination": {"max_results": 2}}, now=NOW)
    assert first["pagination"]["has_more"] is True
    assert first["pagination"]["total_count"] == 3
    second = get_media_buys(
        session, {"pagination": {"max_results": 2, "cursor": first["pagination"]["cursor"]}}, now=NOW
    )
    assert second["pagination"] == {"has_more": False, "total_count": 3}
    assert [buy["media_buy_id"] for buy in first["media_buys"] + second["media_buys"]] == ids


@pytest.mark.parametrize("cursor", ["garbage!", encode_cursor("creatives", 1)])
def test_foreign_or_broken_cursors_are_refused(session: Session, create_buy: CreateBuy, cursor: str) -> None:
    """A malformed cursor, or one minted for another list, is INVALID_REQUEST on pagination.cursor."""
    _live(create_buy)
    with pytest.raises(AdcpError) as caught:
        get_media_buys(session, {"pagination": {"cursor": cursor}}, now=NOW)
    assert (caught.value.code, caught.value.field) == ("INVALID_REQUEST", "pagination.cursor")


def test_history_is_most_recent_first_and_snapshots_show_delivery(
    domain: SalesDomain, session: Session, create_buy: CreateBuy, schema_valid: SchemaCheck
) -> None:
    """include_history returns the newest N entries; include_snapshot adds each package's delivery so far."""
    media_buy_id = _live(create_buy)
    update_media_buy(domain.seller, session, {"media_buy_id": media_buy_id, "paused": True}, now=NOW)
    reply = get_media_buys(
        session, {"media_buy_ids": [media_buy_id], "include_history": 1, "include_snapshot": True}, now=NOW
    )
    schema_valid("get_media_buys", reply)
    buy = reply["media_buys"][0]
    assert [entry["action"] for entry in buy["history"]] == ["paused"]
    assert buy["packages"][0]["snapshot"]["as_of"] == "2026-06-01T12:00:00.000Z"


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"status_filter": ["running"]}, "status_filter"),
        ({"media_buy_ids": "mb_1"}, "media_buy_ids"),
        ({"include_history": -1}, "include_history"),
        ({"pagination": {"max_results": 0}}, "pagination.max_results"),
    ],
)
def test_malformed_queries_name_the_field(session: Session, args: dict[str, object], field: str) -> None:
    """Every malformed query is INVALID_REQUEST naming its field."""
    with pytest.raises(AdcpError) as caught:
        get_media_buys(session, args, now=NOW)
    assert caught.value.field == field


def test_feedback_is_recorded_and_echoed(session: Session, create_buy: CreateBuy, schema_valid: SchemaCheck) -> None:
    """Valid feedback is acknowledged with what was sent and kept on the buy."""
    media_buy_id = create_buy()["media_buy_id"]
    args = {
        "media_buy_id": media_buy_id,
        "measurement_period": {"start": "2026-04-07T00:00:00Z", "end": "2026-04-14T23:59:59Z"},
        "performance_index": 1.4,
        "metric_type": "conversion_rate",
        "feedback_source": "buyer_attribution",
    }
    reply = provide_performance_feedback(session, args, now=NOW)
    schema_valid("provide_performance_feedback", reply)
    assert reply["success"] is True
    assert reply["performance_index"] == 1.4


def test_feedback_finds_buys_of_other_sessions(session: Session, create_buy: CreateBuy) -> None:
    """A buy absent from the caller's session is looked up through ``elsewhere``, as the request names no account."""
    media_buy_id = create_buy()["media_buy_id"]
    other = Session(key="open:default", created_at=NOW, last_accessed_at=NOW)
    args = {
        "media_buy_id": media_buy_id,
        "measurement_period": {"start": "2026-04-07T00:00:00Z", "end": "2026-04-14T00:00:00Z"},
        "performance_index": 0.8,
    }
    reply = provide_performance_feedback(other, args, now=NOW, elsewhere=lambda _: session)
    assert reply["media_buy_id"] == media_buy_id
    with pytest.raises(AdcpError) as missing:
        provide_performance_feedback(other, args, now=NOW)
    assert missing.value.code == "MEDIA_BUY_NOT_FOUND"


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"performance_index": -1}, "INVALID_REQUEST", "performance_index"),
        (
            {"measurement_period": {"start": "2026-04-14T00:00:00Z", "end": "2026-04-07T00:00:00Z"}},
            "INVALID_REQUEST",
            "measurement_period.end",
        ),
        ({"measurement_period": {"start": "April"}}, "INVALID_REQUEST", "measurement_period.start"),
        ({"metric_type": "vibes"}, "INVALID_REQUEST", "metric_type"),
        ({"package_id": "nope"}, "PACKAGE_NOT_FOUND", "package_id"),
    ],
)
def test_feedback_validation(
    session: Session, create_buy: CreateBuy, change: dict[str, object], code: str, field: str
) -> None:
    """Bad feedback is refused with its code and the field at fault."""
    args: dict[str, object] = {
        "media_buy_id": create_buy()["media_buy_id"],
        "measurement_period": {"start": "2026-04-07T00:00:00Z", "end": "2026-04-14T00:00:00Z"},
        "performance_index": 1.0,
        **change,
    }
    with pytest.raises(AdcpError) as caught:
        provide_performance_feedback(session, args, now=parse_instant("2026-06-01T12:00:00Z"))
    assert (caught.value.code, caught.value.field) == (code, field)
