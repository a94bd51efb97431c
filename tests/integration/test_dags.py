"""Every DAG imports (DagBag, no import errors) and has the wiring we rely on. Runs in the Airflow venv."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.conftest import VENVS, airflow_env

pytestmark = pytest.mark.slow

PROBE = """
import json
from airflow.models.dagbag import DagBag
bag = DagBag()
print(json.dumps({
    "errors": {k: str(v) for k, v in bag.import_errors.items()},
    "dags": {d.dag_id: {"tasks": sorted(t.task_id for t in d.tasks), "schedule": type(d.timetable).__name__,
                        "retries": d.default_args.get("retries"), "catchup": d.catchup,
                        "start": d.start_date.isoformat(), "tags": sorted(d.tags),
                        "outlets": {t.task_id: len(t.outlets) for t in d.tasks if t.outlets}}
             for d in bag.dags.values()},
}))
"""


def test_every_dag_imports_with_its_wiring(tmp_path):
    out = subprocess.run(
        [str(VENVS / "airflow" / "bin" / "python"), "-c", PROBE],
        env={**airflow_env(tmp_path), "HUITONG_SCHEDULE_START": "2026-03-01"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    bag = json.loads(out.stdout.strip().splitlines()[-1])
    assert bag["errors"] == {}
    dags = bag["dags"]
    assert {"hotel", "reference", "history_load", "transform"} <= set(dags)
    assert dags["hotel"]["tasks"] == ["land", "load"]
    assert dags["hotel"]["retries"] >= 1
    # The transform builds the dbt project layer by layer (one Cosmos `dbt build` each), then publishes.
    layers = ["sync_lake_views", "dbt_staging", "dbt_intermediate", "dbt_marts", "publish"]
    assert dags["transform"]["tasks"] == sorted(layers)
    # The dbt docs follow every publish (the serving asset), outside the build's own run.
    assert dags["docs"]["tasks"] == ["generate"]
    # A history load updates the bronze assets once, at its end: the transform builds once on the whole history.
    backfills = [t for t in dags["history_load"]["tasks"] if t.startswith("backfill_")]
    assert len(backfills) >= 8 and "history_loaded" in dags["history_load"]["tasks"]
    assert dags["history_load"]["outlets"] == {"history_loaded": len(backfills)}
    # Spark jobs: manual runs (no schedule), one spark-submit task each (tests/integration/test_spark_jobs.py
    # checks the master they submit to).
    assert dags["spark_backfill"]["tasks"] == ["backfill_bronze"]
    assert dags["spark_person_er"]["tasks"] == ["person_er"]
    assert dags["spark_marts"]["tasks"] == ["marts"]
    assert {dags[d]["schedule"] for d in ("spark_backfill", "spark_person_er", "spark_marts")} == {
        "NullTimetable"
    }
    # The interval DAGs catch up from HUITONG_SCHEDULE_START (midnight city time): after an outage no interval is
    # skipped. The monthly reference snapshot does not need to (its next snapshot holds everything).
    sources = {d for d, v in dags.items() if "source" in v["tags"]} - {"reference"}
    assert {"hotel", "rental", "parcel", "trade", "camera", "public_safety", "audit"} <= sources
    # (Airflow keeps start_date in UTC: 2026-03-01 00:00 +08:00.)
    assert {(dags[d]["catchup"], dags[d]["start"]) for d in sources} == {(True, "2026-02-28T16:00:00+00:00")}
