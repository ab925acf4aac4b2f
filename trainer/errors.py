"""HTTP-level errors. Each carries its status and a JSON-RPC error body; ``middleware`` renders them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# JSON-RPC codes used at the HTTP layer (the SDK owns the ones raised inside dispatch).
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
SERVER_ERROR = -32000


class TrainerError(Exception):
    """An error answered with ``status`` and a JSON-RPC error body.

    Attributes:
        status: the HTTP status.
        code: the JSON-RPC error code.
        message: one sentence for a person.
        data: structured detail for the ``error.data`` member.
        headers: extra response headers (``Retry-After``, ``Allow``, ``WWW-Authenticate``).
        request_id: the JSON-RPC id being answered, if it was parsed.
    """

    status = 500
    code = INTERNAL_ERROR

    def __init__(
        self,
        message: str,
        *,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        request_id: str | int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.data = dict(data) if data is not None else None
        self.headers = dict(headers) if headers is not None else {}
        self.request_id = request_id

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return {"jsonrpc": "2.0", "id": self.request_id, "error": error}


class ParseError(TrainerError):
    status = 400
    code = PARSE_ERROR


class InvalidRequest(TrainerError):
    status = 400
    code = INVALID_REQUEST


class UnsupportedVersion(TrainerError):
    status = 400
    code = INVALID_REQUEST


class UnsupportedMediaType(TrainerError):
    status = 415
    code = INVALID_REQUEST


class NotAcceptable(TrainerError):
    status = 406
    code = INVALID_REQUEST


class PayloadTooLarge(TrainerError):
    status = 413
    code = INVALID_REQUEST


class Forbidden(TrainerError):
    status = 403
    code = SERVER_ERROR


class NotFound(TrainerError):
    status = 404
    code = SERVER_ERROR


class MethodNotAllowed(TrainerError):
    status = 405
    code = SERVER_ERROR


class TenantUnavailable(TrainerError):
    status = 503
    code = SERVER_ERROR


class Unauthorized(TrainerError):
    """A missing or invalid bearer; the body follows RFC 6750 rather than JSON-RPC, as MCP clients expect."""

    status = 401
    code = SERVER_ERROR

    def __init__(self, error: str, description: str) -> None:
        super().__init__(
            description,
            headers={"WWW-Authenticate": f'Bearer realm="mcp", error="{error}", error_description="{description}"'},
        )
        self.error = error

    def body(self) -> dict[str, Any]:
        return {"error": self.error, "error_description": self.message}
