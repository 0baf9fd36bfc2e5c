"""Server-side template injection: runtime data is never template text.

A corpus of template syntaxes is used as project, parcel, park, rule-set and applicant names and
rendered through every HTML surface (the map, GET and POST, zh and en, choropleth and park filter;
the printable workflow documents; error responses). Each page must show the literal text —
escaped for its context — and never its value, and never answer 5xx. A guard then makes every
template compilation during a full render fail unless its source is a fixed template of the product
(or branca's constant ``<meta>`` tag), so a code path that compiles runtime data cannot pass.
"""

from __future__ import annotations

import ast
import json
import re
from contextlib import contextmanager
from pathlib import Path

import branca.element
import geopandas as gpd
import httpx
import jinja2
import markupsafe
import pytest
import shapely

from server import running_server
from standardland.api.auth import issue
from standardland.parcels import prepare_parcels
from standardland.sample import load_reference_data
from standardland.store import open_store
from standardland.workflow import applications as A

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = json.loads((ROOT / "api/examples/project.json").read_text("utf-8"))
PAYLOADS = ["{{7*7}}", "{% raw %}x{% endraw %}", "${7*7}", "#{7*7}", "<%= 7*7 %>", "{{ cycler.__init__ }}",
            "{{ 'it\"s' }}", "{{ \"a'b\" }}", "</script><script>alert(1)</script>", "{{ 6*7 }}"]
#: each payload framed by markers, so an evaluated value ("S3 49 E") cannot hide among coordinates
CORPUS = [f"S{i} {p} E" for i, p in enumerate(PAYLOADS)]
EVALUATED = [f"S{i} {v} E" for i in range(len(PAYLOADS)) for v in ("49", "42", "x", "")]
EVALUATED += ["bound method", "Cycler"]
PARK = "park " + PAYLOADS[0] + " " + PAYLOADS[8]          # a parcel's park, a park record, a rule set's scope
STD = "370613004002GB10001"                                 # a standard-land parcel of the sample park
CONFIG = re.compile(r'<script type="application/json" id="sl-config">(.*?)</script>', re.S)
FIRST_CORPUS_CODE = 70


def _strings(obj) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for k, v in obj.items() for s in _strings(k) + _strings(v)]
    if isinstance(obj, list):
        return [s for v in obj for s in _strings(v)]
    return []


def _never_evaluated(text: str) -> None:
    for ev in EVALUATED:
        assert ev not in text, ev


def _map_payload(html: str, basemap_attribution: str | None = None) -> dict:
    """The page's configuration, parsed as the browser does; nothing of the corpus outside it (but a
    configured basemap's attribution, which folium writes JSON-escaped into the tile layer's options)."""
    found = CONFIG.findall(html)
    assert len(found) == 1, "the configuration is one JSON script element"
    outside = CONFIG.sub("", html)
    for s in CORPUS:
        if s == basemap_attribution:
            assert f'"attribution": {json.dumps(s)}' in outside
            continue
        assert s not in outside
    assert "</script><script>alert(1)" not in found[0] and "<" not in found[0]
    _never_evaluated(html)
    return json.loads(found[0])


# -- the store -----------------------------------------------------------------------------------

def _load_corpus(store) -> dict:
    """Parcels, a park, a park rule set and applications named with the corpus; the application ids."""
    load_reference_data(store, with_sample=True)
    n = len(CORPUS)
    geoms = [shapely.box(121.4210 + 0.0016 * i, 37.4185, 121.4224 + 0.0016 * i, 37.4196) for i in range(n)]
    gdf = gpd.GeoDataFrame({"code": [f"370613004001GB{FIRST_CORPUS_CODE + i:05d}" for i in range(n)],
                            "name": CORPUS, "status": ["published"] * n, "land_use_code": ["100101"] * n,
                            "park": [PARK] * n}, geometry=geoms, crs=4490)
    store.import_parcels(prepare_parcels(gdf)[0])
    store.upsert_park({"code": PARK, "name": CORPUS[5], "name_en": CORPUS[8], "zone_tier": None})
    store.put_ruleset({"id": "ssti-park-2024", "series": "ssti-park", "layer": "park",
                       "effective_from": "2024-01-01", "scope": {"park": PARK}, "source": CORPUS[0] + CORPUS[6],
                       "rules": [{"indicator": "investment_intensity", "min": 320, "clause": CORPUS[1]}]})
    applicant = {"name": CORPUS[7], "role": "applicant"}
    ids = {}
    project = {**EXAMPLE, "name": CORPUS[6]}
    app_id = A.create(store, applicant, STD, project)["id"]
    A.transition(store, applicant, app_id, "submit", {})
    ids["check"] = app_id
    return ids


