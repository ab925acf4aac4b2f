"""Supervisor: one task per tenant, one_for_one restarts with exponential backoff and an intensity limit."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable, Callable, Sequence

import attrs
import structlog

from trainer.config import RestartPolicy
from trainer.store import StatusStore
from trainer.supervision.backoff import Rand, RestartWindow, delay_for
from trainer.supervision.spec import Restart, TenantSpec
from trainer.supervision.state import TenantState
from trainer.supervision.worker import run_incarnation
from trainer.tenant import Tenant, TenantId

log = structlog.get_logger("trainer.supervisor")

Sleep = Callable[[float], Awaitable[None]]


@attrs.frozen
class Missing:
    """A required tenant that was not READY when the boot gave up on it."""

    tenant: TenantId
    state: str
    error: str | None


@attrs.frozen
class BootReport:
    """What ``wait_ready`` saw.

    Attributes:
        elapsed_ms: from the call to its return.
        missing_required: required tenants not READY, each with its state and last error.
        states: every tenant's state at return.
    """

    elapsed_ms: float
    missing_required: tuple[Missing, ...]
    states: dict[TenantId, str]

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for state in self.states.values():
            counts[state] = counts.get(state, 0) + 1
        return counts


@attrs.define
class Supervisor:
    """Runs every tenant spec as a supervised task.

    Attributes:
        specs: the tenants, in start order (stopped in reverse).
        policy: restart delays and intensity.
        clock: monotonic seconds; injected so tests run backoff with no real waiting.
        sleep: waits between incarnations; injected for the same reason.
        rand: the jitter source.
        store: where states are written; the supervisor is its only writer.
    """

    specs: Sequence[TenantSpec]
    policy: RestartPolicy
    clock: Callable[[], float] = time.monotonic
    sleep: Sleep = asyncio.sleep
    rand: Rand = random.random
    store: StatusStore = attrs.field()
    _tasks: dict[TenantId, asyncio.Task[None]] = attrs.field(factory=dict, init=False)
    _live: dict[TenantId, Tenant] = attrs.field(factory=dict, init=False)
    _started_at: dict[TenantId, float] = attrs.field(factory=dict, init=False)
    _stopping: bool = attrs.field(default=False, init=False)

    @store.default
    def _default_store(self) -> StatusStore:
        return StatusStore(self.clock)

    def start(self) -> None:
        """Spawn one task per tenant and return at once."""
        for spec in self.specs:
            self._tasks[spec.id] = asyncio.create_task(self._supervise(spec), name=f"tenant:{spec.id}")

    def live(self, tenant: TenantId) -> Tenant | None:
        """Return the READY incarnation of ``tenant``, or ``None`` while it is not ready."""
        return self._live.get(tenant)

    def spec(self, tenant: str) -> TenantSpec | None:
        return next((spec for spec in self.specs if spec.id == tenant), None)

    async def _supervise(self, spec: TenantSpec) -> None:
        window = RestartWindow(self.policy.period_s)
        restarts = 0
        with structlog.contextvars.bound_contextvars(tenant=spec.id):
            while True:
                self.store.transition(spec.id, TenantState.STARTING, restarts=restarts)
                self._started_at[spec.id] = self.clock()
                log.info("tenant.starting", restarts=restarts)
                try:
                    await run_incarnation(spec, self._report_ready)
                except Exception as exc:  # CancelledError is a BaseException, so stop() always wins
                    self._live.pop(spec.id, None)
                    if self._stopping:
                        return
                    log.error("tenant.crashed", error=repr(exc), exc_info=exc)
                    restarts = window.record(self.clock())
                    if spec.restart is Restart.TEMPORARY or restarts > self.policy.intensity:
                        self.store.transition(spec.id, TenantState.FAILED, error=exc, restarts=restarts)
                        log.error("tenant.failed", restarts=restarts, error=repr(exc))
                        return
                    delay = delay_for(restarts, self.policy, self.rand)
                    self.store.transition(spec.id, TenantState.BACKING_OFF, error=exc, restarts=restarts, delay_s=delay)
                    log.warning("tenant.restart_scheduled", restarts=restarts, delay_s=round(delay, 3), error=repr(exc))
                    await self.sleep(delay)
                finally:
                    self._live.pop(spec.id, None)

    def _report_ready(self, spec: TenantSpec, tenant: Tenant) -> None:
        self._live[spec.id] = tenant
        status = self.store.transition(spec.id, TenantState.READY, tools=tenant.tool_names)
        startup_ms = (self.clock() - self._started_at.get(spec.id, self.clock())) * 1000
        log.info("tenant.ready", restarts=status.restarts, startup_ms=round(startup_ms, 1), tools=len(tenant.tools))

    async def wait_state(self, tenant: TenantId, state: TenantState) -> None:
        """Wait until ``tenant`` is in ``state``."""
        while True:
            changed = self.store.next_change()
            status = self.store.get(tenant)
            if status is not None and status.state is state:
                return
            await changed.wait()

    async def wait_ready(self, deadline_s: float) -> BootReport:
        """Wait until every required tenant is READY, one has FAILED, or ``deadline_s`` passes.

        A FAILED required tenant ends the wait at once: its restart intensity is spent, so the
        remaining deadline could only delay the inevitable boot failure.
        """
        began = self.clock()
        required = [spec.id for spec in self.specs if spec.required]
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(deadline_s):
                while True:
                    changed = self.store.next_change()
                    states = [self.store.get(t) for t in required]
                    if all(s is not None and s.state is TenantState.READY for s in states):
                        break
                    if any(s is not None and s.state is TenantState.FAILED for s in states):
                        break
                    await changed.wait()
        snapshot = self.store.snapshot()
        missing = tuple(
            Missing(
                t,
                snapshot[t].state.value if t in snapshot else "starting",
                snapshot[t].error if t in snapshot else None,
            )
            for t in required
            if t not in snapshot or snapshot[t].state is not TenantState.READY
        )
        return BootReport(
            elapsed_ms=round((self.clock() - began) * 1000, 1),
            missing_required=missing,
            states={t: s.state.value for t, s in snapshot.items()},
        )

    async def stop(self) -> None:
        """Stop tenants in reverse start order, each within its ``shutdown_timeout_s``."""
        self._stopping = True
        for spec in reversed(self.specs):
            task = self._tasks.pop(spec.id, None)
            if task is None:
                continue
            if self.store.get(spec.id) is not None:
                self.store.transition(spec.id, TenantState.STOPPING)
            task.cancel()
            try:
                async with asyncio.timeout(spec.shutdown_timeout_s):
                    await asyncio.gather(task, return_exceptions=True)
            except TimeoutError:
                log.error("tenant.stop_timeout", tenant=spec.id, timeout_s=spec.shutdown_timeout_s)
            self._live.pop(spec.id, None)
            if self.store.get(spec.id) is not None:
                self.store.transition(spec.id, TenantState.STOPPED)
            log.info("tenant.stopped", tenant=spec.id)
