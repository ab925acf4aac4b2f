"""Restart arithmetic: the delay before restart N and the intensity window. Pure; never sleeps."""

from __future__ import annotations

import collections
from collections.abc import Callable

import attrs

from trainer.config import RestartPolicy

Rand = Callable[[], float]  # uniform in [0, 1), like random.random


def delay_for(restarts: int, policy: RestartPolicy, rand: Rand) -> float:
    """Return the delay before restart number ``restarts`` (1-based): exponential, capped, with jitter.

    The jitter scales the capped delay down by up to ``policy.jitter`` so that tenants crashing
    together do not come back in lockstep, and never pushes it above ``max_delay_s``.
    """
    base = min(policy.initial_delay_s * policy.factor ** max(restarts - 1, 0), policy.max_delay_s)
    return base * (1.0 - policy.jitter * rand())


@attrs.define
class RestartWindow:
    """Counts one tenant's restarts within the sliding ``period_s`` window (OTP's intensity)."""

    period_s: float
    _times: collections.deque[float] = attrs.field(factory=collections.deque)

    def record(self, now: float) -> int:
        """Record a restart at ``now`` and return how many fall within the window, this one included."""
        self._times.append(now)
        while self._times and self._times[0] <= now - self.period_s:
            self._times.popleft()
        return len(self._times)
