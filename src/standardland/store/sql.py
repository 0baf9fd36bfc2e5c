"""SQLAlchemy 2 backends: the embedded SQLite file and PostGIS.

Both share one implementation; what differs (geometry I/O, the bounding-box filter, the bulk
loader, paging, the migration lock) is one :class:`~standardland.store.dialect.Dialect` object
(:class:`SQLiteStore` keeps WKB in a BLOB with a grid-cell B-tree index; :class:`PostGISStore`
uses ``geometry(…, 4490)`` with GIST and ``COPY``). Values reach SQL validated: parcels by
:mod:`standardland.parcels`, query filters here (text with a NUL byte matches nothing, as no
stored text can hold one). The schema is managed by Alembic.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import shapely
from sqlalchemy import bindparam, text
from sqlalchemy.exc import IntegrityError

from ..crs import STORAGE_EPSG
from ..dates import parse_date
from ..errors import ConflictError, DataValidationError, InputError, RowProblem
from ..gcpause import gc_paused
from ..parcels import AttributeUpdate, with_derived
from .base import Idempotency, ImportResult, ParcelQuery, Store
from .dialect import Dialect, PostGISDialect, SQLiteDialect

MIGRATIONS = Path(__file__).parent / "migrations"
PARCEL_COLUMNS = ("code", "name", "park", "land_use_code", "land_grade", "status",
                  "transfer_price_wan_yuan", "area_m2", "attrs")
BBOX = ("minx", "miny", "maxx", "maxy")
_CHUNK = 500
_BULK_CHUNK = 20_000


def _plain_list(col: pd.Series) -> list:
    """A column as a list of plain Python values with None for missing (what DB drivers accept)."""
    if pd.api.types.is_float_dtype(col.dtype):
        a = col.to_numpy(dtype="float64", na_value=np.nan)
        o = a.astype(object)
        o[np.isnan(a)] = None
        return o.tolist()
    if pd.api.types.is_integer_dtype(col.dtype):
        return col.astype(object).where(col.notna(), None).tolist()
    o = col.to_numpy(dtype=object)
    miss = pd.isna(o)
    if miss.any():
        o = o.copy()
        o[miss] = None
    return o.tolist()


_json_std = json.JSONEncoder(ensure_ascii=False).encode


def _json(value: dict) -> str:
    """A parcel's extra attributes as JSON text: orjson (C, ~7× faster), or the standard encoder for
    what orjson refuses (an integer beyond 64 bits); both read back to the same values."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return _json_std(value)


def _driver_sql(conn, sql: str) -> tuple[str, Callable[[dict], Any]]:
    """``sql`` with ``:name`` parameters compiled once for the connection's driver: its text and the
    function turning a parameter dict into what the driver takes (a tuple for ``?`` drivers)."""
    compiled = text(sql).compile(dialect=conn.dialect)
    if compiled.positional:
        order = tuple(compiled.positiontup or ())
        return compiled.string, lambda params: tuple(params[k] for k in order)
    return compiled.string, lambda params: params


def _driver_rows(conn, sql: str, params: dict | None = None) -> list[tuple]:
    """All rows of a bulk read as the driver's plain tuples, on ``conn``'s DB-API connection (inside its
    transaction): no SQLAlchemy ``Row`` per row, which costs more than the read itself at 100,000 rows."""
    stmt, args = _driver_sql(conn, sql)
    cur = conn.connection.cursor()
    try:
        cur.execute(stmt, args(params or {}))
        return cur.fetchall()
    finally:
        cur.close()


def _in_chunks(conn, sql: str, values: list, *, fetch: bool) -> list[tuple]:
    """Run ``sql`` (with ``IN ({in})``) over ``values`` in chunks of :data:`_CHUNK`, each size compiled
    once and run on the DB-API cursor; the rows of every chunk when ``fetch``. (500 is the cheapest
    per value measured on both backends: 5,000 costs a third more on SQLite, twice on PostgreSQL.)"""
    out: list[tuple] = []
    compiled: dict[int, tuple[str, Callable[[dict], Any]]] = {}
    cur = conn.connection.cursor()
    try:
        for i in range(0, len(values), _CHUNK):
            chunk = values[i:i + _CHUNK]
            if len(chunk) not in compiled:
                compiled[len(chunk)] = _driver_sql(conn, sql.format(**{"in": ", ".join(
                    f":v{k}" for k in range(len(chunk)))}))
            stmt, args = compiled[len(chunk)]
            cur.execute(stmt, args({f"v{k}": v for k, v in enumerate(chunk)}))
            if fetch:
                out.extend(cur.fetchall())
    finally:
        cur.close()
    return out


def _text_columns(df: pd.DataFrame, columns) -> None:
    """Text columns as plain objects with None for a missing value (pandas would infer a string dtype
    holding NaN, which is not JSON: a parcel without a park must read back as ``null``)."""
    for c in columns:
        col = df[c].to_numpy(dtype=object, na_value=None) if len(df) else np.array([], dtype=object)
        df[c] = pd.Series(col, index=df.index, dtype=object)


