"""Code lists shipped in ``geodata/codes`` and ``geodata/indicators``: land use, land grade,
GB/T 4754 industry codes (2002 and 2017 editions) and the crosswalk between them."""

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


def industrial_class(land_use_code: str | None) -> int | None:
    return INDUSTRIAL_CLASS.get(land_use_code or "")


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
    if land_grade is None:
        return None
    return region_class_by_grade().get(int(land_grade))


# -- industries -------------------------------------------------------------------

@cache
def industries_2017() -> dict[str, tuple[str, int]]:
    """GB/T 4754-2017: code -> (name, level). Levels: 1 门类, 2 大类, 3 中类, 4 小类."""
    return {r["code"]: (r["name"], int(r["level"])) for r in _rows("codes", "gbt4754_2017.csv")}


@cache
def divisions_2002() -> dict[str, str]:
    """GB/T 4754-2002 manufacturing divisions (13–43) with their names, from the 2008 FAR table."""
    return {r["industry_code_gbt4754_2002"]: r["industry_name_2002"]
            for r in _rows("indicators", "national_2008_far_min.csv")}


@cache
def crosswalk_rows() -> list[dict]:
    return _rows("codes", "gbt4754_2002_to_2017.csv")


def _crosswalk(src: str, dst: str) -> dict[str, tuple[str, ...]]:
    out: dict[str, set[str]] = {}
    for r in crosswalk_rows():
        out.setdefault(r[src], set()).add(r[dst])
    return {k: tuple(sorted(v)) for k, v in out.items()}


@cache
def crosswalk_2017_to_2002() -> dict[str, tuple[str, ...]]:
    """2017 division -> the 2002 division(s) it came from (several where 2002 codes merged)."""
    return _crosswalk("code_2017", "code_2002")


@cache
def crosswalk_2002_to_2017() -> dict[str, tuple[str, ...]]:
    """2002 division -> the 2017 division(s) it went to (several where a 2002 code split)."""
    return _crosswalk("code_2002", "code_2017")


#: finer 2017 groups that resolve a merged division back to one 2002 division
#: (2017-291 橡胶制品业 was 2002-29; 2017-292 塑料制品业 was 2002-30).
GROUP_2017_TO_2002 = {"291": "29", "292": "30"}
