"""A buyer's whole journey on /sales through a real MCP client, the clock moved between steps."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from tests.conftest import only_tenants
from trainer.clock import FrozenClock, parse_instant
from trainer.config import Config

ACCOUNT = {"brand": {"domain": "acmeoutdoor.example"}, "operator": "pinnacle-agency.example"}
Call = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]


@pytest.fixture
def trainer_config() -> Config:
    """Only /sales: the journey needs nothing else."""
    return only_tenants("sales")


@contextlib.asynccontextmanager
async def _client(live_url: str) -> AsyncIterator[Call]:
    async with (
        streamable_http_client(f"{live_url}/sales/mcp") as (read, write, *_),
        ClientSession(read, write) as session,
    ):
        await session.initialize()

        async def call(tool: str, args: dict[str, Any]) -> dict[str, Any]:
            result = await session.call_tool(tool, args)
            assert not result.is_error, result
            payload: dict[str, Any] = dict(result.structured_content or {})
            return payload

        yield call


async def test_discover_buy_assign_start_deliver_cancel(live_url: str, clock: FrozenClock) -> None:
    """Products, a buy, a creative assigned, pending_start then active as time passes, delivery, cancel."""
    async with _client(live_url) as call:
        products = await call(
            "get_products",
            {"buying_mode": "brief", "brief": "Display inventory on outdoor lifestyle content", "account": ACCOUNT},
        )
        product = products["products"][0]
        assert product["product_id"] == "meridian_outdoor_lifestyle_display"
        option = product["pricing_options"][0]
        assert (option["pricing_model"], option["floor_price"]) == ("cpm", 6)
        format_ref = product["format_ids"][0]

        created = await call(
            "create_media_buy",
            {
                "account": ACCOUNT,
                "brand": ACCOUNT["brand"],
                "start_time": "2026-06-10T00:00:00Z",
                "end_time": "2026-07-10T00:00:00Z",
                "packages": [
                    {
                        "product_id": product["product_id"],
                        "pricing_option_id": option["pricing_option_id"],
                        "budget": 9000,
                        "bid_price": 9,
                    }
                ],
                "idempotency_key": "e2e-sales-create-000001",
            },
        )
        media_buy_id = created["media_buy_id"]
        package_id = created["packages"][0]["package_id"]
        assert (created["status"], created["revision"]) == ("pending_creatives", 1)
        assert created["valid_actions"] == ["cancel", "sync_creatives"]

        synced = await call(
            "sync_creatives",
            {
                "account": ACCOUNT,
                "creatives": [
                    {
                        "creative_id": "acme_trail_300x250",
                        "name": "Trail Pro 300x250",
                        "format_id": format_ref,
                        "assets": {
                            "image": {
                                "asset_type": "image",
                                "url": "https://cdn.acme.example/trail.png",
                                "width": 300,
                                "height": 250,
                            }
                        },
                    }
                ],
                "assignments": [{"creative_id": "acme_trail_300x250", "package_id": package_id}],
                "idempotency_key": "e2e-sales-sync-0000001",
            },
        )
        row = synced["creatives"][0]
        assert (row["action"], row["status"], row["assigned_to"]) == ("created", "approved", [package_id])

        before = (await call("get_media_buys", {"account": ACCOUNT, "media_buy_ids": [media_buy_id]}))["media_buys"][0]
        assert before["status"] == "pending_start"
        assert before["packages"][0]["creative_approvals"] == [
            {"creative_id": "acme_trail_300x250", "approval_status": "approved"}
        ]

        clock.set(parse_instant("2026-06-20T00:00:00Z"))
        during = (await call("get_media_buys", {"account": ACCOUNT, "media_buy_ids": [media_buy_id]}))["media_buys"][0]
        assert during["status"] == "active"
        assert during["valid_actions"][0] == "pause"

        delivery = await call("get_media_buy_delivery", {"account": ACCOUNT, "media_buy_ids": [media_buy_id]})
        totals = delivery["media_buy_deliveries"][0]["totals"]
        # Ten of thirty flight days delivered: a third of 9,000 at a 9 CPM bid.
        assert totals["spend"] == 3000.0
        assert totals["impressions"] == 333_333
        assert delivery["reporting_period"] == {"start": "2026-06-10T00:00:00.000Z", "end": "2026-06-20T00:00:00.000Z"}

        canceled = await call(
            "update_media_buy",
            {
                "account": ACCOUNT,
                "media_buy_id": media_buy_id,
                "canceled": True,
                "cancellation_reason": "Campaign pulled",
                "idempotency_key": "e2e-sales-cancel-00001",
            },
        )
        assert (canceled["status"], canceled["valid_actions"]) == ("canceled", [])
        assert canceled["cancellation"]["reason"] == "Campaign pulled"
        after = (
            await call("get_media_buys", {"account": ACCOUNT, "media_buy_ids": [media_buy_id], "include_history": 10})
        )["media_buys"][0]
        assert after["status"] == "canceled"
        assert [entry["action"] for entry in after["history"]] == ["canceled", "updated_packages", "created"]
