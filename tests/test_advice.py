"""Counterfactual advice, hand-computed on the sample park's parcel 1 (investment intensity ≥ 350
万元/亩, FAR 1.2–2.5 from its 出让公告; green ratio ≤ 15 % from the park): each target lands exactly
on the threshold and the project then passes; one step short still fails."""

import json
import subprocess
import sys

import pytest

from standardland import services
from standardland.rules.advice import _round
from helpers import copy_seed
from standardland.store import open_store

P1 = "370613004002GB10001"


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory, sqlite_seeds):
    """The sample park, as ``load_reference_data`` leaves it (a copy of the session's seed)."""
    s = open_store(copy_seed(sqlite_seeds[True], tmp_path_factory.mktemp("advice") / "s.db"))
    yield s
    s.close()


def project(**over):
    p = {"name": "advice", "industry_code": "39", "industry_code_edition": "2017", "nuisance_class": 1,
         "decision_date": "2024-03-01", "land_area_m2": {"value": 150, "unit": "亩"},
         "fixed_asset_investment_wan_yuan": {"value": 5.0, "unit": "亿元"}, "floor_area_m2": 150000,
         "building_footprint_m2": 50000, "office_living_land_m2": 6000, "green_area_m2": 10000,
         "annual_tax_wan_yuan": 4500, "annual_output_wan_yuan": 75000, "value_added_wan_yuan": 20000,
         "energy_tce": 5000, "emissions_t": 120, "rd_expense_wan_yuan": 2400, "revenue_wan_yuan": 80000}
    p.update(over)
    return p


def status(store, p, ind):
    v = services.check_project(store, p, P1)
    return v, {i["id"]: i["status"] for i in v["indicators"]}[ind]


def lever(v, field):
    return next(lv for lv in v["advice"]["levers"] if lv["field"] == field)


def test_a_pass_has_no_advice(sample_store):
    v = services.check_project(sample_store, project(fixed_asset_investment_wan_yuan=60000), P1)
    assert v["verdict"] == "pass" and v["advice"] is None


def test_raise_investment_in_the_typed_unit_lands_on_the_threshold(sample_store):
    v, st = status(sample_store, project(), "investment_intensity")
    assert st == "fail"  # 50,000 万元 ÷ 150 亩 = 333.33 < 350
    lv = lever(v, "fixed_asset_investment_wan_yuan")
    assert lv["action"] == "raise" and lv["unit"] == "亿元"  # the unit the user typed
    assert lv["to"] == pytest.approx(5.25) and lv["by"] == pytest.approx(0.25)  # 350 × 150 亩 = 52,500 万元
    assert lv["indicator_after"] == 350
    v2, st2 = status(sample_store, project(fixed_asset_investment_wan_yuan={"value": lv["to"], "unit": "亿元"}),
                     "investment_intensity")
    assert st2 == "pass" and v2["verdict"] == "pass"  # equal to the threshold passes
    _, st3 = status(sample_store, project(fixed_asset_investment_wan_yuan={"value": 5.2499, "unit": "亿元"}),
                    "investment_intensity")
    assert st3 == "fail"


def test_land_advice_uses_the_sizing_interval(sample_store):
    v, _ = status(sample_store, project(), "investment_intensity")
    land = v["advice"]["land"]
    assert land["action"] == "reduce" and land["unit"] == "亩" and land["binding"] == "investment_intensity"
    assert land["to"] == pytest.approx(50000 / 350)  # 142.857 亩
    assert "142.85 亩" in land["text"]  # rounded down: the printed area passes too
    v2, st = status(sample_store, project(land_area_m2={"value": land["to"], "unit": "亩"}), "investment_intensity")
    assert st == "pass" and v2["verdict"] == "pass"
    assert v["advice"]["within"] == pytest.approx(1 - (50000 / 350) / 150)  # 4.76 %: the land is cheaper


def test_hectare_input_intensity_round_trip(sample_store):
    """An intensity typed in 万元/公顷 is advised in 万元/公顷; land typed in 公顷 is advised in 公顷."""
    p = project(investment_intensity={"value": 4500, "unit": "万元/公顷"},  # = 300 万元/亩
                land_area_m2={"value": 10, "unit": "公顷"})
    v, st = status(sample_store, p, "investment_intensity")
    assert st == "fail"
    lv = lever(v, "investment_intensity")
    assert lv["unit"] == "万元/公顷" and lv["to"] == pytest.approx(350 * 15)  # 5,250 万元/公顷
    _, st2 = status(sample_store, project(investment_intensity={"value": lv["to"], "unit": "万元/公顷"},
                                          land_area_m2={"value": 10, "unit": "公顷"}), "investment_intensity")
    assert st2 == "pass"
    # a direct value does not move with the land: no land lever is offered for it
    assert v["advice"]["land"] is None


def test_land_advice_in_hectares_when_typed_so(sample_store):
    v, _ = status(sample_store, project(land_area_m2={"value": 10, "unit": "公顷"}), "investment_intensity")
    land = v["advice"]["land"]
    assert land["unit"] == "公顷" and land["to"] == pytest.approx(50000 / 350 / 15)  # 9.52 公顷
    assert land["area"]["mu"] == pytest.approx(50000 / 350) and land["passes"]


