"""Fire-and-forget jobs that still have an owner: bounded in number, tracked, cancelled on close.

A tool reply must not wait for work it merely triggers (a webhook delivery may retry for a
minute), yet a bare ``asyncio.create_task`` leaks: nobody cancels it at shutdown, nobody bounds
how many pile up, and an exception in it vanishes. ``BackgroundJobs`` answers all three.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import attrs
import structlog

log = structlog.get_logger("trainer.background")


@attrs.define
class BackgroundJobs:
    """A bounded set of running jobs owned by one service.

    Attributes:
        name: the owner, for logs and task names.
        limit: at most this many jobs run at once; ``spawn`` refuses more.
    """

    name: str
    limit: int
    _tasks: set[asyncio.Task[None]] = attrs.field(factory=set, init=False)
    _closed: bool = attrs.field(default=False, init=False)

    def spawn(self, job: Coroutine[Any, Any, None]) -> bool:
        """Start ``job`` now and return True, or close it unstarted and return False when full or closed."""
        if self._closed or len(self._tasks) >= self.limit:
            job.close()  # never started: closing it avoids the "coroutine was never awaited" warning
            return False
        task = asyncio.create_task(job, name=f"{self.name}.job")
        self._tasks.add(task)
        task.add_done_callback(self._on_done)
        return True

    def _on_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            # A job is expected to handle its own failures; reaching here is a bug worth a loud line.
            log.error("background.crashed", owner=self.name, error=repr(error), exc_info=error)

    async def wait_idle(self) -> None:
        """Wait until every job running now has finished (jobs spawned meanwhile included)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def close(self, timeout_s: float) -> int:
        """Refuse new jobs, cancel the running ones and wait for them at most ``timeout_s``; return how many."""
        self._closed = True
        running = set(self._tasks)
        for task in running:
            task.cancel()
        if running:
            await asyncio.wait(running, timeout=timeout_s)
        return len(running)

    def __len__(self) -> int:
        return len(self._tasks)
