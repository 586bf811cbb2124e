"""Existing facilities of the demo county, with deliberate, documented gaps.

The facilities are what a county of this size typically has, minus a set of gaps chosen so that
some coverage rules of RULES.md pass and some fail. Every gap is recorded in a table (rule id,
place, note) that the generator writes to ``gaps.csv`` and ``data/README.md`` summarises.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planning.demo.settlements import Settlements
from planning.demo.terrain import METRIC_EPSG
from planning.schema import FacilityKind as K

__all__ = ["make_facilities", "CAPACITY_COLUMNS"]

#: Capacity columns of the facility table (canonical names, planning.schema.FACILITY_COLUMNS).
CAPACITY_COLUMNS = ("village_doctors", "tcm_doctors", "public_health_physicians", "beds",
                    "floor_area_m2", "grade", "has_ambulance", "has_outpatient",
                    "emergency_centres", "emergency_team", "public_central", "cremation")

N_CLINICLESS_LARGE = 6
N_TOWNSHIPS_WITHOUT = {"township_hospital": 1, "employment_service_point": 3, "kindergarten": 2,
                       "boarding_school": 1, "social_assistance_centre": 4, "public_cemetery": 5}


class _Table:
    def __init__(self, rng: np.random.Generator, s: Settlements) -> None:
        self.rng = rng
        self.s = s
        self.rows: list[dict] = []
        self.gaps: list[dict] = []
        self.area = shapely.union_all(s.townships.geometry.to_numpy()).buffer(-50.0)

    def add(self, kind: K, name: str, x: float, y: float, *, spread_m: float = 60.0, **capacity) -> None:
        a = self.rng.uniform(0, 2 * np.pi)
        r = self.rng.uniform(0.3, 1.0) * spread_m
        px, py = x + r * math.cos(a), y + r * math.sin(a)
        if not shapely.contains_xy(self.area, px, py):
            px, py = x, y
        self.rows.append(dict(kind=kind.value, name=name, x=round(px, 1), y=round(py, 1), **capacity))

    def gap(self, rule_id: str, area_id: str, place: str, note: str) -> None:
        self.gaps.append(dict(rule_id=rule_id, area_id=area_id, place=place, note=note))

    def town_xy(self, *, central: bool) -> tuple[float, float]:
        """A random point in the seat town (central: inner half of the old town)."""
        u = self.s.urban
        while True:
            a, b = self.rng.uniform(-1, 1, 2)
            shrink = 0.45 if central else 0.9
            if a * a + b * b <= 1.0:
                x, y = u.to_xy(a * u.half_length_m * shrink, b * u.half_width_m * shrink)
                return float(x), float(y)


def _without(rng: np.random.Generator, ids: list[str], n: int) -> list[str]:
    return sorted(rng.choice(ids, size=n, replace=False).tolist())


def make_facilities(rng: np.random.Generator, s: Settlements, county_name: str) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Generate the county's existing facilities and the list of deliberate gaps.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    s : Settlements
        Townships, villages and communities.
    county_name : str
        County name used in the names of county-level facilities.

    Returns
    -------
    facilities, gaps
        Facilities (EPSG:4546; ``id``, ``name``, ``kind``, ``township_id`` and the capacity
        columns, NaN where not applicable) and the gap table (``rule_id``, ``area_id``,
        ``place``, ``note``).
    """
    t = _Table(rng, s)
    tw = s.townships
    v = s.villages
    rural_tw = tw[tw["township_type"] != "street"]
    streets = tw[tw["township_type"] == "street"]
    rv = v[~v["urban"].astype(bool)].copy()
    uv = v[v["urban"].astype(bool)]
    seat_x, seat_y = s.urban.seat_x, s.urban.seat_y
    tw_pop = v.groupby("township_id")["population"].sum()

    # --- county-level institutions in the seat town
    t.add(K.COUNTY_HOSPITAL, f"{county_name}人民医院", *t.town_xy(central=True), grade=2, beds=480,
          public_health_physicians=4, has_ambulance=True, emergency_centres="chest_pain,stroke,trauma")
    t.gap("HC-07", "county", f"{county_name}人民医院",
          "the one county hospital has 3 of the 5 emergency centres (no critical maternal, no neonatal)")
    t.add(K.TCM_HOSPITAL, f"{county_name}中医医院", *t.town_xy(central=True), grade=2, beds=150,
          public_health_physicians=1, has_ambulance=False)
    t.add(K.MATERNAL_CHILD_HEALTH, f"{county_name}妇幼保健计划生育服务中心", *t.town_xy(central=True),
          grade=1, beds=30, has_outpatient=True)
    t.gap("HC-09", "county", f"{county_name}妇幼保健计划生育服务中心",
          "county of 400,000 (> 300,000) but the maternal and child health centre is grade 1, not level-2")
    t.add(K.EMERGENCY_CENTRE, f"{county_name}医疗急救中心", *t.town_xy(central=True), has_ambulance=True,
          emergency_team=True)
    for k in range(2):
        t.add(K.EMERGENCY_STATION, f"{county_name}120急救站第{k + 1}分站", *t.town_xy(central=False),
              has_ambulance=True)
    t.add(K.VOCATIONAL_SCHOOL, f"{county_name}职业技术学校", *t.town_xy(central=False))
    t.add(K.EMPLOYMENT_SERVICE_POINT, f"{county_name}公共就业和人才服务中心", *t.town_xy(central=True))
    t.gap("EM-01", "county", county_name, "no public odd-job market (零工市场) anywhere in the county")
    t.gap("HC-05", "county", county_name, "no central township hospital (县域医疗次中心) designated yet")
    # funeral home with cremation beside a village 2.5–6 km from the seat
    d_seat = np.hypot(rv.geometry.x.to_numpy() - seat_x, rv.geometry.y.to_numpy() - seat_y)
    near = rv[(d_seat > 2_500) & (d_seat < 6_000)].sort_values("id")
    host = near.iloc[int(rng.integers(len(near)))] if len(near) else rv.iloc[0]
    t.add(K.FUNERAL_HOME, f"{county_name}殡仪馆", host.geometry.x, host.geometry.y, spread_m=300.0,
          cremation=True)

    # --- street offices: community health centres, kindergartens, schools, assistance
    for tid, name in zip(streets["id"], streets["name"]):
        inside = s.communities[s.communities["township_id"] == tid]
        if inside.empty:
            x, y = t.town_xy(central=False)
        else:
            row = inside.iloc[int(rng.integers(len(inside)))]
            x, y = row.geometry.x, row.geometry.y
        base = name[:-2]
        t.add(K.COMMUNITY_HEALTH_CENTRE, f"{base}社区卫生服务中心", x, y, public_health_physicians=2, beds=0)
        t.add(K.KINDERGARTEN, f"{base}中心幼儿园", *t.town_xy(central=False), public_central=True)
        t.add(K.BOARDING_SCHOOL, f"{county_name}{base}寄宿制学校", *t.town_xy(central=False))
        t.add(K.SOCIAL_ASSISTANCE_CENTRE, f"{name}社会救助服务中心", x, y)
    for k in range(3):
        t.add(K.KINDERGARTEN, f"{county_name}{['童心', '阳光', '蓓蕾'][k]}幼儿园", *t.town_xy(central=False),
              public_central=False)

    # --- living-circle services in the seat town: central streets well served, new edge not
    for k in range(6):
        t.add(K.FITNESS_FACILITY, f"全民健身广场{k + 1}号", *t.town_xy(central=True))
    t.add(K.FITNESS_FACILITY, f"{county_name}体育场", *t.town_xy(central=True))
    t.gap("LC-02", "county", "seat town (new districts)",
          "fitness facilities only in the old centre: residents of the outer new districts lack one within 15 min")
    for kind, n, label in ((K.CHILDCARE, 4, "托育中心"), (K.HOUSEKEEPING, 3, "家政服务站"),
                           (K.MEAL_ASSISTANCE, 5, "老年助餐点"), (K.MARKET, 4, "农贸市场"),
                           (K.ELDERLY_DAY_CARE, 4, "老年日间照料中心")):
        for k in range(n):
            t.add(kind, f"城区{label}{k + 1}", *t.town_xy(central=True))
    for k in range(14):
        t.add(K.CONVENIENCE_STORE, f"便民超市{k + 1}号店", *t.town_xy(central=False))
    for vid, name, geom in zip(uv["id"], uv["name"], uv.geometry):
        t.add(K.COMMUNITY_SERVICE_CENTRE, f"{name}党群服务中心", geom.x, geom.y, spread_m=40.0)
        if rng.random() < 0.5:
            t.add(K.EMPLOYMENT_SERVICE_POINT, f"{name}就业服务站", geom.x, geom.y, spread_m=40.0)
    t.gap("LC-01", "county", "seat town (outer communities)",
          "childcare, housekeeping, meal assistance and markets only in the centre: outer communities lack some")
    # community elderly-care rooms: some communities meet 30/20 m² per 100 households, some do not
    short = []
    for cid, name, hh, new, geom in zip(s.communities["id"], s.communities["name"], s.communities["households"],
                                         s.communities["new_build"], s.communities.geometry):
        if rng.random() < 0.55:
            per100 = rng.uniform(12.0, 45.0)
            t.add(K.ELDERLY_CARE, f"{name}养老服务站", geom.x, geom.y, spread_m=30.0,
                  floor_area_m2=round(float(hh) / 100.0 * per100, 1))
            if per100 < (30.0 if new else 20.0):
                short.append(cid)
    t.gap("LC-03", "county", f"{len(short)} communities with an elderly-care room below standard",
          "e.g. " + ", ".join(short[:5]) + " (others have none; nearby rooms within 15 min may serve them)")
    # relocation sites: day care in all but one
    sites = list(zip(rv.loc[rv["relocation_site"].astype(bool), "id"], rv.loc[rv["relocation_site"].astype(bool), "name"],
                     rv.loc[rv["relocation_site"].astype(bool)].geometry))
    c_sites = s.communities[s.communities["relocation_site"].astype(bool)]
    sites += list(zip(c_sites["id"], c_sites["name"], c_sites.geometry))
    missing = sites[int(rng.integers(len(sites)))][0]
    for sid, name, geom in sites:
        if sid == missing:
            t.gap("LC-04", sid, name, "relocation site (易地扶贫安置点) without an elderly day-care centre")
            continue
        t.add(K.ELDERLY_DAY_CARE, f"{name}安置点日间照料中心", geom.x, geom.y, spread_m=40.0)

    # --- rural townships
    without = {kind: _without(rng, rural_tw["id"].tolist(), n) for kind, n in N_TOWNSHIPS_WITHOUT.items()}
    no_hphys = _without(rng, [i for i in rural_tw["id"] if i not in without["township_hospital"]], 1)
    for tid, name, kind, sx, sy in zip(rural_tw["id"], rural_tw["name"], rural_tw["township_type"],
                                       rural_tw["seat_x"], rural_tw["seat_y"]):
        base = name[:-1]
        pop = int(tw_pop.get(tid, 0))
        if tid in without["township_hospital"]:
            t.gap("HC-04", tid, name, "township without a township hospital (卫生院)")
        else:
            t.add(K.TOWNSHIP_HOSPITAL, f"{name}卫生院", sx, sy, spread_m=250.0,
                  beds=int(10 + 5 * round(pop / 3000)), grade=1,
                  public_health_physicians=0 if tid in no_hphys else int(1 + (pop > 15_000)),
                  tcm_doctors=int(1 + rng.integers(0, 2)),
                  has_ambulance=bool(kind == "town" or rng.random() < 0.3))
            if tid in no_hphys:
                t.gap("HC-13", tid, f"{name}卫生院", "township hospital without a full-time public-health physician")
        for key, rule_id, missing, fac_kind, site, spread_m, extra in (
            ("employment_service_point", "EM-02", "township without an employment service point",
             K.EMPLOYMENT_SERVICE_POINT, f"{name}劳动保障服务站", 250.0, {}),
            ("kindergarten", "ED-01", "township without a public central kindergarten (公办中心园)",
             K.KINDERGARTEN, f"{name}中心幼儿园", 300.0, {"public_central": True}),
            ("boarding_school", "ED-02", "township without a boarding school",
             K.BOARDING_SCHOOL, f"{base}寄宿制小学", 300.0, {}),
            ("social_assistance_centre", "SA-01", "township without a social-assistance service centre",
             K.SOCIAL_ASSISTANCE_CENTRE, f"{name}社会救助服务站", 150.0, {}),
            ("public_cemetery", "SA-02", "rural township without a public burial facility (公益性公墓)",
             K.PUBLIC_CEMETERY, f"{base}公益性公墓", 800.0, {}),
        ):
            if tid in without[key]:
                t.gap(rule_id, tid, name, missing)
            else:
                t.add(fac_kind, site, sx, sy, spread_m=spread_m, **extra)
        if kind == "town":
            t.add(K.MARKET, f"{base}农贸市场", sx, sy, spread_m=200.0)
        t.add(K.CONVENIENCE_STORE, f"{base}便民超市", sx, sy, spread_m=150.0)
        if rng.random() < 0.4:
            t.add(K.FITNESS_FACILITY, f"{base}健身广场", sx, sy, spread_m=200.0)

    # --- village clinics, elderly-care points and service points
    rv = rv.sort_values("id", kind="stable")
    big_far = rv[(rv["population"] >= 400) & ~rv["township_seat"].astype(bool) & ~rv["relocation_site"].astype(bool)]
    seats = rv[rv["township_seat"].astype(bool)]
    d = np.min(np.hypot(big_far.geometry.x.to_numpy()[:, None] - seats.geometry.x.to_numpy()[None, :],
                        big_far.geometry.y.to_numpy()[:, None] - seats.geometry.y.to_numpy()[None, :]), axis=1)
    far = big_far["id"].to_numpy()[d > 5_000]
    no_clinic_large = set(_without(rng, far.tolist(), N_CLINICLESS_LARGE))
    small = rv.loc[rv["population"] < 200, "id"].tolist()
    no_clinic_small = set(_without(rng, small, int(round(0.6 * len(small)))))
    with_clinic = rv[~rv["id"].isin(no_clinic_large | no_clinic_small)]
    understaffed = set(with_clinic.sort_values(["population", "id"], ascending=[False, True])["id"].head(2))
    no_tcm = set(_without(rng, with_clinic["id"].tolist(), 30))
    for vid, name, pop, geom in zip(rv["id"], rv["name"], rv["population"], rv.geometry):
        if vid in no_clinic_large:
            t.gap("HC-01", vid, name, f"village of {pop} residents without a clinic, > 5 km from a township seat")
        elif vid in no_clinic_small:
            t.gap("HC-02", vid, name, f"small village ({pop} < 200 residents) without its own clinic")
        else:
            doctors = 1 if vid in understaffed else max(1, math.ceil(pop / 1000) + int(rng.random() < 0.2))
            t.add(K.VILLAGE_CLINIC, f"{name}村卫生室", geom.x, geom.y,
                  village_doctors=doctors, tcm_doctors=0 if vid in no_tcm else 1)
            if vid in understaffed:
                t.gap("HC-03", vid, f"{name}村卫生室", f"1 village doctor for {pop} residents (needs ≥ {math.ceil(pop / 1000)})")
        if rng.random() < 0.55:
            t.add(K.ELDERLY_CARE, f"{name}农村幸福院", geom.x, geom.y, floor_area_m2=float(rng.integers(8, 30) * 10))
        if rng.random() < 0.3:
            t.add(K.EMPLOYMENT_SERVICE_POINT, f"{name}就业服务点", geom.x, geom.y)
    t.gap("HC-13", "county", f"{len(no_tcm)} village clinics", "village clinics without a doctor able to give TCM services")

    df = pd.DataFrame(t.rows)
    for col in CAPACITY_COLUMNS:
        if col not in df:
            df[col] = np.nan
    df.insert(0, "id", [f"F{k + 1:05d}" for k in range(len(df))])
    geometry = shapely.points(df["x"].to_numpy(), df["y"].to_numpy())
    df = df.drop(columns=["x", "y"])
    township = np.full(len(df), "", dtype=object)
    for tid, poly in zip(tw["id"], tw.geometry):
        township[shapely.contains(poly, geometry)] = tid
    df.insert(3, "township_id", township)
    fac = gpd.GeoDataFrame(df[["id", "name", "kind", "township_id", *CAPACITY_COLUMNS]],
                           geometry=geometry, crs=METRIC_EPSG)
    return fac, pd.DataFrame(t.gaps, columns=["rule_id", "area_id", "place", "note"])
