"""validate_batch end to end on real Great Expectations (the first test pays GX's import, ~10 s)."""

from __future__ import annotations

import json
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huitong import codes
from huitong.quality import BatchValidationError, entity_spec, frame_batch, validate_batch

NOW = "2026-05-02T12:00:00+08:00"
CTX = {"now": NOW}
FIELDS = list(entity_spec("hotel", "registrations").fields)
GOOD_ID = codes.make_resident_id("110105", date(1985, 3, 2), 7, True)
BAD_ID = GOOD_ID[:17] + ("0" if GOOD_ID[17] != "0" else "1")
GOOD_USCC = codes.make_uscc("110105", "MA0000001")


@pytest.fixture(autouse=True)
def _home(tmp_path, monkeypatch):
    monkeypatch.setenv("HUITONG_HOME", str(tmp_path / "home"))


def row(**changes: str | None) -> dict[str, str | None]:
    base = {
        "reg_id": "R1",
        "hotel_code": "H00042",
        "hotel_name": "汇通宾馆",
        "hotel_uscc": GOOD_USCC,
        "guest_name": "张伟",
        "id_type": "居民身份证",
        "id_number": GOOD_ID,
        "gender": "男",
        "birth_date": "1985-03-02",
        "phone": "13800138000",
        "address": "北京市朝阳区某路1号",
        "room_no": "301",
        "checkin_time": "2026-05-01T14:00:00+08:00",
        "checkout_time": "2026-05-02T11:00:00+08:00",
        "district_code": "110105",
        "police_station_code": "110105001",
        "updated_at": "2026-05-02T11:00:00+08:00",
    }
    return base | changes


# (row, rules it must be quarantined for; empty = loaded)
CASES = [
    (row(), []),
    (row(id_number="110105850302001", birth_date="19850302"), []),  # legacy 15-digit ID, compact date
    (row(id_number=None, phone=None, birth_date=None, gender=None), []),  # missing ID and phone are normal
    (row(id_type="护照", id_number=BAD_ID), []),  # not a claimed resident ID: no check digit
    (row(phone="+86 139-0000-0000", birth_date="1985/3/2", checkout_time=None), []),
    (row(phone="010-12345678", gender="X", birth_date="85-3-2"), []),  # warnings only: loaded and flagged
    (row(hotel_uscc=None), []),
    (row(id_number=BAD_ID), ["id_number_gb11643"]),
    (row(id_number="11010519491231002Y"), ["id_number_gb11643"]),
    (row(reg_id="  "), ["reg_id_required"]),
    (row(checkin_time="2026/05/01 14:00"), ["checkin_time_iso8601"]),
    (row(checkin_time=None), ["checkin_time_required"]),
    (row(checkout_time="2026-05-01T10:00:00+08:00"), ["checkout_not_before_checkin"]),
    (row(district_code="11010"), ["district_code_format"]),
    (row(hotel_uscc=GOOD_USCC[:17] + ("0" if GOOD_USCC[17] != "0" else "1")), ["hotel_uscc_gb32100"]),
    (row(id_type="身份证"), ["id_type_enum"]),
    (
        row(guest_name="", updated_at="soon", police_station_code="1101"),
        ["guest_name_required", "police_station_code_format", "updated_at_iso8601"],
    ),
    # Regex rules are RE2 (Arrow's engine, as GX runs them): \d is an ASCII digit, not a full-width one.
    (row(district_code="１１０１０５"), ["district_code_format"]),
    (row(reg_id="R1\nR2"), ["reg_id_format"]),  # the whole value must match, not a line of it
    (row(guest_name="张" * 64), []),  # lengths count characters, not UTF-8 bytes
    (row(guest_name="张" * 65), ["guest_name_length"]),
]


@pytest.fixture(scope="module")
def known_batch():
    df = pd.DataFrame([r for r, _ in CASES], columns=FIELDS)
    return df, validate_batch("hotel", "registrations", df, "batch-1", context=CTX)


