"""Simulated delivery: deterministic numbers from the clock, the flight and the buy's history.

A package delivers evenly over its flight while it can: from its start (or the moment its buy
first had a creative, whichever is later) until the earliest of now, its end and a cancellation,
minus the intervals it or its buy spent paused. Spend is the budget times the share of the flight
delivered; the other metrics follow from spend, the package's rate and its pricing model, with
channel-typical click-through and completion rates. ``simulate_delivery`` adds reported amounts on
top, and ``simulate_budget_spend`` raises spend to a share of the budget. Everything is a pure
function of the stored buy and the instant asked about, so the same clock always gives the same
numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

import attrs

from trainer.adcp.errors import AdcpError, invalid
from trainer.adcp.sessions import Session
from trainer.clock import iso, parse_instant
from trainer.domain.sales import status as st
from trainer.domain.sales.media_buys import buys

CTR: Final[Mapping[str, float]] = {
    "display": 0.0012,
    "olv": 0.006,
    "ctv": 0.0,
    "linear_tv": 0.0,
    "social": 0.009,
    "influencer": 0.011,
    "search": 0.03,
    "retail_media": 0.004,
    "gaming": 0.002,
    "email": 0.015,
    "dooh": 0.0,
    "ooh": 0.0,
    "print": 0.0,
    "radio": 0.0,
    "streaming_audio": 0.0005,
    "podcast": 0.0005,
}
COMPLETION: Final[Mapping[str, float]] = {
    "olv": 0.72,
    "ctv": 0.95,
    "linear_tv": 0.97,
    "streaming_audio": 0.9,
    "podcast": 0.93,
    "radio": 0.95,
}
FREQUENCY: Final[Mapping[str, float]] = {"ctv": 2.5, "linear_tv": 3.5, "radio": 4.0, "dooh": 6.0, "ooh": 6.0}
HOUSEHOLD_CHANNELS: Final = frozenset({"ctv", "linear_tv"})
IMPLIED_CPM: Final = 12.0  # what flat-rate and time-based buys are assumed to cost per thousand
VIEW_RATE: Final = 0.6
VIEWABLE_SHARE: Final = 0.7
CONVERSION_RATE: Final = 0.001
IMPRESSIONS_PER_GRP: Final = 10_000
MAX_DAYS: Final = 92
# Stored on a buy by the comply scenarios.
SIMULATION: Final = "simulation"
SPEND_PERCENTAGE: Final = "spend_percentage"


def _intervals(raw: Iterable[Sequence[str | None]], until: datetime) -> list[tuple[datetime, datetime]]:
    spans = []
    for start, end in raw:
        if start is None:
            continue
        spans.append((parse_instant(start), parse_instant(end) if end is not None else until))
    return spans


def _overlap(a: tuple[datetime, datetime], b: tuple[datetime, datetime]) -> float:
    return max(0.0, (min(a[1], b[1]) - max(a[0], b[0])).total_seconds())


@attrs.frozen
class _Timeline:
    """When a package could deliver: its flight, its live window's bounds and its pauses."""

    flight: tuple[datetime, datetime]
    opens: datetime | None
    closes: datetime
    pauses: tuple[tuple[datetime, datetime], ...]

    @classmethod
    def of(cls, buy: Mapping[str, Any], package: Mapping[str, Any], now: datetime) -> _Timeline:
        start, end = parse_instant(package["start_time"]), parse_instant(package["end_time"])
        ready = buy.get("creatives_ready_at")
        if ready is not None:
            opens: datetime | None = max(start, parse_instant(ready))
        elif buy.get("forced") and buy["status"] in {"active", "paused", "completed"}:
            # A controller forced the buy live without creatives: it delivers from its start.
            opens = start
        else:
            opens = None
        closes = end
        for cancellation in (buy.get("cancellation"), package.get("cancellation")):
            if isinstance(cancellation, Mapping):
                closes = min(closes, parse_instant(cancellation["canceled_at"]))
        if buy["status"] == st.S.REJECTED.value:
            opens = None
        horizon = max(now, closes)
        pauses = _intervals(buy.get("pauses", ()), horizon) + _intervals(package.get("pauses", ()), horizon)
        return cls((start, end), opens, closes, tuple(pauses))

    def fraction(self, at: datetime) -> float:
        """Return the share of the flight delivered by ``at``."""
        if self.opens is None:
            return 0.0
        live = (self.opens, min(at, self.closes))
        if live[1] <= live[0]:
            return 0.0
        seconds = (live[1] - live[0]).total_seconds() - sum(_overlap(live, pause) for pause in self.pauses)
        flight = (self.flight[1] - self.flight[0]).total_seconds()
        return max(0.0, min(1.0, seconds / flight)) if flight > 0 else 0.0


