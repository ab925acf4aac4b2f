"""The media-buy status machine: derived status, ``valid_actions``, and which transitions are legal.

A stored buy keeps the status the buyer or the controller set (``active`` after create, ``paused``,
``canceled``, ``completed``, ``rejected``); what a buyer sees is derived from it and the clock
(reference section 2.3):

1. canceled or rejected stay so;
2. a stored ``completed``, or a flight that has ended, is ``completed``;
3. a buy no package of which has a creative assigned is ``pending_creatives``;
4. a paused buy is ``paused``; one whose flight has not started is ``pending_start``;
5. otherwise ``active``.

A status forced through ``comply_test_controller`` is shown as forced, until the buyer changes it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final, assert_never

from trainer.clock import parse_instant


class Status(enum.StrEnum):
    """The statuses a media buy reports (AdCP ``media-buy-status``)."""

    PENDING_CREATIVES = "pending_creatives"
    PENDING_START = "pending_start"
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"
    REJECTED = "rejected"
    CANCELED = "canceled"


S = Status
TERMINAL: Final = frozenset({S.COMPLETED, S.REJECTED, S.CANCELED})
_LIVE_ACTIONS: Final = ("cancel", "update_budget", "update_dates", "update_packages", "add_packages", "sync_creatives")

# force_media_buy_status: from -> allowed targets (reference section 4). Same status is a no-op.
FORCE_TRANSITIONS: Final[Mapping[Status, frozenset[Status]]] = {
    S.PENDING_CREATIVES: frozenset({S.PENDING_START, S.REJECTED, S.CANCELED}),
    S.PENDING_START: frozenset({S.ACTIVE, S.REJECTED, S.CANCELED}),
    S.ACTIVE: frozenset({S.PAUSED, S.COMPLETED, S.CANCELED}),
    S.PAUSED: frozenset({S.ACTIVE, S.COMPLETED, S.CANCELED}),
    S.COMPLETED: frozenset(),
    S.REJECTED: frozenset(),
    S.CANCELED: frozenset(),
}


def has_creatives(buy: Mapping[str, Any]) -> bool:
    """Say whether any live package of the buy has a creative assigned."""
    return any(
        package.get("creative_assignments") and not package.get("canceled") for package in buy.get("packages", ())
    )


def derive(buy: Mapping[str, Any], now: datetime) -> Status:
    """Return the status a buyer sees for a stored buy at ``now``."""
    stored = Status(buy["status"])
    if stored in {S.CANCELED, S.REJECTED, S.COMPLETED}:
        return stored
    if buy.get("forced"):
        return stored
    if now >= parse_instant(buy["end_time"]):
        return S.COMPLETED
    if not has_creatives(buy):
        return S.PENDING_CREATIVES
    if stored is S.PAUSED:
        return S.PAUSED
    if now < parse_instant(buy["start_time"]):
        return S.PENDING_START
    return S.ACTIVE


def valid_actions(status: Status) -> list[str]:
    """Return the actions a buyer may take on a buy in ``status`` (AdCP ``media-buy-valid-action``)."""
    match status:
        case S.PENDING_CREATIVES | S.PENDING_START:
            return ["cancel", "sync_creatives"]
        case S.ACTIVE:
            return ["pause", *_LIVE_ACTIONS]
        case S.PAUSED:
            return ["resume", *_LIVE_ACTIONS]
        case S.COMPLETED | S.REJECTED | S.CANCELED:
            return []
        case _:
            assert_never(status)
