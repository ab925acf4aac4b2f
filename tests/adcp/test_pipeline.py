"""The envelope every tool call goes through: context echo, version check, idempotency, errors."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from structlog.testing import capture_logs

from tests.adcp.conftest import MakeCall
from trainer.adcp.errors import AdcpError
from trainer.adcp.pipeline import run_tool
from trainer.tenant import JsonObject, ToolCall, ToolResult, ToolSpec

KEY = "0123456789abcdef-key"
CONTEXT = {"correlation_id": "corr-1"}


class Counter:
    """A handler that counts its runs and answers with the run number."""

    def __init__(self) -> None:
        self.runs = 0

    async def __call__(self, call: ToolCall) -> JsonObject:
        self.runs += 1
        return {"media_buy_id": f"mb_{self.runs}", "budget": call.args.get("budget")}


def spec(handler: Any, *, mutating: bool = False, summary: Any = None) -> ToolSpec:
    return ToolSpec("create_media_buy", "test", {"type": "object"}, handler, mutating=mutating, summary=summary)


async def fails(call: ToolCall) -> JsonObject:
    raise AdcpError("MEDIA_BUY_NOT_FOUND", "Media buy not found: mb_nope", field="media_buy_id")


async def crashes(call: ToolCall) -> JsonObject:
    raise KeyError("packages")


async def test_success_echoes_context_and_uses_default_text(make_call: MakeCall) -> None:
    """A plain dict reply becomes structuredContent with the request's context and '<tool> completed'."""
    outcome = await run_tool(spec(Counter()), make_call("create_media_buy", {"context": CONTEXT, "budget": 1}))
    assert outcome.payload == {"media_buy_id": "mb_1", "budget": 1, "status": "completed", "context": CONTEXT}
    assert outcome.text == "create_media_buy completed"
    assert outcome.is_error is False


async def test_summary_builds_the_text(make_call: MakeCall) -> None:
    """spec.summary turns the payload into the text block."""
    tool = spec(Counter(), summary=lambda p: f"Media buy {p['media_buy_id']} created")
    outcome = await run_tool(tool, make_call("create_media_buy", {}))
    assert outcome.text == "Media buy mb_1 created"
    assert "context" not in outcome.payload


@pytest.mark.parametrize("context", ["a string", ["a", "list"], None, 3])
async def test_only_object_context_is_echoed(make_call: MakeCall, context: object) -> None:
    """A context that is not an object is not echoed."""
    outcome = await run_tool(spec(Counter()), make_call("create_media_buy", {"context": context}))
    assert "context" not in outcome.payload


async def test_payload_context_wins_over_echo(make_call: MakeCall) -> None:
    """A payload that already carries context keeps its own."""

    async def own(call: ToolCall) -> JsonObject:
        return {"context": {"mine": True}}

    outcome = await run_tool(spec(own), make_call("create_media_buy", {"context": CONTEXT}))
    assert outcome.payload == {"context": {"mine": True}, "status": "completed"}


async def test_adcp_error_becomes_the_envelope_with_context(make_call: MakeCall) -> None:
    """An AdcpError is isError with adcp_error, the echoed context, and the JSON body as text."""
    outcome = await run_tool(spec(fails), make_call("create_media_buy", {"context": CONTEXT}))
    assert outcome.is_error is True
    assert outcome.payload == {
        "adcp_error": {
            "code": "MEDIA_BUY_NOT_FOUND",
            "message": "Media buy not found: mb_nope",
            "recovery": "correctable",
            "field": "media_buy_id",
        },
        "context": CONTEXT,
    }
    assert orjson.loads(outcome.text) == outcome.payload


async def test_unexpected_exception_is_service_unavailable_with_request_id(make_call: MakeCall) -> None:
    """A crash is SERVICE_UNAVAILABLE naming the tool, carrying the request id, and is logged."""
    with capture_logs() as logs:
        outcome = await run_tool(spec(crashes), make_call("create_media_buy", {"context": CONTEXT}))
    assert outcome.is_error is True
    error = outcome.payload["adcp_error"]
    assert error["code"] == "SERVICE_UNAVAILABLE"
    assert error["recovery"] == "transient"
    assert error["message"] == "Tool create_media_buy encountered an internal error"
    assert error["details"] == {"request_id": "req-1"}
    assert outcome.payload["context"] == CONTEXT
    assert [(log["event"], log["tool"], log["request_id"]) for log in logs] == [
        ("tool.crashed", "create_media_buy", "req-1")
    ]


