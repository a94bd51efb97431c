"""The Spark jobs against the single-machine path they must agree with, on a real Spark (local[2], one session):

- bulk backfill: trade uploads with broken and re-sent files landed in windows, loaded by `huitong.ingest.load`
  into Iceberg, then backfilled by Spark from the same landing: the same bronze rows (lineage, record hashes,
  tokens), the same quarantine rows and reasons, the same ledger counts;
- person resolution: the issue's 100k records, the first of a simulated city's person records of every source
  (hotel guests, rental landlords and tenants, parcel senders and recipients without an ID, trade sellers), through
  `huitong er link` (the dbt models on DuckDB, with parameters EM-trained on the input) and through the Spark job
  with those parameters: the same standardised records, candidate pairs and levels, the same linked pairs above
  the threshold and the same clusters. bench/spark_vs_duckdb.py checks the same parity at larger sizes;
- a mart: metric_hotel_stays_daily built by dbt on DuckDB and by the Spark job from the same bronze
  registrations: the same rows.
"""

from __future__ import annotations

import contextlib
from datetime import date, datetime, timedelta, timezone

import pyarrow.parquet as pq
import pytest

from huitong.er.city_input import person_input
from huitong.er.link import link
from huitong.ingest import land_window, load
from huitong.lake.catalog import get_catalog
from huitong.lake.ledger import read_ledger
from huitong.quality.validate import BatchValidationError
from huitong.simulate.serve_trade import upload_dir, write_uploads
from huitong.spark.marts import HOTEL_STAYS_COLUMNS
from huitong.spark.parity import agrees, compare
from tests.integration.source_city import simulated_city

pytestmark = pytest.mark.slow

CITY_TZ = timezone(timedelta(hours=8))
TRADE_CITY = dict(seed=7, scale=0.15, start=date(2025, 2, 1), as_of=date(2025, 3, 1))
TRADE_WINDOWS = [
    (datetime(2025, 2, 3, tzinfo=CITY_TZ), datetime(2025, 2, 10, tzinfo=CITY_TZ)),
    (datetime(2025, 2, 10, tzinfo=CITY_TZ), datetime(2025, 2, 17, tzinfo=CITY_TZ)),
]
PERSON_CITY = dict(seed=20261123, scale=0.62, start=date(2025, 6, 1), as_of=date(2026, 6, 1))  # ~106k records
PERSON_RECORDS = 100_000
MART_CITY = dict(seed=11, scale=0.3, start=date(2025, 6, 1), as_of=date(2026, 6, 1))


@pytest.fixture(scope="session")
def spark():
    from huitong.spark.session import spark_session

    session = spark_session("huitong-tests", "local[2]", {"spark.sql.shuffle.partitions": "4"})
    yield session
    session.stop()


# ------------------------------------------------------------------------------------------------ backfill


@pytest.fixture(scope="module")
def trade(tmp_path_factory, spark):
    from huitong.spark.backfill import backfill

    home = tmp_path_factory.mktemp("spark_trade")
    with simulated_city(home, **TRADE_CITY) as (cfg, _):
        write_uploads(cfg)
        broken = upload_dir(cfg) / "2025-02-05" / "ES_BROKEN"
        broken.mkdir(parents=True)
        (broken / "export.xlsx").write_bytes(b"PK\x03\x04 truncated spreadsheet")
        (broken / "ragged.csv").write_bytes(
            "trade_id,seller_name\nTRX1,李四,多出来的一格\n".encode("gb18030")
        )
        batch_ids = []
        for start, end in TRADE_WINDOWS:
            batch = land_window("trade", start, end, cfg)
            batch_ids.append(batch.batch_id)
            # batch-level checks fail the load after the rows are written; the rows are what we compare
            with contextlib.suppress(BatchValidationError):
                load(batch.batch_id, cfg)
        result = backfill(spark, "trade", "trades", str(home / "spark"), cfg=cfg)
        catalog = get_catalog(cfg)
        yield {
            "result": result,
            "batch_ids": batch_ids,
            "bronze": catalog.load_table("bronze.trade__trades").scan().to_arrow(),
            "quarantine": catalog.load_table("quarantine.quarantined_rows").scan().to_arrow(),
            "ledger": read_ledger(cfg),
            "out": home / "spark",
        }


