"""Shared fixtures: real stores on both backends (a SQLite file, a PostGIS database).

PostGIS tests use ``$STANDARDLAND_TEST_PG`` (default postgresql+psycopg://postgres@127.0.0.1:5432/test)
to create one migrated template database per session and a fresh copy of it per test.
Without a reachable server they skip with the reason — unless ``STANDARDLAND_REQUIRE_POSTGIS=1``
(set by .ci/run), when they fail.
"""

from __future__ import annotations

import os
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


@pytest.fixture(params=["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)])
def store_url(request, tmp_path):
    """A URL to an empty, migrated store with the shipped rule sets and boundaries, per backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'standardland.db'}"
        s = open_store(url)
        from standardland.sample import load_reference_data

        load_reference_data(s, with_sample=False)
        s.close()
        yield url
    else:
        tmpl = request.getfixturevalue("pg_template")
        name = _fresh_pg(tmpl)
        yield _pg_url(name)
        _drop_pg(name)


@pytest.fixture
def store(store_url):
    s = open_store(store_url)
    yield s
    s.close()


@pytest.fixture
def park_store(store):
    """A store with the sample park loaded."""
    from standardland.sample import load_reference_data

    load_reference_data(store, with_sample=True)
    return store


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)])
def api(request, tmp_path_factory):
    """(base URL, db URL, tokens by role) of a real uvicorn serving a store with the sample park."""
    from server import running_server
    from standardland.api.auth import ROLES, issue
    from standardland.sample import load_reference_data

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('api') / 'api.db'}"
        name = None
    else:
        name = _fresh_pg(request.getfixturevalue("pg_template"))
        url = _pg_url(name)
    store = open_store(url)
    load_reference_data(store, with_sample=True)
    tokens = {role: issue(store, name=f"test-{role}", role=role) for role in ROLES}
    store.close()
    with running_server(url) as base:
        yield base, url, tokens
    if name:
        _drop_pg(name)


def _admin_create_empty():
    """A brand-new, empty PostgreSQL database (no schema): (url, cleanup)."""
    name = f"sl_e_{uuid.uuid4().hex[:12]}"
    eng = _pg_admin()
    with eng.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    eng.dispose()
    return _pg_url(name), lambda: _drop_pg(name)
