/* standardland map: parcels styled in JavaScript from their properties (one style function, not one
 * case per feature), popups and tooltips built with DOM text nodes only (no HTML from data), search,
 * legend, eligibility panel. Configuration arrives as JSON escaped by the server. */
(function () {
  "use strict";

  function el(tag, props, children) {
    var node = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (k) {
        if (k === "text") { node.textContent = props[k]; }
        else if (k === "className") { node.className = props[k]; }
        else { node.setAttribute(k, props[k]); }
      });
    }
    (children || []).forEach(function (c) { if (c) { node.appendChild(c); } });
    return node;
  }

  function fmt(v, digits) {
    if (v === null || v === undefined || (typeof v === "number" && isNaN(v))) { return "—"; }
    if (typeof v !== "number") { return String(v); }
    return v.toLocaleString("en-US", {minimumFractionDigits: digits === undefined ? 2 : digits,
                                      maximumFractionDigits: digits === undefined ? 2 : digits});
  }

  window.standardlandMap = function (map, cfg) {
    var T = function (key, vars) {
      var s = (cfg.i18n[key] || key);
      Object.keys(vars || {}).forEach(function (k) { s = s.replace("{" + k + "}", vars[k]); });
      return s;
    };
    var unit = function (u) { return cfg.units[u] || u; };
    var verdicts = (cfg.eligibility && cfg.eligibility.verdicts) || {};
    var explanations = (cfg.eligibility && cfg.eligibility.explanations) || {};
    var byCode = {};
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
      return cfg.statusColours[p.status] || "#999";
    }

    function style(feature) {
      var p = feature.properties, standard = p.status === "published";
      return {color: standard ? "#b30000" : "#333", weight: standard ? 3 : 1, fillColor: fillFor(p),
              fillOpacity: 0.65, renderer: renderer,
              className: "sl-parcel sl-code-" + p.code + " sl-status-" + p.status +
                         (verdicts[p.code] ? " sl-verdict-" + verdicts[p.code] : "")};
    }

    function row(label, value) {
      return el("tr", null, [el("th", {text: label}), el("td", {text: value})]);
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
      box.appendChild(t);
      var exp = explanations[p.code];
      if (exp) {
        box.appendChild(el("h4", {text: T("verdict") + ": " + T(exp.verdict)}));
        var et = el("table", null, [el("tr", null, [el("th", {text: T("indicator")}), el("th", {text: T("actual")}),
          el("th", {text: T("required")}), el("th", {text: T("verdict")}), el("th", {text: T("source")})])]);
        exp.indicators.forEach(function (it) {
          var req = it.operator === "between" ? fmt(it.required.min) + "–" + fmt(it.required.max)
            : it.operator === ">=" ? "≥ " + fmt(it.required.min !== null ? it.required.min : it.required.advisory_min)
            : it.operator === "<=" ? "≤ " + fmt(it.required.max !== null ? it.required.max : it.required.advisory_max) : "—";
          et.appendChild(el("tr", null, [el("td", {text: cfg.indicatorNames[it.id] || it.id}),
            el("td", {text: fmt(it.actual)}), el("td", {text: req + " " + unit(it.unit)}),
            el("td", {text: T(it.status), className: "sl-status-" + it.status}),
            el("td", {text: it.governing_ruleset || ""})]));
        });
        box.appendChild(et);
      } else if (verdicts[p.code]) {
        box.appendChild(el("h4", {text: T("verdict") + ": " + T(verdicts[p.code])}));
      }
      box.appendChild(el("h4", {text: T("indicators")}));
      var it = el("table");
      var any = false;
      cfg.indicators.forEach(function (ind) {
        var lo = p[ind.id + "_min"], hi = p[ind.id + "_max"];
        if ((lo === null || lo === undefined) && (hi === null || hi === undefined)) { return; }
        any = true;
        var req = (lo !== null && lo !== undefined && hi !== null && hi !== undefined) ? fmt(lo) + "–" + fmt(hi)
          : (lo !== null && lo !== undefined) ? "≥ " + fmt(lo) : "≤ " + fmt(hi);
        it.appendChild(el("tr", null, [el("td", {text: ind.name}), el("td", {text: req + " " + unit(ind.unit)}),
                                      el("td", {text: p[ind.id + "_by"] || ""})]));
      });
      box.appendChild(any ? it : el("div", {text: T("no_indicators")}));
      return box;
    }

    function onEach(feature, layer) {
      var p = feature.properties;
      byCode[p.code] = layer;
      layer.bindTooltip(function () { return el("span", {text: p.code + " " + (p.name || "")}); }, {sticky: true});
      layer.bindPopup(function () { return popupFor(p); }, {maxWidth: 460});
    }

    var parcels = L.geoJSON(null, {style: style, onEachFeature: onEach});
    var standard = L.geoJSON(null, {style: function () {
      return {color: "#b30000", weight: 3, fill: false, renderer: renderer, className: "sl-standard"}; },
      interactive: false});
    if (cfg.parcels) {
      // shared threshold profiles (sent once each) back into every feature's properties
      cfg.parcels.features.forEach(function (f) {
        var tp = f.properties.tp;
        if (tp !== undefined && cfg.thresholdProfiles[tp]) {
          var prof = cfg.thresholdProfiles[tp];
          Object.keys(prof).forEach(function (k) {
            if (!(k in f.properties)) { f.properties[k] = prof[k]; }
          });
        }
      });
      parcels.addData(cfg.parcels);
      standard.addData({type: "FeatureCollection", features: cfg.parcels.features.filter(function (f) {
        return f.properties.status === "published"; })});
    }
    var boundaries = L.geoJSON(cfg.boundaries, {interactive: true, style: function () {
      return {color: "#444", weight: 1.5, dashArray: "4 3", fill: false, className: "sl-boundary"}; },
      onEachFeature: function (f, layer) {
        layer.bindTooltip(function () { return el("span", {text: f.properties.name}); }); }});
    boundaries.addTo(map);
    parcels.addTo(map);
    standard.addTo(map);
    var overlays = {};
    overlays[T("layers_parcels")] = parcels;
    overlays[T("layers_standard")] = standard;
    overlays[T("layers_boundaries")] = boundaries;
    var bases = {};
    map.eachLayer(function (l) { if (l instanceof L.TileLayer) { bases[T("layers_basemap")] = l; } });
    L.control.layers(bases, overlays, {collapsed: false, position: "bottomleft"}).addTo(map);

    // large stores: bbox-limited GeoJSON from the OGC API, only when zoomed in
    var notice = null;
    if (!cfg.parcels && cfg.parcelsUrl) {
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
            return f.properties.status === "published"; })});
        });
      };
      map.on("moveend", load);
      load();
    }

    // legend
    var legend = L.control({position: "bottomright"});
    legend.onAdd = function () {
      var box = el("div", {className: "sl-panel sl-legend", "data-ui": "legend"});
      box.appendChild(el("b", {text: cfg.legend.title}));
      cfg.legend.items.forEach(function (item) {
        var sw = el("i"); sw.style.background = item.colour;
        box.appendChild(el("div", null, [sw, el("span", {text: item.label})]));
      });
      if (cfg.legend.note) { box.appendChild(el("div", {className: "sl-note", text: cfg.legend.note})); }
      return box;
    };
    legend.addTo(map);

    function focus(code) {
      var layer = byCode[code];
      if (!layer) { return false; }
      map.fitBounds(layer.getBounds(), {maxZoom: 17});
      layer.openPopup();
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
        if (!cfg.parcels && cfg.parcelsUrl) {  // large stores: ask the server for the code
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
    var formBox = el("form", {className: "sl-panel sl-form", method: "post", action: cfg.formAction, id: "sl-form"});
    formBox.appendChild(el("b", {text: T("form_title")}));
    formBox.appendChild(el("div", {className: "sl-note", text: T("form_help")}));
    var ta = el("textarea", {name: "project", id: "sl-project"});
    ta.value = cfg.formProject;
    formBox.appendChild(ta);
    formBox.appendChild(el("div", null, [el("button", {type: "submit", text: T("form_submit"), id: "sl-submit"})]));
    side.appendChild(formBox);
    if (cfg.eligibility) {
      var mbox = el("div", {className: "sl-panel sl-matches", id: "sl-matches"});
      mbox.appendChild(el("b", {text: T("matches_title")}));
      if (!cfg.eligibility.matches.length) { mbox.appendChild(el("div", {text: T("matches_none")})); }
      var ol = el("ol");
      cfg.eligibility.matches.forEach(function (m) {
        var a = el("a", {text: m.parcel_code + " " + (m.name || "") + " — " + T(m.verdict), "data-code": m.parcel_code});
        a.addEventListener("click", function () { focus(m.parcel_code); });
        ol.appendChild(el("li", null, [a]));
      });
      mbox.appendChild(ol);
      side.appendChild(mbox);
    }
    L.DomEvent.disableClickPropagation(side);
    L.DomEvent.disableScrollPropagation(side);
    map.getContainer().appendChild(side);

    if (cfg.bounds) { map.fitBounds(cfg.bounds); }
    window.standardland = {map: map, parcels: parcels, focus: focus, ready: true};
    document.documentElement.setAttribute("data-sl-ready", "1");
  };
})();
