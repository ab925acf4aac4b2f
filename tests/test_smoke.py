"""The post-deploy smoke client against small MCP-speaking aiohttp servers on loopback."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Final

import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from trainer import smoke

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]
# How many requests the app has seen, so a test can tell a retry from a fail-fast.
CALLS: Final = web.AppKey("calls", dict[str, int])
TOOLS = [{"name": "get_adcp_capabilities"}, {"name": "get_products"}, {"name": "create_media_buy"}]


def mcp_app(*, failures: int = 0, failure_status: int = 503, sse: bool = False) -> web.Application:
    """Build an app whose ``/{tenant}/mcp`` answers ``failures`` times with ``failure_status``, then MCP."""
    calls = {"count": 0}

    async def handle(request: web.Request) -> web.Response:
        calls["count"] += 1
        if calls["count"] <= failures:
            body = {"error": {"code": "tenant_unavailable", "message": "not ready"}}
            return web.json_response(body, status=failure_status, headers={"Retry-After": "1"})
        message = await request.json()
        result: object
        if message["method"] == "initialize":
            result = {"protocolVersion": message["params"]["protocolVersion"], "capabilities": {}, "serverInfo": {}}
        elif message["method"] == "tools/list":
            result = {"tools": TOOLS if request.match_info["tenant"] != "empty" else []}
        else:
            error = {"code": -32601, "message": "Method not found"}
            return web.json_response({"jsonrpc": "2.0", "id": message["id"], "error": error})
        reply = {"jsonrpc": "2.0", "id": message["id"], "result": result}
        if sse:
            text = f"event: message\ndata: {orjson.dumps(reply).decode()}\n\n"
            return web.Response(text=text, content_type="text/event-stream")
        return web.json_response(reply)

    app = web.Application()
    app[CALLS] = calls
    app.router.add_post("/{tenant}/mcp", handle)
    return app


def jsonrpc_error_app() -> web.Application:
    """Build an app that answers every MCP request with a JSON-RPC error."""

    async def handle(request: web.Request) -> web.Response:
        message = await request.json()
        error = {"code": -32600, "message": "Invalid request"}
        return web.json_response({"jsonrpc": "2.0", "id": message["id"], "error": error})

    app = web.Application()
    app.router.add_post("/{tenant}/mcp", handle)
    return app


def base_url(server: TestServer) -> str:
    return str(server.make_url("")).rstrip("/")


def closed_port() -> int:
    """Return a loopback port that nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_healthy_server_passes_every_tenant_with_its_tool_count(aiohttp_server: ServerFactory) -> None:
    """Every tenant of a healthy server passes on the first attempt and reports how many tools it lists."""
    server = await aiohttp_server(mcp_app())
    outcomes = await smoke.run(base_url(server), ["sales", "signals"], budget_s=5)
    assert [(o.tenant, o.ok, o.tools, o.attempts, o.detail) for o in outcomes] == [
        ("sales", True, 3, 1, "ok"),
        ("signals", True, 3, 1, "ok"),
    ]


