"""Person entity resolution: Spark (local[2]) against the DuckDB path (the dbt models, 2 threads) on the same records.

For each size: the first N person records of a simulated city (by updated_at) as the documented person input
(`huitong.er.city_input.person_input`): hotel registrations (`--persons hotel`, the default) or every person source
(`--persons all`: hotel guests, rental landlords and tenants, parcel senders and recipients, trade sellers), then (a) the DuckDB baseline, `huitong.er.link` with the committed parameters (the dbt person models in a
throwaway project; DuckDB on this 2-core machine uses 2 threads) and (b) `spark-submit --master local[2]
spark_jobs/person_er.py` with the same parameters. Each path runs as its own process tree; wall time and peak
memory (the tree's summed RSS, sampled every 0.2 s) are measured from outside. The outputs are compared
(huitong.spark.parity) so every row of the result says whether the two paths agreed.

    .venvs/core/bin/python bench/spark_vs_duckdb.py [--sizes 10000 100000 1000000] [--home CITY_HOME]
        [--persons all] [--spark-driver-memory 4g] [--spark-shuffle-partitions 8]

Without --home it simulates a city big enough for the largest size under --work (scale 27 for 1M registrations,
scale 64 for 10M person records of every source). DuckDB's memory limit is `er link`'s (HUITONG_ER_MEMORY_LIMIT,
default auto: scaled to the input); Spark's driver memory and shuffle partitions are options, recorded per row.

Writes bench/results/spark_vs_duckdb.json and spark_vs_duckdb.png (time and memory against size, Spark / DuckDB;
`--persons all`: spark_vs_duckdb_all_sources.json and .png); rows of sizes this run did not measure are kept from
the previous JSON (marked earlier_run).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import (  # noqa: E402
    CORE_BIN,
    PER_SCALE,
    RESULTS,
    ROOT,
    machine,
    person_sources,
    run_measured,
    run_sizes,
    save_results,
    simulated_city,
    with_earlier_rows,
)

RESULT_NAME = {"hotel": "spark_vs_duckdb", "all": "spark_vs_duckdb_all_sources"}

DUCKDB_RUN = """
import sys
from pathlib import Path
from huitong.er.link import link
Path(sys.argv[2]).mkdir(parents=True, exist_ok=True)
link(Path(sys.argv[1]), Path(sys.argv[2]) / "clusters_out.parquet", train=False, tables_dir=Path(sys.argv[2]),
     work_dir=Path(sys.argv[2]))
"""


def bench_size(home: Path, sources: tuple[str, ...], size: int, work: Path, timeout: float,
               spark_conf: dict) -> dict:  # fmt: skip
    from huitong.er.city_input import person_input
    from huitong.er.link import memory_limit
    from huitong.spark.parity import agrees, compare

    work.mkdir(parents=True, exist_ok=True)
    records = person_input(home / "sources", work / "input.parquet", size, sources)
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable,
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "TMPDIR": str(work)}  # fmt: skip
    duck = run_measured([sys.executable, "-c", DUCKDB_RUN, str(work / "input.parquet"), str(work / "duck")],
                        env, timeout)  # fmt: skip
    spark = run_measured(
        [str(CORE_BIN / "spark-submit"), "--master", "local[2]", "--driver-memory", spark_conf["driver_memory"],
         "--conf", f"spark.sql.shuffle.partitions={spark_conf['shuffle_partitions']}",
         "--conf", "spark.ui.enabled=false", "--conf", f"spark.local.dir={work / 'spark_tmp'}",
         str(ROOT / "spark_jobs" / "person_er.py"), "--input", str(work / "input.parquet"),
         "--output", str(work / "spark")],
        env, timeout,
    )  # fmt: skip
    row = {"records": records, "duckdb": duck, "spark": spark,
           "settings": {"duckdb_memory_limit": memory_limit(records), "duckdb_threads": 2, "spark_master": "local[2]",
                        **{f"spark_{k}": v for k, v in spark_conf.items()}}}  # fmt: skip
    if duck["ok"] and spark["ok"]:
        diff = compare(work / "duck", work / "spark")
        row["parity"] = {"agrees": agrees(diff), **diff}
        row["time_ratio_spark_over_duckdb"] = spark["seconds"] / duck["seconds"]
        row["memory_ratio_spark_over_duckdb"] = spark["peak_mb"] / max(duck["peak_mb"], 1e-9)
    return row


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(11, 4.2))
    for engine, colour in (("duckdb", "tab:blue"), ("spark", "tab:orange")):
        ok = [r for r in rows if r[engine]["ok"]]
        sizes = [r["records"] for r in ok]
        ax_t.plot(sizes, [r[engine]["seconds"] for r in ok], "o-", color=colour, label=engine)
        ax_m.plot(sizes, [r[engine]["peak_mb"] for r in ok], "o-", color=colour, label=engine)
    for ax, label in ((ax_t, "wall time (s)"), (ax_m, "peak memory of the process tree (MB)")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("person records")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.suptitle("Person ER: Spark local[2] vs DuckDB (dbt models), same input, same parameters")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def write_results(rows: list[dict], name: str) -> None:
    rows = with_earlier_rows(name, rows)
    out = {
        "benchmark": "person ER, Spark local[2] vs DuckDB (dbt person models), same records and parameters",
        "machine": machine(),
        "baseline": "duckdb",
        "rows": rows,
    }
    save_results(name, out, lambda png: plot(rows, png))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--home", type=Path, help="a simulated city's HUITONG_HOME (default: simulate one)")
    parser.add_argument("--persons", choices=("hotel", "all"), default="hotel",
                        help="hotel registrations only, or every person source of the city")  # fmt: skip
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument(
        "--spark-driver-memory", default="4g", help="spark-submit --driver-memory (local mode: all)"
    )
    parser.add_argument(
        "--spark-shuffle-partitions", type=int, default=8, help="spark.sql.shuffle.partitions"
    )
    parser.add_argument("--work", type=Path, default=Path("/tmp/huitong-bench-spark"))
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per path and size")
    parser.add_argument("--keep", action="store_true", help="keep the work folders")
    args = parser.parse_args()

    sources = person_sources(args.persons)
    home = args.home or simulated_city(args.work / "city", max(args.sizes), PER_SCALE[args.persons])
    spark_conf = {
        "driver_memory": args.spark_driver_memory,
        "shuffle_partitions": args.spark_shuffle_partitions,
    }

    def bench_one(size: int, work: Path) -> dict:
        started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        row = bench_size(home, sources, size, work, args.timeout, spark_conf)
        return {"started_at": started, "persons": args.persons, **row}

    run_sizes(args.sizes, args.work, args.keep, bench_one,
              lambda rows: write_results(rows, RESULT_NAME[args.persons]))  # fmt: skip
    print(f"wrote {RESULTS / RESULT_NAME[args.persons]}.json and .png")


if __name__ == "__main__":
    main()
