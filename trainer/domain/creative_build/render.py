"""Turn a manifest into markup: the HTML of a display or native unit, the VAST of a timed one, and preview URLs.

Everything here is a pure function of its inputs. Macro substitution follows AdCP's
substitution-safety rule for URL contexts: a value is percent-encoded so that only RFC 3986
unreserved characters stay literal, and it is substituted in one pass, so a value that itself
contains ``{DEVICE_ID}`` is never expanded again.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterable, Mapping
from typing import Any, Final
from urllib.parse import quote

import attrs

from trainer.domain.creative_build.formats import FormatShape

MACRO: Final = re.compile(r"\{([A-Z][A-Z0-9_]*)\}")
UNRESERVED: Final = "-._~"
VAST_VERSION: Final = "4.2"
CLICK_KEYS: Final = ("click_url", "clickthrough", "click_through", "landing_page", "cta_url")


@attrs.frozen
class BrandStyle:
    """The look a unit takes from brand.json.

    Attributes:
        primary: the accent color (buttons, borders).
        background: the unit background.
        text: the text color.
        font: the heading font family.
    """

    primary: str = "#1A1A2E"
    background: str = "#FFFFFF"
    text: str = "#212121"
    font: str = "Helvetica, Arial, sans-serif"


def style_from_identity(identity: Mapping[str, Any]) -> BrandStyle:
    """Return a brand's style from its identity fields (``colors``, ``fonts``), defaults where absent."""
    raw_colors, raw_fonts = identity.get("colors"), identity.get("fonts")
    colors: Mapping[str, Any] = raw_colors if isinstance(raw_colors, Mapping) else {}
    fonts: Mapping[str, Any] = raw_fonts if isinstance(raw_fonts, Mapping) else {}
    default = BrandStyle()

    def color(role: str, fallback: str) -> str:
        value = colors.get(role)
        if isinstance(value, list) and value:
            value = value[0]
        return value if isinstance(value, str) else fallback

    heading = fonts.get("heading", fonts.get("primary"))
    family = heading.get("family") if isinstance(heading, Mapping) else heading
    return BrandStyle(
        primary=color("primary", default.primary),
        background=color("background", default.background),
        text=color("text", default.text),
        font=f"{family}, {default.font}" if isinstance(family, str) else default.font,
    )


def encode_macro_value(value: str) -> str:
    """Percent-encode a macro value for a URL context: only RFC 3986 unreserved characters stay literal."""
    return quote(value, safe=UNRESERVED)


def substitute(text: str, macros: Mapping[str, str]) -> str:
    """Replace each ``{NAME}`` the macros define with its encoded value, once; unknown macros stay as they are."""
    if not macros:
        return text

    def replace(match: re.Match[str]) -> str:
        value = macros.get(match.group(1))
        return match.group(0) if value is None else encode_macro_value(value)

    return MACRO.sub(replace, text)


def data_url(markup: str) -> str:
    """Return a ``data:text/html;base64`` URL a browser can open or an iframe can embed."""
    return "data:text/html;base64," + base64.b64encode(markup.encode("utf-8")).decode("ascii")


def _assets(assets: Mapping[str, Any], *types: str) -> list[tuple[str, Mapping[str, Any]]]:
    return [
        (key, asset) for key, asset in assets.items() if isinstance(asset, Mapping) and asset.get("asset_type") in types
    ]


def click_url(assets: Mapping[str, Any]) -> str | None:
    """Return the manifest's click-through URL: a url asset keyed or typed as a click-through."""
    for key, asset in _assets(assets, "url"):
        if key in CLICK_KEYS or asset.get("url_type") in ("clickthrough", "click_through"):
            url = asset.get("url")
            if isinstance(url, str):
                return url
    return None


def tracker_urls(assets: Mapping[str, Any]) -> list[str]:
    """Return the impression tracker URLs of a manifest (url assets that are not the click-through)."""
    urls: list[str] = []
    for key, asset in _assets(assets, "url"):
        url = asset.get("url")
        if isinstance(url, str) and (asset.get("url_type") == "tracker_pixel" or "tracker" in key or "pixel" in key):
            urls.append(url)
    return urls


