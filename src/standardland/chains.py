"""Industry chains (产业链) as data: segments, members, gap analysis (补链) and chain proximity.

A chain has a ``code``, a ``name``, a **leader** enterprise (链主) and **segments** (上游/中游/下游 or
named links), each defined by GB/T 4754 industry codes or official names of any level and edition,
resolved by :func:`standardland.industry.resolve` (the one home of industry resolution).

Membership policy (explicit and tested):

- Every category is compared through its **GB/T 4754-2017 classes**: a 2017 code by the classes
  under it, a 2002 or 2011 code through the official class correspondences
  (:func:`standardland.codes.class_crosswalk`).
- An industry given in the segment's own edition belongs to the segment when its classes lie
  **within** the segment's (2720 is in segment 272; division 27 is not in segment 2720). Across
  editions the correspondences spread categories, so any overlap counts.
- Enterprises belong to a chain **explicitly** (the chain's ``leader`` and ``members``, each with a
  ``segment``, or with an industry that resolves into one) and applications **by their project's
  industry** once their agreement is signed (:func:`application_members`), resolved once per
  distinct industry. Anonymous readers see application members by number only.
- Gap analysis: a segment with no member in the park is a 补链 target, listed with the industry
  codes to recruit (:func:`gaps`).

Chain proximity (:func:`proximity`): when a project belongs to a segment, each candidate parcel's
distance to the chain's nearest member parcel and to the leader's parcel is measured in metres in
the candidate's own 3° Gauss-Krüger zone (:mod:`standardland.crs`), never in degrees; the ranking
bonus is ``weight · exp(−distance / scale_m)`` (default weight :data:`DEFAULT_WEIGHT`, scale
:data:`DEFAULT_SCALE_M`, both configurable per chain). Matching adds it beside the headroom, after
the verdict and the failure counts, so it never lifts a parcel over a failed filter or indicator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, lru_cache

import numpy as np
import pandas as pd
import shapely

from . import codes as codelists
from . import crs as crsmod
from . import labels
from .errors import InputError
from .industry import CODE_EDITIONS, Industry, resolve

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
STAGES = ("upstream", "midstream", "downstream")
#: the default ranking bonus of a parcel next to a member (the headroom term is within −1…1)
DEFAULT_WEIGHT = 0.1
#: distance (m) at which the bonus falls to 1/e of the weight
DEFAULT_SCALE_M = 1000.0
MAX_SEGMENTS, MAX_CODES, MAX_MEMBERS = 20, 50, 500
_DOC_KEYS = {"code", "name", "name_en", "park", "leader", "segments", "members", "illustrative", "note",
             "proximity"}
_SEG_KEYS = {"id", "name", "name_en", "stage", "industry_codes", "industry_code_edition"}
_MEMBER_KEYS = {"name", "segment", "parcel_code", "industry_code", "industry_code_edition"}


# -- labels ---------------------------------------------------------------------------------------

def label(key: str, lang: str = "zh", **values) -> str:
    """The ``web/i18n.json`` label ``key`` in ``lang``, ``{names}`` filled with ``values``.

    Examples
    --------
    >>> label("chain_stage_upstream", "en")
    'upstream'
    """
    return labels.label(key, lang, **values)


def distance_text(metres: float) -> str:
    """A distance as people read it: ``850 m`` below a kilometre, ``1.2 km`` above.

    Examples
    --------
    >>> distance_text(849.6), distance_text(1234.0)
    ('850 m', '1.2 km')
    """
    return f"{metres:,.0f} m" if metres < 1000 else f"{metres / 1000:,.1f} km"


# -- industries as 2017 classes --------------------------------------------------------------------

@cache
def _class_codes(edition: str) -> tuple[str, ...]:
    if edition == "2017":
        return tuple(c for c, (_, lvl) in codelists.industries_2017().items() if lvl == 4)
    if edition == "2002":
        return tuple(c for c, (_, lvl) in codelists.industries_2002().items() if lvl == 4)
    return tuple(codelists.classes_2011())


@lru_cache(maxsize=4096)
def _classes_of(edition: str, code: str) -> frozenset[str]:
    under = [c for c in _class_codes(edition) if c.startswith(code)]
    if edition == "2017":
        return frozenset(under)
    cw = codelists.class_crosswalk(edition, "2017")
    return frozenset(t for c in under for t in cw.get(c, ()))


def classes2017(ind: Industry) -> frozenset[str]:
    """The GB/T 4754-2017 classes of a resolved industry (empty for an unresolved one).

    Examples
    --------
    >>> sorted(classes2017(resolve("272")))
    ['2720']
    >>> sorted(classes2017(resolve("2720", edition="2002")))
    ['2720']
    """
    if ind.error:
        return frozenset()
    if ind.edition and ind.matched_code:
        return _classes_of(ind.edition, ind.matched_code)
    return frozenset().union(*(_classes_of("2017", d) for d in ind.div2017)) if ind.div2017 else frozenset()


def _resolve_value(value, edition, field: str) -> Industry:
    v = str(value).strip() if value is not None else ""
    if not v:
        raise InputError("no industry given", field=field, expected="a GB/T 4754 code or official name")
    ind = resolve(v, edition=edition) if v.isdigit() else resolve(name=v, edition=edition)
    if ind.error:
        raise InputError(f"industry '{v}': {ind.error}", field=field,
                         expected="a GB/T 4754 division, group or class code (e.g. 272 or 2720) or official name")
    return ind


# -- the data --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Segment:
    """A link of a chain (上游/中游/下游 or named), defined by industry categories."""

    id: str
    name: str
    industry_codes: tuple[str, ...]
    edition: str = "2017"
    name_en: str | None = None
    stage: str | None = None
    industries: tuple[Industry, ...] = field(default=(), repr=False, compare=False)

    @property
    def classes(self) -> frozenset[str]:
        """The 2017 classes the segment covers."""
        return frozenset().union(*(classes2017(i) for i in self.industries))

    def covers(self, ind: Industry) -> bool:
        """Whether an industry belongs to this segment (the module's membership policy)."""
        mine = classes2017(ind)
        if not mine:
            return False
        same = ind.edition == self.edition or ind.edition is None
        return mine <= self.classes if same else bool(mine & self.classes)

    def display(self, lang: str = "zh") -> str:
        """The segment's name in ``lang``."""
        return (self.name_en or self.name) if lang == "en" else self.name

    def recruit(self) -> list[dict]:
        """The industry codes to recruit for this segment, each with its official label."""
        return [{"code": i.matched_code or c, "edition": i.edition or self.edition, "label": i.label}
                for c, i in zip(self.industry_codes, self.industries, strict=True)]


@dataclass(frozen=True)
class Member:
    """An enterprise of a chain in the park: listed in the chain, its leader, or an application."""

    name: str
    segment: str
    parcel_code: str | None = None
    industry_code: str | None = None
    edition: str | None = None
    source: str = "listed"  # listed | leader | application
    application_id: int | None = None
    chain: str | None = None  # set on application members (they are found across chains)

    def to_dict(self) -> dict:
        """The member as a document (``None`` fields left out)."""
        d = {"name": self.name, "segment": self.segment, "parcel_code": self.parcel_code,
             "industry_code": self.industry_code, "industry_code_edition": self.edition}
        return {k: v for k, v in d.items() if v is not None}


@dataclass(frozen=True)
class Chain:
    """An industry chain: code, name, leader (链主), segments and listed members."""

    code: str
    name: str
    leader: Member
    segments: tuple[Segment, ...]
    members: tuple[Member, ...] = ()
    name_en: str | None = None
    park: str | None = None
    illustrative: bool = False
    note: str | None = None
    weight: float = DEFAULT_WEIGHT
    scale_m: float = DEFAULT_SCALE_M

    def segment(self, seg_id: str) -> Segment:
        """The segment ``seg_id`` (a :class:`KeyError` if there is none)."""
        for s in self.segments:
            if s.id == seg_id:
                return s
        raise KeyError(seg_id)

    def segment_of(self, ind: Industry) -> Segment | None:
        """The first segment an industry belongs to, or None."""
        return next((s for s in self.segments if s.covers(ind)), None)

    def display(self, lang: str = "zh") -> str:
        """The chain's name in ``lang``."""
        return (self.name_en or self.name) if lang == "en" else self.name

    def to_dict(self) -> dict:
        """The canonical document (what the store keeps and ``chains import`` reads back)."""
        d = {"code": self.code, "name": self.name, "name_en": self.name_en, "park": self.park,
             "illustrative": self.illustrative, "note": self.note,
             "leader": self.leader.to_dict(),
             "segments": [{k: v for k, v in {"id": s.id, "name": s.name, "name_en": s.name_en, "stage": s.stage,
                                            "industry_codes": list(s.industry_codes),
                                            "industry_code_edition": s.edition}.items() if v is not None}
                          for s in self.segments],
             "members": [m.to_dict() for m in self.members],
             "proximity": {"weight": self.weight, "scale_m": self.scale_m}}
        return {k: v for k, v in d.items() if v is not None}


def _text(doc: dict, key: str, field: str, *, required: bool = False, limit: int = 200) -> str | None:
    v = doc.get(key)
    if v is None or (isinstance(v, str) and not v.strip()):
        if required:
            raise InputError("missing", field=field, expected=f"a text of 1–{limit} characters")
        return None
    if not isinstance(v, str) or len(v) > limit or "\x00" in v:
        raise InputError(f"{v!r:.60}", field=field, expected=f"a text of 1–{limit} characters (no NUL)")
    return v.strip()


def _edition(doc: dict, field: str) -> str:
    e = doc.get("industry_code_edition")
    if e is None:
        return "2017"
    e = str(e).strip()
    if e not in CODE_EDITIONS:
        raise InputError(f"'{e}' is not an edition", field=field, expected="2017, 2011 or 2002")
    return e


def _obj(v, field: str, keys: set[str]) -> dict:
    if not isinstance(v, dict):
        raise InputError(f"a JSON {type(v).__name__}, not an object", field=field, expected="an object")
    extra = set(v) - keys
    if extra:
        raise InputError(f"unknown field(s) {', '.join(sorted(map(str, extra)))}", field=field,
                         expected=", ".join(sorted(keys)))
    return v


def _segment(doc, i: int) -> Segment:
    f = f"segments[{i}]"
    doc = _obj(doc, f, _SEG_KEYS)
    sid = _text(doc, "id", f"{f}.id", required=True, limit=64)
    assert sid is not None
    if not CODE_RE.match(sid):
        raise InputError(f"'{sid}'", field=f"{f}.id", expected="1–64 letters, digits, '-' or '_'")
    stage = doc.get("stage")
    if stage is not None and stage not in STAGES:
        raise InputError(f"'{stage}'", field=f"{f}.stage", expected="upstream, midstream or downstream")
    edition = _edition(doc, f"{f}.industry_code_edition")
    raw = doc.get("industry_codes")
    if isinstance(raw, str):
        raw = [v for v in re.split(r"[,，;；\s]+", raw) if v]
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_CODES:
        raise InputError(f"{raw!r:.60}", field=f"{f}.industry_codes",
                         expected=f"a list of 1–{MAX_CODES} GB/T 4754 codes or official names")
    inds = tuple(_resolve_value(v, edition, f"{f}.industry_codes[{j}]") for j, v in enumerate(raw))
    return Segment(id=sid, name=_text(doc, "name", f"{f}.name", required=True) or sid,
                   name_en=_text(doc, "name_en", f"{f}.name_en"), stage=stage, edition=edition,
                   industry_codes=tuple(str(v).strip() for v in raw), industries=inds)


def _member(doc, f: str, segments: tuple[Segment, ...], source: str) -> Member:
    doc = _obj(doc, f, _MEMBER_KEYS)
    name = _text(doc, "name", f"{f}.name", required=True)
    assert name is not None
    parcel = _text(doc, "parcel_code", f"{f}.parcel_code", limit=64)
    code = doc.get("industry_code")
    edition = _edition(doc, f"{f}.industry_code_edition") if code is not None else None
    ind = _resolve_value(code, edition, f"{f}.industry_code") if code is not None else None
    ids = [s.id for s in segments]
    seg = doc.get("segment")
    if seg is not None:
        if seg not in ids:
            raise InputError(f"'{seg}' is not a segment of this chain", field=f"{f}.segment",
                             expected=f"one of {', '.join(ids)}")
    elif ind is not None:
        hit = next((s for s in segments if s.covers(ind)), None)
        if hit is None:
            raise InputError(f"industry '{code}' ({ind.label}) is in no segment of this chain", field=f"{f}.segment",
                             expected=f"a segment ({', '.join(ids)}) or an industry within one")
        seg = hit.id
    else:
        raise InputError("missing", field=f"{f}.segment",
                         expected=f"a segment ({', '.join(ids)}) or an industry_code within one")
    return Member(name=name, segment=seg, parcel_code=parcel, industry_code=None if code is None else str(code).strip(),
                  edition=edition, source=source)


def _number(v, field: str, default: float, *, lo: float, hi: float) -> float:
    if v is None:
        return default
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v) or not lo <= v <= hi:
        raise InputError(f"{v!r}", field=field, expected=f"a number from {lo:g} to {hi:g}")
    return float(v)


