"""Signals: the provider catalogue, get_signals search and activation state."""

from __future__ import annotations
