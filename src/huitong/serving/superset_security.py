"""The access policy in Superset: one role per policy group, dataset access, row-level security, SQL Lab.

Superset is configured from the SAME compiled files Trino reads (infra/trino/etc/rules.json and group.txt, made
from infra/policy/access_policy.yaml by huitong.policy), so Trino and Superset cannot disagree:

- one Superset role per Trino group (``leadership``, ``district_analyst_329902``...), with Gamma's read-only
  permissions plus ``datasource_access`` on exactly the datasets whose table the group may read (first matching
  table rule, default deny);
- a Regular RLS filter per row-filtered rule (``"jurisdiction_code" = '329902'``) on those datasets;
- column masks cannot be expressed in Superset: a dataset that exposes a column the group's rule masks is not
  granted at all, and only roles with raw-layer access (``data_engineer``) get SQL Lab, so department users only
  see charts over aggregate or unmasked tables and cannot write their own SQL around the filters;
- people in group.txt become Superset users with their groups as roles (embedded profile; in production they come
  from the identity provider and this step only maintains roles). Their demo passwords are made once under
  HUITONG_HOME/secrets (git-ignored; SUPERSET_PASSWORD_<USER> overrides).

Runs in Superset's venv after the assets are imported (superset/bin/init), and imports nothing from huitong:
    python src/huitong/serving/superset_security.py [RULES_JSON GROUP_TXT]
The planning half (reading the compiled files, deciding per dataset) is plain Python and tested in the core venv.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
RULES_FILE = REPO / "infra" / "trino" / "etc" / "rules.json"
GROUP_FILE = REPO / "infra" / "trino" / "etc" / "group.txt"
RLS_PREFIX = "huitong policy: "
ASSETS_DATABASE = "Huitong 汇通"  # database_name in superset/assets/databases/Huitong.yaml


@dataclass(frozen=True)
class TableRule:
    schema_regex: str
    table_regex: str
    readable: bool
    clause: str | None
    masked_columns: frozenset[str]


@dataclass(frozen=True)
class Decision:
    readable: bool
    clause: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class RolePlan:
    name: str
    rules: tuple[TableRule, ...]
    sql_lab: bool  # raw-layer (engineer) groups only

    def decide(self, schema: str, table: str, columns: set[str]) -> Decision:
        schema, table = (schema or "").lower(), table.lower()
        rule = next(
            (
                r
                for r in self.rules
                if re.fullmatch(r.schema_regex, schema) and re.fullmatch(r.table_regex, table)
            ),
            None,
        )
        if rule is None or not rule.readable:
            return Decision(False, reason="the policy grants no SELECT")
        exposed = sorted(rule.masked_columns & {c.lower() for c in columns})
        if exposed:
            return Decision(False, reason=f"Superset cannot mask {', '.join(exposed)}")
        return Decision(True, rule.clause)


def load_plan(rules_path: Path = RULES_FILE, groups_path: Path = GROUP_FILE) -> tuple[list[RolePlan], dict]:
    """(one RolePlan per group, {user: [groups]}) from the compiled Trino files."""
    rules = json.loads(Path(rules_path).read_text(encoding="utf-8"))
    members: dict[str, list[str]] = {}
    groups: list[str] = []
    for line in Path(groups_path).read_text(encoding="utf-8").splitlines():
        if ":" in line:
            group, names = line.split(":", 1)
            groups.append(group)
            for name in filter(None, names.split(",")):
                members.setdefault(name, []).append(group)
    # Groups with no member still get a role, so a user added later only needs the role.
    for rule in rules["tables"]:
        name = _unescape(rule["group"])
        if name not in groups:
            groups.append(name)
    raw_group_regexes = [c["group"] for c in rules["catalogs"] if c.get("allow") == "all" and "group" in c]
    # People are whom Superset may impersonate on Trino; service users (airflow) get no Superset login.
    people = [r["new_user"] for r in rules.get("impersonation", []) if r.get("allow", True)]
    members = {u: g for u, g in members.items() if any(re.fullmatch(p, u) for p in people)}
    plans = []
    for group in groups:
        table_rules = tuple(
            TableRule(
                schema_regex=r["schema"],
                table_regex=r["table"],
                readable="SELECT" in r["privileges"],
                clause=r.get("filter"),
                masked_columns=frozenset(c["name"] for c in r.get("columns", []) if "mask" in c),
            )
            for r in rules["tables"]
            if re.fullmatch(r["group"], group)
        )
        sql_lab = any(re.fullmatch(g, group) for g in raw_group_regexes)
        plans.append(RolePlan(group, table_rules, sql_lab))
    return plans, members


def _unescape(regex: str) -> str:
    """A group name back from its re.escape()d form (group names are plain identifiers)."""
    return re.sub(r"\\(.)", r"\1", regex)


def user_password_file(home: Path, user: str) -> Path:
    """Where a person's demo Superset password is kept (made on first use by superset_config's secret helper)."""
    return home / "secrets" / f"superset_user_{user}.password"


def _user_password(user: str) -> str:
    from flask import current_app

    env_name = "SUPERSET_PASSWORD_" + re.sub(r"\W", "_", user).upper()
    return current_app.config["HUITONG_SECRET"](env_name, f"superset_user_{user}.password")


# ---- Applying the plan (Superset's venv) ------------------------------------------------------------------------


def apply(
    rules_path: Path = RULES_FILE, groups_path: Path = GROUP_FILE, create_users: bool = True
) -> list[str]:
    """Make Superset's roles, dataset permissions, RLS filters and users match the plan; returns a summary."""
    from superset import db
    from superset import security_manager as sm
    from superset.connectors.sqla.models import RowLevelSecurityFilter, SqlaTable
    from superset.utils.core import RowLevelSecurityFilterType

    plans, members = load_plan(rules_path, groups_path)
    gamma = sm.find_role("Gamma").permissions
    sql_lab = sm.find_role("sql_lab").permissions
    datasets = db.session.query(SqlaTable).all()
    for old in db.session.query(RowLevelSecurityFilter).filter(
        RowLevelSecurityFilter.name.like(f"{RLS_PREFIX}%")
    ):
        db.session.delete(old)
    db.session.flush()

    summary = []
    roles = {}
    for plan in plans:
        role = sm.find_role(plan.name) or sm.add_role(plan.name)
        roles[plan.name] = role
        permissions = list(gamma) + (list(sql_lab) if plan.sql_lab else [])
        granted, clauses = [], {}
        for ds in datasets:
            decision = plan.decide(ds.schema, ds.table_name, {c.column_name for c in ds.columns})
            if not decision.readable:
                continue
            pvm = sm.find_permission_view_menu("datasource_access", ds.perm)
            if pvm is None:
                sm.add_permission_view_menu("datasource_access", ds.perm)
                pvm = sm.find_permission_view_menu("datasource_access", ds.perm)
            permissions.append(pvm)
            granted.append(ds.table_name)
            if decision.clause:
                clauses.setdefault(decision.clause, []).append(ds)
        role.permissions = list(dict.fromkeys(permissions))
        for i, (clause, tables) in enumerate(clauses.items()):
            db.session.add(
                RowLevelSecurityFilter(
                    name=f"{RLS_PREFIX}{plan.name}" + (f" #{i + 1}" if len(clauses) > 1 else ""),
                    description="compiled from infra/policy/access_policy.yaml; do not edit in the UI",
                    filter_type=RowLevelSecurityFilterType.REGULAR,
                    clause=clause,
                    roles=[role],
                    tables=tables,
                )
            )
        summary.append(
            f"{plan.name}: datasets {granted or '-'}; rls {list(clauses) or '-'}; sql lab {plan.sql_lab}"
        )
    if create_users:
        for user, groups in members.items():
            found = sm.find_user(username=user)
            if found is None:
                sm.add_user(
                    user, user, "huitong", f"{user}@huitong.invalid", [roles[g] for g in groups],
                    password=_user_password(user),
                )  # fmt: skip
            else:
                found.roles = [roles[g] for g in groups]
            summary.append(f"user {user}: {groups}")
    db.session.commit()
    return summary


