"""Fixtures for the /sales domain: one seller built from the packaged catalogues, a session, a schema check."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.schemas import SchemaCheck as SchemaCheck  # re-exported for the tests here
from trainer.adcp.sessions import Session
from trainer.domain.sales import media_buys
from trainer.domain.sales.seller import SalesDomain

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
AGENT_URL = "https://trainer.example/sales/mcp"
ACCOUNT = {"brand": {"domain": "acmeoutdoor.example"}, "operator": "pinnacle-agency.example"}

CreateBuy = Callable[..., dict[str, Any]]


@pytest.fixture(scope="module")
def domain() -> SalesDomain:
    return SalesDomain.build(AGENT_URL)


@pytest.fixture
def session() -> Session:
    return Session(key="open:acmeoutdoor.example", created_at=NOW, last_accessed_at=NOW)


def package(**overrides: Any) -> dict[str, Any]:
    """Return a valid package request on the fixed-price test product."""
    return {"product_id": "test-product", "pricing_option_id": "test-pricing", "budget": 10000, **overrides}


def buy_args(**overrides: Any) -> dict[str, Any]:
    """Return a valid create_media_buy request for a July flight (after NOW)."""
    return {
        "account": ACCOUNT,
        "brand": ACCOUNT["brand"],
        "start_time": "2026-07-01T00:00:00Z",
        "end_time": "2026-07-31T00:00:00Z",
        "packages": [package()],
        **overrides,
    }


@pytest.fixture
def create_buy(domain: SalesDomain, session: Session) -> CreateBuy:
    """Create a buy in the session (with ``buy_args`` overrides) and return the create payload."""

    def create(now: datetime = NOW, **overrides: Any) -> dict[str, Any]:
        result = media_buys.create_media_buy(domain.seller, session, buy_args(**overrides), now=now)
        assert isinstance(result, dict)
        return result

    return create
