"""The police records system's side of the interface: nightly CSV exports of the day's changes.

Reads the simulator's stores (``sources/public_safety/*.parquet``, which hold each record's final state) and writes
``<drop>/<entity>/<YYYY-MM-DD>.csv`` (layout in ``huitong.sources.public_safety``). A record is exported on each
day it changed, in its state at the end of that day: an incident on its report day (not yet cleared) and again on
the day it was cleared; a dispute when found and when resolved; a survey answer on the day it was taken; a fugitive
record when registered, when caught, and on the first of every month while at large. Files are
UTF-8 with a BOM (the system's "open in Excel" default), booleans 1/0, times ISO 8601 with +08:00.

    python -m huitong.simulate.export_public_safety --start 2026-03-01 --end 2026-03-08   # days [start, end)
"""

from __future__ import annotations

import argparse
import csv
import io
from collections import defaultdict
from datetime import date, timedelta

import pyarrow.parquet as pq

from huitong.config import Settings, settings
from huitong.simulate.export_camera import day_range, simulated_as_of, write_atomically
from huitong.sources.camera import drop_dir
from huitong.sources.public_safety import COLUMNS


def _flag(value: bool) -> str:
    return "1" if value else "0"


def _versions(entity: str, row: dict, month_firsts: list[str]) -> list[tuple[str, dict]]:
    """(export day, the record as exported that day) for each day it is exported."""
    if entity == "fugitives":
        at_large = {**row, "caught": "0", "caught_at": None, "updated_at": row["registered_at"]}
        caught_day = row["caught_at"][:10] if row["caught"] else None
        # The monthly re-export of the at-large list comes first: a catch on the 1st is that day's final state.
        versions = [
            (day, at_large)
            for day in month_firsts
            if row["registered_at"][:10] < day and (caught_day is None or caught_day >= day)
        ]
        versions.append((row["registered_at"][:10], at_large))
        if row["caught"]:
            versions.append((caught_day, {**row, "caught": "1"}))
        return versions
    return [(v["updated_at"][:10], v) for v in changes(entity, row)]


def changes(entity: str, row: dict) -> list[dict]:
    """The record as exported on each day it changed."""
    if entity == "incidents":
        opened = {**row, "cleared": "0", "cleared_at": None, "updated_at": row["reported_at"]}
        closed = {**row, "cleared": _flag(row["cleared"])}
        versions = [opened, closed] if row["cleared"] else [closed]
        for v in versions:
            v["two_robberies_one_theft"] = _flag(row["two_robberies_one_theft"])
        return versions
    if entity == "disputes":
        opened = {**row, "resolved": "0", "resolved_at": None, "updated_at": row["found_at"]}
        return [opened, {**row, "resolved": "1"}] if row["resolved"] else [opened]
    day = date.fromisoformat(row["survey_date"])
    return [{**row, "survey_wave": f"{day.year}Q{(day.month - 1) // 3 + 1}"}]


def render_export(columns: tuple[str, ...], rows: list[dict]) -> bytes:
    """One export file as the records system writes it: UTF-8 with a byte order mark, CRLF, a header line."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([[r.get(c) if r.get(c) is not None else "" for c in columns] for r in rows])
    return out.getvalue().encode("utf-8-sig")


def export_public_safety(cfg: Settings | None = None, *, start: date, end: date) -> dict[str, int]:
    """Write each entity's export for the days [start, end); returns rows written per entity."""
    cfg = cfg or settings()
    drop = drop_dir(cfg, "public_safety")
    written = {}
    month_firsts = [d.isoformat() for d in day_range(start, end) if d.day == 1]
    for entity, columns in COLUMNS.items():
        by_day: dict[str, dict[str, dict]] = defaultdict(dict)
        for row in pq.read_table(cfg.sources_dir / "public_safety" / f"{entity}.parquet").to_pylist():
            for day, version in _versions(entity, row, month_firsts):
                # Two changes on one day are one row: the state at the end of the day, the later version.
                by_day[day][row[columns[0]]] = version
        written[entity] = 0
        for day in day_range(start, end):
            rows = sorted(
                by_day.get(day.isoformat(), {}).values(), key=lambda r: (r["updated_at"], r[columns[0]])
            )
            write_atomically(drop / entity / f"{day}.csv", render_export(columns, rows))
            written[entity] += len(rows)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", type=date.fromisoformat, help="first day (default: 7 days before as_of)")
    parser.add_argument("--end", type=date.fromisoformat, help="day after the last (default: as_of)")
    args = parser.parse_args(argv)
    cfg = settings()
    end = args.end or simulated_as_of(cfg)
    print(export_public_safety(cfg, start=args.start or end - timedelta(days=7), end=end))


if __name__ == "__main__":
    main()
