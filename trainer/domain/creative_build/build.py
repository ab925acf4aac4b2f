"""build_creative in its three modes, for one target format or many.

* library: ``creative_id`` names a creative of the buyer's library; the build wraps its assets in
  a serving tag for the target, scoped to ``media_buy_id``/``package_id`` when given.
* transform: ``creative_manifest`` is adapted to each target; with a ``message`` the message
  refines it (a quoted CTA or headline replaces the manifest's).
* generative: ``message`` is a brief; the agent writes the copy, names a generated image sized to
  the target, styles the unit with the brand's colors and fonts, and declares AI provenance. A
  brief naming a synced catalogue (or one of its items) features the item: its title, image,
  landing page and price, with a ``{SKU}`` impression tracker resolved per impression, and
  previews rendered once per item.

Every output manifest carries the target's format_id as sent and a serving asset: a VAST 4.2
document for timed formats, an HTML tag otherwise. ``target_format_ids`` (up to 50) gives
``creative_manifests``; one target gives ``creative_manifest``. With an ``account`` the build is
priced (``pricing_option_id``, ``vendor_cost`` 0 at build time, ``consumption``), as an ad server
billing through AdCP does.
"""

from __future__ import annotations

import enum
import hashlib
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlencode

import attrs

from trainer.adcp.errors import AdcpError, invalid
from trainer.clock import iso
from trainer.domain.brand import fields
from trainer.domain.creative_build.catalogs import CatalogItem
from trainer.domain.creative_build.formats import FormatLookup, FormatRef, FormatShape, parse_format_ref, shape_of
from trainer.domain.creative_build.library import LibraryCreative
from trainer.domain.creative_build.preview import (
    OUTPUT_FORMATS,
    PREVIEW_TTL,
    QUALITIES,
    Manifest,
    PreviewInput,
    parse_choice,
    parse_inputs,
    parse_manifest,
    render_previews,
)
from trainer.domain.creative_build.render import BrandStyle, substitute, unit_html, vast_xml

MAX_TARGETS: Final = 50
CURRENCY: Final = "USD"
GENERATED_ASSET_BASE: Final = "https://assets.adcp-trainer.example/generated"
TRACKER_BASE: Final = "https://track.adcp-trainer.example/imp"
GENERATOR: Final[Mapping[str, str]] = {"name": "AdCP training generator", "version": "1.0", "provider": "AdCP trainer"}
_QUOTED: Final = re.compile(r"[\"“‘']([^\"”’']{2,90})[\"”’']")
_CATALOG_MACROS: Final = re.compile(r"\{(SKU|GTIN)\}")
_SENTENCE_END: Final = re.compile(r"[.!?,;:]\s")
# "Create a display banner for a summer sale" is an instruction; what follows "for" is the subject.
_INSTRUCTION: Final = re.compile(
    r"^(?:please\s+)?(?:create|generate|make|build|design|write|produce)\b.*?\bfor\s+(?:an?\s+|the\s+|our\s+)?", re.I
)
_DISCOUNT: Final = re.compile(r"(\d{1,2})\s*%\s*off", re.I)
# An image for a format without a fixed size (native, responsive) is cut at the common 1.91:1 card.
CARD_IMAGE: Final = (1200, 628)


class Mode(enum.Enum):
    """How a build gets its source."""

    LIBRARY = "library"
    TRANSFORM = "transform"
    GENERATIVE = "generative"


