"""Media buys in the session store: how they are stored and rendered, and ``create_media_buy`` with its gates.

Buys live in the session collection ``media_buys`` (media buy id -> stored record). A stored record
is plain JSON-able data: the buy's own fields (``media_buy_id``, stored ``status``, ``currency``,
``start_time``, ``end_time``, ``revision``, ``history``, ...) and its packages, each carrying the
resolved ``pricing_model``, ``rate`` and ``channels`` that delivery simulation needs. Those internal
fields never reach the wire: ``render_package`` and ``render_buy`` build the wire shapes.

``create_media_buy`` runs the reference's gates in order (section 2.3): a forced async arm, the
account's status, the governance gate, the proposal path, then package validation.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

import attrs

from trainer.adcp.errors import AdcpError, invalid
from trainer.adcp.sessions import Session
from trainer.clock import iso, parse_instant
from trainer.domain.creatives import library
from trainer.domain.governance.gate import enforce_budget_gate
from trainer.domain.sales import status as st
from trainer.domain.sales.catalogue import Catalogue
from trainer.domain.sales.discovery import Discovery

MEDIA_BUYS: Final = "media_buys"
# session.extras key: the single-shot arm comply's force_create_media_buy_arm registers.
FORCED_ARM: Final = "sales_forced_create_arm"
# Session collection the governance controller's force_account_status writes: account id -> status.
ACCOUNT_STATUSES: Final = "account_statuses"
MAX_BUYS: Final = 100
MAX_PACKAGES: Final = 50
BUYER_ID: Final = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
MIN_VARIANCE_PERCENT: Final = 0.5
REJECTED_WINDOWS: Final = frozenset({"c30"})
LIST_REF_FIELDS: Final = ("property_list", "collection_list", "collection_list_exclude")
# Account statuses that block new buys, and the AdCP code each one answers with.
BLOCKED_ACCOUNTS: Final[Mapping[str, str]] = {
    "suspended": "ACCOUNT_SUSPENDED",
    "closed": "ACCOUNT_SUSPENDED",
    "rejected": "ACCOUNT_SUSPENDED",
    "payment_required": "ACCOUNT_PAYMENT_REQUIRED",
    "pending_approval": "ACCOUNT_SETUP_REQUIRED",
}
# Package fields stored for delivery and validation only.
INTERNAL_PACKAGE_FIELDS: Final = frozenset({"pricing_model", "rate", "channels", "pauses", "currency"})
_URL: Final = re.compile(r"^https?://\S+$", re.IGNORECASE)

AccountStatus = Callable[[str], str | None]
"""Return the forced status of an account id, or None when it was never forced."""


def buys(session: Session) -> dict[str, Any]:
    """Return the session's media buys (media buy id -> stored record)."""
    return session.collection(MEDIA_BUYS)


def find(session: Session, media_buy_id: str) -> dict[str, Any] | None:
    """Return a stored buy, or None."""
    if not session.has_collection(MEDIA_BUYS):
        return None
    found: dict[str, Any] | None = session.collection(MEDIA_BUYS).get(media_buy_id)
    return found


def package_id_for(media_buy_id: str, index: int) -> str:
    """Return the id of a buy's ``index``-th package; unique in the session, so assignments are unambiguous."""
    return f"{media_buy_id}_pkg_{index}"


def render_package(package: Mapping[str, Any]) -> dict[str, Any]:
    """Return the wire ``Package`` of a stored package."""
    return {key: value for key, value in package.items() if key not in INTERNAL_PACKAGE_FIELDS}


def add_history(buy: dict[str, Any], now: datetime, action: str, summary: str, package_id: str | None = None) -> None:
    """Append a history entry at the buy's current revision."""
    entry: dict[str, Any] = {
        "revision": buy["revision"],
        "timestamp": iso(now),
        "action": action,
        "summary": summary[:500],
    }
    if package_id is not None:
        entry["package_id"] = package_id
    buy.setdefault("history", []).append(entry)


def total_budget(buy: Mapping[str, Any]) -> float:
    """Return the sum of the budgets of the buy's live packages."""
    return float(sum(p.get("budget", 0) for p in buy.get("packages", ()) if not p.get("canceled")))


