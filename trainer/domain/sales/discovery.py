"""``get_products``: brief, wholesale and refine modes, filters, proposals and their finalize (reference section 2.3).

Brief mode ranks the static catalogue through the precomputed ``BriefIndex`` and, when the session
seeded no products and the request has no filters, answers from a cache of finished product lists,
so a repeated brief costs a dict lookup and one small session write. Refine mode works on the
products and proposals the session's previous ``get_products`` returned (kept in
``session.extras``). Finalizing a draft proposal stores a committed copy in the session, with an
insertion order when it buys guaranteed inventory; ``create_media_buy`` accepts only those.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Final

import attrs

from trainer.adcp.errors import invalid
from trainer.adcp.sessions import Session
from trainer.clock import iso
from trainer.domain.sales.catalogue import Catalogue
from trainer.domain.sales.scoring import BRIEF_LIMIT, CHANNEL_WORDS, BriefIndex, words

BUYING_MODES: Final = frozenset({"brief", "wholesale", "refine"})
# session.extras key: what the last get_products returned, for refine.
LAST_RESULT: Final = "sales_last_products"
# Session collection of proposals this session finalized: proposal id -> committed wire proposal.
PROPOSALS: Final = "sales_proposals"
PROPOSAL_TTL: Final = timedelta(hours=24)
IO_FLIGHT: Final = timedelta(days=30)
MORE_LIKE_THIS: Final = 3
PAYLOAD_CACHE_SIZE: Final = 1024

Wire = Mapping[str, Any]


@attrs.frozen
class _Filters:
    delivery_type: str | None = None
    channels: frozenset[str] | None = None
    format_ids: frozenset[str] | None = None
    is_fixed_price: bool | None = None
    exclusivity: str | None = None
    max_budget: float | None = None
    preferred: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return self == _Filters()

    @classmethod
    def parse(cls, args: Mapping[str, Any]) -> _Filters:
        raw = args.get("filters")
        preferred = args.get("preferred_delivery_types")
        if preferred is not None and not (isinstance(preferred, list) and all(isinstance(p, str) for p in preferred)):
            raise invalid("preferred_delivery_types", "preferred_delivery_types must be an array of delivery types")
        if raw is None:
            return cls(preferred=tuple(preferred or ()))
        if not isinstance(raw, Mapping):
            raise invalid("filters", "filters must be an object")
        delivery_type = raw.get("delivery_type")
        if delivery_type is not None and not (
            isinstance(delivery_type, str) and delivery_type in {"guaranteed", "non_guaranteed"}
        ):
            raise invalid("filters.delivery_type", "filters.delivery_type must be guaranteed or non_guaranteed")
        channels = raw.get("channels")
        if channels is not None and not (isinstance(channels, list) and all(isinstance(c, str) for c in channels)):
            raise invalid("filters.channels", "filters.channels must be an array of channel names")
        format_ids = raw.get("format_ids")
        ids: frozenset[str] | None = None
        if format_ids is not None:
            if not isinstance(format_ids, list):
                raise invalid("filters.format_ids", "filters.format_ids must be an array of format_id objects")
            ids = frozenset(str(ref.get("id")) if isinstance(ref, Mapping) else str(ref) for ref in format_ids)
        fixed = raw.get("is_fixed_price")
        if fixed is not None and not isinstance(fixed, bool):
            raise invalid("filters.is_fixed_price", "filters.is_fixed_price must be a boolean")
        exclusivity = raw.get("exclusivity")
        if exclusivity is not None and not (
            isinstance(exclusivity, str) and exclusivity in {"none", "category", "exclusive"}
        ):
            raise invalid("filters.exclusivity", "filters.exclusivity must be none, category or exclusive")
        budget = raw.get("budget_range")
        max_budget = None
        if budget is not None:
            if not isinstance(budget, Mapping):
                raise invalid("filters.budget_range", "filters.budget_range must be an object with min/max")
            top = budget.get("max")
            if top is not None and (isinstance(top, bool) or not isinstance(top, int | float)):
                raise invalid("filters.budget_range.max", "filters.budget_range.max must be a number")
            max_budget = float(top) if top is not None else None
        return cls(
            delivery_type=delivery_type,
            channels=frozenset(channels) if channels is not None else None,
            format_ids=ids,
            is_fixed_price=fixed,
            exclusivity=exclusivity,
            max_budget=max_budget,
            preferred=tuple(preferred or ()),
        )

    def accepts(self, product: Wire) -> bool:
        if self.delivery_type is not None and product.get("delivery_type") != self.delivery_type:
            return False
        if self.channels is not None and not self.channels & set(product.get("channels") or ()):
            return False
        if self.format_ids is not None and not self.format_ids & {ref.get("id") for ref in product["format_ids"]}:
            return False
        options = product.get("pricing_options") or ()
        if self.is_fixed_price is not None:
            fixed = any("fixed_price" in option for option in options)
            if fixed != self.is_fixed_price:
                return False
        if self.exclusivity is not None and product.get("exclusivity", "none") != self.exclusivity:
            return False
        if self.max_budget is not None:
            floors = [option.get("min_spend_per_package", 0) for option in options]
            if floors and min(floors) > self.max_budget:
                return False
        return True

    def order(self, products: list[Wire]) -> list[Wire]:
        if not self.preferred:
            return products
        rank = {delivery_type: index for index, delivery_type in enumerate(self.preferred)}
        return sorted(products, key=lambda product: rank.get(product.get("delivery_type", ""), len(rank)))


@attrs.frozen
class _Payload:
    products: tuple[Wire, ...]
    proposals: tuple[Wire, ...]


@attrs.define
class Discovery:
    """``get_products`` for one /sales tenant.

    Attributes:
        catalogue: the static catalogue.
        index: the brief index over it.
    """

    catalogue: Catalogue
    index: BriefIndex
    _payloads: OrderedDict[str, _Payload] = attrs.field(factory=OrderedDict, init=False)

    @classmethod
    def build(cls, catalogue: Catalogue) -> Discovery:
        return cls(catalogue, BriefIndex.build(catalogue.products))

    def get_products(self, session: Session, args: Mapping[str, Any], *, now: datetime) -> dict[str, Any]:
        """Answer ``get_products`` in the requested buying mode and remember the result for refine.

        Raises:
            AdcpError: INVALID_REQUEST naming ``buying_mode``, ``brief``, ``refine[i]...`` or a filter.
        """
        mode = args.get("buying_mode")
        if mode is None:
            mode = "refine" if args.get("refine") is not None else "brief"
        if not isinstance(mode, str) or mode not in BUYING_MODES:
            raise invalid("buying_mode", "buying_mode must be brief, wholesale or refine")
        filters = _Filters.parse(args)
        if mode == "refine":
            return self._refine(session, args, filters, now)
        brief = args.get("brief")
        if brief is not None and not isinstance(brief, str):
            raise invalid("brief", "brief must be a string")
        if mode == "wholesale" or not brief or not brief.strip():
            products = filters.order([p for p in self.catalogue.wholesale(session) if filters.accepts(p)])
            self._remember(session, products, ())
            return {"products": products}
        payload = self._brief(session, brief, filters)
        self._remember(session, payload.products, payload.proposals)
        reply: dict[str, Any] = {"products": list(payload.products)}
        if payload.proposals:
            reply["proposals"] = list(payload.proposals)
        return reply

    # -- brief --------------------------------------------------------------------------------------

    def _brief(self, session: Session, brief: str, filters: _Filters) -> _Payload:
        seeded = self.catalogue.seeded(session)
        cacheable = not seeded and filters.empty
        key = " ".join(brief.lower().split())
        if cacheable:
            cached = self._payloads.get(key)
            if cached is not None:
                self._payloads.move_to_end(key)
                return cached
        result = self.index.match(brief)
        replaced = {product["product_id"]: product for product in seeded}
        ranked: list[tuple[float, int, Wire, str]] = []
        for order, match in enumerate(result.matches):
            wire = replaced.pop(match.product.product_id, match.product.wire)
            ranked.append((match.score, order, wire, match.relevance))
        for offset, product in enumerate(replaced.values()):
            terms = words(f"{product.get('name', '')} {product.get('description', '')}")
            score, relevance = self.index.score_terms(brief, terms, frozenset(product.get("channels") or ()))
            if score > 0 or not result.matches or result.matches[0].score == 0:
                ranked.append((score, len(result.matches) + offset, product, relevance))
        ranked.sort(key=lambda entry: (-entry[0], entry[1]))
        chosen = [(wire, relevance) for _, _, wire, relevance in ranked if filters.accepts(wire)]
        if not result.everything:
            chosen = chosen[:BRIEF_LIMIT]
        decorated: list[Wire] = [{**wire, "brief_relevance": relevance} for wire, relevance in chosen]
        products, proposals = self._with_proposals(session, filters.order(decorated))
        payload = _Payload(tuple(products), tuple(proposals))
        if cacheable:
            self._payloads[key] = payload
            if len(self._payloads) > PAYLOAD_CACHE_SIZE:
                self._payloads.popitem(last=False)
        return payload

    def _with_proposals(self, session: Session, products: list[Wire]) -> tuple[list[Wire], list[Wire]]:
        """Add the proposals the products take part in, pulling in each proposal's missing products."""
        present = {product["product_id"] for product in products}
        proposals: list[Wire] = []
        for proposal in self.catalogue.proposals.values():
            allocated = [allocation["product_id"] for allocation in proposal["allocations"]]
            if not present.intersection(allocated):
                continue
            for product_id in allocated:
                if product_id not in present:
                    wire = self.catalogue.product(session, product_id)
                    if wire is None:
                        break
                    products.append({**wire, "brief_relevance": f"Part of proposal {proposal['proposal_id']}."})
                    present.add(product_id)
            if present.issuperset(allocated):
                proposals.append(proposal)
        return products, proposals

    def _remember(self, session: Session, products: Sequence[Wire], proposals: Sequence[Wire]) -> None:
        session.extras[LAST_RESULT] = {
            "product_ids": [product["product_id"] for product in products],
            "proposal_ids": [proposal["proposal_id"] for proposal in proposals],
        }

    # -- refine -------------------------------------------------------------------------------------

    def proposal(self, session: Session | None, proposal_id: str) -> Wire | None:
        """Return the proposal a session sees: its committed copy first, else the static draft."""
        if session is not None and session.has_collection(PROPOSALS):
            committed: Wire | None = session.collection(PROPOSALS).get(proposal_id)
            if committed is not None:
                return committed
        return self.catalogue.proposals.get(proposal_id)

    def _refine(self, session: Session, args: Mapping[str, Any], filters: _Filters, now: datetime) -> dict[str, Any]:
        entries = args.get("refine")
        if not isinstance(entries, list) or not entries:
            raise invalid("refine", "refine must be a non-empty array of refinements")
        last = session.extras.get(LAST_RESULT) or {}
        product_ids: list[str] = list(
            last.get("product_ids") or [p.product_id for p in self.catalogue.products if not p.alias]
        )
        proposal_ids: list[str] = list(last.get("proposal_ids") or ())
        applied: list[dict[str, Any]] = []
        for index, entry in enumerate(entries):
            if not isinstance(entry, Mapping):
                raise invalid(f"refine[{index}]", "each refinement must be an object")
            scope = entry.get("scope")
            ask = entry.get("ask")
            if ask is not None and not isinstance(ask, str):
                raise invalid(f"refine[{index}].ask", "ask must be a string")
            if scope == "request":
                if not ask:
                    raise invalid(f"refine[{index}].ask", "a request-scoped refinement needs an ask")
                applied.append(self._refine_request(session, ask, product_ids))
            elif scope == "product":
                applied.append(self._refine_product(session, entry, index, product_ids))
            elif scope == "proposal":
                applied.append(self._refine_proposal(session, args, entry, index, product_ids, proposal_ids, now))
            else:
                raise invalid(f"refine[{index}].scope", "scope must be request, product or proposal")
        products: list[Wire] = []
        for product_id in product_ids:
            wire = self.catalogue.product(session, product_id)
            if wire is not None and filters.accepts(wire):
                products.append(wire)
        proposals = [p for p in (self.proposal(session, pid) for pid in proposal_ids) if p is not None]
        self._remember(session, products, proposals)
        return {"products": filters.order(products), "proposals": proposals, "refinement_applied": applied}

    def _refine_request(self, session: Session, ask: str, product_ids: list[str]) -> dict[str, Any]:
        asked = words(ask)
        delivery = None
        if asked & {"non-guaranteed", "auction", "programmatic"}:
            delivery = "non_guaranteed"
        elif "guaranteed" in asked:
            delivery = "guaranteed"
        channels: set[str] = set()
        for word in asked:
            channels |= CHANNEL_WORDS.get(word, frozenset())
        if delivery is None and not channels:
            return {
                "scope": "request",
                "status": "partial",
                "notes": "Recorded; no product attribute in the catalogue maps to this ask.",
            }
        kept = []
        for product_id in product_ids:
            wire = self.catalogue.product(session, product_id)
            if wire is None:
                continue
            if delivery is not None and wire.get("delivery_type") != delivery:
                continue
            if channels and not channels & set(wire.get("channels") or ()):
                continue
            kept.append(product_id)
        what = ", ".join(
            filter(None, [delivery and delivery.replace("_", "-") + " delivery", ", ".join(sorted(channels))])
        )
        if not kept:
            return {
                "scope": "request",
                "status": "unable",
                "notes": f"No product in the current selection offers {what}.",
            }
        product_ids[:] = kept
        return {"scope": "request", "status": "applied", "notes": f"Kept the products offering {what}."}

    def _refine_product(
        self, session: Session, entry: Mapping[str, Any], index: int, product_ids: list[str]
    ) -> dict[str, Any]:
        product_id = entry.get("product_id")
        if not isinstance(product_id, str) or not product_id:
            raise invalid(f"refine[{index}].product_id", "a product-scoped refinement needs a product_id")
        action = entry.get("action", "include")
        if not isinstance(action, str) or action not in {"include", "omit", "more_like_this"}:
            raise invalid(f"refine[{index}].action", "action must be include, omit or more_like_this")
        wire = self.catalogue.product(session, product_id)
        if wire is None:
            return {
                "scope": "product",
                "product_id": product_id,
                "status": "unable",
                "notes": f"Product {product_id} is not in this catalogue.",
            }
        if action == "omit":
            if product_id in product_ids:
                product_ids.remove(product_id)
            return {
                "scope": "product",
                "product_id": product_id,
                "status": "applied",
                "notes": "Removed from the selection.",
            }
        if product_id not in product_ids:
            product_ids.append(product_id)
        if action == "include":
            notes = "Kept in the selection."
            if entry.get("ask"):
                notes += " The ask is noted for the seller's sales team."
            return {"scope": "product", "product_id": product_id, "status": "applied", "notes": notes}
        channels = set(wire.get("channels") or ())
        added: list[str] = []
        for candidate in self.catalogue.products:
            if len(added) == MORE_LIKE_THIS:
                break
            if candidate.alias or candidate.product_id in product_ids or not candidate.channels & channels:
                continue
            product_ids.append(candidate.product_id)
            added.append(candidate.product_id)
        status = "applied" if added else "unable"
        notes = f"Added similar products: {', '.join(added)}." if added else "No similar product is left to add."
        return {"scope": "product", "product_id": product_id, "status": status, "notes": notes}

    def _refine_proposal(
        self,
        session: Session,
        args: Mapping[str, Any],
        entry: Mapping[str, Any],
        index: int,
        product_ids: list[str],
        proposal_ids: list[str],
        now: datetime,
    ) -> dict[str, Any]:
        proposal_id = entry.get("proposal_id")
        if not isinstance(proposal_id, str) or not proposal_id:
            raise invalid(f"refine[{index}].proposal_id", "a proposal-scoped refinement needs a proposal_id")
        action = entry.get("action", "include")
        if not isinstance(action, str) or action not in {"include", "omit", "finalize"}:
            raise invalid(f"refine[{index}].action", "action must be include, omit or finalize")
        proposal = self.proposal(session, proposal_id)
        if proposal is None:
            return {
                "scope": "proposal",
                "proposal_id": proposal_id,
                "status": "unable",
                "notes": f"Proposal {proposal_id} is not known to this seller.",
            }
        if action == "omit":
            if proposal_id in proposal_ids:
                proposal_ids.remove(proposal_id)
            return {
                "scope": "proposal",
                "proposal_id": proposal_id,
                "status": "applied",
                "notes": "Removed from the selection.",
            }
        if proposal_id not in proposal_ids:
            proposal_ids.append(proposal_id)
        for allocation in proposal["allocations"]:
            if allocation["product_id"] not in product_ids:
                product_ids.append(allocation["product_id"])
        if action == "include":
            notes = "Kept in the selection."
            if entry.get("ask"):
                notes += " Reallocation asks are noted; finalize the proposal to commit its terms."
            return {"scope": "proposal", "proposal_id": proposal_id, "status": "applied", "notes": notes}
        if proposal.get("proposal_status") == "committed":
            return {"scope": "proposal", "proposal_id": proposal_id, "status": "applied", "notes": "Already committed."}
        self.finalize(session, proposal, args, now)
        return {
            "scope": "proposal",
            "proposal_id": proposal_id,
            "status": "applied",
            "notes": "Committed; expires in 24 hours.",
        }

    def finalize(self, session: Session, proposal: Wire, args: Mapping[str, Any], now: datetime) -> dict[str, Any]:
        """Store and return a committed copy of a draft proposal (with an insertion order for guaranteed buys)."""
        committed: dict[str, Any] = {
            **proposal,
            "proposal_status": "committed",
            "expires_at": iso(now + PROPOSAL_TTL),
        }
        guaranteed = [
            allocation["product_id"]
            for allocation in proposal["allocations"]
            if (self.catalogue.product(session, allocation["product_id"]) or {}).get("delivery_type") == "guaranteed"
        ]
        if guaranteed:
            guidance = proposal.get("total_budget_guidance") or {}
            committed["insertion_order"] = {
                "io_id": f"io_{uuid.uuid4().hex[:12]}",
                "terms": {
                    "advertiser": _advertiser(args),
                    "publisher": ", ".join(sorted({_publisher(self.catalogue, session, pid) for pid in guaranteed})),
                    "total_budget": {
                        "amount": guidance.get("recommended", 0),
                        "currency": guidance.get("currency", "USD"),
                    },
                    "flight_start": iso(now),
                    "flight_end": iso(now + IO_FLIGHT),
                    "payment_terms": "net_30",
                },
                "requires_signature": True,
            }
        session.collection(PROPOSALS)[proposal["proposal_id"]] = committed
        return committed


def _advertiser(args: Mapping[str, Any]) -> str:
    for holder in (
        args.get("brand"),
        (args.get("account") or {}).get("brand") if isinstance(args.get("account"), Mapping) else None,
    ):
        if isinstance(holder, Mapping) and isinstance(holder.get("domain"), str):
            return str(holder["domain"])
    return "sandbox advertiser"


def _publisher(catalogue: Catalogue, session: Session, product_id: str) -> str:
    product = catalogue.product(session, product_id) or {}
    selectors = product.get("publisher_properties") or [{}]
    return str(selectors[0].get("publisher_domain", "training.example.com"))
