"""The process-wide services every tenant shares: clock, sessions, accounts, idempotency, tasks, webhooks.

They outlive tenant incarnations on purpose: a tenant restart must not lose a buyer's media buys,
and a plan synced on /governance must gate a buy on /sales.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from trainer.adcp.accounts import AccountStore
from trainer.adcp.idempotency import IdempotencyStore
from trainer.adcp.sessions import InMemorySessionStore
from trainer.adcp.tasks import TaskRegistry
from trainer.adcp.webhooks import WebhookEmitter
from trainer.clock import Clock, FrozenClock, SystemClock

if TYPE_CHECKING:
    from trainer.config import Config


@attrs.define
class Platform:
    """The shared services.

    Attributes:
        clock: the wall clock of every AdCP answer.
        sessions: per-brand session documents (reference section 3.1).
        accounts: accounts created by ``sync_accounts``.
        idempotency: the replay cache of mutating tools (reference section 3.6).
        tasks: submitted tasks that ``tasks_get`` reads.
        webhooks: notifies buyers' ``push_notification_config`` URLs (reference section 3.7); the
            app starts and closes it.
    """

    clock: Clock
    sessions: InMemorySessionStore
    accounts: AccountStore
    idempotency: IdempotencyStore
    tasks: TaskRegistry
    webhooks: WebhookEmitter

    @classmethod
    def create(cls, clock: Clock) -> Platform:
        webhooks = WebhookEmitter(clock)
        return cls(
            clock=clock,
            sessions=InMemorySessionStore(clock),
            accounts=AccountStore(clock),
            idempotency=IdempotencyStore(clock),
            tasks=TaskRegistry(clock, on_finish=webhooks.task_finished),
            webhooks=webhooks,
        )

    @classmethod
    def from_config(cls, config: Config) -> Platform:
        frozen = config.frozen_time
        return cls.create(FrozenClock(frozen) if frozen is not None else SystemClock())

    def reset(self) -> None:
        """Forget every session, account, cached reply and task (between conformance storyboards)."""
        self.sessions.clear()
        self.accounts.clear()
        self.idempotency.clear()
        self.tasks.clear()
