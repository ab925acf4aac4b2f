"""Account resolution and sync_accounts rows, billing gates and dry runs."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.adcp.conftest import MakeCall
from trainer.adcp.accounts import resolve_account, sync_accounts
from trainer.adcp.errors import AdcpError

ACME = {"domain": "acme.example"}


@pytest.mark.parametrize(
    ("ref", "account_id"),
    [
        (None, "public_sandbox"),
        ("not an object", "public_sandbox"),
        ({"account_id": "acc_1"}, "acc_1"),
        ({"brand": {"domain": "acme.example"}, "operator": "op.example"}, "synthetic_acme.example"),
        ({"account_id": "acc_1", "brand": {"domain": "acme.example"}}, "acc_1"),
        ({"operator": "op.example"}, "synthetic_anon"),
    ],
)
def test_every_reference_resolves_to_an_active_sandbox_account(ref: object, account_id: str) -> None:
    """resolve_account never fails: public_sandbox, the given id, or synthetic_<domain>."""
    account = resolve_account(ref)
    assert account["account_id"] == account_id
    assert account["status"] == "active"
    assert account["sandbox"] is True


async def sync(make_call: MakeCall, rows: list[Any], principal: str = "static:public", **extra: Any) -> dict[str, Any]:
    reply = await sync_accounts(make_call("sync_accounts", {"accounts": rows, **extra}, principal=principal))
    assert isinstance(reply, dict)
    return reply


async def test_sandbox_row_is_created_active(make_call: MakeCall) -> None:
    """A sandbox row gets an acc_<domain>_<8hex> id, status active and the sandbox rate card."""
    reply = await sync(make_call, [{"brand": ACME, "operator": "op.example", "billing": "operator", "sandbox": True}])
    row = reply["accounts"][0]
    assert re.fullmatch(r"acc_acme_example_[0-9a-f]{8}", row["account_id"])
    assert row | {"account_id": "x"} == {
        "account_id": "x",
        "brand": ACME,
        "operator": "op.example",
        "name": "acme.example (via op.example)",
        "action": "created",
        "status": "active",
        "billing": "operator",
        "account_scope": "operator_brand",
        "payment_terms": "net_30",
        "rate_card": "sandbox",
        "sandbox": True,
    }


async def test_non_sandbox_row_is_pending_with_setup(make_call: MakeCall) -> None:
    """A non-sandbox row is pending_approval with a setup link, credit limit and standard rate card."""
    entity = {"legal_name": "Acme Inc", "bank": {"iban": "DE00"}}
    rows = [
        {
            "brand": ACME,
            "operator": "op.example",
            "billing": "agent",
            "billing_entity": entity,
            "payment_terms": "net_60",
        }
    ]
    row = (await sync(make_call, rows))["accounts"][0]
    assert row["status"] == "pending_approval"
    assert row["setup"]["url"].endswith(f"/account-setup/{row['account_id']}")
    assert row["setup"]["expires_at"] == "2026-06-08T12:00:00.000Z"
    assert row["credit_limit"] == {"amount": 100000, "currency": "USD"}
    assert row["rate_card"] == "standard"
    assert row["payment_terms"] == "net_60"
    assert row["billing_entity"] == {"legal_name": "Acme Inc"}
    assert "sandbox" not in row


async def test_resync_updates_the_same_account(make_call: MakeCall) -> None:
    """Syncing the same brand and operator again keeps the id and reports updated."""
    rows = [{"brand": ACME, "operator": "op.example", "billing": "operator", "sandbox": True}]
    first = (await sync(make_call, rows))["accounts"][0]
    second = (await sync(make_call, rows))["accounts"][0]
    assert second["account_id"] == first["account_id"]
    assert second["action"] == "updated"


@pytest.mark.parametrize(
    ("row", "principal", "code"),
    [
        ({"brand": {}, "operator": "op.example", "billing": "operator"}, "static:public", "INVALID_REQUEST"),
        ({"brand": ACME, "billing": "operator"}, "static:public", "INVALID_REQUEST"),
        (
            {"brand": ACME, "operator": "op.example", "billing": "operator", "payment_terms": "net_7"},
            "static:public",
            "PAYMENT_TERMS_NOT_SUPPORTED",
        ),
        ({"brand": ACME, "operator": "op.example", "billing": "barter"}, "static:public", "BILLING_NOT_SUPPORTED"),
        (
            {"brand": ACME, "operator": "agency-no-direct-billing.example", "billing": "operator"},
            "static:public",
            "BILLING_NOT_SUPPORTED",
        ),
        (
            {"brand": ACME, "operator": "op.example", "billing": "agent"},
            "static:demo:demo-billing-passthrough-v1",
            "BILLING_NOT_PERMITTED_FOR_AGENT",
        ),
        (
            {"brand": ACME, "operator": "op.example", "billing": "advertiser"},
            "static:demo:demo-billing-passthrough-v1",
            "BILLING_NOT_PERMITTED_FOR_AGENT",
        ),
    ],
)
async def test_row_errors_stay_inside_the_reply(
    make_call: MakeCall, row: dict[str, Any], principal: str, code: str
) -> None:
    """A rejected row is action failed, status rejected, with its error; the call still succeeds."""
    result = (await sync(make_call, [row], principal=principal))["accounts"][0]
    assert result["action"] == "failed"
    assert result["status"] == "rejected"
    assert result["errors"][0]["code"] == code


async def test_billing_gate_details(make_call: MakeCall) -> None:
    """The billing gates carry the reference's details and a correctable recovery."""
    rows = [
        {"brand": ACME, "operator": "agency-no-direct-billing.example", "billing": "operator"},
        {"brand": ACME, "operator": "agency-no-direct-billing.example", "billing": "agent", "sandbox": True},
    ]
    scoped, allowed = (await sync(make_call, rows))["accounts"]
    assert scoped["errors"][0]["details"] == {
        "scope": "account",
        "supported_billing": ["agent", "operator", "advertiser"],
    }
    assert scoped["errors"][0]["recovery"] == "correctable"
    assert allowed["status"] == "active"
    passthrough = [{"brand": ACME, "operator": "op.example", "billing": "agent"}]
    rejected = (await sync(make_call, passthrough, principal="static:demo:demo-billing-passthrough-v1"))["accounts"][0]
    assert rejected["errors"][0]["details"] == {"rejected_billing": "agent", "suggested_billing": "operator"}
    operator_ok = [{"brand": ACME, "operator": "op.example", "billing": "operator", "sandbox": True}]
    accepted = (await sync(make_call, operator_ok, principal="static:demo:demo-billing-passthrough-v1"))["accounts"][0]
    assert accepted["status"] == "active"


