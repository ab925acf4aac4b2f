"""Request ids, the per-request log line, and the only place errors become HTTP responses.

Every error answer has a JSON body: ``TrainerError``s carry their own status and JSON-RPC body,
aiohttp's own HTTP exceptions (unknown path, wrong verb) are re-rendered as JSON, and anything
unexpected is logged with its traceback and answered -32603 with the request id.
"""

from __future__ import annotations

import itertools
import time
import uuid
from typing import Any

import orjson
import structlog
from aiohttp import web
from aiohttp.typedefs import Handler

from trainer.errors import INTERNAL_ERROR, SERVER_ERROR, TrainerError
from trainer.transport import REQUEST_ID, RPC_METHOD

log = structlog.get_logger("trainer.http")

TENANT: web.RequestKey[str] = web.RequestKey("tenant", str)

# Request ids: a random per-process prefix and a counter. Unique across restarts for log search,
# and a tenth of the cost of a uuid4 per request.
_BOOT = uuid.uuid4().hex[:8]
_SEQUENCE = itertools.count(1)


def json_response(body: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, headers=headers, content_type="application/json")


@web.middleware
async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Give the request an id, turn every error into a JSON body, and log one completion line."""
    request_id = request.headers.get("X-Request-Id", "")[:64] or f"{_BOOT}{next(_SEQUENCE):x}"
    request[REQUEST_ID] = request_id
    started = time.perf_counter()
    response: web.StreamResponse
    try:
        response = await handler(request)
    except TrainerError as exc:
        response = json_response(exc.body(), status=exc.status, headers=exc.headers)
    except web.HTTPException as exc:
        # aiohttp's router raises these (unknown path, verb not routed); its default is a text page.
        headers = {k: v for k, v in exc.headers.items() if k in ("Allow", "Retry-After")}
        body = {"jsonrpc": "2.0", "id": None, "error": {"code": SERVER_ERROR, "message": exc.reason}}
        response = json_response(body, status=exc.status, headers=headers)
    except Exception:
        log.exception("http.unhandled_error", path=request.path, request_id=request_id)
        body = {
            "jsonrpc": "2.0",
            "id": None,
            "error": {"code": INTERNAL_ERROR, "message": "Internal error", "data": {"request_id": request_id}},
        }
        response = json_response(body, status=500)
    response.headers["X-Request-Id"] = request_id
    log.info(
        "http.request_completed",
        method=request.method,
        path=request.path,
        tenant=request.get(TENANT),
        rpc=request.get(RPC_METHOD),
        status=response.status,
        duration_ms=round((time.perf_counter() - started) * 1000, 2),
        request_id=request_id,
    )
    return response
