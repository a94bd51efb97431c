"""Character tables the simulator draws Chinese names, place names and their misspellings from.

Surname weights follow the shape of the national distribution (a few very common surnames, a long tail), with
compound surnames and the polyphone surnames whose surname reading differs from the everyday one (单 Shan, 曾 Zeng,
乐 Yue, 区 Ou, 查 Zha, 解 Xie, 仇 Qiu): pinyin spellings of those are exactly what trips up matching.
"""

from __future__ import annotations

from functools import cache

from pypinyin import lazy_pinyin

# (surname, relative weight, surname reading). The reading is spelled out for every surname so polyphones are right.
SURNAMES: tuple[tuple[str, float, str], ...] = (
    ("王", 7.1, "wang"), ("李", 7.0, "li"), ("张", 6.8, "zhang"), ("刘", 5.4, "liu"), ("陈", 4.6, "chen"),
    ("杨", 3.1, "yang"), ("黄", 2.2, "huang"), ("赵", 2.2, "zhao"), ("吴", 2.0, "wu"), ("周", 1.9, "zhou"),
    ("徐", 1.5, "xu"), ("孙", 1.5, "sun"), ("马", 1.4, "ma"), ("朱", 1.3, "zhu"), ("胡", 1.3, "hu"),
    ("郭", 1.2, "guo"), ("何", 1.2, "he"), ("高", 1.1, "gao"), ("林", 1.1, "lin"), ("罗", 1.0, "luo"),
    ("郑", 1.0, "zheng"), ("梁", 0.9, "liang"), ("谢", 0.8, "xie"), ("宋", 0.8, "song"), ("唐", 0.8, "tang"),
    ("许", 0.7, "xu"), ("韩", 0.7, "han"), ("冯", 0.7, "feng"), ("邓", 0.7, "deng"), ("曹", 0.7, "cao"),
    ("彭", 0.6, "peng"), ("曾", 0.6, "zeng"), ("肖", 0.6, "xiao"), ("田", 0.6, "tian"), ("董", 0.5, "dong"),
    ("袁", 0.5, "yuan"), ("潘", 0.5, "pan"), ("于", 0.5, "yu"), ("蒋", 0.5, "jiang"), ("蔡", 0.5, "cai"),
    ("余", 0.5, "yu"), ("杜", 0.5, "du"), ("叶", 0.5, "ye"), ("程", 0.5, "cheng"), ("苏", 0.4, "su"),
    ("魏", 0.4, "wei"), ("吕", 0.4, "lv"), ("丁", 0.4, "ding"), ("任", 0.4, "ren"), ("沈", 0.4, "shen"),
    ("姚", 0.4, "yao"), ("卢", 0.4, "lu"), ("姜", 0.4, "jiang"), ("崔", 0.4, "cui"), ("钟", 0.4, "zhong"),
    ("谭", 0.3, "tan"), ("陆", 0.3, "lu"), ("汪", 0.3, "wang"), ("范", 0.3, "fan"), ("金", 0.3, "jin"),
    ("石", 0.3, "shi"), ("廖", 0.3, "liao"), ("贾", 0.3, "jia"), ("夏", 0.3, "xia"), ("韦", 0.3, "wei"),
    ("付", 0.3, "fu"), ("方", 0.3, "fang"), ("白", 0.3, "bai"), ("邹", 0.3, "zou"), ("孟", 0.3, "meng"),
    ("熊", 0.3, "xiong"), ("秦", 0.3, "qin"), ("邱", 0.3, "qiu"), ("江", 0.3, "jiang"), ("尹", 0.3, "yin"),
    ("薛", 0.2, "xue"), ("闫", 0.2, "yan"), ("段", 0.2, "duan"), ("雷", 0.2, "lei"), ("侯", 0.2, "hou"),
    ("龙", 0.2, "long"), ("史", 0.2, "shi"), ("陶", 0.2, "tao"), ("黎", 0.2, "li"), ("贺", 0.2, "he"),
    ("顾", 0.2, "gu"), ("毛", 0.2, "mao"), ("郝", 0.2, "hao"), ("龚", 0.2, "gong"), ("邵", 0.2, "shao"),
    ("万", 0.2, "wan"), ("钱", 0.2, "qian"), ("严", 0.2, "yan"), ("覃", 0.1, "qin"), ("武", 0.2, "wu"),
    ("戴", 0.2, "dai"), ("莫", 0.1, "mo"), ("孔", 0.1, "kong"), ("向", 0.1, "xiang"), ("汤", 0.1, "tang"),
    ("单", 0.08, "shan"), ("乐", 0.05, "yue"), ("区", 0.04, "ou"), ("查", 0.05, "zha"), ("解", 0.05, "xie"),
    ("仇", 0.04, "qiu"), ("朴", 0.03, "piao"), ("盖", 0.03, "ge"), ("缪", 0.04, "miao"),
    ("欧阳", 0.10, "ouyang"), ("司马", 0.02, "sima"), ("上官", 0.02, "shangguan"), ("诸葛", 0.02, "zhuge"),
    ("东方", 0.01, "dongfang"), ("皇甫", 0.01, "huangfu"), ("令狐", 0.01, "linghu"), ("慕容", 0.01, "murong"),
    ("尉迟", 0.01, "yuchi"), ("夏侯", 0.01, "xiahou"),
)  # fmt: skip

