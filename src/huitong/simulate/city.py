"""汇通市: one fictional prefecture-level city with GB/T 2260-style division codes.

Province prefix 32, city 99 (no real city uses 3299). Districts 3299xx (01-20 urban districts, 21-80 counties, 81+
county-level cities), towns/streets 9 digits (001-099 streets 街道, 100-199 towns 镇, 200-299 townships 乡), and
12-digit villages (200-399, 村) and communities (001-199, 社区), as in the statistical division code. The map is a
function of the seed only, not of the scale, so every scale simulates the same city.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from huitong.simulate.names import PLACE_CHARS, ROAD_CHARS, ROAD_SUFFIXES
from huitong.simulate.seeding import rng_for

CITY_NAME = "汇通市"
CITY_CODE = "329900"
CITY_LON, CITY_LAT = 119.45, 32.20


@dataclass
class Division:
    code: str
    name: str
    level: str  # district | town | village | community
    parent_code: str | None
    lon: float
    lat: float
    urban: bool
    roads: tuple[str, ...] = ()
    children: list[Division] = field(default_factory=list)


@dataclass
class City:
    districts: list[Division]

    @property
    def towns(self) -> list[Division]:
        return [t for d in self.districts for t in d.children]

    @property
    def neighbourhoods(self) -> list[Division]:
        """Villages and communities, the 12-digit level."""
        return [v for t in self.towns for v in t.children]

    @property
    def villages(self) -> list[Division]:
        return [v for v in self.neighbourhoods if v.level == "village"]

    def all_divisions(self) -> list[Division]:
        out: list[Division] = []
        for d in self.districts:
            out.append(d)
            for t in d.children:
                out.append(t)
                out.extend(t.children)
        return out


class _Namer:
    """Two-character place names, unique within one parent."""

    def __init__(self, rng: np.random.Generator, chars: str):
        self.rng, self.chars = rng, chars

    def make(self, used: set[str], length: int = 2) -> str:
        while True:
            name = "".join(self.chars[i] for i in self.rng.integers(0, len(self.chars), length))
            if name not in used and len(set(name)) == length:
                used.add(name)
                return name


def build_city(seed: int) -> City:
    rng = rng_for(seed, "city")
    places = _Namer(rng, PLACE_CHARS)
    roads = _Namer(rng, ROAD_CHARS)
    district_names: set[str] = set()
    # (code suffix, kind): four urban districts, three counties, one county-level city.
    plan = [
        ("02", "区"),
        ("03", "区"),
        ("04", "区"),
        ("05", "区"),
        ("21", "县"),
        ("22", "县"),
        ("23", "县"),
        ("81", "市"),
    ]
    districts = []
    for i, (suffix, kind) in enumerate(plan):
        urban = kind == "区"
        angle = 2 * np.pi * i / len(plan)
        radius = 0.06 if urban else 0.35
        d = Division(
            code=f"3299{suffix}",
            name=places.make(district_names) + kind,
            level="district",
            parent_code=None,  # the top level of the file: the city itself is not a row
            lon=round(CITY_LON + radius * np.cos(angle), 6),
            lat=round(CITY_LAT + radius * np.sin(angle) * 0.8, 6),
            urban=urban,
        )
        streets = int(rng.integers(6, 10)) if urban else int(rng.integers(1, 3))
        towns = int(rng.integers(1, 3)) if urban else int(rng.integers(8, 14))
        town_names: set[str] = set()
        for j in range(streets + towns):
            is_street = j < streets
            if is_street:
                code, suffix_name = f"{d.code}{j + 1:03d}", "街道"
            elif j % 4 == 3 and not urban:
                code, suffix_name = f"{d.code}{200 + j:03d}", "乡"
            else:
                code, suffix_name = f"{d.code}{100 + j:03d}", "镇"
            spread = 0.03 if urban else 0.15
            t = Division(
                code=code,
                name=places.make(town_names) + suffix_name,
                level="town",
                parent_code=d.code,
                lon=round(d.lon + rng.normal(0, spread), 6),
                lat=round(d.lat + rng.normal(0, spread), 6),
                urban=is_street,
            )
            t.roads = tuple(
                roads.make(set()) + ROAD_SUFFIXES[int(rng.integers(0, len(ROAD_SUFFIXES)))]
                for _ in range(int(rng.integers(4, 9)))
            )
            n_children = int(rng.integers(5, 11)) if is_street else int(rng.integers(10, 21))
            child_names: set[str] = set()
            for k in range(n_children):
                if is_street:
                    v_code, v_level, v_suffix = f"{t.code}{k + 1:03d}", "community", "社区"
                else:
                    v_code, v_level, v_suffix = f"{t.code}{200 + k:03d}", "village", "村"
                t.children.append(
                    Division(
                        code=v_code,
                        name=places.make(child_names) + v_suffix,
                        level=v_level,
                        parent_code=t.code,
                        lon=round(t.lon + rng.normal(0, spread / 4), 6),
                        lat=round(t.lat + rng.normal(0, spread / 4), 6),
                        urban=is_street,
                    )
                )
            d.children.append(t)
        districts.append(d)
    return City(districts=districts)


def write_admin_divisions(city: City, path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = city.all_divisions()
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["division_code", "name", "level", "parent_code"])
        for r in rows:
            w.writerow([r.code, r.name, r.level, r.parent_code])
    return len(rows)
