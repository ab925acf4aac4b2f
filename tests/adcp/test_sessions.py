"""Session keys and the in-memory session store."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from trainer.adcp.sessions import InMemorySessionStore, keyed_by_account_id, session_key
from trainer.clock import FrozenClock


@pytest.mark.parametrize(
    ("args", "key"),
    [
        ({}, "open:default"),
        ({"account": {"brand": {"domain": "Acme.Example"}}}, "open:acme.example"),
        ({"brand": {"domain": "acme.example"}}, "open:acme.example"),
        # account.brand wins over top-level brand
        ({"account": {"brand": {"domain": "a.example"}}, "brand": {"domain": "b.example"}}, "open:a.example"),
        # brand domain wins over account_id, so brand-only follow-up calls land in the same session
        ({"account": {"account_id": "acc_1", "brand": {"domain": "a.example"}}}, "open:a.example"),
        ({"account": {"account_id": "acc_1.x-y"}}, "open:acc_1.x-y"),
        ({"plans": [{"brand": {"domain": "Plan.Example"}}]}, "open:plan.example"),
        # an invalid domain is skipped, not an error
        ({"account": {"brand": {"domain": "bad domain"}, "account_id": "acc_2"}}, "open:acc_2"),
        ({"brand": {"domain": "x" * 254}}, "open:default"),
        ({"account": {"account_id": "has space"}}, "open:default"),
        ({"account": {"account_id": "a" * 129}}, "open:default"),
        ({"account": {"account_id": 7}}, "open:default"),
        ({"plans": [{"brand": {"domain": "bad/domain"}}]}, "open:default"),
        ({"plans": []}, "open:default"),
        ({"account": "acme", "brand": "acme"}, "open:default"),
    ],
)
def test_session_key_follows_the_reference_order(args: dict[str, Any], key: str) -> None:
    """The key is the first valid of account.brand/brand domain, account_id, plans[0] brand, else default."""
    assert session_key(args) == key


@pytest.mark.parametrize(
    ("args", "account_scoped"),
    [
        ({"account": {"account_id": "acct_1"}}, True),
        ({"account": {"account_id": "acct_1", "brand": {"domain": "a.example"}}}, False),
        ({"account": {"account_id": "acct_1"}, "brand": {"domain": "a.example"}}, False),
        ({"account": {"account_id": "acct_1", "brand": {"domain": "bad domain"}}}, True),
        ({"account": {"account_id": "has space"}}, False),
        ({"brand": {"domain": "a.example"}}, False),
        ({}, False),
    ],
)
def test_account_scoped_means_keyed_by_a_bare_account_id(args: dict[str, Any], account_scoped: bool) -> None:
    """Only arguments whose key comes from account.account_id, no usable brand domain, are account-scoped."""
    assert keyed_by_account_id(args) is account_scoped


def test_get_creates_once_and_touches(clock: FrozenClock) -> None:
    """get() creates a session on first use and refreshes last_accessed_at on every access."""
    store = InMemorySessionStore(clock)
    first = store.get("open:a.example")
    created = first.created_at
    clock.advance(timedelta(minutes=5))
    again = store.get("open:a.example")
    assert again is first
    assert again.created_at == created
    assert again.last_accessed_at == clock.now()
    assert len(store) == 1


def test_peek_neither_creates_nor_touches(clock: FrozenClock) -> None:
    """peek() returns None for an unknown key and leaves last_accessed_at alone for a known one."""
    store = InMemorySessionStore(clock)
    assert store.peek("open:a.example") is None
    session = store.get("open:a.example")
    clock.advance(timedelta(minutes=5))
    assert store.peek("open:a.example") is session
    assert session.last_accessed_at == clock.now() - timedelta(minutes=5)
    assert len(store) == 1


def test_for_args_keys_by_session_key(clock: FrozenClock) -> None:
    """for_args() hands out the session the arguments key to, shared by equivalent arguments."""
    store = InMemorySessionStore(clock)
    a = store.for_args({"brand": {"domain": "ACME.example"}})
    b = store.for_args({"account": {"brand": {"domain": "acme.example"}}})
    assert a is b
    assert a.key == "open:acme.example"


def test_collections_are_created_on_first_use_and_keep_order(clock: FrozenClock) -> None:
    """A collection is an insertion-ordered dict that persists on the session."""
    session = InMemorySessionStore(clock).get("open:a.example")
    assert not session.has_collection("media_buys")
    buys = session.collection("media_buys")
    buys["mb_2"] = {"n": 2}
    buys["mb_1"] = {"n": 1}
    assert list(session.collection("media_buys")) == ["mb_2", "mb_1"]
    assert session.has_collection("media_buys")
    session.extras["forced_arm"] = "submitted"
    assert session.extras == {"forced_arm": "submitted"}


def test_find_scans_most_recently_used_first(clock: FrozenClock) -> None:
    """find() returns the most recently used matching session and touches it."""
    store = InMemorySessionStore(clock)
    for key in ("open:a", "open:b", "open:c"):
        store.get(key).collection("plans")["plan_1"] = key
        clock.advance(timedelta(seconds=1))
    store.get("open:a")  # a becomes the most recent
    found = store.find(lambda s: "plan_1" in s.collection("plans"))
    assert found is not None
    assert found.key == "open:a"
    assert store.find(lambda s: s.key == "open:b") is not None
    assert store.find(lambda s: False) is None


def test_scan_lists_most_recently_used_first_without_touching(clock: FrozenClock) -> None:
    """scan() yields every session, most recent first, and leaves their order and access times alone."""
    store = InMemorySessionStore(clock)
    for key in ("open:a", "open:b", "open:c"):
        store.get(key)
        clock.advance(timedelta(seconds=1))
    accessed = {session.key: session.last_accessed_at for session in store.scan()}
    assert [session.key for session in store.scan()] == ["open:c", "open:b", "open:a"]
    assert {session.key: session.last_accessed_at for session in store.scan()} == accessed


def test_sweep_expires_sessions_idle_for_an_hour(clock: FrozenClock) -> None:
    """sweep() drops only sessions untouched for more than an hour and says how many."""
    store = InMemorySessionStore(clock)
    store.get("open:old")
    clock.advance(timedelta(minutes=30))
    store.get("open:recent")
    clock.advance(timedelta(minutes=31))
    assert store.sweep() == 1
    assert store.peek("open:old") is None
    assert store.peek("open:recent") is not None
    clock.advance(timedelta(minutes=30))
    assert store.sweep() == 1
    assert len(store) == 0


def test_clear_forgets_every_session(clock: FrozenClock) -> None:
    """clear() empties the store."""
    store = InMemorySessionStore(clock)
    store.get("open:a")
    store.get("open:b")
    store.clear()
    assert len(store) == 0
