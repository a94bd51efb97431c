"""Python standardisers on tricky inputs (the dbt twins are held to these in tests/integration)."""

from __future__ import annotations

from datetime import date

import pytest

from huitong import codes
from huitong.er import reference_data
from huitong.er.standardise import (
    name_pinyin_keys,
    standardise_date,
    standardise_gender,
    standardise_name,
    standardise_phone,
    standardise_resident_id,
    standardise_uscc,
)
from huitong.er.standardise_address import parse_address, standardise_business_name
from huitong.er.standardise_distance import jaro_winkler, levenshtein


@pytest.mark.parametrize(
    ("raw", "std"),
    [
        ("張三", "张三"), (" 曾 国 藩 ", "曾国藩"), ("ＺＨＡＮＧ　ＳＡＮ", "ZHANG SAN"), ("zhang  san", "ZHANG SAN"),
        ("阿依古丽•买买提", "阿依古丽·买买提"), ("阿依古丽.买买提", "阿依古丽·买买提"), ("·买买提·", "买买提"),
        ("鍾麗緹", "钟丽缇"), ("", None), ("  ", None), (None, None),
    ],
)  # fmt: skip
def test_standardise_name(raw, std):
    assert standardise_name(raw) == std


@pytest.mark.parametrize("raw", ["张三", "張三", "Zhang San", "ZHANGSAN", "zhang san", "ＺＨＡＮＧ　ＳＡＮ"])
def test_same_person_meets_on_the_ordered_key(raw):
    assert name_pinyin_keys(raw).ordered == "zhangsan"


@pytest.mark.parametrize("raw", ["张三", "Zhang San", "San Zhang", "SAN ZHANG"])
def test_name_order_does_not_matter_for_the_sorted_key(raw):
    assert name_pinyin_keys(raw).sorted == "sanzhang"


@pytest.mark.parametrize(
    ("raw", "ordered"),
    [
        ("单田芳", "shantianfang"), ("曾国藩", "zengguofan"), ("乐嘉", "yuejia"), ("区明", "ouming"),
        ("查良镛", "zhaliangyong"), ("解缙", "xiejin"), ("仇英", "qiuying"), ("朴树", "piaoshu"), ("翟志刚", "zhaizhigang"),
        ("尉迟恭", "yuchigong"), ("欧阳娜娜", "ouyangnana"), ("诸葛亮", "zhugeliang"), ("Lü Bu", "lvbu"),
    ],
)  # fmt: skip
def test_surname_readings(raw, ordered):
    assert name_pinyin_keys(raw).ordered == ordered


def test_compound_surname_is_one_part_of_the_sorted_key():
    assert name_pinyin_keys("欧阳娜娜").sorted == name_pinyin_keys("Nana Ouyang").sorted == "nanaouyang"


def test_resident_id_variants_agree_with_codes():
    legacy = "110105491231002"
    expected = codes.upgrade_resident_id(legacy)
    for raw in (legacy, expected.lower(), "１１０１０５１９４９１２３１００２Ｘ", "110105-19491231-002X"):
        rid = standardise_resident_id(raw)
        assert rid.id18 == expected and rid.valid
        assert rid.birth_date == date(1949, 12, 31) and rid.gender == codes.resident_id_gender(expected)
    assert standardise_resident_id(legacy).upgraded and not standardise_resident_id(expected).upgraded


def test_resident_id_with_bad_check_or_date_is_kept_but_flagged():
    bad_check = standardise_resident_id("110105194912310021")
    assert bad_check.id18 == "110105194912310021" and not bad_check.valid
    bad_date = standardise_resident_id("110105194902300020")
    assert not bad_date.valid and bad_date.birth_date is None
    assert standardise_resident_id("11010519491231002").id18 is None


@pytest.mark.parametrize(
    ("raw", "phone"),
    [
        ("+86 138-1234-5678", ("13812345678", "mobile")), ("008613812345678", ("13812345678", "mobile")),
        ("8613812345678", ("13812345678", "mobile")), ("138 1234 5678 ext. 12", ("13812345678", "mobile")),
        ("(0571)8765-4321", ("0571-87654321", "landline")), ("（０５７１）８７６５４３２１", ("0571-87654321", "landline")),
        ("+86 10 1234 5678", ("010-12345678", "landline")), ("010-12345678转123", ("010-12345678", "landline")),
        ("12345", (None, None)), ("23812345678", (None, None)), (None, (None, None)),
    ],
)  # fmt: skip
def test_standardise_phone(raw, phone):
    assert standardise_phone(raw) == phone


