"""Web maps (folium): parcels by status, by an indicator (choropleth) or by eligibility, fully offline.

Folium builds the page — the Leaflet map, its optional basemap layer and scale control — and
standardland's own script (``web/static/standardland-map.js``) draws parcels, popups, legend,
search and the project form from a configuration that reaches the browser as **data**:

- **No runtime data is ever template text.** Branca's ``MacroElement.render`` wraps each macro's
  output in ``Element(text)``, which compiles it as a Jinja template; a parcel named ``{{ 6*7 }}``
  used to print 42, and a project name posted to ``/map`` was evaluated on the server. Here every
  element of the page renders its (fixed) macros into :class:`_Literal` text instead, which is
  placed in the page as is and never compiled. The page itself is :class:`_Page`, a
  ``Figure`` with a fixed template whose only variables are constants (``lang``) or escaped text.
- **The configuration is JSON in a** ``<script type="application/json" id="sl-config">``
  element, serialised with :func:`json_script_text` (UTF-8; ``<``, ``>``, ``&``, U+2028/2029
  escaped as ``\\u003c`` … so ``</script>`` cannot close it) and read by the page with
  ``JSON.parse(el.textContent)``. Popups and tooltips are built from DOM text nodes, so a parcel
  named ``<img src=x onerror=alert(1)>`` shows as text.
- **Every asset is served by standardland** from ``web/static`` (Leaflet vendored from the npm
  registry, see ``web/vendor.sh``): :class:`_Map` declares its own ``default_js``/``default_css``,
  the subclass hook folium offers; folium's class lists are left untouched for other maps.
- **Light**: parcels travel as columns (code, name, status, land use, area in m²; the page
  derives 亩/公顷 from ``area_m2`` with the factors of :mod:`standardland.units`), the park and the
  published thresholds once per distinct profile (their requirement texts rendered once per profile
  too), geometry serialised once by GEOS with coordinates rounded to :data:`COORD_DECIMALS`, JSON by
  orjson, and the finished payload joined into the rendered page (:data:`PAYLOAD_SLOT`).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import TypedDict

import folium
import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import shapely
from branca.element import CssLink, Element, Figure, JavascriptLink, MacroElement
from jinja2 import Environment

from . import codes, units
from .errors import InputError
from .labels import family, label, labels as all_labels, unit_names, unit_text
from .resources import web
from .rules.fields import PROMOTION_FIELDS, project_fields
from .rules.indicators import catalogue

EMBED_LIMIT = 10_000   # up to this many parcels the GeoJSON is embedded in the page
SVG_LIMIT = 2_000      # above this, parcels draw on a canvas
STATIC = "/static"
CONFIG_ID = "sl-config"
#: where the page's JSON goes once the (fixed) page is rendered: the 2.5 MB of 10,000 parcels are
#: joined in by one string operation, never handed to Jinja or MarkupSafe. Escaped JSON cannot
#: contain it (``<`` is ``\\u003c`` there), so it occurs once in a page, where the template put it.
PAYLOAD_SLOT = "<!--sl-payload-->"


@cache
def palette() -> dict:
    """The map's palette, one home (``web/palette.json``): status, verdict and choropleth colours, the
    no-value grey and the parcels' fill opacity and strokes. Sent to the page in its configuration and
    read by :mod:`standardland.styles` for the QGIS styles of an export."""
    return json.loads(web("palette.json").read_text(encoding="utf-8"))


STATUS_COLOURS = palette()["status"]
#: parcel statuses drawn with the red "standard land" outline (已公告: offered with its indicators published)
STANDARD_LAND_STATUSES = ("published",)
VERDICT_COLOURS = palette()["verdict"]
#: a parcel's fill under a what-if (``/map?whatif=ID``): pass→fail, fail→pass, a threshold moved, unchanged
WHATIF_COLOURS = palette()["whatif"]
SEQUENTIAL = palette()["sequential"]
PUBLIC_PROPS = ["code", "name", "park", "status", "land_use_code", "land_grade", "region_class", "area_m2",
                "area_mu", "area_ha"]
#: what every embedded feature carries (besides its code and geometry); the rest is per profile or derived
FEATURE_COLUMNS = ("name", "status", "land_use_code", "area_m2")
#: what parcels share: sent once per distinct combination (a "profile")
PROFILE_COLUMNS = ("park",)
COORD_DECIMALS = 7     # 1e-7° ≈ 1 cm
#: the units a planner may type a quantity in, by its canonical unit (the server's ``units`` converts:
#: the form sends ``{"value", "unit"}``); other canonical units are offered alone
UNIT_CHOICES = {"m²": ("亩", "公顷", "m²"), "万元": ("万元", "亿元")}
#: the unit a field's input starts in, where it is not the canonical one
PREFERRED_UNIT = {"land_area_m2": "亩"}
#: project fields the form leaves to the JSON editor ("advanced"): a list of industries with shares and
#: its policy, and the screening-table parcel column
FORM_ADVANCED_ONLY = ("industries", "multi_industry_policy", "parcel_code", *PROMOTION_FIELDS)  # not check inputs
#: the longest ``?project=`` (base64url of the project's JSON) a shareable check URL may carry
PROJECT_PARAM_LIMIT = 8000
#: the page's own fixed templates: autoescaped; HTML composed by folium's fixed macros and the escaped JSON
#: are the only values marked ``|safe``
_TEMPLATES = Environment(autoescape=True)
_JSON_SCRIPT_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                        ("\u2029", "\\u2029"))


def language(lang: str | None, accept_language: str | None = None) -> str:
    """``zh`` unless English is asked for (``?lang=en`` or an Accept-Language preferring en)."""
    if lang:
        return "en" if lang.lower().startswith("en") else "zh"
    if accept_language:
        first = accept_language.split(",")[0].strip().lower()
        if first.startswith("en"):
            return "en"
    return "zh"


def texts(lang: str) -> dict:
    """Every UI label of the map in ``lang`` (from ``web/i18n.json``, shared with the page's script)."""
    return all_labels(lang)


def json_script_text(obj=None, *, raw: str | None = None) -> str:
    """JSON for a ``<script type="application/json">`` element: UTF-8 as is, ``<``, ``>``, ``&`` and
    U+2028/U+2029 escaped (``\\u003c`` …), so no string in it can close the element or open a comment.

    ``raw`` is already-serialised JSON to escape the same way. NaN and infinities are refused
    (JSON has none); callers turn missing values into ``None`` first.
    """
    text = raw if raw is not None else _dumps(obj)
    for char, escaped in _JSON_SCRIPT_ESCAPES:  # str.replace per character: ~100× faster than str.translate
        text = text.replace(char, escaped)
    return text


# -- folium elements that never compile runtime text -----------------------------------------------

class _Literal(Element):
    """Text placed in the page as is: rendered output of a fixed template, never compiled itself."""

    def __init__(self, text: str):
        super().__init__()  # no template argument: nothing is compiled
        self._name = "Literal"
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


class _LiteralMacros:
    """Mixin for folium/branca ``MacroElement`` classes: render the class's fixed macros (header,
    html, script) into :class:`_Literal` children of the figure, where branca would wrap them in
    ``Element(text)`` and so compile their output (data included) as a new template."""

    default_js: list[tuple[str, str]] = []
    default_css: list[tuple[str, str]] = []

    def render(self, **kwargs) -> None:
        figure = self.get_root()
        assert isinstance(figure, Figure), "render the page from its Figure"
        for name, url in self.default_js:
            figure.header.add_child(JavascriptLink(url), name=name)
        for name, url in self.default_css:
            figure.header.add_child(CssLink(url), name=name)
        module = self._template.module.__dict__
        for part in ("header", "html", "script"):
            macro = module.get(part)
            if macro is not None:
                getattr(figure, part).add_child(_Literal(str(macro(self, kwargs))), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)


class _Map(_LiteralMacros, folium.Map):
    """A folium map whose assets are standardland's own (vendored Leaflet, the page script and style)."""

    default_js = [("leaflet", f"{STATIC}/vendor/leaflet/leaflet.js"),
                  ("standardland_dom_js", f"{STATIC}/standardland-dom.js"),
                  ("standardland_form_js", f"{STATIC}/standardland-form.js"),
                  ("standardland_beyond_js", f"{STATIC}/standardland-beyond.js"),
                  ("standardland_js", f"{STATIC}/standardland-map.js"),
                  ("standardland_scorecard_js", f"{STATIC}/standardland-scorecard.js"),
                  ("standardland_chains_js", f"{STATIC}/standardland-chains.js")]
    default_css = [("leaflet_css", f"{STATIC}/vendor/leaflet/leaflet.css"),
                   ("standardland_css", f"{STATIC}/standardland-map.css")]


class _TileLayer(_LiteralMacros, folium.TileLayer):
    """A configured basemap; its URL and attribution are JSON-escaped by folium and never compiled."""


class _Layers(_LiteralMacros, MacroElement):
    """The page's configuration as data, and the one call that hands the map to the page's script."""

    _template = _TEMPLATES.from_string("""
        {% macro html(this, kwargs) -%}
        <script type="application/json" id="{{ this.config_id }}">{{ this.slot|safe }}</script>
        {%- endmacro %}
        {% macro script(this, kwargs) -%}
        standardlandMap({{ this._parent.get_name() }}, "{{ this.config_id }}");
        {%- endmacro %}""")

    def __init__(self):
        super().__init__()
        self._name = "StandardlandLayers"
        self.config_id = CONFIG_ID   # a constant
        self.slot = PAYLOAD_SLOT     # a constant, replaced by the escaped JSON after rendering


class _Page(Figure):
    """The HTML page: a fixed template whose variables are constants (``lang``) or escaped (``title``)."""

    _template = _TEMPLATES.from_string("""<!DOCTYPE html>
<html lang="{{ this.lang }}">
<head>
<title>{{ this.page_title }}</title>
{{ this.header.render(**kwargs)|safe }}
</head>
<body>
{{ this.html.render(**kwargs)|safe }}
<script>
{{ this.script.render(**kwargs)|safe }}
</script>
</body>
</html>
""")

    def __init__(self, lang: str, title: str):
        super().__init__()
        self._name = "Page"
        self.lang = "zh-CN" if lang == "zh" else "en"
        self.page_title = title


# -- data for the page -----------------------------------------------------------------------------

def feature_properties(parcels: gpd.GeoDataFrame, thresholds: pd.DataFrame) -> pd.DataFrame:
    """Public fields, published thresholds and numeric parcel attributes (e.g. 亩均 actuals)."""
    props = parcels[PUBLIC_PROPS].copy()
    props = pd.concat([props, thresholds], axis=1)
    extra: dict[str, list] = {}
    for i, attrs in enumerate(parcels["attrs"]):
        for k, v in (attrs or {}).items():
            if isinstance(v, (int, float)) and not isinstance(v, bool) and not k.endswith(("_min", "_max")):
                extra.setdefault(k, [None] * len(parcels))[i] = v
    for k, vals in extra.items():
        if k not in props.columns:
            props[k] = vals
    return props


def colour_config(props: pd.DataFrame, prop: str, lang: str, classes: int = 5) -> dict:
    """Quantile classification of a numeric property, stated in the legend."""
    if prop not in props.columns or prop in ("code", "name", "park", "status", "land_use_code"):
        numeric = sorted(c for c in props.columns if c not in ("code", "name", "park", "status", "land_use_code")
                         and not c.endswith("_by"))
        raise InputError(f"'{prop}' is not a numeric parcel property", field="color",
                         expected="one of " + ", ".join(numeric))
    vals = pd.to_numeric(props[prop], errors="coerce").to_numpy(dtype="float64")
    finite = vals[np.isfinite(vals)]
    if len(finite) == 0:
        breaks: list[float] = []
    else:
        qs = np.quantile(finite, np.linspace(0, 1, classes + 1)[1:-1])
        breaks = sorted(set(float(q) for q in qs))
    colours = SEQUENTIAL[: len(breaks) + 1] if breaks else SEQUENTIAL[:1]
    t = texts(lang)
    return {"property": prop, "breaks": breaks, "colours": colours,
            "classification": t["classification_quantile"].replace("{n}", str(len(colours)))}


def _values(col: pd.Series, decimals: int | None = None) -> list:
    """A column as JSON-ready values: missing (None, NaN, ±inf) as ``None``, floats rounded."""
    if decimals is not None or pd.api.types.is_float_dtype(col.dtype):
        x = pd.to_numeric(col, errors="coerce").to_numpy(dtype="float64")
        if decimals is not None:
            x = np.round(x, decimals)
        ok = np.isfinite(x)
        out = x.astype(object)
        out[~ok] = None
        return out.tolist()
    return col.astype(object).where(col.notna(), None).tolist()


def _geometry_json(geoms, decimals: int = COORD_DECIMALS) -> str:
    """A JSON array of GeoJSON geometries, serialised once by GEOS (coordinates rounded)."""
    arr = np.asarray(geoms, dtype=object)
    if not len(arr):
        return "[]"
    rounded = shapely.transform(arr, lambda xy: np.round(xy, decimals))
    return "[" + ",".join(shapely.to_geojson(rounded, indent=None).tolist()) + "]"


def _profiles(shared: pd.DataFrame) -> tuple[np.ndarray, list[dict]]:
    """Rows of ``shared`` factorised: each row's profile number (in order of first appearance) and each
    profile once (nulls left out). Each column is factorised on its own (missing values, ``None`` or
    NaN, are one code) and the codes are combined column by column, so no row is hashed as a whole."""
    n = len(shared)
    if not n:
        return np.zeros(0, dtype=np.intp), []
    idx = np.zeros(n, dtype=np.int64)
    for name in shared.columns:
        codes, uniques = pd.factorize(shared[name], use_na_sentinel=True)  # missing: -1
        idx, _ = pd.factorize(idx * (len(uniques) + 1) + (codes + 1))       # stays < n: no overflow
    first = np.unique(idx, return_index=True)[1]
    profiles = []
    for rec in shared.iloc[first].to_dict("records"):
        profiles.append({k: v for k, v in rec.items()
                         if v is not None and not (isinstance(v, float) and not math.isfinite(v))})
    return idx, profiles


def _profile_texts(profiles: list[dict]) -> None:
    """Add ``<id>_text`` (:func:`standardland.rules.explain.required_texts`, the one rendering of a
    requirement) to each profile that has a published bound and no text yet: once per profile, not per
    parcel."""
    from .rules.explain import required_texts

    for ind in catalogue().indicators:
        i = ind.id
        todo = [p for p in profiles if f"{i}_text" not in p and (f"{i}_min" in p or f"{i}_max" in p)]
        if not todo:
            continue
        texts = required_texts([p.get(f"{i}_min") for p in todo], [p.get(f"{i}_max") for p in todo])
        for p, text in zip(todo, texts.tolist(), strict=True):
            if text is not None:
                p[f"{i}_text"] = text


def parcels_payload(parcels: gpd.GeoDataFrame, props: pd.DataFrame) -> dict:
    """The embedded parcels as columns: ``code`` (the feature id), :data:`FEATURE_COLUMNS` and
    ``profile`` (index into ``profiles``: the park and the published thresholds with their requirement
    texts, each set sent once). ``props`` may carry ``<id>_text`` already
    (:func:`standardland.services.published_properties`); otherwise the texts are rendered per profile."""
    cat = catalogue()
    threshold_cols = [f"{i.id}_{k}" for i in cat.indicators for k in ("min", "max", "by", "text")]
    shared_cols = [c for c in (*PROFILE_COLUMNS, *threshold_cols) if c in props.columns]
    profile, profiles = _profiles(props[shared_cols])
    _profile_texts(profiles)
    columns = {"name": _values(props["name"]), "status": _values(props["status"]),
               "land_use_code": _values(props["land_use_code"]), "area_m2": _values(props["area_m2"], 2),
               "profile": profile.tolist()}
    return {"code": _values(props["code"]), "columns": columns, "profiles": profiles}


_ORJSON = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def _dumps(obj) -> str:
    """Compact UTF-8 JSON (orjson); numpy scalars as numbers, NaN and infinities as null (JSON has none),
    dates as ISO text."""
    return orjson.dumps(obj, default=_plain, option=_ORJSON).decode("utf-8")


def _plain(o):
    if isinstance(o, np.generic):
        return _finite(o.item())
    if hasattr(o, "isoformat"):
        return o.isoformat()
    raise TypeError(f"{type(o).__name__} is not JSON serialisable")


def _finite(obj):
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


@dataclass(frozen=True)
class MapData:
    """What a map page shows of the store, serialised once (escaped JSON fragments) and reusable by
    every page until the store changes: ``api/web.py`` keeps one per ``?park=`` and store version."""

    parcels: gpd.GeoDataFrame | None   # None: too many to embed, the page loads them by bbox
    props: pd.DataFrame | None
    parcels_json: str                  # parcels_payload(), or null
    parcel_geometry_json: str          # a JSON array of GeoJSON geometries, or null
    boundaries_json: str               # {"code": [...], "name": [...]}
    boundary_geometry_json: str


def map_data(boundaries: gpd.GeoDataFrame, parcels: gpd.GeoDataFrame | None,
             props: pd.DataFrame | None) -> MapData:
    """Serialise the parcels (if embedded) and the context boundaries for :func:`render_map`."""
    pj, gj = "null", "null"
    if parcels is not None:
        pj = json_script_text(parcels_payload(parcels, props))
        gj = json_script_text(raw=_geometry_json(parcels.geometry.values))
    bj, bgj = _boundaries_json(boundaries)
    return MapData(parcels, props, pj, gj, bj, bgj)


_BOUNDARIES: dict[bytes, tuple[str, str]] = {}


def _boundaries_json(boundaries: gpd.GeoDataFrame) -> tuple[str, str]:
    """The context boundaries' escaped JSON (codes and names; simplified geometry): made once per content
    of the layer (a digest of its geometry, codes and names), as it changes far less often than parcels."""
    codes, names = _values(boundaries["adcode"]), _values(boundaries["name"])
    digest = hashlib.sha256()
    digest.update(_dumps([codes, names]).encode("utf-8"))
    for wkb in shapely.to_wkb(np.asarray(boundaries.geometry.values, dtype=object)).tolist() if len(boundaries) else []:
        digest.update(len(wkb).to_bytes(8, "little") + wkb)
    key = digest.digest()
    hit = _BOUNDARIES.get(key)
    if hit is None:
        simple = _simplified(boundaries)
        hit = (json_script_text({"code": codes, "name": names}), json_script_text(raw=_geometry_json(simple.geometry.values, 6)))
        if len(_BOUNDARIES) >= 4:
            _BOUNDARIES.pop(next(iter(_BOUNDARIES)))
        _BOUNDARIES[key] = hit
    return hit


def form_fields(lang: str) -> list[dict]:
    """The check form's fields, derived from the project field spec (:mod:`standardland.rules.fields`):
    name, kind, label, canonical unit and the units offered, constraint and bounds, required, default,
    choices and ``group`` (``project``; ``inputs``: the catalogue's inputs; ``direct``: an indicator
    given directly). Units offered are checked against :mod:`standardland.units` (same dimension)."""
    cat = catalogue()
    direct = set(cat.ids)
    out = []
    for f in project_fields().values():
        if f.tables_only or f.name in FORM_ADVANCED_ONLY:
            continue
        offered = list(UNIT_CHOICES.get(f.unit, (f.unit,))) if f.kind == "quantity" else []
        for u in offered:  # a unit of another dimension here would be refused by the server
            assert units.parse_unit(u)[0] == units.parse_unit(f.unit)[0], (f.name, u)
        label = f.label_zh if lang == "zh" else f.label_en
        out.append({"name": f.name, "kind": f.kind, "label": label, "unit": f.unit, "units": offered,
                    "defaultUnit": PREFERRED_UNIT.get(f.name, f.unit), "constraint": f.constraint,
                    "upper": f.upper, "required": f.required, "default": f.default,
                    "choices": list(f.choices), "expected": f.expected,
                    "group": "direct" if f.name in direct else "inputs" if f.kind == "quantity" else "project"})
    return out


class MapConfig(TypedDict):
    """The page's configuration (``payload.config`` in ``standardland-map.js``, whose JSDoc typedef
    ``Config`` lists the same keys; a test keeps the two in step)."""

    lang: str
    i18n: dict[str, str]
    mode: str
    legend: dict
    units: dict[str, str]
    areaFactors: dict[str, float]
    renderer: str
    parcelsUrl: str
    minLoadZoom: int
    loadLimit: int
    standardStatuses: list[str]
    statusColours: dict[str, str]
    unknownStatusColour: str
    parcelStyle: dict
    sizingStyle: dict  # the outline of parcels inside their sizing interval (standardland-beyond.js)
    standardStyle: dict
    verdictColours: dict[str, str]
    notAvailableColour: str
    noValueColour: str
    colour: dict
    colourLabel: str | None
    colourValues: list | None
    statusLabels: dict[str, str]
    landUse: dict[str, str]
    indicators: list[dict]
    indicatorNames: dict[str, str]
    eligibility: dict | None
    formProject: str
    formAction: str
    formFields: list[dict]
    formErrors: list[dict]
    industriesUrl: str
    projectParamLimit: int
    today: str
    rulesetTitles: dict[str, dict]
    otherLanguageUrl: str
    bounds: list[list[float]]
    chains: dict | None  # the industry-chain layer (standardland.chains.map_layer)
    sizing: dict | None
    whatif: dict | None


def class_labels(colour: dict) -> list[str]:
    """The legend's label of each class of a choropleth (:func:`colour_config`): ``−∞ – b0``,
    ``b0 – b1`` … ``bn – +∞``, a value equal to a break belonging to the class below it."""
    edges = colour["breaks"]
    out = []
    for i in range(len(colour["colours"])):
        lo = "−∞" if i == 0 else f"{edges[i - 1]:,.2f}"
        hi = "+∞" if i >= len(edges) else f"{edges[i]:,.2f}"
        out.append(f"{lo} – {hi}")
    return out


def colour_title(prop: str, lang: str) -> str:
    """The legend's title of a choropleth of ``prop``: 着色：亩均税收（万元/亩） / Coloured by: … (10k CNY/mu)."""
    unit = _property_unit(prop)
    shown = unit_text(unit, lang) if unit else ""
    title = texts(lang)["colour_by"] + _property_label(prop, lang)
    if shown:
        title += label("parens_unit", lang, unit=shown)
    return title


def _legend(t: dict, lang: str, colour: dict | None, eligibility: dict | None) -> tuple[str, dict]:
    if eligibility is not None:
        return "eligibility", {
            "title": t["legend_eligibility"], "note": None,
            "items": [{"colour": VERDICT_COLOURS[v], "label": t[v]} for v in ("pass", "fail", "incomplete")]
            + [{"colour": palette()["notAvailable"], "label": t["legend_not_available"]}]}
    if colour is not None:
        labels = [{"colour": c, "label": lab} for c, lab in zip(colour["colours"], class_labels(colour), strict=True)]
        return "indicator", {"title": colour_title(colour["property"], lang),
                             "items": labels + [{"colour": palette()["noValue"], "label": t["legend_no_value"]}],
                             "note": colour["classification"]}
    return "status", {"title": t["legend_status"], "note": None,
                      "items": [{"colour": c, "label": label(f"status_{s}", lang)}
                                for s, c in STATUS_COLOURS.items()]}


def render_map(*, lang: str, boundaries: gpd.GeoDataFrame | None = None,
               parcels: gpd.GeoDataFrame | None = None, props: pd.DataFrame | None = None, bounds,
               data: MapData | None = None, colour: dict | None = None, eligibility: dict | None = None,
               form_project: str = "", form_action: str = "/map", form_errors: list[dict] | None = None,
               industries_url: str = "/api/v1/industries", today: str | None = None,
               ruleset_titles: dict | None = None,
               other_language_url: str = "/map?lang=en", parcels_url: str = "/ogc/collections/parcels/items",
               basemap_url: str | None = None, basemap_attribution: str | None = None,
               chains: dict | None = None, sizing: dict | None = None, whatif: dict | None = None) -> str:
    """The map page's HTML. ``parcels=None`` means too many to embed: the page loads them by bbox.

    ``data`` is :func:`map_data` of (boundaries, parcels, props), computed here when not given.
    Every runtime value (parcel and park names, the visitor's project, URLs, labels) travels in the
    page's JSON configuration element; no template is compiled from it. ``sizing`` (after a check:
    :func:`standardland.analysis.parcel_view`) and ``whatif`` (``/map?whatif=ID``:
    :func:`standardland.whatif.map_changes`) are drawn by ``standardland-beyond.js``.
    """
    if data is None:
        data = map_data(boundaries, parcels, props)
    t = texts(lang)
    cat = catalogue()
    embedded = data.parcels is not None
    n = len(data.parcels) if embedded else 0
    (s, w), (nn, e) = bounds
    m = _Map(location=[(s + nn) / 2, (w + e) / 2], zoom_start=14, tiles=None, control_scale=True,
             prefer_canvas=embedded and n > SVG_LIMIT)
    page = _Page(lang, t["title"])
    page.add_child(m)
    if basemap_url:
        _TileLayer(tiles=basemap_url, attr=basemap_attribution or "basemap", name=t["layers_basemap"],
                   overlay=False, control=False).add_to(m)
    mode, legend = _legend(t, lang, colour, eligibility)
    colour_values = None
    if colour is not None and embedded:
        colour_values = _values(data.props[colour["property"]], 6)
    config: MapConfig = {
        "lang": lang, "i18n": t, "mode": mode, "legend": legend,
        "units": unit_names(lang),
        "areaFactors": {"mu_m2": units.MU_M2, "ha_m2": units.HA_M2},
        "renderer": "canvas" if embedded and n > SVG_LIMIT else "svg",
        "parcelsUrl": parcels_url, "minLoadZoom": 15, "loadLimit": 5000,
        "standardStatuses": list(STANDARD_LAND_STATUSES),
        "statusColours": STATUS_COLOURS, "unknownStatusColour": palette()["unknownStatus"],
        "parcelStyle": palette()["parcel"], "standardStyle": palette()["standard"],
        "sizingStyle": palette()["sizing"],
        "verdictColours": VERDICT_COLOURS, "notAvailableColour": palette()["notAvailable"],
        "noValueColour": palette()["noValue"], "colour": colour or {"property": None, "breaks": [], "colours": []},
        "colourLabel": _property_label(colour["property"], lang) if colour else None,
        "colourValues": colour_values,
        "statusLabels": family("status_", lang),
        "landUse": {c: label(f"land_use_{c}", lang) for c in codes.land_use_codes()
                    if c.startswith("10")},
        "indicators": [{"id": i.id, "name": i.name(lang), "unit": i.unit} for i in cat.indicators],
        "indicatorNames": {**{i.id: i.name(lang) for i in cat.indicators},
                           "land_use_class": label("land_use_check", lang)},
        "eligibility": eligibility, "formProject": form_project, "formAction": form_action,
        "formFields": form_fields(lang), "formErrors": list(form_errors or []), "industriesUrl": industries_url,
        "projectParamLimit": PROJECT_PARAM_LIMIT, "today": today or date.today().isoformat(),
        "rulesetTitles": ruleset_titles or {},
        "otherLanguageUrl": other_language_url, "bounds": [[s, w], [nn, e]], "chains": chains,
        "sizing": sizing, "whatif": whatif,  # standardland-beyond.js
    }
    # escaped fragments joined: escaping is per character, so the whole is escaped too
    payload = "".join(['{"config":', json_script_text(config), ',"parcels":', data.parcels_json,
                       ',"parcelGeometry":', data.parcel_geometry_json,
                       ',"boundaries":', data.boundaries_json,
                       ',"boundaryGeometry":', data.boundary_geometry_json, "}"])
    _Layers().add_to(m)
    head, slot, tail = page.render().partition(PAYLOAD_SLOT)
    assert slot and PAYLOAD_SLOT not in tail, "the page has one payload slot"
    return "".join((head, payload, tail))


def _simplified(gdf: gpd.GeoDataFrame, tolerance_deg: float = 0.0008) -> gpd.GeoDataFrame:
    """Context boundaries thinned to ~80 m and 1e-6° for display (the stored layer is untouched)."""
    geoms = shapely.simplify(np.asarray(gdf.geometry.values, dtype=object), tolerance_deg, preserve_topology=True)
    return gdf.set_geometry(shapely.set_precision(geoms, 1e-6))


def _property_unit(prop: str) -> str | None:
    """The unit of a colourable property (an indicator, its published bounds, an area), if it has one."""
    cat = catalogue()
    base = prop[:-4] if prop.endswith(("_min", "_max")) else prop
    if base in cat.ids:
        u = cat.get(base).unit
        return None if u in ("-", "class") else u
    return {"area_mu": "亩", "area_m2": "m²", "area_ha": "公顷"}.get(prop)


def _property_label(prop: str, lang: str) -> str:
    cat = catalogue()
    for suffix in ("_min", "_max", ""):
        base = prop[: -len(suffix)] if suffix and prop.endswith(suffix) else (prop if not suffix else None)
        if base and base in cat.ids:
            return cat.get(base).name(lang) + (label(f"prop_suffix{suffix}", lang) if suffix else "")
    return label(f"prop_{prop}", lang, default=prop)
