"""The media-buy ``comply_test_controller`` scenarios (reference section 4), reusable by every tenant that sells.

``media_buy_scenarios(domain)`` returns ``Scenario`` objects bound to a ``SalesDomain``; /sales
passes them all to ``build_tenant``, and the creative tenants pick the ones they serve. Seeds are
unlisted, as in the reference. ``force_create_media_buy_arm`` and ``force_task_completion`` are
unlisted too: ``get_adcp_capabilities`` advertises the listed names, and the AdCP 3.0 schema
allows only force_creative_status, force_account_status, force_media_buy_status,
force_session_status, simulate_delivery and simulate_budget_spend there.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Final

import orjson

from trainer.adcp.comply import ComplyCall, ComplyError, Scenario, seed_scenario
from trainer.adcp.sessions import Session
from trainer.clock import iso, parse_instant
from trainer.domain.creatives.library import CreativeError
from trainer.domain.creatives.library import find as creative_find
from trainer.domain.governance.comply import force_account_status
from trainer.domain.sales import status as st
from trainer.domain.sales.delivery import SPEND_PERCENTAGE, record_simulation
from trainer.domain.sales.media_buys import FORCED_ARM, add_history, buys, find, package_id_for
from trainer.domain.sales.seller import SalesDomain
from trainer.tenant import JsonObject

MAX_TASK_ID: Final = 128
MAX_MESSAGE: Final = 2000
MAX_RESULT_BYTES: Final = 256 * 1024
SEED_FLIGHT_BEFORE: Final = timedelta(days=1)
SEED_FLIGHT_AFTER: Final = timedelta(days=30)
SEED_BUDGET: Final = 10000
# Seeds of these statuses land in the store as given; other statuses derive from the clock.
SEED_STATUSES: Final = frozenset(status.value for status in st.Status)


def _string(params: Mapping[str, Any], name: str, *, max_len: int | None = None) -> str:
    value = params.get(name)
    if not isinstance(value, str) or not value:
        raise ComplyError("INVALID_PARAMS", f"Missing required param: {name}")
    if max_len is not None and len(value) > max_len:
        raise ComplyError("INVALID_PARAMS", f"params.{name} must be at most {max_len} characters")
    return value


def _owner(comply: ComplyCall, holds: Callable[[Session], bool]) -> Session | None:
    """Return the session holding an entity: the call's own, else any session that holds it.

    The controller is a sandbox-only test hook that addresses buys and creatives by id. Storyboard
    runners seed or create under one account and force under another (or none), so an id the
    call's own account does not hold is looked up across sessions. Buyer-facing tools never do
    this: only the controller reaches across accounts.
    """
    own = comply.session()
    if holds(own):
        return own
    return comply.call.sessions.find(holds)


def _buy(comply: ComplyCall) -> dict[str, Any]:
    media_buy_id = _string(comply.params, "media_buy_id")
    owner = _owner(comply, lambda session: find(session, media_buy_id) is not None)
    buy = find(owner, media_buy_id) if owner is not None else None
    if buy is None:
        raise ComplyError("NOT_FOUND", f"Media buy {media_buy_id} not found")
    return buy


def _now(comply: ComplyCall) -> datetime:
    return comply.call.clock.now()


def _seed_package(media_buy_id: str, index: int, raw: Mapping[str, Any], start: str, end: str) -> dict[str, Any]:
    """Return a stored package from a ``seed_media_buy`` package fixture, defaults filled in.

    Raises:
        ComplyError: INVALID_PARAMS when a date, the budget or a creative assignment is malformed.
    """
    at = f"fixture.packages[{index}]"
    try:
        start = iso(parse_instant(raw["start_time"])) if raw.get("start_time") is not None else start
        end = iso(parse_instant(raw["end_time"])) if raw.get("end_time") is not None else end
    except (TypeError, ValueError, AttributeError):
        raise ComplyError("INVALID_PARAMS", f"{at} start_time and end_time must be ISO 8601 date-times") from None
    budget = raw.get("budget", SEED_BUDGET)
    if isinstance(budget, bool) or not isinstance(budget, int | float) or budget < 0:
        raise ComplyError("INVALID_PARAMS", f"{at}.budget must be a non-negative number")
    assignments = raw.get("creative_assignments") or []
    if not isinstance(assignments, list) or not all(
        isinstance(a, Mapping) and isinstance(a.get("creative_id"), str) for a in assignments
    ):
        raise ComplyError("INVALID_PARAMS", f"{at}.creative_assignments must be [{{creative_id}}]")
    package: dict[str, Any] = {
        **raw,
        "package_id": str(raw.get("package_id") or package_id_for(media_buy_id, index)),
        "product_id": str(raw.get("product_id", "test-product")),
        "pricing_option_id": str(raw.get("pricing_option_id", "test-pricing")),
        "budget": budget,
        "paused": raw.get("paused") is True,
        "start_time": start,
        "end_time": end,
        "creative_assignments": [dict(a) for a in assignments],
        "pricing_model": "cpm",
        "rate": 10.0,
        "currency": "USD",
        "channels": ["display"],
        "pauses": [],
    }
    return package


def media_buy_scenarios(domain: SalesDomain) -> list[Scenario]:
    """Return the media-buy scenarios bound to ``domain``, listed ones first."""

    async def seed_product(comply: ComplyCall, ids: tuple[str, ...], fixture: JsonObject) -> None:
        domain.catalogue.seed_product(comply.session(), ids[0], fixture)

    async def seed_pricing_option(comply: ComplyCall, ids: tuple[str, ...], fixture: JsonObject) -> None:
        domain.catalogue.seed_pricing_option(comply.session(), ids[0], ids[1], fixture)

    async def seed_creative(comply: ComplyCall, ids: tuple[str, ...], fixture: JsonObject) -> None:
        try:
            domain.library.seed(comply.session(), ids[0], fixture, now=_now(comply))
        except CreativeError as error:
            raise ComplyError(error.code, str(error)) from None

    async def seed_creative_format(comply: ComplyCall, ids: tuple[str, ...], fixture: JsonObject) -> None:
        domain.formats.seed(comply.session(), ids[0], fixture)

    async def seed_media_buy(comply: ComplyCall, ids: tuple[str, ...], fixture: JsonObject) -> None:
        now = _now(comply)
        media_buy_id = ids[0]
        status = fixture.get("status", "active")
        if not isinstance(status, str) or status not in SEED_STATUSES:
            raise ComplyError("INVALID_PARAMS", f"fixture.status must be a media buy status, got {status!r}")
        try:
            start = (
                iso(parse_instant(fixture["start_time"]))
                if fixture.get("start_time")
                else iso(now - SEED_FLIGHT_BEFORE)
            )
            end = iso(parse_instant(fixture["end_time"])) if fixture.get("end_time") else iso(now + SEED_FLIGHT_AFTER)
        except (TypeError, ValueError):
            raise ComplyError("INVALID_PARAMS", "fixture start_time and end_time must be ISO 8601 date-times") from None
        raw_packages = fixture.get("packages")
        packages = [p for p in raw_packages if isinstance(p, Mapping)] if isinstance(raw_packages, list) else []
        if not packages:
            total = fixture.get("total_budget")
            amount = total.get("amount") if isinstance(total, Mapping) else total
            packages = [{"budget": amount if isinstance(amount, int | float) else SEED_BUDGET}]
        currency = fixture.get("currency", "USD")
        if not isinstance(currency, str) or len(currency) != 3:
            raise ComplyError("INVALID_PARAMS", "fixture.currency must be an ISO 4217 code")
        stamp = iso(now)
        buy: dict[str, Any] = {
            "media_buy_id": media_buy_id,
            "status": status,
            "forced": True,
            "currency": currency,
            "start_time": start,
            "end_time": end,
            "revision": 1,
            "confirmed_at": stamp,
            "created_at": stamp,
            "updated_at": stamp,
            "packages": [_seed_package(media_buy_id, i, p, start, end) for i, p in enumerate(packages)],
            "pauses": [],
            "history": [],
        }
        for key in ("account", "brand"):
            if isinstance(fixture.get(key), Mapping):
                buy[key] = fixture[key]
        if status == "canceled":
            buy["cancellation"] = {"canceled_at": stamp, "canceled_by": "seller"}
        add_history(buy, now, "created", "Seeded by comply_test_controller")
        buys(comply.session())[media_buy_id] = buy

    async def force_media_buy_status(comply: ComplyCall) -> JsonObject:
        buy = _buy(comply)
        target = comply.params.get("status")
        if not isinstance(target, str) or target not in SEED_STATUSES:
            raise ComplyError("INVALID_PARAMS", "params.status must be a media buy status")
        now = _now(comply)
        stored = st.Status(buy["status"])
        previous = st.derive(buy, now)
        wanted = st.Status(target)
        # The stored status decides (a fresh buy is stored active while it shows pending_creatives),
        # and so does the shown one: either may legally move to the target.
        allowed = {stored, previous} | st.FORCE_TRANSITIONS[stored] | st.FORCE_TRANSITIONS[previous]
        legal = wanted is stored if stored in st.TERMINAL else wanted in allowed
        if not legal:
            raise ComplyError(
                "INVALID_TRANSITION",
                f"Cannot move media buy from {previous.value} to {wanted.value}",
                previous.value,
            )
        if wanted is st.S.REJECTED:
            reason = comply.params.get("rejection_reason")
            buy["rejection_reason"] = reason if isinstance(reason, str) and reason else "Rejected by the seller"
        if wanted is st.S.CANCELED and "cancellation" not in buy:
            buy["cancellation"] = {"canceled_at": iso(now), "canceled_by": "seller"}
        if stored is not wanted:
            buy["status"] = wanted.value
            buy["revision"] += 1
            buy["updated_at"] = iso(now)
            add_history(buy, now, wanted.value, f"Forced from {previous.value} by comply_test_controller")
        buy["forced"] = True
        return {
            "previous_state": previous.value,
            "current_state": wanted.value,
            "message": f"Media buy {buy['media_buy_id']} is {wanted.value}",
        }

    async def force_creative_status(comply: ComplyCall) -> JsonObject:
        creative_id = _string(comply.params, "creative_id")
        owner = _owner(comply, lambda session: creative_find(session, creative_id) is not None) or comply.session()
        try:
            previous, current = domain.library.force_status(
                owner, creative_id, comply.params.get("status"), comply.params.get("rejection_reason")
            )
        except CreativeError as error:
            raise ComplyError(error.code, str(error), error.current_state) from None
        return {"previous_state": previous, "current_state": current, "message": f"Creative {creative_id} is {current}"}

    async def simulate_delivery(comply: ComplyCall) -> JsonObject:
        buy = _buy(comply)
        current = st.derive(buy, _now(comply))
        if current in st.TERMINAL:
            raise ComplyError("INVALID_STATE", f"Media buy {buy['media_buy_id']} is {current.value}", current.value)
        for key in ("impressions", "clicks", "conversions"):
            value = comply.params.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | float) or value < 0):
                raise ComplyError("INVALID_PARAMS", f"params.{key} must be a non-negative number")
        spend = comply.params.get("reported_spend")
        if spend is not None:
            amount = spend.get("amount") if isinstance(spend, Mapping) else None
            if isinstance(amount, bool) or not isinstance(amount, int | float) or amount < 0:
                raise ComplyError("INVALID_PARAMS", "params.reported_spend must be {amount >= 0, currency}")
        result = record_simulation(buy, comply.params)
        return {**result, "message": f"Delivery simulated for {buy['media_buy_id']}"}

    async def simulate_budget_spend(comply: ComplyCall) -> JsonObject:
        session = comply.session()
        percentage = comply.params.get("spend_percentage")
        if isinstance(percentage, bool) or not isinstance(percentage, int | float) or not 0 <= percentage <= 100:
            raise ComplyError("INVALID_PARAMS", "params.spend_percentage must be a number from 0 to 100")
        if comply.params.get("media_buy_id") is not None:
            targets = [_buy(comply)]
        else:
            account_id = _string(comply.params, "account_id")
            targets = [b for b in buys(session).values() if (b.get("account") or {}).get("account_id") == account_id]
            if not targets:
                raise ComplyError("NOT_FOUND", f"No media buys under account {account_id}")
        simulated = []
        for buy in targets:
            buy[SPEND_PERCENTAGE] = float(percentage)
            budget = sum(p.get("budget", 0) for p in buy["packages"] if not p.get("canceled"))
            simulated.append(
                {
                    "media_buy_id": buy["media_buy_id"],
                    "spend": round(budget * percentage / 100, 2),
                    "currency": buy["currency"],
                }
            )
        return {
            "simulated": {"spend_percentage": percentage, "media_buys": simulated},
            "message": f"Budget spend set to {percentage:g}%",
        }

    async def force_create_media_buy_arm(comply: ComplyCall) -> JsonObject:
        arm = comply.params.get("arm")
        if arm != "submitted":
            raise ComplyError("INVALID_PARAMS", "params.arm must be submitted (input-required is not supported)")
        task_id = comply.params.get("task_id")
        if task_id is None:
            task_id = f"task_{uuid.uuid4()}"
        elif not isinstance(task_id, str) or not 0 < len(task_id) <= MAX_TASK_ID:
            raise ComplyError("INVALID_PARAMS", f"params.task_id must be 1 to {MAX_TASK_ID} characters")
        message = comply.params.get("message")
        if message is not None and (not isinstance(message, str) or len(message) > MAX_MESSAGE):
            raise ComplyError("INVALID_PARAMS", f"params.message must be a string of at most {MAX_MESSAGE} characters")
        comply.session().extras[FORCED_ARM] = {"task_id": task_id, "message": message}
        return {
            "forced": {"arm": arm, "task_id": task_id},
            "message": "The next create_media_buy in this account answers submitted",
        }

    async def force_task_completion(comply: ComplyCall) -> JsonObject:
        task_id = _string(comply.params, "task_id", max_len=MAX_TASK_ID)
        result = comply.params.get("result")
        if not isinstance(result, Mapping):
            raise ComplyError("INVALID_PARAMS", "params.result must be an object")
        if len(orjson.dumps(result)) > MAX_RESULT_BYTES:
            raise ComplyError("INVALID_PARAMS", "params.result must be at most 256 KB")
        tasks = comply.call.platform.tasks
        if tasks.owner_of(task_id) != comply.session().key:
            raise ComplyError("NOT_FOUND", f"Task {task_id} not found")
        view = tasks.get(task_id) or {}
        previous = str(view.get("status", "submitted"))
        if previous == "completed":
            if view.get("result") == dict(result):
                return {"previous_state": previous, "current_state": previous, "message": "Task already completed"}
            raise ComplyError("INVALID_TRANSITION", f"Task {task_id} already completed with another result", previous)
        if previous in {"failed", "canceled"}:
            raise ComplyError("INVALID_TRANSITION", f"Task {task_id} is {previous}", previous)
        tasks.complete(task_id, result)
        return {"previous_state": previous, "current_state": "completed", "message": f"Task {task_id} completed"}

    return [
        Scenario("force_creative_status", force_creative_status),
        Scenario("force_media_buy_status", force_media_buy_status),
        # Accounts force the same way everywhere: create_media_buy reads what governance's controller writes.
        Scenario("force_account_status", force_account_status),
        Scenario("simulate_delivery", simulate_delivery),
        Scenario("simulate_budget_spend", simulate_budget_spend),
        Scenario("force_create_media_buy_arm", force_create_media_buy_arm, listed=False),
        Scenario("force_task_completion", force_task_completion, listed=False),
        seed_scenario("seed_product", ("product_id",), seed_product),
        seed_scenario("seed_pricing_option", ("product_id", "pricing_option_id"), seed_pricing_option),
        seed_scenario("seed_media_buy", ("media_buy_id",), seed_media_buy),
        seed_scenario("seed_creative", ("creative_id",), seed_creative),
        seed_scenario("seed_creative_format", ("format_id",), seed_creative_format),
    ]


def scenario(scenarios: list[Scenario], name: str) -> Scenario:
    """Return the scenario called ``name`` from a list (for tenants that serve a subset).

    Raises:
        KeyError: when no scenario has that name.
    """
    for candidate in scenarios:
        if candidate.name == name:
            return candidate
    raise KeyError(name)
