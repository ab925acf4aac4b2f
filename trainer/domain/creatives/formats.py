"""The creative format catalogue: 37 static formats plus the formats a session seeds (reference section 2.3).

The static formats live in ``trainer/data/creative_formats.json`` and are turned into wire objects
once, when a tenant builds its ``FormatCatalogue``: a format's ``format_id.agent_url`` is the URL of
the agent serving it, so /sales, /creative and /creative-builder each build their own catalogue.
``list_creative_formats`` then filters prebuilt dicts and never copies them.

Formats seeded through ``comply_test_controller`` (``seed_creative_format``) are stored in the
seeding session (they expire with it) and replace the static catalogue in that session's listings.
They are also one pool for the whole process, read through a ``SessionScan`` of every live session:
a listing keyed by a bare ``account_id`` that seeded nothing itself shows that pool, because a
controller seeds under the sandbox account's brand while such a listing names an account and so
keys to another session. The reference makes the pool process-global for every caller; a listing
keyed by a brand, or by nothing, keeps its own view here, so one buyer's seeds do not replace
every other buyer's catalogue for as long as they live. Any seeded id is a known format anywhere.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

import attrs
import orjson

from trainer.adcp.errors import invalid
from trainer.adcp.pagination import paginate
from trainer.adcp.sessions import Session, keyed_by_account_id

CATALOGUE_RESOURCE: Final = "creative_formats.json"
# The session collection seed_creative_format writes: format id -> wire format.
SEEDED_FORMATS: Final = "creative_formats"
PAGINATION_KIND: Final = "formats"
FORMAT_TYPES: Final = frozenset({"audio", "video", "display", "dooh"})
ASSET_TYPES: Final = frozenset({"image", "video", "audio", "text", "html", "javascript", "url"})
# Fields of the data file that stay internal: the channels a format serves pick product formats.
_INTERNAL_FIELDS: Final = frozenset({"id", "channels"})

SessionScan = Callable[[], Iterable[Session]]
"""Return every live session, most recently used first: where the process-wide seeded formats are."""


def normalize_agent_url(url: str) -> str:
    """Return ``url`` in the form two agent URLs are compared in (case-folded, no trailing slash)."""
    return url.strip().rstrip("/").lower()


def _dimensions(fmt: Mapping[str, Any]) -> tuple[float | None, float | None, bool]:
    """Return the primary render's (width, height, responsive)."""
    renders = fmt.get("renders")
    if not isinstance(renders, list) or not renders or not isinstance(renders[0], Mapping):
        return None, None, False
    dims = renders[0].get("dimensions")
    if not isinstance(dims, Mapping):
        return None, None, False
    responsive = isinstance(dims.get("responsive"), Mapping)
    width, height = dims.get("width"), dims.get("height")
    return (
        float(width) if isinstance(width, int | float) else None,
        float(height) if isinstance(height, int | float) else None,
        responsive,
    )


def _own_seeds(session: Session | None) -> Mapping[str, dict[str, Any]]:
    """Return the formats ``session`` seeded (format id -> wire format), without creating the collection."""
    if session is None or not session.has_collection(SEEDED_FORMATS):
        return {}
    return session.collection(SEEDED_FORMATS)


def _asset_types(fmt: Mapping[str, Any]) -> frozenset[str]:
    found: set[str] = set()
    for asset in fmt.get("assets") or ():
        if not isinstance(asset, Mapping):
            continue
        if isinstance(asset.get("asset_type"), str):
            found.add(asset["asset_type"])
        for member in asset.get("assets") or ():
            if isinstance(member, Mapping) and isinstance(member.get("asset_type"), str):
                found.add(member["asset_type"])
    # A VAST or DAAST tag is video or audio to a buyer filtering by asset type.
    if "vast" in found:
        found.add("video")
    if "daast" in found:
        found.add("audio")
    return frozenset(found)