def account_status_in(session: Session, account_id: str) -> str | None:
    """Return the status a controller forced on ``account_id`` in this session, or None."""
    if not session.has_collection(ACCOUNT_STATUSES):
        return None
    value = session.collection(ACCOUNT_STATUSES).get(account_id)
    if isinstance(value, Mapping):
        value = value.get("status")
    return value if isinstance(value, str) else None


@attrs.frozen
class Submitted:
    """The submitted arm of ``create_media_buy`` a controller forced.

    Attributes:
        task_id: the task the buyer polls.
        message: why the seller is holding the buy, when given.
    """

    task_id: str
    message: str | None = None

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"status": "submitted", "task_id": self.task_id}
        if self.message is not None:
            wire["message"] = self.message
        return wire


@attrs.frozen
class Seller:
    """What ``create_media_buy`` validates against.

    Attributes:
        catalogue: products and pricing.
        discovery: proposals (static drafts and the session's committed copies).
        account_status: the forced status of an account id anywhere on the platform.
    """

    catalogue: Catalogue
    discovery: Discovery
    account_status: AccountStatus = lambda account_id: None


# -- parsing helpers -----------------------------------------------------------------------------


def _instant(value: object, field: str, *, allow_asap: bool = False, now: datetime | None = None) -> datetime:
    if allow_asap and value == "asap" and now is not None:
        return now
    if not isinstance(value, str):
        raise invalid(field, f"{field} must be an ISO 8601 date-time")
    try:
        return parse_instant(value)
    except ValueError:
        raise invalid(field, f"{field} must be an ISO 8601 date-time, got {value[:40]!r}") from None


