"""Compiling the policy for Trino: deterministic, committed output up to date, valid against the documented
format, and deciding exactly what the Python entitlements decide (default deny included)."""

from __future__ import annotations

import json

import pytest

from huitong.policy import (
    Policy,
    compile_policy,
    repo_policy_file,
    repo_rules_schema,
    repo_trino_etc,
    stale_files,
)
from huitong.policy.rules_check import check_rules_file, policy_problems, schema_errors, trino_table_decision


@pytest.fixture(scope="module")
def policy() -> Policy:
    return Policy.load(repo_policy_file())


@pytest.fixture(scope="module")
def rules() -> dict:
    return json.loads((repo_trino_etc() / "rules.json").read_text(encoding="utf-8"))


def test_compile_is_deterministic(tmp_path):
    first = [p.read_bytes() for p in compile_policy(repo_policy_file(), tmp_path / "a")]
    second = [p.read_bytes() for p in compile_policy(repo_policy_file(), tmp_path / "b")]
    assert first == second


def test_committed_rules_and_groups_are_not_stale():
    stale = stale_files(repo_policy_file(), repo_trino_etc())
    assert stale == [], f"recompile: huitong policy compile (stale: {stale})"


def test_stale_check_notices_an_edit(tmp_path):
    compile_policy(repo_policy_file(), tmp_path)
    edited = tmp_path / "access_policy.yaml"
    edited.write_text(
        repo_policy_file()
        .read_text(encoding="utf-8")
        .replace('"329981": 源茂市', '"329981": 源茂市\n  "329982": 新城市')
    )
    assert stale_files(edited, tmp_path) == ["rules.json"]


def test_committed_rules_match_schema_and_policy(policy):
    assert check_rules_file(repo_trino_etc() / "rules.json", repo_rules_schema(), policy) == []


def test_schema_rejects_what_trino_would_reject(rules):
    broken = json.loads(json.dumps(rules))
    broken["tables"][0]["privileges"].append("READ")
    broken["tables"][1]["columns"][0]["masked"] = "x"
    broken["queries"].append({"queryOwner": ".*", "allow": ["execute"]})
    errors = schema_errors(broken, repo_rules_schema())
    assert len(errors) == 3, errors


def test_a_catch_all_grant_is_caught(policy, rules):
    opened = json.loads(json.dumps(rules))
    opened["tables"].append({"schema": "marts", "table": ".*", "privileges": ["SELECT"]})
    problems = policy_problems(opened, policy)
    assert any("grants to every user" in p for p in problems)


def test_a_rule_reordering_that_leaks_is_caught(policy, rules):
    # Moving leadership's "all dims" grant above its dim_person denial lets leadership read person-level rows.
    leaky = json.loads(json.dumps(rules))
    tables = leaky["tables"]
    i = next(k for k, r in enumerate(tables) if r["group"] == "leadership" and r["privileges"] == [])
    tables[i], tables[i + 1] = tables[i + 1], tables[i]
    assert any("user qian.hui on marts.dim_person: Trino allows" in p for p in policy_problems(leaky, policy))


@pytest.mark.parametrize("table", ["zz_unforeseen_table", "person_raw", "export_2026"])
@pytest.mark.parametrize(
    "schema", ["staging", "intermediate", "marts", "landing", "bronze", "quarantine", "ops"]
)
def test_unknown_table_is_denied_to_everyone_but_data_engineers(policy, rules, schema, table):
    for user in policy.document.users:
        groups = policy.groups_of(user.name)
        engineer = "data_engineer" in user.roles
        assert policy.for_user(user.name).can_read(schema, table) is engineer
        assert (
            trino_table_decision(rules, user.name, groups, "huitong", schema, table) is not None
        ) is engineer


def test_unknown_user_gets_nothing(policy):
    nobody = policy.for_user("mallory")
    assert not nobody.can_read("marts", "metric_daily_checkins")
    with pytest.raises(PermissionError):
        nobody.row_filter("marts", "dim_person")


def test_analyst_sees_own_district_masked(policy):
    ent = policy.for_user("li.na")
    assert ent.row_filter("marts", "dim_person") == "\"jurisdiction_code\" = '329902'"
    assert ent.row_filter("marts", "dim_admin_division") is None
    masks = ent.column_masks(
        "marts",
        "dim_person",
        [
            "person_key",
            "full_name",
            "gender",
            "birth_year",
            "id_token",
            "phone_token",
            "address",
            "jurisdiction_code",
        ],
    )
    assert set(masks) == {"full_name", "id_token", "phone_token", "address"}
    assert not ent.can_read("bronze", "hotel_checkins")
    assert not ent.can_read("staging", "stg_hotel_checkins")


def test_leadership_reads_aggregates_only(policy):
    ent = policy.for_user("qian.hui")
    assert ent.can_read("marts", "metric_daily_checkins")
    assert ent.can_read("marts", "dim_admin_division")
    assert not ent.can_read("marts", "dim_person")
    assert not ent.can_read("marts", "fct_hotel_stay")
    assert set(ent.column_masks("marts", "dim_hotel", ["hotel_name", "address", "owner_id_token"])) == {
        "address",
        "owner_id_token",
    }


def test_auditor_reads_audit_tables_only(policy):
    ent = policy.for_user("sun.yue")
    assert ent.can_read("marts", "audit_query_log")
    assert not ent.can_read("marts", "metric_daily_checkins")
    assert not ent.can_read("ops", "query_log")


def test_superset_may_impersonate_people_not_services(rules):
    (rule,) = rules["impersonation"]
    import re

    assert rule["original_user"] == "superset"
    assert re.fullmatch(rule["new_user"], "li.na")
    assert not re.fullmatch(rule["new_user"], "airflow")
    assert not re.fullmatch(rule["new_user"], "liXna")


def test_group_file_lists_users_by_group():
    lines = (repo_trino_etc() / "group.txt").read_text(encoding="utf-8").splitlines()
    groups = dict(line.split(":") for line in lines)
    assert groups["district_analyst_329902"] == "li.na"
    assert "superset" not in ",".join(groups.values())


def test_unlisted_personal_columns_are_reported(policy):
    assert policy.unlisted_personal_columns(["guest_id_token", "courier_phone_token", "hotel_name"]) == [
        "courier_phone_token"
    ]
