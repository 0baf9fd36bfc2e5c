"""The map beyond pass/fail in a real headless Chromium against a real uvicorn (external hosts blocked):
after a check the parcels whose area lies in their land-sizing interval are outlined (a layer that
toggles, a legend entry) and the popup gives the advice lines and the interval; ``/map?whatif=ID``
(planners) colours the parcels a stored what-if changes, with a legend and the change in the popup."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import httpx
import pyogrio
import pytest

from helpers import copy_seed, square_parcels
from server import running_server
from standardland import analysis, services, whatif
from standardland.api.auth import issue
from standardland.store import open_store
from standardland.workflow import applications
from test_advice import P1, project

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


@pytest.fixture(scope="module")
def sample_site(tmp_path_factory, sqlite_seeds):
    url = copy_seed(sqlite_seeds[True], tmp_path_factory.mktemp("beyond") / "s.db")  # the sample park
    with running_server(url) as base:
        yield base, url


def test_sizing_highlight_and_advice_in_the_popup(open_page, sample_site):
    """5 亿元 and 150,000 m² of floor: each parcel's interval is [85,714 m², its own cap]; the three
    parcels whose ~100,000 m² lies inside are outlined, parcel 1 (cap 95,238 m² from ≥ 350 万元/亩) is not,
    and its popup says to raise the investment by 0.25 亿元."""
    base, url = sample_site
    doc = project(land_area_m2=None)
    store = open_store(url)
    view = analysis.parcel_view(store, doc, advise_codes=[P1])
    store.close()
    inside = sorted(view["sizing"]["inside"])
    assert inside == ["370613004002GB10002", "370613004002GB10003", "370613004002GB10005"]
    opened = open_page(base, "/map?project=" + _b64(json.dumps(doc, ensure_ascii=False)))
    page, outside = opened.page, opened.outside
    outlined = page.locator("path.sl-sizing")
    assert outlined.count() == 3
    assert sorted(c.split("sl-sizing-")[1].split()[0] for c in
                  (outlined.nth(i).get_attribute("class") for i in range(3))) == inside
    legend = page.locator("[data-ui='legend-beyond']")
    assert "核定用地规模" in legend.inner_text() and "区间内" in legend.inner_text()
    # the layer toggles from the layer switch
    box = page.locator(".leaflet-control-layers-overlays label", has_text="面积符合用地规模").locator("input")
    box.uncheck()
    assert page.locator("path.sl-sizing").count() == 0
    box.check()
    assert page.locator("path.sl-sizing").count() == 3
    page.locator(f"#sl-matches a[data-code='{P1}']").click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.locator(".sl-advice").inner_text()
    assert "整改建议" in text and "提高至少 0.25 亿元" in text and "投资强度 333.33 → 350" in text
    assert "最小改动幅度 5.0%" in text
    sz = popup.locator(".sl-sizing-interval").inner_text()
    assert "128.58 – 142.85 亩" in sz and "不在区间内" in sz  # 85,714.29 m² (128.571… 亩) and 95,238.10 m² (142.857… 亩), rounded inward
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "map-sizing-advice.png"))
    assert outside == []


#: FAR of the six applications; in force FAR 0.7–0.85, the draft FAR ≥ 0.75 with no upper end
FARS = [0.65, 0.7, 0.75, 0.8, 0.9, 0.85]


@pytest.fixture(scope="module")
def whatif_site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("whatif")
    url = f"sqlite:///{tmp / 'w.db'}"
    store = open_store(url)
    gdf = square_parcels(len(FARS), park=["tp"] * len(FARS), region_class=[7] * len(FARS))
    pyogrio.write_dataframe(gdf, tmp / "p.gpkg")
    services.import_file(store, tmp / "p.gpkg")
    store.put_ruleset({"id": "tp-2020", "series": "tp", "layer": "park", "effective_from": "2020-01-01",
                       "scope": {"park": "tp"}, "rules": [{"indicator": "far", "min": 0.7, "max": 0.85}]})
    for code, far in zip(gdf["code"], FARS, strict=True):
        applications.create(store, {"name": "t", "role": "admin"}, code, {
            "name": f"FAR {far}", "industry_code": "39", "industry_code_edition": "2002", "nuisance_class": 1,
            "decision_date": "2024-03-01", "land_area_m2": 10_000, "floor_area_m2": far * 10_000})
    draft = {"id": "tp-2099", "series": "tp", "layer": "park", "effective_from": "2099-01-01",
             "scope": {"park": "tp"}, "rules": [{"indicator": "far", "min": 0.75}]}
    report = whatif.run(store, draft, created_by="test")
    planner, viewer = issue(store, name="p", role="planner"), issue(store, name="v", role="viewer")
    codes = list(gdf["code"])
    store.close()
    with running_server(url) as base:
        yield base, report, codes, planner, viewer


def test_whatif_colours_the_parcels_it_changes(open_page, whatif_site):
    """FAR 0.7 passes today and fails the draft (red); 0.9 fails today (above 0.85) and passes it (green);
    every other parcel's published FAR bounds move (amber); the popup names the change."""
    base, report, codes, planner, viewer = whatif_site
    rid = report["id"]
    expected = {codes[1]: "to_fail", codes[4]: "to_pass"}
    expected.update({c: "threshold" for c in codes if c not in expected})
    assert {c: v["change"] for c, v in whatif.map_changes(report).items()} == expected
    # planners only: anonymous 401, a viewer 403, an unknown id 404
    assert httpx.get(f"{base}/map?whatif={rid}", timeout=30).status_code == 401
    assert httpx.get(f"{base}/map?whatif={rid}", timeout=30,
                     headers={"Authorization": f"Bearer {viewer}"}).status_code == 403
    assert httpx.get(f"{base}/map?whatif={rid + 1}", timeout=30,
                     headers={"Authorization": f"Bearer {planner}"}).status_code == 404
    opened = open_page(base, f"/map?whatif={rid}", headers={"Authorization": f"Bearer {planner}"}, ready=False)
    page, outside = opened.page, opened.outside
    assert opened.response.status == 200
    page.wait_for_selector("html[data-sl-ready='1']", timeout=30_000)
    for code, kind in expected.items():
        path = page.locator(f"path.sl-code-{code}")
        assert f"sl-whatif-{kind}" in path.get_attribute("class"), code
    colours = {"to_fail": "#d62728", "to_pass": "#2ca02c", "threshold": "#ffbf00"}
    assert page.locator(f"path.sl-code-{codes[1]}").get_attribute("fill") == colours["to_fail"]
    assert page.locator(f"path.sl-code-{codes[4]}").get_attribute("fill") == colours["to_pass"]
    assert page.locator(f"path.sl-code-{codes[0]}").get_attribute("fill") == colours["threshold"]
    legend = page.locator("[data-ui='legend-beyond']")
    lt = legend.inner_text()
    assert f"政策预演 #{rid}：tp-2099" in lt and all(w in lt for w in ("通过 → 不通过", "不通过 → 通过", "指标值变动"))
    assert not page.locator("[data-ui='legend']").is_visible()
    page.locator(f"path.sl-code-{codes[1]}").click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.locator(".sl-whatif").inner_text()
    assert "预演变化: 通过 → 不通过" in text and "通过 → 不通过" in text and "容积率" in text
    assert "0.7 → 0.75" in text.replace("0.70", "0.7").replace("0.75", "0.75")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "map-whatif.png"))
    assert outside == []
