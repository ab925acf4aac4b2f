"""End to end through an MCP client: rights on /brand, a build on /creative-builder, delivery on /creative."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from tests.conftest import only_tenants
from trainer.clock import FrozenClock
from trainer.config import Config

ACCOUNT = {"brand": {"domain": "acmeoutdoor.example"}, "operator": "pinnacle-agency.example"}


@pytest.fixture
def trainer_config() -> Config:
    """The three tenants the journey crosses."""
    return only_tenants("brand", "creative-builder", "creative")


@asynccontextmanager
async def _client(base: str, tenant: str) -> AsyncIterator[ClientSession]:
    async with (
        streamable_http_client(f"{base}/{tenant}/mcp") as (read, write, *_),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


async def _call(session: ClientSession, tool: str, args: dict[str, Any]) -> dict[str, Any]:
    result = await session.call_tool(tool, args)
    payload: dict[str, Any] = result.structured_content or {}
    assert result.is_error is not True, payload
    return payload


async def test_rights_to_delivery_across_three_tenants(live_url: str, clock: FrozenClock) -> None:
    """Rights acquired on /brand feed a creative built on /creative-builder, then synced and reported on /creative."""
    today = clock.now().date()
    async with _client(live_url, "brand") as brand:
        found = await _call(
            brand,
            "get_rights",
            {
                "query": "Dutch athlete likeness for AI-generated display ads",
                "uses": ["likeness", "ai_generated_image"],
                "countries": ["NL"],
                "buyer_brand": {"domain": "acmeoutdoor.example"},
            },
        )
        offer = found["rights"][0]
        assert offer["brand_id"] == "daan_janssen"
        grant = await _call(
            brand,
            "acquire_rights",
            {
                "account": ACCOUNT,
                "rights_id": offer["rights_id"],
                "pricing_option_id": offer["pricing_options"][0]["pricing_option_id"],
                "buyer": {"domain": "pinnacle-agency.example"},
                "campaign": {
                    "description": "Summer trail gear display ads for Acme Outdoor",
                    "uses": ["likeness", "ai_generated_image"],
                    "countries": ["NL"],
                    "estimated_impressions": 200_000,
                    "start_date": today.isoformat(),
                    "end_date": (today + timedelta(days=60)).isoformat(),
                },
                "revocation_webhook": {"url": "https://pinnacle-agency.example/webhooks/revocation"},
                "idempotency_key": "e2e-acquire-000000001",
            },
        )
        assert grant["status"] == "acquired"

    async with _client(live_url, "creative") as creative:
        formats = await _call(creative, "list_creative_formats", {"format_ids": [{"id": "display_300x250"}]})
        target = formats["formats"][0]["format_id"]

        async with _client(live_url, "creative-builder") as builder:
            built = await _call(
                builder,
                "build_creative",
                {
                    "account": ACCOUNT,
                    "message": f"Create a banner for Acme Outdoor's summer trail gear. {grant['disclosure']['text']}",
                    "target_format_id": target,
                    "idempotency_key": "e2e-build-0000000001",
                },
            )
        manifest = built["creative_manifest"]
        assert manifest["format_id"] == target
        assert manifest["provenance"]["digital_source_type"] == "trained_algorithmic_media"

        synced = await _call(
            creative,
            "sync_creatives",
            {
                "account": ACCOUNT,
                "creatives": [
                    {
                        "creative_id": "janssen_summer_300x250",
                        "name": "Janssen summer trail 300x250",
                        "format_id": manifest["format_id"],
                        "assets": manifest["assets"],
                        "provenance": manifest["provenance"],
                        "rights": [grant["rights_constraint"]],
                    }
                ],
                "idempotency_key": "e2e-sync-00000000001",
            },
        )
        assert synced["creatives"][0]["action"] == "created"

        preview = await _call(
            creative,
            "preview_creative",
            {"account": ACCOUNT, "request_type": "single", "creative_id": "janssen_summer_300x250"},
        )
        url = preview["previews"][0]["renders"][0]["preview_url"]
        page = base64.b64decode(url.removeprefix("data:text/html;base64,")).decode()
        assert manifest["assets"]["generated_image"]["url"] in page

        delivery = await _call(
            creative, "get_creative_delivery", {"account": ACCOUNT, "creative_ids": ["janssen_summer_300x250"]}
        )
        row = delivery["creatives"][0]
        assert row["creative_id"] == "janssen_summer_300x250"
        assert row["totals"]["impressions"] > 0
        assert sum(variant["impressions"] for variant in row["variants"]) == row["totals"]["impressions"]

    async with _client(live_url, "brand") as brand:
        approval = await _call(
            brand,
            "creative_approval",
            {
                "rights_id": grant["rights_id"],
                "creative_id": "janssen_summer_300x250",
                "creative_url": manifest["assets"]["generated_image"]["url"],
            },
        )
        assert approval["status"] == "approved"
