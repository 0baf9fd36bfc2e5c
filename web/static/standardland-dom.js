/*
 * standardland's one DOM helper for the map page's scripts (map, form, chains, scorecard, beyond):
 * elements are built from data with textContent and attributes only, never parsed as HTML.
 * Loaded first; the other scripts take window.standardlandDom.el.
 */
(function () {
  "use strict";

  /**
   * @param {string} tag
   * @param {?Object<string,string>} props  text → textContent, className → class, style → cssText,
   *                                        anything else an attribute
   * @param {?Array<?Node>} children  null entries are skipped
   * @return {!Element}
   */
  function el(tag, props, children) {
    var node = document.createElement(tag);
    Object.keys(props || {}).forEach(function (k) {
      if (k === "text") { node.textContent = props[k]; }
      else if (k === "className") { node.className = props[k]; }
      else if (k === "style") { node.style.cssText = props[k]; }
      else { node.setAttribute(k, props[k]); }
    });
    (children || []).forEach(function (c) { if (c) { node.appendChild(c); } });
    return node;
  }

  var parsed = {};

  /**
   * The page's JSON configuration element ``id`` parsed once, shared by the scripts that read it
   * (map, chains, scorecard): with 10,000 parcels it is 2.5 MB, and each parse costs tens of ms.
   * @param {string} id
   * @return {?Object}
   */
  function payload(id) {
    if (!(id in parsed)) {
      var node = document.getElementById(id);
      parsed[id] = node ? JSON.parse(node.textContent) : null;
    }
    return parsed[id];
  }

  window.standardlandDom = {el: el, payload: payload};
})();
