/* standardland map, beyond pass/fail: the land-sizing highlight after a check, the colours of a stored
 * what-if (/map?whatif=ID), and the advice, sizing interval and what-if change in the popup.
 *
 * Loaded before standardland-map.js, which calls window.standardlandBeyond(cfg, T, el, fmt) once and
 * then the returned hooks: style(st, p) for each parcel's style, popup(box, p) at the end of a popup,
 * init(map, parcels, layersControl, renderer) once the parcels are drawn. Everything it shows comes
 * from the page's JSON configuration (cfg.sizing, cfg.whatif, cfg.eligibility.explanations[code].advice)
 * and is written as DOM text nodes (no HTML from data). Labels: the advice_* keys of web/i18n.json.
 */
(function () {
  "use strict";

  var WHATIF_ORDER = ["to_fail", "to_pass", "threshold", "unchanged"];

  window.standardlandBeyond = function (cfg, T, el, fmt) {
    var sizing = cfg.sizing || null, whatif = cfg.whatif || null;
    var explanations = (cfg.eligibility && cfg.eligibility.explanations) || {};
    var inside = {};
    (sizing ? sizing.inside : []).forEach(function (c) { inside[c] = true; });
    var mu = function (m2) { return m2 / cfg.areaFactors.mu_m2; };

    function whatifKind(code) {
      var ch = whatif && whatif.changes[code];
      return ch ? ch.change : "unchanged";
    }

    function style(st, p) {
      if (!whatif) { return st; }
      var kind = whatifKind(p.code);
      st.fillColor = whatif.colours[kind];
      st.className += " sl-whatif-" + kind;
      return st;
    }

    // a section of the popup, placed before ``before`` (a node of the popup) or at its end
    function section(box, title, cls, before) {
      var div = el("div", {className: "sl-beyond " + cls});
      div.style.fontSize = "12px";  // as the popup's tables
      div.appendChild(el("h4", {text: title}));
      box.insertBefore(div, before || null);
      return div;
    }

    function adviceSection(box, p) {
      var exp = explanations[p.code];
      var a = exp && exp.advice;
      if (!a || !a.lines.length) { return; }
      // under the check's table, above its print buttons
      var div = section(box, T("advice_title"), "sl-advice", box.querySelector(".sl-actions"));
      div.appendChild(el("div", {className: "sl-note", text: T("advice_intro")}));
      var ul = el("ul", {style: "margin: 2px 0 6px; padding-left: 18px"});
      a.lines.forEach(function (line) { ul.appendChild(el("li", {text: line})); });
      div.appendChild(ul);
      if (a.within !== null && a.within !== undefined) {
        div.appendChild(el("div", {text: T("advice_within", {pct: fmt(a.within * 100, 1) + "%"})}));
      }
    }

    function sizingSection(box, p) {
      var iv = sizing && sizing.intervals[p.code];
      if (!iv) { return; }
      var div = section(box, T("advice_sizing"), "sl-sizing-interval", box.querySelector(".sl-actions"));
      var lo = iv[0], hi = iv[1];
      if (hi !== null && lo > hi) { div.appendChild(el("div", {text: T("advice_sizing_none")})); return; }
      // rounded inward (the minimum up, the maximum down): every area shown lies inside
      var inward = function (v, up) { var x = v * 100, s = 1e-9 * Math.max(1, Math.abs(x));
        return (up ? Math.ceil(x - s) : Math.floor(x + s)) / 100; };
      div.appendChild(el("div", {text: T("advice_sizing_interval", {min: fmt(inward(mu(lo), true)),
                                                                   max: hi === null ? "+∞" : fmt(inward(mu(hi), false))})}));
      div.appendChild(el("div", {text: T(inside[p.code] ? "advice_sizing_inside" : "advice_sizing_outside")}));
    }

    function whatifLine(line) {
      var name = line.indicator ? (cfg.indicatorNames[line.indicator.replace(/_(min|max)$/, "")] || line.indicator) : "";
      if (line.indicator && /_(min|max)$/.test(line.indicator)) { name += line.indicator.slice(-4) === "_min" ? " ≥" : " ≤"; }
      var what = line.what === "threshold" ? T("advice_whatif_threshold_line")
        : line.what === "mu_class" ? T("advice_whatif_mu_class") : line.what;
      var word = function (v) { return typeof v === "string" ? T(v) : fmt(v); };
      var text = what + (name ? " · " + name : "") + ": " + word(line.before) + " → " + word(line.after);
      if (line.required_before !== undefined && line.required_before !== line.required_after &&
          line.required_after !== undefined) {
        text += " (" + fmt(line.required_before) + " → " + fmt(line.required_after) + ")";
      }
      return text;
    }

    function whatifSection(box, p) {
      if (!whatif) { return; }
      var kind = whatifKind(p.code), ch = whatif.changes[p.code];
      // under the parcel's own table, above the indicators
      var div = section(box, T("advice_whatif_popup") + ": " + T("advice_whatif_" + kind), "sl-whatif sl-whatif-" + kind,
                        box.querySelector("table") ? box.querySelector("table").nextSibling : null);
      if (!ch) { return; }
      var ul = el("ul", {style: "margin: 2px 0 6px; padding-left: 18px"});
      ch.lines.forEach(function (line) { ul.appendChild(el("li", {text: whatifLine(line)})); });
      div.appendChild(ul);
    }

    function popup(box, p) {
      whatifSection(box, p);
      adviceSection(box, p);
      sizingSection(box, p);
    }

    function legendBox(title, items, outline) {
      var box = el("div", {className: "sl-panel sl-legend", "data-ui": "legend-beyond"});
      box.appendChild(el("b", {text: title}));
      items.forEach(function (item) {
        var sw = el("i", {className: "sl-swatch"}), fill = el("b");
        if (outline) { fill.style.border = "2px dashed " + item.colour; fill.style.background = "transparent"; }
        else { fill.style.background = item.colour; fill.style.opacity = "0.65"; }
        sw.appendChild(fill);
        box.appendChild(el("div", {"data-item": item.key}, [sw, el("span", {text: item.label})]));
      });
      return box;
    }

    function addLegend(map, box) {
      var c = L.control({position: "bottomleft"});
      c.onAdd = function () { return box; };
      c.addTo(map);
    }

    function init(map, parcels, layersControl, renderer) {
      if (sizing) {
        var feats = [];
        parcels.eachLayer(function (l) { if (inside[l.feature.properties.code]) { feats.push(l.feature); } });
        var layer = L.geoJSON({type: "FeatureCollection", features: feats}, {interactive: false, style: function (f) {
          var line = cfg.sizingStyle;  // web/palette.json, sent in the page's config
          return {color: line.stroke, weight: line.weight, dashArray: line.dashArray, fill: false, renderer: renderer,
                  className: "sl-sizing sl-sizing-" + f.properties.code};
        }});
        layer.addTo(map);
        layersControl.addOverlay(layer, T("advice_sizing_layer"));
        addLegend(map, legendBox(T("advice_sizing"), [{key: "sizing", colour: cfg.sizingStyle.stroke,
                                                       label: T("advice_sizing_legend")}], true));
      }
      if (whatif) {
        var main = document.querySelector("[data-ui='legend']");
        if (main) { main.style.display = "none"; }  // the fills are the what-if's, not the statuses
        addLegend(map, legendBox(T("advice_whatif_title", {id: whatif.id, draft: whatif.draft || ""}),
          WHATIF_ORDER.map(function (k) { return {key: k, colour: whatif.colours[k], label: T("advice_whatif_" + k)}; })));
      }
    }

    return {style: style, popup: popup, init: init};
  };
})();