@attrs.frozen
class BuildRequest:
    """A parsed build_creative request.

    Attributes:
        mode: where the creative comes from.
        targets: the formats to build for; empty means the source's own format.
        plural: whether ``target_format_ids`` was used (the reply lists manifests).
        manifest: the inline source manifest (transform).
        creative_id: the library creative (library).
        message: the brief (generative) or refinement (transform).
        brand_domain: the brand the creative is for, from ``brand`` or ``account.brand``.
        media_buy_id: the buy a tag is trafficked on.
        package_id: the package within it.
        quality: ``draft`` or ``production``.
        include_preview: whether to render previews of the output.
        preview_inputs: macro sets for those previews.
        explicit_preview_inputs: whether the buyer chose them (else catalogue items may).
        preview_output_format: ``url``, ``html`` or ``both``.
        macro_values: macros substituted into the serving tags.
        priced: whether an account was given, so the build reports its pricing.
        governance_context: echoed back, as the reference does.
    """

    mode: Mode
    targets: tuple[FormatRef, ...]
    plural: bool
    manifest: Manifest | None = None
    creative_id: str | None = None
    message: str | None = None
    brand_domain: str | None = None
    media_buy_id: str | None = None
    package_id: str | None = None
    quality: str = "draft"
    include_preview: bool = False
    preview_inputs: tuple[PreviewInput, ...] = ()
    explicit_preview_inputs: bool = False
    preview_output_format: str = "url"
    macro_values: Mapping[str, str] = attrs.field(factory=dict)
    priced: bool = False
    governance_context: str | None = None


def _targets(args: Mapping[str, Any]) -> tuple[tuple[FormatRef, ...], bool]:
    single, many = args.get("target_format_id"), args.get("target_format_ids")
    # When both are sent the plural list wins: the storyboard runner carries a target_format_id
    # over from earlier steps into multi-format builds.
    if many is not None:
        if not isinstance(many, list) or not many:
            raise invalid("target_format_ids", "target_format_ids must be a non-empty array of format_id objects")
        if len(many) > MAX_TARGETS:
            raise invalid("target_format_ids", f"A build takes at most {MAX_TARGETS} target formats, got {len(many)}")
        return tuple(parse_format_ref(item, f"target_format_ids[{index}]") for index, item in enumerate(many)), True
    if single is not None:
        return (parse_format_ref(single, "target_format_id"),), False
    return (), False


def _brand_domain(args: Mapping[str, Any]) -> str | None:
    account = fields.mapping(args, "account")
    for holder, parent in ((fields.mapping(args, "brand"), "brand"), (account, "account")):
        if holder is None:
            continue
        brand = holder if parent == "brand" else fields.mapping(holder, "brand", "account")
        if brand is not None:
            domain = fields.text(brand, "domain", "brand" if parent == "brand" else "account.brand")
            if domain is not None:
                return domain.lower()
    return None


def _macros(args: Mapping[str, Any]) -> dict[str, str]:
    raw = fields.mapping(args, "macro_values") or {}
    for name, value in raw.items():
        if not isinstance(value, str):
            raise invalid(f"macro_values.{name}", f"macro_values.{name} must be a string")
    return dict(raw)


def parse_build_request(args: Mapping[str, Any]) -> BuildRequest:
    """Parse build_creative arguments and decide the mode.

    Raises:
        AdcpError: INVALID_REQUEST naming the field: ``creative_manifest...``, ``creative_id``,
            ``message``, ``target_format_id...``/``target_format_ids...`` (empty, over 50, or missing
            for a generative build), ``quality``, ``include_preview``,
            ``preview_inputs[i]...``, ``preview_output_format``, ``macro_values...``, ``brand.domain``;
            naming ``creative_manifest`` when nothing says what to build from.
    """
    targets, plural = _targets(args)
    manifest = parse_manifest(args["creative_manifest"], "creative_manifest") if args.get("creative_manifest") else None
    creative_id = fields.text(args, "creative_id")
    message = fields.text(args, "message")
    if manifest is not None:
        mode = Mode.TRANSFORM
    elif creative_id is not None:
        mode = Mode.LIBRARY
    elif message is not None:
        mode = Mode.GENERATIVE
        if not targets:
            raise invalid("target_format_id", "A generative build needs target_format_id or target_format_ids")
    else:
        raise invalid(
            "creative_manifest",
            "build_creative needs a creative_manifest (transform), a creative_id (library) or a message (generative)",
        )
    include_preview = fields.boolean(args, "include_preview") is True
    return BuildRequest(
        mode=mode,
        targets=targets,
        plural=plural,
        manifest=manifest,
        creative_id=creative_id,
        message=message,
        brand_domain=_brand_domain(args),
        media_buy_id=fields.text(args, "media_buy_id"),
        package_id=fields.text(args, "package_id"),
        quality=parse_choice(args, "quality", QUALITIES, "draft"),
        include_preview=include_preview,
        preview_inputs=parse_inputs(args, "preview_inputs"),
        explicit_preview_inputs=args.get("preview_inputs") is not None,
        preview_output_format=parse_choice(args, "preview_output_format", OUTPUT_FORMATS, "url"),
        macro_values=_macros(args),
        priced=args.get("account") is not None,
        governance_context=fields.text(args, "governance_context"),
    )


