"""Schema truth: responses validate against the AdCP 3.0 JSON schemas, with the official Python SDK's validator."""

from __future__ import annotations

import pytest

from tests.conftest import CallTool
from tests.schemas import assert_schema_valid
from trainer.config import DEFAULT_CONFIG, load_config

TENANTS = [t.id for t in load_config(DEFAULT_CONFIG, env={}).tenants]


@pytest.mark.parametrize("tenant", TENANTS)
async def test_capabilities_match_the_schema(call_tool: CallTool, tenant: str) -> None:
    """get_adcp_capabilities on every tenant is a valid 3.0 capabilities response."""
    result = await call_tool(tenant, "get_adcp_capabilities", {"context": {"correlation_id": "schema"}})
    assert result.get("isError") is not True
    assert_schema_valid("get_adcp_capabilities", result["structuredContent"])


@pytest.mark.parametrize("tenant", TENANTS)
async def test_sync_accounts_matches_the_schema(call_tool: CallTool, tenant: str) -> None:
    """sync_accounts answers every tenant with a valid per-row result."""
    args = {
        "idempotency_key": f"schema-sync-accounts-{tenant}",
        "accounts": [{"brand": {"domain": "acme.example"}, "operator": "acme.example", "billing": "operator"}],
    }
    result = await call_tool(tenant, "sync_accounts", args)
    assert result.get("isError") is not True, result
    assert_schema_valid("sync_accounts", result["structuredContent"])
