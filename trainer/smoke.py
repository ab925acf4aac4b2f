"""Post-deploy smoke check: every tenant answers ``initialize`` and ``tools/list`` over MCP.

``python -m trainer smoke URL`` runs it after a deploy. A tenant that answers 503 (still warming
up, or restarting under the supervisor) or whose connection fails is retried with exponential
backoff until the budget runs out; any other HTTP error fails that tenant at once, because a
wrong answer does not get better by waiting.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import Any, Final

import aiohttp
import attrs
import orjson

# The Accept pair the MCP streamable HTTP transport requires of clients; trainer answers JSON.
HEADERS: Final[Mapping[str, str]] = {
    "Content-Type": "application/json",
    "Accept": "application/json, text/event-stream",
}
PROTOCOL_VERSION: Final = "2025-06-18"
FIRST_DELAY_S: Final = 0.25
MAX_DELAY_S: Final = 4.0
# One request never waits longer than this, so a hung tenant still leaves budget for a retry line.
REQUEST_TIMEOUT_S: Final = 10.0


class _Retryable(Exception):
    """The tenant is not serving yet (503 or a connection error); try again after a delay."""


class _Failed(Exception):
    """The tenant answered, and the answer is wrong; retrying will not help."""


@attrs.frozen
class TenantOutcome:
    """The result of smoking one tenant.

    Attributes:
        tenant: the tenant id (the URL segment).
        ok: whether ``initialize`` and ``tools/list`` both succeeded.
        tools: how many tools ``tools/list`` returned, ``None`` when it did not succeed.
        elapsed_ms: wall time from the first attempt to the verdict, retries included.
        attempts: how many times the exchange was started.
        detail: ``ok`` or why the tenant failed.
    """

    tenant: str
    ok: bool
    tools: int | None
    elapsed_ms: float
    attempts: int
    detail: str

    def line(self) -> str:
        """Format the one line printed for this tenant."""
        status = "ok" if self.ok else "FAIL"
        tools = "-" if self.tools is None else str(self.tools)
        return (
            f"{self.tenant:<18} {status:<4} tools={tools:<3} {self.elapsed_ms:7.0f} ms"
            f"  attempts={self.attempts}  {self.detail}"
        )


def _decode(body: bytes, content_type: str) -> Any:
    """Decode a JSON-RPC reply sent as JSON or as an SSE stream (the last ``data:`` event wins).

    Raises:
        _Failed: when the body is not JSON.
    """
    try:
        if content_type.startswith("text/event-stream"):
            events = [line[5:].strip() for line in body.decode().splitlines() if line.startswith("data:")]
            if not events:
                raise _Failed("SSE reply carried no data event")
            return orjson.loads(events[-1])
        return orjson.loads(body)
    except (orjson.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _Failed(f"reply is not JSON: {body[:200]!r}") from exc


async def _rpc(
    http: aiohttp.ClientSession,
    endpoint: str,
    headers: Mapping[str, str],
    timeout_s: float,
    rpc_id: int,
    method: str,
    params: Any,
) -> tuple[Mapping[str, Any], Mapping[str, str]]:
    """POST one JSON-RPC request and return its ``result`` and the response headers.

    Raises:
        _Retryable: on HTTP 503 or a connection error or timeout.
        _Failed: on any other HTTP error, a non-JSON body or a JSON-RPC error.
    """
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": rpc_id, "method": method}
    if params is not None:
        message["params"] = params
    try:
        async with http.post(
            endpoint,
            data=orjson.dumps(message),
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=timeout_s),
        ) as resp:
            body = await resp.read()
            if resp.status == 503:
                raise _Retryable(f"{method}: HTTP 503")
            if resp.status >= 400:
                raise _Failed(f"{method}: HTTP {resp.status}: {body[:200].decode(errors='replace')}")
            reply = _decode(body, resp.headers.get("Content-Type", ""))
            reply_headers = dict(resp.headers)
    except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, TimeoutError) as exc:
        raise _Retryable(f"{method}: {type(exc).__name__}: {exc}") from exc
    if not isinstance(reply, dict):
        raise _Failed(f"{method}: reply is not a JSON-RPC object")
    if "error" in reply:
        error = reply["error"] if isinstance(reply["error"], dict) else {}
        raise _Failed(f"{method}: JSON-RPC error {error.get('code')}: {error.get('message')}")
    result = reply.get("result")
    if not isinstance(result, dict):
        raise _Failed(f"{method}: reply has no result object")
    return result, reply_headers


async def _exchange(http: aiohttp.ClientSession, endpoint: str, token: str | None, timeout_s: float) -> int:
    """Run ``initialize`` then ``tools/list`` once and return the number of tools.

    Raises:
        _Retryable: when the tenant is not serving yet.
        _Failed: when it answers wrongly, or lists no tools at all.
    """
    headers = dict(HEADERS)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    init_params = {
        "protocolVersion": PROTOCOL_VERSION,
        "capabilities": {},
        "clientInfo": {"name": "trainer-smoke", "version": "1"},
    }
    init, init_headers = await _rpc(http, endpoint, headers, timeout_s, 1, "initialize", init_params)
    # A stateful server hands out a session id; a stateless one does not, and both must pass.
    session_id = init_headers.get("Mcp-Session-Id")
    if session_id:
        headers["Mcp-Session-Id"] = session_id
    headers["MCP-Protocol-Version"] = str(init.get("protocolVersion", PROTOCOL_VERSION))
    listed, _ = await _rpc(http, endpoint, headers, timeout_s, 2, "tools/list", {})
    tools = listed.get("tools")
    if not isinstance(tools, list):
        raise _Failed("tools/list: result has no tools list")
    if not tools:
        raise _Failed("tools/list: the tenant lists no tools")
    return len(tools)


async def smoke_tenant(
    http: aiohttp.ClientSession,
    url: str,
    tenant: str,
    deadline: float,
    *,
    token: str | None = None,
    first_delay_s: float = FIRST_DELAY_S,
) -> TenantOutcome:
    """Smoke one tenant, retrying 503s and connection errors with backoff until ``deadline``.

    ``deadline`` is a ``time.monotonic()`` instant. Never raises: every problem becomes a failed
    outcome naming it.
    """
    endpoint = f"{url.rstrip('/')}/{tenant}/mcp"
    started = time.monotonic()
    attempts = 0
    while True:
        attempts += 1
        # The last attempt gets whatever budget is left, but never less than a second to answer.
        timeout_s = min(REQUEST_TIMEOUT_S, max(deadline - time.monotonic(), 1.0))
        try:
            tools = await _exchange(http, endpoint, token, timeout_s)
        except _Retryable as exc:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                detail = f"budget exhausted, last: {exc}"
                return TenantOutcome(tenant, False, None, _ms_since(started), attempts, detail)
            await asyncio.sleep(min(first_delay_s * 2 ** (attempts - 1), MAX_DELAY_S, remaining))
        except _Failed as exc:
            return TenantOutcome(tenant, False, None, _ms_since(started), attempts, str(exc))
        else:
            return TenantOutcome(tenant, True, tools, _ms_since(started), attempts, "ok")


def _ms_since(started: float) -> float:
    return (time.monotonic() - started) * 1000


async def run(
    url: str,
    tenants: Sequence[str],
    budget_s: float,
    *,
    token: str | None = None,
    first_delay_s: float = FIRST_DELAY_S,
) -> list[TenantOutcome]:
    """Smoke every tenant concurrently within one shared budget and return the outcomes in order."""
    deadline = time.monotonic() + budget_s
    async with aiohttp.ClientSession() as http:
        checks = (smoke_tenant(http, url, t, deadline, token=token, first_delay_s=first_delay_s) for t in tenants)
        return list(await asyncio.gather(*checks))


def main(url: str, tenants: Sequence[str], budget_s: float, *, token: str | None = None) -> int:
    """Smoke ``tenants`` at ``url``, print one line per tenant, and return the process exit code.

    Returns 0 when every tenant passed, 1 otherwise (also when ``tenants`` is empty, since a smoke
    that checked nothing proves nothing).
    """
    outcomes = asyncio.run(run(url, tenants, budget_s, token=token))
    for outcome in outcomes:
        print(outcome.line(), flush=True)
    passed = sum(o.ok for o in outcomes)
    print(f"smoke: {passed}/{len(outcomes)} tenants passed", flush=True)
    return 0 if outcomes and passed == len(outcomes) else 1
