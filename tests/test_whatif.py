"""Policy what-if, hand-counted: a park set with FAR ≥ 0.7 tightened to ≥ 0.8 over six applications
on 10,000 m² parcels with FAR 0.65, 0.7, 0.75, 0.7999, 0.8 and 0.9: exactly the three in
[0.7, 0.8) flip pass → fail (0.8 itself still passes), the 0.65 stays failing, and every parcel's
published FAR floor moves 0.7 → 0.8. Both store backends; the local engine and Dask agree."""

import json
import os
import subprocess
import sys

import httpx
import pyogrio
import pytest

from helpers import square_parcels
from standardland import whatif
from standardland.errors import InputError, NotFoundError
from standardland.workflow import applications

FARS = [0.65, 0.7, 0.75, 0.7999, 0.8, 0.9]


def park_set(far_min: float, *, rid: str, effective_from: str = "2020-01-01") -> dict:
    return {"id": rid, "series": "test-park", "layer": "park", "version": rid, "effective_from": effective_from,
            "effective_to": None, "scope": {"park": "tp"}, "source": "test set",
            "rules": [{"indicator": "far", "min": far_min, "source": "test set"}]}


@pytest.fixture
def far_store(store, tmp_path):
    from standardland import services

    gdf = square_parcels(len(FARS), park=["tp"] * len(FARS), region_class=[7] * len(FARS))
    path = tmp_path / "p.gpkg"
    pyogrio.write_dataframe(gdf, path)
    services.import_file(store, path)
    store.put_ruleset(park_set(0.7, rid="test-park-2020"))
    ident = {"name": "t", "role": "admin"}
    for code, far in zip(gdf["code"], FARS, strict=True):
        applications.create(store, ident, code, {
            "name": f"FAR {far}", "industry_code": "39", "industry_code_edition": "2002", "nuisance_class": 1,
            "decision_date": "2024-03-01", "land_area_m2": 10_000, "floor_area_m2": far * 10_000})
    return store


def _far_flips(report):
    return sorted(e["id"] for e in report["changed"] if e["kind"] == "application"
                  and any(i["id"] == "far" and (i["before"], i["after"]) == ("pass", "fail") for i in e["indicators"]))


def test_tightening_far_flips_exactly_the_hand_counted_projects(far_store, store_url, tmp_path):
    draft = park_set(0.8, rid="test-park-draft", effective_from="2099-01-01")
    r = whatif.whatif(far_store, draft)
    apps = [e for e in r["changed"] if e["kind"] == "application"]
    assert _far_flips(r) == [2, 3, 4] and len(apps) == 3
    e = next(e for e in apps if e["id"] == 2)
    far = next(i for i in e["indicators"] if i["id"] == "far")
    assert far["required_before"] == 0.7 and far["required_after"] == 0.8
    assert far["margin"] == pytest.approx(0.7 - 0.8)
    s = r["summary"]["applications"]
    assert s["rows"] == 6 and s["changed"] == 3 and s["by_indicator"] == {"far": 3}
    assert sum(s["by_park"]["tp"].values()) == 3
    parcels = [e for e in r["changed"] if e["kind"] == "parcel"]
    assert len(parcels) == 6 and all(t["before"] == 0.7 and t["after"] == 0.8
                                     for e in parcels for t in e["thresholds"])
    # the store is unchanged: the draft was not written
    assert "test-park-draft" not in {d["id"] for d in far_store.rulesets()}
    # the report as a spreadsheet (through tables)
    out = tmp_path / "w.xlsx"
    from standardland import tables

    tables.write_table(whatif.report_frame(r), out)
    import pandas as pd

    assert len(pd.read_excel(out)) == 3 + 6
    if store_url.startswith("sqlite"):  # Dask (a LocalCluster) gives identical results
        d = whatif.whatif(far_store, draft, engine="dask")
        assert d["changed"] == r["changed"] and d["summary"] == r["summary"]


def test_a_stored_draft_and_the_errors(far_store, tmp_path):
    far_store.put_ruleset(park_set(0.8, rid="test-park-2099", effective_from="2099-01-01"))
    assert _far_flips(whatif.whatif(far_store, "test-park-2099")) == [2, 3, 4]
    with pytest.raises(InputError, match="already in force"):
        whatif.whatif(far_store, "test-park-2020")
    with pytest.raises(NotFoundError):
        whatif.whatif(far_store, "no-such-set")
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(InputError) as e:
        whatif.whatif(far_store, str(bad))
    assert e.value.field == "ruleset"


