"""Fixtures for the creative library: a format catalogue for one agent, a library, a session."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.schemas import SchemaCheck as SchemaCheck  # re-exported for the tests here
from trainer.adcp.sessions import Session
from trainer.domain.creatives.formats import FormatCatalogue
from trainer.domain.creatives.library import CreativeLibrary

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
AGENT_URL = "https://creative.trainer.example/creative/mcp"


@pytest.fixture(scope="module")
def formats() -> FormatCatalogue:
    return FormatCatalogue.load(AGENT_URL)


@pytest.fixture
def library(formats: FormatCatalogue) -> CreativeLibrary:
    return CreativeLibrary(formats)


@pytest.fixture
def session() -> Session:
    return Session(key="open:acmeoutdoor.example", created_at=NOW, last_accessed_at=NOW)


def creative(creative_id: str = "banner_1", format_id: str = "display_300x250", **extra: Any) -> dict[str, Any]:
    """Return a creative row for sync_creatives on one of the agent's own formats."""
    return {
        "creative_id": creative_id,
        "name": f"Creative {creative_id}",
        "format_id": {"agent_url": AGENT_URL, "id": format_id},
        "assets": {
            "image": {"asset_type": "image", "url": "https://cdn.example/banner.png", "width": 300, "height": 250}
        },
        **extra,
    }