def _advance_to_inspection(store, app_id: int) -> None:
    """Through review, signing, construction and a failed acceptance (penalty lines) with real transitions."""
    from datetime import date

    who = {r: {"name": CORPUS[2] + " " + r, "role": r} for r in ("reviewer", "planner")}
    sign = {"signed_on": "2024-05-20", "agreed_start": "2024-06-01", "agreed_completion": "2025-12-31", "operating_years": 2,
            "penalty_terms": {"late_start_per_mille_per_day": 0.5, "late_completion_per_mille_per_day": 0.5,
                              "tax_shortfall_per_mu": True, "combine": "sum"}}
    accept = {"actuals": {"floor_area_m2": 150000, "building_footprint_m2": 50000, "office_living_land_m2": 6000,
                          "green_area_m2": 10000, "fixed_asset_investment_wan_yuan": 55000},
              "inspected_on": "2026-03-01"}
    steps = [("reviewer", "start_review", {}), ("reviewer", "approve", {}), ("planner", "sign_agreement", sign),
             ("planner", "start_construction", {"date": "2024-07-01"}),
             ("planner", "complete", {"date": "2026-02-01"}), ("reviewer", "accept", accept)]
    for role, action, body in steps:
        A.transition(store, who[role], app_id, action, body, today=date(2026, 6, 1))


@pytest.fixture(scope="module")
def corpus_site(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('ssti') / 'ssti.db'}"
    store = open_store(url)
    ids = _load_corpus(store)
    _advance_to_inspection(store, ids["check"])
    token = issue(store, name=CORPUS[3], role="viewer")
    store.close()
    with running_server(url) as base:
        yield base, url, ids, token


# -- every HTML surface ----------------------------------------------------------------------------

@pytest.mark.parametrize("params", [{}, {"lang": "en"}, {"color": "area_m2"}, {"color": "investment_intensity_min"},
                                    {"park": PARK}])
def test_map_get_shows_every_name_literally(corpus_site, params):
    base = corpus_site[0]
    r = httpx.get(base + "/map", params=params, timeout=60)
    assert r.status_code == 200, r.text[:500]
    payload = _map_payload(r.text)
    names = payload["parcels"]["columns"]["name"]
    for s in CORPUS:
        assert s in names  # exactly the literal, after JSON.parse
    assert {p.get("park") for p in payload["parcels"]["profiles"]} >= {PARK}
    assert "ssti-park-2024" in _strings(payload["parcels"]["profiles"])


@pytest.mark.parametrize("name", CORPUS)
def test_map_post_shows_the_project_literally(corpus_site, name):
    base = corpus_site[0]
    project = {**EXAMPLE, "name": name}
    for lang in ("zh", "en"):
        r = httpx.post(f"{base}/map?lang={lang}", data={"project": json.dumps(project, ensure_ascii=False)},
                       timeout=120)
        assert r.status_code == 200, r.text[:500]
        cfg = _map_payload(r.text)["config"]
        assert json.loads(cfg["formProject"])["name"] == name
        assert cfg["eligibility"]["verdicts"]


