"""Landing -> bronze throughput per source, against DuckDB reading the same landed bytes raw, in the same run.

For each source: land one large window, then time (a) `huitong.ingest.load` — parse, hash, validate with Great
Expectations, pseudonymise, write bronze + quarantine + ledger — and (b) DuckDB reading the same landed parts into
a table (the floor: no validation, no lineage). Reports records/s and the ratio load/raw; writes
bench/results/ingest_throughput.json and a bar chart ingest_throughput.png.

    .venvs/core/bin/python bench/ingest_throughput.py --scale 1.0
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def raw_read_seconds(batch, reader: str) -> float:
    import duckdb

    files = [str(batch.path / "parts" / p["name"]) for p in batch.parts]
    con = duckdb.connect()
    started = time.perf_counter()
    if reader == "json_pages":  # API pages: {"data": [...], "next_cursor": ...}
        con.execute("create table raw as select unnest(data, max_depth := 2) from read_json(?, format='auto')", [files])
    elif reader == "csv":
        con.execute("create table raw as select * from read_csv(?, all_varchar=true)", [files])
    else:  # newline-delimited JSON, gzipped or not
        con.execute("create table raw as select * from read_json(?, format='newline_delimited')", [files])
    rows = con.execute("select count(*) from raw").fetchone()[0]
    elapsed = time.perf_counter() - started
    assert rows > 0, "the raw read found no rows"
    return elapsed


def bench_hotel(cfg, start: datetime, end: datetime) -> dict:
    from huitong.ingest import land_window, load
    from huitong.simulate.hotel_api import running_server

    store = cfg.sources_dir / "hotel" / "registrations.parquet"
    with running_server(store_path=store, port=0, error_rate=0.0, rate_per_s=0) as url:
        os.environ["HUITONG_HOTEL_API_URL"] = url
        from huitong.config import load_settings

        batch = land_window("hotel", start, end, load_settings())
    started = time.perf_counter()
    result = load(batch.batch_id, cfg)
    load_s = time.perf_counter() - started
    raw_s = raw_read_seconds(batch, "json_pages")
    return {"source": "hotel", "format": "JSON API pages", "records": result.landed, "load_s": load_s, "raw_s": raw_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--home", help="HUITONG_HOME to use (default: a temporary folder)")
    args = parser.parse_args()
    home = Path(args.home or tempfile.mkdtemp(prefix="huitong-bench-"))
    os.environ["HUITONG_HOME"] = str(home)
    from huitong.config import load_settings
    from huitong.simulate import simulate

    cfg = load_settings()
    as_of = date(2026, 11, 1)
    print(f"simulating scale {args.scale} into {home} ...", flush=True)
    simulate(cfg, seed=11, scale=args.scale, start=date(2026, 1, 1), as_of=as_of, log=lambda _: None)
    window = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
    rows = [bench_hotel(cfg, *window)]
    for row in rows:
        row["load_rps"] = row["records"] / row["load_s"]
        row["raw_rps"] = row["records"] / row["raw_s"]
        row["ratio"] = row["load_s"] / row["raw_s"]
        print(f"{row['source']:>8} {row['records']:>9,} records  load {row['load_rps']:>10,.0f} rec/s  "
              f"raw DuckDB {row['raw_rps']:>12,.0f} rec/s  load/raw {row['ratio']:.1f}x", flush=True)  # fmt: skip
    RESULTS.mkdir(exist_ok=True)
    out = {"scale": args.scale, "cores": os.cpu_count(), "measured_at": datetime.now(UTC).isoformat(), "rows": rows}
    (RESULTS / "ingest_throughput.json").write_text(json.dumps(out, indent=1))
    plot(rows, RESULTS / "ingest_throughput.png")


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.5))
    names = [r["source"] for r in rows]
    x = range(len(rows))
    ax.bar([i - 0.2 for i in x], [r["load_rps"] for r in rows], width=0.4, label="huitong load (validated, lineage)")
    ax.bar([i + 0.2 for i in x], [r["raw_rps"] for r in rows], width=0.4, label="DuckDB raw read (floor)")
    ax.axhline(100_000, color="grey", linestyle="--", linewidth=1, label="goal: 100k records/s")
    ax.set_xticks(list(x), names)
    ax.set_yscale("log")
    ax.set_ylabel("records / s")
    ax.set_title("Landing -> bronze throughput (2 cores)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    main()
