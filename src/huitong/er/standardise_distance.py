"""String distances that count characters (code points), as Trino does and as the dbt macros make DuckDB do.

DuckDB's ``levenshtein`` and ``jaro_winkler_similarity`` work on bytes, so '张三' vs '张四' is 3 edits there. The
macros remap each character of a pair to a one-byte stand-in (its first position in a||b, as ``chr(n)``, n <= 127)
before calling DuckDB's fast native functions; these Python functions are the definitions the tests hold both
engines to.
"""

from __future__ import annotations


def levenshtein(a: str | None, b: str | None) -> int | None:
    if a is None or b is None:
        return None
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def levenshtein_similarity(a: str | None, b: str | None) -> float | None:
    """1 - distance / longer length; 1.0 for two empty strings."""
    distance = levenshtein(a, b)
    if distance is None:
        return None
    longest = max(len(a), len(b))
    return 1.0 if longest == 0 else 1.0 - distance / longest


def jaro(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    window = max(max(len(a), len(b)) // 2 - 1, 0)
    used = [False] * len(b)
    matched_a = []
    for i, ca in enumerate(a):
        for j in range(max(0, i - window), min(len(b), i + window + 1)):
            if not used[j] and b[j] == ca:
                used[j] = True
                matched_a.append(ca)
                break
    if not matched_a:
        return 0.0
    matched_b = [cb for cb, u in zip(b, used, strict=True) if u]
    m = len(matched_a)
    transpositions = sum(x != y for x, y in zip(matched_a, matched_b, strict=True)) // 2
    return (m / len(a) + m / len(b) + (m - transpositions) / m) / 3


def jaro_winkler(a: str | None, b: str | None, prefix_weight: float = 0.1) -> float | None:
    """Jaro-Winkler as DuckDB computes it: common prefix capped at 4 characters, boost only above 0.7 Jaro.
    Two equal strings (also two empty ones) score 1.0."""
    if a is None or b is None:
        return None
    sim = jaro(a, b)
    if sim <= 0.7:
        return sim
    prefix = 0
    for ca, cb in zip(a[:4], b[:4], strict=False):
        if ca != cb:
            break
        prefix += 1
    return sim + prefix * prefix_weight * (1 - sim)
