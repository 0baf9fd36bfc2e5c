"""A verdict that cannot lie: no verdict without rules, the parcel in the check, `incomplete` visible."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pandas as pd
import pyogrio
import pytest

from conftest import _admin_create_empty
from helpers import code, square_parcels
from standardland import services
from standardland.errors import ConflictError
from standardland.store import open_store
from standardland.workflow import applications as A, documents

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = json.loads((ROOT / "api/examples/project.json").read_text("utf-8"))  # 150 亩, 2024-03-01
IN_PRODUCTION_78_MU = "370613004001GB20001"  # sample park: 78 亩, in_production
STANDARD = "370613004002GB10001"  # sample park: published standard-land parcel


def cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "standardland.cli", *args], capture_output=True, text=True,
                          timeout=300, env={**os.environ, **(env or {})})


@pytest.fixture(params=["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)])
def bare_url(request, tmp_path):
    """A store that was never initialised: no rule sets (parcels are imported into it by the test)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'bare.db'}"
    else:
        request.getfixturevalue("pg_template")  # skips or fails as the suite requires
        url, drop = _admin_create_empty()
        yield url
        drop()


def test_check_without_any_rule_set_is_an_error_not_a_pass(bare_url, tmp_path):
    path = tmp_path / "p.gpkg"
    pyogrio.write_dataframe(square_parcels(1, side=300), path)
    store = open_store(bare_url)
    services.import_file(store, path)  # parcels imported, `init` skipped
    assert store.rulesets() == []
    with pytest.raises(ConflictError) as e:
        services.check_project(store, EXAMPLE, code(1))
    assert e.value.field == "rulesets" and "standardland init" in e.value.expected
    with pytest.raises(ConflictError):  # a screening has nothing to judge by either
        services.screen_table(store, pd.DataFrame({"decision_date": ["2024-03-01"], "industry_code": ["39"]}))
    store.close()
    doc = tmp_path / "project.json"
    doc.write_text(json.dumps(EXAMPLE, ensure_ascii=False), encoding="utf-8")
    p = cli("check", str(doc), "--parcel", code(1), "--db", bare_url)
    assert p.returncode == 2, p.stdout + p.stderr
    assert "PASS" not in p.stdout and "no rule set is loaded" in p.stderr
    assert "standardland init" in p.stderr and "rules load" in p.stderr


def test_check_with_no_rule_set_in_force_on_the_date_is_409_on_both_backends(api):
    base, _, _ = api
    r = httpx.post(f"{base}/api/v1/checks", json={"project": {**EXAMPLE, "decision_date": "2004-06-01"},
                                                   "parcel_code": STANDARD})
    assert r.status_code == 409, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert "no rule set in force on 2004-06-01 covers parcel " + STANDARD in body["detail"]
    assert "standardland init" in body["detail"] and "rules load" in body["detail"]
    assert body["errors"][0]["field"] == "rulesets"
    ok = httpx.post(f"{base}/api/v1/checks", json={"project": EXAMPLE, "parcel_code": STANDARD})
    assert ok.status_code == 200 and ok.json()["verdict"] == "pass" and ok.json()["notes"] == []


def test_150_mu_project_on_a_78_mu_parcel_in_production_gets_both_notes(api, tmp_path):
    base, db, _ = api
    r = httpx.post(f"{base}/api/v1/checks", json={"project": EXAMPLE, "parcel_code": IN_PRODUCTION_78_MU,
                                                   "lang": "en"})
    assert r.status_code == 200
    v = r.json()
    kinds = [n["kind"] for n in v["notes"]]
    assert kinds == ["parcel_status", "area_mismatch"]
    status, area = v["notes"]
    assert "in_production" in status["message"] and "not available for supply" in status["message"]
    assert area["project_area_m2"] == pytest.approx(100_000)
    assert area["parcel_area_m2"] == pytest.approx(52_000)
    assert area["difference"] == pytest.approx(100_000 / 52_000 - 1) and area["tolerance"] == 0.05
    assert "150.00 亩" in area["message"] and "78.00 亩" in area["message"] and "+92%" in area["message"]
    # the same notes in the CLI's table (the verdict and exit code are the indicators')
    doc = tmp_path / "project.json"
    doc.write_text(json.dumps(EXAMPLE, ensure_ascii=False), encoding="utf-8")
    t = cli("check", str(doc), "--parcel", IN_PRODUCTION_78_MU, "--db", db, "--lang", "en",
            env={"COLUMNS": "80"})
    assert t.returncode == 0
    assert f"note (parcel_status): {status['message']}" in t.stdout.splitlines()
    assert f"note (area_mismatch): {area['message']}" in t.stdout.splitlines()
    assert "(2 notes, see below)" in t.stdout


