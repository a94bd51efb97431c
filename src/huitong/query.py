"""`huitong query --as USER "SQL"`: a department's SQL, answered only through the access policy.

Embedded profile (the default): the SQL is parsed (sqlglot, DuckDB dialect) and must be one read-only SELECT. Every
table it names is resolved to schema.table (default schema ``marts``), checked against the user's entitlements,
and replaced by a *policy view*: ``(SELECT <masked columns> FROM schema.table WHERE <row filter>) AS alias``. Only
the SQL regenerated from the checked tree runs, never the user's text, on a read-only connection to the served
DuckDB with file access disabled, so comments, quoting, case and CTE games cannot reach an unchecked table.

Production profile: the SQL goes to Trino as the user; Trino's rules.json, compiled from the same policy, filters
and masks. Both paths append one line per query (allowed or refused) to $HUITONG_HOME/audit/queries.jsonl.
"""

from __future__ import annotations

import json
import os
import time
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp

from huitong.audit import append_entry, audit_log_path
from huitong.config import Settings, settings
from huitong.policy import Entitlements, Policy, repo_policy_file

DEFAULT_SCHEMA = "marts"

# Statement shapes a query may have: a SELECT or a set operation of SELECTs. Everything else (DDL, DML, PRAGMA,
# ATTACH, COPY, SET, SHOW, DESCRIBE, SUMMARIZE...) is refused before anything runs.
_QUERY_ROOTS = (exp.Select, exp.SetOperation)
# Nodes that must not appear anywhere inside a query.
_FORBIDDEN_NODES = (
    exp.DDL,
    exp.DML,
    exp.Command,
    exp.Pragma,
    exp.Attach,
    exp.Detach,
    exp.Copy,
    exp.Set,
    exp.Use,
)
# Functions that read files, the catalog or the engine's state. Table functions are refused by shape already
# (a FROM item must be a plain table name); these also catch scalar uses and keep the error message clear.
_FORBIDDEN_FUNCTION_PREFIXES = (
    "read_",
    "duckdb_",
    "pragma_",
    "iceberg_",
    "parquet_",
    "delta_",
    "sniff_",
    "glob",
    "query",
    "current_setting",
    "getenv",
    "which_secret",
)


class QueryRefused(PermissionError):
    """The query is not a single read-only SELECT over tables the user may read; the message says why."""


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    tables: list[str]  # schema.table, as the policy saw them
    executed_sql: str  # what actually ran (the policy-rewritten SQL locally, the user's SQL on Trino)
    engine: str


@dataclass(frozen=True)
class TableRead:
    schema: str
    table: str
    personal_columns: tuple[str, ...] = field(default=())

    @property
    def name(self) -> str:
        return f"{self.schema}.{self.table}"


def run_query(
    user: str, sql: str, *, cfg: Settings | None = None, policy: Policy | None = None
) -> QueryResult:
    """Answer `sql` for `user` under the access policy; raises QueryRefused (a PermissionError) otherwise.
    Every call, allowed or refused, is appended to the audit log."""
    cfg = cfg or settings()
    policy = policy or Policy.load(repo_policy_file())
    started = time.monotonic()
    entry: dict[str, Any] = {
        "user": user, "sql": sql, "profile": cfg.profile, "path": "cli", "client": "huitong-query", "tables": [],
    }  # fmt: skip
    try:
        if cfg.profile == "production":
            result = _run_on_trino(user, sql, policy, entry)
        else:
            result = _run_embedded(policy.for_user(user), sql, cfg.serving_db, policy, entry)
    except Exception as exc:
        entry.update(allowed=False, error=f"{type(exc).__name__}: {exc}")
        _audit(cfg, entry, started)
        raise
    entry.update(allowed=True, rows=len(result.rows), engine=result.engine)
    _audit(cfg, entry, started)
    return result


# ---- Embedded: rewrite every table into its policy view, run on the served DuckDB ---------------------------


