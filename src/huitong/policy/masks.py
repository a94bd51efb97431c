"""Column masks: a few named kinds, each written once per engine in ONE table.

Trino applies the Trino form through rules.json; the embedded path (DuckDB serving, Superset, `huitong query`)
applies the DuckDB form. tests/unit/test_policy_masks.py evaluates both on the same inputs and asserts equal
results, so the two columns of this table cannot drift apart.

Traps the forms avoid: DuckDB's ``regexp_extract`` returns '' where Trino's returns NULL (hence the
``regexp_like``/``regexp_matches`` guards); string positions count code points in both engines' ``substr``, but
DuckDB's byte-counting functions (``strlen``, the edit distances) are not used; SHA-256 is taken over the UTF-8
bytes in both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DIALECTS = ("trino", "duckdb")

# A standard Chinese address reads province, city, district/county, then town (街道, 镇 or 乡), then street and
# number. Keeping the text up to the first town marker after a district/county/city marker keeps the town and
# drops street, building and room; without a town, the district is kept; otherwise nothing is.
_TOWN = "^.*?[区县市].*?(街道|镇|乡)"
_DISTRICT = "^.*?[区县]"


@dataclass(frozen=True)
class MaskKind:
    name: str
    purpose: str
    trino: str
    duckdb: str

    def render(self, column: str, dialect: str) -> str:
        if dialect not in DIALECTS:
            raise ValueError(f"unknown SQL dialect {dialect!r}; use one of {', '.join(DIALECTS)}")
        return getattr(self, dialect).format(c=quote_identifier(column))


MASK_KINDS: dict[str, MaskKind] = {
    kind.name: kind
    for kind in (
        MaskKind(
            "null",
            "hide the value entirely",
            trino="CAST(NULL AS varchar)",
            duckdb="CAST(NULL AS VARCHAR)",
        ),
        MaskKind(
            "hash_token",
            "re-pseudonymise a token: joins within the served tables still work, but the values cannot be "
            "matched against the pipeline's own tokens",
            trino="lower(to_hex(sha256(to_utf8({c}))))",
            duckdb="sha256({c})",
        ),
        MaskKind(
            "name_initial",
            "keep the first character (the surname, for most Chinese names) and hide the length: 张三 -> 张**",
            trino="CASE WHEN {c} IS NULL OR {c} = '' THEN {c} ELSE concat(substr({c}, 1, 1), '**') END",
            duckdb="CASE WHEN {c} IS NULL OR {c} = '' THEN {c} ELSE substr({c}, 1, 1) || '**' END",
        ),
        MaskKind(
            "address_town",
            "truncate an address to its town (街道/镇/乡), else to its district, else hide it",
            trino=(
                f"CASE WHEN regexp_like({{c}}, '{_TOWN}') THEN regexp_extract({{c}}, '{_TOWN}') "
                f"WHEN regexp_like({{c}}, '{_DISTRICT}') THEN regexp_extract({{c}}, '{_DISTRICT}') "
                "ELSE CAST(NULL AS varchar) END"
            ),
            duckdb=(
                f"CASE WHEN regexp_matches({{c}}, '{_TOWN}') THEN regexp_extract({{c}}, '{_TOWN}') "
                f"WHEN regexp_matches({{c}}, '{_DISTRICT}') THEN regexp_extract({{c}}, '{_DISTRICT}') "
                "ELSE CAST(NULL AS VARCHAR) END"
            ),
        ),
    )
}

# `keep` is a policy decision, not a mask: the column is shown as stored.
KEEP = "keep"

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


def quote_identifier(name: str) -> str:
    """Double-quoted identifier; both engines accept it. Only plain lower-case names reach here (the policy
    validates them), so quoting is about reserved words like ``name``, not about escaping."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a plain lower-case column name: {name!r}")
    return f'"{name}"'


def render_mask(kind: str, column: str, dialect: str) -> str:
    try:
        mask = MASK_KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown mask kind {kind!r}; known: {', '.join(MASK_KINDS)}") from None
    return mask.render(column, dialect)


def render_jurisdiction_filter(column: str, code: str) -> str:
    """The row filter of a jurisdiction-scoped grant; the same text is valid Trino and DuckDB SQL."""
    if not code.isdigit():
        raise ValueError(f"jurisdiction code must be digits, got {code!r}")
    return f"{quote_identifier(column)} = '{code}'"


def trino_mask_as_duckdb(kind: str, column: str) -> str:
    """The Trino form of a mask, translated by sqlglot so DuckDB can evaluate it: the reference the embedded
    path's masks are compared against (what Trino would return for the same input)."""
    import sqlglot

    return sqlglot.transpile(render_mask(kind, column, "trino"), read="trino", write="duckdb")[0]
