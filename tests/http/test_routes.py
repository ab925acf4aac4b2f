"""HTTP behaviour of the tenant routes, health endpoints and error bodies, through pytest-aiohttp."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import attrs
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from tests.fakes import CrashSwitch, flaky
from trainer.app import SUPERVISOR, create_app
from trainer.config import AuthConfig, Config, RestartPolicy
from trainer.platform import Platform
from trainer.supervision.spec import TenantSpec
from trainer.supervision.state import TenantState
from trainer.supervision.supervisor import Supervisor
from trainer.tenant import TenantId

AppClient = TestClient[Any, Any]
MakeClient = Callable[[web.Application], Awaitable[AppClient]]
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}
LIST = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
ACCEPT = {"Accept": "application/json, text/event-stream"}


def call(name: str, arguments: dict[str, Any] | None = None, request_id: int = 3) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "tools/call",
        "params": {"name": name, "arguments": arguments or {}},
    }


@attrs.define
class Rig:
    client: AppClient
    supervisor: Supervisor
    alpha: CrashSwitch

    async def wait(self, tenant: str, state: TenantState) -> None:
        async with asyncio.timeout(2):
            await self.supervisor.wait_state(TenantId(tenant), state)


@pytest.fixture
async def rig(aiohttp_client: MakeClient, fake_config: Config, platform: Platform) -> Rig:
    """alpha (required, crashable) is READY; beta (optional) fails to build and sits in a 5 s backoff."""
    alpha = CrashSwitch("alpha")
    specs = [
        TenantSpec(TenantId("alpha"), alpha),
        TenantSpec(TenantId("beta"), flaky("beta", 99, RuntimeError("beta init broke")), required=False),
    ]
    policy = RestartPolicy(initial_delay_s=5.0, factor=1.0, max_delay_s=5.0, jitter=0.0, intensity=100)
    app = create_app(fake_config, platform=platform, specs=specs, supervisor_factory=lambda s: Supervisor(s, policy))
    client = await aiohttp_client(app)
    rig = Rig(client, app[SUPERVISOR], alpha)
    await rig.wait("beta", TenantState.BACKING_OFF)
    return rig


async def test_required_tenant_is_ready_before_the_first_request(rig: Rig) -> None:
    """The startup hook returned only once alpha was READY, so its first request is served."""
    response = await rig.client.post("/alpha/mcp", json=INIT, headers=ACCEPT)
    assert response.status == 200
    body = await response.json()
    assert body["result"]["serverInfo"]["name"] == "adcp-training-agent"
    assert body["result"]["capabilities"]["tools"] is not None


async def test_failing_optional_tenant_answers_503_while_others_answer_200(rig: Rig) -> None:
    """beta's route answers 503 + Retry-After + JSON-RPC body naming its state; alpha is untouched."""
    response = await rig.client.post("/beta/mcp", json=LIST, headers=ACCEPT)
    assert response.status == 503
    assert 1 <= int(response.headers["Retry-After"]) <= 5
    body = await response.json()
    assert body["jsonrpc"] == "2.0"
    assert body["id"] is None
    assert body["error"]["code"] == -32000
    assert "tenant 'beta' is backing_off; retrying in" in body["error"]["message"]
    assert body["error"]["data"]["tenant"] == "beta"
    assert body["error"]["data"]["state"] == "backing_off"
    assert "beta init broke" in body["error"]["data"]["last_error"]
    ok = await rig.client.post("/alpha/mcp", json=LIST, headers=ACCEPT)
    assert ok.status == 200


async def test_crashed_tenant_restarts_and_its_route_recovers(rig: Rig) -> None:
    """After a crash, alpha comes back on a new incarnation and serves again; beta's answers do not change."""
    before = await rig.client.post("/beta/mcp", json=LIST, headers=ACCEPT)
    rig.supervisor.policy = RestartPolicy(initial_delay_s=0.01, jitter=0.0)
    rig.alpha.crash()
    await rig.wait("alpha", TenantState.BACKING_OFF)
    await rig.wait("alpha", TenantState.READY)
    response = await rig.client.post("/alpha/mcp", json=call("echo", {"text": "back"}), headers=ACCEPT)
    assert response.status == 200
    assert (await response.json())["result"]["structuredContent"]["echo"] == "back"
    assert len(rig.alpha.incarnations) == 2
    after = await rig.client.post("/beta/mcp", json=LIST, headers=ACCEPT)
    assert before.status == after.status == 503


