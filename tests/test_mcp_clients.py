"""Official MCP clients against a live trainer on loopback: every tenant, both protocol eras."""

from __future__ import annotations

from typing import Any

import mcp
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from trainer.config import DEFAULT_CONFIG, load_config

TENANTS = [t.id for t in load_config(DEFAULT_CONFIG, env={}).tenants]


@pytest.mark.parametrize("tenant", TENANTS)
async def test_session_client_initializes_lists_and_calls_capabilities(live_url: str, tenant: str) -> None:
    """ClientSession: initialize negotiates 2025-11-25, list_tools and get_adcp_capabilities work on every tenant."""
    async with (
        streamable_http_client(f"{live_url}/{tenant}/mcp") as (read, write, *_),
        ClientSession(read, write) as session,
    ):
        init = await session.initialize()
        assert init.protocol_version == "2025-11-25"
        assert init.server_info.name == "adcp-training-agent"
        assert init.capabilities.tools is not None
        tools = await session.list_tools()
        names = {tool.name for tool in tools.tools}
        assert {"get_adcp_capabilities", "sync_accounts", "tasks_get"} <= names
        result = await session.call_tool("get_adcp_capabilities", {"context": {"correlation_id": tenant}})
    assert result.is_error is not True
    payload: dict[str, Any] = result.structured_content or {}
    assert payload["adcp"]["major_versions"] == [3]
    assert payload["context"] == {"correlation_id": tenant}
    assert payload["supported_protocols"]


@pytest.mark.parametrize("mode", ["auto", "legacy"])
@pytest.mark.parametrize("tenant", TENANTS)
async def test_client_in_both_eras(live_url: str, tenant: str, mode: str) -> None:
    """mcp.Client in auto mode speaks 2026-07-28 (server/discover first); legacy mode initializes."""
    async with mcp.Client(f"{live_url}/{tenant}/mcp", mode=mode) as client:
        tools = await client.list_tools()
        result = await client.call_tool("get_adcp_capabilities", {})
    assert "get_adcp_capabilities" in {tool.name for tool in tools.tools}
    assert result.is_error is not True
    assert (result.structured_content or {})["adcp"]["major_versions"] == [3]
