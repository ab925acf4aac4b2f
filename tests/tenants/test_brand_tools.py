"""The /brand tenant over real HTTP: identity, rights search, acquisition, updates and approval."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import CallTool, Rpc, only_tenants
from trainer.config import Config
from trainer.platform import Platform

ACCOUNT = {"brand": {"domain": "acmeoutdoor.example"}, "operator": "pinnacle-agency.example"}
WEBHOOK = {"url": "https://pinnacle-agency.example/webhooks/revocation"}


@pytest.fixture
def trainer_config() -> Config:
    """Only the tenant under test: these tests need nothing else to boot."""
    return only_tenants("brand")


def _acquire_args(key: str, **campaign: Any) -> dict[str, Any]:
    return {
        "account": ACCOUNT,
        "rights_id": "janssen_likeness_voice",
        "pricing_option_id": "cpm_endorsement",
        "buyer": {"domain": "pinnacle-agency.example"},
        "campaign": {
            "description": "AI-generated display ads for Acme Outdoor summer trail gear campaign",
            "uses": ["likeness", "commercial"],
            "start_date": "2026-04-01",
            "end_date": "2026-06-30",
            **campaign,
        },
        "revocation_webhook": WEBHOOK,
        "idempotency_key": key,
        "context": {"correlation_id": key},
    }


async def test_tools_and_capabilities(call_tool: CallTool, rpc: Rpc) -> None:
    """The tenant lists the brand tools and declares the brand protocol with rights."""
    listed = await rpc("brand", "tools/list")
    names = [tool["name"] for tool in listed["result"]["tools"]]
    assert names[:5] == ["get_brand_identity", "get_rights", "acquire_rights", "update_rights", "creative_approval"]
    assert "comply_test_controller" not in names
    result = await call_tool("brand", "get_adcp_capabilities")
    assert result["structuredContent"]["supported_protocols"] == ["brand"]
    brand = result["structuredContent"]["brand"]
    assert brand["rights"] is True
    assert brand["right_types"] == ["talent"]
    assert "ai_generated_image" in brand["available_uses"]


async def test_unknown_brand_is_an_error_naming_brand_id(call_tool: CallTool) -> None:
    """An unknown brand_id is an adcp_error BRAND_NOT_FOUND with the context echoed."""
    result = await call_tool("brand", "get_brand_identity", {"brand_id": "nope", "context": {"correlation_id": "c1"}})
    assert result["isError"] is True
    error = result["structuredContent"]["adcp_error"]
    assert (error["code"], error["field"], error["recovery"]) == ("BRAND_NOT_FOUND", "brand_id", "correctable")
    assert result["structuredContent"]["context"] == {"correlation_id": "c1"}


async def test_rights_are_paginated(call_tool: CallTool) -> None:
    """get_rights pages its offerings with an opaque cursor present only while more remain."""
    args = {"query": "athlete", "uses": ["likeness"], "pagination": {"max_results": 3}}
    first = (await call_tool("brand", "get_rights", args))["structuredContent"]
    assert len(first["rights"]) == 3
    assert first["pagination"]["has_more"] is True
    cursor = first["pagination"]["cursor"]
    second = (await call_tool("brand", "get_rights", {**args, "pagination": {"cursor": cursor}}))["structuredContent"]
    assert [right["rights_id"] for right in second["rights"]] == ["tanaka_likeness_voice"]
    assert second["pagination"] == {"has_more": False, "total_count": 4}
    bad = await call_tool("brand", "get_rights", {**args, "pagination": {"cursor": "garbage"}})
    assert bad["structuredContent"]["adcp_error"]["field"] == "pagination.cursor"


async def test_acquire_then_update_then_approve(call_tool: CallTool) -> None:
    """A grant acquired under the buyer's brand is found by update_rights and creative_approval without an account."""
    acquired = await call_tool("brand", "acquire_rights", _acquire_args("acquire-key-0000001"))
    grant = acquired["structuredContent"]
    assert grant["status"] == "acquired"
    assert acquired["content"][0]["text"] == "Rights janssen_likeness_voice: acquired"
    updated = await call_tool(
        "brand",
        "update_rights",
        {"rights_id": grant["rights_id"], "end_date": "2026-08-31", "idempotency_key": "update-key-00000001"},
    )
    assert updated["structuredContent"]["terms"]["end_date"] == "2026-08-31"
    approval = await call_tool(
        "brand",
        "creative_approval",
        {"rights_id": grant["rights_id"], "creative_url": "https://cdn.pinnacle-agency.example/janssen.png"},
    )
    assert approval["structuredContent"]["status"] == "approved"


async def test_replayed_acquisition_returns_the_same_grant(call_tool: CallTool) -> None:
    """The same idempotency key replays the first answer, credentials included."""
    first = await call_tool("brand", "acquire_rights", _acquire_args("acquire-key-0000002"))
    again = await call_tool("brand", "acquire_rights", _acquire_args("acquire-key-0000002"))
    assert again["structuredContent"]["replayed"] is True
    assert again["structuredContent"]["generation_credentials"] == first["structuredContent"]["generation_credentials"]


async def test_expired_campaign_names_the_end_date(call_tool: CallTool) -> None:
    """Dates in the past, judged by the trainer clock, are rejected naming campaign.end_date."""
    result = await call_tool(
        "brand", "acquire_rights", _acquire_args("acquire-key-0000003", start_date="2024-01-01", end_date="2024-03-31")
    )
    assert result["isError"] is True
    assert result["structuredContent"]["adcp_error"]["field"] == "campaign.end_date"


async def test_acquisition_is_gated_by_the_buyers_governance_plan(call_tool: CallTool, platform: Platform) -> None:
    """A plan under the buyer's brand denies a projected commitment above its budget."""
    session = platform.sessions.get("open:acmeoutdoor.example")
    session.collection("governance_plans")["tiny"] = {"plan_id": "tiny", "budget": {"total": 50, "currency": "USD"}}
    result = await call_tool("brand", "acquire_rights", _acquire_args("acquire-key-0000004"))
    assert result["structuredContent"]["adcp_error"]["code"] == "GOVERNANCE_DENIED"
    assert result["structuredContent"]["context"] == {"correlation_id": "acquire-key-0000004"}


async def test_missing_idempotency_key_is_rejected(call_tool: CallTool) -> None:
    """acquire_rights is mutating: without a key it is INVALID_REQUEST on idempotency_key."""
    args = _acquire_args("unused-key-00000000")
    del args["idempotency_key"]
    result = await call_tool("brand", "acquire_rights", args)
    assert result["structuredContent"]["adcp_error"]["field"] == "idempotency_key"


@pytest.mark.parametrize(
    ("tool", "args", "field"),
    [
        ("get_brand_identity", {}, "brand_id"),
        ("get_rights", {"query": "athlete"}, "uses"),
        ("acquire_rights", {"idempotency_key": "bad-acquire-00000001"}, "rights_id"),
        (
            "update_rights",
            {"rights_id": "janssen_likeness_voice", "end_date": "soon", "idempotency_key": "bad-update-000000001"},
            "end_date",
        ),
        ("creative_approval", {"rights_id": "janssen_likeness_voice"}, "creative_url"),
    ],
)
async def test_bad_input_on_every_tool_names_the_field(
    call_tool: CallTool, tool: str, args: dict[str, Any], field: str
) -> None:
    """Each brand tool answers malformed input with an adcp_error naming the field."""
    result = await call_tool("brand", tool, args)
    assert result["isError"] is True
    assert result["structuredContent"]["adcp_error"]["field"] == field