@pytest.mark.parametrize(
    ("raw", "day"),
    [
        ("1985-03-02", date(1985, 3, 2)), ("19850302", date(1985, 3, 2)), ("1985/3/2", date(1985, 3, 2)),
        ("1985年3月2日", date(1985, 3, 2)), ("1985.3.2 10:00", date(1985, 3, 2)), ("２０２０－０１－０１", date(2020, 1, 1)),
        ("1985-02-30", None), ("85-3-2", None), ("1985-13-01", None), ("", None),
    ],
)  # fmt: skip
def test_standardise_date(raw, day):
    assert standardise_date(raw) == day


@pytest.mark.parametrize(
    ("raw", "gender"),
    [
        ("男", "M"),
        ("Male", "M"),
        ("1", "M"),
        ("女", "F"),
        ("f", "F"),
        ("2", "F"),
        ("9", None),
        ("未知", None),
    ],
)
def test_standardise_gender(raw, gender):
    assert standardise_gender(raw) == gender


def test_address_variants_parse_alike():
    a = parse_address("浙江省杭州市西湖区文三路100号华星小区3号楼2单元501室")
    b = parse_address("浙江省杭州市西湖區文三路１００號華星小區3幢2單元501房")
    assert a == b
    assert (a.division, a.road, a.number, a.building, a.unit, a.room) == (
        "浙江省杭州市西湖区", "文三路", "100", "3", "2", "501",
    )  # fmt: skip


def test_address_dash_form_and_autonomous_region():
    a = parse_address("北京市朝阳区建国路88号3-2-501")
    assert (a.building, a.unit, a.room) == ("3", "2", "501")
    b = parse_address("广西壮族自治区南宁市青秀区民族大道１２号")
    assert (b.division, b.road, b.number) == ("广西壮族自治区南宁市青秀区", "民族大道", "12")


def test_small_community_is_not_a_district():
    assert parse_address("华星小区5#楼1单元202").division is None


def test_hash_after_a_road_or_group_is_the_house_number():
    a = parse_address("文三路100#3栋2单元501室")
    assert (a.road, a.number, a.building, a.unit, a.room) == ("文三路", "100", "3", "2", "501")
    assert parse_address("湾清区平安村3组45#").number == "45"
    assert parse_address("华星小区5#楼1单元202").building == "5"  # a building mark elsewhere


@pytest.mark.parametrize(
    ("raw", "core"),
    [
        ("杭州顺丰速运有限公司西湖分公司", "杭州顺丰速运"), ("老王五金店", "老王五金"),
        ("阿里巴巴（中国）网络技术有限公司", "阿里巴巴网络技术"), ("华为技术股份有限公司", "华为技术"), ("店", "店"),
    ],
)  # fmt: skip
def test_business_core(raw, core):
    assert standardise_business_name(raw).core == core


def test_uscc():
    code = codes.make_uscc("330100", "MA2AB3C4D")
    assert standardise_uscc(" " + code.lower()) == (code, True)
    assert standardise_uscc(code[:-1] + ("1" if code[-1] != "1" else "2")) == (
        code[:-1] + ("1" if code[-1] != "1" else "2"),
        False,
    )
    assert standardise_uscc("91330100MA2AB3C4") == (None, False)


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [("张三", "张四", 1), ("张三", "張三", 1), ("", "张三", 2), ("kitten", "sitting", 3)],
)
def test_levenshtein_counts_characters(a, b, distance):
    assert levenshtein(a, b) == distance


def test_jaro_winkler():
    assert jaro_winkler("martha", "marhta") == pytest.approx(0.9611111, abs=1e-6)
    assert jaro_winkler("张三", "张三") == 1.0
    assert jaro_winkler("张三", "李四") == 0.0


def test_committed_reference_data_matches_the_libraries(tmp_path):
    reference_data.write_all(tmp_path / "seeds", tmp_path / "literals.sql")
    for name in reference_data.seed_tables():
        assert (tmp_path / "seeds" / name).read_bytes() == (reference_data.SEED_DIR / name).read_bytes(), name
    assert (tmp_path / "literals.sql").read_text() == reference_data.LITERALS_MACRO.read_text()


def test_t2s_map_is_one_pass():
    table = reference_data.t2s_chars()
    assert table["張"] == "张" and table["號"] == "号"
    assert not set(table.values()) & set(table)
