"""parks, parcels, boundaries and rule sets

Geometry is CGCS2000 (EPSG:4490) lon/lat. On PostGIS it is a ``geometry(Geometry, 4490)``
column with a GIST index; on the embedded SQLite file (no SpatiaLite) it is WKB in a BLOB,
with its bounding box in an R*Tree virtual table kept in step by triggers.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SPATIAL = ("parcels", "boundaries", "parks")


def _geom_column(dialect: str, nullable: bool = False):
    if dialect == "postgresql":
        from geoalchemy2 import Geometry
        return sa.Column("geometry", Geometry("GEOMETRY", srid=4490, spatial_index=False), nullable=nullable)
    return sa.Column("geometry", sa.LargeBinary, nullable=nullable)


def _bbox_columns():
    return [sa.Column(c, sa.Float, nullable=True) for c in ("minx", "miny", "maxx", "maxy")]


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    now = sa.text("CURRENT_TIMESTAMP")
    op.create_table(
        "parks",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("name_en", sa.Text),
        sa.Column("county_code", sa.String(6)),
        sa.Column("zone_tier", sa.String(32)),
        sa.Column("attrs", sa.Text),
        _geom_column(dialect, nullable=True),
        *_bbox_columns(),
    )
    op.create_table(
        "parcels",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(28), nullable=False, unique=True),
        sa.Column("name", sa.Text),
        sa.Column("park", sa.String(64)),
        sa.Column("land_use_code", sa.String(8)),
        sa.Column("land_grade", sa.Integer),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("transfer_price_wan_yuan", sa.Float),
        sa.Column("area_m2", sa.Float, nullable=False),
        sa.Column("attrs", sa.Text),
        _geom_column(dialect),
        *_bbox_columns(),
        sa.Column("updated_at", sa.DateTime, server_default=now, nullable=False),
    )
    if dialect == "postgresql":
        # on the embedded file these low-cardinality indexes cost 30% of a bulk import and
        # save little: a scan of 100,000 rows takes ~20 ms there
        op.create_index("ix_parcels_status", "parcels", ["status"])
        op.create_index("ix_parcels_park", "parcels", ["park"])
    op.create_table(
        "boundaries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("adcode", sa.String(12), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("level", sa.String(16)),
        sa.Column("source", sa.Text),
        _geom_column(dialect),
        *_bbox_columns(),
    )
    op.create_table(
        "rulesets",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("layer", sa.String(16), nullable=False),
        sa.Column("effective_from", sa.Date, nullable=False),
        sa.Column("effective_to", sa.Date),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("loaded_at", sa.DateTime, server_default=now, nullable=False),
    )
    if dialect == "postgresql":
        for t in SPATIAL:
            op.execute(f"CREATE INDEX ix_{t}_geometry ON {t} USING GIST (geometry)")
    else:
        # SQLite without SpatiaLite: a loose-quadtree key with a B-tree index
        # (standardland.store.tiles); parks and boundaries are small and scanned by bbox.
        op.add_column("parcels", sa.Column("tile", sa.BigInteger))
        op.create_index("ix_parcels_tile", "parcels", ["tile"])


def downgrade():
    for t in ("rulesets", "boundaries", "parcels", "parks"):
        op.drop_table(t)
