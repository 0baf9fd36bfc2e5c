"""Industry resolution: GB/T 4754 国民经济行业分类 codes and names of the 2002, 2011 and 2017
editions, resolved to divisions (大类) of the editions rule sets key on (2002 and 2017).

Policy (explicit and tested):

- A code of a division, group or class (2–4 digits) is read in ``edition`` 2017 (default), 2011
  or 2002; an official name of a division, group or class of any edition is accepted without one.
  Brackets （）/() and the known variant spellings (通讯/通信, 纸质品/纸制品, 其它/其他, 黏/粘,
  whitespace, ，/、) are equal. Generic labels (其它, 制造业 ...) and sections (门类) are refused
  with the reason; a name that matches nothing is refused with the closest official names as
  suggestions, never an automatic guess.
- In the edition the category belongs to, its division is its own code's first two digits. In the
  other editions it is found **through the official class-level correspondences** (NBS
  2002→2011, GB/T 4754-2017 Appendix B 2011→2017, and their derived 2002→2017 chain): the
  category's classes → their classes in the other edition → those classes' divisions. Where they
  fall in several divisions (2017-29 ← 2002-29 rubber + 2002-30 plastics; 2002-372 汽车制造 →
  2017-36 and, for 3726 汽车修理, 2017-81), the set holds all of them, a note says so, and the
  **strictest** threshold applies downstream. A finer category disambiguates by itself
  (2017-291 → 2002-29, 2017-292 → 2002-30).
- A name official in several editions (通用设备制造业 is 2002-35 and 2017-34) gives each edition
  its own division, provided the correspondences connect them; if they did not, the name would
  be ambiguous and need ``industry_code_edition``.
- A category with no counterpart resolves to nothing in that edition: thresholds keyed by that
  edition read "missing" with the reason.
- Resolution only says *what* an industry is; whether a rule set governs it (scope) is decided
  by the rule set, not here: 仓储业 resolves to 2002-58.
- Multi-industry projects: ``industries=[{"industry_code", "share"}]`` with the policy
  ``dominant`` (largest investment share; a tie is ambiguous) or ``strictest`` (all of them).
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass, field
from functools import cache, lru_cache

from . import codes
from .errors import InputError

#: editions a rule set keys its thresholds on (the divisions resolved for each project)
EDITIONS = ("2017", "2002")
#: editions a code or a name may be given in
CODE_EDITIONS = ("2017", "2011", "2002")
LEVELS = {1: "section", 2: "division", 3: "group", 4: "class"}
_GENERIC = {"其他", "制造业", "工业", "其他制造业务", "其他行业", "行业", "其他产业"}


@dataclass(frozen=True)
class Industry:
    """A resolved industry: division codes per edition, or the reason it could not be resolved.

    ``edition``, ``level`` and ``matched_code`` describe the official category that was matched
    (e.g. 2002, group, 372); ``section2017``/``section2002`` are the 门类 letters of the divisions;
    ``suggestions`` are the closest official names when nothing matched.
    """

    div2017: tuple[str, ...] = ()
    div2002: tuple[str, ...] = ()
    label: str = ""
    error: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    edition: str | None = None
    level: str | None = None
    matched_code: str | None = None
    section2017: tuple[str, ...] = ()
    section2002: tuple[str, ...] = ()
    suggestions: tuple[str, ...] = ()

    def codes_for(self, edition: str | None) -> tuple[str, ...]:
        """The resolved GB/T 4754 divisions of ``edition`` (``"2017"`` or ``"2002"``); empty for any other."""
        return self.div2017 if edition == "2017" else self.div2002 if edition == "2002" else ()

    @property
    def key2017(self) -> str:
        """The 2017 divisions joined by ``|`` (the engine's column form)."""
        return "|".join(self.div2017)

    @property
    def key2002(self) -> str:
        """The 2002 divisions joined by ``|`` (the engine's column form)."""
        return "|".join(self.div2002)

    def to_dict(self) -> dict:
        """The resolution as plain data, for JSON answers."""
        return {"label": self.label, "gbt4754_2017": list(self.div2017), "gbt4754_2002": list(self.div2002),
                "error": self.error, "notes": list(self.notes), "edition": self.edition, "level": self.level,
                "matched_code": self.matched_code, "sections_2017": list(self.section2017),
                "sections_2002": list(self.section2002), "suggestions": list(self.suggestions)}


def normalise_name(name: str) -> str:
    """The matching key of a name: no whitespace, （）→(), ，→、, and the known variant spellings."""
    s = "".join(str(name).split())
    s = s.replace("（", "(").replace("）", ")").replace("，", "、").replace(",", "、")
    return s.replace("通讯", "通信").replace("纸质品", "纸制品").replace("其它", "其他").replace("黏", "粘")


# -- tables (each built once) ----------------------------------------------------------

@cache
def _table(edition: str) -> dict[str, tuple[str, int]]:
    """code -> (name, level) of one edition; 2011 has its classes only."""
    if edition == "2002":
        return codes.industries_2002()
    if edition == "2017":
        return codes.industries_2017()
    return {c: (n, 4) for c, n in codes.classes_2011().items()}


@cache
def _classes(edition: str) -> dict[str, tuple[str, ...]]:
    """Every code of an edition (section letter, division, group, class) -> the classes under it.

    Class codes begin with their division's and group's codes, so 2011 divisions and groups,
    which the correspondence tables do not name, are known by their classes too.
    """
    sec = codes.sections(edition) if edition in EDITIONS else {}
    out: dict[str, list[str]] = {}
    for c, (_, lvl) in _table(edition).items():
        if lvl == 4:
            for k in dict.fromkeys((sec.get(c[:2]), c[:2], c[:3], c)):
                if k:
                    out.setdefault(k, []).append(c)
    return {k: tuple(v) for k, v in out.items()}


def _section_of(edition: str, divisions) -> tuple[str, ...]:
    sec = codes.sections(edition)
    return tuple(sorted({sec[d] for d in divisions if d in sec}))


@cache
def _map(edition: str, code: str, target: str) -> tuple[tuple[str, ...], str | None]:
    """The ``target``-edition divisions of category ``code`` of ``edition``, and a note when
    there are several or none. Own edition: the code's own division."""
    if edition == target:
        return (code[:2],), None
    cw = codes.class_crosswalk(edition, target)
    pairs = Counter()
    detail: dict[str, list[str]] = {}
    for c in _classes(edition)[code]:
        for t in cw.get(c, ()):
            pairs[t[:2]] += 1
            detail.setdefault(t[:2], []).append(f"{c}→{t}")
    divs = tuple(sorted(pairs))
    via = "the official class correspondences" + (" (2002→2011→2017)" if {edition, target} == {"2002", "2017"}
                                                  else "")
    if not divs:
        return (), (f"{edition}-{code} has no GB/T 4754-{target} counterpart in {via}: "
                    f"{target}-keyed thresholds cannot be applied")
    if len(divs) == 1:
        return divs, None
    parts = [f"{d} ({n} class pair{'s' if n > 1 else ''}"
             + (": " + ", ".join(detail[d]) if n <= 2 else "") + ")"
             for d, n in sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0]))]
    return divs, (f"{edition}-{code} falls in several {target} divisions through {via}: "
                  f"{'; '.join(parts)}. The strictest {target} value applies")


