"""Fixtures for the creative-build domain: a session with a small library, contexts and the wire schema check."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.schemas import SchemaCheck as SchemaCheck  # re-exported for the tests here
from trainer.adcp.sessions import Session
from trainer.domain.creative_build.build import BuildContext
from trainer.domain.creative_build.formats import no_catalogue
from trainer.domain.creative_build.library import CREATIVES, find_creative
from trainer.domain.creative_build.preview import PreviewContext

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
AGENT = "https://your-agent.example.com"


def fmt(format_id: str, **params: int) -> dict[str, Any]:
    """Return a format_id object on the storyboards' agent URL."""
    return {"agent_url": AGENT, "id": format_id, **params}


@pytest.fixture
def session() -> Session:
    """A session whose library holds a synced display banner."""
    session = Session(key="open:acmeoutdoor.example", created_at=NOW, last_accessed_at=NOW)
    session.collection(CREATIVES)["display_trail_pro_300x250"] = {
        "creative_id": "display_trail_pro_300x250",
        "name": "Trail Pro 3000 - Display 300x250",
        "format_id": fmt("display_300x250"),
        "status": "approved",
        "assets": {
            "image": {"asset_type": "image", "url": "https://cdn.example/trail.png", "width": 300, "height": 250},
            "click_url": {"asset_type": "url", "url": "https://acmeoutdoor.example/trail-pro"},
        },
    }
    return session


@pytest.fixture
def build_ctx(session: Session) -> BuildContext:
    return BuildContext(NOW, no_catalogue, lambda creative_id: find_creative(session, creative_id))


@pytest.fixture
def preview_ctx(session: Session) -> PreviewContext:
    return PreviewContext(NOW, no_catalogue, lambda creative_id: find_creative(session, creative_id))
