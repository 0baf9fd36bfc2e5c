"""Start-up: what the CLI imports for ``--help``, and opening a store whose schema is already current.

Each check runs the real CLI or :func:`standardland.store.open_store` in a fresh interpreter (a
subprocess) and looks at the modules it imported: ``-X importtime`` lists every module a process
imports, so the check cannot be fooled by modules the test process itself has loaded."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from standardland.store import head_revision, open_store, stored_revision

SRC = str(Path(__file__).resolve().parents[1] / "src")
_IMPORTED = re.compile(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)\s*$", re.M)


def _run(args: list[str], *, cwd=None) -> tuple[subprocess.CompletedProcess, set[str]]:
    """``python -X importtime ARGS`` with this checkout's source first on the path: the run and the
    top-level packages it imported."""
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    r = subprocess.run([sys.executable, "-X", "importtime", *args], capture_output=True, text=True, env=env,
                       cwd=cwd, timeout=300)
    return r, set(_IMPORTED.findall(r.stderr))


def test_help_imports_no_geopandas_folium_alembic_or_services():
    r, mods = _run(["-m", "standardland.cli", "--help"])
    assert r.returncode == 0, r.stderr[-2000:]
    assert "screen" in r.stdout and "parcels" in r.stdout  # the commands are all listed
    assert mods, "no import was listed: -X importtime gave nothing to check"
    assert "standardland.cli" in mods
    for heavy in ("geopandas", "folium", "alembic", "standardland.services", "pyogrio"):
        assert heavy not in mods, f"--help imported {heavy}"


def test_services_is_still_the_one_module_when_imported_after_the_cli():
    code = ("import standardland.cli as cli, standardland.analysis as an, standardland.services as s; "
            "print(cli.services is s, an.services is s, callable(s.screen_file))")
    r, mods = _run(["-c", code])
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.split() == ["True", "True", "True"]
    assert "geopandas" in mods  # services really ran once used


def test_head_revision_is_alembics_head():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from standardland.store.sql import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert head_revision() == ScriptDirectory.from_config(cfg).get_current_head()


def _open_in_subprocess(url: str, create: bool = True):
    code = ("import sys, json; from standardland.store import open_store, stored_revision; "
            f"s = open_store(sys.argv[1], create={create}); print(json.dumps(stored_revision(s))); s.close()")
    r, mods = _run(["-c", code, url])
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout.strip().splitlines()[-1]), mods


def test_a_current_store_opens_without_alembic(store_url):
    rev, mods = _open_in_subprocess(store_url, create=False)
    assert rev == head_revision()
    assert "alembic" not in mods


def _migrate_to(url: str, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    from standardland.store.sql import MIGRATIONS, PostGISStore, SQLiteStore

    store = SQLiteStore(url) if url.startswith("sqlite") else PostGISStore(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.connect().execution_options(migration_lock=True) as conn, conn.begin():
        store.dialect.lock_for_migration(conn)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    store.close()


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)])
def test_an_older_store_is_still_migrated(backend, tmp_path, request):
    """A store one revision behind is brought to the head when opened (Alembic runs)."""
    if backend == "sqlite":
        url, cleanup = f"sqlite:///{tmp_path / 'old.db'}", None
    else:
        request.getfixturevalue("pg_template")  # skips, or fails under STANDARDLAND_REQUIRE_POSTGIS, without one
        from conftest import _admin_create_empty

        url, cleanup = _admin_create_empty()
    try:
        older = sorted(p.name.split("_")[0] for p in
                       (Path(SRC) / "standardland" / "store" / "migrations" / "versions").glob("0*.py"))[-2]
        _migrate_to(url, older)  # a store as an earlier release left it
        s = open_store(url, create=False)
        assert stored_revision(s) == head_revision() != older
        s.close()
    finally:
        if cleanup:
            cleanup()


def test_a_store_never_initialised_is_still_refused(tmp_path):
    """``create=False`` on an empty SQLite file: the one-line error, not a migration."""
    from standardland.store import StoreUnavailable

    path = tmp_path / "empty.db"
    path.touch()
    with pytest.raises(StoreUnavailable, match="never initialised"):
        open_store(f"sqlite:///{path}", create=False)