async def test_route_answers_503_between_crash_and_restart(rig: Rig) -> None:
    """While alpha backs off, its route answers 503 with Retry-After rather than a stale incarnation."""
    rig.alpha.crash(RuntimeError("lost its catalogue"))
    await rig.wait("alpha", TenantState.BACKING_OFF)
    response = await rig.client.post("/alpha/mcp", json=LIST, headers=ACCEPT)
    assert response.status == 503
    assert response.headers["Retry-After"] == "5"
    assert (await response.json())["error"]["data"]["state"] == "backing_off"


async def test_unknown_tenant_is_404_with_json_rpc_body(rig: Rig) -> None:
    """An unknown tenant names itself and the served tenants."""
    response = await rig.client.post("/gamma/mcp", json=LIST, headers=ACCEPT)
    assert response.status == 404
    body = await response.json()
    assert body["error"]["code"] == -32000
    assert body["error"]["data"] == {"tenant": "gamma"}
    assert "alpha, beta" in body["error"]["message"]


async def test_unrouted_path_is_json_not_html(rig: Rig) -> None:
    """aiohttp's own 404 page is re-rendered as JSON."""
    response = await rig.client.get("/nowhere")
    assert response.status == 404
    assert response.content_type == "application/json"
    assert (await response.json())["error"]["message"] == "Not Found"


async def test_health_ready_and_status(rig: Rig) -> None:
    """healthz is 200; readyz is 200 (only required tenants count); status lists each tenant's state and tools."""
    health = await rig.client.get("/healthz")
    assert health.status == 200
    assert await health.json() == {"status": "ok"}
    ready = await rig.client.get("/readyz")
    assert ready.status == 200
    assert (await ready.json())["tenants"] == {"alpha": "ready", "beta": "backing_off"}
    status = await (await rig.client.get("/status")).json()
    assert status["version"]
    assert status["uptime_s"] >= 0
    assert status["tenants"]["alpha"]["tools"] == ["echo", "boom", "nap"]
    assert status["tenants"]["beta"]["restarts"] >= 1
    assert "beta init broke" in status["tenants"]["beta"]["last_error"]


async def test_readyz_is_503_while_a_required_tenant_is_down(rig: Rig) -> None:
    """A required tenant backing off turns readiness off."""
    rig.alpha.crash()
    await rig.wait("alpha", TenantState.BACKING_OFF)
    ready = await rig.client.get("/readyz")
    assert ready.status == 503
    assert (await ready.json())["not_ready"] == ["alpha"]


@pytest.mark.parametrize(
    ("data", "headers", "status", "code"),
    [
        (b"{not json", {"Content-Type": "application/json"}, 400, -32700),
        (b"[]", {"Content-Type": "application/json"}, 400, -32600),
        (b'"just a string"', {"Content-Type": "application/json"}, 400, -32600),
        (b'{"jsonrpc":"2.0","id":1}', {"Content-Type": "application/json"}, 400, -32600),
        (b'{"jsonrpc":"1.0","id":1,"method":"ping"}', {"Content-Type": "application/json"}, 400, -32600),
        (b'{"jsonrpc":"2.0","id":1,"method":"ping"}', {"Content-Type": "text/plain"}, 415, -32600),
        (
            b'{"jsonrpc":"2.0","id":1,"method":"ping"}',
            {"Content-Type": "application/json", "Accept": "text/html"},
            406,
            -32600,
        ),
        (
            b'{"jsonrpc":"2.0","id":1,"method":"ping"}',
            {"Content-Type": "application/json", "MCP-Protocol-Version": "2099-01-01"},
            400,
            -32600,
        ),
    ],
)
async def test_bad_input_gets_status_and_json_rpc_body(
    rig: Rig, data: bytes, headers: dict[str, str], status: int, code: int
) -> None:
    """Each malformed request gets its HTTP status and a JSON-RPC error body, and never reaches a tool."""
    response = await rig.client.post("/alpha/mcp", data=data, headers=headers)
    assert response.status == status
    body = await response.json()
    assert body["jsonrpc"] == "2.0"
    assert body["error"]["code"] == code
    assert body["error"]["message"]


