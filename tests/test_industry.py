"""GB/T 4754 resolution at every level of the 2002, 2011 and 2017 editions (DOMAIN §6), the
traps between editions, and the explicit multi-industry policy.

Expected divisions are read by hand from the official tables in geodata/codes (the row of the
NBS 2002→2011 table or of GB/T 4754-2017 Appendix B is quoted where a result is not obvious).
"""

import csv
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from standardland import codes, industry
from standardland.errors import InputError

RECORDS = Path(__file__).resolve().parents[1] / "geodata" / "records"


# -- the tables ---------------------------------------------------------------------------

def test_full_tables_are_loaded_with_the_official_counts():
    levels02 = Counter(lvl for _, lvl in codes.industries_2002().values())
    assert [levels02[i] for i in (1, 2, 3, 4)] == [20, 95, 396, 913]
    levels17 = Counter(lvl for _, lvl in codes.industries_2017().values())
    assert [levels17[i] for i in (1, 2, 3, 4)] == [20, 97, 473, 1381]
    assert len(codes.classes_2011()) == 1094
    # 2002 manufacturing is divisions 13–37 and 39–43 (38 unused), 30 in all
    assert len(codes.divisions_2002()) == 30 and "38" not in codes.divisions_2002()
    assert codes.divisions_2002()["37"] == "交通运输设备制造业"


def test_crosswalks_cover_every_class_and_the_composed_table_is_the_official_chain():
    c02_11, c11_17 = codes.class_crosswalk("2002", "2011"), codes.class_crosswalk("2011", "2017")
    classes02 = {c for c, (_, lvl) in codes.industries_2002().items() if lvl == 4}
    classes17 = {c for c, (_, lvl) in codes.industries_2017().items() if lvl == 4}
    assert set(c02_11) == classes02
    assert set(c11_17) == set(codes.classes_2011())
    assert {t for ts in c11_17.values() for t in ts} == classes17  # the project's 2017 table agrees
    chained = {c: tuple(sorted({t for m in ms for t in c11_17[m]})) for c, ms in c02_11.items()}
    assert chained == codes.class_crosswalk("2002", "2017")
    assert sum(len(v) for v in codes.class_crosswalk("2002", "2017").values()) == 1521
    # the reverse direction reads the same table backwards
    assert codes.class_crosswalk("2017", "2002")["3611"] == ("3721",)  # 汽柴油车整车制造 ← 2011-3610 ← 2002-3721


def test_named_crosswalks_hold_the_same_pairs():
    base = Path(__file__).resolve().parents[1] / "geodata" / "codes"
    for stem in ("crosswalk_gbt4754_2002_to_2011", "crosswalk_gbt4754_2011_to_2017"):
        plain = [(r["from_code"], r["to_code"]) for r in csv.DictReader(open(base / f"{stem}.csv", encoding="utf-8"))]
        named = [(r["from_code"], r["to_code"])
                 for r in csv.DictReader(open(base / f"{stem}_named.csv", encoding="utf-8"))]
        assert plain == named


def test_every_2002_class_reaches_2017_and_the_note_says_when_it_spans_divisions():
    cw = codes.class_crosswalk("2002", "2017")
    spanning = []
    for c, (_, lvl) in codes.industries_2002().items():
        if lvl != 4:
            continue
        assert cw.get(c), c
        ind = industry.resolve(c, edition="2002")
        assert ind.error is None and ind.div2002 == (c[:2],) and ind.level == "class"
        assert ind.div2017 == tuple(sorted({t[:2] for t in cw[c]}))
        if len(ind.div2017) > 1:
            spanning.append(c)
            assert any("several 2017 divisions" in n and "strictest" in n for n in ind.notes)
        else:
            assert not ind.notes
    assert len(spanning) == 50
    # 3699 其他专用设备制造 → 3491/3492 工业/特殊作业机器人, 3964 服务消费机器人, 4330 专用设备修理 ...
    assert {"34", "39", "43"} <= set(industry.resolve("3699", edition="2002").div2017)


def test_every_official_category_resolves_by_code_and_by_name():
    for ed, table in (("2002", codes.industries_2002()), ("2017", codes.industries_2017()),
                      ("2011", {c: (n, 4) for c, n in codes.classes_2011().items()})):
        for c, (n, lvl) in table.items():
            if lvl == 1:
                continue
            assert industry.resolve(c, edition=ed).error is None, (ed, c)
            by_name = industry.resolve(name=n)
            assert by_name.error is None, (ed, c, n, by_name.error)
            assert by_name.div2017 and by_name.div2002, (ed, c, n)


# -- the examples of issue 9 --------------------------------------------------------------

