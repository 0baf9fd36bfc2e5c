"""Code lists shipped in ``geodata/codes`` and ``geodata/indicators``: land use, land grade,
GB/T 4754 industry codes (2002, 2011 and 2017 editions) and their class-level correspondences."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

from .resources import geodata


def _rows(*parts: str) -> list[dict]:
    with open(geodata(*parts), encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@dataclass(frozen=True)
class LandUse:
    """One entry of the land-use code list (GB/T 21010): code, name, level in the tree and parent code."""
    code: str
    name: str
    level: int
    parent: str | None


@cache
def land_use_codes() -> dict[str, LandUse]:
    """国土空间调查、规划、用途管制用地用海分类 (2023) codes."""
    return {r["code"]: LandUse(r["code"], r["name"], int(r["level"]), r["parent"] or None)
            for r in _rows("codes", "landuse_2023.csv")}


#: 用地用海 2023: industrial class (一/二/三类工业用地) per code
INDUSTRIAL_CLASS = {"100101": 1, "100102": 2, "100103": 3}


def parcel_class(land_use_code) -> float:
    """What a parcel admits: 1/2/3 for 一/二/三类工业用地, NaN for industrial land of no stated class
    (1001), 0 for land that is not industrial."""
    c = str(land_use_code)
    cls = INDUSTRIAL_CLASS.get(c)
    if cls is not None:
        return float(cls)
    return float("nan") if c.startswith("1001") else 0.0


@cache
def region_class_by_grade() -> dict[int, int]:
    """土地等别 1–15 → 2008 region class 1–7."""
    return {int(r["land_grade"]): int(r["region_class"])
            for r in _rows("indicators", "land_grade_region_class_2008.csv")}


def region_class(land_grade: int | None) -> int | None:
    """The 2008 region class (1–7) of a 土地等别 (land grade 1–15); None when no grade is given."""
    if land_grade is None:
        return None
    return region_class_by_grade().get(int(land_grade))


# -- industries -------------------------------------------------------------------
# GB/T 4754 国民经济行业分类, editions 2002, 2011 and 2017, and the official class-level
# correspondences between them (geodata/codes/GBT4754_2002_PROVENANCE.md). Levels: 1 门类 (section,
# a letter), 2 大类 (division), 3 中类 (group), 4 小类 (class). Each table is read once.

#: the wording variants of 2011 class names printed in GB/T 4754-2017 Appendix B (provenance file);
#: the named crosswalks carry the NBS wording, these are the appendix's.
ALIASES_2011 = {"其他通用设备制造": "3490", "保险中介服务": "6850",
                "计算机及辅助设备修理": "8021", "家具及相关物品修理": "8093"}


@cache
def industries_2017() -> dict[str, tuple[str, int]]:
    """GB/T 4754-2017: code -> (name, level), all 1,971 categories (20/97/473/1,381)."""
    return {r["code"]: (r["name"], int(r["level"])) for r in _rows("codes", "gbt4754_2017.csv")}


@cache
def industries_2002() -> dict[str, tuple[str, int]]:
    """GB/T 4754-2002: code -> (name, level), all 1,424 categories (20/95/396/913)."""
    return {r["code"]: (r["name"], int(r["level"])) for r in _rows("codes", "gbt4754_2002.csv")}


@cache
def classes_2011() -> dict[str, str]:
    """GB/T 4754-2011 classes (1,094) -> name, as the official correspondence tables name them.

    The 2002→2011 table (NBS) names every 2011 class; the 2011→2017 table (GB/T 4754-2017
    Appendix B) gives the same names. 2011 divisions and groups are not named in either table.
    """
    out = {r["to_code"]: r["to_name_2011"] for r in _rows("codes", "crosswalk_gbt4754_2002_to_2011_named.csv")}
    for r in _rows("codes", "crosswalk_gbt4754_2011_to_2017_named.csv"):
        out.setdefault(r["from_code"], r["from_name_2011"])
    return out


@cache
def sections(edition: str) -> dict[str, str]:
    """Division code -> its section letter (门类), for ``edition`` 2002 or 2017."""
    name = {"2002": "gbt4754_2002.csv", "2017": "gbt4754_2017.csv"}[edition]
    return {r["code"]: r["parent"] for r in _rows("codes", name) if r["level"] == "2"}


@cache
def divisions_2002() -> dict[str, str]:
    """GB/T 4754-2002 manufacturing divisions (section C: 13–37 and 39–43) with their official names."""
    sec = sections("2002")
    return {c: n for c, (n, lvl) in industries_2002().items() if lvl == 2 and sec[c] == "C"}


def _pairs(name: str) -> tuple[tuple[str, str], ...]:
    return tuple((r["from_code"], r["to_code"]) for r in _rows("codes", name))


def _by(pairs, i: int) -> dict[str, tuple[str, ...]]:
    out: dict[str, set[str]] = {}
    for p in pairs:
        out.setdefault(p[i], set()).add(p[1 - i])
    return {k: tuple(sorted(v)) for k, v in out.items()}


@cache
def class_crosswalk(source: str, target: str) -> dict[str, tuple[str, ...]]:
    """Class-level correspondence: a ``source``-edition class -> its ``target``-edition classes.

    2002↔2011 is the official NBS table, 2011↔2017 the official GB/T 4754-2017 Appendix B; 2002↔2017
    is the **derived** chain of the two (``crosswalk_gbt4754_2002_to_2017_composed.csv``). Either
    direction may be asked for (2017 → 2002 reads the same table backwards).
    """
    files = {("2002", "2011"): "crosswalk_gbt4754_2002_to_2011.csv",
             ("2011", "2017"): "crosswalk_gbt4754_2011_to_2017.csv",
             ("2002", "2017"): "crosswalk_gbt4754_2002_to_2017_composed.csv"}
    if (source, target) in files:
        return _by(_pairs(files[source, target]), 0)
    if (target, source) in files:
        return _by(_pairs(files[target, source]), 1)
    raise ValueError(f"no class correspondence between GB/T 4754-{source} and -{target}")
