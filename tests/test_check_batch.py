"""Checks evaluated together (``POST /checks`` coalesced, ``services.check_projects``, ``parse_projects``)
give every request exactly what it gets alone, errors included, whatever it is batched with."""

from __future__ import annotations

import asyncio
import copy
import json
import re
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from standardland import services
from standardland.api.batching import Batched, Coalescer
from standardland.errors import StandardlandError
from standardland.rules.project import Project, parse_project, parse_projects

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = json.loads((ROOT / "api/examples/project.json").read_text("utf-8"))

# documents of every kind: valid ones, and each kind of error the document parser gives
DOCS = [
    EXAMPLE,
    {**EXAMPLE, "floor_area_m2": 40_000, "annual_tax_wan_yuan": 10},  # fails (advice given)
    {**EXAMPLE, "industry_code": "26", "decision_date": "2021/6/1", "nuisance_class": "2"},
    {"decision_date": "2024年3月1日", "industry_name": "汽车制造业"},  # most values missing: incomplete
    {**EXAMPLE, "color": "red"},  # unknown field
    {**EXAMPLE, "land_area_m2": {"value": 3, "unit": "furlong"}},  # unknown unit
    {**EXAMPLE, "decision_date": "2023-02-29"},  # no such day
    {**EXAMPLE, "decision_date": None},  # missing date
    {"nuisance_class": 7, "decision_date": "2024-13-01", "industry_code": "39"},  # two problems: class first
    {"decision_date": "2024-13-01", "nuisance_class": 7, "industry_code": "39"},  # the same two: date first
    {"industry_code": "39", "far": -1, "decision_date": "bad"},  # a cell problem beats a quantity problem
    {**EXAMPLE, "industry_code": "9999"},  # unknown industry
    {**EXAMPLE, "investor_origin": "foreign"},  # promotion record: the country is missing
    {**EXAMPLE, "land_area_m2": 10 ** 400},  # an integer beyond any float (JSON allows it)
    {**{k: v for k, v in EXAMPLE.items() if k != "industry_code"},
     "industries": [{"industry_code": "39", "share": 10 ** 400}]},
    {**EXAMPLE, "land_area_m2": {"value": 1.5, "unit": "万平方米"}},  # 15,000 m²
    "not an object",
]


def _answer(x):
    """What a caller sees: the Project's fields, or the error's class, field and message."""
    if isinstance(x, Project):
        return ("project", x.name, x.decision_date, x.industry.key2017, x.industry.key2002, x.nuisance_class,
                tuple(sorted((k, v) for k, v in x.values.items() if v is not None)))
    assert isinstance(x, StandardlandError), x
    return (type(x).__name__, x.field, x.message, x.expected)


def _alone(doc):
    try:
        return _answer(parse_project(doc))
    except StandardlandError as exc:
        return _answer(exc)


ALONE = [_alone(copy.deepcopy(d)) for d in DOCS]


def test_a_number_too_large_for_a_float_is_the_field_s_own_error():
    assert ALONE[13][:2] == ("UnitError", "land_area_m2") and "too large" in ALONE[13][2]
    assert ALONE[14][:2] == ("InputError", "industries[0].share")
    assert ALONE[15][0] == "project" and dict(ALONE[15][6])["land_area_m2"] == 15_000.0


def test_the_first_problem_is_the_first_in_the_document_order():
    assert ALONE[8][:2] == ("InputError", "nuisance_class")
    assert ALONE[9][:2] == ("InputError", "decision_date")
    assert ALONE[10][:2] == ("InputError", "decision_date")  # cells before quantities, as written
    assert ALONE[5][0] == "UnitError" and ALONE[4][1] == "color"
    assert ALONE[0][0] == ALONE[1][0] == ALONE[2][0] == ALONE[3][0] == "project"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, len(DOCS) - 1), min_size=1, max_size=24))
def test_a_document_gets_the_same_answer_in_any_batch(picks):
    got = parse_projects([copy.deepcopy(DOCS[i]) for i in picks])
    assert [_answer(g) for g in got] == [ALONE[i] for i in picks]


PARCELS = ["370613004002GB10001", "370613004002GB10003", "370613004002GB10005", "370613004001GB20001",
           "370613004001GB20010", "370613004002GB19999"]  # the last: no such parcel


def _requests():
    out = []
    for k, doc in enumerate(DOCS):
        for j, code in enumerate(PARCELS):
            if (k + j) % 3:
                continue
            out.append(services.CheckArgs(copy.deepcopy(doc), code,
                                          ("screening", "acceptance", "production_review")[(k + 2 * j) % 3],
                                          "en" if (k + j) % 2 else "zh"))
    return out


