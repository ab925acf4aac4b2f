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


ACME = {"domain": "acmeoutdoor.example"}
ACME_ACCOUNT = {"brand": ACME, "operator": "pinnacle-agency.example"}
ACME_PLAN = {
    "plan_id": "gov_acme_e2e",
    "brand": ACME,
    "objectives": "Summer trail gear, display, US",
    "budget": {"total": 20_000, "currency": "USD", "reallocation_threshold": 15_000},
    "flight": {"start": "2026-06-01T00:00:00Z", "end": "2026-08-31T23:59:59Z"},
    "countries": ["US"],
}


def _buy(budget: float, **extra: Any) -> dict[str, Any]:
    return {
        "account": ACME_ACCOUNT,
        "brand": ACME,
        "start_time": "2026-06-15T00:00:00Z",
        "end_time": "2026-07-15T00:00:00Z",
        "packages": [{"product_id": "test-product", "pricing_option_id": "test-pricing", "budget": budget}],
        **extra,
    }


async def test_plan_on_governance_gates_a_buy_on_sales(live_url: str) -> None:
    """Over-budget buy denied on /sales with findings; checked buy accepted; outcome and audit agree."""
    async with _clients(live_url, "governance", "sales") as call:
        await call("governance", "sync_plans", {"plans": [ACME_PLAN], "idempotency_key": "e2e-sales-sync-plans"})

        denied = await call("sales", "create_media_buy", {**_buy(25_000), "idempotency_key": "e2e-buy-over-budget"})
        assert denied["_is_error"] is True
        error = denied["adcp_error"]
        assert error["code"] == "GOVERNANCE_DENIED"
        assert error["details"]["plan_id"] == "gov_acme_e2e"
        assert error["details"]["findings"][0]["category_id"] == "budget_authority"
        assert error["details"]["findings"][0]["severity"] == "critical"

        check = await call(
            "governance",
            "check_governance",
            {
                "account": ACME_ACCOUNT,
                "plan_id": "gov_acme_e2e",
                "caller": CALLER,
                "tool": "create_media_buy",
                "payload": _buy(12_000),
            },
        )
        assert check["status"] == "approved"
        context = check["governance_context"]
        bought = await call(
            "sales",
            "create_media_buy",
            {**_buy(12_000), "governance_context": context, "idempotency_key": "e2e-buy-with-checked-context"},
        )
        assert bought["_is_error"] is False, bought
        media_buy_id = bought["media_buy_id"]

        outcome = await call(
            "governance",
            "report_plan_outcome",
            {
                "account": ACME_ACCOUNT,
                "plan_id": "gov_acme_e2e",
                "check_id": check["check_id"],
                "governance_context": context,
                "outcome": "completed",
                "seller_response": {"seller_reference": media_buy_id, "committed_budget": 12_000},
                "idempotency_key": "e2e-sales-outcome",
            },
        )
        assert outcome["status"] == "accepted"
        assert outcome["plan_summary"] == {"total_committed": 12_000, "budget_remaining": 8_000}

        # The committed budget now gates the next buy: 9,000 no longer fits what is left.
        over = await call("sales", "create_media_buy", {**_buy(9_000), "idempotency_key": "e2e-buy-after-commit"})
        assert over["adcp_error"]["code"] == "GOVERNANCE_DENIED"

        audit = await call(
            "governance",
            "get_plan_audit_logs",
            {"account": ACME_ACCOUNT, "plan_ids": ["gov_acme_e2e"], "include_entries": True},
        )
        (log,) = audit["plans"]
        assert log["budget"] == {"authorized": 20_000, "committed": 12_000, "remaining": 8_000, "utilization_pct": 60.0}
        assert log["governed_actions"] == [
            {
                "governance_context": context,
                "purchase_type": "media_buy",
                "status": "active",
                "committed": 12_000,
                "check_count": 1,
                "seller_reference": media_buy_id,
            }
        ]
        assert [entry["type"] for entry in log["entries"]] == ["check", "outcome"]
