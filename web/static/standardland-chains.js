/**
 * standardland industry-chain layer (产业链): member parcels coloured by chain, each leader (链主)
 * marked, and a panel listing the chains with their gaps (补链). Reads payload.config.chains
 * (standardland.chains.map_layer) from the page's JSON configuration; every name is put in text
 * nodes, never parsed as HTML. Wraps window.standardlandMap, so the page needs no other hook.
 *
 * @typedef {Object} ChainLayer
 * @property {string} title
 * @property {boolean} show                    on at first (/map?layer=chains)
 * @property {Array<{code:string,name:string,colour:string,leader:string,illustrative:boolean,
 *                   members:number,gaps:Array<string>}>} legend
 * @property {Array<{parcel_code:string,chain:string,colour:string,chain_name:string,segment:string,
 *                   member:string,leader:boolean,geometry:Object}>} features
 * @property {Array<{chain:string,chain_name:string,name:string,colour:string,parcel_code:string,
 *                   lat:number,lon:number}>} leaders
 */
(function () {
  "use strict";

  var el = window.standardlandDom.el;  // standardland-dom.js

  function drawChains(map, configId) {
    var payload = window.standardlandDom.payload(configId);  // parsed once for every script
    var cfg = payload.config;
    var data = cfg.chains;
    if (!data) { return null; }
    var T = function (key) { return cfg.i18n[key] || key; };
    var group = L.layerGroup();
    if (!map.getPane("slChains")) { map.createPane("slChains").style.zIndex = 450; }  // above the parcels
    var areas = L.geoJSON({type: "FeatureCollection", features: data.features.map(function (f) {
      return {type: "Feature", geometry: f.geometry, properties: f};
    })}, {
      pane: "slChains",
      style: function (f) {
        var p = f.properties;
        return {color: p.leader ? "#222" : p.colour, weight: p.leader ? 3 : 2, fillColor: p.colour, fillOpacity: 0.85,
                className: "sl-chain-parcel" + (p.leader ? " sl-chain-leader-parcel" : "")};
      },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        layer.bindTooltip(function () {
          return el("div", {}, [el("b", {text: p.chain_name}), el("br"),
                                el("span", {text: T("chain_segment") + ": " + p.segment}), el("br"),
                                el("span", {text: (p.leader ? T("chain_leader") : T("chain_member")) + ": " + p.member}),
                                el("br"), el("span", {text: p.parcel_code})]);
        });
      }
    });
    group.addLayer(areas);
    data.leaders.forEach(function (d) {
      var icon = L.divIcon({className: "sl-chain-leader", iconSize: [26, 26], iconAnchor: [13, 13],
                            html: el("span", {text: "★", style: "display:block;width:22px;height:22px;line-height:22px;"
                                                  + "text-align:center;font-size:17px;border-radius:50%;background:#fff;"
                                                  + "color:" + d.colour + ";border:2px solid #222;"
                                                  + "box-shadow:0 1px 3px rgba(0,0,0,.5)"})});
      var marker = L.marker([d.lat, d.lon], {icon: icon, title: d.name, keyboard: false});
      marker.bindTooltip(function () {
        return el("div", {}, [el("b", {text: T("chain_leader") + " " + d.name}), el("br"),
                              el("span", {text: d.chain_name})]);
      }, {direction: "top", offset: [0, -10]});
      group.addLayer(marker);
    });

    var panel = L.control({position: "topleft"});
    panel.onAdd = function () {
      var box = el("div", {className: "sl-panel sl-chains", "data-ui": "chains"});
      var toggle = el("input", {type: "checkbox", id: "sl-chains-toggle"});
      toggle.checked = !!data.show;
      box.appendChild(el("label", {"for": "sl-chains-toggle"}, [toggle, el("b", {text: " " + data.title})]));
      data.legend.forEach(function (c) {
        var row = el("div", {className: "sl-chain-row", "data-chain": c.code}, [
          el("i", {className: "sl-swatch", style: "display:inline-block;width:14px;height:14px;margin-right:6px;"
                                                  + "vertical-align:-2px;background:" + c.colour}),
          el("span", {text: c.name}),
          el("span", {className: "sl-note", text: " · " + T("chain_leader") + " " + c.leader})]);
        box.appendChild(row);
        box.appendChild(el("div", {className: "sl-note sl-chain-gaps",
                                   text: T("chain_gaps") + ": " + (c.gaps.length ? c.gaps.join("；") : T("chain_no_gaps"))}));
      });
      if (data.legend.some(function (c) { return c.illustrative; })) {
        box.appendChild(el("div", {className: "sl-note", text: "(" + T("chain_illustrative") + ")"}));
      }
      L.DomEvent.disableClickPropagation(box);
      toggle.addEventListener("change", function () {
        if (toggle.checked) { group.addTo(map); } else { group.remove(); }
      });
      return box;
    };
    panel.addTo(map);
    if (data.show) { group.addTo(map); }
    return group;
  }

  var base = window.standardlandMap;
  window.standardlandMap = function (map, configId) {
    var out = base ? base.apply(this, arguments) : undefined;
    window.standardlandChainLayer = drawChains(map, configId);
    return out;
  };
})();
