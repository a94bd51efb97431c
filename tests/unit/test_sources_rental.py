"""Rental extract helpers that need no database: the DSN setting, value rendering, parsing landed pages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from huitong.config import ConfigError
from huitong.sources import get_source, known_sources
from huitong.sources.rental import SOURCES, _redacted, render, rental_dsn


def test_three_tables_are_registered_as_rental_entities():
    assert {"rental.landlords", "rental.tenants", "rental.contracts"} <= set(known_sources())
    assert get_source("rental.contracts") is SOURCES["contracts"]
    assert all("updated_at" in s.columns and "is_deleted" in s.columns for s in SOURCES.values())


def test_a_missing_dsn_names_the_variable(monkeypatch):
    monkeypatch.delenv("HUITONG_RENTAL_DSN", raising=False)
    with pytest.raises(ConfigError, match="HUITONG_RENTAL_DSN"):
        rental_dsn()


def test_lineage_never_carries_credentials():
    shown = _redacted("postgresql://etl:s3cret@db.internal:6432/housing?sslmode=require")
    assert shown == "postgresql://db.internal:6432/housing"


def test_typed_values_are_rendered_as_text_the_way_staging_reads_them():
    moment = datetime(2025, 2, 2, 17, 43, tzinfo=timezone(timedelta(hours=8)))
    assert render(moment) == "2025-02-02T17:43:00+08:00"
    assert render(date(2025, 2, 3)) == "2025-02-03"
    assert (render(True), render(False), render(1100), render(Decimal("12.50")), render(None)) == (
        "true", "false", "1100", "12.50", None,
    )  # fmt: skip


def test_landed_pages_parse_back_and_a_broken_line_is_an_error_row():
    source = SOURCES["tenants"]
    data = (
        b'{"tenant_id": "TN1", "updated_at": "2025-02-02T17:45:00+08:00", "is_deleted": "true"}\n'
        b'{"tenant_id": "TN2", "upd'
    )
    parsed = source.parse("tenants-00001.jsonl", data)
    assert [r["tenant_id"] for r in parsed.records] == ["TN1"]
    assert source.watermark(parsed.records[0]) == datetime(2025, 2, 2, 9, 45, tzinfo=UTC)
    [(offset, _, reason)] = parsed.errors
    assert offset == 1 and reason.startswith("tenants-00001.jsonl: malformed JSON")
