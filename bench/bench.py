#!/usr/bin/env python
"""Benchmark trainer on loopback: tools/call throughput and latency beside a bare aiohttp echo, and boot time.

    python bench/bench.py [--duration 5] [--concurrency 1,32] [--boots 3] [--no-load] [--no-boot]

Load: the server (``python -m trainer``) and a bare aiohttp JSON-RPC echo server each run as a
subprocess pinned to CPU 0, and this process generates load from CPU 1 (``os.sched_setaffinity``
where the platform has it and there are two CPUs). Each worker is a closed loop on a keep-alive
connection with unique JSON-RPC ids; a run lasts a fixed time after a one-second warm-up. The tools
are ``get_adcp_capabilities`` and, when /sales lists it, ``get_products`` in brief mode. The echo
answers the same request with a ``tools/call``-shaped result: it is the HTTP floor, so the ratio
says how much of the time the MCP and AdCP layers cost.

Boot: the server is started ``--boots`` times; each boot reports process start -> ``/readyz`` 200
and the ``boot_ms`` of its ``boot.ready`` log line. This is a script, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import aiohttp
import attrs
import orjson
from aiohttp import web

REPO: Final = Path(__file__).resolve().parent.parent
FROZEN_TIME: Final = "2026-06-01T12:00:00Z"
HEADERS: Final = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
PROTOCOL_VERSION: Final = "2025-06-18"
SERVER_CPU: Final = 0
LOAD_CPU: Final = 1
# Decided at import, before main() pins this process to LOAD_CPU and so hides the other CPU.
CAN_PIN: Final = hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) >= 2
WARMUP_S: Final = 1.0
REQUEST_TIMEOUT_S: Final = 10.0
BRIEF_ARGS: Final[Mapping[str, Any]] = {
    "buying_mode": "brief",
    "brief": "Premium video and CTV inventory for a sports drink launch aimed at young adults",
    "brand": {"domain": "bench-brand.example"},
}


# ---------------------------------------------------------------------------------------------
# The echo baseline (runs in its own process: ``bench.py --echo-server --port N``)


def run_echo_server(port: int) -> None:
    """Serve a bare aiohttp JSON-RPC echo on ``/{tenant}/mcp``: parse, answer a tools/call-shaped result."""

    async def echo(request: web.Request) -> web.Response:
        message = orjson.loads(await request.read())
        arguments = message.get("params", {}).get("arguments", {})
        result = {"content": [{"type": "text", "text": "echo"}], "structuredContent": arguments}
        body = orjson.dumps({"jsonrpc": "2.0", "id": message.get("id"), "result": result})
        return web.Response(body=body, content_type="application/json")

    async def ready(request: web.Request) -> web.Response:
        return web.json_response({"ready": True})

    app = web.Application()
    app.router.add_post("/{tenant}/mcp", echo)
    app.router.add_get("/readyz", ready)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


# ---------------------------------------------------------------------------------------------
# Processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _pin_to_server_cpu() -> None:
    os.sched_setaffinity(0, {SERVER_CPU})


def start(command: Sequence[str], log_path: Path, env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    """Start a server process in its own session, pinned to the server CPU when possible."""
    with log_path.open("ab") as log:
        return subprocess.Popen(
            command,
            cwd=REPO,
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_pin_to_server_cpu if CAN_PIN else None,
        )


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, then SIGKILL it after 10 s."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


async def wait_ready(base: str, proc: subprocess.Popen[bytes], timeout_s: float = 60.0) -> float:
    """Poll ``/readyz`` every 5 ms until 200; return the seconds since now. Raise ``RuntimeError`` on exit/timeout."""
    started = time.monotonic()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
        while time.monotonic() - started < timeout_s:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode} before ready")
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with http.get(f"{base}/readyz") as resp:
                    if resp.status == 200:
                        return time.monotonic() - started
            await asyncio.sleep(0.005)
    raise RuntimeError(f"server not ready within {timeout_s:.0f} s")


def server_env(*, unbuffered: bool = False) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PORT", "TRAINER_PORT", "TRAINER_HOST"}}
    env.update({"TRAINER_LOG_FORMAT": "json", "TRAINER_FROZEN_TIME": FROZEN_TIME})
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"  # the boot.ready line must reach the file before /readyz answers
    return env


@contextlib.asynccontextmanager
async def serving(command: Sequence[str], port: int, log_path: Path) -> AsyncIterator[tuple[str, int]]:
    """Run a server until the block ends; yield its base URL and pid once ``/readyz`` is 200."""
    proc = start([*command, "--port", str(port)], log_path, server_env())
    try:
        base = f"http://127.0.0.1:{port}"
        await wait_ready(base, proc)
        yield base, proc.pid
    finally:
        stop(proc)


def trainer_command(module: str) -> list[str]:
    return [sys.executable, "-m", module, "--host", "127.0.0.1"]


def echo_command() -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--echo-server"]


def cpu_seconds(pid: int) -> float:
    """Return the user+system CPU seconds a process has used so far (0 where /proc is absent)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------------------------------
# Load