def _label(edition: str, code: str) -> str:
    name = _table(edition).get(code, (None,))[0]
    tail = "" if edition == "2017" else f" ({edition})"
    if name is None:
        return f"{code} (2011 {LEVELS[len(code)]}, unnamed in the correspondence tables)"
    return f"{code} {name}{tail}"


@cache
def _node(edition: str, code: str) -> Industry:
    """Resolve one category given by its code in ``edition``."""
    table = _table(edition)
    if code in table and table[code][1] == 1:
        return _section_refusal(((edition, code),), f"'{code}'")
    if code not in _classes(edition) or len(code) not in (2, 3, 4):
        what = "class (4 digits; the correspondence tables name 2011 classes only)" if edition == "2011" \
            else "division, group or class (2–4 digits)"
        lost = "0" + code
        hint = (f"; was a leading zero lost? {edition}-{lost} is {table[lost][0]}"
                if lost in table and table[lost][1] > 1 else "")
        kind = {2: "division", 3: "group", 4: "class"}.get(len(code))
        none = f"there is no {kind} {code}; " if kind and code.isdigit() else ""
        return Industry(error=f"'{code}' is not a GB/T 4754-{edition} code: {none}expected a {what}{hint}")
    d17, n17 = _map(edition, code, "2017")
    d02, n02 = _map(edition, code, "2002")
    lvl = table[code][1] if code in table else len(code)
    return Industry(div2017=d17, div2002=d02, label=_label(edition, code),
                    notes=tuple(n for n in (n17, n02) if n), edition=edition, level=LEVELS[lvl],
                    matched_code=code, section2017=_section_of("2017", d17), section2002=_section_of("2002", d02))


