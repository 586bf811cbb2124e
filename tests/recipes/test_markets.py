"""odd_job_markets: p-median against brute force, 30/60-minute shares, existing markets, layers."""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point

from planning import InfeasibleError
from planning.recipes import RECIPES, RecipeOptions
from planning.rules import evaluate

SEATS = [0.0, 10000.0, 30000.0, 52000.0]
VILLAGES = [(1000, 400, 0.6), (8000, 900, 0.7), (12000, 300, 0.5), (26000, 1200, 0.65), (33000, 500, 0.6),
            (47000, 800, 0.7), (58000, 700, 0.55)]


def _county(line_county, facilities=()):
    return line_county(
        villages=[{"id": f"V{k}", "x": x, "population": p, "share_working_age": s}
                  for k, (x, p, s) in enumerate(VILLAGES)],
        facilities=list(facilities),
        townships=[{"id": f"T{k}", "x0": (SEATS[k - 1] + s) / 2 if k else -1000.0,
                    "x1": (s + SEATS[k + 1]) / 2 if k + 1 < len(SEATS) else 61000.0, "seat_x": s}
                   for k, s in enumerate(SEATS)])


def _brute(p):
    """Least working-age-weighted drive time (2 min per km) over every set of p seats."""
    w = np.array([pop * s for _, pop, s in VILLAGES])
    x = np.array([v[0] for v in VILLAGES], dtype=float)
    best = (np.inf, None)
    for combo in itertools.combinations(range(len(SEATS)), p):
        t = np.min([2.0 * np.abs(x - SEATS[j]) / 1000.0 for j in combo], axis=0)
        best = min(best, (float((w * t).sum()), combo))
    return best


@pytest.mark.parametrize("p", [1, 2, 3])
def test_p_median_equals_brute_force(county_engine, p):
    county, engine = county_engine
    result = RECIPES["odd_job_markets"](county, engine=engine, options=RecipeOptions(p=p))
    objective, combo = _brute(p)
    assert result.solver["objective"] == pytest.approx(objective)
    assert sorted(result.actions["site_id"]) == sorted(f"OJM-NEW-SEAT-T{j}" for j in combo)
    assert result.solver["status"] == "optimal"


def test_default_one_market_and_shares(county_engine):
    county, engine = county_engine
    result = RECIPES["odd_job_markets"](county, engine=engine)
    # one market: seat T2 (30 km), by brute force
    assert _brute(1)[1] == (2,)
    assert list(result.actions["site_id"]) == ["OJM-NEW-SEAT-T2"]
    row = result.actions.iloc[0]
    assert (row["kind"], row["cost"], row["rule_id"]) == ("odd_job_market", 50.0, "EM-01")
    assert row["population_gained"] == sum(v[1] for v in VILLAGES)
    w = np.array([pop * s for _, pop, s in VILLAGES])
    t = np.array([2.0 * abs(x - 30000.0) / 1000.0 for x, _, _ in VILLAGES])  # 58, 44, 36, 8, 6, 34, 56
    access = result.tables["access"].set_index("when")
    assert access.loc["after", "share_within_30_min"] == pytest.approx(w[t <= 30].sum() / w.sum())
    assert access.loc["after", "share_within_60_min"] == pytest.approx(1.0)
    assert access.loc["before", "share_within_60_min"] == 0.0
    cands = result.tables["candidates"]
    assert cands["candidate_id"].iloc[0] == "SEAT-T2" and cands["rank"].tolist() == [1, 2, 3, 4]
    after = evaluate(result.county_after, engine=engine, rules=["EM-01"])
    assert after["status"].iloc[0] == "pass"
    assert "within 30 min drive" in after["detail_en"].iloc[0]


def test_existing_market_means_no_new_one(line_county):
    county = _county(line_county, [{"id": "M1", "kind": "odd_job_market", "x": 26000}])
    result = RECIPES["odd_job_markets"](county)
    assert len(result.actions) == 0
    assert result.tables["sites"]["status"].tolist() == ["existing"]
    # p = 1 more: the best seat given M1 stays open
    more = RECIPES["odd_job_markets"](county, options=RecipeOptions(p=1))
    x = np.array([v[0] for v in VILLAGES], dtype=float)
    w = np.array([pop * s for _, pop, s in VILLAGES])
    totals = [(w * np.minimum(np.abs(x - 26000), np.abs(x - s)) * 2 / 1000).sum() for s in SEATS]
    assert list(more.actions["site_id"]) == [f"OJM-NEW-SEAT-T{int(np.argmin(totals))}"]


def test_candidate_layer(line_county, tmp_path):
    county = _county(line_county)
    layer = gpd.GeoDataFrame({"id": ["A", "B"], "name": ["甲地", "乙地"]},
                             geometry=[Point(20000, 0), Point(40000, 0)], crs=county.crs)
    path = tmp_path / "candidates.gpkg"
    layer.to_file(path, driver="GPKG")
    result = RECIPES["odd_job_markets"](county, options=RecipeOptions(candidates=str(path)))
    w = np.array([pop * s for _, pop, s in VILLAGES])
    x = np.array([v[0] for v in VILLAGES], dtype=float)
    best = min(("A", "B"), key=lambda c: (w * np.abs(x - (20000 if c == "A" else 40000))).sum())
    assert list(result.actions["site_id"]) == [f"OJM-NEW-{best}"]
    assert result.actions["site_name"].iloc[0] == ("甲地" if best == "A" else "乙地") + "零工市场"


def test_budget_below_a_market_is_infeasible(county_engine):
    county, engine = county_engine
    with pytest.raises(InfeasibleError, match="budget 30 is below the cost of the 1 cheapest sites"):
        RECIPES["odd_job_markets"](county, engine=engine, options=RecipeOptions(budget=30))
    ok = RECIPES["odd_job_markets"](county, engine=engine, options=RecipeOptions(budget=50))
    assert ok.total_cost == 50.0