def test_exactly_the_bad_rows_are_quarantined_with_their_rules(known_batch):
    df, result = known_batch
    expected = {i: rules for i, (_, rules) in enumerate(CASES) if rules}
    got = dict(zip(result.quarantine["row_number"], result.quarantine["rules"], strict=True))
    assert got == expected
    assert result.valid["reg_id"].tolist() == [r["reg_id"] for r, rules in CASES if not rules]
    assert list(result.valid.columns) == list(df.columns)


def test_a_framed_batch_taken_to_some_rows_validates_as_those_rows_alone(known_batch):
    """The loader frames a batch before it knows its repeats, then takes the other rows: the same quarantine, flags,
    counts and reasons as validating only those rows."""
    df, _ = known_batch
    rows = [i for i in range(len(df)) if i % 3 != 1]
    framed = frame_batch("hotel", "registrations", df, context=CTX).take(np.array(rows))
    taken = validate_batch("hotel", "registrations", None, "batch-1", framed=framed)
    alone = validate_batch(
        "hotel", "registrations", df.iloc[rows].reset_index(drop=True), "batch-1", context=CTX
    )
    pd.testing.assert_frame_equal(taken.quarantine, alone.quarantine)
    pd.testing.assert_frame_equal(taken.flags, alone.flags)
    assert taken.unexpected_counts == alone.unexpected_counts and taken.rows == alone.rows == len(rows)
    assert len(taken.quarantine) and len(taken.flags)  # the cases kept still fail and warn
    with pytest.raises(ValueError, match="framed batch is hotel.registrations"):
        validate_batch("parcel", "waybills", None, "batch-1", framed=framed)
    with pytest.raises(TypeError, match="needs the batch"):
        validate_batch("hotel", "registrations", None, "batch-1")


def test_reasons_name_the_column_and_value(known_batch):
    _, result = known_batch
    reasons = dict(zip(result.quarantine["row_number"], result.quarantine["reason"], strict=True))
    assert reasons[8] == "id_number 11010519491231002Y fails the GB 11643 check digit"
    assert reasons[9] == "reg_id is missing"
    assert "checkout_time 2026-05-01T10:00:00+08:00 is before checkin_time" in reasons[12]
    assert reasons[13] == "district_code 11010 is not a 6-digit GB/T 2260 division code"
    assert reasons[16].count(";") == 2
    assert reasons[17] == "district_code １１０１０５ is not a 6-digit GB/T 2260 division code"


def test_date_time_reasons_spelled_a_column_at_a_time_are_failure_reasons():
    """Far-future and too-early times get their reasons from Arrow when the value is plain ASCII, from
    failure_reason otherwise (a space, non-ASCII digits): the same text either way."""
    from zoneinfo import ZoneInfo

    from huitong.config import settings
    from huitong.quality.checks import CheckEnv, failure_reason

    times = ["2027-01-01T00:00:00+08:00", "2027-01-01 00:00:00", "1999-12-31T23:59:59.123456+08:00",
             "２０２７-01-01T00:00:00+08:00", "2027-01-01T00:00:00.000001+08:00"]  # fmt: skip
    df = pd.DataFrame([row(reg_id=f"R{i}", checkin_time=t, checkout_time=None) for i, t in enumerate(times)])
    result = validate_batch("hotel", "registrations", df, "b-times", context=CTX)
    rule = next(r for r in entity_spec("hotel", "registrations").rules if r.name == "checkin_time_iso8601")
    env = CheckEnv(now=datetime.fromisoformat(NOW), tz=ZoneInfo(settings().timezone))
    reasons = dict(zip(result.quarantine["row_number"], result.quarantine["reason"], strict=True))
    assert sorted(reasons) == list(range(len(times)))
    for i, value in enumerate(times):
        assert failure_reason(rule, value, env) in reasons[i].split("; ")


