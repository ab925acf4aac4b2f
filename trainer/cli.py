"""Command-line parsing only: ``python -m trainer [serve flags]`` and ``python -m trainer smoke URL``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import attrs


@attrs.frozen
class ServeArgs:
    config: Path | None
    port: int | None
    host: str | None
    log_format: str | None


@attrs.frozen
class SmokeArgs:
    url: str
    budget_s: float
    tenants: tuple[str, ...]
    config: Path | None
    token: str | None


def parse_args(argv: Sequence[str]) -> ServeArgs | SmokeArgs:
    """Parse argv (without the program name); argparse exits 2 on bad usage."""
    if argv and argv[0] == "smoke":
        smoke = argparse.ArgumentParser(
            prog="python -m trainer smoke", description="Check that every tenant of a running trainer answers MCP."
        )
        smoke.add_argument("url", help="base URL, e.g. https://trainer.example.com")
        smoke.add_argument("--budget-s", type=float, default=60.0, help="retry 503s and refused connections this long")
        smoke.add_argument("--tenant", action="append", default=[], help="tenant to check (default: all configured)")
        smoke.add_argument("--config", type=Path, help="config whose tenant table lists the tenants")
        smoke.add_argument("--token", help="bearer token (default: the config's first token when it is in bearer mode)")
        ns = smoke.parse_args(argv[1:])
        return SmokeArgs(
            url=ns.url.rstrip("/"), budget_s=ns.budget_s, tenants=tuple(ns.tenant), config=ns.config, token=ns.token
        )
    serve = argparse.ArgumentParser(
        prog="python -m trainer", description="Serve the six AdCP training tenants over MCP."
    )
    serve.add_argument("--config", type=Path, help="config file (default: conf/trainer.toml)")
    serve.add_argument("--port", type=int, help="port to listen on (overrides $PORT and the config)")
    serve.add_argument("--host", help="address to bind (overrides the config)")
    serve.add_argument("--log-format", choices=("auto", "json", "console"), help="log rendering")
    ns = serve.parse_args(argv)
    return ServeArgs(config=ns.config, port=ns.port, host=ns.host, log_format=ns.log_format)
