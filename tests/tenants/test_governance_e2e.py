"""Governance across tenants through a real MCP client: a plan synced on /governance gates other tenants."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

BRAND = {"domain": "novamotors.example"}
ACCOUNT = {"brand": BRAND, "operator": "pinnacle-agency.example"}
CALLER = "https://pinnacle-agency.example"
PLAN = {
    "plan_id": "gov_nova_signals",
    "brand": BRAND,
    "objectives": "Volta EV launch audiences",
    "budget": {"total": 100, "currency": "USD", "reallocation_threshold": 50},
    "flight": {"start": "2026-05-01T00:00:00Z", "end": "2026-08-31T23:59:59Z"},
    "countries": ["US"],
}

Call = Callable[[str, str, dict[str, Any]], Awaitable[dict[str, Any]]]


@asynccontextmanager
async def _clients(live_url: str, *tenants: str) -> AsyncIterator[Call]:
    """Open one initialized MCP session per tenant and yield a call(tenant, tool, args) helper."""
    sessions: dict[str, ClientSession] = {}
    async with contextlib.AsyncExitStack() as stack:
        for tenant in tenants:
            read, write, *_ = await stack.enter_async_context(streamable_http_client(f"{live_url}/{tenant}/mcp"))
            session = await stack.enter_async_context(ClientSession(read, write))
            await session.initialize()
            sessions[tenant] = session

        async def call(tenant: str, tool: str, args: dict[str, Any]) -> dict[str, Any]:
            result = await sessions[tenant].call_tool(tool, args)
            payload: dict[str, Any] = dict(result.structured_content or {})
            payload["_is_error"] = bool(result.is_error)
            return payload

        yield call


async def test_plan_on_governance_gates_signal_activation(live_url: str) -> None:
    """A plan for the brand denies an unchecked activation on /signals; an approved check lets it through."""
    async with _clients(live_url, "governance", "signals") as call:
        synced = await call("governance", "sync_plans", {"plans": [PLAN], "idempotency_key": "e2e-signals-sync-plans"})
        assert synced["plans"][0]["status"] == "active"
        activation = {
            "account": ACCOUNT,
            "signal_agent_segment_id": "trident_likely_ev_buyers",
            "destinations": [{"type": "platform", "platform": "the-trade-desk"}],
        }
        denied = await call("signals", "activate_signal", {**activation, "idempotency_key": "e2e-activate-unchecked"})
        assert denied["_is_error"] is True
        assert denied["adcp_error"]["code"] == "GOVERNANCE_DENIED"
        assert denied["adcp_error"]["details"]["plan_id"] == "gov_nova_signals"
        assert denied["adcp_error"]["details"]["findings"][0]["severity"] == "critical"

        check = await call(
            "governance",
            "check_governance",
            {
                "account": ACCOUNT,
                "plan_id": "gov_nova_signals",
                "caller": CALLER,
                "purchase_type": "signal_activation",
                "tool": "activate_signal",
                "payload": {**activation, "budget": 40},
            },
        )
        assert check["status"] == "approved"
        approved = await call(
            "signals",
            "activate_signal",
            {
                **activation,
                "governance_context": check["governance_context"],
                "idempotency_key": "e2e-activate-checked",
            },
        )
        assert approved["_is_error"] is False
        assert approved["deployments"][0]["is_live"] is True

        outcome = await call(
            "governance",
            "report_plan_outcome",
            {
                "account": ACCOUNT,
                "plan_id": "gov_nova_signals",
                "purchase_type": "signal_activation",
                "governance_context": check["governance_context"],
                "outcome": "completed",
                "seller_response": {"seller_reference": "trident_likely_ev_buyers", "committed_budget": 40},
                "idempotency_key": "e2e-signals-outcome",
            },
        )
        assert outcome["plan_summary"] == {"total_committed": 40, "budget_remaining": 60}
        audit = await call("governance", "get_plan_audit_logs", {"account": ACCOUNT, "plan_ids": ["gov_nova_signals"]})
        (log,) = audit["plans"]
        assert log["governed_actions"][0]["purchase_type"] == "signal_activation"
        assert log["governed_actions"][0]["committed"] == 40
