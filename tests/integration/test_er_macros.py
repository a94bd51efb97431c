"""The dbt ER macros against their Python twins: rendered and run on DuckDB over the shared tricky inputs they
must give the same values; the Trino rendering must parse as Trino SQL, call only Trino functions, and (through
sqlglot's Trino -> DuckDB transpiler, best-effort proof of the same meaning) give the same values too.

A throwaway dbt project under a tmp dir links the real macros and seeds, so this runs without the lead's project."""

from __future__ import annotations

import csv
import os
import re
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from huitong.er.reference_data import DBT_DIR
from huitong.er.standardise import (
    clean_text,
    name_pinyin_keys,
    standardise_date,
    standardise_gender,
    standardise_name,
    standardise_phone,
    standardise_resident_id,
    standardise_uscc,
)
from huitong.er.standardise_address import parse_address, standardise_business_name
from huitong.er.standardise_distance import jaro_winkler, levenshtein, levenshtein_similarity

from .er_cases import PAIRS, VALUES

pytestmark = pytest.mark.slow

STD_MODEL = """
with base as (
    select id, value,
        {{ er_clean_text('value') }} as clean,
        {{ er_name_std('value') }} as name_std,
        {{ er_resident_id18('value') }} as id18,
        {{ er_resident_id_upgraded('value') }} as id_upgraded,
        {{ er_phone('value') }} as phone,
        {{ er_date('value') }} as dt,
        {{ er_gender('value') }} as gender,
        {{ er_uscc('value') }} as uscc,
        {{ er_address_std('value') }} as address_std,
        {{ er_business_name_std('value') }} as biz_std
    from {{ ref('er_test_inputs') }} cross join {{ er_char_lookup() }} as er_lkp
)
select id, clean, name_std, id18, id_upgraded, phone, {{ er_phone_kind('phone') }} as phone_kind, dt, gender,
    uscc, {{ er_uscc_valid('uscc') }} as uscc_valid,
    {{ er_resident_id_valid('id18') }} as id_valid,
    {{ er_resident_id_birth_date('id18') }} as id_birth_date,
    {{ er_resident_id_gender('id18') }} as id_gender,
    {{ er_pinyin_key_ordered('name_std') }} as pinyin_ordered,
    {{ er_pinyin_key_sorted('name_std') }} as pinyin_sorted,
    address_std,
    {% for part in ['division', 'road', 'number', 'building', 'unit', 'room'] %}
    {{ er_address_part('address_std', part) }} as addr_{{ part }},
    {% endfor %}
    biz_std, {{ er_business_core('biz_std') }} as biz_core
from base cross join {{ er_char_lookup() }} as er_lkp
"""

DIST_MODEL_DUCKDB = """
select id, {{ er_levenshtein('a', 'b') }} as lev, {{ er_levenshtein_similarity('a', 'b') }} as lev_sim,
    {{ er_jaro_winkler('a', 'b') }} as jw
from {{ ref('er_test_pairs') }}
"""

DIST_MODEL_PORTABLE = """
select id, {{ er_levenshtein('a', 'b') }} as lev, {{ er_levenshtein_similarity('a', 'b') }} as lev_sim
from {{ ref('er_test_pairs') }}
"""


def expected_row(value: str | None) -> dict:
    rid = standardise_resident_id(value)
    phone, kind = standardise_phone(value)
    uscc, uscc_valid = standardise_uscc(value)
    keys = name_pinyin_keys(value)
    addr = parse_address(value)
    biz = standardise_business_name(value)
    return {
        "clean": clean_text(value),
        "name_std": standardise_name(value),
        "id18": rid.id18,
        "id_upgraded": rid.upgraded,
        "phone": phone,
        "phone_kind": kind,
        "dt": standardise_date(value),
        "gender": standardise_gender(value),
        "uscc": uscc,
        "uscc_valid": uscc_valid,
        "id_valid": rid.valid,
        "id_birth_date": rid.birth_date,
        "id_gender": rid.gender,
        "pinyin_ordered": keys.ordered,
        "pinyin_sorted": keys.sorted,
        "address_std": addr.normalised,
        "addr_division": addr.division,
        "addr_road": addr.road,
        "addr_number": addr.number,
        "addr_building": addr.building,
        "addr_unit": addr.unit,
        "addr_room": addr.room,
        "biz_std": biz.normalised,
        "biz_core": biz.core,
    }