def test_quarantine_rows_carry_batch_identity_and_the_raw_payload(known_batch):
    df, result = known_batch
    q = result.quarantine
    assert set(q["batch_id"]) == {"batch-1"} and set(q["source"]) == {"hotel"}
    assert set(q["entity"]) == {"registrations"}
    first = q.iloc[0]
    assert json.loads(first["payload"]) == df.iloc[first["row_number"]].to_dict()
    # The raw value, untrimmed, is what the payload keeps.
    assert json.loads(q.loc[q["row_number"] == 9, "payload"].item())["reg_id"] == "  "


def test_warnings_are_loaded_and_flagged(known_batch):
    _, result = known_batch
    flags = dict(zip(result.flags["row_number"], result.flags["rules"], strict=True))
    assert flags[5] == ["gender_enum", "birth_date_valid", "phone_mainland_mobile"]
    assert 5 not in set(result.quarantine["row_number"])


def test_summary_counts_every_rule(known_batch):
    _, result = known_batch
    summary = result.summary()
    assert summary["rows"] == len(CASES)
    assert summary["quarantined"] == sum(1 for _, rules in CASES if rules)
    assert summary["unexpected_counts"]["id_number_gb11643"] == 2
    assert summary["unexpected_counts"]["gender_enum"] == 1
    assert set(summary["unexpected_counts"]) == {r.name for r in entity_spec("hotel", "registrations").rules}


def test_empty_batch_fails_only_when_the_interval_should_have_data():
    empty = pd.DataFrame(columns=FIELDS)
    result = validate_batch(
        "hotel",
        "registrations",
        empty,
        "b-empty",
        context={**CTX, "interval_start": "2026-05-02T10:00", "interval_end": "2026-05-02T11:00"},
    )
    assert result.valid.empty and result.quarantine.empty
    assert list(result.quarantine.columns) == [
        "batch_id",
        "source",
        "entity",
        "row_number",
        "rules",
        "reason",
        "payload",
    ]
    with pytest.raises(
        BatchValidationError, match=r"is empty.*2026-05-02T10:00 to 2026-05-02T11:00.*expect_data"
    ):
        result.raise_for_batch_failures()
    quiet = validate_batch("hotel", "registrations", empty, "b-quiet", context={**CTX, "expect_data": False})
    quiet.raise_for_batch_failures()
    assert quiet.batch_failures == []


def test_volume_and_staleness_raise_with_actionable_messages():
    df = pd.DataFrame([row(reg_id=f"R{i}", updated_at="2026-05-01T08:00:00+08:00") for i in range(3)])
    result = validate_batch("hotel", "registrations", df, "b-2", context={**CTX, "expected_rows": (100, 500)})
    assert len(result.valid) == 3
    failed = {c.name: c for c in result.batch_failures}
    assert set(failed) == {"batch_volume_in_expected_range", "batch_freshness"}
    assert failed["batch_freshness"].observed == "2026-05-01T08:00:00+08:00"
    with pytest.raises(BatchValidationError) as caught:
        result.raise_for_batch_failures()
    message = str(caught.value)
    assert "has 3 rows, outside the expected 100..500" in message
    assert "newest updated_at is 2026-05-01T08:00:00+08:00, 28.0 h before" in message
    assert "allowed 12 h" in message


def test_schema_drift_is_a_batch_failure_and_rows_lacking_a_required_field_are_quarantined():
    df = pd.DataFrame([row(), row(reg_id="R2")]).drop(columns=["checkin_time"]).assign(vip="yes")
    result = validate_batch("hotel", "registrations", df, "b-3", context=CTX)
    schema = next(c for c in result.batch_checks if c.name == "batch_schema_matches")
    assert not schema.success
    assert schema.observed == {"missing": ["checkin_time"], "unexpected": ["vip"]}
    assert result.quarantine["rules"].tolist() == [["checkin_time_required"]] * 2
    assert json.loads(result.quarantine["payload"][0])["vip"] == "yes"


