"""Account resolution and ``sync_accounts`` (reference sections 2.0, 3.2 and 6).

Every account reference resolves to an active sandbox account, so no tool ever answers
ACCOUNT_NOT_FOUND. ``sync_accounts`` provisions accounts per row, with the reference's billing
gates, and keeps them in process memory per caller and session.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Final

import attrs

from trainer.adcp.errors import invalid
from trainer.adcp.sessions import session_key
from trainer.clock import Clock, iso
from trainer.tenant import ToolCall, ToolResult

PUBLIC_SANDBOX_ID: Final = "public_sandbox"
SUPPORTED_BILLINGS: Final = ("agent", "operator", "advertiser")
SUPPORTED_PAYMENT_TERMS: Final = ("net_15", "net_30", "net_45", "net_60", "net_90", "prepay")
DEFAULT_PAYMENT_TERMS: Final = "net_30"
# Operators under this suffix have no direct billing relationship for `operator` billing: the
# reference's convention for exercising BILLING_NOT_SUPPORTED with scope "account".
NO_DIRECT_BILLING_SUFFIX: Final = "-no-direct-billing.example"
# Demo bearers onboarded as passthrough-only: only operator billing is permitted for them.
PASSTHROUGH_PRINCIPAL_PREFIX: Final = "static:demo:demo-billing-passthrough-"
SETUP_LINK_TTL: Final = timedelta(days=7)
NON_SANDBOX_CREDIT_LIMIT: Final[Mapping[str, Any]] = {"amount": 100000, "currency": "USD"}
MAX_ROWS: Final = 1000


def resolve_account(ref: object) -> dict[str, Any]:
    """Return the account a reference names: always an active sandbox account.

    No reference gives ``public_sandbox``; otherwise the id is ``ref.account_id`` or
    ``synthetic_<brand.domain>`` (``synthetic_anon`` without a domain).
    """
    if not isinstance(ref, Mapping):
        return {"account_id": PUBLIC_SANDBOX_ID, "name": "Public Sandbox", "status": "active", "sandbox": True}
    brand = ref.get("brand")
    domain = brand.get("domain") if isinstance(brand, Mapping) else None
    account_id = ref.get("account_id")
    if not isinstance(account_id, str) or not account_id:
        account_id = f"synthetic_{domain if isinstance(domain, str) and domain else 'anon'}"
    account: dict[str, Any] = {"account_id": account_id, "name": account_id, "status": "active", "sandbox": True}
    if isinstance(brand, Mapping):
        account["brand"] = dict(brand)
    operator = ref.get("operator")
    if isinstance(operator, str):
        account["operator"] = operator
    return account


@attrs.define
class AccountStore:
    """Accounts created by ``sync_accounts``, per caller and session (reference section 3.2).

    Attributes:
        clock: stamps setup-link expiry.
        setup_base_url: where a pending account's ``setup.url`` points.
    """

    clock: Clock
    setup_base_url: str = "http://localhost"
    # (principal, session key) -> "<domain>[:<brand_id>]::<operator>" -> stored row.
    _accounts: dict[tuple[str, str], dict[str, dict[str, Any]]] = attrs.field(factory=dict, init=False)

    def scoped(self, principal: str, key: str) -> dict[str, dict[str, Any]]:
        """Return the mutable accounts of one caller in one session, creating the map if new."""
        return self._accounts.setdefault((principal, key), {})

    def find(self, principal: str, account_id: str) -> dict[str, Any] | None:
        """Return a caller's account by id, across sessions."""
        for (owner, _), accounts in self._accounts.items():
            if owner != principal:
                continue
            for account in accounts.values():
                if account.get("account_id") == account_id:
                    return account
        return None

    def all_for(self, principal: str) -> list[dict[str, Any]]:
        """Return every account a caller synced, oldest first."""
        return [
            account
            for (owner, _), accounts in self._accounts.items()
            if owner == principal
            for account in accounts.values()
        ]

    def clear(self) -> None:
        """Forget every account."""
        self._accounts.clear()


def _natural_key(brand: Mapping[str, Any], operator: str) -> str:
    brand_id = brand.get("brand_id")
    brand_part = f"{brand['domain']}:{brand_id}" if brand_id else str(brand["domain"])
    return f"{brand_part}::{operator}"


def _failed(row: Mapping[str, Any], code: str, message: str, **extra: Any) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message, **extra}
    return {
        "brand": row.get("brand"),
        "operator": row.get("operator"),
        "action": "failed",
        "status": "rejected",
        "errors": [error],
    }


def _billing_error(row: Mapping[str, Any], principal: str) -> dict[str, Any] | None:
    """Return the failed row for a billing model this caller may not use here, or None."""
    billing = row.get("billing")
    operator = str(row.get("operator"))
    if billing not in SUPPORTED_BILLINGS:
        return _failed(
            row,
            "BILLING_NOT_SUPPORTED",
            f"Billing model '{billing}' is not supported by this seller. Supported: {', '.join(SUPPORTED_BILLINGS)}.",
            recovery="correctable",
            details={"scope": "capability", "supported_billing": list(SUPPORTED_BILLINGS)},
        )
    if billing == "operator" and operator.endswith(NO_DIRECT_BILLING_SUFFIX):
        return _failed(
            row,
            "BILLING_NOT_SUPPORTED",
            f"Operator '{operator}' has no direct billing relationship for '{billing}' billing. "
            "Try a different supported value.",
            recovery="correctable",
            details={"scope": "account", "supported_billing": list(SUPPORTED_BILLINGS)},
        )
    if principal.startswith(PASSTHROUGH_PRINCIPAL_PREFIX) and billing != "operator":
        return _failed(
            row,
            "BILLING_NOT_PERMITTED_FOR_AGENT",
            "This buyer agent is onboarded as passthrough-only; only operator billing is permitted.",
            recovery="correctable",
            details={"rejected_billing": billing, "suggested_billing": "operator"},
        )
    return None


