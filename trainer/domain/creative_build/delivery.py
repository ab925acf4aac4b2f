"""get_creative_delivery: simulated per-creative and per-variant delivery, and the variants previews can show.

Delivery is a deterministic simulation: a creative's daily volume, CPM and click rate come from a
hash of ``<media_buy_id>:<creative_id>``, and its totals grow with the days of the reporting
period that have passed by the trainer clock's now. Each creative has one to three variants
(``<creative_id>_v<n>``), whose numbers add up to the creative's totals.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final

import attrs

from trainer.adcp.errors import invalid
from trainer.adcp.pagination import decode_cursor, encode_cursor
from trainer.adcp.sessions import Session
from trainer.clock import iso
from trainer.domain.brand import fields
from trainer.domain.creative_build.library import LibraryCreative, assigned_creative_ids, find_creative, library

CURSOR_KIND: Final = "creative_delivery"
DEFAULT_LIMIT: Final = 50
MAX_LIMIT: Final = 100
DEFAULT_PERIOD: Final = timedelta(days=7)
MAX_VARIANTS: Final = 3
CURRENCY: Final = "USD"
TIMEZONE: Final = "UTC"
CONTEXT_TYPES: Final = ("web_page", "mobile_app", "ctv_app")


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def variant_count(creative_id: str) -> int:
    """Return how many variants a creative has (one to three, fixed per id)."""
    return 1 + _hash(f"variants:{creative_id}") % MAX_VARIANTS


def variant_id(creative_id: str, number: int) -> str:
    return f"{creative_id}_v{number}"


def variant_manifest(creative: LibraryCreative, number: int) -> dict[str, Any]:
    """Return the manifest variant ``number`` of a creative served: its assets, labelled with the variant."""
    assets = dict(creative.assets)
    assets["variant_label"] = {"asset_type": "text", "content": f"Variant {number} of {creative.name}"}
    return {"format_id": dict(creative.format_id), "assets": assets}


def resolve_variant(
    session: Session, wanted: str, creative_id: str | None
) -> tuple[LibraryCreative, dict[str, Any]] | None:
    """Return the creative and manifest of variant ``wanted`` (``<creative_id>_v<n>``), if it exists."""
    owner, separator, number = wanted.rpartition("_v")
    if not separator or not number.isdigit() or (creative_id is not None and creative_id != owner):
        return None
    creative = find_creative(session, owner)
    if creative is None or not 1 <= int(number) <= variant_count(owner):
        return None
    return creative, variant_manifest(creative, int(number))


@attrs.frozen
class DeliveryRequest:
    """A parsed get_creative_delivery request.

    Attributes:
        media_buy_ids: the buys to report on.
        creative_ids: the creatives to report on (a filter when buys are given too).
        start_date: the first day reported.
        end_date: the last day reported.
        max_variants: the most variants listed per creative.
        offset: where the page starts.
        limit: the page size.
    """

    media_buy_ids: tuple[str, ...] | None
    creative_ids: tuple[str, ...] | None
    start_date: date | None
    end_date: date | None
    max_variants: int | None
    offset: int
    limit: int


def parse_delivery_request(args: Mapping[str, Any]) -> DeliveryRequest:
    """Parse get_creative_delivery arguments.

    Raises:
        AdcpError: INVALID_REQUEST naming ``media_buy_ids[i]``, ``creative_ids[i]``, ``start_date``,
            ``end_date``, ``max_variants`` or ``pagination...``; naming ``media_buy_ids`` when neither
            list is given.
    """
    media_buy_ids = fields.strings(args, "media_buy_ids")
    creative_ids = fields.strings(args, "creative_ids")
    if media_buy_ids is None and creative_ids is None:
        raise invalid("media_buy_ids", "get_creative_delivery needs media_buy_ids or creative_ids")
    start, end = fields.day(args, "start_date"), fields.day(args, "end_date")
    if start is not None and end is not None and end < start:
        raise invalid("end_date", f"end_date {end} is before start_date {start}")
    max_variants = fields.integer(args, "max_variants", minimum=1)
    pagination = fields.mapping(args, "pagination") or {}
    limit = fields.integer(pagination, "max_results", "pagination", minimum=1) or DEFAULT_LIMIT
    cursor = pagination.get("cursor")
    offset = decode_cursor(CURSOR_KIND, cursor) if cursor is not None else 0
    return DeliveryRequest(media_buy_ids, creative_ids, start, end, max_variants, offset, min(limit, MAX_LIMIT))


def _period(request: DeliveryRequest, now: datetime) -> tuple[datetime, datetime]:
    end = datetime.combine(request.end_date, time.max, UTC) if request.end_date is not None else now
    start = (
        datetime.combine(request.start_date, time.min, UTC) if request.start_date is not None else end - DEFAULT_PERIOD
    )
    return start, min(end, now)


def _metrics(seed: str, days: float, kind: str) -> dict[str, Any]:
    value = _hash(seed)
    impressions = int((5_000 + value % 45_000) * days)
    cpm = 4 + (value >> 20) % 12
    click_rate = (5 + (value >> 40) % 45) / 10_000
    clicks = round(impressions * click_rate)
    totals: dict[str, Any] = {
        "impressions": impressions,
        "spend": round(impressions / 1000 * cpm, 2),
        "clicks": clicks,
        "ctr": round(clicks / impressions, 4) if impressions else 0.0,
    }
    if kind == "video":
        completed = int(impressions * (0.6 + (value >> 30) % 30 / 100))
        totals.update(
            views=impressions,
            completed_views=completed,
            completion_rate=round(completed / impressions, 4) if impressions else 0.0,
        )
    return totals


def _split(totals: Mapping[str, Any], weights: Sequence[int]) -> list[dict[str, Any]]:
    shares: list[dict[str, Any]] = [{} for _ in weights]
    whole = sum(weights)
    for name in ("impressions", "clicks"):
        remaining = int(totals[name])
        for index, weight in enumerate(weights):
            part = remaining if index == len(weights) - 1 else int(totals[name] * weight / whole)
            shares[index][name] = part
            remaining -= part
    spend_left = float(totals["spend"])
    for index, weight in enumerate(weights):
        spend = round(spend_left if index == len(weights) - 1 else totals["spend"] * weight / whole, 2)
        shares[index]["spend"] = spend
        spend_left = round(spend_left - spend, 2)
    for share in shares:
        share["ctr"] = round(share["clicks"] / share["impressions"], 4) if share["impressions"] else 0.0
    return shares


def _creative_row(
    creative_id: str, creative: LibraryCreative | None, media_buy_id: str | None, days: float, max_variants: int | None
) -> dict[str, Any]:
    format_id = dict(creative.format_id) if creative is not None else None
    kind = (
        "video"
        if format_id and any(word in str(format_id.get("id")) for word in ("video", "vast", "ctv"))
        else "display"
    )
    totals = _metrics(f"{media_buy_id or '-'}:{creative_id}", days, kind)
    count = variant_count(creative_id)
    weights = [1 + _hash(f"{creative_id}:{number}") % 5 for number in range(1, count + 1)]
    listed = count if max_variants is None else min(count, max_variants)
    variants = []
    for number, share in enumerate(_split(totals, weights)[:listed], start=1):
        variant: dict[str, Any] = {
            "variant_id": variant_id(creative_id, number),
            "generation_context": {"context_type": CONTEXT_TYPES[(number - 1) % len(CONTEXT_TYPES)]},
            **share,
        }
        if creative is not None:
            variant["manifest"] = variant_manifest(creative, number)
        variants.append(variant)
    row: dict[str, Any] = {"creative_id": creative_id}
    if media_buy_id is not None:
        row["media_buy_id"] = media_buy_id
    if format_id is not None:
        row["format_id"] = format_id
    row.update(totals=totals, variant_count=count, variants=variants)
    return row


def creative_delivery(request: DeliveryRequest, session: Session, now: datetime) -> dict[str, Any]:
    """Return delivery for the requested buys and creatives over the reporting period, one page of creatives.

    A buy the session does not hold reports the buyer's library, as a simulated ad server would for
    a buy trafficked elsewhere. Creative ids the library does not hold come back under ``errors``.
    """
    rows: list[tuple[str, str | None]] = []
    errors: list[dict[str, Any]] = []
    wanted = set(request.creative_ids) if request.creative_ids is not None else None
    if request.media_buy_ids is not None:
        for media_buy_id in request.media_buy_ids:
            assigned = assigned_creative_ids(session, media_buy_id)
            ids = assigned or [creative.creative_id for creative in library(session)]
            rows.extend((creative_id, media_buy_id) for creative_id in ids if wanted is None or creative_id in wanted)
    else:
        for index, creative_id in enumerate(request.creative_ids or ()):
            if find_creative(session, creative_id) is None:
                errors.append(
                    {
                        "code": "CREATIVE_NOT_FOUND",
                        "message": f"Creative {creative_id!r} is not in this buyer's library",
                        "field": f"creative_ids[{index}]",
                    }
                )
            else:
                rows.append((creative_id, None))
    start, end = _period(request, now)
    days = max((end - start) / timedelta(days=1), 0.0)
    page = rows[request.offset : request.offset + request.limit]
    has_more = request.offset + len(page) < len(rows)
    pagination: dict[str, Any] = {
        "limit": request.limit,
        "offset": request.offset,
        "has_more": has_more,
        "total": len(rows),
    }
    if has_more:
        pagination["cursor"] = encode_cursor(CURSOR_KIND, request.offset + len(page))
    response: dict[str, Any] = {
        "reporting_period": {"start": iso(start), "end": iso(max(end, start)), "timezone": TIMEZONE},
        "currency": CURRENCY,
        "creatives": [
            _creative_row(creative_id, find_creative(session, creative_id), media_buy_id, days, request.max_variants)
            for creative_id, media_buy_id in page
        ],
        "pagination": pagination,
    }
    if request.media_buy_ids is not None and len(request.media_buy_ids) == 1:
        response["media_buy_id"] = request.media_buy_ids[0]
    if errors:
        response["errors"] = errors
    return response