def parse_chain(doc) -> Chain:
    """Validate a chain document; an :class:`~standardland.errors.InputError` names the field.

    Parameters
    ----------
    doc : dict
        ``code``, ``name`` (required), ``name_en``, ``park``, ``illustrative``, ``note``,
        ``leader`` (``name``, ``segment`` or ``industry_code``, ``parcel_code``), ``segments``
        (``id``, ``name``, ``stage``, ``industry_codes``, ``industry_code_edition``), ``members``
        (as the leader) and ``proximity`` (``weight`` 0–1, ``scale_m`` 10–100,000).

    Returns
    -------
    Chain

    Examples
    --------
    >>> c = parse_chain({"code": "bio", "name": "生物医药", "leader": {"name": "L", "industry_code": "2720"},
    ...                  "segments": [{"id": "mid", "name": "制剂", "industry_codes": ["272"]}]})
    >>> c.leader.segment, c.weight
    ('mid', 0.1)
    >>> parse_chain({"code": "bio", "name": "x", "leader": {"name": "L", "segment": "up"},
    ...              "segments": [{"id": "mid", "name": "制剂", "industry_codes": ["99x"]}]})
    Traceback (most recent call last):
    ...
    standardland.errors.InputError: segments[0].industry_codes[0]: industry '99x': ...
    """
    doc = _obj(doc, "chain", _DOC_KEYS)
    code = _text(doc, "code", "code", required=True, limit=64)
    assert code is not None
    if not CODE_RE.match(code):
        raise InputError(f"'{code}'", field="code", expected="1–64 letters, digits, '-' or '_'")
    name = _text(doc, "name", "name", required=True)
    assert name is not None
    segs_raw = doc.get("segments")
    if not isinstance(segs_raw, list) or not 1 <= len(segs_raw) <= MAX_SEGMENTS:
        raise InputError(f"{segs_raw!r:.60}", field="segments", expected=f"a list of 1–{MAX_SEGMENTS} segments")
    segments = tuple(_segment(s, i) for i, s in enumerate(segs_raw))
    ids = [s.id for s in segments]
    dup = next((s for s in ids if ids.count(s) > 1), None)
    if dup:
        raise InputError(f"segment id '{dup}' is used twice", field="segments", expected="unique ids")
    if "leader" not in doc:
        raise InputError("missing", field="leader", expected="the chain leader (链主): name and segment")
    leader = _member(doc["leader"], "leader", segments, "leader")
    mem_raw = doc.get("members") or []
    if not isinstance(mem_raw, list) or len(mem_raw) > MAX_MEMBERS:
        raise InputError(f"{mem_raw!r:.60}", field="members", expected=f"a list of at most {MAX_MEMBERS} members")
    members = tuple(_member(m, f"members[{i}]", segments, "listed") for i, m in enumerate(mem_raw))
    prox = doc.get("proximity") or {}
    prox = _obj(prox, "proximity", {"weight", "scale_m"})
    ill = doc.get("illustrative", False)
    if not isinstance(ill, bool):
        raise InputError(f"{ill!r}", field="illustrative", expected="true or false")
    park = _text(doc, "park", "park", limit=64)
    return Chain(code=code, name=name, name_en=_text(doc, "name_en", "name_en"), park=park,
                 illustrative=ill, note=_text(doc, "note", "note", limit=2000),
                 leader=leader, segments=segments, members=members,
                 weight=_number(prox.get("weight"), "proximity.weight", DEFAULT_WEIGHT, lo=0, hi=1),
                 scale_m=_number(prox.get("scale_m"), "proximity.scale_m", DEFAULT_SCALE_M, lo=10, hi=100_000))


