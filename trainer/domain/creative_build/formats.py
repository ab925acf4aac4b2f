"""Format references in build and preview requests, and the shape (kind, size, length) a build renders to.

A buyer may name any format: its own, another agent's (``display_300x250_generative`` on
``https://your-agent.example.com``) or one of the shared catalogue's. The shape comes from the
catalogue definition when there is one, then from the format_id's own ``width``/``height``/
``duration_ms`` parameters, then from the id itself (``_728x90``, ``_30s``, ``vast_``), so a
build never fails just because a format is foreign.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Final

import attrs

from trainer.adcp.errors import invalid
from trainer.domain.brand import fields

FORMAT_ID: Final = re.compile(r"[a-zA-Z0-9_-]+")
_SIZE: Final = re.compile(r"(?:^|_)(\d{2,4})x(\d{2,4})(?:_|$)")
_SECONDS: Final = re.compile(r"(?:^|_)(\d{1,3})s(?:_|$)")
_VIDEO_WORDS: Final = ("vast", "video", "preroll", "ctv", "ssai", "broadcast", "reel", "outstream")
_AUDIO_WORDS: Final = ("audio", "podcast", "daast", "radio")
_NATIVE_WORDS: Final = ("native", "feed", "card", "carousel", "sponsored", "search", "post")
# Video renders at 1080p unless told otherwise; a display format without a size is a medium rectangle.
DEFAULT_VIDEO_SIZE: Final = (1920, 1080)
DEFAULT_DISPLAY_SIZE: Final = (300, 250)

FormatLookup = Callable[[str], Mapping[str, Any] | None]
"""Return the shared catalogue's definition of a format id, or None for a format it does not hold."""


def no_catalogue(format_id: str) -> Mapping[str, Any] | None:
    """A lookup that knows no format: every shape is inferred from the format_id."""
    return None


@attrs.frozen
class FormatRef:
    """A ``format_id`` object as the buyer sent it.

    Attributes:
        id: the format id.
        agent_url: the agent that defines it.
        wire: the object as sent (``width``/``height``/``duration_ms`` parameters included), echoed back.
    """

    id: str
    agent_url: str
    wire: Mapping[str, Any]

    def param(self, name: str) -> int | None:
        value = self.wire.get(name)
        return int(value) if isinstance(value, int | float) and not isinstance(value, bool) and value > 0 else None


def parse_format_ref(value: object, field: str) -> FormatRef:
    """Parse a format_id object found at ``field``.

    Raises:
        AdcpError: INVALID_REQUEST naming ``<field>``, ``<field>.id`` or ``<field>.agent_url``.
    """
    if not isinstance(value, Mapping):
        raise invalid(field, f"{field} must be a format_id object {{agent_url, id}}")
    format_id = fields.text(value, "id", field, required=True)
    if not FORMAT_ID.fullmatch(format_id):
        raise invalid(f"{field}.id", f"{field}.id must match {FORMAT_ID.pattern}")
    agent_url = fields.text(value, "agent_url", field, required=True)
    if not agent_url.startswith(("https://", "http://")):
        raise invalid(f"{field}.agent_url", f"{field}.agent_url must be an http(s) URL")
    for name in ("width", "height", "duration_ms"):
        fields.integer(value, name, field, minimum=1)
    return FormatRef(format_id, agent_url, dict(value))


@attrs.frozen
class FormatShape:
    """What a format renders to.

    Attributes:
        kind: ``video``, ``audio``, ``native`` or ``display``.
        width: render width in pixels, when fixed.
        height: render height in pixels, when fixed.
        duration_ms: the spot length, for timed media.
        name: a display name.
    """

    kind: str
    width: int | None
    height: int | None
    duration_ms: int | None
    name: str

    @property
    def timed(self) -> bool:
        return self.kind in ("video", "audio")


def _kind(format_id: str, declared: object) -> str:
    lowered = format_id.lower()
    if declared in ("video", "audio", "native", "display"):
        return str(declared)
    if any(word in lowered for word in _AUDIO_WORDS):
        return "audio"
    if any(word in lowered for word in _VIDEO_WORDS):
        return "video"
    if any(word in lowered for word in _NATIVE_WORDS):
        return "native"
    return "display"


def _catalogue_size(definition: Mapping[str, Any]) -> tuple[int, int] | None:
    for render in definition.get("renders") or ():
        dimensions = render.get("dimensions") if isinstance(render, Mapping) else None
        if isinstance(dimensions, Mapping):
            width, height = dimensions.get("width"), dimensions.get("height")
            if isinstance(width, int) and isinstance(height, int) and not isinstance(width, bool):
                return width, height
    return None


def shape_of(ref: FormatRef, lookup: FormatLookup) -> FormatShape:
    """Return what ``ref`` renders to, from the catalogue, the format_id parameters, then the id."""
    definition = lookup(ref.id) or {}
    kind = _kind(ref.id, definition.get("type"))
    size = _catalogue_size(definition)
    width, height = ref.param("width"), ref.param("height")
    if width is not None and height is not None:
        size = (width, height)
    if size is None and (match := _SIZE.search(ref.id)) is not None:
        size = (int(match.group(1)), int(match.group(2)))
    if size is None and kind == "video":
        size = DEFAULT_VIDEO_SIZE
    if size is None and kind == "display":
        size = DEFAULT_DISPLAY_SIZE
    duration = ref.param("duration_ms")
    if duration is None and kind in ("video", "audio"):
        seconds = _SECONDS.search(ref.id)
        duration = int(seconds.group(1)) * 1000 if seconds is not None else 30_000
    name = str(definition.get("name") or ref.id.replace("_", " "))
    return FormatShape(kind, size[0] if size else None, size[1] if size else None, duration, name)