def _one(store, r):
    try:
        return services.check_project(store, r.project, r.parcel_code, checkpoint=r.checkpoint, lang=r.lang)
    except StandardlandError as exc:
        return (type(exc).__name__, exc.field, exc.message)


def test_check_projects_equals_each_check_alone(park_store):
    reqs = _requests()
    alone = [_one(park_store, r) for r in reqs]
    together = [(type(x).__name__, x.field, x.message) if isinstance(x, StandardlandError) else x
                for x in services.check_projects(park_store, reqs)]
    assert together == alone
    verdicts = {v["verdict"] for v in alone if isinstance(v, dict)}
    assert verdicts == {"pass", "fail", "incomplete"}, verdicts  # the batch mixes every outcome
    assert any(isinstance(v, dict) and v["advice"] for v in alone)
    assert {v[0] for v in alone if isinstance(v, tuple)} >= {"InputError", "UnitError", "NotFoundError"}
    # reversed: no answer depends on its neighbours
    back = services.check_projects(park_store, reqs[::-1])[::-1]
    assert [(type(x).__name__, x.field, x.message) if isinstance(x, StandardlandError) else x
            for x in back] == alone


def test_batched_checks_answer_as_the_previous_release_did_one_at_a_time(park_store):
    """Against answers recorded from commit bae3610 (tests/golden): code the batch path shares nothing with."""
    import random
    import sys

    sys.path.insert(0, str(Path(__file__).parent / "golden"))
    from check_summary import requests, summary

    golden = json.loads((Path(__file__).parent / "golden" / "checks_bae3610.json").read_text("utf-8"))
    reqs = [services.CheckArgs(*r) for r in requests()]
    assert len(reqs) == len(golden) == 78
    order = list(range(len(reqs)))
    random.Random(7).shuffle(order)
    got = services.check_projects(park_store, [reqs[i] for i in order])
    answers = [None] * len(reqs)
    for k, i in enumerate(order):
        answers[i] = summary(got[k])
    for i, (a, g) in enumerate(zip(answers, golden, strict=True)):
        assert a == g, (i, reqs[i].parcel_code, reqs[i].checkpoint, reqs[i].lang)
    assert {g.get("verdict") for g in golden} >= {"pass", "fail", "incomplete"}
    assert {g.get("error") for g in golden} >= {"InputError", "UnitError", "NotFoundError"}


def test_a_pair_that_breaks_the_shared_evaluation_fails_alone(park_store, monkeypatch):
    """Fault injection: the engine run over a batch raises when one project is in it; the batch is then
    checked pair by pair, the others get their verdicts (with their notes once), only that one fails."""
    from standardland.rules import checks

    real = checks.check_pairs

    def brittle(projects, *a, **k):
        if any(p.name == "breaks the batch" for p in projects):
            raise RuntimeError("the shared evaluation broke")
        return real(projects, *a, **k)

    reqs = [services.CheckArgs(copy.deepcopy(DOCS[1]), PARCELS[3]),  # in production: a status note
            services.CheckArgs({**copy.deepcopy(EXAMPLE), "name": "breaks the batch"}, PARCELS[1]),
            services.CheckArgs(copy.deepcopy(DOCS[2]), PARCELS[3], lang="en")]
    alone = [_one(park_store, r) for r in (reqs[0], reqs[2])]
    monkeypatch.setattr(checks, "check_pairs", brittle)
    got = services.check_projects(park_store, reqs)
    assert isinstance(got[1], RuntimeError)
    assert [got[0], got[2]] == alone
    assert len(got[0]["notes"]) == len(alone[0]["notes"]) > 0  # the notes added once, not twice


def test_a_document_that_breaks_the_column_wise_reading_fails_alone(monkeypatch):
    """Fault injection into the column-wise validation: each document is then read alone."""
    from standardland.rules import project

    real = project._validate_phases

    def brittle(cells, arrays, cat):
        if "breaks the reading" in cells.get("name", []):
            raise RuntimeError("the reading broke")
        return real(cells, arrays, cat)

    docs = [copy.deepcopy(DOCS[0]), {**copy.deepcopy(EXAMPLE), "name": "breaks the reading"}, copy.deepcopy(DOCS[6])]
    monkeypatch.setattr(project, "_validate_phases", brittle)
    got = parse_projects(docs)
    assert isinstance(got[1], RuntimeError)
    assert _answer(got[0]) == ALONE[0] and _answer(got[2]) == ALONE[6]


