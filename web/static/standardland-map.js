/* standardland map: parcels styled in JavaScript from their properties (one style function, not one
 * case per feature), popups and tooltips built with DOM text nodes only (no HTML from data), search,
 * legend, eligibility panel with the reasons behind every missing / not-applicable indicator.
 *
 * The configuration is data: a <script type="application/json" id="sl-config"> element (escaped by
 * the server, see standardland.maps.json_script_text) read with JSON.parse. Its shape:
 *
 * @typedef {Object} Payload
 * @property {Config} config
 * @property {?{code:Array<string>, columns:Object<string,Array>, profiles:Array<Object>}} parcels
 *           embedded parcels as columns (null: too many, loaded by bbox from parcelsUrl);
 *           columns.profile indexes profiles (park, published thresholds <id>_min/_max/_by)
 * @property {?Array<Object>} parcelGeometry   GeoJSON geometries, one per embedded parcel (or null)
 * @property {{code:Array<string>, name:Array<string>}} boundaries
 * @property {Array<Object>} boundaryGeometry  GeoJSON geometries of the district boundaries
 *
 * @typedef {Object} Config                   (standardland.maps.MapConfig on the server)
 * @property {string} lang                     "zh" | "en"
 * @property {Object<string,string>} i18n      UI labels (web/i18n.json)
 * @property {string} mode                     "status" | "indicator" | "eligibility"
 * @property {{title:string, items:Array<{colour:string,label:string}>, note:?string}} legend
 * @property {Object<string,string>} units     display names of units (English page only)
 * @property {{mu_m2:number, ha_m2:number}} areaFactors  m² per 亩 and per 公顷 (standardland.units)
 * @property {string} renderer                 "svg" | "canvas"
 * @property {string} parcelsUrl               OGC items URL (large stores: loaded by bbox)
 * @property {number} minLoadZoom              below this zoom nothing is loaded by bbox
 * @property {number} loadLimit                at most this many parcels per bbox request
 * @property {Array<string>} standardStatuses  statuses drawn as standard land (red outline)
 * @property {Object<string,string>} statusColours
 * @property {string} unknownStatusColour      fill of a status outside statusColours
 * @property {{fillOpacity:number, stroke:string, weight:number}} parcelStyle  every parcel's fill opacity
 * @property {{stroke:string, weight:number, dashArray:string}} sizingStyle  the outline of parcels inside
 *           their sizing interval (standardland-beyond.js)
 *           and outline (standardland.maps.palette, web/palette.json: the QGIS styles of an export read it too)
 * @property {{stroke:string, weight:number}} standardStyle  the outline of standard land (standardStatuses)
 * @property {Object<string,string>} verdictColours
 * @property {string} notAvailableColour
 * @property {string} noValueColour
 * @property {{property:?string, breaks:Array<number>, colours:Array<string>}} colour  choropleth classes
 * @property {?string} colourLabel             the choropleth property's name, for the popup
 * @property {?Array<?number>} colourValues    the choropleth property, one per embedded parcel
 * @property {Object<string,string>} statusLabels
 * @property {Object<string,string>} landUse   land-use code → name
 * @property {Array<{id:string,name:string,unit:string}>} indicators
 * @property {Object<string,string>} indicatorNames
 * @property {?{verdicts:Object<string,string>, explanations:Object<string,Explanation>,
 *             matches:Array<{parcel_code:string,name:?string,verdict:string}>}} eligibility
 * @property {string} formProject              the project JSON shown in the form
 * @property {string} formAction               where a check goes (GET, + "&project=<base64url JSON>")
 * @property {Array<{name:string,kind:string,label:string,unit:?string,units:Array<string>,defaultUnit:?string,
 *                   constraint:?string,upper:?number,required:boolean,default:*,choices:Array,expected:string,
 *                   group:string}>} formFields  the form's fields (standardland.maps.form_fields)
 * @property {Array<{field:string,message:string,expected:?string}>} formErrors  the server's problems
 * @property {string} industriesUrl            GET ?q=&limit= (official industry names and codes)
 * @property {number} projectParamLimit        the longest ?project= a shareable URL may carry
 * @property {string} today                    the server's date (YYYY-MM-DD), the decision date's default
 * @property {Object<string,{title:?string,document_number:?string}>} rulesetTitles  rule sets in people's words
 * @property {string} otherLanguageUrl
 * @property {Array<Array<number>>} bounds     [[south, west], [north, east]]
 * @property {?Object} chains                 the industry-chain layer, drawn by standardland-chains.js
 * @property {?{inside:Array<string>, intervals:Object<string,Array<?number>>}} sizing  after a check: the
 *           parcels whose area lies in their land-sizing interval [min_m2, max_m2] (standardland-beyond.js)
 * @property {?{id:number, draft:string, changes:Object<string,{change:string,lines:Array<Object>}>,
 *             colours:Object<string,string>}} whatif  a stored what-if's changes (standardland-beyond.js)
 *
 * @typedef {Object} Explanation
 * @property {string} verdict
 * @property {Array<{kind:string,message:string}>} notes
 * @property {Array<{id:string,status:string,actual:?number,required:Object,operator:?string,unit:string,
 *                   governing_ruleset:?string,reason:?string,required_text:?string}>} indicators
 */
