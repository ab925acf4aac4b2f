"""Read one request field with its type checked, naming the field (as a path) when it is wrong.

Each reader takes the object the field sits in and the path of that object (``""`` at the top
level, ``"campaign"`` inside ``campaign``), so the error names ``campaign.uses[1]``, not ``uses``.
``None`` means absent; a present ``null`` counts as absent too, as JSON Schema validators treat
optional fields the reference's SDK checked.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import date
from typing import Any, Final, Literal, overload

from trainer.adcp.errors import invalid

_DAY: Final = re.compile(r"\d{4}-\d{2}-\d{2}")


def path(parent: str, name: str) -> str:
    """Return the dotted path of ``name`` inside ``parent``."""
    return f"{parent}.{name}" if parent else name


@overload
def text(
    obj: Mapping[str, Any], name: str, parent: str = "", *, required: Literal[True], max_len: int | None = None
) -> str: ...


@overload
def text(
    obj: Mapping[str, Any], name: str, parent: str = "", *, required: bool = False, max_len: int | None = None
) -> str | None: ...


def text(
    obj: Mapping[str, Any], name: str, parent: str = "", *, required: bool = False, max_len: int | None = None
) -> str | None:
    """Return a string field.

    Raises:
        AdcpError: INVALID_REQUEST when it is missing but required, not a string, empty or too long.
    """
    field = path(parent, name)
    value = obj.get(name)
    if value is None:
        if required:
            raise invalid(field, f"{field} is required")
        return None
    if not isinstance(value, str) or not value.strip():
        raise invalid(field, f"{field} must be a non-empty string")
    if max_len is not None and len(value) > max_len:
        raise invalid(field, f"{field} must be at most {max_len} characters")
    return value


def boolean(obj: Mapping[str, Any], name: str, parent: str = "") -> bool | None:
    """Return a boolean field.

    Raises:
        AdcpError: INVALID_REQUEST when it is present and not a boolean.
    """
    value = obj.get(name)
    if value is None:
        return None
    if not isinstance(value, bool):
        field = path(parent, name)
        raise invalid(field, f"{field} must be true or false")
    return value


def integer(obj: Mapping[str, Any], name: str, parent: str = "", *, minimum: int = 0) -> int | None:
    """Return an integer field of at least ``minimum``.

    Raises:
        AdcpError: INVALID_REQUEST when it is present and not such an integer.
    """
    value = obj.get(name)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        field = path(parent, name)
        raise invalid(field, f"{field} must be an integer of at least {minimum}")
    return value


@overload
def strings(
    obj: Mapping[str, Any],
    name: str,
    parent: str = "",
    *,
    required: Literal[True],
    allowed: Collection[str] | None = None,
    pattern: re.Pattern[str] | None = None,
) -> tuple[str, ...]: ...


@overload
def strings(
    obj: Mapping[str, Any],
    name: str,
    parent: str = "",
    *,
    required: bool = False,
    allowed: Collection[str] | None = None,
    pattern: re.Pattern[str] | None = None,
) -> tuple[str, ...] | None: ...


def strings(
    obj: Mapping[str, Any],
    name: str,
    parent: str = "",
    *,
    required: bool = False,
    allowed: Collection[str] | None = None,
    pattern: re.Pattern[str] | None = None,
) -> tuple[str, ...] | None:
    """Return a non-empty array of strings, each from ``allowed`` and matching ``pattern`` when given.

    Raises:
        AdcpError: INVALID_REQUEST naming the array or the offending item (``uses[1]``).
    """
    field = path(parent, name)
    value = obj.get(name)
    if value is None:
        if required:
            raise invalid(field, f"{field} is required")
        return None
    if not isinstance(value, list) or not value:
        raise invalid(field, f"{field} must be a non-empty array")
    for index, item in enumerate(value):
        item_field = f"{field}[{index}]"
        if not isinstance(item, str) or not item:
            raise invalid(item_field, f"{item_field} must be a non-empty string")
        if allowed is not None and item not in allowed:
            raise invalid(item_field, f"{item_field} {item!r} is not one of: {', '.join(sorted(allowed))}")
        if pattern is not None and not pattern.fullmatch(item):
            raise invalid(item_field, f"{item_field} {item!r} must match {pattern.pattern}")
    return tuple(value)


@overload
def mapping(obj: Mapping[str, Any], name: str, parent: str = "", *, required: Literal[True]) -> Mapping[str, Any]: ...


@overload
def mapping(
    obj: Mapping[str, Any], name: str, parent: str = "", *, required: bool = False
) -> Mapping[str, Any] | None: ...


def mapping(obj: Mapping[str, Any], name: str, parent: str = "", *, required: bool = False) -> Mapping[str, Any] | None:
    """Return an object field.

    Raises:
        AdcpError: INVALID_REQUEST when it is missing but required, or not an object.
    """
    field = path(parent, name)
    value = obj.get(name)
    if value is None:
        if required:
            raise invalid(field, f"{field} is required")
        return None
    if not isinstance(value, Mapping):
        raise invalid(field, f"{field} must be an object")
    return value


def day(obj: Mapping[str, Any], name: str, parent: str = "") -> date | None:
    """Return a ``YYYY-MM-DD`` date field.

    Raises:
        AdcpError: INVALID_REQUEST when it is present and not a calendar date in that form.
    """
    value = text(obj, name, parent)
    if value is None:
        return None
    field = path(parent, name)
    if not _DAY.fullmatch(value):
        raise invalid(field, f"{field} must be a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise invalid(field, f"{field} {value!r} is not a calendar date") from None
