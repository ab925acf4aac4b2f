"""Supervisor behaviour on a fake clock: backoff, intensity, stop, and the transition table."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

import pytest

from tests.fakes import CrashSwitch, FakeClock, RecordingSleep, flaky, never_ready
from trainer.config import RestartPolicy
from trainer.store import StatusStore
from trainer.supervision.backoff import RestartWindow, delay_for
from trainer.supervision.spec import Restart, TenantSpec
from trainer.supervision.state import ALLOWED, InvalidTransition, TenantState
from trainer.supervision.supervisor import Supervisor
from trainer.tenant import TenantId

S = TenantState
ALPHA = TenantId("alpha")
POLICY = RestartPolicy(initial_delay_s=0.1, factor=2.0, max_delay_s=1.0, jitter=0.0, intensity=3, period_s=60.0)


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sleep(fake_clock: FakeClock) -> RecordingSleep:
    return RecordingSleep(fake_clock)


def make_supervisor(
    specs: list[TenantSpec], clock: FakeClock, sleep: RecordingSleep, policy: RestartPolicy = POLICY
) -> Supervisor:
    return Supervisor(specs, policy, clock=clock, sleep=sleep, rand=lambda: 0.5)


@pytest.fixture
async def running() -> AsyncIterator[list[Supervisor]]:
    """Supervisors started by a test, stopped after it whatever happened."""
    started: list[Supervisor] = []
    yield started
    for supervisor in started:
        await supervisor.stop()


async def wait(supervisor: Supervisor, tenant: TenantId, state: TenantState) -> None:
    async with asyncio.timeout(1):  # guards against a hang only; the test synchronises on state
        await supervisor.wait_state(tenant, state)


async def test_crashed_tenant_restarts_after_backoff(
    fake_clock: FakeClock, sleep: RecordingSleep, running: list[Supervisor]
) -> None:
    """A tenant that fails twice is READY on its third incarnation, after two growing delays."""
    supervisor = make_supervisor([TenantSpec(ALPHA, flaky("alpha", fail_times=2))], fake_clock, sleep)
    running.append(supervisor)
    supervisor.start()
    await wait(supervisor, ALPHA, S.READY)
    assert supervisor.store.history("alpha") == [
        S.STARTING,
        S.BACKING_OFF,
        S.STARTING,
        S.BACKING_OFF,
        S.STARTING,
        S.READY,
    ]
    assert sleep.calls == [0.1, 0.2]
    assert supervisor.live(ALPHA) is not None


async def test_backoff_is_capped_and_intensity_exhaustion_fails_the_tenant(
    fake_clock: FakeClock, sleep: RecordingSleep, running: list[Supervisor]
) -> None:
    """Restarts beyond the intensity limit leave the tenant FAILED with its last error; delays stop at the cap."""
    policy = RestartPolicy(initial_delay_s=0.4, factor=2.0, max_delay_s=1.0, jitter=0.0, intensity=3, period_s=60.0)
    supervisor = make_supervisor(
        [TenantSpec(ALPHA, flaky("alpha", fail_times=99, error=ValueError("bad catalogue")))], fake_clock, sleep, policy
    )
    running.append(supervisor)
    supervisor.start()
    await wait(supervisor, ALPHA, S.FAILED)
    assert sleep.calls == [0.4, 0.8, 1.0]
    status = supervisor.store.get(ALPHA)
    assert status is not None
    assert status.restarts == 4
    assert status.error == "ValueError('bad catalogue')"
    assert supervisor.store.history("alpha")[-1] is S.FAILED


async def test_restarts_outside_the_period_do_not_count(
    fake_clock: FakeClock, sleep: RecordingSleep, running: list[Supervisor]
) -> None:
    """Crashes spread wider than period_s never exhaust the intensity, so the tenant keeps coming back."""
    policy = RestartPolicy(initial_delay_s=10.0, factor=1.0, max_delay_s=10.0, jitter=0.0, intensity=1, period_s=5.0)
    supervisor = make_supervisor([TenantSpec(ALPHA, flaky("alpha", fail_times=4))], fake_clock, sleep, policy)
    running.append(supervisor)
    supervisor.start()
    await wait(supervisor, ALPHA, S.READY)
    assert sleep.calls == [10.0, 10.0, 10.0, 10.0]


async def test_temporary_tenant_is_never_restarted(
    fake_clock: FakeClock, sleep: RecordingSleep, running: list[Supervisor]
) -> None:
    """OTP's TEMPORARY: the first crash is final."""
    spec = TenantSpec(ALPHA, flaky("alpha", fail_times=1), restart=Restart.TEMPORARY)
    supervisor = make_supervisor([spec], fake_clock, sleep)
    running.append(supervisor)
    supervisor.start()
    await wait(supervisor, ALPHA, S.FAILED)
    assert sleep.calls == []


async def test_crash_after_ready_restarts_only_that_tenant(
    fake_clock: FakeClock, sleep: RecordingSleep, running: list[Supervisor]
) -> None:
    """A READY tenant that crashes goes through BACKING_OFF to a new incarnation; its sibling never moves."""
    switch = CrashSwitch("alpha")
    beta = TenantId("beta")
    supervisor = make_supervisor([TenantSpec(ALPHA, switch), TenantSpec(beta, flaky("beta", 0))], fake_clock, sleep)
    running.append(supervisor)
    supervisor.start()
    await wait(supervisor, ALPHA, S.READY)
    await wait(supervisor, beta, S.READY)
    first = supervisor.live(ALPHA)
    switch.crash()
    await wait(supervisor, ALPHA, S.BACKING_OFF)
    await wait(supervisor, ALPHA, S.READY)
    assert supervisor.live(ALPHA) is not first
    assert len(switch.incarnations) == 2
    assert supervisor.store.history("beta") == [S.STARTING, S.READY]


