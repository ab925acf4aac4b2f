"""create_media_buy: the stored buy, and every gate in the reference's order (section 2.3)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.domain.sales.conftest import ACCOUNT, NOW, CreateBuy, SchemaCheck, buy_args, package
from trainer.adcp.errors import AdcpError
from trainer.adcp.sessions import Session
from trainer.domain.governance.gate import PLANS
from trainer.domain.sales import media_buys
from trainer.domain.sales.discovery import PROPOSALS
from trainer.domain.sales.media_buys import ACCOUNT_STATUSES, FORCED_ARM, Submitted
from trainer.domain.sales.seller import SalesDomain


def _fails(domain: SalesDomain, session: Session, **overrides: Any) -> AdcpError:
    with pytest.raises(AdcpError) as caught:
        media_buys.create_media_buy(domain.seller, session, buy_args(**overrides), now=NOW)
    return caught.value


def test_create_stores_a_buy_pending_creatives(
    create_buy: CreateBuy, session: Session, schema_valid: SchemaCheck
) -> None:
    """A buy without creatives is pending_creatives at revision 1, with its packages and what the buyer may do next."""
    reply = create_buy()
    schema_valid("create_media_buy", reply)
    assert reply["status"] == "pending_creatives"
    assert reply["revision"] == 1
    assert reply["valid_actions"] == ["cancel", "sync_creatives"]
    assert reply["confirmed_at"] == "2026-06-01T12:00:00.000Z"
    assert reply["packages"][0]["package_id"] == f"{reply['media_buy_id']}_pkg_0"
    assert reply["packages"][0]["creative_assignments"] == []
    assert reply["media_buy_id"].startswith("mb_")
    stored = media_buys.find(session, reply["media_buy_id"])
    assert stored is not None
    assert stored["currency"] == "USD"
    assert "rate" not in reply["packages"][0]


def test_create_with_assigned_creatives_is_pending_start(create_buy: CreateBuy) -> None:
    """Creatives assigned at creation take the buy straight to pending_start before its flight."""
    reply = create_buy(packages=[package(creative_assignments=[{"creative_id": "hero"}])])
    assert reply["status"] == "pending_start"


def test_buyer_media_buy_id_is_honoured_once(create_buy: CreateBuy, domain: SalesDomain, session: Session) -> None:
    """A buyer-supplied media_buy_id is used; reusing it is a CONFLICT and a malformed one is refused."""
    assert create_buy(media_buy_id="acme.q3-launch_1")["media_buy_id"] == "acme.q3-launch_1"
    assert _fails(domain, session, media_buy_id="acme.q3-launch_1").code == "CONFLICT"
    error = _fails(domain, session, media_buy_id="has spaces")
    assert (error.code, error.field) == ("INVALID_REQUEST", "media_buy_id")


def test_start_asap_starts_now(create_buy: CreateBuy, session: Session) -> None:
    """start_time 'asap' starts the flight at the current instant."""
    reply = create_buy(start_time="asap", packages=[package(creative_assignments=[{"creative_id": "hero"}])])
    assert reply["status"] == "active"
    stored = media_buys.find(session, reply["media_buy_id"])
    assert stored is not None
    assert stored["start_time"] == "2026-06-01T12:00:00.000Z"


def test_forced_arm_wins_over_everything(domain: SalesDomain, session: Session) -> None:
    """A forced submitted arm answers the next create, even an invalid one, exactly once."""
    session.extras[FORCED_ARM] = {"task_id": "task_io_1", "message": "Awaiting IO signature"}
    result = media_buys.create_media_buy(domain.seller, session, buy_args(packages=[]), now=NOW)
    assert result == Submitted("task_io_1", "Awaiting IO signature")
    assert result.to_wire() == {"status": "submitted", "task_id": "task_io_1", "message": "Awaiting IO signature"}
    assert _fails(domain, session, packages=[]).field == "packages"


def test_forced_account_status_blocks_before_governance(domain: SalesDomain, session: Session) -> None:
    """An account a controller suspended cannot buy; the account gate runs before the governance gate."""
    session.collection(ACCOUNT_STATUSES)["acc_blocked"] = "suspended"
    session.collection(PLANS)["plan_tiny"] = {"plan_id": "plan_tiny", "budget": {"total": 1, "currency": "USD"}}
    error = _fails(domain, session, account={"account_id": "acc_blocked"})
    assert (error.code, error.field) == ("ACCOUNT_SUSPENDED", "account.account_id")
    session.collection(ACCOUNT_STATUSES)["acc_unpaid"] = "payment_required"
    assert _fails(domain, session, account={"account_id": "acc_unpaid"}).code == "ACCOUNT_PAYMENT_REQUIRED"


def test_governance_denies_before_products_are_checked(domain: SalesDomain, session: Session) -> None:
    """A buy over the session's plan budget is GOVERNANCE_DENIED even when its packages are also wrong."""
    session.collection(PLANS)["plan_small"] = {"plan_id": "plan_small", "budget": {"total": 5000, "currency": "USD"}}
    error = _fails(domain, session, packages=[package(product_id="no-such-product")])
    assert error.code == "GOVERNANCE_DENIED"
    assert error.details is not None
    assert error.details["plan_id"] == "plan_small"


