"""get_signals as a pure function: parse the query, match the catalogue, filter (reference section 2.4).

Order of work: exact ``signal_ids`` lookup, then ``signal_spec`` (alias ``brief``) term matching
with synonyms, ranked by how many terms a signal matches, then the filters. Pagination and
deployments are the tenant's job: they depend on the request's cursor and the session.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import attrs

from trainer.adcp.errors import invalid
from trainer.domain.signals.catalogue import Catalogue, Signal

CATALOG_TYPES: Final = frozenset({"marketplace", "custom", "owned"})
LEGACY_MAX_RESULTS_CAP: Final = 50

# Identity resolution and credit data are common asks the protocol only partly covers; the note
# tells a learner where the boundary is instead of returning silently thin results.
_IDENTITY_WORDS: Final = frozenset({"identity", "resolution", "matching", "graph", "credit"})
_CREDIT_NOTE: Final = (
    "AdCP signals carry credit-derived audience segments (credit activity, income tiers), not raw credit "
    "scores, FICO data or credit risk models. Segments are targeting attributes, not the financial data "
    "behind them, and credit-derived segments can carry extra regulatory obligations (FCRA)."
)
_IDENTITY_NOTE: Final = (
    "AdCP signals carry identity-derived attributes (age, income, life stage), not identity resolution "
    "itself: identity graphs, match rates and cross-publisher deduplication are outside the protocol."
)


@attrs.frozen
class SignalRef:
    """One ``signal_ids`` entry: a catalogue id, optionally scoped to a provider domain."""

    id: str
    data_provider_domain: str | None = None

    def matches(self, signal: Signal) -> bool:
        if self.id == signal.segment_id:
            return True
        return self.id == signal.id and self.data_provider_domain in (None, signal.provider.domain)


@attrs.frozen
class SignalFilters:
    """The ``filters`` object of get_signals; ``None`` means "do not filter on this"."""

    max_cpm: float | None = None
    max_percent: float | None = None
    min_coverage_percentage: float | None = None
    data_providers: frozenset[str] | None = None
    catalog_types: frozenset[str] | None = None

    def admit(self, signal: Signal) -> bool:
        """Say whether ``signal`` passes every filter set."""
        if self.max_cpm is not None:
            cpm = signal.min_cpm()
            if cpm is None or cpm > self.max_cpm:
                return False
        if self.max_percent is not None:
            percents = [float(po["percent"]) for po in signal.pricing_options if po.get("model") == "percent_of_media"]
            if percents and min(percents) > self.max_percent:
                return False
        coverage = signal.wire["coverage_percentage"]
        if self.min_coverage_percentage is not None and coverage < self.min_coverage_percentage:
            return False
        if self.data_providers is not None:
            names = {signal.provider.name.lower(), signal.provider.domain.lower(), signal.provider.id.lower()}
            if not names & self.data_providers:
                return False
        return self.catalog_types is None or signal.signal_type in self.catalog_types


@attrs.frozen
class SignalQuery:
    """A parsed get_signals request (what selects signals, not how they are paged).

    Attributes:
        spec: ``signal_spec`` or its alias ``brief``.
        refs: the ``signal_ids`` entries, in request order.
        filters: the ``filters`` object.
        legacy_max_results: the deprecated top-level ``max_results``, capped at 50.
    """

    spec: str | None
    refs: tuple[SignalRef, ...]
    filters: SignalFilters
    legacy_max_results: int | None = None


@attrs.frozen
class SearchResult:
    """The signals a query selects, best first, and an optional scope note."""

    signals: list[Signal]
    note: str | None = None


def _number(filters: Mapping[str, Any], name: str, upper: float | None = None) -> float | None:
    value = filters.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise invalid(f"filters.{name}", f"filters.{name} must be a non-negative number")
    if upper is not None and value > upper:
        raise invalid(f"filters.{name}", f"filters.{name} must be at most {upper:g}")
    return float(value)


def _strings(filters: Mapping[str, Any], name: str) -> frozenset[str] | None:
    value = filters.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not value or not all(isinstance(item, str) and item for item in value):
        raise invalid(f"filters.{name}", f"filters.{name} must be a non-empty array of strings")
    return frozenset(item.lower() for item in value)


def _parse_filters(raw: object) -> SignalFilters:
    if raw is None:
        return SignalFilters()
    if not isinstance(raw, Mapping):
        raise invalid("filters", "filters must be an object")
    catalog_types = _strings(raw, "catalog_types")
    if catalog_types is not None and not catalog_types <= CATALOG_TYPES:
        unknown = ", ".join(sorted(catalog_types - CATALOG_TYPES))
        raise invalid("filters.catalog_types", f"Unknown catalog_types: {unknown}; use marketplace, custom or owned")
    return SignalFilters(
        max_cpm=_number(raw, "max_cpm"),
        max_percent=_number(raw, "max_percent", 100),
        min_coverage_percentage=_number(raw, "min_coverage_percentage", 100),
        data_providers=_strings(raw, "data_providers"),
        catalog_types=catalog_types,
    )


def _parse_refs(raw: object) -> tuple[SignalRef, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise invalid("signal_ids", "signal_ids must be an array of signal ids")
    refs: list[SignalRef] = []
    for index, item in enumerate(raw):
        field = f"signal_ids[{index}]"
        if isinstance(item, str) and item:
            refs.append(SignalRef(id=item))
            continue
        if not isinstance(item, Mapping):
            raise invalid(field, f"{field} must be a signal id object {{source, data_provider_domain, id}}")
        ref_id = item.get("id")
        if not isinstance(ref_id, str) or not ref_id:
            raise invalid(f"{field}.id", f"{field}.id must be a non-empty string")
        domain = item.get("data_provider_domain")
        if domain is not None and not isinstance(domain, str):
            raise invalid(f"{field}.data_provider_domain", f"{field}.data_provider_domain must be a string")
        refs.append(SignalRef(id=ref_id, data_provider_domain=domain.lower() if domain else None))
    return tuple(refs)


def parse_query(args: Mapping[str, Any]) -> SignalQuery:
    """Parse the selecting part of a get_signals request.

    Raises:
        AdcpError: INVALID_REQUEST naming the field: neither ``signal_spec`` nor ``signal_ids``,
            a non-string spec, a malformed ``signal_ids`` entry, a malformed filter, a bad ``max_results``.
    """
    spec = args.get("signal_spec")
    spec_field = "signal_spec"
    if spec is None:
        spec, spec_field = args.get("brief"), "brief"
    if spec is not None and not isinstance(spec, str):
        raise invalid(spec_field, f"{spec_field} must be a string")
    refs = _parse_refs(args.get("signal_ids"))
    if not (spec and spec.strip()) and not refs:
        raise invalid("signal_spec", "Either signal_spec or signal_ids is required")
    legacy = args.get("max_results")
    if legacy is not None and (isinstance(legacy, bool) or not isinstance(legacy, int) or legacy < 1):
        raise invalid("max_results", "max_results must be an integer of at least 1")
    return SignalQuery(
        spec=spec.strip() if spec and spec.strip() else None,
        refs=refs,
        filters=_parse_filters(args.get("filters")),
        legacy_max_results=min(legacy, LEGACY_MAX_RESULTS_CAP) if legacy is not None else None,
    )


def search(catalogue: Catalogue, query: SignalQuery) -> SearchResult:
    """Select the signals a query asks for, best match first; deterministic for a given catalogue."""
    candidates: Sequence[Signal] = catalogue.signals
    if query.refs:
        # Request order, not catalogue order: the buyer listed what it wants first.
        picked: dict[str, Signal] = {}
        for ref in query.refs:
            for signal in candidates:
                if ref.matches(signal):
                    picked.setdefault(signal.segment_id, signal)
        candidates = list(picked.values())
    note = None
    if query.spec is not None:
        terms, raw_words = catalogue.terms(query.spec)
        scored = [(signal.score(terms), position, signal) for position, signal in enumerate(candidates)]
        # signal_ids matches stay even when no term hits: the spec refines, the ids anchor.
        kept = [item for item in scored if item[0] > 0 or query.refs]
        kept.sort(key=lambda item: (-item[0], item[1]))
        candidates = [signal for _, _, signal in kept]
        if _IDENTITY_WORDS.intersection(raw_words):
            note = _CREDIT_NOTE if "credit" in raw_words else _IDENTITY_NOTE
    return SearchResult(signals=[signal for signal in candidates if query.filters.admit(signal)], note=note)
