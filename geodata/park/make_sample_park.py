"""Generate the illustrative sample park (烟台高新区 国际招商产业园) shipped in geodata/park/.

The geometry is ILLUSTRATIVE: a regular layout drawn in CGCS2000 / 3-degree GK CM 120E
(EPSG:4549) on land inside the real 莱山区 boundary, then stored in EPSG:4490. Only the
seed facts are real: 5 standard-land parcels with 750 亩 (0.5 km²) of net land in total.
Names are neutral (示例企业 A…); no figure is attributed to a real company.

Run:  python geodata/park/make_sample_park.py   (rewrites the two files beside it)
"""

import json
from pathlib import Path

import geopandas as gpd
import shapely
from pyproj import Transformer

HERE = Path(__file__).parent
to_gk = Transformer.from_crs(4490, 4549, always_xy=True)
x0, y0 = to_gk.transform(121.420, 37.400)  # south-west corner of the illustrative park
x0, y0 = round(x0, -1), round(y0, -1)

PARK = "yantai-hitech-intl"
parcels = []

# five 标准地 parcels of exactly 150 亩 = 100,000 m² each (400 m × 250 m): 750 亩 in total
std_thresholds = [
    {"investment_intensity_min": 350, "far_min": 1.2, "far_max": 2.5, "tax_per_mu_min": 25},
    {"investment_intensity_min": 320, "far_min": 1.0, "tax_per_mu_min": 20},
    {"investment_intensity_min": 300, "far_min": 1.2, "building_coefficient_min": 45},
    {"investment_intensity_min": 380, "far_min": 1.5, "tax_per_mu_min": 30, "rd_ratio_min": 3},
    {"investment_intensity_min": 300, "far_min": 1.0, "green_ratio_max": 15},
]
land_use_std = ["100101", "100101", "100102", "100101", "100102"]
for i in range(5):
    x = x0 + 60 + i * 430
    y = y0 + 1560
    parcels.append({
        "code": f"370613004002GB{10001 + i:05d}",
        "name": f"国际招商产业园标准地 {i + 1} 号（示例）",
        "park": PARK, "land_use_code": land_use_std[i], "land_grade": 7, "status": "published",
        "transfer_price_wan_yuan": round(150 * 24.0, 2),  # illustrative: 24 万元/亩
        "illustrative": True, **std_thresholds[i],
        "geometry": shapely.box(x, y, x + 400, y + 250),
    })

# thirty other parcels, in production or under construction, in a 6 × 5 grid
statuses = ["in_production"] * 4 + ["under_construction"]
letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
n = 0
for row in range(5):
    for col in range(6):
        w, h = 260 + 40 * ((row + col) % 3), 200 + 30 * (col % 2)
        x = x0 + 60 + col * 350
        y = y0 + 60 + row * 290
        tag = letters[n % 26] + (str(n // 26 + 1) if n >= 26 else "")
        parcels.append({
            "code": f"370613004001GB{20001 + n:05d}",
            "name": f"示例企业 {tag} 项目用地",
            "park": PARK, "land_use_code": "100102" if n % 4 == 3 else "100101", "land_grade": 7,
            "status": statuses[n % 5],
            "transfer_price_wan_yuan": None,
            "illustrative": True,
            # illustrative yearly performance of parcels in production (亩均 figures, 万元/亩)
            **({"tax_per_mu": round(12 + 2.7 * ((n * 7) % 11), 1), "output_per_mu": round(260 + 23 * ((n * 5) % 13), 1)}
               if statuses[n % 5] == "in_production" else {}),
            "geometry": shapely.box(x, y, x + w, y + h),
        })
        n += 1

gdf = gpd.GeoDataFrame(parcels, geometry="geometry", crs=4549).to_crs(4490)
out = HERE / "sample_park_parcels.geojson"
out.unlink(missing_ok=True)
gdf.to_file(out, driver="GeoJSON", engine="pyogrio", layer_options={"COORDINATE_PRECISION": 12, "WRITE_NAME": "NO"})

boundary = gpd.GeoSeries([shapely.box(x0, y0, x0 + 2300, y0 + 1900)], crs=4549).to_crs(4490).iloc[0]
park = {
    "code": PARK,
    "name": "烟台高新区 国际招商产业园（示例范围）",
    "name_en": "Yantai Hi-tech Zone International Investment Park (illustrative extent)",
    "county_code": "370613",
    "zone_tier": "national",
    "illustrative": True,
    "note": "Boundary and parcels are illustrative; the zone's statistical code 370671 is not a county "
            "code, so parcels carry 370613 (莱山区).",
    "geometry": shapely.geometry.mapping(boundary),
}
(HERE / "sample_park.json").write_text(json.dumps(park, ensure_ascii=False, indent=1), encoding="utf-8")
print(f"{len(gdf)} parcels, standard land {gdf[gdf.status == 'published'].shape[0]}")
