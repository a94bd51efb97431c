"""Every person source (hotel registrations, rental landlords / tenants / contracts, parcel waybills, trades, and the
business registry for their jurisdictions) from the simulator's stores straight into the DuckDB build's `bronze`
schema, in the shape `huitong ingest load` writes (all text, keyed tokens, lineage columns), so the person models can
be built and evaluated without the extract round trips the source DAG tests already cover."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from huitong.config import Settings
from huitong.er.reference_data import DBT_DIR
from huitong.ingest import column_tokens
from huitong.sources import get_source

PERSON_MODELS = "+dim_person +fct_person_link_explanations"


# Every bronze table the person model reads (directly or for a jurisdiction): source.entity -> its store's path
# under the simulator's sources folder.
PERSON_STORES = {
    "hotel.registrations": "hotel/registrations.parquet",
    "rental.landlords": "rental/landlords.parquet",
    "rental.tenants": "rental/tenants.parquet",
    "rental.contracts": "rental/contracts.parquet",
    "parcel.waybills": "parcel/waybills.parquet",
    "trade.trades": "trade/trades.parquet",
    "reference.key_businesses": "reference/key_businesses.parquet",
}
# Other stores a test may load the same way (not read by the person model).
OTHER_STORES = {"reference.admin_divisions": "reference/admin_divisions.csv"}


def load_store_bronze(cfg: Settings, name: str, before: str | None = None) -> int:
    """(Re)create bronze.<source>__<entity> in the build DuckDB from the simulator's store of `name` (all text,
    the source's keyed tokens, lineage columns with `updated_at` as the watermark). `before` (an `updated_at` text)
    keeps the rows written before it (an earlier state of the same city); a store without `updated_at` (the
    registry snapshot) is loaded whole."""
    source = get_source(name)
    path = cfg.sources_dir / {**PERSON_STORES, **OTHER_STORES}[name]
    if path.suffix == ".csv":
        options = pacsv.ConvertOptions(column_types=dict.fromkeys(source.columns, pa.string()))
        table = pacsv.read_csv(path, convert_options=options)
    else:
        table = pq.read_table(path)
    table = pa.table({c: pc.cast(table[c], pa.string()) for c in table.column_names})
    if before is not None and "updated_at" in table.column_names:
        table = table.filter(pc.less(table["updated_at"], before))
    key = cfg.hmac_key()
    for column, kind in source.pseudonymised:  # the loader's own tokens (once per distinct value)
        table = table.append_column(
            f"{column}_token", column_tokens(key, kind, table[column], table.num_rows)
        )
    mark = "updated_at" if "updated_at" in table.column_names else "'2026-01-01T00:00:00+08:00'"
    cfg.build_db.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(cfg.build_db)) as con:
        con.register("incoming", table)
        con.execute("create schema if not exists bronze")
        con.execute(
            f"create or replace table bronze.{source.name}__{source.entity} as select *, 'test-batch' as _batch_id,"
            f" cast({mark} as timestamptz) as _ingested_at, md5(cast(incoming as varchar)) as _record_hash,"
            f" cast({mark} as timestamptz) as _watermark_at from incoming"
        )
    return table.num_rows


def load_person_bronze(cfg: Settings, share: float | None = None) -> dict[str, int]:
    """Every source the person model reads. With `share`, the city as it stood when that share of the hotel
    registrations had been written: every source cut at the same instant (cutting each source at its own share
    would load a landlord registered before a tenant's contract only after the tenant)."""
    before = None
    if share is not None:
        written = pq.read_table(
            cfg.sources_dir / PERSON_STORES["hotel.registrations"], columns=["updated_at"]
        )
        before = written["updated_at"][int(written.num_rows * share)].as_py()
    return {name: load_store_bronze(cfg, name, before) for name in PERSON_STORES}


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
