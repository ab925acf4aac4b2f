"""sync_catalogs and catalogue-augmented generation: item issues, actions, featured items, safe SKU previews."""

from __future__ import annotations

from typing import Any

import pytest

from tests.domain.creative_build.conftest import NOW, SchemaCheck, fmt
from trainer.adcp.errors import AdcpError
from trainer.adcp.sessions import Session
from trainer.domain.creative_build.build import BuildContext, build_creative, parse_build_request
from trainer.domain.creative_build.catalogs import CATALOGS, items_for_brief, sync_catalogs
from trainer.domain.creative_build.formats import no_catalogue
from trainer.domain.creative_build.library import find_creative

ACCOUNT = {"brand": {"domain": "acmeoutdoor.example"}}
JACKET = {
    "item_id": "peak_jacket_x",
    "title": "Peak Jacket X",
    "url": "https://acmeoutdoor.example/gear/peak-jacket-x",
    "image_url": "https://cdn.acmeoutdoor.example/gear/peak-jacket-x.jpg",
    "price": {"amount": 449.0, "currency": "USD"},
}
PROBE = {"item_id": "reserved_char_breakout", "sku": "00013&cmd=drop", "title": "Probe"}


def _catalog(catalog_id: str, *items: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"catalog_id": catalog_id, "type": "product", "content_id_type": "sku", "items": list(items), **extra}


def test_sync_reports_actions_and_item_issues(session: Session, schema_valid: SchemaCheck) -> None:
    """A new catalogue is created with its counts; an item without an id is rejected on its own."""
    result = sync_catalogs(
        session, {"account": ACCOUNT, "catalogs": [_catalog("feed", JACKET, {"title": "no id"})]}, NOW
    )
    [row] = result["catalogs"]
    assert (row["action"], row["item_count"], row["items_approved"], row["items_rejected"]) == ("created", 2, 1, 1)
    assert row["item_issues"] == [{"item_id": "item_2", "status": "rejected", "reasons": ["item_id is required"]}]
    schema_valid("sync_catalogs", result)
    again = sync_catalogs(
        session, {"account": ACCOUNT, "catalogs": [_catalog("feed", JACKET, {"title": "no id"})]}, NOW
    )
    assert again["catalogs"][0]["action"] == "unchanged"
    changed = sync_catalogs(session, {"account": ACCOUNT, "catalogs": [_catalog("feed", PROBE)]}, NOW)
    assert changed["catalogs"][0]["action"] == "updated"


def test_dry_run_stores_nothing_and_delete_missing_removes(session: Session) -> None:
    """dry_run reports without storing; delete_missing drops catalogues a full sync leaves out."""
    sync_catalogs(session, {"account": ACCOUNT, "catalogs": [_catalog("old", JACKET)]}, NOW)
    dry = sync_catalogs(session, {"account": ACCOUNT, "catalogs": [_catalog("new", JACKET)], "dry_run": True}, NOW)
    assert dry["dry_run"] is True
    assert list(session.collection(CATALOGS)) == ["old"]
    full = sync_catalogs(
        session, {"account": ACCOUNT, "catalogs": [_catalog("new", JACKET)], "delete_missing": True}, NOW
    )
    assert [(row["catalog_id"], row["action"]) for row in full["catalogs"]] == [("new", "created"), ("old", "deleted")]
    assert list(session.collection(CATALOGS)) == ["new"]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"catalogs": [_catalog("x", JACKET)]}, "account"),
        ({"account": ACCOUNT}, "catalogs"),
        ({"account": ACCOUNT, "catalogs": []}, "catalogs"),
        ({"account": ACCOUNT, "catalog_ids": ["x"], "delete_missing": True}, "catalogs"),
        ({"account": ACCOUNT, "catalogs": [_catalog("x")], "dry_run": "yes"}, "dry_run"),
    ],
)
def test_bad_requests_name_the_field(session: Session, args: dict[str, Any], field: str) -> None:
    """A malformed sync as a whole is INVALID_REQUEST naming the field."""
    with pytest.raises(AdcpError) as raised:
        sync_catalogs(session, args, NOW)
    assert (raised.value.code, raised.value.field) == ("INVALID_REQUEST", field)


def test_a_bad_catalogue_fails_its_own_row(session: Session) -> None:
    """A catalogue with an unknown type fails on its row while the other is created."""
    result = sync_catalogs(
        session,
        {"account": ACCOUNT, "catalogs": [{"catalog_id": "bad", "type": "spaceships"}, _catalog("ok", JACKET)]},
        NOW,
    )
    assert [(row["catalog_id"], row["action"]) for row in result["catalogs"]] == [("bad", "failed"), ("ok", "created")]
    assert result["catalogs"][0]["errors"][0]["field"] == "catalogs[0].type"


def _ctx(session: Session) -> BuildContext:
    return BuildContext(
        NOW,
        no_catalogue,
        lambda creative_id: find_creative(session, creative_id),
        catalog_items=lambda message: items_for_brief(session, message),
    )


def test_brief_naming_an_item_features_it(session: Session, schema_valid: SchemaCheck) -> None:
    """A brief naming an item's title gets its title, image, landing page, price and a {SKU} tracker."""
    sync_catalogs(session, {"account": ACCOUNT, "catalogs": [_catalog("acme_feed", JACKET)]}, NOW)
    args = {
        "message": "Generate a 300x250 display ad for the Peak Jacket X",
        "target_format_id": fmt("display_300x250"),
    }
    result = build_creative(parse_build_request(args), _ctx(session))
    assets = result["creative_manifest"]["assets"]
    assert assets["headline"]["content"] == "Peak Jacket X"
    assert assets["generated_image"]["url"] == JACKET["image_url"]
    assert assets["click_url"]["url"] == JACKET["url"]
    assert assets["price"]["content"] == "449.00 USD"
    assert assets["impression_tracker"]["url"] == "https://track.example/imp?sku={SKU}"
    schema_valid("build_creative", result)


def test_catalogue_previews_substitute_each_items_sku_safely(session: Session) -> None:
    """A brief naming a catalogue previews once per item, each SKU percent-encoded into the tracker."""
    sync_catalogs(session, {"account": ACCOUNT, "catalogs": [_catalog("probe_v1", PROBE, JACKET)]}, NOW)
    args = {
        "message": "Generate a 300x250 display ad for the probe_v1 catalog",
        "target_format_id": fmt("display_300x250"),
        "include_preview": True,
        "preview_output_format": "html",
    }
    previews = build_creative(parse_build_request(args), _ctx(session))["preview"]["previews"]
    assert [preview["input"]["name"] for preview in previews] == ["reserved_char_breakout", "peak_jacket_x"]
    html = previews[0]["renders"][0]["preview_html"]
    assert "sku=00013%26cmd%3Ddrop" in html
    assert "00013&cmd=drop" not in html