@attrs.frozen
class BrandLook:
    """What a build knows about the brand it builds for.

    Attributes:
        name: the brand's name.
        domain: its house domain (for click-throughs).
        style: its colors and fonts.
        tagline: its tagline, if any.
    """

    name: str
    domain: str
    style: BrandStyle
    tagline: str | None = None


@attrs.frozen
class BuildContext:
    """What a build reads besides the request.

    Attributes:
        now: the trainer clock's now.
        formats: the shared format catalogue.
        find_creative: the buyer's creative library.
        brand: the brand the request names, when the brand catalogue knows it.
        catalog_items: the synced catalogue items a brief is about.
    """

    now: datetime
    formats: FormatLookup
    find_creative: Callable[[str], LibraryCreative | None]
    brand: BrandLook | None = None
    catalog_items: Callable[[str], list[CatalogItem]] = lambda message: []


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


def _headline(message: str) -> str:
    """Return ad copy for a brief: a quoted line if the brief gives one, else its subject, with any discount."""
    quoted = _QUOTED.findall(message)
    if quoted:
        return str(quoted[0])
    subject = _SENTENCE_END.split(_INSTRUCTION.sub("", message.strip()), maxsplit=1)[0].strip().rstrip(".!?")
    headline = subject[:1].upper() + subject[1:] if subject else "Made for you"
    discount = _DISCOUNT.search(message)
    if discount is not None and "%" not in headline:
        headline = f"{headline} — {discount.group(1)}% Off"
    return headline if len(headline) <= 60 else headline[:57].rstrip() + "..."


def _image_size(shape: FormatShape) -> dict[str, int]:
    """Return the width and height an image asset for ``shape`` is rendered at (the schema requires both)."""
    if shape.width and shape.height:
        return {"width": shape.width, "height": shape.height}
    return {"width": CARD_IMAGE[0], "height": CARD_IMAGE[1]}


def _featured(item: CatalogItem | None, shape: FormatShape) -> dict[str, Any]:
    """Return the assets a featured catalogue item contributes: title, image, landing page, price."""
    if item is None:
        return {}
    assets: dict[str, Any] = {}
    title, image, url, price = (item.item.get(key) for key in ("title", "image_url", "url", "price"))
    if isinstance(title, str):
        assets["headline"] = {"asset_type": "text", "content": title}
    if isinstance(image, str) and shape.kind not in ("video", "audio"):
        assets["generated_image"] = {"asset_type": "image", "url": image, **_image_size(shape)}
    if isinstance(url, str):
        assets["click_url"] = {"asset_type": "url", "url": url, "url_type": "clickthrough"}
    if isinstance(price, Mapping) and isinstance(price.get("amount"), int | float):
        assets["price"] = {
            "asset_type": "text",
            "content": f"{price['amount']:.2f} {price.get('currency', '')}".strip(),
        }
    return assets


