"""Property lists and collection lists: create, update, get, list, delete (reference section 2.5).

Both are named, buyer-owned lists of inventory sources kept in the session: property lists
(``property_lists``, sources under ``base_properties``, resolved to domain identifiers) and
collection lists (``collection_lists``, sources under ``base_collections``, resolved to
programmes). One CRUD serves both, configured by a ``ListKind``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, MutableMapping
from datetime import datetime, timedelta
from typing import Any, Final

import attrs

from trainer.adcp.errors import AdcpError, invalid
from trainer.adcp.pagination import paginate
from trainer.clock import iso

MAX_LISTS_PER_SESSION: Final = 100
MAX_NAME_LENGTH: Final = 256
MAX_DESCRIPTION_LENGTH: Final = 2000
MAX_LIST_ID_LENGTH: Final = 128
SourceCheck = Callable[[Mapping[str, Any], str], None]


@attrs.frozen
class ListKind:
    """What distinguishes one kind of inventory list from the other.

    Attributes:
        collection: the session collection and the pagination cursor kind.
        id_prefix: prefix of generated list ids (``pl_``, ``cl_``).
        token_prefix: prefix of the list's sandbox auth token.
        sources: the request/list member holding the sources.
        count_field: the list member counting resolved entries.
        max_sources: how many sources a list keeps.
        clamp_sources: keep the first ``max_sources`` instead of refusing more.
        not_found: the error code of an unknown list id.
        cache_hours: how long a resolution stays valid.
        check_source: validates one source, raising INVALID_REQUEST on its field.
        count: the number of entries a list's sources resolve to.
    """

    collection: str
    id_prefix: str
    token_prefix: str
    sources: str
    count_field: str
    max_sources: int
    clamp_sources: bool
    not_found: str
    cache_hours: int
    check_source: SourceCheck
    count: Callable[[Mapping[str, Any]], int]


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) and item for item in value)


def _check_identifiers(source: Mapping[str, Any], field: str) -> None:
    identifiers = source.get("identifiers")
    if not isinstance(identifiers, list) or not identifiers:
        raise invalid(f"{field}.identifiers", f"{field}.identifiers must be a non-empty array")
    for index, identifier in enumerate(identifiers):
        at = f"{field}.identifiers[{index}]"
        if not isinstance(identifier, Mapping) or not all(
            isinstance(identifier.get(key), str) and identifier[key] for key in ("type", "value")
        ):
            raise invalid(at, f"{at} must be {{type, value}}")


def _check_property_source(source: Mapping[str, Any], field: str) -> None:
    kind = source.get("selection_type")
    if kind == "identifiers":
        _check_identifiers(source, field)
        return
    if kind not in ("publisher_tags", "publisher_ids"):
        raise invalid(
            f"{field}.selection_type", f"{field}.selection_type must be identifiers, publisher_tags or publisher_ids"
        )
    if not isinstance(source.get("publisher_domain"), str) or not source["publisher_domain"]:
        raise invalid(f"{field}.publisher_domain", f"{field}.publisher_domain is required")
    member = "tags" if kind == "publisher_tags" else "property_ids"
    if not _strings(source.get(member)) or not source[member]:
        raise invalid(f"{field}.{member}", f"{field}.{member} must be a non-empty array of strings")


def _check_collection_source(source: Mapping[str, Any], field: str) -> None:
    kind = source.get("selection_type")
    if kind == "distribution_ids":
        _check_identifiers(source, field)
        return
    if kind not in ("publisher_collections", "publisher_genres"):
        raise invalid(
            f"{field}.selection_type",
            f"{field}.selection_type must be distribution_ids, publisher_collections or publisher_genres",
        )
    if not isinstance(source.get("publisher_domain"), str) or not source["publisher_domain"]:
        raise invalid(f"{field}.publisher_domain", f"{field}.publisher_domain is required")
    member = "collection_ids" if kind == "publisher_collections" else "genres"
    if not _strings(source.get(member)) or not source[member]:
        raise invalid(f"{field}.{member}", f"{field}.{member} must be a non-empty array of strings")


def property_identifiers(entry: Mapping[str, Any]) -> list[dict[str, str]]:
    """Resolve a property list to its identifiers: listed ones, plus each publisher's domain, minus exclusions."""
    found: dict[tuple[str, str], dict[str, str]] = {}
    for source in entry.get("base_properties") or ():
        if source.get("selection_type") == "identifiers":
            for identifier in source["identifiers"]:
                found.setdefault(
                    (identifier["type"], identifier["value"]),
                    {"type": identifier["type"], "value": identifier["value"]},
                )
        else:
            domain = source["publisher_domain"]
            found.setdefault(("domain", domain), {"type": "domain", "value": domain})
    excluded = (entry.get("filters") or {}).get("exclude_identifiers") or ()
    for identifier in excluded:
        if isinstance(identifier, Mapping):
            found.pop((str(identifier.get("type")), str(identifier.get("value"))), None)
    return list(found.values())


