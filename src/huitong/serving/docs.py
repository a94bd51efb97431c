"""dbt docs for the departments: what every shared table and column means, generated from the dbt project and the
build it describes, and served read-only on the loopback interface.

``generate`` runs ``dbt docs generate --static`` against a private copy of the published build (the ``docs`` DAG
runs it after every publish): never against the build database itself, whose lock the next transform run needs.
It publishes the result the way the serving DuckDB is published: an immutable release folder and a
``docs/current`` symlink swapped in one rename, so a reader never meets half-written docs. A release holds
``index.html`` (dbt's static page with the manifest and catalog embedded: it works from any web server or straight
from disk), ``manifest.json`` and ``catalog.json`` (for tools). ``serve`` answers on ``HUITONG_DOCS_PORT`` (127.0.0.1
only) from whatever ``current`` points at, request by request, so a new release shows without a restart.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from huitong.config import Settings, settings
from huitong.serving.publish import swap_link

DBT_PROJECT = Path(__file__).resolve().parents[3] / "dbt_project"
KEEP_RELEASES = 3
FILES = {"static_index.html": "index.html", "manifest.json": "manifest.json", "catalog.json": "catalog.json"}


def docs_dir(cfg: Settings) -> Path:
    return cfg.home / "docs"


def current_docs(cfg: Settings | None = None) -> Path:
    return docs_dir(cfg or settings()) / "current"


def generate(cfg: Settings | None = None) -> Path:
    """Generate the docs from the published build (else the finished build) and publish them; returns the release."""
    cfg = cfg or settings()
    source = cfg.serving_db if cfg.serving_db.exists() else cfg.build_db
    if not source.exists():
        raise FileNotFoundError(f"no build at {source}: run the transform (dbt build) before the docs")
    releases = docs_dir(cfg) / "releases"
    releases.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=docs_dir(cfg), prefix=".generate-") as tmp:
        # dbt opens its database read-write: give it a copy in a home of its own (the profile's path follows
        # HUITONG_HOME), so neither the served release nor the build's lock is ever touched.
        home = Path(tmp) / "home"
        (home / "warehouse").mkdir(parents=True)
        shutil.copyfile(source, home / "warehouse" / "build.duckdb")
        env = {**os.environ, "HUITONG_HOME": str(home), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
        # --static embeds manifest and catalog in one page; the build's schemas give the catalog its column types.
        cmd = [str(Path(sys.executable).with_name("dbt")), "docs", "generate", "--static",
               "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT),
               "--target-path", str(Path(tmp) / "target"), "--log-path", str(Path(tmp) / "logs")]  # fmt: skip
        done = subprocess.run(cmd, cwd=DBT_PROJECT, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"dbt docs generate failed:\n{done.stdout[-4000:]}{done.stderr[-2000:]}")
        staged = Path(tmp) / "release"
        staged.mkdir()
        for name, published in FILES.items():
            shutil.copyfile(Path(tmp) / "target" / name, staged / published)
        release = releases / f"docs-{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}"
        staged.rename(release)
    swap_link(current_docs(cfg), release)
    for old in sorted(releases.glob("docs-*"))[:-KEEP_RELEASES]:
        if old != release:
            shutil.rmtree(old, ignore_errors=True)
    return release


def serve(cfg: Settings | None = None, port: int | None = None) -> None:
    """Serve ``docs/current`` on 127.0.0.1 until interrupted."""
    cfg = cfg or settings()
    port = port or cfg.docs_port
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(current_docs(cfg)))
    # A service started in the background (scripts/services.sh) inherits SIGINT ignored; `make stop` sends SIGINT.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        print(f"dbt docs on http://127.0.0.1:{port}/ from {current_docs(cfg)}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
