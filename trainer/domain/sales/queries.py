"""``get_media_buys`` and ``provide_performance_feedback``: reading buys back, and taking the buyer's verdict.

``get_media_buys`` lists the session's buys, by id or by status (``active`` when neither is
given, as the reference does), with history and delivery snapshots on request and cursor
pagination. ``provide_performance_feedback`` finds the buy in the caller's session or, since its
request names no account, in any session (reference section 3.1), and records the feedback.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final

from trainer.adcp.errors import AdcpError, invalid
from trainer.adcp.pagination import paginate
from trainer.adcp.sessions import Session
from trainer.clock import parse_instant
from trainer.domain.creatives import library
from trainer.domain.sales import status as st
from trainer.domain.sales.delivery import snapshot
from trainer.domain.sales.media_buys import MEDIA_BUYS, find, render_package, total_budget

PAGINATION_KIND: Final = "media_buys"
DEFAULT_STATUS_FILTER: Final = ("active",)
MAX_FEEDBACK: Final = 100
METRIC_TYPES: Final = frozenset(
    {
        "overall_performance", "conversion_rate", "brand_lift", "click_through_rate", "completion_rate",
        "viewability", "brand_safety", "cost_efficiency",
    }
)  # fmt: skip
FEEDBACK_SOURCES: Final = frozenset(
    {"buyer_attribution", "third_party_measurement", "platform_analytics", "verification_partner"}
)


def _statuses(raw: object) -> frozenset[str]:
    values = [raw] if isinstance(raw, str) else raw
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise invalid("status_filter", "status_filter must be a status or an array of statuses")
    unknown = set(values) - {status.value for status in st.Status}
    if unknown:
        raise invalid("status_filter", f"Unknown media buy status: {sorted(unknown)[0]}")
    return frozenset(values)


def _period_bound(period: Mapping[str, Any], name: str) -> datetime:
    value = period.get(name)
    try:
        if isinstance(value, str):
            return parse_instant(value)
    except ValueError:
        pass
    raise invalid(f"measurement_period.{name}", f"measurement_period.{name} must be an ISO 8601 date-time")


def render_buy(
    session: Session, buy: Mapping[str, Any], now: datetime, *, history: int = 0, snapshots: bool = False
) -> dict[str, Any]:
    """Return a buy as ``get_media_buys`` shows it."""
    current = st.derive(buy, now)
    packages = []
    for package in buy["packages"]:
        wire = render_package(package)
        wire["currency"] = buy["currency"]
        assignments = package.get("creative_assignments") or ()
        if assignments:
            wire["creative_approvals"] = [library.approval_status(session, a["creative_id"]) for a in assignments]
        if snapshots:
            wire["snapshot"] = snapshot(buy, package, now)
        packages.append(wire)
    wire_buy: dict[str, Any] = {
        "media_buy_id": buy["media_buy_id"],
        "status": current.value,
        "currency": buy["currency"],
        "total_budget": total_budget(buy),
        "start_time": buy["start_time"],
        "end_time": buy["end_time"],
        "confirmed_at": buy["confirmed_at"],
        "created_at": buy["created_at"],
        "updated_at": buy["updated_at"],
        "revision": buy["revision"],
        "valid_actions": st.valid_actions(current),
        "packages": packages,
    }
    for key in ("cancellation", "governance_context", "proposal_id", "agency_estimate_number", "po_number"):
        if buy.get(key) is not None:
            wire_buy[key] = buy[key]
    if current is st.S.REJECTED and buy.get("rejection_reason"):
        wire_buy["rejection_reason"] = buy["rejection_reason"]
    if history > 0:
        wire_buy["history"] = list(reversed(buy.get("history", ())))[:history]
    return wire_buy


def get_media_buys(session: Session, args: Mapping[str, Any], *, now: datetime) -> dict[str, Any]:
    """Answer ``get_media_buys``: buys by id, else by status (default ``active``), one page at a time.

    Unknown ids are skipped; a lookup by id is one terminal page.

    Raises:
        AdcpError: INVALID_REQUEST naming ``media_buy_ids``, ``status_filter``, ``include_history`` or a
            ``pagination`` field.
    """
    store = session.collection(MEDIA_BUYS) if session.has_collection(MEDIA_BUYS) else {}
    history = args.get("include_history", 0)
    if isinstance(history, bool) or not isinstance(history, int) or history < 0:
        raise invalid("include_history", "include_history must be a non-negative integer")
    snapshots = args.get("include_snapshot") is True
    ids = args.get("media_buy_ids")
    if ids is not None:
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise invalid("media_buy_ids", "media_buy_ids must be an array of media buy ids")
        found = [store[media_buy_id] for media_buy_id in dict.fromkeys(ids) if media_buy_id in store]
        if args.get("status_filter") is not None:
            wanted = _statuses(args["status_filter"])
            found = [buy for buy in found if st.derive(buy, now).value in wanted]
        rendered = [render_buy(session, buy, now, history=history, snapshots=snapshots) for buy in found]
        return {"media_buys": rendered, "pagination": {"has_more": False, "total_count": len(rendered)}}
    raw_filter = args.get("status_filter")
    wanted = _statuses(raw_filter) if raw_filter is not None else frozenset(DEFAULT_STATUS_FILTER)
    matching = [buy for buy in store.values() if st.derive(buy, now).value in wanted]
    page, pagination = paginate(matching, args.get("pagination"), PAGINATION_KIND)
    return {
        "media_buys": [render_buy(session, buy, now, history=history, snapshots=snapshots) for buy in page],
        "pagination": pagination,
    }


def provide_performance_feedback(
    session: Session,
    args: Mapping[str, Any],
    *,
    now: datetime,
    elsewhere: Callable[[str], Session | None] = lambda media_buy_id: None,
) -> dict[str, Any]:
    """Record the buyer's performance feedback on a buy and acknowledge it.

    ``elsewhere`` finds the session holding a buy the caller's session does not (the request carries
    no account, so the buy may live under another key).

    Raises:
        AdcpError: MEDIA_BUY_NOT_FOUND, PACKAGE_NOT_FOUND, or INVALID_REQUEST naming the bad field.
    """
    media_buy_id = args.get("media_buy_id")
    if not isinstance(media_buy_id, str) or not media_buy_id:
        raise invalid("media_buy_id", "media_buy_id is required")
    period = args.get("measurement_period")
    if not isinstance(period, Mapping):
        raise invalid("measurement_period", "measurement_period {start, end} is required")
    start = _period_bound(period, "start")
    if _period_bound(period, "end") <= start:
        raise invalid("measurement_period.end", "measurement_period.end must be after its start")
    index = args.get("performance_index")
    if isinstance(index, bool) or not isinstance(index, int | float) or index < 0:
        raise invalid("performance_index", "performance_index must be a number of at least 0")
    metric_type = args.get("metric_type")
    if metric_type is not None and not (isinstance(metric_type, str) and metric_type in METRIC_TYPES):
        raise invalid("metric_type", f"metric_type must be one of {', '.join(sorted(METRIC_TYPES))}")
    source = args.get("feedback_source")
    if source is not None and not (isinstance(source, str) and source in FEEDBACK_SOURCES):
        raise invalid("feedback_source", f"feedback_source must be one of {', '.join(sorted(FEEDBACK_SOURCES))}")
    owner = session if find(session, media_buy_id) is not None else elsewhere(media_buy_id)
    buy = find(owner, media_buy_id) if owner is not None else None
    if buy is None:
        raise AdcpError("MEDIA_BUY_NOT_FOUND", f"Media buy not found: {media_buy_id}", field="media_buy_id")
    package_id = args.get("package_id")
    if package_id is not None and not any(p["package_id"] == package_id for p in buy["packages"]):
        raise AdcpError("PACKAGE_NOT_FOUND", f"Package {package_id} is not part of {media_buy_id}", field="package_id")
    feedback = buy.setdefault("feedback", [])
    feedback.append(
        {
            key: args[key]
            for key in (
                "measurement_period",
                "performance_index",
                "package_id",
                "creative_id",
                "metric_type",
                "feedback_source",
            )
            if key in args
        }
    )
    del feedback[:-MAX_FEEDBACK]
    reply: dict[str, Any] = {
        "success": True,
        "media_buy_id": media_buy_id,
        "measurement_period": dict(period),
        "performance_index": index,
    }
    for key in ("package_id", "creative_id", "metric_type", "feedback_source"):
        if args.get(key) is not None:
            reply[key] = args[key]
    return reply