def _number(value: object, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid(field, f"{field} must be a number")
    return float(value)


def parse_flight(args: Mapping[str, Any], now: datetime) -> tuple[datetime, datetime]:
    """Return the buy's (start, end); ``start_time`` may be ``asap``.

    Raises:
        AdcpError: INVALID_REQUEST on ``start_time``/``end_time`` when missing or malformed, and on
            ``end_time`` when it is not after the start.
    """
    start = _instant(args.get("start_time", "asap"), "start_time", allow_asap=True, now=now)
    end = _instant(args.get("end_time"), "end_time")
    if end <= start:
        raise invalid(
            "end_time", "end_time must be after start_time", suggestion="Send a flight whose end follows its start."
        )
    return start, end


def check_targeting(overlay: object, field: str) -> dict[str, Any] | None:
    """Validate a ``targeting_overlay`` and return it; property and collection list references need a URL and id.

    Raises:
        AdcpError: VALIDATION_ERROR naming the malformed reference field.
    """
    if overlay is None:
        return None
    if not isinstance(overlay, Mapping):
        raise AdcpError("VALIDATION_ERROR", f"{field} must be an object", field=field)
    for name in LIST_REF_FIELDS:
        ref = overlay.get(name)
        if ref is None:
            continue
        at = f"{field}.{name}"
        if not isinstance(ref, Mapping):
            raise AdcpError("VALIDATION_ERROR", f"{at} must be an object with agent_url and list_id", field=at)
        if not isinstance(ref.get("agent_url"), str) or not _URL.match(ref["agent_url"]):
            raise AdcpError("VALIDATION_ERROR", f"{at}.agent_url must be an http(s) URL", field=f"{at}.agent_url")
        list_id = ref.get("list_id")
        if not isinstance(list_id, str) or not list_id or len(list_id) > 256:
            raise AdcpError("VALIDATION_ERROR", f"{at}.list_id must be a non-empty string", field=f"{at}.list_id")
    return dict(overlay)


def check_measurement_terms(terms: object, field: str) -> dict[str, Any] | None:
    """Validate ``measurement_terms``; a variance under 0.5% or a c30 window is more than the seller can honour.

    Raises:
        AdcpError: INVALID_REQUEST when malformed; TERMS_REJECTED (recovery correctable) when unworkable.
    """
    if terms is None:
        return None
    if not isinstance(terms, Mapping):
        raise invalid(field, f"{field} must be an object")
    billing = terms.get("billing_measurement")
    if billing is None:
        return dict(terms)
    if not isinstance(billing, Mapping):
        raise invalid(f"{field}.billing_measurement", "billing_measurement must be an object")
    variance = billing.get("max_variance_percent")
    if variance is not None:
        value = _number(variance, f"{field}.billing_measurement.max_variance_percent")
        if value < MIN_VARIANCE_PERCENT:
            raise AdcpError(
                "TERMS_REJECTED",
                f"A billing variance under {MIN_VARIANCE_PERCENT}% cannot be guaranteed by this seller.",
                field=f"{field}.billing_measurement.max_variance_percent",
                suggestion="Allow a max_variance_percent of at least 0.5 (10 is common).",
            )
    window = billing.get("measurement_window")
    if isinstance(window, str) and window in REJECTED_WINDOWS:
        raise AdcpError(
            "TERMS_REJECTED",
            f"Billing on the {window} window is not offered; the seller bills on c3 or c7.",
            field=f"{field}.billing_measurement.measurement_window",
            suggestion="Use measurement_window c7.",
        )
    return dict(terms)


def _creative_assignments(raw: object, field: str) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise invalid(field, f"{field} must be an array of {{creative_id}}")
    assignments = []
    for index, entry in enumerate(raw):
        if not isinstance(entry, Mapping) or not isinstance(entry.get("creative_id"), str) or not entry["creative_id"]:
            raise invalid(f"{field}[{index}].creative_id", "each creative assignment needs a creative_id")
        kept = {key: entry[key] for key in ("creative_id", "weight", "placement_ids") if key in entry}
        assignments.append(kept)
    return assignments


def _pricing_option(product: Mapping[str, Any], raw_id: object, field: str) -> Mapping[str, Any]:
    options: Sequence[Mapping[str, Any]] = product.get("pricing_options") or ()
    if raw_id is None:
        if len(options) == 1:
            return options[0]
        raise invalid(
            field, f"pricing_option_id is required; product {product['product_id']} has {len(options)} options"
        )
    for option in options:
        if option.get("pricing_option_id") == raw_id:
            return option
    known = ", ".join(str(option.get("pricing_option_id")) for option in options)
    raise invalid(field, f"Unknown pricing option {raw_id!r} for product {product['product_id']}; offered: {known}")


def _rate(option: Mapping[str, Any], bid_price: float | None) -> float:
    """Return the price the simulation charges: fixed price, else the bid, else guidance, else floor."""
    if isinstance(option.get("fixed_price"), int | float):
        return float(option["fixed_price"])
    if bid_price is not None:
        return bid_price
    guidance = option.get("price_guidance") or {}
    for value in (guidance.get("p50"), option.get("floor_price")):
        if isinstance(value, int | float) and value > 0:
            return float(value)
    return 10.0


def build_package(
    seller: Seller,
    session: Session,
    raw: object,
    field: str,
    package_id: str,
    flight: tuple[datetime, datetime],
    now: datetime,
) -> dict[str, Any]:
    """Validate one requested package and return it as stored.

    Raises:
        AdcpError: naming ``<field>.<member>``: PRODUCT_NOT_FOUND, PRODUCT_EXPIRED, BUDGET_TOO_LOW (negative,
            or under the option's ``min_spend_per_package``), TERMS_REJECTED, VALIDATION_ERROR (list
            references) or INVALID_REQUEST (anything else malformed, a missing or low bid on an auction).
    """
    if not isinstance(raw, Mapping):
        raise invalid(field, f"{field} must be an object")
    product_id = raw.get("product_id")
    if not isinstance(product_id, str) or not product_id:
        raise invalid(f"{field}.product_id", "product_id is required")
    product = seller.catalogue.product(session, product_id)
    if product is None:
        raise AdcpError(
            "PRODUCT_NOT_FOUND",
            f"Product {product_id} not found",
            field=f"{field}.product_id",
            suggestion="Call get_products and use one of the product_ids it returns.",
        )
    expires_at = product.get("expires_at")
    if isinstance(expires_at, str) and parse_instant(expires_at) <= now:
        raise AdcpError("PRODUCT_EXPIRED", f"Product {product_id} expired at {expires_at}", field=f"{field}.product_id")
    option = _pricing_option(product, raw.get("pricing_option_id"), f"{field}.pricing_option_id")
    if "budget" not in raw:
        raise invalid(f"{field}.budget", "budget is required")
    budget = _number(raw.get("budget"), f"{field}.budget")
    if budget < 0:
        raise AdcpError("BUDGET_TOO_LOW", "budget must not be negative", field=f"{field}.budget")
    min_spend = option.get("min_spend_per_package")
    if isinstance(min_spend, int | float) and budget < min_spend:
        raise AdcpError(
            "BUDGET_TOO_LOW",
            f"Budget {budget:g} is below the minimum spend of {min_spend:g} {option.get('currency')} for "
            f"pricing option {option['pricing_option_id']}",
            field=f"{field}.budget",
            suggestion=f"Raise the package budget to at least {min_spend:g}.",
        )
    bid_price = None
    if raw.get("bid_price") is not None:
        bid_price = _number(raw["bid_price"], f"{field}.bid_price")
        if bid_price < 0:
            raise invalid(f"{field}.bid_price", "bid_price must not be negative")
    auction = "fixed_price" not in option
    floor = option.get("floor_price")
    if auction and bid_price is None and option.get("pricing_model") != "cpa":
        raise invalid(
            f"{field}.bid_price",
            f"Pricing option {option['pricing_option_id']} is an auction; bid_price is required",
            suggestion=f"Bid at least the floor price of {floor:g}." if isinstance(floor, int | float) else None,
        )
    if auction and bid_price is not None and isinstance(floor, int | float) and bid_price < floor:
        raise invalid(
            f"{field}.bid_price",
            f"bid_price {bid_price:g} is below the floor price {floor:g}",
            suggestion=f"Bid at least {floor:g}.",
        )
    start, end = flight
    package_start = _instant(raw["start_time"], f"{field}.start_time") if raw.get("start_time") is not None else start
    package_end = _instant(raw["end_time"], f"{field}.end_time") if raw.get("end_time") is not None else end
    if package_end <= package_start:
        raise invalid(f"{field}.end_time", "a package's end_time must be after its start_time")
    paused = raw.get("paused", False)
    if not isinstance(paused, bool):
        raise invalid(f"{field}.paused", "paused must be a boolean")
    package: dict[str, Any] = {
        "package_id": package_id,
        "product_id": product_id,
        "pricing_option_id": option["pricing_option_id"],
        "budget": raw["budget"],
        "paused": paused,
        "start_time": iso(package_start),
        "end_time": iso(package_end),
        "creative_assignments": _creative_assignments(raw.get("creative_assignments"), f"{field}.creative_assignments"),
        "pricing_model": option.get("pricing_model", "cpm"),
        "rate": _rate(option, bid_price),
        "currency": option.get("currency", "USD"),
        "channels": list(product.get("channels") or ()),
        "pauses": [[iso(now), None]] if paused else [],
    }
    if bid_price is not None:
        package["bid_price"] = raw["bid_price"]
    if raw.get("impressions") is not None:
        impressions = _number(raw["impressions"], f"{field}.impressions")
        if impressions < 0:
            raise invalid(f"{field}.impressions", "impressions must not be negative")
        package["impressions"] = raw["impressions"]
    format_ids = raw.get("format_ids")
    if format_ids is not None:
        if not isinstance(format_ids, list) or not all(
            isinstance(ref, Mapping) and ref.get("id") for ref in format_ids
        ):
            raise invalid(f"{field}.format_ids", "format_ids must be an array of format_id objects")
        package["format_ids"] = [dict(ref) for ref in format_ids]
    overlay = check_targeting(raw.get("targeting_overlay", raw.get("targeting")), f"{field}.targeting_overlay")
    if overlay is not None:
        package["targeting_overlay"] = overlay
    terms = check_measurement_terms(raw.get("measurement_terms"), f"{field}.measurement_terms")
    if terms is not None:
        package["measurement_terms"] = terms
    for key in ("pacing", "optimization_goals", "performance_standards", "agency_estimate_number", "catalogs"):
        if raw.get(key) is not None:
            package[key] = raw[key]
    return package


# -- create ----------------------------------------------------------------------------------------


def _forced_arm(session: Session) -> Submitted | None:
    directive = session.extras.pop(FORCED_ARM, None)
    if not isinstance(directive, Mapping):
        return None
    return Submitted(task_id=str(directive["task_id"]), message=directive.get("message"))


def _check_account(seller: Seller, session: Session, args: Mapping[str, Any]) -> None:
    account = args.get("account")
    account_id = account.get("account_id") if isinstance(account, Mapping) else None
    if not isinstance(account_id, str) or not account_id:
        return
    status = account_status_in(session, account_id) or seller.account_status(account_id)
    code = BLOCKED_ACCOUNTS.get(status or "")
    if code is not None:
        raise AdcpError(
            code,
            f"Account {account_id} is {status}; it cannot place new buys",
            field="account.account_id",
            details={"account_id": account_id, "account_status": status},
        )


def _requested_amount(args: Mapping[str, Any]) -> tuple[float | None, str | None]:
    total = args.get("total_budget")
    if isinstance(total, Mapping) and isinstance(total.get("amount"), int | float):
        currency = total.get("currency")
        return float(total["amount"]), currency if isinstance(currency, str) else None
    if isinstance(total, int | float) and not isinstance(total, bool):
        return float(total), None
    packages = args.get("packages")
    if isinstance(packages, list):
        budgets = [p.get("budget") for p in packages if isinstance(p, Mapping)]
        return float(sum(b for b in budgets if isinstance(b, int | float) and not isinstance(b, bool))), None
    return None, None


def _proposal_packages(
    seller: Seller, session: Session, args: Mapping[str, Any], now: datetime
) -> tuple[list[dict[str, Any]], Mapping[str, Any]]:
    """Return the package requests a proposal expands to, after its commitment, expiry and IO checks."""
    proposal_id = args["proposal_id"]
    if not isinstance(proposal_id, str) or not proposal_id:
        raise invalid("proposal_id", "proposal_id must be a string")
    proposal = seller.discovery.proposal(session, proposal_id)
    if proposal is None:
        raise invalid(
            "proposal_id",
            f"Proposal {proposal_id} not found",
            suggestion="Use a proposal_id from get_products, finalized with refine action finalize.",
        )
    if proposal.get("proposal_status") != "committed":
        raise AdcpError(
            "PROPOSAL_NOT_COMMITTED",
            f"Proposal {proposal_id} is a draft; finalize it before buying",
            field="proposal_id",
            suggestion="Call get_products with buying_mode refine and {scope: proposal, action: finalize}.",
        )
    expires_at = proposal.get("expires_at")
    if isinstance(expires_at, str) and parse_instant(expires_at) <= now:
        raise AdcpError(
            "PROPOSAL_EXPIRED",
            f"Proposal {proposal_id} expired at {expires_at}",
            field="proposal_id",
            suggestion="Finalize the proposal again to refresh its terms.",
        )
    order = proposal.get("insertion_order")
    if isinstance(order, Mapping) and order.get("requires_signature"):
        acceptance = args.get("io_acceptance")
        if not isinstance(acceptance, Mapping) or acceptance.get("io_id") != order.get("io_id"):
            raise AdcpError(
                "IO_REQUIRED",
                f"Proposal {proposal_id} needs its insertion order {order.get('io_id')} accepted",
                field="io_acceptance",
                details={"io_id": order.get("io_id")},
                suggestion="Send io_acceptance {io_id, accepted_at, signatory}.",
            )
    if args.get("packages"):
        return list(args["packages"]), proposal
    total = args.get("total_budget")
    if not isinstance(total, Mapping) or not isinstance(total.get("amount"), int | float):
        raise invalid("total_budget", "total_budget {amount, currency} is required to buy a proposal")
    packages = []
    for allocation in proposal["allocations"]:
        product = seller.catalogue.product(session, allocation["product_id"]) or {}
        option = next(
            (
                o
                for o in product.get("pricing_options") or ()
                if o.get("pricing_option_id") == allocation.get("pricing_option_id")
            ),
            None,
        )
        package: dict[str, Any] = {
            "product_id": allocation["product_id"],
            "pricing_option_id": allocation.get("pricing_option_id"),
            "budget": round(total["amount"] * allocation["allocation_percentage"] / 100),
        }
        if option is not None and "fixed_price" not in option:
            guidance = option.get("price_guidance") or {}
            package["bid_price"] = guidance.get("p50", option.get("floor_price"))
        packages.append(package)
    return packages, proposal


def create_media_buy(
    seller: Seller, session: Session, args: Mapping[str, Any], *, now: datetime
) -> dict[str, Any] | Submitted:
    """Validate and store a buy, or return the submitted arm a controller forced.

    Gates, in order: forced arm; account status; governance (``enforce_budget_gate``); proposal
    (``PROPOSAL_NOT_COMMITTED``, ``PROPOSAL_EXPIRED``, ``IO_REQUIRED``); flight and packages; limits.

    Raises:
        AdcpError: ACCOUNT_SUSPENDED / ACCOUNT_PAYMENT_REQUIRED / ACCOUNT_SETUP_REQUIRED, GOVERNANCE_DENIED,
            PROPOSAL_NOT_COMMITTED, PROPOSAL_EXPIRED, IO_REQUIRED, PRODUCT_NOT_FOUND, PRODUCT_EXPIRED,
            BUDGET_TOO_LOW, TERMS_REJECTED, VALIDATION_ERROR, LIMIT_EXCEEDED, CONFLICT (a buyer media_buy_id
            already taken) or INVALID_REQUEST, each naming the field at fault.
    """
    arm = _forced_arm(session)
    if arm is not None:
        return arm
    _check_account(seller, session, args)
    amount, currency = _requested_amount(args)
    governance_context = args.get("governance_context")
    enforce_budget_gate(
        session,
        amount=amount,
        currency=currency,
        governance_context=governance_context if isinstance(governance_context, str) else None,
        now=now,
        purchase_type="media_buy",
    )
    proposal: Mapping[str, Any] | None = None
    requested = args.get("packages")
    if args.get("proposal_id") is not None:
        requested, proposal = _proposal_packages(seller, session, args, now)
    flight = parse_flight(args, now)
    if not isinstance(requested, list) or not requested:
        raise invalid("packages", "packages must be a non-empty array (or send a finalized proposal_id)")
    if len(requested) > MAX_PACKAGES:
        raise AdcpError("LIMIT_EXCEEDED", f"A buy holds at most {MAX_PACKAGES} packages", field="packages")
    store = buys(session)
    media_buy_id = args.get("media_buy_id")
    if media_buy_id is not None:
        if not isinstance(media_buy_id, str) or not BUYER_ID.match(media_buy_id):
            raise invalid("media_buy_id", "media_buy_id must match ^[A-Za-z0-9._-]{1,128}$")
        if media_buy_id in store:
            raise AdcpError("CONFLICT", f"Media buy {media_buy_id} already exists", field="media_buy_id")
    else:
        media_buy_id = f"mb_{uuid.uuid4().hex[:8]}"
    if len(store) >= MAX_BUYS:
        raise AdcpError("LIMIT_EXCEEDED", f"A session holds at most {MAX_BUYS} media buys", field="packages")
    packages = [
        build_package(seller, session, raw, f"packages[{index}]", package_id_for(media_buy_id, index), flight, now)
        for index, raw in enumerate(requested)
    ]
    currencies = {package["currency"] for package in packages}
    if len(currencies) > 1:
        raise invalid(
            "packages", f"All packages of a buy must price in one currency; got {', '.join(sorted(currencies))}"
        )
    stamp = iso(now)
    buy: dict[str, Any] = {
        "media_buy_id": media_buy_id,
        "status": st.S.ACTIVE.value,
        "currency": packages[0]["currency"],
        "start_time": iso(flight[0]),
        "end_time": iso(flight[1]),
        "revision": 1,
        "confirmed_at": stamp,
        "created_at": stamp,
        "updated_at": stamp,
        "packages": packages,
        "pauses": [],
        "history": [],
    }
    for key in (
        "account",
        "brand",
        "po_number",
        "agency_estimate_number",
        "push_notification_config",
        "invoice_recipient",
    ):
        if isinstance(args.get(key), Mapping | str):
            buy[key] = args[key]
    if isinstance(governance_context, str):
        buy["governance_context"] = governance_context
    if proposal is not None:
        buy["proposal_id"] = proposal["proposal_id"]
    if st.has_creatives(buy):
        buy["creatives_ready_at"] = stamp
        for package in packages:
            for assignment in package["creative_assignments"]:
                library.record_assignment(session, assignment["creative_id"], package["package_id"], media_buy_id, now)
    add_history(buy, now, "created", f"Created with {len(packages)} package(s), total budget {total_budget(buy):g}")
    store[media_buy_id] = buy
    return create_reply(buy, now)


def create_reply(buy: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """Return the ``create_media_buy`` success payload of a stored buy."""
    current = st.derive(buy, now)
    return {
        "media_buy_id": buy["media_buy_id"],
        "status": current.value,
        "revision": buy["revision"],
        "confirmed_at": buy["confirmed_at"],
        "valid_actions": st.valid_actions(current),
        "packages": [render_package(package) for package in buy["packages"]],
    }
