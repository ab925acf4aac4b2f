"""preview_creative: single, batch and variant requests with url, html or both as output."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tests.domain.creative_build.conftest import SchemaCheck, fmt
from trainer.adcp.errors import AdcpError
from trainer.adcp.sessions import Session
from trainer.domain.creative_build.delivery import resolve_variant
from trainer.domain.creative_build.preview import PreviewContext, preview_creative

MANIFEST = {
    "format_id": fmt("display_300x250"),
    "assets": {
        "image": {"asset_type": "image", "url": "https://cdn.example/hero.jpg"},
        "click_url": {"asset_type": "url", "url": "https://acmeoutdoor.example/summer-sale"},
        "impression_tracker": {"asset_type": "url", "url": "https://track.example/imp?sku={SKU}"},
    },
}


def _preview(session: Session, ctx: PreviewContext, **args: Any) -> dict[str, Any]:
    return preview_creative(args, ctx, lambda variant, creative: resolve_variant(session, variant, creative))


@pytest.mark.parametrize("output_format", ["url", "html", "both"])
def test_single_preview_in_each_output_format(
    session: Session, preview_ctx: PreviewContext, schema_valid: SchemaCheck, output_format: str
) -> None:
    """A single preview has one primary render sized to the format, carrying a data URL, HTML or both."""
    result = _preview(
        session, preview_ctx, request_type="single", creative_manifest=MANIFEST, output_format=output_format
    )
    [preview] = result["previews"]
    [render] = preview["renders"]
    assert render["output_format"] == output_format
    assert render["dimensions"] == {"width": 300, "height": 250}
    assert ("preview_url" in render) is (output_format != "html")
    assert ("preview_html" in render) is (output_format != "url")
    assert result["expires_at"] == "2026-06-02T12:00:00.000Z"
    schema_valid("preview_creative", result)


def test_preview_url_is_the_rendered_page(session: Session, preview_ctx: PreviewContext) -> None:
    """The data URL decodes to the unit's HTML, image and click-through included."""
    result = _preview(session, preview_ctx, request_type="single", creative_manifest=MANIFEST)
    url = result["previews"][0]["renders"][0]["preview_url"]
    page = base64.b64decode(url.removeprefix("data:text/html;base64,")).decode()
    assert "https://cdn.example/hero.jpg" in page
    assert "https://acmeoutdoor.example/summer-sale" in page


def test_each_input_is_a_preview_with_its_macros_encoded(session: Session, preview_ctx: PreviewContext) -> None:
    """Inputs give one preview each; attacker-shaped macro values are percent-encoded, never expanded again."""
    inputs = [
        {"name": "breakout", "macros": {"SKU": "00013&cmd=drop"}},
        {"name": "nested", "macros": {"SKU": "v-{DEVICE_ID}"}},
    ]
    result = _preview(
        session, preview_ctx, request_type="single", creative_manifest=MANIFEST, inputs=inputs, output_format="html"
    )
    pages = [preview["renders"][0]["preview_html"] for preview in result["previews"]]
    assert [preview["input"]["name"] for preview in result["previews"]] == ["breakout", "nested"]
    assert "sku=00013%26cmd%3Ddrop" in pages[0]
    assert "sku=v-%7BDEVICE_ID%7D" in pages[1]


def test_single_preview_of_a_library_creative(session: Session, preview_ctx: PreviewContext) -> None:
    """A creative_id previews the library creative when no manifest is sent."""
    result = _preview(session, preview_ctx, request_type="single", creative_id="display_trail_pro_300x250")
    assert result["previews"][0]["renders"][0]["dimensions"] == {"width": 300, "height": 250}


def test_batch_reports_each_row(session: Session, preview_ctx: PreviewContext, schema_valid: SchemaCheck) -> None:
    """A batch answers every request on its own row: a bad manifest fails only its row."""
    result = _preview(
        session,
        preview_ctx,
        request_type="batch",
        requests=[
            {"creative_manifest": {**MANIFEST, "creative_id": "c1"}},
            {"creative_manifest": {"format_id": fmt("display_728x90")}},
            {"creative_manifest": {**MANIFEST, "format_id": fmt("video_30s")}, "output_format": "both"},
        ],
    )
    rows = result["results"]
    assert [(row["success"], row["creative_id"]) for row in rows] == [
        (True, "c1"),
        (False, "request_2"),
        (True, "request_3"),
    ]
    assert rows[1]["errors"][0]["field"] == "requests[1].creative_manifest.assets"
    assert rows[2]["response"]["previews"][0]["renders"][0]["dimensions"] == {"width": 1920, "height": 1080}
    schema_valid("preview_creative", result)


def test_variant_preview_shows_a_reported_variant(
    session: Session, preview_ctx: PreviewContext, schema_valid: SchemaCheck
) -> None:
    """A variant id from delivery previews that variant's manifest; an unknown one is REFERENCE_NOT_FOUND."""
    result = _preview(session, preview_ctx, request_type="variant", variant_id="display_trail_pro_300x250_v1")
    assert result["creative_id"] == "display_trail_pro_300x250"
    assert result["manifest"]["assets"]["variant_label"]["content"].startswith("Variant 1")
    schema_valid("preview_creative", result)
    with pytest.raises(AdcpError) as raised:
        _preview(session, preview_ctx, request_type="variant", variant_id="display_trail_pro_300x250_v9")
    assert (raised.value.code, raised.value.field) == ("REFERENCE_NOT_FOUND", "variant_id")


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({}, "request_type"),
        ({"request_type": "carousel"}, "request_type"),
        ({"request_type": "single"}, "creative_manifest"),
        ({"request_type": "single", "creative_manifest": MANIFEST, "output_format": "pdf"}, "output_format"),
        ({"request_type": "single", "creative_manifest": MANIFEST, "inputs": []}, "inputs"),
        (
            {"request_type": "single", "creative_manifest": MANIFEST, "inputs": [{"name": "a", "macros": {"X": 1}}]},
            "inputs[0].macros.X",
        ),
        ({"request_type": "single", "creative_manifest": {"assets": {}}}, "creative_manifest.format_id"),
        ({"request_type": "batch"}, "requests"),
        ({"request_type": "batch", "requests": [{"creative_manifest": MANIFEST}] * 51}, "requests"),
        ({"request_type": "variant"}, "variant_id"),
    ],
)
def test_bad_input_names_the_field(
    session: Session, preview_ctx: PreviewContext, args: dict[str, Any], field: str
) -> None:
    """Malformed preview requests are INVALID_REQUEST naming the field."""
    with pytest.raises(AdcpError) as raised:
        _preview(session, preview_ctx, **args)
    assert (raised.value.code, raised.value.field) == ("INVALID_REQUEST", field)


def test_unknown_library_creative_is_not_found(session: Session, preview_ctx: PreviewContext) -> None:
    """Previewing a creative_id outside the library is CREATIVE_NOT_FOUND."""
    with pytest.raises(AdcpError) as raised:
        _preview(session, preview_ctx, request_type="single", creative_id="nope")
    assert raised.value.code == "CREATIVE_NOT_FOUND"
