"""Every rule on the hand-built county of conftest.py: statuses, values and failing places by hand.

Hand computation (see conftest.py for the layout): driving 500 m/min, walking 75 m/min, all places
on road nodes. Spine positions x (m) → drive minutes between two places = |Δx| / 500.

* HC-01/02: clinics at V01 (3000), V05 (10500), V08 (15000); township-level hospitals TH1 (6000),
  CTH1 (12000). V10 (22500, 300 people): clinic VC2 7,500 m = exactly 15.0 min → shared clinic,
  pass. V11 (24000, exactly 200 people, not "不足200"): clinic 18 min, hospital 24 min → fail.
  V12 (25500, 199 people): clinic 21 min ≤ 30 → small village served → pass. Rural population
  T1 = 8,299, T2 = 1,400 → HC-01 T1 share (8299 − 200) / 8299.
* HC-03: nearest clinic by drive: VC3 ← V01, V02, V03 = 800 + 600 + 1600 = exactly 3,000 → needs 3,
  has 3 → pass; VC1 ← V04, V05, V07 = 3,500 → needs 4, has 3 → fail; VC2 ← the rest = 3,199 →
  needs 4, has 4 → pass.
* HC-06: emergency nodes H1/EMC1 (town, x = 750) and CTH1 (12000); TH1 has no ambulance. Road km:
  V10 10.5, V11 12, V12 13.5 → all ≤ 15 km.
* HC-11: V10 15.0 min (pass, boundary), V11 18, V12 21 (fail); urban villages walk.
* EM-02: service point EP1 at town (750, 375): rural drive = (x − 375) / 500 min; communities C1
  and C3 walk exactly 1,125 m = 15.0 min → pass.
* LC-01: C1 misses the party-service centre (1,875 m = 25 min); C3 misses the market (20 min).
* LC-03: EC1's 150 m² counts for C2 (500 households, new) = exactly 30 m² per 100 → pass.
* LC-04: V07 has day-care DC1 on site; community C3 (relocation) is 10,500 m from it → fail.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from planning import InputError, RuleParameterError
from planning.rules import COMPLIANCE_COLUMNS, check_county, checked_places, evaluate, province_summary, summarize
from planning.rules.catalog import load_catalog

EXPECTED = [
    # rule, level, area, status, value, failing population, failing places
    # HC-01
    ('HC-01', 'village', 'V01', 'pass', 1.0, 0, ''),
    ('HC-01', 'village', 'V02', 'pass', 0.0, 0, ''),
    ('HC-01', 'village', 'V03', 'pass', 0.0, 0, ''),
    ('HC-01', 'village', 'V04', 'pass', 0.0, 0, ''),
    ('HC-01', 'village', 'V05', 'pass', 1.0, 0, ''),
    ('HC-01', 'village', 'V06', 'pass', 0.0, 0, ''),
    ('HC-01', 'village', 'V07', 'pass', 0.0, 0, ''),
    ('HC-01', 'village', 'V08', 'pass', 1.0, 0, ''),
    ('HC-01', 'village', 'V09', 'pass', 0.0, 0, ''),
    ('HC-01', 'village', 'V10', 'pass', 0.0, 0, ''),
    ('HC-01', 'village', 'V11', 'fail', 0.0, 200, 'V11:前沟村'),
    ('HC-01', 'village', 'V12', 'pass', 0.0, 0, ''),
    ('HC-01', 'township', 'T1', 'fail', 8099 / 8299, 200, 'V11:前沟村'),
    ('HC-01', 'township', 'T2', 'pass', 1.0, 0, ''),
    ('HC-01', 'county', '149999', 'fail', 9499 / 9699, 200, 'V11:前沟村'),
    # HC-02
    ('HC-02', 'village', 'V01', 'not_applicable', 0.0, 0, ''),
    ('HC-02', 'village', 'V02', 'pass', 3.0, 0, ''),
    ('HC-02', 'village', 'V03', 'pass', 0.0, 0, ''),
    ('HC-02', 'village', 'V04', 'pass', 3.0, 0, ''),
    ('HC-02', 'village', 'V05', 'not_applicable', 0.0, 0, ''),
    ('HC-02', 'village', 'V06', 'pass', 3.0, 0, ''),
    ('HC-02', 'village', 'V07', 'pass', 0.0, 0, ''),
    ('HC-02', 'village', 'V08', 'not_applicable', 0.0, 0, ''),
    ('HC-02', 'village', 'V09', 'pass', 3.0, 0, ''),
    ('HC-02', 'village', 'V10', 'pass', 15.0, 0, ''),
    ('HC-02', 'village', 'V11', 'fail', 18.0, 200, 'V11:前沟村'),
    ('HC-02', 'village', 'V12', 'pass', 21.0, 0, ''),
    ('HC-02', 'township', 'T1', 'fail', 5699 / 5899, 200, 'V11:前沟村'),
    ('HC-02', 'township', 'T2', 'pass', 1.0, 0, ''),
    ('HC-02', 'county', '149999', 'fail', 6299 / 6499, 200, 'V11:前沟村'),
    # HC-03
    ('HC-03', 'facility', 'VC3', 'pass', 3.0, 0, ''),
    ('HC-03', 'facility', 'VC1', 'fail', 3.0, 3500, 'VC1:石门村卫生室'),
    ('HC-03', 'facility', 'VC2', 'pass', 4.0, 0, ''),
    ('HC-03', 'township', 'T1', 'fail', 3199 / 6699, 3500, 'VC1:石门村卫生室'),
    ('HC-03', 'township', 'T2', 'pass', 1.0, 0, ''),
    ('HC-03', 'county', '149999', 'fail', 6199 / 9699, 3500, 'VC1:石门村卫生室'),
    # HC-04
    ('HC-04', 'township', 'T1', 'pass', 2.0, 0, ''),
    ('HC-04', 'township', 'T2', 'fail', 0.0, 6800, 'T2:城关镇'),
    ('HC-04', 'county', '149999', 'fail', 0.5, 6800, 'T2:城关镇'),
    # HC-05
    ('HC-05', 'facility', 'CTH1', 'pass', 2.0, 0, ''),
    ('HC-05', 'county', '149999', 'pass', 1.0, 0, ''),
    # HC-06
    ('HC-06', 'village', 'V01', 'pass', 2.25, 0, ''),
    ('HC-06', 'village', 'V02', 'pass', 3.75, 0, ''),
    ('HC-06', 'village', 'V03', 'pass', 5.25, 0, ''),
    ('HC-06', 'village', 'V04', 'pass', 4.5, 0, ''),
    ('HC-06', 'village', 'V05', 'pass', 1.5, 0, ''),
    ('HC-06', 'village', 'V06', 'pass', 4.5, 0, ''),
    ('HC-06', 'village', 'V07', 'pass', 0.0, 0, ''),
    ('HC-06', 'village', 'V08', 'pass', 3.0, 0, ''),
    ('HC-06', 'village', 'V09', 'pass', 1.5, 0, ''),
    ('HC-06', 'village', 'V10', 'pass', 10.5, 0, ''),
    ('HC-06', 'village', 'V11', 'pass', 12.0, 0, ''),
    ('HC-06', 'village', 'V12', 'pass', 13.5, 0, ''),
    ('HC-06', 'township', 'T1', 'pass', 1.0, 0, ''),
    ('HC-06', 'township', 'T2', 'pass', 1.0, 0, ''),
    ('HC-06', 'county', '149999', 'pass', 1.0, 0, ''),
    # HC-07
    ('HC-07', 'county', '149999', 'fail', 1.0, 15099, '149999:手算县'),
    # HC-08
    ('HC-08', 'county', '149999', 'pass', 1.0, 0, ''),
    # HC-09
    ('HC-09', 'county', '149999', 'pass', 1.0, 0, ''),
    # HC-10
    ('HC-10', 'township', 'T1', 'not_applicable', math.nan, 0, ''),
    ('HC-10', 'township', 'T2', 'pass', 1.0, 0, ''),
    ('HC-10', 'county', '149999', 'pass', 1.0, 0, ''),
    # HC-11
    ('HC-11', 'village', 'U1', 'pass', 0.0, 0, ''),
    ('HC-11', 'village', 'U2', 'pass', 5.0, 0, ''),
    ('HC-11', 'village', 'V01', 'pass', 0.0, 0, ''),
    ('HC-11', 'village', 'V02', 'pass', 3.0, 0, ''),
    ('HC-11', 'village', 'V03', 'pass', 0.0, 0, ''),
    ('HC-11', 'village', 'V04', 'pass', 3.0, 0, ''),
    ('HC-11', 'village', 'V05', 'pass', 0.0, 0, ''),
    ('HC-11', 'village', 'V06', 'pass', 3.0, 0, ''),
    ('HC-11', 'village', 'V07', 'pass', 0.0, 0, ''),
    ('HC-11', 'village', 'V08', 'pass', 0.0, 0, ''),
    ('HC-11', 'village', 'V09', 'pass', 3.0, 0, ''),
    ('HC-11', 'village', 'V10', 'pass', 15.0, 0, ''),
    ('HC-11', 'village', 'V11', 'fail', 18.0, 200, 'V11:前沟村'),
    ('HC-11', 'village', 'V12', 'fail', 21.0, 199, 'V12:山顶村'),
    ('HC-11', 'township', 'T1', 'fail', 7900 / 8299, 399, 'V11:前沟村; V12:山顶村'),
    ('HC-11', 'township', 'T2', 'pass', 1.0, 0, ''),
    ('HC-11', 'county', '149999', 'fail', 14700 / 15099, 399, 'V11:前沟村; V12:山顶村'),
    # HC-12
    ('HC-12', 'county', '149999', 'pass', 1.0, 0, ''),
    # HC-13
    ('HC-13', 'facility', 'CHC1', 'pass', 1.0, 0, ''),
    ('HC-13', 'facility', 'TH1', 'fail', 0.0, 0, 'TH1:河口乡卫生院'),
    ('HC-13', 'facility', 'CTH1', 'pass', 1.0, 0, ''),
    ('HC-13', 'facility', 'VC3', 'pass', 1.0, 0, ''),
    ('HC-13', 'facility', 'VC1', 'pass', 1.0, 0, ''),
    ('HC-13', 'facility', 'VC2', 'fail', 0.0, 0, 'VC2:王家村卫生室'),
    ('HC-13', 'township', 'T1', 'fail', 0.5, 0, 'TH1:河口乡卫生院; VC2:王家村卫生室'),
    ('HC-13', 'township', 'T2', 'pass', 1.0, 0, ''),
    ('HC-13', 'county', '149999', 'fail', 4 / 6, 0, 'TH1:河口乡卫生院; VC2:王家村卫生室'),
    # EM-01
    ('EM-01', 'county', '149999', 'fail', 0.0, 15099, '149999:手算县'),
    # EM-02
    ('EM-02', 'village', 'V01', 'pass', 5.25, 0, ''),
    ('EM-02', 'village', 'V02', 'pass', 8.25, 0, ''),
    ('EM-02', 'village', 'V03', 'pass', 11.25, 0, ''),
    ('EM-02', 'village', 'V04', 'pass', 14.25, 0, ''),
    ('EM-02', 'village', 'V05', 'fail', 20.25, 1100, 'V05:石门村'),
    ('EM-02', 'village', 'V06', 'fail', 32.25, 700, 'V06:高家村'),
    ('EM-02', 'village', 'V07', 'fail', 23.25, 1500, 'V07:新村安置点'),
    ('EM-02', 'village', 'V08', 'fail', 29.25, 1300, 'V08:王家村'),
    ('EM-02', 'village', 'V09', 'fail', 26.25, 500, 'V09:李家村'),
    ('EM-02', 'village', 'V10', 'fail', 44.25, 300, 'V10:后沟村'),
    ('EM-02', 'village', 'V11', 'fail', 47.25, 200, 'V11:前沟村'),
    ('EM-02', 'village', 'V12', 'fail', 50.25, 199, 'V12:山顶村'),
    ('EM-02', 'village', 'U1', 'pass', 5.0, 0, ''),
    ('EM-02', 'village', 'U2', 'pass', 10.0, 0, ''),
    ('EM-02', 'community', 'C1', 'pass', 15.0, 0, ''),
    ('EM-02', 'community', 'C2', 'pass', 0.0, 0, ''),
    ('EM-02', 'community', 'C3', 'pass', 15.0, 0, ''),
    ('EM-02', 'township', 'T1', 'fail', 0.0, 8299, 'T1:河口乡'),
    ('EM-02', 'township', 'T2', 'pass', 1.0, 0, ''),
    ('EM-02', 'county', '149999', 'fail', 9300 / 15099, 5799, 'V05:石门村; V06:高家村; V07:新村安置点; V08:王家村; V09:李家村; V10:后沟村; V11:前沟村; V12:山顶村; T1:河口乡'),
    # LC-01
    ('LC-01', 'community', 'C1', 'fail', 0.875, 3000, 'C1:老城社区'),
    ('LC-01', 'community', 'C2', 'pass', 1.0, 0, ''),
    ('LC-01', 'community', 'C3', 'fail', 0.875, 900, 'C3:移民新区'),
    ('LC-01', 'township', 'T2', 'fail', 1500 / 5400, 3900, 'C1:老城社区; C3:移民新区'),
    ('LC-01', 'county', '149999', 'fail', 1500 / 5400, 3900, 'C1:老城社区; C3:移民新区'),
    # LC-02
    ('LC-02', 'community', 'C1', 'pass', 5.0, 0, ''),
    ('LC-02', 'community', 'C2', 'pass', 10.0, 0, ''),
    ('LC-02', 'community', 'C3', 'fail', 25.0, 900, 'C3:移民新区'),
    ('LC-02', 'township', 'T2', 'fail', 4500 / 5400, 900, 'C3:移民新区'),
    ('LC-02', 'county', '149999', 'fail', 4500 / 5400, 900, 'C3:移民新区'),
    # LC-03
    ('LC-03', 'community', 'C1', 'fail', 0.0, 3000, 'C1:老城社区'),
    ('LC-03', 'community', 'C2', 'pass', 30.0, 0, ''),
    ('LC-03', 'community', 'C3', 'fail', 0.0, 900, 'C3:移民新区'),
    ('LC-03', 'township', 'T2', 'fail', 1500 / 5400, 3900, 'C1:老城社区; C3:移民新区'),
    ('LC-03', 'county', '149999', 'fail', 1500 / 5400, 3900, 'C1:老城社区; C3:移民新区'),
    # LC-04
    ('LC-04', 'village', 'V07', 'pass', 0.0, 0, ''),
    ('LC-04', 'community', 'C3', 'fail', 10500.0, 900, 'C3:移民新区'),
    ('LC-04', 'county', '149999', 'fail', 0.625, 900, 'C3:移民新区'),
    # LC-05
    ('LC-05', 'village', 'V01', 'pass', 5.25, 0, ''),
    ('LC-05', 'village', 'V02', 'pass', 8.25, 0, ''),
    ('LC-05', 'village', 'V03', 'pass', 11.25, 0, ''),
    ('LC-05', 'village', 'V04', 'pass', 9.0, 0, ''),
    ('LC-05', 'village', 'V05', 'pass', 3.0, 0, ''),
    ('LC-05', 'village', 'V06', 'pass', 9.0, 0, ''),
    ('LC-05', 'village', 'V07', 'pass', 0.0, 0, ''),
    ('LC-05', 'village', 'V08', 'pass', 6.0, 0, ''),
    ('LC-05', 'village', 'V09', 'pass', 3.0, 0, ''),
    ('LC-05', 'village', 'V10', 'fail', 21.0, 300, 'V10:后沟村'),
    ('LC-05', 'village', 'V11', 'fail', 24.0, 200, 'V11:前沟村'),
    ('LC-05', 'village', 'V12', 'fail', 27.0, 199, 'V12:山顶村'),
    ('LC-05', 'township', 'T1', 'fail', 7600 / 8299, 699, 'V10:后沟村; V11:前沟村; V12:山顶村'),
    ('LC-05', 'township', 'T2', 'pass', 1.0, 0, ''),
    ('LC-05', 'county', '149999', 'fail', 9000 / 9699, 699, 'V10:后沟村; V11:前沟村; V12:山顶村'),
    # ED-01
    ('ED-01', 'township', 'T1', 'fail', 0.0, 8299, 'T1:河口乡'),
    ('ED-01', 'township', 'T2', 'pass', 1.0, 0, ''),
    ('ED-01', 'county', '149999', 'fail', 0.5, 8299, 'T1:河口乡'),
    # ED-02
    ('ED-02', 'township', 'T1', 'pass', 1.0, 0, ''),
    ('ED-02', 'township', 'T2', 'fail', 0.0, 6800, 'T2:城关镇'),
    ('ED-02', 'county', '149999', 'fail', 0.5, 6800, 'T2:城关镇'),
    # ED-03
    ('ED-03', 'county', '149999', 'pass', 1.0, 0, ''),
    # SA-01
    ('SA-01', 'township', 'T1', 'pass', 1.0, 0, ''),
    ('SA-01', 'township', 'T2', 'pass', 1.0, 0, ''),
    ('SA-01', 'county', '149999', 'pass', 1.0, 0, ''),
    # SA-02
    ('SA-02', 'township', 'T1', 'pass', 1.0, 0, ''),
    ('SA-02', 'township', 'T2', 'fail', 0.0, 6800, 'T2:城关镇'),
    ('SA-02', 'county', '149999', 'fail', 1.0, 6800, 'T2:城关镇'),
]


@pytest.fixture
def table(hand_table):
    return hand_table.copy()


def _key(t: pd.DataFrame) -> list[tuple]:
    return list(zip(t["rule_id"], t["level"], t["area_id"], strict=True))


def test_every_rule_by_hand(table):
    assert list(table.columns) == list(COMPLIANCE_COLUMNS)
    assert _key(table) == [e[:3] for e in EXPECTED]
    for (rule, level, area, status, value, fpop, places), r in zip(EXPECTED, table.itertuples(), strict=True):
        where = (rule, level, area)
        assert r.status == status, where
        if isinstance(value, float) and math.isnan(value):
            assert math.isnan(r.value), where
        else:
            assert r.value == pytest.approx(value, abs=1e-9), where
        assert r.failing_population == fpop, where
        assert r.failing_places == places, where
    assert set(table["rule_id"]) == set(load_catalog().ids)
    assert not table["modified"].any()
    catalog = load_catalog()
    for rule_id, level in set(zip(table["rule_id"], table["level"], strict=True)):
        assert level in catalog[rule_id].levels, (rule_id, level)
        assert table.loc[table.rule_id == rule_id, "source"].iloc[0] == catalog[rule_id].source


def test_sources_metrics_and_details(table):
    hc06 = table[table.rule_id == "HC-06"]
    assert set(hc06["source"]) == {"002_ee0bcdb902c06622.txt §(二)11"}
    assert set(hc06["metric"]) == {"road_distance"}
    county = hc06[hc06.level == "county"].iloc[0]
    # 10 km: V10, V11, V12 (699 people) beyond → 9000 / 9699 = 92.8 %
    assert "92.8% within 10 km, 100% within 15 km, 100% within 20 km" in county["detail_en"]
    assert "10公里覆盖92.8%" in county["detail_zh"]
    hc02 = table[(table.rule_id == "HC-02") & (table.level == "village")].set_index("area_id")
    assert hc02.at["V10", "detail_en"] == "shares clinic VC2:王家村卫生室, 15 min drive (≤ 15 min)"
    assert hc02.at["V12", "detail_en"].startswith("exempt: 199 residents (< 200), served by VC2:王家村卫生室, 21 min")
    assert hc02.at["V03", "detail_en"].startswith("exempt: near township hospital TH1:河口乡卫生院, 0 min")
    assert "200 residents" not in hc02.at["V11", "detail_en"]
    assert hc02.at["V11", "detail_en"].startswith("no own clinic; nearest clinic VC2:王家村卫生室 18 min drive")
    hc01 = table[(table.rule_id == "HC-01") & (table.level == "village")].set_index("area_id")
    assert hc01.at["V05", "detail_en"] == "has its own clinic VC1"
    hc07 = table[table.rule_id == "HC-07"].iloc[0]
    assert hc07["detail_en"] == "1 county hospitals (required 1–2); 3 of the five emergency centres, lacking: maternal, neonatal"
    lc01 = table[(table.rule_id == "LC-01") & (table.area_id == "C1")].iloc[0]
    assert lc01["detail_en"].startswith("not within 15 min walk: community_service_centre (")
    assert lc01["value"] == 7 / 8
    lc03 = table[(table.rule_id == "LC-03") & (table.level == "community")].set_index("area_id")
    assert list(lc03["threshold"]) == ["≥ 20", "≥ 30", "≥ 30"]  # C1 old area, C2/C3 new
    hc05 = table[(table.rule_id == "HC-05") & (table.level == "facility")].iloc[0]
    # CTH1: 11,625 m from the seat (750, 375) by road, catchment V05–V12 = 5,799, 60 beds; TH1 5.625 km,
    # 3,900, 20 beds → CTH1 has every maximum: score 1, rank 1 of 2
    assert hc05["detail_en"] == ("grade 2 (required ≥ 2, level-2 capacity); score 1.00 (rank 1 of 2): 11.6 km from the "
                                 "seat by road, catchment 5,799, 60 beds")


def test_chinese_detail_is_default(county, engine_of):
    t = evaluate(county, engine=engine_of("networkx", county), rules=["HC-04"])
    assert list(t["detail"]) == list(t["detail_zh"])
    assert t.iloc[1]["detail"] == "中心乡镇卫生院、乡镇卫生院 0 处（要求 ≥ 1）"
    with pytest.raises(InputError, match="unknown language 'fr'"):
        evaluate(county, lang="fr")


def test_parameters_change_the_verdict(county, engine_of):
    eng = engine_of("networkx", county)
    t = evaluate(county, engine=eng, rules=["HC-06"], params={"HC-06": {"radius_km": 10}})
    fails = t[(t.level == "village") & (t.status == "fail")]["area_id"].tolist()
    assert fails == ["V10", "V11", "V12"]  # 10.5, 12 and 13.5 km
    assert t.iloc[-1]["failing_population"] == 699
    t = evaluate(county, engine=eng, rules=["HC-06"], params={"HC-06": {"radius_km": 10.5}})
    assert t[t.status == "fail"]["area_id"].tolist()[:2] == ["V11", "V12"]  # 10.5 km exactly passes
    t = evaluate(county, engine=eng, rules=["LC-02"], params={"LC-02": {"min_share": 0.8}})
    county_row = t.iloc[-1]
    assert (county_row["status"], county_row["value"], county_row["failing_places"]) == ("pass", 4500 / 5400, "")


def test_out_of_range_refused_unless_overridden(county, engine_of):
    eng = engine_of("networkx", county)
    with pytest.raises(RuleParameterError, match=r"HC-02.min_population = 201 persons is outside the allowed range \[0, 200\]"):
        evaluate(county, engine=eng, params={"HC-02": {"min_population": 201}})
    t = evaluate(county, engine=eng, rules=["HC-01", "HC-02"], params={"HC-02": {"min_population": 201}},
                 override={"HC-02": True})
    assert t[t.rule_id == "HC-02"]["modified"].all() and not t[t.rule_id == "HC-01"]["modified"].any()
    v11 = t[(t.rule_id == "HC-02") & (t.area_id == "V11")].iloc[0]
    assert v11["status"] == "pass"  # 200 < 201: now a small village, served within 30 min
    with pytest.raises(RuleParameterError, match="unknown rule id 'HC-99'"):
        evaluate(county, engine=eng, rules=["HC-99"])


def test_assignment_from_the_optimiser(county, engine_of):
    eng = engine_of("networkx", county)
    # move V07 (1,500) from VC1 to VC2: VC1 serves 2,000 → needs 2, has 3; VC2 4,699 → needs 5, has 4
    near = {"V01": "VC3", "V02": "VC3", "V03": "VC3", "V04": "VC1", "V05": "VC1", "V07": "VC2", "V06": "VC2",
            "V08": "VC2", "V09": "VC2", "V10": "VC2", "V11": "VC2", "V12": "VC2"}
    t = evaluate(county, engine=eng, rules=["HC-03"], assignment=near)
    rows = t[t.level == "facility"].set_index("area_id")
    assert rows["status"].to_dict() == {"VC3": "pass", "VC1": "pass", "VC2": "fail"}
    assert rows.at["VC2", "threshold"] == "≥ 5" and rows.at["VC2", "failing_population"] == 4699
    as_table = pd.DataFrame({"origin_id": list(near), "destination_id": list(near.values())})
    t2 = evaluate(county, engine=eng, rules=["HC-03"], assignment=as_table)
    pd.testing.assert_frame_equal(t.drop(columns=["detail", "detail_zh", "detail_en"]),
                                  t2.drop(columns=["detail", "detail_zh", "detail_en"]))
    with pytest.raises(InputError, match="needs columns origin_id"):
        evaluate(county, engine=eng, rules=["HC-03"], assignment=pd.DataFrame({"village": ["V01"]}))


def _drop(county, column):
    county.facilities = county.facilities.drop(columns=[column])
    return county


NO_DATA_CASES = [
    ("village_doctors", "HC-03", "facility", "missing input: facilities column village_doctors"),
    ("emergency_centres", "HC-07", "county", "missing input: facilities column emergency_centres"),
    ("grade", "HC-05", "facility", "missing input: facilities column grade"),
    ("has_outpatient", "HC-09", "county", "missing input: facilities column has_outpatient"),
    ("emergency_team", "HC-12", "county", "missing input: facilities column emergency_team"),
    ("public_health_physicians", "HC-13", "facility", "missing input: facilities column public_health_physicians"),
    ("tcm_doctors", "HC-13", "facility", "missing input: facilities column tcm_doctors"),
    ("floor_area_m2", "LC-03", "county", "missing input: facilities column floor_area_m2"),
    ("public_central", "ED-01", "township", "missing input: facilities column public_central"),
    ("cremation", "SA-02", "county", "missing input: facilities column cremation"),
]


@pytest.mark.parametrize(("column", "rule", "level", "message"), NO_DATA_CASES)
def test_missing_facility_input_is_no_data_never_pass(county, column, rule, level, message, engine_of):
    t = evaluate(_drop(county, column), engine=engine_of("networkx", county), rules=[rule], lang="en")
    rows = t[(t.level == level) & t["detail_en"].str.contains(message, regex=False)]
    assert len(rows) >= 1
    # SA-02's county row fails anyway (城关镇 has no public cemetery); every other verdict is no_data
    assert set(rows["status"]) == ({"fail"} if rule == "SA-02" else {"no_data"})
    # the county verdict is never a pass when an input is missing (it may still fail on other grounds)
    assert t.iloc[-1]["status"] in ("no_data", "fail")


def test_missing_layers_are_no_data(county, engine_of):
    eng = engine_of("networkx", county)
    county.communities = None
    t = evaluate(county, engine=eng, rules=["LC-01", "LC-03"], lang="en")
    assert t["status"].tolist() == ["no_data", "no_data"]
    assert t["detail_en"].tolist() == ["missing input: communities layer"] * 2
    county.villages = county.villages.drop(columns=["relocation_site"])
    t = evaluate(county, engine=eng, rules=["LC-04"], lang="en")
    assert (t["status"].tolist(), t["detail_en"].iloc[0]) == (
        ["no_data"], "missing input: relocation_site column of villages or communities")


def test_bad_layers_raise_one_error_listing_every_problem(county, engine_of, make):
    county.villages = county.villages.drop(columns=["township_id"]).assign(population=-1)
    with pytest.raises(InputError, match=r"(?s)villages layer: 2 problem.*'township_id' missing.*negative for U1, U2, V01"):
        evaluate(county, engine=engine_of("networkx", county))
    c2 = make()
    c2.facilities.loc[0, "kind"] = "hospital"
    c2.facilities.loc[1, "kind"] = "spaceport"
    with pytest.raises(InputError, match=r"(?s)facilities layer: 2 problem.*H1: unknown kind 'hospital'.*EMC1"):
        evaluate(c2, engine=engine_of("networkx", c2))


def test_chinese_kinds_and_text_booleans_accepted(county, engine_of):
    eng = engine_of("networkx", county)
    base = evaluate(county, engine=eng, rules=["ED-01", "HC-12"])
    f = county.facilities
    f["kind"] = f["kind"].replace({"kindergarten": "幼儿园", "emergency_centre": "急救中心"})
    f["public_central"] = f["public_central"].map({True: "是", False: "否"})
    pd.testing.assert_frame_equal(evaluate(county, engine=eng, rules=["ED-01", "HC-12"]), base)


def test_no_clinic_at_all_fails_and_unreachable_villages_say_why(county, engine_of):
    county.facilities = county.facilities[county.facilities["kind"] != "village_clinic"].reset_index(drop=True)
    t = evaluate(county, engine=engine_of("networkx", county), rules=["HC-01", "HC-03"], lang="en")
    hc03 = t[t.rule_id == "HC-03"]
    assert hc03["status"].tolist() == ["fail"] and hc03.iloc[0]["detail_en"] == "the county has no village clinic"
    # V01 is 6 min from township hospital TH1 (exempt); V10 is 21 min from CTH1 and has no clinic to share
    v = t[(t.rule_id == "HC-01") & (t.level == "village")].set_index("area_id")
    assert v.at["V01", "status"] == "pass"
    assert v.at["V10", "status"] == "fail" and "(no village_clinic facility in the county)" in v.at["V10", "detail_en"]


def test_village_off_the_road_network_says_why_not_a_distance(county, engine_of):
    x0, y0 = county.villages.geometry.iloc[0].x - 375, county.villages.geometry.iloc[0].y - 375  # U1 at (375, 375)
    county.villages.loc[county.villages["id"] == "V12", "geometry"] = Point(x0 + 25500, y0 + 2500)
    t = evaluate(county, engine=engine_of("planning", county), rules=["HC-02", "HC-06", "HC-11", "LC-05"])
    v12 = t[(t.level == "village") & (t.area_id == "V12")].set_index("rule_id")
    assert (v12["status"] == "fail").all() and v12["value"].isna().all()
    why_zh, why_en = "（距路网 2,500 米，超过最大接入距离 1,500 米）", " (snap distance 2,500 m > max 1,500 m)"
    assert v12.at["HC-02", "detail_zh"] == ("无本村卫生室；驾车无法到达卫生室，驾车无法到达乡镇卫生院；常住人口199人不足200人，"
                                            "但30分钟内无卫生室或卫生院服务" + why_zh)
    assert v12.at["HC-02", "detail_en"] == ("no own clinic; no clinic reachable by car, no township hospital reachable by "
                                            "car; 199 residents (< 200) but nothing within 30 min to serve it" + why_en)
    assert v12.at["HC-06", "detail_zh"] == "无法经道路到达急救节点" + why_zh
    assert v12.at["HC-06", "detail_en"] == "no emergency node reachable by road" + why_en
    assert v12.at["HC-11", "detail_zh"] == "驾车无法到达任何医疗机构" + why_zh
    assert v12.at["HC-11", "detail_en"] == "no medical institution reachable by car" + why_en
    assert v12.at["LC-05", "detail_zh"] == "无本村养老服务点；驾车无法到达养老服务点" + why_zh
    assert v12.at["LC-05", "detail_en"] == "no own elderly-care point; none reachable by car" + why_en


def test_summary_and_check_county(county, tmp_path, engine_of):
    compliance, summary = check_county(county, out_dir=tmp_path / "out", engine=engine_of("networkx", county))
    assert summary["rule_id"].tolist() == load_catalog().ids
    s = summary.set_index("rule_id")
    assert s.at["HC-11", "county_status"] == "fail" and s.at["HC-11", "n_fail"] == 2
    assert s.at["HC-11", "n_pass"] == 12  # 14 villages, 2 failing
    assert s.at["HC-04", "n_fail"] == 1 and s.at["HC-04", "n_pass"] == 1  # township rule: T2 fails
    assert s.at["HC-11", "failing_population"] == 399
    assert s.at["HC-11", "failing_places"] == "V11:前沟村; V12:山顶村"
    assert s.at["HC-08", "county_status"] == "pass" and s.at["HC-08", "n_pass"] == 1
    written = pd.read_csv(tmp_path / "out" / "compliance.csv", keep_default_na=False)
    assert list(written.columns) == list(COMPLIANCE_COLUMNS) and len(written) == len(compliance)
    assert pd.read_csv(tmp_path / "out" / "compliance_summary.csv")["rule_id"].tolist() == load_catalog().ids
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["compliance.csv", "compliance_summary.csv"]
    assert summarize(compliance).equals(summary)


def test_deterministic(county, tmp_path, engine_of, make):
    eng = engine_of("planning", county)
    check_county(county, out_dir=tmp_path / "a", engine=eng)
    check_county(make(), out_dir=tmp_path / "b")  # engine built from the county
    for name in ("compliance.csv", "compliance_summary.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_province_summary(county, engine_of, make):
    eng = engine_of("networkx", county)
    a = evaluate(county, engine=eng, rules=["EM-01"])
    c2 = make()
    c2.boundary["county_id"] = "140000"
    c2.boundary["name"] = "有市县"
    c2.facilities.loc[len(c2.facilities)] = c2.facilities.iloc[0].copy()
    c2.facilities.loc[len(c2.facilities) - 1, ["id", "name", "kind"]] = ["OJ1", "零工市场", "odd_job_market"]
    b = evaluate(c2, engine=eng, rules=["EM-01"])
    s = province_summary({"149999": a, "140000": b}, province_id="14", province_name="山西省")
    assert s["area_id"].tolist() == ["140000", "149999", "14"]
    assert s["status"].tolist() == ["pass", "fail", "fail"]
    prov = s.iloc[-1]
    assert (prov["level"], prov["value"], prov["failing_places"]) == ("province", 0.5, "149999:手算县")
    assert prov["failing_population"] == 15099
    with pytest.raises(InputError, match="results #1: no county row for EM-01"):
        province_summary([evaluate(county, engine=eng, rules=["ED-03"])])


def test_values_are_numeric_and_status_vocabulary(table):
    assert table["value"].dtype == np.float64 and table["failing_population"].dtype == np.float64
    assert set(table["status"]) <= {"pass", "fail", "not_applicable", "no_data"}
    assert (table.loc[table.status != "fail", "failing_places"] == "").all()


def test_bare_county_never_passes(make, engine_of):
    """Only the required columns and no facility at all: every rule fails, has no data, or does not apply."""
    c = make()
    c.facilities = c.facilities.iloc[:0][["id", "name", "kind", "geometry"]]
    c.villages = c.villages[["id", "name", "township_id", "population", "geometry"]]
    c.communities = None
    c.townships = c.townships.drop(columns=["township_type"])
    c.seat = None
    t = evaluate(c, engine=engine_of("networkx", c), lang="en")
    county = t[t.level == "county"].set_index("rule_id")
    assert list(county.index) == load_catalog().ids
    assert "pass" not in set(t["status"])
    assert county["status"].to_dict() == {
        **{r: "fail" for r in load_catalog().ids},
        "HC-10": "no_data", "HC-13": "not_applicable", "LC-01": "no_data", "LC-02": "no_data", "LC-03": "no_data",
        "LC-04": "no_data"}
    assert county.at["SA-02", "detail_en"].startswith("funeral home: 0 funeral homes with cremation (of 0 funeral_home")
    assert county.at["HC-05", "detail_en"] == ("0 central township hospitals (required 1–3); no county seat given: "
                                               "distance to the seat left out of the score; no beds column: capacity "
                                               "left out of the score")


def test_lc01_town_population_grid(make, engine_of):
    """375 m cells centred on the town grid nodes (rows y = 375, 0; x = 0 … 1500) plus one cell 1,125 m south
    of C3 (beyond 1,000 m of every community: not in town). By hand (Manhattan walks, 1,125 m = 15 min), all
    eight categories are within reach from cells (375, 375), (750, 375), (750, 0), (1125, 0) only:
    (200 + 300 + 800 + 900) / 5,500 = 40%."""
    from affine import Affine
    from pyproj import CRS as PCRS

    from planning.county import Raster

    c = make()
    arr = np.zeros((5, 5))
    arr[0] = [100, 200, 300, 400, 500]
    arr[1] = [600, 700, 800, 900, 1000]
    arr[4, 4] = 50
    c.population = Raster(arr, Affine(375.0, 0, 500000.0 - 187.5, 0, -375.0, 4200000.0 + 375 + 187.5),
                          PCRS.from_user_input("EPSG:32649"))
    t = evaluate(c, engine=engine_of("networkx", c), rules=["LC-01"], lang="en")
    assert t.iloc[-1]["detail_en"].endswith(
        "; town population grid (cells within 1,000 m of a community): 10 cells, 5,500 people, 40% with all eight "
        "categories within 15 min walk")
    # the community rows are unchanged by the grid
    base = evaluate(make(), engine=engine_of("networkx", c), rules=["LC-01"], lang="en")
    pd.testing.assert_frame_equal(t.iloc[:-1], base.iloc[:-1])


def test_em02_township_level_stations(county, engine_of):
    from planning.rules.employment import township_level_points

    pts = pd.DataFrame({"name": ["碛堡镇劳动保障服务站", "秦家则就业服务点", "城北街道就业服务中心", "镇川村就业服务站",
                                 "和山乡人社所", "新区社区就业服务站"]})
    mask, how = township_level_points(pts)
    assert (mask.tolist(), how) == ([True, False, True, False, True, False], "name")
    mask, how = township_level_points(pts.assign(level=["village", "乡镇", "街道", "township", "村", "county"]))
    assert (mask.tolist(), how) == ([False, True, True, True, False, True], "level column")
    # a village-level point in T1 does not make T1 pass (it still lacks a township station)
    f = county.facilities
    f.loc[len(f)] = f.iloc[0].copy()
    f.loc[len(f) - 1, ["id", "name", "kind"]] = ["EP2", "河口村就业服务点", "employment_service_point"]
    f.loc[len(f) - 1, "geometry"] = Point(500000.0 + 6000, 4200000.0)
    t = evaluate(county, engine=engine_of("networkx", county), rules=["EM-02"], lang="en")
    t1 = t[(t.level == "township") & (t.area_id == "T1")].iloc[0]
    assert (t1["status"], t1["value"]) == ("fail", 0.0)
    assert t1["detail_en"] == "0 township-level employment service stations (1 points in the township; level from the name)"
    v05 = t[(t.level == "village") & (t.area_id == "V05")].iloc[0]
    assert (v05["status"], v05["value"]) == ("pass", 9.0)  # 4.5 km to EP2 at 6000: 9 min drive


def test_any_engines_matrix_can_be_swapped_in(county):
    """Rules evaluated from precomputed OD tables (here the TravelEngine's own) equal the engine's answers."""
    import geopandas as gpd

    from planning.coverage import MatrixEngine
    from planning.network.engine import TravelEngine

    engine = TravelEngine.from_county(county)
    seat = gpd.GeoDataFrame({"id": ["seat"]}, geometry=[county.seat], crs=county.facilities.crs)
    pts = pd.concat([g[["id", "geometry"]] for g in (county.villages, county.communities, county.facilities, seat)],
                    ignore_index=True)
    pts = gpd.GeoDataFrame(pts, geometry="geometry", crs=county.facilities.crs)
    tables = {(mode, metric): engine.od(pts, pts, mode=mode, metric=metric)
              for mode, metric in (("walk", "time"), ("drive", "time"), ("drive", "distance"))}
    via_matrix = evaluate(county, engine=MatrixEngine(tables), lang="en")
    via_engine = evaluate(county, engine=engine, lang="en")
    text = ["detail", "detail_zh", "detail_en"]
    pd.testing.assert_frame_equal(via_matrix.drop(columns=text), via_engine.drop(columns=text))
    # details differ only where two nearest facilities tie (the matrix takes the smaller id): H1 and EMC1
    # share a site (HC-06, V01–V03); V09 (13,500) is 1,500 m from both CTH1 (12,000) and VC2 (15,000)
    differ = via_matrix[via_matrix["detail_en"] != via_engine["detail_en"]]
    assert differ[["rule_id", "area_id"]].values.tolist() == [
        ["HC-06", "V01"], ["HC-06", "V02"], ["HC-06", "V03"], ["HC-11", "V09"]]
    assert differ["detail_en"].str.contains("EMC1:县急救中心|CTH1:新村中心卫生院").all()
    with pytest.raises(InputError, match=r"no OD table for mode='drive', metric='distance'"):
        evaluate(county, engine=MatrixEngine({("drive", "time"): tables[("drive", "time")]}), rules=["HC-06"])
    with pytest.raises(InputError, match=r"(?s)2 problem.*key \('bike', 'time'\).*columns distance_m missing"):
        MatrixEngine({("bike", "time"): tables[("walk", "time")],
                      ("walk", "time"): tables[("walk", "time")].drop(columns=["distance_m"])})


def test_central_hospital_scores(county, engine_of):
    from planning.rules import central_hospital_scores

    s = central_hospital_scores(county, engine=engine_of("networkx", county))
    # TH1 (6,000): 4,500 m spine + 750 + 375 m to the seat (750, 375); catchment V01–V04 = 3,900; 20 beds
    # CTH1 (12,000): 11,625 m; catchment V05–V12 = 5,799; 60 beds → best on every criterion
    assert s[["id", "distance_to_seat_km", "catchment_population", "beds", "score", "rank"]].values.tolist() == [
        ["CTH1", 11.625, 5799.0, 60.0, 1.0, 1], ["TH1", 5.625, 3900.0, 20.0, 0.0, 2]]
    county.facilities.loc[county.facilities.id == "TH1", "beds"] = 100.0
    s = central_hospital_scores(county, engine=engine_of("networkx", county))
    assert s["score"].tolist() == pytest.approx([2 / 3, 1 / 3])  # CTH1 keeps distance and catchment


def test_partial_inputs_are_named(county, engine_of):
    eng = engine_of("networkx", county)
    county.communities = county.communities.drop(columns=["new_build"])
    t = evaluate(county, engine=eng, rules=["LC-03"], lang="en")
    comm = t[t.level == "community"].set_index("area_id")
    assert comm["threshold"].tolist() == ["≥ 30"] * 3  # the stricter new-area standard when unknown
    assert comm.at["C1", "detail_en"].startswith("new_build unknown: new-area standard used: 0 m2")
    county.communities = county.communities.drop(columns=["households"])
    t = evaluate(county, engine=eng, rules=["LC-03"], lang="en")
    assert (t["status"].tolist(), t["detail_en"].tolist()) == (
        ["no_data"], ["missing input: communities column households"])
    c2 = county
    c2.facilities = c2.facilities.drop(columns=["has_ambulance"])
    c2.villages = c2.villages.drop(columns=["urban", "share_working_age"])
    t = evaluate(c2, engine=eng, rules=["HC-06", "EM-01"], lang="en")
    hc06 = t[(t.rule_id == "HC-06") & (t.level == "county")].iloc[0]
    assert hc06["detail_en"].endswith("; villages have no urban column: all treated as rural; township hospitals "
                                      "without has_ambulance not counted as emergency nodes")
    assert len(t[(t.rule_id == "HC-06") & (t.level == "village")]) == 14  # U1 and U2 now count as rural
    em01 = t[t.rule_id == "EM-01"].iloc[0]
    assert em01["detail_en"] == "0 odd-job markets (required ≥ 1)"


def test_empty_staffing_values_are_no_data_per_facility(county, engine_of):
    """Nullable integer columns (pd.NA from the loader) give no_data for that facility, not a crash."""
    fac = county.facilities.copy()
    clinic = fac.index[fac["kind"] == "village_clinic"][0]
    values = pd.to_numeric(fac["tcm_doctors"], errors="coerce").fillna(1).astype("Int64")
    values[clinic] = pd.NA
    fac["tcm_doctors"] = values
    county.facilities = fac
    t = evaluate(county, engine=engine_of("networkx", county), rules=["HC-13"], lang="en")
    row = t[(t.level == "facility") & (t.area_id == fac.loc[clinic, "id"])]
    assert row["status"].tolist() == ["no_data"]
    assert "missing input: facilities column tcm_doctors" in row["detail_en"].iloc[0]
    assert t.iloc[-1]["status"] != "pass"


def test_checked_places_fall_back_from_places_to_townships_to_the_county():
    rows = pd.DataFrame({"level": ["village", "facility", "township", "county"],
                         "status": ["fail", "pass", "fail", "fail"]})
    assert checked_places(rows)["level"].tolist() == ["village", "facility"]
    assert checked_places(rows.iloc[2:])["level"].tolist() == ["township"]
    assert checked_places(rows.iloc[3:])["level"].tolist() == ["county"]
    assert checked_places(rows.iloc[:0]).empty
