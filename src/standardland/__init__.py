"""standardland: an offline-first GIS planner for 标准地 (standard land) industrial land supply.

Public API (plain functions, geopandas-style):

- :mod:`standardland.units`      quantities and unit conversion (亩, 公顷, 万元/亩 ...)
- :mod:`standardland.crs`        CRS policy: CGCS2000 storage, 3° Gauss-Krüger areas, GCJ-02
- :mod:`standardland.parcels`    parcel validation and topology checks
- :mod:`standardland.io`         reading and writing parcel files
- :mod:`standardland.store`      one store interface, SQLite file or PostGIS
- :mod:`standardland.rules.indicators` the indicator catalogue and effective thresholds
- :mod:`standardland.rules.engine`     vectorized verdicts
- :mod:`standardland.rules.matching`   ranking parcels for a project
"""

__version__ = "0.1.0"
