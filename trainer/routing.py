"""``/{tenant}/mcp`` -> the tenant's live incarnation: 404 unknown, 403 bad Origin, 401, 503 unless READY."""

from __future__ import annotations

import fnmatch
import math

import attrs
from aiohttp import web

from trainer.auth import Authenticator
from trainer.errors import Forbidden, MethodNotAllowed, NotFound, TenantUnavailable
from trainer.middleware import TENANT
from trainer.supervision.state import TenantState
from trainer.supervision.supervisor import Supervisor
from trainer.tenant import TenantId
from trainer.transport import PRINCIPAL, McpEndpoint

# A tenant that has failed for good (restart intensity spent) is not coming back before a redeploy.
_FAILED_RETRY_AFTER_S = 60
_CORS_HEADERS = {
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, Authorization, Mcp-Session-Id, MCP-Protocol-Version",
    "Access-Control-Expose-Headers": "Content-Type, X-Request-Id",
}


@attrs.define
class TenantRouter:
    """Resolves the tenant of a request and hands it to that incarnation's MCP endpoint.

    Attributes:
        supervisor: knows each tenant's state and live incarnation.
        endpoints: the MCP endpoint built for each tenant's latest incarnation.
        authenticator: maps the bearer to a principal.
        allowed_origins: ``Origin`` patterns accepted (DNS-rebinding protection).
    """

    supervisor: Supervisor
    endpoints: dict[TenantId, McpEndpoint]
    authenticator: Authenticator
    allowed_origins: tuple[str, ...]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Serve one request to ``/{tenant}/mcp``.

        Raises:
            TrainerError: 404, 403, 401, 503 or 405, each rendered as JSON by the middleware.
        """
        tenant = TenantId(request.match_info["tenant"])
        request[TENANT] = tenant
        if self.supervisor.spec(tenant) is None:
            served = ", ".join(spec.id for spec in self.supervisor.specs)
            raise NotFound(f"Tenant '{tenant}' is not served here; tenants: {served}", data={"tenant": tenant})
        origin = request.headers.get("Origin")
        if origin is not None and not any(fnmatch.fnmatchcase(origin, p) for p in self.allowed_origins):
            raise Forbidden(f"Origin '{origin}' is not allowed", data={"origin": origin})
        cors = {"Access-Control-Allow-Origin": origin, **_CORS_HEADERS} if origin is not None else {}
        if request.method == "OPTIONS":
            return web.Response(status=204, headers=cors)
        request[PRINCIPAL] = self.authenticator.principal(request)
        endpoint = self._endpoint(tenant)
        if request.method != "POST":
            # Stateless: there is no server stream to GET and no session to DELETE.
            raise MethodNotAllowed(
                f"{request.method} is not supported: this server is stateless; POST JSON-RPC messages",
                headers={"Allow": "POST, OPTIONS"},
            )
        response = await endpoint.handle_post(request)
        response.headers.update(cors)
        return response

    def _endpoint(self, tenant: TenantId) -> McpEndpoint:
        live = self.supervisor.live(tenant)
        endpoint = self.endpoints.get(tenant)
        if live is not None and endpoint is not None and endpoint.tenant is live:
            return endpoint
        status = self.supervisor.store.get(tenant)
        state = status.state if status is not None else TenantState.STARTING
        if state is TenantState.BACKING_OFF and status is not None and status.retry_at is not None:
            retry_after = max(1, math.ceil(status.retry_at - self.supervisor.clock()))
            message = f"tenant '{tenant}' is {state.value}; retrying in {retry_after} s"
        elif state is TenantState.FAILED:
            retry_after = _FAILED_RETRY_AFTER_S
            message = f"tenant '{tenant}' has failed and will not restart before a redeploy"
        else:
            retry_after = 1
            message = f"tenant '{tenant}' is {state.value}; retry shortly"
        data: dict[str, object] = {"tenant": tenant, "state": state.value}
        if status is not None and status.error is not None:
            data["last_error"] = status.error
        raise TenantUnavailable(message, data=data, headers={"Retry-After": str(retry_after)})
