"""``--db`` takes a plain SQLite file path as well as a URL (a newcomer types ``--db park.db``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from standardland.store import as_url, open_store

SRC = Path(__file__).resolve().parents[1] / "src"


def _cli(*args, cwd):
    env = {**os.environ, "PYTHONPATH": str(SRC), "COLUMNS": "80"}
    env.pop("STANDARDLAND_DB", None)
    return subprocess.run([sys.executable, "-m", "standardland.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_a_plain_path_is_the_sqlite_file_it_names(tmp_path):
    r = _cli("init", "--db", "park.db", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "park.db").is_file()
    r = _cli("parcels", "list", "--db", str(tmp_path / "park.db"), "--json", cwd=tmp_path.parent)
    assert r.returncode == 0, r.stderr
    assert isinstance(json.loads(r.stdout), (list, dict))
    s = open_store(str(tmp_path / "park.db"), create=False)
    try:
        assert s.backend == "sqlite" and s.url == as_url(str(tmp_path / "park.db"))
    finally:
        s.close()


def test_a_path_in_a_missing_folder_is_refused_naming_the_folder(tmp_path):
    r = _cli("init", "--db", "no/such/folder/park.db", cwd=tmp_path)
    assert r.returncode != 0
    assert "no/such/folder" in r.stderr and "does not exist" in r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "no").exists()


def test_an_unknown_scheme_is_still_refused(tmp_path):
    r = _cli("init", "--db", "mysql://localhost/x", cwd=tmp_path)
    assert r.returncode != 0 and "mysql" in r.stderr and "Traceback" not in r.stderr


def test_the_screen_summary_is_in_the_cli_language(tmp_path):
    """A GBK CSV with Chinese headers, screened at 80 columns: the last line in Chinese, then English."""
    (tmp_path / "p.csv").write_bytes("项目名称,行业代码,决策日期,容积率\n甲,39,2024-06-01,1.5\n乙,98,2024-06-01,0.5\n"
                                     .encode("gbk"))
    assert _cli("init", "--db", "s.db", cwd=tmp_path).returncode == 0
    zh = _cli("screen", "p.csv", "--out", "o.csv", "--db", "s.db", cwd=tmp_path)
    assert zh.returncode == 0, zh.stderr
    last = zh.stdout.strip().splitlines()[-1]
    assert last.startswith("已筛查 2 行 → o.csv：") and "资料不全 2" in last, zh.stdout
    env_en = {"STANDARDLAND_LANG": "en"}
    en = subprocess.run([sys.executable, "-m", "standardland.cli", "screen", "p.csv", "--out", "o.csv", "--db", "s.db"],
                        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(SRC), **env_en},
                        capture_output=True, text=True, timeout=300)
    assert en.returncode == 0, en.stderr
    assert en.stdout.strip().splitlines()[-1].startswith("screened 2 rows → o.csv: incomplete 2"), en.stdout


def test_a_table_for_people_words_its_verdicts_and_statuses(tmp_path):
    """--lang zh: headers and values in Chinese (结论 资料不全, 状态 缺数据); no --lang: the machine's words."""
    import csv

    (tmp_path / "p.csv").write_bytes("项目名称,行业代码,决策日期,容积率\n甲,39,2024-06-01,1.5\n".encode("gbk"))
    assert _cli("init", "--db", "s.db", cwd=tmp_path).returncode == 0
    assert _cli("screen", "p.csv", "--out", "zh.csv", "--lang", "zh", "--db", "s.db", cwd=tmp_path).returncode == 0
    assert _cli("screen", "p.csv", "--out", "raw.csv", "--db", "s.db", cwd=tmp_path).returncode == 0
    zh = next(csv.DictReader((tmp_path / "zh.csv").open(encoding="utf-8-sig")))
    raw = next(csv.DictReader((tmp_path / "raw.csv").open(encoding="utf-8-sig")))
    assert zh["结论"] == "资料不全" and raw["verdict"] == "incomplete"
    assert zh["容积率·状态"] == "通过" and raw["far_status"] == "pass"
    assert zh["投资强度·状态"] == "缺数据" and raw["investment_intensity_status"] == "missing"


def test_parcels_show_names_every_field_in_the_cli_language(tmp_path):
    """No machine names in front of a planner: 土地等别, 计算面积(亩), 容积率·下限（地块）, 示例数据 是."""
    assert _cli("init", "--db", "s.db", "--sample", cwd=tmp_path).returncode == 0
    r = _cli("parcels", "show", "370613004002GB10001", "--db", "s.db", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    for machine in ("land_grade", "area_mu", "transfer_price_wan_yuan", "far_min", "illustrative"):
        assert machine not in r.stdout, r.stdout
    for words in ("土地等别", "计算面积(亩)", "容积率·下限（地块）", "示例数据"):
        assert words in r.stdout, r.stdout


def test_size_at_80_columns_never_breaks_a_rule_set_id(tmp_path):
    """The sizing table at 80 columns: ids whole, the documents under the table (they wrap as text)."""
    assert _cli("init", "--db", "s.db", "--sample", cwd=tmp_path).returncode == 0
    project = Path(__file__).resolve().parents[1] / "api" / "examples" / "project.json"
    r = _cli("size", str(project), "--park", "yantai-hitech-intl", "--db", "s.db", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert all(len(line.rstrip()) <= 80 for line in lines if "│" in line or "─" in line), r.stdout
    import re

    known = {"national-2008", "national-2023", "yantai-hitech-intl-2021", "yantai-hitech-intl"}  # sets, the park
    ids = [m for line in lines for m in re.findall(r"(?:national|yantai)-[\w-]*", line)]
    assert ids and set(ids) <= known, ids  # a folded id would leave a piece such as 'national-20'
    assert any(line.startswith("依据 ") for line in lines), r.stdout
