"""MCP Streamable HTTP on aiohttp, stateless: parse and frame here, dispatch through the mcp SDK's kernel.

aiohttp owns HTTP (Content-Type, Accept, body size, JSON parsing with orjson, statuses, framing);
the SDK owns MCP semantics: every request runs through the kernel ``mcp.server.runner.ServerRunner`` with a
born-ready ``Connection``, which does envelope and params validation, version negotiation,
result shaping per protocol version and error mapping. Requests of the 2026-07-28 revision are
first checked by the SDK's ``classify_inbound_request`` ladder. No ASGI is involved: see
shared/reference/mcp-transport.md for the measurements behind that choice.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import anyio
import attrs
import mcp_types as types
import orjson
import structlog
from aiohttp import web
from mcp.server.connection import Connection
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.server.runner import ServerRunner
from mcp.shared.dispatcher import CallOptions
from mcp.shared.exceptions import MCPError, NoBackChannelError
from mcp.shared.inbound import (
    ERROR_CODE_HTTP_STATUS,
    InboundLadderRejection,
    classify_inbound_request,
    find_duplicated_routing_header,
    unsupported_protocol_version_rejection,
)
from mcp.shared.jsonrpc_dispatcher import handler_exception_to_error_data
from mcp.shared.message import ServerMessageMetadata
from mcp.shared.transport_context import TransportContext
from mcp_types import DEFAULT_NEGOTIATED_VERSION
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, MODERN_PROTOCOL_VERSIONS
from pydantic import ValidationError

import trainer
from trainer.adcp.pipeline import run_tool
from trainer.errors import (
    INTERNAL_ERROR,
    InvalidRequest,
    NotAcceptable,
    ParseError,
    PayloadTooLarge,
    UnsupportedMediaType,
    UnsupportedVersion,
)
from trainer.platform import Platform
from trainer.tenant import Tenant, ToolCall

log = structlog.get_logger("trainer.transport")

PRINCIPAL: Final = web.RequestKey("principal", str)
REQUEST_ID: Final = web.RequestKey("request_id", str)
RPC_METHOD: Final = web.RequestKey("rpc_method", str)
STRUCTURED: Final = web.RequestKey("structured_content", dict)

SERVER_NAME: Final = "adcp-training-agent"
_PROTOCOL_HEADER: Final = "MCP-Protocol-Version"
_JSON: Final = "application/json"
_SSE: Final = "text/event-stream"
_SUPPORTED_VERSIONS: Final = (*HANDSHAKE_PROTOCOL_VERSIONS, *MODERN_PROTOCOL_VERSIONS)


@dataclass
class _ExchangeContext:
    """The ``DispatchContext`` of one stateless exchange: no back-channel, notifications dropped.

    JSON responses carry exactly one message, so request-scoped notifications (progress, logs)
    have nowhere to go; none of our tools emit them.
    """

    transport: TransportContext
    request_id: types.RequestId
    message_metadata: ServerMessageMetadata
    can_send_request: bool = False

    @functools.cached_property
    def cancel_requested(self) -> anyio.Event:
        # Built on first use: nothing cancels a stateless exchange, and an anyio Event per
        # request cost ~3 % of CPU under load (backend detection on every construction).
        return anyio.Event()

    async def send_raw_request(
        self, method: str, params: Mapping[str, Any] | None, opts: CallOptions | None = None
    ) -> dict[str, Any]:
        raise NoBackChannelError(method)

    async def notify(self, method: str, params: Mapping[str, Any] | None, opts: CallOptions | None = None) -> None:
        return None

    async def progress(self, progress: float, total: float | None = None, message: str | None = None) -> None:
        return None


def _validation_error_data(exc: ValidationError) -> types.ErrorData:
    """Name the offending params fields, which the SDK's generic mapping leaves out on purpose."""
    fields = []
    for error in exc.errors()[:5]:
        loc = [str(part) for part in error.get("loc", ())]
        if not loc or loc[0] != "params":
            loc.insert(0, "params")
        fields.append({"field": ".".join(loc), "problem": error.get("msg", "invalid")})
    summary = "; ".join(f"{f['field']}: {f['problem']}" for f in fields)
    return types.ErrorData(code=types.INVALID_PARAMS, message=f"Invalid params: {summary}", data={"errors": fields})


