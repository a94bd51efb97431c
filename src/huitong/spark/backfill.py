"""Bulk backfill on Spark: a source's landed history -> bronze-shaped Parquet, one Spark task per landed batch.

Each task runs the Python loader's own preparation (`huitong.ingest.prepare_load`: parse, record hashes, the
duplicate / watermark / window checks, Great Expectations row rules, pseudonymisation), so a row lands in bronze
or in the quarantine for the same reason, with the same `_record_hash`, as `huitong ingest load` puts it there.
Only the write differs: Parquet datasets instead of window-replacing Iceberg commits (locally Spark has no
Iceberg runtime; production writes the same frames to Iceberg through the catalog in infra/spark/).

Output under `output_dir`:
- `bronze/<source>__<entity>/`: the source columns (text), the keyed tokens and the lineage columns of bronze;
  fields a batch carries beyond the source's documented columns go to `_extra_fields` (JSON), since one Spark
  dataset has one schema (the Python loader evolves the Iceberg table instead);
- `quarantine/`: source, entity, rules, reason, payload + lineage, as quarantine.quarantined_rows;
- `ledger/`: per batch landed = loaded + quarantined, and the batch-level checks that failed (the Python loader
  fails the task on those after writing the rows; the backfill records them and goes on).
Every output is replaced as a whole by each run (one Spark job commit).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from huitong.lake import bronze

QUARANTINE_COLUMNS = ("source", "entity", "rules", "reason", "payload")
LEDGER_COLUMNS = ("batch_id", "source", "entity", "window_start", "window_end", "landed", "loaded",
                  "quarantined", "failed_batch_checks")  # fmt: skip
KIND = "_kind"  # bronze / quarantine / ledger: one pass over the landed data gives all three outputs
EXTRA = "_extra_fields"


@dataclass(frozen=True)
class Layout:
    """The columns of the one wide frame the tasks return, and which of them each output keeps."""

    bronze: tuple[str, ...]  # source columns + token columns
    quarantine: tuple[str, ...] = tuple(f"_q_{c}" for c in QUARANTINE_COLUMNS)
    ledger: str = "_ledger"  # JSON of the ledger row

    @property
    def schema(self) -> pa.Schema:
        text = [pa.field(c, pa.string()) for c in (KIND, *self.bronze, EXTRA, *self.quarantine, self.ledger)]
        # all nullable: one frame carries three kinds of rows (a ledger row has no lineage)
        return pa.schema(text + [f.with_nullable(True) for f in bronze.LINEAGE_FIELDS])


def layout_for(source_name: str, entity: str | None = None) -> Layout:
    from huitong.sources import get_source

    source = get_source(source_name, entity)
    tokens = [f"{column}_token" for column, _ in source.pseudonymised]
    return Layout(bronze=(*source.columns, *tokens))


def batches_in(source: str, entity: str, start: datetime | None = None, end: datetime | None = None,
               cfg=None) -> list[str]:  # fmt: skip
    """Landed batch ids of a source whose window lies inside [start, end) (all when open)."""
    from huitong.lake.landing import list_batches, load_batch

    chosen = []
    for batch_id in list_batches(source, entity, cfg):
        batch = load_batch(batch_id, cfg)
        if (start is None or batch.window_start >= start) and (end is None or batch.window_end <= end):
            chosen.append(batch_id)
    return chosen


def _aligned(
    table: pa.Table, names: list[str], layout: Layout, kind: str, rename: dict[str, str]
) -> pa.Table:
    """`table` in the layout's schema: renamed, missing columns NULL, extra source fields as JSON."""
    n = table.num_rows
    extra_names = [c for c in names if c not in rename and c not in bronze.LINEAGE_NAMES]
    columns = {}
    for field in layout.schema:
        source_name = next((k for k, v in rename.items() if v == field.name), None)
        if field.name == KIND:
            columns[field.name] = pa.array([kind] * n, pa.string())
        elif field.name == EXTRA and extra_names:
            rows = table.select(extra_names).to_pylist()
            columns[field.name] = pa.array(
                [json.dumps({k: v for k, v in r.items() if v is not None}, ensure_ascii=False, sort_keys=True)
                 for r in rows], pa.string())  # fmt: skip
        elif source_name is not None and source_name in names:
            columns[field.name] = table[source_name].cast(field.type)
        elif field.name in bronze.LINEAGE_NAMES and field.name in names:
            columns[field.name] = table[field.name].cast(field.type)
        else:
            columns[field.name] = pa.nulls(n, field.type)
    return pa.table(columns, schema=layout.schema)