async def test_dry_run_previews_without_storing(make_call: MakeCall) -> None:
    """dry_run answers what would happen, with no account_id, and stores nothing."""
    rows = [{"brand": ACME, "operator": "op.example", "billing": "operator", "sandbox": True}]
    preview = await sync(make_call, rows, dry_run=True)
    assert preview["dry_run"] is True
    assert preview["accounts"][0]["action"] == "created"
    assert "account_id" not in preview["accounts"][0]
    real = await sync(make_call, rows)
    assert real["accounts"][0]["action"] == "created"


async def test_accounts_are_per_principal(make_call: MakeCall) -> None:
    """Two callers syncing the same brand get two accounts."""
    rows = [{"brand": ACME, "operator": "op.example", "billing": "operator", "sandbox": True}]
    a = (await sync(make_call, rows, principal="static:demo:demo-a-v1"))["accounts"][0]
    b = (await sync(make_call, rows, principal="static:demo:demo-b-v1"))["accounts"][0]
    assert a["account_id"] != b["account_id"]
    assert b["action"] == "created"
    assert make_call("x", {}).platform.accounts.find("static:demo:demo-a-v1", a["account_id"]) is not None


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({}, "accounts"),
        ({"accounts": []}, "accounts"),
        ({"accounts": "x"}, "accounts"),
        ({"accounts": [{}], "dry_run": "yes"}, "dry_run"),
    ],
)
async def test_malformed_request_names_the_field(make_call: MakeCall, args: dict[str, Any], field: str) -> None:
    """A missing or empty accounts array, or a non-boolean dry_run, is INVALID_REQUEST."""
    with pytest.raises(AdcpError) as raised:
        await sync_accounts(make_call("sync_accounts", args))
    assert raised.value.code == "INVALID_REQUEST"
    assert raised.value.field == field
