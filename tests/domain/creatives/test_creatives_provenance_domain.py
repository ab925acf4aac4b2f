"""Provenance policy: the checks run in a fixed cascade, and claims are checked against what assets show."""

from __future__ import annotations

from typing import Any

import pytest

from trainer.domain.creatives.provenance import NO_POLICY, ProvenancePolicy, check

AGENT = "https://trainer.example/sales/mcp"
STRICT = ProvenancePolicy(required=True, digital_source_type=True, disclosure=True, embedded=True)


def _creative(provenance: dict[str, Any] | None, url: str = "https://cdn.example/hero.jpg") -> dict[str, Any]:
    row: dict[str, Any] = {"creative_id": "c", "assets": {"image": {"asset_type": "image", "url": url}}}
    if provenance is not None:
        row["provenance"] = provenance
    return row


FULL = {
    "digital_source_type": "trained_algorithmic_media",
    "disclosure": {"required": True},
    "c2pa": {"manifest_url": "https://c2pa.example/m.json"},
}


@pytest.mark.parametrize(
    ("provenance", "code"),
    [
        (None, "PROVENANCE_REQUIRED"),
        ({}, "PROVENANCE_DIGITAL_SOURCE_TYPE_MISSING"),
        ({"digital_source_type": "digital_capture"}, "PROVENANCE_DISCLOSURE_MISSING"),
        ({"digital_source_type": "digital_capture", "disclosure": {"required": False}}, "PROVENANCE_EMBEDDED_MISSING"),
    ],
)
def test_the_cascade_reports_the_most_basic_gap_first(provenance: dict[str, Any] | None, code: str) -> None:
    """Required, then source type, then disclosure, then embedded provenance."""
    error = check(_creative(provenance), STRICT, AGENT)
    assert error is not None
    assert (error["code"], error["recovery"]) == (code, "correctable")


def test_complete_provenance_passes() -> None:
    """A creative with every required part passes the strict policy."""
    assert check(_creative(FULL), STRICT, AGENT) is None


def test_policies_merge_from_creative_policies() -> None:
    """Any product's requirement applies; verifier URLs are normalised."""
    policy = ProvenancePolicy.from_policies(
        [
            {"co_branding": "none", "provenance_required": True},
            {
                "provenance_requirements": {"require_disclosure_metadata": True},
                "accepted_verifiers": [{"agent_url": "https://Verify.example/"}],
            },
            "not a policy",
        ]
    )
    assert policy == ProvenancePolicy(
        required=True, disclosure=True, accepted_verifiers=frozenset({"https://verify.example"})
    )


def test_off_list_verifiers_are_refused() -> None:
    """An embedded-provenance verifier outside the accepted list is PROVENANCE_VERIFIER_NOT_ACCEPTED."""
    policy = ProvenancePolicy(accepted_verifiers=frozenset({"https://verify.example"}))
    provenance = {"embedded_provenance": [{"verify_agent": {"agent_url": "https://rogue.example"}}]}
    error = check(_creative(provenance), policy, AGENT)
    assert error is not None
    assert error["code"] == "PROVENANCE_VERIFIER_NOT_ACCEPTED"
    assert error["field"] == "/provenance/embedded_provenance/0/verify_agent/agent_url"


def test_claims_contradicted_by_the_assets() -> None:
    """Claiming a camera capture for an asset observed as AI-generated is contradicted, even without a policy."""
    error = check(
        _creative({"digital_source_type": "digital_capture"}, url="https://cdn.example/ai-generated-true.png"),
        NO_POLICY,
        AGENT,
    )
    assert error is not None
    assert error["code"] == "PROVENANCE_CLAIM_CONTRADICTED"
    assert error["details"] == {
        "agent_url": AGENT,
        "feature_id": "ai_generated",
        "claimed_value": "digital_capture",
        "observed_value": "trained_algorithmic_media",
        "confidence": 0.95,
    }
    honest = _creative({"digital_source_type": "trained_algorithmic_media"}, url="https://cdn.example/ai_gen_true.png")
    assert check(honest, NO_POLICY, AGENT) is None
