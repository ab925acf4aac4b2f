"""Submitted tasks and the ``tasks_get`` tool that reads them (reference sections 2.0 and 3.5)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any, Final

import attrs

from trainer.adcp.errors import AdcpError, invalid
from trainer.clock import Clock, iso
from trainer.tenant import ToolCall, ToolResult

MAX_TASKS: Final = 10_000
MAX_TASK_ID_LEN: Final = 128
TERMINAL: Final = frozenset({"completed", "failed", "canceled"})

# The protocol a task belongs to, by the tool that submitted it (the reference SDK's table;
# anything unlisted is media-buy).
_PROTOCOL_BY_TOOL: Final[Mapping[str, str]] = {
    **dict.fromkeys(
        (
            "check_governance",
            "sync_plans",
            "report_plan_outcome",
            "get_plan_audit_logs",
            "calibrate_content",
            "validate_content_delivery",
            "create_property_list",
            "update_property_list",
            "get_property_list",
            "list_property_lists",
            "delete_property_list",
            "create_collection_list",
            "update_collection_list",
            "get_collection_list",
            "list_collection_lists",
            "delete_collection_list",
            "create_content_standards",
            "update_content_standards",
            "get_content_standards",
        ),
        "governance",
    ),
    **dict.fromkeys(("get_signals", "activate_signal"), "signals"),
    **dict.fromkeys(
        (
            "build_creative",
            "preview_creative",
            "get_creative_delivery",
            "list_creative_formats",
            "list_creatives",
            "sync_creatives",
        ),
        "creative",
    ),
    **dict.fromkeys(("get_brand_identity", "get_rights", "acquire_rights"), "brand"),
}


def protocol_for(task_type: str) -> str:
    """Return the AdCP protocol a task of this type reports."""
    return _PROTOCOL_BY_TOOL.get(task_type, "media-buy")


@attrs.define
class _Task:
    task_id: str
    task_type: str
    owner: str
    status: str
    created_at: str
    updated_at: str
    message: str | None = None
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    has_webhook: bool = False

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {
            "task_id": self.task_id,
            "task_type": self.task_type,
            "status": self.status,
            "protocol": protocol_for(self.task_type),
            "has_webhook": self.has_webhook,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }
        if self.status in TERMINAL:
            wire["completed_at"] = self.updated_at
        if self.message is not None:
            wire["message"] = self.message
        if self.status == "completed" and self.result is not None:
            wire["result"] = self.result
        if self.status == "failed" and self.error is not None:
            wire["error"] = self.error
        return wire


@attrs.define
class TaskRegistry:
    """Tasks submitted by tools, read back by ``tasks_get``.

    Attributes:
        clock: stamps creation and updates.
        max_tasks: a hard bound; past it the oldest tasks go first.
        on_finish: told the ``tasks_get`` view of each task that completes or fails (the
            webhook emitter notifies the buyer who registered one).
    """

    clock: Clock
    max_tasks: int = MAX_TASKS
    on_finish: Callable[[dict[str, Any]], None] | None = None
    _tasks: dict[str, _Task] = attrs.field(factory=dict, init=False)

    def submit(
        self,
        task_type: str,
        owner: str,
        message: str | None = None,
        task_id: str | None = None,
        *,
        has_webhook: bool = False,
    ) -> dict[str, Any]:
        """Record a submitted task and return its ``tasks_get`` view.

        ``owner`` is the session key of the caller; a given ``task_id`` replaces any task of
        that id (a forced arm may name its own id).
        """
        now = iso(self.clock.now())
        task = _Task(
            task_id=task_id or f"task_{uuid.uuid4()}",
            task_type=task_type,
            owner=owner,
            status="submitted",
            created_at=now,
            updated_at=now,
            message=message,
            has_webhook=has_webhook,
        )
        self._tasks.pop(task.task_id, None)
        self._tasks[task.task_id] = task
        while len(self._tasks) > self.max_tasks:
            del self._tasks[next(iter(self._tasks))]
        return task.to_wire()

    def complete(self, task_id: str, result: Mapping[str, Any]) -> dict[str, Any]:
        """Mark a task completed with its result and return its view.

        Raises:
            KeyError: when no task has this id.
        """
        return self._finish(task_id, "completed", result=dict(result))

    def fail(self, task_id: str, error: Mapping[str, Any]) -> dict[str, Any]:
        """Mark a task failed with ``error`` (``{code, message, details?}``) and return its view.

        Raises:
            KeyError: when no task has this id.
        """
        return self._finish(task_id, "failed", error=dict(error))

    def get(self, task_id: str) -> dict[str, Any] | None:
        """Return the ``tasks_get`` view of a task, or None."""
        task = self._tasks.get(task_id)
        return task.to_wire() if task is not None else None

    def owner_of(self, task_id: str) -> str | None:
        """Return the session key that submitted a task, or None."""
        task = self._tasks.get(task_id)
        return task.owner if task is not None else None

    def clear(self) -> None:
        """Forget every task."""
        self._tasks.clear()

    def __len__(self) -> int:
        return len(self._tasks)

    def _finish(
        self, task_id: str, status: str, *, result: dict[str, Any] | None = None, error: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        task = self._tasks[task_id]
        task.status = status
        task.updated_at = iso(self.clock.now())
        task.result = result
        task.error = error
        view = task.to_wire()
        if self.on_finish is not None:
            self.on_finish(view)
        return view


async def tasks_get(call: ToolCall) -> dict[str, Any] | ToolResult:
    """Return the state of a submitted task.

    Raises:
        AdcpError: INVALID_REQUEST when ``task_id`` is missing or too long; REFERENCE_NOT_FOUND
            (field ``task_id``) when no task has that id.
    """
    task_id = call.args.get("task_id")
    if not isinstance(task_id, str) or not 0 < len(task_id) <= MAX_TASK_ID_LEN:
        raise invalid("task_id", f"task_id must be a string of 1 to {MAX_TASK_ID_LEN} characters")
    view = call.platform.tasks.get(task_id)
    if view is None:
        raise AdcpError("REFERENCE_NOT_FOUND", f"Task {task_id} not found", field="task_id")
    return ToolResult(view, summary=f"Task {task_id} status: {view['status']}")
