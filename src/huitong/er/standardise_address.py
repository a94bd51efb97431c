"""Reference implementations of the address and business-name standardisers (dbt twins in
``dbt_project/macros/er/er_address.sql`` and ``er_business.sql``).

Addresses: cleaned text, then the spellings of building / room made one (5号楼, 5幢, 5座, 5#楼 -> 5栋; 501房 ->
501室; a trailing 3-2-501 -> 3栋2单元501室), then parsed by regular expressions into the admin-division text,
road, street number, building, unit and room. The parse is a matching aid, not a geocoder: the division part is
the leading run of 省/市/区/县/街道/镇 names, read from the text only (no gazetteer, so 朝阳区 stays ambiguous).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from huitong.er.standardise import clean_text
from huitong.er.standardise_patterns import PATTERNS

_P = {name: re.compile(p) for name, p in PATTERNS.items()}


def normalise_address(value: str | None) -> str | None:
    text = clean_text(value)
    if text is None:
        return None
    text = _P["addr_junk"].sub("", text).upper()
    text = _P["addr_hash_number"].sub(r"\1号", text)
    text = _P["addr_dash_triple"].sub(r"\1栋\2单元\3室", text)
    text = _P["addr_building"].sub(r"\1栋", text)
    text = _P["addr_room"].sub(r"\1室", text)
    return text or None


@dataclass(frozen=True)
class Address:
    normalised: str | None
    division: str | None
    road: str | None
    number: str | None
    building: str | None
    unit: str | None
    room: str | None


def _group(name: str, text: str) -> str | None:
    m = _P[name].search(text)
    return (m.group(1) or None) if m else None


def parse_address(value: str | None) -> Address:
    text = normalise_address(value)
    if text is None:
        return Address(None, None, None, None, None, None, None)
    division = _group("addr_division", text)
    rest = text[len(division or "") :]
    return Address(
        normalised=text,
        division=division,
        road=_group("addr_road", rest),
        number=_group("addr_number", rest),
        building=_group("addr_building_no", rest),
        unit=_group("addr_unit_no", rest),
        room=_group("addr_room_no", rest),
    )


@dataclass(frozen=True)
class BusinessName:
    normalised: str | None  # cleaned, no spaces
    core: str | None  # without bracketed parts, the legal form and what follows it, and one trade suffix


def standardise_business_name(value: str | None) -> BusinessName:
    """'杭州顺丰速运有限公司西湖分公司' -> core '杭州顺丰速运'; '老王五金店' -> '老王五金'. A place-name prefix
    stays: stripping it needs a gazetteer and would merge 杭州X and 宁波X."""
    text = clean_text(value)
    if text is None:
        return BusinessName(None, None)
    text = _P["ws"].sub("", text)
    core = _P["biz_brackets"].sub("", text)
    core = _P["biz_legal_form"].sub("", core)
    core = _P["biz_suffix"].sub("", core)
    return BusinessName(text or None, core or text or None)
