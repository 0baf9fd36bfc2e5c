"""Meeting-ready documents: the same HTML/PDF from the CLI and over HTTP, provenance in people's
words, localised values, every inspection listed, data never read as template text."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from standardland.errors import RuleSetError
from standardland.rules.rulesets import parse_ruleset, provenance, shipped_rulesets
from standardland.workflow import applications as A, documents

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
EXAMPLE = json.loads((ROOT / "api/examples/project.json").read_text("utf-8"))  # 150 亩, decided 2024-03-01
IN_PRODUCTION_78_MU = "370613004001GB20001"  # sample park: 78 亩, in_production (two notes)
STANDARD = "370613004002GB10001"  # sample park: a published standard-land parcel
NO_PDF = shutil.which("pdftotext") is None
STATUS_CODES = ("pass", "fail", "warn", "missing", "not_applicable", "incomplete")


def cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "standardland.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=180)


def pdf_text(data: bytes, tmp_path: Path) -> str:
    f = tmp_path / "doc.pdf"
    f.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(f), "-"], capture_output=True, text=True, check=True).stdout


def far_rows(html: str) -> str:
    return " ".join(re.findall(r'<tr[^>]*data-indicator="far">.*?</tr>', html, flags=re.S))


def test_the_html_document_of_a_check_from_the_cli_and_over_http(api, tmp_path):
    base, db, _ = api
    doc = tmp_path / "project.json"
    doc.write_text(json.dumps(EXAMPLE, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "check.html"
    p = cli("check", str(doc), "--parcel", IN_PRODUCTION_78_MU, "--db", db, "--format", "html", "--out", str(out))
    assert p.returncode == 0, p.stdout + p.stderr
    html = out.read_text(encoding="utf-8")
    assert IN_PRODUCTION_78_MU in html and "示例企业 A 项目用地" in html  # the parcel's code and name
    assert "52,000.00 m² = 78.00 亩 = 5.2000 公顷" in html
    assert "2024年3月1日" in html and "2024-03-01" not in html
    far = far_rows(html)
    assert "容积率" in far and "国土资发〔2008〕24号" in far  # the requirement with its source document
    assert "《工业项目建设用地控制指标》（2023年修订，文号未核实）" in far  # the 2023 number is not invented
    # the verdict's notes, localised
    assert 'data-kind="area_mismatch"' in html and "+92%" in html and 'data-kind="parcel_status"' in html
    for words in ("经办人", "审核人", "负责人", "日期", "（盖章）"):
        assert words in html
    assert "<svg" in html and "<path d=\"M" in html  # the parcel's outline, drawn from its geometry
    text = re.sub(r"<[^>]+>", "\n", html)
    assert not [w for w in text.split() if w in STATUS_CODES], "an English status code in the zh document"
    assert "通过" in text
    r = httpx.post(f"{base}/api/v1/checks/document", params={"format": "html"}, timeout=60,
                   json={"project": EXAMPLE, "parcel_code": IN_PRODUCTION_78_MU})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert r.text == html  # one renderer: the same document from both


@pytest.mark.skipif(NO_PDF, reason="pdftotext (poppler-utils) is not installed; .ci/run installs it")
def test_a_pdf_from_the_cli_and_over_http(api, tmp_path):
    base, db, _ = api
    doc = tmp_path / "project.json"
    doc.write_text(json.dumps(EXAMPLE, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "check.pdf"
    p = cli("check", str(doc), "--parcel", STANDARD, "--db", db, "--format", "pdf", "--out", str(out))
    assert p.returncode == 0, p.stdout + p.stderr
    assert out.read_bytes().startswith(b"%PDF-")
    r = httpx.post(f"{base}/api/v1/checks/document?format=pdf", json={"project": EXAMPLE, "parcel_code": STANDARD},
                   timeout=120)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    for data in (out.read_bytes(), r.content):
        text = pdf_text(data, tmp_path)
        assert STANDARD in text and "容积率" in text and "国土资发〔2008〕24号" in text
        assert re.search(r"第\s*1\s*页\s*/\s*共\s*\d+\s*页", text)  # page numbers
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(out),
                    str(ARTIFACTS / "document_check_first_page")], check=True)
    assert (ARTIFACTS / "document_check_first_page.png").stat().st_size > 10_000


def test_data_is_never_template_text(api, tmp_path):
    base, _, _ = api
    project = {**EXAMPLE, "name": "{{7*7}} {% raw %}<b>x</b>"}
    r = httpx.post(f"{base}/api/v1/checks/document", json={"project": project, "parcel_code": STANDARD}, timeout=60)
    assert r.status_code == 200
    assert "{{7*7}} {% raw %}&lt;b&gt;x&lt;/b&gt;" in r.text and "<b>x</b>" not in r.text and ">49" not in r.text


def test_bad_requests_and_a_missing_pdf_engine_are_clear_errors(api, tmp_path):
    base, db, _ = api
    r = httpx.post(f"{base}/api/v1/checks/document?format=docx", json={"project": EXAMPLE, "parcel_code": STANDARD})
    assert r.status_code == 400 and "format" in r.text  # a bad query parameter
    bad = httpx.post(f"{base}/api/v1/checks/document", json={"project": {**EXAMPLE, "far": "1.5"},
                                                             "parcel_code": STANDARD})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "project.far"
    doc = tmp_path / "project.json"
    doc.write_text(json.dumps(EXAMPLE, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "check.pdf"
    p = cli("check", str(doc), "--parcel", STANDARD, "--db", db, "--format", "pdf", "--out", str(out),
            env={"STANDARDLAND_CHROMIUM": str(tmp_path / "no-such-chromium")})
    assert p.returncode == 2 and not out.exists()
    assert len(p.stderr.strip().splitlines()) == 1 and "format: no PDF engine" in p.stderr and "chromium" in p.stderr
    p = cli("check", str(doc), "--parcel", STANDARD, "--db", db, "--format", "odt", "--out", str(out))
    assert p.returncode == 2 and "format: 'odt' is not a document format" in p.stderr and not out.exists()


# -- provenance in people's words --------------------------------------------------------------

def test_every_layer_names_its_document(api):
    base, _, _ = api
    v = httpx.post(f"{base}/api/v1/checks", json={"project": {**EXAMPLE, "decision_date": "2020-06-01"},
                                                  "parcel_code": IN_PRODUCTION_78_MU}).json()
    far = next(it for it in v["indicators"] if it["id"] == "far")
    national = next(lv for lv in far["layers"] if lv["layer"] == "national")
    assert national["ruleset"] == "national-2008"  # the id stays, as a secondary detail
    assert (national["title"], national["document_number"]) == ("《工业项目建设用地控制指标》", "国土资发〔2008〕24号")
    assert all(lv["title"] for it in v["indicators"] for lv in it["layers"])
    assert all(it["title"] for it in v["indicators"] if it["governing_ruleset"])
    parcel = next(it for it in v["indicators"] if it["governing_ruleset"] == "parcel")
    assert parcel["title"] == "出让公告"


def test_a_rule_set_without_a_title_shows_its_id_and_a_bad_title_is_refused():
    doc = next(d for d in shipped_rulesets() if d["id"] == "shandong-2005")
    plain = {k: v for k, v in doc.items() if k not in ("title", "document_number")} | {"id": "sd-plain"}
    rs = parse_ruleset(plain)
    assert rs.title is None and provenance("sd-plain") == {"title": "sd-plain", "document_number": None}
    with pytest.raises(RuleSetError) as e:
        parse_ruleset({**doc, "id": "sd-bad", "document_number": 24})
    assert e.value.field == "document_number"
    national_2023 = next(d for d in shipped_rulesets() if d["id"] == "national-2023")
    assert national_2023["document_number"] is None and "文号未核实" in national_2023["title"]


# -- workflow documents use the same renderer ----------------------------------------------------

SIGN = {"signed_on": "2024-05-20", "agreed_start": "2024-06-01", "agreed_completion": "2025-12-31", "operating_years": 2,
        "penalty_terms": {"late_start_per_mille_per_day": 0.5, "late_completion_per_mille_per_day": 0.5,
                          "tax_shortfall_per_mu": True, "combine": "sum"}}
ACCEPT = {"floor_area_m2": 150000, "building_footprint_m2": 50000, "office_living_land_m2": 6000,
          "green_area_m2": 10000, "fixed_asset_investment_wan_yuan": 60000}


def test_the_inspection_document_lists_every_inspection_with_its_penalties(park_store):
    who = {r: {"name": f"user-{r}", "role": r} for r in ("applicant", "reviewer", "planner")}
    app_id = A.create(park_store, who["applicant"], STANDARD, EXAMPLE)["id"]
    steps = [("applicant", "submit", {}), ("reviewer", "start_review", {}), ("reviewer", "approve", {}),
             ("planner", "sign_agreement", SIGN), ("planner", "start_construction", {"date": "2024-06-11"}),
             ("planner", "complete", {"date": "2025-12-01"}),
             ("reviewer", "accept", {"actuals": {**ACCEPT, "fixed_asset_investment_wan_yuan": 55000},
                                     "inspected_on": "2026-01-10"}),
             ("reviewer", "accept", {"actuals": ACCEPT, "inspected_on": "2026-04-20"})]
    for role, action, body in steps:
        A.transition(park_store, who[role], app_id, action, body)
    app = A.view(park_store, app_id)
    assert len(app["inspections"]) == 2
    html = documents.render("inspection", app, lang="zh")
    assert "1. 对标验收 · 2026年1月10日 · 验收整改中" in html and "2. 对标验收 · 2026年4月20日 · 验收合格" in html
    assert html.count("违约金</h2>") == 2 and "投资强度未达承诺" in html  # each inspection's penalties
    assert "已签订协议" not in html and "acceptance_passed" not in html
    agreement = documents.render("agreement", app, lang="zh")
    for words in ("约定开工日期", "2024年6月1日", "逾期开工违约金（每日‰）", "累加", "投资强度",
                  "《工业项目建设用地控制指标》", "经办人"):
        assert words in agreement
    assert not re.search(r">\s*(agreed_start|investment_intensity|far|closed|sum)\s*<", agreement)


@pytest.mark.skipif(NO_PDF, reason="pdftotext (poppler-utils) is not installed; .ci/run installs it")
def test_a_workflow_document_prints_as_pdf_too(api, tmp_path):
    """The workflow documents use the same renderer: ?format=pdf gives the agreement as a PDF."""
    from standardland.store import open_store

    base, url, tokens = api
    store = open_store(url)
    who = {r: {"name": f"pdf-{r}", "role": r} for r in ("applicant", "reviewer", "planner")}
    app_id = A.create(store, who["applicant"], STANDARD, EXAMPLE)["id"]
    for role, action, body in [("applicant", "submit", {}), ("reviewer", "start_review", {}),
                               ("reviewer", "approve", {}), ("planner", "sign_agreement", SIGN)]:
        A.transition(store, who[role], app_id, action, body)
    store.close()
    h = {"Authorization": f"Bearer {tokens['reviewer']}"}
    r = httpx.get(f"{base}/api/v1/applications/{app_id}/documents/agreement", params={"format": "pdf"},
                  headers=h, timeout=120)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf", r.text[:300]
    text = pdf_text(r.content, tmp_path)
    assert STANDARD in text and "约定开工日期" in text and "2024年6月1日" in text
    bad = httpx.get(f"{base}/api/v1/applications/{app_id}/documents/agreement", params={"format": "docx"},
                    headers=h)
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "format"
