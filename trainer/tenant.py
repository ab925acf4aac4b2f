"""What a tenant is to the rest of trainer: its tools, its capabilities and its housekeeping.

A tenant factory (``module:callable`` in ``conf/trainer.toml``) is an async callable that takes a
``TenantContext`` and returns a ``Tenant``. Factories must not touch aiohttp or mcp: the transport
turns ``ToolSpec``s into MCP tools, and the AdCP pipeline (``trainer.adcp.pipeline``) wraps every
handler with the envelope, the version check, idempotency and the context echo.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NewType, Protocol

import attrs

if TYPE_CHECKING:
    from trainer.adcp.sessions import Session, SessionStore
    from trainer.clock import Clock
    from trainer.config import Config
    from trainer.platform import Platform

TenantId = NewType("TenantId", str)
JsonObject = dict[str, Any]


@attrs.frozen
class ToolResult:
    """A handler's answer when it needs more than a payload.

    Attributes:
        payload: the AdCP response object; it becomes ``structuredContent``.
        summary: the human text block; ``None`` means "<tool> completed".
        is_error: mark the MCP result ``isError`` without the ``adcp_error`` envelope
            (``comply_test_controller`` answers ``{success: false, ...}`` this way).
    """

    payload: JsonObject
    summary: str | None = None
    is_error: bool = False


Reply = JsonObject | ToolResult


@attrs.frozen
class ToolCall:
    """One tools/call as a handler sees it.

    Attributes:
        tool: the tool name.
        args: the request arguments as sent (``context`` included; handlers ignore it).
        tenant: the tenant serving the call.
        principal: who called (``anonymous`` in open auth mode, ``static:public``, ``static:demo:<token>``).
        request_id: the HTTP request id, for logs and error envelopes.
        platform: the process-wide services: clock, sessions, idempotency, tasks.
    """

    tool: str
    args: Mapping[str, Any]
    tenant: TenantId
    principal: str
    request_id: str
    platform: Platform

    @property
    def clock(self) -> Clock:
        return self.platform.clock

    @property
    def sessions(self) -> SessionStore:
        return self.platform.sessions

    def session(self) -> Session:
        """Return the session these arguments key to (reference section 3.1), creating it if new."""
        return self.platform.sessions.for_args(self.args)


Handler = Callable[[ToolCall], Awaitable[Reply]]


@attrs.frozen
class ToolSpec:
    """A tool as declared by a tenant.

    Attributes:
        name: the MCP tool name.
        description: one or two sentences for ``tools/list``.
        input_schema: JSON Schema of the arguments; the transport advertises it as is.
        handler: the async function that does the work; it raises ``AdcpError`` for domain errors.
        mutating: whether the call requires an ``idempotency_key`` and is replayed from the cache.
        summary: builds the text block from a successful payload; ``None`` gives "<tool> completed".
        read_only: advertised as the ``readOnlyHint`` annotation.
    """

    name: str
    description: str
    input_schema: Mapping[str, Any]
    handler: Handler
    mutating: bool = False
    summary: Callable[[JsonObject], str] | None = None
    read_only: bool = False


class Housekeeping(Protocol):
    def __call__(self) -> Awaitable[None]: ...


@attrs.define
class Tenant:
    """A built tenant: what one incarnation serves.

    Attributes:
        id: the URL segment.
        tools: the tools in ``tools/list`` order.
        capabilities: extra top-level blocks for ``get_adcp_capabilities`` (``media_buy``, ``brand``, ...).
        housekeeping: background coroutines run while the incarnation lives (expiry sweeps).
    """

    id: TenantId
    tools: Sequence[ToolSpec]
    capabilities: Mapping[str, Any] = attrs.field(factory=dict)
    housekeeping: Sequence[Callable[[], Awaitable[None]]] = ()
    _crashed: asyncio.Future[None] | None = attrs.field(default=None, init=False)
    _by_name: dict[str, ToolSpec] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self._by_name = {tool.name: tool for tool in self.tools}

    def tool(self, name: str) -> ToolSpec | None:
        return self._by_name.get(name)

    @property
    def tool_names(self) -> list[str]:
        return [tool.name for tool in self.tools]

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run the housekeeping tasks for as long as the block lasts; a task that raises crashes the tenant."""
        loop = asyncio.get_running_loop()
        self._crashed = loop.create_future()
        tasks = [asyncio.ensure_future(job()) for job in self.housekeeping]
        for task in tasks:
            task.add_done_callback(self._on_housekeeping_done)
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    def _on_housekeeping_done(self, task: asyncio.Future[None]) -> None:
        if task.cancelled() or self._crashed is None or self._crashed.done():
            return
        exc = task.exception()
        self._crashed.set_exception(exc or RuntimeError("housekeeping task returned"))

    def crash(self, error: BaseException) -> None:
        """Make ``wait_crashed`` raise ``error``: the supervisor then restarts this tenant."""
        if self._crashed is not None and not self._crashed.done():
            self._crashed.set_exception(error)

    async def wait_crashed(self) -> None:
        """Wait until the tenant crashes, then raise why; cancellation is the normal way out."""
        if self._crashed is None:
            raise RuntimeError(f"tenant {self.id!r} is not running")
        await asyncio.shield(self._crashed)


@attrs.frozen
class TenantContext:
    """What a factory gets to build its tenant from.

    Attributes:
        id: the tenant id from config.
        config: the whole trainer config.
        platform: the process-wide services shared by every tenant (sessions are shared on purpose:
            a plan synced on /governance gates a buy on /sales).
        options: the tenant's own table from config (``[tenants.<id>.options]``).
    """

    id: TenantId
    config: Config
    platform: Platform
    options: Mapping[str, Any] = attrs.field(factory=dict)


TenantFactory = Callable[[TenantContext], Awaitable[Tenant]]