async def test_body_over_the_limit_is_413(rig: Rig) -> None:
    """A body past max_body_bytes is refused with 413 and a JSON body naming the limit."""
    response = await rig.client.post(
        "/alpha/mcp", data=b" " * (1024 * 1024 + 1), headers={"Content-Type": "application/json"}
    )
    assert response.status == 413
    assert (await response.json())["error"]["data"] == {"limit_bytes": 1024 * 1024}


async def test_unknown_method_and_bad_params_are_json_rpc_errors(rig: Rig) -> None:
    """Unknown methods get -32601; tools/call without a name gets -32602 naming params.name."""
    unknown = await (await rig.client.post("/alpha/mcp", json={"jsonrpc": "2.0", "id": 9, "method": "nope"})).json()
    assert unknown["error"]["code"] == -32601
    assert unknown["id"] == 9
    bad = {"jsonrpc": "2.0", "id": 10, "method": "tools/call", "params": {"arguments": {}}}
    body = await (await rig.client.post("/alpha/mcp", json=bad)).json()
    assert body["error"]["code"] == -32602
    assert "params.name" in body["error"]["message"]


async def test_unknown_tool_is_a_protocol_error(rig: Rig) -> None:
    """Calling a tool the tenant does not serve is -32602 naming the tool."""
    body = await (await rig.client.post("/alpha/mcp", json=call("missing"))).json()
    assert body["error"]["code"] == -32602
    assert body["error"]["data"] == {"tool": "missing"}


async def test_tool_exception_becomes_service_unavailable_with_request_id(rig: Rig) -> None:
    """An unexpected exception in a tool is an AdCP SERVICE_UNAVAILABLE result carrying the request id."""
    response = await rig.client.post("/alpha/mcp", json=call("boom", {"context": {"correlation_id": "c-9"}}))
    assert response.status == 200
    result = (await response.json())["result"]
    assert result["isError"] is True
    error = result["structuredContent"]["adcp_error"]
    assert error["code"] == "SERVICE_UNAVAILABLE"
    assert error["recovery"] == "transient"
    assert error["details"]["request_id"] == response.headers["X-Request-Id"]
    assert result["structuredContent"]["context"] == {"correlation_id": "c-9"}


async def test_stateless_calls_need_no_initialize(rig: Rig) -> None:
    """tools/list and tools/call are served without a prior initialize, and no session header is set."""
    response = await rig.client.post("/alpha/mcp", json=call("echo", {"text": "hi"}), headers=ACCEPT)
    assert response.status == 200
    assert "Mcp-Session-Id" not in response.headers
    result = (await response.json())["result"]
    assert result["structuredContent"]["echo"] == "hi"
    assert result["content"] == [{"type": "text", "text": "echo completed"}]


async def test_notification_is_accepted_with_202(rig: Rig) -> None:
    """A JSON-RPC notification gets 202 and no body."""
    response = await rig.client.post("/alpha/mcp", json={"jsonrpc": "2.0", "method": "notifications/initialized"})
    assert response.status == 202
    assert await response.read() == b""


async def test_ping_works(rig: Rig) -> None:
    """ping answers an empty result."""
    body = await (await rig.client.post("/alpha/mcp", json={"jsonrpc": "2.0", "id": 4, "method": "ping"})).json()
    assert body == {"jsonrpc": "2.0", "id": 4, "result": {}}


async def test_sse_only_client_gets_an_event_stream(rig: Rig) -> None:
    """A client that accepts only text/event-stream gets the reply as one SSE message event."""
    response = await rig.client.post("/alpha/mcp", json=LIST, headers={"Accept": "text/event-stream"})
    assert response.status == 200
    assert response.content_type == "text/event-stream"
    text = await response.text()
    assert text.startswith("event: message\r\ndata: {")
    assert '"tools"' in text


@pytest.mark.parametrize("method", ["GET", "DELETE"])
async def test_stream_and_session_verbs_are_405_with_allow(rig: Rig, method: str) -> None:
    """A stateless server has no stream to GET and no session to DELETE."""
    response = await rig.client.request(method, "/alpha/mcp", headers={"Accept": "text/event-stream"})
    assert response.status == 405
    assert response.headers["Allow"] == "POST, OPTIONS"
    assert (await response.json())["error"]["code"] == -32000


async def test_disallowed_origin_is_403(rig: Rig) -> None:
    """DNS-rebinding protection: a foreign Origin is refused; a local one and none are served."""
    evil = await rig.client.post("/alpha/mcp", json=LIST, headers={"Origin": "http://evil.example"})
    assert evil.status == 403
    assert (await evil.json())["error"]["data"] == {"origin": "http://evil.example"}
    local = await rig.client.post("/alpha/mcp", json=LIST, headers={"Origin": "http://localhost:3000"})
    assert local.status == 200
    assert local.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"


