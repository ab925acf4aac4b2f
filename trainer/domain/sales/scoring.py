"""Brief scoring for ``get_products``: keyword and channel matching over an index built once per tenant.

A brief scores a product +3 for each channel it names that the product sells (``video`` names
``olv`` and ``ctv``, ``billboards`` names ``ooh`` and ``dooh``, ...), +1 for each other word it
shares with the product (name, description, publisher, property tags, keywords), and +1 when it
asks for the product's delivery type (``guaranteed``, ``auction``). The index maps each word to
the products it scores, so a call costs one dict lookup per brief word. Results for a given brief
are also cached: a brief seen before costs one more lookup.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from typing import Final

import attrs

from trainer.domain.sales.catalogue import Product

CHANNEL_WEIGHT: Final = 3.0
WORD_WEIGHT: Final = 1.0
DELIVERY_WEIGHT: Final = 1.0
BRIEF_LIMIT: Final = 5
CACHE_SIZE: Final = 2048
MAX_BRIEF_CHARS: Final = 5000

_WORD: Final = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
STOPWORDS: Final = frozenset(
    {
        "a", "an", "and", "are", "as", "at", "be", "budget", "by", "for", "from", "in", "inventory", "is", "it",
        "looking", "need", "of", "on", "or", "our", "q1", "q2", "q3", "q4", "the", "to", "we", "with", "flight",
        "campaign", "adults", "ads", "ad", "advertising", "us", "show", "me", "available", "across", "products",
        "product", "publishers", "publisher", "content", "sites", "plan", "want", "like", "only", "must",
    }
)  # fmt: skip
# Brief words naming channels (after stemming). Words absent here score as plain keywords.
CHANNEL_WORDS: Final[Mapping[str, frozenset[str]]] = {
    "video": frozenset({"olv", "ctv"}),
    "olv": frozenset({"olv"}),
    "pre-roll": frozenset({"olv"}),
    "preroll": frozenset({"olv"}),
    "ctv": frozenset({"ctv"}),
    "ott": frozenset({"ctv"}),
    "connected": frozenset({"ctv"}),
    "tv": frozenset({"ctv", "linear_tv"}),
    "television": frozenset({"ctv", "linear_tv"}),
    "broadcast": frozenset({"linear_tv", "radio"}),
    "linear": frozenset({"linear_tv"}),
    "primetime": frozenset({"linear_tv"}),
    "display": frozenset({"display"}),
    "banner": frozenset({"display"}),
    "native": frozenset({"display"}),
    "audio": frozenset({"streaming_audio", "podcast", "radio"}),
    "podcast": frozenset({"podcast"}),
    "radio": frozenset({"radio"}),
    "music": frozenset({"streaming_audio"}),
    "social": frozenset({"social"}),
    "influencer": frozenset({"influencer"}),
    "creator": frozenset({"influencer"}),
    "dooh": frozenset({"dooh"}),
    "out-of-home": frozenset({"dooh", "ooh"}),
    "ooh": frozenset({"ooh", "dooh"}),
    "billboard": frozenset({"ooh", "dooh"}),
    "screen": frozenset({"dooh"}),
    "retail": frozenset({"retail_media"}),
    "commerce": frozenset({"retail_media"}),
    "ecommerce": frozenset({"retail_media"}),
    "shopping": frozenset({"retail_media", "search"}),
    "search": frozenset({"search"}),
    "gaming": frozenset({"gaming"}),
    "game": frozenset({"gaming"}),
    "in-game": frozenset({"gaming"}),
    "email": frozenset({"email"}),
    "newsletter": frozenset({"email"}),
    "print": frozenset({"print"}),
    "magazine": frozenset({"print"}),
}
DELIVERY_WORDS: Final[Mapping[str, str]] = {
    "guaranteed": "guaranteed",
    "reserved": "guaranteed",
    "io": "guaranteed",
    "auction": "non_guaranteed",
    "non-guaranteed": "non_guaranteed",
    "programmatic": "non_guaranteed",
    "biddable": "non_guaranteed",
}
# A brief asking for everything gets every product instead of a top five.
EVERYTHING_WORDS: Final = frozenset({"all", "everything", "every"})


def _stem(word: str) -> str:
    # Plurals are the inflection briefs vary on most ("publishers", "billboards").
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def words(text: str) -> frozenset[str]:
    """Return the stemmed words of ``text`` (hyphenated compounds kept whole and also split), minus stopwords."""
    found: set[str] = set()
    for match in _WORD.findall(text.lower()):
        found.add(_stem(match))
        if "-" in match:
            found.update(_stem(part) for part in match.split("-") if part)
    return frozenset(found - STOPWORDS)


@attrs.frozen
class Match:
    """A product a brief matched, and why.

    Attributes:
        product: the matched product.
        score: its score.
        relevance: the ``brief_relevance`` sentence.
    """

    product: Product
    score: float
    relevance: str


@attrs.frozen
class BriefResult:
    """What a brief selects from the static catalogue, before filters and the top-five cut.

    Attributes:
        matches: every product the brief scores, best first (ties in catalogue order); when it
            scores none, every product in catalogue order with score 0.
        everything: the brief asked for all products, so nothing is cut.
    """

    matches: tuple[Match, ...]
    everything: bool


@attrs.define
class BriefIndex:
    """The word -> products index of a static catalogue, and a bounded cache of brief results.

    Attributes:
        products: the products briefs may select (aliases excluded), in catalogue order.
    """

    products: Sequence[Product]
    _index: dict[str, list[tuple[int, str, float]]] = attrs.field(factory=dict, init=False)
    _cache: OrderedDict[str, BriefResult] = attrs.field(factory=OrderedDict, init=False)

    def __attrs_post_init__(self) -> None:
        for position, product in enumerate(self.products):
            for word in product.terms:
                self._index.setdefault(word, []).append((position, f"keyword '{word}'", WORD_WEIGHT))
        for word, channels in CHANNEL_WORDS.items():
            for position, product in enumerate(self.products):
                sold = sorted(product.channels & channels)
                if sold:
                    # A channel word outweighs the same word as a plain keyword: replace that entry.
                    entries = [e for e in self._index.get(word, []) if e[0] != position]
                    entries.append((position, f"{', '.join(sold)} channel", CHANNEL_WEIGHT))
                    self._index[word] = sorted(entries)
        for word, delivery_type in DELIVERY_WORDS.items():
            for position, product in enumerate(self.products):
                if product.delivery_type == delivery_type:
                    entries = [e for e in self._index.get(word, []) if e[0] != position]
                    entries.append((position, f"{delivery_type.replace('_', '-')} delivery", DELIVERY_WEIGHT))
                    self._index[word] = sorted(entries)

    @classmethod
    def build(cls, products: Iterable[Product]) -> BriefIndex:
        """Index the products a brief may select (storyboard aliases are left out)."""
        return cls([product for product in products if not product.alias])

    def match(self, brief: str) -> BriefResult:
        """Return the products ``brief`` scores, best first; the caller filters and cuts to ``BRIEF_LIMIT``.

        A brief that matches nothing lists every product with score 0 ("general fit"); one asking for
        "all" products sets ``everything`` so nothing is cut.
        """
        key = " ".join(brief[:MAX_BRIEF_CHARS].lower().split())
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        result = self._score(key)
        self._cache[key] = result
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return result

    def _score(self, brief: str) -> BriefResult:
        brief_words = words(brief)
        scores: dict[int, float] = {}
        reasons: dict[int, list[str]] = {}
        for word in sorted(brief_words):
            for position, reason, weight in self._index.get(word, ()):
                scores[position] = scores.get(position, 0.0) + weight
                reasons.setdefault(position, []).append(reason)
        asks_everything = bool(set(brief.split()) & EVERYTHING_WORDS) and not any(
            word in CHANNEL_WORDS for word in brief_words
        )
        if asks_everything or not scores:
            why = "Listed because the brief asks for all products" if asks_everything else "General fit"
            general = tuple(Match(product, 0.0, f"{why}.") for product in self.products)
            return BriefResult(general, asks_everything)
        ranked = sorted(scores, key=lambda position: (-scores[position], position))
        matches = tuple(
            Match(self.products[position], scores[position], _relevance(reasons[position])) for position in ranked
        )
        return BriefResult(matches, False)

    def score_terms(self, brief: str, terms: frozenset[str], channels: frozenset[str]) -> tuple[float, str]:
        """Score a product that is not in the index (a seeded one) against ``brief``."""
        score = 0.0
        reasons: list[str] = []
        for word in sorted(words(brief)):
            sold = sorted(channels & CHANNEL_WORDS.get(word, frozenset()))
            if sold:
                score += CHANNEL_WEIGHT
                reasons.append(f"{', '.join(sold)} channel")
            elif word in terms:
                score += WORD_WEIGHT
                reasons.append(f"keyword '{word}'")
        return score, _relevance(reasons) if reasons else "General fit."


def _relevance(reasons: list[str]) -> str:
    unique = list(dict.fromkeys(reasons))
    return "Matches the brief on " + "; ".join(unique[:6]) + "."