def ensure_trino_database() -> str | None:
    """Production: point the dashboards' database (the one superset/assets imports, ASSETS_DATABASE) at Trino
    (HUITONG_TRINO_URI, e.g. trino://superset@trino-coordinator:8443/huitong) with user impersonation on, so every
    chart, SQL Lab and API query runs on Trino AS THE SIGNED-IN PERSON and rules.json filters and masks it. Superset's
    own Trino user (`superset`) holds no data grants, only impersonation. The datasets keep their schema and table
    names (marts.*), which are the same in the Trino catalog."""
    uri = os.environ.get("HUITONG_TRINO_URI")
    if not uri:
        return None
    from sqlalchemy.engine.url import make_url
    from superset import db
    from superset.models.core import Database

    password = os.environ.get("TRINO_SUPERSET_PASSWORD")
    if password:
        uri = make_url(uri).set(password=password).render_as_string(hide_password=False)
    database = db.session.query(Database).filter_by(database_name=ASSETS_DATABASE).one_or_none()
    if database is None:
        database = Database(database_name=ASSETS_DATABASE)
        db.session.add(database)
    database.set_sqlalchemy_uri(uri)
    # The DuckDB connection settings the assets carry mean nothing to the Trino driver.
    extra = json.loads(database.extra or "{}")
    extra["engine_params"] = {}
    database.extra = json.dumps(extra)
    database.impersonate_user = True
    database.expose_in_sqllab = True
    database.allow_dml = False
    db.session.commit()
    return f"database {ASSETS_DATABASE}: {make_url(uri).render_as_string()} with impersonate_user on"


def main(argv: list[str]) -> int:
    from superset.app import create_app

    rules_path, groups_path = (Path(a) for a in argv) if len(argv) == 2 else (RULES_FILE, GROUP_FILE)
    create_users = os.environ.get("HUITONG_SUPERSET_CREATE_USERS", "true").lower() != "false"
    with create_app().app_context():
        trino = ensure_trino_database()
        for line in apply(rules_path, groups_path, create_users) + ([trino] if trino else []):
            print(f"superset security: {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
