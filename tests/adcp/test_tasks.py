"""The task registry and tasks_get."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.adcp.conftest import MakeCall
from trainer.adcp.errors import AdcpError
from trainer.adcp.tasks import TaskRegistry, tasks_get
from trainer.clock import FrozenClock
from trainer.tenant import ToolResult


def test_submit_then_complete(clock: FrozenClock) -> None:
    """A submitted task reads back submitted, then completed with its result and completed_at."""
    tasks = TaskRegistry(clock)
    view = tasks.submit("create_media_buy", owner="open:acme.example", message="Awaiting IO", task_id="task_1")
    assert view == {
        "task_id": "task_1",
        "task_type": "create_media_buy",
        "status": "submitted",
        "protocol": "media-buy",
        "has_webhook": False,
        "created_at": "2026-06-01T12:00:00.000Z",
        "updated_at": "2026-06-01T12:00:00.000Z",
        "message": "Awaiting IO",
    }
    clock.advance(timedelta(minutes=1))
    done = tasks.complete("task_1", {"media_buy_id": "mb_1"})
    assert done["status"] == "completed"
    assert done["result"] == {"media_buy_id": "mb_1"}
    assert done["completed_at"] == done["updated_at"] == "2026-06-01T12:01:00.000Z"
    assert tasks.get("task_1") == done
    assert tasks.owner_of("task_1") == "open:acme.example"


def test_fail_and_generated_ids(clock: FrozenClock) -> None:
    """A task without an id gets task_<uuid>; failing it exposes the error."""
    tasks = TaskRegistry(clock)
    view = tasks.submit("sync_creatives", owner="open:default")
    assert view["task_id"].startswith("task_")
    assert view["protocol"] == "creative"
    failed = tasks.fail(view["task_id"], {"code": "NOT_IMPLEMENTED", "message": "no completion handler"})
    assert failed["error"] == {"code": "NOT_IMPLEMENTED", "message": "no completion handler"}
    assert "result" not in failed
    with pytest.raises(KeyError):
        tasks.complete("task_missing", {})


def test_registry_is_bounded_and_clearable(clock: FrozenClock) -> None:
    """Past max_tasks the oldest go; clear() forgets all."""
    tasks = TaskRegistry(clock, max_tasks=2)
    for n in range(3):
        tasks.submit("create_media_buy", owner="o", task_id=f"t{n}")
    assert tasks.get("t0") is None
    assert len(tasks) == 2
    tasks.clear()
    assert len(tasks) == 0


async def test_tasks_get_reads_the_registry(make_call: MakeCall) -> None:
    """tasks_get returns the task view with a status summary."""
    call = make_call("tasks_get", {"task_id": "task_9"})
    call.platform.tasks.submit("create_media_buy", owner="o", task_id="task_9")
    reply = await tasks_get(call)
    assert isinstance(reply, ToolResult)
    assert reply.payload["status"] == "submitted"
    assert reply.summary == "Task task_9 status: submitted"


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ({"task_id": "task_nope"}, "REFERENCE_NOT_FOUND"),
        ({}, "INVALID_REQUEST"),
        ({"task_id": "x" * 129}, "INVALID_REQUEST"),
    ],
)
async def test_tasks_get_errors_name_task_id(make_call: MakeCall, args: dict[str, object], code: str) -> None:
    """An unknown or malformed task id is an error on field task_id."""
    with pytest.raises(AdcpError) as raised:
        await tasks_get(make_call("tasks_get", args))
    assert raised.value.code == code
    assert raised.value.field == "task_id"
