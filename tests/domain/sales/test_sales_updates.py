"""update_media_buy: revisions and optimistic concurrency, pause/resume, cancel, packages, history."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.domain.sales.conftest import NOW, CreateBuy, SchemaCheck, package
from trainer.adcp.errors import AdcpError
from trainer.adcp.sessions import Session
from trainer.domain.creatives.library import find as find_creative
from trainer.domain.sales import media_buys
from trainer.domain.sales.seller import SalesDomain
from trainer.domain.sales.updates import assign_creative, update_media_buy

CREATIVE = {"creative_id": "hero", "name": "Hero", "format_id": {"id": "display_300x250"}}


def _update(domain: SalesDomain, session: Session, media_buy_id: str, now: Any = NOW, **args: Any) -> dict[str, Any]:
    return update_media_buy(domain.seller, session, {"media_buy_id": media_buy_id, **args}, now=now)


def _fails(domain: SalesDomain, session: Session, media_buy_id: str, **args: Any) -> AdcpError:
    with pytest.raises(AdcpError) as caught:
        _update(domain, session, media_buy_id, **args)
    return caught.value


def _sync_creative(domain: SalesDomain, session: Session) -> None:
    domain.library.sync_creatives(session, {"creatives": [CREATIVE]}, now=NOW)


def test_each_update_bumps_the_revision_and_records_history(
    domain: SalesDomain, session: Session, create_buy: CreateBuy, schema_valid: SchemaCheck
) -> None:
    """Pause then resume: revision 1 -> 2 -> 3, with paused and resumed entries in the history."""
    media_buy_id = create_buy()["media_buy_id"]
    paused = _update(domain, session, media_buy_id, paused=True)
    schema_valid("update_media_buy", paused)
    assert paused["revision"] == 2
    resumed = _update(domain, session, media_buy_id, paused=False, revision=2)
    assert resumed["revision"] == 3
    stored = media_buys.find(session, media_buy_id)
    assert stored is not None
    assert [(entry["revision"], entry["action"]) for entry in stored["history"]] == [
        (1, "created"),
        (2, "paused"),
        (3, "resumed"),
    ]


def test_stale_revision_is_a_conflict_and_changes_nothing(
    domain: SalesDomain, session: Session, create_buy: CreateBuy
) -> None:
    """A revision that is not the current one is CONFLICT with the current revision in details."""
    media_buy_id = create_buy()["media_buy_id"]
    _update(domain, session, media_buy_id, paused=True)
    error = _fails(domain, session, media_buy_id, revision=1, paused=False)
    assert (error.code, error.field, error.details) == ("CONFLICT", "revision", {"current_revision": 2})
    stored = media_buys.find(session, media_buy_id)
    assert stored is not None
    assert stored["status"] == "paused"


def test_pause_and_resume_a_live_buy(domain: SalesDomain, session: Session, create_buy: CreateBuy) -> None:
    """A live buy pauses to paused (with resume offered) and resumes to active."""
    media_buy_id = create_buy(
        start_time="2026-05-01T00:00:00Z", packages=[package(creative_assignments=[{"creative_id": "x"}])]
    )["media_buy_id"]
    paused = _update(domain, session, media_buy_id, paused=True)
    assert paused["status"] == "paused"
    assert paused["valid_actions"][0] == "resume"
    assert _update(domain, session, media_buy_id, paused=False)["status"] == "active"


def test_cancel_then_every_change_is_refused(domain: SalesDomain, session: Session, create_buy: CreateBuy) -> None:
    """Cancel records who and why; canceling again is NOT_CANCELLABLE and pausing is INVALID_STATE."""
    media_buy_id = create_buy()["media_buy_id"]
    canceled = _update(domain, session, media_buy_id, canceled=True, cancellation_reason="Budget moved")
    assert canceled["status"] == "canceled"
    assert canceled["valid_actions"] == []
    assert canceled["cancellation"] == {
        "canceled_at": "2026-06-01T12:00:00.000Z",
        "canceled_by": "buyer",
        "reason": "Budget moved",
    }
    assert _fails(domain, session, media_buy_id, canceled=True).code == "NOT_CANCELLABLE"
    assert _fails(domain, session, media_buy_id, paused=True).code == "INVALID_STATE"
    assert _fails(domain, session, media_buy_id, paused=False).code == "INVALID_STATE"


def test_completed_buy_cannot_be_canceled(domain: SalesDomain, session: Session, create_buy: CreateBuy) -> None:
    """After its flight a buy is completed: cancel is NOT_CANCELLABLE, other changes INVALID_STATE."""
    media_buy_id = create_buy()["media_buy_id"]
    after = NOW + timedelta(days=90)
    with pytest.raises(AdcpError) as cancel:
        _update(domain, session, media_buy_id, now=after, canceled=True)
    assert cancel.value.code == "NOT_CANCELLABLE"
    with pytest.raises(AdcpError) as change:
        _update(domain, session, media_buy_id, now=after, packages=[{"package_id": "x", "budget": 1}])
    assert change.value.code == "INVALID_STATE"


def test_unknown_buy_and_package(domain: SalesDomain, session: Session, create_buy: CreateBuy) -> None:
    """An unknown buy is MEDIA_BUY_NOT_FOUND and an unknown package PACKAGE_NOT_FOUND, naming the field."""
    error = _fails(domain, session, "does-not-exist", paused=True)
    assert (error.code, error.field) == ("MEDIA_BUY_NOT_FOUND", "media_buy_id")
    media_buy_id = create_buy()["media_buy_id"]
    error = _fails(domain, session, media_buy_id, packages=[{"package_id": "nope", "paused": True}])
    assert (error.code, error.field) == ("PACKAGE_NOT_FOUND", "packages[0].package_id")


def test_package_budget_bid_and_targeting_change(domain: SalesDomain, session: Session, create_buy: CreateBuy) -> None:
    """Budgets, bids and targeting change per package; a bid under the floor is refused."""
    reply = create_buy(
        packages=[
            package(
                product_id="pinnacle_news_display", pricing_option_id="pinnacle_news_display_pricing_0", bid_price=6
            )
        ]
    )
    package_id = reply["packages"][0]["package_id"]
    overlay = {"collection_list": {"agent_url": "https://gov.example", "list_id": "shows_v2"}}
    updated = _update(
        domain,
        session,
        reply["media_buy_id"],
        packages=[{"package_id": package_id, "budget": 12000, "bid_price": 7.5, "targeting_overlay": overlay}],
    )
    changed = updated["affected_packages"][0]
    assert (changed["budget"], changed["bid_price"], changed["targeting_overlay"]) == (12000, 7.5, overlay)
    error = _fails(domain, session, reply["media_buy_id"], packages=[{"package_id": package_id, "bid_price": 1}])
    assert (error.code, error.field) == ("INVALID_REQUEST", "packages[0].bid_price")
    error = _fails(domain, session, reply["media_buy_id"], packages=[{"package_id": package_id, "budget": -1}])
    assert (error.code, error.field) == ("VALIDATION_ERROR", "packages[0].budget")


def test_a_failed_update_changes_nothing(domain: SalesDomain, session: Session, create_buy: CreateBuy) -> None:
    """An update whose second package change fails leaves the first package and the revision untouched."""
    reply = create_buy(packages=[package(), package()])
    first, second = (p["package_id"] for p in reply["packages"])
    _fails(
        domain,
        session,
        reply["media_buy_id"],
        packages=[{"package_id": first, "budget": 1}, {"package_id": second, "budget": -5}],
    )
    stored = media_buys.find(session, reply["media_buy_id"])
    assert stored is not None
    assert (stored["revision"], stored["packages"][0]["budget"]) == (1, 10000)


def test_creative_assignments_replace_and_move_the_buy_on(
    domain: SalesDomain, session: Session, create_buy: CreateBuy
) -> None:
    """Assigning a synced creative takes pending_creatives to pending_start; unknown creatives are refused."""
    reply = create_buy()
    package_id = reply["packages"][0]["package_id"]
    error = _fails(
        domain,
        session,
        reply["media_buy_id"],
        packages=[{"package_id": package_id, "creative_assignments": [{"creative_id": "hero"}]}],
    )
    assert (error.code, error.field) == ("CREATIVE_NOT_FOUND", "packages[0].creative_assignments[0].creative_id")
    _sync_creative(domain, session)
    updated = _update(
        domain,
        session,
        reply["media_buy_id"],
        packages=[{"package_id": package_id, "creative_assignments": [{"creative_id": "hero"}]}],
    )
    assert updated["status"] == "pending_start"
    assert updated["affected_packages"][0]["creative_assignments"] == [{"creative_id": "hero"}]
    creative = find_creative(session, "hero")
    assert creative is not None
    assert list(creative["assignments"]) == [package_id]


def test_clearing_creatives_of_a_starting_buy_is_refused(
    domain: SalesDomain, session: Session, create_buy: CreateBuy
) -> None:
    """Emptying creative_assignments on a buy about to start is a VALIDATION_ERROR."""
    _sync_creative(domain, session)
    reply = create_buy(packages=[package(creative_assignments=[{"creative_id": "hero"}])])
    package_id = reply["packages"][0]["package_id"]
    error = _fails(
        domain, session, reply["media_buy_id"], packages=[{"package_id": package_id, "creative_assignments": []}]
    )
    assert (error.code, error.field) == ("VALIDATION_ERROR", "packages[0].creative_assignments")


def test_flight_changes_and_new_packages(domain: SalesDomain, session: Session, create_buy: CreateBuy) -> None:
    """A later end date and a new package apply; an end before the start is a VALIDATION_ERROR."""
    reply = create_buy()
    updated = _update(
        domain, session, reply["media_buy_id"], end_time="2026-08-31T00:00:00Z", new_packages=[package(budget=3000)]
    )
    assert updated["affected_packages"][0]["package_id"] == f"{reply['media_buy_id']}_pkg_1"
    stored = media_buys.find(session, reply["media_buy_id"])
    assert stored is not None
    assert stored["end_time"] == "2026-08-31T00:00:00.000Z"
    assert len(stored["packages"]) == 2
    error = _fails(domain, session, reply["media_buy_id"], end_time="2026-06-15T00:00:00Z")
    assert (error.code, error.field) == ("VALIDATION_ERROR", "end_time")


def test_package_cancel_and_pause(domain: SalesDomain, session: Session, create_buy: CreateBuy) -> None:
    """A package can be paused, then canceled; a canceled package cannot be changed."""
    reply = create_buy(packages=[package(), package()])
    package_id = reply["packages"][0]["package_id"]
    paused = _update(domain, session, reply["media_buy_id"], packages=[{"package_id": package_id, "paused": True}])
    assert paused["affected_packages"][0]["paused"] is True
    canceled = _update(domain, session, reply["media_buy_id"], packages=[{"package_id": package_id, "canceled": True}])
    assert canceled["affected_packages"][0]["cancellation"]["canceled_by"] == "buyer"
    error = _fails(domain, session, reply["media_buy_id"], packages=[{"package_id": package_id, "budget": 5}])
    assert error.code == "INVALID_STATE"


def test_sync_creatives_assignment_hook(domain: SalesDomain, session: Session, create_buy: CreateBuy) -> None:
    """The sync_creatives hook assigns to any open package of the session and refuses unknown packages."""
    reply = create_buy()
    package_id = reply["packages"][0]["package_id"]
    assert assign_creative(session, "hero", package_id, NOW) is None
    assert assign_creative(session, "hero", package_id, NOW) is None
    assert assign_creative(session, "hero", "nope", NOW) == "Package nope not found in an open media buy"
    stored = media_buys.find(session, reply["media_buy_id"])
    assert stored is not None
    assert stored["packages"][0]["creative_assignments"] == [{"creative_id": "hero"}]
    assert stored["revision"] == 2


def test_malformed_fields_are_named(domain: SalesDomain, session: Session, create_buy: CreateBuy) -> None:
    """Wrong types are INVALID_REQUEST naming the field, never an exception."""
    media_buy_id = create_buy()["media_buy_id"]
    cases: list[tuple[dict[str, Any], str]] = [
        ({"paused": "yes"}, "paused"),
        ({"revision": "2"}, "revision"),
        ({"packages": {"package_id": "x"}}, "packages"),
        ({"packages": ["x"]}, "packages[0]"),
        ({"end_time": "soon"}, "end_time"),
        ({"new_packages": []}, "new_packages"),
    ]
    for args, field in cases:
        assert _fails(domain, session, media_buy_id, **args).field == field
    with pytest.raises(AdcpError) as missing:
        update_media_buy(domain.seller, session, {}, now=NOW)
    assert missing.value.field == "media_buy_id"
