"""Industry resolution: GB/T 4754-2017 and -2002 codes and names, and the crosswalk between them.

Policy (explicit and tested):

- A 2017 code (2–4 digits) or a 2002 division code with ``edition="2002"`` is accepted; an
  official Chinese name of either edition too. Variant spellings 通讯/通信 and 纸质品/纸制品
  are normalised; generic names (其它, 制造业 ...) are not industries.
- Each project resolves to a *set* of division codes per edition. Where the crosswalk is
  one-to-many (2017-29 ← 2002-29 rubber + 2002-30 plastics; 2002-37 → 2017-36 + 37) the set
  holds all of them and the **strictest** threshold applies, unless a finer 2017 group
  disambiguates (291 → 2002-29, 292 → 2002-30).
- A code with no counterpart (2017-43 repair services has no 2002 division) resolves to
  nothing in that edition: thresholds keyed by that edition read "missing" with the reason.
- A name found in both editions resolves when the crosswalk connects the two codes
  (通用设备制造业 is 2002-35 and 2017-34: the same industry); if it did not, the name would
  be ambiguous and need ``industry_code_edition``.
- Multi-industry projects: ``industries=[{"industry_code", "share"}]`` with the policy
  ``dominant`` (largest investment share; a tie is ambiguous) or ``strictest`` (all of them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from . import codes

EDITIONS = ("2017", "2002")
_GENERIC = {"其它", "其他", "制造业", "工业", "其他制造业务", "其它行业", "其他行业"}


@dataclass(frozen=True)
class Industry:
    """A resolved industry: division codes per edition, or the reason it could not be resolved."""

    div2017: tuple[str, ...] = ()
    div2002: tuple[str, ...] = ()
    label: str = ""
    error: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def codes_for(self, edition: str | None) -> tuple[str, ...]:
        return self.div2017 if edition == "2017" else self.div2002 if edition == "2002" else ()

    @property
    def key2017(self) -> str:
        return "|".join(self.div2017)

    @property
    def key2002(self) -> str:
        return "|".join(self.div2002)

    def to_dict(self) -> dict:
        return {"label": self.label, "gbt4754_2017": list(self.div2017), "gbt4754_2002": list(self.div2002),
                "error": self.error, "notes": list(self.notes)}


def normalise_name(name: str) -> str:
    s = str(name).strip().replace(" ", "").replace("　", "")
    s = s.replace("（", "(").replace("）", ")").replace("，", "、").replace(",", "、")
    s = s.replace("通讯", "通信").replace("纸质品", "纸制品")
    return s


@cache
def _names() -> tuple[dict[str, list[str]], dict[str, str]]:
    n2017: dict[str, list[str]] = {}
    for code, (name, level) in codes.industries_2017().items():
        if level >= 2:
            n2017.setdefault(normalise_name(name), []).append(code)
    n2002 = {normalise_name(name): code for code, name in codes.divisions_2002().items()}
    return n2017, n2002


def _from_2017(code: str) -> Industry:
    table = codes.industries_2017()
    if code not in table or table[code][1] < 2:
        return Industry(error=f"'{code}' is not a GB/T 4754-2017 code (2–4 digits)")
    div = code[:2]
    notes = []
    if code[:3] in codes.GROUP_2017_TO_2002:
        d2002 = (codes.GROUP_2017_TO_2002[code[:3]],)
        notes.append(f"2017-{code[:3]} maps to 2002-{d2002[0]} by its group")
    else:
        d2002 = codes.crosswalk_2017_to_2002().get(div, ())
        if len(d2002) > 1:
            notes.append(f"2017-{div} comes from 2002-{'/'.join(d2002)}: the strictest 2002 value applies")
        if not d2002:
            notes.append(f"2017-{div} has no 2002 counterpart: 2002-keyed thresholds cannot be applied")
    return Industry(div2017=(div,), div2002=tuple(d2002), label=f"{code} {table[code][0]}", notes=tuple(notes))


def _from_2002(code: str) -> Industry:
    names = codes.divisions_2002()
    div = code[:2]
    if div not in names or len(code) != 2:
        return Industry(error=f"'{code}' is not a GB/T 4754-2002 manufacturing division (13–43)")
    d2017 = codes.crosswalk_2002_to_2017().get(div, ())
    notes = []
    if len(d2017) > 1:
        notes.append(f"2002-{div} split into 2017-{'/'.join(d2017)}: the strictest 2017 value applies")
    return Industry(div2017=tuple(d2017), div2002=(div,), label=f"{div} {names[div]} (2002)", notes=tuple(notes))


def resolve(code: str | None = None, *, edition: str | None = None, name: str | None = None) -> Industry:
    """Resolve one industry given by code (with edition, default 2017) or by official name."""
    if edition is not None and str(edition) not in EDITIONS:
        return Industry(error=f"industry_code_edition '{edition}' is unknown; expected 2017 or 2002")
    if code is not None and str(code).strip():
        c = str(code).strip()
        if c.endswith(".0"):
            c = c[:-2]
        if not c.isdigit():
            return Industry(error=f"industry_code '{c}' must be digits (a division, group or class)")
        return _from_2002(c) if str(edition) == "2002" else _from_2017(c)
    if name is None or not str(name).strip():
        return Industry(error="no industry given (industry_code or industry_name)")
    key = normalise_name(name)
    if key in _GENERIC:
        return Industry(error=f"'{name}' is a generic label, not an industry division")
    n2017, n2002 = _names()
    hits2017 = n2017.get(key, [])
    hit2002 = n2002.get(key)
    if str(edition) == "2017":
        hit2002 = None
    if str(edition) == "2002":
        hits2017 = []
    if len(hits2017) > 1:
        return Industry(error=f"'{name}' names several 2017 codes ({', '.join(hits2017)}); give industry_code")
    if hits2017 and hit2002:
        ind = _from_2017(hits2017[0])
        if hit2002 in ind.div2002:
            return ind
        return Industry(error=f"'{name}' is 2017-{hits2017[0]} and 2002-{hit2002}, which differ; "
                              "give industry_code_edition")
    if hits2017:
        return _from_2017(hits2017[0])
    if hit2002:
        return _from_2002(hit2002)
    sections = {normalise_name(n): c for c, (n, lvl) in codes.industries_2017().items() if lvl == 1}
    if key in sections:
        return Industry(error=f"'{name}' is a GB/T 4754 门类 (section {sections[key]}), not an industry division")
    return Industry(error=f"'{name}' is not an official GB/T 4754 (2002 or 2017) industry name")


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
                        + tuple(n for p, _ in parts for n in p.notes))
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
                    notes=(f"dominant industry by investment share ({top:g})",) + w.notes)
