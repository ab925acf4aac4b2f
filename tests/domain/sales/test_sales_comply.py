"""The media-buy comply_test_controller scenarios, run through the shared controller tool."""

from __future__ import annotations

from typing import Any

import pytest

from tests.domain.sales.conftest import ACCOUNT, NOW, buy_args, package
from trainer.adcp.comply import comply_tool
from trainer.adcp.pipeline import run_tool
from trainer.clock import FrozenClock
from trainer.domain.sales import media_buys
from trainer.domain.sales.comply import media_buy_scenarios, scenario
from trainer.domain.sales.seller import SalesDomain
from trainer.platform import Platform
from trainer.tenant import JsonObject, TenantId, ToolCall

SANDBOX = {**ACCOUNT, "sandbox": True}


@pytest.fixture
def platform() -> Platform:
    return Platform.create(FrozenClock(NOW))


@pytest.fixture
def control(domain: SalesDomain, platform: Platform) -> Any:
    """Run one controller scenario for the acme sandbox account and return (payload, is_error)."""
    tool = comply_tool(media_buy_scenarios(domain))

    async def run(name: str, account: dict[str, Any] | None = None, **params: Any) -> tuple[JsonObject, bool]:
        args = {"scenario": name, "params": params, "account": account or SANDBOX}
        outcome = await run_tool(
            tool, ToolCall("comply_test_controller", args, TenantId("sales"), "anonymous", "r1", platform)
        )
        return outcome.payload, outcome.is_error

    return run


def _session(platform: Platform) -> Any:
    return platform.sessions.for_args({"account": ACCOUNT})


def _create(domain: SalesDomain, platform: Platform, **overrides: Any) -> str:
    reply = media_buys.create_media_buy(domain.seller, _session(platform), buy_args(**overrides), now=NOW)
    assert isinstance(reply, dict)
    media_buy_id: str = reply["media_buy_id"]
    return media_buy_id


def test_listed_scenarios_fit_the_capabilities_schema(domain: SalesDomain) -> None:
    """Only the scenarios the 3.0 capabilities enum allows are listed; the arm, task and seeds are unlisted."""
    listed = [s.name for s in media_buy_scenarios(domain) if s.listed]
    assert listed == [
        "force_creative_status",
        "force_media_buy_status",
        "force_account_status",
        "simulate_delivery",
        "simulate_budget_spend",
    ]
    assert scenario(media_buy_scenarios(domain), "seed_product").listed is False


async def test_force_media_buy_status_walks_the_table(domain: SalesDomain, platform: Platform, control: Any) -> None:
    """A fresh buy forces to active then completed; leaving completed is INVALID_TRANSITION."""
    media_buy_id = _create(domain, platform)
    payload, error = await control("force_media_buy_status", media_buy_id=media_buy_id, status="active")
    assert (payload["previous_state"], payload["current_state"], error) == ("pending_creatives", "active", False)
    payload, _ = await control("force_media_buy_status", media_buy_id=media_buy_id, status="completed")
    assert payload["current_state"] == "completed"
    payload, error = await control("force_media_buy_status", media_buy_id=media_buy_id, status="active")
    assert error is True
    assert (payload["error"], payload["current_state"]) == ("INVALID_TRANSITION", "completed")


async def test_the_controller_addresses_entities_by_id(domain: SalesDomain, platform: Platform, control: Any) -> None:
    """A buy is found by id whichever account the call names, or none; an unknown id is NOT_FOUND."""
    media_buy_id = _create(domain, platform)
    other = {"brand": {"domain": "test.example"}, "operator": "test.example", "sandbox": True}
    payload, error = await control("force_media_buy_status", account=other, media_buy_id=media_buy_id, status="active")
    assert (error, payload["current_state"]) == (False, "active")
    tool = comply_tool(media_buy_scenarios(domain))
    args = {"scenario": "force_media_buy_status", "params": {"media_buy_id": media_buy_id, "status": "completed"}}
    outcome = await run_tool(
        tool, ToolCall("comply_test_controller", args, TenantId("sales"), "anonymous", "r2", platform)
    )
    assert (outcome.is_error, outcome.payload["current_state"]) == (False, "completed")
    payload, error = await control("force_media_buy_status", media_buy_id="mb_missing", status="active")
    assert (error, payload["error"]) == (True, "NOT_FOUND")


async def test_simulations_accumulate_and_refuse_terminal_buys(
    domain: SalesDomain, platform: Platform, control: Any
) -> None:
    """simulate_delivery accumulates; simulate_budget_spend records a share; a canceled buy takes no delivery."""
    media_buy_id = _create(domain, platform)
    await control("simulate_delivery", media_buy_id=media_buy_id, impressions=100, clicks=2)
    payload, _ = await control("simulate_delivery", media_buy_id=media_buy_id, impressions=50)
    assert payload["cumulative"] == {"impressions": 150, "clicks": 2}
    payload, _ = await control("simulate_budget_spend", media_buy_id=media_buy_id, spend_percentage=95)
    assert payload["simulated"]["media_buys"][0]["spend"] == 9500.0
    payload, error = await control("simulate_budget_spend", media_buy_id=media_buy_id, spend_percentage=150)
    assert (error, payload["error"]) == (True, "INVALID_PARAMS")
    await control("force_media_buy_status", media_buy_id=media_buy_id, status="canceled")
    payload, error = await control("simulate_delivery", media_buy_id=media_buy_id, impressions=1)
    assert (error, payload["error"]) == (True, "INVALID_STATE")


