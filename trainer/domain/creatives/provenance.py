"""Provenance policy: the checks ``sync_creatives`` runs on each creative against a seller's creative policy.

A seller publishes its policy in a product's ``creative_policy`` (``provenance_required``, and the
finer ``provenance_requirements`` and ``accepted_verifiers``). The checks cascade in a fixed order,
so a creative that lacks everything reports the most basic problem first:

``PROVENANCE_REQUIRED`` -> ``PROVENANCE_DIGITAL_SOURCE_TYPE_MISSING`` -> ``PROVENANCE_DISCLOSURE_MISSING``
-> ``PROVENANCE_EMBEDDED_MISSING`` -> ``PROVENANCE_VERIFIER_NOT_ACCEPTED`` -> ``PROVENANCE_CLAIM_CONTRADICTED``.

The last one compares the claim with what the agent observes in the assets. The training agent's
"detector" is deterministic on purpose: an asset URL containing ``ai-generated-true`` or
``ai_gen_true`` is observed as AI-generated with confidence 0.95, and a claim of human capture is
contradicted when the observation is at least 0.9 confident (reference section 6).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final

import attrs

from trainer.domain.creatives.formats import normalize_agent_url

AI_MARKERS: Final = ("ai-generated-true", "ai_gen_true")
OBSERVED_CONFIDENCE: Final = 0.95
CONTRADICTION_THRESHOLD: Final = 0.9
AI_FEATURE_ID: Final = "ai_generated"
OBSERVED_AI_SOURCE: Final = "trained_algorithmic_media"
# Digital source types that claim no generative AI was involved.
HUMAN_SOURCES: Final = frozenset({"digital_capture", "digital_creation", "composite_capture", "human_edits"})


@attrs.frozen
class ProvenancePolicy:
    """What a seller requires of a creative's provenance; the union of the policies that apply.

    Attributes:
        required: a ``provenance`` object must be present.
        digital_source_type: ``provenance.digital_source_type`` must be present.
        disclosure: ``provenance.disclosure.required`` must be stated.
        embedded: embedded provenance (a C2PA manifest or ``embedded_provenance`` entries) must be present.
        accepted_verifiers: verifier agent URLs ``embedded_provenance[].verify_agent.agent_url`` must be
            among; empty means any.
    """

    required: bool = False
    digital_source_type: bool = False
    disclosure: bool = False
    embedded: bool = False
    accepted_verifiers: frozenset[str] = frozenset()

    @property
    def enforced(self) -> bool:
        return self.required or self.digital_source_type or self.disclosure or self.embedded

    @classmethod
    def from_policies(cls, policies: Iterable[object]) -> ProvenancePolicy:
        """Merge ``creative_policy`` objects; a requirement any of them states applies."""
        required = dst = disclosure = embedded = False
        verifiers: set[str] = set()
        for policy in policies:
            if not isinstance(policy, Mapping):
                continue
            reqs = policy.get("provenance_requirements")
            reqs = reqs if isinstance(reqs, Mapping) else {}
            required = required or policy.get("provenance_required") is True
            dst = dst or reqs.get("require_digital_source_type") is True
            disclosure = disclosure or reqs.get("require_disclosure_metadata") is True
            embedded = embedded or reqs.get("require_embedded_provenance") is True
            for verifier in policy.get("accepted_verifiers") or ():
                if isinstance(verifier, Mapping) and isinstance(verifier.get("agent_url"), str):
                    verifiers.add(normalize_agent_url(verifier["agent_url"]))
        return cls(required or dst or disclosure or embedded, dst, disclosure, embedded, frozenset(verifiers))


NO_POLICY: Final = ProvenancePolicy()


def _error(code: str, message: str, field: str, details: Mapping[str, Any] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message, "field": field, "recovery": "correctable"}
    if details is not None:
        error["details"] = dict(details)
    return error


def _asset_urls(value: object) -> Iterator[str]:
    """Yield every ``url`` string found in an asset tree."""
    if isinstance(value, Mapping):
        for key, member in value.items():
            if key == "url" and isinstance(member, str):
                yield member
            else:
                yield from _asset_urls(member)
    elif isinstance(value, list):
        for member in value:
            yield from _asset_urls(member)


def observe_ai(creative: Mapping[str, Any]) -> float:
    """Return how confident the agent is that the creative's assets are AI-generated (0 when not)."""
    for source in (creative.get("assets"), creative.get("manifest"), creative.get("creative_manifest")):
        for url in _asset_urls(source):
            lowered = url.lower()
            if any(marker in lowered for marker in AI_MARKERS):
                return OBSERVED_CONFIDENCE
    return 0.0