def test_proposal_must_be_committed_unexpired_and_signed(domain: SalesDomain, session: Session) -> None:
    """Buying a proposal needs it finalized, unexpired, and its insertion order accepted, in that order."""
    total = {"amount": 50000, "currency": "USD"}
    draft = _fails(domain, session, packages=None, proposal_id="viewpoint_multi_screen", total_budget=total)
    assert (draft.code, draft.field) == ("PROPOSAL_NOT_COMMITTED", "proposal_id")
    committed = domain.discovery.finalize(session, domain.catalogue.proposals["viewpoint_multi_screen"], {}, NOW)
    unsigned = _fails(domain, session, packages=None, proposal_id="viewpoint_multi_screen", total_budget=total)
    assert unsigned.code == "IO_REQUIRED"
    assert unsigned.details == {"io_id": committed["insertion_order"]["io_id"]}
    io = {
        "io_id": committed["insertion_order"]["io_id"],
        "accepted_at": "2026-06-01T12:00:00Z",
        "signatory": "A. Buyer",
    }
    later = NOW + timedelta(hours=25)
    args = buy_args(packages=None, proposal_id="viewpoint_multi_screen", total_budget=total, io_acceptance=io)
    with pytest.raises(AdcpError) as expired:
        media_buys.create_media_buy(domain.seller, session, args, now=later)
    assert expired.value.code == "PROPOSAL_EXPIRED"


def test_proposal_expands_into_allocated_packages(domain: SalesDomain, session: Session) -> None:
    """An accepted proposal buys one package per allocation, its budget split by allocation percentage."""
    committed = domain.discovery.finalize(session, domain.catalogue.proposals["viewpoint_multi_screen"], {}, NOW)
    io = {
        "io_id": committed["insertion_order"]["io_id"],
        "accepted_at": "2026-06-01T12:00:00Z",
        "signatory": "A. Buyer",
    }
    args = buy_args(
        packages=None,
        proposal_id="viewpoint_multi_screen",
        total_budget={"amount": 50000, "currency": "USD"},
        io_acceptance=io,
    )
    reply = media_buys.create_media_buy(domain.seller, session, args, now=NOW)
    assert isinstance(reply, dict)
    assert [(p["product_id"], p["budget"]) for p in reply["packages"]] == [
        ("viewpoint_sports_ctv_premium", 35000),
        ("viewpoint_sports_olv", 15000),
    ]
    # The auction allocation bids the guidance median.
    assert reply["packages"][1]["bid_price"] == 22


