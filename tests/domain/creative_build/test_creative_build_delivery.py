"""get_creative_delivery: deterministic totals that grow with the clock, variants that add up, pagination."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.domain.creative_build.conftest import NOW, SchemaCheck
from trainer.adcp.errors import AdcpError
from trainer.adcp.sessions import Session
from trainer.domain.creative_build.delivery import creative_delivery, parse_delivery_request
from trainer.domain.creative_build.library import MEDIA_BUYS


def _delivery(session: Session, now: Any = NOW, **args: Any) -> dict[str, Any]:
    return creative_delivery(parse_delivery_request(args), session, now)


def test_creative_totals_and_variants_add_up(session: Session, schema_valid: SchemaCheck) -> None:
    """Each creative reports totals and one to three variants whose impressions, clicks and spend sum to them."""
    result = _delivery(session, creative_ids=["display_trail_pro_300x250", "campaign_hero_video"])
    assert [row["creative_id"] for row in result["creatives"]] == ["display_trail_pro_300x250", "campaign_hero_video"]
    for row in result["creatives"]:
        assert 1 <= row["variant_count"] <= 3
        assert len(row["variants"]) == row["variant_count"]
        for metric in ("impressions", "clicks"):
            assert sum(variant[metric] for variant in row["variants"]) == row["totals"][metric]
        assert sum(variant["spend"] for variant in row["variants"]) == pytest.approx(row["totals"]["spend"])
    assert result["currency"] == "USD"
    assert result["reporting_period"]["end"] == "2026-06-01T12:00:00.000Z"
    schema_valid("get_creative_delivery", result)


def test_delivery_is_deterministic_and_grows_with_time(session: Session) -> None:
    """The same request gives the same numbers; a longer elapsed period gives more impressions."""
    args = {"creative_ids": ["display_trail_pro_300x250"], "start_date": "2026-05-01"}
    first = _delivery(session, **args)
    assert first == _delivery(session, **args)
    later = _delivery(session, now=NOW + timedelta(days=5), **args)
    assert later["creatives"][0]["totals"]["impressions"] > first["creatives"][0]["totals"]["impressions"]


def test_max_variants_caps_the_list_not_the_count(session: Session) -> None:
    """max_variants limits the variants listed while variant_count still says how many exist."""
    row = _delivery(session, creative_ids=["campaign_hero_video"], max_variants=1)["creatives"][0]
    assert len(row["variants"]) == 1


def test_media_buy_reports_its_assigned_creatives(session: Session) -> None:
    """A stored buy reports the creatives assigned to its packages, tagged with the buy."""
    session.collection(MEDIA_BUYS)["mb_1"] = {
        "media_buy_id": "mb_1",
        "packages": [{"package_id": "pkg-0", "creative_assignments": [{"creative_id": "display_trail_pro_300x250"}]}],
    }
    result = _delivery(session, media_buy_ids=["mb_1"])
    assert [(row["creative_id"], row["media_buy_id"]) for row in result["creatives"]] == [
        ("display_trail_pro_300x250", "mb_1")
    ]
    assert result["media_buy_id"] == "mb_1"


def test_unstored_buy_reports_the_library(session: Session, schema_valid: SchemaCheck) -> None:
    """A buy trafficked elsewhere reports the buyer's library, as an ad server serving it would."""
    result = _delivery(session, media_buy_ids=["mb_summer_campaign_001"])
    assert [row["creative_id"] for row in result["creatives"]] == ["display_trail_pro_300x250"]
    schema_valid("get_creative_delivery", result)


def test_unknown_creative_ids_are_reported_as_errors(session: Session, schema_valid: SchemaCheck) -> None:
    """A creative the library does not hold is listed under errors, naming its position."""
    result = _delivery(session, creative_ids=["display_trail_pro_300x250", "ghost"])
    assert [row["creative_id"] for row in result["creatives"]] == ["display_trail_pro_300x250"]
    assert result["errors"] == [
        {
            "code": "CREATIVE_NOT_FOUND",
            "message": "Creative 'ghost' is not in this buyer's library",
            "field": "creative_ids[1]",
        }
    ]
    schema_valid("get_creative_delivery", result)


def test_pages_walk_with_a_cursor(session: Session) -> None:
    """max_results pages the creatives; the cursor resumes where the page ended."""
    ids = ["display_trail_pro_300x250", "campaign_hero_video"]
    first = _delivery(session, creative_ids=ids, pagination={"max_results": 1})
    assert first["pagination"]["has_more"] is True
    second = _delivery(
        session, creative_ids=ids, pagination={"max_results": 1, "cursor": first["pagination"]["cursor"]}
    )
    assert [row["creative_id"] for row in second["creatives"]] == ["campaign_hero_video"]
    assert second["pagination"] == {"limit": 1, "offset": 1, "has_more": False, "total": 2}


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({}, "media_buy_ids"),
        ({"media_buy_ids": []}, "media_buy_ids"),
        ({"creative_ids": ["a", 3]}, "creative_ids[1]"),
        ({"creative_ids": ["a"], "start_date": "June 1"}, "start_date"),
        ({"creative_ids": ["a"], "start_date": "2026-06-02", "end_date": "2026-06-01"}, "end_date"),
        ({"creative_ids": ["a"], "max_variants": 0}, "max_variants"),
        ({"creative_ids": ["a"], "pagination": {"cursor": "nope"}}, "pagination.cursor"),
    ],
)
def test_bad_input_names_the_field(args: dict[str, Any], field: str) -> None:
    """Malformed delivery requests are INVALID_REQUEST naming the field."""
    with pytest.raises(AdcpError) as raised:
        parse_delivery_request(args)
    assert (raised.value.code, raised.value.field) == ("INVALID_REQUEST", field)