@attrs.frozen
class Stats:
    """One load run.

    Attributes:
        requests: completed requests in the measured window.
        errors: HTTP errors, JSON-RPC errors and ``isError`` results among them.
        rps: requests per second.
        p50_ms, p99_ms: latency percentiles.
        cpu_pct: the server's CPU use over the window, in percent of one core.
        gen_cpu_pct: this load generator's CPU use; near 100 means the client, not the server, is the limit.
        first_error: the first error seen, for the report.
    """

    requests: int
    errors: int
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_pct: float
    gen_cpu_pct: float
    first_error: str | None


def percentile(sorted_values: Sequence[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


async def mcp_headers(http: aiohttp.ClientSession, endpoint: str) -> dict[str, str]:
    """Initialize once and return the headers later requests carry (session id when the server hands one out)."""
    params = {"protocolVersion": PROTOCOL_VERSION, "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}
    message = {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": params}
    async with http.post(endpoint, data=orjson.dumps(message), headers=HEADERS) as resp:
        reply = orjson.loads(await resp.read())
        headers = dict(HEADERS)
        if session_id := resp.headers.get("Mcp-Session-Id"):
            headers["Mcp-Session-Id"] = session_id
    headers["MCP-Protocol-Version"] = str(reply.get("result", {}).get("protocolVersion", PROTOCOL_VERSION))
    return headers


async def list_tools(endpoint: str) -> list[str]:
    async with aiohttp.ClientSession() as http:
        headers = await mcp_headers(http, endpoint)
        message = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
        async with http.post(endpoint, data=orjson.dumps(message), headers=headers) as resp:
            reply = orjson.loads(await resp.read())
    return [str(tool["name"]) for tool in reply.get("result", {}).get("tools", [])]


async def load(
    endpoint: str, pid: int, tool: str, arguments: Mapping[str, Any], concurrency: int, duration_s: float
) -> Stats:
    """Drive ``tools/call`` from ``concurrency`` closed-loop workers for ``duration_s`` after a warm-up."""
    ids = itertools.count(1)
    latencies: list[float] = []
    errors: list[str] = []
    recording = False
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        headers = await mcp_headers(http, endpoint)

        async def worker(until: Callable[[], bool]) -> None:
            while not until():
                params = {"name": tool, "arguments": arguments}
                body = orjson.dumps({"jsonrpc": "2.0", "id": next(ids), "method": "tools/call", "params": params})
                began = time.perf_counter()
                error = None
                try:
                    async with http.post(endpoint, data=body, headers=headers) as resp:
                        data = await resp.read()
                        if resp.status != 200:
                            error = f"HTTP {resp.status}: {data[:200]!r}"
                        else:
                            reply = orjson.loads(data)
                            result = reply.get("result") or {}
                            if "error" in reply or result.get("isError"):
                                error = orjson.dumps(reply.get("error") or result.get("content"))[:300].decode()
                except (aiohttp.ClientError, TimeoutError) as exc:
                    error = repr(exc)
                if recording:
                    latencies.append(time.perf_counter() - began)
                    if error is not None:
                        errors.append(error)

        warm_end = time.monotonic() + WARMUP_S
        await asyncio.gather(*(worker(lambda: time.monotonic() >= warm_end) for _ in range(concurrency)))
        recording = True
        cpu_before, gen_before, started = cpu_seconds(pid), time.process_time(), time.monotonic()
        end = started + duration_s
        await asyncio.gather(*(worker(lambda: time.monotonic() >= end) for _ in range(concurrency)))
        wall = time.monotonic() - started
        cpu, gen_cpu = cpu_seconds(pid) - cpu_before, time.process_time() - gen_before
    latencies.sort()
    return Stats(
        requests=len(latencies),
        errors=len(errors),
        rps=len(latencies) / wall,
        p50_ms=percentile(latencies, 0.50) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        cpu_pct=100 * cpu / wall,
        gen_cpu_pct=100 * gen_cpu / wall,
        first_error=errors[0] if errors else None,
    )


async def load_table(module: str, duration_s: float, levels: Sequence[int], workdir: Path) -> list[str]:
    """Measure each tool at each concurrency on trainer and on the echo, and format the side-by-side table."""
    rows: list[tuple[str, int, Stats, Stats]] = []
    async with (
        serving(trainer_command(module), free_port(), workdir / "trainer.log") as (base, pid),
        serving(echo_command(), free_port(), workdir / "echo.log") as (echo_base, echo_pid),
    ):
        endpoint = f"{base}/sales/mcp"
        tools = await list_tools(endpoint)
        cases: list[tuple[str, Mapping[str, Any]]] = [("get_adcp_capabilities", {})]
        if "get_products" in tools:
            cases.append(("get_products", BRIEF_ARGS))
        for (tool, arguments), concurrency in itertools.product(cases, levels):
            server = await load(endpoint, pid, tool, arguments, concurrency, duration_s)
            echo = await load(f"{echo_base}/sales/mcp", echo_pid, tool, arguments, concurrency, duration_s)
            rows.append((tool, concurrency, server, echo))
            print(f"bench: {tool} c={concurrency}: {server.rps:.0f} req/s (echo {echo.rps:.0f})", flush=True)
    head = (
        f"{'tool (on /sales)':<22} {'c':>3} | {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'cpu%':>5} {'gen%':>5}"
        f" {'err':>4} | {'echo r/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'cpu%':>5} | {'r/s ratio':>9} {'p50 ratio':>9}"
    )
    lines = [head, "-" * len(head)]
    for tool, c, s, e in rows:
        ours = f"{s.rps:>7.0f} {s.p50_ms:>7.2f} {s.p99_ms:>7.2f} {s.cpu_pct:>5.0f} {s.gen_cpu_pct:>5.0f} {s.errors:>4}"
        floor = f"{e.rps:>8.0f} {e.p50_ms:>7.2f} {e.p99_ms:>7.2f} {e.cpu_pct:>5.0f}"
        lines.append(f"{tool:<22} {c:>3} | {ours} | {floor} | {s.rps / e.rps:>9.2f} {s.p50_ms / e.p50_ms:>9.2f}")
    lines.append("cpu% = server CPU, gen% = load generator CPU (near 100: the client is the limit, not the server)")
    for tool, c, s, _ in rows:
        if s.first_error:
            lines.append(f"first error, {tool} c={c}: {s.first_error}")
    return lines


# ---------------------------------------------------------------------------------------------
# Boot


def logged_boot_ms(log_path: Path) -> float | None:
    """Return ``boot_ms`` of the last ``boot.ready`` JSON log line, or ``None`` when there is none."""
    boot_ms = None
    for line in log_path.read_bytes().splitlines():
        with contextlib.suppress(orjson.JSONDecodeError):
            event = orjson.loads(line)
            if isinstance(event, dict) and event.get("event") == "boot.ready":
                boot_ms = float(event["boot_ms"])
    return boot_ms


async def one_boot(module: str, log_path: Path) -> tuple[float, float | None, int]:
    """Boot the server once; return (start -> /readyz 200 ms, boot_ms from the log, tenants ready)."""
    port = free_port()
    began = time.monotonic()
    proc = start([*trainer_command(module), "--port", str(port)], log_path, server_env(unbuffered=True))
    try:
        await wait_ready(f"http://127.0.0.1:{port}", proc)
        ready_ms = (time.monotonic() - began) * 1000
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/status") as resp:
            status = orjson.loads(await resp.read())
    finally:
        stop(proc)
    tenants = status.get("tenants", {})
    ready = sum(1 for t in tenants.values() if isinstance(t, dict) and t.get("state") == "ready")
    return ready_ms, logged_boot_ms(log_path), ready


async def boot_table(module: str, boots: int, workdir: Path) -> list[str]:
    """Boot ``boots`` times and format min/median/max of both boot measures."""
    samples = [await one_boot(module, workdir / f"boot-{i}.log") for i in range(boots)]
    ready = [s[0] for s in samples]
    logged = [s[1] for s in samples if s[1] is not None]
    tenants = {s[2] for s in samples}

    def spread(values: Sequence[float]) -> str:
        if not values:
            return "n/a (no boot.ready line)"
        return f"min {min(values):.0f}  median {statistics.median(values):.0f}  max {max(values):.0f} ms"

    return [
        f"boot ({boots} boots, tenants ready at /readyz: {', '.join(map(str, sorted(tenants)))})",
        f"  process start -> /readyz 200: {spread(ready)}",
        f"  boot.ready boot_ms:           {spread(logged)}",
    ]


# ---------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measured run (default 5)")
    parser.add_argument("--concurrency", default="1,32", help="comma-separated client counts (default 1,32)")
    parser.add_argument("--boots", type=int, default=3, help="boots to time (default 3)")
    parser.add_argument("--no-load", action="store_true", help="skip the throughput runs")
    parser.add_argument("--no-boot", action="store_true", help="skip the boot timing")
    parser.add_argument("--server-module", default="trainer", help=argparse.SUPPRESS)
    parser.add_argument("--echo-server", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.echo_server:
        run_echo_server(args.port)
        return 0
    levels = [int(c) for c in args.concurrency.split(",") if c]
    if CAN_PIN:
        os.sched_setaffinity(0, {LOAD_CPU})
        placement = f"server on CPU {SERVER_CPU}, load generator on CPU {LOAD_CPU}"
    else:
        placement = "not pinned (no sched_setaffinity or a single CPU)"
    print(f"bench: python {sys.version.split()[0]}, aiohttp {aiohttp.__version__}, {placement}", flush=True)
    # Other work on the machine skews every number; the load average says how much there was.
    print(f"bench: load average before start {os.getloadavg()[0]:.2f}", flush=True)
    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="trainer-bench-") as tmp:
        try:
            if not args.no_load:
                lines += asyncio.run(load_table(args.server_module, args.duration, levels, Path(tmp)))
            if not args.no_boot:
                lines += ["", *asyncio.run(boot_table(args.server_module, args.boots, Path(tmp)))]
        except RuntimeError as exc:
            log = Path(tmp) / "trainer.log"
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:]) if log.exists() else ""
            print(f"bench: {exc}\n{tail}", file=sys.stderr)
            return 1
    print("\n" + "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
