"""Content standards: CRUD, calibrate_content and validate_content_delivery (reference section 2.5).

Standards live in the session collection ``content_standards``. Calibration is a keyword
heuristic, deterministic on purpose: each policy is matched to the detectors its text is about
(violence, gambling, alcohol, tobacco, politics, stock photography, alt text), each detector looks
for its evidence words in the artifact, and a ``must`` policy with evidence fails the artifact.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, MutableMapping, Sequence
from datetime import datetime
from typing import Any, Final

import attrs
import orjson

from trainer.adcp.errors import AdcpError, invalid
from trainer.adcp.pagination import paginate
from trainer.clock import iso

COLLECTION: Final = "content_standards"
MAX_STANDARDS_PER_SESSION: Final = 100
MAX_RECORDS: Final = 10_000
ENFORCEMENTS: Final = frozenset({"must", "should", "may"})
SCOPE_LISTS: Final = ("countries_all", "channels_any", "languages_any")


@attrs.frozen
class Detector:
    """A content risk the heuristic can see.

    Attributes:
        feature: the feature id it reports under.
        topics: substrings of a policy's text that make the policy about this risk.
        evidence: words or phrases in an artifact that show the risk (matched on word boundaries).
    """

    feature: str
    topics: tuple[str, ...]
    evidence: tuple[str, ...]

    def pattern(self) -> re.Pattern[str]:
        return re.compile(r"\b(?:" + "|".join(re.escape(word) for word in self.evidence) + r")\b")


DETECTORS: Final = (
    Detector(
        "violence",
        ("violen", "gore", "controversial", "weapon"),
        ("violent", "violence", "gore", "gory", "graphic", "weapon", "weapons", "blood"),
    ),
    Detector(
        "gambling",
        ("gambl", "betting", "casino", "wager"),
        ("gambling", "casino", "betting", "bet", "wager", "poker", "slots"),
    ),
    Detector("alcohol", ("alcohol",), ("alcohol", "beer", "wine", "liquor", "vodka", "whisky", "whiskey", "cocktail")),
    Detector(
        "tobacco",
        ("tobacco", "smok", "vap"),
        ("tobacco", "cigarette", "cigarettes", "cigar", "vape", "vaping", "smoking"),
    ),
    Detector("political", ("politic",), ("political", "politics", "election", "candidate", "ballot")),
    Detector(
        "stock_photography",
        ("stock",),
        ("stock photo", "stock photos", "stock photography", "stock image", "stock-photo", "stock_photo"),
    ),
    Detector(
        "alt_text",
        ("alt text", "alt-text", "alternative text"),
        ("without alt text", "no alt text", "missing alt text"),
    ),
)
_PATTERNS: Final = {detector.feature: detector.pattern() for detector in DETECTORS}


def _string_list(value: object, field: str, *, required: bool = False) -> list[str] | None:
    if value is None and not required:
        return None
    if (
        not isinstance(value, list)
        or not all(isinstance(item, str) and item for item in value)
        or (required and not value)
    ):
        raise invalid(field, f"{field} must be a non-empty array of strings")
    return list(value)


def _policies(args: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    raw = args.get("policies")
    if raw is None:
        legacy = args.get("policy")
        if legacy is None:
            return None
        if not isinstance(legacy, str) or not legacy:
            raise invalid("policy", "policy must be a non-empty string")
        # The reference's single policy string becomes one binding policy entry.
        return [{"policy_id": "policy", "enforcement": "must", "policy": legacy}]
    if not isinstance(raw, list) or not raw:
        raise invalid("policies", "policies must be a non-empty array of policy entries")
    for index, entry in enumerate(raw):
        field = f"policies[{index}]"
        if not isinstance(entry, Mapping):
            raise invalid(field, f"{field} must be a policy entry {{policy_id, enforcement, policy}}")
        for member in ("policy_id", "policy"):
            if not isinstance(entry.get(member), str) or not entry[member]:
                raise invalid(f"{field}.{member}", f"{field}.{member} is required")
        if entry.get("enforcement") not in ENFORCEMENTS:
            raise invalid(f"{field}.enforcement", f"{field}.enforcement must be must, should or may")
    return [dict(entry) for entry in raw]


def _scope(raw: object, *, required: bool) -> dict[str, Any]:
    if raw is None and not required:
        return {}
    if not isinstance(raw, Mapping):
        raise invalid("scope", "scope must be an object with languages_any")
    scope: dict[str, Any] = {}
    for name in SCOPE_LISTS:
        value = _string_list(raw.get(name), f"scope.{name}", required=required and name == "languages_any")
        if value is not None:
            scope[name] = value
    description = raw.get("description")
    if description is not None:
        if not isinstance(description, str):
            raise invalid("scope.description", "scope.description must be a string")
        scope["name"] = description
    return scope


def _exemplars(args: Mapping[str, Any]) -> Mapping[str, Any] | None:
    value = args.get("calibration_exemplars")
    if value is not None and not isinstance(value, Mapping):
        raise invalid("calibration_exemplars", "calibration_exemplars must be {pass?, fail?}")
    return value


def _standards_id(args: Mapping[str, Any]) -> str:
    value = args.get("standards_id")
    if not isinstance(value, str) or not value:
        raise invalid("standards_id", "standards_id is required")
    return value


def _lookup(standards: Mapping[str, Any], args: Mapping[str, Any]) -> dict[str, Any]:
    standards_id = _standards_id(args)
    entry = standards.get(standards_id)
    if entry is None:
        raise AdcpError("REFERENCE_NOT_FOUND", f"No content standards with id {standards_id!r}", field="standards_id")
    return dict(entry)


def wire_standards(entry: Mapping[str, Any]) -> dict[str, Any]:
    """Return the content-standards object of a stored entry."""
    return {key: value for key, value in entry.items() if key not in ("created_at", "updated_at")}


def create_standards(standards: MutableMapping[str, Any], args: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """Create a standards configuration; return ``{standards_id}``.

    Raises:
        AdcpError: INVALID_REQUEST naming the field (scope, languages, policies), LIMIT_EXCEEDED past
            100 per session.
    """
    scope = _scope(args.get("scope"), required=True)
    policies = _policies(args)
    registry = _string_list(args.get("registry_policy_ids"), "registry_policy_ids")
    if policies is None and not registry:
        raise invalid("policies", "Give policies or registry_policy_ids")
    exemplars = _exemplars(args)
    if len(standards) >= MAX_STANDARDS_PER_SESSION:
        raise AdcpError("LIMIT_EXCEEDED", f"A session holds at most {MAX_STANDARDS_PER_SESSION} content standards.")
    standards_id = f"cs_{uuid.uuid4().hex[:8]}"
    entry: dict[str, Any] = {"standards_id": standards_id, **scope, "policies": policies or []}
    if registry:
        entry["registry_policy_ids"] = registry
    if exemplars is not None:
        entry["calibration_exemplars"] = dict(exemplars)
    entry["created_at"] = entry["updated_at"] = iso(now)
    standards[standards_id] = entry
    return {"standards_id": standards_id}


def update_standards(standards: MutableMapping[str, Any], args: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """Replace the scope members, policies and exemplars the request gives; return ``{success, standards_id}``.

    Raises:
        AdcpError: INVALID_REQUEST naming the field, REFERENCE_NOT_FOUND on ``standards_id``.
    """
    entry = _lookup(standards, args)
    entry.update(_scope(args.get("scope"), required=False))
    policies = _policies(args)
    if policies is not None:
        entry["policies"] = policies
    registry = _string_list(args.get("registry_policy_ids"), "registry_policy_ids")
    if registry is not None:
        entry["registry_policy_ids"] = registry
    exemplars = _exemplars(args)
    if exemplars is not None:
        entry["calibration_exemplars"] = dict(exemplars)
    entry["updated_at"] = iso(now)
    standards[entry["standards_id"]] = entry
    return {"success": True, "standards_id": entry["standards_id"]}


def get_standards(standards: Mapping[str, Any], args: Mapping[str, Any]) -> dict[str, Any]:
    """Return one standards configuration.

    Raises:
        AdcpError: INVALID_REQUEST without ``standards_id``, REFERENCE_NOT_FOUND for an unknown one.
    """
    return wire_standards(_lookup(standards, args))


def list_standards(standards: Mapping[str, Any], args: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``{standards, pagination}``, filtered by any of ``channels``, ``languages``, ``countries``.

    Raises:
        AdcpError: INVALID_REQUEST for a malformed filter or pagination object.
    """
    wanted = {
        scope_name: _string_list(args.get(name), name)
        for name, scope_name in (
            ("channels", "channels_any"),
            ("languages", "languages_any"),
            ("countries", "countries_all"),
        )
    }
    selected = [
        wire_standards(entry)
        for entry in standards.values()
        if all(not values or set(values) & set(entry.get(scope_name) or ()) for scope_name, values in wanted.items())
    ]
    page, pagination = paginate(selected, args.get("pagination"), COLLECTION)
    return {"standards": page, "pagination": pagination}


