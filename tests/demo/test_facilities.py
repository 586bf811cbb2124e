"""Facilities of the demo county: real formats (GCJ-02, Chinese headers) and the documented gaps."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

from planning.crs import gcj02_to_wgs84
from planning.demo.generator import FACILITY_HEADERS
from planning.schema import FACILITY_KIND_ZH, FacilityKind


@pytest.fixture(scope="module")
def fac(demo_out: Path) -> gpd.GeoDataFrame:
    raw = pd.read_csv(demo_out / "facilities.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(raw.columns) == list(FACILITY_HEADERS), "Chinese headers in the documented order"
    df = raw.rename(columns=FACILITY_HEADERS)
    zh_to_kind = {zh: k.value for k, zh in FACILITY_KIND_ZH.items()}
    assert set(df["kind"]) <= set(zh_to_kind), "类型 holds the Chinese kind names"
    df["kind"] = df["kind"].map(zh_to_kind)
    lon, lat = gcj02_to_wgs84(df["lon"].astype(float).to_numpy(), df["lat"].astype(float).to_numpy())
    x, y = Transformer.from_crs(4326, 4546, always_xy=True).transform(lon, lat)
    for col in ("village_doctors", "tcm_doctors", "public_health_physicians", "beds", "grade"):
        df[col] = pd.to_numeric(df[col]).astype("Int64")
    return gpd.GeoDataFrame(df, geometry=shapely.points(x, y), crs=4546)


def _gaps(demo_out: Path, rule: str) -> pd.DataFrame:
    g = pd.read_csv(demo_out / "gaps.csv", dtype=str)
    return g[g["rule_id"] == rule]


def test_coordinates_are_gcj02_and_fall_inside_the_county(fac, layers, demo_out: Path) -> None:
    b = layers["boundary"].geometry.iloc[0]
    assert fac["id"].is_unique and len(fac) > 900
    assert b.buffer(1.0).contains(fac.geometry).all()
    # read as if WGS84, the GCJ-02 values sit a few hundred metres off (as Amap POIs do)
    raw = pd.read_csv(demo_out / "facilities.csv", encoding="utf-8-sig")
    x, y = Transformer.from_crs(4326, 4546, always_xy=True).transform(raw["经度"].to_numpy(), raw["纬度"].to_numpy())
    shift = np.hypot(x - fac.geometry.x.to_numpy(), y - fac.geometry.y.to_numpy())
    assert 300 < np.median(shift) < 900


def test_township_column_matches_the_polygons(fac, layers) -> None:
    tw = layers["townships"][["id", "geometry"]].rename(columns={"id": "tw"})
    joined = fac.sjoin(tw, predicate="within")
    assert len(joined) == len(fac) and (joined["township_id"] == joined["tw"]).all()


def test_every_realistic_kind_is_present_and_the_missing_ones_are_gaps(fac, demo_out: Path) -> None:
    absent = {FacilityKind.ODD_JOB_MARKET.value, FacilityKind.CENTRAL_TOWNSHIP_HOSPITAL.value}
    assert set(fac["kind"]) == {k.value for k in FacilityKind} - absent
    assert len(_gaps(demo_out, "EM-01")) == 1 and len(_gaps(demo_out, "HC-05")) == 1


def test_county_level_institutions(fac) -> None:
    one = fac[fac["kind"] == "county_hospital"]
    assert len(one) == 1
    centres = one["emergency_centres"].iloc[0].split(",")
    assert len(centres) == 3 and set(centres) < {"chest_pain", "stroke", "trauma", "maternal", "neonatal"}
    assert (fac["kind"] == "tcm_hospital").sum() == 1
    mch = fac[fac["kind"] == "maternal_child_health"].iloc[0]
    assert mch["grade"] == 1 and mch["has_outpatient"] == "是"
    assert fac.loc[fac["kind"] == "emergency_centre", "emergency_team"].tolist() == ["是"]
    assert fac.loc[fac["kind"] == "funeral_home", "cremation"].tolist() == ["是"]
    assert (fac["kind"] == "vocational_school").sum() == 1


@pytest.mark.parametrize("rule, kind, extra", [
    ("HC-04", "township_hospital", None),
    ("ED-01", "kindergarten", "public_central"),
    ("ED-02", "boarding_school", None),
    ("SA-01", "social_assistance_centre", None),
    ("SA-02", "public_cemetery", None),
    ("EM-02", "employment_service_point", None),
])
def test_township_gaps_hold_and_other_townships_are_served(fac, layers, demo_out: Path, rule, kind, extra) -> None:
    tw = layers["townships"]
    rural = set(tw.loc[tw["township_type"] != "street", "id"])
    gaps = _gaps(demo_out, rule)
    lacking = set(gaps["area_id"])
    assert lacking and lacking <= rural
    have = fac[fac["kind"] == kind]
    if extra:
        have = have[have[extra] == "是"]
    if kind == "employment_service_point":  # village service points do not count for the township
        have = have[have["name"].str.endswith("劳动保障服务站")]
    served = set(have["township_id"])
    assert not (lacking & served), f"{rule}: a township listed as lacking {kind} has one"
    assert rural - lacking <= served, f"{rule}: an unlisted rural township lacks {kind}"


def test_village_clinic_gaps(fac, layers, demo_out: Path) -> None:
    v = layers["villages"]
    rural = v[~v["urban"].astype(bool)]
    clinics = fac[fac["kind"] == "village_clinic"]
    with_clinic = {n[: -len("村卫生室")] for n in clinics["name"]}
    no_clinic = set(rural.loc[~rural["name"].isin(with_clinic), "id"])
    hc01, hc02 = set(_gaps(demo_out, "HC-01")["area_id"]), set(_gaps(demo_out, "HC-02")["area_id"])
    assert no_clinic == hc01 | hc02 and len(hc01) >= 3 and len(hc02) >= 10
    assert (rural.set_index("id").loc[sorted(hc02), "population"] < 200).all()
    assert (rural.set_index("id").loc[sorted(hc01), "population"] >= 400).all()
    # HC-03: the understaffed clinics have fewer doctors than one per 1,000 residents
    pop_by_name = dict(zip(rural["name"], rural["population"]))
    need = clinics["name"].map(lambda n: math.ceil(pop_by_name[n[: -len("村卫生室")]] / 1000))
    short = clinics.loc[clinics["village_doctors"] < need, "name"]
    assert set(short) == set(_gaps(demo_out, "HC-03")["place"]) and len(short) >= 1
    assert (clinics["tcm_doctors"] == 0).sum() >= 1


def test_relocation_site_without_day_care(fac, layers, demo_out: Path) -> None:
    v, c = layers["villages"], layers["communities"]
    sites = pd.concat([v.loc[v["relocation_site"].astype(bool), ["id", "name"]],
                       c.loc[c["relocation_site"].astype(bool), ["id", "name"]]])
    day = fac[fac["kind"] == "elderly_day_care"]["name"]
    served = {s for s in sites["name"] if (s + "安置点日间照料中心") in set(day)}
    missing = set(sites["name"]) - served
    assert len(missing) == 1 and missing == set(_gaps(demo_out, "LC-04")["place"])


def test_seat_services_cover_the_centre_not_the_edge(fac, layers) -> None:
    c = layers["communities"]
    fit = fac[fac["kind"] == "fitness_facility"]
    d = np.array([fit.distance(p).min() for p in c.geometry])
    # 15 min walk ≈ 1,000 m (GB 50180-2018): some communities are covered, some are not
    assert (d <= 1_000).any() and (d > 1_000).any()