def test_car_manufacturing_is_2002_group_372():
    for ed in ("2002", None):
        car = industry.resolve(name="汽车制造", edition=ed)
        assert car.error is None
        assert (car.edition, car.level, car.matched_code) == ("2002", "group", "372")
        assert car.div2002 == ("37",) and car.section2002 == ("C",)
        # 3721–3725 → 2017-36 汽车制造业; 3726 汽车修理 → 2011-8011 → 2017-8111/8112 (NBS row 1358:
        # 原“3726 汽车修理”调到此处), so 2017-81 is kept too and the note says so
        assert car.div2017 == ("36", "81")
        assert codes.industries_2017()["36"][0] == "汽车制造业"
        assert any("36 (8 class pairs)" in n and "3726→8111" in n for n in car.notes)


@pytest.mark.parametrize("name, level, d2002, d2017", [
    ("家用制冷电器具制造", "class", ("39",), ("38",)),  # 2002-3951, 2017-3851
    ("铝冶炼", "class", ("33",), ("32",)),              # 2002-3316, 2017-3216
    ("水泥及石膏制品制造", "group", ("31",), ("30",)),   # 2002-312
    ("棉、化纤纺织及印染精加工", "group", ("17",), ("17",)),
    ("钢压延加工", "group", ("32",), ("31",)),
    ("船舶及浮动装置制造", "group", ("37",), ("37", "43")),  # 3753, 3755 → 4342 船舶修理
    ("铁路运输设备制造", "group", ("37",), ("37",)),  # also the name of 2017 group 371: its own division
    ("仓储业", "division", ("58",), ("59",)),
    ("火力发电", "class", ("44",), ("44",)),            # 4411 in both
    ("批发业", "division", ("63",), ("51",)),
    ("农业", "division", ("01",), ("01",)),
    ("商务服务业", "division", ("74",), ("72",)),
    ("房地产业", "division", ("72",), ("70",)),         # also the name of section K: the division wins
])
def test_official_names_of_every_level_resolve(name, level, d2002, d2017):
    ind = industry.resolve(name=name)
    assert ind.error is None, ind.error
    assert (ind.level, ind.div2002, ind.div2017) == (level, d2002, d2017)


def test_non_manufacturing_names_resolve_with_their_sections():
    store = industry.resolve(name="仓储业")
    assert store.section2002 == ("F",) and store.section2017 == ("G",)
    assert industry.resolve(name="火力发电").section2002 == ("D",)


def test_a_2011_class_name_and_code_resolve():
    # 2011-3630 低速载货汽车制造 (renamed 3640 低速汽车制造 in 2017) came from 2002-3721
    slow = industry.resolve(name="低速载货汽车制造")
    assert (slow.edition, slow.matched_code, slow.div2017, slow.div2002) == ("2011", "3630", ("36",), ("37",))
    assert industry.resolve("3630", edition="2011").div2017 == ("36",)
    # a wording of Appendix B (provenance: 保险中介服务 / 保险经纪与代理服务 for 2011-6850)
    assert industry.resolve(name="保险经纪与代理服务").div2017 == ("68",)
    assert industry.resolve(name="保险经纪与代理服务").div2002 == ("70",)
    # a 2011 division is known by its classes, though the tables do not name it
    div = industry.resolve("36", edition="2011")
    assert div.div2017 == ("36",) and div.div2002 == ("37",) and "unnamed" in div.label


def test_unknown_name_gets_suggestions_never_a_guess():
    ind = industry.resolve(name="印刷业和记录媒体的复制")
    assert ind.div2017 == () and ind.div2002 == ()
    assert "not an official" in ind.error
    assert "did you mean 印刷业和记录媒介的复制 (2002-23)" in ind.error
    assert ind.suggestions[0] == "印刷业和记录媒介的复制 (2002-23)"
    assert industry.resolve(name="教育业").suggestions == ("教育 (2017-83, 2002-84)",)


@pytest.mark.parametrize("variant, code", [
    ("皮革、毛皮、羽毛（绒）及其制品业", "19"),        # the table prints (绒)
    ("瓶(罐)装饮用水制造", "1532"),                    # the table prints （罐）
    ("造纸及纸质品业", "22"),
    ("通讯设备、计算机及其他电子设备制造业", "40"),
    ("其它专用设备制造", "3699"),
    (" 皮箱、包 （袋）制造", "1923"),
])
def test_brackets_spaces_and_variant_spellings_are_equal(variant, code):
    ind = industry.resolve(name=variant, edition="2002")
    assert ind.error is None and ind.matched_code == code


# -- the traps between editions -------------------------------------------------------------