@attrs.define
class McpEndpoint:
    """One tenant incarnation as an MCP server: a lowlevel ``Server`` with our tools on it.

    Attributes:
        tenant: the incarnation it serves.
        platform: the shared services handed to every tool call.
        max_body_bytes: the largest body read (413 beyond); aiohttp's ``client_max_size`` enforces it too.
        server: the SDK server; built once per incarnation, shared by concurrent requests (the
            kernel keeps per-request state in the ``Connection``, so no lock is needed).
    """

    tenant: Tenant
    platform: Platform
    max_body_bytes: int = 1024 * 1024
    server: Server[Any] = attrs.field(init=False)
    _tools: types.ListToolsResult = attrs.field(init=False)
    _schemas: dict[str, Mapping[str, Any]] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self._tools = types.ListToolsResult(
            tools=[
                types.Tool(
                    name=spec.name,
                    description=spec.description,
                    input_schema=dict(spec.input_schema),
                    annotations=types.ToolAnnotations(read_only_hint=True) if spec.read_only else None,
                )
                for spec in self.tenant.tools
            ]
        )
        self._schemas = {spec.name: spec.input_schema for spec in self.tenant.tools}
        self.server = Server(
            SERVER_NAME,
            version=trainer.__version__,
            title=f"trainer /{self.tenant.id}",
            on_list_tools=self._list_tools,
            on_call_tool=self._call_tool,
            get_tool_input_schema=self._schemas.get,
        )
        # The default OpenTelemetry middleware costs ~6 % of CPU as a no-op; we export no traces.
        self.server.middleware.clear()

    async def _list_tools(
        self, ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return self._tools

    async def _call_tool(
        self, ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        spec = self.tenant.tool(params.name)
        if spec is None:
            raise MCPError(
                code=types.INVALID_PARAMS, message=f"Unknown tool: {params.name}", data={"tool": params.name}
            )
        request = ctx.request
        call = ToolCall(
            tool=spec.name,
            args=params.arguments or {},
            tenant=self.tenant.id,
            principal=request.get(PRINCIPAL, "anonymous") if isinstance(request, web.Request) else "anonymous",
            request_id=request.get(REQUEST_ID, "") if isinstance(request, web.Request) else "",
            platform=self.platform,
        )
        if isinstance(request, web.Request):
            request[RPC_METHOD] = f"tools/call:{spec.name}"
        outcome = await run_tool(spec, call)
        structured = outcome.payload
        if isinstance(request, web.Request):
            # structuredContent is an opaque JSON object to the SDK, yet its result shaping
            # validates and re-dumps it in full, twice (~0.2 ms for a 10 KB product list). The SDK
            # shapes a stand-in instead; handle_post puts the payload back only where the shaped
            # result kept a structuredContent, so the SDK still decides whether it goes out.
            request[STRUCTURED] = structured
            structured = {}
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=outcome.text)],
            structured_content=structured,
            is_error=outcome.is_error,
        )

    async def handle_post(self, request: web.Request) -> web.StreamResponse:
        """Serve one POSTed JSON-RPC message.

        Raises:
            TrainerError: for HTTP-level faults (415, 406, 413, 400 parse and envelope errors).
        """
        want_sse = _negotiate(request)
        message = await _read_message(request, self.max_body_bytes)
        request_id = message.get("id")
        request[RPC_METHOD] = str(message.get("method", "?"))
        header_version = request.headers.get(_PROTOCOL_HEADER)
        if header_version is not None and header_version not in _SUPPORTED_VERSIONS:
            # The SDK would route an unknown version to the 2026 ladder and answer in its terms
            # ("params._meta must ..."); naming the versions we serve is the useful answer.
            raise UnsupportedVersion(
                f"Unsupported {_PROTOCOL_HEADER}: {header_version}",
                data={"supported": list(_SUPPORTED_VERSIONS), "requested": header_version},
                request_id=request_id if isinstance(request_id, str | int) else None,
            )
        modern = header_version in MODERN_PROTOCOL_VERSIONS
        if "id" not in message:
            return self._acknowledge(message, header_version if modern else None)
        try:
            rpc = types.JSONRPCRequest.model_validate(message)
        except ValidationError:
            raise InvalidRequest(
                "Body must be a single JSON-RPC 2.0 request or notification object",
                request_id=request_id if isinstance(request_id, str | int) else None,
            ) from None
        if modern:
            connection_or_rejection = _modern_connection(request, message)
            if isinstance(connection_or_rejection, InboundLadderRejection):
                error = types.ErrorData(
                    code=connection_or_rejection.code,
                    message=connection_or_rejection.message,
                    data=connection_or_rejection.data,
                )
                return _reply(rpc.id, error=error, status=ERROR_CODE_HTTP_STATUS.get(error.code, 400), sse=want_sse)
            connection = connection_or_rejection
        else:
            connection = Connection.from_envelope(header_version or DEFAULT_NEGOTIATED_VERSION, None, None)
        dctx = _ExchangeContext(
            transport=TransportContext(kind="streamable-http", can_send_request=False, headers=request.headers),
            request_id=rpc.id,
            message_metadata=ServerMessageMetadata(request_context=request),
        )
        # ServerRunner is the SDK kernel serve_one wraps; serve_one's extra work is a shielded,
        # time-bounded unwind of the connection's exit stack (~5 % of CPU per request). Our
        # connections are born per request and handlers never enter contexts on them, so a plain
        # aclose of the (empty) stack is the same unwind without the anyio cancel scope.
        runner = ServerRunner(self.server, connection, {})
        try:
            result = await runner.on_request(dctx, rpc.method, rpc.params)
        except ValidationError as exc:
            return _reply(rpc.id, error=_validation_error_data(exc), status=400 if modern else 200, sse=want_sse)
        except Exception as exc:
            mapped = handler_exception_to_error_data(exc)
            if mapped is None:
                log.exception("mcp.dispatch_failed", method=rpc.method, request_id=request.get(REQUEST_ID))
                internal = types.ErrorData(
                    code=INTERNAL_ERROR, message="Internal error", data={"request_id": request.get(REQUEST_ID)}
                )
                return _reply(rpc.id, error=internal, status=500, sse=want_sse)
            # Handshake-era clients read protocol errors from a 200 body; the 2026 revision maps codes to statuses.
            status = ERROR_CODE_HTTP_STATUS.get(mapped.code, 400) if modern else 200
            return _reply(rpc.id, error=mapped, status=status, sse=want_sse)
        finally:
            await connection.exit_stack.aclose()
        if (structured := request.get(STRUCTURED)) is not None and "structuredContent" in result:
            result["structuredContent"] = structured
        return _reply(rpc.id, result=result, sse=want_sse)

    def _acknowledge(self, message: Mapping[str, Any], modern_version: str | None) -> web.Response:
        """Accept a notification with 202: a stateless exchange has nothing for one to act on."""
        try:
            types.JSONRPCNotification.model_validate(message)
        except ValidationError:
            raise InvalidRequest("Body must be a single JSON-RPC 2.0 request or notification object") from None
        if modern_version is not None and (rejection := unsupported_protocol_version_rejection(modern_version)):
            raise InvalidRequest(rejection.message, data=rejection.data)
        return web.Response(status=202)


