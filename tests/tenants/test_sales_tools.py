"""The /sales tenant over real HTTP: every tool, its schema, idempotency, bad input and session isolation."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import CallTool, Rpc, only_tenants
from tests.schemas import assert_schema_valid
from trainer.config import Config

ACCOUNT = {"brand": {"domain": "acmeoutdoor.example"}, "operator": "pinnacle-agency.example"}
SANDBOX = {**ACCOUNT, "sandbox": True}
FLIGHT = {"start_time": "2026-07-01T00:00:00Z", "end_time": "2026-07-31T00:00:00Z"}
PACKAGE = {"product_id": "test-product", "pricing_option_id": "test-pricing", "budget": 10000}


@pytest.fixture
def trainer_config() -> Config:
    """Only the tenant under test: these tests need nothing else to boot."""
    return only_tenants("sales")


async def _ok(call_tool: CallTool, tool: str, args: dict[str, Any]) -> dict[str, Any]:
    result = await call_tool("sales", tool, args)
    assert result.get("isError") is not True, result
    payload: dict[str, Any] = result["structuredContent"]
    assert_schema_valid(tool, {k: v for k, v in payload.items() if k != "replayed"})
    return payload


async def _error(call_tool: CallTool, tool: str, args: dict[str, Any]) -> dict[str, Any]:
    result = await call_tool("sales", tool, args)
    assert result.get("isError") is True, result
    error: dict[str, Any] = result["structuredContent"]["adcp_error"]
    return error


async def _create(call_tool: CallTool, key: str, **overrides: Any) -> dict[str, Any]:
    args = {"account": ACCOUNT, "brand": ACCOUNT["brand"], **FLIGHT, "packages": [PACKAGE], "idempotency_key": key}
    return await _ok(call_tool, "create_media_buy", {**args, **overrides})


async def test_tools_and_capabilities(rpc: Rpc, call_tool: CallTool) -> None:
    """The tenant serves the reference's /sales tools and declares media_buy with its portfolio and scenarios."""
    listed = await rpc("sales", "tools/list")
    names = [tool["name"] for tool in listed["result"]["tools"]]
    assert names == [
        "get_products",
        "create_media_buy",
        "update_media_buy",
        "get_media_buys",
        "get_media_buy_delivery",
        "provide_performance_feedback",
        "list_creative_formats",
        "sync_creatives",
        "list_creatives",
        "sync_accounts",
        "comply_test_controller",
        "get_adcp_capabilities",
        "tasks_get",
    ]
    capabilities = (await call_tool("sales", "get_adcp_capabilities"))["structuredContent"]
    assert capabilities["supported_protocols"] == ["media_buy", "creative"]
    assert len(capabilities["media_buy"]["portfolio"]["publisher_domains"]) == 12
    assert "force_media_buy_status" in capabilities["compliance_testing"]["scenarios"]


async def test_brief_answers_five_products_with_text(call_tool: CallTool) -> None:
    """A brief answers five ranked products, the human text saying so, and echoes the context."""
    result = await call_tool(
        "sales",
        "get_products",
        {
            "brief": "Video on outdoor lifestyle programming",
            "brand": ACCOUNT["brand"],
            "context": {"correlation_id": "c1"},
        },
    )
    assert result["content"][0]["text"].startswith("Found ")
    payload = result["structuredContent"]
    assert_schema_valid(
        "get_products", {k: v for k, v in payload.items() if k != "context"} | {"context": payload["context"]}
    )
    assert payload["products"][0]["product_id"] == "pinnacle_lifestyle_video"
    assert payload["context"] == {"correlation_id": "c1"}


async def test_buy_lifecycle_over_http(call_tool: CallTool) -> None:
    """Create, update, read, deliver and give feedback: each answer is schema-valid and consistent."""
    created = await _create(call_tool, "tools-lifecycle-create-0001")
    assert created["status"] == "pending_creatives"
    assert created["idempotency_key"] == "tools-lifecycle-create-0001"
    media_buy_id = created["media_buy_id"]
    updated = await _ok(
        call_tool,
        "update_media_buy",
        {
            "account": ACCOUNT,
            "media_buy_id": media_buy_id,
            "paused": True,
            "idempotency_key": "tools-lifecycle-pause-0001",
        },
    )
    assert updated["revision"] == 2
    read = await _ok(
        call_tool, "get_media_buys", {"account": ACCOUNT, "media_buy_ids": [media_buy_id], "include_history": 5}
    )
    assert [entry["action"] for entry in read["media_buys"][0]["history"]] == ["paused", "created"]
    delivery = await _ok(call_tool, "get_media_buy_delivery", {"account": ACCOUNT, "media_buy_ids": [media_buy_id]})
    assert delivery["media_buy_deliveries"][0]["totals"]["spend"] == 0
    feedback = await _ok(
        call_tool,
        "provide_performance_feedback",
        {
            "media_buy_id": media_buy_id,
            "measurement_period": {"start": "2026-07-01T00:00:00Z", "end": "2026-07-08T00:00:00Z"},
            "performance_index": 1.2,
            "idempotency_key": "tools-lifecycle-feedback-0001",
        },
    )
    assert feedback["success"] is True


