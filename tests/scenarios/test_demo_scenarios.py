"""The scenario files of scenarios/: valid, and the what-if edits fit the demo county."""

from __future__ import annotations

import pytest

from planning.scenarios import load_scenario
from planning.scenarios.edits import apply_edits


@pytest.mark.parametrize("name", ["demo.yaml", "demo_budget_low.yaml", "demo_new_road.yaml"])
def test_scenario_files_are_valid(repo_dir, name):
    s = load_scenario(repo_dir / "scenarios" / name)
    assert s.county == str((repo_dir / "data" / "demo" / "county.yaml").resolve())
    assert s.rules.check == "all"
    assert list(s.recipe_options()) == ["village_clinics", "central_township_hospitals", "emergency_network",
                                        "odd_job_markets", "living_circles"]


def test_budget_low_overrides_only_budgets(repo_dir):
    base = load_scenario(repo_dir / "scenarios" / "demo.yaml")
    low = load_scenario(repo_dir / "scenarios" / "demo_budget_low.yaml")
    assert low.recipes["village_clinics"].budget == 150
    assert low.recipes["village_clinics"].time_limit_s == base.recipes["village_clinics"].time_limit_s == 60
    assert low.recipes["odd_job_markets"] == base.recipes["odd_job_markets"]
    assert low.recipes["emergency_network"].candidates == base.recipes["emergency_network"].candidates == "villages"
    assert low.travel == base.travel and low.outputs == base.outputs


def test_new_road_joins_and_shortens_the_trip(repo_dir):
    from planning.demo import load
    from planning.network.engine import TravelEngine

    s = load_scenario(repo_dir / "scenarios" / "demo_new_road.yaml")
    county = load()
    edited, log = apply_edits(county, s.edits, marks=s.marks)
    road = log[0]
    assert road["edit"] == "new_road" and len(road["joins_nodes"]) == 2 and 10_000 < road["length_m"] < 14_000
    assert [e["population_after"] / e["population_before"] for e in log[1:]] == pytest.approx([1.05] * 3, abs=1e-4)
    villages = county.villages[county.villages["township_id"] == "149901202"]
    hospital = county.facilities[county.facilities["id"] == "F00178"]
    before = TravelEngine.from_county(county, settings=s.settings()).nearest(villages, hospital, mode="drive")
    after = TravelEngine.from_county(edited, settings=s.settings()).nearest(villages, hospital, mode="drive")
    assert after["travel_time_min"].mean() < 0.5 * before["travel_time_min"].mean()
