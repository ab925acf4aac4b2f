"""``update_media_buy``: optimistic concurrency, pause/resume, cancel, flight and package changes, new packages.

Every successful call bumps ``revision`` by one and appends history entries. A call is all or
nothing: it is applied to a copy of the stored buy, which replaces the original only when every
change validated. The rules (reference section 2.3):

* a ``revision`` that is not the current one is a CONFLICT;
* canceling a canceled, completed or rejected buy is NOT_CANCELLABLE; any other change to a
  buy in a terminal status is INVALID_STATE;
* ``creative_assignments`` replace a package's assignments; every creative must be in the
  library (CREATIVE_NOT_FOUND), and clearing them on a buy that is live or about to start is a
  VALIDATION_ERROR, since it would stop delivery without saying so.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from trainer.adcp.errors import AdcpError, invalid
from trainer.adcp.sessions import Session
from trainer.clock import iso, parse_instant
from trainer.domain.creatives import library
from trainer.domain.sales import status as st
from trainer.domain.sales.media_buys import (
    MAX_PACKAGES,
    MEDIA_BUYS,
    Seller,
    add_history,
    build_package,
    buys,
    check_targeting,
    find,
    package_id_for,
    render_package,
)

CANCELED_BY_BUYER: Final = "buyer"
MAX_REASON: Final = 500


def _bool(args: Mapping[str, Any], name: str, field: str) -> bool | None:
    value = args.get(name)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise invalid(field, f"{field} must be a boolean")
    return value


def _number(value: object, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid(field, f"{field} must be a number")
    return float(value)


def _instant(value: object, field: str) -> datetime:
    if not isinstance(value, str):
        raise invalid(field, f"{field} must be an ISO 8601 date-time")
    try:
        return parse_instant(value)
    except ValueError:
        raise invalid(field, f"{field} must be an ISO 8601 date-time") from None


def _pause(intervals: list[list[str | None]], paused: bool, now: datetime) -> bool:
    """Open or close a pause interval; return whether anything changed."""
    open_pause = bool(intervals) and intervals[-1][1] is None
    if paused and not open_pause:
        intervals.append([iso(now), None])
        return True
    if not paused and open_pause:
        intervals[-1][1] = iso(now)
        return True
    return False


def _cancellation(args: Mapping[str, Any], field: str, now: datetime) -> dict[str, Any]:
    cancellation: dict[str, Any] = {"canceled_at": iso(now), "canceled_by": CANCELED_BY_BUYER}
    reason = args.get("cancellation_reason")
    if reason is not None:
        if not isinstance(reason, str):
            raise invalid(field, "cancellation_reason must be a string")
        cancellation["reason"] = reason[:MAX_REASON]
    return cancellation


def update_media_buy(seller: Seller, session: Session, args: Mapping[str, Any], *, now: datetime) -> dict[str, Any]:
    """Apply an update to a stored buy and return the ``update_media_buy`` payload.

    Raises:
        AdcpError: MEDIA_BUY_NOT_FOUND, CONFLICT (stale ``revision``, with ``details.current_revision``),
            NOT_CANCELLABLE, INVALID_STATE, PACKAGE_NOT_FOUND, CREATIVE_NOT_FOUND, VALIDATION_ERROR,
            BUDGET_TOO_LOW, LIMIT_EXCEEDED or INVALID_REQUEST, each naming the field at fault.
    """
    media_buy_id = args.get("media_buy_id")
    if not isinstance(media_buy_id, str) or not media_buy_id:
        raise invalid("media_buy_id", "media_buy_id is required")
    stored = find(session, media_buy_id)
    if stored is None:
        raise AdcpError(
            "MEDIA_BUY_NOT_FOUND",
            f"Media buy not found: {media_buy_id}",
            field="media_buy_id",
            suggestion="Use a media_buy_id returned by create_media_buy for this account.",
        )
    revision = args.get("revision")
    if revision is not None:
        if isinstance(revision, bool) or not isinstance(revision, int):
            raise invalid("revision", "revision must be an integer")
        if revision != stored["revision"]:
            raise AdcpError(
                "CONFLICT",
                f"Media buy {media_buy_id} is at revision {stored['revision']}, not {revision}",
                field="revision",
                details={"current_revision": stored["revision"]},
                suggestion="Read the buy with get_media_buys and retry with its current revision.",
            )
    current = st.derive(stored, now)
    canceled = _bool(args, "canceled", "canceled")
    if canceled:
        if current in st.TERMINAL:
            raise AdcpError(
                "NOT_CANCELLABLE",
                f"Media buy {media_buy_id} is {current.value} and cannot be canceled",
                field="canceled",
                details={"status": current.value},
            )
        return _cancel(session, stored, args, now)
    if current in st.TERMINAL:
        raise AdcpError(
            "INVALID_STATE",
            f"Media buy {media_buy_id} is {current.value}; a {current.value} buy cannot be changed",
            field="media_buy_id",
            details={"status": current.value},
        )
    buy = copy.deepcopy(stored)
    affected: dict[str, dict[str, Any]] = {}
    paused = _bool(args, "paused", "paused")
    if paused is not None and _pause(buy["pauses"], paused, now):
        buy["status"] = st.S.PAUSED.value if paused else st.S.ACTIVE.value
        buy.pop("forced", None)
        add_history(
            buy, now, "paused" if paused else "resumed", "Paused by the buyer" if paused else "Resumed by the buyer"
        )
    _update_flight(buy, args, now)
    _update_packages(seller, session, buy, args, now, current, affected)
    _add_packages(seller, session, buy, args, now, affected)
    if st.has_creatives(buy) and "creatives_ready_at" not in buy:
        buy["creatives_ready_at"] = iso(now)
    buy["revision"] += 1
    buy["updated_at"] = iso(now)
    for entry in buy["history"][len(stored["history"]) :]:
        entry["revision"] = buy["revision"]
    _sync_assignments(session, stored, buy, now)
    stored.clear()
    stored.update(buy)
    return _reply(stored, now, list(affected.values()))


def _cancel(session: Session, buy: dict[str, Any], args: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    cancellation = _cancellation(args, "cancellation_reason", now)
    buy["status"] = st.S.CANCELED.value
    buy["cancellation"] = cancellation
    buy["revision"] += 1
    buy["updated_at"] = iso(now)
    buy.pop("forced", None)
    add_history(buy, now, "canceled", str(cancellation.get("reason") or "Canceled by the buyer"))
    # The creatives stay in the library; only their assignments to this buy's packages end.
    for package in buy["packages"]:
        for assignment in package.get("creative_assignments", ()):
            library.release_assignment(session, assignment["creative_id"], package["package_id"])
    reply = _reply(buy, now, buy["packages"])
    reply["cancellation"] = cancellation
    return reply


def _update_flight(buy: dict[str, Any], args: Mapping[str, Any], now: datetime) -> None:
    if args.get("start_time") is None and args.get("end_time") is None:
        return
    start = _instant(args["start_time"], "start_time") if args.get("start_time") is not None else None
    end = _instant(args["end_time"], "end_time") if args.get("end_time") is not None else None
    new_start = start or parse_instant(buy["start_time"])
    new_end = end or parse_instant(buy["end_time"])
    if new_end <= new_start:
        raise AdcpError("VALIDATION_ERROR", "end_time must be after start_time", field="end_time")
    if end is not None and end <= now:
        raise AdcpError("VALIDATION_ERROR", "end_time must be in the future", field="end_time")
    buy["start_time"], buy["end_time"] = iso(new_start), iso(new_end)
    add_history(buy, now, "updated_dates", f"Flight is now {buy['start_time']} to {buy['end_time']}")


def _update_packages(
    seller: Seller,
    session: Session,
    buy: dict[str, Any],
    args: Mapping[str, Any],
    now: datetime,
    current: st.Status,
    affected: dict[str, dict[str, Any]],
) -> None:
    updates = args.get("packages")
    if updates is None:
        return
    if not isinstance(updates, list):
        raise invalid("packages", "packages must be an array of package updates")
    by_id = {package["package_id"]: package for package in buy["packages"]}
    for index, update in enumerate(updates):
        at = f"packages[{index}]"
        if not isinstance(update, Mapping):
            raise invalid(at, "each package update must be an object")
        package_id = update.get("package_id")
        if not isinstance(package_id, str) or not package_id:
            raise invalid(f"{at}.package_id", "package_id is required")
        package = by_id.get(package_id)
        if package is None:
            raise AdcpError(
                "PACKAGE_NOT_FOUND",
                f"Package {package_id} is not part of media buy {buy['media_buy_id']}",
                field=f"{at}.package_id",
            )
        if package.get("canceled"):
            raise AdcpError("INVALID_STATE", f"Package {package_id} is canceled", field=f"{at}.package_id")
        _update_package(seller, session, buy, package, update, at, now, current)
        affected[package_id] = package


def _update_package(
    seller: Seller,
    session: Session,
    buy: dict[str, Any],
    package: dict[str, Any],
    update: Mapping[str, Any],
    at: str,
    now: datetime,
    current: st.Status,
) -> None:
    package_id = package["package_id"]
    if update.get("budget") is not None:
        budget = _number(update["budget"], f"{at}.budget")
        if budget < 0:
            raise AdcpError("VALIDATION_ERROR", "budget must not be negative", field=f"{at}.budget")
        option = _option(seller, session, package)
        min_spend = option.get("min_spend_per_package")
        if isinstance(min_spend, int | float) and budget < min_spend:
            raise AdcpError(
                "BUDGET_TOO_LOW", f"Budget {budget:g} is below the minimum spend of {min_spend:g}", field=f"{at}.budget"
            )
        add_history(
            buy, now, "updated_budget", f"Budget {package['budget']} -> {update['budget']} on {package_id}", package_id
        )
        package["budget"] = update["budget"]
    if update.get("bid_price") is not None:
        bid = _number(update["bid_price"], f"{at}.bid_price")
        option = _option(seller, session, package)
        floor = option.get("floor_price")
        if bid < 0 or ("fixed_price" not in option and isinstance(floor, int | float) and bid < floor):
            raise invalid(f"{at}.bid_price", f"bid_price {bid:g} is below the floor price {floor}")
        package["bid_price"] = update["bid_price"]
        if "fixed_price" not in option:
            package["rate"] = bid
        add_history(buy, now, "updated_packages", f"Bid on {package_id} is now {bid:g}", package_id)
    if update.get("impressions") is not None:
        if _number(update["impressions"], f"{at}.impressions") < 0:
            raise invalid(f"{at}.impressions", "impressions must not be negative")
        package["impressions"] = update["impressions"]
    for name in ("start_time", "end_time"):
        if update.get(name) is not None:
            package[name] = iso(_instant(update[name], f"{at}.{name}"))
    if parse_instant(package["end_time"]) <= parse_instant(package["start_time"]):
        raise AdcpError("VALIDATION_ERROR", "a package's end_time must be after its start_time", field=f"{at}.end_time")
    paused = _bool(update, "paused", f"{at}.paused")
    if paused is not None and _pause(package.setdefault("pauses", []), paused, now):
        package["paused"] = paused
        add_history(buy, now, "package_paused" if paused else "package_resumed", f"Package {package_id}", package_id)
    if "targeting_overlay" in update or "targeting" in update:
        overlay = check_targeting(update.get("targeting_overlay", update.get("targeting")), f"{at}.targeting_overlay")
        if overlay is None:
            package.pop("targeting_overlay", None)
        else:
            package["targeting_overlay"] = overlay
        add_history(buy, now, "updated_packages", f"Targeting replaced on {package_id}", package_id)
    if update.get("creative_assignments") is not None:
        _replace_assignments(session, buy, package, update["creative_assignments"], at, now, current)
    for key in ("pacing", "optimization_goals", "catalogs"):
        if update.get(key) is not None:
            package[key] = update[key]
    if _bool(update, "canceled", f"{at}.canceled"):
        package["canceled"] = True
        package["cancellation"] = _cancellation(update, f"{at}.cancellation_reason", now)
        add_history(buy, now, "package_canceled", f"Package {package_id} canceled", package_id)


def _option(seller: Seller, session: Session, package: Mapping[str, Any]) -> Mapping[str, Any]:
    product = seller.catalogue.product(session, package["product_id"]) or {}
    for option in product.get("pricing_options") or ():
        if isinstance(option, Mapping) and option.get("pricing_option_id") == package["pricing_option_id"]:
            return option
    return {"fixed_price": package.get("rate")}


def _replace_assignments(
    session: Session,
    buy: dict[str, Any],
    package: dict[str, Any],
    raw: object,
    at: str,
    now: datetime,
    current: st.Status,
) -> None:
    field = f"{at}.creative_assignments"
    if not isinstance(raw, list):
        raise invalid(field, "creative_assignments must be an array of {creative_id}")
    assignments = []
    for index, entry in enumerate(raw):
        if not isinstance(entry, Mapping) or not isinstance(entry.get("creative_id"), str):
            raise invalid(f"{field}[{index}].creative_id", "each creative assignment needs a creative_id")
        creative_id = entry["creative_id"]
        if library.find(session, creative_id) is None:
            raise AdcpError(
                "CREATIVE_NOT_FOUND",
                f"Creative {creative_id} is not in the library; sync it first",
                field=f"{field}[{index}].creative_id",
            )
        assignments.append({key: entry[key] for key in ("creative_id", "weight", "placement_ids") if key in entry})
    if not assignments and current in {st.S.ACTIVE, st.S.PAUSED, st.S.PENDING_START}:
        raise AdcpError(
            "VALIDATION_ERROR",
            f"Clearing every creative of package {package['package_id']} would stop a {current.value} buy",
            field=field,
            suggestion="Assign replacement creatives, or pause the package instead.",
        )
    package["creative_assignments"] = assignments
    ids = ", ".join(a["creative_id"] for a in assignments) or "none"
    add_history(buy, now, "updated_packages", f"Creatives on {package['package_id']}: {ids}", package["package_id"])


def _add_packages(
    seller: Seller,
    session: Session,
    buy: dict[str, Any],
    args: Mapping[str, Any],
    now: datetime,
    affected: dict[str, dict[str, Any]],
) -> None:
    requested = args.get("new_packages")
    if requested is None:
        return
    if not isinstance(requested, list) or not requested:
        raise invalid("new_packages", "new_packages must be a non-empty array")
    if len(buy["packages"]) + len(requested) > MAX_PACKAGES:
        raise AdcpError("LIMIT_EXCEEDED", f"A buy holds at most {MAX_PACKAGES} packages", field="new_packages")
    flight = (parse_instant(buy["start_time"]), parse_instant(buy["end_time"]))
    for index, raw in enumerate(requested):
        package_id = package_id_for(buy["media_buy_id"], len(buy["packages"]))
        package = build_package(seller, session, raw, f"new_packages[{index}]", package_id, flight, now)
        if package["currency"] != buy["currency"]:
            raise invalid(f"new_packages[{index}].pricing_option_id", f"The buy prices in {buy['currency']}")
        buy["packages"].append(package)
        affected[package_id] = package
        add_history(buy, now, "package_added", f"Added {package_id} ({package['product_id']})", package_id)


def _sync_assignments(session: Session, before: Mapping[str, Any], after: Mapping[str, Any], now: datetime) -> None:
    """Mirror the packages' creative assignments into the creative library's assignment records."""
    old = {(a["creative_id"], p["package_id"]) for p in before["packages"] for a in p.get("creative_assignments", ())}
    new = {(a["creative_id"], p["package_id"]) for p in after["packages"] for a in p.get("creative_assignments", ())}
    for creative_id, package_id in old - new:
        library.release_assignment(session, creative_id, package_id)
    for creative_id, package_id in new - old:
        library.record_assignment(session, creative_id, package_id, after["media_buy_id"], now)


def _reply(buy: Mapping[str, Any], now: datetime, affected: list[dict[str, Any]]) -> dict[str, Any]:
    current = st.derive(buy, now)
    return {
        "media_buy_id": buy["media_buy_id"],
        "status": current.value,
        "revision": buy["revision"],
        "implementation_date": iso(now),
        "valid_actions": st.valid_actions(current),
        "affected_packages": [render_package(package) for package in affected],
    }


def assign_creative(session: Session, creative_id: str, package_id: str, now: datetime) -> str | None:
    """The ``sync_creatives`` assignment hook: add a creative to a package of any of the session's buys.

    Returns an error message when the package is unknown or its buy can no longer change.
    """
    if not session.has_collection(MEDIA_BUYS):
        return f"Package {package_id} not found"
    for buy in buys(session).values():
        for package in buy["packages"]:
            if package["package_id"] != package_id:
                continue
            current = st.derive(buy, now)
            if current in st.TERMINAL or package.get("canceled"):
                continue
            assignments = package.setdefault("creative_assignments", [])
            if any(a["creative_id"] == creative_id for a in assignments):
                return None
            assignments.append({"creative_id": creative_id})
            if "creatives_ready_at" not in buy:
                buy["creatives_ready_at"] = iso(now)
            buy["revision"] += 1
            buy["updated_at"] = iso(now)
            add_history(buy, now, "updated_packages", f"Creative {creative_id} assigned to {package_id}", package_id)
            library.record_assignment(session, creative_id, package_id, buy["media_buy_id"], now)
            return None
    return f"Package {package_id} not found in an open media buy"
