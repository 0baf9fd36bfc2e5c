"""Industry chains (issue 13 §1–2): membership, gap analysis, chain-aware matching, CLI, HTTP and the map layer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import httpx
import pytest
import shapely

from standardland import chains as ch
from standardland import crs as crsmod
from standardland.errors import InputError
from standardland.industry import resolve
from standardland.rules import matching
from standardland.rules.rulesets import shipped_rulesets
from standardland.sample import sample_parcels

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
EXAMPLE = json.loads((ROOT / "api/examples/project.json").read_text("utf-8"))

CHAIN = {"code": "bio", "name": "生物医药", "leader": {"name": "链主甲", "segment": "mid"},
         "segments": [{"id": "up", "name": "原料药", "stage": "upstream", "industry_codes": ["271", "2730"]},
                      {"id": "mid", "name": "制剂", "stage": "midstream", "industry_codes": ["272", "274", "276"]},
                      {"id": "down", "name": "医疗器械", "stage": "downstream", "industry_codes": ["358"]},
                      {"id": "pack", "name": "包装", "industry_codes": ["2926"]}]}


def cli(*args, check=True):
    p = subprocess.run([sys.executable, "-m", "standardland.cli", *args], capture_output=True, text=True, timeout=300)
    if check and p.returncode != 0:
        raise AssertionError(f"exit {p.returncode}\nstdout: {p.stdout[-2000:]}\nstderr: {p.stderr[-2000:]}")
    return p


# -- membership and gaps ---------------------------------------------------------------------------------

def test_membership_policy_same_edition_within_cross_edition_overlap():
    c = ch.parse_chain(CHAIN)
    seg = c.segment("mid")
    assert seg.covers(resolve("2720")) and seg.covers(resolve("276"))
    assert not seg.covers(resolve("27"))            # a division is wider than the segment's groups
    assert not seg.covers(resolve("2710"))          # another group of the same division
    assert seg.covers(resolve("2720", edition="2002"))  # through the official class correspondences
    assert c.segment_of(resolve(name="医疗诊断、监护及治疗设备制造")).id == "down"  # by official name
    got = ch.classify([c], [resolve("2710"), resolve("39"), resolve("2761"), resolve("2710")])
    assert got.values.tolist() == [[0, "bio", "up"], [2, "bio", "mid"], [3, "bio", "up"]]


def test_gap_analysis_lists_exactly_the_empty_segments():
    doc = {**CHAIN, "members": [{"name": "乙", "industry_code": "2710"}]}
    c = ch.parse_chain(doc)
    # an application with its agreement signed in 包装 (2926) fills that segment; a submitted or a
    # rejected one in 358 does not (their enterprise is not in the park)
    apps = [{"id": 1, "state": "agreement_signed", "applicant": "丙", "parcel_code": "P1",
             "project": {"industry_code": "2926"}},
            {"id": 2, "state": "rejected", "applicant": "丁", "parcel_code": "P2",
             "project": {"industry_code": "3581"}},
            {"id": 3, "state": "submitted", "applicant": "戊", "parcel_code": "P3",
             "project": {"industry_code": "3581"}}]
    assert [m.name for m in ch.application_members([c], apps, reveal=False)] == ["#1"]
    members = ch.members_of(c, ch.application_members([c], apps))
    assert sorted((m.name, m.segment, m.source) for m in members) == [
        ("丙", "pack", "application"), ("乙", "up", "listed"), ("链主甲", "mid", "leader")]
    gaps = ch.gaps(c, members)
    assert [g["segment"] for g in gaps] == ["down"]
    assert gaps[0]["recruit"] == [{"code": "358", "edition": "2017", "label": "358 医疗仪器设备及器械制造"}]
    # without the application, 包装 is a gap again; with only the leader, every other segment is
    assert [g["segment"] for g in ch.gaps(c, ch.members_of(c))] == ["down", "pack"]
    alone = ch.parse_chain(CHAIN)
    assert [g["segment"] for g in ch.gaps(alone, ch.members_of(alone))] == ["up", "down", "pack"]


def test_sample_chains_gaps(park_store):
    recs = {r["code"]: r for r in ch.summaries(park_store)}
    assert {r["leader"]["name"] for r in recs.values()} == {"绿叶制药", "艾多美", "长城电脑"}
    assert all(r["illustrative"] for r in recs.values())
    assert [g["segment"] for g in recs["biomedicine"]["gaps"]] == ["downstream"]
    assert [g["segment"] for g in recs["health"]["gaps"]] == ["upstream", "downstream"]
    assert recs["smart-manufacturing"]["gaps"] == []


@pytest.mark.parametrize("doc, field", [
    ({**CHAIN, "segments": [{**CHAIN["segments"][0], "industry_codes": ["99x"]}]}, "segments[0].industry_codes[0]"),
    ({**CHAIN, "segments": [{**CHAIN["segments"][0], "industry_codes": ["C"]}]}, "segments[0].industry_codes[0]"),
    ({**CHAIN, "leader": {"name": "甲", "segment": "nope"}}, "leader.segment"),
    ({**CHAIN, "members": [{"name": "乙", "industry_code": "3911"}]}, "members[0].segment"),
    ({**CHAIN, "code": "a b"}, "code"),
    ({**CHAIN, "proximity": {"weight": 3}}, "proximity.weight"),
    ({**CHAIN, "segments": [CHAIN["segments"][0], CHAIN["segments"][0]]}, "segments"),
    ({**CHAIN, "colour": "red"}, "chain"),
])
def test_bad_chains_name_the_field(doc, field):
    with pytest.raises(InputError) as e:
        ch.parse_chain(doc)
    assert e.value.field == field


# -- distances and chain-aware matching -------------------------------------------------------------------

def test_distances_are_metres_in_the_gk_zone():
    # two boxes 1,200 m apart along the easting of zone 40 (EPSG:4549), near Yantai
    a, b = crsmod.transform([shapely.box(540_000, 4_140_000, 540_100, 4_140_100),
                             shapely.box(540_100 + 1200, 4_140_000, 540_200 + 1200, 4_140_100)], 4549, 4490)
    d, j, _ = ch.distances_m([a], [b])
    assert d[0] == pytest.approx(1200.0, abs=0.05) and j.tolist() == [0]
    assert shapely.distance(a, b) < 0.02  # the same gap in degrees is a tiny number: never used
    # a parcel east of 121.5°E is measured in its own zone 41
    c = shapely.box(121.60, 37.40, 121.601, 37.401)
    e = shapely.box(121.61, 37.40, 121.611, 37.401)
    want = gpd.GeoSeries([c], crs=4490).to_crs(4550).distance(gpd.GeoSeries([e], crs=4490).to_crs(4550)).iloc[0]
    assert ch.distances_m([c], [e])[0][0] == pytest.approx(want, abs=0.01)


def _ranked(out):
    return [(r["parcel_code"], r["verdict"]) for r in out["results"]]


def test_chain_proximity_reorders_only_parcels_that_pass_and_names_the_distance():
    parcels = sample_parcels()
    index = matching.build_index(parcels, None, shipped_rulesets())
    project = {**EXAMPLE, "industry_code": "2720", "fixed_asset_investment_wan_yuan": 150 * 330}
    plain = matching.match(project, index, top=10, lang="en")
    ranked = _ranked(plain)
    passing = [c for c, v in ranked if v == "pass"]
    failing = [c for c, v in ranked if v == "fail"]
    assert len(passing) >= 2 and failing, ranked
    last_pass, first_fail = passing[-1], failing[0]
    # the leader sits on the best failing parcel, a member on the last passing one
    doc = {**CHAIN, "leader": {"name": "链主甲", "segment": "mid", "parcel_code": first_fail},
           "members": [{"name": "乙", "segment": "up", "parcel_code": last_pass}],
           "proximity": {"weight": 1.0, "scale_m": 200}}
    c = ch.parse_chain(doc)
    ctx = ch.context([c], {"bio": ch.members_of(c)}, parcels)
    near = matching.match(project, index, top=10, lang="en", chains=ctx)
    got = _ranked(near)
    assert near["verdicts"] == plain["verdicts"]                 # verdicts untouched
    assert [v for _, v in got] == [v for _, v in ranked]         # pass before fail, as before
    assert got[0] == (last_pass, "pass") and ranked[0][0] != last_pass  # reordered among the passing
    assert {x for x, v in got if v == "fail"} == set(failing) and got[len(passing)][0] == first_fail
    assert near["chain"]["code"] == "bio" and near["chain"]["segment"] == "mid"
    # the explanation names the distance to the leader's parcel, in metres measured in GK zone 40
    best = near["results"][0]
    g = parcels.set_index("code").geometry
    want = gpd.GeoSeries([g[last_pass]], crs=4490).to_crs(4549).distance(
        gpd.GeoSeries([g[first_fail]], crs=4490).to_crs(4549)).iloc[0]
    assert want > 100
    assert best["chain"]["leader_distance_m"] == pytest.approx(want, abs=0.5)
    assert best["chain"]["distance_m"] == 0.0 and best["chain"]["nearest"] == "乙"
    assert f"{ch.distance_text(want)} from the leader's parcel (链主甲" in best["notes"][0]["message"]
    assert best["chain"]["bonus"] == pytest.approx(1.0)
    zh = matching.match(project, index, top=1, lang="zh", chains=ctx)["results"][0]["notes"][0]["message"]
    assert f"链主链主甲的地块 {ch.distance_text(want)}" in zh
    # weight 0 (configurable) gives the plain ranking; a project outside the chain gets no term
    assert _ranked(matching.match(project, index, top=10, chains=ctx, chain_weight=0.0)) == ranked
    other = matching.match({**project, "industry_code": "39"}, index, top=10, chains=ctx)
    assert _ranked(other) == _ranked(matching.match({**project, "industry_code": "39"}, index, top=10))
    assert "chain" not in other and all("notes" not in r for r in other["results"])


def test_match_project_uses_the_stored_chains(park_store):
    from standardland import services

    m = services.match_project(park_store, {**EXAMPLE, "industry_code": "2761"}, top=3, lang="zh")
    assert m["chain"]["code"] == "biomedicine" and m["chain"]["leader"] == "绿叶制药"
    assert all("距产业链「生物医药产业链（示例）」链主绿叶制药的地块" in r["notes"][0]["message"] for r in m["results"])


# -- CLI and HTTP ----------------------------------------------------------------------------------------

def test_chains_over_the_cli(tmp_path):
    db = f"sqlite:///{tmp_path / 'c.db'}"
    cli("init", "--sample", "--db", db)
    listed = json.loads(cli("chains", "list", "--json", "--db", db).stdout)
    assert [r["code"] for r in listed] == ["biomedicine", "health", "smart-manufacturing"]
    bad = cli("chains", "add", "x", "--name", "X", "--leader", "甲", "--leader-segment", "up",
              "--segment", "up=上游=99x", "--db", db, check=False)
    assert bad.returncode == 2 and "segments[0].industry_codes[0]" in bad.stderr
    bad = cli("chains", "add", "x", "--name", "X", "--leader", "甲", "--leader-segment", "up",
              "--leader-parcel", "NOPE", "--segment", "up=上游=271", "--db", db, check=False)
    assert bad.returncode == 2 and "leader.parcel_code" in bad.stderr
    assert len(json.loads(cli("chains", "list", "--json", "--db", db).stdout)) == 3  # store unchanged
    cli("chains", "add", "x", "--name", "测试链", "--leader", "甲", "--leader-segment", "upstream",
        "--leader-parcel", "370613004001GB20001", "--segment", "upstream=上游=271",
        "--segment", "downstream=下游=358", "--db", db)
    shown = json.loads(cli("chains", "show", "x", "--json", "--db", db).stdout)
    assert [g["segment"] for g in shown["gaps"]] == ["downstream"]
    text = cli("--lang", "en", "chains", "show", "x", "--db", db).stdout
    assert "Gaps to fill" in text and "358" in text
    f = tmp_path / "chains.json"
    f.write_text(json.dumps({"chains": [CHAIN, {**CHAIN, "code": "bio"}]}, ensure_ascii=False), "utf-8")
    bad = cli("chains", "import", str(f), "--db", db, check=False)
    assert bad.returncode == 2 and "chain code 'bio' is used twice" in bad.stderr
    f.write_text(json.dumps([CHAIN], ensure_ascii=False), "utf-8")
    cli("chains", "import", str(f), "--db", db)
    assert len(json.loads(cli("chains", "list", "--json", "--db", db).stdout)) == 5
    cli("chains", "delete", "x", "--db", db)
    assert cli("chains", "show", "x", "--db", db, check=False).returncode == 2


def test_chains_over_http(api):
    base, _, tokens = api

    def h(role):
        return {"Authorization": f"Bearer {tokens[role]}"}

    listed = httpx.get(f"{base}/api/v1/chains").json()
    assert [c["code"] for c in listed] == ["biomedicine", "health", "smart-manufacturing"]
    one = httpx.get(f"{base}/api/v1/chains/health").json()
    assert [g["segment"] for g in one["gaps"]] == ["upstream", "downstream"]
    assert one["gaps"][0]["recruit"][0]["code"] == "1491"
    body = {**CHAIN, "leader": {"name": "链主甲", "segment": "mid", "parcel_code": "370613004001GB20002"}}
    assert httpx.post(f"{base}/api/v1/chains", json=body).status_code == 401
    assert httpx.post(f"{base}/api/v1/chains", json=body, headers=h("viewer")).status_code == 403
    assert httpx.post(f"{base}/api/v1/chains", json=body, headers=h("applicant")).status_code == 403
    bad = {**body, "segments": [{**CHAIN["segments"][0], "industry_codes": ["99x"]}]}
    r = httpx.post(f"{base}/api/v1/chains", json=bad, headers=h("planner"))
    assert r.status_code == 422 and "segments[0].industry_codes[0]" in r.text, r.text
    r = httpx.post(f"{base}/api/v1/chains", json={**body, "leader": {"name": "甲", "segment": "mid",
                                                                     "parcel_code": "NOPE"}}, headers=h("planner"))
    assert r.status_code == 404 and "leader.parcel_code" in r.text
    r = httpx.post(f"{base}/api/v1/chains", json={k: v for k, v in body.items() if k != "name"}, headers=h("planner"))
    assert r.status_code == 422 and "name" in r.text
    r = httpx.post(f"{base}/api/v1/chains", json={**body, "proximity": {"weight": 2}}, headers=h("planner"))
    assert r.status_code == 422 and "proximity.weight" in r.text
    assert len(httpx.get(f"{base}/api/v1/chains").json()) == 3  # every refusal left the store unchanged
    r = httpx.post(f"{base}/api/v1/chains", json=body, headers=h("planner"))
    assert r.status_code == 201, r.text
    assert r.headers["location"].endswith("/api/v1/chains/bio")
    assert [g["segment"] for g in r.json()["gaps"]] == ["up", "down", "pack"]
    r = httpx.put(f"{base}/api/v1/chains/bio", json={**body, "code": "other"}, headers=h("admin"))
    assert r.status_code == 422 and "code" in r.text
    r = httpx.put(f"{base}/api/v1/chains/bio", json={**body, "members": [{"name": "乙", "industry_code": "3581"}]},
                  headers=h("admin"))
    assert r.status_code == 200 and [g["segment"] for g in r.json()["gaps"]] == ["up", "pack"]
    assert httpx.delete(f"{base}/api/v1/chains/bio", headers=h("viewer")).status_code == 403
    assert httpx.delete(f"{base}/api/v1/chains/bio", headers=h("planner")).status_code == 200
    assert httpx.get(f"{base}/api/v1/chains/bio").status_code == 404
    assert httpx.delete(f"{base}/api/v1/chains/bio", headers=h("planner")).status_code == 404


# -- the map layer in Chromium ----------------------------------------------------------------------------

def test_chain_layer_renders_with_the_leader_markers(open_page, tmp_path, sqlite_seeds):
    """``/map?layer=chains`` in headless Chromium: member parcels coloured by chain, a ★ per leader, the
    gaps in the panel; the toggle hides and shows the layer. ``STANDARDLAND_SCREENSHOT=docs/img/chains.png``
    regenerates the README screenshot."""
    from helpers import copy_seed
    from server import running_server
    from standardland.store import open_store

    url = copy_seed(sqlite_seeds[True], tmp_path / "map.db")  # the sample park, as load_reference_data leaves it
    store = open_store(url)
    chains = ch.stored_chains(store)
    n_parcels = sum(len({m.parcel_code for m in ch.members_of(c)}) for c in chains)
    store.close()
    with running_server(url) as base:
        opened = open_page(base, "/map?layer=chains")
        page, outside = opened.page, opened.outside
        assert page.locator("path.sl-chain-parcel").count() == n_parcels == 6
        assert page.locator("path.sl-chain-leader-parcel").count() == 3
        stars = page.locator(".sl-chain-leader")
        assert stars.count() == 3
        assert {stars.nth(i).get_attribute("title") for i in range(3)} == {"绿叶制药", "艾多美", "长城电脑"}
        panel = page.locator("[data-ui='chains']").inner_text()
        assert "生物医药产业链（示例）" in panel and "下游：医疗器械" in panel and "链主 艾多美" in panel
        stars.first.hover()
        assert "链主" in page.locator(".leaflet-tooltip").last.inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "chains.png"))
        if os.environ.get("STANDARDLAND_SCREENSHOT"):
            page.screenshot(path=os.environ["STANDARDLAND_SCREENSHOT"])
        page.uncheck("#sl-chains-toggle")
        assert page.locator("path.sl-chain-parcel").count() == 0 and page.locator(".sl-chain-leader").count() == 0
        page.goto(base + "/map")  # without ?layer=chains the layer is off until toggled
        page.wait_for_selector("html[data-sl-ready='1']", timeout=30_000)
        assert page.locator("path.sl-chain-parcel").count() == 0
        page.check("#sl-chains-toggle")
        assert page.locator(".sl-chain-leader").count() == 3
    assert outside == []


def test_docstring_examples_run():
    import doctest

    from standardland import cli_chains

    for mod in (ch, cli_chains):
        res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
        assert res.failed == 0 and res.attempted >= 2, mod.__name__


def test_chain_names_reach_the_page_as_escaped_data(park_store):
    from standardland import maps, services

    xss = "<img src=x onerror=alert(1)></script><script>alert(2)</script> {{7*7}}"
    doc = {**CHAIN, "name": xss, "leader": {"name": xss, "segment": "mid", "parcel_code": "370613004001GB20002"}}
    ch.put_chains(park_store, [ch.parse_chain(doc)])
    layer = ch.map_layer(park_store, "zh", show=True)
    assert {x["name"] for x in layer["leaders"]} >= {xss}
    gdf = park_store.parcels()
    html = maps.render_map(lang="zh", boundaries=park_store.boundaries(), parcels=gdf,
                           props=maps.feature_properties(gdf, services.published_thresholds(park_store, gdf)),
                           bounds=((37.39, 121.41), (37.42, 121.45)), chains=layer)
    assert "<img src=x" not in html and "</script><script>alert(2)" not in html
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in html and "{{7*7}}" in html


def test_signed_applications_fill_gaps_and_stay_anonymous_to_the_public(park_store):
    from standardland.workflow import audit

    row = {"actor": "t", "role": "applicant", "at": "2024-01-01T00:00:00", "action": "create", "from_state": None,
           "to_state": "draft", "comment": None, "snapshot_hash": audit.snapshot_hash({})}
    app_id = park_store.create_application("370613004001GB20030", "某包装企业", {**EXAMPLE, "industry_code": "2926"}, row)
    health = ch.summaries(park_store, "health")[0]
    assert [g["segment"] for g in health["gaps"]] == ["upstream", "downstream"]  # a draft is not in the park
    assert park_store.apply_transition(app_id, 1, {"state": "agreement_signed"},
                                       {**row, "action": "sign", "from_state": "draft", "to_state": "agreement_signed"})
    health = ch.summaries(park_store, "health")[0]
    assert [g["segment"] for g in health["gaps"]] == ["upstream"]
    down = next(s for s in health["segments"] if s["id"] == "downstream")
    assert [(m["name"], m["source"]) for m in down["members"]] == [("某包装企业", "application")]
    public = ch.summaries(park_store, "health", reveal=False)[0]
    assert "某包装企业" not in json.dumps(public, ensure_ascii=False)
    assert [m["name"] for m in public["members"] if m["source"] == "application"] == [f"#{app_id}"]
    layer = ch.map_layer(park_store, "zh")
    assert "某包装企业" not in json.dumps(layer, ensure_ascii=False)
    assert "370613004001GB20030" in {f["parcel_code"] for f in layer["features"]}
