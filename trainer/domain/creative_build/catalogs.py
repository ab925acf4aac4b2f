"""sync_catalogs for catalogue-augmented generation: product feeds a generative build can draw items from.

Catalogues live in the buyer's session under ``catalogs`` (catalog_id -> ``{catalog_id, name?,
type, content_id_type?, items {item_id -> item}, synced_at}``). Each catalogue is answered on its
own row (created, updated, unchanged, failed or deleted); items without an ``item_id`` are
rejected one by one, in ``item_issues``, and never fail their catalogue. ``dry_run`` reports the
actions without storing, and ``delete_missing`` removes the catalogues a full sync leaves out.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

import attrs
import orjson

from trainer.adcp.errors import invalid
from trainer.adcp.sessions import Session
from trainer.clock import iso
from trainer.domain.brand import fields

CATALOGS: Final = "catalogs"
MAX_CATALOGS: Final = 50
MAX_ITEMS: Final = 10_000
CATALOG_TYPES: Final = frozenset(
    {
        "offering",
        "product",
        "inventory",
        "store",
        "promotion",
        "hotel",
        "flight",
        "job",
        "vehicle",
        "real_estate",
        "education",
        "destination",
        "app",
    }
)


def _canonical(value: object) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def _failed(catalog_id: str, message: str, field: str) -> dict[str, Any]:
    return {
        "catalog_id": catalog_id,
        "action": "failed",
        "errors": [{"code": "INVALID_REQUEST", "message": message, "field": field}],
    }


def _sync_one(
    raw: object, index: int, stored: dict[str, Any], now: datetime, dry_run: bool
) -> tuple[dict[str, Any], str | None]:
    """Return a catalogue's row and its id (None when it has none to act on)."""
    field = f"catalogs[{index}]"
    if not isinstance(raw, Mapping):
        return _failed(f"catalog_{index + 1}", f"{field} must be an object", field), None
    catalog_id = raw.get("catalog_id")
    if not isinstance(catalog_id, str) or not catalog_id:
        return _failed(f"catalog_{index + 1}", f"{field}.catalog_id is required", f"{field}.catalog_id"), None
    catalog_type = raw.get("type")
    if catalog_type not in CATALOG_TYPES:
        return _failed(
            catalog_id, f"{field}.type must be one of: {', '.join(sorted(CATALOG_TYPES))}", f"{field}.type"
        ), (catalog_id)
    raw_items = raw.get("items", [])
    if not isinstance(raw_items, list) or len(raw_items) > MAX_ITEMS:
        return _failed(catalog_id, f"{field}.items must be an array of at most {MAX_ITEMS} items", f"{field}.items"), (
            catalog_id
        )
    items: dict[str, Any] = {}
    issues: list[dict[str, Any]] = []
    for position, item in enumerate(raw_items):
        item_id = item.get("item_id") if isinstance(item, Mapping) else None
        if not isinstance(item_id, str) or not item_id:
            issues.append({"item_id": f"item_{position + 1}", "status": "rejected", "reasons": ["item_id is required"]})
            continue
        items[item_id] = dict(item)
    content = {key: value for key, value in raw.items() if key != "items"}
    record = {**content, "items": items}
    existing = stored.get(catalog_id)
    if existing is None:
        action = "created"
    else:
        before = {key: value for key, value in existing.items() if key != "synced_at"}
        action = "unchanged" if _canonical(before) == _canonical(record) else "updated"
    stamp = iso(now)
    if not dry_run and action != "unchanged":
        stored[catalog_id] = {**record, "synced_at": stamp}
    row: dict[str, Any] = {
        "catalog_id": catalog_id,
        "action": action,
        "platform_id": f"cat_{catalog_id}",
        "item_count": len(items) + len(issues),
        "items_approved": len(items),
        "items_pending": 0,
        "items_rejected": len(issues),
        "last_synced_at": stamp if existing is None or action != "unchanged" else str(existing.get("synced_at", stamp)),
    }
    if issues:
        row["item_issues"] = issues
    return row, catalog_id


def sync_catalogs(session: Session, args: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """Answer sync_catalogs for the session's catalogues.

    Raises:
        AdcpError: INVALID_REQUEST naming ``account``, ``catalogs``, ``catalog_ids``, ``dry_run`` or
            ``delete_missing`` when the request as a whole is malformed.
    """
    fields.mapping(args, "account", required=True)
    dry_run = fields.boolean(args, "dry_run") is True
    delete_missing = fields.boolean(args, "delete_missing") is True
    catalogs = args.get("catalogs")
    catalog_ids = fields.strings(args, "catalog_ids")
    if catalogs is None and catalog_ids is None:
        raise invalid("catalogs", "sync_catalogs needs catalogs (or catalog_ids to re-check stored ones)")
    if catalogs is not None and (not isinstance(catalogs, list) or not catalogs or len(catalogs) > MAX_CATALOGS):
        raise invalid("catalogs", f"catalogs must be an array of 1 to {MAX_CATALOGS} catalogues")
    if delete_missing and catalogs is None:
        raise invalid("catalogs", "catalogs is required when delete_missing is true")
    stored = session.collection(CATALOGS)
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, raw in enumerate(catalogs or ()):
        row, catalog_id = _sync_one(raw, index, stored, now, dry_run)
        rows.append(row)
        if catalog_id is not None:
            seen.add(catalog_id)
    for catalog_id in catalog_ids or ():
        if catalog_id in seen:
            continue
        existing = stored.get(catalog_id)
        if existing is None:
            rows.append(_failed(catalog_id, f"Catalogue {catalog_id!r} is not synced", "catalog_ids"))
        else:
            rows.append({"catalog_id": catalog_id, "action": "unchanged", "item_count": len(existing["items"])})
        seen.add(catalog_id)
    if delete_missing:
        for catalog_id in [key for key in stored if key not in seen]:
            rows.append({"catalog_id": catalog_id, "action": "deleted"})
            if not dry_run:
                del stored[catalog_id]
    response: dict[str, Any] = {"catalogs": rows, "sandbox": True}
    if dry_run:
        response["dry_run"] = True
    return response


@attrs.frozen
class CatalogItem:
    """A catalogue item a generative build can feature.

    Attributes:
        catalog_id: the catalogue it belongs to.
        item_id: its id.
        item: the item as synced (title, url, image_url, price, sku, gtin, ...).
    """

    catalog_id: str
    item_id: str
    item: Mapping[str, Any]

    @property
    def macros(self) -> dict[str, str]:
        """The catalogue-item macro values of this item (``SKU``, ``GTIN``) for previews."""
        values = {"SKU": self.item.get("sku", self.item_id), "GTIN": self.item.get("gtin")}
        return {name: str(value) for name, value in values.items() if isinstance(value, str | int)}


def items_for_brief(session: Session, message: str) -> list[CatalogItem]:
    """Return the catalogue items a brief is about.

    A brief naming a catalogue (by id or name) is about all its items; otherwise it is about the
    items whose title it names. Items come in catalogue and feed order.
    """
    if not session.has_collection(CATALOGS):
        return []
    lowered = message.lower()
    named: list[CatalogItem] = []
    for catalog_id, catalog in session.collection(CATALOGS).items():
        items = [CatalogItem(catalog_id, item_id, item) for item_id, item in catalog["items"].items()]
        name = catalog.get("name")
        if catalog_id.lower() in lowered or (isinstance(name, str) and name and name.lower() in lowered):
            return items
        named.extend(
            entry
            for entry in items
            if isinstance(entry.item.get("title"), str) and entry.item["title"].lower() in lowered
        )
    return named
