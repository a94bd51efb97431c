"""Shared fixtures. Every test runs against its own HUITONG_HOME so no test sees another's lake."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from huitong.config import settings

PROJECT_ROOT = Path(__file__).resolve().parents[1]
VENVS = PROJECT_ROOT / ".venvs"


@pytest.fixture
def huitong_home(tmp_path, monkeypatch) -> Path:
    """A fresh, empty HUITONG_HOME for one test."""
    home = tmp_path / "home"
    monkeypatch.setenv("HUITONG_HOME", str(home))
    for name in ("HUITONG_PROFILE", "HUITONG_CATALOG_URI", "HUITONG_WAREHOUSE", "HUITONG_HMAC_KEY"):
        monkeypatch.delenv(name, raising=False)
    settings.cache_clear()
    yield home
    settings.cache_clear()


def airflow_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment the Makefile gives Airflow, pointed at a test's own home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        HUITONG_HOME=str(home),
        HUITONG_PROJECT_ROOT=str(PROJECT_ROOT),
        HUITONG_CORE_BIN=str(VENVS / "core" / "bin"),
        DBT_PROFILES_DIR=str(PROJECT_ROOT / "dbt_project"),
        AIRFLOW_HOME=str(home / "airflow"),
        AIRFLOW__CORE__DAGS_FOLDER=str(PROJECT_ROOT / "dags"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__EXECUTOR="LocalExecutor",
        AIRFLOW__COSMOS__ENABLE_TELEMETRY="False",
        AIRFLOW__COSMOS__CACHE_DIR=str(home / "airflow" / "cosmos"),
        PATH=f"{VENVS / 'airflow' / 'bin'}:{os.environ.get('PATH', '')}",
        PYTHONPATH=str(PROJECT_ROOT / "dags"),
    )
    env.update(extra)
    return env
