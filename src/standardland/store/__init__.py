"""Persistence behind one interface: :func:`open_store` picks the backend from the URL.

- ``sqlite:///path/to/standardland.db`` (default): one embedded file, needs only pip.
- ``postgresql+psycopg://user@host/db``: PostGIS, for multi-user deployments.
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import StandardlandError

if TYPE_CHECKING:
    from .base import Idempotency, ImportResult, ParcelQuery, Store

DEFAULT_DB = "standardland.db"
#: the Alembic revision scripts (:mod:`.migrations`)
VERSIONS = Path(__file__).parent / "migrations" / "versions"
_BASE_NAMES = ("Store", "ParcelQuery", "ImportResult", "Idempotency")


def __getattr__(name: str):
    """The store interface's names (:mod:`.base`, which needs geopandas), imported when first asked for:
    a command that never touches parcels does not pay for geopandas' import."""
    if name in _BASE_NAMES:
        from . import base

        return getattr(base, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def default_url() -> str:
    """The store URL: ``$STANDARDLAND_DB``, else the SQLite file in the working directory."""
    return os.environ.get("STANDARDLAND_DB") or f"sqlite:///{DEFAULT_DB}"


class StoreUnavailable(StandardlandError):
    """The store cannot be opened: a missing file, an unreachable server, a store never initialised."""

    kind = "store"


def as_url(db: str) -> str:
    """A ``--db`` value as a store URL: a URL as given, a plain file path (no ``scheme://``) as the
    SQLite file it names (``park.db`` → ``sqlite:////abs/park.db``).

    Examples
    --------
    >>> as_url("postgresql+psycopg://localhost/test")
    'postgresql+psycopg://localhost/test'
    >>> as_url("/data/park.db")
    'sqlite:////data/park.db'
    """
    if "://" in db or db.startswith(("sqlite:", "postgresql:")):
        return db
    return "sqlite:///" + os.path.abspath(os.path.expanduser(db))


def shown_url(url: str) -> str:
    """``url`` as it may be printed: any password masked."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1] if "@" in url else url


@cache
def head_revision() -> str | None:
    """The newest schema revision, read from the revision scripts' ``revision`` and ``down_revision``
    lines without importing Alembic; None when the scripts do not name one head plainly (a merge, a
    branch, a line not in that form): then the store is always handed to Alembic."""
    revs: dict[str, str | None] = {}
    for f in sorted(VERSIONS.glob("*.py")):
        src = f.read_text(encoding="utf-8")
        rev = re.search(r"^revision\s*(?::[^=]*)?=\s*[\"']([^\"']+)[\"']\s*$", src, re.M)
        down = re.search(r"^down_revision\s*(?::[^=]*)?=\s*(None|[\"']([^\"']+)[\"'])\s*$", src, re.M)
        if rev is None or down is None:
            return None
        revs[rev.group(1)] = down.group(2)
    heads = set(revs) - set(revs.values())
    return heads.pop() if len(heads) == 1 else None


def stored_revision(store: Store) -> str | None:
    """The schema revision recorded in the store (``alembic_version``), or None when there is none (a
    new store). A store that cannot be reached raises as any query does."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    with store.engine.connect() as conn:
        try:
            rows = conn.execute(text("SELECT version_num FROM alembic_version")).fetchall()
        except DBAPIError:  # no such table: never initialised
            return None
    return rows[0][0] if len(rows) == 1 else None


def open_store(url: str | None = None, *, migrate: bool = True, create: bool = True) -> Store:
    """The store at ``url`` (default :func:`default_url`), its schema brought to the newest revision
    (by Alembic, unless the store's recorded revision is already :func:`head_revision`).

    With ``create=False`` (read commands) a store that does not exist is an error and is not
    created: a missing SQLite file, or a database that was never initialised. Any store problem
    (a missing file, an unreachable server, an uninitialised store) raises
    :class:`StoreUnavailable`, one line naming the URL and the fix.
    """
    from ..errors import InputError
    from .sql import PostGISStore, SQLiteStore

    url = as_url(url or default_url())
    shown = shown_url(url)
    if url.startswith("sqlite"):
        from sqlalchemy.engine import make_url

        path = make_url(url).database
        if path and path != ":memory:" and not create and not os.path.exists(path):
            raise StoreUnavailable(f"no store at {shown} (the file {path} does not exist)", field="db",
                                   expected=f"an existing store, or run `standardland init --db {shown}` to create one")
        if path and path != ":memory:" and not os.path.isdir(os.path.dirname(os.path.abspath(path))):
            raise StoreUnavailable(f"cannot create the store {shown}: the folder "
                                   f"{os.path.dirname(os.path.abspath(path))} does not exist", field="db",
                                   expected="a path in an existing folder")
        store: Store = SQLiteStore(url)
    elif url.startswith("postgresql"):
        store = PostGISStore(url)
    else:
        raise InputError(f"unsupported database URL '{url.split(':', 1)[0]}:…'", field="db",
                         expected="sqlite:///FILE or postgresql+psycopg://…")
    try:
        current = stored_revision(store)
        if not create and current is None and not store.initialised():
            store.close()
            raise StoreUnavailable(f"the store {shown} was never initialised", field="db",
                                   expected=f"run `standardland init --db {shown}` first")
        if migrate and (current is None or current != head_revision()):  # current: Alembic is not loaded
            store.migrate()
    except StoreUnavailable:
        raise
    except Exception as exc:
        from sqlalchemy.exc import DBAPIError

        if not isinstance(exc, DBAPIError):
            raise
        store.close()
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(getattr(exc, "orig", exc)).strip() \
            else type(exc).__name__
        fix = ("a running PostgreSQL with PostGIS at that address (check host, port, database and user)"
               if url.startswith("postgresql") else "a readable SQLite store file")
        raise StoreUnavailable(f"cannot open the store {shown}: {reason}", field="db", expected=fix) from None
    return store


__all__ = ["open_store", "default_url", "shown_url", "StoreUnavailable", "head_revision", "stored_revision", "Store", "ParcelQuery", "ImportResult", "Idempotency"]
