"""A periodic background job whose failures are logged, never fatal: a sweep must not take the process down."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog

log = structlog.get_logger("trainer.periodic")


def run_periodic(name: str, interval_s: float, job: Callable[[], None]) -> asyncio.Task[None]:
    """Start ``job`` every ``interval_s`` seconds in a task; cancel the task to stop it."""

    async def loop() -> None:
        while True:
            await asyncio.sleep(interval_s)
            try:
                job()
            except Exception:
                log.exception("periodic.failed", job=name)

    return asyncio.create_task(loop(), name=name)
