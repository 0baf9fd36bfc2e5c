"""The store interface: the only way to reach persistence.

Backends (:class:`~standardland.store.sql.SQLiteStore`, the embedded single file, and
:class:`~standardland.store.sql.PostGISStore`) implement it; everything else in the product
talks to :class:`Store` and never to SQL. Writes are all-or-nothing.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import NamedTuple

import geopandas as gpd
import pandas as pd


@dataclass
class ImportResult:
    inserted: int = 0
    updated: int = 0

    def to_dict(self) -> dict:
        return {"inserted": self.inserted, "updated": self.updated}


class Idempotency(NamedTuple):
    """An ``Idempotency-Key`` record: the key is scoped to its caller (another caller's key is unknown
    to them) and remembers the application, the action and the response to replay."""

    caller: str
    key: str
    action: str
    response: str


@dataclass(frozen=True)
class ParcelQuery:
    codes: tuple[str, ...] | None = None
    bbox: tuple[float, float, float, float] | None = None  # lon/lat, EPSG:4490
    status: tuple[str, ...] | None = None
    park: str | None = None
    land_use_code: str | None = None
    limit: int | None = None
    offset: int = 0


class Store(ABC):
    """Parcels, parks, context boundaries, rule sets, API tokens and the workflow, behind one interface."""

    url: str
    backend: str

    # -- lifecycle
    @abstractmethod
    def migrate(self) -> None: ...

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def initialised(self) -> bool:
        """Whether the store's schema exists (without creating anything)."""

    # -- parcels
    @abstractmethod
    def import_parcels(self, gdf: gpd.GeoDataFrame, *, mode: str = "insert",
                       progress=None) -> ImportResult:
        """Write validated parcels (from :func:`~standardland.parcels.prepare_parcels`) in one transaction.

        ``mode='insert'`` refuses codes that already exist; ``'upsert'`` replaces them.
        ``progress(done, total)`` is called before the first chunk and after each one.
        """

    def update_parcel_attributes(self, df: pd.DataFrame) -> ImportResult:
        """Attribute-only update keyed by ``code`` (no geometry), all-or-nothing.

        The rows are validated by :func:`~standardland.parcels.prepare_attribute_updates` (the one
        home of parcel validation) before :meth:`apply_attribute_updates` writes them."""
        from ..parcels import prepare_attribute_updates

        return self.apply_attribute_updates(prepare_attribute_updates(df))

    @abstractmethod
    def apply_attribute_updates(self, updates: list) -> ImportResult:
        """Write validated :class:`~standardland.parcels.AttributeUpdate` rows; every code must exist."""

    @abstractmethod
    def parcels(self, query: ParcelQuery | None = None) -> gpd.GeoDataFrame: ...

    @abstractmethod
    def count_parcels(self, query: ParcelQuery | None = None) -> int: ...

    def parcel(self, code: str) -> gpd.GeoDataFrame:
        from ..errors import NotFoundError

        gdf = self.parcels(ParcelQuery(codes=(code,)))
        if gdf.empty:
            raise NotFoundError(f"no parcel with code '{code}'", field="code")
        return gdf

    @abstractmethod
    def delete_parcels(self, codes: list[str]) -> int: ...

    @abstractmethod
    def parcel_extent(self) -> tuple[float, float, float, float] | None:
        """(minx, miny, maxx, maxy) of all parcels in lon/lat, or None when there are none."""

    # -- parks and context layers
    @abstractmethod
    def upsert_park(self, park: dict) -> None: ...

    @abstractmethod
    def parks(self) -> gpd.GeoDataFrame: ...

    @abstractmethod
    def delete_park(self, code: str) -> int:
        """Delete a park record (1, or 0 when there is none); callers check its parcels first
        (:func:`standardland.parks.delete_park`)."""

    @abstractmethod
    def replace_boundaries(self, gdf: gpd.GeoDataFrame) -> int: ...

    @abstractmethod
    def boundaries(self) -> gpd.GeoDataFrame: ...

    # -- change counters and API tokens
    @abstractmethod
    def version(self, key: str) -> int:
        """A counter bumped with every write to rule sets, parks or parcels ('rulesets_version',
        'parks_version', 'parcels_version'), so caches in any process know when to reload."""

    @abstractmethod
    def versions(self) -> dict[str, int]:
        """Every counter of :meth:`version` in one round-trip."""

    @abstractmethod
    def create_token(self, name: str, role: str, token_hash: str) -> int: ...

    @abstractmethod
    def find_token(self, token_hash: str) -> dict | None: ...

    @abstractmethod
    def list_tokens(self) -> list[dict]: ...

    @abstractmethod
    def revoke_token(self, token_id: int) -> bool: ...

    # -- workflow (applications, agreements, inspections, audit trail, idempotency keys)
    @abstractmethod
    def create_application(self, parcel_code: str, applicant: str, project: dict, audit_row: dict) -> int: ...

    @abstractmethod
    def application(self, app_id: int) -> dict | None: ...

    @abstractmethod
    def applications(self, state: str | None = None) -> list[dict]: ...

    @abstractmethod
    def apply_transition(self, app_id: int, expected_version: int, changes: dict, audit_row: dict, *,
                         agreement: dict | None = None, inspection: dict | None = None,
                         idempotency: Idempotency | None = None,
                         parcel_status: tuple[str, str] | None = None) -> bool: ...

    @abstractmethod
    def idempotent_response(self, key: str, caller: str) -> dict | None:
        """The record of ``key`` as ``caller`` stored it, or None (another caller's key is unknown)."""

    @abstractmethod
    def agreement(self, app_id: int) -> dict | None: ...

    @abstractmethod
    def agreements(self) -> dict[int, dict]: ...

    @abstractmethod
    def inspections(self, app_id: int) -> list[dict]: ...

    @abstractmethod
    def audit_rows(self, app_id: int) -> list[dict]: ...

    # -- rule sets
    @abstractmethod
    def put_ruleset(self, payload: dict) -> None: ...

    @abstractmethod
    def rulesets(self) -> list[dict]: ...

    # -- what-if reports
    @abstractmethod
    def put_whatif(self, report: dict, created_by: str | None = None) -> int:
        """Store a what-if report; its new id."""

    @abstractmethod
    def whatif_report(self, report_id: int) -> dict | None:
        """A stored what-if report (None when unknown)."""
