"""The creative library of a session: ``sync_creatives``, ``list_creatives`` and the creative status machine.

Creatives live in the session collection ``creatives`` (creative id -> stored record), so every
tenant serving the same brand sees the same library: a creative synced on /creative can be
assigned to a package bought on /sales. A stored record is the creative as synced plus its
``status``, ``created_date``, ``updated_date`` and ``assignments`` (package id -> ``{media_buy_id,
assigned_date}``).

The library does not know media buys. ``sync_creatives`` assignments go through an ``AssignHook``
the caller passes (the /sales domain supplies one); without it an assignment is reported as an
``assignment_errors`` entry on the creative's row.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

import attrs
import orjson

from trainer.adcp.errors import AdcpError, invalid
from trainer.adcp.pagination import paginate
from trainer.adcp.sessions import Session
from trainer.clock import iso, parse_instant
from trainer.domain.creatives.formats import FormatCatalogue
from trainer.domain.creatives.provenance import NO_POLICY, ProvenancePolicy, check

CREATIVES: Final = "creatives"
MAX_CREATIVES: Final = 500
MAX_PER_CALL: Final = 100
PAGINATION_KIND: Final = "creatives"
STATUSES: Final = frozenset({"processing", "pending_review", "approved", "rejected", "archived"})
# force_creative_status: from -> allowed targets (reference section 4). Same status is a no-op.
TRANSITIONS: Final[Mapping[str, frozenset[str]]] = {
    "processing": frozenset({"pending_review", "rejected"}),
    "pending_review": frozenset({"approved", "rejected"}),
    "approved": frozenset({"pending_review", "rejected", "archived"}),
    "rejected": frozenset({"processing"}),
    "archived": frozenset({"approved"}),
}
# What an empty library shows, so a buyer's first list_creatives is not blank (reference section 2.3).
FALLBACK_CREATIVE: Final[Mapping[str, Any]] = {
    "creative_id": "campaign_hero_video",
    "name": "Campaign hero video (30s)",
    "format_id": {"id": "vast_30s"},
    "status": "approved",
}
DEFAULT_CREATIVE_CPM: Final = 0.5
_CREATIVE_ID: Final = re.compile(r"^[A-Za-z0-9._:-]{1,255}$")
_HTTP_URL: Final = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)

AssignHook = Callable[[Session, str, str, datetime], str | None]
"""Assign creative ``creative_id`` to package ``package_id``; return an error message, or None on success."""

LibraryLookup = Callable[[], Session | None]
"""Return another session whose library is not empty (the most recently used), or None."""


def no_library_elsewhere() -> Session | None:
    """A lookup that finds no other library: an empty session lists the fixture creative."""
    return None


class CreativeError(Exception):
    """A creative-level state error (unknown creative, refused transition), for the comply controller.

    Attributes:
        code: NOT_FOUND, INVALID_PARAMS or INVALID_TRANSITION.
        current_state: the creative's status when a transition was refused.
    """

    def __init__(self, code: str, message: str, current_state: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.current_state = current_state


def creatives(session: Session) -> dict[str, Any]:
    """Return the session's creative library (creative id -> stored record)."""
    return session.collection(CREATIVES)


def holds_creatives(session: Session) -> bool:
    """Say whether the session's library holds at least one creative."""
    return session.has_collection(CREATIVES)


def find(session: Session, creative_id: str) -> dict[str, Any] | None:
    """Return the stored creative, or None."""
    if not session.has_collection(CREATIVES):
        return None
    found: dict[str, Any] | None = session.collection(CREATIVES).get(creative_id)
    return found


def record_assignment(session: Session, creative_id: str, package_id: str, media_buy_id: str, now: datetime) -> None:
    """Note on the creative that it serves ``package_id`` (a no-op for creatives not in the library)."""
    creative = find(session, creative_id)
    if creative is not None:
        creative.setdefault("assignments", {}).setdefault(
            package_id, {"media_buy_id": media_buy_id, "assigned_date": iso(now)}
        )


def release_assignment(session: Session, creative_id: str, package_id: str) -> None:
    """Forget that the creative serves ``package_id``."""
    creative = find(session, creative_id)
    if creative is not None:
        creative.get("assignments", {}).pop(package_id, None)


