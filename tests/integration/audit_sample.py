"""An audit trail for the Superset test home: department queries through the access policy (allowed and refused)
against the published build, landed by the audit source and built into marts.audit_queries by the real dbt models,
then published again, so the audit dashboard has rows to show."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from huitong.config import settings
from huitong.ingest import ensure_tables, land_window, load
from huitong.query import QueryRefused, run_query
from huitong.serving.superset_sample import publish_build
from tests.integration.metrics_city import city_environment, dbt

# (user, SQL, answered?) as the policy decides them for the served marts.
QUERIES = (
    ("li.na", "select period_type, count(*) from metric_public_safety_kpis group by 1", True),
    ("zhao.lei", "select count(*) from marts.metric_hotel_stays_daily", True),
    ("li.na", "select * from bronze.hotel__registrations", False),
    ("qian.hui", "select * from marts.dim_person", False),
)


def add_audit_trail(home: Path, build: Path) -> int:
    """Run QUERIES as their users against ``home``'s published build, land and build the audit trail into
    ``build`` (``home``'s dbt build file) and publish it; returns the rows of marts.audit_queries' source batch."""
    with city_environment(home):
        cfg = settings()
        assert cfg.build_db == build
        started = datetime.now(UTC)
        for user, sql, answered in QUERIES:
            try:
                run_query(user, sql)
                assert answered, (user, sql)
            except QueryRefused:
                assert not answered, (user, sql)
        ensure_tables(cfg)
        window = (started - timedelta(minutes=5), datetime.now(UTC) + timedelta(minutes=5))
        result = load(land_window("audit.queries", *window, cfg).batch_id, cfg)
        assert result.landed == result.loaded == len(QUERIES), result
        dbt(home, "build", "--select", "stg_audit__queries audit_queries")
    publish_build(home, build)
    return result.loaded
