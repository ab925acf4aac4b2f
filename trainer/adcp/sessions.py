"""Per-brand session documents: where every tenant keeps a buyer's state (reference section 3.1).

A session is keyed by the brand or account the request names, never by the tenant or the
principal: a buy created on /sales is visible to /governance for the same brand, on purpose.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any, Final, Protocol

import attrs

from trainer.clock import Clock

DEFAULT_KEY: Final = "open:default"
IDLE_TTL: Final = timedelta(hours=1)

# Keys bound what a caller can make us store, as the reference's Postgres primary key did.
_MAX_DOMAIN_LEN: Final = 253
_MAX_ACCOUNT_ID_LEN: Final = 128
_SAFE_DOMAIN: Final = re.compile(r"[A-Za-z0-9.-]+")
_SAFE_ACCOUNT_ID: Final = re.compile(r"[A-Za-z0-9._-]+")


def _member(value: object, name: str) -> object:
    return value.get(name) if isinstance(value, Mapping) else None


def _safe(value: object, max_len: int, pattern: re.Pattern[str]) -> str | None:
    if not isinstance(value, str) or not 0 < len(value) <= max_len:
        return None
    return value if pattern.fullmatch(value) else None


def _brand_domain(args: Mapping[str, Any]) -> str | None:
    domain = _member(_member(args.get("account"), "brand"), "domain")
    if domain is None:
        domain = _member(args.get("brand"), "domain")
    return _safe(domain, _MAX_DOMAIN_LEN, _SAFE_DOMAIN)


def _account_id(args: Mapping[str, Any]) -> str | None:
    return _safe(_member(args.get("account"), "account_id"), _MAX_ACCOUNT_ID_LEN, _SAFE_ACCOUNT_ID)


def keyed_by_account_id(args: Mapping[str, Any]) -> bool:
    """Say whether the arguments key their session by a bare ``account.account_id`` (no usable brand domain).

    Such an account-scoped session names an account rather than a brand, so it may read the
    sandbox fixtures a controller seeded under another key (reference section 3.1).
    """
    return _brand_domain(args) is None and _account_id(args) is not None


def session_key(args: Mapping[str, Any]) -> str:
    """Return the session key the arguments name, first match wins (reference section 3.1).

    Order: ``account.brand.domain`` (else top-level ``brand.domain``) -> ``open:<domain lowercased>``;
    ``account.account_id`` -> ``open:<id>``; ``plans[0].brand.domain``; else ``open:default``.
    A value outside its charset or length bound is skipped, never an error.
    """
    safe_domain = _brand_domain(args)
    if safe_domain is not None:
        # DNS is case-insensitive: Example.com and example.com share a session.
        return f"open:{safe_domain.lower()}"
    account_id = _account_id(args)
    if account_id is not None:
        return f"open:{account_id}"
    plans = args.get("plans")
    if isinstance(plans, list) and plans:
        plan_domain = _safe(_member(_member(plans[0], "brand"), "domain"), _MAX_DOMAIN_LEN, _SAFE_DOMAIN)
        if plan_domain is not None:
            return f"open:{plan_domain.lower()}"
    return DEFAULT_KEY


@attrs.define
class Session:
    """One buyer's state, shared by every tenant.

    Attributes:
        key: the session key (``open:<brand domain>``).
        created_at: when the session was first used.
        last_accessed_at: when it was last handed out; idle sessions expire after an hour.
        extras: singletons a tenant keeps (a forced create_media_buy arm, the last get_products).
    """

    key: str
    created_at: datetime
    last_accessed_at: datetime
    extras: dict[str, Any] = attrs.field(factory=dict)
    _collections: dict[str, dict[str, Any]] = attrs.field(factory=dict, alias="collections")

    def collection(self, name: str) -> dict[str, Any]:
        """Return the mutable, insertion-ordered collection ``name``, creating it on first use."""
        return self._collections.setdefault(name, {})

    def has_collection(self, name: str) -> bool:
        """Say whether ``name`` holds at least one entry, without creating it."""
        return bool(self._collections.get(name))


class SessionStore(Protocol):
    """Where sessions live; the in-memory store is the only one for now."""

    def for_args(self, args: Mapping[str, Any]) -> Session: ...

    def get(self, key: str) -> Session: ...

    def peek(self, key: str) -> Session | None: ...

    def find(self, predicate: Callable[[Session], bool]) -> Session | None: ...

    def scan(self) -> Iterator[Session]: ...

    def sweep(self) -> int: ...

    def clear(self) -> None: ...

    def __len__(self) -> int: ...


@attrs.define
class InMemorySessionStore:
    """Sessions in process memory, most recently used last.

    Attributes:
        clock: stamps access times and decides expiry.
        idle_ttl: how long an untouched session lives.
    """

    clock: Clock
    idle_ttl: timedelta = IDLE_TTL
    # A dict keeps insertion order; moving a touched session to the end keeps it LRU-ordered.
    _sessions: dict[str, Session] = attrs.field(factory=dict, init=False)

    def for_args(self, args: Mapping[str, Any]) -> Session:
        """Return the session the arguments key to, creating it if new."""
        return self.get(session_key(args))

    def get(self, key: str) -> Session:
        """Return the session ``key``, creating it if new, and mark it used."""
        now = self.clock.now()
        session = self._sessions.pop(key, None)
        if session is None:
            session = Session(key=key, created_at=now, last_accessed_at=now)
        session.last_accessed_at = now
        self._sessions[key] = session
        return session

    def peek(self, key: str) -> Session | None:
        """Return the session ``key`` if it exists, without creating or touching it."""
        return self._sessions.get(key)

    def find(self, predicate: Callable[[Session], bool]) -> Session | None:
        """Return the most recently used session that satisfies ``predicate``, marking it used."""
        for session in self._most_recent_first():
            if predicate(session):
                return self.get(session.key)
        return None

    def scan(self) -> Iterator[Session]:
        """Yield every session, most recently used first, without touching any of them."""
        return self._most_recent_first()

    def sweep(self) -> int:
        """Drop sessions idle for longer than ``idle_ttl``; return how many went."""
        cutoff = self.clock.now() - self.idle_ttl
        expired = [key for key, session in self._sessions.items() if session.last_accessed_at < cutoff]
        for key in expired:
            del self._sessions[key]
        return len(expired)

    def clear(self) -> None:
        """Forget every session."""
        self._sessions.clear()

    def __len__(self) -> int:
        return len(self._sessions)

    def _most_recent_first(self) -> Iterator[Session]:
        # A snapshot: the predicate may touch sessions while we iterate.
        return reversed(list(self._sessions.values()))
