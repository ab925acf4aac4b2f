"""Fixtures for the brand domain: the packaged catalogue, a session and the wire schema check."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.schemas import SchemaCheck as SchemaCheck  # re-exported for the tests here
from trainer.adcp.sessions import Session
from trainer.domain.brand.catalogue import BrandCatalogue, load_catalogue

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


@pytest.fixture(scope="session")
def catalogue() -> BrandCatalogue:
    return load_catalogue()


@pytest.fixture
def session() -> Session:
    return Session(key="open:acmeoutdoor.example", created_at=NOW, last_accessed_at=NOW)
