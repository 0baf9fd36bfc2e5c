"""Persistence behind one interface: :func:`open_store` picks the backend from the URL.

- ``sqlite:///path/to/standardland.db`` (default): one embedded file, needs only pip.
- ``postgresql+psycopg://user@host/db``: PostGIS, for multi-user deployments.
"""

from __future__ import annotations

import os

from .base import Idempotency, ImportResult, ParcelQuery, Store

DEFAULT_DB = "standardland.db"


def default_url() -> str:
    return os.environ.get("STANDARDLAND_DB") or f"sqlite:///{DEFAULT_DB}"


def open_store(url: str | None = None, *, migrate: bool = True) -> Store:
    from .sql import PostGISStore, SQLiteStore

    url = url or default_url()
    if url.startswith("sqlite"):
        store: Store = SQLiteStore(url)
    elif url.startswith("postgresql"):
        store = PostGISStore(url)
    else:
        from ..errors import InputError

        raise InputError(f"unsupported database URL '{url.split(':', 1)[0]}:…'", field="db",
                         expected="sqlite:///FILE or postgresql+psycopg://…")
    if migrate:
        store.migrate()
    return store


__all__ = ["open_store", "default_url", "Store", "ParcelQuery", "ImportResult", "Idempotency"]