def _section_refusal(hits, shown: str) -> Industry:
    parts = []
    for ed, letter in hits:
        divs = [d for d, s in codes.sections(ed).items() if s == letter]
        parts.append(f"{ed}: section {letter}, divisions {divs[0]}–{divs[-1]}" if len(divs) > 1
                     else f"{ed}: section {letter}, division {divs[0]}")
    return Industry(error=f"{shown} is a GB/T 4754 门类 (section), not an industry division; "
                          f"name its division, group or class ({'; '.join(parts)})",
                    edition=hits[0][0], level="section", matched_code=hits[0][1])


# -- names ----------------------------------------------------------------------------

@cache
def _entries() -> tuple[tuple[str, str, str, int, str], ...]:
    """Every official category: (edition, code, name, level, normalised name), 2017 first."""
    out = []
    for ed in CODE_EDITIONS:
        for c, (n, lvl) in _table(ed).items():
            out.append((ed, c, n, lvl, normalise_name(n)))
    for n, c in codes.ALIASES_2011.items():
        out.append(("2011", c, n, 4, normalise_name(n)))
    return tuple(out)


@cache
def _name_index() -> dict[str, tuple[tuple[str, str, int], ...]]:
    """normalised name -> ((edition, code, level), ...), the most general category first."""
    idx: dict[str, list[tuple[str, str, int]]] = {}
    for ed, c, _, lvl, key in _entries():
        idx.setdefault(key, []).append((ed, c, lvl))
    return {k: tuple(sorted(v, key=lambda h: (h[2], CODE_EDITIONS.index(h[0])))) for k, v in idx.items()}


@cache
def _suggestion_keys() -> tuple[list[str], dict[str, str]]:
    """The normalised names offered as suggestions, and how each is shown: 'name (2002-23, ...)'."""
    names = {k: n for _, _, n, _, k in _entries()}
    shown = {}
    for key, hits in _name_index().items():
        if key not in _GENERIC:
            cats = [h for h in hits if h[2] > 1] or hits  # 教育 (2002-84), not its section P too
            shown[key] = f"{names[key]} ({', '.join(f'{ed}-{c}' for ed, c, _ in cats)})"
    return list(shown), shown


def suggest(name: str, n: int = 3) -> tuple[str, ...]:
    """The closest official names to ``name`` (difflib over normalised names), for an error message."""
    keys, shown = _suggestion_keys()
    return tuple(shown[k] for k in difflib.get_close_matches(normalise_name(name), keys, n=n, cutoff=0.6))


