import pytest

from huitong.config import ConfigError, load_settings


def test_embedded_defaults_live_under_home(huitong_home):
    cfg = load_settings()
    assert cfg.profile == "embedded"
    assert cfg.catalog_uri == f"sqlite:///{huitong_home / 'lake' / 'catalog.db'}"
    assert cfg.serving_db == huitong_home / "serving" / "current.duckdb"


def test_embedded_key_is_made_once_and_kept(huitong_home):
    cfg = load_settings()
    first = cfg.hmac_key()
    assert first == cfg.hmac_key() == load_settings().hmac_key()
    assert (huitong_home / "secrets" / "hmac.key").stat().st_mode & 0o077 == 0


def test_production_without_key_stops_with_the_fix(huitong_home, monkeypatch):
    monkeypatch.setenv("HUITONG_PROFILE", "production")
    monkeypatch.setenv("HUITONG_CATALOG_URI", "postgresql+psycopg://catalog")
    monkeypatch.setenv("HUITONG_WAREHOUSE", "s3://lake/warehouse")
    with pytest.raises(ConfigError, match="HUITONG_HMAC_KEY"):
        load_settings().hmac_key()
    assert not (huitong_home / "secrets").exists()


@pytest.mark.parametrize("key", ["change-me", "0123456789abcdef", "a" * 64])
def test_production_refuses_a_placeholder_or_weak_key(huitong_home, monkeypatch, key):
    monkeypatch.setenv("HUITONG_PROFILE", "production")
    monkeypatch.setenv("HUITONG_CATALOG_URI", "postgresql+psycopg://catalog")
    monkeypatch.setenv("HUITONG_WAREHOUSE", "s3://lake/warehouse")
    monkeypatch.setenv("HUITONG_HMAC_KEY", key)
    with pytest.raises(ConfigError, match="placeholder or too weak.*secrets.token_hex"):
        load_settings().hmac_key()
    strong = "3f9c1e0a7b2d4c6e8f1a3b5c7d9e0f2a4b6c8d0e1f3a5b7c9d1e3f5a7b9c0d2e"
    monkeypatch.setenv("HUITONG_HMAC_KEY", strong)
    assert load_settings().hmac_key() == strong.encode()


def test_production_needs_catalog_and_warehouse(huitong_home, monkeypatch):
    monkeypatch.setenv("HUITONG_PROFILE", "production")
    with pytest.raises(ConfigError, match="HUITONG_CATALOG_URI and HUITONG_WAREHOUSE"):
        load_settings()


def test_unknown_profile(monkeypatch, huitong_home):
    monkeypatch.setenv("HUITONG_PROFILE", "staging")
    with pytest.raises(ConfigError, match="not one of embedded, production"):
        load_settings()


def test_er_memory_limit_is_a_size_auto_or_none(monkeypatch, huitong_home):
    assert load_settings().er_memory_limit == "auto"
    for value in ("750MB", "1.5GiB", "none", "auto"):
        monkeypatch.setenv("HUITONG_ER_MEMORY_LIMIT", value)
        assert load_settings().er_memory_limit == value
    monkeypatch.setenv("HUITONG_ER_MEMORY_LIMIT", "lots")
    with pytest.raises(ConfigError, match="HUITONG_ER_MEMORY_LIMIT"):
        load_settings()


def test_arrow_memory_pool_is_chosen_and_applied(monkeypatch, huitong_home):
    import pyarrow as pa

    from huitong.ingest import use_memory_pool

    assert load_settings().arrow_memory_pool == "system"
    monkeypatch.setenv("HUITONG_ARROW_MEMORY_POOL", "tcmalloc")
    with pytest.raises(ConfigError, match="HUITONG_ARROW_MEMORY_POOL"):
        load_settings()
    before = pa.default_memory_pool()
    try:
        for name in ("mimalloc", "system"):
            use_memory_pool(name)
            assert pa.default_memory_pool().backend_name == name
            assert pa.array(["x"] * 10).to_pylist() == ["x"] * 10
    finally:
        pa.set_memory_pool(before)


@pytest.mark.parametrize("profile", ["embedded", "production"])
def test_dbt_profiles_default_target_is_the_settings_one(huitong_home, monkeypatch, profile):
    """dbt_project/profiles.yml picks its target by the same rule as Settings.dbt_target (and the transform DAG's
    huitong_dags.dbt_target), so setting HUITONG_PROFILE alone builds on the profile's engine everywhere."""
    import os

    import jinja2
    import yaml

    from tests.conftest import PROJECT_ROOT

    monkeypatch.setenv("HUITONG_PROFILE", profile)
    monkeypatch.setenv("HUITONG_CATALOG_URI", "postgresql+psycopg://catalog")
    monkeypatch.setenv("HUITONG_WAREHOUSE", "s3://lake/warehouse")
    monkeypatch.delenv("HUITONG_DBT_TARGET", raising=False)
    target = yaml.safe_load((PROJECT_ROOT / "dbt_project" / "profiles.yml").read_text())["huitong"]["target"]
    rendered = jinja2.Template(target).render(
        env_var=lambda name, default=None: os.environ.get(name, default)
    )
    assert rendered == load_settings().dbt_target == ("trino" if profile == "production" else "duckdb")
