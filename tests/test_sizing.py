"""Land sizing (核定用地规模), hand-computed on the sample park's parcel 1 (parcel layer: investment
intensity ≥ 350 万元/亩, FAR 1.2–2.5, tax ≥ 25 万元/亩) and the park context."""

import json
import os

import httpx
import numpy as np
import pytest

from standardland import analysis
from standardland.errors import InputError, NotFoundError
from standardland.rules.catalogue import catalogue
from standardland.rules.sizing import land_indicators
from helpers import copy_seed
from standardland.store import open_store
from standardland.units import MU_M2

P1 = "370613004002GB10001"
PARK = "yantai-hitech-intl"


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory, sqlite_seeds):
    """The sample park, as ``load_reference_data`` leaves it (a copy of the session's seed)."""
    s = open_store(copy_seed(sqlite_seeds[True], tmp_path_factory.mktemp("sizing") / "s.db"))
    yield s
    s.close()


def project(**over):
    p = {"name": "sizing", "industry_code": "39", "industry_code_edition": "2017", "nuisance_class": 1,
         "decision_date": "2024-03-01", "fixed_asset_investment_wan_yuan": 60000, "floor_area_m2": 150000,
         "building_footprint_m2": 50000, "office_living_land_m2": 6000, "green_area_m2": 10000,
         "annual_tax_wan_yuan": 4500, "annual_output_wan_yuan": 75000}
    p.update(over)
    return p


def test_land_indicators_come_from_the_formulas():
    ids = {i.id for i in land_indicators(catalogue())}
    assert ids == {"investment_intensity", "far", "building_coefficient", "office_land_share", "green_ratio",
                   "tax_per_mu", "output_per_mu"}


def test_investment_binds_the_top_and_office_share_the_bottom(sample_store):
    r = analysis.size_project(sample_store, project(), parcel=P1)
    assert r["feasible"] and r["conflict"] is None
    # area ≤ 60,000 万元 ÷ 350 万元/亩 = 171.43 亩 (FAR 1.2: ≤ 125,000 m²; tax: ≤ 180 亩)
    assert r["max_area"]["mu"] == pytest.approx(60000 / 350, rel=1e-12)
    assert r["max_area"]["m2"] == pytest.approx(60000 / 350 * MU_M2, rel=1e-12)
    assert r["max_by"]["indicator"] == "investment_intensity"
    assert r["max_by"]["ruleset"] == "parcel" and r["max_by"]["threshold"] == 350
    # area ≥ 6,000 m² ÷ 7 % = 85,714.29 m² (green 10,000 ÷ 15 % = 66,667; FAR ≤ 2.5: ≥ 60,000)
    assert r["min_area"]["m2"] == pytest.approx(6000 / 0.07, rel=1e-12)
    assert r["min_by"]["indicator"] == "office_land_share"
    assert r["min_by"]["ruleset"] == "national-2023" and r["min_by"]["source"]
    assert r["min_area"]["ha"] == pytest.approx(6000 / 0.07 / 10_000)
    far = {b["bound"]: b["area"]["m2"] for b in r["bounds"] if b["indicator"] == "far"}
    assert far == {"max_area": pytest.approx(125_000), "min_area": pytest.approx(60_000)}
    assert r["area"] is not None and r["area_in_interval"]  # the parcel's 150 亩


def test_an_empty_interval_names_the_conflicting_pair(sample_store):
    r = analysis.size_project(sample_store, project(fixed_asset_investment_wan_yuan=43500, green_area_m2=20001),
                              parcel=P1)
    assert not r["feasible"]
    assert r["conflict"]["pair"] == ["investment_intensity", "green_ratio"]
    assert r["max_area"]["mu"] == pytest.approx(43500 / 350)  # 124.29 亩
    assert r["min_area"]["m2"] == pytest.approx(20001 / 0.15)  # 133,340 m² = 200.01 亩
    assert "no area satisfies both" in r["conflict"]["message"]
    assert r["area_in_interval"] is False


def test_the_ends_pass_exactly_and_a_step_beyond_fails(sample_store):
    """A project on exactly the max (or min) area passes that indicator; 1 m² beyond fails."""
    from standardland import services

    r = analysis.size_project(sample_store, project(), parcel=P1)
    for area, ok in ((r["max_area"]["m2"], True), (r["max_area"]["m2"] + 1, False),
                     (r["min_area"]["m2"], True), (r["min_area"]["m2"] - 1, False)):
        v = services.check_project(sample_store, project(land_area_m2=area), P1)
        st = {i["id"]: i["status"] for i in v["indicators"]}
        assert (st["investment_intensity"] == "pass" and st["office_land_share"] == "pass") is ok, area


