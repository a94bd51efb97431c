"""`huitong query` on the embedded path: a district analyst sees only their district's rows with personal columns
masked exactly as Trino's rules would mask them; raw layers and every trick are refused; all of it is audited.

The served DuckDB is built here with the documented mart columns (jurisdiction_code on every filtered table) and
published the way the pipeline publishes, so the test reads through settings().serving_db like the CLI does.
"""

from __future__ import annotations

import duckdb
import pytest

from huitong.config import settings
from huitong.policy import Policy, repo_policy_file
from huitong.policy.masks import trino_mask_as_duckdb
from huitong.query import QueryRefused, format_rows, read_audit_log, run_query
from huitong.serving.publish import publish

POLICY = Policy.load(repo_policy_file())
ANALYST = "li.na"
ANALYST_DISTRICT = next(u.jurisdiction for u in POLICY.document.users if u.name == ANALYST)
DISTRICTS = sorted(POLICY.document.jurisdictions)[:3]
assert ANALYST_DISTRICT in DISTRICTS

STAYS = [
    (f"R{i:04d}", f"H{i % 3}", f"tok{i}", f"ptok{i}", name, address, f"2026-10-{1 + i % 9:02d}", district)
    for i, (name, address, district) in enumerate(
        (name, address, district)
        for district in DISTRICTS
        for name, address in [
            ("张三", "江苏省汇通市店湾区梅园街道长江路292号3栋201室"),
            ("欧阳娜娜", "汇通市店湾区中山路1号"),
            (None, "长江路292号"),
            ("王", None),
        ]
    )
]


@pytest.fixture(scope="module")
def served(tmp_path_factory, monkeypatch_module):
    home = tmp_path_factory.mktemp("query_home")
    monkeypatch_module.setenv("HUITONG_HOME", str(home))
    monkeypatch_module.delenv("HUITONG_PROFILE", raising=False)
    settings.cache_clear()
    build = home / "warehouse" / "build.duckdb"
    build.parent.mkdir(parents=True)
    with duckdb.connect(str(build)) as con:
        for schema in ("marts", "staging", "bronze"):
            con.execute(f"CREATE SCHEMA {schema}")
        con.execute(
            "CREATE TABLE marts.fct_hotel_stays (registration_id VARCHAR, hotel_code VARCHAR, "
            "guest_id_token VARCHAR, guest_phone_token VARCHAR, guest_full_name VARCHAR, guest_address VARCHAR, "
            "stay_date DATE, jurisdiction_code VARCHAR)"
        )
        con.executemany("INSERT INTO marts.fct_hotel_stays VALUES (?, ?, ?, ?, ?, ?, ?, ?)", STAYS)
        con.execute(
            "CREATE TABLE marts.dim_jurisdiction AS SELECT * FROM (VALUES "
            + ", ".join(f"('{c}', '{n}')" for c, n in POLICY.document.jurisdictions.items())
            + ") t(jurisdiction_code, jurisdiction_name)"
        )
        # A mart without the filter column: an analyst must get an error, never unfiltered rows.
        con.execute("CREATE TABLE marts.metric_no_scope AS SELECT 1 AS stays")
        con.execute("CREATE TABLE staging.stg_hotel__registrations AS SELECT * FROM marts.fct_hotel_stays")
        con.execute(
            "CREATE TABLE bronze.hotel_registrations AS SELECT '110101199003070019' AS guest_id_number"
        )
    publish(settings(), build)
    yield home
    settings.cache_clear()


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def _as_dicts(result) -> list[dict]:
    return [dict(zip(result.columns, row, strict=True)) for row in result.rows]


def test_analyst_sees_only_their_district(served):
    result = run_query(ANALYST, "select * from marts.fct_hotel_stays")
    rows = _as_dicts(result)
    assert rows, "the analyst's own district has stays"
    assert {r["jurisdiction_code"] for r in rows} == {ANALYST_DISTRICT}
    assert len(rows) == sum(1 for s in STAYS if s[-1] == ANALYST_DISTRICT)


def test_masks_equal_what_trino_would_return(served):
    result = run_query(ANALYST, "SELECT * FROM fct_hotel_stays ORDER BY registration_id")
    got = _as_dicts(result)
    ent = POLICY.for_user(ANALYST)
    kinds = dict(
        next(r for r in POLICY.table_rules if r.matches(ent.groups, "marts", "fct_hotel_stays")).masks
    )
    masked = {c: POLICY.document.classify(c).name for c in result.columns if POLICY.document.classify(c)}
    assert set(masked) == {"guest_id_token", "guest_phone_token", "guest_full_name", "guest_address"}
    expr = ", ".join(
        f"{trino_mask_as_duckdb(kinds[cls], c)} AS {c}" if cls in kinds else c for c, cls in masked.items()
    )
    with duckdb.connect(str(settings().serving_db), read_only=True) as con:
        cur = con.execute(
            f"SELECT {expr} FROM marts.fct_hotel_stays WHERE jurisdiction_code = ? ORDER BY registration_id",
            [ANALYST_DISTRICT],
        )
        expected = [dict(zip([d[0] for d in cur.description], r, strict=True)) for r in cur.fetchall()]
    assert [{c: row[c] for c in masked} for row in got] == expected
    # Masks really changed the values: no raw name or token comes out.
    raw = {v for s in STAYS for v in s[2:6] if v}
    assert not raw & {row[c] for row in got for c in masked}