def connect_serving(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection that cannot touch files, load extensions or change its own settings."""
    if not path.exists():
        raise FileNotFoundError(f"no served build at {path}: run the pipeline and `huitong publish` first")
    con = duckdb.connect(
        str(path),
        read_only=True,
        config={
            "enable_external_access": False,
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        },
    )
    con.execute("SET lock_configuration = true")
    return con


def _run_embedded(
    ent: Entitlements, sql: str, serving_db: Path, policy: Policy, entry: dict[str, Any]
) -> QueryResult:
    tree = parse_single_select(sql, "duckdb")
    with connect_serving(serving_db) as con:
        rewritten, reads = rewrite_with_policy(tree, ent, policy, _Catalog(con))
        entry["tables"] = [r.name for r in reads]
        entry["person_level"] = any(r.personal_columns for r in reads)
        executed = rewritten.sql(dialect="duckdb", comments=False)
        entry["executed_sql"] = executed
        cursor = con.execute(executed)
        columns = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    return QueryResult(columns, rows, entry["tables"], executed, "duckdb")


def parse_single_select(sql: str, dialect: str) -> exp.Expression:
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except sqlglot.errors.ParseError as exc:
        raise QueryRefused(f"the SQL does not parse: {exc}") from None
    if len(statements) != 1:
        raise QueryRefused(f"send exactly one statement, got {len(statements)}")
    (tree,) = statements
    if not isinstance(tree, _QUERY_ROOTS):
        raise QueryRefused(f"only SELECT queries are allowed, not {tree.key.upper()}")
    for node in tree.walk():
        if isinstance(node, _FORBIDDEN_NODES):
            raise QueryRefused(f"{node.key.upper()} is not allowed inside a query")
        if isinstance(node, exp.Func):
            name = _function_name(node)
            if name.startswith(_FORBIDDEN_FUNCTION_PREFIXES):
                raise QueryRefused(f"function {name}() is not allowed: it reads files or the catalog")
    return tree


def _function_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    return node.sql_name().lower()


class _Catalog:
    """What the served database holds, read by the policy layer itself (never through the user's SQL)."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        # Every relation name resolvable anywhere, system views included: a CTE may not reuse one.
        self.relation_names = {
            r[0].lower()
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() UNION SELECT view_name FROM duckdb_views()"
            ).fetchall()
        }

    def columns(self, schema: str, table: str) -> list[str]:
        found = self.con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE lower(schema_name) = ? AND lower(table_name) = ? "
            "AND database_name = current_database() ORDER BY column_index",
            [schema, table],
        ).fetchall()
        if not found:
            raise QueryRefused(f"no table {schema}.{table} in the served build")
        return [r[0] for r in found]


def rewrite_with_policy(
    tree: exp.Expression, ent: Entitlements, policy: Policy, catalog: _Catalog
) -> tuple[exp.Expression, list[TableRead]]:
    """Replace every table reference with its policy view; returns the new tree and what it reads."""
    tree = tree.copy()
    cte_names = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    shadowing = sorted(cte_names & catalog.relation_names)
    if shadowing:
        raise QueryRefused(f"a WITH clause may not reuse the name of a table or view: {', '.join(shadowing)}")
    reads: dict[str, TableRead] = {}
    for table in list(tree.find_all(exp.Table)):
        if not isinstance(table.this, exp.Identifier):
            raise QueryRefused(f"only plain table names may be read, not {table.this.sql(dialect='duckdb')}")
        if table.args.get("catalog") is not None:
            raise QueryRefused(f"catalog-qualified names are not allowed: {table.sql(dialect='duckdb')}")
        name = table.name.lower()
        schema = table.db.lower() if table.db else None
        if schema is None and name in cte_names:
            continue  # a CTE: its body's own table references are rewritten like any other
        schema = schema or DEFAULT_SCHEMA
        if not ent.can_read(schema, name):
            raise QueryRefused(f"{ent.user} may not read {schema}.{name} (access policy)")
        view, read = _policy_view(ent, policy, catalog, schema, name)
        reads.setdefault(read.name, read)
        alias = table.args.get("alias") or exp.TableAlias(this=exp.to_identifier(name))
        table.replace(exp.Subquery(this=view, alias=alias))
    # Columns written schema.table.column would no longer bind to the aliased policy view; keep the table part.
    for column in tree.find_all(exp.Column):
        column.set("db", None)
        column.set("catalog", None)
    return tree, list(reads.values())


