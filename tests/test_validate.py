"""planning.validate: every validation error path, each reported at once with rows and fixes."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import LineString, Point, Polygon, box

from planning._errors import InputError
from planning.validate import apply_aliases, format_rows, validate_layer

CRS = "EPSG:4546"
BOUNDARY = gpd.GeoDataFrame({"county_id": ["141124"], "name": ["临县"]},
                            geometry=[box(500000, 4200000, 510000, 4210000)], crs=CRS)


def _villages(**overrides):
    data = {
        "id": ["V1", "V2", "V3"],
        "name": ["张家村", "李家村", "王家村"],
        "township_id": ["T1", "T1", "T2"],
        "population": [350, 120, 980],
        "households": [100, 40, 300],
    }
    geoms = overrides.pop("geometry", [Point(501000, 4201000), Point(502000, 4202000), Point(503000, 4203000)])
    data.update(overrides)
    return gpd.GeoDataFrame(data, geometry=geoms, crs=CRS)


def test_valid_villages_coerced():
    v = _villages(population=["350", "120", "980"], households=[100.0, None, 300.0],
                  urban=["是", "否", "true"])
    out = validate_layer(v, "villages", source="villages.gpkg", boundary=BOUNDARY)
    assert out["population"].tolist() == [350, 120, 980] and out["population"].dtype == np.int64
    assert out["households"].dtype == "Int64" and out["households"].isna().tolist() == [False, True, False]
    assert out["urban"].tolist() == [True, False, True]
    assert list(out.columns[:4]) == ["id", "name", "township_id", "population"]
    assert out.crs.to_epsg() == 4546


def test_chinese_headers_and_kind_aliases():
    f = gpd.GeoDataFrame(
        {"编号": [1001, 1002, 1003], "名称": ["卫生室", "卫生院", "零工"], "类型": ["村卫生室", "乡镇卫生院", "零工市场"],
         "床位数": ["0", "20", ""], "村医人数": [2, 0, None]},
        geometry=[Point(501000, 4201000)] * 3, crs=CRS)
    out = validate_layer(f, "facilities", source="facilities.csv")
    assert out["id"].tolist() == ["1001", "1002", "1003"]
    assert out["kind"].tolist() == ["village_clinic", "township_hospital", "odd_job_market"]
    assert out["beds"].tolist()[:2] == [0, 20] and pd.isna(out["beds"].iloc[2])
    assert out["village_doctors"].tolist()[:2] == [2, 0]
    assert list(apply_aliases(pd.DataFrame(columns=["名称", "人口", "户数", "经度", "纬度", "乡镇"]), "villages").columns) == \
        ["name", "population", "households", "lon", "lat", "township"]
    assert list(apply_aliases(pd.DataFrame(columns=["ID", "NAME", "Township_ID", "POPULATION"]), "villages").columns) == \
        ["id", "name", "township_id", "population"]


def test_township_types():
    t = gpd.GeoDataFrame({"id": ["T1", "T2", "T3"], "name": ["城关镇", "安业乡", "街道"], "类型": ["镇", "乡", "街道"]},
                         geometry=[box(0, 0, 1, 1)] * 3, crs=CRS)
    assert validate_layer(t, "townships", source="t.gpkg")["township_type"].tolist() == ["town", "township", "street"]
    t["类型"] = ["镇", "村", "乡"]
    with pytest.raises(InputError, match=r"township_type': unknown value '村' in rows 2; use town/township/street"):
        validate_layer(t, "townships", source="t.gpkg")


def test_every_problem_reported_once():
    v = _villages(
        id=["V1", "V2", "V2"],
        population=["350", "-5", "abc"],
        geometry=[Point(501000, 4201000), None, Point(600000, 4300000)],
    )
    with pytest.raises(InputError) as info:
        validate_layer(v, "villages", source="villages.csv", boundary=BOUNDARY, boundary_tolerance_m=500)
    err = info.value
    text = str(err)
    assert len(err.problems) == 5, text
    assert "villages layer 'villages.csv'" in text and "1-based data rows" in text
    assert "duplicate ids: 'V2' (rows 2, 3)" in text
    assert "column 'population': non-numeric values in rows 3 (e.g. 'abc')" in text
    assert "column 'population': negative values in rows 2 (-5); must be >= 0" in text
    assert "missing or empty geometry in rows 2" in text
    assert "1 point(s) outside the county boundary (tolerance 500 m): row 3 V2:王家村 (127,279 m outside)" in text  # hypot(90 km, 90 km)


def test_missing_and_misnamed_columns():
    v = _villages().rename(columns={"population": "populaton"}).drop(columns="township_id")
    with pytest.raises(InputError) as info:
        validate_layer(v, "villages", source="v.gpkg")
    text = str(info.value)
    assert "required column 'township_id' is missing" in text
    assert "required column 'population' is missing" in text and "did you mean 'populaton'?" in text
    assert "columns: {populaton: population}" in text


def test_chinese_misnamed_column_suggested():
    v = _villages().rename(columns={"population": "常住人口数"})
    with pytest.raises(InputError, match=r"did you mean '常住人口数'\?"):
        validate_layer(v, "villages", source="v.csv")


def test_unknown_facility_kind_lists_allowed():
    f = gpd.GeoDataFrame({"id": ["F1", "F2", "F3"], "name": ["a", "b", "c"],
                          "kind": ["village_clinic", "hospitl", "hospitl"]},
                         geometry=[Point(0, 0)] * 3, crs=CRS)
    with pytest.raises(InputError, match=r"(?s)unknown facility kind 'hospitl' in rows 2, 3;.*allowed: "
                                         r"village_clinic, township_hospital.*funeral_home"):
        validate_layer(f, "facilities", source="f.csv")


def test_empty_layer():
    with pytest.raises(InputError, match=r"the layer is empty \(no rows\); the county needs its villages"):
        validate_layer(_villages().iloc[:0], "villages", source="v.gpkg")


def test_wrong_and_invalid_geometry():
    bowtie = Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    t = gpd.GeoDataFrame({"id": ["T1", "T2", "T3"], "name": ["a", "b", "c"], "township_type": ["镇"] * 3},
                         geometry=[box(0, 0, 1, 1), bowtie, LineString([(0, 0), (1, 1)])], crs=CRS)
    with pytest.raises(InputError) as info:
        validate_layer(t, "townships", source="t.gpkg")
    text = str(info.value)
    assert "wrong geometry type in rows 3: expected Polygon or MultiPolygon, got LineString" in text
    assert "invalid geometry in rows 2 (row 2: Self-intersection" in text


def test_non_whole_counts_shares_and_bools():
    v = _villages(population=[1.5, 2, 3], share_65plus=[0.1, 15, 0.2], urban=["yes", "maybe", "no"])
    with pytest.raises(InputError) as info:
        validate_layer(v, "villages", source="v.csv")
    text = str(info.value)
    assert "column 'population': non-whole numbers in rows 1" in text
    assert "column 'share_65plus': shares above 1 in rows 2" in text
    assert "column 'urban': values in rows 2 are not yes/no (e.g. 'maybe')" in text


def test_missing_required_values_and_unknown_layer():
    v = _villages(name=["a", None, " "], population=[1, None, 3])
    with pytest.raises(InputError) as info:
        validate_layer(v, "villages", source="v.csv")
    text = str(info.value)
    assert "column 'name': missing values in rows 2, 3" in text
    assert "column 'population': missing values in rows 2" in text
    with pytest.raises(InputError, match="unknown layer name; use one of boundary, townships"):
        validate_layer(v, "roads", source="v.csv")


def test_format_rows():
    assert format_rows([1, 2, 3]) == "1, 2, 3"
    assert format_rows(list(range(1, 21)), limit=3) == "1, 2, 3 and 17 more"
