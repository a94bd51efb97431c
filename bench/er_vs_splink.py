"""Person entity resolution: Huitong's `er link` (the dbt person models on DuckDB) against Splink 5 (DuckDB backend)
on the same records, scored against the simulator's hidden ground truth.

For each size: the first N person records of a simulated city (by updated_at) as the documented person input
(record_id, source, full_name, id_number, phone, birth_date, gender, address; `huitong.er.city_input.person_input`):
hotel registrations (`--persons hotel`, the default) or every person source (`--persons all`: hotel guests, rental
landlords and tenants, parcel senders and recipients, trade sellers), then, each in its own process tree (wall time and peak summed RSS measured from outside, `spark_vs_duckdb.run_measured`):

- Huitong: `huitong er link --entity person --input IN --output OUT` (EM-trained on the input, its default).
- Splink: this file with `--splink-run IN OUT`: a light standardisation in DuckDB (what any Splink user writes:
  name without spaces/dots, lower case; ID upper case; phone digits without +86; birth date to ISO from the usual
  formats, else from an 18-digit ID; gender to M/F), then a dedupe model with
  comparisons id_number (exact / Levenshtein <= 1 / <= 2), full_name (Splink's NameComparison: exact with term
  frequency, Jaro-Winkler 0.92 / 0.88 / 0.70), phone (exact / Levenshtein <= 1), birth_date (exact / Levenshtein <= 1
  on YYYY-MM-DD), gender (exact), address (exact / Jaro-Winkler 0.9 / 0.7);
  prediction blocking: same ID, same phone + first name character, same name + birth date, same name + address;
  training: lambda from the deterministic rule "same ID" (recall 0.9), u by random sampling (1e7 pairs, seed 42),
  m by EM on two passes (blocking on name + birth date, then on ID);
  clustering: connected components of pairs with match probability >= THRESHOLD (0.99, the same as Huitong's
  er_person_threshold).
Both outputs (record_id -> entity id) are scored with `huitong.er.evaluate.evaluate_assignment` (pairwise and
B-cubed P/R/F1, overall and per stratum: with / without resident ID).

    .venvs/core/bin/python bench/er_vs_splink.py [--sizes 100000 1000000] [--home CITY_HOME] [--persons all]
        [--splink-max-records N]

Without --home it simulates a city big enough for the largest size under --work (~38k registrations or ~171k
person records of all sources per unit of scale; the simulator's scale tops out at 100, ~3.8M registrations or
~17M person records: larger sizes are refused, not faked). `--splink-max-records N`: sizes above N run Huitong
only (a scale curve beyond the comparison).
Incremental (`--incremental 10000 --incremental-batches 3`, the defaults; 0 skips it): after the full runs,
`huitong er link --state DIR` on the same N records (the base, a full run kept in DIR), then on the next 10k records
of the city as one batch, three times in a row (consecutive batches: one may pay DuckDB's checkpoint of the
write-ahead log the ones before it left). The batches' mean wall time and the slowest are reported against the plain
Huitong full run of the N records (the issue's goal: <= 10%), and the resolved base + batches (DIR's
int_person_entities) is scored against the truth like the full runs.

Writes bench/results/er_vs_splink.json and .png (`--persons all`: er_vs_splink_all_sources.json and .png); rows of
sizes this run did not measure are kept from the previous JSON (marked earlier_run).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import (  # noqa: E402
    CORE_BIN,
    PER_SCALE,
    RESULTS,
    machine,
    person_sources,
    run_measured,
    run_sizes,
    save_results,
    simulated_city,
    with_earlier_rows,
)

THRESHOLD = 0.99
RESULT_NAME = {"hotel": "er_vs_splink", "all": "er_vs_splink_all_sources"}
SPLINK_STANDARDISE = r"""
with src as (select * from read_parquet('{input}'))
select
    cast(record_id as varchar) as unique_id,
    coalesce(cast(source as varchar), 'input') as source,
    cast(record_id as varchar) as record_id,
    nullif(lower(regexp_replace(full_name, '[\s·•・.]', '', 'g')), '') as full_name,
    nullif(upper(regexp_replace(id_number, '\s', '', 'g')), '') as id_number,
    nullif(regexp_replace(regexp_replace(phone, '[^0-9]', '', 'g'), '^(0086|86)(1[0-9]{{10}})$', '\2'), '')
        as phone,
    coalesce(
        strftime(coalesce(
            try_strptime(birth_date, '%Y-%m-%d'), try_strptime(birth_date, '%Y%m%d'),
            try_strptime(birth_date, '%Y/%m/%d'), try_strptime(birth_date, '%Y.%m.%d'),
            try_strptime(birth_date, '%Y年%m月%d日')), '%Y-%m-%d'),
        case when regexp_matches(id_number, '^[0-9]{{17}}[0-9Xx]$')
             then strftime(try_strptime(substr(id_number, 7, 8), '%Y%m%d'), '%Y-%m-%d') end
    ) as birth_date,
    case when lower(trim(gender)) in ('男', '男性', 'm', 'male', '1') then 'M'
         when lower(trim(gender)) in ('女', '女性', 'f', 'female', '2') then 'F' end as gender,
    nullif(regexp_replace(address, '\s', '', 'g'), '') as address