async def test_stop_goes_in_reverse_order_through_stopping(fake_clock: FakeClock, sleep: RecordingSleep) -> None:
    """stop() cancels tenants last-first, each passing STOPPING then STOPPED, including one stuck starting."""
    names = ["alpha", "beta", "gamma"]
    specs = [
        TenantSpec(TenantId("alpha"), flaky("alpha", 0)),
        TenantSpec(TenantId("beta"), flaky("beta", 0)),
        TenantSpec(TenantId("gamma"), never_ready("gamma")),
    ]
    ticks = itertools.count()
    store = StatusStore(clock=lambda: float(next(ticks)))  # orders transitions across tenants
    supervisor = Supervisor(specs, POLICY, clock=fake_clock, sleep=sleep, store=store)
    supervisor.start()
    await wait(supervisor, TenantId("beta"), S.READY)
    await wait(supervisor, TenantId("gamma"), S.STARTING)
    await supervisor.stop()
    stopping = {name: next(r.since for r in store.records(name) if r.state is S.STOPPING) for name in names}
    assert sorted(names, key=stopping.__getitem__) == list(reversed(names))
    for name in names:
        assert supervisor.store.history(name)[-2:] == [S.STOPPING, S.STOPPED]


async def test_wait_ready_reports_missing_required_with_state_and_error(
    fake_clock: FakeClock, sleep: RecordingSleep, running: list[Supervisor]
) -> None:
    """A required tenant that never becomes ready is named in the boot report; an optional one is not."""
    specs = [
        TenantSpec(ALPHA, flaky("alpha", 0)),
        TenantSpec(TenantId("stuck"), never_ready("stuck")),
        TenantSpec(TenantId("extra"), never_ready("extra"), required=False),
    ]
    supervisor = make_supervisor(specs, fake_clock, sleep)
    running.append(supervisor)
    supervisor.start()
    report = await supervisor.wait_ready(deadline_s=0.05)
    assert [(m.tenant, m.state) for m in report.missing_required] == [("stuck", "starting")]


async def test_wait_ready_ends_early_when_a_required_tenant_fails(
    fake_clock: FakeClock, sleep: RecordingSleep, running: list[Supervisor]
) -> None:
    """A deterministic init failure ends the boot wait as soon as the intensity is spent, not at the deadline."""
    supervisor = make_supervisor(
        [TenantSpec(ALPHA, flaky("alpha", 99, RuntimeError("no catalogue")))], fake_clock, sleep
    )
    running.append(supervisor)
    supervisor.start()
    report = await supervisor.wait_ready(deadline_s=30)
    assert [(m.tenant, m.state, m.error) for m in report.missing_required] == [
        ("alpha", "failed", "RuntimeError('no catalogue')")
    ]


@pytest.mark.parametrize(("old", "new"), [(old, new) for old in S for new in S])
def test_transition_table_is_enforced(old: TenantState, new: TenantState) -> None:
    """Every pair of states is either in ALLOWED or rejected with an error naming the tenant."""
    store = StatusStore(clock=lambda: 0.0)
    path = {
        S.STARTING: [S.STARTING],
        S.READY: [S.STARTING, S.READY],
        S.BACKING_OFF: [S.STARTING, S.BACKING_OFF],
        S.FAILED: [S.STARTING, S.FAILED],
        S.STOPPING: [S.STARTING, S.STOPPING],
        S.STOPPED: [S.STARTING, S.STOPPING, S.STOPPED],
    }[old]
    for state in path:
        store.transition(ALPHA, state)
    if new in ALLOWED[old]:
        assert store.transition(ALPHA, new).state is new
    else:
        with pytest.raises(InvalidTransition, match="alpha"):
            store.transition(ALPHA, new)


def test_new_tenant_must_start_in_starting() -> None:
    """The first state of any tenant is STARTING."""
    with pytest.raises(InvalidTransition, match=r"\(new\) -> ready"):
        StatusStore(clock=lambda: 0.0).transition(ALPHA, S.READY)


def test_history_is_bounded() -> None:
    """A tenant that flaps forever keeps only its recent history."""
    store = StatusStore(clock=lambda: 0.0)
    store.transition(ALPHA, S.STARTING)
    for _ in range(100):
        store.transition(ALPHA, S.BACKING_OFF)
        store.transition(ALPHA, S.STARTING)
    assert len(store.history("alpha")) == 32


@pytest.mark.parametrize(
    ("restarts", "rand", "expected"),
    [(1, 0.0, 0.1), (2, 0.0, 0.2), (3, 0.0, 0.4), (10, 0.0, 1.0), (1, 1.0, 0.08), (10, 0.5, 0.9)],
)
def test_delay_grows_exponentially_with_jitter_under_the_cap(restarts: int, rand: float, expected: float) -> None:
    """delay_for doubles per restart, caps at max_delay_s, and jitter only ever shortens the delay."""
    policy = RestartPolicy(initial_delay_s=0.1, factor=2.0, max_delay_s=1.0, jitter=0.2)
    assert delay_for(restarts, policy, lambda: rand) == pytest.approx(expected)


def test_restart_window_forgets_old_restarts() -> None:
    """Only restarts within period_s count towards the intensity."""
    window = RestartWindow(period_s=10.0)
    assert [window.record(t) for t in (0.0, 1.0, 2.0, 11.5, 30.0)] == [1, 2, 3, 2, 1]
