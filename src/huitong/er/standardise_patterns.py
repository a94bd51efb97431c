"""Regular expressions shared by the Python standardisers and the dbt macros (exported into the generated
``er_reference_literals.sql`` as ``er_pattern__<name>()``).

Every pattern stays in the subset that Python ``re``, RE2 (DuckDB) and Joni/Java (Trino) read the same way: no
look-around, no back-references in patterns, no named groups, no ``\\d``/``\\s``/``\\w`` (Python's are Unicode-wide),
literal CJK ranges only in the BMP. Lazy quantifiers and ``(?:...)`` are fine in all three; RE2 reports the same
leftmost-first sub-matches as a backtracking engine. Replacement strings may use ``\\1`` (the Trino macro rewrites it
to ``$1``).
"""

from __future__ import annotations

PATTERNS: dict[str, str] = {
    "ws": "[ \t\r\n]+",
    "edge_space": "^ +| +$",
    "fullwidth": "[\uff01-\uff5e\u3000\u00a0]",
    "cjk": "[㐀-䶿一-鿿]",
    "not_lower_alpha": "[^a-z]+",
    "multi_dot": "·+",
    "edge_dot": "^·+|·+$",
    # resident ID and USCC: codes.upgrade_resident_id strips whitespace and dashes
    "id_junk": "[ \t\r\n-]+",
    "id18": "^[0-9]{17}[0-9X]$",
    "id15": "^[0-9]{15}$",
    "uscc": "^[0-9A-HJ-NPQRTUWXY]{18}$",
    # phones
    "phone_ext": "(?:转|分机|EXT|ext)[0-9]*$",
    "phone_junk": "[ \t\r\n()./-]+",
    "phone_intl": "^(?:[+]|00)86",
    "phone_cn13": "^861[3-9][0-9]{9}$",
    "mobile": "^1[3-9][0-9]{9}$",
    "landline": "^0[1-9][0-9]{8,10}$",
    "landline_3digit_area": "^0[12]",
    # dates
    "date_sep": "^((?:19|20)[0-9]{2})[-/.年]([0-9]{1,2})[-/.月]([0-9]{1,2})日?(?:[ T].*)?$",
    "date_compact": "^((?:19|20)[0-9]{2})([0-9]{2})([0-9]{2})$",
    # addresses (applied in this order, after text cleaning and upper-casing)
    "addr_junk": "[ \t\r\n,;:、。]+",
    # '#' typed for the house number's 号, right after a road (or a village group) and its digits: 文三路100#3栋,
    # 3组45#; elsewhere '#' stays a building mark (华星小区5#楼)
    "addr_hash_number": "((?:大道|大街|路|街|巷|弄|胡同|组)[0-9]+)#",
    "addr_dash_triple": "([0-9]+)-([0-9]+)-([0-9]+)$",
    "addr_building": "([0-9A-Z]+)(?:号楼|#楼|幢|座|栋|#)",
    "addr_room": "([0-9]+)(?:号房|房|室)",
    "addr_division": (
        "^((?:[^0-9]{1,8}?(?:省|自治区))?(?:[^0-9]{1,8}?(?:市|自治州|地区|盟))?"
        "(?:[^0-9路街巷号]{0,6}[^0-9路街巷号小园社景校](?:区|县|旗))?(?:[^0-9路街巷号]{1,8}?(?:街道|镇|乡))?)"
    ),
    "addr_road": "^([^0-9]+?(?:大道|大街|路|街|巷|弄|胡同))",
    "addr_number": "([0-9]+(?:-[0-9]+)?)号",
    "addr_building_no": "([0-9A-Z]+)栋",
    "addr_unit_no": "([0-9]+)单元",
    "addr_room_no": "([0-9]+)室",
    # business names
    "biz_brackets": "[(][^)]*[)]",
    "biz_legal_form": "(?:股份有限公司|有限责任公司|集团有限公司|有限公司).*$",
    "biz_suffix": "(?:分公司|公司|集团|商店|分店|门店|店|商行|经营部|营业部|服务部|工作室|厂)$",
}

# gender spellings (GB/T 2261.1 codes 1 / 2 among them), compared after clean_basic and lower-casing
GENDER_MALE = ("男", "男性", "m", "male", "1", "先生")
GENDER_FEMALE = ("女", "女性", "f", "female", "2", "女士")
