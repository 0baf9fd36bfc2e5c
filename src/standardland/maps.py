"""Web maps (folium): parcels by status, by an indicator (choropleth) or by eligibility, fully offline.

Folium builds the page; every script and stylesheet is served by standardland itself from
``web/static`` (Leaflet is vendored from the npm registry, see ``web/vendor.sh``). The CDN lists
are replaced on each map instance (``m.default_js`` / ``m.default_css``), never on folium's
shared classes. Parcels are styled in JavaScript from their properties by one function, popups
and tooltips are built from text nodes, and the configuration is embedded with Jinja's
``tojson`` (which escapes ``<``, ``>``, ``&`` and ``'``): a parcel named
``<img src=x onerror=alert(1)>`` shows as text.
"""

from __future__ import annotations

import html
import json
from functools import cache

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, JavascriptLink, MacroElement, Template

from . import codes
from .errors import InputError
from .rules.indicators import catalogue
from .parcels import STATUS_LABELS
from .resources import web

EMBED_LIMIT = 10_000   # up to this many parcels the GeoJSON is embedded in the page
SVG_LIMIT = 2_000      # above this, parcels draw on a canvas
STATIC = "/static"
STATUS_COLOURS = {"planned": "#d9d9d9", "serviced": "#9ecae1", "published": "#fdae6b", "listed": "#fd8d3c",
                  "transferred": "#bcbddc", "under_construction": "#ffd92f", "in_production": "#31a354",
                  "recovered": "#636363"}
VERDICT_COLOURS = {"pass": "#2ca02c", "fail": "#d62728", "incomplete": "#9467bd"}
SEQUENTIAL = ["#fff5eb", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704"]
UNITS_EN = {"亩": "mu", "公顷": "ha", "万元/亩": "10k CNY/mu", "万元/吨标煤": "10k CNY/tce", "万元/吨": "10k CNY/t",
            "万元": "10k CNY", "%": "%", "-": "", "class": "class"}
PUBLIC_PROPS = ["code", "name", "park", "status", "land_use_code", "land_grade", "region_class", "area_m2",
                "area_mu", "area_ha"]


@cache
def _i18n_doc() -> dict:
    return json.loads(web("i18n.json").read_text(encoding="utf-8"))


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
    return {k: v[lang] for k, v in _i18n_doc().items()}


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


class _Layers(MacroElement):
    """Calls ``standardlandMap(map, config)``; the config is escaped by Jinja's ``tojson``."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        standardlandMap({{ this._parent.get_name() }}, {{ this.config|tojson }});
        {% endmacro %}""")

    def __init__(self, config: dict):
        super().__init__()
        self._name = "StandardlandLayers"
        self.config = config


def _fc(gdf: gpd.GeoDataFrame, props: pd.DataFrame, shared: list[str] | None = None) -> tuple[dict, list]:
    """A FeatureCollection for the page: coordinates to 1e-7° (about 1 cm), null properties left out.

    The ``shared`` columns (the published thresholds, which most parcels of a park share) are sent
    once per distinct combination as a profile; each feature names its profile in ``tp`` and the
    page merges it back. That keeps 10,000 embedded parcels to a few MB.
    """
    geoms = shapely.transform(np.asarray(gdf.geometry.values, dtype=object), lambda xy: np.round(xy, 7))
    gjson = shapely.to_geojson(geoms, indent=None)
    shared = [c for c in (shared or []) if c in props.columns]
    own = props.drop(columns=shared)
    recs = json.loads(own.to_json(orient="records", force_ascii=False, double_precision=6))
    profiles: list[dict] = []
    tp = [None] * len(recs)
    if shared:
        sub = json.loads(props[shared].to_json(orient="records", force_ascii=False, double_precision=6))
        index: dict[str, int] = {}
        for i, r in enumerate(sub):
            key = json.dumps(r, sort_keys=True)
            if key not in index:
                index[key] = len(profiles)
                profiles.append({k: v for k, v in r.items() if v is not None})
            tp[i] = index[key]
    feats = []
    for g, r, t in zip(gjson, recs, tp):
        p = {k: v for k, v in r.items() if v is not None}
        if t is not None:
            p["tp"] = t
        feats.append({"type": "Feature", "id": r["code"], "geometry": json.loads(g), "properties": p})
    return {"type": "FeatureCollection", "features": feats}, profiles


