"""The /signals tenant over real HTTP: search, pagination, activation and errors."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import CallTool, Rpc, only_tenants
from trainer.config import Config

ACCOUNT = {"brand": {"domain": "novamotors.example"}, "operator": "pinnacle-agency.example"}
AGENT = "https://wonderstruck.salesagents.example"


@pytest.fixture
def trainer_config() -> Config:
    """Only the tenant under test: these tests need nothing else to boot."""
    return only_tenants("signals")


async def test_tools_and_capabilities(call_tool: CallTool, rpc: Rpc) -> None:
    """The tenant lists get_signals and activate_signal, no media-buy tools, and declares signals."""
    listed = await rpc("signals", "tools/list")
    names = [tool["name"] for tool in listed["result"]["tools"]]
    assert names[:2] == ["get_signals", "activate_signal"]
    assert "create_media_buy" not in names
    assert "sync_plans" not in names
    assert "comply_test_controller" not in names
    capabilities = await call_tool("signals", "get_adcp_capabilities")
    assert capabilities["structuredContent"]["supported_protocols"] == ["signals"]


async def test_search_returns_signals_with_deployments(call_tool: CallTool) -> None:
    """A spec search answers catalogue signals with provenance, pricing, a deployment and the context."""
    result = await call_tool(
        "signals",
        "get_signals",
        {
            "account": ACCOUNT,
            "signal_spec": "Adults interested in electric vehicles",
            "context": {"correlation_id": "c1"},
        },
    )
    payload = result["structuredContent"]
    first = payload["signals"][0]
    assert first["signal_agent_segment_id"] == "trident_likely_ev_buyers"
    assert first["signal_id"]["source"] == "catalog"
    assert first["pricing_options"]
    assert first["deployments"][0]["is_live"] is False
    assert payload["context"] == {"correlation_id": "c1"}
    assert result["content"][0]["text"].startswith("Found ")


async def test_default_page_is_ten_and_cursor_walks_on(call_tool: CallTool) -> None:
    """A broad query pages ten at a time and the cursor continues where the page ended."""
    first = (await call_tool("signals", "get_signals", {"signal_spec": "audience retail geo"}))["structuredContent"]
    assert len(first["signals"]) == 10
    assert first["pagination"]["has_more"] is True
    cursor = first["pagination"]["cursor"]
    second = (
        await call_tool(
            "signals", "get_signals", {"signal_spec": "audience retail geo", "pagination": {"cursor": cursor}}
        )
    )["structuredContent"]
    seen = {s["signal_agent_segment_id"] for s in first["signals"]}
    assert not seen & {s["signal_agent_segment_id"] for s in second["signals"]}


async def test_page_size_is_capped_at_one_hundred(call_tool: CallTool) -> None:
    """max_results above 100 returns at most the whole catalogue, without error."""
    everything = [f"{s}" for s in ("trident_likely_ev_buyers", "prism_high_ltv")]
    result = await call_tool("signals", "get_signals", {"signal_ids": everything, "pagination": {"max_results": 100}})
    assert result["structuredContent"]["pagination"] == {"has_more": False, "total_count": 2}


async def test_cursor_of_another_kind_is_rejected(call_tool: CallTool) -> None:
    """A malformed cursor is INVALID_REQUEST on pagination.cursor, never a silent restart."""
    result = await call_tool("signals", "get_signals", {"signal_spec": "cars", "pagination": {"cursor": "bogus"}})
    assert result["isError"] is True
    assert result["structuredContent"]["adcp_error"]["field"] == "pagination.cursor"


async def test_activation_goes_live_and_shows_in_search(call_tool: CallTool) -> None:
    """Activating on this agent makes get_signals report the deployment live, for the same brand."""
    signals_agent = "http://localhost/signals/mcp"
    activated = await call_tool(
        "signals",
        "activate_signal",
        {
            "account": ACCOUNT,
            "signal_agent_segment_id": "prism_cart_abandoner",
            "pricing_option_id": "po_prism_abandoner_cpm",
            "destinations": [{"type": "agent", "agent_url": signals_agent}],
            "idempotency_key": "activate-cart-abandoner-0001",
        },
    )
    assert activated["structuredContent"]["deployments"][0]["is_live"] is True
    found = await call_tool("signals", "get_signals", {"account": ACCOUNT, "signal_ids": ["prism_cart_abandoner"]})
    assert found["structuredContent"]["signals"][0]["deployments"][0]["is_live"] is True


@pytest.mark.parametrize(
    ("args", "code", "field"),
    [
        ({}, "INVALID_REQUEST", "signal_agent_segment_id"),
        ({"signal_agent_segment_id": "prism_high_ltv"}, "INVALID_REQUEST", "destinations"),
        (
            {"signal_agent_segment_id": "nope", "destinations": [{"type": "platform", "platform": "dsp"}]},
            "SIGNAL_AGENT_SEGMENT_NOT_FOUND",
            "signal_agent_segment_id",
        ),
        (
            {
                "signal_agent_segment_id": "prism_high_ltv",
                "pricing_option_id": "po_x",
                "destinations": [{"type": "agent", "agent_url": AGENT}],
            },
            "INVALID_PRICING_MODEL",
            "pricing_option_id",
        ),
    ],
)
async def test_bad_activation_is_an_error_naming_the_field(
    call_tool: CallTool, args: dict[str, Any], code: str, field: str
) -> None:
    """activate_signal errors arrive as adcp_error naming the field."""
    result = await call_tool(
        "signals", "activate_signal", {**args, "idempotency_key": f"bad-activation-{code}-{field}"}
    )
    assert result["isError"] is True
    error = result["structuredContent"]["adcp_error"]
    assert (error["code"], error["field"]) == (code, field)


@pytest.mark.parametrize(
    ("args", "field"),
    [({}, "signal_spec"), ({"signal_spec": "cars", "filters": {"max_cpm": "cheap"}}, "filters.max_cpm")],
)
async def test_bad_search_is_an_error_naming_the_field(call_tool: CallTool, args: dict[str, Any], field: str) -> None:
    """get_signals errors arrive as INVALID_REQUEST naming the field."""
    result = await call_tool("signals", "get_signals", args)
    assert result["isError"] is True
    assert result["structuredContent"]["adcp_error"]["field"] == field


async def test_activation_requires_an_idempotency_key(call_tool: CallTool) -> None:
    """activate_signal is mutating: without idempotency_key it is refused."""
    result = await call_tool(
        "signals",
        "activate_signal",
        {"signal_agent_segment_id": "prism_high_ltv", "destinations": [{"type": "platform", "platform": "dsp"}]},
    )
    assert result["structuredContent"]["adcp_error"]["field"] == "idempotency_key"
