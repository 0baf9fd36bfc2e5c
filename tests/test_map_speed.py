"""The map page at scale: what the speed work changed, checked on real parts (a SQLite file and
PostGIS, a real uvicorn, real Chromium).

- embedded coordinates travel at the stated precision (:data:`maps.COORD_DECIMALS`, 1e-7° ≈ 1 cm);
- a requirement's text is rendered once per profile, and reads as the per-parcel rendering does;
- profiles group exactly the rows that are equal;
- a plain GET is served from a page cache (HTML and gzip) that follows changes of the store;
- above :data:`maps.SVG_LIMIT` parcels draw on a canvas, the 2.5 MB JSON is parsed once, and popups
  still open.
"""

from __future__ import annotations

import json
import math

import httpx
import numpy as np
import pandas as pd
import pytest

from helpers import square_parcels
from server import running_server
from standardland import maps, services
from standardland.api.web import accepts_gzip
from standardland.parcels import prepare_parcels
from standardland.rules.indicators import catalogue
from standardland.sample import load_reference_data
from standardland.store import open_store
from test_map import _page  # the browser fixture is conftest's


def _coordinates(geometry) -> list[float]:
    out: list[float] = []

    def walk(x):
        if isinstance(x, (int, float)):
            out.append(float(x))
        else:
            for y in x:
                walk(y)
    walk(geometry["coordinates"])
    return out


def test_embedded_coordinates_carry_the_stated_precision(store):
    """Coordinates are the stored ones rounded to 1e-7°: no more digits, and no further off than half of it."""
    load_reference_data(store, with_sample=False)
    # GK metres reprojected to EPSG:4490: every coordinate has ~15 significant digits in the store
    store.import_parcels(prepare_parcels(square_parcels(30, side=97.3, gap=11.1))[0])
    gdf = store.parcels()
    props = maps.feature_properties(gdf, services.published_thresholds(store, gdf))
    data = maps.map_data(store.boundaries(), gdf, props)
    sent = json.loads(data.parcel_geometry_json)
    assert len(sent) == len(gdf)
    scale = 10 ** maps.COORD_DECIMALS
    stored_digits = 0
    for geom, shape in zip(sent, gdf.geometry, strict=True):
        got = _coordinates(geom)
        want = [c for xy in shape.exterior.coords for c in xy]
        assert len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            assert abs(g * scale - round(g * scale)) < 1e-6, g  # at most COORD_DECIMALS decimals
            assert abs(g - w) <= 0.5 / scale + 1e-12, (g, w)
            stored_digits = max(stored_digits, len(repr(w).split(".")[1]))
    assert stored_digits > maps.COORD_DECIMALS  # the rounding had something to do


def test_requirement_texts_per_profile_read_as_per_parcel(park_store):
    """Each parcel's profile carries the ``<id>_text`` that services.published_properties renders for that
    parcel (the OGC items' path), and the same numbers and governing rule sets."""
    gdf = park_store.parcels()
    # a parcel's own limits make profiles differ from parcel to parcel
    attrs = gdf["attrs"].tolist()
    attrs[0] = {**(attrs[0] or {}), "far_min": 1.35, "far_max": 2.5}
    attrs[1] = {**(attrs[1] or {}), "green_ratio_max": 12.5}
    gdf = gdf.assign(attrs=attrs)
    props = maps.feature_properties(gdf, services.published_thresholds(park_store, gdf))
    payload = maps.parcels_payload(gdf, props)
    per_parcel = services.published_properties(park_store, gdf)
    assert len(payload["profiles"]) >= 3
    cat = catalogue()
    seen_texts = 0
    for row, k in enumerate(payload["columns"]["profile"]):
        prof = payload["profiles"][k]
        for ind in cat.indicators:
            for suffix in ("min", "max", "by", "text"):
                want = per_parcel.iloc[row][f"{ind.id}_{suffix}"]
                want = None if want is None or (isinstance(want, float) and math.isnan(want)) else want
                assert prof.get(f"{ind.id}_{suffix}") == want, (row, ind.id, suffix)
                seen_texts += suffix == "text" and want is not None
    assert seen_texts > len(gdf)  # texts were there to compare
    assert payload["profiles"][payload["columns"]["profile"][0]]["far_text"] == "1.35–2.5"


def test_profiles_group_exactly_the_equal_rows():
    """Rows share a profile when every shared value is equal (missing: None and NaN alike), never else."""
    rng = np.random.default_rng(7)
    n = 3000
    frame = pd.DataFrame({
        "park": rng.choice(np.array(["a", "b", None], dtype=object), n),
        "x_min": pd.Series(rng.choice(np.array([1.0, 2.0, np.nan, None], dtype=object), n), dtype=object),
        "x_by": rng.choice(np.array(["r1", "r2", None], dtype=object), n),
        "y_max": rng.choice([0.5, 7.0, np.nan], n),
    })
    idx, profiles = maps._profiles(frame)

    def key(i):
        return tuple(None if v is None or (isinstance(v, float) and math.isnan(v)) else v for v in frame.iloc[i])
    keys = [key(i) for i in range(n)]
    assert len(set(keys)) == len(profiles)
    first: dict = {}
    for i, kk in enumerate(keys):
        first.setdefault(kk, idx[i])
        assert idx[i] == first[kk]
        assert profiles[idx[i]] == {c: v for c, v in zip(frame.columns, kk, strict=True) if v is not None}
    assert list(dict.fromkeys(idx.tolist())) == list(range(len(profiles)))  # numbered in order of appearance


