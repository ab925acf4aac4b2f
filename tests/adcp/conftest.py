"""Fixtures for the AdCP layer: a frozen clock, a platform on it, and a way to make tool calls."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

import pytest

from trainer.clock import FrozenClock
from trainer.platform import Platform
from trainer.tenant import TenantId, ToolCall

EPOCH = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


class MakeCall(Protocol):
    def __call__(self, tool: str, args: Mapping[str, Any], *, principal: str = ...) -> ToolCall: ...


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(EPOCH)


@pytest.fixture
def platform(clock: FrozenClock) -> Platform:
    return Platform.create(clock)


@pytest.fixture
def make_call(platform: Platform) -> MakeCall:
    def make(tool: str, args: Mapping[str, Any], *, principal: str = "static:demo:demo-acme-v1") -> ToolCall:
        return ToolCall(tool, dict(args), TenantId("sales"), principal, "req-1", platform)

    return make
