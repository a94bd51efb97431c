"""Person entity resolution: Spark (local[2]) against the DuckDB path (the dbt models, 2 threads) on the same records.

For each size: the first N hotel registrations of a simulated city (by updated_at) as the documented person input,
then (a) the DuckDB baseline, `huitong.er.link` with the committed parameters (the dbt person models in a
throwaway project; DuckDB on this 2-core machine uses 2 threads) and (b) `spark-submit --master local[2]
spark_jobs/person_er.py` with the same parameters. Each path runs as its own process tree; wall time and peak
memory (the tree's summed RSS, sampled every 0.2 s) are measured from outside. The outputs are compared
(huitong.spark.parity) so every row of the result says whether the two paths agreed.

    .venvs/core/bin/python bench/spark_vs_duckdb.py [--sizes 10000 100000 1000000] [--registrations R.parquet]

Without --registrations it simulates a city big enough for the largest size under --work (scale 27 for 1M).

Writes bench/results/spark_vs_duckdb.json and spark_vs_duckdb.png (time and memory against size, Spark / DuckDB).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import (  # noqa: E402
    CORE_BIN,
    RESULTS,
    ROOT,
    machine,
    run_measured,
    run_sizes,
    save_results,
    simulated_registrations,
)

DUCKDB_RUN = """
import sys
from pathlib import Path
from huitong.er.link import link
Path(sys.argv[2]).mkdir(parents=True, exist_ok=True)
link(Path(sys.argv[1]), Path(sys.argv[2]) / "clusters_out.parquet", train=False, tables_dir=Path(sys.argv[2]),
     work_dir=Path(sys.argv[2]))
"""


def bench_size(registrations: Path, size: int, work: Path, timeout: float) -> dict:
    from huitong.spark.parity import agrees, compare, hotel_person_input

    work.mkdir(parents=True, exist_ok=True)
    records = hotel_person_input(registrations, work / "input.parquet", size)
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable,
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}  # fmt: skip
    duck = run_measured([sys.executable, "-c", DUCKDB_RUN, str(work / "input.parquet"), str(work / "duck")],
                        env, timeout)  # fmt: skip
    spark = run_measured(
        [str(CORE_BIN / "spark-submit"), "--master", "local[2]", "--driver-memory", "4g",
         "--conf", "spark.sql.shuffle.partitions=8", "--conf", "spark.ui.enabled=false",
         str(ROOT / "spark_jobs" / "person_er.py"), "--input", str(work / "input.parquet"),
         "--output", str(work / "spark")],
        env, timeout,
    )  # fmt: skip
    row = {"records": records, "duckdb": duck, "spark": spark}
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


def write_results(rows: list[dict]) -> None:
    out = {
        "benchmark": "person ER, Spark local[2] vs DuckDB (dbt person models), same records and parameters",
        "machine": machine(),
        "baseline": "duckdb",
        "rows": rows,
    }
    save_results("spark_vs_duckdb", out, lambda png: plot(rows, png))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--registrations",
        type=Path,
        help="simulator's hotel registrations.parquet (default: simulate a city)",
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--work", type=Path, default=Path("/tmp/huitong-bench-spark"))
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per path and size")
    parser.add_argument("--keep", action="store_true", help="keep the work folders")
    args = parser.parse_args()

    registrations = args.registrations or simulated_registrations(args.work / "city", max(args.sizes))
    run_sizes(args.sizes, args.work, args.keep,
              lambda size, work: bench_size(registrations, size, work, args.timeout), write_results)  # fmt: skip
    print(f"wrote {RESULTS / 'spark_vs_duckdb.json'} and .png")


if __name__ == "__main__":
    main()