def test_unknown_proposal_and_missing_total_budget_are_invalid(domain: SalesDomain, session: Session) -> None:
    """An unknown proposal id and a committed proposal without total_budget are INVALID_REQUEST naming the field."""
    assert _fails(domain, session, packages=None, proposal_id="nope").field == "proposal_id"
    domain.discovery.finalize(session, domain.catalogue.proposals["sparq_social_amplification"], {}, NOW)
    # sparq's allocations include a guaranteed creator program, so the IO is needed first.
    committed = session.collection(PROPOSALS)["sparq_social_amplification"]
    io = {"io_id": committed["insertion_order"]["io_id"]}
    error = _fails(domain, session, packages=None, proposal_id="sparq_social_amplification", io_acceptance=io)
    assert (error.code, error.field) == ("INVALID_REQUEST", "total_budget")


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"end_time": "2026-06-30T00:00:00Z"}, "INVALID_REQUEST", "end_time"),
        ({"start_time": "next tuesday"}, "INVALID_REQUEST", "start_time"),
        ({"end_time": None}, "INVALID_REQUEST", "end_time"),
        ({"packages": []}, "INVALID_REQUEST", "packages"),
        ({"packages": "all of them"}, "INVALID_REQUEST", "packages"),
        (
            {"packages": [package(product_id="nonexistent-product-id-xyz")]},
            "PRODUCT_NOT_FOUND",
            "packages[0].product_id",
        ),
        ({"packages": [package(pricing_option_id="bad-pricing")]}, "INVALID_REQUEST", "packages[0].pricing_option_id"),
        ({"packages": [package(budget=-500)]}, "BUDGET_TOO_LOW", "packages[0].budget"),
        ({"packages": [package(budget="lots")]}, "INVALID_REQUEST", "packages[0].budget"),
        ({"packages": [package(), "not an object"]}, "INVALID_REQUEST", "packages[1]"),
        (
            {
                "packages": [
                    package(product_id="pinnacle_news_display", pricing_option_id="pinnacle_news_display_pricing_0")
                ]
            },
            "INVALID_REQUEST",
            "packages[0].bid_price",
        ),
        (
            {
                "packages": [
                    package(
                        product_id="pinnacle_news_display",
                        pricing_option_id="pinnacle_news_display_pricing_0",
                        bid_price=3,
                    )
                ]
            },
            "INVALID_REQUEST",
            "packages[0].bid_price",
        ),
        (
            {
                "packages": [
                    package(
                        product_id="viewpoint_sports_ctv_premium",
                        pricing_option_id="viewpoint_sports_ctv_premium_pricing_0",
                        budget=4000,
                    )
                ]
            },
            "BUDGET_TOO_LOW",
            "packages[0].budget",
        ),
        (
            {
                "packages": [
                    package(
                        measurement_terms={
                            "billing_measurement": {"vendor": {"domain": "v.example"}, "measurement_window": "c30"}
                        }
                    )
                ]
            },
            "TERMS_REJECTED",
            "packages[0].measurement_terms.billing_measurement.measurement_window",
        ),
        (
            {
                "packages": [
                    package(
                        measurement_terms={
                            "billing_measurement": {"vendor": {"domain": "v.example"}, "max_variance_percent": 0}
                        }
                    )
                ]
            },
            "TERMS_REJECTED",
            "packages[0].measurement_terms.billing_measurement.max_variance_percent",
        ),
        (
            {"packages": [package(targeting_overlay={"property_list": {"agent_url": "not a url", "list_id": "x"}})]},
            "VALIDATION_ERROR",
            "packages[0].targeting_overlay.property_list.agent_url",
        ),
        (
            {
                "packages": [
                    package(),
                    package(
                        product_id="pinnacle_news_video_premium",
                        pricing_option_id="pinnacle_news_video_premium_pricing_2",
                    ),
                ]
            },
            "INVALID_REQUEST",
            "packages",
        ),
        ({"packages": [package()] * 51}, "LIMIT_EXCEEDED", "packages"),
    ],
)
def test_package_validation_names_the_field(
    domain: SalesDomain, session: Session, overrides: dict[str, Any], code: str, field: str
) -> None:
    """Each malformed or unworkable request gets its AdCP code and the path of the field at fault."""
    error = _fails(domain, session, **overrides)
    assert (error.code, error.field) == (code, field)


def test_workable_terms_auction_bids_and_list_targeting_are_kept(create_buy: CreateBuy, session: Session) -> None:
    """Accepted measurement terms, a bid at the floor and list references are stored as sent."""
    terms = {
        "billing_measurement": {
            "vendor": {"domain": "v.example"},
            "measurement_window": "c7",
            "max_variance_percent": 10,
        }
    }
    overlay = {"property_list": {"agent_url": "https://gov.example", "list_id": "allow_v1"}}
    reply = create_buy(
        packages=[
            package(
                product_id="pinnacle_news_display",
                pricing_option_id="pinnacle_news_display_pricing_0",
                bid_price=4,
                measurement_terms=terms,
                targeting_overlay=overlay,
            )
        ]
    )
    stored = reply["packages"][0]
    assert stored["bid_price"] == 4
    assert stored["measurement_terms"] == terms
    assert stored["targeting_overlay"] == overlay


def test_a_session_holds_at_most_a_hundred_buys(create_buy: CreateBuy, domain: SalesDomain, session: Session) -> None:
    """The 101st buy in one session is LIMIT_EXCEEDED."""
    for _ in range(media_buys.MAX_BUYS):
        create_buy()
    assert _fails(domain, session).code == "LIMIT_EXCEEDED"


def test_seeded_products_can_be_bought_and_expire(domain: SalesDomain, session: Session, create_buy: CreateBuy) -> None:
    """A seeded product and pricing option can be bought; once the product expires it is PRODUCT_EXPIRED."""
    domain.catalogue.seed_product(session, "sports_preroll_q2", {"delivery_type": "guaranteed", "channels": ["video"]})
    domain.catalogue.seed_pricing_option(
        session, "sports_preroll_q2", "cpm_guaranteed", {"pricing_model": "cpm", "currency": "USD", "fixed_price": 22}
    )
    reply = create_buy(packages=[package(product_id="sports_preroll_q2", pricing_option_id="cpm_guaranteed")])
    assert reply["packages"][0]["pricing_option_id"] == "cpm_guaranteed"
    domain.catalogue.seed_product(session, "gone", {"expires_at": "2026-05-01T00:00:00Z"})
    error = _fails(domain, session, packages=[package(product_id="gone", pricing_option_id="fixture_default_cpm")])
    assert (error.code, error.field) == ("PRODUCT_EXPIRED", "packages[0].product_id")


def test_account_reference_is_kept_on_the_buy(create_buy: CreateBuy, session: Session) -> None:
    """The buy remembers the account and brand it was bought for."""
    reply = create_buy()
    stored = media_buys.find(session, reply["media_buy_id"])
    assert stored is not None
    assert stored["account"] == ACCOUNT