def _metrics(package: Mapping[str, Any], spend: float) -> dict[str, Any]:
    """Return the delivery metrics ``spend`` buys for a package (integers for counts, cents for money)."""
    model = package.get("pricing_model", "cpm")
    rate = float(package.get("rate") or IMPLIED_CPM)
    channels: list[str] = list(package.get("channels") or ["display"])
    channel = channels[0]
    ctr = max(CTR.get(c, 0.001) for c in channels)
    clicks: float | None = None
    metrics: dict[str, Any] = {}
    if model in {"cpm", "vcpm"}:
        impressions = spend / rate * 1000
        if model == "vcpm":
            impressions /= VIEWABLE_SHARE
    elif model == "cpc":
        clicks = spend / rate
        impressions = clicks / max(ctr, 0.001)
    elif model == "cpcv":
        impressions = spend / rate / COMPLETION.get(channel, 0.72)
    elif model == "cpv":
        impressions = spend / rate / VIEW_RATE
    elif model == "cpp":
        metrics["grps"] = round(spend / rate, 2)
        impressions = metrics["grps"] * IMPRESSIONS_PER_GRP
    elif model == "cpa":
        metrics["conversions"] = round(spend / rate)
        impressions = metrics["conversions"] / CONVERSION_RATE
    else:  # flat_rate, time
        impressions = spend / IMPLIED_CPM * 1000
    impressions = round(impressions)
    clicks = round(clicks if clicks is not None else impressions * ctr)
    metrics.update(impressions=impressions, spend=round(spend, 2), clicks=clicks)
    metrics["ctr"] = round(clicks / impressions, 4) if impressions else 0.0
    completion = max((COMPLETION[c] for c in channels if c in COMPLETION), default=None)
    if completion is not None:
        metrics["views"] = impressions
        metrics["completed_views"] = round(impressions * completion)
        metrics["completion_rate"] = completion
    frequency = max((FREQUENCY[c] for c in channels if c in FREQUENCY), default=None)
    if frequency is not None and impressions:
        metrics["reach"] = round(impressions / frequency)
        metrics["frequency"] = frequency
        metrics["reach_unit"] = "households" if HOUSEHOLD_CHANNELS & set(channels) else "individuals"
    return metrics


def _spend(
    buy: Mapping[str, Any], package: Mapping[str, Any], timeline: _Timeline, at: datetime, *, simulated: bool = False
) -> float:
    """Return what the package has spent by ``at``; ``simulated`` applies a controller's forced spend share."""
    budget = float(package.get("budget") or 0)
    spend = budget * timeline.fraction(at)
    forced = buy.get(SPEND_PERCENTAGE)
    if simulated and isinstance(forced, int | float):
        spend = max(spend, budget * float(forced) / 100)
    return min(spend, budget)


