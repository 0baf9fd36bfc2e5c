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
    """What a parcel import or update wrote: how many rows were inserted and how many updated."""

    inserted: int = 0
    updated: int = 0

    def to_dict(self) -> dict:
        """The counts as plain data."""
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
    """Which parcels to read: by codes, a lon/lat bbox (EPSG:4490), statuses, park, land-use code, and a page."""

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
    def migrate(self) -> None:
        """Create the schema or bring it to the newest revision (safe when several processes start at once)."""

    @abstractmethod
    def close(self) -> None:
        """Release the connections; the store is not used afterwards."""

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
    def parcels(self, query: ParcelQuery | None = None) -> gpd.GeoDataFrame:
        """The parcels ``query`` selects (all when None), in EPSG:4490, ordered by code."""

    @abstractmethod
    def count_parcels(self, query: ParcelQuery | None = None) -> int:
        """How many parcels ``query`` selects, ignoring its page (``limit``/``offset``)."""

    @abstractmethod
    def parcel_footprints(self, bbox: tuple[float, float, float, float]) -> gpd.GeoDataFrame:
        """``code``, ``area_m2`` and geometry of the parcels meeting ``bbox`` (EPSG:4490): what a
        topology check needs, without decoding every attribute (:meth:`parcels` does)."""

    def parcel(self, code: str) -> gpd.GeoDataFrame:
        """The parcel ``code`` as a one-row frame; :class:`~standardland.errors.NotFoundError` when absent."""
        from ..errors import NotFoundError

        gdf = self.parcels(ParcelQuery(codes=(code,)))
        if gdf.empty:
            raise NotFoundError(f"no parcel with code '{code}'", field="code")
        return gdf

    @abstractmethod
    def delete_parcels(self, codes: list[str]) -> int:
        """Delete the parcels ``codes``; how many there were."""

    @abstractmethod
    def parcel_extent(self) -> tuple[float, float, float, float] | None:
        """(minx, miny, maxx, maxy) of all parcels in lon/lat, or None when there are none."""

    # -- parks and context layers
    @abstractmethod
    def upsert_park(self, park: dict) -> None:
        """Insert or replace a park record (code, names, county, zone tier, attributes, boundary in EPSG:4490)."""

    @abstractmethod
    def parks(self) -> gpd.GeoDataFrame:
        """Every park with its boundary (EPSG:4490), ordered by code."""

    @abstractmethod
    def delete_park(self, code: str) -> int:
        """Delete a park record (1, or 0 when there is none); callers check its parcels first
        (:func:`standardland.parks.delete_park`)."""

    @abstractmethod
    def replace_boundaries(self, gdf: gpd.GeoDataFrame) -> int:
        """Replace the district context layer (adcode, name, level, source, geometry); rows written."""

    @abstractmethod
    def boundaries(self) -> gpd.GeoDataFrame:
        """The district context layer in EPSG:4490."""

    # -- change counters and API tokens
    @abstractmethod
    def version(self, key: str) -> int:
        """A counter bumped with every write to rule sets, parks or parcels ('rulesets_version',
        'parks_version', 'parcels_version'), so caches in any process know when to reload."""

    @abstractmethod
    def versions(self) -> dict[str, int]:
        """Every counter of :meth:`version` in one round-trip."""

    @abstractmethod
    def create_token(self, name: str, role: str, token_hash: str) -> int:
        """Record an API token by its hash (never the token); its id."""

    @abstractmethod
    def find_token(self, token_hash: str) -> dict | None:
        """The unrevoked token with this hash as ``{id, name, role}``, or None."""

    @abstractmethod
    def list_tokens(self) -> list[dict]:
        """Every token (id, name, role, created, revoked), never a hash."""

    @abstractmethod
    def revoke_token(self, token_id: int) -> bool:
        """Revoke a token; False when there is no such token."""

    # -- workflow (applications, agreements, inspections, audit trail, idempotency keys)
    @abstractmethod
    def create_application(self, parcel_code: str, applicant: str, project: dict, audit_row: dict, *,
                           promotion: dict | None = None) -> int:
        """A new draft application (and its first audit row); ``promotion``: its initial promotion record."""

    @abstractmethod
    def application(self, app_id: int) -> dict | None:
        """The application ``app_id`` (state, version, project, verdict …), or None."""

    @abstractmethod
    def applications(self, state: str | None = None) -> list[dict]:
        """Every application, or those in ``state``, ordered by id."""

    @abstractmethod
    def apply_transition(self, app_id: int, expected_version: int, changes: dict, audit_row: dict, *,
                         agreement: dict | None = None, inspection: dict | None = None,
                         idempotency: Idempotency | None = None,
                         parcel_status: tuple[str, str] | None = None) -> bool:
        """Apply a state change if the application is still at ``expected_version``; False when stale.

        The changes, the agreement or inspection, the chained audit row, the parcel's new status and
        the idempotency record are written in one transaction."""

    @abstractmethod
    def idempotent_response(self, key: str, caller: str) -> dict | None:
        """The record of ``key`` as ``caller`` stored it, or None (another caller's key is unknown)."""

    @abstractmethod
    def agreement(self, app_id: int) -> dict | None:
        """The signed agreement's terms of application ``app_id``, or None."""

    @abstractmethod
    def agreements(self) -> dict[int, dict]:
        """Every agreement's terms by application id."""

    @abstractmethod
    def inspections(self, app_id: int) -> list[dict]:
        """The inspections (acceptance, production review) of application ``app_id``, oldest first."""

    @abstractmethod
    def audit_rows(self, app_id: int) -> list[dict]:
        """The audit trail of application ``app_id`` in order, with the chained hashes."""

    # -- promotion record and service log (issue 13 §3; validated by standardland.workflow.promotion)
    @abstractmethod
    def set_promotion(self, app_id: int, record: dict) -> None:
        """Replace the application's promotion record (fields of ``rules.fields.PROMOTION``; dates as
        ISO text); it is read back as ``application["promotion"]``."""

    @abstractmethod
    def set_service_officer(self, app_id: int, name: str | None) -> None:
        """Assign (or, with None, unassign) the application's service officer."""

    @abstractmethod
    def add_service_entry(self, app_id: int, entry: dict) -> int:
        """Append a service-log entry (``entry_on``, ``kind``, ``text``, ``follow_up_due``, ``answers``,
        ``author``, ``role``); returns its id."""

    @abstractmethod
    def service_entries(self, app_id: int | None = None) -> list[dict]:
        """The service log of one application (or of all, for deadlines and reports), oldest first."""

    # -- industry chains (documents validated by :func:`standardland.chains.parse_chain`)
    @abstractmethod
    def put_chains(self, payloads: list[dict]) -> None:
        """Create or replace chains by ``code``, all or nothing."""

    @abstractmethod
    def chains(self) -> list[dict]:
        """Every stored chain document, by code."""

    @abstractmethod
    def delete_chain(self, code: str) -> int:
        """Delete a chain (1, or 0 when there is none)."""

    # -- rule sets
    @abstractmethod
    def put_ruleset(self, payload: dict) -> None:
        """Insert or replace a parsed rule set (its normalised document) by id."""

    @abstractmethod
    def rulesets(self) -> list[dict]:
        """Every stored rule-set document, ordered by layer and id."""

    # -- what-if reports
    @abstractmethod
    def put_whatif(self, report: dict, created_by: str | None = None) -> int:
        """Store a what-if report; its new id."""

    @abstractmethod
    def whatif_report(self, report_id: int) -> dict | None:
        """A stored what-if report (None when unknown)."""
