"""The raw audit log's retention (huitong.audit.trim_audit_log): old lines go, a torn line goes with its
neighbours, the file stays the one writers append to, and a dry run changes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from huitong.audit import append_entry, audit_log_path, trim_audit_log
from huitong.config import settings

CUTOFF = datetime(2026, 2, 15, tzinfo=UTC)


def entry(day: int) -> dict:
    return {"at": f"2026-02-{day:02d}T10:00:00+08:00", "user": "analyst", "sql": "select 1", "path": "cli"}


def test_old_lines_and_a_torn_line_among_them_go_recent_lines_stay(huitong_home):
    cfg = settings()
    for day in (10, 12):
        append_entry(cfg, entry(day))
    path = audit_log_path(cfg)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write('{"at": "2026-02-1\n')  # a write torn by a crash: it belongs to its neighbours' (old) window
    for day in (20, 21):
        append_entry(cfg, entry(day))
    inode = path.stat().st_ino

    assert trim_audit_log(cfg, CUTOFF, dry_run=True) == 3
    assert len(path.read_text().splitlines()) == 5
    assert trim_audit_log(cfg, CUTOFF) == 3
    assert [json.loads(line)["at"][:10] for line in path.read_text().splitlines()] == [
        "2026-02-20",
        "2026-02-21",
    ]
    # Rewritten in place: a writer that opened the log before the trim appends to the same file.
    assert path.stat().st_ino == inode
    append_entry(cfg, entry(22))
    assert len(path.read_text().splitlines()) == 3
    assert trim_audit_log(cfg, CUTOFF) == 0


def test_no_log_yet_is_nothing_to_remove(huitong_home):
    assert trim_audit_log(settings(), CUTOFF) == 0
