"""The map's check form in a real headless Chromium against a real uvicorn (external hosts blocked):
filled field by field it gives the verdict ``standardland check --json`` gives; bad values are shown
next to their field with the map kept; the industry picker and ``/api/v1/industries``; the shareable
URL; reasons in the popup, clear of the check panel; the legend's unit and swatches."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from helpers import copy_seed
from server import running_server
from standardland import maps, services, units
from standardland.api.web import decode_project_param
from standardland.errors import InputError
from standardland.rules.fields import project_fields
from standardland.store import open_store

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"

PARCEL = "370613004002GB10003"   # 国际招商产业园标准地 3 号: 150 亩, class-2 industrial land, published
#: what the test types, field by field, with the units it chooses in the form
TYPED = {"name": "汽车零部件项目", "nuisance_class": "1", "decision_date": "2024-03-01",
         "land_area_m2": ("150", "亩"), "fixed_asset_investment_wan_yuan": ("4.5", "亿元"),
         "floor_area_m2": ("150000", "m²"), "building_footprint_m2": ("45000", "m²"),
         "office_living_land_m2": ("5000", "m²"), "green_area_m2": ("12000", "m²"),
         "annual_tax_wan_yuan": ("3000", "万元")}
#: the same project as a document, as a planner would write it for ``standardland check``
PROJECT = {"name": "汽车零部件项目", "industry_code": "372", "industry_code_edition": "2002", "nuisance_class": 1,
           "decision_date": "2024-03-01", "land_area_m2": {"value": 150, "unit": "亩"},
           "fixed_asset_investment_wan_yuan": {"value": 4.5, "unit": "亿元"}, "floor_area_m2": 150000,
           "building_footprint_m2": 45000, "office_living_land_m2": 5000, "green_area_m2": 12000,
           "annual_tax_wan_yuan": 3000}


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


@pytest.fixture(scope="module")
def site(tmp_path_factory, sqlite_seeds):
    url = copy_seed(sqlite_seeds[True], tmp_path_factory.mktemp("form") / "form.db")  # the sample park
    with running_server(url) as base:
        yield base, url


def _cli_check(url: str, tmp_path, project: dict, parcel: str) -> dict:
    path = tmp_path / "project.json"
    path.write_text(json.dumps(project, ensure_ascii=False), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-m", "standardland.cli", "check", str(path), "--parcel", parcel,
                          "--db", url, "--json"], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode in (0, 1, 3), out.stderr
    return json.loads(out.stdout)


def test_the_form_fields_are_the_project_field_spec():
    """Every project field a document may carry is in the form (but the JSON editor's own), with its
    canonical unit, and every unit offered converts to it (the server's ``units`` converts)."""
    fields = {f["name"]: f for f in maps.form_fields("zh")}
    spec = project_fields()
    assert set(fields) == {k for k, f in spec.items() if not f.tables_only} - set(maps.FORM_ADVANCED_ONLY)
    for name, f in fields.items():
        assert f["unit"] == spec[name].unit and f["required"] == spec[name].required
        assert f["label"] == spec[name].label_zh and maps.form_fields("en")[list(fields).index(name)]["label"] == \
            spec[name].label_en
        for u in f["units"]:
            assert units.parse_unit(u)[0] == units.parse_unit(f["unit"])[0]
    assert fields["land_area_m2"]["units"] == ["亩", "公顷", "m²"] and fields["land_area_m2"]["defaultUnit"] == "亩"
    assert fields["fixed_asset_investment_wan_yuan"]["units"] == ["万元", "亿元"]
    assert units.quantity({"value": 6, "unit": "亿元"}, "万元", field="x") == 60_000


def test_a_shareable_project_parameter_round_trips_and_is_bounded():
    text = json.dumps(PROJECT, ensure_ascii=False)
    assert json.loads(decode_project_param(_b64(text))) == PROJECT
    for bad, words in (("A" * (maps.PROJECT_PARAM_LIMIT + 1), "too long"), ("abc$", "not base64url"),
                       (_b64("x") + "x", "not base64url"), ("_w", "not base64url")):  # "_w" is the byte 0xff
        with pytest.raises(InputError, match=words) as exc:
            decode_project_param(bad)
        assert exc.value.field == "project"


def test_industries_api_searches_every_level_and_edition(site):
    base, _ = site
    found = httpx.get(base + "/api/v1/industries", params={"q": "汽车制造", "limit": 10}).json()
    assert {"edition": "2002", "code": "372", "name": "汽车制造", "level": "group", "section": "C"} in found
    assert any(e["edition"] == "2017" and e["code"] == "36" and e["name"] == "汽车制造业" for e in found)
    by_code = httpx.get(base + "/api/v1/industries", params={"q": "3721"}).json()
    assert {(e["edition"], e["code"]) for e in by_code} >= {("2002", "3721")}
    assert len(httpx.get(base + "/api/v1/industries", params={"q": "制造", "limit": 3}).json()) == 3
    for params in ({"q": "x", "limit": 0}, {"q": "x", "limit": 201}, {"q": "x", "limit": "ten"}, {},
                   {"q": "x" * 101}):
        r = httpx.get(base + "/api/v1/industries", params=params)
        assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem+json"), params
        assert r.json()["errors"][0]["field"] in ("q", "limit")


def _pick_industry(page, query: str, edition: str, code: str):
    page.fill("#sl-industry", query)
    option = page.locator(f"#sl-industry-results li[data-edition='{edition}'][data-code='{code}']")
    option.wait_for(timeout=10_000)
    option.click()


def test_the_form_filled_field_by_field_gives_the_cli_verdict(open_page, site, tmp_path):
    base, url = site
    opened = open_page(base, "/map")
    page, outside, dialogs = opened.page, opened.outside, opened.dialogs
    page.click("#sl-advanced")  # start from an empty project: clear the example in the JSON editor
    page.fill("#sl-project", "{}")
    page.click("#sl-advanced")
    page.fill("#sl-industry", "36")  # by code: the 2017 division of the same industry is offered too
    page.locator("#sl-industry-results li[data-edition='2017'][data-code='36']").wait_for(timeout=10_000)
    _pick_industry(page, "汽车制造", "2002", "372")
    assert "372 汽车制造" in page.locator("#sl-industry-chosen").inner_text()
    for name, value in TYPED.items():
        if isinstance(value, tuple):
            page.fill(f"#sl-f-{name}", value[0])
            if page.locator(f"select#sl-u-{name}").count():
                page.select_option(f"#sl-u-{name}", value[1])
        elif page.locator(f"select#sl-f-{name}").count():
            page.select_option(f"#sl-f-{name}", value)
        else:
            page.fill(f"#sl-f-{name}", value)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "map-form-filled.png"))
    page.click("#sl-submit")
    page.wait_for_selector("#sl-matches", timeout=30_000)
    # the form sent the units it showed; the server converted them (the document is the same project)
    sent = json.loads(base64.urlsafe_b64decode(page.url.split("project=")[1] + "==").decode("utf-8"))
    assert sent == PROJECT
    cli = _cli_check(url, tmp_path, PROJECT, PARCEL)
    assert cli["verdict"] in ("pass", "fail", "incomplete")
    assert page.locator(f"path.sl-code-{PARCEL}.sl-verdict-{cli['verdict']}").count() == 1
    store = open_store(url)
    expected = services.match_project(store, PROJECT, top=50)["verdicts"]
    store.close()
    for code, verdict in expected.items():
        assert page.locator(f"path.sl-code-{code}.sl-verdict-{verdict}").count() == 1, (code, verdict)
    # the shareable URL reproduces the check in a fresh page, and the form shows the project again
    again = open_page(base, page.url.removeprefix(base)).page
    for code, verdict in expected.items():
        assert again.locator(f"path.sl-code-{code}.sl-verdict-{verdict}").count() == 1, (code, verdict)
    assert again.input_value("#sl-f-land_area_m2") == "150" and again.input_value("#sl-u-land_area_m2") == "亩"
    assert again.input_value("#sl-u-fixed_asset_investment_wan_yuan") == "亿元"
    assert again.locator("#sl-share").is_visible()
    assert outside == [] and dialogs == []


