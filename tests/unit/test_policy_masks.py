"""The Trino form of every mask, evaluated through sqlglot in DuckDB, equals the DuckDB form on fixed inputs."""

from __future__ import annotations

import duckdb
import pytest

from huitong.policy import MASK_KINDS, render_mask
from huitong.policy.masks import trino_mask_as_duckdb

INPUTS = [
    None,
    "",
    "张三",
    "欧阳娜娜",
    "王",
    "Zhang San",
    "江苏省南京市玄武区梅园新村街道长江路292号3栋201室",
    "南京市秦淮区中华门街道雨花路18号",
    "江苏省南京市六合区竹镇镇竹镇村12号",
    "江苏省镇江市京口区大市口街道中山东路1号",
    "玄武区中山路1号",
    "长江路292号",
    "3b9f2c0e5d1a4c7e8f6a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e",
]


def _evaluate(sql_by_column: str, values: list[str | None]) -> list[str | None]:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (i INTEGER, v VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(values)))
    return [row[0] for row in con.execute(f"SELECT {sql_by_column} FROM t ORDER BY i").fetchall()]


@pytest.mark.parametrize("kind", sorted(MASK_KINDS))
def test_trino_and_duckdb_masks_agree(kind):
    from_trino = _evaluate(trino_mask_as_duckdb(kind, "v"), INPUTS)
    from_duckdb = _evaluate(render_mask(kind, "v", "duckdb"), INPUTS)
    assert from_trino == from_duckdb
    # A mask that returned its input would pass the comparison while leaking: every non-empty value changes.
    assert all(out != value for value, out in zip(INPUTS, from_duckdb, strict=True) if value)


def test_masks_count_characters_not_bytes():
    names = _evaluate(render_mask("name_initial", "v", "duckdb"), ["张三", "欧阳娜娜", "Li"])
    assert names == ["张**", "欧**", "L**"]


def test_address_keeps_the_town_at_most():
    out = _evaluate(
        render_mask("address_town", "v", "duckdb"),
        [
            "江苏省南京市玄武区梅园新村街道长江路292号3栋201室",
            "江苏省镇江市京口区大市口街道中山东路1号",
            "玄武区中山路1号",
            "长江路292号",
        ],
    )
    assert out == ["江苏省南京市玄武区梅园新村街道", "江苏省镇江市京口区大市口街道", "玄武区", None]


def test_hash_token_is_sha256_of_utf8():
    import hashlib

    (out,) = _evaluate(render_mask("hash_token", "v", "duckdb"), ["张三"])
    assert out == hashlib.sha256("张三".encode()).hexdigest()


def test_unknown_mask_kind_and_dialect_are_refused():
    with pytest.raises(ValueError, match="unknown mask kind"):
        render_mask("reverse", "v", "duckdb")
    with pytest.raises(ValueError, match="dialect"):
        render_mask("null", "v", "spark")
    with pytest.raises(ValueError, match="column name"):
        render_mask("null", 'v"; DROP TABLE x; --', "duckdb")
