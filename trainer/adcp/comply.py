"""The ``comply_test_controller`` framework: scenario dispatch, the sandbox gate, seed idempotency.

Tenants declare ``Scenario``s; ``comply_tool`` turns them into the one tool (reference section 4).
Answers are ``{success: true, ...}`` or ``{success: false, error, error_detail, current_state?}``
with ``isError``, never an ``adcp_error`` envelope: that is the controller's own wire contract.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, Final

import attrs
import orjson
import structlog

from trainer.adcp.sessions import Session, session_key
from trainer.tenant import JsonObject, ToolCall, ToolResult, ToolSpec

TOOL_NAME: Final = "comply_test_controller"
LIST_SCENARIOS: Final = "list_scenarios"
RESERVED_FIXTURE_KEYS: Final = frozenset({"__proto__", "constructor", "prototype"})
SEED_FRESH: Final = "Fixture seeded"
SEED_REPLAY: Final = "Fixture re-seeded (equivalent)"
# Where a session remembers the fixtures it was seeded with, for replay equivalence.
SEEDS_COLLECTION: Final = "comply_seeds"

INPUT_SCHEMA: Final[Mapping[str, Any]] = {
    "type": "object",
    "properties": {
        "scenario": {"type": "string", "description": "The scenario to run; list_scenarios lists them."},
        "params": {"type": "object", "additionalProperties": True},
        "account": {
            "type": "object",
            "properties": {
                "account_id": {"type": "string"},
                "brand": {"type": "object", "additionalProperties": True},
                "operator": {"type": "string"},
                "sandbox": {"type": "boolean"},
            },
            "additionalProperties": True,
        },
        "context": {"type": "object", "additionalProperties": True},
        "ext": {"type": "object", "additionalProperties": True},
    },
    "additionalProperties": True,
}


class ComplyError(Exception):
    """A controller failure, answered as ``{success: false, error, error_detail, current_state?}``.

    Attributes:
        code: NOT_FOUND, INVALID_PARAMS, INVALID_TRANSITION, INVALID_STATE, FORBIDDEN,
            UNKNOWN_SCENARIO or INTERNAL_ERROR.
        detail: one sentence for a person.
        current_state: the entity's state, when a transition was refused.
    """

    def __init__(self, code: str, detail: str, current_state: str | None = None) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
        self.current_state = current_state


@attrs.frozen
class ComplyCall:
    """One controller call as a scenario handler sees it.

    Attributes:
        scenario: the scenario name.
        params: ``params`` from the request (empty when absent).
        call: the underlying tool call.
    """

    scenario: str
    params: Mapping[str, Any]
    call: ToolCall

    def session(self) -> Session:
        """Return the session the call is keyed to.

        The reference's tool schema strips unknown top-level keys such as ``brand`` before the
        controller sees them, so only ``account`` keys a controller call.
        """
        key_args = {name: value for name, value in self.call.args.items() if name != "brand"}
        return self.call.sessions.get(session_key(key_args))


ScenarioHandler = Callable[[ComplyCall], Awaitable[JsonObject]]


@attrs.frozen
class Scenario:
    """A controller scenario a tenant supports.

    Attributes:
        name: the wire name (``force_media_buy_status``).
        handler: returns the success body (``success: true`` is added); raises ``ComplyError``.
        listed: whether ``list_scenarios`` and capabilities advertise it (seeds are not listed).
    """

    name: str
    handler: ScenarioHandler
    listed: bool = True


def _error(code: str, detail: str, current_state: str | None = None) -> ToolResult:
    body: JsonObject = {"success": False, "error": code, "error_detail": detail}
    if current_state is not None:
        body["current_state"] = current_state
    return ToolResult(body, summary=f"Controller error: {code}", is_error=True)


def _summary(body: Mapping[str, Any]) -> str:
    if "scenarios" in body:
        return f"Supported scenarios: {', '.join(body['scenarios'])}"
    if "previous_state" in body:
        return f"Transitioned from {body['previous_state']} to {body.get('current_state')}"
    if "simulated" in body:
        return f"Simulation complete: {orjson.dumps(body['simulated']).decode()}"
    forced = body.get("forced")
    if isinstance(forced, Mapping):
        return f"Directive registered: arm={forced.get('arm')}"
    message = body.get("message")
    return message if isinstance(message, str) else "Scenario succeeded"


def listed_names(scenarios: Iterable[Scenario]) -> list[str]:
    """Return the names ``list_scenarios`` and capabilities advertise, in declaration order."""
    return [scenario.name for scenario in scenarios if scenario.listed]


def comply_tool(scenarios: Sequence[Scenario]) -> ToolSpec:
    """Return the ``comply_test_controller`` tool dispatching to ``scenarios``.

    Raises:
        ValueError: when two scenarios share a name or one is named ``list_scenarios``.
    """
    by_name: dict[str, Scenario] = {}
    for scenario in scenarios:
        if scenario.name in by_name or scenario.name == LIST_SCENARIOS:
            raise ValueError(f"comply scenario {scenario.name!r} is declared twice or reserved")
        by_name[scenario.name] = scenario
    advertised = listed_names(scenarios)

    async def handle(call: ToolCall) -> ToolResult:
        scenario_name = call.args.get("scenario")
        if not isinstance(scenario_name, str) or not scenario_name:
            return _error("INVALID_PARAMS", "Missing required field: scenario")
        if scenario_name == LIST_SCENARIOS:
            body: JsonObject = {"success": True, "scenarios": list(advertised)}
            return ToolResult(body, summary=_summary(body))
        account = call.args.get("account")
        if isinstance(account, Mapping) and account.get("sandbox") is False:
            return _error("FORBIDDEN", "comply_test_controller is only available on sandbox accounts")
        scenario = by_name.get(scenario_name)
        if scenario is None:
            return _error("UNKNOWN_SCENARIO", "Unrecognized scenario name")
        params = call.args.get("params")
        if params is None:
            params = {}
        if not isinstance(params, Mapping):
            return _error("INVALID_PARAMS", "params must be an object")
        try:
            result = await scenario.handler(ComplyCall(scenario_name, params, call))
        except ComplyError as error:
            return _error(error.code, error.detail, error.current_state)
        except Exception:
            structlog.get_logger().exception("comply.crashed", scenario=scenario_name, request_id=call.request_id)
            return _error("INTERNAL_ERROR", "An unexpected error occurred in the test controller store")
        body = {"success": True, **result}
        return ToolResult(body, summary=_summary(body))

    return ToolSpec(
        name=TOOL_NAME,
        description="Sandbox-only test controller: seed fixtures, force entity states and simulate delivery.",
        input_schema=INPUT_SCHEMA,
        handler=handle,
    )


SeedApply = Callable[[ComplyCall, tuple[str, ...], JsonObject], Awaitable[None]]


def _canonical(value: object) -> bytes | None:
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return None


def seed_scenario(name: str, id_params: Sequence[str], apply: SeedApply) -> Scenario:
    """Return an unlisted seed scenario with the reference's idempotency rules.

    The scenario requires each of ``id_params`` as a non-empty string and ``params.fixture`` as
    an object without the keys ``__proto__``, ``constructor`` or ``prototype``. Seeding an id
    again with an equal fixture succeeds ("Fixture re-seeded (equivalent)") and re-applies it;
    a different fixture is INVALID_PARAMS. ``apply`` stores the fixture and may raise
    ``ComplyError``.
    """
    requirement = f"{name} requires " + " and ".join(f"params.{param}" for param in id_params)

    async def handle(comply: ComplyCall) -> JsonObject:
        ids: list[str] = []
        for param in id_params:
            value = comply.params.get(param)
            if not isinstance(value, str) or not value:
                raise ComplyError("INVALID_PARAMS", requirement)
            ids.append(value)
        raw = comply.params.get("fixture")
        if raw is None:
            raw = {}
        if not isinstance(raw, Mapping):
            kind = "array" if isinstance(raw, list) else type(raw).__name__
            raise ComplyError("INVALID_PARAMS", f"{name} requires params.fixture to be an object (got {kind})")
        for key in raw:
            if key in RESERVED_FIXTURE_KEYS:
                raise ComplyError(
                    "INVALID_PARAMS",
                    f"{name} fixture key {orjson.dumps(key).decode()} is reserved and rejected "
                    "to prevent prototype pollution",
                )
        fixture = dict(raw)
        cache_key = ":".join([name, *ids])
        seeds = comply.session().collection(SEEDS_COLLECTION)
        canonical = _canonical(fixture)
        prior = seeds.get(cache_key)
        if prior is not None and (canonical is None or prior != canonical):
            raise ComplyError(
                "INVALID_PARAMS",
                f"Fixture for {cache_key} diverges from the previously seeded fixture. "
                "Seed replays must carry an equivalent fixture or choose a new id.",
            )
        await apply(comply, tuple(ids), fixture)
        if prior is not None:
            return {"message": SEED_REPLAY}
        if canonical is not None:
            seeds[cache_key] = canonical
        return {"message": SEED_FRESH}

    return Scenario(name, handle, listed=False)