def test_cli_whatif(far_store, store_url, tmp_path):
    path = tmp_path / "draft.json"
    path.write_text(json.dumps(park_set(0.8, rid="cli-draft", effective_from="2099-01-01")), encoding="utf-8")
    p = subprocess.run([sys.executable, "-m", "standardland.cli", "whatif", "--ruleset", str(path), "--json",
                        "--db", store_url], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert _far_flips(json.loads(p.stdout)) == [2, 3, 4]
    p = subprocess.run([sys.executable, "-m", "standardland.cli", "whatif", "--ruleset", "nope", "--db", store_url],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and "ruleset" in p.stderr
    # the human output speaks the CLI's language: Chinese by default, English with STANDARDLAND_LANG=en
    path.write_text(json.dumps(park_set(0.8, rid="cli-draft-2", effective_from="2099-01-01")), encoding="utf-8")
    zh = subprocess.run([sys.executable, "-m", "standardland.cli", "whatif", "--ruleset", str(path), "--db", store_url],
                        capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "100"})
    assert zh.returncode == 0, zh.stderr
    assert "政策模拟 #" in zh.stdout and "变化情况" in zh.stdout and "通过→不通过" in zh.stdout
    assert "what-if" not in zh.stdout and "population" not in zh.stdout
    en = subprocess.run([sys.executable, "-m", "standardland.cli", "whatif", "--ruleset", str(path), "--db", store_url],
                        capture_output=True, text=True, timeout=120,
                        env={**os.environ, "COLUMNS": "100", "STANDARDLAND_LANG": "en"})
    assert en.returncode == 0, en.stderr
    assert "what-if #" in en.stdout and "transitions" in en.stdout and "stored as what-if" in en.stdout


def test_api_whatif_is_for_planners(api):
    base, _, tokens = api
    body = {"ruleset": {**park_set(0.8, rid="api-draft", effective_from="2099-01-01"),
                        "scope": {"park": "yantai-hitech-intl"}, "series": "yantai-hitech-intl"}}
    assert httpx.post(f"{base}/api/v1/whatifs", json=body, timeout=60).status_code == 401
    r = httpx.post(f"{base}/api/v1/whatifs", json=body, timeout=60,
                   headers={"Authorization": f"Bearer {tokens['viewer']}"})
    assert r.status_code == 403
    r = httpx.post(f"{base}/api/v1/whatifs", json=body, timeout=60,
                   headers={"Authorization": f"Bearer {tokens['planner']}"})
    assert r.status_code == 201, r.text
    # the sample park's published FAR floors (1.0 from its set, where the parcel has none) drop to 0.8
    assert r.json()["summary"]["parcels"]["changed"] > 0
    # stored under an id: the same report comes back, for planners only
    loc = r.headers["Location"]
    assert loc == f"/api/v1/whatifs/{r.json()['id']}"
    back = httpx.get(base + loc, timeout=60, headers={"Authorization": f"Bearer {tokens['planner']}"})
    assert back.status_code == 200 and back.json()["changed"] == r.json()["changed"]
    assert httpx.get(base + loc, timeout=60, headers={"Authorization": f"Bearer {tokens['viewer']}"}).status_code == 403
    missing = httpx.get(f"{base}/api/v1/whatifs/999999", timeout=60,
                        headers={"Authorization": f"Bearer {tokens['planner']}"})
    assert missing.status_code == 404 and missing.json()["errors"][0]["field"] == "whatif"
    r = httpx.post(f"{base}/api/v1/whatifs", json={}, timeout=60,
                   headers={"Authorization": f"Bearer {tokens['planner']}"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "ruleset"


def test_inspections_are_judged_with_their_commitments(park_store):
    """An accepted project (60,000 万元 on 150 亩 = 400 万元/亩, committed 400): a draft park floor of 410
    flips its acceptance inspection pass → fail by exactly −10 万元/亩, and its application too."""
    from test_workflow import advance

    app_id = advance(park_store, "acceptance_passed")
    draft = {"id": "yantai-hitech-intl-2099", "series": "yantai-hitech-intl", "layer": "park",
             "effective_from": "2099-01-01", "scope": {"park": "yantai-hitech-intl"},
             "rules": [{"indicator": "investment_intensity", "min": 410}]}
    r = whatif.whatif(park_store, draft)
    ins = [e for e in r["changed"] if e["kind"] == "inspection"]
    assert len(ins) == 1 and ins[0]["application_id"] == app_id and ins[0]["inspection"] == "acceptance"
    inv = next(i for i in ins[0]["indicators"] if i["id"] == "investment_intensity")
    assert (inv["before"], inv["after"]) == ("pass", "fail")
    assert inv["required_before"] == pytest.approx(400)  # the commitment governed before
    assert inv["margin"] == pytest.approx(-10)
    assert r["summary"]["inspections"]["rows"] == 1 and r["summary"]["inspections"]["changed"] == 1
    assert [e["id"] for e in r["changed"] if e["kind"] == "application"] == [app_id]


TAX = [10, 20, 30, 40, 50, 60]


@pytest.fixture
def mu_store(store, tmp_path):
    """Six in-production parcels of park tp: tax 10…60 万元/亩 (median 35), output 100 each."""
    from standardland import services

    gdf = square_parcels(6, park=["tp"] * 6, region_class=[7] * 6, status=["in_production"] * 6,
                         tax_per_mu=[float(t) for t in TAX], output_per_mu=[100.0] * 6)
    path = tmp_path / "mu.gpkg"
    pyogrio.write_dataframe(gdf, path)
    services.import_file(store, path)
    store.put_ruleset(park_set(0.7, rid="test-park-2020"))
    return store, list(gdf["code"])


def test_mu_class_changes_are_hand_counted(mu_store):
    """Default weights (tax 0.6, output 0.4): scores 60·tax/35 + 40 = 57.1, 74.3, 91.4, 108.6, 125.7,
    142.9 → D C B B A A. A draft weighing tax alone: 100·tax/35 = 28.6, 57.1, 85.7, 114.3, 142.9, 171.4
    → D D C B A A. Exactly parcel 2 (C→D) and parcel 3 (B→C) move; nothing else changes."""
    store, codes = mu_store
    draft = {**park_set(0.7, rid="test-park-mu", effective_from="2099-01-01"),
             "mu_evaluation": {"weights": {"tax_per_mu": 1.0}}}
    r = whatif.whatif(store, draft)
    mu = r["summary"]["mu_classes"]
    assert mu["rows"] == 6 and mu["changed"] == 2
    assert mu["by_transition"] == {"C→D": 1, "B→C": 1} and mu["by_park"] == {"tp": 2}
    assert mu["before"] == {"A": 2, "B": 2, "C": 1, "D": 1} and mu["after"] == {"A": 2, "B": 1, "C": 1, "D": 2}
    moved = {e["parcel_code"]: e["mu_class"] for e in r["changed"] if e.get("mu_class")}
    assert set(moved) == {codes[1], codes[2]}
    assert (moved[codes[1]]["before"], moved[codes[1]]["after"]) == ("C", "D")
    assert moved[codes[1]]["score_before"] == pytest.approx(74.29) and moved[codes[1]]["score_after"] == pytest.approx(57.14)
    assert (moved[codes[2]]["before"], moved[codes[2]]["after"]) == ("B", "C")
    assert r["summary"]["parcels"]["changed"] == 0  # the FAR floor did not move
    # the map's view: both parcels amber (a class moved), with the class line
    ch = whatif.map_changes(r)
    assert set(ch) == {codes[1], codes[2]} and {c["change"] for c in ch.values()} == {"threshold"}
    assert ch[codes[1]]["lines"] == [{"what": "mu_class", "indicator": None, "before": "C", "after": "D"}]
    # without an evaluation of its own the draft moves no class
    plain = whatif.whatif(store, park_set(0.7, rid="test-park-plain", effective_from="2099-01-01"))
    assert plain["summary"]["mu_classes"]["changed"] == 0
    with pytest.raises(InputError) as e:
        whatif.whatif(store, {**draft, "mu_evaluation": {"weights": {"tax": 1}}})
    assert e.value.field == "ruleset.mu_evaluation.weights"


def test_reports_are_stored_with_an_id_and_colour_the_map(far_store):
    """A run is stored: the same report comes back by id; applications pass→fail are red on the map."""
    r = whatif.run(far_store, park_set(0.8, rid="test-park-draft", effective_from="2099-01-01"), created_by="t")
    back = whatif.stored(far_store, r["id"])
    assert back["changed"] == json.loads(json.dumps(r["changed"])) and back["summary"] == r["summary"]
    ch = whatif.map_changes(back)
    flips = {e["parcel_code"] for e in r["changed"] if e["kind"] == "application"}
    assert {c for c, v in ch.items() if v["change"] == "to_fail"} == flips and len(flips) == 3
    assert sum(v["change"] == "threshold" for v in ch.values()) == 3  # the other three: only the floor moved
    with pytest.raises(NotFoundError):
        whatif.stored(far_store, r["id"] + 1)