def _by_name(name: str, edition: str | None) -> Industry:
    key = normalise_name(name)
    if key in _GENERIC:
        return Industry(error=f"'{name}' is a generic label, not an industry division")
    hits = _name_index().get(key, ())
    if edition is not None:
        other = [h for h in hits if h[0] != edition]
        hits = tuple(h for h in hits if h[0] == edition)
        if not hits and other:
            where = ", ".join(f"{ed}-{c}" for ed, c, _ in other)
            return Industry(error=f"'{name}' is not a GB/T 4754-{edition} name; it is {where}: "
                                  "give that industry_code_edition or none")
    if not hits:
        sug = suggest(name)
        hint = f"; did you mean {' or '.join(sug)}?" if sug else ""
        return Industry(error=f"'{name}' is not an official GB/T 4754 (2002, 2011 or 2017) industry name{hint}",
                        suggestions=sug)
    cats = [h for h in hits if h[2] > 1]
    if not cats:
        return _section_refusal(tuple((ed, c) for ed, c, _ in hits), f"'{name}'")
    # one category per edition: the most general (its namesakes below it are the same industry,
    # e.g. an undivided group 154 and its class 1540)
    per: dict[str, str] = {}
    for ed, c, _ in cats:
        if ed not in per:
            per[ed] = c
        elif not c.startswith(per[ed]):
            return Industry(error=f"'{name}' names several GB/T 4754-{ed} categories ({per[ed]}, {c}); "
                                  "give industry_code")
    nodes = {ed: _node(ed, c) for ed, c in per.items()}
    # the editions must agree: each edition's category must correspond to the others'
    for a in per:
        for b in per:
            if a != b and b in EDITIONS and per[b][:2] not in nodes[a].codes_for(b):
                return Industry(error=f"'{name}' is {a}-{per[a]} and {b}-{per[b]}, which the class "
                                      "correspondences do not connect; give industry_code_edition")
    nearest = {"2017": ("2017", "2011", "2002"), "2002": ("2002", "2011", "2017")}
    src = {t: next(ed for ed in nearest[t] if ed in per) for t in EDITIONS}
    d17, d02 = nodes[src["2017"]].div2017, nodes[src["2002"]].div2002
    notes = [n for t in EDITIONS for n in (_map(src[t], per[src[t]], t)[1],) if n]
    if len(per) > 1:
        notes.insert(0, f"'{name}' is the official name of {' and '.join(f'{ed}-{c}' for ed, c in per.items())}")
    main = next(ed for ed in CODE_EDITIONS if ed in nodes)
    m = nodes[main]
    return Industry(div2017=d17, div2002=d02, label=m.label, notes=tuple(notes), edition=main, level=m.level,
                    matched_code=m.matched_code, section2017=_section_of("2017", d17),
                    section2002=_section_of("2002", d02))


# -- the public API -------------------------------------------------------------------

def _text(v) -> str | None:
    """A cell as text: None for None/NaN/NA, '372' for 372 or 372.0."""
    try:
        if v is None or v != v:  # NaN; pandas NA raises TypeError on truth
            return None
    except TypeError:
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    s = str(v).strip()
    if s.endswith(".0") and s[:-2].isdigit():
        s = s[:-2]
    return s or None


def resolve(code: str | None = None, *, edition: str | None = None, name: str | None = None) -> Industry:
    """Resolve one industry given by code (in ``edition``, default 2017) or by official name.

    Parameters
    ----------
    code : str or int, optional
        A division, group or class code (2–4 digits). A code wins over a name.
    edition : {"2017", "2011", "2002"}, optional
        The edition of ``code`` (default 2017); with a name only, restricts the name to that edition.
    name : str, optional
        An official name of a division, group or class of any edition.

    Returns
    -------
    Industry
        The divisions in 2017 and 2002 (possibly several, with a note), or ``error`` with the
        reason (and ``suggestions`` for an unknown name). Never raises for bad input.
    """
    return _resolve(_text(code), _text(edition), _text(name))


@lru_cache(maxsize=8192)  # bounded: names come from users
def _resolve(code: str | None, edition: str | None, name: str | None) -> Industry:
    if edition is not None and edition not in CODE_EDITIONS:
        return Industry(error=f"industry_code_edition '{edition}' is unknown; expected 2017, 2011 or 2002")
    if code is not None:
        ed = edition or "2017"
        if code.isalpha() and code.upper() in _table(ed):
            return _node(ed, code.upper())
        if not code.isdigit():
            return Industry(error=f"industry_code '{code}' must be digits (a division, group or class)")
        return _node(ed, code)
    if name is None:
        return Industry(error="no industry given (industry_code or industry_name)")
    return _by_name(name, edition)


