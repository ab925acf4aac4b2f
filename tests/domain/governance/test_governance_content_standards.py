"""Content standards lifecycle, the calibration heuristic and delivery validation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.schemas import assert_schema_valid
from trainer.adcp.errors import AdcpError
from trainer.domain.governance.content_standards import (
    MAX_STANDARDS_PER_SESSION,
    calibrate,
    create_standards,
    get_standards,
    list_standards,
    update_standards,
    validate_delivery,
)

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
POLICIES = [
    {"policy_id": "no_violent_imagery", "enforcement": "must", "policy": "No violent or controversial imagery"},
    {"policy_id": "brand_colors", "enforcement": "must", "policy": "Brand colors must match palette"},
]
CLEAN = {
    "property_rid": "p.example",
    "artifact_id": "trail",
    "assets": [{"type": "image", "url": "https://cdn.example/trail.png", "alt_text": "A trail"}],
}
VIOLENT = {**CLEAN, "artifact_id": "hunt", "description": "Graphic hunting scene with violent imagery"}


@pytest.fixture
def standards() -> dict[str, Any]:
    store: dict[str, Any] = {}
    create_standards(
        store,
        {"scope": {"languages_any": ["en"], "channels_any": ["display"], "description": "Acme"}, "policies": POLICIES},
        NOW,
    )
    return store


def _id(standards: dict[str, Any]) -> str:
    return next(iter(standards))


def test_lifecycle(standards: dict[str, Any]) -> None:
    """Create, get, update and list content standards with schema-valid answers."""
    standards_id = _id(standards)
    got = get_standards(standards, {"standards_id": standards_id})
    assert_schema_valid("get_content_standards", got)
    assert got["name"] == "Acme"
    assert got["policies"] == POLICIES
    reply = update_standards(standards, {"standards_id": standards_id, "scope": {"languages_any": ["en", "fr"]}}, NOW)
    assert_schema_valid("update_content_standards", reply)
    assert get_standards(standards, {"standards_id": standards_id})["languages_any"] == ["en", "fr"]
    listed = list_standards(standards, {"languages": ["fr"]})
    assert_schema_valid("list_content_standards", listed)
    assert [s["standards_id"] for s in listed["standards"]] == [standards_id]
    assert list_standards(standards, {"channels": ["ctv"]})["standards"] == []


def test_legacy_policy_string_becomes_a_binding_policy() -> None:
    """The reference's single policy string is stored as one must policy."""
    store: dict[str, Any] = {}
    standards_id = create_standards(store, {"scope": {"languages_any": ["en"]}, "policy": "No gambling"}, NOW)[
        "standards_id"
    ]
    assert get_standards(store, {"standards_id": standards_id})["policies"][0]["enforcement"] == "must"


def test_calibration_passes_clean_and_fails_violent_artifacts(standards: dict[str, Any]) -> None:
    """A violent artifact fails the must policy on violence; a clean one passes; colours stay unevaluated."""
    standards_id = _id(standards)
    clean = calibrate(standards, {"standards_id": standards_id, "artifact": CLEAN})
    assert_schema_valid("calibrate_content", clean)
    assert clean["verdict"] == "pass"
    assert {f["feature_id"]: f["status"] for f in clean["features"]} == {
        "no_violent_imagery": "passed",
        "brand_colors": "unevaluated",
    }
    violent = calibrate(standards, {"standards_id": standards_id, "artifact": VIOLENT})
    assert violent["verdict"] == "fail"


@pytest.mark.parametrize(
    ("policy", "artifact", "verdict"),
    [
        (
            {"policy_id": "stock", "enforcement": "must", "policy": "No stock photography"},
            {"description": "uses stock photography"},
            "fail",
        ),
        (
            {"policy_id": "alt", "enforcement": "must", "policy": "All images must have alt text"},
            {"assets": [{"type": "image", "url": "u"}]},
            "fail",
        ),
        (
            {"policy_id": "alt", "enforcement": "should", "policy": "All images must have alt text"},
            {"assets": [{"type": "image", "url": "u"}]},
            "pass",
        ),
        (
            {"policy_id": "vice", "enforcement": "must", "policy": "No alcohol, gambling, or tobacco content."},
            {"description": "casino night"},
            "fail",
        ),
        (
            {"policy_id": "vice", "enforcement": "must", "policy": "No alcohol, gambling, or tobacco content."},
            {"description": "mountain hike"},
            "pass",
        ),
    ],
)
def test_calibration_detectors(policy: dict[str, Any], artifact: dict[str, Any], verdict: str) -> None:
    """Each detector fires on its evidence only for policies about it, and only must policies fail."""
    store: dict[str, Any] = {}
    standards_id = create_standards(store, {"scope": {"languages_any": ["en"]}, "policies": [policy]}, NOW)[
        "standards_id"
    ]
    assert calibrate(store, {"standards_id": standards_id, "artifact": artifact})["verdict"] == verdict


