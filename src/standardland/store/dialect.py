"""What differs between the two SQL backends, in one small object each.

The shared implementation (:class:`~standardland.store.sql.SQLStore`) asks its :class:`Dialect`
for everything backend-specific: the engine, the migration lock, how geometry is written and
read, the bounding-box filter, the bulk loader and the paging clause. Nothing else in the store
branches on the backend.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod

import numpy as np
import shapely
from sqlalchemy import create_engine, event

from ..crs import STORAGE_EPSG
from . import tiles
from .ewkb import hex_ewkb


class Dialect(ABC):
    """A backend's differences: every method is one decision the shared SQL code does not make."""

    #: the backend's name (``Store.backend``)
    name: str
    #: the SELECT expression returning a geometry column as WKB
    geom_select: str = "geometry"
    #: whether :meth:`bbox_clause` is exact (else rows are filtered again with shapely)
    bbox_exact_in_sql: bool = True
    #: columns computed from each row's bounds (:meth:`extra_values`)
    extra_columns: tuple[str, ...] = ()

    @abstractmethod
    def make_engine(self, url: str):
        """The SQLAlchemy engine for ``url``."""

    @abstractmethod
    def lock_for_migration(self, conn) -> None:
        """Serialise concurrent migrations inside ``conn``'s transaction."""

    @abstractmethod
    def geom_values(self, geoms: np.ndarray) -> list:
        """Geometries (EPSG:4490) as the values the bulk loader writes."""

    @abstractmethod
    def extra_values(self, bounds: np.ndarray) -> list[list]:
        """One list per :attr:`extra_columns` entry, from an (n, 4) array of bounds."""

    @abstractmethod
    def bbox_clause(self, params: dict) -> str:
        """A WHERE clause for the box ``bminx…bmaxy`` in ``params`` (may add parameters)."""

    @abstractmethod
    def bulk_insert(self, conn, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        """Write ``rows`` into ``table`` as fast as the backend allows."""

    @abstractmethod
    def offset_clause(self, with_limit: bool) -> str:
        """The paging tail for ``:offset`` (some backends need a LIMIT before an OFFSET)."""

    #: how long another process's write may go unseen by :meth:`change_probe`'s time-based fallback
    versions_ttl: float = 0.5

    def change_probe(self, engine):
        """A cheap callable whose answer changes whenever a committed write may have changed the store.

        :meth:`~standardland.store.sql.SQLStore.versions` keeps its snapshot while the answer stays
        the same. This default sees commits through ``engine`` (in this process) at once, and any
        other process's within :attr:`versions_ttl` seconds."""
        return _CommitProbe(engine, self.versions_ttl)


class SQLiteDialect(Dialect):
    """The embedded file: WKB in a BLOB, a grid-cell B-tree index (:mod:`.tiles`), executemany."""

    name = "sqlite"
    bbox_exact_in_sql = False
    extra_columns = ("tile",)

    def make_engine(self, url):
        """A SQLAlchemy engine whose connections wait up to 30 s for the file's write lock and begin transactions themselves."""
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _connect(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # let SQLAlchemy's BEGIN below drive transactions
            dbapi_conn.execute("PRAGMA busy_timeout = 30000")
            dbapi_conn.execute("PRAGMA cache_size = -65536")  # 64 MiB: bulk writes spill less

        @event.listens_for(engine, "begin")
        def _begin(conn):
            # a migration takes the write lock before it reads the schema version
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("migration_lock")
                                 else "BEGIN")

        return engine

    def lock_for_migration(self, conn) -> None:
        """Nothing to do: the migration's transaction began with ``BEGIN IMMEDIATE``."""

    def geom_values(self, geoms):
        """WKB bytes (a BLOB column)."""
        return list(shapely.to_wkb(geoms))

    def extra_values(self, bounds):
        """The grid-cell key of each parcel's bounds (the ``tile`` column, :mod:`.tiles`)."""
        return [tiles.tile_keys(bounds).tolist()]

    def bbox_clause(self, params):
        """Candidates by grid-cell key ranges (a B-tree), then the bounds columns; exact intersection is left to shapely."""
        params["tile_ranges"] = tiles.query_ranges((params["bminx"], params["bminy"], params["bmaxx"],
                                                    params["bmaxy"]))
        return ("id IN (SELECT p.id FROM json_each(:tile_ranges) AS r JOIN parcels AS p "
                "ON p.tile BETWEEN json_extract(r.value, '$[0]') AND json_extract(r.value, '$[1]')) "
                "AND maxx >= :bminx AND minx <= :bmaxx AND maxy >= :bminy AND miny <= :bmaxy")

    def bulk_insert(self, conn, table, columns, rows):
        """``executemany`` of one INSERT with positional parameters."""
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        conn.exec_driver_sql(sql, rows)

    def offset_clause(self, with_limit):
        """SQLite needs a LIMIT before OFFSET: ``LIMIT -1`` when the page has none."""
        return " OFFSET :offset" if with_limit else " LIMIT -1 OFFSET :offset"

    def change_probe(self, engine):
        """``PRAGMA data_version`` on a connection of its own: it changes with every commit by any other
        connection, in this process or another, so a cached snapshot is never stale (a file database;
        an in-memory one has no other process and uses the default)."""
        path = engine.url.database
        if not path or path == ":memory:" or path.startswith("file:"):
            return super().change_probe(engine)
        import sqlite3

        con = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        lock = threading.Lock()
        local = _CommitProbe(engine, None)

        def probe():
            with lock:
                return con.execute("PRAGMA data_version").fetchone()[0], local()

        probe.close = con.close
        return probe


class PostGISDialect(Dialect):
    """PostgreSQL + PostGIS: ``geometry(Geometry, 4490)`` with GIST, bulk loads by ``COPY``."""

    name = "postgis"
    geom_select = "ST_AsBinary(geometry)"

    def make_engine(self, url):
        """A SQLAlchemy engine that checks pooled connections before use."""
        return create_engine(url, pool_pre_ping=True)

    def lock_for_migration(self, conn) -> None:
        """Take a transaction-scoped advisory lock, so concurrent migrations run one after another."""
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(727170490)")  # released at commit

    def geom_values(self, geoms):
        """Hex EWKB with SRID 4490, as PostGIS reads it in COPY and parameters."""
        return hex_ewkb(geoms, STORAGE_EPSG)  # GEOS's own text, ~3× faster (:mod:`.ewkb`)

    def extra_values(self, bounds):
        """None: the GIST index needs no extra columns."""
        return []

    def bbox_clause(self, params):
        """Index-assisted (``&&``) and exact (``ST_Intersects``) intersection with the box, in SQL."""
        return ("geometry && ST_MakeEnvelope(:bminx, :bminy, :bmaxx, :bmaxy, 4490) AND "
                "ST_Intersects(geometry, ST_MakeEnvelope(:bminx, :bminy, :bmaxx, :bmaxy, 4490))")

    def bulk_insert(self, conn, table, columns, rows):
        """``COPY … FROM STDIN`` through psycopg, row by row into one stream."""
        raw = conn.connection.driver_connection
        with raw.cursor() as cur:
            with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
                for row in rows:
                    cp.write_row(row)

    def offset_clause(self, with_limit):
        """PostgreSQL takes an OFFSET alone."""
        return " OFFSET :offset"


#: bumped by :func:`note_external_write` (a helper process of ours wrote to some store)
_external = [0]


def note_external_write() -> None:
    """Tell every store in this process that another process of ours wrote (the upload helper):
    time-based probes stop trusting their snapshot at once instead of after their TTL."""
    _external[0] += 1


class _CommitProbe:
    """Changes after every commit through ``engine`` (counted when the connection returns to the pool,
    i.e. after the commit is visible), after :func:`note_external_write`, and every ``ttl`` seconds."""

    def __init__(self, engine, ttl: float | None):
        self.ttl = ttl
        self.gen = 0
        self._lock = threading.Lock()

        @event.listens_for(engine, "commit")
        def _commit(conn):
            conn.connection.info["sl_committed"] = True

        @event.listens_for(engine.pool, "checkin")
        def _checkin(_dbapi, record):
            if record is not None and record.info.pop("sl_committed", False):
                with self._lock:
                    self.gen += 1

    def __call__(self):
        tick = int(time.monotonic() / self.ttl) if self.ttl else 0
        return self.gen, _external[0], tick
