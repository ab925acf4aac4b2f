"""BackgroundJobs: fire-and-forget work that is bounded, tracked and cancelled on close."""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

from trainer.supervision.background import BackgroundJobs


async def test_jobs_beyond_the_limit_are_refused() -> None:
    """With ``limit`` jobs running, spawn refuses the next one without starting it."""
    jobs = BackgroundJobs("test", limit=1)
    release = asyncio.Event()
    ran: list[str] = []

    async def job(name: str) -> None:
        ran.append(name)
        await release.wait()

    assert jobs.spawn(job("first")) is True
    assert jobs.spawn(job("second")) is False
    release.set()
    await jobs.wait_idle()
    assert ran == ["first"]
    assert len(jobs) == 0


async def test_close_cancels_running_jobs_and_refuses_new_ones() -> None:
    """close() cancels what runs, waits for it, reports how many, and spawn refuses afterwards."""
    jobs = BackgroundJobs("test", limit=5)
    started = asyncio.Event()
    cancelled: list[bool] = []

    async def forever() -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    jobs.spawn(forever())
    await started.wait()
    async with asyncio.timeout(1):
        assert await jobs.close(timeout_s=1.0) == 1
    assert cancelled == [True]

    async def later() -> None:
        return None

    assert jobs.spawn(later()) is False


async def test_a_job_that_raises_is_logged(logs: list[MutableMapping[str, Any]]) -> None:
    """An exception escaping a job is logged with its owner instead of vanishing."""
    jobs = BackgroundJobs("webhooks", limit=5)

    async def boom() -> None:
        raise RuntimeError("boom")

    jobs.spawn(boom())
    await jobs.wait_idle()
    await asyncio.sleep(0)  # let the done callback run
    assert [(e["event"], e["owner"], e["error"]) for e in logs if e["event"] == "background.crashed"] == [
        ("background.crashed", "webhooks", "RuntimeError('boom')")
    ]
