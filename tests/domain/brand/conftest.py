"""Fixtures for the brand domain: the packaged catalogue, a session and the wire schema check."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from adcp.validation.schema_validator import format_issues, validate_response

from trainer.adcp.sessions import Session
from trainer.domain.brand.catalogue import BrandCatalogue, load_catalogue

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)

SchemaCheck = Callable[[str, dict[str, Any]], None]


@pytest.fixture(scope="session")
def catalogue() -> BrandCatalogue:
    return load_catalogue()


@pytest.fixture
def session() -> Session:
    return Session(key="open:acmeoutdoor.example", created_at=NOW, last_accessed_at=NOW)


@pytest.fixture
def schema_valid() -> SchemaCheck:
    """Assert that a payload matches the AdCP 3.0 response schema of a tool."""

    def check(tool: str, payload: dict[str, Any]) -> None:
        outcome = validate_response(tool, payload, version="3.0.6")
        assert outcome.valid, format_issues(outcome.issues, limit=10)

    return check
