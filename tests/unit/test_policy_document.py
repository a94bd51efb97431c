"""Loading the policy file: the real file loads; a broken one fails naming the line and the field."""

from __future__ import annotations

import re

import pytest

from huitong.policy import Policy, PolicyError, repo_policy_file

POLICY_TEXT = repo_policy_file().read_text(encoding="utf-8")


def _load_edited(tmp_path, old: str, new: str) -> tuple[PolicyError, int]:
    assert POLICY_TEXT.count(old) == 1, f"edit target not unique: {old!r}"
    edited = POLICY_TEXT.replace(old, new)
    line = edited[: edited.index(new)].count("\n") + 1 + new[: len(new) - len(new.lstrip("\n"))].count("\n")
    path = tmp_path / "access_policy.yaml"
    path.write_text(edited, encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        Policy.load(path)
    return caught.value, line


def test_the_committed_policy_loads():
    doc = Policy.load(repo_policy_file()).document
    assert [r.name for r in doc.roles] == ["data_engineer", "auditor", "leadership", "district_analyst"]
    assert set(doc.restricted_schemas) == {
        "landing",
        "bronze",
        "quarantine",
        "ops",
        "staging",
        "intermediate",
    }
    assert doc.shared_schemas == ("marts",)  # raw identifiers stop below the marts


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        (
            "{user: zhou.ming, roles: [district_analyst]",
            "{user: zhou.ming, roles: [district_analysts]",
            "users[5].roles[0]",
            "unknown role 'district_analysts'",
        ),
        (
            '      - schemas: [marts]\n        tables: ["audit_*"]',
            '      - schemas: [marts, bronze]\n        tables: ["audit_*"]',
            "roles.auditor.grants[0].schemas[1]",
            "restricted layer",
        ),
        (
            'masks: {pseudonym_token: hash_token, person_name: name_initial, address: address_town, raw_identifier: "null"}',
            "masks: {pseudonym_token: hash_token, person_name: name_initial, address: address_town, raw_identifier: null}",
            "roles.district_analyst.masks.raw_identifier",
            'write "null" in quotes',
        ),
        (
            'jurisdiction: "329921"}',
            "jurisdiction: 329921}",
            "users[6].jurisdiction",
            "not declared under jurisdictions",
        ),
        (
            "        tables: [dim_person]\n        deny: true",
            "        tables: [dim_person]\n        deny: yes please",
            "roles.leadership.grants[0].deny",
            "true or false",
        ),
        (
            "        row_filter: {jurisdiction_column: jurisdiction_code}",
            "        row_filter: {jurisdiction_column: jurisdiction_code}\n        privileges: [select, delete]",
            "roles.district_analyst.grants[0].privileges",
            "may write",
        ),
        (
            "guest_full_name, tenant_full_name",
            "guest_full_name, guest_id_token",
            "personal_columns.person_name.trino_columns[3]",
            "matches none of",
        ),
    ],
)
def test_bad_policy_names_line_and_field(tmp_path, old, new, field, message):
    error, line = _load_edited(tmp_path, old, new)
    assert error.field == field
    assert message in str(error)
    assert error.line is not None and abs(error.line - line) <= 1, (error.line, line, str(error))
    assert re.match(r"^access_policy\.yaml:\d+: ", str(error))


def test_missing_mask_decision_is_an_error(tmp_path):
    error, _ = _load_edited(
        tmp_path,
        ', raw_identifier: "null"}\n    grants:\n      - schemas: [marts]\n        tables: ["audit_*"]',
        '}\n    grants:\n      - schemas: [marts]\n        tables: ["audit_*"]',
    )
    assert error.field == "roles.auditor.masks"
    assert "raw_identifier" in str(error)


def test_invalid_yaml_and_duplicate_keys_name_the_line(tmp_path):
    path = tmp_path / "access_policy.yaml"
    path.write_text("version: 1\ncatalog: huitong\ncatalog: other\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"access_policy\.yaml:3: .*duplicate key 'catalog'"):
        Policy.load(path)
    path.write_text("version: 1\nroles: [unclosed\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"not valid YAML"):
        Policy.load(path)


def test_unknown_top_level_field_is_refused(tmp_path):
    error, _ = _load_edited(tmp_path, "version: 1\n", "version: 1\nallow_everything: true\n")
    assert error.field == "allow_everything"
