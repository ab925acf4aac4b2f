"""Read the buyer's creative library and media buys, which other domains own, for builds, previews and delivery.

The library belongs to ``trainer.domain.creatives`` (sync_creatives, list_creatives, the
``seed_creative`` scenario) and media buys to ``trainer.domain.sales``; this module reads them
through their ``find`` functions and turns a stored creative into what a build needs: its assets
(from ``assets`` or ``manifest.assets``) and its serving rate (its first seeded pricing option,
else the library's default CPM under ``po_<format>_cpm``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import attrs

from trainer.adcp.sessions import Session
from trainer.domain.creatives import library as creatives
from trainer.domain.sales import media_buys

CREATIVES: Final = creatives.CREATIVES
MEDIA_BUYS: Final = media_buys.MEDIA_BUYS
# The ad-server storyboards' library creative, present in every library (reference section 6).
FIXTURE_CREATIVE_ID: Final = "campaign_hero_video"
FIXTURE_AGENT_URL: Final = "https://creative.adcontextprotocol.org"
DEFAULT_CPM: Final = creatives.DEFAULT_CREATIVE_CPM
DEFAULT_CURRENCY: Final = "USD"


@attrs.frozen
class LibraryCreative:
    """A creative in the buyer's library, as a build or preview needs it.

    Attributes:
        creative_id: the buyer's id.
        format_id: its format_id object.
        name: its name.
        status: its review status.
        assets: its manifest assets (possibly empty).
        pricing_option_id: the rate card option it was seeded with, if any.
        cpm: what serving it costs per thousand impressions.
        currency: the currency of that rate.
    """

    creative_id: str
    format_id: Mapping[str, Any]
    name: str
    status: str
    assets: Mapping[str, Any]
    pricing_option_id: str | None = None
    cpm: float = DEFAULT_CPM
    currency: str = DEFAULT_CURRENCY

    @property
    def rate_option_id(self) -> str:
        """The pricing option its serving is billed under: the seeded one, else ``po_<format>_cpm``."""
        return self.pricing_option_id or f"po_{self.format_id.get('id', 'creative')}_cpm"

    @property
    def manifest(self) -> dict[str, Any]:
        return {"format_id": dict(self.format_id), "assets": dict(self.assets)}


FIXTURE_CREATIVE: Final = LibraryCreative(
    creative_id=FIXTURE_CREATIVE_ID,
    format_id={"agent_url": FIXTURE_AGENT_URL, "id": "vast_30s"},
    name="Campaign hero video (30s)",
    status="approved",
    assets={
        "video": {
            "asset_type": "video",
            "url": "https://test-assets.adcontextprotocol.org/acme-outdoor/hero-30s.mp4",
            "width": 1920,
            "height": 1080,
            "duration_ms": 30000,
            "container_format": "mp4",
        },
        "click_url": {
            "asset_type": "url",
            "url": "https://acmeoutdoor.example/summer-sale",
            "url_type": "clickthrough",
        },
    },
    pricing_option_id="po_vast_30s_cpm",
)


def _creative(record: Mapping[str, Any]) -> LibraryCreative | None:
    creative_id = record.get("creative_id")
    format_id = record.get("format_id")
    if not isinstance(creative_id, str) or not isinstance(format_id, Mapping):
        return None
    manifest = record.get("manifest")
    assets = manifest.get("assets") if isinstance(manifest, Mapping) else record.get("assets")
    pricing = record.get("pricing_option_id")
    cpm, currency = DEFAULT_CPM, DEFAULT_CURRENCY
    options = record.get("pricing_options")
    if isinstance(options, list) and options and isinstance(options[0], Mapping):
        option = options[0]
        pricing = option.get("pricing_option_id", pricing)
        rate = option.get("cpm", option.get("rate"))
        cpm = float(rate) if isinstance(rate, int | float) and not isinstance(rate, bool) else cpm
        currency = str(option.get("currency") or currency)
    if not isinstance(format_id.get("agent_url"), str):
        # Seeded fixtures may name only the format id; the library's formats are the agent's own.
        format_id = {"agent_url": FIXTURE_AGENT_URL, **format_id}
    return LibraryCreative(
        creative_id=creative_id,
        format_id=dict(format_id),
        name=str(record.get("name") or creative_id),
        status=str(record.get("status") or "approved"),
        assets=dict(assets) if isinstance(assets, Mapping) else {},
        pricing_option_id=pricing if isinstance(pricing, str) else None,
        cpm=cpm,
        currency=currency,
    )


def find_creative(session: Session, creative_id: str) -> LibraryCreative | None:
    """Return the creative ``creative_id`` of the session's library; the fixture creative is always there."""
    record = creatives.find(session, creative_id)
    if isinstance(record, Mapping) and (creative := _creative(record)) is not None:
        return creative
    return FIXTURE_CREATIVE if creative_id == FIXTURE_CREATIVE_ID else None


def library(session: Session) -> list[LibraryCreative]:
    """Return the session's creatives in sync order, or the fixture creative for an empty library."""
    found: list[LibraryCreative] = []
    if session.has_collection(CREATIVES):
        for record in creatives.creatives(session).values():
            if isinstance(record, Mapping) and (creative := _creative(record)) is not None:
                found.append(creative)
    return found or [FIXTURE_CREATIVE]


def assigned_creative_ids(session: Session, media_buy_id: str) -> list[str] | None:
    """Return the creative ids assigned to a stored media buy's packages, or None when the buy is not stored."""
    buy = media_buys.find(session, media_buy_id)
    if not isinstance(buy, Mapping):
        return None
    ids: list[str] = []
    for package in buy.get("packages") or ():
        for assignment in (package.get("creative_assignments") or ()) if isinstance(package, Mapping) else ():
            creative_id = assignment.get("creative_id") if isinstance(assignment, Mapping) else None
            if isinstance(creative_id, str) and creative_id not in ids:
                ids.append(creative_id)
    return ids
