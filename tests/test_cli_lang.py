"""The CLI speaks Chinese by default and English on request (``--lang en`` / ``STANDARDLAND_LANG=en``):
check, match, rules, tokens and deadlines, read at 80 columns with the parcel codes whole."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from standardland import labels
from helpers import copy_seed
from standardland.store import open_store
from standardland.workflow import reports
from test_workflow import advance

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = json.loads((ROOT / "api/examples/project.json").read_text("utf-8"))  # 150 亩, 2024-03-01
STANDARD = "370613004002GB10001"
CODE = re.compile(r"\d{12}G[A-Z]\d{5}")
#: a Python repr in human output: a dict or list literal, a quoted key, None/True/False as words
REPR = re.compile(r"\{'|\['|\bNone\b|\bTrue\b|\bFalse\b")


def zh(key: str, **fmt) -> str:
    return labels.label(key, "zh", **fmt)


def en(key: str, **fmt) -> str:
    return labels.label(key, "en", **fmt)


@pytest.fixture(scope="module")
def db(tmp_path_factory, sqlite_seeds):
    """A SQLite store with the sample park and one application whose agreement is signed."""
    url = copy_seed(sqlite_seeds[True], tmp_path_factory.mktemp("cli_lang") / "sl.db")
    store = open_store(url)
    advance(store, "agreement_signed")
    assert reports.deadline_list(store, today=date(2026, 6, 1))
    store.close()
    return url


@pytest.fixture(scope="module")
def projects(tmp_path_factory):
    d = tmp_path_factory.mktemp("projects")
    thin = d / "thin.json"  # no floor area, no tax …: incomplete, with reasons
    thin.write_text(json.dumps({"name": "待补资料项目", "industry_code": "39", "decision_date": "2024-03-01",
                                "land_area_m2": 100_000, "nuisance_class": 1, "investment_intensity": 400},
                               ensure_ascii=False), encoding="utf-8")
    full = d / "full.json"
    full.write_text(json.dumps(EXAMPLE, ensure_ascii=False), encoding="utf-8")
    return {"thin": thin, "full": full}


def cli(*args, env=None):
    base = {k: v for k, v in os.environ.items() if k != "STANDARDLAND_LANG"}
    return subprocess.run([sys.executable, "-m", "standardland.cli", *args], capture_output=True, text=True,
                          timeout=300, env=base | {"COLUMNS": "80"} | (env or {}))


def _table_lines(text: str) -> list[str]:
    """The lines of the first table: its header, its rule and its rows up to the blank line closing it."""
    lines = text.splitlines()
    rule = next(i for i, line in enumerate(lines) if "─" in line)
    end = next(i for i in range(rule + 1, len(lines)) if not lines[i].strip())
    table = lines[rule - 1:end + 1]
    assert len(table) > 3
    return table


def _width(line: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def test_check_at_80_columns_is_chinese_with_the_parcel_code_whole(db, projects):
    p = cli("check", str(projects["thin"]), "--parcel", STANDARD, "--db", db)
    assert p.returncode == 3, p.stdout + p.stderr
    out = p.stdout
    head = next(line for line in out.splitlines() if STANDARD in line)
    assert zh("incomplete") in head and "决策日期" in head and "亩" in head
    for key in ("indicator", "status", "actual", "required", "cli_col_by", "missing", "cli_v_legend"):
        assert zh(key) in out, key
    assert "万元/亩" in out and "≥ 350 万元/亩" in out
    reasons = re.findall(r"^\[\d+\] (.*)$", out, re.MULTILINE)
    assert reasons and all(re.search(r"[\u4e00-\u9fff]", r) for r in reasons), reasons
    assert "no value for" not in out and "INCOMPLETE" not in out and not REPR.search(out)
    assert all(_width(line) <= 80 for line in _table_lines(out))


def test_check_in_english_on_request(db, projects):
    flag = cli("check", str(projects["thin"]), "--parcel", STANDARD, "--db", db, "--lang", "en")
    root = cli("--lang", "en", "check", str(projects["thin"]), "--parcel", STANDARD, "--db", db)
    env = cli("check", str(projects["thin"]), "--parcel", STANDARD, "--db", db, env={"STANDARDLAND_LANG": "en"})
    assert flag.returncode == root.returncode == env.returncode == 3
    assert flag.stdout == root.stdout == env.stdout
    out = flag.stdout
    assert "INCOMPLETE" in out and "decided 2024-03-01" in out and "Indicator" in out
    assert "no value for far (give it, or floor_area_m2 and land_area_m2)" in out
    assert "10k CNY/mu" in out and "万元/亩" not in out.split("\nA  ")[0]  # units in English in the table
    header = next(line for line in out.splitlines() if "Indicator" in line)
    assert header.split() == ["Indicator", "Status", "Actual", "Required", "by", "v"]
    assert all(_width(line) <= 80 for line in _table_lines(out))


def test_match_at_80_columns_is_chinese_with_the_parcel_codes_whole(db, projects):
    p = cli("match", str(projects["thin"]), "--top", "3", "--db", db)
    assert p.returncode == 0, p.stderr
    out = p.stdout
    assert zh("cli_match") in out and "宗地块中" in out and zh("excluded_status") in out
    rows = [line for line in out.splitlines() if CODE.search(line)]
    assert len(rows) == 3 and all(zh("incomplete") in r for r in rows)
    for key in ("cli_col_rank", "code", "unit_mu", "verdict", "cli_col_fails", "cli_col_gaps", "cli_col_headroom"):
        assert zh(key) in out, key
    whys = re.findall(r"^\d\. (.*)$", out, re.MULTILINE)
    assert len(whys) == 3 and all("容积率：缺数据" in w for w in whys), whys
    assert "status: not available" not in out and not REPR.search(out)
    assert all(_width(line) <= 80 for line in _table_lines(out))
    e = cli("--lang", "en", "match", str(projects["thin"]), "--top", "3", "--db", db)
    assert re.search(r"parcels pass the hard filters; excluded: status: not available × \d+$", e.stdout, re.MULTILINE)
    assert "Floor-area ratio: missing" in e.stdout and len(CODE.findall(e.stdout)) == 3


def test_rules_commands_speak_chinese(db, tmp_path):
    lst = cli("rules", "list", "--db", db)
    assert lst.returncode == 0 and "national-2023" in lst.stdout and "yantai-hitech-intl-2021" in lst.stdout
    assert zh("cli_col_layer") in lst.stdout and zh("layer_national") in lst.stdout and zh("doc_no") in lst.stdout
    assert not REPR.search(lst.stdout) and all(_width(line) <= 80 for line in lst.stdout.splitlines())
    show = cli("rules", "show", "--parcel", STANDARD, "--industry", "39", "--date", "2024-03-01", "--db", db,
               env={"COLUMNS": "120"})
    assert show.returncode == 0, show.stderr
    assert zh("cli_rules_title", parcel=STANDARD, date="2024-03-01") in show.stdout
    assert "投资强度 (万元/亩)" in show.stdout and zh("cli_col_layers") in show.stdout
    assert "no value on file" not in show.stdout
    show_en = cli("--lang", "en", "rules", "show", "--parcel", STANDARD, "--industry", "39", "--date", "2024-03-01",
                  "--db", db, env={"COLUMNS": "120"})
    assert "Investment intensity (10k CNY/mu)" in show_en.stdout and "winner" in show_en.stdout
    loaded = cli("rules", "load", str(ROOT / "src/standardland/examples/draft-ruleset.json"), "--db", db)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.startswith("已载入规则集 ") and "条规则" in loaded.stdout


def test_tokens_speak_chinese_and_show_flags_as_words(db):
    made = cli("tokens", "create", "--role", "planner", "--name", "张三", "--db", db)
    assert made.returncode == 0 and len(made.stdout.strip()) > 20
    assert made.stderr.strip() == zh("cli_token_shown_once", name="张三", role="planner")
    listed = cli("tokens", "list", "--db", db)
    assert zh("cli_col_role") in listed.stdout and zh("cli_col_revoked") in listed.stdout and "张三" in listed.stdout
    token_id = re.search(r"^ *(\d+) +张三", listed.stdout, re.MULTILINE).group(1)
    revoked = cli("tokens", "revoke", token_id, "--db", db)
    assert revoked.stdout.strip() == zh("cli_token_revoked", id=token_id)
    after = cli("tokens", "list", "--db", db)
    assert zh("doc_yes") in after.stdout and not REPR.search(after.stdout)
    assert cli("--lang", "en", "tokens", "revoke", token_id, "--db", db).stdout.strip() == f"revoked token {token_id}"


def test_deadlines_speak_chinese(db):
    p = cli("deadlines", "--today", "2026-06-01", "--db", db, env={"COLUMNS": "100"})
    assert p.returncode == 0, p.stderr
    out = p.stdout
    assert zh("cli_deadlines_title", date="2026-06-01") in out and STANDARD in out
    for key in ("state_agreement_signed", "deadline_start", "deadline_completion", "due_overdue",
                "due_due", "idle_stage_recovery_eligible", "cli_col_idle_land"):
        assert zh(key) in out, key
    assert "agreement_signed" not in out and "overdue" not in out and not REPR.search(out)
    e = cli("--lang", "en", "deadlines", "--today", "2026-06-01", "--db", db, env={"COLUMNS": "120"})
    assert en("state_agreement_signed") in e.stdout and "overdue" in e.stdout and "deadlines on 2026-06-01" in e.stdout


def test_errors_keep_the_field_in_a_localised_frame(db, projects):
    p = cli("check", str(projects["full"]), "--parcel", "370613004002GB99999", "--db", db)
    assert p.returncode == 2 and p.stderr.startswith(zh("cli_error_line")), p.stderr
    assert "370613004002GB99999" in p.stderr
    q = cli("--lang", "en", "check", str(projects["full"]), "--parcel", "370613004002GB99999", "--db", db)
    assert q.returncode == 2 and q.stderr.startswith("error: ") and p.stderr[len("错误："):] == q.stderr[len("error: "):]
    bad = cli("--lang", "fr", "rules", "list", "--db", db)
    assert bad.returncode == 2 and "--lang" in bad.stderr and "fr" in bad.stderr


def test_the_register_export_is_chinese_by_default(db, tmp_path):
    import openpyxl

    from standardland.tables import column_labels

    zh_file, en_file, csv_file = tmp_path / "登记簿.xlsx", tmp_path / "register.xlsx", tmp_path / "register.csv"
    p = cli("register", str(zh_file), "--db", db)
    assert p.returncode == 0 and p.stdout.startswith(zh("cli_register_written", n="1")), p.stderr
    assert cli("--lang", "en", "register", str(en_file), "--db", db).returncode == 0
    assert cli("register", str(csv_file), "--db", db).returncode == 0
    canonical = csv_file.read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert canonical[:5] == ["id", "parcel_code", "applicant", "project", "state"]
    for path, lang, sheet, state in ((zh_file, "zh", "登记簿", "已签订协议"), (en_file, "en", "register",
                                                                              "Agreement signed")):
        ws = openpyxl.load_workbook(path).active
        header = [c.value for c in ws[1]]
        assert ws.title == sheet
        assert header == [column_labels(canonical, lang)[c] for c in canonical]  # every column has a label
        row = dict(zip(header, [c.value for c in ws[2]], strict=True))
        assert row[column_labels(["state"], lang)["state"]] == state
        assert row[column_labels(["parcel_code"], lang)["parcel_code"]] == STANDARD
