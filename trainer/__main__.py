"""``python -m trainer``: args -> config -> logs -> web.run_app; ``python -m trainer smoke URL`` for deploys."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import structlog
from aiohttp import web

from trainer.cli import ServeArgs, SmokeArgs, parse_args
from trainer.config import Config, ConfigError, load_config
from trainer.logs import configure_logging


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command and return the process exit status (2 for bad config, 1 for a failed boot)."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        config = load_config(
            args.config,
            env=os.environ,
            port=args.port if isinstance(args, ServeArgs) else None,
            host=args.host if isinstance(args, ServeArgs) else None,
        )
    except ConfigError as exc:
        print(f"trainer: config error: {exc}", file=sys.stderr)
        return 2
    if isinstance(args, SmokeArgs):
        from trainer.smoke import main as smoke

        tenants = args.tenants or tuple(t.id for t in config.tenants)
        token = args.token
        if token is None and config.auth.mode == "bearer":
            token = next(iter(config.auth.tokens.values()), None)
        return smoke(args.url, tenants, args.budget_s, token=token)
    configure_logging(args.log_format or config.log_format)
    return serve(config)


def serve(config: Config) -> int:
    """Serve until SIGTERM or SIGINT drains the server; return the exit status."""
    from trainer.app import BootFailed, create_app

    try:
        app = create_app(config)
    except ConfigError as exc:
        print(f"trainer: config error: {exc}", file=sys.stderr)
        return 2
    try:
        web.run_app(
            app,
            host=config.host,
            port=config.port,
            shutdown_timeout=config.shutdown_timeout_s,
            access_log=None,  # http.request_completed replaces the access log
            print=None,
        )
    except BootFailed:
        return 1  # boot.failed has already named the tenants
    structlog.get_logger("trainer.boot").info("shutdown.completed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
