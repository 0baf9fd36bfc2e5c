"""QGIS styles that match the web map, written into a GeoPackage's ``layer_styles`` table.

``parcels export x.gpkg`` stores, next to the parcels, the style QGIS applies when it opens the
layer: the parcels coloured by status exactly as ``/map`` draws them, or (``--style
indicator:tax_per_mu``) the same quantile choropleth. Everything comes from the map's own homes:

- colours, fill opacity and outlines from the palette (:func:`standardland.maps.palette`,
  ``web/palette.json``), which the page receives in its configuration too;
- the status labels the map's legend shows (:data:`standardland.parcels.STATUS_LABELS`), in the
  export's language (zh by default);
- the classes of a choropleth from :func:`standardland.maps.colour_config` (same breaks, same
  colours) and their labels from :func:`standardland.maps.class_labels`.

Each style is written twice, as QGIS does: QML (a ``categorizedSymbol`` renderer on ``status``, a
``graduatedSymbol`` renderer for an indicator) and SLD 1.1 (one rule per class). The XML is built
with :mod:`xml.etree.ElementTree`, so parcel data and labels are escaped, never templated.

The ``layer_styles`` table has the schema QGIS's OGR provider creates (``saveStyle``: an attribute
table with ``id`` as FID, ``f_table_catalog``, ``f_table_schema``, ``f_table_name``,
``f_geometry_column``, ``styleName``, ``styleQML``, ``styleSLD``, ``useAsDefault``, ``description``,
``owner``, ``ui``, ``update_time``), and it is registered the same way OGR registers it: a row in
``gpkg_contents`` with ``data_type = 'attributes'`` and one in ``gpkg_ogr_contents`` with its
feature-count triggers. OGR adds no ``gpkg_extensions`` row for it, and neither does this module.

Standard land (已公告) keeps the map's red outline in every style: in the status style through its
category's symbol; over a choropleth through data-defined outline colour and width in QML and a last
outline-only rule in SLD (the map's overlay layer).

How QGIS and the map differ, stated rather than hidden: Leaflet assigns a value equal to a break to
the class below it, and so does QGIS's graduated renderer (the first range whose ``lower ≤ v ≤
upper``), so the classes agree. A parcel without a value is grey on the map; QGIS's graduated
renderer does not draw features whose value is NULL, so the QML leaves them undrawn while the SLD
carries an explicit ``PropertyIsNull`` rule in the map's grey.
"""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from . import maps
from .errors import InputError
from .parcels import STATUS_LABELS

#: the QGIS version the QML declares (any QGIS 3 reads it: symbol layers carry both the
#: ``<Option>`` map of QGIS ≥ 3.16 and the older ``<prop>`` elements)
QGIS_VERSION = "3.34.0-Prizren"
_DOCTYPE = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
_SLD_NS = {"": "http://www.opengis.net/sld", "ogc": "http://www.opengis.net/ogc",
           "se": "http://www.opengis.net/se", "xlink": "http://www.w3.org/1999/xlink",
           "xsi": "http://www.w3.org/2001/XMLSchema-instance"}
#: the layer_styles table as QGIS's OGR provider creates it in a GeoPackage (the DDL GDAL emits for
#: QGIS's field definitions: widths 256/30, a boolean, a timestamp defaulting to now)
LAYER_STYLES_DDL = (
    'CREATE TABLE "layer_styles" ( "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, '
    '"f_table_catalog" TEXT(256), "f_table_schema" TEXT(256), "f_table_name" TEXT(256), '
    '"f_geometry_column" TEXT(256), "styleName" TEXT(30), "styleQML" TEXT, "styleSLD" TEXT, '
    '"useAsDefault" BOOLEAN, "description" TEXT, "owner" TEXT(30), "ui" TEXT(30), '
    "\"update_time\" DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))")
_COUNT_TRIGGERS = (
    'CREATE TRIGGER "trigger_insert_feature_count_layer_styles" AFTER INSERT ON "layer_styles" BEGIN '
    "UPDATE gpkg_ogr_contents SET feature_count = feature_count + 1 "
    "WHERE lower(table_name) = lower('layer_styles'); END",
    'CREATE TRIGGER "trigger_delete_feature_count_layer_styles" AFTER DELETE ON "layer_styles" BEGIN '
    "UPDATE gpkg_ogr_contents SET feature_count = feature_count - 1 "
    "WHERE lower(table_name) = lower('layer_styles'); END")


