"""The promotion record, the service log and the annual scorecard (issue 13 §3–4), on real stores
(a SQLite file, PostGIS), a real uvicorn and the CLI as a subprocess."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest

from standardland.errors import DataValidationError, InputError, NotFoundError, PermissionDenied, UnitError
from standardland.rules.checks import parse_project_table
from standardland.rules.project import parse_project
from standardland.sample import SAMPLE_PARK_CODE, add_sample_promotion
from standardland.workflow import applications as A
from standardland.workflow import promotion as P
from standardland.workflow import reports as R

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = json.loads((ROOT / "api/examples/project.json").read_text("utf-8"))
STD = "370613004002GB10001"
WHO = {r: {"name": f"user-{r}", "role": r} for r in ("applicant", "reviewer", "planner", "admin", "viewer")}


# -- the scorecard of a small hand-built year -------------------------------------------------------

def _hand_year():
    """Parcels and projects whose figures are counted by hand below."""
    d = pd.Timestamp
    parcels = pd.DataFrame({
        "code": [f"P{i}" for i in range(8)],
        "area_m2": [100_000.0] * 5 + [50_000.0, 60_000.0, 70_000.0],
        "area_mu": [150.0] * 5 + [75.0, 90.0, 105.0],
        "status": ["published", "listed", "transferred", "in_production", "published", "published", "planned",
                   "published"],
        # P5 was offered in 2020, P6 is only planned (its date does not make it offered), P7 has no date
        "offered_on": [d("2021-03-01")] * 5 + [d("2020-06-01"), d("2021-05-01"), pd.NaT],
    })
    n = 16
    signed = [d(f"2021-{m:02d}-10") for m in range(1, 13)] + [d("2021-12-31"), d("2021-01-01"),
                                                              d("2020-12-31"), d("2022-01-01")]
    origin = ["foreign"] * 10 + ["domestic"] * 4 + ["foreign", "foreign"]  # the two outside 2021 are foreign
    top = ["fortune_global_500", None, "china_enterprise_500", None, None, "fortune_china_500", None, None, None,
           None, None, None, None, "fortune_global_500", "fortune_global_500", None]
    total = [100_000.0, 99_999.0, 250_000.0, 120_000.0, 5_000.0, 300_000.0, np.nan, 100_000.0, 110_000.0,
             20_000.0, 150_000.0, 130_000.0, 1_000.0, 2_000.0, 900_000.0, 900_000.0]  # ≥ 100,000: 0 2 3 5 7 8 10 11
    registered = [d("2021-02-01"), d("2021-03-01"), d("2021-11-01")] + [pd.NaT] * 10 + [d("2020-05-01"), pd.NaT,
                                                                                       pd.NaT]
    started = [d("2021-04-01"), d("2021-06-01"), d("2021-12-31")] + [pd.NaT] * 10 + [d("2021-01-15"), pd.NaT,
                                                                                     pd.NaT]
    commissioned = [d("2021-10-01"), d("2022-02-01"), pd.NaT] + [pd.NaT] * 10 + [d("2021-08-01"), pd.NaT, pd.NaT]
    projects = pd.DataFrame({
        "id": np.arange(1, n + 1), "parcel_code": ["P3"] * n, "division": ["27 医药制造业"] * 8 + ["39 计算机"] * 8,
        "investor_origin": origin, "top500_list": top, "total_investment_wan_yuan": total,
        "intended_on": [pd.NaT] * n, "signed_on": signed, "registered_on": registered, "started_on": started,
        "commissioned_on": commissioned,
        "output_wan_yuan": [500.0, 700.0, np.nan] + [np.nan] * 10 + [300.0, np.nan, np.nan],
    })
    classes = pd.DataFrame({"code": ["P3", "X1", "X2"], "class": ["A", "C", "A"]})
    return parcels, projects, classes


def test_scorecard_of_a_hand_built_year_matches_hand_counts():
    parcels, projects, classes = _hand_year()
    card = R.scorecard(parcels, projects, 2021, classes=classes)
    f = {x["id"]: x for x in card["figures"]}
    assert f["parcels_offered"]["value"] == 5 and f["parcels_offered"]["ids"] == ["P0", "P1", "P2", "P3", "P4"]
    assert f["offered_area_mu"]["value"] == 750.0 and f["offered_area_km2"]["value"] == 0.5
    assert f["signed"]["value"] == 14 and f["signed"]["ids"] == list(range(1, 15))
    assert f["foreign"]["value"] == 10 and f["foreign"]["ids"] == list(range(1, 11))
    share = f["foreign_share"]
    assert (share["value"], share["numerator"], share["denominator"]) == (71.43, 10, 14)  # 10/14
    assert f["top500"]["value"] == 4 and f["top500"]["ids"] == [1, 3, 6, 14]
    assert f["over_1bn"]["value"] == 8 and f["over_1bn"]["ids"] == [1, 3, 4, 6, 8, 9, 11, 12]  # 99,999 is not
    rs = f["registered_started_rate"]
    assert (rs["value"], rs["numerator"], rs["denominator"]) == (100.0, 3, 3)
    sc = f["started_commissioned_rate"]  # started in 2021: 1, 2, 3, 14; commissioned by 2021-12-31: 1, 14
    assert (sc["value"], sc["numerator"], sc["denominator"], sc["numerator_ids"]) == (50.0, 2, 4, [1, 14])
    assert card["output_grouped_by"] == "division"
    assert [(g["chain"], g["output_wan_yuan"], g["projects"], g["ids"]) for g in card["output_by_chain"]] == [
        ("27 医药制造业", 500.0, 1, [1]), ("39 计算机", 300.0, 1, [14])]
    assert card["mu_classes"]["A"] == {"parcels": 2, "ids": ["P3", "X2"]} and card["mu_classes"]["B"]["parcels"] == 0
    assert card["years"] == [2020, 2021, 2022]


def test_output_by_chain_uses_the_mapping_passed_in():
    parcels, projects, _ = _hand_year()
    card = R.scorecard(parcels, projects, 2021, chain={1: "医药链", 14: "医药链"})
    assert card["output_grouped_by"] == "chain"
    assert card["output_by_chain"] == [{"chain": "医药链", "output_wan_yuan": 800.0, "projects": 2, "missing": 0,
                                        "ids": [1, 14]}]


def test_an_empty_year_has_no_rates_not_zero():
    parcels, projects, _ = _hand_year()
    f = {x["id"]: x for x in R.scorecard(parcels, projects, 2019)["figures"]}
    assert f["signed"]["value"] == 0 and f["foreign_share"]["value"] is None
    assert f["registered_started_rate"]["value"] is None


# -- fields -----------------------------------------------------------------------------------------

BASE = {"decision_date": "2021-05-01", "industry_code": "27", "land_area_m2": 10000,
        "fixed_asset_investment_wan_yuan": 5000}


@pytest.mark.parametrize("bad, field", [
    ({"investor_origin": "foreign"}, "investor_country"),
    ({"investor_origin": "abroad"}, "investor_origin"),
    ({"top500_list": "fortune_global_500"}, "top500_year"),
    ({"top500_year": 2021}, "top500_list"),
    ({"top500_list": "fortune_global_500", "top500_year": "20x1"}, "top500_year"),
    ({"top500_list": "fortune_global_500", "top500_year": 2021.5}, "top500_year"),
    ({"signed_on": "2021-05-01", "registered_on": "2021-04-30"}, "registered_on"),
    ({"intended_on": "2021-02-30"}, "intended_on"),
    ({"total_investment_wan_yuan": -1}, "total_investment_wan_yuan"),
    ({"total_investment_wan_yuan": {"value": 1, "unit": "m²"}}, "total_investment_wan_yuan"),
])
def test_promotion_fields_are_validated_by_both_parsers_naming_the_field(bad, field):
    with pytest.raises((InputError, UnitError)) as e:
        parse_project({**BASE, **bad})
    assert e.value.field == field
    with pytest.raises((InputError, UnitError)) as r:
        P.parse_record(bad)
    assert r.value.field == field
    if isinstance(bad.get("total_investment_wan_yuan"), dict):
        return  # a table cell carries the canonical unit only
    with pytest.raises(DataValidationError) as t:
        parse_project_table(pd.DataFrame([{**BASE, **{k: (v if not isinstance(v, dict) else v["value"])
                                                      for k, v in bad.items()}}]))
    assert field in {p.field for p in t.value.problems}


def test_a_full_promotion_record_parses_and_total_investment_is_in_wan_yuan():
    rec = P.parse_record({"investor_name": "示例投资方", "investor_origin": "foreign", "investor_country": "韩国",
                          "total_investment_wan_yuan": {"value": 12, "unit": "亿元"}, "top500_list": "fortune_china_500", "top500_year": "2021", "signed_on": "2021-05-28"})
    assert rec["total_investment_wan_yuan"] == 120000 and rec["top500_year"] == 2021
    p = parse_project({**BASE, "total_investment_wan_yuan": 120000, "investor_origin": "domestic"})
    assert p.values["total_investment_wan_yuan"] == 120000


# -- store: the record, the service log, roles, deadlines ------------------------------------------------

def _app(store, **promo) -> int:
    return A.create(store, WHO["applicant"], STD, {**EXAMPLE, **promo})["id"]


def test_the_record_is_seeded_from_the_project_and_patched_whole(park_store):
    s = park_store
    app_id = _app(s, investor_origin="foreign", investor_country="韩国", signed_on="2021-05-28",
                  total_investment_wan_yuan=150000)
    assert s.application(app_id)["promotion"] == {"investor_origin": "foreign", "investor_country": "韩国",
                                                  "signed_on": "2021-05-28", "total_investment_wan_yuan": 150000.0}
    v = P.update(s, WHO["planner"], app_id, {"registered_on": "2021-07-01", "investor_country": None,
                                              "investor_origin": "domestic"})
    assert v["promotion"]["registered_on"] == "2021-07-01" and "investor_country" not in v["promotion"]
    before = s.application(app_id)["promotion"]
    for bad, field in (({"started_on": "2021-06-30"}, "started_on"),  # before registered_on (stored)
                       ({"investor_origin": "foreign"}, "investor_country"), ({"nope": 1}, "nope")):
        with pytest.raises(InputError) as e:
            P.update(s, WHO["planner"], app_id, bad)
        assert e.value.field == field
    assert s.application(app_id)["promotion"] == before  # nothing written


def test_service_log_roles_and_overdue_follow_up_in_deadlines(park_store):
    from standardland.api.auth import issue

    s = park_store
    app_id = _app(s)
    other = A.create(s, {"name": "someone-else", "role": "applicant"}, STD, EXAMPLE)["id"]
    issue(s, name="officer-wang", role="reviewer")
    issue(s, name="user-applicant", role="applicant")
    entry = {"entry_on": "2026-03-02", "kind": "issue_raised", "text": "施工用电接入滞后",
             "follow_up_due": "2026-04-01"}
    today = date(2026, 6, 1)
    with pytest.raises(PermissionDenied):  # the owner reads but does not write
        P.add_entry(s, WHO["applicant"], app_id, entry, today=today)
    with pytest.raises(PermissionDenied):  # a reviewer who is not the officer
        P.add_entry(s, {"name": "officer-wang", "role": "reviewer"}, app_id, entry, today=today)
    with pytest.raises(PermissionDenied):  # only the planner or admin assigns
        P.assign_officer(s, {"name": "officer-wang", "role": "reviewer"}, app_id, "officer-wang")
    with pytest.raises(InputError) as e:  # an officer is a staff user
        P.assign_officer(s, WHO["planner"], app_id, "user-applicant")
    assert e.value.field == "service_officer"
    P.assign_officer(s, WHO["planner"], app_id, "officer-wang")
    raised = P.add_entry(s, {"name": "officer-wang", "role": "reviewer"}, app_id, entry, today=today)
    assert raised["follow_up"] == {"due": "2026-04-01", "met_on": None, "status": "overdue"}
    P.add_entry(s, WHO["planner"], app_id, {"entry_on": "2026-03-01", "kind": "visit", "text": "走访"}, today=today)
    with pytest.raises(NotFoundError):  # another applicant does not see it
        P.view(s, app_id, {"name": "someone-else", "role": "applicant"})
    assert [e["kind"] for e in P.view(s, app_id, WHO["applicant"])["service_log"]] == ["issue_raised", "visit"]
    for bad, field in (({**entry, "kind": "call"}, "kind"), ({**entry, "entry_on": "2026-13-01"}, "entry_on"),
                       ({**entry, "entry_on": "2026-07-01"}, "entry_on"),  # in the future
                       ({**entry, "follow_up_due": "2026-03-01"}, "follow_up_due"),
                       ({**entry, "text": " "}, "text"), ({**entry, "extra": 1}, "extra"),
                       ({"entry_on": "2026-05-01", "kind": "issue_resolved", "text": "ok"}, "answers"),
                       ({"entry_on": "2026-05-01", "kind": "issue_resolved", "text": "ok", "answers": 999}, "answers")):
        with pytest.raises(InputError) as e:
            P.add_entry(s, WHO["planner"], app_id, bad, today=today)
        assert e.value.field == field
    assert len(s.service_entries(app_id)) == 2  # nothing written by the refusals

    due = R.deadline_list(s, today=today, overdue_only=True)
    rec = next(r for r in due if r["application_id"] == app_id)
    assert rec["idle_land"] is None and rec["deadlines"] == [
        {"kind": "service_follow_up", "due": "2026-04-01", "status": "overdue", "entry_id": raised["id"],
         "entry_kind": "issue_raised", "text": "施工用电接入滞后"}]
    assert other not in {r["application_id"] for r in R.deadline_list(s, today=today)}
    assert R.deadline_list(s, today=today, ident={"name": "someone-else", "role": "applicant"}) == []

    # the CLI shows it too
    p = subprocess.run([sys.executable, "-m", "standardland.cli", "deadlines", "--overdue", "--today", "2026-06-01",
                        "--json", "--db", s.url], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert any(i["kind"] == "service_follow_up" and i["status"] == "overdue"
               for r in json.loads(p.stdout) for i in r["deadlines"])
    p = subprocess.run([sys.executable, "-m", "standardland.cli", "deadlines", "--overdue", "--today", "2026-06-01",
                        "--db", s.url], capture_output=True, text=True, timeout=300, env={**os.environ, "COLUMNS": "200"})
    assert p.returncode == 0, p.stderr
    assert "service_follow_up" in p.stdout

    # resolved (late): met_late, no longer overdue
    P.add_entry(s, WHO["planner"], app_id, {"entry_on": "2026-05-01", "kind": "issue_resolved", "text": "已接电",
                                            "answers": raised["id"]}, today=today)
    assert app_id not in {r["application_id"] for r in R.deadline_list(s, today=today, overdue_only=True)}
    with pytest.raises(InputError):  # resolved once
        P.add_entry(s, WHO["planner"], app_id, {"entry_on": "2026-05-02", "kind": "issue_resolved", "text": "again",
                                                "answers": raised["id"]}, today=today)
    assert P.view(s, app_id)["service_log"][0]["follow_up"]["status"] == "met_late"


def test_the_sample_2021_card_is_the_parks_published_shape(park_store):
    s = park_store
    assert add_sample_promotion(s)["applications"] == 14
    assert add_sample_promotion(s)["applications"] == 0  # idempotent
    card = R.park_scorecard(s, SAMPLE_PARK_CODE, 2021)
    f = {x["id"]: x["value"] for x in card["figures"]}
    assert (f["parcels_offered"], f["offered_area_mu"], f["offered_area_km2"]) == (5, 750.0, 0.5)
    assert (f["signed"], f["foreign"], f["foreign_share"], f["top500"], f["over_1bn"]) == (14, 10, 71.43, 4, 8)
    assert f["registered_started_rate"] == 100.0
    assert sum(v["parcels"] for v in card["mu_classes"].values()) == 24  # the in-production parcels
    # commissioned in 2021: A (2720, biomedicine midstream) and D (1492, 大健康 midstream), by chain
    assert card["output_grouped_by"] == "chain"
    assert sorted(g["chain"] for g in card["output_by_chain"]) == ["大健康产业链（示例）", "生物医药产业链（示例）"]
    rows = R.scorecard_records(s, SAMPLE_PARK_CODE, 2021, "foreign")
    assert len(rows) == 10 and all(r["investor_origin"] == "foreign" and r["investor_name"] is None for r in rows)
    mine = R.scorecard_records(s, SAMPLE_PARK_CODE, 2021, "foreign", {"name": "示例企业 A（示例）", "role": "applicant"})
    assert [r["investor_name"] for r in mine if r["investor_name"]] == ["示例投资方 A（示例）"]
    assert R.scorecard_records(s, SAMPLE_PARK_CODE, 2021, "mu_class:A", None)[0]["code"].startswith("3706")
    with pytest.raises(InputError):
        R.scorecard_records(s, SAMPLE_PARK_CODE, 2021, "nope")
    with pytest.raises(NotFoundError):
        R.park_scorecard(s, "nope", 2021)
    page = R.scorecard_html(card, "zh")
    assert "年度成绩单" in page and "71.43" in page
    assert f'href="{R.records_href(SAMPLE_PARK_CODE, 2021, "foreign_share")}"'.replace("&", "&amp;") in page


# -- HTTP and CLI ---------------------------------------------------------------------------------------

def test_http_scorecard_promotion_and_service_log(api, tmp_path):
    base, url, tokens = api
    from standardland.store import open_store

    store = open_store(url)
    add_sample_promotion(store)
    app_id = store.applications()[0]["id"]
    store.close()
    H = {r: {"Authorization": f"Bearer {t}"} for r, t in tokens.items()}
    with httpx.Client(base_url=base, timeout=120) as c:
        card = c.get(f"/api/v1/parks/{SAMPLE_PARK_CODE}/scorecard", params={"year": 2021}).json()
        f = {x["id"]: x for x in card["figures"]}
        assert f["foreign_share"]["value"] == 71.43 and f["registered_started_rate"]["value"] == 100.0
        recs = c.get(f["signed"]["href"])  # every figure links to its records
        assert recs.status_code == 200 and len(recs.json()) == 14
        html = c.get(f"/api/v1/parks/{SAMPLE_PARK_CODE}/scorecard", params={"year": 2021, "format": "html",
                                                                             "lang": "en"})
        assert html.headers["content-type"].startswith("text/html") and "Annual scorecard" in html.text
        x = c.get(f"/api/v1/parks/{SAMPLE_PARK_CODE}/scorecard", params={"year": 2021, "format": "xlsx"})
        sheet = pd.read_excel(io.BytesIO(x.content))
        assert sheet.iloc[5].tolist()[1] == 71.43
        assert c.get(f"/api/v1/parks/{SAMPLE_PARK_CODE}/scorecard", params={"year": "x"}).status_code == 400
        assert c.get("/api/v1/parks/nope/scorecard", params={"year": 2021}).status_code == 404
        bad = c.get(f"/api/v1/parks/{SAMPLE_PARK_CODE}/scorecard/records", params={"year": 2021, "figure": "x"})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "figure"

        path = f"/api/v1/applications/{app_id}"
        assert c.patch(path + "/promotion", json={"started_on": "2021-01-01"}).status_code == 401
        r = c.patch(path + "/promotion", json={"started_on": "2021-01-01"}, headers=H["planner"])
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "started_on"  # before registered_on
        r = c.patch(path + "/promotion", json={"top500_year": 2020}, headers=H["viewer"])
        assert r.status_code == 403
        r = c.patch(path + "/promotion", json={"top500_year": 2020}, headers=H["planner"])
        assert r.status_code == 200 and r.json()["promotion"]["top500_year"] == 2020
        entry = {"entry_on": "2024-01-02", "kind": "visit", "text": "走访", "follow_up_due": "2024-02-01"}
        assert c.post(path + "/service-log", json=entry, headers=H["applicant"]).status_code == 404  # not theirs
        assert c.post(path + "/service-log", json=entry, headers=H["reviewer"]).status_code == 403
        r = c.put(path + "/service-officer", json={"name": "test-reviewer"}, headers=H["planner"])
        assert r.status_code == 200 and r.json()["service_officer"] == "test-reviewer"
        r = c.post(path + "/service-log", json=entry, headers=H["reviewer"])  # now the officer
        assert r.status_code == 201 and r.json()["follow_up"]["status"] == "overdue"
        r = c.post(path + "/service-log", json={**entry, "kind": "call"}, headers=H["planner"])
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "kind"
        r = c.post(path + "/service-log", json={**entry, "entry_on": "01/02/2024"}, headers=H["planner"])
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "entry_on"
        due = c.get("/api/v1/deadlines", params={"overdue": True}, headers=H["viewer"]).json()
        assert any(i["kind"] == "service_follow_up" and i["status"] == "overdue"
                   for rec in due if rec["application_id"] == app_id for i in rec["deadlines"])
        assert c.get(path + "/service-log", headers=H["viewer"]).json()[-1]["text"] == "走访"


def test_cli_scorecard_table_json_and_files(tmp_path):
    from standardland.sample import load_reference_data
    from standardland.store import open_store

    url = f"sqlite:///{tmp_path / 's.db'}"
    s = open_store(url)
    load_reference_data(s)
    add_sample_promotion(s)
    s.close()

    def run(*args):
        p = subprocess.run([sys.executable, "-m", "standardland.cli", "scorecard", "--park", SAMPLE_PARK_CODE,
                            "--db", url, *args], capture_output=True, text=True, timeout=300, cwd=tmp_path)
        return p

    p = run("--year", "2021", "--format", "json")
    assert p.returncode == 0, p.stderr
    assert {x["id"]: x["value"] for x in json.loads(p.stdout)["figures"]}["foreign_share"] == 71.43
    p = run("--year", "2021")
    assert p.returncode == 0 and "71.43" in p.stdout and "(10/14)" in p.stdout
    p = run("--year", "2021", "--format", "xlsx", "--out", str(tmp_path / "c.xlsx"))
    assert p.returncode == 0 and (tmp_path / "c.xlsx").stat().st_size > 0
    p = run("--year", "2021", "--format", "html")
    assert p.returncode == 0 and "71.43" in (tmp_path / f"scorecard-{SAMPLE_PARK_CODE}-2021.html").read_text("utf-8")
    p = run("--year", "2021", "--format", "doc")
    assert p.returncode != 0 and "format" in p.stderr + p.stdout


# -- the map page's panel, in real Chromium -------------------------------------------------------------

@pytest.fixture(scope="module")
def promo_site(tmp_path_factory, sqlite_seeds):
    from helpers import copy_seed
    from server import running_server
    from standardland.store import open_store

    url = copy_seed(sqlite_seeds[True], tmp_path_factory.mktemp("promo") / "p.db")  # the sample park
    s = open_store(url)
    add_sample_promotion(s)
    s.close()
    with running_server(url) as base:
        yield base


def test_the_map_panel_shows_the_card_and_links_each_figure_to_its_records(open_page, promo_site):

    opened = open_page(promo_site, "/map#scorecard")
    page, outside, dialogs = opened.page, opened.outside, opened.dialogs
    row = page.locator("#sl-scorecard-content tr[data-figure='foreign_share']")
    row.wait_for(timeout=30_000)
    assert "外资项目占比" in row.inner_text() and "71.43 % (10/14)" in row.inner_text()
    assert page.locator("#sl-scorecard-year").input_value() == "2021"  # the latest year with records
    href = page.locator("#sl-scorecard-content tr[data-figure='signed'] a").get_attribute("href")
    assert len(httpx.get(promo_site + href, timeout=60).json()) == 14
    page.locator("#sl-scorecard-toggle").click()  # closes
    assert page.locator("#sl-scorecard-body").is_hidden()
    # the panel is a control of the top-left corner: it covers neither the search box nor the zoom buttons
    boxes = page.evaluate("""() => [...document.querySelectorAll('.leaflet-top.leaflet-left > .leaflet-control')]
        .map(e => { const r = e.getBoundingClientRect(); return [e.className, r.left, r.top, r.right, r.bottom]; })""")
    assert any("sl-scorecard" in b[0] for b in boxes), boxes
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            apart = a[3] <= b[1] or b[3] <= a[1] or a[4] <= b[2] or b[4] <= a[2]
            assert apart, (a, b)
    assert outside == [] and dialogs == []
    page.context.close()


def test_the_scorecard_prints_to_pdf(promo_site):
    r = httpx.get(f"{promo_site}/api/v1/parks/{SAMPLE_PARK_CODE}/scorecard",
                  params={"year": 2021, "format": "pdf"}, timeout=120)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf" and r.content[:5] == b"%PDF-"


def test_output_comes_from_the_production_review_when_there_is_one(park_store):
    from test_workflow import WHO as W, advance

    s = park_store
    app_id = advance(s, "review_passed")  # reviewed: annual output 75,000 万元 measured
    P.update(s, W["planner"], app_id, {"signed_on": "2024-05-15", "started_on": "2024-06-11",
                                        "commissioned_on": "2026-01-10"})
    card = R.park_scorecard(s, SAMPLE_PARK_CODE, 2026)
    assert card["output_by_chain"] == [{"chain": card["output_by_chain"][0]["chain"], "output_wan_yuan": 75000.0,
                                        "projects": 1, "missing": 0, "ids": [app_id]}]
    _, projects = R.promotion_frame(s, SAMPLE_PARK_CODE)
    assert projects.set_index("id").loc[app_id, "output_source"] == "production_review"


def test_output_is_grouped_by_the_stored_chains(park_store):
    """With chains stored (the sample's three), the card groups output by the chain of each project's
    industry; a project outside every chain is under "—"."""
    from test_workflow import WHO as W, advance

    from standardland.chains import application_chains

    s = park_store
    app_id = advance(s, "review_passed")  # industry 39 (a division): inside no segment of the sample chains
    P.update(s, W["planner"], app_id, {"signed_on": "2024-05-15", "started_on": "2024-06-11",
                                        "commissioned_on": "2026-01-10"})
    assert app_id not in application_chains(s, SAMPLE_PARK_CODE)
    assert application_chains(s, "no-such-park") is None  # no chain at all: the card groups by division
    card = R.park_scorecard(s, SAMPLE_PARK_CODE, 2026)
    assert card["output_grouped_by"] == "chain" and [g["chain"] for g in card["output_by_chain"]] == ["—"]
    # the same project in class 3911 (计算机整机制造) lies in the smart-manufacturing chain's midstream (391)
    with s.engine.begin() as conn:
        from sqlalchemy import text

        doc = json.loads(conn.execute(text("SELECT project FROM applications WHERE id = :i"), {"i": app_id}).scalar())
        doc["industry_code"] = "3911"
        conn.execute(text("UPDATE applications SET project = :p WHERE id = :i"),
                     {"p": json.dumps(doc, ensure_ascii=False), "i": app_id})
    assert application_chains(s, SAMPLE_PARK_CODE)[app_id] == "智能制造产业链（示例）"
    card = R.park_scorecard(s, SAMPLE_PARK_CODE, 2026)
    assert [(g["chain"], g["output_wan_yuan"], g["ids"]) for g in card["output_by_chain"]] == [
        ("智能制造产业链（示例）", 75000.0, [app_id])]
