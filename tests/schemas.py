"""The AdCP schema check every test uses: the official Python SDK's validator at the wire version trainer speaks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from adcp.validation.schema_validator import format_issues, validate_response

# The SDK bundles newer schemas too; trainer speaks AdCP 3.0.6 on the wire.
ADCP_VERSION: Final = "3.0.6"

SchemaCheck = Callable[[str, dict[str, Any]], None]


def assert_schema_valid(tool: str, payload: dict[str, Any]) -> None:
    """Assert that ``payload`` is a valid response of ``tool`` under the AdCP 3.0.6 schemas."""
    outcome = validate_response(tool, payload, version=ADCP_VERSION)
    assert outcome.valid, format_issues(outcome.issues, limit=10)