def test_park_context_and_vectorized_rows(sample_store):
    r = analysis.size_project(sample_store, project(), park=PARK, region_class=7)
    assert r["context"]["park"] == PARK and r["feasible"]
    # without the parcel's own 350, the park's building coefficient ≥ 40 % binds: 50,000 ÷ 40 % = 125,000 m²
    assert r["max_by"]["indicator"] == "building_coefficient" and r["max_by"]["layer"] == "park"
    assert r["max_area"]["m2"] == pytest.approx(125_000)
    # the same function on many rows gives each row's own interval
    from standardland import services
    from standardland.rules.checks import project_columns
    from standardland.rules.engine import evaluate
    from standardland.rules.project import parse_project
    from standardland.rules.sizing import size

    cols = dict(services.parcel_for_check(sample_store, P1)[1])
    n = 3
    cols = {k: np.repeat(v, n) for k, v in cols.items()}
    cols.update(project_columns(parse_project(project()), n))
    cols["fixed_asset_investment_wan_yuan"] = np.array([60000.0, 35000.0, np.nan])
    s = size(evaluate(cols, services.rulesets(sample_store)), cols)
    assert s.max_m2[0] == pytest.approx(60000 / 350 * MU_M2)
    assert s.max_m2[1] == pytest.approx(35000 / 350 * MU_M2)
    assert s.max_m2[2] == pytest.approx(120_000)  # no investment: tax (4,500 ÷ 25 = 180 亩) binds
    assert s.unsized([i.id for i in s.indicators].index("investment_intensity"))[2]


def test_bad_context_is_a_clear_error(sample_store):
    with pytest.raises(NotFoundError, match="park 'nope'"):
        analysis.size_project(sample_store, project(), park="nope")
    with pytest.raises(InputError) as e:
        analysis.size_project(sample_store, project(), parcel=P1, park=PARK)
    assert e.value.field == "parcel"


def test_cli_size(sample_store, tmp_path):
    import subprocess
    import sys

    path = tmp_path / "p.json"
    path.write_text(json.dumps(project(), ensure_ascii=False), encoding="utf-8")
    p = subprocess.run([sys.executable, "-m", "standardland.cli", "size", str(path), "--parcel", P1, "--json",
                        "--db", sample_store.url], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["max_by"]["indicator"] == "investment_intensity"
    p = subprocess.run([sys.executable, "-m", "standardland.cli", "size", str(path), "--park", "nope",
                        "--db", sample_store.url], capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and "park 'nope'" in p.stderr
    # the human table: Chinese by default (the binding indicator by name), English with --lang en
    env = {**os.environ, "COLUMNS": "100"}
    zh = subprocess.run([sys.executable, "-m", "standardland.cli", "size", str(path), "--parcel", P1,
                         "--db", sample_store.url], capture_output=True, text=True, timeout=120, env=env)
    assert zh.returncode == 0, zh.stderr
    assert "有可行用地规模" in zh.stdout and "约束指标" in zh.stdout and "上限" in zh.stdout
    assert "feasible" not in zh.stdout and "binding" not in zh.stdout
    en = subprocess.run([sys.executable, "-m", "standardland.cli", "size", str(path), "--parcel", P1, "--lang", "en",
                         "--db", sample_store.url], capture_output=True, text=True, timeout=120, env=env)
    assert en.returncode == 0, en.stderr
    assert "feasible" in en.stdout and "binding" in en.stdout and "max" in en.stdout


def test_api_sizing(api):
    base, _, _ = api
    r = httpx.post(f"{base}/api/v1/sizings", json={"project": project(), "parcel_code": P1}, timeout=30)
    assert r.status_code == 200, r.text
    assert r.json()["max_area"]["mu"] == pytest.approx(60000 / 350)
    r = httpx.post(f"{base}/api/v1/sizings", json={"project": project(floor_area_m2=-1), "park": PARK}, timeout=30)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "project.floor_area_m2"
    r = httpx.post(f"{base}/api/v1/sizings", json={"project": project()}, timeout=30)
    assert r.status_code == 422
