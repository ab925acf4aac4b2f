"""The one structlog configuration: JSON lines (orjson) off a TTY, a console renderer on one."""

from __future__ import annotations

import logging
import sys
from typing import Any

import orjson
import structlog


def _orjson_dumps(obj: Any, default: Any = None) -> bytes:
    return orjson.dumps(obj, default=default or repr)


def configure_logging(log_format: str = "auto", level: int = logging.INFO) -> None:
    """Configure structlog (and route stdlib logging through it) once for the process.

    ``log_format`` is ``json``, ``console`` or ``auto`` (JSON unless stdout is a TTY).
    """
    as_json = log_format == "json" or (log_format == "auto" and not sys.stdout.isatty())
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if as_json:
        processors = [
            *shared,
            structlog.processors.dict_tracebacks,
            structlog.processors.JSONRenderer(serializer=_orjson_dumps),
        ]
        factory: Any = structlog.BytesLoggerFactory(sys.stdout.buffer)
    else:
        processors = [*shared, structlog.dev.ConsoleRenderer()]
        factory = structlog.PrintLoggerFactory(sys.stdout)
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=factory,
        cache_logger_on_first_use=True,
    )
    # aiohttp and mcp log through stdlib logging; keep their warnings, in the same stream.
    logging.basicConfig(level=logging.WARNING, stream=sys.stdout, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