def test_delivery_validation_counts_failures(standards: dict[str, Any]) -> None:
    """validate_content_delivery returns a verdict per record and the pass/fail totals."""
    reply = validate_delivery(
        standards,
        {
            "standards_id": _id(standards),
            "records": [
                {"record_id": "r1", "artifact": CLEAN},
                {"record_id": "r2", "artifact": VIOLENT},
                {"record_id": "r3"},
            ],
        },
    )
    assert_schema_valid("validate_content_delivery", reply)
    assert reply["summary"] == {"total_records": 3, "passed_records": 2, "failed_records": 1}
    assert [r["verdict"] for r in reply["results"]] == ["pass", "fail", "pass"]


def test_pagination_walk() -> None:
    """Three standards page as two then one, with a cursor only on the first page."""
    store: dict[str, Any] = {}
    for language in ("en", "es", "fr"):
        create_standards(store, {"scope": {"languages_any": [language]}, "policies": POLICIES}, NOW)
    first = list_standards(store, {"pagination": {"max_results": 2}})
    assert first["pagination"]["has_more"] is True
    second = list_standards(store, {"pagination": {"max_results": 2, "cursor": first["pagination"]["cursor"]}})
    assert second["pagination"] == {"has_more": False, "total_count": 3}


def test_limit_per_session() -> None:
    """The 101st standards configuration in a session fails LIMIT_EXCEEDED."""
    store: dict[str, Any] = {}
    for _ in range(MAX_STANDARDS_PER_SESSION):
        create_standards(store, {"scope": {"languages_any": ["en"]}, "policy": "No gambling"}, NOW)
    with pytest.raises(AdcpError) as caught:
        create_standards(store, {"scope": {"languages_any": ["en"]}, "policy": "No gambling"}, NOW)
    assert caught.value.code == "LIMIT_EXCEEDED"


@pytest.mark.parametrize(
    ("args", "code", "field"),
    [
        ({"policies": POLICIES}, "INVALID_REQUEST", "scope"),
        ({"scope": {"languages_any": []}, "policies": POLICIES}, "INVALID_REQUEST", "scope.languages_any"),
        ({"scope": {"languages_any": ["en"]}}, "INVALID_REQUEST", "policies"),
        (
            {"scope": {"languages_any": ["en"]}, "policies": [{"policy_id": "p", "policy": "x"}]},
            "INVALID_REQUEST",
            "policies[0].enforcement",
        ),
        (
            {"scope": {"languages_any": ["en"]}, "policies": [{"enforcement": "must", "policy": "x"}]},
            "INVALID_REQUEST",
            "policies[0].policy_id",
        ),
    ],
)
def test_bad_create_names_the_field(args: dict[str, Any], code: str, field: str) -> None:
    """Malformed create_content_standards input fails on the offending field."""
    with pytest.raises(AdcpError) as caught:
        create_standards({}, args, NOW)
    assert (caught.value.code, caught.value.field) == (code, field)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda s: get_standards(s, {"standards_id": "nope"}), "standards_id"),
        (lambda s: calibrate(s, {"standards_id": "nope", "artifact": CLEAN}), "standards_id"),
        (lambda s: validate_delivery(s, {"standards_id": "nope", "records": [{"record_id": "r"}]}), "standards_id"),
    ],
)
def test_unknown_standards_is_reference_not_found(call: Any, field: str) -> None:
    """Every tool that takes a standards_id refuses an unknown one with REFERENCE_NOT_FOUND."""
    with pytest.raises(AdcpError) as caught:
        call({})
    assert (caught.value.code, caught.value.field) == ("REFERENCE_NOT_FOUND", field)


def test_bad_calibration_and_delivery_input_names_the_field(standards: dict[str, Any]) -> None:
    """A missing artifact or malformed records fail on their field."""
    standards_id = _id(standards)
    cases: list[tuple[Callable[[], object], str]] = [
        (lambda: calibrate(standards, {"standards_id": standards_id}), "artifact"),
        (lambda: validate_delivery(standards, {"standards_id": standards_id, "records": []}), "records"),
        (lambda: validate_delivery(standards, {"standards_id": standards_id, "records": [{}]}), "records[0].record_id"),
    ]
    for call, field in cases:
        with pytest.raises(AdcpError) as caught:
            call()
        assert caught.value.field == field
