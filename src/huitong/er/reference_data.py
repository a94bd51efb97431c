"""Character-level reference data the standardisers share with the dbt macros.

The Python standardisers build these tables in memory from the libraries (opencc-purepy, pypinyin); the dbt side
reads exported copies: CSV seeds under ``dbt_project/seeds/er`` and one generated macro file
(``dbt_project/macros/er/er_reference_literals.sql``) holding the short tables as SQL literals so that a
``translate()`` or ``CASE`` needs no join. ``python -m huitong.er.reference_data`` rewrites both; a unit test checks
that the committed copies equal what the libraries give, so Python and SQL cannot drift apart.

Why char-level traditional -> simplified: SQL ``translate()`` maps one code point to one code point, which is all a
name or an address needs for matching (phrase-level conversion such as 乾隆 stays 乾 only matters for display).
Both sides fold the same way, so an over-eager fold (乾 -> 干) costs nothing in matching.
"""

from __future__ import annotations

import csv
import sys
from functools import cache
from pathlib import Path

# Full-width ASCII block FF01-FF5E -> 0021-007E; ideographic and no-break spaces -> space.
FULLWIDTH_FROM = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "\u3000\u00a0"
FULLWIDTH_TO = "".join(chr(c) for c in range(0x21, 0x7F)) + "  "

# Middle-dot look-alikes used between the parts of transliterated names (阿依古丽·买买提); all become U+00B7.
NAME_DOTS = "•・･‧∙⋅ꞏ●"

# Only the BMP CJK blocks: the SQL character classes use literal ranges that every regex engine reads alike.
CJK_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF))
CJK_CLASS = "[㐀-䶿一-鿿]"

# Surnames whose everyday reading differs from the character's default reading, and compound surnames.
# Readings without tones, 'v' for ü (pypinyin's NORMAL style).
SURNAME_PINYIN: dict[str, str] = {
    # single-character polyphones
    "单": "shan", "曾": "zeng", "乐": "yue", "区": "ou", "查": "zha", "解": "xie", "仇": "qiu", "朴": "piao",
    "盖": "ge", "翟": "zhai", "缪": "miao", "秘": "bi", "召": "shao", "种": "chong", "覃": "qin", "晟": "cheng",
    "黑": "he", "任": "ren", "华": "hua", "宁": "ning", "柏": "bai", "繁": "po", "员": "yun", "句": "gou",
    "尉": "wei", "长": "chang", "沈": "shen", "燕": "yan", "蕃": "pi", "眭": "sui", "折": "she", "阚": "kan",
    "相": "xiang", "贲": "ben", "隗": "wei", "莘": "shen", "藏": "zang", "祭": "zhai", "谌": "chen", "万": "wan",
    # compound surnames (matched before single characters)
    "欧阳": "ouyang", "司马": "sima", "诸葛": "zhuge", "上官": "shangguan", "东方": "dongfang", "皇甫": "huangfu",
    "夏侯": "xiahou", "司徒": "situ", "公孙": "gongsun", "慕容": "murong", "长孙": "zhangsun", "宇文": "yuwen",
    "尉迟": "yuchi", "令狐": "linghu", "澹台": "tantai", "万俟": "moqi", "单于": "chanyu", "呼延": "huyan",
    "端木": "duanmu", "申屠": "shentu", "西门": "ximen", "南宫": "nangong", "轩辕": "xuanyuan", "司空": "sikong",
    "闻人": "wenren", "赫连": "helian", "钟离": "zhongli", "宗政": "zongzheng", "濮阳": "puyang", "太叔": "taishu",
    "公冶": "gongye", "淳于": "chunyu", "拓跋": "tuoba", "百里": "baili", "第五": "diwu", "左丘": "zuoqiu",
}  # fmt: skip

DBT_DIR = Path(__file__).resolve().parents[3] / "dbt_project"
SEED_DIR = DBT_DIR / "seeds" / "er"
LITERALS_MACRO = DBT_DIR / "macros" / "er" / "er_reference_literals.sql"


def _opencc_dicts() -> Path:
    import opencc_purepy

    return Path(opencc_purepy.__file__).parent / "dicts"


def _read_opencc(name: str) -> dict[str, str]:
    """First candidate of each single-character entry."""
    out: dict[str, str] = {}
    for line in (_opencc_dicts() / name).read_text(encoding="utf-8").splitlines():
        if "\t" not in line:
            continue
        key, values = line.split("\t", 1)
        first = values.split(" ")[0]
        if len(key) == 1 and len(first) == 1:
            out[key] = first
    return out


def _in_bmp_cjk(ch: str) -> bool:
    return any(lo <= ord(ch) <= hi for lo, hi in CJK_RANGES)


