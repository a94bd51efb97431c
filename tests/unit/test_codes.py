from datetime import date

import pytest

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
