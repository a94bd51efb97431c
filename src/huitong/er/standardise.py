"""Reference implementations of the entity-resolution standardisers for people.

Each function here has a dbt macro twin under ``dbt_project/macros/er`` that gives the same value in SQL on DuckDB
and Trino; tests run both over the same inputs. The steps are written in the order the SQL applies them, so a
difference between the two is a bug in one of them. Addresses and businesses: ``standardise_address``; string
distances that count characters: ``standardise_distance``.

Conventions: ``None`` in, ``None`` out; a value that cannot be standardised becomes ``None`` rather than an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache

from huitong import codes
from huitong.er.reference_data import (
    FULLWIDTH_FROM,
    FULLWIDTH_TO,
    NAME_DOTS,
    SURNAME_PINYIN,
    pinyin_chars,
    t2s_chars,
)
from huitong.er.standardise_patterns import GENDER_FEMALE, GENDER_MALE, PATTERNS

_P = {name: re.compile(p) for name, p in PATTERNS.items()}
_FULLWIDTH = str.maketrans(FULLWIDTH_FROM, FULLWIDTH_TO)
_DOTS = str.maketrans(NAME_DOTS, "·" * len(NAME_DOTS))


@cache
def _t2s_table() -> dict[int, str]:
    return str.maketrans(t2s_chars())


def clean_basic(value: str | None) -> str | None:
    """Full-width -> half-width, whitespace runs -> one space, trimmed; '' -> None."""
    if value is None:
        return None
    return _P["edge_space"].sub("", _P["ws"].sub(" ", value.translate(_FULLWIDTH))) or None


def clean_text(value: str | None) -> str | None:
    """``clean_basic`` and traditional -> simplified."""
    value = clean_basic(value)
    return None if value is None else value.translate(_t2s_table())


# ---------------------------------------------------------------------------------------------- names


def standardise_name(value: str | None) -> str | None:
    """A name for comparison. Chinese-script names lose all spaces and every middle-dot look-alike (and '.')
    becomes '·', the separator of transliterated names; other names are upper-cased with single spaces.
    Punctuation only: nothing is inferred from the form of a name."""
    value = clean_text(value)
    if value is None:
        return None
    value = value.translate(_DOTS)
    if _P["cjk"].search(value):
        value = _P["ws"].sub("", value).replace(".", "·")
        value = _P["edge_dot"].sub("", _P["multi_dot"].sub("·", value))
    else:
        value = value.upper()
    return value or None


def _char_pinyin(text: str) -> str:
    table = pinyin_chars()
    return "".join(table.get(ch, ch) for ch in text)


def _surname_length(name: str) -> int:
    return 2 if len(name) > 2 and name[:2] in SURNAME_PINYIN else 1


@dataclass(frozen=True)
class PinyinKeys:
    ordered: str | None  # letters in written order: 张三, 張三, Zhang San, ZHANGSAN -> 'zhangsan'
    sorted: str | None  # name parts sorted then joined: 张三, San Zhang, Zhang San -> 'sanzhang'


def name_pinyin_keys(value: str | None) -> PinyinKeys:
    """Two blocking/comparison keys from a raw name.

    A Chinese-script name is read character by character (default readings) except the surname, which comes
    from the surname table (单 shan, 曾 zeng, compound 欧阳 ouyang, 尉迟 yuchi); its parts are surname and given
    name, or the '·'-separated parts of a transliterated name. A Latin-script name's parts are its words; 'ü'
    and 'u:' are spelt 'v' as pypinyin does. Parts written together (ZHANGSAN) cannot be split, so they only
    meet the ordered key."""
    name = standardise_name(value)
    if name is None:
        return PinyinKeys(None, None)
    if _P["cjk"].search(name):
        if "·" in name:
            spaced = _char_pinyin(name.replace("·", " "))
        else:
            n = _surname_length(name)
            surname = SURNAME_PINYIN.get(name[:n]) or _char_pinyin(name[:n])
            spaced = surname + " " + _char_pinyin(name[n:])
    else:
        spaced = name.replace("Ü", "V").replace("U:", "V")
    spaced = spaced.lower()
    parts = [p for p in _P["not_lower_alpha"].split(spaced) if p]
    if not parts:
        return PinyinKeys(None, None)
    return PinyinKeys("".join(parts), "".join(sorted(parts)))


# ---------------------------------------------------------------------------------------------- identifiers


@dataclass(frozen=True)
class ResidentId:
    id18: str | None  # 18 characters (a 15-digit number upgraded), or None when it cannot be an ID
    upgraded: bool  # came in as a legacy 15-digit number
    valid: bool  # check character and birth date are right
    birth_date: date | None
    gender: str | None  # 'M' / 'F' from the sequence digit


def standardise_resident_id(value: str | None) -> ResidentId:
    """Delegates to ``huitong.codes`` after folding full-width characters."""
    raw = None if value is None else value.translate(_FULLWIDTH)
    id18 = codes.upgrade_resident_id(raw)
    if id18 is None:
        return ResidentId(None, False, False, None, None)
    upgraded = bool(_P["id15"].match(_P["id_junk"].sub("", raw)))
    return ResidentId(
        id18=id18,
        upgraded=upgraded,
        valid=codes.is_valid_resident_id(id18),
        birth_date=codes.resident_id_birth_date(id18),
        gender=codes.resident_id_gender(id18),
    )


def standardise_uscc(value: str | None) -> tuple[str | None, bool]:
    """(normalised code or None, check character valid)."""
    if value is None:
        return None, False
    code = _P["id_junk"].sub("", value.translate(_FULLWIDTH)).upper()
    if not _P["uscc"].match(code):
        return None, False
    return code, codes.is_valid_uscc(code)


# ---------------------------------------------------------------------------------------------- contact, dates


def standardise_phone(value: str | None) -> tuple[str | None, str | None]:
    """(phone, kind): a mainland mobile as 11 digits ('mobile'), a landline as 'area-local' with its 0-prefixed
    area code ('landline': 3-digit areas 01x/02x, else 4), otherwise (None, None). Extensions are dropped."""
    if value is None:
        return None, None
    digits = _P["phone_ext"].sub("", _P["phone_junk"].sub("", value.translate(_FULLWIDTH)))
    international = bool(_P["phone_intl"].search(digits))
    digits = _P["phone_intl"].sub("", digits)
    if _P["phone_cn13"].match(digits):
        digits = digits[2:]
    if _P["mobile"].match(digits):
        return digits, "mobile"
    if international and not digits.startswith("0"):
        digits = "0" + digits
    if _P["landline"].match(digits):
        area = 3 if _P["landline_3digit_area"].match(digits) else 4
        return digits[:area] + "-" + digits[area:], "landline"
    return None, None


def standardise_date(value: str | None) -> date | None:
    """'1985-03-02', '1985/3/2', '1985.3.2', '19850302', '1985年3月2日' (a trailing time is ignored) -> date;
    years 1900-2099; anything else, or an impossible day, -> None."""
    text = clean_basic(value)
    if text is None:
        return None
    m = _P["date_sep"].match(text) or _P["date_compact"].match(text)
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def standardise_gender(value: str | None) -> str | None:
    """'M', 'F' or None (GB/T 2261.1 codes 1/2; 0 and 9 mean unknown)."""
    text = clean_basic(value)
    if text is None:
        return None
    text = text.lower()
    return "M" if text in GENDER_MALE else "F" if text in GENDER_FEMALE else None