def test_an_area_within_the_tolerance_gives_no_note(api):
    base, _, _ = api
    parcel = httpx.get(f"{base}/api/v1/parcels/{STANDARD}").json()
    near = {**EXAMPLE, "land_area_m2": parcel["area_m2"] * 1.049}
    v = httpx.post(f"{base}/api/v1/checks", json={"project": near, "parcel_code": STANDARD}).json()
    assert v["notes"] == []
    far = {**EXAMPLE, "land_area_m2": parcel["area_m2"] * 0.94}
    v = httpx.post(f"{base}/api/v1/checks", json={"project": far, "parcel_code": STANDARD}).json()
    assert [n["kind"] for n in v["notes"]] == ["area_mismatch"] and "-6%" in v["notes"][0]["message"]


def test_the_printable_check_document_lists_the_notes(park_store):
    who = {"name": "user-applicant", "role": "applicant"}
    app = A.create(park_store, who, IN_PRODUCTION_78_MU, {**EXAMPLE, "name": "<b>项目</b>"})
    A.transition(park_store, who, app["id"], "submit", {})
    html = documents.render("check", park_store.application(app["id"]) | {"id": app["id"]}, lang="zh")
    assert "提示" in html and 'data-kind="parcel_status"' in html and 'data-kind="area_mismatch"' in html
    assert "不可供地" in html and "+92%" in html
    assert "<b>项目</b>" not in html and "&lt;b&gt;项目&lt;/b&gt;" in html


def test_incomplete_exits_3_and_every_reason_is_printed_whole_at_80_columns(api, tmp_path):
    _, db, _ = api
    doc = tmp_path / "thin.json"
    doc.write_text(json.dumps({"name": "资料不全的项目", "industry_code": "39", "decision_date": "2024-03-01",
                               "land_area_m2": 50_000, "nuisance_class": 1}, ensure_ascii=False),
                   encoding="utf-8")
    store = open_store(db)
    v = services.check_project(store, json.loads(doc.read_text("utf-8")), STANDARD, lang="en")
    store.close()
    assert v["verdict"] == "incomplete"
    p = cli("check", str(doc), "--parcel", STANDARD, "--db", db, "--lang", "en", env={"COLUMNS": "80"})
    assert p.returncode == 3, p.stdout + p.stderr
    lines = p.stdout.splitlines()
    assert any(STANDARD in line and "INCOMPLETE" in line for line in lines)  # the parcel code whole
    reasons = [it["reason"] for it in v["indicators"] if it["status"] in ("missing", "not_applicable")]
    assert reasons and all(any(line.endswith("] " + why) for line in lines) for why in reasons)
    assert "no value for far (give it, or floor_area_m2 and land_area_m2)" in p.stdout
    # the table itself fits the terminal
    table = [line for line in lines if "│" in line or (line.startswith(" ") and not line.lstrip().startswith("•"))]
    assert all(len(line) <= 80 for line in table)


def test_check_help_documents_the_exit_codes():
    h = cli("check", "--help", env={"COLUMNS": "120"})
    text = " ".join(h.stdout.split())
    assert "0 pass, 1 fail, 3 incomplete" in text and "2 input error" in text


def test_a_fail_exits_1(api, tmp_path):
    _, db, _ = api
    doc = tmp_path / "low.json"
    doc.write_text(json.dumps({**EXAMPLE, "floor_area_m2": 10_000}, ensure_ascii=False), encoding="utf-8")
    assert cli("check", str(doc), "--parcel", STANDARD, "--db", db).returncode == 1
