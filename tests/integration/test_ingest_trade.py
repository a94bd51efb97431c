"""Trade uploads end to end: a small simulated city's shop files (GB18030 and UTF-8 CSV with three header
generations, xlsx) plus broken and re-sent files -> landing -> GX -> bronze/quarantine, reconciled."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pyarrow.compute as pc
import pytest

from huitong.ingest import land_window, load
from huitong.lake.catalog import get_catalog
from huitong.lake.ledger import read_ledger
from huitong.quality.validate import BatchValidationError
from huitong.simulate.serve_trade import upload_dir, write_uploads
from tests.integration.source_city import simulated_city

pytestmark = pytest.mark.slow

CITY_TZ = timezone(timedelta(hours=8))
CITY = dict(seed=7, scale=0.15, start=date(2025, 2, 1), as_of=date(2025, 3, 1))
WINDOW = (datetime(2025, 2, 3, tzinfo=CITY_TZ), datetime(2025, 2, 17, tzinfo=CITY_TZ))
DRIFT_DAY = datetime(2025, 2, 20, tzinfo=CITY_TZ)


def fault_corpus(root, uploads) -> dict[str, int]:
    """Broken and repeated uploads inside the window; returns rows each yields (loaded or quarantined)."""
    day = root / "2025-02-05" / "ES_BROKEN"
    day.mkdir(parents=True)
    (day / "utf16.csv").write_bytes("交易编号,姓名\nTR9,张三\n".encode("utf-16"))  # neither UTF-8 nor GB18030
    (day / "export.xlsx").write_bytes(b"PK\x03\x04 truncated spreadsheet")
    (day / "ragged.csv").write_bytes("trade_id,seller_name\nTRX1,李四,多出来的一格\n".encode("gb18030"))
    first = next(u for u in uploads if "2025-02-06" <= u.key[:10] < "2025-02-16")
    again = root / first.key.replace(".", "-resend.", 1)
    again.write_bytes((root / first.key).read_bytes())  # the shop pressed upload twice
    return {"utf16.csv": 1, "export.xlsx": 1, "ragged.csv": 1, "resent": first.rows}


@pytest.fixture(scope="module")
def uploads(tmp_path_factory):
    home = tmp_path_factory.mktemp("trade")
    with simulated_city(home, **CITY) as (cfg, mp):
        written = write_uploads(cfg)
        faults = fault_corpus(upload_dir(cfg), written)
        result = load(land_window("trade", *WINDOW, cfg).batch_id, cfg)
        bronze_first = get_catalog(cfg).load_table("bronze.trade__trades").scan().to_arrow()
        again = load(land_window("trade", *WINDOW, cfg).batch_id, cfg)
        in_window = [
            u for u in written if WINDOW[0].date().isoformat() <= u.key[:10] < WINDOW[1].date().isoformat()
        ]
        yield {"cfg": cfg, "uploads": in_window, "faults": faults, "result": result, "again": again,
               "bronze_first": bronze_first}  # fmt: skip


def quarantined(cfg, batch_id: str) -> list[dict]:
    rows = get_catalog(cfg).load_table("quarantine.quarantined_rows").scan().to_arrow().to_pylist()
    return [r for r in rows if r["_batch_id"] == batch_id]


def test_every_uploaded_row_is_landed_and_reconciled(uploads):
    result = uploads["result"]
    assert result.landed == sum(u.rows for u in uploads["uploads"]) + sum(uploads["faults"].values())
    assert result.landed == result.loaded + result.quarantined
    [entry] = [e for e in read_ledger(uploads["cfg"]).to_pylist() if e["batch_id"] == result.batch_id]
    assert entry["landed"] == entry["loaded"] + entry["quarantined"] == result.landed


def test_every_vendor_format_loads_into_canonical_columns(uploads):
    kinds = {(u.vendor.headers, u.vendor.encoding, u.vendor.file_type) for u in uploads["uploads"]}
    assert {("v1", "gb18030", "csv"), ("v2", "", "xlsx")} <= kinds, kinds
    bronze = uploads["bronze_first"]
    loaded_files = {p.rsplit("__", 1)[-1] for p in bronze["_source_part"].to_pylist()}
    assert any(f.endswith(".xlsx") for f in loaded_files) and any(f.endswith(".csv") for f in loaded_files)
    assert pc.all(pc.starts_with(bronze["trade_id"], "TR")).as_py()
    assert bronze["seller_name"].null_count == 0 and bronze["shop_code"].null_count == 0


def test_unreadable_files_are_quarantined_whole_with_the_reason(uploads):
    parse_rows = [q for q in quarantined(uploads["cfg"], uploads["result"].batch_id) if q["rules"] == "parse"]
    reasons = {q["_source_part"].rsplit("__", 1)[-1]: q["reason"] for q in parse_rows}
    assert "neither UTF-8 nor GB18030" in reasons["utf16.csv"]
    assert "cannot be read" in reasons["export.xlsx"]
    assert "3 cells, the header 2" in reasons["ragged.csv"]


def test_a_file_uploaded_twice_adds_no_rows(uploads):
    dups = [
        q
        for q in quarantined(uploads["cfg"], uploads["result"].batch_id)
        if q["rules"] == "duplicate_delivery"
    ]
    assert len(dups) == uploads["faults"]["resent"] > 0
    ids = uploads["bronze_first"]["trade_id"]
    assert pc.count_distinct(ids).as_py() == len(ids)


def test_rerunning_the_window_adds_no_rows(uploads):
    assert uploads["again"].batch_id == uploads["result"].batch_id
    bronze = get_catalog(uploads["cfg"]).load_table("bronze.trade__trades").scan().to_arrow()
    assert sorted(bronze["_record_hash"].to_pylist()) == sorted(
        uploads["bronze_first"]["_record_hash"].to_pylist()
    )


def test_an_unmapped_column_is_kept_and_fails_the_batch_with_what_to_do(uploads):
    cfg = uploads["cfg"]
    folder = upload_dir(cfg) / DRIFT_DAY.date().isoformat() / "ES_NEWVERSION"
    folder.mkdir(parents=True)
    row = (
        "TRN000000001,ES3299050001,张三,居民身份证,,2025-02-20T10:00:00+08:00,2025-02-20T10:05:00+08:00,现金"
    )
    (folder / "t.csv").write_bytes(
        f"流水号,商户编号,卖方姓名,卖方证件类型,卖方电话,收购时间,修改时间,付款方式\n{row}\n".encode(
            "gb18030"
        )
    )
    with pytest.raises(BatchValidationError, match="付款方式"):
        load(land_window("trade", DRIFT_DAY, DRIFT_DAY + timedelta(days=1), cfg).batch_id, cfg)
    bronze = get_catalog(cfg).load_table("bronze.trade__trades").scan().to_arrow()
    kept = bronze.filter(pc.equal(bronze["trade_id"], "TRN000000001")).to_pylist()
    assert [r["付款方式"] for r in kept] == ["现金"]
