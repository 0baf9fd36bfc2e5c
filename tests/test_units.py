import math

import pytest
from hypothesis import given, strategies as st

from standardland import units
from standardland.errors import UnitError


def test_mu_is_exactly_two_thousand_thirds_m2():
    assert units.MU_M2 == 2000 / 3
    assert units.convert(1, "公顷", "亩") == pytest.approx(15, abs=1e-12)
    assert units.convert(1, "km²", "亩") == pytest.approx(1500, abs=1e-9)


def test_real_announcement_area_displays_as_102_76_mu():
    assert units.display(units.m2_to_mu(68_507.52)) == "102.76"


def test_intensity_conversions():
    assert units.convert(240, "万元/亩", "万元/公顷") == pytest.approx(3600)
    assert units.quantity({"value": 3600, "unit": "万元/公顷"}, "万元/亩", field="x") == pytest.approx(240)
    assert units.quantity({"value": 480, "unit": "元/m²"}, "万元/亩", field="x") == pytest.approx(32)
    assert units.yuan_per_m2_to_wan_per_mu(480) == pytest.approx(32)
    assert units.wan_per_mu_to_wan_per_ha(240) == 3600
    assert units.wan_per_ha_to_wan_per_mu(3600) == 240
    assert units.quantity({"value": 1.5, "unit": "亿元"}, "万元", field="x") == pytest.approx(15_000)
    assert units.quantity({"value": 0.3, "unit": "ratio"}, "%", field="x") == pytest.approx(30)


def test_plain_number_is_canonical_and_none_is_missing():
    assert units.quantity(12.5, "万元/亩", field="x") == 12.5
    assert units.quantity(None, "万元/亩", field="x") is None
    assert units.quantity(float("nan"), "万元/亩", field="x") is None


@pytest.mark.parametrize("raw, msg", [
    ({"value": 1, "unit": "furlong"}, "unknown unit"),
    ({"value": 1, "unit": "万元"}, "is money, but this field is money/area"),
    ({"value": 1}, "exactly the keys"),
    ("12", "expected a number"),
    (True, "expected a number"),
    (float("inf"), "infinite"),
])
def test_bad_quantities_name_the_field(raw, msg):
    with pytest.raises(UnitError) as e:
        units.quantity(raw, "万元/亩", field="investment_intensity")
    assert e.value.field == "investment_intensity"
    assert msg in str(e.value)


def test_display_rounds_only_for_people():
    assert units.display(7.004999) == "7.00"
    assert units.display(None) == "—"


finite = st.floats(min_value=1e-6, max_value=1e12, allow_nan=False, allow_infinity=False)


@given(finite, st.sampled_from(["m²", "亩", "公顷", "km²"]), st.sampled_from(["m²", "亩", "公顷", "km²"]))
def test_area_round_trip(v, a, b):
    assert math.isclose(units.convert(units.convert(v, a, b), b, a), v, rel_tol=1e-12)


@given(finite, st.sampled_from(["万元/亩", "万元/公顷", "元/m²", "亿元/km²", "元/亩"]))
def test_intensity_round_trip(v, u):
    assert math.isclose(units.convert(units.convert(v, u, "万元/亩"), "万元/亩", u), v, rel_tol=1e-12)


@given(finite)
def test_mu_m2_round_trip(v):
    assert math.isclose(units.mu_to_m2(units.m2_to_mu(v)), v, rel_tol=1e-12)