def test_a_field_no_record_holds_is_missing_even_when_the_loader_filled_its_column():
    # The loader gives the frame every suite field (nulls where a record lacks one): what the records held is told
    # apart through fields_present.
    df = pd.DataFrame([row(), row(reg_id="R2")]).assign(address=None)
    held = [c for c in df.columns if c != "address"]
    result = validate_batch("hotel", "registrations", df, "b-4", context={**CTX, "fields_present": held})
    schema = next(c for c in result.batch_checks if c.name == "batch_schema_matches")
    assert not schema.success and schema.observed == {"missing": ["address"], "unexpected": []}
    assert "missing ['address']" in schema.message
    # Every field held: no failure; and an empty batch holds no fields without being told it misses them.
    whole = validate_batch(
        "hotel", "registrations", df, "b-5", context={**CTX, "fields_present": list(df.columns)}
    )
    assert next(c for c in whole.batch_checks if c.name == "batch_schema_matches").success
    quiet = validate_batch("hotel", "registrations", df.head(0), "b-6",
                           context={**CTX, "fields_present": [], "expect_data": False})  # fmt: skip
    assert next(c for c in quiet.batch_checks if c.name == "batch_schema_matches").success


def test_optional_fields_may_be_absent_from_a_whole_batch():
    entry = {"at": "2026-03-01T10:00:00+08:00", "user": "li.na", "profile": "embedded", "allowed": "true",
             "tables": "[]", "sql": "select 1", "path": "cli", "client": "huitong-query", "duration_ms": "3.0"}  # fmt: skip
    df = pd.DataFrame([{f: entry.get(f) for f in entity_spec("audit", "queries").fields}])
    result = validate_batch("audit", "queries", df, "b-7", context={"now": "2026-03-01T11:00:00+08:00",
                                                                     "fields_present": list(entry)})  # fmt: skip
    assert next(c for c in result.batch_checks if c.name == "batch_schema_matches").success


def test_unknown_context_keys_are_refused():
    with pytest.raises(ValueError, match="expected_row_count"):
        validate_batch(
            "hotel", "registrations", pd.DataFrame([row()]), "b", context={"expected_row_count": 5}
        )


# Messy strings: valid values, near misses and junk mixed per field, so every rule sees all three.
_JUNK = st.one_of(st.none(), st.just(""), st.just("  "), st.text(max_size=12))
_FIELD_VALUES = {
    "id_number": st.sampled_from([GOOD_ID, BAD_ID, "110105850302001", GOOD_ID.lower(), "X" * 18]),
    "id_type": st.sampled_from(["居民身份证", "护照", "港澳居民来往内地通行证", "其他"]),
    "checkin_time": st.sampled_from(
        ["2026-05-01T14:00:00", "2026-05-01 14:00", "20260501", "2099-01-01T00:00"]
    ),
    "checkout_time": st.sampled_from(["2026-05-01T10:00:00+08:00", "2026-05-02T10:00:00"]),
    "birth_date": st.sampled_from(["1985-03-02", "19850302", "1985/3/2", "1985-02-30"]),
    "phone": st.sampled_from(["13800138000", "+86 138 0013 8000", "12345"]),
    "district_code": st.sampled_from(["110105", "11010", "１１０１０５"]),
}


@st.composite
def messy_rows(draw) -> dict[str, object]:
    base = row()
    return {
        name: draw(st.one_of(_JUNK, _FIELD_VALUES.get(name, st.just(base[name])), st.just(base[name])))
        for name in FIELDS
    }


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(messy_rows(), max_size=15))
def test_every_row_is_either_loaded_or_quarantined_once(rows):
    df = pd.DataFrame(rows, columns=FIELDS)
    result = validate_batch("hotel", "registrations", df, "prop", context=CTX)
    q_rows = result.quarantine["row_number"].tolist()
    assert len(result.valid) + len(result.quarantine) == len(df)
    assert len(set(q_rows)) == len(q_rows)
    assert sorted(set(range(len(df))) - set(q_rows)) == [df.index.get_loc(i) for i in result.valid.index]
    assert all(
        rules and reason
        for rules, reason in zip(result.quarantine["rules"], result.quarantine["reason"], strict=True)
    )
    for n, payload in zip(q_rows, result.quarantine["payload"], strict=True):
        assert json.loads(payload) == {k: (None if pd.isna(v) else v) for k, v in df.iloc[n].items()}