def approval_status(session: Session, creative_id: str) -> dict[str, Any]:
    """Return the ``creative_approvals`` entry of an assigned creative (``pending_review`` until it is known)."""
    creative = find(session, creative_id) or {}
    status = creative.get("status")
    entry: dict[str, Any] = {"creative_id": creative_id}
    if status == "approved":
        entry["approval_status"] = "approved"
    elif status == "rejected":
        entry["approval_status"] = "rejected"
        entry["rejection_reason"] = str(creative.get("rejection_reason") or "Rejected by the seller")
    else:
        entry["approval_status"] = "pending_review"
    return entry


def _canonical(value: object) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


@attrs.frozen
class CreativeLibrary:
    """The library operations of one agent.

    Attributes:
        formats: the agent's format catalogue; format ids naming this agent must exist in it.
        max_creatives: how many creatives a session may hold.
    """

    formats: FormatCatalogue
    max_creatives: int = MAX_CREATIVES

    # -- sync_creatives -------------------------------------------------------------------------

    def sync_creatives(
        self,
        session: Session,
        args: Mapping[str, Any],
        *,
        now: datetime,
        assign: AssignHook | None = None,
        policy: ProvenancePolicy = NO_POLICY,
    ) -> dict[str, Any]:
        """Answer ``sync_creatives``: upsert each creative, then apply ``assignments``.

        A creative that fails validation or the provenance ``policy`` gets ``action: failed`` with
        its ``errors`` and is not stored; the others are stored as ``approved``. ``dry_run``
        validates and reports the actions without storing or assigning anything.

        Raises:
            AdcpError: INVALID_REQUEST when ``creatives`` is not a non-empty array of objects with a
                ``creative_id``, or ``assignments``/``dry_run`` are malformed; LIMIT_EXCEEDED when the
                call would take the library past ``max_creatives``.
        """
        rows = args.get("creatives")
        if not isinstance(rows, list) or not rows:
            raise invalid("creatives", "creatives must be a non-empty array")
        if len(rows) > MAX_PER_CALL:
            raise AdcpError("LIMIT_EXCEEDED", f"At most {MAX_PER_CALL} creatives per call", field="creatives")
        dry_run = args.get("dry_run", False)
        if not isinstance(dry_run, bool):
            raise invalid("dry_run", "dry_run must be a boolean")
        assignments = _parse_assignments(args.get("assignments"))
        seen: set[str] = set()
        for index, row in enumerate(rows):
            if not isinstance(row, Mapping):
                raise invalid(f"creatives[{index}]", "each creative must be an object")
            creative_id = row.get("creative_id")
            if not isinstance(creative_id, str) or not _CREATIVE_ID.match(creative_id):
                raise invalid(
                    f"creatives[{index}].creative_id",
                    "creative_id is required: 1-255 characters of letters, digits, '.', '_', ':' or '-'",
                )
            if creative_id in seen:
                raise invalid(f"creatives[{index}].creative_id", f"creative_id {creative_id!r} appears twice")
            seen.add(creative_id)
        library = creatives(session)
        new_ids = [row["creative_id"] for row in rows if row["creative_id"] not in library]
        if len(library) + len(new_ids) > self.max_creatives:
            raise AdcpError(
                "LIMIT_EXCEEDED",
                f"A session holds at most {self.max_creatives} creatives; archive or reuse existing ones",
                field="creatives",
            )

        results = [
            self._sync_one(session, row, index, now=now, policy=policy, dry_run=dry_run)
            for index, row in enumerate(rows)
        ]
        by_id = {result["creative_id"]: result for result in results}
        for creative_id, package_id in assignments:
            row_result = by_id.get(creative_id)
            if row_result is None:
                # An assignment for a creative not in this call: report it on a row of its own.
                known = find(session, creative_id)
                if known is None:
                    message = f"Creative {creative_id} is not in the library"
                    row_result = {
                        "creative_id": creative_id,
                        "action": "failed",
                        "errors": [{"code": "CREATIVE_NOT_FOUND", "message": message}],
                    }
                else:
                    row_result = {"creative_id": creative_id, "action": "unchanged", "status": known["status"]}
                results.append(row_result)
                by_id[creative_id] = row_result
            if row_result["action"] == "failed":
                continue
            error = self._assign(session, creative_id, package_id, now, assign, dry_run=dry_run)
            if error is None:
                row_result.setdefault("assigned_to", []).append(package_id)
            else:
                row_result.setdefault("assignment_errors", {})[package_id] = error
        reply: dict[str, Any] = {"creatives": results}
        if dry_run:
            reply = {"dry_run": True, **reply}
        return reply

    def _sync_one(
        self,
        session: Session,
        row: Mapping[str, Any],
        index: int,
        *,
        now: datetime,
        policy: ProvenancePolicy,
        dry_run: bool,
    ) -> dict[str, Any]:
        creative_id: str = row["creative_id"]
        at = f"creatives[{index}]"
        format_id, format_error = self._format_id(session, row.get("format_id"), at)
        if format_error is not None:
            return {"creative_id": creative_id, "action": "failed", "errors": [format_error]}
        name = row.get("name")
        if name is not None and not isinstance(name, str):
            return _failed(creative_id, "INVALID_REQUEST", "name must be a string", f"{at}.name")
        assets = row.get("assets")
        if assets is not None and not isinstance(assets, Mapping):
            return _failed(creative_id, "INVALID_REQUEST", "assets must be an object keyed by asset id", f"{at}.assets")
        tags = row.get("tags")
        if tags is not None and not (isinstance(tags, list) and all(isinstance(tag, str) for tag in tags)):
            return _failed(creative_id, "INVALID_REQUEST", "tags must be an array of strings", f"{at}.tags")
        provenance_error = check(row, policy, self.formats.agent_url)
        if provenance_error is not None:
            provenance_error["field"] = f"{at}{provenance_error['field'].replace('/', '.')}"
            return {"creative_id": creative_id, "action": "failed", "errors": [provenance_error]}

        library = creatives(session)
        existing = library.get(creative_id)
        record: dict[str, Any] = {
            "creative_id": creative_id,
            "name": name if isinstance(name, str) and name else creative_id,
            "format_id": format_id,
        }
        for key in ("assets", "tags", "provenance", "industry_identifiers", "weight", "placement_ids", "inputs"):
            if row.get(key) is not None:
                record[key] = row[key]
        for key in ("manifest", "creative_manifest"):
            if isinstance(row.get(key), Mapping):
                record["manifest"] = row[key]
        if existing is not None:
            content_keys = set(record) | {
                k for k in existing if k not in {"status", "created_date", "updated_date", "assignments"}
            }
            before = {k: existing.get(k) for k in content_keys}
            after = {k: record.get(k) for k in content_keys}
            action = "unchanged" if _canonical(before) == _canonical(after) else "updated"
        else:
            action = "created"
        # The sandbox reviews instantly: new or changed content is approved at once, while an
        # unchanged resync keeps whatever status the creative reached (rejected, archived, ...).
        status = str(existing["status"]) if existing is not None and action == "unchanged" else "approved"
        if not dry_run and action != "unchanged":
            stamp = iso(now)
            record["status"] = status
            record["created_date"] = existing["created_date"] if existing is not None else stamp
            record["updated_date"] = stamp
            if existing is not None and existing.get("assignments"):
                record["assignments"] = existing["assignments"]
            library[creative_id] = record
        result: dict[str, Any] = {"creative_id": creative_id, "action": action, "status": status}
        if existing is None:
            result["platform_id"] = f"crv_{creative_id}"
        return result

    def _format_id(self, session: Session, raw: object, at: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """Return the stored ``format_id`` and None, or a placeholder and the row error."""
        if isinstance(raw, str) and raw:
            # A bare id means one of this agent's formats (older buyers send strings).
            raw = {"agent_url": self.formats.agent_url, "id": raw}
        if not isinstance(raw, Mapping):
            message = "format_id is required: an object with agent_url and id"
            return {}, _error("INVALID_REQUEST", message, f"{at}.format_id")
        format_id = raw.get("id")
        if not isinstance(format_id, str) or not format_id:
            return {}, _error("INVALID_REQUEST", "format_id.id is required", f"{at}.format_id.id")
        agent_url = raw.get("agent_url", self.formats.agent_url)
        if not isinstance(agent_url, str) or not _HTTP_URL.match(agent_url):
            return {}, _error(
                "INVALID_REQUEST", "format_id.agent_url must be an http(s) URL", f"{at}.format_id.agent_url"
            )
        if self.formats.is_local(agent_url) and not self.formats.known(session, format_id):
            return {}, _error(
                "INVALID_REQUEST",
                f"Format {format_id!r} is not one of this agent's formats; see list_creative_formats",
                f"{at}.format_id.id",
            )
        # Third-party formats are accepted as named: this agent cannot verify another agent's catalogue.
        stored = {key: value for key, value in raw.items() if key in {"width", "height", "duration_ms"}}
        return {"agent_url": agent_url, "id": format_id, **stored}, None

    def _assign(
        self,
        session: Session,
        creative_id: str,
        package_id: str,
        now: datetime,
        assign: AssignHook | None,
        *,
        dry_run: bool,
    ) -> str | None:
        if assign is None:
            return f"Package {package_id} is not served by this agent"
        if dry_run:
            return None
        return assign(session, creative_id, package_id, now)

    # -- list_creatives -------------------------------------------------------------------------

    def list_creatives(
        self,
        session: Session,
        args: Mapping[str, Any],
        *,
        now: datetime,
        elsewhere: LibraryLookup = no_library_elsewhere,
    ) -> dict[str, Any]:
        """Answer ``list_creatives`` for the session's library.

        An empty library lists the library of the session ``elsewhere`` returns (the most recently
        used one holding creatives), else the fixture creative ``campaign_hero_video``, so a first
        call is not blank. The reference does the same: a controller seeds creatives under the
        sandbox account's brand while a listing may name a bare ``account_id``, which keys to
        another, empty, session.

        Raises:
            AdcpError: INVALID_REQUEST naming a malformed filter, sort or ``pagination`` field.
        """
        owner = session if holds_creatives(session) else elsewhere()
        pool: list[Mapping[str, Any]] = (
            list(owner.collection(CREATIVES).values()) if owner is not None else [self._fallback(now)]
        )
        filters = args.get("filters")
        if filters is None:
            filters = {}
        if not isinstance(filters, Mapping):
            raise invalid("filters", "filters must be an object")
        top_ids = args.get("creative_ids")
        if top_ids is not None and "creative_ids" not in filters:
            filters = {**filters, "creative_ids": top_ids}
        matches = [creative for creative in pool if _matches(creative, filters)]
        matches = _sorted(matches, args.get("sort"))
        page, pagination = paginate(matches, args.get("pagination"), PAGINATION_KIND)
        include_pricing = args.get("include_pricing")
        with_pricing = include_pricing is True or (include_pricing is None and isinstance(args.get("account"), Mapping))
        with_assignments = args.get("include_assignments", True) is not False
        with_snapshot = args.get("include_snapshot") is True
        wire = [self._wire(creative, with_pricing, with_assignments, with_snapshot) for creative in page]
        summary: dict[str, Any] = {"total_matching": len(matches), "returned": len(wire)}
        applied = sorted(key for key, value in filters.items() if value is not None)
        if applied:
            summary["filters_applied"] = applied
        status_summary: dict[str, int] = {}
        for creative in matches:
            status_summary[str(creative.get("status"))] = status_summary.get(str(creative.get("status")), 0) + 1
        return {
            "query_summary": summary,
            "pagination": pagination,
            "creatives": wire,
            "status_summary": {key: value for key, value in status_summary.items() if key in STATUSES},
        }

    def _fallback(self, now: datetime) -> dict[str, Any]:
        stamp = iso(now)
        return {
            **FALLBACK_CREATIVE,
            "format_id": self.formats.ref(FALLBACK_CREATIVE["format_id"]["id"]),
            "created_date": stamp,
            "updated_date": stamp,
        }

    def _wire(
        self, creative: Mapping[str, Any], with_pricing: bool, with_assignments: bool, with_snapshot: bool
    ) -> dict[str, Any]:
        wire = {
            key: value
            for key, value in creative.items()
            if key not in {"assignments", "pricing_options", "pricing_option_id", "rejection_reason", "manifest"}
        }
        if with_pricing:
            wire["pricing_options"] = _pricing(creative)
        if with_assignments:
            assigned = creative.get("assignments") or {}
            wire["assignments"] = {
                "assignment_count": len(assigned),
                "assigned_packages": [
                    {"package_id": package_id, "assigned_date": entry["assigned_date"]}
                    for package_id, entry in assigned.items()
                ],
            }
        if with_snapshot:
            wire["snapshot_unavailable_reason"] = "SNAPSHOT_UNSUPPORTED"
        return wire

    # -- comply: seed and force -----------------------------------------------------------------

    def seed(self, session: Session, creative_id: str, fixture: Mapping[str, Any], *, now: datetime) -> dict[str, Any]:
        """Store a creative fixture (``seed_creative``), back-filling what a listing needs.

        Raises:
            CreativeError: INVALID_PARAMS when the fixture's ``status`` is not a creative status.
        """
        status = fixture.get("status", "approved")
        if not isinstance(status, str) or status not in STATUSES:
            raise CreativeError("INVALID_PARAMS", f"status must be one of {', '.join(sorted(STATUSES))}")
        library = creatives(session)
        existing = library.get(creative_id)
        raw_format = fixture.get("format_id")
        format_id: dict[str, Any]
        if isinstance(raw_format, Mapping) and isinstance(raw_format.get("id"), str):
            format_id = {"agent_url": raw_format.get("agent_url") or self.formats.agent_url, "id": raw_format["id"]}
        elif isinstance(raw_format, str) and raw_format:
            format_id = self.formats.ref(raw_format)
        else:
            format_id = self.formats.ref("display_300x250")
        stamp = iso(now)
        record: dict[str, Any] = {
            **(existing or {}),
            **{key: value for key, value in fixture.items() if key not in {"format_id", "pricing_options"}},
            "creative_id": creative_id,
            "name": fixture.get("name") or (existing or {}).get("name") or creative_id,
            "format_id": format_id,
            "status": status,
            "created_date": (existing or {}).get("created_date", stamp),
            "updated_date": stamp,
        }
        pricing = fixture.get("pricing_options")
        if isinstance(pricing, list):
            record["pricing_options"] = [_vendor_pricing(option) for option in pricing if isinstance(option, Mapping)]
        library[creative_id] = record
        return record

    def force_status(
        self, session: Session, creative_id: str, status: object, rejection_reason: object = None
    ) -> tuple[str, str]:
        """Move a creative to ``status`` along the controller's transition table; return (previous, current).

        Raises:
            CreativeError: INVALID_PARAMS for a bad status or a rejection without a reason; NOT_FOUND for
                an unknown creative; INVALID_TRANSITION (with the current state) for a refused move.
        """
        if not isinstance(status, str) or status not in STATUSES:
            raise CreativeError("INVALID_PARAMS", f"params.status must be one of {', '.join(sorted(STATUSES))}")
        if status == "rejected" and not (isinstance(rejection_reason, str) and rejection_reason):
            raise CreativeError("INVALID_PARAMS", "params.rejection_reason is required when status is rejected")
        creative = find(session, creative_id)
        if creative is None:
            raise CreativeError("NOT_FOUND", f"Creative {creative_id} not found")
        previous = str(creative.get("status", "approved"))
        if previous != status and status not in TRANSITIONS.get(previous, frozenset()):
            raise CreativeError(
                "INVALID_TRANSITION", f"Cannot move creative {creative_id} from {previous} to {status}", previous
            )
        creative["status"] = status
        if status == "rejected":
            creative["rejection_reason"] = rejection_reason
        else:
            creative.pop("rejection_reason", None)
        return previous, status


def _error(code: str, message: str, field: str) -> dict[str, Any]:
    return {"code": code, "message": message, "field": field, "recovery": "correctable"}


def _failed(creative_id: str, code: str, message: str, field: str) -> dict[str, Any]:
    return {"creative_id": creative_id, "action": "failed", "errors": [_error(code, message, field)]}


def _parse_assignments(raw: object) -> list[tuple[str, str]]:
    if raw is None:
        return []
    if isinstance(raw, Mapping):
        # The older map form: creative id -> [package ids].
        pairs: list[tuple[str, str]] = []
        for creative_id, packages in raw.items():
            if not isinstance(packages, list) or not all(isinstance(p, str) for p in packages):
                raise invalid(f"assignments.{creative_id}", "assignments map each creative id to package ids")
            pairs.extend((creative_id, package_id) for package_id in packages)
        return pairs
    if not isinstance(raw, list):
        raise invalid("assignments", "assignments must be an array of {creative_id, package_id}")
    pairs = []
    for index, entry in enumerate(raw):
        if not isinstance(entry, Mapping):
            raise invalid(f"assignments[{index}]", "each assignment must be an object")
        creative_id, package_id = entry.get("creative_id"), entry.get("package_id")
        if not isinstance(creative_id, str) or not creative_id:
            raise invalid(f"assignments[{index}].creative_id", "creative_id is required")
        if not isinstance(package_id, str) or not package_id:
            raise invalid(f"assignments[{index}].package_id", "package_id is required")
        pairs.append((creative_id, package_id))
    return pairs


def _vendor_pricing(option: Mapping[str, Any]) -> dict[str, Any]:
    """Return a creative pricing option in the vendor-pricing shape (``model``/``cpm``)."""
    wire = {key: value for key, value in option.items() if key not in {"pricing_model", "rate"}}
    wire.setdefault("model", option.get("pricing_model", "cpm"))
    if wire["model"] == "cpm":
        wire.setdefault("cpm", option.get("rate", DEFAULT_CREATIVE_CPM))
    wire.setdefault("currency", "USD")
    return wire


def _pricing(creative: Mapping[str, Any]) -> list[dict[str, Any]]:
    stored = creative.get("pricing_options")
    if isinstance(stored, list) and stored:
        return [dict(option) for option in stored]
    format_id = creative.get("format_id", {}).get("id", "creative")
    return [
        {
            "pricing_option_id": f"po_{format_id}_cpm",
            "model": "cpm",
            "cpm": DEFAULT_CREATIVE_CPM,
            "currency": "USD",
        }
    ]


def _instant(filters: Mapping[str, Any], name: str) -> datetime | None:
    value = filters.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid(f"filters.{name}", f"filters.{name} must be an ISO 8601 date-time")
    try:
        return parse_instant(value)
    except ValueError:
        raise invalid(f"filters.{name}", f"filters.{name} must be an ISO 8601 date-time") from None


def _strings(filters: Mapping[str, Any], name: str) -> frozenset[str] | None:
    value = filters.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise invalid(f"filters.{name}", f"filters.{name} must be an array of strings")
    return frozenset(value)


def _matches(creative: Mapping[str, Any], filters: Mapping[str, Any]) -> bool:
    ids = _strings(filters, "creative_ids")
    if ids is not None and creative.get("creative_id") not in ids:
        return False
    statuses = _strings(filters, "statuses")
    if statuses is not None and creative.get("status") not in statuses:
        return False
    raw_formats = filters.get("format_ids")
    if raw_formats is not None:
        if not isinstance(raw_formats, list):
            raise invalid("filters.format_ids", "filters.format_ids must be an array of format_id objects")
        wanted = {str(ref.get("id")) if isinstance(ref, Mapping) else str(ref) for ref in raw_formats}
        if creative.get("format_id", {}).get("id") not in wanted:
            return False
    name_contains = filters.get("name_contains")
    if name_contains is not None:
        if not isinstance(name_contains, str):
            raise invalid("filters.name_contains", "filters.name_contains must be a string")
        if name_contains.lower() not in str(creative.get("name", "")).lower():
            return False
    tags = set(creative.get("tags") or ())
    all_tags = _strings(filters, "tags")
    if all_tags is not None and not all_tags <= tags:
        return False
    any_tags = _strings(filters, "tags_any")
    if any_tags is not None and not any_tags & tags:
        return False
    assigned: Mapping[str, Any] = creative.get("assignments") or {}
    packages = _strings(filters, "assigned_to_packages")
    if packages is not None and not packages & set(assigned):
        return False
    buys = _strings(filters, "media_buy_ids")
    if buys is not None and not buys & {entry.get("media_buy_id") for entry in assigned.values()}:
        return False
    unassigned = filters.get("unassigned")
    if unassigned is not None:
        if not isinstance(unassigned, bool):
            raise invalid("filters.unassigned", "filters.unassigned must be a boolean")
        if unassigned == bool(assigned):
            return False
    for name, field, after in (
        ("created_after", "created_date", True),
        ("created_before", "created_date", False),
        ("updated_after", "updated_date", True),
        ("updated_before", "updated_date", False),
    ):
        bound = _instant(filters, name)
        if bound is None:
            continue
        stamp = parse_instant(str(creative.get(field)))
        if (after and stamp <= bound) or (not after and stamp >= bound):
            return False
    return True


def _sorted(matches: Sequence[Mapping[str, Any]], sort: object) -> list[Mapping[str, Any]]:
    if sort is None:
        return list(matches)
    if not isinstance(sort, Mapping):
        raise invalid("sort", "sort must be an object with field and direction")
    field = sort.get("field", "created_date")
    direction = sort.get("direction", "desc")
    if not isinstance(field, str) or field not in {"created_date", "updated_date", "name", "status"}:
        raise invalid("sort.field", "sort.field must be created_date, updated_date, name or status")
    if not isinstance(direction, str) or direction not in {"asc", "desc"}:
        raise invalid("sort.direction", "sort.direction must be asc or desc")
    return sorted(matches, key=lambda creative: str(creative.get(field, "")), reverse=direction == "desc")
