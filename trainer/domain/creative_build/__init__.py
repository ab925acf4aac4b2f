"""Creative building: build_creative in library, transform and generative modes, previews and creative delivery."""

from __future__ import annotations
