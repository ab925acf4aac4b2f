"""The shared creative library on both creative tenants: provenance policy by brand, pagination, comply seeds."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import CallTool, only_tenants
from trainer.config import Config

ACCOUNT = {"brand": {"domain": "acmeoutdoor.example"}, "operator": "pinnacle-agency.example"}
TENANTS = ["creative", "creative-builder"]


@pytest.fixture
def trainer_config() -> Config:
    """Only the two creative tenants: these tests need nothing else to boot."""
    return only_tenants("creative", "creative-builder")


async def _format(call_tool: CallTool, tenant: str, format_id: str) -> dict[str, Any]:
    listed = await call_tool(tenant, "list_creative_formats", {"format_ids": [{"id": format_id}]})
    formats = listed["structuredContent"]["formats"]
    assert formats, listed
    format_ref: dict[str, Any] = formats[0]["format_id"]
    return format_ref


def _creative(creative_id: str, format_ref: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "creative_id": creative_id,
        "name": creative_id,
        "format_id": format_ref,
        "assets": {"image": {"asset_type": "image", "url": f"https://cdn.example/{creative_id}.png"}},
        **extra,
    }


@pytest.mark.parametrize("tenant", TENANTS)
async def test_provenance_policy_applies_on_both_creative_tenants(call_tool: CallTool, tenant: str) -> None:
    """A brand whose seeded product requires provenance gets PROVENANCE_REQUIRED from sync on either tenant."""
    seeded = await call_tool(
        tenant,
        "comply_test_controller",
        {
            "scenario": "seed_product",
            "account": ACCOUNT,
            "params": {
                "product_id": "provenance_product",
                "fixture": {"creative_policy": {"provenance_required": True}},
            },
        },
    )
    assert seeded["structuredContent"]["success"] is True
    format_ref = await _format(call_tool, tenant, "display_300x250")
    provenance = {"digital_source_type": "digital_capture", "disclosure": {"required": False}}
    result = await call_tool(
        tenant,
        "sync_creatives",
        {
            "account": ACCOUNT,
            "creatives": [_creative("bare", format_ref), _creative("declared", format_ref, provenance=provenance)],
            "idempotency_key": f"sync-provenance-{tenant}",
        },
    )
    rows = {row["creative_id"]: row for row in result["structuredContent"]["creatives"]}
    assert rows["bare"]["action"] == "failed"
    assert rows["bare"]["errors"][0]["code"] == "PROVENANCE_REQUIRED"
    assert rows["declared"]["action"] == "created"


@pytest.mark.parametrize("tenant", TENANTS)
async def test_list_creatives_pages_the_library(call_tool: CallTool, tenant: str) -> None:
    """Three synced creatives page two at a time, the cursor present only while more remain."""
    format_ref = await _format(call_tool, tenant, "display_300x250")
    await call_tool(
        tenant,
        "sync_creatives",
        {
            "account": ACCOUNT,
            "creatives": [_creative(f"page_{n}", format_ref) for n in range(3)],
            "idempotency_key": f"sync-pages-{tenant}-0001",
        },
    )
    first = await call_tool(tenant, "list_creatives", {"account": ACCOUNT, "pagination": {"max_results": 2}})
    page = first["structuredContent"]
    assert len(page["creatives"]) == 2
    assert page["pagination"]["has_more"] is True
    cursor = page["pagination"]["cursor"]
    second = await call_tool(
        tenant, "list_creatives", {"account": ACCOUNT, "pagination": {"max_results": 2, "cursor": cursor}}
    )
    assert len(second["structuredContent"]["creatives"]) == 1
    assert "cursor" not in second["structuredContent"]["pagination"]


@pytest.mark.parametrize("tenant", TENANTS)
async def test_seeded_creative_is_built_and_forced(call_tool: CallTool, tenant: str) -> None:
    """A creative seeded through the controller builds with its seeded rate and moves through forced statuses."""
    seeded = await call_tool(
        tenant,
        "comply_test_controller",
        {
            "scenario": "seed_creative",
            "account": ACCOUNT,
            "params": {
                "creative_id": "seeded_video",
                "fixture": {
                    "format_id": {"id": "vast_30s"},
                    "pricing_options": [
                        {"pricing_option_id": "po_seeded", "pricing_model": "cpm", "rate": 1.5, "currency": "USD"}
                    ],
                },
            },
        },
    )
    assert seeded["structuredContent"]["success"] is True
    built = await call_tool(
        tenant,
        "build_creative",
        {"account": ACCOUNT, "creative_id": "seeded_video", "idempotency_key": f"build-seeded-{tenant}-01"},
    )
    assert built["structuredContent"]["pricing_option_id"] == "po_seeded"
    forced = await call_tool(
        tenant,
        "comply_test_controller",
        {
            "scenario": "force_creative_status",
            "account": ACCOUNT,
            "params": {"creative_id": "seeded_video", "status": "archived"},
        },
    )
    assert forced["structuredContent"]["current_state"] == "archived"


@pytest.mark.parametrize("tenant", TENANTS)
async def test_controller_lists_the_creative_scenarios(call_tool: CallTool, tenant: str) -> None:
    """list_scenarios advertises the creative and media-buy forces, not the seeds."""
    result = await call_tool(tenant, "comply_test_controller", {"scenario": "list_scenarios"})
    scenarios = result["structuredContent"]["scenarios"]
    assert {"force_creative_status", "force_media_buy_status"} <= set(scenarios)
    assert not any(name.startswith("seed_") for name in scenarios)


@pytest.mark.parametrize("tenant", TENANTS)
async def test_bare_account_listings_read_what_the_controller_seeded(call_tool: CallTool, tenant: str) -> None:
    """Creatives and formats seeded under the sandbox brand are what listings naming only an account_id page through."""
    sandbox = {"brand": {"domain": "test.example"}, "operator": "test.example", "sandbox": True}
    for n in range(3):
        params = {
            "creative_id": f"seeded_{n}",
            "fixture": {"status": "approved", "format_id": {"id": "display_static"}},
        }
        await call_tool(
            tenant, "comply_test_controller", {"scenario": "seed_creative", "account": sandbox, "params": params}
        )
    for n in range(2):
        params = {"format_id": f"seeded_format_{n}", "fixture": {"name": f"Format {n}", "type": "display"}}
        seeded = await call_tool(
            tenant, "comply_test_controller", {"scenario": "seed_creative_format", "account": sandbox, "params": params}
        )
        assert seeded["structuredContent"]["success"] is True
    account = {"account_id": "acct_listing"}
    creatives = await call_tool(tenant, "list_creatives", {"account": account, "pagination": {"max_results": 2}})
    assert creatives["structuredContent"]["query_summary"] == {"total_matching": 3, "returned": 2}
    formats = await call_tool(tenant, "list_creative_formats", {"account": account})
    assert [fmt["format_id"]["id"] for fmt in formats["structuredContent"]["formats"]] == [
        "seeded_format_0",
        "seeded_format_1",
    ]
    # A listing naming a brand, or nothing, keeps the static catalogue.
    for args in ({"account": ACCOUNT}, {}):
        catalogue = await call_tool(tenant, "list_creative_formats", args)
        assert catalogue["structuredContent"]["pagination"]["total_count"] > 2