def _storable(v) -> bool:
    """Whether a text filter value can equal stored text (no stored text holds a NUL byte)."""
    return not (isinstance(v, str) and "\x00" in v)


class SQLStore(Store):
    """The shared SQL implementation; backend differences are asked of :attr:`dialect`."""

    dialect: Dialect

    def __init__(self, url: str, dialect: Dialect | None = None):
        """Connect to ``url`` with the backend's ``dialect`` (the class's own unless given)."""
        self.url = url
        if dialect is not None:
            self.dialect = dialect
        self.engine = self.dialect.make_engine(url)

    @property
    def backend(self) -> str:
        """The backend's name: ``sqlite`` or ``postgis``."""
        return self.dialect.name

    # -- lifecycle -----------------------------------------------------------------
    def migrate(self) -> None:
        """Bring the schema to the newest revision. Safe when several processes start at once (app
        workers, CLI runs): the first takes the database's write lock, the others wait and find the
        schema current."""
        from alembic import command  # imported here: a store already current is opened without Alembic
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.connect().execution_options(migration_lock=True) as conn, conn.begin():
            self.dialect.lock_for_migration(conn)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def initialised(self) -> bool:
        """Whether the schema exists (``standardland init``, or any earlier write, created it)."""
        from sqlalchemy import inspect

        with self.engine.connect() as conn:
            return inspect(conn).has_table("alembic_version")

    def close(self) -> None:
        """Close the change probe and dispose of the engine's pool."""
        getattr(self.__dict__.pop("_versions_probe", None), "close", lambda: None)()
        self.engine.dispose()

    # -- parcels ---------------------------------------------------------------------
    def _parcel_rows(self, gdf: gpd.GeoDataFrame) -> list[tuple]:
        geoms = np.asarray(gdf.geometry.values, dtype=object)
        b = shapely.bounds(geoms)
        n = len(gdf)
        cols = []
        for c in PARCEL_COLUMNS:
            if c not in gdf.columns:
                cols.append([None] * n)
            elif c == "attrs":
                cols.append([_json(a) if a else None for a in gdf[c]])
            else:
                cols.append(_plain_list(gdf[c]))
        cols.append(self.dialect.geom_values(geoms))
        cols.extend(b.T.tolist())
        cols.extend(self.dialect.extra_values(b))
        return list(zip(*cols, strict=True))

    def _existing_codes(self, conn, codes: list[str]) -> set[str]:
        if len(codes) > 20 * _CHUNK:  # a bulk import: one scan beats thousands of IN lists
            return set(codes).intersection(r[0] for r in _driver_rows(conn, "SELECT code FROM parcels"))
        return {r[0] for r in _in_chunks(conn, "SELECT code FROM parcels WHERE code IN ({in})", codes, fetch=True)}

    @gc_paused()
    def import_parcels(self, gdf, *, mode="insert", progress=None) -> ImportResult:
        """Bulk-write the prepared parcels in one transaction, in chunks (see :meth:`Store.import_parcels`).

        The embedded file keeps SQLite's rollback journal and ``synchronous=FULL``: the whole import is
        one transaction, so a process killed (or a machine losing power) mid-import leaves the store as
        it was. Neither costs the import CPU worth trading that for: a fresh import appends pages the
        journal need not copy and the commit is a few fsyncs (wall time, not CPU); WAL, which writes
        each page twice (the log, then the checkpoint), took ~15 % more CPU for 100,000 rows
        (440 vs 385 ms, insert or replace-all, ``synchronous`` FULL or NORMAL alike)."""
        if mode not in ("insert", "upsert"):
            raise InputError(f"unknown import mode '{mode}'", field="mode", expected="insert or upsert")
        codes = gdf["code"].tolist()
        columns = PARCEL_COLUMNS + ("geometry",) + BBOX + self.dialect.extra_columns
        with self.engine.begin() as conn:
            self._bump(conn, "parcels_version")
            existing = self._existing_codes(conn, codes)
            if existing and mode == "insert":
                problems = [RowProblem(i + 1, "code", f"'{c}' already exists in the store (use upsert to replace)")
                            for i, c in enumerate(codes) if c in existing]
                raise DataValidationError(problems=problems)
            if existing:
                _in_chunks(conn, "DELETE FROM parcels WHERE code IN ({in})", [c for c in codes if c in existing],
                           fetch=False)
            # pipeline: the next chunk's rows are built (numpy/shapely, GIL mostly released)
            # while the database writes the current one
            starts = list(range(0, len(gdf), _BULK_CHUNK))
            if progress:
                progress(0, len(gdf))  # the total, before the first chunk is written
            with ThreadPoolExecutor(max_workers=1) as pool:
                nxt = pool.submit(self._parcel_rows, gdf.iloc[0:_BULK_CHUNK]) if starts else None
                for k, start in enumerate(starts):
                    rows = nxt.result()
                    if k + 1 < len(starts):
                        nxt = pool.submit(self._parcel_rows, gdf.iloc[starts[k + 1]:starts[k + 1] + _BULK_CHUNK])
                    self.dialect.bulk_insert(conn, "parcels", columns, rows)
                    if progress:
                        progress(start + len(rows), len(gdf))
        return ImportResult(inserted=len(codes) - len(existing), updated=len(existing))

    def apply_attribute_updates(self, updates: list[AttributeUpdate]) -> ImportResult:
        """Write attribute-only updates in one transaction; a code not in the store refuses them all."""
        with self.engine.begin() as conn:
            self._bump(conn, "parcels_version")
            existing = self._existing_codes(conn, [u.code for u in updates])
            missing = [RowProblem(u.row, "code", f"'{u.code}' is not in the store") for u in updates
                       if u.code not in existing]
            if missing:
                raise DataValidationError(problems=missing)
            for u in updates:
                code, vals, extra = u.code, dict(u.values), u.attrs
                if extra:
                    cur = conn.execute(text("SELECT attrs FROM parcels WHERE code = :c"), {"c": code}).scalar()
                    merged = {**(json.loads(cur) if cur else {}), **extra}
                    vals["attrs"] = json.dumps(merged, ensure_ascii=False)
                if vals:
                    sets = ", ".join(f"{k} = :{k}" for k in vals)
                    conn.execute(text(f"UPDATE parcels SET {sets}, updated_at = CURRENT_TIMESTAMP "
                                      "WHERE code = :code"), {**vals, "code": code})
        return ImportResult(updated=len(updates))

    def _where(self, q: ParcelQuery, params: dict) -> list[str]:
        where = []
        for col, key, values in (("code", "codes", q.codes), ("status", "statuses", q.status or None)):
            if values is None:
                continue
            kept = [v for v in values if _storable(v)]
            where.append(f"{col} IN :{key}" if kept else "1 = 0")
            if kept:
                params[key] = kept
        for col, value in (("park", q.park), ("land_use_code", q.land_use_code)):
            if value and _storable(value):
                where.append(f"{col} = :{col}")
                params[col] = value
            elif value:
                where.append("1 = 0")
        if q.bbox is not None:
            params.update(dict(zip(("bminx", "bminy", "bmaxx", "bmaxy"), map(float, q.bbox), strict=True)))
            where.append(self.dialect.bbox_clause(params))
        return where

    def _stmt(self, sql: str, params: dict):
        stmt = text(sql)
        for k in ("codes", "statuses"):
            if k in params:
                stmt = stmt.bindparams(bindparam(k, expanding=True))
        return stmt

    def parcels(self, query: ParcelQuery | None = None) -> gpd.GeoDataFrame:
        """Select by the query's filters in SQL, ordered by code, paged (see :meth:`Store.parcels`)."""
        q = query or ParcelQuery()
        params: dict = {}
        where = self._where(q, params)
        sql = (f"SELECT {', '.join(PARCEL_COLUMNS)}, updated_at, {self.dialect.geom_select} AS wkb FROM parcels"
               + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY code")
        post_filter = q.bbox is not None and not self.dialect.bbox_exact_in_sql
        if not post_filter:
            if q.limit is not None:
                sql += " LIMIT :limit"
                params["limit"] = int(q.limit)
            if q.offset:
                sql += self.dialect.offset_clause(q.limit is not None)
                params["offset"] = int(q.offset)
        with self.engine.connect() as conn:
            rows = conn.execute(self._stmt(sql, params), params).fetchall()
        gdf = self._frame(rows)
        if post_filter:
            box = shapely.box(*q.bbox)
            gdf = gdf[shapely.intersects(gdf.geometry.values, box)]
            end = None if q.limit is None else q.offset + q.limit
            gdf = gdf.iloc[q.offset:end].reset_index(drop=True)
        return gdf

    @gc_paused()
    def parcel_footprints(self, bbox: tuple[float, float, float, float]) -> gpd.GeoDataFrame:
        """Code, area and geometry (EPSG:4490) of the stored parcels meeting ``bbox``: the overlap check."""
        params: dict = {}
        where = self._where(ParcelQuery(bbox=bbox), params)
        sql = (f"SELECT code, area_m2, {self.dialect.geom_select} AS wkb FROM parcels WHERE "
               + " AND ".join(where))
        with self.engine.connect() as conn:
            rows = _driver_rows(conn, sql, params)  # every stored parcel in the box: plain tuples
        code = np.array([r[0] for r in rows], dtype=object)
        area = np.array([r[1] for r in rows], dtype="float64")
        wkb = np.array([r[2] for r in rows], dtype=object)
        geoms = shapely.from_wkb(wkb) if len(rows) else np.array([], dtype=object)
        gdf = gpd.GeoDataFrame({"code": pd.Series(code, dtype=object), "area_m2": area},
                               geometry=gpd.GeoSeries(geoms, crs=STORAGE_EPSG), crs=STORAGE_EPSG)
        if not self.dialect.bbox_exact_in_sql and len(gdf):
            gdf = gdf[shapely.intersects(gdf.geometry.values, shapely.box(*bbox))].reset_index(drop=True)
        return gdf

    def _frame(self, rows) -> gpd.GeoDataFrame:
        cols = PARCEL_COLUMNS + ("updated_at", "wkb")
        # plain tuples: pandas probes every Row for attributes, each a slow miss in SQLAlchemy
        df = pd.DataFrame.from_records([tuple(r) for r in rows], columns=list(cols))
        geoms = shapely.from_wkb([bytes(w) for w in df["wkb"]]) if len(df) else np.array([], dtype=object)
        df = df.drop(columns=["wkb"])
        _text_columns(df, ("code", "name", "park", "land_use_code", "status"))
        df["land_grade"] = pd.array(df["land_grade"], dtype="Int64")
        for c in ("transfer_price_wan_yuan", "area_m2"):
            df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
        df["attrs"] = [json.loads(a) if isinstance(a, str) else {} for a in df["attrs"]]
        gdf = gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geoms, crs=STORAGE_EPSG), crs=STORAGE_EPSG)
        return with_derived(gdf)

    def count_parcels(self, query: ParcelQuery | None = None) -> int:
        """Count in SQL, or by reading the bbox candidates when the backend's bbox test is not exact in SQL."""
        q = query or ParcelQuery()
        if q.bbox is not None and not self.dialect.bbox_exact_in_sql:
            return len(self.parcels(ParcelQuery(codes=q.codes, bbox=q.bbox, status=q.status, park=q.park,
                                                land_use_code=q.land_use_code)))
        params: dict = {}
        where = self._where(q, params)
        sql = "SELECT COUNT(*) FROM parcels" + (" WHERE " + " AND ".join(where) if where else "")
        with self.engine.connect() as conn:
            return int(conn.execute(self._stmt(sql, params), params).scalar())

    def parcel_extent(self) -> tuple[float, float, float, float] | None:
        """The bounds of all parcels from the bounds columns, or None when there are none."""
        with self.engine.connect() as conn:
            row = conn.execute(text("SELECT MIN(minx), MIN(miny), MAX(maxx), MAX(maxy) FROM parcels")).first()
        return None if row is None or row[0] is None else tuple(float(v) for v in row)

    def delete_parcels(self, codes: list[str]) -> int:
        """Delete parcels by code; refused (nothing deleted) while an application names any of them."""
        codes = [c for c in codes if _storable(c)]
        if not codes:
            return 0
        stmt = text("DELETE FROM parcels WHERE code IN :codes").bindparams(bindparam("codes", expanding=True))
        held = text("SELECT parcel_code, COUNT(*) FROM applications WHERE parcel_code IN :codes "
                    "GROUP BY parcel_code ORDER BY parcel_code").bindparams(bindparam("codes", expanding=True))
        with self.engine.begin() as conn:
            self._bump(conn, "parcels_version")
            found = conn.execute(held, {"codes": list(codes)}).fetchall()
            if found:
                c, n = found[0]
                raise ConflictError(f"parcel {c} has {n} application{'s' if n != 1 else ''}, so it cannot be "
                                    "deleted", field="code", expected="a parcel no application names "
                                                                      "(withdraw or close the applications; "
                                                                      "they keep their audit trail)")
            return conn.execute(stmt, {"codes": list(codes)}).rowcount

    # -- parks, boundaries -------------------------------------------------------------
    def upsert_park(self, park: dict) -> None:
        """Insert or replace the park by code, its boundary and bounds included."""
        geom = park.get("geometry")
        gval, b = (None, (None,) * 4)
        if geom is not None:
            gval = self.dialect.geom_values(np.array([geom], dtype=object))[0]
            b = tuple(float(x) for x in shapely.bounds(geom))
        with self.engine.begin() as conn:
            self._bump(conn, "parks_version")
            conn.execute(text("DELETE FROM parks WHERE code = :code"), {"code": park["code"]})
            self.dialect.bulk_insert(conn, "parks", ("code", "name", "name_en", "county_code", "zone_tier", "attrs",
                                              "geometry") + BBOX,
                              [(park["code"], park["name"], park.get("name_en"), park.get("county_code"),
                                park.get("zone_tier"), json.dumps(park.get("attrs") or {}, ensure_ascii=False),
                                gval) + b])

    def parks(self) -> gpd.GeoDataFrame:
        """Every park with its boundary, ordered by code."""
        with self.engine.connect() as conn:
            rows = conn.execute(text(f"SELECT code, name, name_en, county_code, zone_tier, attrs, "
                                     f"{self.dialect.geom_select} AS wkb FROM parks ORDER BY code")).fetchall()
        df = pd.DataFrame.from_records(rows, columns=["code", "name", "name_en", "county_code", "zone_tier",
                                                      "attrs", "wkb"])
        geoms = [shapely.from_wkb(bytes(w)) if w is not None else None for w in df["wkb"]]
        _text_columns(df, ("code", "name", "name_en", "county_code"))
        df["attrs"] = [json.loads(a) if isinstance(a, str) else {} for a in df["attrs"]]
        return gpd.GeoDataFrame(df.drop(columns=["wkb"]), geometry=gpd.GeoSeries(geoms, crs=STORAGE_EPSG),
                                crs=STORAGE_EPSG)

    def delete_park(self, code: str) -> int:
        """Delete the park record by code; 1, or 0 when there is none."""
        with self.engine.begin() as conn:
            self._bump(conn, "parks_version")
            # never while parcels belong to it, even if one arrived since the caller counted
            return conn.execute(text("DELETE FROM parks WHERE code = :code AND NOT EXISTS "
                                     "(SELECT 1 FROM parcels WHERE park = :code)"), {"code": code}).rowcount

    def replace_boundaries(self, gdf: gpd.GeoDataFrame) -> int:
        """Replace every boundary row in one transaction; rows written."""
        geoms = np.asarray(gdf.geometry.values, dtype=object)
        b = shapely.bounds(geoms)
        gvals = self.dialect.geom_values(geoms)
        rows = [(str(r["adcode"]), r["name"], r.get("level"), r.get("source"), gvals[i]) + tuple(map(float, b[i]))
                for i, r in enumerate(gdf.drop(columns=gdf.geometry.name).to_dict("records"))]
        with self.engine.begin() as conn:
            conn.execute(text("DELETE FROM boundaries"))
            self.dialect.bulk_insert(conn, "boundaries", ("adcode", "name", "level", "source", "geometry") + BBOX, rows)
        return len(rows)

    def boundaries(self) -> gpd.GeoDataFrame:
        """The boundaries, ordered by adcode."""
        with self.engine.connect() as conn:
            rows = conn.execute(text(f"SELECT adcode, name, level, source, {self.dialect.geom_select} AS wkb "
                                     "FROM boundaries ORDER BY adcode")).fetchall()
        df = pd.DataFrame.from_records(rows, columns=["adcode", "name", "level", "source", "wkb"])
        _text_columns(df, ("adcode", "name", "level", "source"))
        geoms = shapely.from_wkb([bytes(w) for w in df["wkb"]]) if len(df) else []
        return gpd.GeoDataFrame(df.drop(columns=["wkb"]), geometry=gpd.GeoSeries(geoms, crs=STORAGE_EPSG),
                                crs=STORAGE_EPSG)

    # -- change counters, tokens -----------------------------------------------------------
    def _bump(self, conn, key: str) -> None:
        conn.execute(text("UPDATE store_meta SET value = value + 1 WHERE key = :k"), {"k": key})

    def version(self, key: str) -> int:
        """The counter ``key`` of ``store_meta`` (0 when absent)."""
        with self.engine.connect() as conn:
            return int(conn.execute(text("SELECT value FROM store_meta WHERE key = :k"), {"k": key}).scalar() or 0)

    def versions(self) -> dict[str, int]:
        """Every counter in one round-trip — or none: the snapshot is kept while the dialect's
        :meth:`~standardland.store.dialect.Dialect.change_probe` says nothing was committed since
        (SQLite: ``PRAGMA data_version``, exact across processes; PostgreSQL: commits through this
        store at once, other processes' within ``versions_ttl``)."""
        probe = self.__dict__.get("_versions_probe")
        if probe is None:
            probe = self.__dict__["_versions_probe"] = self.dialect.change_probe(self.engine)
        token = probe()  # before the read: a commit after it changes the next token
        hit = self.__dict__.get("_versions_hit")
        if hit is not None and hit[0] == token:
            return dict(hit[1])
        with self.engine.connect() as conn:
            snap = {k: int(v) for k, v in conn.execute(text("SELECT key, value FROM store_meta"))}
        self.__dict__["_versions_hit"] = (token, snap)
        return dict(snap)

    def create_token(self, name: str, role: str, token_hash: str) -> int:
        """Insert the token record; its id."""
        with self.engine.begin() as conn:
            return int(conn.execute(text("INSERT INTO api_tokens (name, role, token_hash) VALUES (:n, :r, :h) "
                                         "RETURNING id"), {"n": name, "r": role, "h": token_hash}).scalar_one())

    def find_token(self, token_hash: str) -> dict | None:
        """The unrevoked token with this hash, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(text("SELECT id, name, role FROM api_tokens WHERE token_hash = :h AND NOT revoked"),
                               {"h": token_hash}).first()
        return None if row is None else {"id": row[0], "name": row[1], "role": row[2]}

    def list_tokens(self) -> list[dict]:
        """Every token record, ordered by id."""
        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT id, name, role, created_at, revoked FROM api_tokens ORDER BY id")).all()
        return [{"id": r[0], "name": r[1], "role": r[2], "created_at": str(r[3]), "revoked": bool(r[4])}
                for r in rows]

    def revoke_token(self, token_id: int) -> bool:
        """Mark the token revoked; False when there is no such token."""
        with self.engine.begin() as conn:
            return conn.execute(text("UPDATE api_tokens SET revoked = :t WHERE id = :i"),
                                {"t": True, "i": token_id}).rowcount == 1

    # -- workflow ------------------------------------------------------------------------------
    _PROMOTION_DATES = ("intended_on", "signed_on", "registered_on", "started_on", "commissioned_on")
    _APP_COLS = ("id", "parcel_code", "applicant", "state", "version", "project", "verdict", "exception_reason",
                 "rectify_due", "facts", "created_at", "updated_at", "promotion", "service_officer") + _PROMOTION_DATES

    def _app(self, row) -> dict:
        d = dict(zip(self._APP_COLS, row, strict=True))
        promo = json.loads(d["promotion"]) if d["promotion"] else {}
        for k in self._PROMOTION_DATES:
            v = d.pop(k)
            if v is not None:
                promo[k] = str(v)[:10]
        d["promotion"] = promo
        d["project"] = json.loads(d["project"])
        d["verdict"] = json.loads(d["verdict"]) if d["verdict"] else None
        d["facts"] = json.loads(d["facts"]) if d["facts"] else {}
        d["rectify_due"] = str(d["rectify_due"]) if d["rectify_due"] else None
        d["created_at"], d["updated_at"] = str(d["created_at"]), str(d["updated_at"])
        return d

    def create_application(self, parcel_code: str, applicant: str, project: dict, audit_row: dict, *,
                           promotion: dict | None = None) -> int:
        """Insert a draft application and its first audit row (chained to the genesis hash) in one transaction.

        ``promotion`` is the application's initial promotion record (investor, 500-强, promotion dates).
        """
        from ..workflow import audit

        with self.engine.begin() as conn:
            # the new row's own id (never a MAX(id) lookup, which concurrent creates would share)
            app_id = int(conn.execute(text("INSERT INTO applications (parcel_code, applicant, state, version, "
                                           "project) VALUES (:p, :a, 'draft', 1, :j) RETURNING id"),
                                      {"p": parcel_code, "a": applicant,
                                       "j": json.dumps(project, ensure_ascii=False)}).scalar_one())
            row = {**audit_row, "application_id": app_id, "seq": 1, "prev_hash": audit.GENESIS}
            row["row_hash"] = audit.row_hash(row, audit.GENESIS)
            self._insert_audit(conn, row)
            if promotion:
                self._write_promotion(conn, app_id, promotion)
        return app_id

    def _insert_audit(self, conn, row: dict) -> None:
        conn.execute(text("INSERT INTO audit_log (application_id, seq, actor, role, at, action, from_state, to_state, "
                          "comment, snapshot_hash, prev_hash, row_hash) VALUES (:application_id, :seq, :actor, :role, "
                          ":at, :action, :from_state, :to_state, :comment, :snapshot_hash, :prev_hash, :row_hash)"),
                     row)

    def application(self, app_id: int) -> dict | None:
        """The application row as a dict (JSON columns decoded), or None."""
        with self.engine.connect() as conn:
            row = conn.execute(text(f"SELECT {', '.join(self._APP_COLS)} FROM applications WHERE id = :i"),
                               {"i": app_id}).first()
        return None if row is None else self._app(row)

    def applications(self, state: str | None = None) -> list[dict]:
        """Every application, or those in ``state``, ordered by id."""
        sql = f"SELECT {', '.join(self._APP_COLS)} FROM applications"
        params = {}
        if state:
            sql += " WHERE state = :s" if _storable(state) else " WHERE 1 = 0"
            params = {"s": state} if _storable(state) else {}
        with self.engine.connect() as conn:
            return [self._app(r) for r in conn.execute(text(sql + " ORDER BY id"), params)]

    def apply_transition(self, app_id: int, expected_version: int, changes: dict, audit_row: dict, *,
                         agreement: dict | None = None, inspection: dict | None = None,
                         idempotency: Idempotency | None = None,
                         parcel_status: tuple[str, str] | None = None) -> bool:
        """Apply a state change if the application is still at ``expected_version``; False when stale.

        The new state, the agreement or inspection, the audit row (chained to the previous one) and
        the idempotency record are written in one transaction. A key the same caller recorded
        meanwhile (a concurrent request with the same key) is a :class:`ConflictError`.
        """
        try:
            return self._apply_transition(app_id, expected_version, changes, audit_row, agreement=agreement,
                                          inspection=inspection, idempotency=idempotency,
                                          parcel_status=parcel_status)
        except IntegrityError as exc:
            if idempotency is None:
                raise
            raise ConflictError("this Idempotency-Key was used by a concurrent request", field="Idempotency-Key",
                                expected="a fresh key per distinct request") from exc

    def _apply_transition(self, app_id, expected_version, changes, audit_row, *, agreement, inspection,
                          idempotency, parcel_status) -> bool:
        from ..workflow import audit

        sets = ", ".join(f"{k} = :c_{k}" for k in changes)
        params = {f"c_{k}": (json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v)
                  for k, v in changes.items()}
        with self.engine.begin() as conn:
            n = conn.execute(text(f"UPDATE applications SET {sets}, version = version + 1, "
                                  "updated_at = CURRENT_TIMESTAMP WHERE id = :i AND version = :v"),
                             {**params, "i": app_id, "v": expected_version}).rowcount
            if n != 1:
                return False
            last = conn.execute(text("SELECT seq, row_hash FROM audit_log WHERE application_id = :i "
                                     "ORDER BY seq DESC LIMIT 1"), {"i": app_id}).first()
            seq, prev = (last[0] + 1, last[1]) if last else (1, audit.GENESIS)
            row = {**audit_row, "application_id": app_id, "seq": seq, "prev_hash": prev}
            row["row_hash"] = audit.row_hash(row, prev)
            self._insert_audit(conn, row)
            if agreement is not None:
                conn.execute(text("INSERT INTO agreements (application_id, terms) VALUES (:i, :t)"),
                             {"i": app_id, "t": json.dumps(agreement, ensure_ascii=False)})
            if inspection is not None:
                conn.execute(text("INSERT INTO inspections (application_id, kind, actuals, verdict, result, penalties, "
                                  "inspected_on) VALUES (:i, :k, :a, :v, :r, :p, :d)"),
                             {"i": app_id, "k": inspection["kind"],
                              "a": json.dumps(inspection["actuals"], ensure_ascii=False),
                              "v": json.dumps(inspection["verdict"], ensure_ascii=False), "r": inspection["result"],
                              "p": json.dumps(inspection.get("penalties"), ensure_ascii=False),
                              "d": inspection["inspected_on"]})
            if parcel_status is not None:
                self._bump(conn, "parcels_version")
                conn.execute(text("UPDATE parcels SET status = :s, updated_at = CURRENT_TIMESTAMP WHERE code = :c"),
                             {"s": parcel_status[1], "c": parcel_status[0]})
            if idempotency is not None:
                conn.execute(text("INSERT INTO idempotency_keys (caller, key, application_id, action, response) "
                                  "VALUES (:c, :k, :i, :a, :r)"),
                             {"c": idempotency.caller, "k": idempotency.key, "i": app_id, "a": idempotency.action,
                              "r": idempotency.response})
        return True

    def idempotent_response(self, key: str, caller: str) -> dict | None:
        """The stored response of ``key`` for ``caller``, or None."""
        if not (_storable(key) and _storable(caller)):
            return None
        with self.engine.connect() as conn:
            row = conn.execute(text("SELECT application_id, action, response FROM idempotency_keys "
                                    "WHERE caller = :c AND key = :k"), {"c": caller, "k": key}).first()
        return None if row is None else {"application_id": row[0], "action": row[1], "response": json.loads(row[2])}

    def agreement(self, app_id: int) -> dict | None:
        """The agreement's terms with its signing time, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(text("SELECT terms, signed_at FROM agreements WHERE application_id = :i"),
                               {"i": app_id}).first()
        return None if row is None else {**json.loads(row[0]), "signed_at": str(row[1])}

    def agreements(self) -> dict[int, dict]:
        """Every agreement's terms by application id."""
        with self.engine.connect() as conn:
            return {r[0]: json.loads(r[1]) for r in conn.execute(text("SELECT application_id, terms FROM agreements"))}

    def inspections(self, app_id: int) -> list[dict]:
        """The application's inspections, oldest first, JSON columns decoded."""
        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT id, kind, actuals, verdict, result, penalties, inspected_on FROM "
                                     "inspections WHERE application_id = :i ORDER BY id"), {"i": app_id}).all()
        return [{"id": r[0], "kind": r[1], "actuals": json.loads(r[2]), "verdict": json.loads(r[3]),
                 "result": r[4], "penalties": json.loads(r[5]) if r[5] else None, "inspected_on": str(r[6])}
                for r in rows]

    def audit_rows(self, app_id: int) -> list[dict]:
        """The application's audit rows in sequence."""
        cols = ("application_id", "seq", "actor", "role", "at", "action", "from_state", "to_state", "comment",
                "snapshot_hash", "prev_hash", "row_hash")
        with self.engine.connect() as conn:
            rows = conn.execute(text(f"SELECT {', '.join(cols)} FROM audit_log WHERE application_id = :i "
                                     "ORDER BY seq"), {"i": app_id}).all()
        return [dict(zip(cols, r, strict=True)) for r in rows]

    # -- promotion record and service log ------------------------------------------------------
    def _write_promotion(self, conn, app_id: int, record: dict) -> bool:
        dates = {k: parse_date(record.get(k), k, required=False) for k in self._PROMOTION_DATES}
        rest = {k: v for k, v in record.items() if k not in self._PROMOTION_DATES and v is not None}
        sets = ", ".join(f"{k} = :{k}" for k in dates)
        return conn.execute(text(f"UPDATE applications SET promotion = :p, {sets} WHERE id = :i"),
                            {"p": json.dumps(rest, ensure_ascii=False) if rest else None, **dates,
                             "i": app_id}).rowcount == 1

    def set_promotion(self, app_id: int, record: dict) -> None:
        """Replace the promotion record (investor, 500-强, promotion dates) of application ``app_id``."""
        from ..errors import NotFoundError

        with self.engine.begin() as conn:
            if not self._write_promotion(conn, app_id, record):
                raise NotFoundError(f"no application {app_id}", field="application_id")

    def set_service_officer(self, app_id: int, name: str | None) -> None:
        """Assign (or with ``None`` clear) the service officer of application ``app_id``."""
        from ..errors import NotFoundError

        with self.engine.begin() as conn:
            n = conn.execute(text("UPDATE applications SET service_officer = :n WHERE id = :i"),
                             {"n": name, "i": app_id}).rowcount
        if n != 1:
            raise NotFoundError(f"no application {app_id}", field="application_id")

    _LOG_COLS = ("id", "application_id", "entry_on", "kind", "text", "follow_up_due", "answers", "author", "role",
                 "created_at")

    def add_service_entry(self, app_id: int, entry: dict) -> int:
        """Append a service-log entry to application ``app_id``; its id."""
        row = {k: entry.get(k) for k in self._LOG_COLS[2:-1]}
        for k in ("entry_on", "follow_up_due"):
            row[k] = parse_date(row[k], k, required=False)
        with self.engine.begin() as conn:
            return int(conn.execute(text("INSERT INTO service_log (application_id, entry_on, kind, text, "
                                         "follow_up_due, answers, author, role) VALUES (:a, :entry_on, :kind, "
                                         ":text, :follow_up_due, :answers, :author, :role) RETURNING id"),
                                    {"a": app_id, **row}).scalar_one())

    def service_entries(self, app_id: int | None = None) -> list[dict]:
        """The service-log entries of one application (or of all), oldest first, dates as ISO text."""
        sql = f"SELECT {', '.join(self._LOG_COLS)} FROM service_log"
        with self.engine.connect() as conn:
            rows = conn.execute(text(sql + (" WHERE application_id = :a" if app_id is not None else "")
                                     + " ORDER BY id"), {"a": app_id}).all()
        out = []
        for r in rows:
            d = dict(zip(self._LOG_COLS, r, strict=True))
            for k in ("entry_on", "follow_up_due"):
                d[k] = str(d[k])[:10] if d[k] is not None else None
            d["created_at"] = str(d["created_at"])
            out.append(d)
        return out

    # -- industry chains ---------------------------------------------------------------------
    def put_chains(self, payloads: list[dict]) -> None:
        """Store (replace by code) validated chain documents, in one transaction."""
        with self.engine.begin() as conn:
            self._bump(conn, "chains_version")
            for doc in payloads:
                conn.execute(text("DELETE FROM chains WHERE code = :c"), {"c": doc["code"]})
                conn.execute(text("INSERT INTO chains (code, park, payload) VALUES (:c, :p, :j)"),
                             {"c": doc["code"], "p": doc.get("park"), "j": json.dumps(doc, ensure_ascii=False)})

    def chains(self) -> list[dict]:
        """Every stored chain document, by code."""
        with self.engine.connect() as conn:
            return [json.loads(r[0]) for r in conn.execute(text("SELECT payload FROM chains ORDER BY code"))]

    def delete_chain(self, code: str) -> int:
        """Delete the chain ``code``; the number of rows deleted (0 when there is none)."""
        if not _storable(code):
            return 0
        with self.engine.begin() as conn:
            self._bump(conn, "chains_version")
            return conn.execute(text("DELETE FROM chains WHERE code = :c"), {"c": code}).rowcount

    # -- rule sets -----------------------------------------------------------------------
    def put_ruleset(self, payload: dict) -> None:
        """Replace the rule set by id (its dates in their own columns, the document as JSON)."""
        with self.engine.begin() as conn:
            self._bump(conn, "rulesets_version")
            conn.execute(text("DELETE FROM rulesets WHERE id = :id"), {"id": payload["id"]})
            conn.execute(text("INSERT INTO rulesets (id, layer, effective_from, effective_to, payload) "
                              "VALUES (:id, :layer, :f, :t, :p)"),
                         {"id": payload["id"], "layer": payload["layer"],
                          "f": parse_date(payload["effective_from"], "effective_from"),
                          "t": parse_date(payload.get("effective_to"), "effective_to", required=False),
                          "p": json.dumps(payload, ensure_ascii=False)})

    def rulesets(self) -> list[dict]:
        """Every rule-set document, ordered by layer and id."""
        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT payload FROM rulesets ORDER BY layer, id")).fetchall()
        return [json.loads(r[0]) for r in rows]


    # -- what-if reports -------------------------------------------------------------------
    def put_whatif(self, report: dict, created_by: str | None = None) -> int:
        """Store a what-if report (JSON) with its draft's name and author; its new id."""
        with self.engine.begin() as conn:
            return int(conn.execute(text("INSERT INTO whatif_reports (draft, report, created_by) VALUES (:d, :r, :c) "
                                         "RETURNING id"),
                                    {"d": str(report.get("draft"))[:200], "c": created_by,
                                     "r": json.dumps(report, ensure_ascii=False, default=str)}).scalar_one())

    def whatif_report(self, report_id: int) -> dict | None:
        """The stored what-if report ``report_id`` with its id and creation time (None when unknown)."""
        with self.engine.connect() as conn:
            row = conn.execute(text("SELECT report, created_at FROM whatif_reports WHERE id = :i"),
                               {"i": int(report_id)}).first()
        return None if row is None else {**json.loads(row[0]), "id": int(report_id), "created_at": str(row[1])}


class SQLiteStore(SQLStore):
    """The embedded default: one SQLite file, WKB geometry, a grid-cell index (:mod:`.tiles`)."""

    dialect = SQLiteDialect()


class PostGISStore(SQLStore):
    """PostgreSQL + PostGIS: ``geometry(Geometry, 4490)`` with GIST, bulk loads by ``COPY``."""

    dialect = PostGISDialect()
