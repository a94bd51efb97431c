"""The value checks behind the custom rule kinds, and the strict suite loader (no GX needed)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from huitong import codes
from huitong.quality import checks
from huitong.quality.spec import SuiteError, entity_spec, has_suite

SHANGHAI = ZoneInfo("Asia/Shanghai")
ENV = checks.CheckEnv(now=datetime(2026, 5, 2, 12, tzinfo=SHANGHAI), tz=SHANGHAI)
VALID_ID = codes.make_resident_id("110105", date(1985, 3, 2), 7, True)


def test_resident_id_accepts_valid_legacy_and_lowercase_x():
    assert checks.resident_id_problem(VALID_ID) is None
    assert checks.resident_id_problem("110105850302001") is None  # legacy 15-digit
    ending_x = next(
        i
        for i in (codes.make_resident_id("110105", date(1990, 1, 1), s, True) for s in range(200))
        if i[-1] == "X"
    )
    assert checks.resident_id_problem(ending_x.lower()) is None


@pytest.mark.parametrize(
    ("value", "phrase"),
    [
        (VALID_ID[:17] + ("0" if VALID_ID[17] != "0" else "1"), "fails the GB 11643 check digit"),
        ("11010519491231002Y", "fails the GB 11643 check digit"),
        ("110105198513320011", "impossible birth date"),
        ("1101051985", "is not a resident ID"),
    ],
)
def test_resident_id_problems(value, phrase):
    assert phrase in checks.resident_id_problem(value)


def test_uscc_and_gb28181():
    good = codes.make_uscc("110105", "MA0000001")
    assert checks.uscc_problem(good) is None
    assert "check character" in checks.uscc_problem(good[:17] + ("0" if good[17] != "0" else "1"))
    assert "alphabet" in checks.uscc_problem("91110105MA0000000I")
    assert checks.gb28181_problem(codes.make_gb28181("11010500", "00", "132", 42)) is None
    assert "GB/T 28181" in checks.gb28181_problem("99010500001320000042")


@pytest.mark.parametrize("raw", ["13800138000", "+86 138-0013-8000", "0086 13800138000", "8613800138000"])
def test_mobile_formats_accepted(raw):
    assert checks.mobile_phone_problem(raw) is None


@pytest.mark.parametrize("raw", ["010-12345678", "12345", "23800138000", "+1 415 555 0100"])
def test_non_mobile_rejected(raw):
    assert "mainland mobile" in checks.mobile_phone_problem(raw)


def test_iso_datetime_parsing_takes_naive_times_as_local():
    parsed = checks.parse_iso_datetime("2026-05-01T14:00:00", SHANGHAI)
    assert parsed == datetime(2026, 5, 1, 6, tzinfo=UTC)
    assert checks.parse_iso_datetime("2026-05-01 14:00:00Z", SHANGHAI).utcoffset() == timedelta(0)
    assert checks.parse_iso_datetime("2026-02-30T10:00:00", SHANGHAI) is None
    assert checks.parse_iso_datetime("2026/05/01 14:00", SHANGHAI) is None


@pytest.mark.parametrize(
    "raw", ["1985-03-02", "19850302", "1985/3/2", "1985.03.02", "1985年3月2日", "1985-03-02 00:00:00"]
)
def test_dates_in_every_known_spelling(raw):
    assert checks.parse_any_date(raw) == date(1985, 3, 2)


@pytest.mark.parametrize("raw", ["1985-13-02", "850302", "March 2 1985", "1985-3"])
def test_unreadable_dates(raw):
    assert checks.parse_any_date(raw) is None


def test_date_range_uses_the_reference_day():
    spec = entity_spec("hotel", "registrations")
    rule = next(r for r in spec.rules if r.kind == "date_any_format")
    assert checks.date_any_format_problem("2026-05-02", rule, ENV) is None
    assert "is after 2026-05-02" in checks.date_any_format_problem("2026-05-03", rule, ENV)
    assert "is before 1900-01-01" in checks.date_any_format_problem("1899-12-31", rule, ENV)


def _suite(tmp_path, monkeypatch, text: str) -> None:
    (tmp_path / "demo.yml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("HUITONG_EXPECTATIONS_DIR", str(tmp_path))


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("{name: a_rule, kind: checksum, column: a}", "unknown kind 'checksum'"),
        ("{name: a_rule, kind: required, column: a, pattern: x}", "do not apply to kind 'required'"),
        ("{name: a_rule, kind: regex, column: a, pattern: '('}", "bad pattern"),
        ("{name: a_rule, kind: regex, column: a, pattern: 'x(?=y)'}", "not RE2 syntax"),
        ("{name: a_rule, kind: required, column: zz}", "must be one of the entity's fields"),
        ("{name: BadName, kind: required, column: a}", "snake_case"),
    ],
)
def test_suite_loader_rejects_mistakes_with_the_rule_named(tmp_path, monkeypatch, rule, message):
    _suite(
        tmp_path,
        monkeypatch,
        f"source: demo\nentities:\n  things:\n    fields: [a]\n    rules:\n      - {rule}\n",
    )
    with pytest.raises(SuiteError, match=message):
        entity_spec("demo", "things")


def test_optional_fields_must_be_fields(tmp_path, monkeypatch):
    body = "source: demo\nentities:\n  things:\n    fields: [a, b]\n    batch:\n      optional_fields: [{}]\n"
    for folder, field in (("good", "b"), ("bad", "zz")):  # suites are read once per folder
        (tmp_path / folder).mkdir()
        _suite(tmp_path / folder, monkeypatch, body.format(field))
        if folder == "good":
            assert entity_spec("demo", "things").optional_fields == ("b",)
    with pytest.raises(SuiteError, match=r"optional_fields must be fields; not: \['zz'\]"):
        entity_spec("demo", "things")


def test_missing_suite_says_which_file_to_add(tmp_path, monkeypatch):
    monkeypatch.setenv("HUITONG_EXPECTATIONS_DIR", str(tmp_path))
    assert not has_suite("rental", "contracts")
    with pytest.raises(SuiteError, match=r"rental\.yml"):
        entity_spec("rental", "contracts")


def test_json_suites_load_too(tmp_path, monkeypatch):
    (tmp_path / "demo.json").write_text(
        '{"source": "demo", "entities": {"things": {"fields": ["a"], '
        '"rules": [{"name": "a_required", "kind": "required", "column": "a"}]}}}'
    )
    monkeypatch.setenv("HUITONG_EXPECTATIONS_DIR", str(tmp_path))
    assert [r.name for r in entity_spec("demo", "things").rules] == ["a_required"]
