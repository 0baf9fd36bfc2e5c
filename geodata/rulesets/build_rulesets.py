"""Build the shipped rule-set files in geodata/rulesets/ from the reference tables.

national-2008 and national-2023 come from the CSV tables in geodata/indicators/ (which keep
their own provenance and verified flags); shandong-2005 and the sample park's set are
written out here. Re-run after changing a table:  python geodata/rulesets/build_rulesets.py
"""

import csv
import json
from pathlib import Path

HERE = Path(__file__).parent
IND = HERE.parent / "indicators"


def rows(name):
    """The rows of ``geodata/indicators/<name>`` (a UTF-8 CSV) as dicts keyed by its header."""
    with open(IND / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def national_2008_rules(carried_over: bool):
    """The national 2008 FAR and investment-intensity floors as rule dicts, by GB/T 4754-2002
    code; ``carried_over`` marks them unverified (``U``) with a note, for the 2023 revision."""
    out = []
    note = " — carried over from 2008; not verified for the 2023 revision" if carried_over else ""
    for r in rows("national_2008_far_min.csv"):
        out.append({"indicator": "far", "industry": r["industry_code_gbt4754_2002"], "min": float(r["far_min"]),
                    "verified": "U" if carried_over else r["verified"],
                    "source": r["source"].split(",")[0] + note,
                    "clause": f"Table 2, {r['industry_name_2002']}"})
    for r in rows("national_2008_investment_intensity.csv"):
        out.append({"indicator": "investment_intensity", "industry": r["industry_code_gbt4754_2002"],
                    "region_class": int(r["region_class"]), "min": float(r["min_wan_yuan_per_hectare"]),
                    "unit": "万元/公顷", "severity": "advisory" if carried_over else "binding",
                    "verified": "U" if carried_over else r["verified"],
                    "source": "国土资发〔2008〕24号" + note,
                    "clause": f"Table 1, industry {r['industry_code_gbt4754_2002']}, region class {r['region_class']}"})
    ids = {"building_coefficient": "building_coefficient", "office_living_land_share": "office_land_share",
           "green_ratio": "green_ratio"}
    for r in rows("national_2008_fixed_limits.csv"):
        rule = {"indicator": ids[r["indicator"]], "unit": r["unit"],
                "verified": "U" if carried_over else r["verified"], "source": r["source"] + note}
        rule["min" if r["operator"] == ">=" else "max"] = float(r["value"])
        out.append(rule)
    return out


national_2008 = {
    "id": "national-2008", "series": "national", "layer": "national", "version": "2008",
    "name_zh": "工业项目建设用地控制指标（国土资发〔2008〕24号）",
    "name_en": "Industrial project land-use control indicators (2008)",
    "title": "《工业项目建设用地控制指标》", "document_number": "国土资发〔2008〕24号",
    "effective_from": "2008-01-31", "effective_to": "2023-05-10",
    "industry_edition": "2002",
    "scope": {"edition": "2002", "divisions": "13-37,39-43", "verified": "V",
              "title": "国土资发〔2008〕24号 covers manufacturing, 2002 divisions 13–43"},
    "illustrative": False,
    "source": "国土资发〔2008〕24号",
    "note": "Table 1 (investment intensity) ships only its verified cells; every other cell reads 'no value on file'. "
            "Load the full official table with `standardland rules load`.",
    "rules": national_2008_rules(carried_over=False),
}

national_2023 = {
    "id": "national-2023", "series": "national", "layer": "national", "version": "2023",
    "name_zh": "工业项目建设用地控制指标（2023年修订）",
    "name_en": "Industrial project land-use control indicators (2023 revision)",
    # DOMAIN.md §4: signed 2023-05-11, republished 2023-06-26; its document number is unverified [U]
    "title": "《工业项目建设用地控制指标》（2023年修订，文号未核实）", "document_number": None,
    "effective_from": "2023-05-11", "effective_to": None,
    "industry_edition": "2002",
    "scope": {"edition": "2002", "divisions": "13-37,39-43", "verified": "U",
              "title": "the 2023 revision covers industrial (manufacturing) projects, read as 2002 divisions 13–43 "
                       "(carried over from 2008; unverified for 2023)"},
    "illustrative": False,
    "source": "自然资源部 2023 修订 (signed 2023-05-11, republished 2023-06-26; document number unverified)",
    "note": "Investment intensity becomes a nationally recommended indicator: falling short gives 'warn', local "
            "values govern. All values here are carried over from 2008 and flagged U (unverified for 2023).",
    "rules": national_2008_rules(carried_over=True),
}

shandong_2005 = {
    "id": "shandong-2005", "series": "shandong-devzone-investment", "layer": "province", "version": "2005",
    "name_zh": "山东省开发区工业项目投资强度标准（2005）",
    "name_en": "Shandong development-zone investment floors (2005)",
    "title": "山东省开发区工业项目投资强度控制标准（2005年，文号未核实）", "document_number": None,
    "effective_from": "2005-01-01", "effective_to": None,
    "industry_edition": None, "scope": {"admin_prefix": "37"}, "illustrative": False,
    "source": "山东省 2005 开发区投资强度控制标准",
    "note": "Keyed by the zone tier of the parcel's park. Tiers 'national' (240) and "
            "'provincial_qingdao_yantai_weihai' (200) are verified; the 160 and 100 tiers are recorded from a "
            "secondary source whose zone lists are unverified. effective_from is the year only (U).",
    "rules": [
        {"indicator": "investment_intensity", "zone_tier": "national", "min": 240, "verified": "V",
         "source": "山东省 2005", "clause": "national development zones ≥ 240 万元/亩 (= 3600 万元/公顷)"},
        {"indicator": "investment_intensity", "zone_tier": "provincial_qingdao_yantai_weihai", "min": 200,
         "verified": "V", "source": "山东省 2005", "clause": "provincial zones in Qingdao, Yantai, Weihai ≥ 200 万元/亩"},
        {"indicator": "investment_intensity", "zone_tier": "provincial_tier3", "min": 160, "verified": "U",
         "source": "山东省 2005 (secondary record)", "clause": "third tier ≥ 160 万元/亩 (zone list unverified)"},
        {"indicator": "investment_intensity", "zone_tier": "provincial_tier4", "min": 100, "verified": "U",
         "source": "山东省 2005 (secondary record)", "clause": "fourth tier ≥ 100 万元/亩 (zone list unverified)"},
    ],
}

park_set = {
    "id": "yantai-hitech-intl-2021", "series": "yantai-hitech-intl", "layer": "park", "version": "2021",
    "name_zh": "国际招商产业园 标准地控制指标体系（示例）",
    "name_en": "International Investment Park standard-land indicator set (illustrative)",
    "title": "国际招商产业园 标准地控制性指标文件（示例数据，非园区正式发布）", "document_number": None,
    "effective_from": "2021-01-01", "effective_to": None,
    "industry_edition": "2017", "scope": {"park": "yantai-hitech-intl"}, "illustrative": True,
    "source": "ILLUSTRATIVE values for the sample park; not the park's published figures",
    "admission": {"negative_industries_2017": ["25", "26", "31", "32"],
                  "note": "illustrative negative list: petroleum/coal processing, chemicals, ferrous and non-ferrous smelting"},
    "rules": [
        {"indicator": "investment_intensity", "min": 300, "verified": "illustrative", "source": "sample park set"},
        {"indicator": "far", "min": 1.0, "max": 3.0, "verified": "illustrative", "source": "sample park set",
         "clause": "FAR range 1.0–3.0"},
        {"indicator": "building_coefficient", "min": 40, "verified": "illustrative", "source": "sample park set"},
        {"indicator": "office_land_share", "max": 7, "verified": "illustrative", "source": "sample park set"},
        {"indicator": "green_ratio", "max": 15, "verified": "illustrative", "source": "sample park set"},
        {"indicator": "tax_per_mu", "min": 20, "verified": "illustrative", "source": "sample park set"},
        {"indicator": "output_per_mu", "min": 350, "verified": "illustrative", "source": "sample park set"},
        {"indicator": "value_added_per_energy", "min": 2.0, "verified": "illustrative", "source": "sample park set"},
        {"indicator": "rd_ratio", "min": 2.0, "verified": "illustrative", "source": "sample park set"},
    ],
}

for rs in (national_2008, national_2023, shandong_2005, park_set):
    (HERE / f"{rs['id']}.json").write_text(json.dumps(rs, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(rs["id"], len(rs["rules"]), "rules")
