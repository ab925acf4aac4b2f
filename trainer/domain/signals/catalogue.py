"""The signal catalogue: six fictional data providers and their signals (reference section 2.4).

The catalogue lives in ``trainer/data/signals_catalogue.json`` and is loaded once, at tenant build;
every search below runs over precomputed word sets, never re-reading or re-tokenising the data.
"""

from __future__ import annotations

import importlib.resources
import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

import attrs
import orjson

CATALOGUE_RESOURCE: Final = "signals_catalogue.json"
_WORD: Final = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")


def _stem(word: str) -> str:
    # Plurals are the only inflection buyers' briefs vary on much ("vehicles", "buyers").
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def words(text: str) -> frozenset[str]:
    """Return the stemmed words of ``text``, with hyphen/underscore compounds also split into parts."""
    found: set[str] = set()
    for match in _WORD.findall(text.lower()):
        found.add(_stem(match))
        for part in re.split(r"[-_]", match):
            if part:
                found.add(_stem(part))
    return frozenset(found)


@attrs.frozen
class Provider:
    """A data provider whose catalogue the agent resells.

    Attributes:
        id: the provider key (``trident_auto``).
        name: the display name, matched by ``filters.data_providers``.
        domain: where its ``adagents.json`` would live; the ``signal_id.data_provider_domain``.
        description: one sentence about the provider.
    """

    id: str
    name: str
    domain: str
    description: str


@attrs.frozen
class Signal:
    """One catalogue signal.

    Attributes:
        segment_id: ``signal_agent_segment_id``, what ``activate_signal`` takes.
        id: the id inside the provider's catalogue (``signal_id.id``).
        provider: who supplies it.
        signal_type: ``marketplace``, ``custom`` or ``owned``.
        pricing_options: the wire pricing options, in catalogue order.
        vocabulary: the stemmed words of the signal's own name, description and tags.
        provider_vocabulary: the stemmed words of its provider's name and description.
        wire: the get_signals entry without ``deployments`` (they depend on the session).
    """

    segment_id: str
    id: str
    provider: Provider
    signal_type: str
    pricing_options: tuple[Mapping[str, Any], ...]
    vocabulary: frozenset[str]
    provider_vocabulary: frozenset[str]
    wire: Mapping[str, Any]

    def score(self, terms: frozenset[str]) -> int:
        """Return how well ``terms`` match: a hit on the signal itself counts twice one on its provider."""
        own = terms & self.vocabulary
        return 2 * len(own) + len((terms - own) & self.provider_vocabulary)

    def pricing_option(self, pricing_option_id: str) -> Mapping[str, Any] | None:
        """Return the pricing option ``pricing_option_id`` of this signal, if it has one."""
        return next((po for po in self.pricing_options if po["pricing_option_id"] == pricing_option_id), None)

    def min_cpm(self) -> float | None:
        """Return the lowest CPM this signal can be bought at, or ``None`` if it has no CPM price."""
        cpms = [float(po["cpm"]) for po in self.pricing_options if po.get("model") == "cpm" and "cpm" in po]
        return min(cpms) if cpms else None


@attrs.frozen
class Catalogue:
    """Every signal, with the lookups get_signals needs.

    Attributes:
        signals: all signals in catalogue order (providers in file order, then their signals).
        synonyms: query word -> extra words it also matches.
        stopwords: query words that never count as a match on their own.
    """

    signals: tuple[Signal, ...]
    synonyms: Mapping[str, tuple[str, ...]]
    stopwords: frozenset[str]
    _by_segment: Mapping[str, Signal] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_by_segment", {signal.segment_id: signal for signal in self.signals})

    def by_segment(self, segment_id: str) -> Signal | None:
        """Return the signal whose ``signal_agent_segment_id`` is ``segment_id``."""
        return self._by_segment.get(segment_id)

    def terms(self, spec: str) -> tuple[frozenset[str], list[str]]:
        """Return the expanded match terms of a ``signal_spec`` and its raw lowercase words."""
        raw = _WORD.findall(spec.lower())
        expanded: set[str] = set()
        for word in raw:
            if word in self.stopwords:
                continue
            expanded.add(_stem(word))
            expanded.update(_stem(extra) for extra in self.synonyms.get(word, ()))
        return frozenset(expanded), raw


def _signal(provider: Provider, raw: Mapping[str, Any]) -> Signal:
    pricing = tuple(dict(po) for po in raw["pricing_options"])
    wire: dict[str, Any] = {
        "signal_agent_segment_id": raw["signal_agent_segment_id"],
        "signal_id": {"source": "catalog", "data_provider_domain": provider.domain, "id": raw["id"]},
        "name": raw["name"],
        "description": raw["description"],
        "value_type": raw["value_type"],
        "signal_type": raw["signal_type"],
        "data_provider": provider.name,
        "coverage_percentage": raw["coverage_percentage"],
        "pricing_options": [dict(po) for po in pricing],
    }
    if raw["value_type"] == "categorical" and "categories" in raw:
        wire["categories"] = list(raw["categories"])
    if raw["value_type"] == "numeric" and "range" in raw:
        wire["range"] = dict(raw["range"])
    tags: Iterable[str] = raw.get("tags", ())
    text = " ".join([raw["name"], raw["description"], *tags])
    return Signal(
        segment_id=raw["signal_agent_segment_id"],
        id=raw["id"],
        provider=provider,
        signal_type=raw["signal_type"],
        pricing_options=pricing,
        vocabulary=words(text),
        provider_vocabulary=words(f"{provider.name} {provider.description}"),
        wire=wire,
    )


def parse_catalogue(document: Mapping[str, Any]) -> Catalogue:
    """Build a catalogue from its JSON document.

    Raises:
        KeyError: when a provider or signal lacks a required member (a broken data file).
    """
    signals: list[Signal] = []
    for raw_provider in document["providers"]:
        provider = Provider(
            id=raw_provider["id"],
            name=raw_provider["name"],
            domain=raw_provider["domain"],
            description=raw_provider["description"],
        )
        signals.extend(_signal(provider, raw) for raw in raw_provider["signals"])
    synonyms = {word: tuple(extra) for word, extra in document.get("synonyms", {}).items()}
    return Catalogue(signals=tuple(signals), synonyms=synonyms, stopwords=frozenset(document.get("stopwords", ())))


def load_catalogue() -> Catalogue:
    """Load the packaged catalogue (``trainer/data/signals_catalogue.json``)."""
    data = importlib.resources.files("trainer").joinpath("data", CATALOGUE_RESOURCE).read_bytes()
    return parse_catalogue(orjson.loads(data))
