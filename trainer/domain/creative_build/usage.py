"""report_usage for a creative agent: reconcile reported serving usage against the rate card, record by record.

A creative ad server billing through AdCP checks each record against the creative it names: the
creative must be in the record's account library, the pricing option and currency must be the
ones its builds reported, and ``vendor_cost`` must equal impressions / 1000 x the CPM (to the
cent or 1%, whichever is larger). Records that pass are stored in their account's session under
``creative_usage``; the others come back in ``errors`` naming ``usage[i].<field>``. Partial
acceptance is normal: one bad record never rejects the others.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final

import attrs

from trainer.adcp.errors import invalid
from trainer.adcp.sessions import Session
from trainer.clock import iso, parse_instant
from trainer.domain.brand import fields
from trainer.domain.creative_build.library import find_creative

USAGE: Final = "creative_usage"
MAX_RECORDS: Final = 1000
CURRENCY: Final = re.compile(r"[A-Z]{3}")
ABSOLUTE_TOLERANCE: Final = 0.01
RELATIVE_TOLERANCE: Final = 0.01


@attrs.frozen
class Rate:
    """What serving a creative costs.

    Attributes:
        pricing_option_id: the option builds and list_creatives report for it.
        cpm: the price per thousand impressions.
        currency: ISO 4217.
    """

    pricing_option_id: str
    cpm: float
    currency: str


RateCard = Callable[[Session, str], Rate | None]
"""Return the rate of creative ``creative_id`` in a session's library, or None when the library lacks it."""


def library_rate(session: Session, creative_id: str) -> Rate | None:
    """Return the serving rate of a creative in the session's library."""
    creative = find_creative(session, creative_id)
    if creative is None:
        return None
    return Rate(creative.rate_option_id, creative.cpm, creative.currency)


SessionFor = Callable[[Mapping[str, Any]], Session]
"""Return the session an account reference keys to."""


def _period(args: Mapping[str, Any]) -> tuple[datetime, datetime]:
    period = fields.mapping(args, "reporting_period", required=True)
    bounds = []
    for name in ("start", "end"):
        text = fields.text(period, name, "reporting_period", required=True)
        try:
            bounds.append(parse_instant(text))
        except ValueError:
            raise invalid(
                f"reporting_period.{name}", f"reporting_period.{name} must be an ISO 8601 date-time"
            ) from None
    start, end = bounds
    if end < start:
        raise invalid("reporting_period.end", "reporting_period.end is before reporting_period.start")
    return start, end


def _error(code: str, message: str, field: str) -> dict[str, Any]:
    return {"code": code, "message": message, "field": field}


def _check(
    record: object, index: int, session_for: SessionFor, rates: RateCard
) -> tuple[Session, dict[str, Any]] | dict[str, Any]:
    """Return the record's session and what to store, or the error for the record."""
    field = f"usage[{index}]"
    if not isinstance(record, Mapping):
        return _error("INVALID_REQUEST", f"{field} must be an object", field)
    account = record.get("account")
    if not isinstance(account, Mapping):
        return _error("INVALID_REQUEST", f"{field}.account is required", f"{field}.account")
    cost = record.get("vendor_cost")
    if isinstance(cost, bool) or not isinstance(cost, int | float) or cost < 0:
        return _error("INVALID_REQUEST", f"{field}.vendor_cost must be a non-negative number", f"{field}.vendor_cost")
    currency = record.get("currency")
    if not isinstance(currency, str) or not CURRENCY.fullmatch(currency):
        return _error("INVALID_REQUEST", f"{field}.currency must be an ISO 4217 code", f"{field}.currency")
    creative_id = record.get("creative_id")
    if not isinstance(creative_id, str) or not creative_id:
        return _error("INVALID_REQUEST", f"{field}.creative_id is required by a creative agent", f"{field}.creative_id")
    impressions = record.get("impressions")
    if impressions is not None and (
        isinstance(impressions, bool) or not isinstance(impressions, int) or impressions < 0
    ):
        return _error("INVALID_REQUEST", f"{field}.impressions must be a non-negative integer", f"{field}.impressions")
    session = session_for(account)
    rate = rates(session, creative_id)
    if rate is None:
        return _error(
            "CREATIVE_NOT_FOUND", f"Creative {creative_id!r} is not in this account's library", f"{field}.creative_id"
        )
    option = record.get("pricing_option_id")
    if option is not None and option != rate.pricing_option_id:
        return _error(
            "INVALID_REQUEST",
            f"{creative_id!r} is billed under {rate.pricing_option_id!r}, not {option!r}",
            f"{field}.pricing_option_id",
        )
    if currency != rate.currency:
        return _error(
            "INVALID_REQUEST", f"{creative_id!r} is billed in {rate.currency}, not {currency}", f"{field}.currency"
        )
    if impressions is not None:
        expected = round(impressions / 1000 * rate.cpm, 2)
        if abs(cost - expected) > max(ABSOLUTE_TOLERANCE, expected * RELATIVE_TOLERANCE):
            return _error(
                "INVALID_REQUEST",
                f"vendor_cost {cost:g} does not match {impressions} impressions at {rate.cpm:g} CPM ({expected:.2f})",
                f"{field}.vendor_cost",
            )
    stored = {**record, "pricing_option_id": rate.pricing_option_id}
    return session, stored


def report_usage(args: Mapping[str, Any], session_for: SessionFor, rates: RateCard, now: datetime) -> dict[str, Any]:
    """Reconcile and store the usage records of a report_usage request.

    Raises:
        AdcpError: INVALID_REQUEST naming ``reporting_period...`` or ``usage`` when the request as a
            whole is malformed (records are judged one by one, in ``errors``).
    """
    start, end = _period(args)
    usage = args.get("usage")
    if not isinstance(usage, list) or not usage:
        raise invalid("usage", "usage must be a non-empty array of usage records")
    if len(usage) > MAX_RECORDS:
        raise invalid("usage", f"A report takes at most {MAX_RECORDS} usage records")
    errors: list[dict[str, Any]] = []
    accepted = 0
    for index, record in enumerate(usage):
        checked = _check(record, index, session_for, rates)
        if isinstance(checked, dict):
            errors.append(checked)
            continue
        session, stored = checked
        stored.update(reporting_period={"start": iso(start), "end": iso(end)}, reported_at=iso(now))
        session.collection(USAGE)[uuid.uuid4().hex] = stored
        accepted += 1
    return {"accepted": accepted, "errors": errors, "sandbox": True}
