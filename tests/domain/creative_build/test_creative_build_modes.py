"""build_creative: library, transform and generative modes, one or many targets, pricing and previews."""

from __future__ import annotations

from typing import Any

import pytest

from tests.domain.creative_build.conftest import SchemaCheck, fmt
from trainer.adcp.errors import AdcpError
from trainer.adcp.sessions import Session
from trainer.domain.creative_build.build import MAX_TARGETS, BuildContext, Mode, build_creative, parse_build_request
from trainer.domain.creative_build.library import CREATIVES

MANIFEST = {
    "format_id": fmt("display_300x250"),
    "assets": {
        "image": {"asset_type": "image", "url": "https://cdn.example/hero.jpg", "width": 300, "height": 250},
        "click_url": {"asset_type": "url", "url": "https://acmeoutdoor.example/summer-sale"},
        "headline": {"asset_type": "text", "content": "Summer Sale — 40% Off All Gear"},
    },
}


def _build(ctx: BuildContext, **args: Any) -> dict[str, Any]:
    return build_creative(parse_build_request(args), ctx)


def test_library_build_wraps_the_creative_in_a_tag_for_the_placement(
    build_ctx: BuildContext, schema_valid: SchemaCheck
) -> None:
    """A library creative becomes an HTML tag carrying its assets and a tracker scoped to the buy and package."""
    result = _build(
        build_ctx,
        creative_id="display_trail_pro_300x250",
        media_buy_id="mb_1",
        package_id="pkg_1",
    )
    manifest = result["creative_manifest"]
    assert manifest["format_id"] == fmt("display_300x250")
    tag = manifest["assets"]["serving_tag"]["content"]
    assert "https://cdn.example/trail.png" in tag
    assert "media_buy=mb_1&amp;package=pkg_1" in tag
    assert "pricing_option_id" not in result
    schema_valid("build_creative", result)


def test_library_build_for_a_video_target_is_vast(build_ctx: BuildContext, schema_valid: SchemaCheck) -> None:
    """The fixture hero video built for vast_30s is an inline VAST 4.2 document of 30 seconds."""
    result = _build(
        build_ctx, creative_id="campaign_hero_video", target_format_id=fmt("vast_30s"), account={"account_id": "a1"}
    )
    vast = result["creative_manifest"]["assets"]["vast_tag"]
    assert vast["delivery_type"] == "inline"
    assert "<Duration>00:00:30</Duration>" in vast["content"]
    assert result["pricing_option_id"] == "po_vast_30s_cpm"
    assert result["vendor_cost"] == 0
    assert result["currency"] == "USD"
    schema_valid("build_creative", result)


def test_unknown_library_creative_is_not_found(build_ctx: BuildContext) -> None:
    """A creative_id outside the library is CREATIVE_NOT_FOUND naming creative_id."""
    with pytest.raises(AdcpError) as raised:
        _build(build_ctx, creative_id="nope")
    assert (raised.value.code, raised.value.field) == ("CREATIVE_NOT_FOUND", "creative_id")


def test_transform_keeps_the_assets_and_adds_a_serving_tag(build_ctx: BuildContext, schema_valid: SchemaCheck) -> None:
    """A manifest transformed to its own format keeps its assets; the target's format_id is echoed."""
    result = _build(build_ctx, creative_manifest=MANIFEST, target_format_id=fmt("display_300x250"))
    assets = result["creative_manifest"]["assets"]
    assert assets["headline"] == MANIFEST["assets"]["headline"]
    assert "Summer Sale — 40% Off All Gear" in assets["serving_tag"]["content"]
    schema_valid("build_creative", result)