# -- the coalescer ---------------------------------------------------------------------------


def test_coalescer_batches_what_arrives_together_and_answers_each():
    sizes = []

    def work(key, items):
        sizes.append(len(items))
        return [ValueError(f"bad {x}") if x < 0 else (key, x * 10) for x in items]

    c = Coalescer(work, limit=5)

    async def main():
        got = await asyncio.gather(*(c.submit("k", x) for x in [1, 2, -3, 4, 5, 6, 7]), return_exceptions=True)
        later = await c.submit("k", 8)
        return got, later

    got, later = asyncio.run(main())
    assert sizes == [5, 2, 1]  # the limit splits the burst; a lone request runs alone
    assert [g.result for g in got if isinstance(g, Batched)] == [("k", 10), ("k", 20), ("k", 40), ("k", 50),
                                                                  ("k", 60), ("k", 70)]
    assert isinstance(got[2], ValueError) and str(got[2]) == "bad -3"
    assert (later.result, later.size) == (("k", 80), 1)


@pytest.mark.parametrize("in_thread", [False, True])
def test_coalescer_a_failing_batch_fails_only_its_requests(in_thread):
    import threading

    sizes, release = [], threading.Event()

    def work(key, items):
        sizes.append(len(items))
        if in_thread and len(sizes) == 1:
            release.wait(10)  # the first batch is still running while the next requests arrive
        if 0 in items:
            raise RuntimeError("boom")
        return [StopIteration() if x == 9 else x for x in items]  # a result no future can hold

    c = Coalescer(work)

    async def main():
        first = [asyncio.ensure_future(c.submit("k", x, in_thread=in_thread)) for x in (3, 0, 4)]
        await asyncio.sleep(0.05)
        later = [asyncio.ensure_future(c.submit("k", x, in_thread=in_thread)) for x in (5, 9, 6)]
        release.set()
        return (await asyncio.gather(*first, return_exceptions=True),
                await asyncio.gather(*later, return_exceptions=True))

    first, later = asyncio.run(main())
    assert sizes == [3, 3]  # on the loop the burst waits for its batch; in a thread the next one gathers
    assert all(isinstance(g, RuntimeError) and str(g) == "boom" for g in first)
    assert len({id(g) for g in first}) == 3  # each request its own copy of the batch's error
    assert [g.result for g in (later[0], later[2])] == [5, 6]
    assert isinstance(later[1], RuntimeError) and "StopIteration" in str(later[1])  # answered, not stranded


def test_coalescer_drops_a_cancelled_request():
    seen = []

    def work(key, items):
        seen.extend(items)
        return items

    c = Coalescer(work)

    async def main():
        t1 = asyncio.ensure_future(c.submit("k", 1))
        t2 = asyncio.ensure_future(c.submit("k", 2))
        await asyncio.sleep(0)  # both have joined the batch
        t1.cancel()
        return await t2

    assert asyncio.run(main()).result == 2
    assert seen == [2]


# -- over HTTP: a real uvicorn, concurrent clients --------------------------------------------


def _bodies():
    out = []
    for r in _requests():
        out.append({"project": r.project, "parcel_code": r.parcel_code, "checkpoint": r.checkpoint, "lang": r.lang})
    return out


def test_concurrent_checks_over_http_get_their_own_answers(api):
    base = api[0]
    bodies = _bodies() * 2
    with httpx.Client(base_url=base, timeout=60) as c:
        alone = [c.post("/api/v1/checks", json=b) for b in bodies]

    async def together():
        async with httpx.AsyncClient(base_url=base, timeout=60,
                                     limits=httpx.Limits(max_connections=len(bodies))) as c:
            return await asyncio.gather(*(c.post("/api/v1/checks", json=b) for b in bodies))

    concurrent = asyncio.run(together())
    assert [(r.status_code, r.json()) for r in concurrent] == [(r.status_code, r.json()) for r in alone]
    assert {r.status_code for r in alone} >= {200, 404, 422}
    sizes = [int(re.search(r'batch of (\d+)', r.headers["server-timing"]).group(1))
             for r in concurrent if r.status_code == 200]
    assert max(sizes) > 1, sizes  # the concurrent requests were evaluated together
    problems = [r for r in concurrent if r.status_code == 422]
    assert all(r.headers["content-type"].startswith("application/problem+json") for r in problems)
    assert "project.color" in {r.json()["errors"][0]["field"] for r in problems}  # named inside the body