def _write_csv(path: Path, header: list[str], rows: list[tuple]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


@pytest.fixture(scope="module")
def dbt_project(tmp_path_factory):
    from dbt.cli.main import dbtRunner

    root = tmp_path_factory.mktemp("er_dbt")
    # copies, not symlinks: dbt does not follow symlinked folders
    shutil.copytree(DBT_DIR / "macros" / "er", root / "macros" / "er")
    shutil.copytree(DBT_DIR / "seeds" / "er", root / "seeds" / "er")
    _write_csv(root / "seeds" / "er_test_inputs.csv", ["id", "value"], list(enumerate(VALUES)))
    _write_csv(
        root / "seeds" / "er_test_pairs.csv", ["id", "a", "b"], [(i, a, b) for i, (a, b) in enumerate(PAIRS)]
    )
    (root / "models").mkdir()
    (root / "models" / "er_std_out.sql").write_text(STD_MODEL, encoding="utf-8")
    (root / "models" / "er_dist_out.sql").write_text(
        "{% if target.type == 'duckdb' %}"
        + DIST_MODEL_DUCKDB
        + "{% else %}"
        + DIST_MODEL_PORTABLE
        + "{% endif %}",
        encoding="utf-8",
    )
    # Every seed column is text: agate would otherwise read '1' as a number and 'X' check characters would break.
    (root / "dbt_project.yml").write_text(
        "name: er_macro_test\nversion: '1.0'\nprofile: er_macro_test\nconfig-version: 2\n"
        "seeds:\n  er_macro_test:\n    +quote_columns: false\n"
        "    er_test_inputs:\n      +column_types: {id: integer, value: varchar}\n"
        "    er_test_pairs:\n      +column_types: {id: integer, a: varchar, b: varchar}\n"
        "    er:\n      er_char_t2s:\n        +column_types: {traditional: varchar, simplified: varchar}\n"
        "      er_char_pinyin:\n        +column_types: {hanzi: varchar, pinyin: varchar}\n"
        "      er_surname_pinyin:\n        +column_types: {surname: varchar, pinyin: varchar}\n",
        encoding="utf-8",
    )
    (root / "profiles.yml").write_text(
        "er_macro_test:\n  target: duckdb\n  outputs:\n"
        f"    duckdb:\n      type: duckdb\n      path: {root / 'er.duckdb'}\n      schema: main\n      threads: 1\n"
        "    trino:\n      type: trino\n      method: none\n      user: huitong\n      host: 127.0.0.1\n"
        "      port: 8080\n      database: iceberg\n      schema: staging\n      threads: 1\n",
        encoding="utf-8",
    )
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    args = ["--project-dir", str(root), "--profiles-dir", str(root)]
    runner = dbtRunner()
    for command in (["seed"], ["run"]):
        result = runner.invoke([*command, *args, "--target", "duckdb"])
        assert result.success, f"dbt {command[0]} failed: {result.exception}"
    result = runner.invoke(["compile", *args, "--target", "trino", "--no-populate-cache"])
    assert result.success, f"dbt compile for trino failed: {result.exception}"
    return root


def _rows(con, sql: str) -> dict[int, dict]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return {row[0]: dict(zip(names, row, strict=True)) for row in cur.fetchall()}


def _compare(actual: dict[int, dict], inputs: dict[int, str | None]) -> list[str]:
    problems = []
    for i, value in inputs.items():
        for column, want in expected_row(value).items():
            got = actual[i][column]
            if got != want:
                problems.append(f"{value!r} {column}: sql={got!r} python={want!r}")
    return problems


def _inputs(con) -> dict[int, str | None]:
    # compare on what the seed loaded (agate turns '' into NULL), not on the CSV text
    return dict(con.execute("select id, value from main.er_test_inputs").fetchall())


def test_macros_on_duckdb_match_python(dbt_project):
    with duckdb.connect(str(dbt_project / "er.duckdb")) as con:
        inputs = _inputs(con)
        actual = _rows(con, "select * from main.er_std_out")
    assert len(actual) == len(VALUES)
    assert _compare(actual, inputs) == []


def _pair_expectations(a, b):
    return {"lev": levenshtein(a, b), "lev_sim": levenshtein_similarity(a, b), "jw": jaro_winkler(a, b)}


def _compare_pairs(con, table: str, columns: tuple[str, ...], ascii_only: bool = False) -> list[str]:
    pairs = {i: (a, b) for i, a, b in con.execute("select id, a, b from main.er_test_pairs").fetchall()}
    if ascii_only:
        pairs = {i: (a, b) for i, (a, b) in pairs.items() if (a or "").isascii() and (b or "").isascii()}
    actual = _rows(con, f"select * from {table}")
    problems = []
    for i, (a, b) in pairs.items():
        want = _pair_expectations(a, b)
        for column in columns:
            got = actual[i][column]
            if want[column] is None or got is None:
                ok = got == want[column]
            else:
                ok = abs(got - want[column]) < 1e-9
            if not ok:
                problems.append(f"{a!r} {b!r} {column}: sql={got!r} python={want[column]!r}")
    return problems


def test_distance_macros_on_duckdb_count_characters(dbt_project):
    with duckdb.connect(str(dbt_project / "er.duckdb")) as con:
        assert con.execute("select levenshtein('张三', '张四')").fetchone()[0] == 3, (
            "DuckDB now counts characters?"
        )
        assert _compare_pairs(con, "main.er_dist_out", ("lev", "lev_sim", "jw")) == []


def _compiled(root: Path, model: str) -> str:
    return next((root / "target" / "compiled").rglob(f"{model}.sql")).read_text(encoding="utf-8")


# Trino functions the macros may use (https://trino.io/docs/current/functions/list.html).
TRINO_FUNCTIONS = {
    "array_agg", "array_join", "array_sort", "chr", "codepoint", "coalesce", "concat", "element_at", "filter",
    "greatest", "length", "levenshtein_distance", "lower", "lpad", "nullif", "regexp_extract", "regexp_extract_all",
    "regexp_like", "regexp_replace", "replace", "sequence", "split", "strpos", "substr", "substring", "transform",
    "translate", "try_cast", "upper", "current_date",
}  # fmt: skip


def _function_names(tree: exp.Expression) -> set[str]:
    names = set()
    for node in tree.find_all(exp.Func):
        if isinstance(node, exp.Anonymous):
            names.add(node.name.lower())
        elif not isinstance(
            node, exp.Case | exp.If | exp.Cast | exp.TryCast | exp.Lambda | exp.Unnest | exp.And
        ):
            names.add(node.sql(dialect="trino").split("(")[0].strip().lower())
    return names


@pytest.mark.parametrize("model", ["er_std_out", "er_dist_out"])
def test_trino_rendering_parses_and_uses_trino_functions(dbt_project, model):
    sql = _compiled(dbt_project, model)
    assert "regexp_matches" not in sql and "list_transform" not in sql, (
        "DuckDB spelling leaked into Trino SQL"
    )
    tree = sqlglot.parse_one(sql, read="trino")
    unknown = {
        n for n in _function_names(tree) if not re.fullmatch(r"[a-z_]+", n) or n not in TRINO_FUNCTIONS
    }
    assert unknown == set()


def _trino_as_duckdb(root: Path, model: str) -> str:
    sql = _compiled(root, model).replace('"iceberg"."staging".', "main.").replace("iceberg.staging.", "main.")
    tree = sqlglot.parse_one(sql, read="trino")
    # sqlglot keeps Trino's $1 group references in regexp_replace replacements; DuckDB spells them \1
    for node in tree.find_all(exp.RegexpReplace):
        repl = node.args.get("replacement")
        if isinstance(repl, exp.Literal):
            repl.replace(exp.Literal.string(re.sub(r"\$(\d)", r"\\\1", repl.this)))
    return tree.sql(dialect="duckdb")


# Trino functions sqlglot passes through unchanged, given their DuckDB meaning (same semantics, other name).
TRANSPILE_SHIMS = ("create or replace temp macro codepoint(x) as unicode(x)",)


def test_trino_rendering_transpiled_to_duckdb_matches_python(dbt_project):
    with duckdb.connect(str(dbt_project / "er.duckdb")) as con:
        for shim in TRANSPILE_SHIMS:
            con.execute(shim)
        inputs = _inputs(con)
        actual = _rows(con, _trino_as_duckdb(dbt_project, "er_std_out"))
        assert _compare(actual, inputs) == []
        con.execute("create temp view trino_dist as " + _trino_as_duckdb(dbt_project, "er_dist_out"))
        # sqlglot turns Trino's levenshtein_distance (code points) into DuckDB's levenshtein (bytes): the very
        # trap the DuckDB macro works around, so only ASCII pairs can carry meaning through the transpiler.
        assert _compare_pairs(con, "trino_dist", ("lev", "lev_sim"), ascii_only=True) == []


def test_dates_come_back_as_dates(dbt_project):
    with duckdb.connect(str(dbt_project / "er.duckdb")) as con:
        got = con.execute("select dt from main.er_std_out where dt is not null limit 1").fetchone()[0]
    assert isinstance(got, date)
