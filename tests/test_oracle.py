"""The engine equals the plain-loop oracle (tests/oracle.py) on generated rule sets, parcels and
projects: layers, advisory values, equality at thresholds, missing and not-applicable values,
and one row evaluated alone equals the same row in a batch."""

from __future__ import annotations

from datetime import date

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oracle import evaluate_row
from standardland.rules.engine import evaluate
from standardland.rules.catalogue import catalogue
from standardland.rules.rulesets import load_rulesets

CAT = catalogue()
IDS = CAT.ids
POOL = {
    "far": [0.8, 1.0, 1.2, 3.0],
    "investment_intensity": [200.0, 240.0, 293.25],
    "office_land_share": [7.0, 15.0],
    "green_ratio": [15.0, 20.0],
    "tax_per_mu": [15.0, 20.0],
    "building_coefficient": [30.0, 40.0],
}
DATES = [date(2015, 3, 1), date(2021, 1, 1), date(2023, 5, 10), date(2023, 5, 11), date(2024, 6, 1)]
INDUSTRIES = [  # (2002 divisions, 2017 divisions, error)
    (("13",), ("13",), None),
    (("29", "30"), ("29",), None),
    (("40",), ("39",), None),
    (("37",), ("36", "37"), None),
    ((), ("43",), None),
    ((), (), "industry unknown (test)"),
    (("17",), ("17",), None),
    (("58",), ("59",), None),
    (("44",), ("44",), None),
]


def vals(ind: str):
    """Few values per indicator, so layers tie and actual values sit exactly on thresholds."""
    return st.sampled_from(POOL.get(ind, [1.0, 2.0]))


@st.composite
def rule_sets(draw) -> list[dict]:
    def keep(rules):
        kept = [r for r in rules if draw(st.integers(0, 3))]  # three in four kept
        return kept or rules[:1]

    nat_rules = keep(
        [
            {"indicator": "far", "industry": c, "min": draw(vals("far"))}
            for c in ("13", "17", "29", "30", "40")
        ]
        + [
            {
                "indicator": "investment_intensity",
                "industry": "40",
                "region_class": rc,
                "min": draw(vals("investment_intensity")),
            }
            for rc in (1, 3)
        ]
        + [
            {"indicator": "building_coefficient", "min": 30.0},
            {"indicator": "far", "min": draw(vals("far"))},  # every other industry (scope decides which)
            {"indicator": "office_land_share", "max": 7.0},
            {"indicator": "green_ratio", "max": 20.0},
        ]
    )
    later = keep(
        [{"indicator": "far", "industry": c, "min": draw(vals("far"))} for c in ("13", "29", "30", "37")]
        + [
            {
                "indicator": "investment_intensity",
                "industry": "40",
                "region_class": rc,
                "min": draw(vals("investment_intensity")),
                "severity": "advisory",
            }
            for rc in (1, 3)
        ]
        + [
            {
                "indicator": "office_land_share",
                "max": draw(vals("office_land_share")),
                "severity": draw(st.sampled_from(["binding", "advisory"])),
            }
        ]
    )
    scope_n = draw(
        st.sampled_from([{}, {"edition": "2002", "divisions": "13-37,39-43", "title": "test scope"}])
    )
    docs = [
        {
            "id": "nat-a",
            "series": "national",
            "layer": "national",
            "effective_from": "2008-01-31",
            "effective_to": "2023-05-10",
            "industry_edition": "2002",
            "scope": dict(scope_n),
            "rules": nat_rules,
        },
        {
            "id": "nat-b",
            "series": "national",
            "layer": "national",
            "effective_from": "2023-05-11",
            "industry_edition": "2002",
            "scope": dict(scope_n),
            "rules": later,
        },
        {
            "id": "prov",
            "layer": "province",
            "effective_from": "2005-01-01",
            "scope": {"admin_prefix": "37"},
            "rules": keep(
                [
                    {
                        "indicator": "investment_intensity",
                        "zone_tier": "national",
                        "min": draw(vals("investment_intensity")),
                    },
                    {
                        "indicator": "investment_intensity",
                        "zone_tier": "tier2",
                        "min": draw(vals("investment_intensity")),
                    },
                ]
            ),
        },
        {
            "id": "park-a",
            "layer": "park",
            "effective_from": draw(st.sampled_from(["2021-01-01", "2023-05-11"])),
            "industry_edition": "2017",
            # a park may narrow the scope of its industry-keyed values (here to 2017 divisions 13-30)
            "scope": draw(st.sampled_from([{"park": "p1"}, {"park": "p1", "edition": "2017", "divisions": "13-30"}])),
            "rules": keep(
                [
                    {"indicator": "far", "min": draw(vals("far")), "max": 3.0},
                    {"indicator": "tax_per_mu", "min": draw(vals("tax_per_mu"))},
                    {"indicator": "green_ratio", "max": 15.0},
                    {"indicator": "rd_ratio", "min": 1.0, "severity": "advisory"},
                    {"indicator": "value_added_per_energy", "industry": "29", "min": 2.0},
                ]
            ),
        },
    ]
    return [d for d in docs if draw(st.integers(0, 3)) or d["id"] == "nat-a"]


