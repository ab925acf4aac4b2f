"""Opaque cursors and the pagination invariants storyboards check."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from trainer.adcp.errors import AdcpError
from trainer.adcp.pagination import decode_cursor, encode_cursor, paginate


def test_cursor_round_trips_and_is_base64url_of_kind_offset() -> None:
    """A cursor is base64url('<kind>:offset:<n>') and decodes back to its offset."""
    cursor = encode_cursor("media_buys", 50)
    padded = cursor + "=" * (-len(cursor) % 4)
    assert base64.urlsafe_b64decode(padded) == b"media_buys:offset:50"
    assert decode_cursor("media_buys", cursor) == 50


@pytest.mark.parametrize("total", [0, 1, 9, 10, 11, 25])
@pytest.mark.parametrize("page_size", [1, 3, 10])
def test_walking_all_pages_yields_every_item_once(total: int, page_size: int) -> None:
    """Following cursors visits each item exactly once; cursor is present iff has_more."""
    items = list(range(total))
    seen: list[int] = []
    request: dict[str, Any] = {"max_results": page_size}
    pages = 0
    while True:
        page, meta = paginate(items, request, "signals")
        pages += 1
        seen.extend(page)
        assert meta["total_count"] == total
        assert ("cursor" in meta) is meta["has_more"]
        if not meta["has_more"]:
            break
        request = {"max_results": page_size, "cursor": meta["cursor"]}
    assert seen == items
    assert pages == max(1, -(-total // page_size))


def test_defaults_and_cap_apply() -> None:
    """Without max_results the default limit applies; a larger max_results is capped."""
    items = list(range(300))
    page, meta = paginate(items, None, "creatives")
    assert len(page) == 50
    assert meta["has_more"] is True
    page, _ = paginate(items, {"max_results": 1000}, "creatives")
    assert len(page) == 100
    page, _ = paginate(items, {}, "signals", default_limit=10)
    assert len(page) == 10


def test_offset_past_the_end_is_an_empty_terminal_page() -> None:
    """A cursor beyond the list gives no items, has_more false and no cursor."""
    page, meta = paginate([1, 2], {"cursor": encode_cursor("accounts", 10)}, "accounts")
    assert page == []
    assert meta == {"has_more": False, "total_count": 2}


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not base64 !!",
        "%%%",
        encode_cursor("creatives", 5),  # another kind's cursor
        base64.urlsafe_b64encode(b"media_buys:offset:-1").decode(),
        base64.urlsafe_b64encode(b"media_buys:offset:abc").decode(),
        base64.urlsafe_b64encode(b"media_buys:5").decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        12,
        None,
    ],
)
def test_malformed_or_foreign_cursor_is_rejected(cursor: object) -> None:
    """A cursor this module did not mint for this kind is INVALID_REQUEST naming pagination.cursor."""
    with pytest.raises(AdcpError) as raised:
        decode_cursor("media_buys", cursor)
    assert raised.value.code == "INVALID_REQUEST"
    assert raised.value.field == "pagination.cursor"
    assert raised.value.message == "pagination.cursor is malformed"


def test_paginate_rejects_a_foreign_cursor_rather_than_restarting() -> None:
    """paginate() never silently serves page one for a bad cursor."""
    with pytest.raises(AdcpError) as raised:
        paginate([1, 2, 3], {"cursor": encode_cursor("signals", 1)}, "media_buys")
    assert raised.value.field == "pagination.cursor"


@pytest.mark.parametrize("max_results", [0, -1, "10", 2.5, True])
def test_bad_max_results_names_the_field(max_results: object) -> None:
    """max_results must be an integer of at least 1."""
    with pytest.raises(AdcpError) as raised:
        paginate([1], {"max_results": max_results}, "signals")
    assert raised.value.code == "INVALID_REQUEST"
    assert raised.value.field == "pagination.max_results"


def test_pagination_must_be_an_object() -> None:
    """A non-object pagination argument names the pagination field."""
    with pytest.raises(AdcpError) as raised:
        paginate([1], "page-2", "signals")
    assert raised.value.field == "pagination"
