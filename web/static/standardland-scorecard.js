/* standardland scorecard panel (年度成绩单) on the map page.
 *
 * A collapsible panel (a control in the top-left corner, under the zoom buttons, the search and the chains) showing a park's annual scorecard from
 * GET /api/v1/parks/{park}/scorecard?year=: every figure is a link to the records behind it
 * (GET /api/v1/parks/{park}/scorecard/records?year=&figure=, the card's own hrefs). The park is
 * chosen from GET /api/v1/parks and the year from the card's `years` (the latest year with records
 * when the page opens). Labels come from the page configuration (web/i18n.json, keys score_*), and
 * every value is set as DOM text: nothing from the server is parsed as HTML. /map#scorecard opens it.
 */
(function () {
  "use strict";

  function config() {
    try { var p = window.standardlandDom.payload("sl-config"); return p ? p.config : null; } catch (e) { return null; }
  }

  var el = window.standardlandDom.el;  // standardland-dom.js

  function number(v, lang) {
    if (v === null || v === undefined) { return null; }
    var opts = Number.isInteger(v) ? {} : {minimumFractionDigits: 2, maximumFractionDigits: 2};
    return v.toLocaleString(lang === "en" ? "en" : "zh-CN", opts);
  }

  function start() {
    var cfg = config();
    if (!cfg || !cfg.i18n) { return; }
    var T = function (k) { return cfg.i18n[k] || k; };
    var lang = cfg.lang || "zh";
    var box = el("div", {className: "sl-panel sl-scorecard", "data-ui": "scorecard"});
    var s = box.style;
    s.maxWidth = "380px"; s.maxHeight = "60vh"; s.overflow = "auto"; s.fontSize = "13px";
    var toggle = el("button", {type: "button", className: "sl-linkish", "aria-expanded": "false",
                               id: "sl-scorecard-toggle", text: T("score_panel")});
    var body = el("div", {id: "sl-scorecard-body"});
    body.hidden = true;
    var parkSel = el("select", {id: "sl-scorecard-park", "aria-label": T("score_park")});
    var yearSel = el("select", {id: "sl-scorecard-year", "aria-label": T("score_year")});
    var status = el("div", {className: "sl-note", role: "status"});
    var content = el("div", {id: "sl-scorecard-content"});
    body.appendChild(el("div", {}, [el("label", {text: T("score_park") + " "}), parkSel, el("span", {text: " "}),
                                    el("label", {text: T("score_year") + " "}), yearSel]));
    body.appendChild(status);
    body.appendChild(content);
    box.appendChild(toggle);
    box.appendChild(body);
    // a control in the map's top-left corner, stacked under the zoom buttons, the search and the chain
    // panel (Leaflet lays the corner out), never drawn over them
    var corner = document.querySelector(".folium-map .leaflet-top.leaflet-left");
    if (corner) {
      box.classList.add("leaflet-control");
      corner.appendChild(box);
      if (window.L && window.L.DomEvent) {
        window.L.DomEvent.disableClickPropagation(box);
        window.L.DomEvent.disableScrollPropagation(box);
      }
    } else {
      s.position = "absolute"; s.top = "80px"; s.left = "10px"; s.zIndex = "1000";
      (document.querySelector(".folium-map") || document.body).appendChild(box);
    }

    toggle.addEventListener("click", function () {
      body.hidden = !body.hidden;
      toggle.setAttribute("aria-expanded", String(!body.hidden));
      if (!body.hidden && !parkSel.options.length) { loadParks(); }
    });
    if (window.location.hash === "#scorecard") { toggle.click(); }  // a link that opens the panel
    parkSel.addEventListener("change", function () { load(parkSel.value, null); });
    yearSel.addEventListener("change", function () { load(parkSel.value, Number(yearSel.value)); });

    function fail() { status.textContent = T("score_load_failed"); }

    function loadParks() {
      fetch("/api/v1/parks").then(function (r) { if (!r.ok) { throw r; } return r.json(); }).then(function (parks) {
        parks.forEach(function (p) { parkSel.appendChild(el("option", {value: p.code, text: p.name || p.code})); });
        if (parks.length) { load(parks[0].code, null); }
      }).catch(fail);
    }

    /** The card of `park` for `year` (null: this year, then the latest year with records). */
    function load(park, year) {
      var y = year || new Date().getFullYear();
      status.textContent = "…";
      fetch("/api/v1/parks/" + encodeURIComponent(park) + "/scorecard?year=" + y + "&lang=" + lang)
        .then(function (r) { if (!r.ok) { throw r; } return r.json(); })
        .then(function (card) {
          if (year === null && card.years.length && card.years.indexOf(y) < 0) {
            return load(park, card.years[card.years.length - 1]);
          }
          status.textContent = "";
          show(card);
        }).catch(fail);
    }

    function link(text, href) {
      return el("a", {href: href, target: "_blank", rel: "noopener", text: text});
    }

    function show(card) {
      while (yearSel.firstChild) { yearSel.removeChild(yearSel.firstChild); }
      var years = card.years.indexOf(card.year) < 0 ? card.years.concat([card.year]).sort() : card.years;
      years.forEach(function (y) { yearSel.appendChild(el("option", {value: String(y), text: String(y)})); });
      yearSel.value = String(card.year);
      while (content.firstChild) { content.removeChild(content.firstChild); }
      content.appendChild(el("h4", {text: T("score_title") + " · " + (card.park_name || card.park) + " · " + card.year}));
      var rows = card.figures.map(function (f) {
        var v = number(f.value, lang);
        var text = v === null ? T("score_no_value") : v + (f.unit ? " " + f.unit : "");
        if (f.numerator !== undefined) { text += " (" + f.numerator + "/" + f.denominator + ")"; }
        return el("tr", {"data-figure": f.id}, [el("td", {text: T("score_" + f.id)}),
                                                el("td", {}, [link(text, f.href)])]);
      });
      content.appendChild(el("table", {}, rows));
      var chainTitle = card.output_grouped_by === "chain" ? "score_output_by_chain" : "score_output_by_division";
      content.appendChild(el("h4", {text: T(chainTitle)}));
      content.appendChild(el("table", {}, card.output_by_chain.map(function (c) {
        return el("tr", {"data-chain": c.chain}, [el("td", {text: c.chain}),
          el("td", {}, [link(number(c.output_wan_yuan, lang) + " 万元", c.href)])]);
      })));
      content.appendChild(el("h4", {text: T("score_mu_classes")}));
      content.appendChild(el("div", {}, Object.keys(card.mu_classes).map(function (k) {
        return el("span", {"data-class": k}, [link(k + ": " + card.mu_classes[k].parcels, card.mu_classes[k].href),
                                              el("span", {text: "  "})]);
      })));
    }
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); }
  else { start(); }
})();