def collection_programmes(entry: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Resolve a collection list to synthetic programmes, one per distribution id, collection or genre."""
    kinds = (entry.get("filters") or {}).get("kinds") or ["series"]
    kind = kinds[0] if isinstance(kinds, list) and kinds else "series"
    programmes: list[dict[str, Any]] = []
    for source in entry.get("base_collections") or ():
        selection = source.get("selection_type")
        if selection == "distribution_ids":
            for identifier in source["identifiers"]:
                programmes.append(
                    {
                        "collection_rid": f"{identifier['type']}:{identifier['value']}",
                        "name": f"Programme {identifier['value']}",
                        "distribution_ids": [{"type": identifier["type"], "value": identifier["value"]}],
                        "kind": kind,
                    }
                )
        elif selection == "publisher_collections":
            for collection_id in source["collection_ids"]:
                programmes.append(
                    {
                        "collection_rid": f"{source['publisher_domain']}:{collection_id}",
                        "name": f"{source['publisher_domain']} {collection_id}",
                        "kind": kind,
                    }
                )
        else:
            for genre in source["genres"]:
                programmes.append(
                    {
                        "collection_rid": f"{source['publisher_domain']}:genre:{genre}",
                        "name": f"{source['publisher_domain']} {genre} programming",
                        "genre": [genre],
                        "kind": kind,
                    }
                )
    return programmes


PROPERTY_LISTS: Final = ListKind(
    collection="property_lists",
    id_prefix="pl_",
    token_prefix="pat_sandbox_",
    sources="base_properties",
    count_field="property_count",
    max_sources=10_000,
    clamp_sources=False,
    not_found="REFERENCE_NOT_FOUND",
    cache_hours=24,
    check_source=_check_property_source,
    count=lambda entry: len(property_identifiers(entry)),
)
COLLECTION_LISTS: Final = ListKind(
    collection="collection_lists",
    id_prefix="cl_",
    token_prefix="tok_",
    sources="base_collections",
    count_field="collection_count",
    max_sources=100,
    clamp_sources=True,
    not_found="NOT_FOUND",
    cache_hours=168,
    check_source=_check_collection_source,
    count=lambda entry: len(collection_programmes(entry)),
)


def _account_ref(value: object) -> dict[str, Any] | None:
    # The list schema takes a strict account-ref; keep only what that allows.
    if not isinstance(value, Mapping):
        return None
    if isinstance(value.get("account_id"), str):
        return {"account_id": value["account_id"]}
    brand = _brand_ref(value.get("brand"))
    if brand is not None and isinstance(value.get("operator"), str):
        ref: dict[str, Any] = {"brand": brand, "operator": value["operator"]}
        if isinstance(value.get("sandbox"), bool):
            ref["sandbox"] = value["sandbox"]
        return ref
    return None


def _brand_ref(value: object) -> dict[str, Any] | None:
    if not isinstance(value, Mapping) or not isinstance(value.get("domain"), str):
        return None
    ref = {"domain": value["domain"]}
    if isinstance(value.get("brand_id"), str):
        ref["brand_id"] = value["brand_id"]
    return ref


def _text(args: Mapping[str, Any], name: str, *, required: bool) -> str | None:
    value = args.get(name)
    if value is None and not required:
        return None
    limit = MAX_NAME_LENGTH if name == "name" else MAX_DESCRIPTION_LENGTH
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise invalid(name, f"{name} must be a non-empty string of at most {limit} characters")
    return value


def _sources(kind: ListKind, args: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    raw = args.get(kind.sources)
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise invalid(kind.sources, f"{kind.sources} must be an array")
    if len(raw) > kind.max_sources:
        if not kind.clamp_sources:
            raise AdcpError(
                "LIMIT_EXCEEDED", f"{kind.sources} holds at most {kind.max_sources} entries", field=kind.sources
            )
        raw = raw[: kind.max_sources]
    for index, source in enumerate(raw):
        field = f"{kind.sources}[{index}]"
        if not isinstance(source, Mapping):
            raise invalid(field, f"{field} must be an object with a selection_type")
        kind.check_source(source, field)
    return [dict(source) for source in raw]


def _filters(args: Mapping[str, Any]) -> dict[str, Any] | None:
    filters = args.get("filters")
    if filters is None:
        return None
    if not isinstance(filters, Mapping):
        raise invalid("filters", "filters must be an object")
    return dict(filters)


def list_id_of(args: Mapping[str, Any]) -> str:
    """Return the request's ``list_id``.

    Raises:
        AdcpError: INVALID_REQUEST when it is missing, not a string or longer than 128 characters.
    """
    list_id = args.get("list_id")
    if not isinstance(list_id, str) or not list_id or len(list_id) > MAX_LIST_ID_LENGTH:
        raise invalid("list_id", f"list_id must be a string of 1 to {MAX_LIST_ID_LENGTH} characters")
    return list_id


def _lookup(kind: ListKind, lists: Mapping[str, Any], list_id: str) -> dict[str, Any]:
    entry = lists.get(list_id)
    if entry is None:
        raise AdcpError(kind.not_found, f"List not found: {list_id}", field="list_id")
    return dict(entry)


def wire_list(kind: ListKind, entry: Mapping[str, Any]) -> dict[str, Any]:
    """Return the list object as the schema has it (the stored auth token stays out)."""
    return {key: value for key, value in entry.items() if key != "auth_token"}


def create_list(
    kind: ListKind, lists: MutableMapping[str, Any], args: Mapping[str, Any], now: datetime
) -> dict[str, Any]:
    """Create a list; return ``{list, auth_token}``.

    Raises:
        AdcpError: INVALID_REQUEST naming the field, LIMIT_EXCEEDED past 100 lists per session or
            too many sources.
    """
    name = _text(args, "name", required=True)
    description = _text(args, "description", required=False)
    sources = _sources(kind, args)
    filters = _filters(args)
    if len(lists) >= MAX_LISTS_PER_SESSION:
        raise AdcpError("LIMIT_EXCEEDED", f"A session holds at most {MAX_LISTS_PER_SESSION} lists of this kind.")
    entry: dict[str, Any] = {"list_id": f"{kind.id_prefix}{uuid.uuid4().hex[:8]}", "name": name}
    if description is not None:
        entry["description"] = description
    account = _account_ref(args.get("account"))
    if account is not None:
        entry["account"] = account
    entry[kind.sources] = sources or []
    if filters is not None:
        entry["filters"] = filters
    brand = _brand_ref(args.get("brand"))
    if brand is not None:
        entry["brand"] = brand
    entry["cache_duration_hours"] = kind.cache_hours
    entry["created_at"] = entry["updated_at"] = iso(now)
    entry[kind.count_field] = kind.count(entry)
    token = f"{kind.token_prefix}{uuid.uuid4().hex}"
    lists[entry["list_id"]] = {**entry, "auth_token": token}
    return {"list": wire_list(kind, entry), "auth_token": token}


def update_list(
    kind: ListKind, lists: MutableMapping[str, Any], args: Mapping[str, Any], now: datetime
) -> dict[str, Any]:
    """Replace the members the request gives; return ``{list}``.

    Raises:
        AdcpError: INVALID_REQUEST naming the field, the kind's not-found code on ``list_id``.
    """
    list_id = list_id_of(args)
    entry = _lookup(kind, lists, list_id)
    if "name" in args:
        entry["name"] = _text(args, "name", required=True)
    if "description" in args:
        entry["description"] = _text(args, "description", required=True)
    sources = _sources(kind, args)
    if sources is not None:
        entry[kind.sources] = sources
    filters = _filters(args)
    if filters is not None:
        entry["filters"] = filters
    brand = _brand_ref(args.get("brand"))
    if brand is not None:
        entry["brand"] = brand
    webhook = args.get("webhook_url")
    if webhook is not None:
        if not isinstance(webhook, str) or not webhook.startswith(("http://", "https://")):
            raise invalid("webhook_url", "webhook_url must be an http(s) URL")
        entry["webhook_url"] = webhook
    entry["updated_at"] = iso(now)
    entry[kind.count_field] = kind.count(entry)
    lists[list_id] = entry
    return {"list": wire_list(kind, entry)}


def get_list(kind: ListKind, lists: Mapping[str, Any], args: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """Return ``{list}`` and, when resolving, its entries with ``resolved_at`` and ``cache_valid_until``.

    Property lists resolve by default; collection lists only with ``resolve: true``.

    Raises:
        AdcpError: INVALID_REQUEST naming the field, the kind's not-found code on ``list_id``.
    """
    list_id = list_id_of(args)
    entry = _lookup(kind, lists, list_id)
    resolve = args.get("resolve", kind is PROPERTY_LISTS)
    if not isinstance(resolve, bool):
        raise invalid("resolve", "resolve must be a boolean")
    reply: dict[str, Any] = {"list": wire_list(kind, entry)}
    if not resolve:
        return reply
    if kind is PROPERTY_LISTS:
        member, entries = "identifiers", property_identifiers(entry)
    else:
        member, entries = "collections", collection_programmes(entry)
    page, pagination = paginate(
        entries, args.get("pagination"), f"{kind.collection}_{member}", default_limit=100, max_limit=1000
    )
    reply[member] = page
    reply["pagination"] = pagination
    reply["resolved_at"] = iso(now)
    reply["cache_valid_until"] = iso(now + timedelta(hours=kind.cache_hours))
    return reply


def list_lists(kind: ListKind, lists: Mapping[str, Any], args: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``{lists, pagination}``, filtered by ``name_contains`` (case-insensitive).

    Raises:
        AdcpError: INVALID_REQUEST for a malformed ``name_contains`` or pagination object.
    """
    needle = args.get("name_contains")
    if needle is not None and not isinstance(needle, str):
        raise invalid("name_contains", "name_contains must be a string")
    entries = [
        wire_list(kind, entry)
        for entry in lists.values()
        if needle is None or needle.lower() in str(entry.get("name", "")).lower()
    ]
    page, pagination = paginate(entries, args.get("pagination"), kind.collection)
    return {"lists": page, "pagination": pagination}


def delete_list(kind: ListKind, lists: MutableMapping[str, Any], args: Mapping[str, Any]) -> dict[str, Any]:
    """Delete a list; return ``{deleted, list_id}``.

    Property lists refuse an unknown id; collection lists answer ``deleted: false`` for it, as the
    reference does.

    Raises:
        AdcpError: INVALID_REQUEST for a malformed ``list_id``; REFERENCE_NOT_FOUND for an unknown
            property list.
    """
    list_id = list_id_of(args)
    if list_id not in lists and kind is PROPERTY_LISTS:
        raise AdcpError(kind.not_found, f"List not found: {list_id}", field="list_id")
    deleted = lists.pop(list_id, None) is not None
    return {"deleted": deleted, "list_id": list_id}


def validate_property_delivery(lists: Mapping[str, Any], args: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """Check delivery records against a property list: compliant iff every identified record is on it.

    A domain matches the list's domain, its ``www.``/``m.`` subdomains, or any subdomain of a
    ``*.`` wildcard entry. Identifier types other than domain count as unidentified.

    Raises:
        AdcpError: INVALID_REQUEST naming the field, REFERENCE_NOT_FOUND on ``list_id``.
    """
    list_id = list_id_of(args)
    entry = _lookup(PROPERTY_LISTS, lists, list_id)
    records = args.get("records")
    if not isinstance(records, list) or not records:
        raise invalid("records", "records must be a non-empty array of delivery records")
    include_compliant = args.get("include_compliant", False)
    allowed = {(i["type"], i["value"].lower()) for i in property_identifiers(entry)}
    totals = {status: [0, 0] for status in ("compliant", "non_compliant", "not_covered", "unidentified")}
    results = []
    for index, record in enumerate(records):
        identifier = record.get("identifier") if isinstance(record, Mapping) else None
        if not isinstance(identifier, Mapping) or not isinstance(identifier.get("value"), str):
            raise invalid(f"records[{index}].identifier", f"records[{index}].identifier must be {{type, value}}")
        impressions = record.get("impressions", 0)
        if isinstance(impressions, bool) or not isinstance(impressions, int) or impressions < 0:
            raise invalid(
                f"records[{index}].impressions", f"records[{index}].impressions must be a non-negative integer"
            )
        status = _delivery_status(identifier, allowed)
        totals[status][0] += 1
        totals[status][1] += impressions
        if status != "compliant" or include_compliant is True:
            result: dict[str, Any] = {"identifier": {"type": identifier.get("type"), "value": identifier["value"]}}
            if isinstance(record.get("record_id"), str):
                result["record_id"] = record["record_id"]
            results.append({**result, "status": status, "impressions": impressions})
    summary = {"total_records": len(records), "total_impressions": sum(t[1] for t in totals.values())}
    for status, (count, impressions) in totals.items():
        summary[f"{status}_records"] = count
        summary[f"{status}_impressions"] = impressions
    return {
        "compliant": totals["non_compliant"][0] == 0,
        "list_id": list_id,
        "summary": summary,
        "results": results,
        "validated_at": iso(now),
    }


def _delivery_status(identifier: Mapping[str, Any], allowed: set[tuple[str, str]]) -> str:
    if identifier.get("type") != "domain":
        return "unidentified"
    value = str(identifier["value"]).lower()
    bare = value.removeprefix("www.").removeprefix("m.")
    for kind, entry in allowed:
        if kind != "domain":
            continue
        if entry.startswith("*."):
            if value.endswith(entry[1:]):
                return "compliant"
        elif bare == entry:
            return "compliant"
    return "non_compliant"
