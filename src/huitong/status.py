"""`huitong status`: what a data engineer checks first: is each source fresh, did its last batch reconcile."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.console import Console
from rich.table import Table

from huitong.config import Settings, settings
from huitong.lake.ledger import read_ledger


def source_status(cfg: Settings | None = None) -> list[dict]:
    rows = read_ledger(cfg or settings()).to_pylist()
    by_source: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        by_source.setdefault((row["source"], row["entity"]), []).append(row)
    out = []
    now = datetime.now(UTC)
    for (source, entity), batches in sorted(by_source.items()):
        last = max(batches, key=lambda r: (r["window_end"], r["finished_at"]))
        newest = max((b["newest_record_at"] for b in batches if b["newest_record_at"]), default=None)
        out.append({
            "source": source, "entity": entity, "batches": len(batches),
            "last_batch": last["batch_id"], "last_window_end": last["window_end"],
            "landed": sum(b["landed"] for b in batches), "loaded": sum(b["loaded"] for b in batches),
            "quarantined": sum(b["quarantined"] for b in batches),
            "freshness_h": round((now - newest).total_seconds() / 3600, 1) if newest else None,
        })  # fmt: skip
    return out


def render_status(cfg: Settings | None = None) -> None:
    rows = source_status(cfg)
    console = Console(width=None if Console().is_terminal else 140)  # logs and pipes get the full table
    if not rows:
        console.print(
            "No batches yet. Run a source DAG, or `huitong ingest run SOURCE --start ... --end ...`."
        )
        return
    table = Table(title="Huitong sources (from ops.batch_ledger)")
    for col in (
        "source",
        "entity",
        "batches",
        "last window end",
        "landed",
        "loaded",
        "quarantined",
        "newest record age (h)",
    ):
        table.add_column(col)
    for r in rows:
        table.add_row(r["source"], r["entity"], str(r["batches"]), f"{r['last_window_end']:%Y-%m-%d %H:%M}",
                      str(r["landed"]), str(r["loaded"]), str(r["quarantined"]), str(r["freshness_h"]))  # fmt: skip
    console.print(table)