def render_map(*, lang: str, boundaries: gpd.GeoDataFrame, parcels: gpd.GeoDataFrame | None,
               props: pd.DataFrame | None, bounds, colour: dict | None = None, eligibility: dict | None = None,
               form_project: str = "", form_action: str = "/map", other_language_url: str = "/map?lang=en",
               parcels_url: str = "/ogc/collections/parcels/items", basemap_url: str | None = None,
               basemap_attribution: str | None = None) -> str:
    """The map page's HTML. ``parcels=None`` means too many to embed: the page loads them by bbox."""
    t = texts(lang)
    cat = catalogue()
    embedded = parcels is not None
    n = len(parcels) if embedded else 0
    (s, w), (nn, e) = bounds
    m = folium.Map(location=[(s + nn) / 2, (w + e) / 2], zoom_start=14, tiles=None, control_scale=True,
                   prefer_canvas=embedded and n > SVG_LIMIT)
    # per-instance asset lists: folium's class-level CDN lists stay untouched for other maps
    m.default_js = [("leaflet", f"{STATIC}/vendor/leaflet/leaflet.js")]
    m.default_css = [("leaflet_css", f"{STATIC}/vendor/leaflet/leaflet.css"),
                     ("standardland_css", f"{STATIC}/standardland-map.css")]
    root = m.get_root()
    root.header.add_child(JavascriptLink(f"{STATIC}/standardland-map.js"), name="standardland_js")
    root.header.add_child(Element(f"<title>{html.escape(t['title'])}</title>"), name="title")
    if basemap_url:
        folium.TileLayer(tiles=basemap_url, attr=basemap_attribution or "basemap", name=t["layers_basemap"],
                         overlay=False, control=False).add_to(m)
    if eligibility is not None:
        mode = "eligibility"
        legend = {"title": t["legend_eligibility"],
                  "items": [{"colour": VERDICT_COLOURS[v], "label": t[v]} for v in ("pass", "fail", "incomplete")]
                  + [{"colour": "#e0e0e0", "label": t["legend_not_available"]}], "note": None}
    elif colour is not None:
        mode = "indicator"
        edges = colour["breaks"]
        labels = []
        for i, c in enumerate(colour["colours"]):
            lo = "−∞" if i == 0 else f"{edges[i - 1]:,.2f}"
            hi = "+∞" if i >= len(edges) else f"{edges[i]:,.2f}"
            labels.append({"colour": c, "label": f"{lo} – {hi}"})
        legend = {"title": t["colour_by"] + _property_label(colour["property"], lang),
                  "items": labels + [{"colour": "#e0e0e0", "label": t["legend_no_value"]}],
                  "note": colour["classification"]}
    else:
        mode = "status"
        legend = {"title": t["legend_status"], "note": None,
                  "items": [{"colour": c, "label": STATUS_LABELS[s_][0 if lang == "zh" else 1]}
                            for s_, c in STATUS_COLOURS.items()]}
    parcels_fc, profiles = (None, [])
    if embedded:
        threshold_cols = [f"{i.id}_{k}" for i in cat.indicators for k in ("min", "max", "by")]
        parcels_fc, profiles = _fc(parcels, props, shared=threshold_cols)
    config = {
        "lang": lang, "i18n": t, "mode": mode, "legend": legend,
        "units": UNITS_EN if lang == "en" else {},
        "renderer": "canvas" if embedded and n > SVG_LIMIT else "svg",
        "parcels": parcels_fc, "thresholdProfiles": profiles,
        "parcelsUrl": parcels_url, "minLoadZoom": 15, "loadLimit": 5000,
        "boundaries": _fc(_simplified(boundaries), boundaries[["adcode", "name"]].rename(columns={"adcode": "code"}))[0],
        "statusColours": STATUS_COLOURS, "verdictColours": VERDICT_COLOURS, "notAvailableColour": "#e0e0e0",
        "noValueColour": "#e0e0e0", "colour": colour or {"property": None, "breaks": [], "colours": []},
        "statusLabels": {k: v[0 if lang == "zh" else 1] for k, v in STATUS_LABELS.items()},
        "landUse": {c: (lu.name if lang == "zh" else _LAND_USE_EN.get(c, "")) for c, lu in codes.land_use_codes().items()
                    if c.startswith("10")},
        "indicators": [{"id": i.id, "name": i.name(lang), "unit": i.unit} for i in cat.indicators],
        "indicatorNames": {**{i.id: i.name(lang) for i in cat.indicators},
                           "land_use_class": "用地类别" if lang == "zh" else "Land-use class"},
        "eligibility": eligibility, "formProject": form_project, "formAction": form_action,
        "otherLanguageUrl": other_language_url, "bounds": [[s, w], [nn, e]],
    }
    _Layers(config).add_to(m)
    page = m.get_root().render()
    return page.replace("<html>", f'<html lang="{"zh-CN" if lang == "zh" else "en"}">', 1)


def _simplified(gdf: gpd.GeoDataFrame, tolerance_deg: float = 0.0008) -> gpd.GeoDataFrame:
    """Context boundaries thinned to ~80 m and 1e-6° for display (the stored layer is untouched)."""
    geoms = shapely.simplify(np.asarray(gdf.geometry.values, dtype=object), tolerance_deg, preserve_topology=True)
    return gdf.set_geometry(shapely.set_precision(geoms, 1e-6))


_LAND_USE_EN = {"10": "industrial and mining land", "1001": "industrial land", "100101": "class-1 industrial land",
                "100102": "class-2 industrial land", "100103": "class-3 industrial land", "1002": "mining land",
                "1003": "salt pans"}


def _property_label(prop: str, lang: str) -> str:
    cat = catalogue()
    for suffix, zh, en in (("_min", "下限", "minimum"), ("_max", "上限", "maximum"), ("", "", "")):
        base = prop[: -len(suffix)] if suffix and prop.endswith(suffix) else (prop if not suffix else None)
        if base and base in cat.ids:
            ind = cat.get(base)
            return (ind.name_zh + zh) if lang == "zh" else (ind.name_en + (" " + en if en else ""))
    names = {"area_mu": ("面积（亩）", "area (mu)"), "area_m2": ("面积（m²）", "area (m²)"),
             "area_ha": ("面积（公顷）", "area (ha)"), "land_grade": ("土地等别", "land grade"),
             "region_class": ("地区类别", "region class")}
    return names.get(prop, (prop, prop))[0 if lang == "zh" else 1]
