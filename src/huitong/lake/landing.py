"""Raw landing: what a source sent, byte for byte, one immutable folder per batch.

A batch id is derived from the source, the extraction window and the content, so landing the same data twice is a
no-op and a batch id always names exactly one set of bytes. Bronze can be rebuilt from landing at any time.

Layout: landing/<source>/<entity>/<batch_id>/{_manifest.json, parts/<name>}
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from huitong.config import Settings, settings


@dataclass(frozen=True)
class RawPart:
    """One unit as received: an API page, a dropped file, a table export."""

    name: str
    data: bytes
    origin: str  # where it came from: a URL with cursor, an object key, a query


@dataclass(frozen=True)
class LandedBatch:
    batch_id: str
    source: str
    entity: str
    window_start: datetime
    window_end: datetime
    path: Path
    parts: tuple[dict, ...]

    def read_part(self, name: str) -> bytes:
        return (self.path / "parts" / name).read_bytes()


class LandingError(RuntimeError):
    pass


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def make_batch_id(source: str, entity: str, start: datetime, end: datetime, content_sha256: str) -> str:
    return f"{source}.{entity}.{_stamp(start)}-{_stamp(end)}.{content_sha256[:12]}"


def _batch_root(cfg: Settings, source: str, entity: str) -> Path:
    return cfg.landing_dir / source / entity


def land(
    source: str,
    entity: str,
    start: datetime,
    end: datetime,
    parts: Iterable[RawPart],
    cfg: Settings | None = None,
) -> LandedBatch:
    """Write the parts as one immutable batch; return the existing batch if these exact bytes already landed."""
    cfg = cfg or settings()
    root = _batch_root(cfg, source, entity)
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".incoming-", dir=root))
    try:
        digest = hashlib.sha256()
        manifest_parts = []
        (staging / "parts").mkdir()
        for part in parts:
            if "/" in part.name or part.name.startswith("."):
                raise LandingError(f"part name {part.name!r} must be a plain file name")
            sha = hashlib.sha256(part.data).hexdigest()
            digest.update(part.name.encode() + b"\0" + sha.encode())
            (staging / "parts" / part.name).write_bytes(part.data)
            manifest_parts.append(
                {"name": part.name, "bytes": len(part.data), "sha256": sha, "origin": part.origin}
            )
        batch_id = make_batch_id(source, entity, start, end, digest.hexdigest())
        final = root / batch_id
        if final.exists():
            return load_batch(batch_id, cfg)
        manifest = {
            "batch_id": batch_id,
            "source": source,
            "entity": entity,
            "window_start": start.isoformat(),
            "window_end": end.isoformat(),
            "landed_at": datetime.now(UTC).isoformat(),
            "content_sha256": digest.hexdigest(),
            "parts": manifest_parts,
        }
        (staging / "_manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
        for path in (staging / "parts").iterdir():
            path.chmod(0o444)
        try:
            os.rename(staging, final)  # atomic: a batch folder is complete or absent
        except OSError:
            if not final.exists():
                raise
        return load_batch(batch_id, cfg)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def load_batch(batch_id: str, cfg: Settings | None = None) -> LandedBatch:
    cfg = cfg or settings()
    try:
        source, entity = batch_id.split(".")[:2]
    except ValueError:
        raise LandingError(f"{batch_id!r} is not a batch id (source.entity.window.hash)") from None
    path = _batch_root(cfg, source, entity) / batch_id
    manifest_path = path / "_manifest.json"
    if not manifest_path.exists():
        raise LandingError(
            f"batch {batch_id} is not in landing ({path}); land it first (huitong ingest land ...)"
        )
    manifest = json.loads(manifest_path.read_text())
    return LandedBatch(
        batch_id=batch_id,
        source=source,
        entity=entity,
        window_start=datetime.fromisoformat(manifest["window_start"]),
        window_end=datetime.fromisoformat(manifest["window_end"]),
        path=path,
        parts=tuple(manifest["parts"]),
    )


def list_batches(source: str, entity: str, cfg: Settings | None = None) -> list[str]:
    root = _batch_root(cfg or settings(), source, entity)
    if not root.exists():
        return []
    return sorted(
        p.name for p in root.iterdir() if not p.name.startswith(".") and (p / "_manifest.json").exists()
    )
