"""`planning check` on the demo county (data/demo, loaded through planning.io like a real county)."""

from __future__ import annotations

import re

import pandas as pd

from planning.cli import main
from planning.rules import COMPLIANCE_COLUMNS, SUMMARY_COLUMNS


def test_check_demo_county_every_rule(repo_dir, shared_dir, tmp_path, capsys):
    """Through a scenario file: its rule parameters (HC-06 overridden to 25 km) plus --param on top."""
    scenario = tmp_path / "s.yaml"
    scenario.write_text(f"county: {repo_dir / 'data' / 'demo' / 'county.yaml'}\n"
                        "rules:\n  check: all\n  params:\n    HC-06: {radius_km: 25, override: true}\n"
                        "    LC-01: {walk_minutes: 15}\n", encoding="utf-8")
    out = tmp_path / "check"
    code = main(["check", str(scenario), "--out", str(out), "--lang", "en",
                 "--param", "LC-01.walk_minutes=10", "--fail-on-violation"])
    assert code == 1  # the demo county has deliberate gaps
    printed = capsys.readouterr().out
    assert "25 rules" in printed and "compliance.csv" in printed
    compliance = pd.read_csv(out / "compliance.csv", keep_default_na=False, dtype={"area_id": str})
    summary = pd.read_csv(out / "compliance_summary.csv", keep_default_na=False)
    assert list(compliance.columns) == list(COMPLIANCE_COLUMNS)
    assert list(summary.columns) == list(SUMMARY_COLUMNS)
    ids = sorted(set(re.findall(r"^\| ((?:HC|EM|LC|ED|SA)-\d{2}) \|",
                                (shared_dir / "RULES.md").read_text(encoding="utf-8"), flags=re.M)))
    assert sorted(set(compliance["rule_id"])) == ids == sorted(summary["rule_id"])
    # every rule has exactly one county row with a status of the vocabulary
    county = compliance[compliance["level"] == "county"]
    assert sorted(county["rule_id"]) == ids
    assert set(compliance["status"]) <= {"pass", "fail", "not_applicable", "no_data"}
    # the overridden rule is marked modified (25 km is outside 10–20 km); LC-01's 10 min lies inside
    modified = summary.set_index("rule_id")["modified"]
    assert bool(modified["HC-06"]) and not bool(modified["LC-01"]) and int(modified.sum()) == 1
    # documented gaps of the demo county are found: no odd-job market, no central township hospital
    s = summary.set_index("rule_id")
    assert s.at["EM-01", "county_status"] == "fail" and s.at["HC-05", "county_status"] == "fail"
    # the command-line value wins over the scenario's (LC-01 at 10 min)
    assert compliance[compliance.rule_id == "LC-01"]["detail_en"].str.contains("within 10 min walk").any()
    # every deliberate gap of data/demo/gaps.csv is found at its place (HC-01/HC-02 rows only exercise
    # exemptions: they fail only where nothing is within the HC-02 times), and its rule fails county-wide
    gaps = pd.read_csv(repo_dir / "data" / "demo" / "gaps.csv", dtype=str)
    missed = []
    for g in gaps.itertuples():
        if g.rule_id in ("HC-01", "HC-02"):
            continue
        if g.area_id == "county":
            rows = compliance[(compliance.rule_id == g.rule_id) & (compliance.level == "county")]
        else:
            rows = compliance[(compliance.rule_id == g.rule_id) & (compliance.level != "county")
                              & ((compliance.area_id == g.area_id) | (compliance.area_name == g.place))]
        if not (rows["status"] == "fail").any():
            missed.append((g.rule_id, g.area_id, g.place))
    assert missed == []
    assert all(s.at[r, "county_status"] == "fail" for r in gaps["rule_id"].unique())
    # failing places are "id:name" pairs of real villages
    hc11 = compliance[(compliance.rule_id == "HC-11") & (compliance.status == "fail") & (compliance.level == "village")]
    assert (hc11["failing_places"] == hc11["area_id"] + ":" + hc11["area_name"]).all()


def test_check_refuses_out_of_range_before_loading(tmp_path, capsys):
    code = main(["check", str(tmp_path / "missing"), "--out", str(tmp_path / "o"), "--param", "HC-06.radius_km=25"])
    assert code == 2
    err = capsys.readouterr().err
    assert "HC-06.radius_km = 25 km is outside the allowed range [10, 20] km" in err
    assert not (tmp_path / "o").exists()


def test_check_scenario_problems(repo_dir, tmp_path, capsys):
    import yaml

    demo = repo_dir / "data" / "demo"
    manifest = yaml.safe_load((demo / "county.yaml").read_text(encoding="utf-8"))
    for spec in [*manifest["layers"].values(), manifest["roads"], manifest["population"], manifest["dem"]]:
        spec["path"] = str(demo / spec["path"])
    inline = tmp_path / "inline.yaml"
    inline.write_text(yaml.safe_dump({"county": manifest}, allow_unicode=True), encoding="utf-8")
    assert main(["check", str(inline), "--out", str(tmp_path / "o")]) == 2
    assert "inline county manifest is checked by `planning run`" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"county: {repo_dir / 'data' / 'demo' / 'county.yaml'}\nrules:\n  params:\n"
                   "    HC-06: {radius_km: 25}\n", encoding="utf-8")
    assert main(["check", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "radius_km" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
