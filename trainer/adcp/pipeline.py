"""What every tool call goes through around its handler (reference sections 1.6 and 6).

In order: take the ``context`` to echo, check the claimed AdCP version, for mutating tools check
the idempotency key and consult the replay cache, run the handler, and shape the result into the
success or ``adcp_error`` envelope. Handlers never do any of this themselves.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any, Final

import attrs
import orjson
import structlog

from trainer.adcp.errors import AdcpError, invalid
from trainer.adcp.idempotency import KEY_PATTERN, CachedReply, Claim, payload_hash, scope_for
from trainer.adcp.webhooks import PushTarget, push_target
from trainer.tenant import JsonObject, ToolCall, ToolResult, ToolSpec

SUPPORTED_MAJORS: Final = frozenset({3})
SUPPORTED_VERSIONS: Final = ["3"]
_LEADING_INT: Final = re.compile(r"\s*v?([+-]?\d+)")


@attrs.frozen
class ToolOutcome:
    """What the transport sends back for one tools/call.

    Attributes:
        payload: ``structuredContent``.
        text: the single text content block.
        is_error: the MCP ``isError`` flag.
    """

    payload: JsonObject
    text: str
    is_error: bool


def _major(value: object) -> int | None:
    """Parse a claimed major version the way the reference SDK does (``parseInt`` semantics)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        match = _LEADING_INT.match(value)
        return int(match.group(1)) if match else None
    return None


def check_version(args: Mapping[str, Any]) -> None:
    """Reject a request that claims an AdCP major other than 3.

    Raises:
        AdcpError: VERSION_UNSUPPORTED (``details.supported_versions``) when ``adcp_major_version``
            or the major of ``adcp_version`` is not 3, or when the two disagree.
    """
    raw_major = args.get("adcp_major_version")
    raw_version = args.get("adcp_version")
    major = _major(raw_major) if isinstance(raw_major, int | float | str) else None
    string_major = _major(raw_version) if isinstance(raw_version, str) else None
    details = {"supported_versions": list(SUPPORTED_VERSIONS)}
    if major is not None and string_major is not None and major != string_major:
        raise AdcpError(
            "VERSION_UNSUPPORTED",
            f"Request carries adcp_version={orjson.dumps(raw_version).decode()} (major {string_major}) and "
            f"adcp_major_version={orjson.dumps(raw_major).decode()}; majors must agree.",
            details=details,
        )
    effective = major if major is not None else string_major
    if effective is not None and effective not in SUPPORTED_MAJORS:
        claimed = (
            f"adcp_version={orjson.dumps(raw_version).decode()}"
            if isinstance(raw_version, str)
            else f"adcp_major_version={orjson.dumps(raw_major).decode()}"
        )
        raise AdcpError(
            "VERSION_UNSUPPORTED",
            f"Request claims {claimed} (major {effective}); this seller supports major 3.",
            details=details,
        )


def _idempotency_key(args: Mapping[str, Any]) -> str:
    key = args.get("idempotency_key")
    if key is None or key == "":
        raise invalid("idempotency_key", "idempotency_key is required on mutating requests")
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
        raise invalid("idempotency_key", "idempotency_key must match the spec pattern ^[A-Za-z0-9_.:-]{16,255}$")
    return key


def _compact(payload: Mapping[str, Any]) -> str:
    return orjson.dumps(payload).decode()


def _with_context(payload: Mapping[str, Any], context: JsonObject | None) -> JsonObject:
    body = dict(payload)
    if context is not None and "context" not in body:
        body["context"] = context
    return body


def error_outcome(error: AdcpError, context: JsonObject | None) -> ToolOutcome:
    """Return the ``adcp_error`` envelope for ``error``, with ``context`` echoed."""
    if error.code == "IDEMPOTENCY_CONFLICT":
        # Storyboard invariant idempotency.conflict_no_payload_leak: nothing but code and
        # message may say anything about the earlier request.
        wire: JsonObject = {"code": error.code, "message": error.message}
    else:
        wire = error.to_wire()
    body = _with_context({"adcp_error": wire}, context)
    return ToolOutcome(body, _compact(body), True)


