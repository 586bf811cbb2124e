"""living_circles: fitness (LC-02) and per-category (LC-01) covers by walking, p, unreachable."""

from __future__ import annotations

import pytest

from planning import InputError
from planning.recipes import RECIPES, RecipeOptions
from planning.recipes.circles import CATEGORY_KIND
from planning.rules import evaluate

# every LC-01 category but "market" exists at 0 m and at 10 km; walking 13⅓ min per km, so the
# 15-minute circle reaches 1,125 m: C0 and C1 (500 m apart) can share a site, C2 needs its own.
HAVE = ["elderly_care", "childcare", "village_clinic", "emergency_station", "housekeeping", "meal_assistance",
        "community_service_centre"]


def _county(line_county, extra_communities=()):
    facilities = [{"id": f"{k}-{x}", "kind": k, "x": x} for x in (0, 10000) for k in HAVE]
    communities = [{"id": "C0", "x": 0, "population": 100}, {"id": "C1", "x": 500, "population": 150},
                   {"id": "C2", "x": 10000, "population": 300}, *extra_communities]
    return line_county(villages=[{"id": "V1", "x": 30000}], facilities=facilities, communities=communities,
                       length_m=30000.0)


def test_fewest_sites_per_category_and_rules_after(county_engine):
    county, engine = county_engine
    before = evaluate(county, engine=engine, rules=["LC-01", "LC-02"])
    assert (before[before.level == "county"]["failing_population"] == 550).all()
    result = RECIPES["living_circles"](county, engine=engine)
    a = result.actions
    assert sorted(a["kind"]) == ["fitness_facility", "fitness_facility", "market", "market"]
    assert sorted(a.loc[a["kind"] == "market", "population_gained"]) == [250.0, 300.0]
    assert set(a.loc[a["kind"] == "fitness_facility", "rule_id"]) == {"LC-02"}
    assert set(a.loc[a["kind"] == "market", "rule_id"]) == {"LC-01"}
    assert result.total_cost == 2 * 20.0 + 2 * 40.0
    assert all(sid.startswith(("FIT-NEW-NODE-", "MAR-NEW-NODE-")) for sid in a["site_id"])
    models = result.tables["models"].set_index("category")
    assert models.loc["fitness", "sites"] == 2 and models.loc["market", "communities_lacking"] == 3
    assert models.loc["childcare", "communities_lacking"] == 0 and models.loc["childcare", "sites"] == 0
    assert [s["category"] for s in result.solver["solves"]] == ["fitness", "market"]
    after = evaluate(result.county_after, engine=engine, rules=["LC-01", "LC-02"])
    county_rows = after[after.level == "county"]
    assert (county_rows["status"] == "pass").all() and (county_rows["failing_population"] == 0).all()


def test_p_sites_cover_the_most_residents(county_engine):
    county, engine = county_engine
    result = RECIPES["living_circles"](county, engine=engine, options=RecipeOptions(p=1))
    a = result.actions
    assert len(a) == 2 and sorted(a["population_gained"]) == [300.0, 300.0]  # C2 (300) beats C0 + C1 (250)
    assert {s["model"] for s in result.solver["solves"]} == {"MCLP"}
    for x in a.geometry.x:
        assert abs(x - 10000) <= 1000


def test_one_budget_for_all_categories(county_engine):
    county, engine = county_engine
    # 60 万元: a fitness site (20) and a market (40) both at C2 cover 300 + 300 = 600, more than
    # two fitness sites (550) or a market at C0/C1 with a fitness site (250 + 300)
    result = RECIPES["living_circles"](county, engine=engine, options=RecipeOptions(budget=60))
    a = result.actions
    assert sorted(a["kind"]) == ["fitness_facility", "market"] and result.total_cost == 60.0
    assert a["population_gained"].tolist() == [300.0, 300.0]
    assert [s["category"] for s in result.solver["solves"]] == ["all (one budget)"]
    assert result.solver["objective"] == 600.0


def test_unreachable_communities_are_listed(line_county):
    county = _county(line_county, [{"id": "COFF", "x": 20000, "y": 3000, "population": 80}])
    result = RECIPES["living_circles"](county)
    un = result.tables["unreachable"]
    assert set(un["community_id"]) == {"COFF"}
    assert len(un) == 1 + len(CATEGORY_KIND)  # fitness and every category
    after = evaluate(result.county_after, rules=["LC-02"])
    assert after[after.level == "county"]["failing_population"].iloc[0] == 80.0


def test_no_communities_is_an_input_error(line_county):
    county = line_county(villages=[{"id": "V1", "x": 0}])
    with pytest.raises(InputError, match="no residential communities layer"):
        RECIPES["living_circles"](county)
