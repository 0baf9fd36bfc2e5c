"""GB/T 4754 2002/2017 traps (DOMAIN §6) and the explicit multi-industry policy."""

import pytest

from standardland import industry


def test_40_is_instruments_in_2017_but_electronics_in_2002():
    ins = industry.resolve("40")  # 2017 by default
    assert ins.div2017 == ("40",) and ins.div2002 == ("41",)
    assert "仪器仪表" in ins.label
    ele = industry.resolve("40", edition="2002")
    assert ele.div2002 == ("40",) and ele.div2017 == ("39",)
    assert "电子设备" in ele.label


def test_rubber_and_plastics_merged_into_2017_29():
    merged = industry.resolve("29")
    assert merged.div2002 == ("29", "30")
    assert any("strictest" in n for n in merged.notes)
    assert industry.resolve("291").div2002 == ("29",)  # 橡胶制品业
    assert industry.resolve("2922").div2002 == ("30",)  # a plastics class
    assert industry.resolve("29", edition="2002").div2017 == ("29",)
    assert industry.resolve("30", edition="2002").div2017 == ("29",)


def test_2002_37_split_into_2017_36_and_37():
    assert industry.resolve("37", edition="2002").div2017 == ("36", "37")


def test_codes_31_to_36_shift_down_by_one():
    for c2002 in range(31, 37):
        assert industry.resolve(str(c2002), edition="2002").div2017 == (str(c2002 - 1),)


def test_2017_43_has_no_2002_counterpart():
    repair = industry.resolve("43")
    assert repair.error is None and repair.div2002 == ()
    assert any("no 2002 counterpart" in n for n in repair.notes)


@pytest.mark.parametrize("name, d2017, d2002", [
    ("橡胶和塑料制品业", ("29",), ("29", "30")),
    ("化学原料及化学制品制造业", ("26",), ("26",)),           # 2002 name
    ("化学原料和化学制品制造业", ("26",), ("26",)),           # 2017 name
    ("通讯设备、计算机及其他电子设备制造业", ("39",), ("40",)),  # 通讯 → 通信 variant
    ("造纸及纸质品业", ("22",), ("22",)),                     # 纸质品 → 纸制品 variant
    ("通用设备制造业", ("34",), ("35",)),                     # same name, codes connected by the crosswalk
    ("塑料制品业", ("29",), ("30",)),                         # a 2017 group name
])
def test_official_names_of_either_edition(name, d2017, d2002):
    ind = industry.resolve(name=name)
    assert ind.error is None, ind.error
    assert (ind.div2017, ind.div2002) == (d2017, d2002)


@pytest.mark.parametrize("kwargs, fragment", [
    ({"code": "99"}, "not a GB/T 4754-2017 code"),
    ({"code": "44", "edition": "2002"}, "not a GB/T 4754-2002 manufacturing division"),
    ({"code": "C3"}, "must be digits"),
    ({"code": "39", "edition": "2011"}, "2017 or 2002"),
    ({"name": "其它"}, "generic"),
    ({"name": "制造业"}, "generic"),
    ({"name": "建筑业"}, "门类"),
    ({"name": "汽车制造"}, "not an official"),
    ({}, "no industry given"),
])
def test_unknown_industry_is_an_error_not_a_default(kwargs, fragment):
    ind = industry.resolve(**kwargs)
    assert ind.error and fragment in ind.error
    assert ind.div2017 == () and ind.div2002 == ()


def test_multi_industry_policies():
    a, b = industry.resolve("39"), industry.resolve("26")
    dom = industry.combine([(a, 0.7), (b, 0.3)], "dominant")
    assert dom.div2017 == ("39",)
    strict = industry.combine([(a, 0.7), (b, 0.3)], "strictest")
    assert strict.div2017 == ("26", "39") and strict.div2002 == ("26", "40")
    assert "tie" in industry.combine([(a, 0.5), (b, 0.5)], "dominant").error
    assert "share" in industry.combine([(a, None), (b, 0.5)], "dominant").error
    assert "unknown" in industry.combine([(a, 1)], "average").error