def _success_text(spec: ToolSpec, payload: JsonObject, summary: str | None) -> str:
    if summary is not None:
        return summary
    if spec.summary is not None:
        return spec.summary(payload)
    return f"{spec.name} completed"


def _shape(
    spec: ToolSpec, reply: JsonObject | ToolResult, context: JsonObject | None
) -> tuple[ToolOutcome, CachedReply | None]:
    """Return the outcome of a handler's reply and, for a success, what to cache (before the echo)."""
    if isinstance(reply, ToolResult):
        payload, summary, is_error = dict(reply.payload), reply.summary, reply.is_error
    else:
        payload, summary, is_error = dict(reply), None, False
    if is_error:
        body = _with_context(payload, context)
        return ToolOutcome(body, summary if summary is not None else _compact(body), True), None
    text = _success_text(spec, payload, summary)
    # The AdCP 3 protocol envelope (core/protocol-envelope.json) carries the task state as
    # `status`; on MCP the envelope is flattened into structuredContent. A synchronous success is
    # `completed`. Payloads that already carry a `status` (a media buy's, a submitted task's,
    # a governance verdict) keep theirs: 3.0 shares the key, and the domain meaning wins.
    payload.setdefault("status", "completed")
    if not spec.mutating:
        # Only mutating tools are replayed; copying a read tool's (often large) payload would be
        # pure cost on the hottest paths (get_products, get_signals).
        return ToolOutcome(_with_context(payload, context), text, False), None
    # A deep copy: a handler may hand out objects it keeps mutating (a stored media buy), and a
    # replay must show the reply as first sent.
    return ToolOutcome(_with_context(payload, context), text, False), CachedReply(orjson.loads(_compact(payload)), text)


async def run_tool(spec: ToolSpec, call: ToolCall) -> ToolOutcome:
    """Run one tool call through the envelope, version check, idempotency and context echo.

    Never raises for a tool failure: an ``AdcpError`` becomes its envelope and any other
    exception becomes SERVICE_UNAVAILABLE carrying the request id (and is logged).
    Cancellation propagates.
    """
    raw_context = call.args.get("context")
    context = dict(raw_context) if isinstance(raw_context, Mapping) else None
    claim: Claim | None = None
    outcome: ToolOutcome
    cacheable: CachedReply | None = None
    push: PushTarget | None = None
    try:
        check_version(call.args)
        if spec.mutating:
            key = _idempotency_key(call.args)
            push = push_target(spec.name, call.args)  # a webhook that cannot work is refused up front
            begun = call.platform.idempotency.begin(scope_for(call.principal, call.args), key, payload_hash(call.args))
            if isinstance(begun, CachedReply):
                replay = {**begun.payload, "replayed": True}
                return ToolOutcome(_with_context(replay, context), begun.text, False)
            claim = begun
        outcome, cacheable = _shape(spec, await spec.handler(call), context)
    except AdcpError as error:
        outcome = error_outcome(error, context)
    except Exception:
        structlog.get_logger().exception("tool.crashed", tool=spec.name, request_id=call.request_id)
        crash = AdcpError(
            "SERVICE_UNAVAILABLE",
            f"Tool {spec.name} encountered an internal error",
            details={"request_id": call.request_id or str(uuid.uuid4())},
        )
        outcome = error_outcome(crash, context)
    finally:
        if claim is not None:
            # Only a success is cached; anything else (cancellation included) frees the key so
            # the buyer's retry runs again.
            if cacheable is not None:
                call.platform.idempotency.save(claim, cacheable)
            else:
                call.platform.idempotency.release(claim)
    if push is not None and cacheable is not None:
        # Webhooks (reference section 3.7): a fresh success tells the buyer's push_notification_config
        # in the background, never delaying this reply; replays and errors send nothing.
        call.platform.webhooks.notify(spec.name, push, cacheable.payload)
    return outcome
