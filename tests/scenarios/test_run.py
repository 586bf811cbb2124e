"""run_scenario on the tiny county: outputs, atomicity (a failed run leaves no partial output), compare."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from planning.cli import main
from planning.runner import run_scenario


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in directory.iterdir() if p.is_file()}


def test_failed_run_leaves_previous_outputs_and_no_partial_files(tiny_county_dir, tmp_path, monkeypatch):
    out = tmp_path / "out"
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(f"name: tiny\ncounty: {tiny_county_dir}\n"
                        "outputs: {files: [compliance.csv, coverage_by_township.csv], lang: en}\n", encoding="utf-8")
    # rules fail in the tiny county: --fail-on-violation exits 1, outputs are still written
    assert main(["run", str(scenario), "--out", str(out), "--no-progress", "--fail-on-violation"]) == 1
    before = _files(out)
    assert sorted(before) == ["compliance.csv", "coverage_by_township.csv", "run.json"]
    record = json.loads(before["run.json"])
    assert record["scenario"]["name"] == "tiny" and record["outputs"]["lang"] == "en"
    assert set(record["outputs"]["files"]) == {"compliance.csv", "coverage_by_township.csv"}
    assert "county.yaml" in "".join(record["inputs"]) and "roads.osm" in "".join(record["inputs"])

    import planning.reports

    def broken(*args, **kwargs):
        raise KeyboardInterrupt("interrupted while writing the report")

    monkeypatch.setattr(planning.reports, "build_report", broken)
    with pytest.raises(KeyboardInterrupt):
        run_scenario({"county": str(tiny_county_dir), "name": "tiny again", "edits": {"close_facilities": ["F1"]}},
                     out_dir=out, progress=False)
    # compliance.csv, results.gpkg and map.html of the failed run were complete in the staging
    # directory, but nothing was moved into place, and the staging directory is gone
    assert _files(out) == before
    assert [p.name for p in out.iterdir() if p.name.startswith(".tmp")] == []
    fresh = tmp_path / "fresh"
    with pytest.raises(KeyboardInterrupt):
        run_scenario({"county": str(tiny_county_dir)}, out_dir=fresh, progress=False, use_cache=False)
    assert list(fresh.iterdir()) == []


def test_compare_two_tiny_scenarios(tiny_county_dir, tmp_path, capsys):
    a = tmp_path / "a.yaml"
    a.write_text(f"name: 现状\ncounty: {tiny_county_dir}\noutputs: {{files: [compliance.csv]}}\n", encoding="utf-8")
    b = tmp_path / "b.yaml"
    b.write_text("extends: a.yaml\nname: 关闭卫生院\nedits: {close_facilities: [F3]}\n", encoding="utf-8")
    code = main(["compare", str(a), str(b), "--out", str(tmp_path / "cmp"), "--lang", "en", "--no-progress"])
    assert code == 0
    printed = capsys.readouterr().out
    assert printed.startswith("Comparison: 现状  vs  关闭卫生院")
    table = pd.read_csv(tmp_path / "cmp" / "comparison.csv", encoding="utf-8-sig")
    assert len(table) == 25 and set(table["changed"]) <= {True, False}
    # closing 东镇卫生院 leaves 东镇 (T2) without a township hospital: HC-04 passes in A, fails in B
    hc04 = table.set_index("rule_id").loc["HC-04"]
    assert (hc04["final_status_a"], hc04["final_status_b"], bool(hc04["changed"])) == ("pass", "fail", True)
    assert "  HC-04: pass → fail" in printed
    for name in ("comparison.html", "comparison.docx"):
        assert (tmp_path / "cmp" / name).stat().st_size > 1000
    assert (tmp_path / "cmp" / "现状" / "compliance.csv").is_file()
    assert (tmp_path / "cmp" / "关闭卫生院" / "compliance.csv").is_file()
    html = (tmp_path / "cmp" / "comparison.html").read_text(encoding="utf-8")
    assert "现状" in html and "关闭卫生院" in html


def test_inline_county_with_relative_paths(tiny_county_dir, tmp_path):
    import yaml

    manifest = yaml.safe_load(tiny_county_dir.read_text(encoding="utf-8"))
    for spec in manifest["layers"].values():
        spec["path"] = f"tiny/{spec['path']}"
    manifest["roads"]["path"] = "tiny/roads.osm"
    scenario = {"name": "inline", "county": manifest, "rules": {"check": ["HC-04", "EM-01"]},
                "outputs": {"files": ["compliance.csv"], "lang": "en"}}
    path = tmp_path / "inline.yaml"
    path.write_text(yaml.safe_dump(scenario, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = run_scenario(path, out_dir=tmp_path / "out", progress=False)
    table = pd.read_csv(tmp_path / "out" / "compliance.csv", encoding="utf-8-sig")
    assert sorted(set(table["rule_id"])) == ["EM-01", "HC-04"]
    assert result.summary.set_index("rule_id")["county_status"].to_dict() == {"HC-04": "pass", "EM-01": "fail"}
    inputs = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))["inputs"]
    assert sorted(inputs) == ["inline.yaml", "tiny/county.gpkg", "tiny/facilities.csv", "tiny/roads.osm"]
    # a missing inline layer file is named with its line
    manifest["roads"]["path"] = "tiny/absent.osm"
    path.write_text(yaml.safe_dump({**scenario, "county": manifest}, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    from planning import ScenarioError

    with pytest.raises(ScenarioError, match=r"inline.yaml:\d+: county.roads.path: file .*absent.osm not found"):
        run_scenario(path, out_dir=tmp_path / "out2", progress=False)
    assert not (tmp_path / "out2").exists()


def test_recipe_contract_actions_and_after(tiny_county_dir, tmp_path, monkeypatch):
    """The run's recipe wiring, through the documented contract (planning.recipes.base): a small
    recipe that opens an odd-job market at the first village of the most populous township."""
    import geopandas as gpd

    import planning.recipes
    from planning.recipes import RecipeResult, apply_actions, empty_actions

    calls = []

    def odd_job_markets(county, *, engine, rule_params, options):
        calls.append((rule_params["HC-06"]["radius_km"], options.budget, options.candidates))
        pop = county.villages.groupby("township_id")["population"].sum()
        town = pop.idxmax()
        site = county.villages[county.villages["township_id"] == town].iloc[0]
        actions = empty_actions(county.crs)
        row = {"action": "new", "kind": "odd_job_market", "site_id": "NEW-M1", "site_name": f"{site['name']}零工市场",
               "township_id": town, "cost": options.unit_cost("new", "odd_job_market"),
               "population_gained": float(pop.sum()), "rule_id": "EM-01", "reason": "no market in the county",
               "target_id": "", "attributes": ""}
        actions = gpd.GeoDataFrame([row], geometry=[site.geometry], crs=county.crs)
        access = gpd.GeoDataFrame({"village_id": ["V1"], "share_30min": [1.0]}, geometry=[site.geometry],
                                  crs=county.crs)
        return RecipeResult("odd_job_markets", actions, tables={"access": access},
                            solver={"model": "pmedian", "status": "optimal", "objective": 1.0, "bound": 1.0,
                                    "gap": 0.0, "solve_seconds": 0.01},
                            county_after=apply_actions(county, actions))

    def village_clinics(county, *, engine, rule_params, options):
        # no action; the recipe's assignment serves only V1 from F1 (1 doctor is then enough for HC-03)
        assignment = pd.DataFrame({"origin_id": ["V1"], "destination_id": ["F1"]})
        return RecipeResult("village_clinics", empty_actions(county.crs), tables={"assignment": assignment},
                            county_after=county)

    monkeypatch.setattr(planning.recipes, "RECIPES", {"odd_job_markets": odd_job_markets,
                                                      "village_clinics": village_clinics}, raising=False)
    scenario = {"county": str(tiny_county_dir), "rules": {"params": {"HC-06": {"radius_km": 12}}},
                "recipes": {"odd_job_markets": {"budget": 80, "candidates": "villages"},
                            "village_clinics": None, "living_circles": None},
                "outputs": {"files": ["compliance.csv", "compliance_summary.csv", "actions.csv", "results.gpkg"]}}
    result = run_scenario(scenario, out_dir=tmp_path / "out", progress=False)
    assert calls == [(12.0, 80.0, "villages")]
    assert result.recipes["odd_job_markets"]["status"] == "ok"
    assert result.recipes["living_circles"]["status"] == "not_available"
    actions = pd.read_csv(tmp_path / "out" / "actions.csv", encoding="utf-8-sig")
    assert actions[["action", "kind", "site_id", "cost", "rule_id", "recipe"]].values.tolist() == [
        ["new", "odd_job_market", "NEW-M1", 50.0, "EM-01", "odd_job_markets"]]
    assert {"x", "y", "lon", "lat"} <= set(actions.columns)
    access = pd.read_csv(tmp_path / "out" / "tables" / "odd_job_markets__access.csv", encoding="utf-8-sig")
    assert list(access.columns) == ["village_id", "share_30min", "x", "y"] and access["share_30min"].tolist() == [1.0]
    assert sorted(result.recipe_tables) == ["odd_job_markets", "village_clinics"]
    summary = pd.read_csv(tmp_path / "out" / "compliance_summary.csv", encoding="utf-8-sig").set_index("rule_id")
    assert (summary.loc["EM-01", "county_status"], summary.loc["EM-01", "county_status_after"]) == ("fail", "pass")
    # HC-03 after the actions uses the clinic recipe's assignment (nearest-clinic assignment before)
    assert (summary.loc["HC-03", "county_status"], summary.loc["HC-03", "county_status_after"]) == ("fail", "pass")
    after = pd.read_csv(tmp_path / "out" / "compliance_after.csv", encoding="utf-8-sig")
    assert after.loc[after["rule_id"] == "EM-01", "status"].tolist() == ["pass"]
    import pyogrio

    assert "proposed_sites" in {n for n, _ in pyogrio.list_layers(tmp_path / "out" / "results.gpkg")}
    record = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    solver = record["recipes"]["odd_job_markets"]["solver"]
    assert solver == {"model": "pmedian", "status": "optimal", "objective": 1.0, "bound": 1.0, "gap": 0.0}
    assert record["volatile"]["solver_seconds"] == {"odd_job_markets.solver.solve_seconds": 0.01}
    assert "recipe not run: living_circles" in result.text_summary()
    zh = result.text_summary(lang="zh")       # the Chinese summary in Chinese words, ids aside
    assert "配方未运行: 生活圈与健身圈" in zh and "零工市场布点: 1 项, 50 万元, 已证明最优, 最优性间隙 0.00%" in zh
    assert "方案: 1 项 (新建 1)" in zh and "→ 方案后: 达标" in zh


def test_failing_places_are_counted_by_level_in_either_language():
    from planning.runner import _failing_places

    rows = pd.DataFrame({"level": ["village", "village", "village", "community", "facility"],
                         "status": ["fail", "pass", "fail", "fail", "pass"]})
    assert _failing_places(rows, "zh") == "2 个行政村、1 个社区未达标"
    assert _failing_places(rows, "en") == "2 villages, 1 community fail"
    assert _failing_places(rows.iloc[3:], "en") == "1 community fails"
