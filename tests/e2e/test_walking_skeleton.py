"""The walking skeleton, for real: the simulated hotel API -> Airflow (`airflow dags test`) -> raw landing ->
bronze Iceberg -> Great Expectations -> dbt (Cosmos) -> publish -> Superset's chart API.

Expected figures are computed independently, with pandas, from the simulator's own store of what the hotel system
holds; the pipeline's answers are read from the lake, the served mart and Superset.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from huitong.config import load_settings
from huitong.lake.catalog import get_catalog
from huitong.lake.ledger import read_ledger
from huitong.serving.superset_sample import publish_build
from huitong.simulate import simulate
from huitong.simulate.deliveries import write_deliveries
from huitong.simulate.hotel_api import running_server
from tests.conftest import Serving, airflow_env, run_airflow

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

# The hotel DAG's run for local 28 Feb 2026: Airflow 3 stamps a run with its interval's end.
HOTEL_RUN = "2026-02-28T16:00:00+00:00"
WINDOW = (datetime(2026, 2, 27, 16, tzinfo=UTC), datetime(2026, 2, 28, 16, tzinfo=UTC))
REFERENCE_RUN = "2026-02-28T16:00:00+00:00"  # the monthly run covering February


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory, monkeypatch_module):
    home = tmp_path_factory.mktemp("skeleton")
    monkeypatch_module.setenv("HUITONG_HOME", str(home))
    cfg = load_settings()
    simulate(cfg, seed=7, scale=0.2, start=date(2026, 2, 1), as_of=date(2026, 3, 1), log=lambda _: None)
    write_deliveries(cfg, start=date(2026, 2, 1), as_of=date(2026, 3, 1), log=lambda _: None)
    store = cfg.sources_dir / "hotel" / "registrations.parquet"
    # 5% injected server errors: the extract must retry through them and still get every record exactly once.
    with running_server(store_path=store, port=0, error_rate=0.05, rate_per_s=0) as url:
        env = airflow_env(home, HUITONG_HOTEL_API_URL=url, HUITONG_TASK_RETRIES="0")
        run_airflow("db", "migrate", env=env)
        run_airflow("dags", "test", "reference", REFERENCE_RUN, env=env)
        first = run_airflow("dags", "test", "hotel", HOTEL_RUN, env=env)
        bronze_after_first = get_catalog(cfg).load_table("bronze.hotel__registrations").scan().to_arrow()
        run_airflow("dags", "test", "transform", env=env, timeout=900)
        again = run_airflow("dags", "test", "hotel", HOTEL_RUN, env=env)  # the same DAG run, re-run
        # The maintenance DAG's compaction, run by Airflow on the lake above (any 2 small files of a partition).
        ledger_before = read_ledger(cfg)
        compacted = run_airflow("tasks", "test", "retention", "compact", HOTEL_RUN,
                            env={**env, "HUITONG_COMPACT_MIN_FILES": "2"})  # fmt: skip
    return {
        "home": home,
        "cfg": cfg,
        "store": store,
        "logs": (first, again),
        "compacted": compacted,
        "ledger_before": ledger_before,
        "bronze_first": bronze_after_first,
    }


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def source_records_in_window(store: Path) -> pd.DataFrame:
    """What the hotel system holds for the window, straight from the simulator's store."""
    frame = pd.read_parquet(store)
    updated = pd.to_datetime(frame["updated_at"], utc=True)
    return frame[(updated >= WINDOW[0]) & (updated < WINDOW[1])]


def test_every_record_the_source_holds_is_landed_and_reconciled(pipeline):
    expected = source_records_in_window(pipeline["store"])
    hotel = [r for r in read_ledger(pipeline["cfg"]).to_pylist() if r["source"] == "hotel"]
    assert len(hotel) == 1, "the re-run must reuse the same (content-addressed) batch"
    [batch] = hotel
    assert batch["landed"] == len(expected) > 10
    assert batch["landed"] == batch["loaded"] + batch["quarantined"]


def test_rerunning_the_dag_run_adds_no_rows(pipeline):
    bronze = get_catalog(pipeline["cfg"]).load_table("bronze.hotel__registrations").scan().to_arrow()
    assert bronze.num_rows == pipeline["bronze_first"].num_rows
    assert sorted(bronze["_record_hash"].to_pylist()) == sorted(
        pipeline["bronze_first"]["_record_hash"].to_pylist()
    )


def test_the_maintenance_dag_compacts_the_lake_without_changing_a_row(pipeline):
    """The retention DAG's compact task ran last: the ledger's batch files became one, holding the rows they held,
    and bronze still holds what the first load wrote."""
    assert "ops.batch_ledger" in pipeline["compacted"] and "rewrote" in pipeline["compacted"]
    table = get_catalog(pipeline["cfg"]).load_table("ops.batch_ledger")
    assert len(table.inspect.files()) == 1
    assert (
        read_ledger(pipeline["cfg"]).sort_by("batch_id").equals(pipeline["ledger_before"].sort_by("batch_id"))
    )
    bronze = get_catalog(pipeline["cfg"]).load_table("bronze.hotel__registrations").scan().to_arrow()
    columns = [c for c in bronze.column_names if c != "_ingested_at"]
    key = [("_record_hash", "ascending")]
    assert bronze.select(columns).sort_by(key).equals(pipeline["bronze_first"].select(columns).sort_by(key))


def test_mart_holds_the_expected_rows(pipeline):
    cfg = pipeline["cfg"]
    expected = source_records_in_window(pipeline["store"])
    q = get_catalog(cfg).load_table("quarantine.quarantined_rows").scan().to_arrow().to_pylist()
    quarantined_ids = {json.loads(r["payload"]).get("reg_id") for r in q if r["source"] == "hotel"}
    loaded = expected[~expected["reg_id"].isin(quarantined_ids)]
    checkin = pd.to_datetime(loaded["checkin_time"], utc=True).dt.tz_convert("Asia/Shanghai").dt.date
    expected_daily = loaded.assign(stay_date=checkin).groupby(["stay_date", "district_code"]).size()

    with duckdb.connect(str(cfg.serving_db), read_only=True) as con:
        stays = con.execute("select count(*) from marts.fct_hotel_stays").fetchone()[0]
        daily = con.execute(
            "select stay_date, district_code, stays from marts.metric_hotel_stays_daily order by 1, 2"
        ).fetchall()
    assert stays == loaded["reg_id"].nunique()
    assert {(d, c): n for d, c, n in daily} == {k: int(v) for k, v in expected_daily.items()}


def test_superset_charts_show_the_pipeline_output(pipeline, superset, superset_serving: Serving):
    if not superset_serving.owned:
        pytest.skip("HUITONG_SUPERSET_TEST_HOME given: not publishing into someone else's home")
    release = publish_build(superset_serving.home, pipeline["cfg"].build_db)
    with duckdb.connect(str(release), read_only=True) as con:
        total = con.execute("select sum(stays) from marts.metric_hotel_stays_daily").fetchone()[0]
    client = superset.client()
    seen_total = None
    # The walking skeleton carries the hotel source; the metric dashboards are checked on a fuller city
    # (tests/integration/test_superset.py over the metrics_city marts).
    for dashboard in client.dashboards():
        if dashboard["slug"] != "hotel-stays":
            continue
        for chart in client.dashboard_charts(dashboard["id"]):
            results = client.chart_data(chart["id"], force=True)
            assert results and all(r["rowcount"] > 0 for r in results), chart["slice_name"]
            if chart["form_data"].get("viz_type") == "big_number_total":
                seen_total = results[0]["data"][0]["total_stays"]
    assert seen_total == total > 0
