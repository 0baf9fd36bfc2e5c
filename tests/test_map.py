"""The web map: offline assets, escaping, and a real headless Chromium against a real uvicorn."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlparse

import geopandas as gpd
import pytest
import shapely

from server import running_server
from standardland import maps, services
from standardland.parcels import prepare_parcels
from standardland.sample import load_reference_data
from standardland.store import open_store

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
EXAMPLE = json.loads((ROOT / "api/examples/project.json").read_text("utf-8"))
XSS = "<img src=x onerror=alert(1)>"
SSTI = "S {{7*7}} {% raw %}x{% endraw %} ${7*7} </script><script>alert(1)</script> E"
SSTI_CODE = "370613004001GB29998"
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef]")


def test_rendered_page_loads_nothing_from_outside(park_store):
    gdf = park_store.parcels()
    html = maps.render_map(lang="zh", boundaries=park_store.boundaries(), parcels=gdf,
                           props=maps.feature_properties(gdf, services.published_thresholds(park_store, gdf)),
                           bounds=((37.39, 121.41), (37.42, 121.45)))
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls and all(u.startswith("/static/") for u in urls), urls
    assert "http://" not in html and "https://" not in html
    # our map subclass declares its own assets; folium's shared class lists are untouched
    import folium

    assert any("cdn" in url for _, url in folium.Map.default_js)
    assert all(url.startswith("/static/") for _, url in maps._Map.default_js + maps._Map.default_css)


def test_injected_names_are_escaped_in_the_page(park_store):
    gdf = park_store.parcels()
    gdf.loc[gdf.index[0], "name"] = XSS + "</script><script>alert(2)</script>"
    html = maps.render_map(lang="zh", boundaries=park_store.boundaries(), parcels=gdf,
                           props=maps.feature_properties(gdf, services.published_thresholds(park_store, gdf)),
                           bounds=((37.39, 121.41), (37.42, 121.45)))
    assert "<img src=x" not in html and "</script><script>alert(2)" not in html
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in html


def test_the_config_contract_is_the_same_on_both_sides(park_store):
    """maps.MapConfig, the JSDoc typedef Config of the page script and a rendered config name the same keys."""
    js = (ROOT / "web/static/standardland-map.js").read_text("utf-8")
    block = js[js.index("@typedef {Object} Config"):js.index("@typedef {Object} Explanation")]
    documented = set(re.findall(r"@property \{.*?\}\}?\s+(\w+)", block, re.S))
    declared = set(maps.MapConfig.__annotations__)
    gdf = park_store.parcels()
    html = maps.render_map(lang="en", boundaries=park_store.boundaries(), parcels=gdf,
                           props=maps.feature_properties(gdf, services.published_thresholds(park_store, gdf)),
                           bounds=((37.39, 121.41), (37.42, 121.45)))
    sent = json.loads(re.search(r'<script type="application/json" id="sl-config">(.*?)</script>', html, re.S)[1])
    assert documented == declared == set(sent["config"]), (documented ^ declared, declared ^ set(sent["config"]))


def test_choropleth_states_its_classification(park_store):
    gdf = park_store.parcels()
    props = maps.feature_properties(gdf, services.published_thresholds(park_store, gdf))
    cfg = maps.colour_config(props, "tax_per_mu", "en")
    assert cfg["classification"] == "Quantiles (5 classes)" and len(cfg["breaks"]) == 4
    from standardland.errors import InputError

    with pytest.raises(InputError, match="not a numeric parcel property"):
        maps.colour_config(props, "name", "en")


# -- the browser -----------------------------------------------------------------------------------

# ``browser``: conftest's shared Chromium fixture (the same launch and arguments)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('map') / 'map.db'}"
    store = open_store(url)
    load_reference_data(store, with_sample=True)
    xss = gpd.GeoDataFrame({"code": ["370613004001GB29999"], "name": [XSS], "status": ["planned"],
                            "land_use_code": ["100101"], "park": ["yantai-hitech-intl"]},
                           geometry=[shapely.box(121.4205, 37.4160, 121.4225, 37.4172)], crs=4490)
    store.import_parcels(prepare_parcels(xss)[0])
    ssti = gpd.GeoDataFrame({"code": [SSTI_CODE], "name": [SSTI], "status": ["planned"], "land_use_code": ["100101"],
                             "park": ["yantai-hitech-intl"]},
                            geometry=[shapely.box(121.4230, 37.4185, 121.4245, 37.4196)], crs=4490)
    store.import_parcels(prepare_parcels(ssti)[0])
    store.close()
    with running_server(url) as base:
        yield base, url


def _page(browser, base, path, *, lang="zh-CN"):
    ctx = browser.new_context(locale=lang, viewport={"width": 1400, "height": 900})
    page = ctx.new_page()
    outside, dialogs = [], []

    def route(r):
        if urlparse(r.request.url).hostname not in ("127.0.0.1",):
            outside.append(r.request.url)
            return r.abort()
        return r.continue_()
    page.route("**/*", route)
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(base + path)
    page.wait_for_selector("html[data-sl-ready='1']", timeout=30_000)
    return page, outside, dialogs


def test_map_renders_offline_and_popups_show_mu(browser, site):
    base, _ = site
    page, outside, dialogs = _page(browser, base, "/map")
    assert page.locator("path.sl-parcel").count() == 37
    assert page.locator("path.sl-status-published").count() == 5
    page.locator("path.sl-code-370613004002GB10003").click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert "370613004002GB10003" in text and "150.00 亩" in text
    assert "投资强度" in text
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "map.png"))
    assert outside == [] and dialogs == []


def test_search_finds_a_parcel_by_code(browser, site):
    base, _ = site
    page, outside, _ = _page(browser, base, "/map")
    page.fill("#sl-search-input", "370613004001GB20007")
    page.click("#sl-search-button")
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "370613004001GB20007" in popup.inner_text()
    page.fill("#sl-search-input", "没有这个地块")
    page.click("#sl-search-button")
    assert page.locator(".sl-search .sl-msg").inner_text() == "未找到地块"
    assert outside == []


def test_eligibility_view_colours_as_the_engine_decides(browser, site):
    base, url = site
    project = {**EXAMPLE, "fixed_asset_investment_wan_yuan": 150 * 330}
    store = open_store(url)
    expected = services.match_project(store, project, top=50)["verdicts"]
    store.close()
    assert set(expected.values()) == {"pass", "fail"}
    page, outside, _ = _page(browser, base, "/map")
    page.click("#sl-advanced")  # the JSON editor
    page.fill("#sl-project", json.dumps(project, ensure_ascii=False))
    page.click("#sl-submit")
    page.wait_for_selector("#sl-matches", timeout=30_000)
    for code, verdict in expected.items():
        assert page.locator(f"path.sl-code-{code}.sl-verdict-{verdict}").count() == 1, (code, verdict)
    assert page.locator("path.sl-parcel[class*='sl-verdict-']").count() == len(expected)
    page.locator("#sl-matches a").first.click()
    assert "结论" in page.locator(".leaflet-popup-content").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "map-eligibility.png"))
    assert outside == []


def test_incomplete_and_not_applicable_show_their_reasons(browser, site):
    """Without a floor area FAR is missing: the verdict is incomplete, and the popup and the best-matches
    list say why, with the reason the engine gives (as does a not-applicable indicator)."""
    base, url = site
    project = {k: v for k, v in EXAMPLE.items() if k != "floor_area_m2"}
    store = open_store(url)
    m = services.match_project(store, project, top=10)
    store.close()
    first = m["results"][0]
    assert first["verdict"] == "incomplete"
    reasons = {it["id"]: it["reason"] for it in first["indicators"]
               if it["status"] in ("missing", "incomplete", "not_applicable")}
    assert reasons["far"].startswith("缺少容积率（far）的数值")  # the zh page shows zh reasons
    page, _, _ = _page(browser, base, "/map")
    page.click("#sl-advanced")  # the JSON editor
    page.fill("#sl-project", json.dumps(project, ensure_ascii=False))
    page.click("#sl-submit")
    page.wait_for_selector("#sl-matches", timeout=30_000)
    listed = page.locator("#sl-matches li").first.inner_text()
    assert first["parcel_code"] in listed
    for reason in reasons.values():
        assert reason in listed
    page.locator("#sl-matches a").first.click()
    popup = page.locator(".leaflet-popup-content").inner_text()
    assert "资料不全" in popup and "缺数据" in popup
    for reason in reasons.values():
        assert reason in popup


def test_english_page_has_no_chinese_ui_labels(browser, site):
    base, _ = site
    page, _, _ = _page(browser, base, "/map?lang=en", lang="en-US")
    # every UI label; the project JSON in the form's textarea is data, not a label
    ui = page.locator("[data-ui='legend'], [data-ui='search'], .leaflet-control-layers, #sl-form > b, "
                      "#sl-form .sl-note, #sl-form button").all_inner_texts()
    assert ui and not any(CJK.search(t) for t in ui), ui
    assert page.locator("#sl-lang").inner_text() == "中文"  # the way back names its language natively
    assert page.get_attribute("#sl-search-input", "placeholder") == "Search by parcel code or name"
    page.locator("path.sl-code-370613004002GB10001").click()
    labels = page.locator(".leaflet-popup-content th").all_inner_texts()
    assert labels and not any(CJK.search(t) for t in labels), labels
    assert "mu" in page.locator(".leaflet-popup-content").inner_text()
    # Accept-Language alone also switches
    page2, _, _ = _page(browser, base, "/map", lang="en-US")
    assert page2.get_attribute("html", "lang") == "en"


def test_injected_name_runs_no_script(browser, site):
    base, _ = site
    page, _, dialogs = _page(browser, base, "/map")
    target = page.locator("path.sl-code-370613004001GB29999")
    target.hover()
    target.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert XSS in popup.inner_text()  # shown as text
    page.fill("#sl-search-input", "<img")
    page.click("#sl-search-button")
    page.wait_for_timeout(300)
    assert dialogs == []
    assert page.locator("img[src='x']").count() == 0


def test_template_syntax_in_a_name_is_shown_literally(browser, site):
    """A parcel named with template syntax and a closing script tag: the popup shows it as typed."""
    base, _ = site
    page, outside, dialogs = _page(browser, base, "/map")
    page.evaluate(f"window.standardland.focus({json.dumps(SSTI_CODE)})")
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert SSTI in popup.inner_text()
    assert "S 49" not in page.content()
    assert dialogs == [] and outside == []


def test_the_configuration_is_a_json_script_element(browser, site):
    base, _ = site
    page, _, _ = _page(browser, base, "/map")
    config = page.locator('script[type="application/json"]#sl-config')
    assert config.count() == 1
    parsed = page.evaluate("JSON.parse(document.getElementById('sl-config').textContent)")
    assert SSTI in parsed["parcels"]["columns"]["name"] and parsed["config"]["lang"] == "zh"
    # no executable script carries data: the inline one only hands the map to standardlandMap
    inline = page.evaluate("[...document.querySelectorAll('script:not([src]):not([type])')]"
                           ".map(s => s.textContent).join('\\n')")
    assert "standardlandMap(" in inline and SSTI not in inline and XSS not in inline and "地块" not in inline


def test_choropleth_page(browser, site):
    base, _ = site
    page, outside, _ = _page(browser, base, "/map?color=tax_per_mu")
    legend = page.locator("[data-ui='legend']").inner_text()
    assert "亩均税收" in legend and "分位数分级（5 级）" in legend
    assert outside == []


def test_parcels_are_drawn_in_the_palette_the_qgis_styles_read(browser, site):
    """The page draws with web/palette.json (via its configuration): fill, fill opacity and outlines."""
    base, _ = site
    page, _, _ = _page(browser, base, "/map")
    pal = maps.palette()
    for status, colour in pal["status"].items():
        paths = page.locator(f"path.sl-parcel.sl-status-{status}")
        if not paths.count():
            continue
        el = paths.first
        line = pal["standard"] if status in maps.STANDARD_LAND_STATUSES else pal["parcel"]
        assert el.get_attribute("fill") == colour, status
        assert float(el.get_attribute("fill-opacity")) == pal["parcel"]["fillOpacity"]
        assert el.get_attribute("stroke") == line["stroke"] and float(el.get_attribute("stroke-width")) == line["weight"]


def test_large_stores_load_parcels_by_bbox(browser, tmp_path):
    """Beyond the embed limit the page stays small and fetches only the parcels in view from /ogc."""
    url = f"sqlite:///{tmp_path / 'big.db'}"
    store = open_store(url)
    load_reference_data(store, with_sample=True)
    store.close()
    with running_server(url, env={"STANDARDLAND_MAP_EMBED_LIMIT": "10"}) as base:
        import httpx

        html = httpx.get(base + "/map").text
        assert "370613004002GB10001" not in html  # nothing embedded
        page, outside, _ = _page(browser, base, "/map")
        page.wait_for_function("document.querySelectorAll('path.sl-parcel').length > 0", timeout=20_000)
        assert page.locator("path.sl-parcel").count() == 35
        page.fill("#sl-search-input", "370613004002GB10004")
        page.click("#sl-search-button")
        page.locator(".leaflet-popup-content").wait_for()
        assert "370613004002GB10004" in page.locator(".leaflet-popup-content").inner_text()
        assert outside == []


def test_the_page_follows_the_store(tmp_path):
    """The page data is kept between requests, until any process writes to the store."""
    url = f"sqlite:///{tmp_path / 'follow.db'}"
    store = open_store(url)
    load_reference_data(store, with_sample=True)
    with running_server(url) as base:
        import httpx

        first = httpx.get(base + "/map").text
        again = httpx.get(base + "/map").text
        assert "后来的地块" not in first and len(again) == len(first)
        late = gpd.GeoDataFrame({"code": ["370613004001GB29997"], "name": ["后来的地块"], "status": ["planned"],
                                 "land_use_code": ["100101"], "park": ["yantai-hitech-intl"]},
                                geometry=[shapely.box(121.4250, 37.4185, 121.4265, 37.4196)], crs=4490)
        store.import_parcels(prepare_parcels(late)[0])  # this process, not the server's
        assert "后来的地块" in httpx.get(base + "/map").text
    store.close()


def test_a_configured_basemap_is_the_only_tile_source(park_store):
    gdf = park_store.parcels()
    html = maps.render_map(lang="zh", boundaries=park_store.boundaries(), parcels=gdf,
                           props=maps.feature_properties(gdf, services.published_thresholds(park_store, gdf)),
                           bounds=((37.39, 121.41), (37.42, 121.45)),
                           basemap_url="http://tiles.intranet.local/{z}/{x}/{y}.png",
                           basemap_attribution="内网底图 <b>x</b>")
    assert html.count("tiles.intranet.local") == 1
    assert "<b>x</b>" not in html  # the attribution is data too: escaped


def test_a_popup_opens_clear_of_the_top_left_controls(browser, site):
    """The search box and the chain panel sit top left: a popup opened under them is panned clear."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    base, _ = site
    overlaps = []
    for code in ("370613004002GB10001", "370613004002GB10002", "370613004001GB20001"):
        page, outside, _ = _page(browser, base, "/map")  # each from the page's first view
        page.locator(f"path.sl-code-{code}").click()
        page.locator(".leaflet-popup-content", has_text=code).wait_for()
        try:  # the pan that makes room is an animation: wait until the popup is clear, or give up
            page.wait_for_function("""() => {
                const el = document.querySelector('.leaflet-popup');
                if (!el) return false;
                const p = el.getBoundingClientRect();
                return ![...document.querySelectorAll('.leaflet-top.leaflet-left .leaflet-control')]
                  .map(c => c.getBoundingClientRect())
                  .some(c => c.width && p.left < c.right && c.left < p.right && p.top < c.bottom && c.top < p.bottom);
              }""", timeout=5_000)
        except PlaywrightTimeout:
            overlaps.append(code)
        assert outside == []
        page.context.close()
    assert overlaps == [], f"popups under the top-left controls: {overlaps}"
