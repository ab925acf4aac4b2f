"""TenantSpec: what the supervisor needs to run one tenant, in OTP's vocabulary."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable

import attrs

from trainer.tenant import Tenant, TenantId


class Restart(enum.Enum):
    """OTP restart types."""

    PERMANENT = "permanent"  # always restarted
    TRANSIENT = "transient"  # restarted only after a crash (every exit of a tenant is a crash here)
    TEMPORARY = "temporary"  # never restarted


@attrs.frozen
class TenantSpec:
    """A supervised tenant.

    Attributes:
        id: the URL segment, the ``tenant`` log field and the config key.
        build: builds one incarnation; may raise, and the supervisor decides what happens next.
        required: a required tenant must be READY before the port opens.
        restart: OTP meaning; TEMPORARY is never restarted.
        shutdown_timeout_s: how long ``stop()`` waits for the incarnation to unwind.
    """

    id: TenantId
    build: Callable[[], Awaitable[Tenant]]
    required: bool = True
    restart: Restart = Restart.PERMANENT
    shutdown_timeout_s: float = 5.0