async def test_create_replays_and_conflicts_on_its_idempotency_key(call_tool: CallTool) -> None:
    """The same key and payload replays the same buy; the same key with another payload is IDEMPOTENCY_CONFLICT."""
    first = await _create(call_tool, "tools-replay-key-000001", context={"correlation_id": "a"})
    replay = await call_tool(
        "sales",
        "create_media_buy",
        {
            "account": ACCOUNT,
            "brand": ACCOUNT["brand"],
            **FLIGHT,
            "packages": [PACKAGE],
            "idempotency_key": "tools-replay-key-000001",
            "context": {"correlation_id": "b"},
        },
    )
    replayed = replay["structuredContent"]
    assert (replayed["media_buy_id"], replayed["replayed"], replayed["context"]) == (
        first["media_buy_id"],
        True,
        {"correlation_id": "b"},
    )
    conflict = await _error(
        call_tool,
        "create_media_buy",
        {
            "account": ACCOUNT,
            "brand": ACCOUNT["brand"],
            **FLIGHT,
            "packages": [{**PACKAGE, "budget": 25000}],
            "idempotency_key": "tools-replay-key-000001",
        },
    )
    assert conflict == {"code": "IDEMPOTENCY_CONFLICT", "message": conflict["message"]}
    listed = await _ok(call_tool, "get_media_buys", {"account": ACCOUNT, "status_filter": ["pending_creatives"]})
    assert listed["pagination"]["total_count"] == 1


async def test_creatives_formats_and_assignment_over_http(call_tool: CallTool) -> None:
    """A product's format resolves in list_creative_formats, syncs as a creative, and assigns to a package."""
    products = await _ok(call_tool, "get_products", {"brief": "display on outdoor lifestyle", "account": ACCOUNT})
    format_ref = products["products"][0]["format_ids"][0]
    formats = await _ok(call_tool, "list_creative_formats", {"format_ids": [format_ref]})
    assert formats["formats"][0]["format_id"] == format_ref
    created = await _create(call_tool, "tools-creative-create-0001")
    package_id = created["packages"][0]["package_id"]
    synced = await _ok(
        call_tool,
        "sync_creatives",
        {
            "account": ACCOUNT,
            "creatives": [{"creative_id": "acme_banner", "name": "Acme banner", "format_id": format_ref, "assets": {}}],
            "assignments": [{"creative_id": "acme_banner", "package_id": package_id}],
            "idempotency_key": "tools-creative-sync-0001",
        },
    )
    assert synced["creatives"][0]["assigned_to"] == [package_id]
    listed = await _ok(call_tool, "list_creatives", {"account": ACCOUNT, "filters": {"creative_ids": ["acme_banner"]}})
    assert listed["creatives"][0]["assignments"]["assignment_count"] == 1
    read = await _ok(call_tool, "get_media_buys", {"account": ACCOUNT, "media_buy_ids": [created["media_buy_id"]]})
    assert read["media_buys"][0]["status"] == "pending_start"


async def test_forced_arm_submits_a_task_the_controller_completes(call_tool: CallTool) -> None:
    """A forced submitted arm answers create with a task that tasks_get shows until the controller completes it."""
    forced = await call_tool(
        "sales",
        "comply_test_controller",
        {
            "scenario": "force_create_media_buy_arm",
            "params": {"arm": "submitted", "task_id": "task_io_9", "message": "Awaiting IO"},
            "account": SANDBOX,
        },
    )
    assert forced["structuredContent"]["forced"]["task_id"] == "task_io_9"
    submitted = await call_tool(
        "sales",
        "create_media_buy",
        {"account": ACCOUNT, **FLIGHT, "packages": [PACKAGE], "idempotency_key": "tools-async-create-0001"},
    )
    assert submitted["structuredContent"] == {"status": "submitted", "task_id": "task_io_9", "message": "Awaiting IO"}
    assert submitted["content"][0]["text"] == "Task task_io_9 submitted"
    task = await call_tool("sales", "tasks_get", {"task_id": "task_io_9"})
    assert task["structuredContent"]["status"] == "submitted"
    await call_tool(
        "sales",
        "comply_test_controller",
        {
            "scenario": "force_task_completion",
            "params": {"task_id": "task_io_9", "result": {"media_buy_id": "mb_signed"}},
            "account": SANDBOX,
        },
    )
    task = await call_tool("sales", "tasks_get", {"task_id": "task_io_9"})
    assert (task["structuredContent"]["status"], task["structuredContent"]["result"]) == (
        "completed",
        {"media_buy_id": "mb_signed"},
    )