@pytest.mark.parametrize("kind", ["check", "agreement", "inspection"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_documents_show_names_escaped(corpus_site, kind, lang):
    base, _, ids, token = corpus_site
    r = httpx.get(f"{base}/api/v1/applications/{ids['check']}/documents/{kind}", params={"lang": lang},
                  headers={"Authorization": f"Bearer {token}"}, timeout=60)
    assert r.status_code == 200, r.text[:500]
    assert r.headers["content-type"].startswith("text/html")
    assert str(markupsafe.escape(CORPUS[6])) in r.text      # the project name, HTML-escaped
    assert CORPUS[6] not in r.text                           # … and never raw (it has quotes)
    assert "<script>" not in r.text
    _never_evaluated(r.text)


@pytest.mark.parametrize("name", CORPUS)
def test_error_responses_carry_the_literal_text(corpus_site, name):
    base, _, ids, token = corpus_site
    r = httpx.get(base + "/map", params={"color": name}, timeout=60)
    assert 400 <= r.status_code < 500
    assert any(name in s for s in _strings(r.json())), r.text
    _never_evaluated(r.text)
    r = httpx.post(base + "/map", data={"project": name}, timeout=60)   # not JSON at all
    assert 400 <= r.status_code < 500 and "project" in r.text
    _never_evaluated(r.text)
    r = httpx.get(f"{base}/api/v1/applications/{ids['check']}/documents/{httpx.QueryParams({'k': name})['k']}",
                  headers={"Authorization": f"Bearer {token}"}, timeout=60)
    assert 400 <= r.status_code < 500
    _never_evaluated(r.text)


def test_quotes_in_a_project_never_make_a_500(corpus_site):
    """The reported case: a name with a quote inside ``{{ }}`` made the map a 500 for every visitor."""
    base = corpus_site[0]
    project = {**EXAMPLE, "name": "x {{ 'a\" }} y", "industry_name": "{{ 7*7 }}"}
    r = httpx.post(base + "/map", data={"project": json.dumps(project)}, timeout=60)
    assert r.status_code < 500, r.text[:300]
    r = httpx.post(base + "/map", data={"project": "[" * 10_000 + "]" * 10_000}, timeout=60)
    assert 400 <= r.status_code < 500 and "project" in r.text and "nested too deeply" in r.text


# -- the guard: no template is compiled from runtime text -------------------------------------------

#: template sources the product may compile: its template files and branca's constant <meta> tag
FIXED_SOURCES = {p.read_text("utf-8") for p in (ROOT / "web/templates").glob("*.html")} | {
    '<meta http-equiv="content-type" content="text/html; charset=UTF-8" />'}


class RuntimeTemplate(AssertionError):
    pass


@contextmanager
def no_runtime_templates(monkeypatch):
    """Every route to a compiled template — ``Environment.compile`` (which ``from_string``,
    ``Template()`` and file loaders all reach), ``Environment.from_string``, ``Template.__new__`` and
    branca's ``Element(template)`` — raises unless the source is one of :data:`FIXED_SOURCES`."""
    seen: list[str] = []

    def check(source):
        if isinstance(source, str) and source not in FIXED_SOURCES:
            raise RuntimeTemplate(f"template compiled from runtime text: {source[:120]!r}")
        seen.append(source)

    real_compile, real_from_string = jinja2.Environment.compile, jinja2.Environment.from_string
    real_new, real_element = jinja2.Template.__new__, branca.element.Element.__init__

    def compile_(self, source, *a, **k):
        check(source)
        return real_compile(self, source, *a, **k)

    def from_string(self, source, *a, **k):
        check(source)
        return real_from_string(self, source, *a, **k)

    def new(cls, source="", *a, **k):
        check(source)
        return real_new(cls, source, *a, **k)

    def element(self, template=None, template_name=None):
        if template is not None:
            check(template)
        return real_element(self, template=template, template_name=template_name)

    with monkeypatch.context() as m:
        m.setattr(jinja2.Environment, "compile", compile_)
        m.setattr(jinja2.Environment, "from_string", from_string)
        m.setattr(jinja2.Template, "__new__", new)
        m.setattr(branca.element.Element, "__init__", element)
        yield seen


def test_the_guard_catches_what_branca_does_with_macro_output(monkeypatch):
    """The guard can fail: branca's own MacroElement compiles its macro output, data included."""
    import folium

    with no_runtime_templates(monkeypatch):
        with pytest.raises(RuntimeTemplate):
            branca.element.Element("{{ 6*7 }}")
        with pytest.raises(RuntimeTemplate):
            jinja2.Template("S {{ 7*7 }} E")
        with pytest.raises(RuntimeTemplate):
            jinja2.Environment().from_string("{{ 7*7 }}")
        m = folium.Map(location=[37.4, 121.4], tiles=None)
        with pytest.raises(RuntimeTemplate):
            m.get_root().render()


def test_no_template_is_compiled_from_runtime_data_in_a_full_render(tmp_path, monkeypatch):
    """The map GET (zh, en, choropleth, basemap) and POST, every document and an error, in process."""
    from fastapi.testclient import TestClient

    from standardland.api import Settings, create_app

    url = f"sqlite:///{tmp_path / 'guard.db'}"
    store = open_store(url)
    ids = _load_corpus(store)
    _advance_to_inspection(store, ids["check"])
    token = issue(store, name=CORPUS[4], role="viewer")
    settings = Settings(db=url, basemap_url="http://tiles.intranet.local/{z}/{x}/{y}.png?k=" + PAYLOADS[0],
                        basemap_attribution=CORPUS[5])
    client = TestClient(create_app(settings, store=store), raise_server_exceptions=True)
    auth = {"Authorization": f"Bearer {token}"}
    with no_runtime_templates(monkeypatch) as seen:
        for params in ({}, {"lang": "en"}, {"color": "area_m2"}, {"park": PARK}):
            r = client.get("/map", params=params)
            assert r.status_code == 200
            _map_payload(r.text, basemap_attribution=CORPUS[5])
        r = client.post("/map", data={"project": json.dumps({**EXAMPLE, "name": CORPUS[0]})})
        assert r.status_code == 200
        assert json.loads(_map_payload(r.text, CORPUS[5])["config"]["formProject"])["name"] == CORPUS[0]
        for kind in ("check", "agreement", "inspection"):
            r = client.get(f"/api/v1/applications/{ids['check']}/documents/{kind}", headers=auth)
            assert r.status_code == 200 and str(markupsafe.escape(CORPUS[6])) in r.text
        assert 400 <= client.get("/map", params={"color": CORPUS[1]}).status_code < 500
    assert seen, "the documents' fixed template was compiled under the guard"
    store.close()


# -- and a static check of the source --------------------------------------------------------------

def test_no_template_constructor_takes_a_non_literal_in_src():
    """``Template(…)``, ``Element(…)`` and ``from_string(…)`` in ``src/`` only ever take a string literal."""
    offenders = []
    for path in (ROOT / "src").rglob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        # ElementTree's Element builds XML nodes (no template engine): its aliases in this file are skipped
        xml_aliases = {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
                       if a.name == "xml.etree.ElementTree"}
        xml_aliases |= {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
                        and n.module in ("xml.etree", "xml.etree.ElementTree") for a in n.names
                        if a.name in ("ElementTree", "Element")}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            fn = node.func
            name = fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(fn, ast.Attribute) else None
            if name not in ("Template", "Element", "from_string", "Markup"):
                continue
            if (isinstance(fn, ast.Attribute) and isinstance(fn.value, ast.Name) and fn.value.id in xml_aliases) \
                    or (isinstance(fn, ast.Name) and fn.id in xml_aliases):
                continue
            args = list(node.args) + [k.value for k in node.keywords if k.arg in ("source", "template")]
            if any(not (isinstance(a, ast.Constant) and isinstance(a.value, str)) for a in args):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {ast.unparse(node)[:80]}")
    assert not offenders, offenders
