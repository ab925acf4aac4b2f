"""The real process: ``python -m trainer`` opens its port only when ready, fails its boot loudly, drains on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import attrs
import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def write_config(tmp_path: Path, tenants: str, extra: str = "") -> Path:
    path = tmp_path / "trainer.toml"
    path.write_text(
        f"""
[server]
host = "127.0.0.1"
boot_deadline_s = 5.0
shutdown_timeout_s = 5.0
log_format = "json"
{extra}
[restart]
initial_delay_s = 0.01
factor = 2.0
jitter = 0.0
intensity = 2
{tenants}
"""
    )
    return path


async def trainer_cli(*args: str, env: dict[str, str] | None = None) -> asyncio.subprocess.Process:
    """Start ``python -m trainer <args>`` from the repo, with piped output."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    full_env.pop("PORT", None)
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "trainer",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=full_env,
        cwd=ROOT,
    )


async def spawn(config: Path, port: int) -> asyncio.subprocess.Process:
    return await trainer_cli("--config", str(config), "--port", str(port))


def events(stdout: bytes) -> list[dict[str, Any]]:
    lines = []
    for raw in stdout.splitlines():
        try:
            lines.append(json.loads(raw))
        except ValueError:
            continue
    return lines


async def test_port_opens_only_after_required_tenants_are_ready(tmp_path: Path) -> None:
    """While a required tenant is still building, connections are refused; the first accepted one finds it READY."""
    tenants = """
[tenants.slow]
factory = "tests.fakes:build_slow"
options = { delay_s = 1.0 }
[tenants.fast]
factory = "tests.fakes:build_echo"
"""
    port = free_port()
    process = await spawn(write_config(tmp_path, tenants), port)
    refused = 0
    try:
        async with asyncio.timeout(20):
            while True:
                try:
                    _, writer = await asyncio.open_connection("127.0.0.1", port)
                except OSError:
                    refused += 1
                    await asyncio.sleep(0.02)
                    continue
                writer.close()
                break
        async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/readyz") as response:
            assert response.status == 200
            assert (await response.json())["tenants"] == {"slow": "ready", "fast": "ready"}
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, _ = await process.communicate()
    assert refused > 10  # about a second of refusals while "slow" was building
    names = [e["event"] for e in events(stdout)]
    assert names.index("boot.ready") > names.index("tenant.ready")
    boot_ready = next(e for e in events(stdout) if e["event"] == "boot.ready")
    assert boot_ready["boot_ms"] >= 900


async def test_required_tenant_that_cannot_build_fails_the_boot(tmp_path: Path) -> None:
    """A deterministic init failure exits non-zero with one boot.failed line naming the tenant and its error."""
    tenants = """
[tenants.good]
factory = "tests.fakes:build_echo"
[tenants.broken]
factory = "tests.fakes:build_broken"
"""
    process = await spawn(write_config(tmp_path, tenants), free_port())
    async with asyncio.timeout(30):
        stdout, _ = await process.communicate()
    assert process.returncode == 1
    failed = [e for e in events(stdout) if e["event"] == "boot.failed"]
    assert len(failed) == 1
    assert failed[0]["tenants"] == [
        {"tenant": "broken", "state": "failed", "error": "RuntimeError('cannot build broken: catalogue missing')"}
    ]
    assert [e["delay_s"] for e in events(stdout) if e["event"] == "tenant.restart_scheduled"] == [0.01, 0.02]


async def test_optional_tenant_never_holds_the_boot(tmp_path: Path) -> None:
    """An optional tenant that cannot build leaves the boot to succeed; its route answers 503."""
    tenants = """
[tenants.good]
factory = "tests.fakes:build_echo"
[tenants.broken]
factory = "tests.fakes:build_broken"
required = false
"""
    port = free_port()
    process = await spawn(write_config(tmp_path, tenants), port)
    try:
        async with aiohttp.ClientSession() as session:
            async with asyncio.timeout(20):
                while True:
                    try:
                        async with session.get(f"http://127.0.0.1:{port}/readyz") as response:
                            assert response.status == 200
                            break
                    except aiohttp.ClientConnectionError:
                        await asyncio.sleep(0.05)
            body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
            async with session.post(f"http://127.0.0.1:{port}/broken/mcp", json=body) as response:
                assert response.status == 503
                assert "Retry-After" in response.headers
            async with session.post(f"http://127.0.0.1:{port}/good/mcp", json=body) as response:
                assert response.status == 200
    finally:
        process.send_signal(signal.SIGTERM)
        await process.communicate()


