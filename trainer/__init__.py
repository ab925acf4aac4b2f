"""trainer: a public, deterministic, sandbox-only AdCP training agent (six MCP tenants, one process)."""

from __future__ import annotations

__version__ = "0.1.0"
