"""Brand: identity of the sandbox brands and rights licensing from the talent house."""

from __future__ import annotations
