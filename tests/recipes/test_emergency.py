"""emergency_network: fewest posts, unreachable villages explained, budget, candidates."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from planning import InputError, RuleParameterError
from planning.recipes import RECIPES, RecipeOptions
from planning.rules import evaluate


def _county(line_county):
    # road distance = |dx|. County hospital at 0 covers V05 (5 km). V20, V28, V45 are beyond 15 km.
    # The township hospital TH25 (no ambulance) would cover V20 and V28 but not V45 (20 km). The
    # seat of township T2 at 33 km covers all three (13, 5, 12 km): one post. VOFF lies 3 km off
    # the road (beyond the 1,500 m snap limit): no candidate can reach it.
    return line_county(
        villages=[{"id": "V05", "x": 5000, "population": 100}, {"id": "V20", "x": 20000, "population": 200},
                  {"id": "V28", "x": 28000, "population": 300}, {"id": "V45", "x": 45000, "population": 400},
                  {"id": "VOFF", "x": 10000, "y": 3000, "population": 50}],
        facilities=[{"id": "CH", "kind": "county_hospital", "x": 0},
                    {"id": "TH25", "kind": "township_hospital", "x": 25000, "has_ambulance": False}],
        townships=[{"id": "T1", "x0": -1000, "x1": 30000, "seat_x": 0.0},
                   {"id": "T2", "x0": 30000, "x1": 61000, "seat_x": 33000.0}])


def test_fewest_posts_and_rule_after(county_engine):
    county, engine = county_engine
    result = RECIPES["emergency_network"](county, engine=engine)
    a = result.actions
    assert len(a) == 1
    row = a.iloc[0]
    assert (row["action"], row["kind"], row["site_id"]) == ("new", "emergency_station", "EMS-NEW-SEAT-T2")
    assert (row["cost"], row["population_gained"], row["rule_id"]) == (200.0, 900.0, "HC-06")
    assert (row.geometry.x, row.geometry.y) == (33000.0, 0.0)
    assert result.solver["model"] == "LSCP" and result.solver["posts"] == 1 and result.solver["status"] == "optimal"
    un = result.tables["unreachable"]
    assert list(un["village_id"]) == ["VOFF"]
    assert "snap distance 3,000 m > max 1,500 m" in un["reason"].iloc[0]
    after = evaluate(result.county_after, engine=engine, rules=["HC-06"])
    county_row = after[after.level == "county"].iloc[0]
    assert county_row["status"] == "fail" and county_row["failing_population"] == 50.0  # only VOFF
    assert county_row["failing_places"] == "VOFF:VOFF村"
    cov = result.tables["coverage"].set_index("radius_km")
    assert cov.loc[15, "share_before"] == pytest.approx(100 / 1050)
    assert cov.loc[15, "share_after"] == pytest.approx(1000 / 1050)


def test_fewest_posts_prefers_the_cheaper_plan_among_equal_counts(county_engine):
    county, engine = county_engine
    # without the T2 seat (only township hospitals and village seats): V45 needs its own post and
    # V20 + V28 one more; equipping TH25 (120) beats a new station (200) for the second post
    result = RECIPES["emergency_network"](county, engine=engine,
                                          options=RecipeOptions(candidates="villages"))
    assert result.solver["posts"] == 2
    a = result.actions.set_index("site_id")
    assert a.loc["TH25", "action"] == "upgrade" and a.loc["TH25", "kind"] == "township_hospital"
    assert json.loads(a.loc["TH25", "attributes"]) == {"has_ambulance": True}
    assert a.loc["TH25", "cost"] == 120.0 and a.loc["TH25", "population_gained"] == 500.0
    new = a[a["action"] == "new"]
    assert len(new) == 1 and new["population_gained"].iloc[0] == 400.0
    assert result.total_cost == 320.0
    assert bool(result.county_after.facilities.set_index("id").loc["TH25", "has_ambulance"]) is True


def test_budget_gives_best_coverage(county_engine):
    county, engine = county_engine
    result = RECIPES["emergency_network"](county, engine=engine, options=RecipeOptions(budget=150))
    assert result.solver["model"] == "MCLP"
    assert list(result.actions["site_id"]) == ["TH25"] and result.total_cost == 120.0
    assert result.solver["objective"] == 500.0
    result = RECIPES["emergency_network"](county, engine=engine, options=RecipeOptions(budget=250))
    assert list(result.actions["site_id"]) == ["EMS-NEW-SEAT-T2"] and result.solver["objective"] == 900.0


def test_only_township_hospitals_leaves_v45_uncovered(county_engine):
    county, engine = county_engine
    result = RECIPES["emergency_network"](county, engine=engine, options=RecipeOptions(candidates="facilities"))
    assert list(result.actions["site_id"]) == ["TH25"]
    assert list(result.tables["unreachable"]["village_id"]) == ["V45", "VOFF"]
    assert "nearest 20.0 km" in result.tables["unreachable"].set_index("village_id").loc["V45", "reason"]


def test_bad_candidates_keyword(county_engine):
    county, engine = county_engine
    with pytest.raises(InputError, match="candidates 'street_nodes' is not used by this recipe"):
        RECIPES["emergency_network"](county, engine=engine, options=RecipeOptions(candidates="street_nodes"))


def test_radius_parameter_and_determinism(county_engine):
    county, engine = county_engine
    one = RECIPES["emergency_network"](county, engine=engine, rule_params={"HC-06": {"radius_km": 10}})
    two = RECIPES["emergency_network"](county, engine=engine, rule_params={"HC-06": {"radius_km": 10}})
    pd.testing.assert_frame_equal(pd.DataFrame(one.actions), pd.DataFrame(two.actions))
    after = evaluate(one.county_after, engine=engine, params={"HC-06": {"radius_km": 10}}, rules=["HC-06"])
    fail = after[(after.level == "village") & (after.status == "fail")]
    assert list(fail["area_id"]) == list(one.tables["unreachable"]["village_id"])


def test_rule_params(county_engine):
    county, engine = county_engine
    with pytest.raises(RuleParameterError, match="HC-06: unknown parameter 'radius'"):
        RECIPES["emergency_network"](county, engine=engine, rule_params={"HC-06": {"radius": 12}})
    # values a scenario run resolved with override: true (outside 10-20 km) are taken as given
    wide = RECIPES["emergency_network"](county, engine=engine, rule_params={"HC-06": {"radius_km": 30}})
    # within 30 km the county hospital reaches all but V45 (45 km); one post does: TH25 is the cheapest
    assert list(wide.actions["site_id"]) == ["TH25"]
