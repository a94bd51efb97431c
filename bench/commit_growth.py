"""Commit time as batches accumulate: the batch ledger's commit after N batches, with and without daily maintenance.

Every batch commits one row to ``ops.batch_ledger`` (and likewise to the validation results, the quarantine and its
bronze table). Three ledgers receive the same batches, their commits interleaved in one process:

- as is: no maintenance;
- compacted: ``huitong lake compact``'s compaction every ``--per-day`` batches (the retention DAG runs it daily);
- compacted + expired: the same, and the snapshots older than the previous day's maintenance expired (retention with
  ``HUITONG_OPS_SNAPSHOT_KEEP_DAYS`` = 1, the default for the ops tables).

At every maintenance point (before it runs: the day's worst commit) the median of the last ``--sample`` commits of
each ledger is recorded; ratios are against "as is" at the same point. Writes bench/results/commit_growth.json and
commit_growth.png.

    .venvs/core/bin/python bench/commit_growth.py                  # 4 days of 100 batches
    .venvs/core/bin/python bench/commit_growth.py --days 2 --per-day 50
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench_common import machine, save_results

ARMS = ("as_is", "compacted", "compacted_expired")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--days", type=int, default=4, help="maintenance points (one a day)")
    parser.add_argument("--per-day", type=int, default=100, help="batches between two maintenance points")
    parser.add_argument("--sample", type=int, default=5, help="commits per point whose median is reported")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="huitong-commits-"))

    from huitong.config import load_settings
    from huitong.lake import ledger
    from huitong.lake.compaction import compact_table
    from huitong.lake.retention import apply_retention

    settings = {}
    for arm in ARMS:  # each arm's own lake; every call below is handed its settings
        os.environ["HUITONG_HOME"] = str(root / arm)
        settings[arm] = load_settings()
    start = datetime(2026, 3, 1, tzinfo=UTC)
    seconds: dict[str, list[float]] = {arm: [] for arm in ARMS}
    rows, last_maintenance = [], None
    for n in range(1, args.days * args.per_day + 1):
        for arm in ARMS:
            entry = ledger.LedgerEntry(f"b{n:06d}", "parcel", "waybills", start, start + timedelta(hours=1),
                                       landed=10, loaded=9, quarantined=1, status="loaded")  # fmt: skip
            started = time.perf_counter()
            ledger.record(entry, settings[arm])
            seconds[arm].append(time.perf_counter() - started)
        if n % args.per_day:
            continue
        row = {"batches": n, **{arm: statistics.median(seconds[arm][-args.sample :]) for arm in ARMS}}
        rows.append(row)
        print(f"{n:>6} batches: " + ", ".join(f"{arm} {row[arm] * 1000:7.1f} ms" for arm in ARMS), flush=True)
        now = datetime.now(UTC)
        for arm in ARMS[1:]:
            compact_table(ledger.LEDGER, settings[arm])
        if last_maintenance is not None:
            # A "day" is --per-day batches: retention run as if one ops keep-period after the previous maintenance,
            # so the ops snapshots it keeps are those committed since.
            cfg = settings["compacted_expired"]
            apply_retention(cfg, now=last_maintenance + timedelta(days=cfg.ops_snapshot_keep_days))
        last_maintenance = now
    for row in rows:
        row.update({f"{arm}_ratio": row[arm] / row["as_is"] for arm in ARMS[1:]})
    out = {"days": args.days, "per_day": args.per_day, "sample": args.sample, "machine": machine(),
           "measured_at": datetime.now(UTC).isoformat(), "rows": rows}  # fmt: skip
    save_results("commit_growth", out, lambda png: plot(rows, png))


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = {"as_is": "no maintenance", "compacted": "compacted daily",
              "compacted_expired": "compacted daily, a day of snapshots kept"}  # fmt: skip
    fig, ax = plt.subplots(figsize=(7, 4))
    for arm in ARMS:
        ax.plot([r["batches"] for r in rows], [r[arm] * 1000 for r in rows], marker="o", label=labels[arm])
    ax.set_xlabel("batches committed")
    ax.set_ylabel("ledger commit (ms, median)")
    ax.set_title("One batch's ledger commit as batches accumulate")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    main()