@dataclass(frozen=True)
class Style:
    """One style of the parcels layer: its name, description and the two encodings QGIS stores.

    Examples
    --------
    >>> s = status_style("en")
    >>> s.name, s.qml.startswith("<!DOCTYPE qgis"), "StyledLayerDescriptor" in s.sld
    ('Parcel status', True, True)
    """

    name: str
    description: str
    qml: str
    sld: str


def rgba(hex_colour: str, opacity: float = 1.0) -> str:
    """A ``#rrggbb`` (or ``#rgb``) colour and an opacity as QGIS writes a colour: ``r,g,b,a`` (0–255).

    Examples
    --------
    >>> rgba("#fdae6b", 0.65)
    '253,174,107,166'
    >>> rgba("#333")
    '51,51,51,255'
    """
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"{r},{g},{b},{round(opacity * 255)}"


def _hex6(hex_colour: str) -> str:
    h = hex_colour.lstrip("#")
    return "#" + ("".join(c * 2 for c in h) if len(h) == 3 else h).lower()


def _fill(colour: str, *, standard: bool = False) -> dict:
    """The map's look of a parcel filled with ``colour``: fill opacity and outline (standard land: red)."""
    pal = maps.palette()
    line = pal["standard"] if standard else pal["parcel"]
    return {"colour": colour, "opacity": pal["parcel"]["fillOpacity"], "stroke": line["stroke"],
            "weight": line["weight"]}


# -- QML -------------------------------------------------------------------------------------------

def _option(parent: ET.Element, name: str, value: str) -> None:
    ET.SubElement(parent, "Option", {"type": "QString", "name": name, "value": value})


def _standard_outline() -> dict[str, str]:
    """QGIS expressions giving standard land the map's red outline whatever the fill (data-defined)."""
    pal = maps.palette()
    cond = '"status" IN (' + ", ".join(f"'{s}'" for s in maps.STANDARD_LAND_STATUSES) + ")"
    return {"outlineColor": f"CASE WHEN {cond} THEN '{rgba(pal['standard']['stroke'])}' "
                            f"ELSE '{rgba(pal['parcel']['stroke'])}' END",
            "outlineWidth": f"CASE WHEN {cond} THEN {pal['standard']['weight']:g} ELSE {pal['parcel']['weight']:g} END"}


def _symbol(parent: ET.Element, name: str, look: dict, overrides: dict[str, str] | None = None) -> None:
    """A QGIS fill symbol (SimpleFill) with the map's fill, opacity and outline in screen pixels;
    ``overrides`` are data-defined properties (QGIS property name → expression)."""
    sym = ET.SubElement(parent, "symbol", {"type": "fill", "name": name, "alpha": "1", "clip_to_extent": "1",
                                            "force_rhr": "0", "frame_rate": "10", "is_animated": "0"})
    layer = ET.SubElement(sym, "layer", {"class": "SimpleFill", "enabled": "1", "locked": "0", "pass": "0"})
    if overrides:
        ddp = ET.SubElement(ET.SubElement(layer, "data_defined_properties"), "Option", {"type": "Map"})
        _option(ddp, "name", "")
        props_el = ET.SubElement(ddp, "Option", {"type": "Map", "name": "properties"})
        for key, expression in overrides.items():
            prop_el = ET.SubElement(props_el, "Option", {"type": "Map", "name": key})
            ET.SubElement(prop_el, "Option", {"type": "bool", "name": "active", "value": "true"})
            _option(prop_el, "expression", expression)
            ET.SubElement(prop_el, "Option", {"type": "int", "name": "type", "value": "3"})  # an expression
        _option(ddp, "type", "collection")
    props = {"border_width_map_unit_scale": "3x:0,0,0,0,0,0", "color": rgba(look["colour"], look["opacity"]),
             "joinstyle": "round", "offset": "0,0", "offset_map_unit_scale": "3x:0,0,0,0,0,0",
             "offset_unit": "MM", "outline_color": rgba(look["stroke"]), "outline_style": "solid",
             "outline_width": f"{look['weight']:g}", "outline_width_unit": "Pixel", "style": "solid"}
    opts = ET.SubElement(layer, "Option", {"type": "Map"})
    for k, v in props.items():
        _option(opts, k, v)
    for k, v in props.items():  # QGIS < 3.16 reads these
        ET.SubElement(layer, "prop", {"k": k, "v": v})