def read_chains(doc) -> list[Chain]:
    """Chains from a file's document: one chain, a list, or ``{"chains": [...]}`` (fields ``chains[i]…``).

    Examples
    --------
    >>> import json
    >>> from standardland.resources import geodata
    >>> doc = json.loads(geodata("chains", "sample_chains.json").read_text("utf-8"))
    >>> [c.leader.name for c in read_chains(doc)]
    ['绿叶制药', '艾多美', '长城电脑']
    """
    if isinstance(doc, dict) and "chains" in doc:
        doc = doc["chains"]
    if isinstance(doc, dict):
        return [parse_chain(doc)]
    if not isinstance(doc, list) or not doc:
        raise InputError("no chains", field="chains", expected="a chain object or a non-empty list of them")
    out = []
    for i, d in enumerate(doc):
        try:
            out.append(parse_chain(d))
        except InputError as exc:
            raise InputError(exc.message, field=f"chains[{i}].{exc.field}", expected=exc.expected) from None
    codes = [c.code for c in out]
    dup = next((c for c in codes if codes.count(c) > 1), None)
    if dup:
        raise InputError(f"chain code '{dup}' is used twice", field="chains", expected="unique codes")
    return out


# -- membership -------------------------------------------------------------------------------------

def classify(chains: list[Chain], industries: list[Industry]) -> pd.DataFrame:
    """Which chain segments each industry belongs to, resolved once per distinct industry.

    Returns
    -------
    pandas.DataFrame
        One row per (input position, chain, segment): ``row``, ``chain``, ``segment``.

    Examples
    --------
    >>> c = parse_chain({"code": "bio", "name": "x", "leader": {"name": "L", "segment": "mid"},
    ...                  "segments": [{"id": "mid", "name": "制剂", "industry_codes": ["272"]}]})
    >>> classify([c], [resolve("2720"), resolve("2710"), resolve("2720")])["row"].tolist()
    [0, 2]
    """
    keys = pd.Series([(i.edition, i.matched_code, i.div2017, i.error) for i in industries], dtype=object)
    codes_, uniq = pd.factorize(keys)
    first = {k: j for j, k in reversed(list(enumerate(codes_)))}
    hits: dict[int, list[tuple[str, str]]] = {}
    for u in range(len(uniq)):
        ind = industries[first[u]]
        hits[u] = [(c.code, s.id) for c in chains for s in c.segments if s.covers(ind)]
    rows = [(r, c, s) for r, u in enumerate(codes_) for c, s in hits[int(u)]]
    return pd.DataFrame(rows, columns=["row", "chain", "segment"])


