"""The one wall clock every AdCP answer reads: the system clock, or a frozen one for deterministic runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

import attrs


class Clock(Protocol):
    def now(self) -> datetime:
        """Return the current instant, timezone-aware in UTC."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@attrs.define
class FrozenClock:
    """A clock pinned to an instant that moves only when told to.

    Attributes:
        instant: the time ``now()`` returns.
    """

    instant: datetime

    def now(self) -> datetime:
        return self.instant

    def advance(self, delta: timedelta) -> None:
        self.instant += delta

    def set(self, instant: datetime) -> None:
        self.instant = instant


def parse_instant(text: str) -> datetime:
    """Parse an ISO 8601 instant; a naive one is taken as UTC.

    Raises:
        ValueError: when ``text`` is not an ISO 8601 date-time.
    """
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def iso(instant: datetime) -> str:
    """Format an instant the way AdCP payloads carry it: UTC, milliseconds, ``Z``."""
    return instant.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
