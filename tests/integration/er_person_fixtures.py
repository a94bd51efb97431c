"""Hotel registrations from the simulator's store straight into the DuckDB build's `bronze` schema, in the shape
`huitong ingest load` writes (all text, keyed tokens, lineage columns), so the person models can be built and
evaluated without the API round trip the hotel DAG tests already cover."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from huitong.config import Settings
from huitong.er.reference_data import DBT_DIR
from huitong.pseudonymise import token

PERSON_MODELS = "+dim_person +fct_person_link_explanations"


def load_hotel_bronze(cfg: Settings, store: Path | None = None, limit: int | None = None) -> int:
    """(Re)create bronze.hotel__registrations in the build DuckDB from the simulator's registrations store.
    `limit` keeps the first rows in `updated_at` order (an earlier state of the same city)."""
    table = pq.read_table(store or cfg.sources_dir / "hotel" / "registrations.parquet")
    if limit is not None:
        table = table.slice(0, limit)
    key = cfg.hmac_key()
    rows = table.to_pylist()
    extra = {
        "id_number_token": [token(key, "resident_id", r["id_number"]) for r in rows],
        "phone_token": [token(key, "phone", r["phone"]) for r in rows],
    }
    for name, values in extra.items():
        table = table.append_column(name, pa.array(values, pa.string()))
    cfg.build_db.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(cfg.build_db)) as con:
        con.register("incoming", table)
        con.execute("create schema if not exists bronze")
        con.execute(
            "create or replace table bronze.hotel__registrations as select *, 'test-batch' as _batch_id,"
            " cast(updated_at as timestamptz) as _ingested_at, md5(reg_id) as _record_hash,"
            " cast(updated_at as timestamptz) as _watermark_at from incoming"
        )
    return table.num_rows


def dbt(cfg: Settings, *args: str, target: str = "duckdb") -> subprocess.CompletedProcess:
    """The real project's dbt, as the transform DAG runs it (cwd dbt_project, profiles there)."""
    env = {**os.environ, "HUITONG_HOME": str(cfg.home), "DBT_PROFILES_DIR": str(DBT_DIR),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}  # fmt: skip
    dbt_bin = Path(sys.executable).with_name("dbt")
    target_dir = cfg.home / "dbt_target"
    log_dir = cfg.home / "dbt_logs"
    cmd = [
        str(dbt_bin),
        *args,
        "--target",
        target,
        "--target-path",
        str(target_dir),
        "--log-path",
        str(log_dir),
    ]
    return subprocess.run(cmd, cwd=DBT_DIR, env=env, capture_output=True, text=True, check=False)
