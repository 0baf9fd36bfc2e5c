"""The standing robustness suite: schemathesis against a live server, a bad-file corpus through the
CLI and HTTP, and a server that keeps answering while an upload is processed — on both backends.

Every refused file leaves the store's content exactly as it was (a hash of every parcel record and
geometry, and the rule sets). Bounded in time: a fixed seed and a few examples per operation here;
the long local runs (≥ 20,000 cases per backend) use the same command with a larger ``-n``.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import sys
import threading
import time
import zipfile
from functools import lru_cache
from pathlib import Path

import httpx
import pyogrio
import pytest
import shapely

from helpers import square_parcels
from standardland.store import open_store

STD = "370613004002GB10001"
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
#: the service must never answer with these in a message (paths, temporary names, library internals)
LEAKS = re.compile(r"/tmp|tmp[a-z0-9_]{6,}|upload\.(gpkg|geojson|zip|csv|xlsx)|Traceback|GDAL|pyogrio|Arrow|"
                   r"openpyxl|sqlite3|psycopg|File \"", re.I)


def auth(tokens, role):
    return {"Authorization": f"Bearer {tokens[role]}"} if role else {}


def store_hash(url: str) -> str:
    """A digest of everything a failed import or upload could touch: parcels (records + geometry), rule sets."""
    from standardland import services

    s = open_store(url)
    try:
        g = s.parcels().sort_values("code")
        h = hashlib.sha256(json.dumps(services.parcel_records(g), sort_keys=True, default=str).encode())
        h.update(b"".join(shapely.to_wkb(g.geometry.values)))
        h.update(json.dumps(s.rulesets(), sort_keys=True, default=str).encode())
        return h.hexdigest()
    finally:
        s.close()


# -- the corpus --------------------------------------------------------------------------------

def xlsx_of_rows(header: list, row: list, n: int) -> bytes:
    """An .xlsx holding ``n`` identical rows, written as raw SpreadsheetML (a million rows in seconds,
    about 0.7 MB zipped: the upload bomb of the hardening issue)."""
    def cell(v):
        return f"<c><v>{v}</v></c>" if isinstance(v, (int, float)) else f'<c t="inlineStr"><is><t>{v}</t></is></c>'
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    files = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" Type="{rel}/officeDocument" '
                       'Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook {ns} xmlns:r="{rel}"><sheets><sheet name="Sheet1" sheetId="1" '
                           'r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" '
                                      f'Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": f"<worksheet {ns}><sheetData><row>" + "".join(map(cell, header)) + "</row>"
        + ("<row>" + "".join(map(cell, row)) + "</row>") * n + "</sheetData></worksheet>",
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for k, v in files.items():
            zf.writestr(k, v)
    return buf.getvalue()


def zip_bomb(unpacked: int = 250_000_000) -> bytes:
    """A zipped 'Shapefile' whose .shp unpacks to ``unpacked`` bytes of zeros (about 250 kB zipped)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("bomb.shp", "w", force_zip64=True) as fh:
            block = b"\0" * (1 << 24)
            for _ in range(unpacked // len(block)):
                fh.write(block)
        zf.writestr("bomb.dbf", b"")
    return buf.getvalue()


@lru_cache(maxsize=None)
def corpus() -> dict[str, bytes]:
    tmp = Path(__import__("tempfile").mkdtemp())
    g = square_parcels(40, start=81_001)
    pyogrio.write_dataframe(g, tmp / "ok.gpkg", layer="parcels")
    gpkg = (tmp / "ok.gpkg").read_bytes()
    gj = g.to_crs(4326).to_json(drop_id=True, ensure_ascii=False)
    return {
        # neither UTF-8 nor GB18030/GBK (a GBK file now decodes: tests/test_io_files.py)
        "gbk.csv": b"decision_date,industry_code,far,name\n2024-01-01,39,1.5,\xff\xfe\x80\n",
        "gbk.geojson": gj.encode("gbk"),
        "empty.csv": b"",
        "empty.geojson": b"",
        "parcels.txt": b"code,wkt\n",
        "truncated.gpkg": gpkg[: len(gpkg) // 3],
        "bomb.zip": zip_bomb(),
        "million.xlsx": xlsx_of_rows(["decision_date", "industry_code", "far", "parcel_code"],
                                     ["2024-01-01", "39", 1.5, STD], 1_000_000),
    }


# (file, HTTP route, status, words the message must hold)
HTTP_CASES = [
    ("gbk.csv", "screenings/upload", 422, ["gbk.csv", "neither UTF-8 nor GB18030/GBK"]),
    ("gbk.geojson", "parcels/import", 422, ["gbk.geojson", "not UTF-8"]),
    ("empty.csv", "screenings/upload", 422, ["empty.csv", "empty"]),
    ("empty.geojson", "parcels/import", 422, ["empty.geojson", "empty"]),
    ("parcels.txt", "parcels/import", 422, ["unsupported file type", ".txt"]),
    ("parcels.txt", "screenings/upload", 422, ["unsupported file type", ".csv or .xlsx"]),
    ("truncated.gpkg", "parcels/import", 422, ["truncated.gpkg", "GeoPackage", "damaged"]),
    ("bomb.zip", "parcels/import", 413, ["bomb.zip", "unpacks to 2", "limit"]),
    ("million.xlsx", "screenings/upload", 413, ["million.xlsx", "more than 100,000 rows"]),
]


@pytest.mark.parametrize("name, route, status, words", HTTP_CASES, ids=[f"{c[0]}->{c[1]}" for c in HTTP_CASES])
def test_bad_file_over_http_is_refused_and_changes_nothing(api, name, route, status, words):
    base, url, tokens = api
    before = store_hash(url)
    t0 = time.perf_counter()
    r = httpx.post(f"{base}/api/v1/{route}", files={"file": (name, corpus()[name])},
                   headers=auth(tokens, "planner"), timeout=120)
    took = time.perf_counter() - t0
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["errors"][0]["field"] == "file"
    for w in words:
        assert w in body["detail"], (w, body["detail"])
    assert not LEAKS.search(r.text), r.text
    assert took < 20, f"{name} took {took:.1f} s to refuse"
    assert store_hash(url) == before


# (file, CLI arguments after the file, words of the one-line error)
CLI_CASES = [
    ("gbk.csv", ["screen", "{file}", "--out", "{tmp}/out.csv"], ["gbk.csv", "neither UTF-8 nor GB18030"]),
    ("gbk.geojson", ["parcels", "import", "{file}"], ["gbk.geojson", "not UTF-8"]),
    ("empty.geojson", ["parcels", "import", "{file}"], ["empty.geojson", "empty"]),
    ("empty.csv", ["screen", "{file}", "--out", "{tmp}/out.csv"], ["empty.csv", "empty"]),
    ("parcels.txt", ["parcels", "import", "{file}"], ["unsupported file type"]),
    ("truncated.gpkg", ["parcels", "import", "{file}"], ["truncated.gpkg", "damaged"]),
    ("bomb.zip", ["parcels", "import", "{file}"], ["bomb.zip", "cannot read"]),
]


@pytest.mark.parametrize("name, args, words", CLI_CASES, ids=[f"{c[0]}-{c[1][0]}" for c in CLI_CASES])
def test_bad_file_through_the_cli_is_exit_2_and_changes_nothing(api, tmp_path, name, args, words):
    _, url, _ = api
    path = tmp_path / name
    path.write_bytes(corpus()[name])
    before = store_hash(url)
    argv = [a.format(file=path, tmp=tmp_path) for a in args]
    p = subprocess.run([sys.executable, "-m", "standardland.cli", *argv, "--db", url], capture_output=True,
                       text=True, timeout=120, env={**__import__("os").environ, "COLUMNS": "400"})
    assert p.returncode == 2, p.stdout[-800:] + p.stderr[-800:]
    msg = p.stderr.strip()
    assert len(msg.splitlines()) == 1 and msg.startswith(("错误", "error"))  # zh by default, msg
    for w in words:
        assert w in msg, (w, msg)
    assert "Traceback" not in p.stderr
    assert store_hash(url) == before


def test_problems_are_capped_and_counted(api, tmp_path):
    """A file of 3,000 bad rows answers with the first 100 problems and the count by field."""
    base, url, tokens = api
    g = square_parcels(3_000, start=83_001)
    g["code"] = "bad-code"
    path = tmp_path / "bad.gpkg"
    pyogrio.write_dataframe(g, path, layer="parcels")
    before = store_hash(url)
    r = httpx.post(f"{base}/api/v1/parcels/import", files={"file": ("bad.gpkg", path.read_bytes())},
                   headers=auth(tokens, "planner"), timeout=120)
    assert r.status_code == 422, r.text[:500]
    body = r.json()
    assert len(body["errors"]) == 100 and body["counts"]["code"] >= 3_000
    assert len(r.content) < 50_000
    assert store_hash(url) == before


@pytest.mark.parametrize("target", [
    "/ogc/collections/parcels/items?offset=49574642076168904704",
    "/api/v1/parcels?offset=1281168013666749006217216",
    "/api/v1/parcels?limit=10001",
    "/ogc/collections/parcels/items?limit=99999999999999999999999",
    "/api/v1/parcels/370613004002GB1000%00",
    "/ogc/collections/parcels/items?park=a%00b",
])
def test_numbers_and_nul_in_the_url_are_400_before_sql(api, target):
    base, _, _ = api
    r = httpx.get(base + target)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["field"] in ("offset", "limit", "query")


def test_nul_in_a_json_body_and_deep_nesting_are_400(api):
    base, url, tokens = api
    before = store_hash(url)
    feature = {"type": "Feature", "properties": {"code": "370613004003GB30009", "name": "a\u0000b",
                                                 "status": "planned", "land_use_code": "100101"},
               "geometry": {"type": "Polygon", "coordinates": [[[121.45, 37.45], [121.451, 37.45],
                                                                 [121.451, 37.4508], [121.45, 37.45]]]}}
    r = httpx.post(f"{base}/api/v1/parcels", json=feature, headers=auth(tokens, "planner"))
    assert r.status_code == 400 and "NUL" in r.json()["detail"], r.text
    ok = httpx.post(f"{base}/api/v1/checks", json={"project": {"name": "a\\u0000b"}, "parcel_code": STD})
    assert ok.status_code != 400 or "NUL" not in ok.text  # an escaped backslash is not a NUL
    deep = b'{"project": ' + b'{"a": ' * 10_000 + b"1" + b"}" * 10_000 + b', "parcel_code": "x"}'
    r = httpx.post(f"{base}/api/v1/checks", content=deep, headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem+json")
    r = httpx.post(f"{base}/map", data={"project": "[" * 10_000 + "]" * 10_000})  # the map stays, error inline
    assert r.status_code == 422 and "nested too deeply" in r.text and r.headers["content-type"].startswith("text/html")
    assert store_hash(url) == before


def test_query_parameter_problems_are_all_400(api):
    """`?color=` and `?weights=` agree: a bad query parameter is a BadParameter (400)."""
    base, _, _ = api
    for target, field in [("/map?color=no_such_property", "color"),
                          ("/api/v1/parks/yantai-hitech-intl/dashboard?weights=zz", "weights"),
                          ("/ogc/collections/parcels/items?bbox=1,2,3", "bbox")]:
        r = httpx.get(base + target)
        assert r.status_code == 400, (target, r.text[:300])
        assert r.json()["title"] == "Invalid parameter" and r.json()["errors"][0]["field"] == field


def test_the_server_keeps_answering_during_a_large_upload(api):
    """A 100,000-row screening upload is processed in a worker thread: /healthz answers within 1 s
    throughout, and so does a concurrent /ogc page (p99 reported)."""
    base, _, tokens = api
    line = f"2024-01-01,39,1.5,{STD}\n"
    csv = ("decision_date,industry_code,far,parcel_code\n" + line * 100_000).encode()
    result = {}

    def upload():
        t0 = time.perf_counter()
        r = httpx.post(f"{base}/api/v1/screenings/upload", files={"file": ("big.csv", csv)},
                       headers=auth(tokens, "viewer"), timeout=300)
        # no r.json() here: decoding the 100,000 rows would hold this process's GIL and slow the probes
        result.update(status=r.status_code, head=r.content[:15], took=time.perf_counter() - t0)

    th = threading.Thread(target=upload)
    th.start()
    health, ogc = [], []
    with httpx.Client(timeout=10) as c:
        time.sleep(0.3)  # the upload is on its way
        while th.is_alive():
            t0 = time.perf_counter()
            assert c.get(f"{base}/healthz").status_code == 200
            health.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            assert c.get(f"{base}/ogc/collections/parcels/items?limit=10").status_code == 200
            ogc.append(time.perf_counter() - t0)
            time.sleep(0.05)
    th.join()
    assert result["status"] == 200 and result["head"] == b'{"rows":100000,', result
    assert len(health) >= 3, f"the upload took only {result['took']:.1f} s: too short to probe"
    ogc.sort()
    p99 = ogc[min(len(ogc) - 1, int(len(ogc) * 0.99))]
    print(f"upload {result['took']:.1f} s; {len(health)} probes; healthz max {max(health) * 1000:.0f} ms; "
          f"/ogc p99 {p99 * 1000:.0f} ms")
    assert max(health) < 1.0


def _helper_processes(port: int) -> list[int]:
    """Pids of the upload helper processes of the server listening on ``port`` (from /proc)."""
    def cmdline(pid):
        try:
            return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return []

    def ppid(pid):
        try:
            return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            return -1
    pids = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]
    servers = {p for p in pids if b"serve" in cmdline(p) and str(port).encode() in cmdline(p)}
    return [p for p in pids if ppid(p) in servers and any(b"spawn_main" in a for a in cmdline(p))]


def test_killed_helper_mid_import_leaves_the_store_unchanged(api, tmp_path):
    """kill -9 of the helper process while it writes a 40,000-parcel import over HTTP: the request is a
    503, the store is exactly as before, the server keeps answering and the next import works."""
    import os
    import signal

    base, url, tokens = api
    g = square_parcels(40_000, start=90_001)
    path = tmp_path / "big.gpkg"
    pyogrio.write_dataframe(g, path, layer="parcels")
    before = store_hash(url)
    store = open_store(url)
    result = {}

    def upload():
        r = httpx.post(f"{base}/api/v1/parcels/import", files={"file": ("big.gpkg", path.read_bytes())},
                       headers=auth(tokens, "planner"), timeout=300)
        result.update(status=r.status_code, body=r.text[:500])

    th = threading.Thread(target=upload)
    th.start()
    writing = killed = False
    port = int(base.rsplit(":", 1)[1])
    deadline = time.time() + 240
    while th.is_alive() and time.time() < deadline and not killed:
        if store.backend == "sqlite":
            writing = Path(url.removeprefix("sqlite:///") + "-journal").exists()
        else:
            from sqlalchemy import text

            with store.engine.connect() as c:
                writing = bool(c.execute(text("SELECT 1 FROM pg_stat_activity WHERE datname = current_database() "
                                              "AND query LIKE 'COPY parcels%' AND state = 'active'")).first())
        if writing:
            for pid in _helper_processes(port):
                os.kill(pid, signal.SIGKILL)
                killed = True
        time.sleep(0.005)
    th.join(timeout=120)
    store.engine.dispose()
    store.close()
    assert killed, f"never saw the import writing: {result}"
    assert result["status"] == 503, result
    assert httpx.get(f"{base}/healthz").status_code == 200
    for _ in range(100):  # PostgreSQL notices the dead backend and rolls back
        if store_hash(url) == before:
            break
        time.sleep(0.1)
    assert store_hash(url) == before
    small = square_parcels(2, start=95_001)
    pyogrio.write_dataframe(small, tmp_path / "small.gpkg", layer="parcels")
    r = httpx.post(f"{base}/api/v1/parcels/import", files={"file": ("small.gpkg", (tmp_path / "small.gpkg")
                                                                    .read_bytes())},
                   headers=auth(tokens, "planner"), timeout=120)
    assert r.status_code == 200 and r.json()["inserted"] == 2, r.text[:500]
    for code in small["code"]:
        httpx.delete(f"{base}/api/v1/parcels/{code}", headers=auth(tokens, "admin"))


# -- schemathesis: last in the module, as its planner run writes ------------------------------------

SCHEMATHESIS_EXAMPLES = 5
SCHEMATHESIS_SEED = 20261129


@pytest.mark.parametrize("role", [None, "planner"], ids=["anonymous", "planner"])
def test_schemathesis_finds_no_server_error_and_no_undocumented_response(api, role, tmp_path):
    base, _, tokens = api
    cmd = [str(SCHEMATHESIS), "run", f"{base}/openapi.json", "-n", str(SCHEMATHESIS_EXAMPLES),
           "--seed", str(SCHEMATHESIS_SEED), "--no-shrink", "-w", "1", "--request-timeout", "60",
           "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,"
                       "response_schema_conformance,allow_header_conformance,unsupported_method"]
    if role:
        cmd += ["-H", f"Authorization: Bearer {tokens[role]}"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=170, cwd=tmp_path)  # its cache: not the repo
    m = re.search(r"(\d+) generated", p.stdout)
    assert p.returncode == 0, p.stdout[-6000:] + p.stderr[-2000:]
    assert m and int(m.group(1)) > 300, p.stdout[-2000:]