@st.composite
def rows(draw) -> dict:
    i2002, i2017, err = draw(st.sampled_from(INDUSTRIES))
    area = draw(st.sampled_from([10_000.0, 6_666.666666666667, 20_000.0]))
    row = {
        "decision_date": draw(st.sampled_from(DATES)),
        "industry_2002": i2002,
        "industry_2017": i2017,
        "industry_error": err,
        "region_class": draw(st.sampled_from([None, 1, 3])),
        "zone_tier": draw(st.sampled_from([None, "national", "tier2"])),
        "admin_code": draw(st.sampled_from(["370613", "330106"])),
        "park": draw(st.sampled_from([None, "p1", "p1"])),
        "land_use_code": draw(st.sampled_from([None, "100101", "100102", "100103", "0901", "1001"])),
        "nuisance_class": draw(st.sampled_from([None, 1, 2, 3])),
        "parcel_area_m2": area,
        "land_area_m2": draw(st.sampled_from([None, None, area, 15_000.0])),
    }
    for i in IDS:
        row[i] = draw(st.one_of(st.none(), vals(i), st.floats(0, 500, allow_nan=False)))
    for inp in ("floor_area_m2", "annual_tax_wan_yuan", "value_added_wan_yuan", "energy_tce"):
        row[inp] = draw(st.one_of(st.none(), st.floats(0, 50_000, allow_nan=False)))
    row["parcel"] = {
        k: draw(st.one_of(st.none(), vals(k.rsplit("_", 1)[0])))
        for k in (
            "far_min",
            "far_max",
            "investment_intensity_min",
            "green_ratio_max",
            "office_land_share_max",
            "tax_per_mu_min",
        )
    }
    row["agreement"] = {
        k: draw(st.one_of(st.none(), vals(k.rsplit("_", 1)[0])))
        for k in ("investment_intensity_min", "far_min", "tax_per_mu_min")
    }
    return row


def _nan(v):
    return np.nan if v is None else float(v)


def engine_columns(rs: list[dict]) -> dict:
    """The rows as the engine's input: one numpy array per column (no pandas)."""
    cols: dict[str, np.ndarray] = {
        "decision_date": np.array([r["decision_date"] for r in rs], dtype="datetime64[D]"),
        "industry_2002": np.array(["|".join(r["industry_2002"]) for r in rs], dtype=object),
        "industry_2017": np.array(["|".join(r["industry_2017"]) for r in rs], dtype=object),
        "industry_error": np.array([r["industry_error"] for r in rs], dtype=object),
        "region_class": np.array([_nan(r["region_class"]) for r in rs]),
    }
    for c in ("zone_tier", "admin_code", "park", "land_use_code"):
        cols[c] = np.array([r[c] for r in rs], dtype=object)
    for c in (
        "nuisance_class",
        "parcel_area_m2",
        "land_area_m2",
        "floor_area_m2",
        "annual_tax_wan_yuan",
        "value_added_wan_yuan",
        "energy_tce",
    ) + IDS:
        cols[c] = np.array([_nan(r[c]) for r in rs])
    for k in rs[0]["parcel"]:
        cols[k] = np.array([_nan(r["parcel"][k]) for r in rs])
    for k in rs[0]["agreement"]:
        cols["agreement:" + k] = np.array([_nan(r["agreement"][k]) for r in rs])
    return cols


def _check(ev, j, ref, where):
    got = {i: ev.status_of(i)[j] for i in IDS + ("land_use_class",)}
    assert got == ref["status"], where
    assert ev.verdict_of(j) == ref["verdict"], where
    for i in IDS:
        lo, hi = ev.required(i)
        assert (None if np.isnan(lo[j]) else lo[j]) == ref["min"][i], (where, i, "min")
        assert (None if np.isnan(hi[j]) else hi[j]) == ref["max"][i], (where, i, "max")
        assert ev.governing(i, j) == ref["by"][i], (where, i, "by")
    ths = ev.key_thresholds[ev.key_index[j]]
    assert {i for i in IDS if ths[i].out_of_scope} == ref["out_of_scope"], where


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(
    docs=rule_sets(),
    batch=st.lists(rows(), min_size=1, max_size=8),
    checkpoint=st.sampled_from(["screening", "screening", "acceptance", "production_review"]),
)
def test_engine_equals_the_plain_loop_oracle(docs, batch, checkpoint):
    rs = load_rulesets(docs)
    ev = evaluate(engine_columns(batch), rs, checkpoint=checkpoint)
    for j, row in enumerate(batch):
        _check(ev, j, evaluate_row(docs, row, checkpoint), f"row {j} of {len(batch)}")
    # one function serves one row and many: each row alone gives the same answer
    j = len(batch) - 1
    one = evaluate(engine_columns([batch[j]]), rs, checkpoint=checkpoint)
    _check(one, 0, evaluate_row(docs, batch[j], checkpoint), "the same row alone")


def test_the_oracle_sees_equality_as_pass_and_advisory_as_warn():
    """The oracle itself against hand-computed facts (so it cannot agree with a wrong engine by accident)."""
    docs = [
        {
            "id": "n",
            "series": "national",
            "layer": "national",
            "effective_from": "2008-01-31",
            "industry_edition": "2002",
            "scope": {},
            "rules": [
                {"indicator": "far", "industry": "13", "min": 1.0},
                {"indicator": "investment_intensity", "industry": "13", "min": 240.0, "severity": "advisory"},
            ],
        }
    ]
    row = {
        "decision_date": date(2020, 1, 1),
        "industry_2002": ("13",),
        "industry_2017": ("13",),
        "industry_error": None,
        "parcel_area_m2": 10_000.0,
        "far": 1.0,
        "investment_intensity": 239.0,
        "land_use_code": "100101",
        "nuisance_class": 1,
    }
    ref = evaluate_row(docs, row)
    assert ref["status"]["far"] == "pass" and ref["status"]["investment_intensity"] == "warn"
    assert ref["status"]["green_ratio"] == "not_applicable" and ref["verdict"] == "pass"
    assert evaluate_row(docs, {**row, "far": 0.99})["verdict"] == "fail"
    assert evaluate_row(docs, {**row, "far": None})["status"]["far"] == "missing"