def _sync_row(
    row: Mapping[str, Any], accounts: dict[str, dict[str, Any]], call: ToolCall, *, dry_run: bool
) -> dict[str, Any]:
    brand = row.get("brand")
    if not isinstance(brand, Mapping) or not isinstance(brand.get("domain"), str) or not brand["domain"]:
        return _failed(row, "INVALID_REQUEST", "brand.domain is required")
    operator = row.get("operator")
    if not isinstance(operator, str) or not operator:
        return _failed(row, "INVALID_REQUEST", "operator is required")
    terms = row.get("payment_terms")
    if terms is not None and terms not in SUPPORTED_PAYMENT_TERMS:
        return _failed(
            row,
            "PAYMENT_TERMS_NOT_SUPPORTED",
            f"Payment terms '{terms}' are not available. Supported: {', '.join(SUPPORTED_PAYMENT_TERMS)}.",
        )
    billing_error = _billing_error(row, call.principal)
    if billing_error is not None:
        return billing_error

    key = _natural_key(brand, operator)
    existing = accounts.get(key)
    sandbox = row.get("sandbox") is True
    billing = row["billing"]
    if dry_run:
        preview: dict[str, Any] = {
            "brand": dict(brand),
            "operator": operator,
            "action": "updated" if existing else "created",
            "status": "active" if sandbox else "pending_approval",
            "billing": billing,
            "account_scope": "operator_brand",
        }
        if sandbox:
            preview["sandbox"] = True
        return preview

    store = call.platform.accounts
    account_id = (
        existing["account_id"] if existing else f"acc_{brand['domain'].replace('.', '_')}_{uuid.uuid4().hex[:8]}"
    )
    status = "active" if sandbox or (existing and existing.get("status") == "active") else "pending_approval"
    result: dict[str, Any] = {
        "account_id": account_id,
        "brand": dict(brand),
        "operator": operator,
        "name": f"{brand.get('name') or brand['domain']} (via {operator})",
        "action": "updated" if existing else "created",
        "status": status,
        "billing": billing,
        "account_scope": "operator_brand",
        "payment_terms": terms or DEFAULT_PAYMENT_TERMS,
        "rate_card": "sandbox" if sandbox else "standard",
    }
    billing_entity = row.get("billing_entity")
    if isinstance(billing_entity, Mapping):
        # Bank details are write-only: never echoed.
        result["billing_entity"] = {name: value for name, value in billing_entity.items() if name != "bank"}
    if not sandbox:
        result["credit_limit"] = dict(NON_SANDBOX_CREDIT_LIMIT)
    else:
        result["sandbox"] = True
    if status == "pending_approval":
        result["setup"] = {
            "url": f"{store.setup_base_url.rstrip('/')}/account-setup/{account_id}",
            "message": "Complete advertiser registration and credit application. "
            "A sales representative will review your account within 1 business day.",
            "expires_at": iso(store.clock.now() + SETUP_LINK_TTL),
        }
    accounts[key] = dict(result)
    return result


async def sync_accounts(call: ToolCall) -> dict[str, Any] | ToolResult:
    """Provision or update accounts, one result row per requested account.

    Row failures (INVALID_REQUEST, PAYMENT_TERMS_NOT_SUPPORTED, BILLING_NOT_SUPPORTED,
    BILLING_NOT_PERMITTED_FOR_AGENT) stay inside a successful reply; ``dry_run`` previews
    without storing.

    Raises:
        AdcpError: INVALID_REQUEST on ``accounts`` when it is not a non-empty array of at most
            1000 rows, or on ``dry_run`` when it is not a boolean.
    """
    rows = call.args.get("accounts")
    if not isinstance(rows, list) or not rows:
        raise invalid("accounts", "accounts array is required and must not be empty")
    if len(rows) > MAX_ROWS:
        raise invalid("accounts", f"accounts must hold at most {MAX_ROWS} entries")
    dry_run = call.args.get("dry_run", False)
    if not isinstance(dry_run, bool):
        raise invalid("dry_run", "dry_run must be a boolean")
    accounts = call.platform.accounts.scoped(call.principal, session_key(call.args))
    results = [
        _sync_row(row, accounts, call, dry_run=dry_run)
        if isinstance(row, Mapping)
        else _failed({}, "INVALID_REQUEST", f"accounts[{index}] must be an object")
        for index, row in enumerate(rows)
    ]
    reply: dict[str, Any] = {"accounts": results}
    if dry_run:
        reply = {"dry_run": True, **reply}
    return reply


SYNC_ACCOUNTS_SCHEMA: Final[Mapping[str, Any]] = {
    "type": "object",
    "properties": {
        "accounts": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "brand": {"type": "object", "additionalProperties": True},
                    "operator": {"type": "string"},
                    "billing": {"type": "string"},
                    "billing_entity": {"type": "object", "additionalProperties": True},
                    "payment_terms": {"type": "string"},
                    "sandbox": {"type": "boolean"},
                },
                "additionalProperties": True,
            },
        },
        "dry_run": {"type": "boolean"},
        "delete_missing": {"type": "boolean"},
        "idempotency_key": {"type": "string"},
        "push_notification_config": {"type": "object", "additionalProperties": True},
        "context": {"type": "object", "additionalProperties": True},
        "ext": {"type": "object", "additionalProperties": True},
    },
    "additionalProperties": True,
}