def test_a_bad_value_is_shown_next_to_its_field_and_the_map_stays(open_page, site):
    base, _ = site
    opened = open_page(base, "/map")
    page, outside = opened.page, opened.outside
    parcels = page.locator("path.sl-parcel").count()
    # in the browser: a negative land area never leaves the page
    page.fill("#sl-f-land_area_m2", "-5")
    page.click("#sl-submit")
    error = page.locator("[data-field='land_area_m2'] .sl-field-error")
    assert error.inner_text() == "应大于 0"
    assert "project=" not in page.url and page.locator("path.sl-parcel").count() == parcels
    # from the server, typed in the form: a year the engine's calendar refuses, next to the decision date
    page.fill("#sl-f-land_area_m2", "150")
    page.fill("#sl-f-decision_date", "1850-03-01")
    with page.expect_navigation():
        page.click("#sl-submit")
    page.wait_for_selector("html[data-sl-ready='1']")
    date_error = page.locator("[data-field='decision_date'] .sl-field-error").inner_text()
    assert "year 1850 is out of range" in date_error, date_error
    assert page.locator("path.sl-parcel").count() == parcels and page.input_value("#sl-f-decision_date") == "1850-03-01"
    # from the server, written in the JSON editor: "far": "1.5" (text) comes back next to 容积率, on the map page
    page.fill("#sl-f-decision_date", "2024-03-01")
    page.click("#sl-advanced")
    doc = json.loads(page.input_value("#sl-project"))
    page.fill("#sl-project", json.dumps({**doc, "far": "1.5"}, ensure_ascii=False))
    with page.expect_navigation():
        page.click("#sl-submit")
    page.wait_for_selector("html[data-sl-ready='1']")
    far = page.locator("[data-field='far'] .sl-field-error")
    assert "'1.5'" in far.inner_text() and "expected a number" in far.inner_text()
    assert "sl-invalid" in page.locator("[data-field='far']").get_attribute("class")
    assert page.input_value("#sl-f-far") == "1.5"  # the value as typed, in its field
    assert page.locator("path.sl-parcel").count() == parcels
    assert far.is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "map-form-inline-error.png"))
    assert outside == []