def test_40_is_instruments_in_2017_but_electronics_in_2002():
    ins = industry.resolve("40")  # 2017 by default
    assert "仪器仪表" in ins.label
    # 2017-40 came from 2002-41 (19 class pairs) and 2002-3577 衡器制造 (→ 2017-4050)
    assert ins.div2017 == ("40",) and ins.div2002 == ("35", "41")
    assert any("41 (19 class pairs)" in n and "4050→3577" in n for n in ins.notes)
    ele = industry.resolve("40", edition="2002")
    assert ele.div2002 == ("40",) and ele.div2017 == ("39",) and not ele.notes
    assert "电子设备" in ele.label


def test_rubber_and_plastics_merged_into_2017_29():
    merged = industry.resolve("29")
    assert merged.div2002 == ("29", "30")
    assert any("strictest" in n for n in merged.notes)
    assert industry.resolve("291").div2002 == ("29",)   # 橡胶制品业
    assert industry.resolve("2922").div2002 == ("30",)  # a plastics class
    # rubber and plastic shoes (2002-2960, 3081) went to 2017-19 (1954, 1953)
    assert industry.resolve("29", edition="2002").div2017 == ("19", "29")
    assert industry.resolve("30", edition="2002").div2017 == ("19", "29")
    assert industry.resolve("296", edition="2002").div2017 == ("19",)  # 2960 橡胶靴鞋制造 → 1954 橡胶鞋制造
    assert industry.resolve("291", edition="2002").div2017 == ("29",)


def test_2002_37_split_into_2017_36_and_37_and_its_repair_classes():
    split = industry.resolve("37", edition="2002")
    # 36 汽车 and 37 other transport; 43 the repair classes (3719, 3753, 3755, 3761, 3799);
    # 81 汽车修理 (3726); 33 (3792 → 3394 金属标牌); 38 (3714 → 3891 电气信号设备)
    assert split.div2017 == ("33", "36", "37", "38", "43", "81")
    assert split.notes and split.notes[0].index("37 (30") < split.notes[0].index("36 (8")


def test_codes_31_to_36_shift_down_by_one_plus_the_classes_that_moved():
    expected = {"31": ("30",), "32": ("31",), "33": ("32", "33"), "34": ("33", "43"),
                "35": ("33", "34", "40", "43"), "36": ("33", "34", "35", "37", "38", "39", "43")}
    for c2002, d2017 in expected.items():
        ind = industry.resolve(c2002, edition="2002")
        assert ind.div2017 == d2017
        shifted = f"{int(c2002) - 1}"
        assert shifted in ind.div2017
        if ind.notes:  # the shifted division carries most classes, so the note names it first
            assert ind.notes[0].split("through the official class correspondences (2002→2011→2017): ")[1] \
                .startswith(shifted)


def test_2017_43_repair_comes_from_2002_repair_classes():
    # At division level 2017-43 looked new; the class tables show where each repair class came from,
    # e.g. 4342 船舶修理 ← 2002-3755 船舶修理及拆船, 4360 仪器仪表修理 ← 2002-4190.
    repair = industry.resolve("43")
    assert repair.error is None
    assert repair.div2002 == ("34", "35", "36", "37", "39", "41")
    assert industry.resolve("4342").div2002 == ("37",)
    assert industry.resolve("4360").div2002 == ("41",)


@pytest.mark.parametrize("name, d2017, d2002", [
    ("橡胶和塑料制品业", ("29",), ("29", "30")),
    ("化学原料及化学制品制造业", ("26",), ("26",)),           # 2002 name
    ("化学原料和化学制品制造业", ("26",), ("26",)),           # 2017 name
    ("通讯设备、计算机及其他电子设备制造业", ("39",), ("40",)),  # 通讯 → 通信 variant
    ("造纸及纸质品业", ("22",), ("22",)),                     # 纸质品 → 纸制品 variant
    ("通用设备制造业", ("34",), ("35",)),                     # each edition's own division
    ("塑料制品业", ("29",), ("30",)),                         # 2017 group 292 and 2002 division 30
])
def test_official_names_of_either_edition(name, d2017, d2002):
    ind = industry.resolve(name=name)
    assert ind.error is None, ind.error
    assert (ind.div2017, ind.div2002) == (d2017, d2002)


def test_a_name_in_two_editions_says_so():
    ind = industry.resolve(name="通用设备制造业")
    assert any("2017-34" in n and "2002-35" in n for n in ind.notes)


