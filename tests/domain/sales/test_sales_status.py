"""The media-buy status machine: derived status and valid_actions (reference section 2.3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from trainer.domain.sales.status import FORCE_TRANSITIONS, TERMINAL, Status, derive, valid_actions

START = datetime(2026, 7, 1, tzinfo=UTC)
END = datetime(2026, 7, 31, tzinfo=UTC)
BEFORE, DURING, AFTER = START - timedelta(days=1), START + timedelta(days=3), END + timedelta(seconds=1)


def _buy(status: str = "active", *, creatives: bool = True, **extra: Any) -> dict[str, Any]:
    assignments = [{"creative_id": "c1"}] if creatives else []
    return {
        "status": status,
        "start_time": START.isoformat(),
        "end_time": END.isoformat(),
        "packages": [{"package_id": "p0", "creative_assignments": assignments}],
        **extra,
    }


@pytest.mark.parametrize(
    ("buy", "now", "expected"),
    [
        (_buy(creatives=False), DURING, Status.PENDING_CREATIVES),
        (_buy(creatives=False), BEFORE, Status.PENDING_CREATIVES),
        (_buy(), BEFORE, Status.PENDING_START),
        (_buy(), DURING, Status.ACTIVE),
        (_buy("paused"), DURING, Status.PAUSED),
        (_buy(), AFTER, Status.COMPLETED),
        (_buy("paused"), AFTER, Status.COMPLETED),
        (_buy(creatives=False), AFTER, Status.COMPLETED),
        (_buy("canceled"), DURING, Status.CANCELED),
        (_buy("rejected"), BEFORE, Status.REJECTED),
        (_buy("completed"), DURING, Status.COMPLETED),
    ],
)
def test_status_derives_from_stored_status_creatives_and_clock(
    buy: dict[str, Any], now: datetime, expected: Status
) -> None:
    """Canceled and rejected stick, an ended flight completes, no creative is pending_creatives, dates do the rest."""
    assert derive(buy, now) is expected


def test_forced_status_is_shown_as_forced() -> None:
    """A status the controller forced is shown as is, creatives and dates notwithstanding."""
    assert derive(_buy("active", creatives=False, forced=True), BEFORE) is Status.ACTIVE


def test_canceled_packages_do_not_count_as_creatives() -> None:
    """A buy whose only assigned package is canceled is pending creatives again."""
    buy = _buy()
    buy["packages"][0]["canceled"] = True
    assert derive(buy, DURING) is Status.PENDING_CREATIVES


@pytest.mark.parametrize(
    ("status", "actions"),
    [
        (Status.PENDING_CREATIVES, ["cancel", "sync_creatives"]),
        (Status.PENDING_START, ["cancel", "sync_creatives"]),
        (
            Status.ACTIVE,
            ["pause", "cancel", "update_budget", "update_dates", "update_packages", "add_packages", "sync_creatives"],
        ),
        (
            Status.PAUSED,
            ["resume", "cancel", "update_budget", "update_dates", "update_packages", "add_packages", "sync_creatives"],
        ),
        (Status.COMPLETED, []),
        (Status.REJECTED, []),
        (Status.CANCELED, []),
    ],
)
def test_valid_actions_per_status(status: Status, actions: list[str]) -> None:
    """valid_actions lists what the reference lists for each status; terminal statuses allow nothing."""
    assert valid_actions(status) == actions


def test_terminal_statuses_have_no_forced_way_out() -> None:
    """The controller's table never leaves completed, rejected or canceled."""
    assert all(not FORCE_TRANSITIONS[status] for status in TERMINAL)
    assert Status.ACTIVE in FORCE_TRANSITIONS[Status.PENDING_START]