def search(query: str, limit: int = 20) -> list[dict]:
    """Official categories of every level and edition matching ``query``, for an industry picker.

    Parameters
    ----------
    query : str
        Digits match codes by prefix; a letter matches a section; text matches names
        (normalised): exact names first, then names starting with it, then names containing
        it, then the closest names (difflib).
    limit : int
        At most this many results (1–200).

    Returns
    -------
    list of dict
        ``{"edition", "code", "name", "level", "section"}``; ``section`` is the 门类 letter
        (None for a 2011 class, whose division the tables do not name).
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 200:
        raise InputError(f"{limit!r}", field="limit", expected="an integer from 1 to 200")
    q = "" if query is None else "".join(str(query).split())
    if not q:
        return []
    ents = _entries()
    if q.isdigit():
        found = sorted((e for e in ents if e[1].startswith(q)),
                       key=lambda e: (len(e[1]), e[1], CODE_EDITIONS.index(e[0])))
    elif q.isalpha() and q.isascii():
        found = [e for e in ents if e[1] == q.upper()]
    else:
        key = normalise_name(q)
        rank = {}
        for e in ents:
            k = e[4]
            r = 0 if k == key else 1 if k.startswith(key) else 2 if key in k else None
            if r is not None:
                rank[e] = (r, e[3], len(k), CODE_EDITIONS.index(e[0]), e[1])
        found = sorted(rank, key=rank.__getitem__)
        if len(found) < limit:
            close = difflib.get_close_matches(key, _suggestion_keys()[0], n=limit, cutoff=0.6)
            seen = set(found)
            found += [e for k in close for e in ents if e[4] == k and e not in seen]
    out, seen = [], set()
    for ed, c, n, lvl, _ in found:
        if (ed, c, n) in seen:
            continue
        seen.add((ed, c, n))
        sec = c if lvl == 1 else codes.sections(ed).get(c[:2]) if ed in EDITIONS else None
        out.append({"edition": ed, "code": c, "name": n, "level": LEVELS[lvl], "section": sec})
        if len(out) == limit:
            break
    return out


def combine(parts: list[tuple[Industry, float | None]], policy: str = "dominant") -> Industry:
    """Combine several industries of one project by the explicit policy (dominant or strictest)."""
    errors = [p.error for p, _ in parts if p.error]
    if errors:
        return Industry(error="; ".join(errors))
    if policy == "strictest":
        d17 = tuple(sorted({c for p, _ in parts for c in p.div2017}))
        d02 = tuple(sorted({c for p, _ in parts for c in p.div2002}))
        return Industry(div2017=d17, div2002=d02, label=" + ".join(p.label for p, _ in parts),
                        notes=("several industries: the strictest value of each indicator applies",)
                        + tuple(n for p, _ in parts for n in p.notes),
                        section2017=_section_of("2017", d17), section2002=_section_of("2002", d02))
    if policy != "dominant":
        return Industry(error=f"multi_industry_policy '{policy}' is unknown; expected dominant or strictest")
    shares = [s for _, s in parts]
    if any(s is None for s in shares):
        return Industry(error="the dominant policy needs a 'share' (of investment) for every industry")
    top = max(shares)
    winners = [p for p, s in parts if s == top]
    if len(winners) > 1:
        return Industry(error="two industries tie for the largest share; use the strictest policy")
    w = winners[0]
    return Industry(div2017=w.div2017, div2002=w.div2002, label=w.label,
                    notes=(f"dominant industry by investment share ({top:g})",) + w.notes,
                    edition=w.edition, level=w.level, matched_code=w.matched_code,
                    section2017=w.section2017, section2002=w.section2002)