@cache
def t2s_chars() -> dict[str, str]:
    """Traditional (and Taiwan / Hong Kong variant) character -> simplified character, closed under repetition
    so one ``translate()`` pass reaches the fixed point. BMP only, like the SQL regex classes."""
    variants = _read_opencc("TWVariantsRev.txt") | _read_opencc("HKVariantsRev.txt")
    ts = _read_opencc("TSCharacters.txt")

    def once(ch: str) -> str:
        ch = variants.get(ch, ch)
        return ts.get(ch, ch)

    out: dict[str, str] = {}
    for ch in sorted(set(variants) | set(ts)):
        seen, cur = {ch}, ch
        while (nxt := once(cur)) not in seen:
            seen.add(nxt)
            cur = nxt
        if cur != ch and _in_bmp_cjk(ch) and _in_bmp_cjk(cur):
            out[ch] = cur
    return out


@cache
def pinyin_chars() -> dict[str, str]:
    """Default toneless reading of every BMP CJK character pypinyin knows ('v' for ü)."""
    from pypinyin import Style, lazy_pinyin
    from pypinyin.pinyin_dict import pinyin_dict

    out: dict[str, str] = {}
    for code in sorted(pinyin_dict):
        ch = chr(code)
        if _in_bmp_cjk(ch):
            reading = lazy_pinyin(ch, style=Style.NORMAL)[0]
            if reading.isascii() and reading.isalpha():
                out[ch] = reading.lower()
    return out


def sql_string(text: str) -> str:
    """``text`` as a SQL string literal (also a YAML single-quoted scalar: the same quoting)."""
    return "'" + text.replace("'", "''") + "'"


def literals_macro_text() -> str:
    """The generated macro file: short tables and the regex patterns as SQL literals. The character tables stay
    seeds: SQL reads them through code-point-indexed arrays (``er_char_lookup``), which is far faster than a
    3,000-character ``translate()`` (DuckDB's costs time per character of its ``from`` string, per row)."""
    from huitong.er.standardise_patterns import GENDER_FEMALE, GENDER_MALE, PATTERNS

    compound = {k: v for k, v in SURNAME_PINYIN.items() if len(k) == 2}
    single = {k: v for k, v in SURNAME_PINYIN.items() if len(k) == 1}
    lines = [
        "{#- GENERATED by `python -m huitong.er.reference_data`; do not edit. Sources: opencc-purepy, pypinyin,",
        "    huitong.er.reference_data.SURNAME_PINYIN and huitong.er.standardise_patterns. -#}",
        "",
        "{% macro er_fullwidth_from() %}" + sql_string(FULLWIDTH_FROM) + "{% endmacro %}",
        "{% macro er_fullwidth_to() %}" + sql_string(FULLWIDTH_TO) + "{% endmacro %}",
        "{% macro er_name_dots() %}" + sql_string(NAME_DOTS) + "{% endmacro %}",
        "",
        "{% macro er_gender_values(g) %}{{ return("
        + repr({"M": list(GENDER_MALE), "F": list(GENDER_FEMALE)})
        + "[g]) }}{% endmacro %}",
        "",
        "{% macro er_surname_pinyin(n) -%}",
        "  {%- set compound = " + repr(compound) + " -%}",
        "  {%- set single = " + repr(single) + " -%}",
        "  {{ return({'compound': compound, 'single': single}[n]) }}",
        "{%- endmacro %}",
        "",
    ]
    # One macro per pattern: a macro body is raw text to Jinja, so backslashes and quotes pass through untouched.
    lines += [
        f"{{% macro er_pattern__{key}() %}}{sql_string(pattern)}{{% endmacro %}}"
        for key, pattern in PATTERNS.items()
    ]
    lines.append("")
    return "\n".join(lines)


def _write_csv(path: Path, header: tuple[str, str], rows: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows.items())


def seed_tables() -> dict[str, tuple[tuple[str, str], dict[str, str]]]:
    return {
        "er_char_t2s.csv": (("traditional", "simplified"), t2s_chars()),
        "er_char_pinyin.csv": (("hanzi", "pinyin"), pinyin_chars()),
        "er_surname_pinyin.csv": (("surname", "pinyin"), SURNAME_PINYIN),
    }


def write_all(seed_dir: Path = SEED_DIR, literals_macro: Path = LITERALS_MACRO) -> list[Path]:
    written = []
    for name, (header, rows) in seed_tables().items():
        _write_csv(seed_dir / name, header, rows)
        written.append(seed_dir / name)
    literals_macro.parent.mkdir(parents=True, exist_ok=True)
    literals_macro.write_text(literals_macro_text(), encoding="utf-8")
    written.append(literals_macro)
    return written


if __name__ == "__main__":
    for p in write_all():
        sys.stdout.write(f"wrote {p}\n")