async def test_two_hundred_concurrent_calls_all_succeed(rig: Rig) -> None:
    """Requests to one tenant are served concurrently with no global lock."""
    responses = await asyncio.gather(
        *(rig.client.post("/alpha/mcp", json=call("echo", {"text": str(i)}, request_id=i)) for i in range(200))
    )
    bodies = await asyncio.gather(*(r.json() for r in responses))
    assert [r.status for r in responses] == [200] * 200
    assert sorted(int(b["result"]["structuredContent"]["echo"]) for b in bodies) == list(range(200))


@pytest.fixture
async def bearer_client(aiohttp_client: MakeClient, fake_config: Config, platform: Platform) -> AppClient:
    config = attrs.evolve(fake_config, auth=AuthConfig(mode="bearer", tokens={"public": "public-token-123"}))
    return await aiohttp_client(create_app(config, platform=platform))


@pytest.mark.parametrize(
    ("authorization", "error"),
    [(None, "invalid_request"), ("Bearer wrong-token", "invalid_token"), ("Basic abc", "invalid_request")],
)
async def test_missing_or_invalid_bearer_is_401(
    bearer_client: AppClient, authorization: str | None, error: str
) -> None:
    """Bearer mode refuses calls without a known token, with WWW-Authenticate and a JSON body."""
    headers = {"Authorization": authorization} if authorization else {}
    response = await bearer_client.post("/alpha/mcp", json=LIST, headers=headers)
    assert response.status == 401
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="mcp", error="' + error)
    assert (await response.json())["error"] == error


@pytest.mark.parametrize(
    ("token", "principal"),
    [("public-token-123", "static:public"), ("demo-acme-outdoor-v1", "static:demo:demo-acme-outdoor-v1")],
)
async def test_static_and_demo_bearers_authenticate(bearer_client: AppClient, token: str, principal: str) -> None:
    """Configured tokens and demo-<kit>-v<n> tokens map to their principals."""
    response = await bearer_client.post("/alpha/mcp", json=call("echo"), headers={"Authorization": f"Bearer {token}"})
    assert response.status == 200
    assert (await response.json())["result"]["structuredContent"]["principal"] == principal


async def test_open_mode_serves_anonymous_but_rejects_a_wrong_token(
    aiohttp_client: MakeClient, fake_config: Config, platform: Platform
) -> None:
    """Open mode needs no token, yet a token that is sent must be valid."""
    client = await aiohttp_client(create_app(fake_config, platform=platform))
    anonymous = await (await client.post("/alpha/mcp", json=call("echo"))).json()
    assert anonymous["result"]["structuredContent"]["principal"] == "anonymous"
    wrong = await client.post("/alpha/mcp", json=LIST, headers={"Authorization": "Bearer nope-nope-nope"})
    assert wrong.status == 401


async def test_each_request_logs_one_completion_line(rig: Rig, logs: list[Any]) -> None:
    """http.request_completed carries tenant, rpc method/tool, status, duration and request id; no bodies."""
    await rig.client.post("/alpha/mcp", json=call("echo", {"text": "secret-ish"}))
    lines = [entry for entry in logs if entry["event"] == "http.request_completed"]
    assert len(lines) == 1
    line = lines[0]
    assert line["tenant"] == "alpha"
    assert line["rpc"] == "tools/call:echo"
    assert line["status"] == 200
    assert line["duration_ms"] >= 0
    assert line["request_id"]
    assert "secret-ish" not in repr(line)


@pytest.mark.parametrize("version", ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"])
async def test_structured_content_is_the_payload_in_every_handshake_version(rig: Rig, version: str) -> None:
    """After the SDK's per-version shaping, structuredContent carries the tool's full payload."""
    response = await rig.client.post(
        "/alpha/mcp", json=call("echo", {"text": "v"}), headers={**ACCEPT, "MCP-Protocol-Version": version}
    )
    result = (await response.json())["result"]
    assert result["structuredContent"] == {
        "echo": "v",
        "tenant": "alpha",
        "principal": "anonymous",
        "status": "completed",
    }
    assert result["content"] == [{"type": "text", "text": "echo completed"}]