def test_data_engineer_reads_everything(served):
    result = run_query("zhao.lei", "select guest_full_name, jurisdiction_code from marts.fct_hotel_stays")
    assert len(result.rows) == len(STAYS)
    assert {r[0] for r in result.rows} == {s[4] for s in STAYS}
    assert run_query("zhao.lei", "select * from bronze.hotel_registrations").rows


def test_unscoped_dimensions_are_readable(served):
    result = run_query(ANALYST, "select count(*) from dim_jurisdiction")
    assert result.rows == [(len(POLICY.document.jurisdictions),)]


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("select * from bronze.hotel_registrations", "may not read bronze.hotel_registrations"),
        ("select * from staging.stg_hotel__registrations", "may not read staging"),
        ('select * from "BRONZE"."Hotel_Registrations"', "may not read bronze.hotel_registrations"),
        ("select * from BrOnZe.hotel_registrations", "may not read bronze"),
        ("select /* marts */ * from -- x\n bronze.hotel_registrations", "may not read bronze"),
        (
            "select jurisdiction_code from marts.fct_hotel_stays union all "
            "select guest_id_number from bronze.hotel_registrations",
            "may not read bronze",
        ),
        (
            "select * from marts.fct_hotel_stays where guest_id_token in "
            "(select guest_id_number from bronze.hotel_registrations)",
            "may not read bronze",
        ),
        (
            "with fct_hotel_stays as (select * from staging.stg_hotel__registrations) "
            "select * from fct_hotel_stays",
            "reuse the name",
        ),
        (
            "with x as (select * from staging.stg_hotel__registrations) select * from x",
            "may not read staging",
        ),
        ("select * from information_schema.tables", "may not read information_schema.tables"),
        ("select * from duckdb_tables()", "duckdb_tables"),
        ("select * from duckdb_tables", "may not read marts.duckdb_tables"),
        ("select * from read_csv('/etc/passwd')", "read_csv"),
        ("select * from iceberg_scan('/tmp/x')", "iceberg_scan"),
        ("select * from '/etc/passwd'", "may not read"),
        ("select * from memory.marts.fct_hotel_stays", "catalog-qualified"),
        ("select * from marts.metric_no_scope", "no jurisdiction_code column"),
        ("select 1; select 2", "exactly one statement"),
        ("pragma table_info('marts.fct_hotel_stays')", "only SELECT"),
        ("attach '/tmp/other.duckdb' as o", "only SELECT"),
        ("copy marts.fct_hotel_stays to '/tmp/out.csv'", "only SELECT"),
        ("create table marts.x as select 1", "only SELECT"),
        ("select current_setting('enable_external_access')", "current_setting"),
        ("describe marts.fct_hotel_stays", "only SELECT"),
    ],
)
def test_forbidden_reads_and_tricks_are_refused(served, sql, message):
    with pytest.raises(QueryRefused, match=message):
        run_query(ANALYST, sql)


def test_subqueries_and_joins_stay_filtered(served):
    sql = (
        "select s.jurisdiction_code, j.jurisdiction_name, x.n from (select * from marts.fct_hotel_stays) s "
        "join dim_jurisdiction j using (jurisdiction_code) "
        "cross join (select count(*) n from MARTS.FCT_HOTEL_STAYS) x"
    )
    result = run_query(ANALYST, sql)
    assert {r[0] for r in result.rows} == {ANALYST_DISTRICT}
    assert {r[2] for r in result.rows} == {sum(1 for s in STAYS if s[-1] == ANALYST_DISTRICT)}


def test_the_served_file_is_closed_to_other_accounts(served):
    """Readers go through the policy, not the file: the release is read-only and unreadable by other OS users."""
    release = (served / "serving" / "current.duckdb").resolve()
    assert release.stat().st_mode & 0o777 == 0o440


def test_unknown_user_reads_nothing(served):
    with pytest.raises(QueryRefused, match="nobody may not read marts.dim_jurisdiction"):
        run_query("nobody", "select * from dim_jurisdiction")


def test_every_query_is_audited(served):
    before = len(read_audit_log())
    run_query(ANALYST, "select guest_full_name from marts.fct_hotel_stays")
    with pytest.raises(QueryRefused):
        run_query(ANALYST, "select * from bronze.hotel_registrations")
    allowed, refused = read_audit_log()[before:]
    assert allowed["user"] == ANALYST and allowed["allowed"] is True
    assert allowed["tables"] == ["marts.fct_hotel_stays"] and allowed["person_level"] is True
    assert allowed["rows"] == sum(1 for s in STAYS if s[-1] == ANALYST_DISTRICT)
    assert "WHERE" in allowed["executed_sql"]
    assert refused["allowed"] is False and "bronze.hotel_registrations" in refused["error"]
    assert refused["sql"] == "select * from bronze.hotel_registrations"


def test_format_rows_aligns_chinese(served):
    result = run_query(ANALYST, "select jurisdiction_code, jurisdiction_name from dim_jurisdiction limit 2")
    text = format_rows(result.columns, result.rows)
    lines = text.splitlines()
    assert lines[0].startswith("jurisdiction_code | jurisdiction_name")
    assert lines[-1] == "(2 rows)"
    assert len({line.index("|") for line in lines[2:-1]}) == 1
