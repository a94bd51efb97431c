"""A small simulated city in its own HUITONG_HOME, for the source ingestion tests (module-scoped fixtures)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from huitong.config import Settings, load_settings, settings
from huitong.simulate import simulate


@contextmanager
def simulated_city(home: Path, **city) -> Iterator[tuple[Settings, pytest.MonkeyPatch]]:
    """Settings for ``home`` with the city simulated into it (``city``: seed, scale, start, as_of), and the
    MonkeyPatch that holds the environment until the block ends."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HUITONG_HOME", str(home))
        mp.delenv("HUITONG_HMAC_KEY", raising=False)
        settings.cache_clear()
        cfg = load_settings()
        simulate(cfg, log=lambda _: None, **city)
        try:
            yield cfg, mp
        finally:
            settings.cache_clear()


@contextmanager
def home_outside_pytest_tmp(prefix: str) -> Iterator[Path]:
    """A fresh folder for a home that runs the simulated rental PostgreSQL, removed after. Not under pytest's temp
    root: when tests run as root, PostgreSQL runs as `nobody` and must traverse the folders above its data, and
    every pytest session resets /tmp/pytest-of-<user> to 0700."""
    home = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield home
    finally:
        shutil.rmtree(home, ignore_errors=True)