async def test_sigterm_drains_in_flight_and_stops_tenants_in_reverse(tmp_path: Path) -> None:
    """SIGTERM lets the server stop accepting, stops tenants last-first, and exits 0."""
    tenants = """
[tenants.alpha]
factory = "tests.fakes:build_echo"
[tenants.beta]
factory = "tests.fakes:build_echo"
[tenants.gamma]
factory = "tests.fakes:build_echo"
"""
    port = free_port()
    process = await spawn(write_config(tmp_path, tenants), port)
    nap = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "nap", "arguments": {"seconds": 1}}}
    async with aiohttp.ClientSession() as session, asyncio.timeout(20):
        while True:
            try:
                async with session.get(f"http://127.0.0.1:{port}/readyz") as response:
                    if response.status == 200:
                        break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)
        in_flight = asyncio.ensure_future(session.post(f"http://127.0.0.1:{port}/beta/mcp", json=nap))
        await asyncio.sleep(0.3)
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        response = await in_flight
        assert response.status == 200
        assert (await response.json())["result"]["structuredContent"]["slept"] is True
        stdout, _ = await process.communicate()
    assert process.returncode == 0
    assert time.monotonic() - started < 5
    stopped = [e["tenant"] for e in events(stdout) if e["event"] == "tenant.stopped"]
    assert stopped == ["gamma", "beta", "alpha"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[server]\nboot_deadline_s = 'soon'\n", "server.boot_deadline_s: expected a number, got 'soon'"),
        ("[restart]\nfactor = 0.5\n[tenants.a]\nfactory='x:y'\n", "restart.factor: must be at least 1.0, got 0.5"),
        ("[tenants.a]\nfactory = 'no.such.module:build'\n", "tenants.a.factory: cannot import 'no.such.module:build'"),
        ("[tenants.Bad_Id]\nfactory = 'tests.fakes:build_echo'\n", "tenants.Bad_Id: a tenant id must be lowercase"),
        ("[server\n", "not valid TOML"),
    ],
)
async def test_bad_config_exits_2_with_one_line_naming_file_and_key(tmp_path: Path, content: str, message: str) -> None:
    """Nothing starts half-configured: a bad value exits 2 naming the file, the key and the problem."""
    path = tmp_path / "bad.toml"
    path.write_text(content)
    process = await spawn(path, free_port())
    async with asyncio.timeout(20):
        stdout, stderr = await process.communicate()
    assert process.returncode == 2
    lines = stderr.decode().strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"trainer: config error: {path}")
    assert message in lines[0]
    assert b"boot.started" not in stdout


async def test_smoke_command_passes_against_a_live_trainer(live_url: str) -> None:
    """`python -m trainer smoke URL` checks every configured tenant and exits 0 when all answer."""
    process = await trainer_cli("smoke", live_url, "--budget-s", "10")
    async with asyncio.timeout(60):
        stdout, stderr = await process.communicate()
    assert process.returncode == 0, stdout.decode() + stderr.decode()
    lines = stdout.decode().strip().splitlines()
    for tenant in ("sales", "signals", "governance", "creative", "creative-builder", "brand"):
        assert any(tenant in line for line in lines), lines


async def test_smoke_command_fails_when_nothing_listens() -> None:
    """The smoke check exits non-zero once its budget is spent against a closed port."""
    process = await trainer_cli("smoke", f"http://127.0.0.1:{free_port()}", "--budget-s", "0.5")
    async with asyncio.timeout(60):
        await process.communicate()
    assert process.returncode != 0


@pytest.mark.parametrize(("token_args", "expected"), [([], 0), (["--token", "not-the-token"], 1)])
async def test_smoke_command_authenticates_in_bearer_mode(
    aiohttp_server: Any, trainer_config: Any, platform: Any, token_args: list[str], expected: int
) -> None:
    """In bearer mode the smoke check sends the config's token; a wrong --token fails at once on the 401."""
    from trainer.app import create_app
    from trainer.config import AuthConfig

    config = attrs.evolve(trainer_config, auth=AuthConfig(mode="bearer", tokens={"public": "smoke-token-123"}))
    server = await aiohttp_server(create_app(config, platform=platform))
    env = {
        "TRAINER_AUTH_MODE": "bearer",
        "TRAINER_AUTH_TOKEN": "smoke-token-123",
    }
    process = await trainer_cli("smoke", str(server.make_url("")).rstrip("/"), "--budget-s", "5", *token_args, env=env)
    async with asyncio.timeout(60):
        stdout, _ = await process.communicate()
    assert process.returncode == expected, stdout.decode()
