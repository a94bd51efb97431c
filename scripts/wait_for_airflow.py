"""Wait for Airflow DAG runs from the command line (used by make demo), printing progress as runs change state.

--run-id: wait for that run of --dag to finish. --after-run DAG:RUN_ID: wait until --dag has no queued or
running runs, at least one success that started after that run started, and none failed. (After it started, not
after it ended: the run it triggers through an asset starts as its last task ends, milliseconds before the run
itself is marked finished.)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

AIRFLOW = Path(os.environ["HUITONG_PROJECT_ROOT"]) / ".venvs" / "airflow" / "bin" / "airflow"


def runs(dag: str) -> list[dict]:
    out = subprocess.run(
        [str(AIRFLOW), "dags", "list-runs", dag, "-o", "json"], capture_output=True, text=True
    )
    if out.returncode != 0:
        return []
    # Airflow prints warnings on stdout too: the JSON is the last line that parses as a list.
    for line in reversed(out.stdout.splitlines()):
        if line.startswith("["):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                continue
    return []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dag", required=True)
    parser.add_argument("--run-id")
    parser.add_argument("--after-run", help="DAG:RUN_ID whose start the wanted runs must follow")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument(
        "--print-active",
        action="store_true",
        help="print the run id of a queued or running run (if any), exit",
    )
    args = parser.parse_args()
    if args.print_active:
        active = [r["run_id"] for r in runs(args.dag) if r["state"] in ("queued", "running")]
        print(active[0] if active else "")
        return 0
    deadline, last = time.monotonic() + args.timeout, None
    after_start = ""
    if args.after_run:
        dag, run_id = args.after_run.split(":", 1)
        after_start = next((r.get("start_date") or "" for r in runs(dag) if r["run_id"] == run_id), "")
    while time.monotonic() < deadline:
        all_runs = runs(args.dag)
        if args.run_id:
            run = next((r for r in all_runs if r["run_id"] == args.run_id), None)
            state = run["state"] if run else "not created yet"
            failed, done = state == "failed", state in ("success", "failed")
        else:
            later = [r for r in all_runs if (r.get("start_date") or "") >= after_start]
            active = [r for r in all_runs if r["state"] in ("queued", "running")]
            n_failed = sum(r["state"] == "failed" for r in later)
            n_ok = sum(r["state"] == "success" for r in later)
            state = f"{len(active)} active, {n_ok} succeeded, {n_failed} failed"
            failed, done = n_failed > 0, n_failed > 0 or (not active and n_ok > 0)
        if state != last:
            print(f"    {args.dag}: {state}", flush=True)
            last = state
        if done:
            if failed:
                print(
                    f"!! {args.dag} failed: see the task logs in the Airflow UI or $AIRFLOW_HOME/logs",
                    file=sys.stderr,
                )
                return 1
            return 0
        time.sleep(5)
    print(f"!! timed out after {args.timeout:.0f} s waiting for {args.dag}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
