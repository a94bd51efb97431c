"""The production path of `huitong query`: Trino is asked as the user themself (rules.json decides), with no
server here, so the connection parameters and the refusals before any connection are what is tested."""

from __future__ import annotations

import pytest
import trino

from huitong.config import settings
from huitong.query import QueryRefused, read_audit_log, run_query, trino_connection_params


def test_connects_as_the_user_to_the_policy_catalog():
    params = trino_connection_params(
        "li.na", {"HUITONG_TRINO_HOST": "trino-coordinator", "HUITONG_TRINO_PORT": "8443"}
    )
    assert params["user"] == "li.na"
    assert (params["host"], params["port"], params["catalog"], params["schema"]) == (
        "trino-coordinator",
        8443,
        "huitong",
        "marts",
    )
    assert "auth" not in params
    # The parameters are what the real client accepts.
    con = trino.dbapi.connect(**params)
    assert con.user == "li.na" and con.catalog == "huitong"
    con.close()


def test_password_auth_needs_https_and_uses_the_users_own_name():
    env = {"HUITONG_TRINO_AUTH": "ldap", "HUITONG_TRINO_PASSWORD": "pw"}
    with pytest.raises(ValueError, match="HUITONG_TRINO_SCHEME=https"):
        trino_connection_params("li.na", env)
    params = trino_connection_params("li.na", {**env, "HUITONG_TRINO_SCHEME": "https"})
    assert isinstance(params["auth"], trino.auth.BasicAuthentication)
    assert params["auth"]._username == "li.na" and params["http_scheme"] == "https"
    with pytest.raises(ValueError, match="not one of"):
        trino_connection_params("li.na", {"HUITONG_TRINO_AUTH": "kerberos"})


@pytest.fixture
def production(huitong_home, monkeypatch):
    monkeypatch.setenv("HUITONG_PROFILE", "production")
    monkeypatch.setenv("HUITONG_CATALOG_URI", "postgresql+psycopg://catalog.invalid/iceberg")
    monkeypatch.setenv("HUITONG_WAREHOUSE", "s3://warehouse.invalid/huitong")
    settings.cache_clear()
    yield huitong_home
    settings.cache_clear()


def test_production_refuses_non_select_before_connecting_and_audits(production):
    with pytest.raises(QueryRefused, match="only SELECT"):
        run_query("li.na", "delete from marts.fct_hotel_stays")
    (entry,) = read_audit_log()
    assert entry["profile"] == "production" and entry["allowed"] is False and entry["user"] == "li.na"
