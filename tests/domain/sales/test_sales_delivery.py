"""Simulated delivery: deterministic numbers from the clock, the flight and the buy's history."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.domain.sales.conftest import NOW, CreateBuy, SchemaCheck, package
from trainer.adcp.errors import AdcpError
from trainer.adcp.sessions import Session
from trainer.clock import parse_instant
from trainer.domain.sales import media_buys
from trainer.domain.sales.delivery import get_media_buy_delivery, record_simulation
from trainer.domain.sales.seller import SalesDomain
from trainer.domain.sales.updates import update_media_buy

# A 30-day flight from June 1st, creatives assigned at creation, so it delivers from its start.
FLIGHT = {"start_time": "2026-06-01T00:00:00Z", "end_time": "2026-07-01T00:00:00Z"}
DAY_TEN = parse_instant("2026-06-11T00:00:00Z")


def _live_buy(create_buy: CreateBuy, **package_overrides: Any) -> str:
    assigned = package(budget=30000, creative_assignments=[{"creative_id": "hero"}], **package_overrides)
    media_buy_id: str = create_buy(now=parse_instant("2026-05-20T00:00:00Z"), packages=[assigned], **FLIGHT)[
        "media_buy_id"
    ]
    return media_buy_id


def _delivery(session: Session, media_buy_id: str, now: datetime, **args: Any) -> dict[str, Any]:
    return get_media_buy_delivery(session, {"media_buy_ids": [media_buy_id], **args}, now=now)


def test_spend_follows_the_share_of_the_flight_delivered(
    session: Session, create_buy: CreateBuy, schema_valid: SchemaCheck
) -> None:
    """Ten days into a thirty-day flight a 30,000 budget at a 10 CPM has spent 10,000 on 1,000,000 impressions."""
    media_buy_id = _live_buy(create_buy)
    report = _delivery(session, media_buy_id, DAY_TEN)
    schema_valid("get_media_buy_delivery", report)
    assert report["reporting_period"] == {"start": "2026-06-01T00:00:00.000Z", "end": "2026-06-11T00:00:00.000Z"}
    totals = report["media_buy_deliveries"][0]["totals"]
    assert totals["spend"] == 10000.0
    assert totals["impressions"] == 1_000_000
    assert totals["clicks"] == 1200  # display click-through 0.12%
    by_package = report["media_buy_deliveries"][0]["by_package"][0]
    assert (by_package["pricing_model"], by_package["rate"], by_package["delivery_status"]) == (
        "cpm",
        10.0,
        "delivering",
    )
    assert report["aggregated_totals"] == {
        "impressions": 1_000_000,
        "spend": 10000.0,
        "clicks": 1200,
        "media_buy_count": 1,
    }


def test_delivery_is_the_same_for_the_same_instant(session: Session, create_buy: CreateBuy) -> None:
    """Two reports at one instant are identical; a later one has delivered more."""
    media_buy_id = _live_buy(create_buy)
    assert _delivery(session, media_buy_id, DAY_TEN) == _delivery(session, media_buy_id, DAY_TEN)
    later = _delivery(session, media_buy_id, DAY_TEN + timedelta(days=5))
    assert later["media_buy_deliveries"][0]["totals"]["spend"] == 15000.0


def test_no_delivery_before_creatives_or_start(session: Session, create_buy: CreateBuy) -> None:
    """A buy without creatives delivers nothing, however far into its flight."""
    media_buy_id = create_buy(**FLIGHT)["media_buy_id"]
    totals = _delivery(session, media_buy_id, DAY_TEN)["media_buy_deliveries"][0]["totals"]
    assert (totals["spend"], totals["impressions"]) == (0.0, 0)


def test_pauses_stop_delivery(domain: SalesDomain, session: Session, create_buy: CreateBuy) -> None:
    """Five paused days out of ten leave a third of the flight undelivered by day fifteen."""
    media_buy_id = _live_buy(create_buy)
    update_media_buy(domain.seller, session, {"media_buy_id": media_buy_id, "paused": True}, now=DAY_TEN)
    update_media_buy(
        domain.seller, session, {"media_buy_id": media_buy_id, "paused": False}, now=DAY_TEN + timedelta(days=5)
    )
    totals = _delivery(session, media_buy_id, DAY_TEN + timedelta(days=10))["media_buy_deliveries"][0]["totals"]
    assert totals["spend"] == 15000.0


def test_a_finished_flight_spends_its_budget(session: Session, create_buy: CreateBuy) -> None:
    """After the flight the whole budget is spent and the package reports completed."""
    media_buy_id = _live_buy(create_buy)
    report = _delivery(session, media_buy_id, parse_instant("2026-07-10T00:00:00Z"))
    delivery = report["media_buy_deliveries"][0]
    assert delivery["status"] == "completed"
    assert delivery["totals"]["spend"] == 30000.0
    assert delivery["by_package"][0]["delivery_status"] == "completed"


def test_video_reports_views_completion_and_reach(session: Session, create_buy: CreateBuy) -> None:
    """A CTV package reports completed views at the CTV completion rate and household reach."""
    media_buy_id = _live_buy(create_buy, product_id="sports_ctv_q2", pricing_option_id="cpm_guaranteed")
    totals = _delivery(session, media_buy_id, DAY_TEN)["media_buy_deliveries"][0]["totals"]
    assert totals["impressions"] == round(10000 / 45 * 1000)
    assert totals["completed_views"] == round(totals["impressions"] * 0.95)
    assert totals["completion_rate"] == 0.95
    assert totals["reach_unit"] == "households"


def test_simulated_delivery_adds_on_top(session: Session, create_buy: CreateBuy) -> None:
    """Reported impressions, clicks and spend from the controller are added to the simulation."""
    media_buy_id = _live_buy(create_buy)
    buy = media_buys.find(session, media_buy_id)
    assert buy is not None
    added = record_simulation(
        buy, {"impressions": 5000, "clicks": 150, "reported_spend": {"amount": 250, "currency": "USD"}}
    )
    assert added["cumulative"] == {"impressions": 5000, "clicks": 150, "spend": 250.0}
    totals = _delivery(session, media_buy_id, DAY_TEN)["media_buy_deliveries"][0]["totals"]
    assert (totals["impressions"], totals["clicks"], totals["spend"]) == (1_005_000, 1350, 10250.0)


def test_budget_spend_simulation_exhausts_the_budget(session: Session, create_buy: CreateBuy) -> None:
    """A simulated 100% spend shows the whole budget spent and the package budget_exhausted."""
    media_buy_id = _live_buy(create_buy)
    buy = media_buys.find(session, media_buy_id)
    assert buy is not None
    buy["spend_percentage"] = 100.0
    package_report = _delivery(session, media_buy_id, DAY_TEN)["media_buy_deliveries"][0]["by_package"][0]
    assert (package_report["spend"], package_report["delivery_status"]) == (30000.0, "budget_exhausted")


def test_daily_breakdown_splits_spend_by_day(session: Session, create_buy: CreateBuy) -> None:
    """The daily breakdown has one entry per delivering day, summing to the period's spend."""
    media_buy_id = _live_buy(create_buy)
    report = _delivery(session, media_buy_id, DAY_TEN, include_package_daily_breakdown=True)
    days = report["media_buy_deliveries"][0]["by_package"][0]["daily_breakdown"]
    assert [day["date"] for day in days][:2] == ["2026-06-01", "2026-06-02"]
    assert len(days) == 10
    assert sum(day["spend"] for day in days) == pytest.approx(10000.0)


def test_unknown_buys_and_bad_dates_name_the_field(session: Session, create_buy: CreateBuy) -> None:
    """An unknown id is MEDIA_BUY_NOT_FOUND at its index; a malformed date is INVALID_REQUEST naming it."""
    media_buy_id = _live_buy(create_buy)
    with pytest.raises(AdcpError) as unknown:
        get_media_buy_delivery(session, {"media_buy_ids": [media_buy_id, "mb_nope"]}, now=NOW)
    assert (unknown.value.code, unknown.value.field) == ("MEDIA_BUY_NOT_FOUND", "media_buy_ids[1]")
    with pytest.raises(AdcpError) as bad_date:
        get_media_buy_delivery(session, {"media_buy_id": media_buy_id, "start_date": "June"}, now=NOW)
    assert bad_date.value.field == "start_date"
