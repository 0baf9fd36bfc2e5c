"""Shared fixtures: real stores on both backends (a SQLite file, a PostGIS database).

PostGIS tests use ``$STANDARDLAND_TEST_PG`` (default postgresql+psycopg://postgres@127.0.0.1:5432/test)
to create one migrated template database per session and a fresh copy of it per test.
Without a reachable server they skip with the reason — unless ``STANDARDLAND_REQUIRE_POSTGIS=1``
(set by .ci/run), when they fail.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from standardland.store import open_store

PG_URL = os.environ.get("STANDARDLAND_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("STANDARDLAND_REQUIRE_POSTGIS") == "1"
SHARED = Path(__file__).resolve().parents[1] / "geodata"


def _pg_admin():
    return create_engine(PG_URL, isolation_level="AUTOCOMMIT")


def _pg_url(db: str) -> str:
    return PG_URL.rsplit("/", 1)[0] + "/" + db


@pytest.fixture(scope="session")
def pg_template():
    """Name of a migrated template database, or skip/fail when PostGIS is unavailable."""
    try:
        eng = _pg_admin()
        with eng.connect() as c:
            c.execute(text("SELECT 1"))
            avail = c.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")).first()
    except Exception as exc:  # no server
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required (STANDARDLAND_REQUIRE_POSTGIS=1) but unreachable: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {type(exc).__name__}")
    if not avail:
        if REQUIRE_PG:
            pytest.fail("PostGIS extension is not installed (apt-get install postgresql-15-postgis-3)")
        pytest.skip("PostGIS extension not installed on the server")
    name = f"sl_tmpl_{uuid.uuid4().hex[:10]}"
    with eng.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    store = open_store(_pg_url(name))
    from standardland.sample import load_reference_data

    load_reference_data(store, with_sample=False)
    store.close()
    yield name
    with eng.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    eng.dispose()


def _fresh_pg(template: str) -> str:
    name = f"sl_t_{uuid.uuid4().hex[:12]}"
    eng = _pg_admin()
    with eng.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    eng.dispose()
    return name


def _drop_pg(name: str) -> None:
    eng = _pg_admin()
    with eng.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    eng.dispose()


@pytest.fixture(scope="session")
def pg_sample_template(pg_template):
    """Name of a template database holding the reference data and the sample park (made once)."""
    name = _fresh_pg(pg_template)
    store = open_store(_pg_url(name))
    from standardland.sample import load_reference_data

    load_reference_data(store, with_sample=True)
    store.close()
    yield name
    _drop_pg(name)


@pytest.fixture(scope="session")
def sqlite_seeds(tmp_path_factory):
    """SQLite files made once per session, by ``load_reference_data``: ``{False: reference data only,
    True: with the sample park}``. Tests get byte copies (a closed SQLite database is its one file)."""
    from standardland.sample import load_reference_data

    d = tmp_path_factory.mktemp("seeds")
    seeds = {}
    for with_sample in (False, True):
        path = d / f"seed-{'sample' if with_sample else 'reference'}.db"
        s = open_store(f"sqlite:///{path}")
        load_reference_data(s, with_sample=with_sample)
        s.close()
        leftovers = [p.name for p in d.glob(path.name + "-*")]
        assert not leftovers, f"the seed store left {leftovers} next to it: copying only the file would lose data"
        seeds[with_sample] = path
    return seeds


def seeded_url(request, backend: str, directory: Path, *, with_sample: bool, name: str = "standardland.db"):
    """(URL, cleanup) of a fresh store on ``backend`` equal to one just given ``load_reference_data``:
    a copy of the session's seed file (SQLite) or a database made from the seed template (PostGIS)."""
    if backend == "sqlite":
        path = directory / name
        shutil.copyfile(request.getfixturevalue("sqlite_seeds")[with_sample], path)
        return f"sqlite:///{path}", lambda: None
    db = _fresh_pg(request.getfixturevalue("pg_sample_template" if with_sample else "pg_template"))
    return _pg_url(db), lambda: _drop_pg(db)


@pytest.fixture(params=["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)])
def store_url(request, tmp_path):
    """A URL to an empty, migrated store with the shipped rule sets and boundaries, per backend.

    A test that also asks for ``park_store`` gets the sample park in it too."""
    url, cleanup = seeded_url(request, request.param, tmp_path, with_sample="park_store" in request.fixturenames)
    yield url
    cleanup()


@pytest.fixture
def store(store_url):
    s = open_store(store_url)
    yield s
    s.close()


@pytest.fixture
def park_store(store):
    """A store with the sample park loaded (``store_url`` copies it from the session's seed)."""
    return store


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)])
def api(request, tmp_path_factory):
    """(base URL, db URL, tokens by role) of a real uvicorn serving a store with the sample park."""
    from server import running_server
    from standardland.api.auth import ROLES, issue

    url, cleanup = seeded_url(request, request.param, tmp_path_factory.mktemp("api"), with_sample=True,
                              name="api.db")
    store = open_store(url)
    tokens = {role: issue(store, name=f"test-{role}", role=role) for role in ROLES}
    store.close()
    with running_server(url) as base:
        yield base, url, tokens
    cleanup()


def _admin_create_empty():
    """A brand-new, empty PostgreSQL database (no schema): (url, cleanup)."""
    name = f"sl_e_{uuid.uuid4().hex[:12]}"
    eng = _pg_admin()
    with eng.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    eng.dispose()
    return _pg_url(name), lambda: _drop_pg(name)


# -- the headless Chromium ---------------------------------------------------------------------------
# Module-scoped, not session-scoped: playwright's sync API allows one instance per thread at a time, and
# tests/test_map.py still starts its own (a module fixture of the same name). Once it uses this one, the
# scope can be "session" (one Chromium per run instead of one per browser-testing module).

@pytest.fixture(scope="module")
def browser():
    """A headless Chromium (playwright) for the module; fails in CI and skips elsewhere without one."""
    from helpers import CHROMIUM, CHROMIUM_ARGS

    pw = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("chromium is required in CI (apt-get install chromium)")
        pytest.skip("no chromium on this machine (apt-get install chromium)")
    with pw.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def open_page(browser):
    """``open_page(base, path, **options)`` → :class:`helpers.OfflinePage`; its contexts close after the test."""
    from helpers import open_page as _open

    pages = []

    def opener(base, path, **options):
        pages.append(_open(browser, base, path, **options))
        return pages[-1]
    yield opener
    for p in pages:
        p.page.context.close()
