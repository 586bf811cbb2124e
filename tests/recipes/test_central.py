"""central_township_hospitals: the residual-demand MCLP, eligibility by distance, HC-05 after."""

from __future__ import annotations

import json

import pytest

from planning import InfeasibleError, InputError
from planning.recipes import RECIPES, RecipeOptions
from planning.rules import evaluate


def _county(line_county):
    # County seat and hospital at 0; radius 15 km. Residual demand (beyond 15 km of the county
    # hospital): V25 1,000, V35 500, V50 800, V65 300. THA (12 km) is too close to the seat;
    # THB (30 km) covers V25 + V35 = 1,500; THC (45 km) covers V35 + V50 = 1,300; THD (60 km)
    # covers V50 + V65 = 1,100. Best single: THB; best pair: THB + THD (all 2,600); a third adds nobody.
    return line_county(
        villages=[{"id": "V05", "x": 5000, "population": 3000}, {"id": "V25", "x": 25000, "population": 1000},
                  {"id": "V35", "x": 35000, "population": 500}, {"id": "V50", "x": 50000, "population": 800},
                  {"id": "V65", "x": 65000, "population": 300}],
        facilities=[{"id": "CH", "kind": "county_hospital", "x": 0, "beds": 300},
                    {"id": "THA", "kind": "township_hospital", "x": 12000, "beds": 90},
                    {"id": "THB", "kind": "township_hospital", "x": 30000, "beds": 40},
                    {"id": "THC", "kind": "township_hospital", "x": 45000, "beds": 30},
                    {"id": "THD", "kind": "township_hospital", "x": 60000, "beds": 20}],
        length_m=70000.0)


def test_default_chooses_the_pair_covering_everyone(county_engine):
    county, engine = county_engine
    result = RECIPES["central_township_hospitals"](county, engine=engine)
    a = result.actions.set_index("site_id")
    assert sorted(a.index) == ["THB", "THD"]
    assert (a["action"] == "upgrade").all() and (a["kind"] == "central_township_hospital").all()
    assert a.loc["THB", "population_gained"] == 1500.0 and a.loc["THD", "population_gained"] == 1100.0
    assert json.loads(a.loc["THB", "attributes"]) == {"grade": 2}
    assert result.total_cost == 1600.0
    scores = result.tables["scores"].set_index("id")
    assert not scores.loc["THA", "eligible"] and scores.loc["THB", "eligible"]
    assert scores.loc["THB", "distance_to_seat_km"] == pytest.approx(30.0)
    assert scores.loc["THC", "residual_population_within_radius"] == 1300.0
    assert result.solver["population_covered"] == 2600.0 and result.solver["residual_population"] == 2600.0
    after = evaluate(result.county_after, engine=engine, rules=["HC-04", "HC-05"])
    hc05 = after[(after.rule_id == "HC-05") & (after.level == "county")].iloc[0]
    assert hc05["status"] == "pass" and hc05["value"] == 2


def test_p_one_and_budget(county_engine):
    county, engine = county_engine
    one = RECIPES["central_township_hospitals"](county, engine=engine, options=RecipeOptions(p=1))
    assert list(one.actions["site_id"]) == ["THB"]
    cheap = RECIPES["central_township_hospitals"](county, engine=engine, options=RecipeOptions(budget=900))
    assert list(cheap.actions["site_id"]) == ["THB"]


def test_min_distance_and_errors(county_engine):
    county, engine = county_engine
    far = RECIPES["central_township_hospitals"](county, engine=engine, options=RecipeOptions(p=1),
                                                min_seat_distance_km=40)
    assert list(far.actions["site_id"]) == ["THC"]  # THB (30 km) is no longer eligible
    with pytest.raises(InfeasibleError, match=r"no township hospital lies 100 km or more .*THD:THD 60\.0 km"):
        RECIPES["central_township_hospitals"](county, engine=engine, min_seat_distance_km=100)
    with pytest.raises(InputError, match="p = 4 but HC-05 allows at most 3"):
        RECIPES["central_township_hospitals"](county, engine=engine, options=RecipeOptions(p=4))


def test_no_township_hospital(line_county):
    county = line_county(villages=[{"id": "V1", "x": 30000}], facilities=[{"id": "CH", "kind": "county_hospital", "x": 0}])
    with pytest.raises(InfeasibleError, match="the county has no township hospital"):
        RECIPES["central_township_hospitals"](county)