def _policy_view(
    ent: Entitlements, policy: Policy, catalog: _Catalog, schema: str, table: str
) -> tuple[exp.Select, TableRead]:
    columns = catalog.columns(schema, table)
    row_filter = ent.row_filter(schema, table)
    masks = ent.column_masks(schema, table, columns)
    personal = tuple(c for c in columns if policy.document.classify(c) is not None)
    rule_column = ent.row_filter_column(schema, table)
    if rule_column is not None and rule_column not in {c.lower() for c in columns}:
        # Trino fails such a query too; never fall back to unfiltered rows.
        raise QueryRefused(
            f"{schema}.{table} has no {rule_column} column, which {ent.user}'s row filter needs"
        )
    projections = [f"{masks[c]} AS {_quote(c)}" if c in masks else _quote(c) for c in columns]
    text = f"SELECT {', '.join(projections)} FROM {_quote(schema)}.{_quote(table)}"
    if row_filter is not None:
        text += f" WHERE {row_filter}"
    view = sqlglot.parse_one(text, read="duckdb")
    return view, TableRead(schema, table, personal)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# ---- Production: the same SQL to Trino, as the user ---------------------------------------------------------


def trino_connection_params(user: str, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """trino.dbapi.connect arguments for `user`, from the variables the dbt trino target reads too. The user is
    who Trino's rules.json decides for; the client never passes a role or a session property that widens it."""
    env = os.environ if environ is None else environ
    scheme = env.get("HUITONG_TRINO_SCHEME") or "http"
    params: dict[str, Any] = {
        "host": env.get("HUITONG_TRINO_HOST") or "trino",
        "port": int(env.get("HUITONG_TRINO_PORT") or 8080),
        "user": user,
        "catalog": env.get("HUITONG_CATALOG_NAME") or "huitong",
        "schema": DEFAULT_SCHEMA,
        "http_scheme": scheme,
        "source": "huitong-query",
    }
    auth = env.get("HUITONG_TRINO_AUTH") or "none"
    if auth == "ldap":
        if scheme != "https":
            raise ValueError("HUITONG_TRINO_AUTH=ldap sends a password: set HUITONG_TRINO_SCHEME=https")
        from trino.auth import BasicAuthentication

        params["auth"] = BasicAuthentication(user, env.get("HUITONG_TRINO_PASSWORD") or "")
    elif auth != "none":
        raise ValueError(f"HUITONG_TRINO_AUTH={auth!r} is not one of none, ldap")
    return params


def _run_on_trino(user: str, sql: str, policy: Policy, entry: dict[str, Any]) -> QueryResult:
    import trino

    tree = parse_single_select(sql, "trino")
    entry["tables"] = sorted(
        {".".join(p for p in (t.db or DEFAULT_SCHEMA, t.name) if p).lower() for t in tree.find_all(exp.Table)}
    )
    with trino.dbapi.connect(**trino_connection_params(user)) as con:
        cursor = con.cursor()
        cursor.execute(sql)
        rows = [tuple(r) for r in cursor.fetchall()]
        columns = [d[0] for d in cursor.description]
    return QueryResult(columns, rows, entry["tables"], sql, "trino")


# ---- Audit -----------------------------------------------------------------------------------------------------


def _audit(cfg: Settings, entry: dict[str, Any], started: float) -> None:
    append_entry(
        cfg,
        {
            "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
            **entry,
            "duration_ms": round((time.monotonic() - started) * 1000, 1),
        },
    )


def read_audit_log(cfg: Settings | None = None) -> list[dict[str, Any]]:
    path = audit_log_path(cfg)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


# ---- Printing --------------------------------------------------------------------------------------------------


def _width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell(value: Any) -> str:
    return "NULL" if value is None else str(value)


def format_rows(columns: Sequence[str], rows: Sequence[Sequence[Any]], max_rows: int = 200) -> str:
    """An aligned text table for the terminal, with a row count; at most `max_rows` rows are shown."""
    shown = [[_cell(v) for v in row] for row in rows[:max_rows]]
    widths = [max([_width(c)] + [_width(r[i]) for r in shown]) for i, c in enumerate(columns)]

    def line(cells: Sequence[str]) -> str:
        return " | ".join(c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=True)).rstrip()

    out = [line(columns), "-+-".join("-" * w for w in widths)] + [line(r) for r in shown]
    more = f" (first {max_rows} shown)" if len(rows) > max_rows else ""
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''}{more})")
    return "\n".join(out)
