"""StatusStore: the current ``TenantStatus`` of every tenant plus a bounded history.

The supervisor is the only writer; routes, ``/status`` and tests read it.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Callable, Iterable

import attrs

from trainer.supervision.state import ALLOWED, InvalidTransition, TenantState, TenantStatus
from trainer.tenant import TenantId

HISTORY_LENGTH = 32


@attrs.define
class StatusStore:
    """Current status and recent history per tenant; rejects transitions outside ``ALLOWED``."""

    clock: Callable[[], float]
    _current: dict[TenantId, TenantStatus] = attrs.field(factory=dict)
    _history: dict[TenantId, collections.deque[TenantStatus]] = attrs.field(factory=dict)
    _changed: asyncio.Event = attrs.field(factory=asyncio.Event)

    def transition(
        self,
        tenant: TenantId,
        state: TenantState,
        *,
        error: BaseException | None = None,
        restarts: int | None = None,
        delay_s: float | None = None,
        tools: Iterable[str] | None = None,
    ) -> TenantStatus:
        """Move ``tenant`` to ``state`` and return the new status.

        Raises:
            InvalidTransition: when ``ALLOWED`` has no such move; a brand-new tenant must start in STARTING.
        """
        old = self._current.get(tenant)
        allowed = ALLOWED[old.state] if old is not None else frozenset({TenantState.STARTING})
        if state not in allowed:
            raise InvalidTransition(tenant, old.state if old is not None else None, state)
        now = self.clock()
        status = TenantStatus(
            tenant=tenant,
            state=state,
            since=now,
            restarts=restarts if restarts is not None else (old.restarts if old is not None else 0),
            error=repr(error) if error is not None else (old.error if old is not None else None),
            retry_at=now + delay_s if delay_s is not None else None,
            tools=tuple(tools) if tools is not None else (old.tools if old is not None else ()),
        )
        self._current[tenant] = status
        self._history.setdefault(tenant, collections.deque(maxlen=HISTORY_LENGTH)).append(status)
        # Wake every waiter, then arm a fresh event for the next change.
        self._changed.set()
        self._changed = asyncio.Event()
        return status

    def get(self, tenant: TenantId) -> TenantStatus | None:
        return self._current.get(tenant)

    def snapshot(self) -> dict[TenantId, TenantStatus]:
        return dict(self._current)

    def history(self, tenant: str) -> list[TenantState]:
        """Return the states ``tenant`` went through, oldest first (bounded to the last 32)."""
        return [status.state for status in self._history.get(TenantId(tenant), ())]

    def records(self, tenant: str) -> list[TenantStatus]:
        return list(self._history.get(TenantId(tenant), ()))

    def next_change(self) -> asyncio.Event:
        """Return the event the next transition of any tenant sets; take it before checking state."""
        return self._changed