async def test_forced_arm_is_single_shot_and_tasks_complete(
    domain: SalesDomain, platform: Platform, control: Any
) -> None:
    """The forced arm answers one create; its task completes once, idempotently, and never for another owner."""
    payload, _ = await control(
        "force_create_media_buy_arm", arm="submitted", task_id="task_io_7", message="Awaiting IO"
    )
    assert payload["forced"] == {"arm": "submitted", "task_id": "task_io_7"}
    session = _session(platform)
    result = media_buys.create_media_buy(domain.seller, session, buy_args(), now=NOW)
    assert isinstance(result, media_buys.Submitted)
    assert isinstance(media_buys.create_media_buy(domain.seller, session, buy_args(), now=NOW), dict)
    platform.tasks.submit("create_media_buy", session.key, result.message, result.task_id)
    done = {"media_buy_id": "mb_signed"}
    payload, _ = await control("force_task_completion", task_id="task_io_7", result=done)
    assert payload["current_state"] == "completed"
    assert (await control("force_task_completion", task_id="task_io_7", result=done))[1] is False
    payload, error = await control("force_task_completion", task_id="task_io_7", result={"media_buy_id": "other"})
    assert (error, payload["error"]) == (True, "INVALID_TRANSITION")
    other = {"brand": {"domain": "rival.example"}, "operator": "rival.example", "sandbox": True}
    payload, error = await control("force_task_completion", account=other, task_id="task_io_7", result=done)
    assert (error, payload["error"]) == (True, "NOT_FOUND")
    payload, error = await control("force_create_media_buy_arm", arm="input-required")
    assert (error, payload["error"]) == (True, "INVALID_PARAMS")


async def test_seeds_land_in_the_account_session(domain: SalesDomain, platform: Platform, control: Any) -> None:
    """Seeded media buys, creatives, formats and products are visible to the account's reads."""
    buy = {"status": "active", "currency": "USD", "packages": [{"package_id": "p1", "budget": 500}]}
    payload, error = await control("seed_media_buy", media_buy_id="pagination_integrity_mb_1", fixture=buy)
    assert (error, payload["message"]) == (False, "Fixture seeded")
    stored = media_buys.find(_session(platform), "pagination_integrity_mb_1")
    assert stored is not None
    assert (stored["status"], stored["forced"], stored["packages"][0]["package_id"]) == ("active", True, "p1")
    payload, error = await control(
        "seed_media_buy", media_buy_id="pagination_integrity_mb_1", fixture={**buy, "currency": "EUR"}
    )
    assert (error, payload["error"]) == (True, "INVALID_PARAMS")
    await control("seed_creative", creative_id="hero", fixture={"status": "approved", "format_id": {"id": "vast_30s"}})
    listed = domain.library.list_creatives(_session(platform), {}, now=NOW)
    assert [c["creative_id"] for c in listed["creatives"]] == ["hero"]
    await control("seed_creative_format", format_id="custom_format", fixture={"name": "Custom"})
    formats = domain.formats.list_formats(_session(platform), {})
    assert [f["format_id"]["id"] for f in formats["formats"]] == ["custom_format"]
    await control("seed_product", product_id="outdoor_video_q2", fixture={"channels": ["video"]})
    await control(
        "seed_pricing_option",
        product_id="outdoor_video_q2",
        pricing_option_id="cpm_standard",
        fixture={"fixed_price": 12},
    )
    reply = media_buys.create_media_buy(
        domain.seller,
        _session(platform),
        buy_args(packages=[package(product_id="outdoor_video_q2", pricing_option_id="cpm_standard")]),
        now=NOW,
    )
    assert isinstance(reply, dict)


async def test_force_creative_status_follows_the_creative_table(
    domain: SalesDomain, platform: Platform, control: Any
) -> None:
    """approved -> archived is allowed, archived -> processing is not, rejected needs a reason."""
    await control("seed_creative", creative_id="c1", fixture={"status": "approved"})
    payload, _ = await control("force_creative_status", creative_id="c1", status="archived")
    assert payload["current_state"] == "archived"
    payload, error = await control("force_creative_status", creative_id="c1", status="processing")
    assert (error, payload["error"], payload["current_state"]) == (True, "INVALID_TRANSITION", "archived")
    payload, error = await control("force_creative_status", creative_id="c1", status="rejected")
    assert (error, payload["error"]) == (True, "INVALID_PARAMS")
    payload, error = await control("force_creative_status", creative_id="ghost", status="approved")
    assert (error, payload["error"]) == (True, "NOT_FOUND")