def _generated_assets(
    request: BuildRequest, shape: FormatShape, target: FormatRef, ctx: BuildContext, items: list[CatalogItem]
) -> dict[str, Any]:
    message = request.message or ""
    brand = ctx.brand
    seed = _digest(message, target.id, request.brand_domain or "", request.quality)
    assets: dict[str, Any] = {
        "headline": {"asset_type": "text", "content": _headline(message)},
        "cta": {"asset_type": "text", "content": "Shop Now"},
    }
    if brand is not None and brand.tagline:
        assets["tagline"] = {"asset_type": "text", "content": brand.tagline}
    if shape.kind == "video":
        assets["video"] = {
            "asset_type": "video",
            "url": f"{GENERATED_ASSET_BASE}/{seed}.mp4",
            "width": shape.width or 1920,
            "height": shape.height or 1080,
            "duration_ms": shape.duration_ms or 30_000,
        }
    elif shape.kind == "audio":
        assets["audio"] = {
            "asset_type": "audio",
            "url": f"{GENERATED_ASSET_BASE}/{seed}.mp3",
            "duration_ms": shape.duration_ms,
        }
    else:
        assets["generated_image"] = {
            "asset_type": "image",
            "url": f"{GENERATED_ASSET_BASE}/{seed}.png",
            **_image_size(shape),
        }
    domain = brand.domain if brand is not None else request.brand_domain
    if domain is not None:
        assets["click_url"] = {"asset_type": "url", "url": f"https://{domain}/", "url_type": "clickthrough"}
    assets.update(_featured(items[0] if items else None, shape))
    catalog_macro = _CATALOG_MACROS.search(message)
    if catalog_macro is not None or items or "catalog" in message.lower():
        # Catalogue-driven units keep the item macro literal: the ad server resolves it per impression.
        macro = catalog_macro.group(0) if catalog_macro is not None else "{SKU}"
        assets["impression_tracker"] = {
            "asset_type": "url",
            "url": f"https://track.example/imp?sku={macro}",
            "url_type": "tracker_pixel",
        }
    return assets


def _refined(assets: Mapping[str, Any], message: str | None) -> dict[str, Any]:
    refined = dict(assets)
    if not message:
        return refined
    quoted = _QUOTED.findall(message)
    lowered = message.lower()
    if quoted and ("cta" in lowered or "button" in lowered):
        refined["cta"] = {"asset_type": "text", "content": quoted[-1]}
    elif quoted and "headline" in lowered:
        refined["headline"] = {"asset_type": "text", "content": quoted[0]}
    return refined


def _tracker(creative_id: str, request: BuildRequest) -> str:
    query = {"creative": creative_id}
    if request.media_buy_id is not None:
        query["media_buy"] = request.media_buy_id
    if request.package_id is not None:
        query["package"] = request.package_id
    # The cache-buster stays a macro: the serving ad server fills it per impression.
    return f"{TRACKER_BASE}?{urlencode(query)}&cb={{CACHEBUSTER}}"


def _serving_asset(
    assets: Mapping[str, Any], shape: FormatShape, creative_id: str, request: BuildRequest, style: BrandStyle | None
) -> tuple[str, dict[str, Any]]:
    tracker = _tracker(creative_id, request)
    if shape.timed:
        content = vast_xml(assets, shape, creative_id=creative_id, title=shape.name, trackers=[tracker])
        vast: dict[str, Any] = {
            "asset_type": "vast",
            "delivery_type": "inline",
            "content": substitute(content, request.macro_values),
            "vast_version": "4.2",
        }
        if shape.duration_ms is not None:
            vast["duration_ms"] = shape.duration_ms
        return "vast_tag", vast
    content = unit_html(assets, shape, style=style, creative_id=creative_id, trackers=[tracker])
    return "serving_tag", {"asset_type": "html", "content": substitute(content, request.macro_values)}


def _provenance(ctx: BuildContext) -> dict[str, Any]:
    return {
        "digital_source_type": "trained_algorithmic_media",
        "ai_tool": dict(GENERATOR),
        "human_oversight": "prompt_only",
        "declared_by": {"role": "tool"},
        "declared_at": iso(ctx.now),
        "disclosure": {"required": True},
    }


