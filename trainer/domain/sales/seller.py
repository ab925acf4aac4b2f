"""One media-buy seller, assembled: formats, catalogue, discovery, creative library and buy rules.

A tenant builds its ``SalesDomain`` once, at start, with the URL its formats are served from;
everything in it is precomputed then. /sales builds one; the creative tenants build their own to
reuse the creative library and the media-buy comply scenarios.
"""

from __future__ import annotations

import attrs

from trainer.domain.creatives.formats import FormatCatalogue, SessionScan
from trainer.domain.creatives.library import CreativeLibrary
from trainer.domain.sales.catalogue import Catalogue, SeededLookup
from trainer.domain.sales.discovery import Discovery
from trainer.domain.sales.media_buys import AccountStatus, Seller


@attrs.frozen
class SalesDomain:
    """The precomputed seller behind a tenant.

    Attributes:
        formats: the creative formats, with ``format_id.agent_url`` naming this agent.
        catalogue: the products.
        discovery: ``get_products`` with its brief index and caches.
        library: the creative library.
        seller: what ``create_media_buy`` and ``update_media_buy`` validate against.
    """

    formats: FormatCatalogue
    catalogue: Catalogue
    discovery: Discovery
    library: CreativeLibrary
    seller: Seller

    @classmethod
    def build(
        cls,
        agent_url: str,
        account_status: AccountStatus | None = None,
        seeded_elsewhere: SeededLookup | None = None,
        sessions: SessionScan | None = None,
    ) -> SalesDomain:
        """Load the packaged catalogues for an agent at ``agent_url``.

        ``account_status`` looks up an account a controller forced into another status,
        ``seeded_elsewhere`` a product another session seeded, and ``sessions`` lists every live
        session for the seeded creative formats (all three platform-wide).

        Raises:
            OSError, ValueError, KeyError: when a packaged data file is missing or malformed.
        """
        formats = FormatCatalogue.load(agent_url, sessions)
        catalogue = Catalogue.load(formats, seeded_elsewhere)
        discovery = Discovery.build(catalogue)
        seller = (
            Seller(catalogue, discovery) if account_status is None else Seller(catalogue, discovery, account_status)
        )
        return cls(formats, catalogue, discovery, CreativeLibrary(formats), seller)
