"""AdCP error codes and the exception every tool handler raises for a domain error.

The pipeline (``trainer.adcp.pipeline``) turns an ``AdcpError`` into an MCP result with
``isError: true`` and ``structuredContent.adcp_error``; it never reaches the transport.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, Final


class Recovery(enum.StrEnum):
    """What a buyer should do after an error (AdCP ``recovery``)."""

    CORRECTABLE = "correctable"  # fix the request and send it again
    TRANSIENT = "transient"  # send the same request again later
    TERMINAL = "terminal"  # do not retry


# The framework table the reference agent's SDK applies (training-agent.md section 6). Codes
# raised by handlers without a table entry default to CORRECTABLE, as translateV5Result does.
_DEFAULT_RECOVERY: Final[Mapping[str, Recovery]] = {
    "INVALID_REQUEST": Recovery.CORRECTABLE,
    "VALIDATION_ERROR": Recovery.CORRECTABLE,
    "VERSION_UNSUPPORTED": Recovery.CORRECTABLE,
    "UNSUPPORTED_FEATURE": Recovery.CORRECTABLE,
    "IDEMPOTENCY_CONFLICT": Recovery.CORRECTABLE,
    "IDEMPOTENCY_EXPIRED": Recovery.CORRECTABLE,
    "SERVICE_UNAVAILABLE": Recovery.TRANSIENT,
    "RATE_LIMITED": Recovery.TRANSIENT,
    "ACCOUNT_SUSPENDED": Recovery.TERMINAL,
    "PERMISSION_DENIED": Recovery.TERMINAL,
}


def default_recovery(code: str) -> Recovery:
    """Return the recovery a code carries when its raiser names none."""
    return _DEFAULT_RECOVERY.get(code, Recovery.CORRECTABLE)


class AdcpError(Exception):
    """A domain error, reported to the buyer as ``adcp_error``.

    Attributes:
        code: the stable AdCP code (``MEDIA_BUY_NOT_FOUND``, ``INVALID_REQUEST``, ...).
        message: one sentence for a person.
        field: the request field at fault, as a path (``packages[0].bid_price``).
        recovery: what the buyer should do; defaults by code.
        suggestion: how to fix it, when there is something concrete to say.
        details: structured extras (``findings`` for ``GOVERNANCE_DENIED``, ...).
        retry_after: seconds, for transient errors.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        field: str | None = None,
        recovery: Recovery | None = None,
        suggestion: str | None = None,
        details: Mapping[str, Any] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.field = field
        self.recovery = recovery if recovery is not None else default_recovery(code)
        self.suggestion = suggestion
        self.details = dict(details) if details is not None else None
        self.retry_after = retry_after

    def to_wire(self) -> dict[str, Any]:
        """Return the ``adcp_error`` object, omitting absent optional members."""
        wire: dict[str, Any] = {"code": self.code, "message": self.message, "recovery": self.recovery.value}
        if self.field is not None:
            wire["field"] = self.field
        if self.suggestion is not None:
            wire["suggestion"] = self.suggestion
        if self.retry_after is not None:
            wire["retry_after"] = self.retry_after
        if self.details is not None:
            wire["details"] = self.details
        return wire


def invalid(field: str, message: str, **kwargs: Any) -> AdcpError:
    """Return the ``INVALID_REQUEST`` error for one bad field."""
    return AdcpError("INVALID_REQUEST", message, field=field, **kwargs)
