"""Superset's roles are planned from the compiled Trino files: same first-match decisions, default deny, no
dataset that would show a column Superset cannot mask, SQL Lab for raw-layer roles only."""

from __future__ import annotations

from huitong.policy import Policy, repo_policy_file
from huitong.serving.superset_security import load_plan

POLICY = Policy.load(repo_policy_file())
PLANS, MEMBERS = load_plan()
BY_NAME = {p.name: p for p in PLANS}


def test_one_role_per_trino_group_and_people_only():
    groups = {g for u in POLICY.document.users for g in POLICY.groups_of(u.name)}
    assert groups <= set(BY_NAME)
    people = {u.name for u in POLICY.document.users if not u.service}
    assert set(MEMBERS) == {u for u in people if POLICY.groups_of(u)}
    assert "airflow" not in MEMBERS and "superset" not in MEMBERS


def test_decisions_agree_with_the_policy_where_superset_can_enforce_them():
    probes = [
        ("marts", "metric_hotel_stays_daily", {"stay_date", "stays", "jurisdiction_code"}),
        ("marts", "dim_jurisdiction", {"jurisdiction_code", "jurisdiction_name"}),
        ("marts", "dim_person", {"jurisdiction_code"}),
        ("marts", "audit_queries", {"user", "sql"}),
        ("staging", "stg_hotel__registrations", {"registration_id"}),
        ("bronze", "hotel_registrations", {"registration_id"}),
    ]
    checked = 0
    for user in POLICY.document.users:
        ent = POLICY.for_user(user.name)
        for group in POLICY.groups_of(user.name):
            for schema, table, columns in probes:
                decision = BY_NAME[group].decide(schema, table, columns)
                assert decision.readable == ent.can_read(schema, table), (group, schema, table)
                if decision.readable:
                    assert decision.clause == ent.row_filter(schema, table)
                checked += 1
    assert checked > 20


def test_a_dataset_with_a_masked_column_is_not_granted_to_masked_roles():
    analyst = BY_NAME["district_analyst_329902"]
    masked = analyst.decide("marts", "fct_hotel_stays", {"registration_id", "guest_full_name"})
    assert not masked.readable and "guest_full_name" in masked.reason
    unmasked = analyst.decide("marts", "fct_hotel_stays", {"registration_id", "jurisdiction_code"})
    assert unmasked.readable and unmasked.clause == "\"jurisdiction_code\" = '329902'"
    assert BY_NAME["data_engineer"].decide("marts", "fct_hotel_stays", {"guest_full_name"}).readable


def test_only_raw_layer_roles_get_sql_lab():
    assert {p.name for p in PLANS if p.sql_lab} == {"data_engineer"}
