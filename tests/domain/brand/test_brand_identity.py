"""get_brand_identity: public against authorized fields, unknown brands, field selection."""

from __future__ import annotations

import pytest

from tests.domain.brand.conftest import SchemaCheck
from trainer.adcp.errors import AdcpError
from trainer.domain.brand.catalogue import BrandCatalogue
from trainer.domain.brand.identity import brand_identity, parse_identity_request


def test_public_caller_sees_public_fields_and_learns_what_linking_unlocks(
    catalogue: BrandCatalogue, schema_valid: SchemaCheck
) -> None:
    """An unlinked caller gets description and logos, and colors/tone are listed in available_fields."""
    request = parse_identity_request({"brand_id": "daan_janssen"}, None, catalogue)
    identity = brand_identity(catalogue, request)
    assert identity["brand_id"] == "daan_janssen"
    assert identity["house"] == {"domain": "lotientertainment.com", "name": "Loti Entertainment"}
    assert identity["names"] == [{"en": "Daan Janssen"}]
    assert identity["description"] == "Dutch Olympic speed skater, 2x gold medalist"
    assert "colors" not in identity
    assert "tone" not in identity
    assert identity["available_fields"] == ["colors", "fonts", "visual_guidelines", "tone", "voice_synthesis", "rights"]
    assert identity["brands"][0]["id"] == "daan_janssen"
    schema_valid("get_brand_identity", identity)


def test_authorized_caller_sees_every_field(catalogue: BrandCatalogue, schema_valid: SchemaCheck) -> None:
    """authorized: true unlocks colors, tone, voice synthesis and rights, with nothing left to unlock."""
    request = parse_identity_request({"brand_id": "daan_janssen", "authorized": True}, None, catalogue)
    identity = brand_identity(catalogue, request)
    assert identity["colors"]["primary"] == "#FF6600"
    assert identity["voice_synthesis"]["voice_id"] == "janssen_v2"
    assert identity["rights"]["countries"] == ["NL", "BE", "DE"]
    assert "available_fields" not in identity
    schema_valid("get_brand_identity", identity)


def test_brand_owner_is_authorized_without_the_flag(catalogue: BrandCatalogue, schema_valid: SchemaCheck) -> None:
    """A caller acting for the brand's own house domain sees its authorized fields, sample assets included."""
    request = parse_identity_request({"brand_id": "acme_outdoor"}, "AcmeOutdoor.example", catalogue)
    identity = brand_identity(catalogue, request)
    assert identity["tone"]["attributes"] == ["active", "direct", "warm"]
    assert identity["assets"][0]["asset_id"] == "hero_300x250"
    schema_valid("get_brand_identity", identity)


def test_fields_select_sections(catalogue: BrandCatalogue) -> None:
    """fields limits the sections returned; withheld ones are listed only if they were asked for."""
    request = parse_identity_request({"brand_id": "nova_motors", "fields": ["logos", "colors"]}, None, catalogue)
    identity = brand_identity(catalogue, request)
    assert "logos" in identity
    assert "description" not in identity
    assert identity["available_fields"] == ["colors"]


def test_sandbox_advertisers_are_served(catalogue: BrandCatalogue) -> None:
    """Every compliance test-kit advertiser resolves, with its industry as industries."""
    for brand_id in ("acme_outdoor", "nova_motors", "bistro_oranje", "summit_foods", "osei_natural"):
        identity = brand_identity(catalogue, parse_identity_request({"brand_id": brand_id}, None, catalogue))
        assert len(identity["industries"]) == 1


def test_unknown_brand_is_brand_not_found(catalogue: BrandCatalogue) -> None:
    """An unknown brand_id is BRAND_NOT_FOUND naming brand_id, never a placeholder identity."""
    request = parse_identity_request({"brand_id": "nonexistent_brand_xyz"}, None, catalogue)
    with pytest.raises(AdcpError) as raised:
        brand_identity(catalogue, request)
    assert (raised.value.code, raised.value.field) == ("BRAND_NOT_FOUND", "brand_id")


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({}, "brand_id"),
        ({"brand_id": 7}, "brand_id"),
        ({"brand_id": "acme_outdoor", "fields": ["logos", "secrets"]}, "fields[1]"),
        ({"brand_id": "acme_outdoor", "authorized": "yes"}, "authorized"),
    ],
)
def test_bad_input_names_the_field(catalogue: BrandCatalogue, args: dict[str, object], field: str) -> None:
    """Malformed arguments are INVALID_REQUEST naming the offending field."""
    with pytest.raises(AdcpError) as raised:
        parse_identity_request(args, None, catalogue)
    assert (raised.value.code, raised.value.field) == ("INVALID_REQUEST", field)
