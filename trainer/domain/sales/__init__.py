"""The media-buy seller behind /sales: catalogue, discovery, media buys, delivery and comply scenarios."""

from __future__ import annotations
