"""The person model's comparison levels: the Python twin of `int_persons_compared`'s CASE expressions.

EM training computes levels for random record pairs here (to estimate u) and reads the levels dbt computed for the
candidate pairs (to estimate m); a test holds the two definitions to the same answers. Each field compares two
standardised values of `int_person_records` and gives one level; `null` (either side missing) carries no weight.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from rapidfuzz.distance import Levenshtein

NULL = "null"

# field -> levels in decreasing agreement; `null` is implicit for every field.
LEVELS: dict[str, tuple[str, ...]] = {
    "id_number": ("exact", "fuzzy", "different"),
    "name": ("exact", "pinyin", "fuzzy", "different"),
    "phone": ("exact", "fuzzy", "different"),
    "birth_date": ("exact", "fuzzy", "different"),
    "gender": ("exact", "different"),
    "address": ("exact", "fuzzy", "different"),
}

# Thresholds shared with the SQL (int_persons_compared reads the same numbers from dbt vars' defaults).
NAME_FUZZY_SIMILARITY = 0.66  # 3-character names with one character different
PINYIN_FUZZY_SIMILARITY = 0.75  # zhangwei / zhangwen
ADDRESS_FUZZY_SIMILARITY = 0.7


def _both(a: Any, b: Any) -> bool:
    return a is not None and b is not None


def _similar(a: str, b: str, threshold: float) -> bool:
    """levenshtein_similarity(a, b) >= threshold. RapidFuzz's C++ Levenshtein counts code points as
    huitong.er.standardise_distance does, and stops once the distance passes what the threshold allows: EM's random
    pairs call this ~100k times, nearly all far apart. The exact comparison stays the definition's."""
    longest = max(len(a), len(b))
    if longest == 0:
        return True
    allowed = int((1.0 - threshold) * longest) + 1  # above it the similarity is below the threshold anyway
    return 1.0 - Levenshtein.distance(a, b, score_cutoff=allowed) / longest >= threshold


def _within(a: str, b: str, edits: int) -> bool:
    return len(a) == len(b) and Levenshtein.distance(a, b, score_cutoff=edits) <= edits


def compare_id_number(a: str | None, b: str | None) -> str:
    if not _both(a, b):
        return NULL
    if a == b:
        return "exact"
    # one wrong digit or two swapped ones (a swap is two edits)
    if _within(a, b, 2):
        return "fuzzy"
    return "different"


def compare_name(left: Mapping[str, Any], right: Mapping[str, Any]) -> str:
    a, b = left["std_full_name"], right["std_full_name"]
    if not _both(a, b):
        return NULL
    if a == b:
        return "exact"
    pa, pb = left["name_pinyin"], right["name_pinyin"]
    sa, sb = left["name_pinyin_sorted"], right["name_pinyin_sorted"]
    if (_both(pa, pb) and pa == pb) or (_both(sa, sb) and sa == sb):
        return "pinyin"
    if _similar(a, b, NAME_FUZZY_SIMILARITY) or (_both(pa, pb) and _similar(pa, pb, PINYIN_FUZZY_SIMILARITY)):
        return "fuzzy"
    return "different"


def compare_phone(a: str | None, b: str | None) -> str:
    if not _both(a, b):
        return NULL
    if a == b:
        return "exact"
    if _within(a, b, 1):
        return "fuzzy"
    return "different"


def compare_birth_date(a, b) -> str:
    if not _both(a, b):
        return NULL
    if a == b:
        return "exact"
    # one digit of 'YYYY-MM-DD' wrong (a typo), not merely the same year
    within_one = Levenshtein.distance(a.isoformat(), b.isoformat(), score_cutoff=1) <= 1
    return "fuzzy" if within_one else "different"


def compare_gender(a: str | None, b: str | None) -> str:
    if not _both(a, b):
        return NULL
    return "exact" if a == b else "different"


def compare_address(a: str | None, b: str | None) -> str:
    if not _both(a, b):
        return NULL
    if a == b:
        return "exact"
    if _similar(a, b, ADDRESS_FUZZY_SIMILARITY):
        return "fuzzy"
    return "different"


def _column(fn: Callable[[Any, Any], str], column: str) -> Callable[[Mapping, Mapping], str]:
    return lambda left, right: fn(left[column], right[column])


COMPARATORS: dict[str, Callable[[Mapping, Mapping], str]] = {
    "id_number": _column(compare_id_number, "std_id_number"),
    "name": compare_name,
    "phone": _column(compare_phone, "std_phone"),
    "birth_date": _column(compare_birth_date, "birth_date"),
    "gender": _column(compare_gender, "gender"),
    "address": _column(compare_address, "std_address"),
}


def compare(left: Mapping[str, Any], right: Mapping[str, Any]) -> dict[str, str]:
    """The comparison vector of two `int_person_records` rows: field -> level."""
    return {field: fn(left, right) for field, fn in COMPARATORS.items()}
