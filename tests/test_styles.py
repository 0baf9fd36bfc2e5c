"""QGIS styles of a GeoPackage export: the same palette, labels and classes as the web map."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pyogrio
import pytest

from standardland import maps, services, styles
from standardland.errors import InputError

SE = "{http://www.opengis.net/se}"
OGC = "{http://www.opengis.net/ogc}"
BOUNDS = ((37.39, 121.41), (37.42, 121.45))


def page_config(store, lang: str, colour: dict | None = None) -> dict:
    """The configuration the map page really sends (rendered, then read back from the page)."""
    gdf = store.parcels()
    html = maps.render_map(lang=lang, boundaries=store.boundaries(), parcels=gdf, bounds=BOUNDS, colour=colour,
                           props=maps.feature_properties(gdf, services.published_thresholds(store, gdf)))
    payload = re.search(r'<script type="application/json" id="sl-config">(.*?)</script>', html, re.S)[1]
    return json.loads(payload)["config"]


def style_rows(path) -> list[dict]:
    df = pyogrio.read_dataframe(path, layer="layer_styles")
    return df.to_dict("records")


def qml_root(text: str) -> ET.Element:
    assert text.startswith("<!DOCTYPE qgis")
    return ET.fromstring(text.split("\n", 1)[1])


def symbol_props(root: ET.Element) -> dict[str, dict[str, str]]:
    """symbol name → its SimpleFill options (from the QGIS ≥ 3.16 <Option> map; the <prop> copy must agree)."""
    out = {}
    for sym in root.iter("symbol"):
        layer = sym.find("layer")
        assert layer.get("class") == "SimpleFill"
        opts = {o.get("name"): o.get("value") for o in layer.find("Option").findall("Option")}
        legacy = {p.get("k"): p.get("v") for p in layer.findall("prop")}
        assert opts == legacy
        out[sym.get("name")] = opts
    return out


def hex_rgba(hex_colour: str, opacity: float) -> str:
    h = hex_colour.lstrip("#")
    h = "".join(c * 2 for c in h) if len(h) == 3 else h
    return ",".join(str(int(h[i:i + 2], 16)) for i in (0, 2, 4)) + f",{round(opacity * 255)}"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_status_qml_carries_the_maps_colours_and_labels_for_every_status(park_store, tmp_path, lang):
    path = services.export_parcels(park_store, park_store.parcels(), tmp_path / "p.gpkg", lang=lang)
    cfg = page_config(park_store, lang)
    [row] = style_rows(path)
    assert row["useAsDefault"] and row["f_table_name"] == "parcels" and row["f_geometry_column"] == "geom"
    assert row["styleName"] == cfg["legend"]["title"]
    root = qml_root(row["styleQML"])
    ren = root.find("renderer-v2")
    assert (ren.get("type"), ren.get("attr")) == ("categorizedSymbol", "status")
    cats = {c.get("value"): c for c in ren.find("categories")}
    syms = symbol_props(root)
    assert set(cats) == set(cfg["statusColours"]) and len(cats) == 8
    opacity = cfg["parcelStyle"]["fillOpacity"]
    for status, colour in cfg["statusColours"].items():
        cat = cats[status]
        assert cat.get("label") == cfg["statusLabels"][status]
        sym = syms[cat.get("symbol")]
        assert sym["color"] == hex_rgba(colour, opacity), status
        line = cfg["standardStyle"] if status in cfg["standardStatuses"] else cfg["parcelStyle"]
        assert sym["outline_color"] == hex_rgba(line["stroke"], 1)
        assert float(sym["outline_width"]) == line["weight"] and sym["outline_width_unit"] == "Pixel"
    # the legend of the page lists the same labels in the same colours
    assert [(i["colour"], i["label"]) for i in cfg["legend"]["items"]] == \
        [(cfg["statusColours"][c.get("value")], c.get("label")) for c in ren.find("categories")]
    # SLD: one rule per status, the same fill, opacity and outline
    sld = ET.fromstring(row["styleSLD"].split("\n", 1)[1])
    rules = sld.findall(f".//{SE}Rule")
    assert len(rules) == 8
    for rule in rules:
        status = rule.find(f"{OGC}Filter/{OGC}PropertyIsEqualTo/{OGC}Literal").text
        fill = {p.get("name"): p.text for p in rule.findall(f"{SE}PolygonSymbolizer/{SE}Fill/{SE}SvgParameter")}
        assert fill == {"fill": cfg["statusColours"][status], "fill-opacity": f"{opacity:g}"}
        assert rule.find(f"{SE}Name").text == cfg["statusLabels"][status]


def test_the_geopackage_opens_with_its_style_registered_as_qgis_does(park_store, tmp_path):
    path = services.export_parcels(park_store, park_store.parcels(), tmp_path / "p.gpkg")
    layers = {name: geom for name, geom in pyogrio.list_layers(path)}
    assert layers == {"parcels": "MultiPolygon", "layer_styles": None}
    assert len(pyogrio.read_dataframe(path, layer="parcels")) == 35
    with sqlite3.connect(path) as con:
        cols = [r[1] for r in con.execute("PRAGMA table_info(layer_styles)")]
        assert cols == ["id", "f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column", "styleName",
                        "styleQML", "styleSLD", "useAsDefault", "description", "owner", "ui", "update_time"]
        assert con.execute("SELECT data_type, identifier FROM gpkg_contents WHERE table_name = 'layer_styles'"
                           ).fetchall() == [("attributes", "layer_styles")]
        assert con.execute("SELECT feature_count FROM gpkg_ogr_contents WHERE table_name = 'layer_styles'"
                           ).fetchall() == [(1,)]
    # a second export into the same file replaces the layer's styles, one default
    services.export_parcels(park_store, park_store.parcels(), path, style="indicator:tax_per_mu")
    rows = style_rows(path)
    assert [r["useAsDefault"] for r in rows] == [True, False]
    assert pyogrio.read_info(path, layer="layer_styles")["features"] == 2


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_graduated_breaks_and_colours_equal_the_maps(park_store, tmp_path, lang):
    gdf = park_store.parcels()
    path = services.export_parcels(park_store, gdf, tmp_path / "p.gpkg", lang=lang, style="indicator:tax_per_mu")
    props = maps.feature_properties(gdf, services.published_thresholds(park_store, gdf))
    cfg = page_config(park_store, lang, colour=maps.colour_config(props, "tax_per_mu", lang))
    rows = style_rows(path)
    assert [r["useAsDefault"] for r in rows] == [True, False]  # the choropleth, then the status style
    row = rows[0]
    assert row["styleName"] == cfg["legend"]["title"][:30]
    root = qml_root(row["styleQML"])
    ren = root.find("renderer-v2")
    assert (ren.get("type"), ren.get("attr")) == ("graduatedSymbol", "tax_per_mu")
    ranges = ren.find("ranges").findall("range")
    breaks = cfg["colour"]["breaks"]
    assert len(breaks) == 4 and len(ranges) == 5
    assert [float(r.get("upper")) for r in ranges[:-1]] == pytest.approx(breaks, rel=1e-12)
    assert [float(r.get("lower")) for r in ranges[1:]] == pytest.approx(breaks, rel=1e-12)
    syms = symbol_props(root)
    opacity = cfg["parcelStyle"]["fillOpacity"]
    assert [syms[r.get("symbol")]["color"] for r in ranges] == [hex_rgba(c, opacity) for c in cfg["colour"]["colours"]]
    assert [(i["colour"], i["label"]) for i in cfg["legend"]["items"][:-1]] == \
        [(c, r.get("label")) for c, r in zip(cfg["colour"]["colours"], ranges, strict=True)]
    # every exported value falls in the class the map gives it (QGIS: the first range holding it)
    values = pyogrio.read_dataframe(path, layer="parcels")["tax_per_mu"].to_numpy(dtype="float64")
    bounds = [(float(r.get("lower")), float(r.get("upper"))) for r in ranges]
    for v in values[np.isfinite(values)]:
        qgis = next(i for i, (lo, hi) in enumerate(bounds) if lo <= v <= hi)
        leaflet = next((i for i, b in enumerate(breaks) if v <= b), len(breaks))
        assert qgis == leaflet, v
    # standard land keeps the map's red outline over the choropleth (data-defined in QML, a rule in SLD)
    dd = root.find(".//symbol/layer/data_defined_properties")
    assert "'published'" in ET.tostring(dd, encoding="unicode")
    sld = ET.fromstring(row["styleSLD"].split("\n", 1)[1])
    rules = sld.findall(f".//{SE}Rule")
    fills = [p.text for p in sld.iter(f"{SE}SvgParameter") if p.get("name") == "fill"]
    assert fills == cfg["colour"]["colours"] + [cfg["noValueColour"]]
    assert rules[-2].find(f"{OGC}Filter/{OGC}PropertyIsNull") is not None
    literals = [float(x.text) for x in rules[0].iter(f"{OGC}Literal")] + \
        [float(x.text) for r in rules[1:5] for x in r.iter(f"{OGC}Literal")]
    assert sorted(set(literals)) == pytest.approx(breaks, rel=1e-12)


def test_bad_styles_are_refused_naming_the_field(park_store, tmp_path):
    gdf = park_store.parcels()
    for style, match in (("colour", "not known"), ("indicator:", "not known"), ("indicator:name", "not a numeric")):
        with pytest.raises(InputError, match=match) as err:
            services.export_parcels(park_store, gdf, tmp_path / "p.gpkg", style=style)
        assert err.value.field == "style"
    with pytest.raises(InputError, match="GeoPackage only") as err:
        services.export_parcels(park_store, gdf, tmp_path / "p.csv", style="status")
    assert err.value.field == "style" and not (tmp_path / "p.csv").exists()


def test_rgba_of_short_and_long_colours():
    assert styles.rgba("#333") == styles.rgba("#333333") == "51,51,51,255"
    assert styles.rgba("#fdae6b", 0.65) == "253,174,107,166"


def test_cli_export_writes_the_choropleth_style(store_url, tmp_path):
    from standardland.sample import load_reference_data
    from standardland.store import open_store

    s = open_store(store_url)
    load_reference_data(s, with_sample=True)
    s.close()
    out = tmp_path / "x.gpkg"
    p = subprocess.run([sys.executable, "-m", "standardland.cli", "parcels", "export", str(out), "--db", store_url,
                        "--style", "indicator:tax_per_mu", "--lang", "en", "--json"],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    rows = style_rows(out)
    assert rows[0]["styleName"].startswith("Coloured by: ") and rows[1]["styleName"] == "Parcel status"
    p = subprocess.run([sys.executable, "-m", "standardland.cli", "parcels", "export", str(tmp_path / "y.gpkg"),
                        "--db", store_url, "--style", "bogus"], capture_output=True, text=True, timeout=300)
    assert p.returncode != 0 and "style" in (p.stdout + p.stderr)