def _source(request: BuildRequest, ctx: BuildContext) -> tuple[Manifest | None, LibraryCreative | None]:
    if request.mode is Mode.TRANSFORM:
        return request.manifest, None
    if request.mode is Mode.LIBRARY:
        assert request.creative_id is not None
        creative = ctx.find_creative(request.creative_id)
        if creative is None:
            raise AdcpError(
                "CREATIVE_NOT_FOUND",
                f"Creative {request.creative_id!r} is not in this buyer's library",
                field="creative_id",
                suggestion="Sync the creative with sync_creatives first, or call list_creatives to see the library.",
            )
        return Manifest.of(creative), creative
    return None, None


def build_creative(request: BuildRequest, ctx: BuildContext) -> dict[str, Any]:
    """Build the requested creative for each target format.

    Raises:
        AdcpError: CREATIVE_NOT_FOUND (field ``creative_id``) for a library creative the buyer
            does not have.
    """
    source, creative = _source(request, ctx)
    targets = request.targets or ((source.format,) if source is not None else ())
    style = ctx.brand.style if ctx.brand is not None else None
    base_id = request.creative_id or (source.creative_id if source is not None else None)
    items = ctx.catalog_items(request.message or "") if request.mode is Mode.GENERATIVE else []
    preview_inputs = request.preview_inputs
    if items and not request.explicit_preview_inputs:
        # One preview per featured item, its catalogue macros substituted (safely) into the trackers.
        preview_inputs = tuple(PreviewInput(item.item_id, item.macros) for item in items)
    manifests: list[dict[str, Any]] = []
    previews: list[dict[str, Any]] = []
    for target in targets:
        shape = shape_of(target, ctx.formats)
        if source is None:
            assets = _generated_assets(request, shape, target, ctx, items)
        else:
            assets = _refined(source.assets, request.message)
        creative_id = base_id or f"gen_{_digest(request.message or '', target.id, request.brand_domain or '')[:10]}"
        key, serving = _serving_asset(assets, shape, creative_id, request, style)
        manifest: dict[str, Any] = {"format_id": dict(target.wire), "assets": {**assets, key: serving}}
        if source is not None:
            # Rights, provenance and identifiers describe the creative, not its format: they travel.
            manifest.update(source.extra)
        if request.mode is Mode.GENERATIVE:
            manifest["provenance"] = _provenance(ctx)
        manifests.append(manifest)
        if request.include_preview:
            built = Manifest(target, manifest["assets"], creative_id)
            previews.extend(
                render_previews(
                    built,
                    shape,
                    preview_inputs,
                    request.preview_output_format,
                    style=style,
                    with_format=request.plural,
                )
            )
    response: dict[str, Any] = {}
    if request.plural:
        response["creative_manifests"] = manifests
    else:
        response["creative_manifest"] = manifests[0]
    if previews:
        response["preview"] = {"previews": previews, "expires_at": iso(ctx.now + PREVIEW_TTL)}
    if request.priced:
        response.update(_pricing(request, targets, creative))
    if request.governance_context is not None:
        response["governance_context"] = request.governance_context
    response["sandbox"] = True
    return response


def _pricing(request: BuildRequest, targets: tuple[FormatRef, ...], creative: LibraryCreative | None) -> dict[str, Any]:
    pricing_option_id = creative.rate_option_id if creative is not None else f"po_{targets[0].id}_cpm"
    consumption: dict[str, Any] = {"renders": len(targets)}
    if request.mode is Mode.GENERATIVE:
        consumption.update(
            images_generated=len(targets), tokens=len((request.message or "").split()) * 4 * len(targets)
        )
    currency = creative.currency if creative is not None else CURRENCY
    # CPM-priced serving costs nothing at build time: cost accrues per impression served.
    return {"pricing_option_id": pricing_option_id, "vendor_cost": 0, "currency": currency, "consumption": consumption}