def _negotiate(request: web.Request) -> bool:
    """Check Content-Type and Accept; return whether the answer must be an SSE stream.

    Raises:
        UnsupportedMediaType: when the body is not declared ``application/json``.
        NotAcceptable: when the client accepts neither JSON nor SSE.
    """
    if request.content_type != _JSON:
        raise UnsupportedMediaType(
            f"Content-Type must be {_JSON}, got {request.content_type or 'none'}",
            data={"field": "Content-Type"},
        )
    accept = request.headers.get("Accept", "")
    if not accept:
        return False
    media = {part.split(";", 1)[0].strip().lower() for part in accept.split(",")}
    if media & {_JSON, "*/*", "application/*"}:
        return False
    if _SSE in media or "text/*" in media:
        return True
    raise NotAcceptable(f"Accept must allow {_JSON} or {_SSE}", data={"field": "Accept"})


async def _read_message(request: web.Request, limit: int) -> dict[str, Any]:
    """Read and parse the body as one JSON object.

    Raises:
        PayloadTooLarge: past ``client_max_size``.
        ParseError: when the body is not JSON.
        InvalidRequest: for a batch or anything but an object.
    """
    too_large = PayloadTooLarge(f"Request body exceeds the {limit} byte limit", data={"limit_bytes": limit})
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise too_large from None
    try:
        message = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ParseError(f"Parse error: {exc}") from None
    if isinstance(message, list):
        raise InvalidRequest("JSON-RPC batches are not supported; send one request per POST")
    if not isinstance(message, dict):
        raise InvalidRequest("Body must be a JSON-RPC 2.0 request object")
    return message


def _modern_connection(request: web.Request, message: Mapping[str, Any]) -> Connection | InboundLadderRejection:
    """Run the SDK's 2026-07-28 ladder and return a born-ready connection, or the rung that failed."""
    duplicated = find_duplicated_routing_header(
        (name.decode("latin-1"), value.decode("latin-1")) for name, value in request.raw_headers
    )
    if duplicated is not None:
        return InboundLadderRejection(code=types.HEADER_MISMATCH, message=f"{duplicated} header appears more than once")
    headers = {name.lower(): value for name, value in request.headers.items()}
    verdict = classify_inbound_request(message, headers=headers, supported_modern_versions=MODERN_PROTOCOL_VERSIONS)
    if isinstance(verdict, InboundLadderRejection):
        return verdict
    return Connection.from_envelope(verdict.protocol_version, verdict.client_info, verdict.client_capabilities)


def _reply(
    request_id: types.RequestId,
    *,
    result: dict[str, Any] | None = None,
    error: types.ErrorData | None = None,
    status: int = 200,
    sse: bool = False,
) -> web.Response:
    body: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id}
    if error is not None:
        body["error"] = error.model_dump(mode="json", by_alias=True, exclude_none=True)
    else:
        body["result"] = result
    payload = orjson.dumps(body)
    if sse:
        return web.Response(
            status=status,
            body=b"event: message\r\ndata: " + payload + b"\r\n\r\n",
            content_type=_SSE,
            headers={"Cache-Control": "no-cache, no-transform"},
        )
    return web.Response(status=status, body=payload, content_type=_JSON)