def test_transform_carries_rights_and_provenance(build_ctx: BuildContext, schema_valid: SchemaCheck) -> None:
    """A manifest's rights constraints and provenance travel to every built format."""
    rights = [
        {
            "rights_id": "janssen_likeness_voice",
            "rights_agent": {"url": "https://r.example/mcp", "id": "r"},
            "uses": ["likeness"],
        }
    ]
    provenance = {"digital_source_type": "digital_capture"}
    source = {**MANIFEST, "rights": rights, "provenance": provenance}
    result = _build(
        build_ctx, creative_manifest=source, target_format_ids=[fmt("display_300x250"), fmt("display_728x90")]
    )
    for manifest in result["creative_manifests"]:
        assert manifest["rights"] == rights
        assert manifest["provenance"] == provenance
    schema_valid("build_creative", result)


def test_multiple_targets_give_one_manifest_each(build_ctx: BuildContext, schema_valid: SchemaCheck) -> None:
    """target_format_ids yields creative_manifests in order, each sized for its format."""
    targets = [fmt("display_300x250"), fmt("display_728x90"), fmt("display_320x50")]
    result = _build(build_ctx, creative_manifest=MANIFEST, target_format_ids=targets, include_preview=True)
    manifests = result["creative_manifests"]
    assert [manifest["format_id"]["id"] for manifest in manifests] == [
        "display_300x250",
        "display_728x90",
        "display_320x50",
    ]
    assert "width:728px;height:90px" in manifests[1]["assets"]["serving_tag"]["content"]
    assert [preview["format_id"]["id"] for preview in result["preview"]["previews"]] == [t["id"] for t in targets]
    schema_valid("build_creative", result)


def test_target_format_ids_win_over_a_single_target(build_ctx: BuildContext) -> None:
    """Sent together, the plural list decides the targets and the reply's shape."""
    result = _build(
        build_ctx,
        creative_manifest=MANIFEST,
        target_format_id=fmt("display_300x250"),
        target_format_ids=[fmt("display_728x90"), fmt("display_320x50")],
    )
    assert [manifest["format_id"]["id"] for manifest in result["creative_manifests"]] == [
        "display_728x90",
        "display_320x50",
    ]


def test_one_entry_in_target_format_ids_still_lists_manifests(build_ctx: BuildContext) -> None:
    """The plural field always answers with the plural shape."""
    result = _build(build_ctx, creative_manifest=MANIFEST, target_format_ids=[fmt("display_300x250")])
    assert len(result["creative_manifests"]) == 1


def test_generative_build_writes_copy_styles_by_brand_and_declares_provenance(
    build_ctx: BuildContext, schema_valid: SchemaCheck
) -> None:
    """A brief becomes a headline with the discount, a generated image sized to the target and AI provenance."""
    result = _build(
        build_ctx,
        message="Create a display banner for a summer outdoor gear sale. Headline should emphasize 40% off.",
        target_format_id=fmt("display_300x250_generative"),
        account={"brand": {"domain": "acmeoutdoor.example"}, "operator": "pinnacle-agency.example"},
        quality="draft",
        include_preview=True,
    )
    manifest = result["creative_manifest"]
    assert manifest["assets"]["headline"]["content"] == "Summer outdoor gear sale — 40% Off"
    assert manifest["assets"]["generated_image"]["width"] == 300
    assert manifest["assets"]["click_url"]["url"] == "https://acmeoutdoor.example/"
    assert manifest["provenance"]["digital_source_type"] == "trained_algorithmic_media"
    assert manifest["provenance"]["declared_at"] == "2026-06-01T12:00:00.000Z"
    assert result["preview"]["expires_at"] == "2026-06-02T12:00:00.000Z"
    assert result["consumption"]["images_generated"] == 1
    schema_valid("build_creative", result)


def test_generative_build_is_deterministic(build_ctx: BuildContext) -> None:
    """The same brief and target give the same manifest."""
    args = {"message": "Make an ad for trail shoes", "target_format_id": fmt("display_300x250")}
    assert _build(build_ctx, **args) == _build(build_ctx, **args)


def test_catalog_briefs_keep_the_item_macro_literal(build_ctx: BuildContext) -> None:
    """A brief naming {SKU} gets an impression tracker whose SKU macro is left for serve time."""
    result = _build(
        build_ctx, message="Ad for our catalog, {SKU} in the tracker", target_format_id=fmt("display_300x250")
    )
    assert result["creative_manifest"]["assets"]["impression_tracker"]["url"] == "https://track.example/imp?sku={SKU}"