def test_reduce_green_area_and_add_floor_area_exactly(sample_store):
    p = project(fixed_asset_investment_wan_yuan=60000, green_area_m2=15001, floor_area_m2=119999)
    v, st = status(sample_store, p, "green_ratio")
    assert st == "fail"  # 15,001 ÷ 100,000 m² = 15.001 % > 15 %
    g, f = lever(v, "green_area_m2"), lever(v, "floor_area_m2")
    assert g["action"] == "reduce" and g["to"] == pytest.approx(15000) and g["by"] == pytest.approx(1)
    assert "1 m²" in g["text"]
    assert f["action"] == "raise" and f["to"] == pytest.approx(120000) and f["by"] == pytest.approx(1)
    v2 = services.check_project(sample_store, project(fixed_asset_investment_wan_yuan=60000,
                                                      green_area_m2=g["to"], floor_area_m2=f["to"]), P1)
    assert v2["verdict"] == "pass"


def test_outward_rounding():
    assert _round(142.857142857, up=False) == 142.85
    assert _round(52499.99999999999, up=True) == 52500.0  # an exact target does not round a step further
    assert _round(0.25, up=True) == 0.25 and _round(0.2501, up=True) == 0.26
    assert _round(15000.000000001, up=False) == 15000.0


def test_cli_check_prints_the_advice(sample_store, tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(project(), ensure_ascii=False), encoding="utf-8")
    p = subprocess.run([sys.executable, "-m", "standardland.cli", "check", str(path), "--parcel", P1,
                        "--db", sample_store.url], capture_output=True, text=True, timeout=120)
    assert p.returncode == 1, p.stderr
    assert "advice" in p.stdout and "0.25 亿元" in p.stdout and "142.85 亩" in p.stdout


def test_match_within_advice(sample_store):
    """Parcels 1 (≥ 350) and 4 (≥ 380) fail with 5 亿元 on their 150 亩: 5 % and 14 % short."""
    m = services.match_project(sample_store, project(land_area_m2=None), within_advice=0.10)
    codes = [r["parcel_code"] for r in m["results"]]
    assert P1 in codes and "370613004002GB10004" not in codes
    r1 = next(r for r in m["results"] if r["parcel_code"] == P1)
    assert r1["advice"]["within"] == pytest.approx(0.05, abs=1e-6)
    assert codes[-1] == P1  # the passing parcels (0 %) rank first
    m = services.match_project(sample_store, project(land_area_m2=None), within_advice=0.15)
    assert "370613004002GB10004" in [r["parcel_code"] for r in m["results"]]


def test_matches_within_advice_over_http_equals_the_cli(sample_store, tmp_path):
    """``POST /api/v1/matches`` with ``within_advice`` ("10%" or 0.1) gives what ``match --within-advice 10%``
    prints; a bad share is refused naming ``within_advice``."""
    import httpx

    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
    from server import running_server

    doc = project(land_area_m2=None)
    path = tmp_path / "p.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    p = subprocess.run([sys.executable, "-m", "standardland.cli", "match", str(path), "--within-advice", "10%",
                        "--json", "--db", sample_store.url], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    cli = json.loads(p.stdout)
    assert cli["within_advice"] == pytest.approx(0.1) and P1 in [r["parcel_code"] for r in cli["results"]]
    with running_server(sample_store.url) as base:
        for share in ("10%", 0.1, "0.1"):
            r = httpx.post(f"{base}/api/v1/matches", json={"project": doc, "within_advice": share, "limit": 10},
                           timeout=60)
            assert r.status_code == 200, r.text
            assert r.json() == cli, share
        for bad in ("ten", "-5%", -0.1, True):
            r = httpx.post(f"{base}/api/v1/matches", json={"project": doc, "within_advice": bad}, timeout=60)
            assert r.status_code in (400, 422), (bad, r.text)
            assert r.json()["errors"][0]["field"] == "within_advice", (bad, r.json())


def test_the_check_document_lists_the_advice_and_the_sizing(sample_store, tmp_path):
    """The printed check (HTML and the PDF from the same renderer) has the 整改建议 section: the lever
    (raise the investment by 0.25 亿元 to 350 万元/亩), the land's (≤ 142.85 亩), the smallest change
    (4.8 %: the land) and the interval [85,714.29, 95,238.10] m² = [128.571…, 142.857…] 亩, rounded inward."""
    html = services.check_document(sample_store, project(), P1, fmt="html").decode("utf-8")
    section = html[html.index("<h2>整改建议</h2>"):]
    assert "提高至少 0.25 亿元" in section and "投资强度 333.33 → 350" in section
    assert "用地不超过 142.85 亩" in section and "最小改动幅度 4.8%" in section  # the land: 7.14 of 150 亩
    assert "可用地面积 128.58 – 142.85 亩" in section
    en = services.check_document(sample_store, project(), P1, fmt="html", lang="en").decode("utf-8")
    assert "<h2>Advice</h2>" in en and "feasible land area 128.58 – 142.85 mu" in en
    pdf = tmp_path / "c.pdf"
    pdf.write_bytes(services.check_document(sample_store, project(), P1, fmt="pdf"))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "整改建议" in text and "0.25 亿元" in text and "128.58 – 142.85" in text
    # a pass has no advice section
    ok = services.check_document(sample_store, project(fixed_asset_investment_wan_yuan=60000), P1, fmt="html")
    assert "整改建议" not in ok.decode("utf-8")
