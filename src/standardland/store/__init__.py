"""Persistence behind one interface: :func:`open_store` picks the backend from the URL.

- ``sqlite:///path/to/standardland.db`` (default): one embedded file, needs only pip.
- ``postgresql+psycopg://user@host/db``: PostGIS, for multi-user deployments.
"""

from __future__ import annotations

import os

from ..errors import StandardlandError
from .base import Idempotency, ImportResult, ParcelQuery, Store

DEFAULT_DB = "standardland.db"


def default_url() -> str:
    """The store URL: ``$STANDARDLAND_DB``, else the SQLite file in the working directory."""
    return os.environ.get("STANDARDLAND_DB") or f"sqlite:///{DEFAULT_DB}"


class StoreUnavailable(StandardlandError):
    """The store cannot be opened: a missing file, an unreachable server, a store never initialised."""

    kind = "store"


def shown_url(url: str) -> str:
    """``url`` as it may be printed: any password masked."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1] if "@" in url else url


def open_store(url: str | None = None, *, migrate: bool = True, create: bool = True) -> Store:
    """The store at ``url`` (default :func:`default_url`), its schema brought to the newest revision.

    With ``create=False`` (read commands) a store that does not exist is an error and is not
    created: a missing SQLite file, or a database that was never initialised. Any store problem
    (a missing file, an unreachable server, an uninitialised store) raises
    :class:`StoreUnavailable`, one line naming the URL and the fix.
    """
    from ..errors import InputError
    from .sql import PostGISStore, SQLiteStore

    url = url or default_url()
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
        if not create and not store.initialised():
            store.close()
            raise StoreUnavailable(f"the store {shown} was never initialised", field="db",
                                   expected=f"run `standardland init --db {shown}` first")
        if migrate:
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


__all__ = ["open_store", "default_url", "shown_url", "StoreUnavailable", "Store", "ParcelQuery", "ImportResult", "Idempotency"]
