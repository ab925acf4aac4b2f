"""Tenant states, the transitions allowed between them, and the snapshot ``/status`` shows."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Final

import attrs

from trainer.tenant import TenantId


class TenantState(enum.Enum):
    STARTING = "starting"  # building the tenant: catalogues, stores, tool table
    READY = "ready"  # the route serves requests
    BACKING_OFF = "backing_off"  # the last incarnation crashed; the next one starts after delay_s
    FAILED = "failed"  # restart intensity exhausted; the route answers 503 until shutdown
    STOPPING = "stopping"
    STOPPED = "stopped"


S = TenantState
ALLOWED: Final[Mapping[TenantState, frozenset[TenantState]]] = {
    S.STARTING: frozenset({S.READY, S.BACKING_OFF, S.FAILED, S.STOPPING}),
    S.READY: frozenset({S.BACKING_OFF, S.FAILED, S.STOPPING}),
    S.BACKING_OFF: frozenset({S.STARTING, S.STOPPING}),
    S.FAILED: frozenset({S.STOPPING}),
    S.STOPPING: frozenset({S.STOPPED}),
    S.STOPPED: frozenset(),
}


class InvalidTransition(Exception):
    """A state change outside ``ALLOWED``: a supervisor bug, reported with the tenant it hit."""

    def __init__(self, tenant: TenantId, old: TenantState | None, new: TenantState) -> None:
        before = old.value if old is not None else "(new)"
        super().__init__(f"tenant {tenant!r}: {before} -> {new.value} is not an allowed transition")
        self.tenant = tenant
        self.old = old
        self.new = new


@attrs.frozen
class TenantStatus:
    """One tenant's state at an instant.

    Attributes:
        tenant: the tenant id.
        state: the state entered.
        since: monotonic seconds when it was entered.
        restarts: restarts counted in the current intensity window.
        error: ``repr`` of the exception that caused this state, if any.
        retry_at: monotonic seconds of the next start, when backing off.
        tools: the tools the tenant serves, once it has been ready.
    """

    tenant: TenantId
    state: TenantState
    since: float
    restarts: int = 0
    error: str | None = None
    retry_at: float | None = None
    tools: tuple[str, ...] = ()
