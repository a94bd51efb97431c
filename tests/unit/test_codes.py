from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huitong import codes


def test_resident_id_check_digit_known_values():
    # The GB 11643 worked example and its X check character.
    assert codes.is_valid_resident_id("11010519491231002X")
    assert not codes.is_valid_resident_id("110105194912310021")
    assert codes.resident_id_check_char("11010519491231002") == "X"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("110105491231002", "11010519491231002X"),  # legacy 15 digits: century inserted, check added
        (" 11010519491231002x ", "11010519491231002X"),
        ("1101-0519-4912-3100-2X", "11010519491231002X"),
        ("12345", None),
        (None, None),
    ],
)
def test_upgrade_resident_id(raw, expected):
    assert codes.upgrade_resident_id(raw) == expected


def test_make_resident_id_round_trips_birth_and_gender():
    man = codes.make_resident_id("320102", date(1985, 3, 2), 17, male=True)
    woman = codes.make_resident_id("320102", date(1985, 3, 2), 17, male=False)
    assert codes.is_valid_resident_id(man) and codes.is_valid_resident_id(woman)
    assert codes.resident_id_gender(man) == "M" and codes.resident_id_gender(woman) == "F"
    assert codes.resident_id_birth_date(man) == date(1985, 3, 2)


def test_impossible_birth_date_is_invalid():
    first17 = "11010519990231002"  # 31 February
    assert not codes.is_valid_resident_id(first17 + codes.resident_id_check_char(first17))


def test_uscc_check_character():
    assert codes.is_valid_uscc("91350100M000100Y43")
    assert not codes.is_valid_uscc("91350100M000100Y44")
    assert not codes.is_valid_uscc("91350100M000100I43")  # I is not in the alphabet
    made = codes.make_uscc("320102", "MA1X2Y3Z0".replace("Z", "W"))
    assert codes.is_valid_uscc(made)


def test_gb28181_structure():
    code = codes.make_gb28181("32010200", "11", "132", 42)
    assert len(code) == 20 and codes.is_valid_gb28181(code)
    assert codes.parse_gb28181(code) == {
        "centre": "32010200",
        "industry": "11",
        "type": "132",
        "serial": "0000042",
    }
    assert not codes.is_valid_gb28181("0001020011132000004")
    with pytest.raises(ValueError):
        codes.parse_gb28181("abc")


def _id_text(division: str, year: int, month: int, day: int, sequence: str, check: str, dress: str) -> str:
    first17 = f"{division}{year:04d}{month:02d}{day:02d}{sequence}"
    right = codes.resident_id_check_char(first17)
    text = first17 + {"right": right, "lower": right.lower(), "wrong": str((int(sequence) + 1) % 10)}[check]
    return {"": text, "space": f" {text}", "dash": text[:6] + "-" + text[6:], "wide": "１" + text[1:]}[dress]


ID_LIKE = st.one_of(
    st.builds(
        _id_text,
        st.text("0123456789", min_size=6, max_size=6),
        st.integers(1890, date.today().year + 1),
        st.integers(0, 13),
        st.integers(0, 32),
        st.text("0123456789", min_size=3, max_size=3),
        st.sampled_from(["right", "right", "lower", "wrong"]),
        st.sampled_from(["", "", "", "space", "dash", "wide"]),
    ),
    st.text("0123456789Xx", min_size=15, max_size=19),
    st.text(max_size=20),
    st.none(),
)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(ID_LIKE, max_size=40))
def test_vectorised_resident_id_check_equals_the_scalar_one(values):
    import pyarrow as pa

    expected = [codes.is_valid_resident_id(v) for v in values]
    assert codes.resident_ids_valid(pa.array(values, pa.string())).tolist() == expected
    chunked = pa.chunked_array([pa.array(values[:3], pa.string()), pa.array(values[3:], pa.string())])
    assert codes.resident_ids_valid(chunked).tolist() == expected
    assert codes.resident_ids_valid(pa.array(values, pa.string()).slice(1)).tolist() == expected[1:]


@settings(max_examples=100, deadline=None)
@given(values=st.lists(ID_LIKE, min_size=1, max_size=30))
def test_the_frame_gives_resident_id_problem_verdicts(values):
    """The loader's resident-ID rule reads the numpy check (codes.resident_ids_valid) and asks resident_id_problem
    only of the rest: the verdicts are resident_id_problem's, legacy 15-digit IDs included."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import pandas as pd

    from huitong.quality.checks import CheckEnv, resident_id_problem
    from huitong.quality.frame import build_frame
    from huitong.quality.spec import entity_spec

    spec = entity_spec("trade", "trades")
    [rule] = [r for r in spec.rules if r.kind == "resident_id"]
    rows = pd.DataFrame({field: [None] * len(values) for field in spec.fields})
    rows[rule.column] = values
    if rule.when is not None:
        rows[rule.when.column] = rule.when.values[0]
    env = CheckEnv(now=datetime(2026, 6, 1, tzinfo=ZoneInfo("Asia/Shanghai")), tz=ZoneInfo("Asia/Shanghai"))
    frame, targets = build_frame(rows, spec, env)
    for p, value in enumerate(values):
        text = (value or "").strip()
        expected = None if not text else resident_id_problem(text) is None
        got = frame.at[p, targets[rule.name]]
        assert (None if got is pd.NA else bool(got)) == expected, value
