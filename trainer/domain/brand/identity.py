"""get_brand_identity: a brand.json-shaped record, public fields for anyone and the rest for linked callers.

The response carries the identity twice, as the reference does: top-level fields (what
``get-brand-identity-response.json`` describes) and ``brands[0]`` (brand.json's shape). A field the
caller may not see but the brand has is listed in ``available_fields``, to say what linking the
account would unlock.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from trainer.adcp.errors import AdcpError
from trainer.domain.brand import fields
from trainer.domain.brand.catalogue import AUTHORIZED_FIELDS, IDENTITY_FIELDS, PUBLIC_FIELDS, BrandCatalogue

# The brand_baseline storyboard accepts brand_not_found, BRAND_NOT_FOUND or NOT_FOUND for an unknown
# brand; the reference's REFERENCE_NOT_FOUND is not among them, and the storyboards are the arbiter.
BRAND_NOT_FOUND = "BRAND_NOT_FOUND"


@attrs.frozen
class IdentityRequest:
    """A parsed get_brand_identity request.

    Attributes:
        brand_id: the brand asked for.
        fields: the identity sections asked for; ``None`` means all.
        use_case: the caller's stated use (informational).
        authorized: whether the caller sees the authorized fields.
    """

    brand_id: str
    fields: tuple[str, ...] | None
    use_case: str | None
    authorized: bool


def parse_identity_request(
    args: Mapping[str, Any], caller_domain: str | None, catalogue: BrandCatalogue
) -> IdentityRequest:
    """Parse the request; a caller is authorized by ``authorized: true`` or by acting for the brand's own house.

    ``caller_domain`` is the brand domain the caller's account or brand reference names.

    Raises:
        AdcpError: INVALID_REQUEST naming ``brand_id``, ``fields[i]``, ``use_case`` or ``authorized``.
    """
    brand_id = fields.text(args, "brand_id", required=True)
    requested = fields.strings(args, "fields", allowed=IDENTITY_FIELDS)
    use_case = fields.text(args, "use_case")
    authorized = fields.boolean(args, "authorized") is True
    brand = catalogue.brand(brand_id)
    if brand is not None and caller_domain is not None and caller_domain.lower() == brand.domain.lower():
        # A brand's own operator is linked to it by definition; the simulated flag is for everyone else.
        authorized = True
    return IdentityRequest(brand_id, requested, use_case, authorized)


def brand_identity(catalogue: BrandCatalogue, request: IdentityRequest) -> dict[str, Any]:
    """Return the identity record of ``request.brand_id`` as the caller may see it.

    Raises:
        AdcpError: BRAND_NOT_FOUND (field ``brand_id``) for a brand the catalogue does not hold.
    """
    brand = catalogue.brand(request.brand_id)
    if brand is None:
        raise AdcpError(
            BRAND_NOT_FOUND,
            f"No brand with id {request.brand_id!r}",
            field="brand_id",
            suggestion=f"Known brands: {', '.join(catalogue.brands)}.",
        )
    wanted = request.fields if request.fields is not None else IDENTITY_FIELDS
    shown: dict[str, Any] = {}
    withheld: list[str] = []
    for name in wanted:
        if name not in brand.identity:
            continue
        if name in PUBLIC_FIELDS or (name in AUTHORIZED_FIELDS and request.authorized):
            shown[name] = brand.identity[name]
        else:
            withheld.append(name)
    response: dict[str, Any] = {
        "brand_id": brand.brand_id,
        "house": dict(brand.house),
        "names": [dict(names) for names in brand.names],
        **shown,
        "brands": [{"id": brand.brand_id, "names": [dict(names) for names in brand.names], **shown}],
        "sandbox": True,
    }
    if withheld:
        response["available_fields"] = withheld
    return response