@attrs.frozen
class FormatCatalogue:
    """The static formats of one agent, prebuilt for the wire.

    Attributes:
        agent_url: the URL every ``format_id.agent_url`` carries.
        formats: the wire formats, in catalogue order.
        channels: format id -> the channels it serves (products pick their formats from these).
        sessions: every live session, for the process-wide seeded pool; None reads only the
            session a call names (a catalogue outside a running server).
    """

    agent_url: str
    formats: tuple[dict[str, Any], ...]
    channels: Mapping[str, frozenset[str]]
    sessions: SessionScan | None = None
    _by_id: Mapping[str, dict[str, Any]] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {fmt["format_id"]["id"]: fmt for fmt in self.formats})

    @classmethod
    def load(cls, agent_url: str, sessions: SessionScan | None = None) -> FormatCatalogue:
        """Build the catalogue from the packaged data file for an agent at ``agent_url``.

        Raises:
            OSError, orjson.JSONDecodeError, KeyError: when the data file is missing or malformed.
        """
        raw = orjson.loads(importlib.resources.files("trainer.data").joinpath(CATALOGUE_RESOURCE).read_bytes())
        formats: list[dict[str, Any]] = []
        channels: dict[str, frozenset[str]] = {}
        for entry in raw["formats"]:
            wire = {"format_id": {"agent_url": agent_url, "id": entry["id"]}}
            wire.update({key: value for key, value in entry.items() if key not in _INTERNAL_FIELDS})
            formats.append(wire)
            channels[entry["id"]] = frozenset(entry.get("channels", ()))
        return cls(agent_url=agent_url, formats=tuple(formats), channels=channels, sessions=sessions)

    def get(self, format_id: str) -> dict[str, Any] | None:
        """Return the static format with this id, or None."""
        return self._by_id.get(format_id)

    def ref(self, format_id: str) -> dict[str, str]:
        """Return the ``format_id`` object naming one of this agent's formats."""
        return {"agent_url": self.agent_url, "id": format_id}

    def is_local(self, agent_url: object) -> bool:
        """Say whether ``agent_url`` names this agent (so its format ids must exist here)."""
        return isinstance(agent_url, str) and normalize_agent_url(agent_url) == normalize_agent_url(self.agent_url)

    def ids_for_channels(self, channels: Iterable[str]) -> list[str]:
        """Return the ids of the formats serving any of ``channels``, in catalogue order."""
        wanted = set(channels)
        return [fmt["format_id"]["id"] for fmt in self.formats if self.channels[fmt["format_id"]["id"]] & wanted]

    def shared(self) -> dict[str, dict[str, Any]]:
        """Return the process-wide seeded pool (format id -> wire format), most recently used session first.

        Empty without a ``SessionScan``. A format another tenant seeded is shown with this agent's
        ``format_id``.
        """
        pool: dict[str, dict[str, Any]] = {}
        for source in self.sessions() if self.sessions is not None else ():
            if not source.has_collection(SEEDED_FORMATS):
                continue
            for format_id, wire in source.collection(SEEDED_FORMATS).items():
                if format_id in pool:
                    continue
                local = self.is_local(wire["format_id"]["agent_url"])
                pool[format_id] = wire if local else {**wire, "format_id": self.ref(format_id)}
        return pool

    def pool(self, session: Session | None, *, account_scoped: bool = False) -> Sequence[dict[str, Any]]:
        """Return the formats a listing shows.

        The session's own seeded pool when it seeded any; else, for an account-scoped listing, the
        process-wide seeded pool when there is one; else the static catalogue.
        """
        own = _own_seeds(session)
        if own:
            return list(own.values())
        shared = self.shared() if account_scoped else {}
        return list(shared.values()) if shared else self.formats

    def known(self, session: Session | None, format_id: str) -> bool:
        """Say whether ``format_id`` is one of this agent's formats: static, or seeded in any session."""
        return format_id in self._by_id or format_id in _own_seeds(session) or format_id in self.shared()

    def seed(self, session: Session, format_id: str, fixture: Mapping[str, Any]) -> dict[str, Any]:
        """Store a seeded format in the seeding session, back-filled from the static format of that id if any.

        The format joins the process-wide pool every listing reads (see the module docstring).
        """
        base = self._by_id.get(format_id)
        wire: dict[str, Any] = dict(base) if base is not None else {"name": format_id}
        wire.update(fixture)
        wire["format_id"] = self.ref(format_id)
        session.collection(SEEDED_FORMATS)[format_id] = wire
        return wire

    def list_formats(self, session: Session | None, args: Mapping[str, Any]) -> dict[str, Any]:
        """Answer ``list_creative_formats``: filter the pool the listing sees (``pool``) and page through it.

        Filters: ``format_ids`` (matched by id), ``type``, ``asset_types``, ``min_width``/``max_width``/
        ``min_height``/``max_height``, ``is_responsive``, ``name_search``, and the informal ``channels``.

        Raises:
            AdcpError: INVALID_REQUEST naming the malformed filter or ``pagination`` field.
        """
        filters = _Filters.parse(args)
        pool = self.pool(session, account_scoped=keyed_by_account_id(args))
        matches = [fmt for fmt in pool if _match(fmt, filters, self.channels)]
        page, pagination = paginate(matches, args.get("pagination"), PAGINATION_KIND)
        return {"formats": page, "pagination": pagination}


