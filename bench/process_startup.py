"""Process start-up with and without the virtualenvs' compiled bytecode, in the same run.

`make install` syncs the virtualenvs with `uv pip sync --compile-bytecode`. With PYTHONDONTWRITEBYTECODE=1 (the
Makefile sets it; CI machines often do) Python never writes .pyc files itself, so without that step every process
compiles each module it imports from source. The baseline points PYTHONPYCACHEPREFIX at an empty folder, which hides
the compiled files exactly as if they had never been written. Each command runs `--repeat` times per setting; the
median is reported. Writes bench/results/process_startup.json and .png.

    .venvs/core/bin/python bench/process_startup.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench_common import ROOT, machine, save_results

VENVS = ROOT / ".venvs"
COMMANDS = {
    "import great_expectations (every ingest load)": [str(VENVS / "core" / "bin" / "python"), "-c",
                                                      "import great_expectations"],
    "airflow version (every Airflow task and CLI call)": [str(VENVS / "airflow" / "bin" / "airflow"), "version"],
    "dbt --version": [str(VENVS / "core" / "bin" / "dbt"), "--version"],
}  # fmt: skip


def seconds(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per command and setting (median reported)"
    )
    args = parser.parse_args()
    base = {
        **os.environ,
        "PYTHONDONTWRITEBYTECODE": "1",
        "AIRFLOW_HOME": tempfile.mkdtemp(prefix="bench-af-"),
    }
    rows = []
    for name, cmd in COMMANDS.items():
        with tempfile.TemporaryDirectory(prefix="no-pyc-") as empty:
            source = [seconds(cmd, {**base, "PYTHONPYCACHEPREFIX": empty}) for _ in range(args.repeat)]
        compiled = [seconds(cmd, base) for _ in range(args.repeat)]
        row = {"command": name, "from_source_s": statistics.median(source),
               "compiled_s": statistics.median(compiled), "runs": args.repeat}  # fmt: skip
        row["ratio"] = row["from_source_s"] / row["compiled_s"]
        print(f"{name:<52} from source {row['from_source_s']:5.2f} s  compiled {row['compiled_s']:5.2f} s  "
              f"{row['ratio']:.1f}x", flush=True)  # fmt: skip
        rows.append(row)
    save_results("process_startup", {"machine": machine(), "baseline": "from_source", "rows": rows},
                 lambda png: plot(rows, png))  # fmt: skip


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.2))
    names = [r["command"].split(" (")[0] for r in rows]
    y = range(len(rows))
    ax.barh([i + 0.2 for i in y], [r["from_source_s"] for r in rows], 0.4, label="from source (no .pyc)")
    ax.barh([i - 0.2 for i in y], [r["compiled_s"] for r in rows], 0.4, label="compiled bytecode")
    ax.set_yticks(list(y), names)
    ax.set_xlabel("seconds (median)")
    ax.legend()
    ax.set_title("Process start-up, with PYTHONDONTWRITEBYTECODE=1")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
