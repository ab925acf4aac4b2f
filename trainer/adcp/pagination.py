"""Opaque offset cursors and the ``pagination`` request/response objects (reference section 6).

A cursor is base64url(``<kind>:offset:<n>``). A malformed cursor, or one minted for another kind
of list, is rejected rather than silently restarting at the first page: storyboards
(``pagination_integrity*``) check both.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from typing import Any, Final, TypeVar

from trainer.adcp.errors import AdcpError, invalid

T = TypeVar("T")

CURSOR_FIELD: Final = "pagination.cursor"
MAX_RESULTS_FIELD: Final = "pagination.max_results"


def encode_cursor(kind: str, offset: int) -> str:
    """Return the opaque cursor that resumes a ``kind`` list at ``offset``."""
    raw = f"{kind}:offset:{offset}".encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _malformed() -> AdcpError:
    return invalid(CURSOR_FIELD, "pagination.cursor is malformed")


def decode_cursor(kind: str, cursor: object) -> int:
    """Return the offset a ``kind`` cursor points at.

    Raises:
        AdcpError: INVALID_REQUEST on ``pagination.cursor`` when the cursor is not a string this
            module minted for ``kind``.
    """
    if not isinstance(cursor, str) or not cursor:
        raise _malformed()
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("utf-8")
    except (binascii.Error, ValueError):
        raise _malformed() from None
    cursor_kind, sep, rest = text.partition(":offset:")
    if not sep or cursor_kind != kind or not rest.isascii() or not rest.isdigit():
        raise _malformed()
    return int(rest)


def _limit(pagination: Mapping[str, Any], default_limit: int, max_limit: int) -> int:
    max_results = pagination.get("max_results")
    if max_results is None:
        return default_limit
    if isinstance(max_results, bool) or not isinstance(max_results, int) or max_results < 1:
        raise invalid(MAX_RESULTS_FIELD, "pagination.max_results must be an integer of at least 1")
    return min(max_results, max_limit)


def paginate(
    items: Sequence[T],
    pagination: object,
    kind: str,
    *,
    default_limit: int = 50,
    max_limit: int = 100,
) -> tuple[list[T], dict[str, Any]]:
    """Return one page of ``items`` and the response ``pagination`` object.

    The response always carries ``has_more`` and ``total_count``; ``cursor`` is present iff
    ``has_more``. ``max_results`` defaults to ``default_limit`` and is capped at ``max_limit``.

    Raises:
        AdcpError: INVALID_REQUEST naming ``pagination``, ``pagination.max_results`` or
            ``pagination.cursor`` when the request object is malformed.
    """
    if pagination is None:
        pagination = {}
    if not isinstance(pagination, Mapping):
        raise invalid("pagination", "pagination must be an object")
    limit = _limit(pagination, default_limit, max_limit)
    cursor = pagination.get("cursor")
    offset = decode_cursor(kind, cursor) if cursor is not None else 0
    page = list(items[offset : offset + limit])
    end = offset + len(page)
    has_more = end < len(items)
    result: dict[str, Any] = {"has_more": has_more, "total_count": len(items)}
    if has_more:
        result["cursor"] = encode_cursor(kind, end)
    return page, result