def _qml(renderer: ET.Element) -> str:
    root = ET.Element("qgis", {"version": QGIS_VERSION, "styleCategories": "Symbology"})
    root.append(renderer)
    for tag, text in (("blendMode", "0"), ("featureBlendMode", "0"), ("layerOpacity", "1")):
        ET.SubElement(root, tag).text = text
    ET.indent(root)
    return _DOCTYPE + ET.tostring(root, encoding="unicode")


def _renderer(kind: str, attr: str) -> ET.Element:
    return ET.Element("renderer-v2", {"type": kind, "attr": attr, "forceraster": "0", "symbollevels": "0",
                                      "enableorderby": "0", "referencescale": "-1"})


# -- SLD -------------------------------------------------------------------------------------------

def _se(tag: str) -> str:
    return f"{{{_SLD_NS['se']}}}{tag}"


def _ogc(tag: str) -> str:
    return f"{{{_SLD_NS['ogc']}}}{tag}"


def _sld_rule(fts: ET.Element, label: str, look: dict, condition: ET.Element | None) -> None:
    rule = ET.SubElement(fts, _se("Rule"))
    ET.SubElement(rule, _se("Name")).text = label
    ET.SubElement(ET.SubElement(rule, _se("Description")), _se("Title")).text = label
    if condition is not None:
        ET.SubElement(rule, _ogc("Filter")).append(condition)
    sym = ET.SubElement(rule, _se("PolygonSymbolizer"))
    if look is None:  # the outline of standard land only (the map's overlay layer)
        line = maps.palette()["standard"]
        look = {"stroke": line["stroke"], "weight": line["weight"]}
    else:
        fill = ET.SubElement(sym, _se("Fill"))
        for k, v in (("fill", _hex6(look["colour"])), ("fill-opacity", f"{look['opacity']:g}")):
            ET.SubElement(fill, _se("SvgParameter"), {"name": k}).text = v
    stroke = ET.SubElement(sym, _se("Stroke"))
    for k, v in (("stroke", _hex6(look["stroke"])), ("stroke-width", f"{look['weight']:g}"),
                 ("stroke-linejoin", "round")):
        ET.SubElement(stroke, _se("SvgParameter"), {"name": k}).text = v


def _compare(op: str, prop: str, literal) -> ET.Element:
    el = ET.Element(_ogc(op))
    ET.SubElement(el, _ogc("PropertyName")).text = prop
    if literal is not None:
        ET.SubElement(el, _ogc("Literal")).text = literal if isinstance(literal, str) else repr(float(literal))
    return el


def _standard_filter() -> ET.Element:
    eqs = [_compare("PropertyIsEqualTo", "status", st) for st in maps.STANDARD_LAND_STATUSES]
    if len(eqs) == 1:
        return eqs[0]
    either = ET.Element(_ogc("Or"))
    either.extend(eqs)
    return either


def _sld(layer: str, rules) -> str:
    for prefix, uri in _SLD_NS.items():
        ET.register_namespace(prefix, uri)
    root = ET.Element(f"{{{_SLD_NS['']}}}StyledLayerDescriptor", {
        "version": "1.1.0", f"{{{_SLD_NS['xsi']}}}schemaLocation":
        "http://www.opengis.net/sld http://schemas.opengis.net/sld/1.1.0/StyledLayerDescriptor.xsd"})
    named = ET.SubElement(root, f"{{{_SLD_NS['']}}}NamedLayer")
    ET.SubElement(named, _se("Name")).text = layer
    user = ET.SubElement(named, f"{{{_SLD_NS['']}}}UserStyle")
    ET.SubElement(user, _se("Name")).text = layer
    fts = ET.SubElement(user, _se("FeatureTypeStyle"))
    for label, look, condition in rules:
        _sld_rule(fts, label, look, condition)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


# -- the styles ------------------------------------------------------------------------------------

