"""The `huitong` entry point turns a user's mistake into one line and exit code 2, not a traceback."""

from __future__ import annotations

import sys

import pytest

from huitong.cli import main


def test_an_unknown_source_exits_2_naming_the_known_ones(huitong_home, monkeypatch, capsys):
    argv = ["huitong", "ingest", "land", "nope", "--start", "2026-01-01", "--end", "2026-01-02"]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as stopped:
        main()
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unknown source 'nope'; known: ") and "hotel.registrations" in err
    assert "Traceback" not in err