def check(creative: Mapping[str, Any], policy: ProvenancePolicy, agent_url: str) -> dict[str, Any] | None:
    """Return the first provenance error for ``creative`` under ``policy``, or None when it passes.

    ``agent_url`` is the agent doing the observation; it is named in a contradiction's details.
    """
    provenance = creative.get("provenance")
    if not isinstance(provenance, Mapping):
        if policy.enforced:
            return _error(
                "PROVENANCE_REQUIRED",
                "This seller requires provenance on every creative; add a provenance object.",
                "/provenance",
            )
        return None
    claimed = provenance.get("digital_source_type")
    if policy.digital_source_type and not isinstance(claimed, str):
        return _error(
            "PROVENANCE_DIGITAL_SOURCE_TYPE_MISSING",
            "creative.provenance.digital_source_type is required",
            "/provenance/digital_source_type",
        )
    disclosure = provenance.get("disclosure")
    if policy.disclosure and not (isinstance(disclosure, Mapping) and isinstance(disclosure.get("required"), bool)):
        return _error(
            "PROVENANCE_DISCLOSURE_MISSING",
            "creative.provenance.disclosure.required is required",
            "/provenance/disclosure/required",
        )
    embedded = provenance.get("embedded_provenance")
    entries = [entry for entry in embedded if isinstance(entry, Mapping)] if isinstance(embedded, list) else []
    c2pa = provenance.get("c2pa")
    if policy.embedded and not entries and not (isinstance(c2pa, Mapping) and c2pa.get("manifest_url")):
        return _error(
            "PROVENANCE_EMBEDDED_MISSING",
            "creative.provenance must carry embedded provenance (a C2PA manifest or embedded_provenance entries)",
            "/provenance/embedded_provenance",
        )
    if policy.accepted_verifiers:
        for index, entry in enumerate(entries):
            verify_agent = entry.get("verify_agent")
            url = verify_agent.get("agent_url") if isinstance(verify_agent, Mapping) else None
            if isinstance(url, str) and normalize_agent_url(url) not in policy.accepted_verifiers:
                # The URL is the buyer's: quote it clipped so it cannot flood logs or transcripts.
                shown = "".join(ch for ch in url[:200] if ch.isprintable())
                return _error(
                    "PROVENANCE_VERIFIER_NOT_ACCEPTED",
                    f"verifier {shown} is not on the seller's accepted_verifiers allowlist",
                    f"/provenance/embedded_provenance/{index}/verify_agent/agent_url",
                    {"offered_agent_url": shown, "accepted_verifiers": sorted(policy.accepted_verifiers)},
                )
    confidence = observe_ai(creative)
    if isinstance(claimed, str) and claimed in HUMAN_SOURCES and confidence >= CONTRADICTION_THRESHOLD:
        return _error(
            "PROVENANCE_CLAIM_CONTRADICTED",
            f"The creative claims digital_source_type {claimed!r} but its assets were observed as AI-generated.",
            "/provenance/digital_source_type",
            {
                "agent_url": agent_url,
                "feature_id": AI_FEATURE_ID,
                "claimed_value": claimed,
                "observed_value": OBSERVED_AI_SOURCE,
                "confidence": confidence,
            },
        )
    return None