def in_park_states() -> tuple[str, ...]:
    """Application states whose enterprise is in the park: the agreement signed, not closed or recovered."""
    from .workflow.machine import STATES, TERMINAL

    return tuple(s for s in STATES[STATES.index("agreement_signed"):] if s not in TERMINAL)


def _industries(applications: list[dict]) -> list[Industry]:
    """Each application's project industry, resolved (an unreadable one as an error that no segment covers)."""
    from .rules.project import resolve_industry

    out = []
    for a in applications:
        try:
            out.append(resolve_industry(a.get("project") or {}))
        except InputError:
            out.append(Industry(error="unreadable"))
    return out


def application_members(chains: list[Chain], applications: list[dict], *, reveal: bool = True) -> list[Member]:
    """Members by their project's industry: the applications whose enterprise is in the park
    (:func:`in_park_states`). ``reveal=False`` (anonymous readers, who may not see the application
    register) names each by its number only."""

    states = in_park_states()
    apps = [a for a in applications if a.get("state") in states]
    hits = classify(chains, _industries(apps))
    out = []
    for r, c, s in hits.itertuples(index=False):
        a = apps[r]
        code = (a.get("project") or {}).get("industry_code")
        name = str(a.get("applicant") or f"#{a['id']}") if reveal else f"#{a['id']}"
        out.append(Member(name=name,
                          segment=s, parcel_code=a.get("parcel_code"), source="application",
                          industry_code=None if code is None or not reveal else str(code), application_id=a.get("id"),
                          chain=c))
    return out