def _artifact_text(artifact: Mapping[str, Any]) -> str:
    # Keys too: an asset's "alt_text" member, or its absence, is evidence in its own right.
    return orjson.dumps(artifact).decode().lower().replace("_", " ").replace("-", " ")


def _images_without_alt(artifact: Mapping[str, Any]) -> bool:
    assets = artifact.get("assets")
    if not isinstance(assets, list):
        return False
    return any(
        isinstance(asset, Mapping) and asset.get("type") == "image" and not (asset.get("alt_text") or asset.get("alt"))
        for asset in assets
    )


def _evidence(detector: Detector, artifact: Mapping[str, Any], text: str) -> bool:
    if detector.feature == "alt_text" and _images_without_alt(artifact):
        return True
    return _PATTERNS[detector.feature].search(text) is not None


def _policy_entries(entry: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    policies: list[Mapping[str, Any]] = list(entry.get("policies") or ())
    for registry_id in entry.get("registry_policy_ids") or ():
        policies.append({"policy_id": registry_id, "enforcement": "must", "policy": registry_id.replace("_", " ")})
    return policies


def evaluate_artifact(entry: Mapping[str, Any], artifact: Mapping[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """Return the verdict (``pass``/``fail``) and per-policy features of an artifact under a standard."""
    text = _artifact_text(artifact)
    features: list[dict[str, Any]] = []
    for policy in _policy_entries(entry):
        about = " ".join(
            [str(policy.get("policy", "")), str(policy.get("policy_id", "")), *policy.get("policy_categories", ())]
        ).lower()
        detectors = [d for d in DETECTORS if any(topic in about for topic in d.topics)]
        feature: dict[str, Any] = {"feature_id": str(policy["policy_id"]), "policy_id": str(policy["policy_id"])}
        if not detectors:
            features.append(
                {
                    **feature,
                    "status": "unevaluated",
                    "explanation": "The sandbox evaluator has no signal for this policy.",
                }
            )
            continue
        hits = [d.feature for d in detectors if _evidence(d, artifact, text)]
        if not hits:
            features.append(
                {
                    **feature,
                    "status": "passed",
                    "explanation": f"No {', '.join(d.feature for d in detectors)} content found.",
                    "confidence": 0.9,
                }
            )
            continue
        enforcement = policy.get("enforcement", "must")
        status = {"must": "failed", "should": "warning"}.get(str(enforcement), "passed")
        features.append(
            {
                **feature,
                "status": status,
                "explanation": f"Artifact shows {', '.join(hits)} content: {policy.get('policy')}",
                "confidence": 0.85,
            }
        )
    verdict = "fail" if any(f["status"] == "failed" for f in features) else "pass"
    return verdict, features


def calibrate(standards: Mapping[str, Any], args: Mapping[str, Any]) -> dict[str, Any]:
    """Evaluate one artifact; return ``{verdict, confidence, explanation, features}``.

    Raises:
        AdcpError: INVALID_REQUEST without an ``artifact`` object, REFERENCE_NOT_FOUND on ``standards_id``.
    """
    entry = _lookup(standards, args)
    artifact = args.get("artifact")
    if not isinstance(artifact, Mapping):
        raise invalid("artifact", "artifact must be an object {property_rid, artifact_id, assets}")
    verdict, features = evaluate_artifact(entry, artifact)
    failed = [f["feature_id"] for f in features if f["status"] == "failed"]
    explanation = (
        f"Fails binding policies: {', '.join(failed)}."
        if failed
        else "Passes every binding policy the sandbox evaluator can check."
    )
    return {"verdict": verdict, "confidence": 0.85 if failed else 0.9, "explanation": explanation, "features": features}


def validate_delivery(standards: Mapping[str, Any], args: Mapping[str, Any]) -> dict[str, Any]:
    """Evaluate delivery records; return ``{summary, results}`` (records without an artifact pass).

    Raises:
        AdcpError: INVALID_REQUEST naming the record field, REFERENCE_NOT_FOUND on ``standards_id``.
    """
    entry = _lookup(standards, args)
    records = args.get("records")
    if not isinstance(records, list) or not records:
        raise invalid("records", "records must be a non-empty array")
    if len(records) > MAX_RECORDS:
        raise AdcpError("LIMIT_EXCEEDED", f"At most {MAX_RECORDS} records per call.", field="records")
    include_passed = args.get("include_passed", True) is not False
    results: list[dict[str, Any]] = []
    for index, record in enumerate(records):
        if not isinstance(record, Mapping) or not isinstance(record.get("record_id"), str):
            raise invalid(f"records[{index}].record_id", f"records[{index}].record_id is required")
        artifact = record.get("artifact")
        if artifact is not None and not isinstance(artifact, Mapping):
            raise invalid(f"records[{index}].artifact", f"records[{index}].artifact must be an object")
        verdict, features = evaluate_artifact(entry, artifact) if artifact is not None else ("pass", [])
        shown: Sequence[dict[str, Any]] = (
            features if include_passed else [f for f in features if f["status"] != "passed"]
        )
        results.append({"record_id": record["record_id"], "verdict": verdict, "features": list(shown)})
    failed = sum(1 for result in results if result["verdict"] == "fail")
    return {
        "summary": {"total_records": len(results), "passed_records": len(results) - failed, "failed_records": failed},
        "results": results,
    }