def test_a_lone_surrogate_is_refused_and_a_pair_is_text(api):
    base = api[0]
    pair = json.dumps({"project": {**EXAMPLE, "name": "项目 😀"}, "parcel_code": PARCELS[0]})  # \ud83d\ude00
    assert "\\ud83d\\ude00" in pair
    ok = httpx.post(base + "/api/v1/checks", content=pair, headers={"content-type": "application/json"}, timeout=60)
    assert ok.status_code == 200 and ok.json()["project"] == "项目 😀"
    lone = pair.replace("\\ud83d\\ude00", "\\ud800")
    r = httpx.post(base + "/api/v1/checks", content=lone, headers={"content-type": "application/json"}, timeout=60)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "surrogate" in r.json()["detail"]
    split = pair.replace("\\ud83d\\ude00", "\\ud83d\\\\\\ude00")  # high, a backslash, low: two lone halves
    r = httpx.post(base + "/api/v1/checks", content=split, headers={"content-type": "application/json"},
                   timeout=60)
    assert r.status_code == 400 and "surrogate" in r.json()["detail"], r.text
    escaped = pair.replace("\\ud83d\\ude00", "\\\\ud800")  # a backslash, then the text "ud800"
    r = httpx.post(base + "/api/v1/checks", content=escaped, headers={"content-type": "application/json"},
                   timeout=60)
    assert r.status_code == 200 and r.json()["project"] == "项目 \\ud800"


def test_the_escape_scan_reads_each_backslash_once():
    """A megabyte of backslashes is read in one pass (a backtracking scan took ~50 minutes on it)."""
    import threading

    from standardland.api.limits import _bad_escape

    body = b'{"a": "' + b"\\" * 1_000_000 + b'x\\u0041\\ud800"}'
    got = []
    t = threading.Thread(target=lambda: got.append(_bad_escape(body)), daemon=True)
    t.start()
    t.join(60)  # not a speed figure: a liveness bound a linear scan meets by orders of magnitude
    assert got == ["surrogate"]


def test_a_started_server_freezes_what_it_holds_from_its_start(tmp_path):
    """Full collections walk only what was created after start-up (the p99 of a busy server)."""
    import gc

    from fastapi.testclient import TestClient

    from standardland.api import Settings, create_app

    gc.unfreeze()
    app = create_app(Settings(db=f"sqlite:///{tmp_path / 'f.db'}"))
    try:
        assert gc.get_freeze_count() == 0
        with TestClient(app) as c:
            assert gc.get_freeze_count() > 10_000
            assert c.get("/healthz").status_code == 200
    finally:
        gc.unfreeze()


def test_explanations_read_the_engine_bounds_of_every_row(park_store):
    """explain_rows reads all indicators at once; it must say what Evaluation.required / winners /
    advisory say per indicator, per-row layers (the parcel's own, an agreement's) included."""
    import numpy as np

    from standardland.rules import checks
    from standardland.rules.engine import STATUSES, evaluate
    from standardland.rules.explain import _row_values

    v = park_store.versions()
    frames = [services.parcel_for_check(park_store, c, v)[1] for c in PARCELS[:5]] * 3
    ps = [parse_project(copy.deepcopy(DOCS[k % 4])) for k in range(len(frames))]
    cols = checks._stack([dict(f) for f in frames])
    cols.update(checks.project_columns(ps))
    from standardland.rules.thresholds import limit_columns

    cols.update(limit_columns([{"far_min": 1.4, "tax_per_mu_min": 40.0} if k % 2 else {} for k in range(len(ps))],
                              layer="agreement"))
    ev = evaluate(cols, checks._rulesets(services.rulesets(park_store)))
    rows = np.array([7, 0, 3, 3, 14])
    got = _row_values(ev, rows)
    labels = [None, *ev.labels]
    nan = lambda a: [None if x != x else float(x) for x in a]  # noqa: E731
    seen_agreement = False
    for ind in ev.cat.indicators:
        i = ind.id
        lo, hi = ev.required(i)
        wlo, whi = ev.winners(i)
        alo, ahi = ev.advisory(i)
        want = (STATUSES[ev.status[i][rows]].tolist(), nan(ev.actual[i][rows]), nan(lo[rows]), nan(hi[rows]),
                nan(alo[rows]), nan(ahi[rows]), [labels[x + 1] for x in wlo[rows]],
                [labels[x + 1] for x in whi[rows]], bool(ev.bounds[i].own))
        assert got[i] == want, i
        seen_agreement |= "agreement" in want[6]
    assert seen_agreement  # the agreement layer won somewhere: the per-row layers were exercised
