/* standardland check form: the project's fields with their units, an industry picker, the decision
 * date, client-side validation, the server's problems shown next to the field they name, a JSON editor
 * behind an "advanced" toggle, and a shareable URL for the check (/map?project=<base64url JSON>).
 *
 * Everything the form knows comes from the page configuration (see standardland-map.js, Config):
 * cfg.formFields (derived from the project field spec standardland.rules.fields), cfg.formProject
 * (the project's JSON text), cfg.formErrors (problem+json errors[]: field, message, expected),
 * cfg.industriesUrl (GET ?q=&limit=), cfg.projectParamLimit, cfg.today, cfg.i18n (web/i18n.json).
 * Units are never converted here: a value typed in 亩 leaves as {"value": x, "unit": "亩"} and the
 * server's units module converts it. Text is set with textContent only.
 */
(function () {
  "use strict";

  var el = window.standardlandDom.el;  // standardland-dom.js

  /** base64url (no padding) of the UTF-8 bytes of text. */
  function base64url(text) {
    var bytes = new TextEncoder().encode(text), bin = "";
    for (var i = 0; i < bytes.length; i++) { bin += String.fromCharCode(bytes[i]); }
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  var INDUSTRY_FIELDS = ["industry_code", "industry_code_edition", "industry_name"];

  /**
   * Build the form. Returns the <form> element.
   * @param {Object} cfg  the page configuration
   * @param {function(string, Object=): string} T  label lookup (web/i18n.json)
   */
  window.standardlandForm = function (cfg, T) {
    var unitName = function (u) { return (cfg.units && cfg.units[u]) || u; };
    var fields = cfg.formFields;
    var byName = {};
    fields.forEach(function (f) { byName[f.name] = f; });
    var initial = null, initialError = null;
    try {
      initial = JSON.parse(cfg.formProject);
      if (initial === null || typeof initial !== "object" || Array.isArray(initial)) { initial = null; }
    } catch (e) { initialError = e; }

    var form = el("form", {className: "sl-panel sl-form", id: "sl-form", novalidate: "novalidate",
                           action: cfg.formAction, method: "get"});
    form.appendChild(el("b", {text: T("form_title")}));
    form.appendChild(el("div", {className: "sl-note", text: T("form_help_fields")}));
    var topErrors = el("div", {className: "sl-form-errors", id: "sl-form-errors", role: "alert"});
    form.appendChild(topErrors);

    var rows = {}, inputs = {}, unitSelects = {}, errorBoxes = {};

    function fieldRow(name, labelText, control, extra) {
      var err = el("div", {className: "sl-field-error", id: "sl-err-" + name, "data-error-for": name, role: "alert"});
      var row = el("div", {className: "sl-field", "data-field": name}, [
        el("label", {"for": "sl-f-" + name, text: labelText}), el("div", {className: "sl-control"}, [control, extra]),
        err]);
      rows[name] = row; errorBoxes[name] = err;
      return row;
    }

    function labelOf(f) { return f.label + (f.required ? " *" : ""); }

    function makeInput(f) {
      var input;
      if (f.kind === "quantity") {
        input = el("input", {type: "number", step: "any", id: "sl-f-" + f.name, name: f.name, inputmode: "decimal"});
        if (f.constraint !== "finite") { input.setAttribute("min", "0"); }
        if (f.upper !== null && f.upper !== undefined) { input.setAttribute("max", String(f.upper)); }
      } else if (f.kind === "date") {
        input = el("input", {type: "date", id: "sl-f-" + f.name, name: f.name});
      } else if (f.kind === "choice" || f.kind === "integer_choice") {
        input = el("select", {id: "sl-f-" + f.name, name: f.name});
        input.appendChild(el("option", {value: "", text: "—"}));
        f.choices.forEach(function (c) {
          var label = T("choice_" + f.name + "_" + c);
          input.appendChild(el("option", {value: String(c), text: label.indexOf("choice_") === 0 ? String(c) : label}));
        });
      } else {
        input = el("input", {type: "text", id: "sl-f-" + f.name, name: f.name, maxlength: "200"});
      }
      input.setAttribute("aria-describedby", "sl-err-" + f.name);
      inputs[f.name] = input;
      return input;
    }

    function unitSelect(f) {
      if (!f.units || f.units.length < 2) {
        return f.unit && f.unit !== "-" ? el("span", {className: "sl-unit", text: unitName(f.unit)}) : null;
      }
      var sel = el("select", {id: "sl-u-" + f.name, className: "sl-unit", "aria-label": T("form_unit")});
      f.units.forEach(function (u) { sel.appendChild(el("option", {value: u, text: unitName(u)})); });
      sel.value = f.defaultUnit || f.unit;
      unitSelects[f.name] = sel;
      return sel;
    }

    // -- the industry picker: official names and codes of every level, 2002/2011/2017 -------------
    var chosen = {code: null, edition: null, name: null};
    var pickerInput = el("input", {type: "search", id: "sl-industry", autocomplete: "off",
                                   placeholder: T("form_industry_placeholder"), "aria-label": T("form_industry")});
    var pickerList = el("ul", {className: "sl-industry-results", id: "sl-industry-results", role: "listbox"});
    var chosenBox = el("div", {className: "sl-industry-chosen", id: "sl-industry-chosen"});
    function showChosen() {
      chosenBox.textContent = "";
      if (!chosen.code && !chosen.name) { return; }
      chosenBox.appendChild(el("span", {text: T("form_industry_chosen") + " " +
        (chosen.code ? "GB/T 4754-" + (chosen.edition || "2017") + " " + chosen.code + " " : "") + (chosen.name || "")}));
      var clear = el("a", {className: "sl-clear", text: "×", title: T("form_clear"), href: "#"});
      clear.addEventListener("click", function (ev) {
        ev.preventDefault(); chosen = {code: null, edition: null, name: null}; showChosen();
      });
      chosenBox.appendChild(clear);
    }
    var searchTimer = null, searchSeq = 0;
    function search() {
      var q = pickerInput.value.trim(), seq = ++searchSeq;
      if (!q) { pickerList.textContent = ""; return; }
      fetch(cfg.industriesUrl + "?limit=20&q=" + encodeURIComponent(q)).then(function (r) {
        return r.ok ? r.json() : [];
      }).then(function (found) {
        if (seq !== searchSeq) { return; }
        pickerList.textContent = "";
        if (!found.length) { pickerList.appendChild(el("li", {className: "sl-none", text: T("form_industry_none")})); }
        found.forEach(function (e) {
          var li = el("li", {role: "option", "data-code": e.code, "data-edition": e.edition,
                             text: e.edition + " · " + e.code + " " + e.name + " (" + T("level_" + e.level) + ")"});
          li.addEventListener("click", function () {
            // a 2011 class is named by its official name (the engine resolves it through the crosswalk);
            // a section is refused by the server with its reason, like any other entry
            if (e.edition === "2011") { chosen = {code: null, edition: null, name: e.name}; }
            else { chosen = {code: e.code, edition: e.edition, name: e.name}; }
            pickerList.textContent = ""; pickerInput.value = ""; showChosen(); clearError("industry_code");
          });
          pickerList.appendChild(li);
        });
      }).catch(function () { pickerList.textContent = ""; });
    }
    pickerInput.addEventListener("input", function () { clearTimeout(searchTimer); searchTimer = setTimeout(search, 150); });
    pickerInput.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { ev.preventDefault(); search(); } });

    // -- the fields, by group -----------------------------------------------------------------------
    var groups = {project: el("div", {className: "sl-group"}), inputs: el("div", {className: "sl-group"}),
                  direct: el("details", {className: "sl-group", id: "sl-direct"}, [el("summary", {text: T("form_direct")})])};
    fields.forEach(function (f) {
      if (INDUSTRY_FIELDS.indexOf(f.name) >= 0) {
        if (f.name === "industry_code") {
          var row = fieldRow("industry_code", T("form_industry"), pickerInput, el("div", null, [pickerList, chosenBox]));
          row.setAttribute("data-fields", INDUSTRY_FIELDS.join(" "));
          groups.project.appendChild(row);
        }
        return;
      }
      groups[f.group].appendChild(fieldRow(f.name, labelOf(f), makeInput(f), unitSelect(f)));
    });
    form.appendChild(groups.project);
    form.appendChild(el("div", {className: "sl-subtitle", text: T("form_inputs")}));
    form.appendChild(groups.inputs);
    form.appendChild(groups.direct);

    // -- advanced: the JSON editor ------------------------------------------------------------------
    var advanced = false;
    var ta = el("textarea", {name: "project", id: "sl-project", spellcheck: "false", "aria-label": T("form_advanced")});
    var taRow = fieldRow("project", T("form_advanced_help"), ta);
    taRow.classList.add("sl-advanced-box");
    taRow.hidden = true;
    var toggle = el("button", {type: "button", id: "sl-advanced", className: "sl-linkish", text: T("form_advanced")});
    form.appendChild(taRow);

    var submit = el("button", {type: "submit", text: T("form_submit"), id: "sl-submit"});
    var share = el("a", {id: "sl-share", text: T("form_share"), href: "#", hidden: "hidden"});
    form.appendChild(el("div", {className: "sl-actions"}, [submit, toggle, share]));

    function fill(doc) {
      fields.forEach(function (f) {
        if (INDUSTRY_FIELDS.indexOf(f.name) >= 0) { return; }
        var input = inputs[f.name], v = doc[f.name];
        if (v === undefined || v === null) {
          input.value = f.kind === "date" ? cfg.today : (f.default !== null && f.default !== undefined ? String(f.default) : "");
          if (unitSelects[f.name]) { unitSelects[f.name].value = f.defaultUnit || f.unit; }
          return;
        }
        if (f.kind === "quantity" && typeof v === "object" && !Array.isArray(v)) {
          var sel = unitSelects[f.name];
          if (sel && [].some.call(sel.options, function (o) { return o.value === v.unit; })) {
            sel.value = v.unit; input.value = v.value === null ? "" : String(v.value);
          } else if (!sel && v.unit === f.unit) {
            input.value = String(v.value);
          } else {  // a unit the form does not offer: leave this project to the JSON editor
            input.value = ""; advancedOnly.push(f.name);
          }
          return;
        }
        if (f.kind === "quantity" && unitSelects[f.name]) { unitSelects[f.name].value = f.unit; }
        input.value = String(v);
      });
      chosen = {code: doc.industry_code !== undefined && doc.industry_code !== null ? String(doc.industry_code) : null,
                edition: doc.industry_code_edition || null, name: doc.industry_name || null};
      if (chosen.code && !chosen.edition) { chosen.edition = byName.industry_code_edition.default; }
      showChosen();
    }

    var handled = fields.map(function (f) { return f.name; });
    var advancedOnly = [];
    var base = {};  // fields the form does not show (e.g. several industries), kept as they were
    function setBase(doc) {
      base = {};
      Object.keys(doc).forEach(function (k) { if (handled.indexOf(k) < 0) { base[k] = doc[k]; } });
    }

    /** The project from the fields, and the problems found before sending it. */
    function collect() {
      var doc = JSON.parse(JSON.stringify(base)), problems = [];
      fields.forEach(function (f) {
        if (INDUSTRY_FIELDS.indexOf(f.name) >= 0) { return; }
        var input = inputs[f.name], raw = input.value.trim();
        if (f.kind === "quantity") {
          if (input.validity && input.validity.badInput) { problems.push([f.name, T("form_err_number")]); return; }
          if (raw === "") { return; }
          var x = Number(raw);
          if (!isFinite(x)) { problems.push([f.name, T("form_err_number")]); return; }
          if (f.constraint === "positive" && !(x > 0)) { problems.push([f.name, T("form_err_positive")]); return; }
          if (f.constraint === "non_negative" && x < 0) { problems.push([f.name, T("form_err_negative")]); return; }
          if (f.upper !== null && f.upper !== undefined && x > f.upper) {
            problems.push([f.name, T("form_err_upper", {max: String(f.upper)})]); return;
          }
          var sel = unitSelects[f.name];
          doc[f.name] = sel && sel.value !== f.unit ? {value: x, unit: sel.value} : x;
          return;
        }
        if (raw === "") {
          if (f.required) { problems.push([f.name, T("form_err_required")]); }
          return;
        }
        if (f.kind === "date") {
          var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(raw);
          var d = m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])) : null;
          if (!d || d.getUTCMonth() !== +m[2] - 1 || d.getUTCDate() !== +m[3]) {
            problems.push([f.name, T("form_err_date")]); return;
          }
          doc[f.name] = raw;
        } else if (f.kind === "integer_choice") {
          doc[f.name] = Number(raw);
        } else {
          doc[f.name] = raw;
        }
      });
      if (chosen.code) {
        doc.industry_code = chosen.code;
        doc.industry_code_edition = chosen.edition || byName.industry_code_edition.default;
      } else if (chosen.name) { doc.industry_name = chosen.name; }  // a name alone (e.g. a 2011 class)
      if (byName.industry_code_edition && doc.industry_code_edition === undefined && doc.industry_code) {
        doc.industry_code_edition = byName.industry_code_edition.default;
      }
      return {doc: doc, problems: problems};
    }

    function clearError(name) { if (errorBoxes[name]) { errorBoxes[name].textContent = ""; rows[name].classList.remove("sl-invalid"); } }
    function clearErrors() {
      topErrors.textContent = "";
      Object.keys(errorBoxes).forEach(clearError);
    }
    /** Show a problem next to the field it names (project.far → far; an industry field → the picker). */
    function showError(field, message) {
      var name = String(field || "project").replace(/^project\./, "").split(".")[0];
      if (INDUSTRY_FIELDS.indexOf(name) >= 0) { name = "industry_code"; }
      if (!rows[name] || (advanced && name !== "project")) {  // not a field of the form: the JSON editor
        if (!advanced) { setAdvanced(true); }
        name = "project";
      }
      if (name === "project" && !advanced) {
        topErrors.appendChild(el("div", {className: "sl-field-error", text: message}));
        return;
      }
      var box = errorBoxes[name];
      box.appendChild(el("div", {text: message}));
      rows[name].classList.add("sl-invalid");
      if (rows[name].parentNode && rows[name].parentNode.tagName === "DETAILS") { rows[name].parentNode.open = true; }
    }

    function setAdvanced(on) {
      if (on === advanced) { return; }
      if (on) {
        var c = collect();
        ta.value = JSON.stringify(c.doc, null, 1);
      } else {
        try {
          var doc = JSON.parse(ta.value);
          if (doc === null || typeof doc !== "object" || Array.isArray(doc)) { throw new Error("not an object"); }
          advancedOnly = []; setBase(doc); fill(doc);
        } catch (e) {
          clearErrors(); showError("project", T("form_err_json") + " (" + e.message + ")");
          return;
        }
      }
      advanced = on;
      taRow.hidden = !on;
      [groups.project, groups.inputs, groups.direct].forEach(function (g) { g.hidden = on; });
      form.querySelector(".sl-subtitle").hidden = on;
      toggle.textContent = on ? T("form_simple") : T("form_advanced");
    }
    toggle.addEventListener("click", function () { setAdvanced(!advanced); });

    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      clearErrors();
      var text;
      if (advanced) {
        text = ta.value;
      } else {
        var c = collect();
        if (c.problems.length) {
          c.problems.forEach(function (p) { showError(p[0], p[1]); });
          var first = form.querySelector(".sl-invalid input, .sl-invalid select");
          if (first) { first.focus(); }
          return;
        }
        text = JSON.stringify(c.doc);
      }
      var param = base64url(text);
      if (param.length > cfg.projectParamLimit) {
        showError("project", T("form_err_too_long", {n: String(cfg.projectParamLimit)}));
        return;
      }
      window.location.assign(cfg.formAction + "&project=" + param);
    });

    // -- the page's project, and the server's problems with it --------------------------------------
    if (initial) {
      setBase(initial); fill(initial);
      if (advancedOnly.length || Object.keys(base).length) { setAdvanced(true); }
    } else {
      fill({});
      setAdvanced(true);
      ta.value = cfg.formProject;
      if (initialError && cfg.formProject && !cfg.formErrors.length) { showError("project", T("form_err_json")); }
    }
    cfg.formErrors.forEach(function (e) {
      showError(e.field, e.message + (e.expected ? " — " + T("form_expected") + " " + e.expected : ""));
    });
    if (cfg.formErrors.length) {
      topErrors.insertBefore(el("div", {className: "sl-field-error sl-summary",
        text: T("form_err_summary", {n: String(cfg.formErrors.length)})}), topErrors.firstChild);
      // the first problem in view (after the page has laid out the side panel)
      setTimeout(function () {
        var first = form.querySelector(".sl-invalid");
        var box = form.closest(".sl-side");  // scroll the panel only (never the map's container)
        if (first && box) {
          box.scrollTop += first.getBoundingClientRect().top - box.getBoundingClientRect().top - 60;
        }
      }, 0);
    }
    if (/[?&]project=/.test(window.location.search) && !cfg.formErrors.length) {
      share.hidden = false;
      share.setAttribute("href", window.location.href);
      share.addEventListener("click", function (ev) {
        ev.preventDefault();
        if (navigator.clipboard) { navigator.clipboard.writeText(window.location.href).catch(function () {}); }
        share.textContent = T("form_share_copied");
      });
    }
    form.standardland = {collect: collect, setAdvanced: setAdvanced, showError: showError};
    return form;
  };
})();