def test_accept_encoding():
    assert accepts_gzip("gzip, deflate, br") and accepts_gzip("br;q=1.0, gzip;q=0.8") and accepts_gzip("*")
    assert not accepts_gzip("") and not accepts_gzip("identity") and not accepts_gzip("gzip;q=0")
    assert not accepts_gzip("deflate, gzip; q=0.0")


@pytest.fixture(scope="module")
def small_site(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('map-speed') / 'map.db'}"
    store = open_store(url)
    load_reference_data(store, with_sample=True)
    store.close()
    with running_server(url) as base:
        yield base, url


def test_plain_pages_are_cached_until_the_store_changes(small_site):
    base, url = small_site
    first = httpx.get(base + "/map?lang=en", headers={"Accept-Encoding": "gzip"}, timeout=60)
    assert first.status_code == 200 and first.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in first.headers["vary"].lower()
    plain = httpx.get(base + "/map?lang=en", headers={"Accept-Encoding": "identity"}, timeout=60)
    assert "content-encoding" not in plain.headers
    assert plain.content == first.content  # httpx decoded the gzip: the same page
    again = httpx.get(base + "/map?lang=en", headers={"Accept-Encoding": "gzip"}, timeout=60)
    assert "gzip;" not in again.headers["server-timing"]  # served as compressed before
    assert again.content == first.content
    # another query is another page; the language switch link follows it
    other = httpx.get(base + "/map?lang=en&color=area_mu", timeout=60)
    assert other.status_code == 200 and other.content != first.content
    # a change of the store by another process: the next page shows it
    code = "370613004002GB10003"
    store = open_store(url)
    try:
        old = store.parcel(code).iloc[0]["name"]
        assert old in plain.text
        store.update_parcel_attributes(pd.DataFrame({"code": [code], "name": ["改名后的地块 renamed"]}))
    finally:
        store.close()
    after = httpx.get(base + "/map?lang=en", headers={"Accept-Encoding": "gzip"}, timeout=60)
    assert "改名后的地块 renamed" in after.text and "gzip;" in after.headers["server-timing"]


@pytest.fixture(scope="module")
def big_site(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('map-big') / 'map.db'}"
    store = open_store(url)
    load_reference_data(store, with_sample=False)
    n = maps.SVG_LIMIT + 50
    store.import_parcels(prepare_parcels(square_parcels(n, side=60.0, gap=5.0))[0])
    store.close()
    with running_server(url) as base:
        yield base, n


# counts the parses of long texts (the page's configuration), installed before any page script runs
COUNT_PARSES = """
window.__slParses = 0;
(function () {
  var parse = JSON.parse;
  JSON.parse = function (text) {
    if (typeof text === "string" && text.length > 100000) { window.__slParses++; }
    return parse.apply(JSON, arguments);
  };
})();
"""


def test_many_parcels_draw_on_a_canvas_parsed_once(browser, big_site):  # noqa: F811
    base, n = big_site
    ctx = browser.new_context(viewport={"width": 1400, "height": 900})
    ctx.add_init_script(COUNT_PARSES)
    page = ctx.new_page()
    page.goto(base + "/map")
    page.wait_for_selector("html[data-sl-ready='1']", timeout=60_000)
    # one canvas for the parcels, no SVG path per parcel
    assert page.locator(".leaflet-overlay-pane canvas").count() >= 1
    assert page.locator("path.sl-parcel").count() == 0
    assert page.evaluate("window.standardland.parcels.getLayers().length") == n
    # map, chains and scorecard read one parse of the 2.5 MB configuration
    assert page.evaluate("window.__slParses") == 1
    # popups are built on demand and still open from a focus (search) on the canvas
    code = page.evaluate("window.standardland.parcels.getLayers()[7].feature.properties.code")
    assert page.evaluate(f"window.standardland.focus({json.dumps(code)})") is True
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert code in popup.inner_text()
    ctx.close()


def test_the_standard_land_overlay_is_built_when_shown(browser, small_site):  # noqa: F811
    base, _ = small_site
    page, outside, _ = _page(browser, base, "/map?lang=en")
    assert page.locator("path.sl-standard").count() == 0  # off at first, and not built
    published = page.locator("path.sl-parcel.sl-status-published").count()
    assert published > 0
    page.get_by_label("Standard land (published)").check()
    page.wait_for_selector("path.sl-standard")
    assert page.locator("path.sl-standard").count() == published
    assert outside == []
