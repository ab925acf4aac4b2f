"""Assemble a tenant: its own tools plus the ones every AdCP tenant serves.

``build_tenant`` appends ``sync_accounts``, ``comply_test_controller`` (when the tenant has
scenarios), ``get_adcp_capabilities`` and ``tasks_get``, in the reference's ``tools/list`` order.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, Final

from trainer.adcp.accounts import SYNC_ACCOUNTS_SCHEMA, sync_accounts
from trainer.adcp.capabilities import capabilities_payload
from trainer.adcp.comply import Scenario, comply_tool, listed_names
from trainer.adcp.tasks import tasks_get
from trainer.tenant import JsonObject, Tenant, TenantContext, ToolCall, ToolResult, ToolSpec

CAPABILITIES_SUMMARY: Final = "Agent capabilities retrieved"
# Tenant option that puts the declared specialisms on the wire. Off by default: the reference
# era's framework did not forward them (reference section 2.2), and the runner then selects
# storyboards from supported_protocols alone.
EMIT_SPECIALISMS_OPTION: Final = "emit_specialisms"

# Envelope fields carry descriptions, not types: a buyer claiming a version as a string must get
# the pipeline's VERSION_UNSUPPORTED, not a schema rejection from the transport.
ENVELOPE_PROPERTIES: Final[Mapping[str, Any]] = {
    "context": {"description": "Opaque object echoed back on every response."},
    "ext": {"description": "Extension fields."},
    "adcp_major_version": {"description": "The AdCP major version the request conforms to (3)."},
    "adcp_version": {"description": "The AdCP release the request conforms to (3.x)."},
}


def object_schema(properties: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return a permissive JSON Schema object over ``properties`` plus the envelope fields.

    Nothing is required and unknown fields pass: handlers validate and name the bad field, so a
    schema never rejects what a storyboard sends.
    """
    return {
        "type": "object",
        "properties": {**ENVELOPE_PROPERTIES, **(properties or {})},
        "additionalProperties": True,
    }


CAPABILITIES_SCHEMA: Final = object_schema({"protocols": {"type": "array", "items": {"type": "string"}}})
TASKS_GET_SCHEMA: Final = object_schema(
    {
        "task_id": {"description": "The task id a submitted reply carried (1 to 128 characters)."},
        "account": {"description": "Account reference: {account_id} or {brand, operator, sandbox?}."},
    }
)


def _capabilities_tool(payload: JsonObject) -> ToolSpec:
    async def get_adcp_capabilities(call: ToolCall) -> ToolResult:
        return ToolResult(dict(payload), summary=CAPABILITIES_SUMMARY)

    return ToolSpec(
        name="get_adcp_capabilities",
        description="Describe what this agent supports: AdCP versions, protocols, accounts and test scenarios.",
        input_schema=CAPABILITIES_SCHEMA,
        handler=get_adcp_capabilities,
        read_only=True,
    )


def shared_tools(
    tool_names: Iterable[str],
    *,
    capabilities: Mapping[str, Any] | None = None,
    scenarios: Sequence[Scenario] = (),
    specialisms: Sequence[str] = (),
) -> list[ToolSpec]:
    """Return the tools every tenant serves, given the names of the tenant's own tools."""
    tools = [
        ToolSpec(
            name="sync_accounts",
            description="Provision or update advertiser accounts (brand, operator, billing), one result per account.",
            input_schema=SYNC_ACCOUNTS_SCHEMA,
            handler=sync_accounts,
            mutating=True,
        )
    ]
    if scenarios:
        tools.append(comply_tool(scenarios))
    names = [*tool_names, *(tool.name for tool in tools), "get_adcp_capabilities", "tasks_get"]
    payload = capabilities_payload(
        names, blocks=capabilities, scenarios=listed_names(scenarios), specialisms=specialisms
    )
    tools.append(_capabilities_tool(payload))
    tools.append(
        ToolSpec(
            name="tasks_get",
            description="Return the state of a task a tool answered with status submitted.",
            input_schema=TASKS_GET_SCHEMA,
            handler=tasks_get,
            read_only=True,
        )
    )
    return tools


def build_tenant(
    ctx: TenantContext,
    tools: Sequence[ToolSpec],
    *,
    capabilities: Mapping[str, Any] | None = None,
    scenarios: Sequence[Scenario] = (),
    specialisms: Sequence[str] = (),
    housekeeping: Sequence[Callable[[], Awaitable[None]]] = (),
) -> Tenant:
    """Return the tenant serving ``tools`` plus the shared tools.

    ``capabilities`` are the tenant's own top-level capability blocks. ``specialisms`` are
    advertised only when the tenant's ``emit_specialisms`` option is true, and then only those the
    storyboard runner knows.

    Raises:
        ValueError: when a tool name is served twice (a tenant redefining a shared tool included).
    """
    emitted = specialisms if ctx.options.get(EMIT_SPECIALISMS_OPTION, False) is True else ()
    every = [
        *tools,
        *shared_tools(
            (tool.name for tool in tools), capabilities=capabilities, scenarios=scenarios, specialisms=emitted
        ),
    ]
    seen: set[str] = set()
    for tool in every:
        if tool.name in seen:
            raise ValueError(f"tenant {ctx.id!r} serves tool {tool.name!r} twice")
        seen.add(tool.name)
    return Tenant(id=ctx.id, tools=every, capabilities=dict(capabilities or {}), housekeeping=housekeeping)