def test_refinement_message_replaces_the_cta(build_ctx: BuildContext) -> None:
    """A manifest sent back with "a CTA button that says 'Shop Now'" gets that CTA."""
    result = _build(build_ctx, creative_manifest=MANIFEST, message="Add a CTA button that says 'Shop Now'.")
    assert parse_build_request({"creative_manifest": MANIFEST, "message": "x"}).mode is Mode.TRANSFORM
    assert result["creative_manifest"]["assets"]["cta"] == {"asset_type": "text", "content": "Shop Now"}


def test_macro_values_are_percent_encoded_into_tags(build_ctx: BuildContext) -> None:
    """macro_values fill the tag's macros with only unreserved characters left literal."""
    result = _build(build_ctx, creative_manifest=MANIFEST, macro_values={"CACHEBUSTER": "a&b c"})
    assert "cb=a%26b%20c" in result["creative_manifest"]["assets"]["serving_tag"]["content"]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({}, "creative_manifest"),
        ({"message": "brief only"}, "target_format_id"),
        ({"creative_id": "x", "target_format_id": {"id": "display_300x250"}}, "target_format_id.agent_url"),
        ({"creative_id": "x", "target_format_id": fmt("bad id!")}, "target_format_id.id"),
        ({"creative_id": "x", "target_format_ids": []}, "target_format_ids"),
        ({"creative_id": "x", "target_format_ids": [fmt("a"), "b"]}, "target_format_ids[1]"),
        ({"creative_id": "x", "target_format_ids": [fmt("a")] * (MAX_TARGETS + 1)}, "target_format_ids"),
        ({"creative_manifest": {"format_id": fmt("a")}}, "creative_manifest.assets"),
        (
            {"creative_manifest": {"format_id": fmt("a"), "assets": {"img": {"url": "u"}}}},
            "creative_manifest.assets.img",
        ),
        ({"creative_id": "x", "quality": "ultra"}, "quality"),
        ({"creative_id": "x", "preview_output_format": "pdf"}, "preview_output_format"),
        ({"creative_id": "x", "preview_inputs": [{"macros": {}}]}, "preview_inputs[0].name"),
        ({"creative_id": "x", "macro_values": {"CACHEBUSTER": 1}}, "macro_values.CACHEBUSTER"),
        ({"creative_id": "x", "brand": {"domain": 5}}, "brand.domain"),
    ],
)
def test_bad_input_names_the_field(args: dict[str, Any], field: str) -> None:
    """Malformed build requests are INVALID_REQUEST naming the field."""
    with pytest.raises(AdcpError) as raised:
        parse_build_request(args)
    assert (raised.value.code, raised.value.field) == ("INVALID_REQUEST", field)


def test_library_creative_without_an_agent_url_builds_a_valid_manifest(
    session: Session, build_ctx: BuildContext, schema_valid: SchemaCheck
) -> None:
    """A seeded creative naming only its format id still builds a manifest whose format_id has an agent_url."""
    session.collection(CREATIVES)["seeded"] = {"creative_id": "seeded", "format_id": {"id": "vast_30s"}}
    result = _build(build_ctx, creative_id="seeded")
    assert result["creative_manifest"]["format_id"]["id"] == "vast_30s"
    assert result["creative_manifest"]["format_id"]["agent_url"].startswith("https://")
    schema_valid("build_creative", result)


def test_generated_images_are_always_sized(build_ctx: BuildContext, schema_valid: SchemaCheck) -> None:
    """A responsive native target still gets an image with a width and height, as the schema requires."""
    result = _build(build_ctx, message="Native card for trail shoes", target_format_id=fmt("native_content"))
    image = result["creative_manifest"]["assets"]["generated_image"]
    assert (image["width"], image["height"]) == (1200, 628)
    schema_valid("build_creative", result)
