"""preview_creative: single, batch and variant previews, as a data URL, inline HTML or both.

A single request previews one manifest (inline, or a library creative named by ``creative_id``)
once per ``inputs`` entry, each input's macros substituted safely. A batch previews up to 50
manifests and reports each one's success or errors on its own row. A variant request previews a
variant that get_creative_delivery reported. Previews expire 24 hours after the trainer clock's now.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Final

import attrs
import orjson

from trainer.adcp.errors import AdcpError, invalid
from trainer.clock import iso
from trainer.domain.brand import fields
from trainer.domain.creative_build.formats import FormatLookup, FormatRef, FormatShape, parse_format_ref, shape_of
from trainer.domain.creative_build.library import LibraryCreative
from trainer.domain.creative_build.render import BrandStyle, data_url, preview_document, substitute

REQUEST_TYPES: Final = ("single", "batch", "variant")
OUTPUT_FORMATS: Final = ("url", "html", "both")
QUALITIES: Final = ("draft", "production")
PREVIEW_TTL: Final = timedelta(hours=24)
MAX_BATCH: Final = 50
DEFAULT_INPUT_NAME: Final = "Default"

CreativeFinder = Callable[[str], LibraryCreative | None]


@attrs.frozen
class PreviewInput:
    """One set of macro values to preview a creative with.

    Attributes:
        name: the input's label.
        macros: macro name -> value.
        context_description: what the input stands for.
    """

    name: str
    macros: Mapping[str, str] = attrs.field(factory=dict)
    context_description: str | None = None

    def wire(self) -> dict[str, Any]:
        body: dict[str, Any] = {"name": self.name}
        if self.macros:
            body["macros"] = dict(self.macros)
        if self.context_description is not None:
            body["context_description"] = self.context_description
        return body


@attrs.frozen
class Manifest:
    """A parsed creative manifest.

    Attributes:
        format: its format_id.
        assets: its assets by role.
        creative_id: the id it carries, if any.
        extra: its other top-level fields (``rights``, ``provenance``, ...), carried through builds.
    """

    format: FormatRef
    assets: Mapping[str, Any]
    creative_id: str | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict)

    @classmethod
    def of(cls, creative: LibraryCreative) -> Manifest:
        format_ref = FormatRef(
            str(creative.format_id.get("id")), str(creative.format_id.get("agent_url", "")), creative.format_id
        )
        return cls(format_ref, creative.assets, creative.creative_id)

    def wire(self) -> dict[str, Any]:
        return {"format_id": dict(self.format.wire), "assets": dict(self.assets)}


def parse_manifest(value: object, field: str) -> Manifest:
    """Parse a creative manifest found at ``field``.

    Raises:
        AdcpError: INVALID_REQUEST naming ``<field>``, ``<field>.format_id...`` or ``<field>.assets``.
    """
    if not isinstance(value, Mapping):
        raise invalid(field, f"{field} must be a creative manifest object {{format_id, assets}}")
    format_ref = parse_format_ref(value.get("format_id"), f"{field}.format_id")
    assets = fields.mapping(value, "assets", field, required=True)
    for key, asset in assets.items():
        if not isinstance(asset, Mapping) or not isinstance(asset.get("asset_type"), str):
            raise invalid(f"{field}.assets.{key}", f"{field}.assets.{key} must be an asset object with asset_type")
    creative_id = fields.text(value, "creative_id", field)
    extra = {key: item for key, item in value.items() if key not in ("format_id", "assets", "creative_id")}
    return Manifest(format_ref, dict(assets), creative_id, extra)


def parse_inputs(obj: Mapping[str, Any], name: str, parent: str = "") -> tuple[PreviewInput, ...]:
    """Parse an ``inputs`` array; absent means one default input.

    Raises:
        AdcpError: INVALID_REQUEST naming ``inputs``, ``inputs[i].name`` or ``inputs[i].macros``.
    """
    field = fields.path(parent, name)
    value = obj.get(name)
    if value is None:
        return (PreviewInput(DEFAULT_INPUT_NAME),)
    if not isinstance(value, list) or not value:
        raise invalid(field, f"{field} must be a non-empty array")
    parsed: list[PreviewInput] = []
    for index, item in enumerate(value):
        item_field = f"{field}[{index}]"
        if not isinstance(item, Mapping):
            raise invalid(item_field, f"{item_field} must be an object with a name")
        input_name = fields.text(item, "name", item_field, required=True)
        macros = fields.mapping(item, "macros", item_field) or {}
        for macro, macro_value in macros.items():
            if not isinstance(macro_value, str):
                raise invalid(f"{item_field}.macros.{macro}", f"{item_field}.macros.{macro} must be a string")
        parsed.append(PreviewInput(input_name, dict(macros), fields.text(item, "context_description", item_field)))
    return tuple(parsed)


def parse_choice(obj: Mapping[str, Any], name: str, choices: Sequence[str], default: str, parent: str = "") -> str:
    """Return an enum field, ``default`` when absent.

    Raises:
        AdcpError: INVALID_REQUEST naming the field when the value is not one of ``choices``.
    """
    value = obj.get(name)
    if value is None:
        return default
    if value not in choices:
        field = fields.path(parent, name)
        raise invalid(field, f"{field} must be one of: {', '.join(choices)}")
    return str(value)


def _digest(*parts: object) -> str:
    return hashlib.sha256(orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)).hexdigest()[:12]


def render_previews(
    manifest: Manifest,
    shape: FormatShape,
    inputs: Sequence[PreviewInput],
    output_format: str,
    *,
    style: BrandStyle | None = None,
    with_format: bool = False,
) -> list[dict[str, Any]]:
    """Return one preview per input, each with one primary render in ``output_format``."""
    previews: list[dict[str, Any]] = []
    for preview_input in inputs:
        preview_id = "prv_" + _digest(manifest.wire(), preview_input.wire(), output_format)
        title = f"{manifest.creative_id or shape.name} — {preview_input.name}"
        markup = substitute(preview_document(manifest.assets, shape, title=title, style=style), preview_input.macros)
        render: dict[str, Any] = {
            "render_id": f"{preview_id}_primary",
            "output_format": output_format,
            "role": "primary",
            "embedding": {"recommended_sandbox": "allow-scripts", "requires_https": False},
        }
        if shape.width and shape.height:
            render["dimensions"] = {"width": shape.width, "height": shape.height}
        if output_format in ("url", "both"):
            render["preview_url"] = data_url(markup)
        if output_format in ("html", "both"):
            render["preview_html"] = markup
        preview: dict[str, Any] = {"preview_id": preview_id, "renders": [render], "input": preview_input.wire()}
        if with_format:
            preview["format_id"] = dict(manifest.format.wire)
        previews.append(preview)
    return previews


@attrs.frozen
class PreviewContext:
    """What previews read besides the request.

    Attributes:
        now: the trainer clock's now.
        formats: the shared format catalogue.
        find_creative: the caller's creative library.
        style: the brand style of the caller, if it names a known brand.
    """

    now: datetime
    formats: FormatLookup
    find_creative: CreativeFinder
    style: BrandStyle | None = None


def _library_manifest(ctx: PreviewContext, creative_id: str, field: str) -> Manifest:
    creative = ctx.find_creative(creative_id)
    if creative is None:
        raise AdcpError(
            "CREATIVE_NOT_FOUND",
            f"Creative {creative_id!r} is not in this buyer's library",
            field=field,
            suggestion="Send the creative_manifest inline, or sync the creative first.",
        )
    return Manifest.of(creative)


def _single(args: Mapping[str, Any], ctx: PreviewContext, output_format: str) -> dict[str, Any]:
    if args.get("creative_manifest") is not None:
        manifest = parse_manifest(args["creative_manifest"], "creative_manifest")
    else:
        creative_id = fields.text(args, "creative_id")
        if creative_id is None:
            raise invalid("creative_manifest", "A single preview needs a creative_manifest (or a library creative_id)")
        manifest = _library_manifest(ctx, creative_id, "creative_id")
    if args.get("format_id") is not None:
        manifest = attrs.evolve(manifest, format=parse_format_ref(args["format_id"], "format_id"))
    inputs = parse_inputs(args, "inputs")
    shape = shape_of(manifest.format, ctx.formats)
    return {
        "response_type": "single",
        "previews": render_previews(manifest, shape, inputs, output_format, style=ctx.style),
        "expires_at": iso(ctx.now + PREVIEW_TTL),
    }


def _batch(args: Mapping[str, Any], ctx: PreviewContext, output_format: str) -> dict[str, Any]:
    requests = args.get("requests")
    if not isinstance(requests, list) or not requests:
        raise invalid("requests", "A batch preview needs requests, a non-empty array")
    if len(requests) > MAX_BATCH:
        raise invalid("requests", f"A batch preview takes at most {MAX_BATCH} requests")
    results: list[dict[str, Any]] = []
    for index, request in enumerate(requests):
        field = f"requests[{index}]"
        raw_manifest = request.get("creative_manifest") if isinstance(request, Mapping) else None
        creative_id = raw_manifest.get("creative_id") if isinstance(raw_manifest, Mapping) else None
        row_id = creative_id if isinstance(creative_id, str) and creative_id else f"request_{index + 1}"
        try:
            if not isinstance(request, Mapping):
                raise invalid(field, f"{field} must be an object")
            manifest = parse_manifest(raw_manifest, f"{field}.creative_manifest")
            if request.get("format_id") is not None:
                manifest = attrs.evolve(manifest, format=parse_format_ref(request["format_id"], f"{field}.format_id"))
            inputs = parse_inputs(request, "inputs", field)
            row_format = parse_choice(request, "output_format", OUTPUT_FORMATS, output_format, field)
            previews = render_previews(
                manifest, shape_of(manifest.format, ctx.formats), inputs, row_format, style=ctx.style
            )
        except AdcpError as error:
            # One bad manifest fails its own row, not the batch.
            results.append({"success": False, "creative_id": row_id, "errors": [error.to_wire()]})
            continue
        results.append(
            {
                "success": True,
                "creative_id": row_id,
                "response": {"previews": previews, "expires_at": iso(ctx.now + PREVIEW_TTL)},
            }
        )
    return {"response_type": "batch", "results": results}


VariantResolver = Callable[[str, str | None], tuple[LibraryCreative, Mapping[str, Any]] | None]


def _variant(
    args: Mapping[str, Any], ctx: PreviewContext, output_format: str, variants: VariantResolver
) -> dict[str, Any]:
    variant_id = fields.text(args, "variant_id", required=True)
    found = variants(variant_id, fields.text(args, "creative_id"))
    if found is None:
        raise AdcpError(
            "REFERENCE_NOT_FOUND",
            f"No creative variant {variant_id!r}",
            field="variant_id",
            suggestion="Use a variant_id that get_creative_delivery reported for one of your creatives.",
        )
    creative, variant_manifest = found
    manifest = Manifest(Manifest.of(creative).format, variant_manifest.get("assets", {}), creative.creative_id)
    shape = shape_of(manifest.format, ctx.formats)
    previews = render_previews(manifest, shape, (PreviewInput(variant_id),), output_format, style=ctx.style)
    return {
        "response_type": "variant",
        "variant_id": variant_id,
        "creative_id": creative.creative_id,
        "previews": [{"preview_id": preview["preview_id"], "renders": preview["renders"]} for preview in previews],
        "manifest": manifest.wire(),
        "expires_at": iso(ctx.now + PREVIEW_TTL),
    }


def preview_creative(args: Mapping[str, Any], ctx: PreviewContext, variants: VariantResolver) -> dict[str, Any]:
    """Answer a preview_creative request.

    Raises:
        AdcpError: INVALID_REQUEST naming the field (``request_type``, ``output_format``,
            ``quality``, ``creative_manifest...``, ``inputs[i]...``, ``requests``, ``variant_id``);
            CREATIVE_NOT_FOUND for a library ``creative_id`` the buyer does not have;
            REFERENCE_NOT_FOUND for an unknown ``variant_id``.
    """
    request_type = args.get("request_type")
    if request_type is None:
        raise invalid("request_type", "request_type is required: single, batch or variant")
    request_type = parse_choice(args, "request_type", REQUEST_TYPES, "single")
    output_format = parse_choice(args, "output_format", OUTPUT_FORMATS, "url")
    parse_choice(args, "quality", QUALITIES, "draft")
    if request_type == "batch":
        return _batch(args, ctx, output_format)
    if request_type == "variant":
        return _variant(args, ctx, output_format, variants)
    return _single(args, ctx, output_format)
