"""Every recipe on the demo county: the targeted rules pass after its actions (where it claims so)."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd
import pytest
from scipy.spatial import cKDTree

from planning.models import LSCP
from planning.network.engine import TravelEngine
from planning.recipes import ACTION_COLUMNS, RECIPES, RecipeOptions
from planning.rules import evaluate

TARGETS = {
    "village_clinics": ["HC-01", "HC-02", "HC-03"],
    "central_township_hospitals": ["HC-05"],
    "emergency_network": ["HC-06"],
    "odd_job_markets": ["EM-01"],
    "living_circles": ["LC-01", "LC-02"],
}


@pytest.fixture(scope="module")
def demo():
    from planning import demo as demo_module

    county = demo_module.load()
    return county, TravelEngine.from_county(county)


@pytest.fixture(scope="module")
def results(demo):
    county, engine = demo
    return {name: fn(county, engine=engine) for name, fn in RECIPES.items()}


def _county_rows(county, engine, rules, **kwargs):
    table = evaluate(county, engine=engine, rules=rules, **kwargs)
    return table[table.level == "county"].set_index("rule_id")


def test_targeted_rules_fail_before(demo):
    county, engine = demo
    before = _county_rows(county, engine, sorted({r for rs in TARGETS.values() for r in rs}))
    assert (before["status"] == "fail").all(), before[["status"]]


@pytest.mark.parametrize("name", list(RECIPES))
def test_contract(results, demo, name):
    county, _ = demo
    result = results[name]
    assert result.name == name
    a = result.actions
    assert list(a.columns[:len(ACTION_COLUMNS)]) == list(ACTION_COLUMNS) and a.crs == county.crs
    assert len(a) and (a["cost"] >= 0).all() and set(a["rule_id"]) <= set(TARGETS[name])
    assert a["site_id"].is_unique
    for key in ("model", "status", "objective", "bound", "gap", "solve_seconds"):
        assert key in result.solver
    assert result.solver["status"] == "optimal"
    json.dumps(result.solver)  # goes into run.json
    for attrs in a["attributes"]:
        json.loads(attrs or "{}")
    # every action says why in both languages; the Chinese one in Chinese, naming places not ids
    assert (a["reason"].str.len() > 0).all()
    for zh in a["reason_zh"]:
        assert re.search(r"[\u4e00-\u9fff]{4}", zh) and not re.search(r"[A-Za-z]{3}", zh), zh


def test_clinics_rules_pass_after(results, demo):
    county, engine = demo
    r = results["village_clinics"]
    after = _county_rows(r.county_after, engine, TARGETS["village_clinics"], assignment=r.tables["assignment"])
    assert (after["status"] == "pass").all() and after["failing_population"].sum() == 0
    clinics = r.tables["clinics"]
    assert (clinics["doctors_needed"] >= 1).all()
    expected = [max(1, math.ceil(p / 1000 - 1e-9)) for p in clinics["population"]]  # HC-03
    assert clinics["doctors_needed"].tolist() == expected
    assert (clinics["doctors_present"].fillna(0) + clinics["doctors_redeployed"] + clinics["doctors_hired"]
            >= clinics["doctors_needed"]).all()


def test_central_rule_passes_after(results, demo):
    county, engine = demo
    r = results["central_township_hospitals"]
    assert 1 <= len(r.actions) <= 3
    assert (r.tables["scores"].set_index("id").loc[r.actions["site_id"], "distance_to_seat_km"] >= 20).all()
    after = _county_rows(r.county_after, engine, TARGETS["central_township_hospitals"])
    assert after.loc["HC-05", "status"] == "pass"


def test_emergency_leaves_only_unreachable_villages(results, demo):
    county, engine = demo
    r = results["emergency_network"]
    after = _county_rows(r.county_after, engine, TARGETS["emergency_network"])
    unreachable = r.tables["unreachable"]
    assert after.loc["HC-06", "failing_population"] == unreachable["population"].sum()
    failing = {p.split(":")[0] for p in after.loc["HC-06", "failing_places"].split("; ") if p}
    assert failing == set(unreachable["village_id"])
    assert unreachable["reason"].str.contains("snap distance").all()


def test_market_and_circles_pass_after(results, demo):
    county, engine = demo
    r = results["odd_job_markets"]
    assert len(r.actions) == 1
    assert _county_rows(r.county_after, engine, ["EM-01"]).loc["EM-01", "status"] == "pass"
    r = results["living_circles"]
    assert r.tables["unreachable"].empty
    after = _county_rows(r.county_after, engine, TARGETS["living_circles"])
    assert (after["status"] == "pass").all() and after["failing_population"].sum() == 0


def test_clinics_equal_lscp_when_doctors_are_free(demo):
    """With free doctors the clinic model is a set cover: new clinics (30 each) so that every
    non-exempt rural village has its own clinic or one it may use; planning.models.LSCP agrees."""
    county, engine = demo
    result = RECIPES["village_clinics"](county, engine=engine, options=RecipeOptions(costs={"upgrade:village_doctor": 0}))
    v = county.villages[~county.villages["urban"].astype(bool)].reset_index(drop=True)
    f = county.facilities
    clinics = f[f["kind"] == "village_clinic"].reset_index(drop=True)
    hosp = f[f["kind"].isin(["township_hospital", "central_township_hospital"])]
    _, owner_idx = cKDTree(np.column_stack([county.villages.geometry.x, county.villages.geometry.y])).query(
        np.column_stack([clinics.geometry.x, clinics.geometry.y]))
    owner = set(county.villages["id"].iloc[owner_idx])
    seats = v[~v["id"].isin(owner)].assign(id=lambda d: "NEW-" + d["id"])
    sites = pd.concat([clinics[["id", "geometry"]], seats[["id", "geometry"]]], ignore_index=True)
    od = engine.od(v[["id", "geometry"]], sites, mode="drive", cutoff=30.001)
    t = od.pivot(index="origin_id", columns="destination_id", values="travel_time_min").reindex(
        index=v["id"], columns=sites["id"]).to_numpy()
    th = engine.nearest(v[["id", "geometry"]], hosp[["id", "geometry"]], mode="drive").set_index("origin_id")
    t_th = th["travel_time_min"].reindex(v["id"]).to_numpy()
    small = (v["population"] < 200).to_numpy()
    with np.errstate(invalid="ignore"):
        allowed = (t <= 15 + 1e-9) | (small[:, None] & (t <= 30 + 1e-9))
        exempt = (t_th <= 10 + 1e-9) | (small & (t_th <= 30 + 1e-9))
    own = {vid: j for j, vid in enumerate(county.villages["id"].iloc[owner_idx])}
    for i, vid in enumerate(v["id"]):
        if vid in own:
            allowed[i, own[vid]] = True
        if "NEW-" + vid in set(seats["id"]):
            allowed[i, len(clinics) + list(seats["id"]).index("NEW-" + vid)] = True
    need = ~exempt
    cost = np.where(allowed[need], 0.0, np.inf)
    model = LSCP.from_cost_matrix(cost, candidate_ids=list(sites["id"]), threshold=0.0,
                                  fixed=list(clinics["id"]), site_cost=[0.0] * len(clinics) + [1.0] * len(seats)).solve()
    assert model.status_ == "optimal" and model.objective_ >= 1
    assert result.total_cost == 30.0 * model.objective_


@pytest.mark.parametrize("name", list(RECIPES))
def test_two_threads_same_optimum(results, demo, name):
    """threads=2 (HiGHS's parallel tree search) reaches the same optimum as the default single thread."""
    county, engine = demo
    two = RECIPES[name](county, engine=engine, options=RecipeOptions(threads=2))
    one = results[name]
    assert two.solver["status"] == "optimal"
    assert two.solver["objective"] == pytest.approx(one.solver["objective"], rel=1e-9, abs=1e-6)
    assert two.actions["cost"].sum() == pytest.approx(one.actions["cost"].sum())