(function () {
  "use strict";

  var el = window.standardlandDom.el;  // standardland-dom.js

  function fmt(v, digits) {
    if (v === null || v === undefined || (typeof v === "number" && isNaN(v))) { return "—"; }
    if (typeof v !== "number") { return String(v); }
    return v.toLocaleString("en-US", {minimumFractionDigits: digits === undefined ? 2 : digits,
                                      maximumFractionDigits: digits === undefined ? 2 : digits});
  }

  /** Rebuild GeoJSON features from the columnar payload: code as id, profile merged, areas derived. */
  function embeddedFeatures(P, geometry, colourProperty, colourValues) {
    var cols = P.columns, names = Object.keys(cols), feats = new Array(P.code.length);
    for (var i = 0; i < P.code.length; i++) {
      var p = {code: P.code[i]};
      for (var k = 0; k < names.length; k++) {
        var v = cols[names[k]][i];
        if (v !== null && v !== undefined) { p[names[k]] = v; }
      }
      if (colourValues && colourValues[i] !== null) { p[colourProperty] = colourValues[i]; }
      var prof = P.profiles[p.profile];
      if (prof) { Object.keys(prof).forEach(function (key) { if (!(key in p)) { p[key] = prof[key]; } }); }
      feats[i] = {type: "Feature", id: P.code[i], geometry: geometry[i], properties: p};
    }
    return feats;
  }

  window.standardlandMap = function (map, configId) {
    var payload = window.standardlandDom.payload(configId);  // parsed once, shared with chains and scorecard
    var cfg = payload.config;
    var T = function (key, vars) {
      var s = (cfg.i18n[key] || key);
      Object.keys(vars || {}).forEach(function (k) { s = s.replace("{" + k + "}", vars[k]); });
      return s;
    };
    var unit = function (u) { return cfg.units[u] || u; };
    var verdicts = (cfg.eligibility && cfg.eligibility.verdicts) || {};
    var explanations = (cfg.eligibility && cfg.eligibility.explanations) || {};
    var byCode = {};
    var beyond = window.standardlandBeyond ? window.standardlandBeyond(cfg, T, el, fmt) : null;
    // the final view first: layers are then projected once, not again after a zoom change
    if (cfg.bounds) { map.fitBounds(cfg.bounds, {animate: false}); }
    var renderer = cfg.renderer === "canvas" ? L.canvas({padding: 0.5}) : L.svg({padding: 0.5});

    function classOf(value) {
      var b = cfg.colour.breaks;
      for (var i = 0; i < b.length; i++) { if (value <= b[i]) { return i; } }
      return b.length;
    }

    function fillFor(p) {
      if (cfg.mode === "eligibility") {
        var v = verdicts[p.code];
        return v ? cfg.verdictColours[v] : cfg.notAvailableColour;
      }
      if (cfg.mode === "indicator") {
        var x = p[cfg.colour.property];
        return (x === null || x === undefined) ? cfg.noValueColour : cfg.colour.colours[classOf(x)];
      }
      return cfg.statusColours[p.status] || cfg.unknownStatusColour;
    }

    function style(feature) {
      var p = feature.properties, standard = isStandard(p);
      var line = standard ? cfg.standardStyle : cfg.parcelStyle;
      var st = {color: line.stroke, weight: line.weight, fillColor: fillFor(p),
              fillOpacity: FILL_OPACITY, renderer: renderer,
              className: "sl-parcel sl-code-" + p.code + " sl-status-" + p.status +
                         (verdicts[p.code] ? " sl-verdict-" + verdicts[p.code] : "")};
      return beyond ? beyond.style(st, p) : st;  // standardland-beyond.js: what-if fills
    }

    function withAreas(p) {
      if (p.area_m2 !== undefined && p.area_m2 !== null) {
        if (p.area_mu === undefined) { p.area_mu = p.area_m2 / cfg.areaFactors.mu_m2; }
        if (p.area_ha === undefined) { p.area_ha = p.area_m2 / cfg.areaFactors.ha_m2; }
      }
      return p;
    }

    function isStandard(p) { return cfg.standardStatuses.indexOf(p.status) >= 0; }

    // the requirement as the server rendered it (rules/explain.required_text: the one rendering)
    function requiredText(it) { return it.required_text || "—"; }

    // one fill opacity for the parcels and the legend's swatches (drawn over white, as the map's paper)
    var FILL_OPACITY = cfg.parcelStyle.fillOpacity;

    var REASON_STATUSES = ["missing", "incomplete", "not_applicable"];

    function reasonOf(it) { return it.reason || ""; }

    function notesList(notes) {
      if (!notes || !notes.length) { return null; }
      var ul = el("ul", {className: "sl-notes"});
      notes.forEach(function (n) {
        ul.appendChild(el("li", {className: "sl-note-" + (n.kind || "note"), text: n.message || String(n)}));
      });
      return ul;
    }

    // a rule set as people name it (title, document number), its id second
    function sourceCell(id) {
      var td = el("td", {className: "sl-source"});
      if (!id) { return td; }
      var t = cfg.rulesetTitles[id];
      if (!t) { td.textContent = id; return td; }
      // a title that already carries its 《》 (《工业项目建设用地控制指标》（2023年修订）) is not wrapped again
      var wrap = cfg.lang === "zh" && t.title && t.title.charAt(0) !== "《";
      var words = [t.title ? (wrap ? "《" + t.title + "》" : t.title) : null, t.document_number]
        .filter(function (x) { return x; }).join(" ");
      td.appendChild(el("span", {text: words}));
      td.appendChild(el("span", {className: "sl-source-id", text: " · " + id}));
      return td;
    }

    function row(label, value) {
      return el("tr", null, [el("th", {text: label}), el("td", {text: value})]);
    }

    // 打印/导出: the meeting-ready document of this check (the one `standardland check --format` writes)
    function documentButton(code, format) {
      var b = el("button", {type: "button", className: "sl-linkish sl-document", "data-format": format,
                            text: T("document_" + format)});
      b.addEventListener("click", function () {
        var project;
        try { project = JSON.parse(cfg.formProject); } catch (e) { b.textContent = T("document_failed"); return; }
        b.disabled = true;
        fetch("/api/v1/checks/document?format=" + format, {
          method: "POST", headers: {"Content-Type": "application/json"},
          body: JSON.stringify({project: project, parcel_code: code, lang: cfg.lang})
        }).then(function (r) {
          if (!r.ok) { return r.json().then(function (pb) { throw new Error(pb.detail || String(r.status)); }); }
          return r.blob();
        }).then(function (blob) {
          var a = el("a", {href: URL.createObjectURL(blob), download: "check-" + code + "." + format});
          document.body.appendChild(a); a.click(); a.remove();
          b.textContent = T("document_" + format);
        }).catch(function (e) {
          b.textContent = T("document_failed") + ": " + e.message;
        }).then(function () { b.disabled = false; });
      });
      return b;
    }

    function popupFor(p) {
      var box = el("div", {className: "sl-popup"});
      box.appendChild(el("h4", {text: p.name || p.code}));
      var t = el("table");
      t.appendChild(row(T("code"), p.code));
      t.appendChild(row(T("area"), fmt(p.area_m2) + " m² / " + fmt(p.area_mu) + " " + unit("亩") + " / " +
                                   fmt(p.area_ha, 4) + " " + unit("公顷")));
      t.appendChild(row(T("land_use"), (p.land_use_code || "—") + " " + (cfg.landUse[p.land_use_code] || "")));
      t.appendChild(row(T("status"), cfg.statusLabels[p.status] || p.status));
      if (p.park) { t.appendChild(row(T("park"), p.park)); }
      if (cfg.mode === "indicator" && cfg.colourLabel) {
        t.appendChild(row(cfg.colourLabel, fmt(p[cfg.colour.property])));
      }
      box.appendChild(t);
      var exp = explanations[p.code];
      if (exp) {
        box.appendChild(el("h4", {text: T("verdict") + ": " + T(exp.verdict)}));
        var notes = notesList(exp.notes);
        if (notes) { box.appendChild(notes); }
        var et = el("table", {className: "sl-explain"}, [el("tr", null, [el("th", {text: T("indicator")}),
          el("th", {text: T("actual")}), el("th", {text: T("required")}), el("th", {text: T("verdict")}),
          el("th", {text: T("source")}), el("th", {text: T("reason")})])]);
        exp.indicators.forEach(function (it) {
          et.appendChild(el("tr", null, [el("td", {text: cfg.indicatorNames[it.id] || it.name || it.id}),
            el("td", {text: fmt(it.actual)}), el("td", {text: requiredText(it)}),
            el("td", {text: T(it.status), className: "sl-status-" + it.status}),
            sourceCell(it.governing_ruleset),
            el("td", {text: reasonOf(it), className: "sl-reason"})]));
        });
        box.appendChild(et);
        box.appendChild(el("div", {className: "sl-actions"}, [documentButton(p.code, "pdf"),
                                                              documentButton(p.code, "html")]));
      } else if (verdicts[p.code]) {
        box.appendChild(el("h4", {text: T("verdict") + ": " + T(verdicts[p.code])}));
      }
      box.appendChild(el("h4", {text: T("indicators")}));
      var it = el("table");
      var any = false;
      cfg.indicators.forEach(function (ind) {
        // the requirement as the server rendered it (rules/explain.required_texts), the page adds the unit
        var req = p[ind.id + "_text"];
        if (req === null || req === undefined) { return; }
        any = true;
        it.appendChild(el("tr", null, [el("td", {text: ind.name}), el("td", {text: req + " " + unit(ind.unit)}),
                                      sourceCell(p[ind.id + "_by"])]));
      });
      box.appendChild(any ? it : el("div", {text: T("no_indicators")}));
      if (beyond) { beyond.popup(box, p); }  // advice, sizing interval, what-if change
      return box;
    }

    function onEach(feature, layer) {
      var p = withAreas(feature.properties);
      if (p.code === undefined) { p.code = feature.id; }
      byCode[p.code] = layer;
    }

    var parcels = L.geoJSON(null, {style: style, onEachFeature: onEach});
    // one tooltip and one popup for the whole layer (not one bound to each of 10,000 parcels)
    parcels.bindTooltip(function (layer) {
      var p = layer.feature.properties;
      return el("span", {text: p.code + " " + (p.name || "")});
    }, {sticky: true});
    var popup = L.popup({maxWidth: 520});
    function openPopupFor(layer, latlng) {
      // keep the popup clear of the check panel on the right and of the search box and chain panel on
      // the left: pan it between them
      var sideBox = document.querySelector(".sl-side");
      var corner = document.querySelector(".leaflet-top.leaflet-left");
      popup.options.autoPanPaddingBottomRight = L.point((sideBox ? sideBox.offsetWidth : 0) + 30, 30);
      popup.options.autoPanPaddingTopLeft = L.point((corner ? corner.offsetWidth : 0) + 20, 20);
      popup.options.maxHeight = Math.max(200, Math.round(map.getSize().y * 0.6));  // long ones scroll inside
      popup.setLatLng(latlng || layer.getBounds().getCenter()).setContent(popupFor(layer.feature.properties))
        .openOn(map);
    }
    parcels.on("click", function (e) { openPopupFor(e.layer, e.latlng); });
    var standard = L.geoJSON(null, {style: function () {
      return {color: cfg.standardStyle.stroke, weight: cfg.standardStyle.weight, fill: false, renderer: renderer,
              className: "sl-standard"}; },
      interactive: false});
    if (payload.parcels) {
      var feats = embeddedFeatures(payload.parcels, payload.parcelGeometry, cfg.colour.property, cfg.colourValues);
      parcels.addData({type: "FeatureCollection", features: feats});
      // the overlay is off at first: its layers are built when it is first switched on, not at load
      standard.once("add", function () {
        standard.addData({type: "FeatureCollection", features: feats.filter(function (f) {
          return isStandard(f.properties); })});
      });
    }
    var boundaryFeatures = payload.boundaries.code.map(function (c, i) {
      return {type: "Feature", id: c, geometry: payload.boundaryGeometry[i],
              properties: {code: c, name: payload.boundaries.name[i]}};
    });
    var boundaries = L.geoJSON({type: "FeatureCollection", features: boundaryFeatures}, {interactive: true, style: function () {
      return {color: "#444", weight: 1.5, dashArray: "4 3", fill: false, className: "sl-boundary"}; },
      onEachFeature: function (f, layer) {
        layer.bindTooltip(function () { return el("span", {text: f.properties.name || ""}); }); }});
    boundaries.addTo(map);
    parcels.addTo(map);
    // parcels already outline standard land in red; this overlay keeps it visible when they are hidden
    // (off at first: 10,000 parcels would otherwise draw their standard-land subset twice)
    var overlays = {};
    overlays[T("layers_parcels")] = parcels;
    overlays[T("layers_standard")] = standard;
    overlays[T("layers_boundaries")] = boundaries;
    var bases = {};
    map.eachLayer(function (l) { if (l instanceof L.TileLayer) { bases[T("layers_basemap")] = l; } });
    var layersControl = L.control.layers(bases, overlays, {collapsed: false, position: "bottomleft"}).addTo(map);

    // large stores: bbox-limited GeoJSON from the OGC API, only when zoomed in
    var notice = null;
    if (!payload.parcels && cfg.parcelsUrl) {
      notice = L.control({position: "bottomleft"});
      notice.onAdd = function () { return el("div", {className: "sl-panel sl-notice", text: T("zoom_in")}); };
      var load = function () {
        if (map.getZoom() < cfg.minLoadZoom) { if (!notice._map) { notice.addTo(map); } return; }
        if (notice._map) { notice.remove(); }
        var b = map.getBounds();
        var url = cfg.parcelsUrl + "?limit=" + cfg.loadLimit + "&bbox=" + [b.getWest(), b.getSouth(), b.getEast(),
                                                                              b.getNorth()].join(",");
        fetch(url).then(function (r) { return r.json(); }).then(function (fc) {
          parcels.clearLayers(); standard.clearLayers(); byCode = {};
          parcels.addData(fc);
          standard.addData({type: "FeatureCollection", features: fc.features.filter(function (f) {
            return isStandard(f.properties); })});
        });
      };
      map.on("moveend", load);
      load();
    }

    // legend
    // bottom left, above the layer switch: the check panel has the whole right-hand side
    var legend = L.control({position: "bottomleft"});
    legend.onAdd = function () {
      var box = el("div", {className: "sl-panel sl-legend", "data-ui": "legend"});
      box.appendChild(el("b", {text: cfg.legend.title}));
      cfg.legend.items.forEach(function (item) {
        var sw = el("i", {className: "sl-swatch"}), fillEl = el("b");
        fillEl.style.background = item.colour; fillEl.style.opacity = String(FILL_OPACITY);
        sw.appendChild(fillEl);
        box.appendChild(el("div", null, [sw, el("span", {text: item.label})]));
      });
      if (cfg.legend.note) { box.appendChild(el("div", {className: "sl-note", text: cfg.legend.note})); }
      return box;
    };
    legend.addTo(map);

    function focus(code) {
      var layer = byCode[code];
      if (!layer) { return false; }
      // no animation: the popup's own pan (clear of the panel, all in view) comes after, not under it
      map.fitBounds(layer.getBounds(), {maxZoom: 17, animate: false});
      openPopupFor(layer);
      return true;
    }

    // search
    var search = L.control({position: "topleft"});
    search.onAdd = function () {
      var input = el("input", {type: "search", placeholder: T("search_placeholder"), "aria-label": T("search_placeholder"),
                               id: "sl-search-input"});
      var msg = el("div", {className: "sl-msg"});
      var button = el("button", {type: "submit", text: T("search_button"), id: "sl-search-button"});
      var form = el("form", {className: "sl-panel sl-search", "data-ui": "search"}, [input, button, msg]);
      L.DomEvent.disableClickPropagation(form);
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        msg.textContent = "";
        var q = input.value.trim();
        if (!q) { return; }
        if (focus(q)) { return; }
        var lower = q.toLowerCase();
        var hit = Object.keys(byCode).find(function (c) {
          var n = byCode[c].feature.properties.name || "";
          return n.toLowerCase().indexOf(lower) >= 0 || c.indexOf(q.toUpperCase()) === 0;
        });
        if (hit) { focus(hit); return; }
        if (!payload.parcels && cfg.parcelsUrl) {  // large stores: ask the server for the code
          fetch(cfg.parcelsUrl + "/" + encodeURIComponent(q)).then(function (r) {
            if (!r.ok) { throw new Error("not found"); } return r.json();
          }).then(function (f) {
            parcels.addData(f); focus(f.properties.code);
          }).catch(function () { msg.textContent = T("search_none"); });
          return;
        }
        msg.textContent = T("search_none");
      });
      return form;
    };
    search.addTo(map);

    // side panel: project form and best matches
    var side = el("div", {className: "sl-side", "data-ui": "side"});
    var lang = el("a", {href: cfg.otherLanguageUrl, text: T("language"), id: "sl-lang"});
    side.appendChild(el("div", {className: "sl-panel"}, [lang]));
    var formBox = window.standardlandForm(cfg, T);  // standardland-form.js
    if (cfg.eligibility) {
      var mbox = el("div", {className: "sl-panel sl-matches", id: "sl-matches"});
      mbox.appendChild(el("b", {text: T("matches_title")}));
      if (!cfg.eligibility.matches.length) { mbox.appendChild(el("div", {text: T("matches_none")})); }
      var ol = el("ol");
      cfg.eligibility.matches.forEach(function (m) {
        var a = el("a", {text: m.parcel_code + " " + (m.name || "") + " — " + T(m.verdict), "data-code": m.parcel_code});
        a.addEventListener("click", function () { focus(m.parcel_code); });
        var li = el("li", null, [a]);
        var exp = explanations[m.parcel_code];
        if (exp) {
          var why = el("ul", {className: "sl-reasons"});
          (exp.notes || []).forEach(function (n) {
            why.appendChild(el("li", {className: "sl-note-" + (n.kind || "note"), text: n.message || String(n)}));
          });
          exp.indicators.forEach(function (it) {
            if (REASON_STATUSES.indexOf(it.status) < 0) { return; }
            why.appendChild(el("li", {className: "sl-status-" + it.status,
              text: (cfg.indicatorNames[it.id] || it.name || it.id) + ": " + T(it.status) +
                    (it.reason ? " — " + it.reason : "")}));
          });
          if (why.childNodes.length) { li.appendChild(why); }
        }
        ol.appendChild(li);
      });
      mbox.appendChild(ol);
      side.appendChild(mbox);
    }
    side.appendChild(formBox);
    L.DomEvent.disableClickPropagation(side);
    L.DomEvent.disableScrollPropagation(side);
    map.getContainer().appendChild(side);

    if (beyond) { beyond.init(map, parcels, layersControl, renderer); }
    window.standardland = {map: map, parcels: parcels, focus: focus, ready: true};
    document.documentElement.setAttribute("data-sl-ready", "1");
  };
})();