def test_a_shareable_url_is_refused_cleanly_when_too_long_or_invalid(open_page, site):
    base, _ = site
    long = _b64(json.dumps({"decision_date": "2024-03-01", "name": "x" * 9000}))
    for param, words in ((long, "too long"), ("%%%not-base64", "not base64url"), (_b64("[1, 2]"), "not an object"),
                         (_b64("{\"decision_date\": "), "not valid JSON")):
        r = httpx.get(base + "/map", params={"project": param})
        assert r.status_code == 422 and r.headers["content-type"].startswith("text/html"), param
        assert words in r.text
    opened = open_page(base, "/map?project=%25%25%25")
    page = opened.page
    assert "not base64url" in page.locator("#sl-form").inner_text()
    assert page.locator("path.sl-parcel").count() > 0


def test_popup_reasons_clear_of_the_panel(open_page, site):
    """Without a floor area the verdict is incomplete: the popup gives each reason and the verdict's notes,
    and it opens clear of the check panel."""
    base, url = site
    project = {k: v for k, v in PROJECT.items() if k != "floor_area_m2"}
    store = open_store(url)
    m = services.match_project(store, project, top=10)
    named = {d["id"]: d.get("title") or d["name_zh"] for d in store.rulesets()}
    store.close()
    first = m["results"][0]
    reasons = [it["reason"] for it in first["indicators"] if it["status"] in ("missing", "incomplete",
                                                                                "not_applicable")]
    assert first["verdict"] == "incomplete" and reasons
    opened = open_page(base, "/map?project=" + _b64(json.dumps(project, ensure_ascii=False)))
    page, outside = opened.page, opened.outside
    page.locator(f"#sl-matches a[data-code='{first['parcel_code']}']").click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    page.wait_for_timeout(400)  # the pan that moves the popup clear of the panel
    text = popup.inner_text()
    assert "资料不全" in text and all(r in text for r in reasons)
    # provenance in people's words: the rule set's title, its id second
    governing = {it["governing_ruleset"] for it in first["indicators"] if it.get("governing_ruleset") in named}
    def shown(title):  # a title that carries its 《》 is shown as it is, not wrapped again
        return title if title.startswith("《") else f"《{title}》"

    assert governing and all(shown(named[g]) in text and f"· {g}" in text for g in governing), governing
    assert "《《" not in text
    for note in first.get("notes") or []:
        assert (note.get("message") if isinstance(note, dict) else note) in text
    box, side = page.locator(".leaflet-popup").bounding_box(), page.locator(".sl-side").bounding_box()
    assert box["x"] + box["width"] <= side["x"] and box["y"] >= 0, (box, side)  # clear of the panel, in view
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "map-popup-reasons.png"))
    assert outside == []


def test_choropleth_legend_has_its_unit_and_the_fills_opacity(open_page, site):
    base, _ = site
    opened = open_page(base, "/map?color=tax_per_mu")
    page = opened.page
    legend = page.locator("[data-ui='legend']")
    assert legend.locator("b").first.inner_text() == "着色：亩均税收（万元/亩）"
    swatch = legend.locator("i.sl-swatch b").first.evaluate("e => getComputedStyle(e).opacity")
    fill = page.locator("path.sl-parcel").first.get_attribute("fill-opacity")
    assert float(swatch) == float(fill) == 0.65


def test_the_popup_prints_the_meeting_document_of_the_check(open_page, site, tmp_path):
    """打印/导出 in the popup after a check downloads the same document ``check --format`` writes."""
    base, url = site
    opened = open_page(base, "/map?project=" + _b64(json.dumps(PROJECT, ensure_ascii=False)))
    page, outside = opened.page, opened.outside
    page.locator(f"#sl-matches a[data-code='{PARCEL}']").click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    with page.expect_download() as got:
        popup.locator("button.sl-document[data-format='html']").click()
    html = (tmp_path / "doc.html")
    got.value.save_as(html)
    store = open_store(url)
    expected = services.check_document(store, PROJECT, PARCEL, fmt="html")
    store.close()
    assert html.read_bytes() == expected and PARCEL.encode() in expected
    with page.expect_download() as got:
        popup.locator("button.sl-document[data-format='pdf']").click()
    pdf = tmp_path / "doc.pdf"
    got.value.save_as(pdf)
    assert pdf.read_bytes()[:5] == b"%PDF-"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert PARCEL in text and "容积率" in text
    assert outside == []