BAD_INPUT = [
    ("get_products", {"buying_mode": "haggle"}, "INVALID_REQUEST", "buying_mode"),
    ("get_products", {"brief": {"text": "x"}}, "INVALID_REQUEST", "brief"),
    (
        "create_media_buy",
        {**FLIGHT, "packages": [{**PACKAGE, "budget": "much"}]},
        "INVALID_REQUEST",
        "packages[0].budget",
    ),
    (
        "create_media_buy",
        {**FLIGHT, "packages": [{**PACKAGE, "product_id": 7}]},
        "INVALID_REQUEST",
        "packages[0].product_id",
    ),
    ("create_media_buy", {"start_time": 5, "end_time": [], "packages": [PACKAGE]}, "INVALID_REQUEST", "start_time"),
    ("update_media_buy", {"media_buy_id": ["mb_1"]}, "INVALID_REQUEST", "media_buy_id"),
    ("get_media_buys", {"media_buy_ids": [1, 2]}, "INVALID_REQUEST", "media_buy_ids"),
    ("get_media_buys", {"pagination": "next"}, "INVALID_REQUEST", "pagination"),
    ("get_media_buy_delivery", {"media_buy_ids": "mb_1"}, "INVALID_REQUEST", "media_buy_ids"),
    (
        "provide_performance_feedback",
        {"media_buy_id": "mb_1", "measurement_period": "last week"},
        "INVALID_REQUEST",
        "measurement_period",
    ),
    ("list_creative_formats", {"format_ids": [{"name": "x"}]}, "INVALID_REQUEST", "format_ids[0]"),
    ("sync_creatives", {"creatives": [{"creative_id": None}]}, "INVALID_REQUEST", "creatives[0].creative_id"),
    ("list_creatives", {"filters": {"statuses": [1]}}, "INVALID_REQUEST", "filters.statuses"),
]


@pytest.mark.parametrize(("tool", "args", "code", "field"), BAD_INPUT, ids=[f"{t}-{f}" for t, _, _, f in BAD_INPUT])
async def test_bad_input_is_an_adcp_error_naming_the_field(
    call_tool: CallTool, tool: str, args: dict[str, Any], code: str, field: str
) -> None:
    """Bad input on every tool is an adcp_error with the code and field, never a crash."""
    mutating = tool in {"create_media_buy", "update_media_buy", "provide_performance_feedback", "sync_creatives"}
    full = {
        "account": ACCOUNT,
        **args,
        **({"idempotency_key": re.sub(r"[^A-Za-z0-9_.:-]", "-", f"bad-input-{tool}-{field}")} if mutating else {}),
    }
    error = await _error(call_tool, tool, full)
    assert (error["code"], error["field"]) == (code, field)
    assert error["recovery"] == "correctable"


async def test_one_brand_cannot_touch_another_brands_buys(call_tool: CallTool) -> None:
    """A buy under one brand is invisible to another brand's reads and updates, and unchanged by them."""
    created = await _create(call_tool, "tools-isolation-create-01")
    rival = {"brand": {"domain": "rival.example"}, "operator": "rival.example"}
    listed = await _ok(call_tool, "get_media_buys", {"account": rival, "media_buy_ids": [created["media_buy_id"]]})
    assert listed["media_buys"] == []
    error = await _error(
        call_tool,
        "update_media_buy",
        {
            "account": rival,
            "media_buy_id": created["media_buy_id"],
            "canceled": True,
            "idempotency_key": "tools-isolation-cancel-01",
        },
    )
    assert error["code"] == "MEDIA_BUY_NOT_FOUND"
    delivery = await _error(
        call_tool, "get_media_buy_delivery", {"account": rival, "media_buy_ids": [created["media_buy_id"]]}
    )
    assert delivery["code"] == "MEDIA_BUY_NOT_FOUND"
    mine = await _ok(call_tool, "get_media_buys", {"account": ACCOUNT, "media_buy_ids": [created["media_buy_id"]]})
    assert mine["media_buys"][0]["status"] == "pending_creatives"