async def test_tool_result_error_passes_through_with_context(make_call: MakeCall) -> None:
    """A ToolResult marked is_error keeps its own body and summary, plus the context."""

    async def controller(call: ToolCall) -> ToolResult:
        return ToolResult(
            {"success": False, "error": "NOT_FOUND"}, summary="Controller error: NOT_FOUND", is_error=True
        )

    outcome = await run_tool(spec(controller), make_call("create_media_buy", {"context": CONTEXT}))
    assert outcome.is_error is True
    assert outcome.payload == {"success": False, "error": "NOT_FOUND", "context": CONTEXT}
    assert outcome.text == "Controller error: NOT_FOUND"


@pytest.mark.parametrize(
    "args",
    [
        {"adcp_major_version": 2},
        {"adcp_major_version": 4},
        {"adcp_major_version": "99"},
        {"adcp_version": "2.5"},
        {"adcp_version": "v4.0.0"},
        {"adcp_version": "3.0", "adcp_major_version": 2},
        {"adcp_version": "2.0", "adcp_major_version": 3},
    ],
)
async def test_other_major_versions_are_unsupported(make_call: MakeCall, args: dict[str, Any]) -> None:
    """A claimed major other than 3, or disagreeing claims, is VERSION_UNSUPPORTED listing '3'."""
    handler = Counter()
    outcome = await run_tool(spec(handler), make_call("create_media_buy", {**args, "context": CONTEXT}))
    assert outcome.is_error is True
    assert outcome.payload["adcp_error"]["code"] == "VERSION_UNSUPPORTED"
    assert outcome.payload["adcp_error"]["recovery"] == "correctable"
    assert outcome.payload["adcp_error"]["details"] == {"supported_versions": ["3"]}
    assert outcome.payload["context"] == CONTEXT
    assert handler.runs == 0


@pytest.mark.parametrize(
    "args", [{"adcp_major_version": 3}, {"adcp_version": "3.0.6"}, {"adcp_version": "3.1", "adcp_major_version": 3}]
)
async def test_major_3_is_accepted(make_call: MakeCall, args: dict[str, Any]) -> None:
    """Major 3 claims pass the version check."""
    outcome = await run_tool(spec(Counter()), make_call("create_media_buy", args))
    assert outcome.is_error is False


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (None, "idempotency_key is required on mutating requests"),
        ("", "idempotency_key is required on mutating requests"),
        ("short", "idempotency_key must match the spec pattern ^[A-Za-z0-9_.:-]{16,255}$"),
        (1234567890123456789, "idempotency_key must match the spec pattern ^[A-Za-z0-9_.:-]{16,255}$"),
    ],
)
async def test_mutating_tools_need_a_well_formed_key(make_call: MakeCall, key: object, message: str) -> None:
    """A mutating call without a valid idempotency_key is INVALID_REQUEST naming the field."""
    handler = Counter()
    args: dict[str, Any] = {} if key is None else {"idempotency_key": key}
    outcome = await run_tool(spec(handler, mutating=True), make_call("create_media_buy", args))
    assert outcome.payload["adcp_error"] == {
        "code": "INVALID_REQUEST",
        "message": message,
        "recovery": "correctable",
        "field": "idempotency_key",
    }
    assert handler.runs == 0


async def test_replay_returns_the_first_reply_with_current_context(make_call: MakeCall) -> None:
    """The same key and payload replay the cached reply, stamped replayed, with the new context."""
    handler = Counter()
    tool = spec(handler, mutating=True, summary=lambda p: f"Media buy {p['media_buy_id']} created")
    first = await run_tool(
        tool, make_call("create_media_buy", {"idempotency_key": KEY, "budget": 5, "context": CONTEXT})
    )
    again = await run_tool(
        tool, make_call("create_media_buy", {"idempotency_key": KEY, "budget": 5, "context": {"correlation_id": "c2"}})
    )
    assert handler.runs == 1
    assert "replayed" not in first.payload
    assert again.payload == {
        "media_buy_id": "mb_1",
        "budget": 5,
        "status": "completed",
        "replayed": True,
        "context": {"correlation_id": "c2"},
    }
    assert again.text == first.text == "Media buy mb_1 created"