def _rows(table, columns) -> list[tuple]:
    return sorted(tuple(str(v) for v in row.values()) for row in table.select(columns).to_pylist())


def test_backfill_writes_the_python_loaders_bronze_rows(trade):
    python_bronze = trade["bronze"]
    spark_bronze = pq.read_table(trade["out"] / "bronze" / "trade__trades")
    columns = [c for c in python_bronze.schema.names if c != "_ingested_at"]
    assert set(columns) <= set(spark_bronze.schema.names)
    assert python_bronze.num_rows > 20
    assert _rows(spark_bronze, columns) == _rows(python_bronze, columns)
    assert spark_bronze.column("_extra_fields").null_count == spark_bronze.num_rows  # no unmapped fields here
    assert trade["result"].batches == len(trade["batch_ids"])


def test_backfill_quarantines_the_same_rows_for_the_same_reasons(trade):
    python_q = trade["quarantine"]
    columns = ["source", "entity", "rules", "reason", "payload", "_batch_id", "_source_part", "_source_offset",
               "_record_hash", "_watermark_at"]  # fmt: skip
    spark_q = pq.read_table(trade["out"] / "quarantine")
    assert python_q.num_rows >= 2  # the broken files at least
    assert {"parse"} <= set(python_q.column("rules").to_pylist())
    assert _rows(spark_q, columns) == _rows(python_q, columns)


def test_backfill_ledger_reconciles_like_the_loaders(trade):
    spark_ledger = pq.read_table(trade["out"] / "ledger").to_pylist()
    python_ledger = {r["batch_id"]: r for r in trade["ledger"].to_pylist()}
    assert sorted(r["batch_id"] for r in spark_ledger) == sorted(trade["batch_ids"])
    for row in spark_ledger:
        expected = python_ledger[row["batch_id"]]
        assert (row["landed"], row["loaded"], row["quarantined"]) == (
            expected["landed"], expected["loaded"], expected["quarantined"])  # fmt: skip
        assert row["landed"] == row["loaded"] + row["quarantined"]
    result = trade["result"]
    assert result.landed == result.loaded + result.quarantined == sum(r["landed"] for r in spark_ledger)


# ------------------------------------------------------------------------------------------------ person ER


@pytest.fixture(scope="module")
def persons(tmp_path_factory, spark):
    from huitong.spark.person_er import resolve

    home = tmp_path_factory.mktemp("spark_er")
    with simulated_city(home, **PERSON_CITY) as (cfg, _):
        records = person_input(cfg.sources_dir, home / "input.parquet", PERSON_RECORDS)
    duck = link(home / "input.parquet", home / "duck_clusters.parquet", train=True, tables_dir=home / "duck")
    spark_result = resolve(
        spark, str(home / "input.parquet"), str(home / "spark"), str(home / "duck" / "params.parquet")
    )
    return {"records": records, "duck": duck, "spark": spark_result,
            "diff": compare(home / "duck", home / "spark"), "home": home}  # fmt: skip


def test_person_er_uses_the_trained_parameters(persons):
    params = pq.read_table(persons["home"] / "duck" / "params.parquet").to_pylist()
    assert persons["duck"]["trained"]
    assert {r["origin"] for r in params} == {"trained"}


def test_person_er_spark_gives_the_duckdb_records_pairs_and_clusters(persons):
    diff, result = persons["diff"], persons["spark"]
    assert persons["records"] == PERSON_RECORDS == diff["records_spark"] == diff["records_duckdb"]
    assert diff["records_differing"] == 0, diff
    assert diff["candidate_pairs_spark"] == diff["candidate_pairs_duckdb"] > 0
    assert diff["candidate_pairs_differing"] == 0, diff
    assert diff["max_match_weight_difference"] < 1e-9, diff
    assert diff["links_only_duckdb"] == diff["links_only_spark"] == 0, diff
    assert diff["links_spark"] == result.links > 0
    assert diff["records_with_other_entity"] == 0, diff
    assert diff["entities_spark"] == diff["entities_duckdb"] == result.entities < PERSON_RECORDS
    assert agrees(diff)


# ------------------------------------------------------------------------------------------------ Airflow wiring

# ------------------------------------------------------------------------------------------------ marts