def _day(value: object, field: str) -> date:
    if not isinstance(value, str):
        raise invalid(field, f"{field} must be a date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise invalid(field, f"{field} must be a date (YYYY-MM-DD)") from None


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def package_delivery(
    buy: Mapping[str, Any], package: Mapping[str, Any], period: tuple[datetime, datetime], now: datetime, *, daily: bool
) -> dict[str, Any]:
    """Return one ``by_package`` entry for the reporting ``period``."""
    timeline = _Timeline.of(buy, package, now)
    until = min(period[1], now)
    spend = _spend(buy, package, timeline, until, simulated=True) - _spend(buy, package, timeline, period[0])
    entry = {
        "package_id": package["package_id"],
        **_metrics(package, max(spend, 0.0)),
        "pricing_model": package.get("pricing_model", "cpm"),
        "rate": package.get("rate", IMPLIED_CPM),
        "currency": buy["currency"],
        "paused": bool(package.get("paused")),
    }
    budget = float(package.get("budget") or 0)
    if package.get("canceled") or now >= timeline.flight[1] or buy["status"] in {"canceled", "completed"}:
        entry["delivery_status"] = "completed"
    elif budget and _spend(buy, package, timeline, now, simulated=True) >= budget:
        entry["delivery_status"] = "budget_exhausted"
    else:
        entry["delivery_status"] = "delivering"
    if daily:
        entry["daily_breakdown"] = _daily(buy, package, timeline, period[0], until)
    return entry


def _daily(
    buy: Mapping[str, Any], package: Mapping[str, Any], timeline: _Timeline, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    days: list[dict[str, Any]] = []
    if end <= start:
        return days
    first = max(start.date(), (end - timedelta(days=MAX_DAYS - 1)).date())
    day = first
    while _midnight(day) < end:
        lower, upper = max(_midnight(day), start), min(_midnight(day + timedelta(days=1)), end)
        spend = _spend(buy, package, timeline, upper) - _spend(buy, package, timeline, lower)
        if spend > 0:
            metrics = _metrics(package, spend)
            days.append({"date": day.isoformat(), "impressions": metrics["impressions"], "spend": metrics["spend"]})
        day += timedelta(days=1)
    return days


def _add_simulation(buy: Mapping[str, Any], totals: dict[str, Any], packages: list[dict[str, Any]]) -> None:
    simulated = buy.get(SIMULATION)
    if not isinstance(simulated, Mapping) or not packages:
        return
    first = packages[0]
    for key in ("impressions", "clicks", "conversions"):
        amount = simulated.get(key)
        if amount:
            first[key] = first.get(key, 0) + amount
            totals[key] = totals.get(key, 0) + amount
    spend = simulated.get("spend")
    if spend:
        first["spend"] = round(first.get("spend", 0) + spend, 2)
        totals["spend"] = round(totals.get("spend", 0) + spend, 2)
    vendor_values = simulated.get("vendor_metric_values")
    if vendor_values:
        first["vendor_metric_values"] = list(vendor_values)


def buy_delivery(
    buy: Mapping[str, Any], period: tuple[datetime, datetime], now: datetime, *, daily: bool
) -> dict[str, Any]:
    """Return one ``media_buy_deliveries`` entry."""
    packages = [package_delivery(buy, package, period, now, daily=daily) for package in buy["packages"]]
    totals: dict[str, Any] = {"impressions": 0, "spend": 0.0, "clicks": 0}
    for entry in packages:
        for key in ("impressions", "clicks", "views", "completed_views", "conversions", "reach"):
            if key in entry:
                totals[key] = totals.get(key, 0) + entry[key]
        totals["spend"] = round(totals["spend"] + entry["spend"], 2)
    _add_simulation(buy, totals, packages)
    if totals["impressions"]:
        totals["ctr"] = round(totals["clicks"] / totals["impressions"], 4)
        if totals.get("completed_views") is not None and totals.get("views"):
            totals["completion_rate"] = round(totals["completed_views"] / totals["views"], 4)
        if totals.get("reach"):
            totals["frequency"] = round(totals["impressions"] / totals["reach"], 2)
            units = {entry.get("reach_unit") for entry in packages if entry.get("reach_unit")}
            totals["reach_unit"] = units.pop() if len(units) == 1 else "individuals"
    return {
        "media_buy_id": buy["media_buy_id"],
        "status": st.derive(buy, now).value,
        "totals": totals,
        "by_package": packages,
    }


def get_media_buy_delivery(session: Session, args: Mapping[str, Any], *, now: datetime) -> dict[str, Any]:
    """Answer ``get_media_buy_delivery`` for the buys named (``media_buy_ids`` or ``media_buy_id``), else all.

    Raises:
        AdcpError: MEDIA_BUY_NOT_FOUND (field ``media_buy_ids[i]``) for an id this account has no buy
            under; INVALID_REQUEST for malformed ids, statuses or dates.
    """
    ids = args.get("media_buy_ids")
    single = args.get("media_buy_id")
    if ids is None and single is not None:
        ids = [single]
    store = buys(session) if session.has_collection("media_buys") else {}
    selected: list[Mapping[str, Any]] = []
    if ids is not None:
        if not isinstance(ids, list) or not all(isinstance(i, str) and i for i in ids):
            raise invalid("media_buy_ids", "media_buy_ids must be an array of media buy ids")
        for index, media_buy_id in enumerate(ids):
            buy = store.get(media_buy_id)
            if buy is None:
                raise AdcpError(
                    "MEDIA_BUY_NOT_FOUND", f"Media buy not found: {media_buy_id}", field=f"media_buy_ids[{index}]"
                )
            selected.append(buy)
    else:
        selected = list(store.values())
    statuses = args.get("status_filter")
    if statuses is not None:
        values = [statuses] if isinstance(statuses, str) else statuses
        if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
            raise invalid("status_filter", "status_filter must name media buy statuses")
        wanted = set(values)
        if not wanted <= {status.value for status in st.Status}:
            raise invalid("status_filter", "status_filter must name media buy statuses")
        selected = [buy for buy in selected if st.derive(buy, now).value in wanted]
    starts = [parse_instant(buy["start_time"]) for buy in selected]
    period_start = (
        _midnight(_day(args["start_date"], "start_date")) if args.get("start_date") else min(starts, default=now)
    )
    period_end = (
        _midnight(_day(args["end_date"], "end_date") + timedelta(days=1))
        if args.get("end_date")
        else max(now, period_start)
    )
    if period_end < period_start:
        raise invalid("end_date", "end_date must not be before start_date")
    period = (period_start, period_end)
    daily = args.get("include_package_daily_breakdown") is True
    deliveries = [buy_delivery(buy, period, now, daily=daily) for buy in selected]
    currency = selected[0]["currency"] if selected else "USD"
    aggregated = {
        "impressions": sum(d["totals"]["impressions"] for d in deliveries),
        "spend": round(sum(d["totals"]["spend"] for d in deliveries), 2),
        "clicks": sum(d["totals"].get("clicks", 0) for d in deliveries),
        "media_buy_count": len(deliveries),
    }
    return {
        "reporting_period": {"start": iso(period_start), "end": iso(min(period_end, max(now, period_start)))},
        "currency": currency,
        "aggregated_totals": aggregated,
        "media_buy_deliveries": deliveries,
    }


def snapshot(buy: Mapping[str, Any], package: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """Return a package's ``get_media_buys`` delivery snapshot at ``now``."""
    timeline = _Timeline.of(buy, package, now)
    spend = _spend(buy, package, timeline, now, simulated=True)
    metrics = _metrics(package, spend)
    elapsed = timeline.flight[1] - timeline.flight[0]
    expected = 0.0
    if elapsed.total_seconds() > 0:
        expected = min(1.0, max(0.0, (now - timeline.flight[0]) / elapsed))
    snap: dict[str, Any] = {
        "as_of": iso(now),
        "staleness_seconds": 0,
        "impressions": metrics["impressions"],
        "spend": metrics["spend"],
        "clicks": metrics["clicks"],
    }
    if expected > 0:
        snap["pacing_index"] = round(timeline.fraction(now) / expected, 2)
    return snap


def record_simulation(buy: dict[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """Add reported delivery to a buy's simulation accumulators; return what was added and the running totals."""
    simulated: dict[str, Any] = buy.setdefault(SIMULATION, {})
    added: dict[str, Any] = {}
    for key in ("impressions", "clicks", "conversions"):
        value = params.get(key)
        if value is not None:
            added[key] = value
            simulated[key] = simulated.get(key, 0) + value
    reported = params.get("reported_spend")
    if isinstance(reported, Mapping) and reported.get("amount") is not None:
        added["reported_spend"] = dict(reported)
        simulated["spend"] = round(simulated.get("spend", 0) + float(reported["amount"]), 2)
    vendor_values = params.get("vendor_metric_values")
    if isinstance(vendor_values, list):
        added["vendor_metric_values"] = vendor_values
        simulated["vendor_metric_values"] = list(vendor_values)
    return {"simulated": added, "cumulative": {k: v for k, v in simulated.items() if k != "vendor_metric_values"}}
