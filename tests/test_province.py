"""Province runs on a real Dask LocalCluster: small counties written to disk, one broken."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from planning import InputError
from planning.province import run_province


@pytest.fixture(scope="module")
def counties(tmp_path_factory):
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("scenario_conftest", Path(__file__).parent / "scenarios" / "conftest.py")
    helpers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(helpers)  # type: ignore[union-attr]
    base = tmp_path_factory.mktemp("province")
    a = helpers.write_tiny_county(base / "a", county_id="149991", name="甲县", odd_job_market=True)
    b = helpers.write_tiny_county(base / "b", county_id="149992", name="乙县", shift_x=10_000)
    c = helpers.write_tiny_county(base / "c", county_id="149993", name="丙县", shift_x=20_000)
    # county c is broken: a village names a township that does not exist
    import geopandas as gpd

    villages = gpd.read_file(base / "c" / "county.gpkg", layer="villages")
    villages.loc[0, "township_id"] = "T9"
    villages.to_file(base / "c" / "county.gpkg", layer="villages", driver="GPKG")
    return [a, b, c]


def test_province_on_local_cluster(counties, tmp_path):
    scenario = tmp_path / "province.yaml"
    scenario.write_text("rules:\n  check: [EM-01, HC-04, HC-06]\n  params: {HC-06: {radius_km: 10}}\n",
                        encoding="utf-8")
    result = run_province(counties, scenario=scenario, n_workers=2, processes=False, out_dir=tmp_path / "out",
                          cache_dir=tmp_path / "cache", progress=False)
    c = result.counties
    assert c["county_id"].tolist() == ["149991", "149992", "c"]  # input order; c's id unknown (not loaded)
    assert c["status"].tolist() == ["ok", "ok", "error"]
    assert "T9" in c.loc[2, "error"]
    assert c["odd_job_market"].tolist() == ["yes", "no", "no_data"]
    assert result.without_odd_job_market == [("149992", "乙县")]
    s = result.summary.set_index("rule_id")
    assert list(s.index) == ["HC-04", "HC-06", "EM-01"]  # catalog order
    em = s.loc["EM-01"]
    assert (em["counties"], em["counties_pass"], em["counties_fail"], em["counties_no_data"]) == (3, 1, 1, 1)
    assert em["failing_counties"] == "149992:乙县"
    assert em["failing_population"] == 2001.0  # 乙县's population (county row of EM-01)
    hc04 = s.loc["HC-04"]
    assert (hc04["counties_pass"], hc04["counties_no_data"]) == (2, 1)
    # compliance of the loaded counties, with county columns in front
    comp = result.compliance
    assert list(comp.columns[:3]) == ["county_id", "county_name", "rule_id"]
    assert set(comp["county_id"]) == {"149991", "149992"} and set(comp["rule_id"]) == {"EM-01", "HC-04", "HC-06"}
    # files written atomically
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "province.json", "province_compliance.csv", "province_counties.csv", "province_summary.csv"]
    doc = json.loads((tmp_path / "out" / "province.json").read_text(encoding="utf-8"))
    assert doc["counties"] == 3 and doc["counties_loaded"] == 2
    assert doc["without_odd_job_market"] == [{"county_id": "149992", "name": "乙县"}]
    back = pd.read_csv(tmp_path / "out" / "province_summary.csv", encoding="utf-8-sig")
    assert back["rule_id"].tolist() == ["HC-04", "HC-06", "EM-01"]
    assert "甲县" not in result.text_summary().split("odd-job market")[1]
    # a re-run from the travel cache gives the same tables
    again = run_province(counties[:2], scenario=scenario, n_workers=2, processes=False, cache_dir=tmp_path / "cache",
                         progress=False)
    assert any((tmp_path / "cache").rglob("meta.json"))
    pd.testing.assert_frame_equal(again.compliance, comp)


def test_province_bad_input(tmp_path):
    with pytest.raises(InputError) as info:
        run_province([tmp_path / "nowhere", tmp_path], n_workers=0)
    text = str(info.value)
    assert "county 1:" in text and "county 2:" in text and "n_workers must be >= 1" in text
    with pytest.raises(InputError, match="no county given"):
        run_province([])


def test_province_with_recipes(counties, tmp_path, monkeypatch):
    """run_recipes=True: the scenario's recipes run in each county task (documented recipe contract)."""
    import geopandas as gpd

    import planning.recipes
    from planning.recipes import RecipeResult, apply_actions

    def odd_job_markets(county, *, engine, rule_params, options):
        site = county.villages.iloc[0]
        row = {"action": "new", "kind": "odd_job_market", "site_id": "NEW-M1", "site_name": "新零工市场",
               "township_id": site["township_id"], "cost": 50.0, "population_gained": 0.0, "rule_id": "EM-01",
               "reason": "", "target_id": "", "attributes": ""}
        actions = gpd.GeoDataFrame([row], geometry=[site.geometry], crs=county.crs)
        return RecipeResult("odd_job_markets", actions, county_after=apply_actions(county, actions))

    monkeypatch.setattr(planning.recipes, "RECIPES", {"odd_job_markets": odd_job_markets}, raising=False)
    result = run_province(counties[1:2], scenario={"rules": {"check": ["EM-01"]}, "recipes": {"odd_job_markets": {}}},
                          run_recipes=True, n_workers=1, processes=False, progress=False)
    row = result.counties.iloc[0]
    assert (row["status"], row["actions"], row["cost"], row["odd_job_market"]) == ("ok", 1, 50.0, "yes")
    assert result.without_odd_job_market == []
