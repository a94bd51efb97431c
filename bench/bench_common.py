"""Helpers the benchmarks in bench/ share (a module, not a benchmark: running it does nothing).

- run_measured: wall time and peak summed RSS of a command's process tree, sampled from outside, so each engine is
  measured in its own process and fairly.
- simulated_city: a simulated city with at least N records (hidden ground truth beside it).
- machine: what the results were measured on.
- run_sizes: the per-size loop (fresh work folder, results written after every size).
- save_results: bench/results/<name>.json and the plot <name>.png; with_earlier_rows: keep the sizes a run skipped.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
CORE_BIN = Path(sys.executable).parent


def run_measured(cmd: list[str], env: dict[str, str], timeout: float) -> dict:
    """Wall seconds and peak summed RSS (MB) of the process tree of `cmd`."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        root = psutil.Process(proc.pid)
        while not done.is_set():
            try:
                tree = [root, *root.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
            except psutil.Error:
                pass
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        output, _ = proc.communicate()
        done.set()
        return {"ok": False, "seconds": time.perf_counter() - started, "peak_mb": peak / 2**20,
                "error": f"timed out after {timeout:.0f} s"}  # fmt: skip
    done.set()
    sampler.join()
    elapsed = time.perf_counter() - started
    result = {"ok": proc.returncode == 0, "seconds": elapsed, "peak_mb": peak / 2**20}
    if proc.returncode != 0:
        result["error"] = output[-3000:]
    return result


# Records per unit of the simulator's scale (a year of history): hotel registrations, or person records of every
# source (huitong.er.city_input.person_input). The scale tops out at 100.
PER_SCALE = {"hotel": 38_000, "all": 171_000}


def person_sources(persons: str) -> tuple[str, ...]:
    """--persons hotel|all as the sources of huitong.er.city_input.person_input."""
    from huitong.er.city_input import PERSON_SOURCES

    return PERSON_SOURCES if persons == "all" else ("hotel",)


def simulated_city(home: Path, records: int, per_scale: float = PER_SCALE["hotel"]) -> Path:
    """A simulated city (its HUITONG_HOME) with at least `records` records of the kind counted by `per_scale`
    (records per unit of scale over the year of history: ~38k hotel registrations, ~171k person records of all
    sources); the hidden ground truth lies beside the sources."""
    from datetime import date

    from huitong.config import load_settings
    from huitong.simulate import simulate

    if not (home / "sources" / "hotel" / "registrations.parquet").exists():
        os.environ["HUITONG_HOME"] = str(home)
        simulate(load_settings(), log=lambda _: None, seed=20261123, scale=max(records / per_scale * 1.1, 0.1),
                 start=date(2025, 6, 1), as_of=date(2026, 6, 1))  # fmt: skip
    return home


def machine() -> dict:
    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "load_average_at_write": os.getloadavg(),
    }


def run_sizes(sizes: list[int], work_root: Path, keep: bool, bench_one: Callable[[int, Path], dict],
              write: Callable[[list[dict]], None]) -> list[dict]:  # fmt: skip
    """bench_one(size, work) per size in a fresh work folder; write(rows) after every size, so a long run that is
    stopped keeps what it measured; stops when the input had fewer records than asked."""
    rows: list[dict] = []
    for size in sizes:
        work = work_root / str(size)
        shutil.rmtree(work, ignore_errors=True)
        row = bench_one(size, work)
        rows.append(row)
        print(json.dumps(row, default=str), flush=True)
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
        write(rows)
        if row["records"] < size:
            break  # the input has no more records
    return rows


def with_earlier_rows(name: str, rows: list[dict]) -> list[dict]:
    """`rows` and the rows of bench/results/<name>.json at sizes this run did not measure (marked
    earlier_run: true), by size: a run of one size updates that size and keeps the rest of the curve."""
    path = RESULTS / f"{name}.json"
    measured = {r["records"] for r in rows}
    earlier = json.loads(path.read_text())["rows"] if path.exists() else []
    kept = [{**r, "earlier_run": True} for r in earlier if r["records"] not in measured]
    return sorted(kept + rows, key=lambda r: r["records"])


def save_results(name: str, results: dict, plot: Callable[[Path], None]) -> Path:
    """Write bench/results/<name>.json and let `plot` draw <name>.png; returns the JSON's path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(results, indent=1, ensure_ascii=False, default=str))
    plot(RESULTS / f"{name}.png")
    return path
