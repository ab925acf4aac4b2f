"""Malformed input never crashes a /sales tool: every answer is a result or an AdCP error naming a field."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from trainer.adcp.pipeline import run_tool
from trainer.clock import FrozenClock, parse_instant
from trainer.config import parse_config
from trainer.platform import Platform
from trainer.tenant import Tenant, TenantContext, TenantId, ToolCall
from trainer.tenants import sales

ACCOUNT = {"brand": {"domain": "fuzz.example"}, "operator": "fuzz.example"}
FLIGHT = {"start_time": "2026-07-01T00:00:00Z", "end_time": "2026-07-31T00:00:00Z"}
PACKAGE = {
    "product_id": "pinnacle_news_display",
    "pricing_option_id": "pinnacle_news_display_pricing_0",
    "budget": 5000,
    "bid_price": 5,
    "creative_assignments": [{"creative_id": "c1"}],
    "targeting_overlay": {"property_list": {"agent_url": "https://gov.example", "list_id": "l1"}},
    "measurement_terms": {"billing_measurement": {"vendor": {"domain": "v.example"}, "measurement_window": "c7"}},
}
PERIOD = {"start": "2026-07-01T00:00:00Z", "end": "2026-07-08T00:00:00Z"}
# A valid request per tool; every leaf of each is replaced by each garbage value in turn.
VALID: dict[str, dict[str, Any]] = {
    "get_products": {
        "buying_mode": "brief",
        "brief": "video",
        "filters": {
            "delivery_type": "guaranteed",
            "channels": ["olv"],
            "format_ids": [{"id": "video_30s"}],
            "budget_range": {"max": 5},
        },
        "preferred_delivery_types": ["guaranteed"],
    },
    "refine": {
        "buying_mode": "refine",
        "refine": [
            {"scope": "request", "ask": "guaranteed only"},
            {"scope": "product", "product_id": "sparq_social_feed", "action": "more_like_this"},
            {"scope": "proposal", "proposal_id": "viewpoint_multi_screen", "action": "finalize"},
        ],
    },
    "create_media_buy": {
        **FLIGHT,
        "packages": [PACKAGE],
        "total_budget": {"amount": 5000, "currency": "USD"},
        "media_buy_id": "mb_fuzz",
    },
    "update_media_buy": {
        "media_buy_id": "mb_target",
        "revision": 1,
        "paused": True,
        "end_time": "2026-08-31T00:00:00Z",
        "packages": [
            {
                "package_id": "mb_target_pkg_0",
                "budget": 6000,
                "bid_price": 6,
                "paused": True,
                "creative_assignments": [{"creative_id": "c1"}],
            }
        ],
        "new_packages": [PACKAGE],
    },
    "get_media_buys": {
        "media_buy_ids": ["mb_target"],
        "status_filter": ["active"],
        "include_history": 2,
        "include_snapshot": True,
        "pagination": {"max_results": 2},
    },
    "get_media_buy_delivery": {
        "media_buy_ids": ["mb_target"],
        "status_filter": ["active"],
        "start_date": "2026-07-01",
        "end_date": "2026-07-02",
        "include_package_daily_breakdown": True,
    },
    "provide_performance_feedback": {
        "media_buy_id": "mb_target",
        "measurement_period": PERIOD,
        "performance_index": 1.0,
        "package_id": "mb_target_pkg_0",
        "metric_type": "conversion_rate",
    },
    "list_creative_formats": {
        "format_ids": [{"id": "video_30s"}],
        "type": "video",
        "asset_types": ["video"],
        "max_width": 10,
        "name_search": "x",
        "pagination": {"max_results": 1},
    },
    "sync_creatives": {
        "creatives": [
            {
                "creative_id": "c2",
                "name": "n",
                "format_id": {"id": "display_300x250"},
                "assets": {},
                "tags": ["t"],
                "provenance": {"digital_source_type": "digital_capture"},
            }
        ],
        "assignments": [{"creative_id": "c2", "package_id": "mb_target_pkg_0"}],
        "dry_run": False,
    },
    "list_creatives": {
        "creative_ids": ["c1"],
        "filters": {
            "statuses": ["approved"],
            "format_ids": [{"id": "x"}],
            "created_after": "2026-01-01T00:00:00Z",
            "unassigned": False,
            "tags": ["t"],
        },
        "sort": {"field": "name", "direction": "asc"},
        "pagination": {"max_results": 1},
    },
    "comply_test_controller": {
        "scenario": "seed_media_buy",
        "params": {
            "media_buy_id": "mb_seed",
            "fixture": {"status": "active", "packages": [{"budget": 1, "start_time": "2026-07-01T00:00:00Z"}]},
        },
    },
}
GARBAGE: list[Any] = [None, True, -1, 1.5, "", "x", [], [None], [{}], {}, {"x": [1]}]


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(value, dict):
        for key, member in value.items():
            yield from _leaves(member, (*path, key))
    elif isinstance(value, list):
        for index, member in enumerate(value):
            yield from _leaves(member, (*path, index))


def _replaced(value: Any, path: tuple[Any, ...], garbage: Any) -> Any:
    if not path:
        return garbage
    mutated = copy.deepcopy(value)
    target = mutated
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = garbage
    return mutated


@pytest.fixture
async def tenant() -> tuple[Tenant, Platform]:
    platform = Platform.create(FrozenClock(parse_instant("2026-06-01T12:00:00Z")))
    config = parse_config({"tenants": {"sales": {"factory": "trainer.tenants.sales:build"}}}, "<fuzz>")
    return await sales.build(TenantContext(TenantId("sales"), config, platform)), platform


@pytest.mark.parametrize("case", sorted(VALID))
async def test_garbage_anywhere_is_answered_not_crashed(tenant: tuple[Tenant, Platform], case: str) -> None:
    """Each leaf of a valid request, replaced by each kind of garbage, gets a result or a correctable named error."""
    built, platform = tenant
    tool_name = "get_products" if case == "refine" else case
    spec = built.tool(tool_name)
    assert spec is not None
    setup = built.tool("create_media_buy")
    assert setup is not None
    base = {
        "account": ACCOUNT,
        **FLIGHT,
        "packages": [PACKAGE],
        "media_buy_id": "mb_target",
        "idempotency_key": "fuzz-setup-buy-0000001",
    }
    await run_tool(setup, ToolCall("create_media_buy", base, TenantId("sales"), "anonymous", "setup", platform))
    valid = VALID[case]
    runs = 0
    for path in _leaves(valid):
        for garbage in GARBAGE:
            args = _replaced(valid, path, garbage)
            if not isinstance(args, dict):
                continue
            runs += 1
            full = {"account": {**ACCOUNT, "sandbox": True}, **args, "idempotency_key": f"fuzz-{case}-{runs:06d}-key"}
            outcome = await run_tool(
                spec, ToolCall(tool_name, full, TenantId("sales"), "anonymous", f"r{runs}", platform)
            )
            error = outcome.payload.get("adcp_error")
            assert not (error and error["code"] == "SERVICE_UNAVAILABLE"), (path, garbage, error)
            if error is not None:
                assert error.get("field") or error["code"] in {"IDEMPOTENCY_CONFLICT"}, (path, garbage, error)
            if tool_name == "comply_test_controller" and outcome.is_error:
                assert outcome.payload["error"] != "INTERNAL_ERROR", (path, garbage, outcome.payload)
    assert runs > 10
