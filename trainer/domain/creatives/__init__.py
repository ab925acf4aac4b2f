"""The creative library shared by /sales, /creative and /creative-builder: formats, creatives, provenance."""

from __future__ import annotations