@attrs.frozen
class _Filters:
    ids: frozenset[str] | None = None
    type: str | None = None
    asset_types: frozenset[str] | None = None
    min_width: float | None = None
    max_width: float | None = None
    min_height: float | None = None
    max_height: float | None = None
    responsive: bool | None = None
    name_search: str | None = None
    channels: frozenset[str] | None = None

    @classmethod
    def parse(cls, args: Mapping[str, Any]) -> _Filters:
        ids = None
        raw_ids = args.get("format_ids")
        if raw_ids is not None:
            if not isinstance(raw_ids, list):
                raise invalid("format_ids", "format_ids must be an array of format_id objects")
            found: set[str] = set()
            for index, ref in enumerate(raw_ids):
                if isinstance(ref, str):
                    found.add(ref)
                elif isinstance(ref, Mapping) and isinstance(ref.get("id"), str):
                    found.add(ref["id"])
                else:
                    raise invalid(f"format_ids[{index}]", "each format_ids entry needs an id")
            ids = frozenset(found)
        fmt_type = args.get("type")
        if fmt_type is not None and not (isinstance(fmt_type, str) and fmt_type in FORMAT_TYPES):
            raise invalid("type", f"type must be one of {', '.join(sorted(FORMAT_TYPES))}")
        asset_types = _string_set(args, "asset_types")
        if asset_types is not None and not asset_types <= ASSET_TYPES:
            raise invalid("asset_types", f"asset_types must be drawn from {', '.join(sorted(ASSET_TYPES))}")
        responsive = args.get("is_responsive")
        if responsive is not None and not isinstance(responsive, bool):
            raise invalid("is_responsive", "is_responsive must be a boolean")
        name_search = args.get("name_search")
        if name_search is not None and not isinstance(name_search, str):
            raise invalid("name_search", "name_search must be a string")
        return cls(
            ids=ids,
            type=fmt_type,
            asset_types=asset_types,
            min_width=_number(args, "min_width"),
            max_width=_number(args, "max_width"),
            min_height=_number(args, "min_height"),
            max_height=_number(args, "max_height"),
            responsive=responsive,
            name_search=name_search.lower() if name_search else None,
            channels=_string_set(args, "channels"),
        )


def _number(args: Mapping[str, Any], name: str) -> float | None:
    value = args.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise invalid(name, f"{name} must be a non-negative number")
    return float(value)


def _string_set(args: Mapping[str, Any], name: str) -> frozenset[str] | None:
    value = args.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise invalid(name, f"{name} must be an array of strings")
    return frozenset(value)


def _match(fmt: Mapping[str, Any], filters: _Filters, channels: Mapping[str, frozenset[str]]) -> bool:
    format_id = fmt["format_id"]["id"]
    if filters.ids is not None and format_id not in filters.ids:
        return False
    if filters.type is not None and fmt.get("type") != filters.type:
        return False
    if filters.channels is not None and not channels.get(format_id, frozenset()) & filters.channels:
        return False
    if filters.name_search is not None and filters.name_search not in str(fmt.get("name", "")).lower():
        return False
    if filters.asset_types is not None and not filters.asset_types & _asset_types(fmt):
        return False
    sized = (filters.min_width, filters.max_width, filters.min_height, filters.max_height)
    if filters.responsive is None and all(bound is None for bound in sized):
        return True
    width, height, responsive = _dimensions(fmt)
    if filters.responsive is not None and responsive != filters.responsive:
        return False
    bounds = (
        (filters.min_width, width, True),
        (filters.max_width, width, False),
        (filters.min_height, height, True),
        (filters.max_height, height, False),
    )
    for bound, size, is_min in bounds:
        if bound is None:
            continue
        # A format without a fixed size (responsive or parameterised) fits any size bound.
        if size is None:
            continue
        if (is_min and size < bound) or (not is_min and size > bound):
            return False
    return True