@pytest.mark.parametrize("kwargs, fragment", [
    ({"code": "99"}, "not a GB/T 4754-2017 code"),
    ({"code": "38", "edition": "2002"}, "not a GB/T 4754-2002 code"),
    ({"code": "3726", "edition": "2011"}, "not a GB/T 4754-2011 code"),
    ({"code": "C3"}, "must be digits"),
    ({"code": "C"}, "门类"),
    ({"code": "39", "edition": "1994"}, "2017, 2011 or 2002"),
    ({"name": "其它"}, "generic"),
    ({"name": "制造业"}, "generic"),
    ({"name": "建筑业"}, "门类"),
    ({"name": "批发和零售业"}, "门类"),
    ({"name": "汽车制造", "edition": "2017"}, "it is 2002-372"),
    ({}, "no industry given"),
])
def test_unknown_industry_is_an_error_not_a_default(kwargs, fragment):
    ind = industry.resolve(**kwargs)
    assert ind.error and fragment in ind.error
    assert ind.div2017 == () and ind.div2002 == ()


def test_a_section_is_refused_with_its_divisions():
    ind = industry.resolve(name="批发和零售业")
    assert "2017: section F, divisions 51–52" in ind.error and "2002: section H, divisions 63–65" in ind.error
    assert ind.level == "section"


def test_codes_from_spreadsheets_are_read_as_codes():
    assert industry.resolve(372.0, edition="2002").matched_code == "372"
    assert industry.resolve("3951", edition=2002).div2002 == ("39",)
    assert industry.resolve(float("nan"), name="铝冶炼").div2002 == ("33",)
    assert industry.resolve(pd.NA, name="铝冶炼").div2002 == ("33",)
    # a spreadsheet turns 0113 into 113: refused, with the hint (never read as the 0113 it may have been)
    assert "leading zero lost? 2017-0113 is 玉米种植" in industry.resolve(113).error


def test_to_dict_carries_the_match():
    d = industry.resolve(name="汽车制造").to_dict()
    assert (d["edition"], d["level"], d["matched_code"]) == ("2002", "group", "372")
    assert d["gbt4754_2002"] == ["37"] and d["sections_2002"] == ["C"]


# -- search (for an industry picker) ---------------------------------------------------------

def test_search_by_name_code_and_section():
    hits = industry.search("汽车制造", 5)
    assert hits[0] == {"edition": "2002", "code": "372", "name": "汽车制造", "level": "group", "section": "C"}
    assert {"edition": "2017", "code": "36", "name": "汽车制造业", "level": "division", "section": "C"} in hits
    by_code = industry.search("372", 3)
    assert [(h["edition"], h["name"]) for h in by_code[:2]] == [("2017", "城市轨道交通设备制造"), ("2002", "汽车制造")]
    assert [h["edition"] for h in industry.search("C")] == ["2017", "2002"]
    assert industry.search("印刷业和记录媒体的复制", 1)[0]["name"] == "印刷业和记录媒介的复制"
    assert industry.search("  ") == []
    assert len(industry.search("制造", 200)) == 200


@pytest.mark.parametrize("limit", [0, -1, 201, 2.5, True])
def test_search_limit_is_checked(limit):
    with pytest.raises(InputError, match="limit"):
        industry.search("汽车", limit)


# -- the real records --------------------------------------------------------------------------

def _screen(path, column):
    with open(path, encoding="utf-8", newline="") as fh:
        names = [r[column] for r in csv.DictReader(fh)]
    out = Counter()
    for n in names:
        ind = industry.resolve(name=n or None)
        if ind.error is None:
            out["resolved"] += 1
        elif "generic" in ind.error:
            out["generic"] += 1
        elif "门类" in ind.error:
            out["section"] += 1
        else:
            assert ind.suggestions, n  # an unknown name always comes with the closest official names
            out["unknown"] += 1
    return dict(out)


def test_real_records_resolve_or_say_why():
    assert _screen(RECORDS / "shandong_2017_industrial_projects.csv", "industry_name") == \
        {"resolved": 50, "generic": 8, "section": 1}
    assert _screen(RECORDS / "shandong_2017_land_supply.csv", "行业分类") == \
        {"resolved": 194, "generic": 11, "section": 5, "unknown": 12}


# -- several industries ------------------------------------------------------------------------

def test_multi_industry_policies():
    a, b = industry.resolve("39"), industry.resolve("26")
    dom = industry.combine([(a, 0.7), (b, 0.3)], "dominant")
    assert dom.div2017 == ("39",)
    strict = industry.combine([(a, 0.7), (b, 0.3)], "strictest")
    # 2017-39 came from 2002-40, plus 3699 → 3964 服务消费机器人 (36) and 3955, 3959 → 3964, 3969 (39)
    assert strict.div2017 == ("26", "39") and strict.div2002 == ("26", "36", "39", "40")
    assert "tie" in industry.combine([(a, 0.5), (b, 0.5)], "dominant").error
    assert "share" in industry.combine([(a, None), (b, 0.5)], "dominant").error
    assert "unknown" in industry.combine([(a, 1)], "average").error
