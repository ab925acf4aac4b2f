"""The replay cache: canonical hashing, scoping, claims, replay, conflict and expiry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from trainer.adcp.errors import AdcpError
from trainer.adcp.idempotency import (
    KEY_PATTERN,
    CachedReply,
    Claim,
    IdempotencyStore,
    payload_hash,
    scope_for,
)
from trainer.clock import FrozenClock

KEY = "key-0123456789abcdef"
BASE: dict[str, Any] = {"packages": [{"budget": 5000, "product_id": "p1"}], "brand": {"domain": "a.example"}}


@pytest.mark.parametrize(
    ("key", "ok"),
    [
        ("0123456789abcdef", True),
        ("a" * 255, True),
        ("550e8400-e29b-41d4-a716-446655440000", True),
        ("with.dots:colons_under-dash", True),
        ("short", False),
        ("a" * 256, False),
        ("has space 0123456789", False),
        ("unit\x1fseparator0123", False),
    ],
)
def test_key_pattern(key: str, ok: bool) -> None:
    """Keys are 16 to 255 characters of [A-Za-z0-9_.:-]."""
    assert bool(KEY_PATTERN.fullmatch(key)) is ok


@pytest.mark.parametrize(
    "variant",
    [
        {"idempotency_key": "another-key-0123456789"},
        {"context": {"correlation_id": "retry-2"}},
        {"governance_context": "refreshed-token"},
        {"push_notification_config": {"url": "https://h.example/w", "authentication": {"credentials": "rotated"}}},
    ],
)
def test_hash_ignores_volatile_fields(variant: dict[str, Any]) -> None:
    """A retry that differs only in key, context, governance_context or webhook credentials hashes the same."""
    original = {
        **BASE,
        "idempotency_key": KEY,
        "context": {"correlation_id": "first"},
        "governance_context": "token",
        "push_notification_config": {"url": "https://h.example/w", "authentication": {"credentials": "secret"}},
    }
    assert payload_hash({**original, **variant}) == payload_hash(original)


def test_hash_is_key_order_independent_and_payload_sensitive() -> None:
    """Canonical JSON sorts keys; any real payload change changes the hash."""
    reordered = {"brand": {"domain": "a.example"}, "packages": [{"product_id": "p1", "budget": 5000}]}
    assert payload_hash(reordered) == payload_hash(BASE)
    changed = {**BASE, "packages": [{"budget": 6000, "product_id": "p1"}]}
    assert payload_hash(changed) != payload_hash(BASE)


def test_hash_keeps_string_context_and_webhook_url() -> None:
    """A string context (SI tools) and the webhook URL stay in the hash."""
    assert payload_hash({**BASE, "context": "handoff a"}) != payload_hash({**BASE, "context": "handoff b"})
    a = {**BASE, "push_notification_config": {"url": "https://a.example/w"}}
    b = {**BASE, "push_notification_config": {"url": "https://b.example/w"}}
    assert payload_hash(a) != payload_hash(b)


@pytest.mark.parametrize(
    ("principal", "args", "scope"),
    [
        ("static:demo:demo-acme-v1", {"account": {"account_id": "acc_1"}}, "static:demo:demo-acme-v1"),
        ("anonymous", {}, "anonymous"),
        ("static:public", {"account": {"account_id": "acc_1"}}, "static:public\x1fa:acc_1"),
        ("static:public", {"account": {"brand": {"domain": "A.Example"}}}, "static:public\x1fb:a.example"),
        ("static:public", {"brand": {"domain": "B.example"}}, "static:public\x1fb:b.example"),
        ("static:public", {}, "static:public\x1f"),
    ],
)
def test_scope_for_splits_only_the_shared_public_token(principal: str, args: dict[str, Any], scope: str) -> None:
    """Each principal is its own scope; static:public is split by account id or brand domain."""
    assert scope_for(principal, args) == scope


def _reply(n: int = 1) -> CachedReply:
    return CachedReply({"media_buy_id": f"mb_{n}"}, f"Media buy mb_{n} created")


def test_first_call_claims_then_duplicate_replays(clock: FrozenClock) -> None:
    """A miss returns a claim; after save the same key and payload replay the saved reply."""
    store = IdempotencyStore(clock)
    claim = store.begin("p", KEY, "h1")
    assert claim == Claim("p", KEY, "h1")
    store.save(claim, _reply())
    assert store.begin("p", KEY, "h1") == _reply()


def test_same_key_different_payload_conflicts(clock: FrozenClock) -> None:
    """Reusing a key with another payload is IDEMPOTENCY_CONFLICT."""
    store = IdempotencyStore(clock)
    claim = store.begin("p", KEY, "h1")
    assert isinstance(claim, Claim)
    store.save(claim, _reply())
    with pytest.raises(AdcpError) as raised:
        store.begin("p", KEY, "h2")
    assert raised.value.code == "IDEMPOTENCY_CONFLICT"


def test_parallel_duplicate_is_told_to_retry(clock: FrozenClock) -> None:
    """While a claim is in flight, a duplicate gets SERVICE_UNAVAILABLE with retry_after 1."""
    store = IdempotencyStore(clock)
    store.begin("p", KEY, "h1")
    with pytest.raises(AdcpError) as raised:
        store.begin("p", KEY, "h1")
    assert raised.value.code == "SERVICE_UNAVAILABLE"
    assert raised.value.retry_after == 1
    assert raised.value.recovery.value == "transient"


def test_release_lets_the_retry_run_again(clock: FrozenClock) -> None:
    """A released claim is forgotten, so the next call claims afresh."""
    store = IdempotencyStore(clock)
    claim = store.begin("p", KEY, "h1")
    assert isinstance(claim, Claim)
    store.release(claim)
    assert isinstance(store.begin("p", KEY, "h1"), Claim)


def test_abandoned_claim_is_reclaimable_after_its_ttl(clock: FrozenClock) -> None:
    """A claim never saved nor released stops blocking after 120 seconds."""
    store = IdempotencyStore(clock)
    store.begin("p", KEY, "h1")
    clock.advance(timedelta(seconds=121))
    assert isinstance(store.begin("p", KEY, "h1"), Claim)


def test_scopes_do_not_share_keys(clock: FrozenClock) -> None:
    """The same key in two scopes is two independent entries."""
    store = IdempotencyStore(clock)
    claim = store.begin("principal-a", KEY, "h1")
    assert isinstance(claim, Claim)
    store.save(claim, _reply())
    assert isinstance(store.begin("principal-b", KEY, "h2"), Claim)


def test_replay_window_then_expired_then_forgotten(clock: FrozenClock) -> None:
    """Replays work for 24 h (+60 s skew), then the key is IDEMPOTENCY_EXPIRED, then it is forgotten."""
    store = IdempotencyStore(clock)
    claim = store.begin("p", KEY, "h1")
    assert isinstance(claim, Claim)
    store.save(claim, _reply())
    clock.advance(timedelta(hours=24, seconds=59))
    assert store.begin("p", KEY, "h1") == _reply()
    clock.advance(timedelta(seconds=2))
    with pytest.raises(AdcpError) as raised:
        store.begin("p", KEY, "h1")
    assert raised.value.code == "IDEMPOTENCY_EXPIRED"
    clock.advance(timedelta(hours=24))
    assert store.evict_expired() == 1
    assert isinstance(store.begin("p", KEY, "h1"), Claim)


def test_memory_is_bounded(clock: FrozenClock) -> None:
    """Past max_entries the oldest entries are evicted."""
    store = IdempotencyStore(clock, max_entries=3)
    for n in range(5):
        claim = store.begin("p", f"{KEY}{n}", "h")
        assert isinstance(claim, Claim)
        store.save(claim, _reply(n))
    assert len(store) == 3
    assert isinstance(store.begin("p", f"{KEY}0", "h"), Claim)  # evicted, so a fresh claim


def test_clear_forgets_everything(clock: FrozenClock) -> None:
    """clear() drops claims and replies."""
    store = IdempotencyStore(clock)
    store.begin("p", KEY, "h1")
    store.clear()
    assert len(store) == 0
