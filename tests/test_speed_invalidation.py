"""The store's version snapshot is cached in each process (no query per check) and still never stale:
a write is seen at once in the writing process, and within the backend's TTL in any other one
(SQLite: at once, through ``PRAGMA data_version``)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx

from standardland.sample import load_reference_data
from standardland.store import open_store

ROOT = Path(__file__).resolve().parents[1]
PARCEL = "370613004002GB10001"  # in the sample park


def test_versions_follow_writes_in_this_process_and_others(store_url):
    a, b = open_store(store_url), open_store(store_url)  # b: as another process sees the file
    try:
        before = a.versions()
        assert b.versions() == before
        load_reference_data(a, with_sample=True)  # parks and parcels written through a
        after = a.versions()  # the writing store: at once
        assert after["parcels_version"] > before["parcels_version"]
        ttl = 0.0 if b.backend == "sqlite" else b.dialect.versions_ttl
        deadline = time.monotonic() + ttl + 0.5
        while b.versions() != after:  # the other store: at once (SQLite) or within the TTL
            assert time.monotonic() < deadline, f"a write stayed unseen for more than {ttl} s"
            time.sleep(0.02)
        seen = b.versions()
        seen["parcels_version"] = -1  # a caller's copy: the cached snapshot is not shared
        assert b.versions() == after
    finally:
        a.close()
        b.close()


def test_a_write_in_another_process_is_seen_by_the_servers_next_checks(store_url):
    """The server caches its version snapshot; this test process writes straight to the store."""
    import pandas as pd
    from server import running_server

    s = open_store(store_url)
    load_reference_data(s, with_sample=True)
    project = json.loads((ROOT / "api/examples/project.json").read_text("utf-8"))
    body = {"project": project, "parcel_code": PARCEL, "lang": "en"}
    try:
        with running_server(store_url) as checker:
            for _ in range(2):  # the second check is served from the cached snapshot
                first = httpx.post(checker + "/api/v1/checks", json=body, timeout=60)
                assert first.status_code == 200, first.text
            assert first.json()["parcel"]["name"] != "renamed elsewhere"
            s.update_parcel_attributes(pd.DataFrame([{"code": PARCEL, "name": "renamed elsewhere"}]))
            ttl = 0.0 if s.backend == "sqlite" else s.dialect.versions_ttl
            t0 = time.monotonic()
            while True:
                got = httpx.post(checker + "/api/v1/checks", json=body, timeout=60)
                assert got.status_code == 200, got.text
                if got.json()["parcel"]["name"] == "renamed elsewhere":
                    break
                # SQLite: the first check after the write sees it; PostgreSQL: within the TTL (plus the
                # time one check takes on a busy machine)
                assert ttl and time.monotonic() - t0 < ttl + 1.0, "the server's check kept the old parcel"
                time.sleep(0.05)
    finally:
        s.close()


def test_the_checks_cached_park_admission_follows_a_park_edit(store_url):
    """The admission a check reads is kept per (parks, rule sets) version: putting the project's
    division on the park's negative list shows in the very next check, and taking it off clears it."""
    from standardland import services
    from standardland.parks import NEGATIVE

    s = open_store(store_url)
    try:
        load_reference_data(s, with_sample=True)
        project = json.loads((ROOT / "api/examples/project.json").read_text("utf-8"))
        row = services.parcel_for_check(s, PARCEL)[2]
        park = next(p for p in s.parks().to_dict("records") if p["code"] == row["park"])

        def refusals():
            v = services.check_project(s, project, PARCEL, lang="en")
            return [n for n in v["notes"] if n.get("kind") == "industry_negative"]

        assert refusals() == []
        division = services.parse_project(project).industry.div2017
        for listed, expect in (([*division], 1), ([], 0)):
            park["attrs"] = {**(park.get("attrs") or {}), NEGATIVE: listed}
            s.upsert_park(park)
            got = refusals()
            assert len(got) == expect, got
            if expect:
                assert all(d in got[0]["message"] for d in division)
    finally:
        s.close()