def members_of(chain: Chain, extra: list[Member] | tuple = ()) -> list[Member]:
    """The chain's members in the park: its leader, its listed members, and ``extra`` ones of this chain."""
    return [chain.leader, *chain.members, *[m for m in extra if m.chain in (None, chain.code)]]


def gaps(chain: Chain, members: list[Member]) -> list[dict]:
    """补链 targets: the segments with no member, each with the industry codes to recruit.

    Examples
    --------
    >>> c = parse_chain({"code": "bio", "name": "x", "leader": {"name": "L", "segment": "mid"},
    ...                  "segments": [{"id": "up", "name": "原料药", "industry_codes": ["271"]},
    ...                               {"id": "mid", "name": "制剂", "industry_codes": ["272"]}]})
    >>> [(g["segment"], [r["code"] for r in g["recruit"]]) for g in gaps(c, members_of(c))]
    [('up', ['271'])]
    """
    held = {m.segment for m in members}
    return [{"segment": s.id, "name": s.name, "name_en": s.name_en, "stage": s.stage, "recruit": s.recruit()}
            for s in chain.segments if s.id not in held]


def summary(chain: Chain, members: list[Member]) -> dict:
    """A chain as shown by ``chains show`` and ``GET /chains/{code}``: segments with their members, gaps."""
    doc = chain.to_dict()
    doc["segments"] = [{**sd, "members": [m.to_dict() | {"source": m.source} for m in members if m.segment == s.id],
                        "recruit": s.recruit()}
                       for sd, s in zip(doc["segments"], chain.segments, strict=True)]
    doc["members"] = [m.to_dict() | {"source": m.source} for m in members]
    doc["gaps"] = gaps(chain, members)
    return doc


# -- distances and proximity ------------------------------------------------------------------------