GIVEN_MALE = (
    "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林欢阳建国峰亮成志文博天海晨轩睿豪宏振东"
)
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀燕玲桂丹萍红玉兰英梅琳雪婷慧颖倩洁晶佳欣悦怡雯思涵琪瑶璐彤蕾月"
GIVEN_EITHER = "子一雨嘉新晓春秋金永小立云家"

# Homophones and look-alikes a clerk types instead (same pinyin input, or a similar glyph).
CONFUSABLE: dict[str, str] = {
    "伟": "玮炜", "静": "晶婧", "丽": "莉俐", "明": "铭鸣", "军": "君钧", "华": "桦骅", "红": "虹宏",
    "玲": "琳铃", "涛": "滔韬", "杰": "洁捷", "磊": "垒", "芳": "方芬", "娜": "哪", "敏": "民闽",
    "强": "墙蔷", "刚": "钢纲", "燕": "艳雁", "平": "萍苹", "辉": "晖徽", "鹏": "朋", "飞": "菲非",
    "波": "博", "宇": "雨羽", "浩": "皓昊", "凯": "恺铠", "健": "建剑", "俊": "骏峻", "帆": "凡",
    "旭": "序", "宁": "柠", "龙": "隆", "林": "琳霖", "欢": "焕", "阳": "洋扬", "建": "健键",
    "国": "果", "峰": "锋丰", "亮": "良", "成": "诚城", "志": "智致", "文": "雯闻", "博": "波",
    "天": "添", "海": "凯", "婷": "亭", "慧": "惠蕙", "颖": "莹", "倩": "茜", "佳": "嘉家",
    "欣": "馨新", "怡": "仪", "雯": "文", "琪": "琦棋", "瑶": "遥", "月": "悦", "雪": "学",
    "张": "章", "王": "汪", "刘": "柳", "徐": "许", "杨": "扬", "黄": "王", "陈": "程",
    "周": "舟", "吴": "伍", "孙": "荪", "胡": "湖", "郑": "正", "谢": "解", "付": "傅", "于": "余",
    "路": "璐", "东": "冬", "春": "纯", "秋": "丘",
}  # fmt: skip

PLACE_CHARS = "东西南北城山河湖桥新安平宁和兴华清龙凤阳石柳杨林泉溪塘庄营店集岭坪沟湾坝堡镇港源丰茂富民乐康泰"
ROAD_CHARS = "人民解放建设中山和平胜利友谊文化光明幸福团结长江黄河振兴向阳朝阳新华工业学府体育滨江湖滨"
ROAD_SUFFIXES = ("路", "街", "大道", "巷")
HOTEL_WORDS = ("宾馆", "酒店", "大酒店", "商务酒店", "快捷酒店", "旅馆", "客栈", "招待所")
BRAND_CHARS = "锦江如家汉庭格林全季维也纳豪庭君悦金都银河天府星辰皇冠华美乐华盛鑫源"

# Provinces visitors come from: real two-digit GB/T 2260 province codes and short names.
PROVINCES: tuple[tuple[str, str], ...] = (
    ("11", "北京市"), ("31", "上海市"), ("32", "江苏省"), ("33", "浙江省"), ("34", "安徽省"), ("35", "福建省"),
    ("36", "江西省"), ("37", "山东省"), ("41", "河南省"), ("42", "湖北省"), ("43", "湖南省"), ("44", "广东省"),
    ("50", "重庆市"), ("51", "四川省"), ("61", "陕西省"), ("13", "河北省"), ("14", "山西省"), ("45", "广西壮族自治区"),
)  # fmt: skip


@cache
def char_pinyin(ch: str) -> str:
    return lazy_pinyin(ch)[0]


@cache
def surname_reading() -> dict[str, str]:
    return {s: r for s, _, r in SURNAMES}


def split_name(name: str) -> tuple[str, str]:
    """Surname and given name; compound surnames first so 欧阳修 splits as 欧阳 / 修."""
    if len(name) >= 3 and name[:2] in surname_reading():
        return name[:2], name[2:]
    return name[:1], name[1:]


def name_pinyin(name: str) -> tuple[str, str]:
    """(surname, given) in lower-case pinyin, with the surname's surname reading (单 shan, not dan)."""
    surname, given = split_name(name)
    sur = surname_reading().get(surname) or "".join(char_pinyin(c) for c in surname)
    return sur, "".join(char_pinyin(c) for c in given)