def prepare_batch(batch_id: str, layout: Layout, now: datetime, cfg=None) -> pa.Table:
    """One landed batch as the wide frame: its bronze rows, its quarantine rows and its ledger row."""
    from huitong.ingest import prepare_load

    prepared = prepare_load(batch_id, cfg, now=now)
    entry = prepared.reconciled()  # as the Python loader: a batch whose split lost a row fails its task
    good, quarantine = prepared.good, prepared.quarantine
    bronze_part = _aligned(good, good.schema.names, layout, "bronze", {c: c for c in layout.bronze})
    q_rename = dict(zip(QUARANTINE_COLUMNS, layout.quarantine, strict=True))
    quarantine_part = _aligned(quarantine, quarantine.schema.names, layout, "quarantine", q_rename)
    failed = [c.name for c in prepared.result.batch_checks if not c.success]
    ledger_row = {
        "batch_id": batch_id, "source": prepared.source.name, "entity": prepared.source.entity,
        "window_start": prepared.start.isoformat(), "window_end": prepared.end.isoformat(),
        "landed": entry.landed, "loaded": entry.loaded, "quarantined": entry.quarantined,
        "failed_batch_checks": ",".join(failed) or None,
    }  # fmt: skip
    ledger_part = pa.table(
        {f.name: pa.array([json.dumps(ledger_row)] if f.name == layout.ledger
                          else ["ledger"] if f.name == KIND else [None], f.type)
         for f in layout.schema},
        schema=layout.schema,
    )  # fmt: skip
    return pa.concat_tables([bronze_part, quarantine_part, ledger_part])


def _tasks(layout: Layout, now: datetime, cfg):
    """The function each task runs. `cfg` travels with it (pickled): executors need not share the driver's
    environment, only access to landing (a shared path or object store in production) and the HMAC key."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for ids in batches:
            for batch_id in ids.column("batch_id").to_pylist():
                yield from prepare_batch(batch_id, layout, now, cfg).to_batches()

    return run


@dataclass(frozen=True)
class BackfillResult:
    batches: int
    landed: int
    loaded: int
    quarantined: int
    batches_with_failed_checks: int
    output: str


def backfill(spark, source: str, entity: str, output_dir: str, start: datetime | None = None,
             end: datetime | None = None, cfg=None) -> BackfillResult:  # fmt: skip
    """Every landed batch of source.entity in [start, end) -> output_dir/{bronze/<source>__<entity>,quarantine,
    ledger} (Parquet)."""
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    from huitong.config import settings

    cfg = cfg or settings()
    cfg.hmac_key()  # on the driver: fails early without a key, and tasks never race to create one
    ids = batches_in(source, entity, start, end, cfg)
    if not ids:
        raise ValueError(f"no landed batches of {source}.{entity} in [{start}, {end}): land them first")
    layout = layout_for(source, entity)
    now = datetime.now(UTC)
    base = str(output_dir).rstrip("/") if "://" in str(output_dir) else str(Path(output_dir).resolve())
    staging = f"{base}/_staging"
    # One pass of the Python tasks into a staging dataset, then three JVM-only splits of it: the landed data is
    # parsed and validated once whatever the cache does.
    (
        spark.createDataFrame([(i,) for i in ids], "batch_id string")
        .repartition(min(len(ids), spark.sparkContext.defaultParallelism * 4), "batch_id")
        .mapInArrow(_tasks(layout, now, cfg), from_arrow_schema(layout.schema))
        .write.mode("overwrite")
        .parquet(staging)
    )
    frame = spark.read.parquet(staging)
    lineage = list(bronze.LINEAGE_NAMES)
    (frame.where(F.col(KIND) == "bronze").select(*layout.bronze, EXTRA, *lineage)
     .write.mode("overwrite").parquet(f"{base}/bronze/{source}__{entity}"))  # fmt: skip
    quarantine = [F.col(q).alias(c) for q, c in zip(layout.quarantine, QUARANTINE_COLUMNS, strict=True)]
    (frame.where(F.col(KIND) == "quarantine").select(*quarantine, *lineage)
     .write.mode("overwrite").parquet(f"{base}/quarantine"))  # fmt: skip
    ledger_schema = (
        "batch_id string, source string, entity string, window_start string, window_end string,"
        " landed long, loaded long, quarantined long, failed_batch_checks string"
    )
    ledger = frame.where(F.col(KIND) == "ledger").select(F.from_json(layout.ledger, ledger_schema).alias("l"))
    ledger.select("l.*").write.mode("overwrite").parquet(f"{base}/ledger")
    _remove(spark, staging)
    totals = spark.read.parquet(f"{base}/ledger").agg(
        F.count(F.lit(1)), F.sum("landed"), F.sum("loaded"), F.sum("quarantined"),
        F.count("failed_batch_checks"),
    ).first()  # fmt: skip
    return BackfillResult(int(totals[0]), int(totals[1] or 0), int(totals[2] or 0), int(totals[3] or 0),
                          int(totals[4]), base)  # fmt: skip


def _remove(spark, path: str) -> None:
    """Delete a dataset through Hadoop's FileSystem (local disk, HDFS or an object store alike)."""
    jvm = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()).delete(hadoop_path, True)