def distances_m(targets, sources, *, to=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each target's distance in metres to its nearest source, that source's position, and (with
    ``to``) its distance to that one geometry.

    All are EPSG:4490 lon/lat geometries; each target is measured in its own 3° Gauss-Krüger
    zone (the sources projected into that zone), with one STRtree nearest query per zone.

    Examples
    --------
    >>> a, b = crsmod.transform([shapely.Point(500_000, 4_140_000), shapely.Point(501_200, 4_140_000)], 4549, 4490)
    >>> d, j, _ = distances_m([a], [b])
    >>> round(float(d[0]), 3), j.tolist()
    (1200.0, [0])
    """
    targets = np.asarray(targets, dtype=object)
    sources = np.asarray(sources, dtype=object)
    dist = np.full(len(targets), np.nan)
    near = np.full(len(targets), -1)
    to_dist = np.full(len(targets), np.nan)
    if not len(targets) or not len(sources):
        return dist, near, to_dist
    zones = crsmod.gk3_zone(shapely.get_x(shapely.centroid(targets)))
    for z in np.unique(zones):
        sel = np.flatnonzero(zones == z)
        epsg = crsmod.gk3_epsg(int(z))
        tp = crsmod.transform(targets[sel], crsmod.STORAGE_EPSG, epsg)
        sp = crsmod.transform(sources, crsmod.STORAGE_EPSG, epsg)
        (ti, si), d = shapely.STRtree(sp).query_nearest(tp, return_distance=True, all_matches=False)
        dist[sel[ti]] = d
        near[sel[ti]] = si
        if to is not None:
            to_dist[sel] = shapely.distance(tp, crsmod.transform([to], crsmod.STORAGE_EPSG, epsg)[0])
    return dist, near, to_dist


@dataclass
class ChainContext:
    """The chains and their members' parcel geometries, prepared once for :func:`proximity`."""

    chains: list[Chain]
    members: dict[str, list[Member]]   # chain code -> members
    geometry: dict[str, object]        # parcel code -> EPSG:4490 geometry


def context(chains: list[Chain], members: dict[str, list[Member]], parcels) -> ChainContext:
    """A :class:`ChainContext` over ``parcels`` (a GeoDataFrame with ``code``: the member parcels' geometry)."""
    wanted = {m.parcel_code for ms in members.values() for m in ms if m.parcel_code}
    sub = parcels[parcels["code"].isin(wanted)] if len(parcels) else parcels
    geo = dict(zip(sub["code"].tolist(), np.asarray(sub.geometry.values, dtype=object), strict=True))
    return ChainContext(chains=chains, members=members, geometry=geo)


@dataclass
class Proximity:
    """The chain-proximity term of a set of candidate parcels (:func:`proximity`): arrays over the
    candidates, explained per candidate on demand (only the ranked ones are)."""

    bonus: np.ndarray
    distance_m: np.ndarray
    leader_distance_m: np.ndarray
    nearest: np.ndarray              # position in ``placed``; −1 for none
    chain: Chain | None = None
    segment: Segment | None = None
    placed: list[Member] = field(default_factory=list)

    def info(self, lang: str = "zh") -> dict | None:
        """The chain and segment the project belongs to, or None."""
        if self.chain is None or self.segment is None:
            return None
        c, seg = self.chain, self.segment
        return {"code": c.code, "name": c.display(lang), "segment": seg.id, "segment_name": seg.display(lang),
                "leader": c.leader.name, "illustrative": c.illustrative}

    def detail(self, i: int, lang: str = "zh") -> dict | None:
        """Candidate ``i``'s distances, bonus and its note in ``lang``, or None without a term."""
        if self.chain is None or self.segment is None or self.nearest[i] < 0:
            return None
        c, m = self.chain, self.placed[int(self.nearest[i])]
        d, ld, b = float(self.distance_m[i]), float(self.leader_distance_m[i]), round(float(self.bonus[i]), 4)
        vals = {"chain": c.display(lang), "segment": self.segment.display(lang), "leader": c.leader.name,
                "member": m.name, "distance": distance_text(d), "bonus": f"{b:.3f}"}
        parts = []
        if not np.isnan(ld):
            parts.append(label("chain_note_leader", lang, leader_distance=distance_text(ld), **vals))
        if m.source != "leader" or np.isnan(ld):
            parts.append(label("chain_note_member", lang, **vals))
        parts.append(label("chain_note_bonus", lang, **vals))
        return {"distance_m": round(d, 1), "leader_distance_m": None if np.isnan(ld) else round(ld, 1),
                "nearest": m.name, "nearest_is_leader": m.source == "leader", "bonus": b,
                "note": label("chain_note_sep", lang).join(parts)}


def proximity(ctx: ChainContext | None, industry: Industry, geoms, *, weight: float | None = None) -> Proximity:
    """The chain-proximity ranking bonus of each candidate parcel, vectorized.

    Parameters
    ----------
    ctx : ChainContext or None
        Chains and member parcels; None gives no bonus.
    industry : Industry
        The project's industry: the project belongs to the first chain (by code) with a segment
        covering it.
    geoms : array-like of shapely geometries
        The candidates, EPSG:4490.
    weight : float, optional
        Overrides the chain's configured weight.

    Returns
    -------
    Proximity
        ``bonus = weight · exp(−distance / scale_m)`` to the nearest member parcel (0 where there is
        no term), the distances in metres (each candidate's own GK zone), and the explanations.

    Examples
    --------
    >>> import geopandas as gpd
    >>> a, b = crsmod.transform([shapely.box(540_000, 4_140_000, 540_100, 4_140_100),
    ...                          shapely.box(541_100, 4_140_000, 541_200, 4_140_100)], 4549, 4490)
    >>> c = parse_chain({"code": "bio", "name": "生物医药", "leader": {"name": "甲", "segment": "mid",
    ...                  "parcel_code": "L"}, "segments": [{"id": "mid", "name": "制剂", "industry_codes": ["272"]}]})
    >>> p = proximity(context([c], {"bio": members_of(c)}, gpd.GeoDataFrame({"code": ["L"]}, geometry=[b])),
    ...               resolve("2720"), [a])
    >>> round(float(p.distance_m[0]), 1), round(float(p.bonus[0]), 4)
    (1000.0, 0.0368)
    >>> p.detail(0, "en")["note"]
    "1.0 km from the leader's parcel (甲, chain 生物医药); the project is in segment 制剂: ranking bonus +0.037"
    """
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    none = Proximity(bonus=np.zeros(n), distance_m=np.full(n, np.nan), leader_distance_m=np.full(n, np.nan),
                     nearest=np.full(n, -1))
    if ctx is None or not ctx.chains or industry.error:
        return none
    for chain in sorted(ctx.chains, key=lambda c: c.code):
        seg = chain.segment_of(industry)
        if seg is not None:
            break
    else:
        return none
    none.chain, none.segment = chain, seg
    placed = [m for m in ctx.members.get(chain.code, []) if m.parcel_code in ctx.geometry]
    if not placed or not n:
        return none
    w = chain.weight if weight is None else weight
    src = np.array([ctx.geometry[m.parcel_code] for m in placed], dtype=object)
    dist, near, ldist = distances_m(geoms, src, to=ctx.geometry.get(chain.leader.parcel_code or ""))
    bonus = np.where(np.isnan(dist), 0.0, w * np.exp(-np.nan_to_num(dist) / chain.scale_m))
    return Proximity(bonus=bonus, distance_m=dist, leader_distance_m=ldist, nearest=near, chain=chain, segment=seg,
                     placed=placed)


# -- the store -----------------------------------------------------------------------------------------

#: chain colours on the map, in chain-code order (ColorBrewer Dark2, the greens last: parcels in production are green)
COLOURS = ("#e7298a", "#7570b3", "#d95f02", "#1b9e77", "#66a61e", "#e6ab02", "#a6761d", "#666666")


def _member_fields(chain: Chain) -> list[tuple[str, Member]]:
    return [("leader", chain.leader)] + [(f"members[{j}]", m) for j, m in enumerate(chain.members)]


def put_chains(store, chains: list[Chain], *, prefix: bool = False) -> list[dict]:
    """Write validated chains, all or nothing, after checking their park and parcels exist in ``store``.

    ``prefix`` names fields ``chains[i].…`` (a file of several chains) rather than from the chain's root.
    """
    from .errors import NotFoundError
    from .store import ParcelQuery

    parks = set(store.parks()["code"].tolist())
    wanted = sorted({m.parcel_code for c in chains for _, m in _member_fields(c) if m.parcel_code})
    found = set(store.parcels(ParcelQuery(codes=tuple(wanted)))["code"].tolist()) if wanted else set()
    for i, c in enumerate(chains):
        pre = f"chains[{i}]." if prefix else ""
        if c.park and c.park not in parks:
            raise NotFoundError(f"no park with code '{c.park}'", field=f"{pre}park",
                                expected="the code of a stored park (standardland parks list)")
        for f, m in _member_fields(c):
            if m.parcel_code and m.parcel_code not in found:
                raise NotFoundError(f"no parcel with code '{m.parcel_code}'", field=f"{pre}{f}.parcel_code",
                                    expected="the code of a stored parcel (standardland parcels list)")
    store.put_chains([c.to_dict() for c in chains])
    return [c.to_dict() for c in chains]


def stored_chains(store) -> list[Chain]:
    """The chains of ``store``, parsed."""
    return [parse_chain(d) for d in store.chains()]


def application_chains(store, park: str | None = None, lang: str = "zh") -> dict[int, str] | None:
    """Each application's chain by its project's industry, as the name in ``lang`` (the first chain
    by code when the industry lies in several): the grouping of the annual scorecard's output.

    Only chains of ``park`` (or of no park) count; an application whose industry does not resolve,
    or lies in no chain, is left out. Every application is classified, whatever its state: the
    scorecard decides which ones it counts. ``None`` when the park has no chain at all.
    """

    chains = sorted((c for c in stored_chains(store) if park is None or c.park in (None, park)),
                    key=lambda c: c.code)
    if not chains:
        return None
    apps = store.applications()
    hits = classify(chains, _industries(apps)).drop_duplicates("row")
    names = {c.code: c.display(lang) for c in chains}
    return {int(apps[r]["id"]): names[c] for r, c in zip(hits["row"], hits["chain"], strict=True)}


def park_members(store, chains: list[Chain], *, reveal: bool = True) -> dict[str, list[Member]]:
    """Each chain's members in the park: leader, listed members and applications by industry
    (``reveal``: see :func:`application_members`)."""
    apps = application_members(chains, store.applications(), reveal=reveal) if chains else []
    return {c.code: members_of(c, apps) for c in chains}


def summaries(store, code: str | None = None, *, reveal: bool = True) -> list[dict]:
    """:func:`summary` of every stored chain (or of ``code``: a NotFoundError if there is none);
    ``reveal=False`` for readers who may not see the application register."""
    from .errors import NotFoundError

    chains = stored_chains(store)
    if code is not None:
        chains = [c for c in chains if c.code == code]
        if not chains:
            raise NotFoundError(f"no chain with code '{code}'", field="code",
                                expected="the code of a stored chain (standardland chains list)")
    members = park_members(store, chains, reveal=reveal)
    return [summary(c, members[c.code]) for c in chains]


def delete_chain(store, code: str) -> None:
    """Delete a stored chain; a NotFoundError if there is none."""
    from .errors import NotFoundError

    if not store.delete_chain(code):
        raise NotFoundError(f"no chain with code '{code}'", field="code",
                            expected="the code of a stored chain (standardland chains list)")


def match_context(store, parcels) -> ChainContext | None:
    """The :class:`ChainContext` matching uses, or None when the store holds no chain."""
    chains = stored_chains(store)
    if not chains:
        return None
    return context(chains, park_members(store, chains), parcels)


def map_layer(store, lang: str = "zh", *, show: bool = False) -> dict | None:
    """The map's chain layer as data (parcels coloured by chain, the leaders marked, the gaps), or None.

    ``features`` are the member parcels with a GeoJSON geometry (CRS84), ``leaders`` a point per
    leader parcel, ``show`` whether the layer is on at first (``/map?layer=chains``); every name
    travels as data for the page script (``web/static/standardland-chains.js``) to put in text nodes.
    """
    from .store import ParcelQuery

    chains = stored_chains(store)
    if not chains:
        return None
    members = park_members(store, chains, reveal=False)  # the map page is public
    wanted = tuple(sorted({m.parcel_code for ms in members.values() for m in ms if m.parcel_code}))
    ctx = context(chains, members, store.parcels(ParcelQuery(codes=wanted)))
    legend, features, leaders = [], [], []
    for k, c in enumerate(sorted(chains, key=lambda c: c.code)):
        colour = COLOURS[k % len(COLOURS)]
        g = gaps(c, members[c.code])
        legend.append({"code": c.code, "name": c.display(lang), "colour": colour, "leader": c.leader.name,
                       "illustrative": c.illustrative, "members": len(members[c.code]),
                       "gaps": [x["name_en"] or x["name"] if lang == "en" else x["name"] for x in g]})
        for m in members[c.code]:
            geom = ctx.geometry.get(m.parcel_code or "")
            if geom is None:
                continue
            seg = c.segment(m.segment)
            features.append({"parcel_code": m.parcel_code, "chain": c.code, "colour": colour,
                             "chain_name": c.display(lang), "segment": seg.display(lang), "member": m.name,
                             "leader": m.source == "leader",
                             "geometry": shapely.geometry.mapping(shapely.set_precision(geom, 1e-6))})
            if m.source == "leader":
                pt = shapely.point_on_surface(geom)
                leaders.append({"chain": c.code, "chain_name": c.display(lang), "name": m.name, "colour": colour,
                                "parcel_code": m.parcel_code, "lat": round(pt.y, 6), "lon": round(pt.x, 6)})
    return {"title": label("chain_layer", lang), "show": show, "legend": legend, "features": features,
            "leaders": leaders}


__all__ = ["COLOURS", "Chain", "ChainContext", "Member", "Proximity", "Segment", "application_members", "classes2017", "classify",
           "context", "distance_text", "distances_m", "gaps", "in_park_states", "label", "map_layer", "match_context",
           "members_of", "park_members", "parse_chain", "proximity", "put_chains", "read_chains", "stored_chains",
           "summaries", "summary", "delete_chain"]
