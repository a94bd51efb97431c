"""The parcel-logistics source system's file drop (寄递实名 uploads), written from the simulated store.

Logistics platforms push one JSON Lines file per hour of records into an object-store prefix; locally the prefix is
``sources/parcel/drop/``:

    drop/<yyyy-mm-dd>/<hh>/waybills-<yyyymmddhh>.jsonl[.gz]          the hour the records were written (+08:00)

A file's arrival time is its modification time (an object's LastModified on S3). What the real drop does, this one
does too, from a seeded RNG:

- about half the files are gzipped;
- most files arrive minutes after their hour ends, some hours to a day and a half late;
- some files are delivered twice: the same bytes under ``...-resend.jsonl[.gz]``, re-sent minutes later within the
  same arrival hour (a retried upload whose first attempt had in fact succeeded).

Run ``python -m huitong.simulate.serve_parcel`` after ``huitong simulate`` to (re)write the drop.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import random
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow.parquet as pq

from huitong.config import Settings, settings

BEIJING = timezone(timedelta(hours=8))
GZIP_SHARE = 0.5
LATE_SHARE = 0.05
DUPLICATE_SHARE = 0.03


@dataclass(frozen=True)
class DroppedFile:
    key: str  # path under the drop folder, '/'-separated
    covers: datetime  # the start of the hour whose records the file holds
    arrived_at: datetime
    rows: int
    duplicate_of: str | None = None  # the key of the file whose bytes this one repeats


def drop_dir(cfg: Settings) -> Path:
    return cfg.sources_dir / "parcel" / "drop"


def _hour_files(rows: list[dict]) -> dict[str, list[dict]]:
    """Records grouped by the local hour of their updated_at ('YYYY-MM-DDTHH'), in store order."""
    hours: dict[str, list[dict]] = {}
    for row in rows:
        hours.setdefault(row["updated_at"][:13], []).append(row)
    return hours


def _jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()


def _gzip(data: bytes) -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as gz:  # mtime=0: same records, same bytes
        gz.write(data)
    return out.getvalue()


def _write(root: Path, key: str, data: bytes, arrived_at: datetime) -> None:
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    stamp = arrived_at.timestamp()
    os.utime(path, (stamp, stamp))


def write_drop(
    cfg: Settings | None = None,
    *,
    seed: int | None = None,
    gzip_share: float = GZIP_SHARE,
    late_share: float = LATE_SHARE,
    duplicate_share: float = DUPLICATE_SHARE,
) -> list[DroppedFile]:
    """Replace the drop folder with the hourly files of ``sources/parcel/waybills.parquet``; returns what was
    dropped, in arrival order (tests use it as the delivery log)."""
    cfg = cfg or settings()
    store = cfg.sources_dir / "parcel" / "waybills.parquet"
    if not store.exists():
        raise FileNotFoundError(f"{store} is missing: run `huitong simulate` first")
    rng = random.Random(cfg.seed if seed is None else seed)
    root = drop_dir(cfg)
    if root.exists():
        shutil.rmtree(root)
    dropped: list[DroppedFile] = []
    for hour, rows in sorted(_hour_files(pq.read_table(store).to_pylist()).items()):
        covers = datetime.fromisoformat(hour + ":00:00").replace(tzinfo=BEIJING)
        hour_end = covers + timedelta(hours=1)
        name = f"waybills-{hour.replace('-', '').replace('T', '')}"
        zipped = rng.random() < gzip_share
        data = _gzip(_jsonl(rows)) if zipped else _jsonl(rows)
        suffix = ".jsonl.gz" if zipped else ".jsonl"
        folder = f"{hour[:10]}/{hour[11:13]}"
        delay = timedelta(seconds=rng.randint(60, 900))
        if rng.random() < late_share:
            delay += timedelta(seconds=rng.randint(2 * 3600, 36 * 3600))
        arrived = hour_end + delay
        key = f"{folder}/{name}{suffix}"
        _write(root, key, data, arrived)
        dropped.append(DroppedFile(key, covers, arrived, len(rows)))
        if rng.random() < duplicate_share:
            hour_of_arrival_end = arrived.replace(minute=59, second=59, microsecond=0)
            again = min(arrived + timedelta(seconds=rng.randint(30, 1200)), hour_of_arrival_end)
            dup_key = f"{folder}/{name}-resend{suffix}"
            _write(root, dup_key, data, again)
            dropped.append(DroppedFile(dup_key, covers, again, len(rows), duplicate_of=key))
    return sorted(dropped, key=lambda f: (f.arrived_at, f.key))


def main() -> None:
    import argparse

    argparse.ArgumentParser(
        prog="python -m huitong.simulate.serve_parcel",
        description="(Re)write the parcel platforms' hourly JSON Lines drop under $HUITONG_HOME/sources/parcel/drop "
        "from the simulated store (run `huitong simulate` first): gzipped, late and re-sent files included.",
    ).parse_args()
    files = write_drop()
    resent = sum(f.duplicate_of is not None for f in files)
    late = sum(f.arrived_at - f.covers > timedelta(hours=2) for f in files if f.duplicate_of is None)
    print(f"parcel drop: {len(files)} files ({resent} re-sent, {late} more than an hour late)")


if __name__ == "__main__":
    main()
