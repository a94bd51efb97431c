"""Publish a finished dbt build so readers never see a lock error or a half-built table.

dbt writes build.duckdb and holds its lock while it runs. When a build has passed, the file is copied to an
immutable release and the ``current.duckdb`` symlink is swapped to it in one rename. Readers open ``current``
read-only: a reader that started on the previous release keeps reading it (an unlinked file stays readable), the
next one gets the new release. A failed build is never published, so dashboards stay on the last good build.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from huitong.config import Settings, settings

KEEP_RELEASES = 3


def releases_dir(cfg: Settings) -> Path:
    return cfg.serving_dir / "releases"


def publish(cfg: Settings | None = None, source: Path | None = None) -> Path:
    cfg = cfg or settings()
    source = source or cfg.build_db
    if not source.exists():
        raise FileNotFoundError(f"no build to publish at {source}: run the transform (dbt build) first")
    target_dir = releases_dir(cfg)
    target_dir.mkdir(parents=True, exist_ok=True)
    release = target_dir / f"huitong-{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}.duckdb"
    partial = release.with_suffix(".partial")
    with open(source, "rb") as src, open(partial, "wb") as dst:
        shutil.copyfileobj(src, dst, length=16 * 1024 * 1024)
        dst.flush()
        os.fsync(dst.fileno())
    # Read-only, and not for other OS accounts: the build holds every layer, personal data included, and readers
    # are meant to come through the access policy (Superset, `huitong query`), not open the file.
    partial.chmod(0o440)
    partial.rename(release)
    swap_link(cfg.serving_db, release)
    _prune(cfg, keep=release)
    return release


def swap_link(link: Path, target: Path) -> None:
    """Point the symlink ``link`` at ``target`` (below link's folder) in one rename: readers see old or new."""
    tmp_link = link.with_name(f".{link.name}.{os.getpid()}")
    tmp_link.unlink(missing_ok=True)
    tmp_link.symlink_to(target.relative_to(link.parent))
    os.replace(tmp_link, link)


def current_release(cfg: Settings | None = None) -> Path | None:
    link = (cfg or settings()).serving_db
    return link.resolve() if link.exists() else None


def _prune(cfg: Settings, keep: Path) -> None:
    releases = sorted(releases_dir(cfg).glob("huitong-*.duckdb"))
    for old in releases[:-KEEP_RELEASES]:
        if old != keep:
            old.unlink(missing_ok=True)