async def test_main_prints_one_line_per_tenant_and_exits_zero_when_all_pass(
    aiohttp_server: ServerFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    """``main`` prints a line per tenant plus a total, and returns 0 when every tenant passed."""
    server = await aiohttp_server(mcp_app())
    code = await asyncio.to_thread(smoke.main, base_url(server), ["sales", "brand"], 5)
    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert [line.split()[:3] for line in lines[:2]] == [["sales", "ok", "tools=3"], ["brand", "ok", "tools=3"]]
    assert lines[2] == "smoke: 2/2 tenants passed"


async def test_tenant_answering_503_is_retried_until_it_serves(aiohttp_server: ServerFactory) -> None:
    """A tenant that answers 503 three times, then serves, passes on its fourth attempt."""
    app = mcp_app(failures=3)
    server = await aiohttp_server(app)
    [outcome] = await smoke.run(base_url(server), ["sales"], budget_s=5, first_delay_s=0.01)
    assert (outcome.ok, outcome.tools, outcome.attempts) == (True, 3, 4)
    assert app[CALLS]["count"] == 3 + 2  # three 503s, then initialize and tools/list


async def test_tenant_answering_500_fails_at_once(
    aiohttp_server: ServerFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 500 fails the tenant on the first attempt, names the status, and makes ``main`` return 1."""
    app = mcp_app(failures=100, failure_status=500)
    server = await aiohttp_server(app)
    started = time.monotonic()
    code = await asyncio.to_thread(smoke.main, base_url(server), ["sales"], 30)
    out = capsys.readouterr().out
    assert code == 1
    assert time.monotonic() - started < 5
    assert app[CALLS]["count"] == 1
    assert "FAIL" in out
    assert "initialize: HTTP 500" in out
    assert out.splitlines()[-1] == "smoke: 0/1 tenants passed"


async def test_unknown_tenant_404_fails_without_retry(aiohttp_server: ServerFactory) -> None:
    """A 404 (unknown tenant) is a wrong answer, not a warm-up, so it is not retried."""
    server = await aiohttp_server(mcp_app(failures=100, failure_status=404))
    [outcome] = await smoke.run(base_url(server), ["nope"], budget_s=5, first_delay_s=0.01)
    assert (outcome.ok, outcome.attempts) == (False, 1)
    assert outcome.detail.startswith("initialize: HTTP 404")


async def test_tenant_stuck_at_503_fails_when_the_budget_runs_out(aiohttp_server: ServerFactory) -> None:
    """A tenant that never leaves 503 fails once the budget is spent, not before and not much after."""
    server = await aiohttp_server(mcp_app(failures=10_000))
    started = time.monotonic()
    [outcome] = await smoke.run(base_url(server), ["sales"], budget_s=0.5, first_delay_s=0.05)
    elapsed = time.monotonic() - started
    assert not outcome.ok
    assert outcome.attempts > 2
    assert outcome.detail == "budget exhausted, last: initialize: HTTP 503"
    assert 0.5 <= elapsed < 2


async def test_connection_refused_is_retried_until_the_budget_runs_out() -> None:
    """With nothing listening, the connection error is retried and the tenant fails when the budget ends."""
    url = f"http://127.0.0.1:{closed_port()}"
    [outcome] = await smoke.run(url, ["sales"], budget_s=0.3, first_delay_s=0.02)
    assert not outcome.ok
    assert outcome.attempts > 1
    assert outcome.detail.startswith("budget exhausted, last: initialize: ClientConnectorError")


async def test_jsonrpc_error_fails_the_tenant(aiohttp_server: ServerFactory) -> None:
    """An HTTP 200 carrying a JSON-RPC error is a failure that quotes the error."""
    server = await aiohttp_server(jsonrpc_error_app())
    [outcome] = await smoke.run(base_url(server), ["sales"], budget_s=5)
    assert not outcome.ok
    assert outcome.detail == "initialize: JSON-RPC error -32600: Invalid request"


async def test_tenant_listing_no_tools_fails(aiohttp_server: ServerFactory) -> None:
    """A tenant whose ``tools/list`` is empty fails: every trainer tenant has at least its shared tools."""
    server = await aiohttp_server(mcp_app())
    [outcome] = await smoke.run(base_url(server), ["empty"], budget_s=5)
    assert (outcome.ok, outcome.detail) == (False, "tools/list: the tenant lists no tools")


async def test_sse_framed_replies_are_understood(aiohttp_server: ServerFactory) -> None:
    """A server that frames its replies as an SSE stream passes like one that answers plain JSON."""
    server = await aiohttp_server(mcp_app(sse=True))
    [outcome] = await smoke.run(base_url(server), ["sales"], budget_s=5)
    assert (outcome.ok, outcome.tools) == (True, 3)


def test_main_with_no_tenants_fails() -> None:
    """A smoke that checked no tenant proves nothing, so it exits 1."""
    assert smoke.main("http://127.0.0.1:1", [], 1) == 1
