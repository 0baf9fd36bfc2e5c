"""Service settings: environment (``STANDARDLAND_*``) and an optional env file (pydantic-settings)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """The service's settings, read from ``STANDARDLAND_*`` variables and an optional ``.env`` file."""
    model_config = SettingsConfigDict(env_prefix="STANDARDLAND_", env_file=".env", extra="ignore")

    db: str = Field("sqlite:///standardland.db", description="Database URL (SQLite file or postgresql+psycopg)")
    max_body_bytes: int = Field(1_000_000, description="Largest JSON request body")
    max_upload_bytes: int = Field(50_000_000, description="Largest uploaded file (imports, screenings)")
    screening_max_rows: int = Field(100_000, description="Most rows one screening request may carry")
    import_max_rows: int = Field(200_000, description="Most features one uploaded parcel file may hold; "
                                                      "counted while reading, refused before the rest is parsed")
    max_decompressed_bytes: int = Field(200_000_000, description="Largest total uncompressed size of a zipped "
                                                                 "upload (a zipped Shapefile, an xlsx)")
    check_batch_max: int = Field(64, ge=1, description="Most concurrent `POST /checks` evaluated together in "
                                                       "one engine run (1: each alone)")
    max_problems_reported: int = Field(100, description="Row problems listed in an error (the rest are counted "
                                                        "by field)")
    max_offset: int = Field(100_000_000, description="Largest `offset` of a paged list (inclusive)")
    max_list_limit: int = Field(10_000, description="Largest `limit` of `GET /api/v1/parcels` (inclusive)")
    ogc_default_limit: int = 10
    ogc_max_limit: int = Field(10_000, description="Largest `limit` accepted (inclusive)")
    ogc_number_matched: dict[str, bool] = Field(default_factory=lambda: {"parcels": True, "boundaries": True},
                                                description="Whether items responses count numberMatched")
    cors_origins: list[str] = Field(default_factory=list, description="CORS is off unless origins are listed")
    title: str = "standardland"
    map_embed_limit: int = Field(10_000, description="Up to this many parcels the map embeds them; beyond, "
                                                     "it loads bbox-limited GeoJSON from /ogc as the view moves")
    basemap_url: str | None = Field(None, description="Intranet XYZ tile URL for the map; none by default")
    basemap_attribution: str | None = None
