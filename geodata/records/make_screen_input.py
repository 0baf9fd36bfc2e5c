"""Turn the real 2017 Shandong land-supply records into a `standardland screen` input table.

Keeps the 59 industrial records (土地用途 工业用地) and maps their columns to the project schema:
  name            ← 项目名称
  industry_name   ← 行业分类 (2002/2011-era names, as recorded; not cleaned)
  decision_date   ← 合同签订日期 (YYYY年MM月DD日)
  land_area_m2    ← 面积(公顷), converted with standardland.units
  far             ← 约定容积率_A (the agreed lower bound; the source's headers are swapped)
Run: python geodata/records/make_screen_input.py  (writes shandong_2017_industrial_projects.csv)
"""

from pathlib import Path

import pandas as pd

from standardland.units import convert

HERE = Path(__file__).parent
src = pd.read_csv(HERE / "shandong_2017_land_supply.csv", dtype=str)
ind = src[src["土地用途(详情页)"].str.contains("工业", na=False)].reset_index(drop=True)
out = pd.DataFrame({
    "id": [f"SD2017-{i + 1:03d}" for i in range(len(ind))],
    "name": ind["项目名称"],
    "industry_name": ind["行业分类"],
    "decision_date": pd.to_datetime(ind["合同签订日期"], format="%Y年%m月%d日").dt.strftime("%Y-%m-%d"),
    "land_area_m2": [round(convert(float(v), "公顷", "m²"), 2) for v in ind["面积(公顷)"]],
    "far": pd.to_numeric(ind["约定容积率_A(原表头:上限;实际看似下限)"], errors="coerce"),
})
out.to_csv(HERE / "shandong_2017_industrial_projects.csv", index=False)
print(f"{len(out)} industrial records written")
