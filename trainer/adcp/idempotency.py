"""The replay cache of mutating tools (reference section 3.6).

A mutating call claims ``(scope, idempotency_key)`` before its handler runs. A parallel duplicate
sees the claim and is told to retry; a later duplicate with the same canonical payload replays
the cached reply; one with a different payload is an ``IDEMPOTENCY_CONFLICT``. Only successful
replies are cached, for 24 hours; an error releases the claim so a retry runs again.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Final

import attrs
import orjson

from trainer.adcp.errors import AdcpError
from trainer.clock import Clock

KEY_PATTERN: Final = re.compile(r"^[A-Za-z0-9_.:-]{16,255}$")
REPLAY_TTL: Final = timedelta(seconds=86400)
# A handler still running after 120 s should have answered `submitted`; after that its claim
# is reclaimable, so a crashed call never holds its key hostage for the whole replay window.
CLAIM_TTL: Final = timedelta(seconds=120)
# Clock-skew tolerance before a reused key counts as expired, as the reference SDK allows.
EXPIRY_GRACE: Final = timedelta(seconds=60)
# An expired key is remembered this much longer so its reuse is a loud IDEMPOTENCY_EXPIRED
# rather than a silent double booking; after that it is forgotten to bound memory.
TOMBSTONE_TTL: Final = timedelta(hours=24)
MAX_ENTRIES: Final = 50_000

# Joins scope segments; the key pattern bans control characters, so it cannot collide.
SEPARATOR: Final = "\x1f"
PUBLIC_PRINCIPAL: Final = "static:public"

CONFLICT_MESSAGE: Final = (
    "idempotency_key was used earlier with a different canonical payload. "
    "Use a fresh UUID v4, or resend the exact original payload."
)


def payload_hash(args: Mapping[str, Any]) -> str:
    """Return the SHA-256 hex digest of the canonical JSON of ``args`` minus the volatile fields.

    Excluded: ``idempotency_key``, ``governance_context`` (a refreshed token on retry), an
    object-valued ``context`` (correlation ids vary on retry; SI tools use a string ``context``
    that must stay in the hash) and ``push_notification_config.authentication.credentials``
    (a rotated secret; the URL and scheme stay in).
    """
    stripped: dict[str, Any] = {}
    for name, value in args.items():
        if name in ("idempotency_key", "governance_context"):
            continue
        if name == "context" and isinstance(value, Mapping):
            continue
        if name == "push_notification_config" and isinstance(value, Mapping):
            value = _without_credentials(value)
        stripped[name] = value
    canonical = orjson.dumps(stripped, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    return hashlib.sha256(canonical).hexdigest()


def _without_credentials(config: Mapping[str, Any]) -> dict[str, Any]:
    auth = config.get("authentication")
    if not isinstance(auth, Mapping):
        return dict(config)
    return {**config, "authentication": {k: v for k, v in auth.items() if k != "credentials"}}


def scope_for(principal: str, args: Mapping[str, Any]) -> str:
    """Return the idempotency scope of a caller.

    Every caller is its own scope, except the shared public token: buyers sharing it are told
    apart by ``a:<account_id>`` or ``b:<brand domain lowercased>``, so two of them cannot
    replay each other's replies.
    """
    if principal != PUBLIC_PRINCIPAL:
        return principal
    account = args.get("account")
    account = account if isinstance(account, Mapping) else {}
    account_id = account.get("account_id")
    if isinstance(account_id, str) and account_id:
        return f"{principal}{SEPARATOR}a:{account_id}"
    brand = account.get("brand")
    if not isinstance(brand, Mapping):
        brand = args.get("brand")
    domain = brand.get("domain") if isinstance(brand, Mapping) else None
    if isinstance(domain, str) and domain:
        return f"{principal}{SEPARATOR}b:{domain.lower()}"
    return f"{principal}{SEPARATOR}"


@attrs.frozen
class Claim:
    """The right to run a handler for one key, held until ``save`` or ``release``.

    Attributes:
        scope: the caller's scope (``scope_for``).
        key: the ``idempotency_key``.
        payload_hash: the canonical hash of the request.
    """

    scope: str
    key: str
    payload_hash: str


@attrs.frozen
class CachedReply:
    """A reply saved for replay.

    Attributes:
        payload: the structuredContent as first sent, without the echoed ``context``.
        text: the text block as first sent.
    """

    payload: dict[str, Any]
    text: str


@attrs.frozen
class _Entry:
    payload_hash: str
    expires_at: datetime
    reply: CachedReply | None  # None while the claim is in flight


@attrs.define
class IdempotencyStore:
    """The process-wide replay cache, shared by every tenant.

    Attributes:
        clock: decides expiry.
        ttl: the replay window advertised in capabilities.
        max_entries: a hard bound; past it the oldest entries go first.
    """

    clock: Clock
    ttl: timedelta = REPLAY_TTL
    max_entries: int = MAX_ENTRIES
    # Insertion-ordered: the first entries are the oldest, which is what eviction wants.
    _entries: dict[tuple[str, str], _Entry] = attrs.field(factory=dict, init=False)

    @property
    def replay_ttl_seconds(self) -> int:
        return int(self.ttl.total_seconds())

    def begin(self, scope: str, key: str, payload_hash: str) -> Claim | CachedReply:
        """Claim ``key`` for a fresh execution, or return the reply to replay.

        Raises:
            AdcpError: IDEMPOTENCY_CONFLICT when the key was used with another payload;
                IDEMPOTENCY_EXPIRED when it is past the replay window; SERVICE_UNAVAILABLE
                (retry_after 1) when a parallel call with the key is still running.
        """
        now = self.clock.now()
        entry = self._entries.get((scope, key))
        if entry is not None:
            if entry.reply is None:
                if entry.expires_at > now:
                    raise AdcpError(
                        "SERVICE_UNAVAILABLE",
                        "A parallel request with the same idempotency_key is still in flight. Retry shortly.",
                        retry_after=1,
                    )
            elif now <= entry.expires_at + EXPIRY_GRACE:
                if entry.payload_hash != payload_hash:
                    raise AdcpError("IDEMPOTENCY_CONFLICT", CONFLICT_MESSAGE)
                return entry.reply
            elif now <= entry.expires_at + TOMBSTONE_TTL:
                raise AdcpError(
                    "IDEMPOTENCY_EXPIRED",
                    f"idempotency_key is past the seller's replay window ({self.replay_ttl_seconds}s). "
                    "Use a fresh UUID v4, or look up the resource by natural key if the prior call succeeded.",
                )
        self._put((scope, key), _Entry(payload_hash, now + CLAIM_TTL, None))
        return Claim(scope, key, payload_hash)

    def save(self, claim: Claim, reply: CachedReply) -> None:
        """Cache a successful reply for the replay window and end the claim."""
        self._put((claim.scope, claim.key), _Entry(claim.payload_hash, self.clock.now() + self.ttl, reply))

    def release(self, claim: Claim) -> None:
        """End a claim without caching, so the next call with the key runs again."""
        entry = self._entries.get((claim.scope, claim.key))
        if entry is not None and entry.reply is None:
            del self._entries[(claim.scope, claim.key)]

    def evict_expired(self) -> int:
        """Forget claims past their TTL and replies past their tombstone; return how many went."""
        now = self.clock.now()
        stale = [
            slot
            for slot, entry in self._entries.items()
            if (entry.expires_at if entry.reply is None else entry.expires_at + TOMBSTONE_TTL) < now
        ]
        for slot in stale:
            del self._entries[slot]
        return len(stale)

    def clear(self) -> None:
        """Forget every claim and cached reply."""
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def _put(self, slot: tuple[str, str], entry: _Entry) -> None:
        self._entries.pop(slot, None)
        self._entries[slot] = entry
        if len(self._entries) > self.max_entries:
            self.evict_expired()
        while len(self._entries) > self.max_entries:
            del self._entries[next(iter(self._entries))]
