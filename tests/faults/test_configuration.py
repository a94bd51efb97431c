"""Missing or wrong configuration fails with a clear error that names the fix, before any data is touched."""

from __future__ import annotations

import socket
from dataclasses import replace

import pytest

from huitong.ingest import land_window
from huitong.lake.catalog import get_catalog
from huitong.lake.landing import list_batches
from huitong.policy import Policy, PolicyError, compile_policy, repo_policy_file
from huitong.simulate.hotel_api import running_server
from huitong.sources import get_source
from huitong.sources.hotel import SourceUnavailable
from tests.faults.conftest import TOKEN, WEEKS, hotel_sent, lake_counts, load_rows, report


def lake_files(lake) -> list[str]:
    root = lake.home / "lake"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.mark.slow
def test_production_without_the_pseudonymisation_key_refuses_before_loading(lake):
    with running_server(store_path=lake.hotel_store, token=TOKEN, rate_per_s=0, error_rate=0) as url:
        batch = land_window("hotel", *WEEKS[0], replace(lake.cfg, hotel_api_url=url))
    before = lake_files(lake)
    env = {k: v for k, v in lake.env.items() if k != "HUITONG_HMAC_KEY"}
    env.update(HUITONG_PROFILE="production", HUITONG_CATALOG_URI=lake.cfg.catalog_uri,
               HUITONG_WAREHOUSE=lake.cfg.warehouse)  # fmt: skip
    lake.env = env
    out = lake.huitong("ingest", "load", batch.batch_id, check=False)
    assert out.returncode == 2, out.stderr[-2000:]
    assert "configuration error: HUITONG_HMAC_KEY is not set" in out.stderr
    assert "Set HUITONG_HMAC_KEY from your secret store" in out.stderr
    assert lake_files(lake) == before  # no table, no data file, no ledger row
    # Fixed (the key set), the same landed batch loads completely.
    load_rows(batch.batch_id, lake.cfg)
    sent = len(hotel_sent(lake.hotel_store, *WEEKS[0]))
    assert (
        report("config_missing_hmac_key_then_fixed", sent, *lake_counts(lake, "hotel", "registrations")) == 0
    )


@pytest.mark.parametrize(
    "env, expected",
    [
        ({"HUITONG_PROFILE": "staging"}, "HUITONG_PROFILE='staging' is not one of embedded, production"),
        (
            {"HUITONG_PROFILE": "production"},
            "production profile needs HUITONG_CATALOG_URI and HUITONG_WAREHOUSE",
        ),
        ({"HUITONG_SCALE": "lots"}, "HUITONG_SEED must be an integer and HUITONG_SCALE a number"),
    ],
)
def test_wrong_settings_name_the_variable_to_fix(lake, monkeypatch, capsys, env, expected):
    """The `huitong` entry point itself (in-process: the same code as the executable, without its start-up)."""
    from huitong import cli
    from huitong.config import settings

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings.cache_clear()
    monkeypatch.setattr("sys.argv", ["huitong", "lake", "snapshots", "bronze.hotel__registrations"])
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    err = capsys.readouterr().err
    settings.cache_clear()
    assert exit_.value.code == 2 and err.startswith("configuration error:") and expected in err, err
    assert lake_files(lake) == []


def test_an_unreachable_source_names_the_setting_and_lands_nothing(lake, monkeypatch):
    monkeypatch.setattr(get_source("hotel"), "max_attempts", 1)
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cfg = replace(lake.cfg, hotel_api_url=f"http://127.0.0.1:{port}")
    with pytest.raises(SourceUnavailable) as failure:
        land_window("hotel", *WEEKS[0], cfg)
    message = str(failure.value)
    assert (
        f"127.0.0.1:{port}" in message
        and "HUITONG_HOTEL_API_URL" in message
        and "Nothing was landed" in message
    )
    assert list_batches("hotel", "registrations", cfg) == []
    assert not get_catalog(cfg).table_exists("bronze.hotel__registrations")


BAD_POLICIES = {
    "not YAML": ("version: 1\nroles: [a, b\n", "not valid YAML"),
    "not a mapping": ("- just\n- a list\n", "must be a YAML mapping"),
    "wrong version": (None, "version: only version 1 is understood"),
    "unknown key": (None, "unknown"),
}


@pytest.mark.parametrize("case", sorted(BAD_POLICIES))
def test_a_bad_policy_file_names_the_line_and_field_and_compiles_nothing(tmp_path, case):
    text, expected = BAD_POLICIES[case]
    good = repo_policy_file().read_text(encoding="utf-8")
    if case == "wrong version":
        text = good.replace("version: 1", "version: 2", 1)
    elif case == "unknown key":
        text = good.replace("version: 1", "version: 1\nverison_note: typo", 1)
    bad = tmp_path / "access_policy.yaml"
    bad.write_text(text, encoding="utf-8")
    out = tmp_path / "trino_etc"
    with pytest.raises(PolicyError) as failure:
        compile_policy(bad, out)
    message = str(failure.value)
    assert message.startswith("access_policy.yaml") and expected in message, message
    if case != "not a mapping":
        assert failure.value.line is not None, message  # the line to fix
    assert not out.exists()  # nothing written for Trino
    with pytest.raises(PolicyError):
        Policy.load(bad)
    with pytest.raises(PolicyError, match="cannot read the policy file"):
        Policy.load(tmp_path / "missing.yaml")
