"""Shared fixtures: configs, a frozen platform, HTTP clients over create_app, and JSON-RPC helpers."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from datetime import datetime
from typing import Any, Protocol

import attrs
import pytest
import structlog
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from tests.schemas import SchemaCheck, assert_schema_valid
from trainer.app import create_app
from trainer.clock import FrozenClock, parse_instant
from trainer.config import DEFAULT_CONFIG, Config, load_config, parse_config
from trainer.platform import Platform

# The AdCP compliance fixtures date from mid-2026; domain tests pin the clock there.
FIXTURE_TIME = "2026-06-01T12:00:00Z"
JSON_HEADERS = {"Accept": "application/json, text/event-stream"}
_ids = itertools.count(1)


class Rpc(Protocol):
    def __call__(
        self, tenant: str, method: str, params: dict[str, Any] | None = None, *, headers: dict[str, str] | None = None
    ) -> Awaitable[dict[str, Any]]: ...


class CallTool(Protocol):
    def __call__(self, tenant: str, tool: str, args: dict[str, Any] | None = None) -> Awaitable[dict[str, Any]]: ...


@pytest.fixture
def fixture_time() -> datetime:
    return parse_instant(FIXTURE_TIME)


@pytest.fixture
def clock(fixture_time: datetime) -> FrozenClock:
    """The frozen AdCP clock of the ``platform`` fixture; tests move it with ``advance``/``set``."""
    return FrozenClock(fixture_time)


@pytest.fixture
def platform(clock: FrozenClock) -> Platform:
    return Platform.create(clock)


@pytest.fixture
def trainer_config() -> Config:
    """The embedded default config (all six tenants, open auth), untouched by the environment."""
    return load_config(DEFAULT_CONFIG, env={})


def only_tenants(*tenant_ids: str) -> Config:
    """The embedded default config cut down to ``tenant_ids``, for tests that need nothing else to boot."""
    config = load_config(DEFAULT_CONFIG, env={})
    return attrs.evolve(config, tenants=tuple(t for t in config.tenants if t.id in tenant_ids))


@pytest.fixture
def fake_config() -> Config:
    """Two tenants built from test doubles, importable by path as a user's own tenant would be."""
    return parse_config(
        {
            "tenants": {
                "alpha": {"factory": "tests.fakes:build_echo"},
                "beta": {"factory": "tests.fakes:build_echo"},
            }
        },
        "<fake>",
    )


@pytest.fixture
async def client(
    aiohttp_client: Callable[[web.Application], Awaitable[TestClient[Any, Any]]],
    trainer_config: Config,
    platform: Platform,
) -> TestClient[Any, Any]:
    """A client over the full trainer (six tenants, frozen clock); startup has waited for READY."""
    return await aiohttp_client(create_app(trainer_config, platform=platform))


@pytest.fixture
async def live_url(
    aiohttp_server: Callable[[web.Application], Awaitable[TestServer]],
    trainer_config: Config,
    platform: Platform,
) -> str:
    """The base URL of a full trainer on a loopback port, for real MCP clients."""
    server = await aiohttp_server(create_app(trainer_config, platform=platform))
    return str(server.make_url("")).rstrip("/")


@pytest.fixture
def rpc(client: TestClient[Any, Any]) -> Rpc:
    """POST one JSON-RPC request to ``/<tenant>/mcp`` and return the decoded response body."""

    async def send(
        tenant: str, method: str, params: dict[str, Any] | None = None, *, headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"jsonrpc": "2.0", "id": next(_ids), "method": method}
        if params is not None:
            body["params"] = params
        response = await client.post(f"/{tenant}/mcp", json=body, headers={**JSON_HEADERS, **(headers or {})})
        decoded: dict[str, Any] = await response.json()
        return decoded

    return send


@pytest.fixture
def call_tool(rpc: Rpc) -> CallTool:
    """Call a tool and return the MCP result (``structuredContent``, ``content``, ``isError``)."""

    async def call(tenant: str, tool: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await rpc(tenant, "tools/call", {"name": tool, "arguments": args or {}})
        assert "result" in response, response
        result: dict[str, Any] = response["result"]
        return result

    return call


@pytest.fixture
def logs() -> Iterator[list[MutableMapping[str, Any]]]:
    with structlog.testing.capture_logs() as captured:
        yield captured


@pytest.fixture
def schema_valid() -> SchemaCheck:
    """Assert that a payload matches the AdCP 3.0.6 response schema of a tool."""
    return assert_schema_valid