async def test_replay_is_not_affected_by_later_mutation_of_the_reply(make_call: MakeCall) -> None:
    """The cache holds a copy: a handler mutating what it returned does not change the replay."""
    stored: JsonObject = {"media_buy_id": "mb_1", "status": "pending_creatives"}

    async def handler(call: ToolCall) -> JsonObject:
        return stored

    tool = spec(handler, mutating=True)
    await run_tool(tool, make_call("create_media_buy", {"idempotency_key": KEY}))
    stored["status"] = "active"
    again = await run_tool(tool, make_call("create_media_buy", {"idempotency_key": KEY}))
    assert again.payload["status"] == "pending_creatives"


async def test_conflict_leaks_only_code_and_message(make_call: MakeCall) -> None:
    """IDEMPOTENCY_CONFLICT carries code and message only, plus the echoed context."""
    tool = spec(Counter(), mutating=True)
    await run_tool(tool, make_call("create_media_buy", {"idempotency_key": KEY, "budget": 5}))
    outcome = await run_tool(
        tool, make_call("create_media_buy", {"idempotency_key": KEY, "budget": 6, "context": CONTEXT})
    )
    assert outcome.is_error is True
    assert set(outcome.payload) == {"adcp_error", "context"}
    assert set(outcome.payload["adcp_error"]) == {"code", "message"}
    assert outcome.payload["adcp_error"]["code"] == "IDEMPOTENCY_CONFLICT"


async def test_errors_are_not_cached(make_call: MakeCall) -> None:
    """After an error reply the same key runs the handler again."""
    runs = 0

    async def flaky(call: ToolCall) -> JsonObject:
        nonlocal runs
        runs += 1
        if runs == 1:
            raise AdcpError("PRODUCT_NOT_FOUND", "no such product")
        return {"ok": True}

    tool = spec(flaky, mutating=True)
    first = await run_tool(tool, make_call("create_media_buy", {"idempotency_key": KEY}))
    second = await run_tool(tool, make_call("create_media_buy", {"idempotency_key": KEY}))
    assert first.is_error is True
    assert second.payload == {"ok": True, "status": "completed"}
    assert runs == 2


async def test_crash_releases_the_claim(make_call: MakeCall) -> None:
    """After a crash the same key is claimable again rather than stuck in flight."""
    tool = spec(crashes, mutating=True)
    with capture_logs():
        await run_tool(tool, make_call("create_media_buy", {"idempotency_key": KEY}))
    outcome = await run_tool(spec(Counter(), mutating=True), make_call("create_media_buy", {"idempotency_key": KEY}))
    assert outcome.is_error is False


async def test_idempotency_is_scoped_per_principal(make_call: MakeCall) -> None:
    """Two principals using the same key do not replay each other's replies."""
    handler = Counter()
    tool = spec(handler, mutating=True)
    await run_tool(tool, make_call("create_media_buy", {"idempotency_key": KEY}, principal="static:demo:demo-a-v1"))
    other = await run_tool(
        tool, make_call("create_media_buy", {"idempotency_key": KEY}, principal="static:demo:demo-b-v1")
    )
    assert handler.runs == 2
    assert "replayed" not in other.payload


async def test_read_only_tools_ignore_idempotency_keys(make_call: MakeCall) -> None:
    """A non-mutating tool runs every time, whatever key it is sent."""
    handler = Counter()
    for _ in range(2):
        await run_tool(spec(handler), make_call("get_products", {"idempotency_key": KEY}))
    assert handler.runs == 2


async def test_success_carries_the_envelope_status_unless_the_payload_has_its_own(make_call: MakeCall) -> None:
    """A synchronous success is `status: completed`; a payload's own status (a media buy's) is kept."""

    async def buy(call: ToolCall) -> dict[str, Any]:
        return {"media_buy_id": "mb_1", "status": "pending_creatives"}

    plain = await run_tool(spec(Counter()), make_call("create_media_buy", {}))
    own = await run_tool(spec(buy), make_call("create_media_buy", {}))
    assert plain.payload["status"] == "completed"
    assert own.payload["status"] == "pending_creatives"