@pytest.fixture(scope="module")
def hotel_stays(tmp_path_factory, spark):
    import duckdb

    from huitong.spark.marts import hotel_stays_daily

    from .er_person_fixtures import dbt, load_store_bronze

    home = tmp_path_factory.mktemp("spark_mart")
    with simulated_city(home, **MART_CITY) as (cfg, _):
        for name in ("hotel.registrations", "reference.admin_divisions"):
            load_store_bronze(cfg, name)
        built = dbt(cfg, "run", "--select", "+metric_hotel_stays_daily")
        assert built.returncode == 0, built.stdout[-4000:]
        with duckdb.connect(str(cfg.build_db)) as con:
            for table, path in (
                ("bronze.hotel__registrations", "bronze_hotel"),
                ("marts.dim_jurisdiction", "dim"),
            ):
                con.execute(f"copy {table} to '{home / path}.parquet' (format parquet)")
            duck = con.execute("select * from marts.metric_hotel_stays_daily").to_arrow_table()
    result = hotel_stays_daily(
        spark,
        str(home / "bronze_hotel.parquet"),
        str(home / "dim.parquet"),
        str(home / "spark_stays"),
        cfg.timezone,
    )
    return {"duck": duck, "spark": pq.read_table(home / "spark_stays"), "result": result}


def test_hotel_stays_mart_on_spark_equals_the_dbt_model(hotel_stays):
    duck, spark = hotel_stays["duck"], hotel_stays["spark"]

    def rows(table) -> list[tuple]:
        return sorted((tuple(r.values()) for r in table.select(HOTEL_STAYS_COLUMNS).to_pylist()), key=repr)

    assert duck.num_rows > 100
    assert rows(spark) == rows(duck)
    assert hotel_stays["result"].registrations == sum(duck.column("stays").to_pylist())
    assert hotel_stays["result"].rows == duck.num_rows


DAG_PROBE = """
import json, sys
from airflow.models.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
out = {"errors": {k: str(v) for k, v in bag.import_errors.items()}, "dags": {}}
for dag in bag.dags.values():
    task = dag.tasks[0]
    out["dags"][dag.dag_id] = {"tasks": [t.task_id for t in dag.tasks], "schedule": type(dag.timetable).__name__,
                               "command": task._get_hook()._build_spark_submit_command(task.application),
                               "env": task.env_vars}
print(json.dumps(out))
"""


def test_dags_submit_to_the_configured_master(tmp_path):
    """No schedule, one spark-submit task each, and the master comes from HUITONG_SPARK_MASTER. No secret goes into
    the task's env_vars (Airflow shows them; Kubernetes' spark-submit gets them on its command line)."""
    import json
    import subprocess

    from tests.conftest import PROJECT_ROOT, VENVS, airflow_env

    master = "spark://spark-master:7077"
    secrets = {
        "HUITONG_HMAC_KEY": "probe-hmac-secret",
        "HUITONG_CATALOG_URI": "postgresql://u:probe-pw@db/cat",
    }
    env = airflow_env(tmp_path, HUITONG_SPARK_MASTER=master, **secrets)
    env.pop("AIRFLOW_CONN_HUITONG_SPARK", None)
    done = subprocess.run(
        [str(VENVS / "airflow" / "bin" / "python"), "-c", DAG_PROBE, str(PROJECT_ROOT / "dags" / "spark_jobs.py")],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    bag = json.loads(done.stdout.strip().splitlines()[-1])
    assert bag["errors"] == {}
    jobs = {"spark_backfill": "backfill_bronze", "spark_person_er": "person_er", "spark_marts": "marts"}
    assert set(bag["dags"]) == set(jobs)
    for dag_id, job in jobs.items():
        dag = bag["dags"][dag_id]
        assert dag["tasks"] == [job] and dag["schedule"] == "NullTimetable"  # manual runs only
        command = dag["command"]
        assert command[:3] == ["spark-submit", "--master", master]
        assert str(PROJECT_ROOT / "spark_jobs" / f"{job}.py") in command
        assert dag["env"]["HUITONG_SPARK_MASTER"] == master  # settings go along
        assert not set(secrets) & set(dag["env"]) and "probe" not in json.dumps(dag), dag["env"]