def status_style(lang: str = "zh", *, layer: str = "parcels") -> Style:
    """Parcels coloured by status as ``/map`` draws them (categorized on ``status``).

    Every status of the map's palette is a category with the map's fill colour and fill opacity;
    standard land (:data:`standardland.maps.STANDARD_LAND_STATUSES`) keeps its red outline. Labels
    are the map legend's, in ``lang``.

    Parameters
    ----------
    lang : {"zh", "en"}
        Language of the category labels and of the style's name.
    layer : str
        The layer name the SLD names.

    Returns
    -------
    Style

    Examples
    --------
    >>> import xml.etree.ElementTree as ET
    >>> s = status_style("zh")
    >>> s.name
    '地块状态'
    >>> cats = ET.fromstring(s.qml.split("\\n", 1)[1]).findall("./renderer-v2/categories/category")
    >>> [(c.get("value"), c.get("label")) for c in cats][:2]
    [('planned', '规划'), ('serviced', '净地')]
    """
    t = maps.texts(lang)
    k = 0 if lang == "zh" else 1
    ren = _renderer("categorizedSymbol", "status")
    cats, syms = ET.SubElement(ren, "categories"), ET.SubElement(ren, "symbols")
    rules = []
    for i, (status, colour) in enumerate(maps.STATUS_COLOURS.items()):
        label = STATUS_LABELS[status][k]
        look = _fill(colour, standard=status in maps.STANDARD_LAND_STATUSES)
        ET.SubElement(cats, "category", {"render": "true", "symbol": str(i), "value": status, "label": label,
                                         "type": "string"})
        _symbol(syms, str(i), look)
        rules.append((label, look, _compare("PropertyIsEqualTo", "status", status)))
    return Style(name=t["legend_status"], description=t["legend_status"], qml=_qml(ren), sld=_sld(layer, rules))


def indicator_style(colour: dict, values, lang: str = "zh", *, layer: str = "parcels") -> Style:
    """The quantile choropleth ``/map?color=…`` draws, as a graduated renderer on the property.

    Parameters
    ----------
    colour : dict
        :func:`standardland.maps.colour_config` of the exported parcels: ``property``, ``breaks``,
        ``colours`` and ``classification``. The QML's range boundaries are those breaks; the outer
        bounds are the smallest and largest value (the map's −∞ and +∞).
    values : array-like of float
        The property of the exported parcels (NaN or None: no value).
    lang : {"zh", "en"}
        Language of the range labels (the map legend's) and of the style's name.
    layer : str
        The layer name the SLD names.

    Returns
    -------
    Style

    Examples
    --------
    >>> import xml.etree.ElementTree as ET
    >>> colour = {"property": "tax_per_mu", "breaks": [10.0, 20.0], "colours": ["#fff5eb", "#fdd0a2", "#fd8d3c"],
    ...           "classification": "Quantiles (3 classes)"}
    >>> s = indicator_style(colour, [5.0, 15.0, 30.0, None], "en")
    >>> ren = ET.fromstring(s.qml.split("\\n", 1)[1]).find("renderer-v2")
    >>> ren.get("type"), ren.get("attr")
    ('graduatedSymbol', 'tax_per_mu')
    >>> [(r.get("lower"), r.get("upper"), r.get("label")) for r in ren.iter("range")]
    [('5', '10', '−∞ – 10.00'), ('10', '20', '10.00 – 20.00'), ('20', '30', '20.00 – +∞')]
    """
    prop, breaks, colours = colour["property"], [float(b) for b in colour["breaks"]], colour["colours"]
    vals = np.asarray([np.nan if v is None else v for v in values], dtype="float64")
    finite = vals[np.isfinite(vals)]
    lo, hi = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 0.0)
    if breaks:
        lo, hi = min(lo, breaks[0]), max(hi, breaks[-1])
    edges = [lo, *breaks, hi]
    labels = maps.class_labels(colour)
    t = maps.texts(lang)
    title = maps.colour_title(prop, lang)
    ren = _renderer("graduatedSymbol", prop)
    ren.set("graduatedMethod", "GraduatedColor")
    ranges, syms = ET.SubElement(ren, "ranges"), ET.SubElement(ren, "symbols")
    rules = []
    for i, (c, label) in enumerate(zip(colours, labels, strict=True)):
        look = _fill(c)
        ET.SubElement(ranges, "range", {"render": "true", "symbol": str(i), "lower": f"{edges[i]:.15g}",
                                        "upper": f"{edges[i + 1]:.15g}", "label": label})
        _symbol(syms, str(i), look, _standard_outline())
        cond = ET.Element(_ogc("And"))
        if i > 0:
            cond.append(_compare("PropertyIsGreaterThan", prop, edges[i]))
        if i < len(breaks):
            cond.append(_compare("PropertyIsLessThanOrEqualTo", prop, edges[i + 1]))
        if len(cond) == 0:  # one class: every parcel with a value
            cond = ET.Element(_ogc("Not"))
            cond.append(_compare("PropertyIsNull", prop, None))
        elif len(cond) == 1:
            cond = cond[0]
        rules.append((label, look, cond))
    method = ET.SubElement(ren, "classificationMethod", {"id": "Quantile"})
    ET.SubElement(method, "symmetricMode", {"enabled": "0", "symmetrypoint": "0", "astride": "0"})
    ET.SubElement(method, "labelFormat", {"format": "%1 - %2", "labelprecision": "2", "trimtrailingzeroes": "0"})
    ET.SubElement(ren, "mode", {"name": "quantile"})
    rules.append((t["legend_no_value"], _fill(maps.palette()["noValue"]), _compare("PropertyIsNull", prop, None)))
    rules.append((t["layers_standard"], None, _standard_filter()))  # the map's red outline, drawn on top
    return Style(name=title[:30], description=f"{title}; {colour['classification']}", qml=_qml(ren),
                 sld=_sld(layer, rules))


