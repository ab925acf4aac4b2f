"""The creative tools on /creative and /creative-builder over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import CallTool, Rpc, only_tenants
from trainer.config import Config

ACCOUNT = {"brand": {"domain": "acmeoutdoor.example"}, "operator": "pinnacle-agency.example"}
AGENT = "https://your-agent.example.com"
TENANTS = ["creative", "creative-builder"]


@pytest.fixture
def trainer_config() -> Config:
    """Only the two creative tenants: these tests need nothing else to boot."""
    return only_tenants("creative", "creative-builder")


def _format(format_id: str) -> dict[str, str]:
    return {"agent_url": AGENT, "id": format_id}


@pytest.mark.parametrize("tenant", TENANTS)
async def test_both_tenants_serve_library_and_delivery_tools(rpc: Rpc, call_tool: CallTool, tenant: str) -> None:
    """Both creative tenants list build, preview and delivery, and declare a creative library."""
    listed = await rpc(tenant, "tools/list")
    names = [tool["name"] for tool in listed["result"]["tools"]]
    assert {"build_creative", "preview_creative", "get_creative_delivery"} <= set(names)
    capabilities = (await call_tool(tenant, "get_adcp_capabilities"))["structuredContent"]
    assert "creative" in capabilities["supported_protocols"]
    assert capabilities["creative"]["has_creative_library"] is True


@pytest.mark.parametrize("tenant", TENANTS)
async def test_generative_build_over_http(call_tool: CallTool, tenant: str) -> None:
    """A brief builds a branded manifest per target format, with the context echoed."""
    result = await call_tool(
        tenant,
        "build_creative",
        {
            "message": "Create a display banner for a summer outdoor gear sale, 40% off.",
            "target_format_ids": [_format("display_300x250_generative"), _format("display_728x90_generative")],
            "account": ACCOUNT,
            "idempotency_key": f"build-{tenant}-000000001",
            "context": {"correlation_id": "gen"},
        },
    )
    payload = result["structuredContent"]
    assert result.get("isError") is not True
    assert result["content"][0]["text"] == "Built 2 creative manifests"
    assert len(payload["creative_manifests"]) == 2
    # The brand's own palette styles the unit: Acme Outdoor's primary green.
    assert "#1B5E20" in payload["creative_manifests"][0]["assets"]["serving_tag"]["content"]
    assert payload["context"] == {"correlation_id": "gen"}


async def test_library_build_is_priced_for_an_account(call_tool: CallTool) -> None:
    """A tag for the library's hero video on an account carries the applied pricing option."""
    result = await call_tool(
        "creative",
        "build_creative",
        {
            "creative_id": "campaign_hero_video",
            "account": {"account_id": "acct_acme_creative"},
            "target_format_id": _format("vast_30s"),
            "media_buy_id": "mb_summer_campaign_001",
            "package_id": "pkg_ctv_premium",
            "idempotency_key": "build-library-00000001",
        },
    )
    payload = result["structuredContent"]
    assert payload["pricing_option_id"] == "po_vast_30s_cpm"
    assert payload["creative_manifest"]["assets"]["vast_tag"]["asset_type"] == "vast"


async def test_build_replays_under_the_same_key(call_tool: CallTool) -> None:
    """build_creative is mutating: the same key replays the first build."""
    args = {
        "message": "Make an ad for trail shoes",
        "target_format_id": _format("display_300x250"),
        "idempotency_key": "build-replay-0000001",
    }
    first = await call_tool("creative", "build_creative", args)
    again = await call_tool("creative", "build_creative", args)
    assert again["structuredContent"]["replayed"] is True
    assert again["structuredContent"]["creative_manifest"] == first["structuredContent"]["creative_manifest"]


async def test_batch_preview_over_http(call_tool: CallTool) -> None:
    """A batch preview answers per row; html output inlines the markup."""
    manifest = {
        "format_id": _format("display_300x250"),
        "assets": {"headline": {"asset_type": "text", "content": "Hi"}},
    }
    result = await call_tool(
        "creative-builder",
        "preview_creative",
        {"request_type": "batch", "output_format": "html", "requests": [{"creative_manifest": manifest}]},
    )
    [row] = result["structuredContent"]["results"]
    assert row["success"] is True
    assert "Hi" in row["response"]["previews"][0]["renders"][0]["preview_html"]


@pytest.mark.parametrize("tenant", TENANTS)
async def test_delivery_over_http(call_tool: CallTool, tenant: str) -> None:
    """Delivery for a buy reports the buyer's creatives with variants."""
    result = await call_tool(tenant, "get_creative_delivery", {"account": ACCOUNT, "media_buy_ids": ["mb_1"]})
    payload = result["structuredContent"]
    assert payload["creatives"][0]["creative_id"] == "campaign_hero_video"
    assert payload["creatives"][0]["variants"]


@pytest.mark.parametrize(
    ("tool", "args", "field"),
    [
        ("preview_creative", {}, "request_type"),
        ("get_creative_delivery", {}, "media_buy_ids"),
        ("build_creative", {"idempotency_key": "build-bad-input-0001"}, "creative_manifest"),
        ("build_creative", {"message": "x", "idempotency_key": "build-bad-input-0002"}, "target_format_id"),
        ("report_usage", {"usage": [], "idempotency_key": "usage-bad-input-0001"}, "reporting_period"),
        ("list_creatives", {"pagination": {"cursor": "not-a-cursor"}}, "pagination.cursor"),
        ("sync_creatives", {"creatives": [], "idempotency_key": "sync-bad-input-00001"}, "creatives"),
    ],
)
async def test_bad_input_is_an_error_naming_the_field(
    call_tool: CallTool, tool: str, args: dict[str, Any], field: str
) -> None:
    """Bad input on each tool is an adcp_error naming the field."""
    result = await call_tool("creative", tool, args)
    assert result["isError"] is True
    assert result["structuredContent"]["adcp_error"]["field"] == field


async def test_report_usage_reconciles_against_the_rate(call_tool: CallTool) -> None:
    """Usage at the hero video's 0.50 CPM is accepted; a record with a wrong cost is named in errors."""
    record = {
        "account": {"account_id": "acct_acme_creative"},
        "creative_id": "campaign_hero_video",
        "pricing_option_id": "po_vast_30s_cpm",
        "impressions": 2_400_000,
        "vendor_cost": 1200.0,
        "currency": "USD",
    }
    result = await call_tool(
        "creative",
        "report_usage",
        {
            "reporting_period": {"start": "2026-03-01T00:00:00Z", "end": "2026-03-31T23:59:59Z"},
            "usage": [record, {**record, "vendor_cost": 99.0}],
            "idempotency_key": "usage-report-0000001",
        },
    )
    payload = result["structuredContent"]
    assert payload["accepted"] == 1
    assert [error["field"] for error in payload["errors"]] == ["usage[1].vendor_cost"]
