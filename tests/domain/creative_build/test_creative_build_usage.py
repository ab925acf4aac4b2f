"""report_usage on a creative agent: records reconciled against the rate card, partial acceptance."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from tests.domain.creative_build.conftest import NOW, SchemaCheck
from trainer.adcp.errors import AdcpError
from trainer.adcp.sessions import Session
from trainer.domain.creative_build.usage import USAGE, library_rate, report_usage

PERIOD = {"start": "2026-03-01T00:00:00Z", "end": "2026-03-31T23:59:59Z"}
RECORD = {
    "account": {"account_id": "acct_acme_creative"},
    "creative_id": "campaign_hero_video",
    "pricing_option_id": "po_vast_30s_cpm",
    "impressions": 2_400_000,
    "vendor_cost": 1200.0,
    "currency": "USD",
}


def _report(session: Session, *records: Mapping[str, Any], **args: Any) -> dict[str, Any]:
    request = {"reporting_period": PERIOD, "usage": list(records), **args}
    return report_usage(request, lambda account: session, library_rate, NOW)


def test_a_record_at_the_rate_is_accepted_and_stored(session: Session, schema_valid: SchemaCheck) -> None:
    """2.4M impressions at 0.50 CPM billed 1200 USD reconcile and are stored with the period."""
    result = _report(session, RECORD)
    assert result == {"accepted": 1, "errors": [], "sandbox": True}
    [stored] = session.collection(USAGE).values()
    assert stored["reporting_period"] == {"start": "2026-03-01T00:00:00.000Z", "end": "2026-03-31T23:59:59.000Z"}
    schema_valid("report_usage", result)


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"vendor_cost": 1500.0}, "INVALID_REQUEST", "usage[1].vendor_cost"),
        ({"pricing_option_id": "po_other"}, "INVALID_REQUEST", "usage[1].pricing_option_id"),
        ({"currency": "EUR"}, "INVALID_REQUEST", "usage[1].currency"),
        ({"creative_id": "ghost"}, "CREATIVE_NOT_FOUND", "usage[1].creative_id"),
        ({"creative_id": None}, "INVALID_REQUEST", "usage[1].creative_id"),
        ({"account": None}, "INVALID_REQUEST", "usage[1].account"),
        ({"impressions": -1}, "INVALID_REQUEST", "usage[1].impressions"),
    ],
)
def test_a_bad_record_fails_alone(session: Session, change: dict[str, Any], code: str, field: str) -> None:
    """A record off the rate card is reported in errors while the good record is still accepted."""
    bad = {key: value for key, value in {**RECORD, **change}.items() if value is not None}
    result = _report(session, RECORD, bad)
    assert result["accepted"] == 1
    assert [(error["code"], error["field"]) for error in result["errors"]] == [(code, field)]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"reporting_period": None}, "reporting_period"),
        ({"reporting_period": {"start": "2026-03-01T00:00:00Z"}}, "reporting_period.end"),
        ({"reporting_period": {"start": "March", "end": "2026-03-31T00:00:00Z"}}, "reporting_period.start"),
        (
            {"reporting_period": {"start": "2026-04-01T00:00:00Z", "end": "2026-03-31T00:00:00Z"}},
            "reporting_period.end",
        ),
        ({"usage": []}, "usage"),
    ],
)
def test_a_malformed_report_names_the_field(session: Session, args: dict[str, Any], field: str) -> None:
    """A malformed report as a whole is INVALID_REQUEST naming the field."""
    request = {"reporting_period": PERIOD, "usage": [RECORD], **args}
    with pytest.raises(AdcpError) as raised:
        report_usage(
            {key: value for key, value in request.items() if value is not None}, lambda a: session, library_rate, NOW
        )
    assert (raised.value.code, raised.value.field) == ("INVALID_REQUEST", field)