def parse_style_option(value: str | None) -> tuple[str, str | None]:
    """``--style``: ``status`` (the default) or ``indicator:<property>``, as (kind, property).

    Examples
    --------
    >>> parse_style_option(None), parse_style_option("indicator:tax_per_mu")
    (('status', None), ('indicator', 'tax_per_mu'))
    """
    if value is None or value == "status":
        return "status", None
    kind, _, prop = value.partition(":")
    if kind != "indicator" or not prop:
        raise InputError(f"style '{value}' is not known", field="style",
                         expected="status, or indicator:<numeric property> (e.g. indicator:tax_per_mu)")
    return "indicator", prop


# -- the GeoPackage table --------------------------------------------------------------------------

def write_gpkg_styles(path: str | Path, layer: str, styles: list[Style]) -> None:
    """Write ``styles`` for ``layer`` into the GeoPackage's ``layer_styles`` table, the first as default.

    The table is created (schema and registration as QGIS's OGR provider makes them) if the file
    has none; rows already stored for ``layer`` are replaced, other layers' rows are kept.

    Parameters
    ----------
    path : str or Path
        An existing GeoPackage holding ``layer``.
    layer : str
        The styled table (its geometry column is read from ``gpkg_geometry_columns``).
    styles : list of Style
        The styles; ``styles[0]`` is the one QGIS applies when it opens the layer.

    Examples
    --------
    >>> import tempfile, pathlib, pyogrio
    >>> from standardland.sample import sample_parcels
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "parcels.gpkg"
    >>> pyogrio.write_dataframe(sample_parcels()[["code", "status", "geometry"]], path, layer="parcels")
    >>> write_gpkg_styles(path, "parcels", [status_style("zh")])
    >>> row = pyogrio.read_dataframe(path, layer="layer_styles").iloc[0]
    >>> row["f_table_name"], row["f_geometry_column"], row["styleName"], bool(row["useAsDefault"])
    ('parcels', 'geom', '地块状态', True)
    """
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    con = sqlite3.connect(str(path))
    try:
        with con:
            row = con.execute("SELECT column_name FROM gpkg_geometry_columns WHERE lower(table_name) = lower(?)",
                              (layer,)).fetchone()
            if row is None:
                raise InputError(f"the GeoPackage has no layer '{layer}'", field="file")
            geom = row[0]
            exists = con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'layer_styles'"
                                 ).fetchone()
            if not exists:
                con.execute(LAYER_STYLES_DDL)
                con.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, description, "
                            "last_change, srs_id) VALUES ('layer_styles', 'attributes', 'layer_styles', '', ?, 0)",
                            (now,))
                if con.execute("SELECT 1 FROM sqlite_master WHERE name = 'gpkg_ogr_contents'").fetchone():
                    con.execute("INSERT INTO gpkg_ogr_contents (table_name, feature_count) VALUES "
                                "('layer_styles', 0)")
                    for trigger in _COUNT_TRIGGERS:
                        con.execute(trigger)
            con.execute("DELETE FROM layer_styles WHERE f_table_name = ? AND f_geometry_column = ?", (layer, geom))
            for i, s in enumerate(styles):
                con.execute('INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, '
                            'f_geometry_column, "styleName", "styleQML", "styleSLD", "useAsDefault", description, '
                            'owner, ui, update_time) VALUES (\'\', \'\', ?, ?, ?, ?, ?, ?, ?, \'\', NULL, ?)',
                            (layer, geom, s.name, s.qml, s.sld, 1 if i == 0 else 0, s.description, now))
            con.execute("UPDATE gpkg_contents SET last_change = ? WHERE table_name = 'layer_styles'", (now,))
    finally:
        con.close()


__all__ = ["Style", "rgba", "status_style", "indicator_style", "parse_style_option", "write_gpkg_styles",
           "LAYER_STYLES_DDL", "QGIS_VERSION"]