from src
"""


def splink_run(input_path: Path, output_path: Path) -> None:
    """The Splink side, run in its own process: standardise, train, predict, cluster, write record_id -> cluster."""
    import logging

    import duckdb
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.WARNING)
    con = duckdb.connect()
    con.execute(f"create table persons as {SPLINK_STANDARDISE.format(input=input_path)}")
    db_api = DuckDBAPI(connection=con)
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.LevenshteinAtThresholds("id_number", [1, 2]),
            cl.NameComparison("full_name").configure(term_frequency_adjustments=True),
            cl.LevenshteinAtThresholds("phone", [1]),
            cl.LevenshteinAtThresholds("birth_date", [1]),
            cl.ExactMatch("gender"),
            cl.JaroWinklerAtThresholds("address", [0.9, 0.7]),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("id_number"),
            block_on("phone", "substr(full_name, 1, 1)"),
            block_on("full_name", "birth_date"),
            block_on("full_name", "address"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(db_api.register("persons"), settings)
    linker.training.estimate_probability_two_random_records_match([block_on("id_number")], recall=0.9)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=42)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("full_name", "birth_date"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("id_number"))
    predictions = linker.inference.predict(threshold_match_probability=THRESHOLD)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=THRESHOLD
    )
    con.execute(
        f"copy (select c.record_id, c.source, cast(c.cluster_id as varchar) as entity_id"
        f" from {clusters.physical_name} as c) to '{output_path}' (format parquet)"
    )
    print(json.dumps({"pairs_above_threshold": con.execute(
        f"select count(*) from {predictions.physical_name}").fetchone()[0]}))  # fmt: skip


def score(output: Path, truth) -> dict:
    import pandas as pd

    from huitong.er.evaluate import evaluate_assignment

    predicted = pd.read_parquet(output, columns=["source", "record_id", "entity_id"])
    report = evaluate_assignment(predicted, truth.drop(columns="id_shared"))
    keep = ("coverage", "all/all", "all/with_resident_id", "all/without_resident_id")
    scores = {k: report[k] for k in keep if k in report}
    # The simulator clips ages at 18.2 years, so ~5% of people share one birth date and some of them one resident
    # ID (impossible in reality): scored apart, so the figures show what that costs each engine.
    unique = evaluate_assignment(predicted, truth[~truth["id_shared"]].drop(columns="id_shared"))
    scores["all/excluding_shared_resident_ids"] = unique["all/all"]
    return scores


def load_truth(home: Path, sources: tuple[str, ...]):
    import duckdb

    from huitong.er.evaluate import RESIDENT_ID_TYPE, ROLE_KEYED_SOURCES

    gt = home / "ground_truth"
    role_keyed = ", ".join(f"'{s}'" for s in ROLE_KEYED_SOURCES)
    wanted = ", ".join(f"'{s}'" for s in sources)
    with duckdb.connect() as con:
        return con.execute(
            f"""with p as (
                    select *, id_type = '{RESIDENT_ID_TYPE}'
                              and count(*) over (partition by id_type, id_number) > 1 as id_shared
                    from read_parquet('{gt / "persons.parquet"}'))
                select r.source,
                   case when r.source in ({role_keyed}) then r.record_id || ':' || r.role else r.record_id end
                       as record_id,
                   r.person_id,
                   case when p.id_type = '{RESIDENT_ID_TYPE}' then 'with_resident_id' else 'without_resident_id' end
                       as stratum, p.id_shared
                from read_parquet('{gt / "person_records.parquet"}') as r
                join p using (person_id)
                where r.source in ({wanted})"""
        ).df()


def bench_size(home: Path, sources: tuple[str, ...], truth, size: int, work: Path, timeout: float,
               with_splink: bool, incremental: int = 0, incremental_batches: int = 1) -> dict:  # fmt: skip
    from huitong.er.city_input import person_input

    work.mkdir(parents=True, exist_ok=True)
    input_path = work / "input.parquet"
    records = person_input(home / "sources", input_path, size, sources)
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "TMPDIR": str(work)}
    huitong = run_measured(
        [str(CORE_BIN / "huitong"), "er", "link", "--entity", "person", "--input", str(input_path),
         "--output", str(work / "huitong.parquet")], env, timeout)  # fmt: skip
    splink = (
        run_measured(
            [sys.executable, __file__, "--splink-run", str(input_path), str(work / "splink.parquet")],
            env,
            timeout,
        )  # fmt: skip
        if with_splink
        else {"ok": False, "skipped": "above --splink-max-records"}
    )
    from huitong.er.link import memory_limit

    row: dict = {
        "records": records,
        "er_memory_limit": memory_limit(records),
        "huitong": huitong,
        "splink": splink,
    }
    for name, result in (("huitong", huitong), ("splink", splink)):
        if result["ok"]:
            result["quality"] = score(work / f"{name}.parquet", truth)
    if huitong["ok"] and splink["ok"]:
        h, s = huitong["quality"]["all/all"], splink["quality"]["all/all"]
        row["ratios_huitong_over_splink"] = {
            "seconds": huitong["seconds"] / splink["seconds"],
            "peak_mb": huitong["peak_mb"] / max(splink["peak_mb"], 1e-9),
            "pairwise_f1": h["pairwise_f1"] / max(s["pairwise_f1"], 1e-12),
            "bcubed_f1": h["bcubed_f1"] / max(s["bcubed_f1"], 1e-12),
        }
    for result in (r for r in (huitong, splink) if "peak_mb" in r):
        result["mb_per_million_records"] = result["peak_mb"] / records * 1e6
    if incremental and huitong["ok"]:
        row["incremental"] = bench_incremental(home, sources, truth, records, incremental, work, env, timeout,
                                               incremental_batches)  # fmt: skip
        batch = row["incremental"]["batch"]
        if batch["ok"]:
            row["incremental"]["batch_over_full_run"] = batch["seconds"] / huitong["seconds"]
            row["incremental"]["max_batch_over_full_run"] = batch["max_seconds"] / huitong["seconds"]
    return row


def bench_incremental(home: Path, sources: tuple[str, ...], truth, records: int, added: int, work: Path,
                      env: dict, timeout: float, batches: int = 1) -> dict:  # fmt: skip
    """`er link --state`: the first `records` records as a base, then the next `added` records, `batches` times,
    each as one batch (consecutive batches: a batch's cost includes the database upkeep earlier batches left it,
    e.g. DuckDB's checkpoint of their write-ahead log)."""
    import duckdb

    from huitong.er.city_input import person_input

    person_input(home / "sources", work / "with_added.parquet", records + added * batches, sources)
    inputs = [("base", work / "input.parquet")]
    with duckdb.connect() as con:
        for number in range(1, batches + 1):
            path = work / f"added_{number}.parquet"
            con.execute(f"copy (select * from read_parquet('{work / 'with_added.parquet'}')"
                        f" offset {records + added * (number - 1)} limit {added}) to '{path}' (format parquet)")  # fmt: skip
            inputs.append((f"batch_{number}", path))
        batch_records = con.execute(
            f"select count(*) from read_parquet('{work / 'added_1.parquet'}')"
        ).fetchone()[0]
    state = work / "state"
    runs = {}
    for name, input_path in inputs:
        runs[name] = run_measured(
            [str(CORE_BIN / "huitong"), "er", "link", "--entity", "person", "--input", str(input_path),
             "--output", str(work / f"state_{name}.parquet"), "--state", str(state)], env, timeout)  # fmt: skip
        if not runs[name]["ok"]:
            break
    measured = [runs[name] for name, _ in inputs[1:] if name in runs]
    result = {"base_records": records, "batch_records": batch_records, "batches": batches,
              "base": runs["base"], "batch_runs": measured}  # fmt: skip
    if len(measured) == batches and all(r["ok"] for r in measured):
        seconds = [r["seconds"] for r in measured]
        result["batch"] = {"ok": True, "seconds": sum(seconds) / len(seconds), "max_seconds": max(seconds),
                           "peak_mb": max(r["peak_mb"] for r in measured)}  # fmt: skip
        with duckdb.connect(str(state / "link.duckdb"), read_only=True) as con:
            con.execute(f"copy (select source, record_id, entity_id from intermediate.int_person_entities)"
                        f" to '{work / 'state_all.parquet'}' (format parquet)")  # fmt: skip
        result["quality_after_batch"] = score(work / "state_all.parquet", truth)
    else:
        result["batch"] = {"ok": False}
    return result


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    for engine, colour in (("huitong", "tab:blue"), ("splink", "tab:orange")):
        ok = [r for r in rows if r[engine]["ok"]]
        sizes = [r["records"] for r in ok]
        axes[0].plot(sizes, [r[engine]["seconds"] for r in ok], "o-", color=colour, label=engine)
        axes[1].plot(sizes, [r[engine]["peak_mb"] for r in ok], "o-", color=colour, label=engine)
        for metric, style in (("pairwise_f1", "o-"), ("bcubed_f1", "s--")):
            axes[2].plot(sizes, [r[engine]["quality"]["all/all"][metric] for r in ok], style, color=colour,
                         label=f"{engine} {metric}")  # fmt: skip
    labels = ("wall time (s)", "peak memory of the process tree (MB)", "F1 against the hidden truth")
    for ax, label in zip(axes, labels, strict=True):
        ax.set_xscale("log")
        ax.set_xlabel("person records")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    axes[0].set_yscale("log")
    axes[1].set_yscale("log")
    fig.suptitle(
        f"Person ER: Huitong er link (dbt on DuckDB) vs Splink 5 (DuckDB), same input, threshold {THRESHOLD}"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def write_results(rows: list[dict], name: str) -> None:
    import splink

    rows = with_earlier_rows(name, rows)
    out = {
        "benchmark": "person ER, Huitong er link (dbt person models, DuckDB) vs Splink (DuckDB backend), same input,"
        " scored against the simulator's hidden truth",
        "splink_version": splink.__version__,
        "threshold_match_probability": THRESHOLD,
        "machine": machine(),
        "rows": rows,
    }
    save_results(name, out, lambda png: plot(rows, png))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--home", type=Path, help="a simulated city's HUITONG_HOME (default: simulate one)")
    parser.add_argument("--persons", choices=("hotel", "all"), default="hotel",
                        help="hotel registrations only, or every person source of the city")  # fmt: skip
    parser.add_argument("--splink-max-records", type=int, default=None,
                        help="run Splink only at sizes up to this (default: every size)")  # fmt: skip
    parser.add_argument("--incremental", type=int, default=10_000,
                        help="records added as one batch to each size's resolved base (0: skip)")  # fmt: skip
    parser.add_argument("--incremental-batches", type=int, default=3,
                        help="consecutive batches of --incremental records; the mean and the slowest are reported")  # fmt: skip
    parser.add_argument("--work", type=Path, default=Path("/tmp/huitong-bench-splink"))
    parser.add_argument("--timeout", type=float, default=7200, help="seconds per engine and size")
    parser.add_argument("--keep", action="store_true", help="keep the work folders")
    parser.add_argument("--splink-run", nargs=2, type=Path, metavar=("IN", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.splink_run:
        splink_run(*args.splink_run)
        return

    sources = person_sources(args.persons)
    home = args.home or simulated_city(args.work / "city", max(args.sizes), PER_SCALE[args.persons])
    truth = load_truth(home, sources)

    def bench_one(size: int, work: Path) -> dict:
        started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        with_splink = args.splink_max_records is None or size <= args.splink_max_records
        row = bench_size(
            home,
            sources,
            truth,
            size,
            work,
            args.timeout,
            with_splink,
            args.incremental,
            args.incremental_batches,
        )
        return {"started_at": started, "persons": args.persons, **row}

    run_sizes(args.sizes, args.work, args.keep, bench_one,
              lambda rows: write_results(rows, RESULT_NAME[args.persons]))  # fmt: skip
    print(f"wrote {RESULTS / RESULT_NAME[args.persons]}.json and .png")


if __name__ == "__main__":
    main()
