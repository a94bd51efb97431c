"""How source systems get people wrong: the noise model, with its rates as knobs.

Every corruption is a small pure function of (value, rng) so it is easy to test and to reason about; `corrupt`
applies one to a random subset at a given rate. Field *formats* that differ by vendor software (gender codes, date
and phone layouts) are not noise: they are a property of the business's system and live in FORMATS.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache

import numpy as np
from opencc_purepy import OpenCC

from huitong.codes import is_valid_resident_id
from huitong.simulate.names import CONFUSABLE, name_pinyin


@dataclass(frozen=True)
class NoiseRates:
    """Share of records each corruption hits (per field, independently)."""

    name_typo: float = 0.02
    traditional: float = 0.01
    pinyin_name: float = 0.01
    missing_id: float = 0.01
    legacy_id: float = 0.005
    mistyped_id: float = 0.008
    missing_phone: float = 0.03
    missing_address: float = 0.05
    address_abbrev: float = 0.08
    duplicate: float = 0.01
    broken: float = 0.003

    def scaled(self, factor: float) -> NoiseRates:
        """The same model at another intensity (sources other than hotel are cleaner or dirtier)."""
        return NoiseRates(**{k: min(1.0, v * factor) for k, v in self.__dict__.items()})


@cache
def _s2t() -> OpenCC:
    return OpenCC("s2t")


def corrupt(
    values: np.ndarray,
    rng: np.random.Generator,
    rate: float,
    fn: Callable[[str, np.random.Generator], str | None],
) -> np.ndarray:
    """Apply fn to a random `rate` share of the non-empty values (in place); returns the mask of rows hit."""
    hit = (rng.random(len(values)) < rate) & np.not_equal(values, None)
    for i in np.flatnonzero(hit):
        values[i] = fn(values[i], rng)
    return hit


def typo(name: str, rng: np.random.Generator) -> str:
    """One character swapped for a homophone or look-alike (张伟 -> 张玮)."""
    spots = [i for i, c in enumerate(name) if c in CONFUSABLE]
    if not spots:
        return name
    i = spots[int(rng.integers(0, len(spots)))]
    options = CONFUSABLE[name[i]]
    return name[:i] + options[int(rng.integers(0, len(options)))] + name[i + 1 :]


def traditional(text: str, rng: np.random.Generator | None = None) -> str:
    return _s2t().convert(text)


PINYIN_STYLES = ("Zhang San", "ZHANG San", "zhangsan", "ZHANGSAN", "San Zhang")


def pinyin(name: str, rng: np.random.Generator) -> str:
    """The name as a foreign-language form or a hurried clerk writes it: 'ZHANG San', 'zhangsan', ..."""
    sur, given = name_pinyin(name)
    style = PINYIN_STYLES[int(rng.integers(0, len(PINYIN_STYLES)))]
    if style == "Zhang San":
        return f"{sur.capitalize()} {given.capitalize()}"
    if style == "ZHANG San":
        return f"{sur.upper()} {given.capitalize()}"
    if style == "zhangsan":
        return f"{sur}{given}"
    if style == "ZHANGSAN":
        return f"{sur}{given}".upper()
    return f"{given.capitalize()} {sur.capitalize()}"


def legacy_id(id18: str, rng: np.random.Generator | None = None) -> str:
    """The pre-1999 15-digit form (2-digit year, no check character), only for people born in the 1900s."""
    if len(id18) == 18 and id18[6:8] == "19":
        return id18[:6] + id18[8:17]
    return id18


def mistype_id(id18: str, rng: np.random.Generator) -> str:
    """One digit wrong, or two adjacent digits swapped, such that the check character no longer fits."""
    for _ in range(20):
        chars = list(id18)
        i = int(rng.integers(0, 17))
        if rng.random() < 0.5 and i < 16 and chars[i] != chars[i + 1]:
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        else:
            chars[i] = str((int(chars[i]) + int(rng.integers(1, 10))) % 10)
        out = "".join(chars)
        if not is_valid_resident_id(out):
            return out
    return id18[:17] + ("0" if id18[17] != "0" else "1")


def corrupt_identity(
    rng: np.random.Generator,
    name: np.ndarray,
    id_number: np.ndarray,
    phone: np.ndarray,
    id_card: np.ndarray,
    noise: NoiseRates,
) -> None:
    """The clerk's mistakes on one person's identity fields, in place; ID-number noise only hits resident IDs
    (id_card marks those rows). Each corruption is an independent draw at its rate."""
    corrupt(name, rng, noise.name_typo, typo)
    corrupt(name, rng, noise.traditional, traditional)
    corrupt(name, rng, noise.pinyin_name, lambda v, r: v if v.isascii() else pinyin(v, r))
    card_ids = id_number[id_card]
    corrupt(card_ids, rng, noise.legacy_id, legacy_id)
    corrupt(card_ids, rng, noise.mistyped_id, lambda v, r: v if len(v) != 18 else mistype_id(v, r))
    id_number[id_card] = card_ids
    corrupt(id_number, rng, noise.missing_id, lambda v, r: None)
    corrupt(phone, rng, noise.missing_phone, lambda v, r: None)


_ADMIN_PREFIX = re.compile(r"^.{2,3}?[区县市]")
_TOWN = re.compile(r"^.{2,3}?(街道|镇|乡)")
_ROOM = re.compile(r"(\d+)栋(\d+)单元(\d+)室$")


def abbreviate_address(addr: str, rng: np.random.Generator) -> str:
    """What a clerk types: no district, no town, '3-2-501' for building/unit/room, '幢' for '栋'."""
    out = addr
    if rng.random() < 0.6:
        out = _ADMIN_PREFIX.sub("", out, count=1)
        if rng.random() < 0.5:
            out = _TOWN.sub("", out, count=1)
    r = rng.random()
    if r < 0.5:
        out = _ROOM.sub(r"\1-\2-\3", out)
    elif r < 0.7:
        out = out.replace("栋", "幢")
    return out if out != addr else out.replace("号", "#", 1)


# Vendor software formats: index = Businesses.software.
GENDER_FORMATS = (("男", "女"), ("M", "F"), ("1", "2"), ("男", "女"))
BIRTH_FORMATS = ("%Y-%m-%d", "%Y%m%d", "slash", "%Y-%m-%d")
PHONE_FORMATS = ("plain", "intl", "plain", "spaced")


def format_birth(d: date, style: str) -> str:
    if style == "slash":
        return f"{d.year}/{d.month}/{d.day}"
    return d.strftime(style)


def format_phone(phone: str, style: str) -> str:
    if style == "intl":
        return f"+86 {phone[:3]}-{phone[3:7]}-{phone[7:]}"
    if style == "spaced":
        return f"{phone[:3]} {phone[3:7]} {phone[7:]}"
    return phone


NOT_AN_ID = ("无", "未提供", "123456", "000000000000000000", "见附件", "test", "身份证丢失")
BAD_DATES = ("0000-00-00 00:00:00", "2024-13-45T25:61:00", "N/A", "昨天晚上", "1900-01-00")