def _texts(assets: Mapping[str, Any]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for key, asset in _assets(assets, "text", "markdown"):
        content = asset.get("content")
        if isinstance(content, str):
            found.append((key, content))
    return found


def _first_url(assets: Mapping[str, Any], asset_type: str) -> str | None:
    for _, asset in _assets(assets, asset_type):
        url = asset.get("url")
        if isinstance(url, str):
            return url
    return None


def unit_html(
    assets: Mapping[str, Any],
    shape: FormatShape,
    *,
    style: BrandStyle | None = None,
    creative_id: str | None = None,
    trackers: Iterable[str] = (),
) -> str:
    """Return the self-contained HTML of a display or native unit built from ``assets``."""
    look = style or BrandStyle()
    size = f"width:{shape.width}px;height:{shape.height}px;" if shape.width and shape.height else "max-width:100%;"
    parts: list[str] = []
    image = _first_url(assets, "image")
    if image is not None:
        parts.append(f'<img src="{html.escape(image)}" alt="" style="max-width:100%;max-height:70%;display:block">')
    video = _first_url(assets, "video")
    if video is not None:
        parts.append(f'<video src="{html.escape(video)}" controls muted style="max-width:100%"></video>')
    for key, content in _texts(assets):
        tag = "h1" if key in ("headline", "title") else "p"
        parts.append(f'<{tag} class="{html.escape(key)}" style="margin:4px 0">{html.escape(content)}</{tag}>')
    for _, asset in _assets(assets, "html"):
        markup = asset.get("content")
        if isinstance(markup, str):
            parts.append(markup)
    body = "".join(parts) or f"<p>{html.escape(shape.name)}</p>"
    target = click_url(assets)
    if target is not None:
        body = f'<a href="{html.escape(target)}" target="_blank" rel="noopener" style="color:inherit">{body}</a>'
    pixels = "".join(
        f'<img src="{html.escape(url)}" width="1" height="1" alt="" style="display:none">'
        for url in [*tracker_urls(assets), *trackers]
    )
    data = f' data-creative-id="{html.escape(creative_id)}"' if creative_id else ""
    return (
        f'<div class="adcp-unit"{data} style="{size}overflow:hidden;box-sizing:border-box;'
        f"background:{look.background};color:{look.text};font-family:{html.escape(look.font)};"
        f'border:2px solid {look.primary};padding:6px">{body}{pixels}</div>'
    )


def vast_xml(
    assets: Mapping[str, Any],
    shape: FormatShape,
    *,
    creative_id: str,
    title: str,
    trackers: Iterable[str] = (),
) -> str:
    """Return an inline VAST 4.2 document for a video or audio unit built from ``assets``."""
    seconds = (shape.duration_ms or 30_000) // 1000
    duration = f"00:{seconds // 60:02d}:{seconds % 60:02d}"
    media = _first_url(assets, "video") or _first_url(assets, "audio") or ""
    mime = "audio/mpeg" if shape.kind == "audio" else "video/mp4"
    size = f' width="{shape.width}" height="{shape.height}"' if shape.width and shape.height else ""
    impressions = "".join(f"<Impression><![CDATA[{url}]]></Impression>" for url in [*tracker_urls(assets), *trackers])
    target = click_url(assets)
    clicks = f"<VideoClicks><ClickThrough><![CDATA[{target}]]></ClickThrough></VideoClicks>" if target else ""
    return (
        f'<VAST version="{VAST_VERSION}"><Ad id="{html.escape(creative_id)}"><InLine>'
        f"<AdSystem>AdCP training agent</AdSystem><AdTitle>{html.escape(title)}</AdTitle>{impressions}"
        f'<Creatives><Creative id="{html.escape(creative_id)}"><Linear><Duration>{duration}</Duration>'
        f'<MediaFiles><MediaFile delivery="progressive" type="{mime}"{size}><![CDATA[{media}]]></MediaFile>'
        f"</MediaFiles>{clicks}</Linear></Creative></Creatives></InLine></Ad></VAST>"
    )


def preview_document(assets: Mapping[str, Any], shape: FormatShape, *, title: str, style: BrandStyle | None) -> str:
    """Return the HTML page a preview shows: the unit, or for a VAST-only manifest a note of its tag."""
    inner = unit_html(assets, shape, style=style)
    vast = next((asset for _, asset in _assets(assets, "vast")), None)
    if vast is not None and _first_url(assets, "video") is None and _first_url(assets, "image") is None:
        inner = f'<div class="adcp-vast">VAST {html.escape(str(vast.get("vast_version", "")))} tag ({shape.name})</div>'
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>'
        f'<body style="margin:0">{inner}</body></html>'
    )
