"""End to end: `planning run scenarios/demo.yaml` (fresh), then again from the travel cache
(without map and report, which only read the same tables), compared byte for byte.

One session-scoped pair of runs is shared by every test here (the demo run is the slow part).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pyogrio
import pytest

from planning.cli import main
from planning.rules import load_catalog
from planning.scenarios.model import OUTPUT_FILES


@pytest.fixture(scope="session")
def demo_runs(tmp_path_factory, repo_dir) -> tuple[Path, Path, str]:
    """Run the demo scenario into a/ (fresh cache) and b/ (same cache, tables only) through the CLI."""
    import contextlib
    import io

    base = tmp_path_factory.mktemp("demo_run")
    scenario = str(repo_dir / "scenarios" / "demo.yaml")
    cache = str(base / "cache")
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert main(["run", scenario, "--out", str(base / "a"), "--no-progress", "--cache-dir", cache]) == 0
    tables_only = base / "tables_only.yaml"
    tables_only.write_text(f"extends: {scenario}\noutputs:\n  files: [compliance.csv, compliance_summary.csv, "
                           "actions.csv, coverage_by_township.csv, results.gpkg]\n", encoding="utf-8")
    assert main(["run", str(tables_only), "--out", str(base / "b"), "--no-progress", "--cache-dir", cache]) == 0
    return base / "a", base / "b", buffer.getvalue()


def test_every_output_written(demo_runs):
    a, _, printed = demo_runs
    for name in OUTPUT_FILES:
        assert (a / name).is_file() and (a / name).stat().st_size > 0, name
    assert [p.name for p in a.iterdir() if p.name.startswith(".tmp")] == []
    # one-screen summary: rules, actions, where the map and report are
    assert printed.startswith("情景: 示范县现状评估与规划\n规则 25 条:")
    assert f"地图: {a / 'map.html'}" in printed
    assert f"报告 (Word): {a / 'report.docx'}" in printed
    assert len(printed.splitlines()) < 60


def test_summary_names_the_failing_places_by_level(demo_runs):
    a, _, printed = demo_runs
    lines = {line.split(":")[0].strip(): line for line in printed.splitlines() if line.startswith("  ")}
    compliance = pd.read_csv(a / "compliance.csv", encoding="utf-8-sig", dtype={"area_id": str})
    fails = compliance[(compliance["status"] == "fail") & ~compliance["level"].isin(["township", "county"])]
    n = fails.groupby(["rule_id", "level"]).size()
    # a staffing rule fails at facilities, which have no residents of their own: no population
    assert lines["HC-13"].startswith(f"  HC-13: {n['HC-13', 'facility']} 个设施未达标 → 方案后:")
    assert lines["HC-01"].startswith(f"  HC-01: {n['HC-01', 'village']} 个行政村未达标, 涉及人口 ")
    assert lines["EM-02"].startswith(f"  EM-02: {n['EM-02', 'village']} 个行政村、{n['EM-02', 'community']} 个社区未达标")
    # a county rule counts its county row
    assert lines["EM-01"].startswith("  EM-01: 1 个县未达标, 涉及人口 400,000")


def test_compliance_has_every_rule(demo_runs):
    a, _, _ = demo_runs
    table = pd.read_csv(a / "compliance.csv", encoding="utf-8-sig", dtype={"area_id": str})
    assert list(dict.fromkeys(table["rule_id"])) == list(load_catalog().ids)
    assert set(table["status"]) <= {"pass", "fail", "not_applicable", "no_data"}
    summary = pd.read_csv(a / "compliance_summary.csv", encoding="utf-8-sig")
    assert len(summary) == 25
    # deliberate gaps of the demo county (data/README.md) are found
    status = summary.set_index("rule_id")["county_status"]
    assert status["EM-01"] == "fail" and status["HC-04"] == "fail" and status["HC-05"] == "fail"


def test_thresholds_are_numbers_the_report_can_say_in_either_language(demo_runs):
    # the Chinese report prints each threshold with its unit (≥ 2 级, ≥ 100.0%): no English words inside
    table = pd.read_csv(demo_runs[0] / "compliance.csv", encoding="utf-8-sig", dtype={"threshold": str})
    thresholds = set(table["threshold"].dropna())
    words = sorted(t for t in thresholds if not re.fullmatch(r"([≥≤<>=] )?\d+(\.\d+)?|\d+–\d+", t))
    assert words == [], words


def test_chinese_report_speaks_chinese(demo_runs):
    # planners read it: no English words beside ids (HC-01, ELD-NEW-NODE-2737) and model acronyms
    html = (demo_runs[0] / "report.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<(style|script)\b.*?</\1>|<img[^>]*>", " ", html, flags=re.S))
    text = re.sub(r"\b[A-Z]{2,}(?:-[A-Z0-9]+)+\b|\b(?:LSCP|MCLP|PMedian|HiGHS)\b", " ", text)
    english = sorted(set(re.findall(r"[A-Za-z]{3,}", text)))
    assert english == [], english


def test_township_rule_table_has_a_mark_in_every_cell(demo_runs):
    # towns without communities have no row for the community rules (LC-01...): shown as — (不适用)
    html = (demo_runs[0] / "report.html").read_text(encoding="utf-8")
    table = re.search(r'id="table-township_rules">(.*?)</table>', html, flags=re.S).group(1)
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", tr) for tr in re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)]
    rows = [r for r in rows if r]  # the header row has <th> cells
    assert len(rows) == 23
    assert all(set(r[1:]) <= {"✓", "✗", "—", "?"} and len(r) == len(rows[0]) for r in rows), rows
    assert any("—" in r[1:] for r in rows)


def test_chinese_map_popups_speak_chinese(demo_runs):
    html = (demo_runs[0] / "map.html").read_text(encoding="utf-8")
    texts = [json.loads(f'"{t}"') for t in re.findall(r'"(?:popup|tooltip)":\s*"((?:[^"\\]|\\.)*)"', html)]
    assert len(texts) > 1000
    english = set()
    for text in texts:
        text = re.sub(r"\b[A-Z]{2,}(?:-[A-Z0-9]+)+\b", " ", re.sub(r"<[^>]+>", " ", text))
        english |= set(re.findall(r"[A-Za-z]{3,}", text))
    assert sorted(english) == [], sorted(english)


def test_compliance_has_every_rule_of_rules_md(demo_runs, shared_dir):
    text = (shared_dir / "RULES.md").read_text(encoding="utf-8")
    ids = sorted(set(re.findall(r"^\| ((?:HC|EM|LC|ED|SA)-\d\d) \|", text, flags=re.M)))
    assert len(ids) == 25
    table = pd.read_csv(demo_runs[0] / "compliance.csv", encoding="utf-8-sig")
    assert sorted(set(table["rule_id"])) == ids


def test_geopackage_layers_open_with_pyogrio(demo_runs):
    path = demo_runs[0] / "results.gpkg"
    layers = {name for name, _ in pyogrio.list_layers(path)}
    assert {"villages", "facilities", "townships", "service_areas"} <= layers
    villages = pyogrio.read_dataframe(path, layer="villages")
    assert len(villages) == 496 and villages.crs.to_epsg() == 4546
    assert {"village_clinic_time_min", "emergency_distance_m", "status", "status_HC-01"} <= set(villages.columns)
    assert villages["village_clinic_time_min"].notna().mean() > 0.9
    assert set(villages["status"]) <= {"pass", "fail", "not_applicable", "no_data"}
    areas = pyogrio.read_dataframe(path, layer="service_areas")
    assert set(areas["break"]) == {5.0, 10.0, 15.0} and areas.geometry.area.min() > 0
    towns = pyogrio.read_dataframe(path, layer="townships")
    assert len(towns) == 23 and "rules_failed" in towns.columns


def test_docx_opens_and_has_rule_table(demo_runs):
    import docx

    document = docx.Document(str(demo_runs[0] / "report.docx"))
    ids = set(load_catalog().ids)
    found = [t for t in document.tables if ids <= {c.text.strip() for row in t.rows for c in row.cells}]
    assert found, "no table of the report lists every rule id"


def test_two_runs_identical_and_second_from_cache(demo_runs):
    a, b, _ = demo_runs
    for name in ("compliance.csv", "compliance_summary.csv", "actions.csv", "coverage_by_township.csv",
                 "results.gpkg"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    ra = json.loads((a / "run.json").read_text(encoding="utf-8"))
    rb = json.loads((b / "run.json").read_text(encoding="utf-8"))
    va, vb = ra.pop("volatile"), rb.pop("volatile")
    files_a, files_b = ra.pop("outputs")["files"], rb.pop("outputs")["files"]
    assert files_b == {k: v for k, v in files_a.items() if k in files_b} and "results.gpkg" in files_b
    for r in (ra, rb):  # the second scenario file extends the first: name and fingerprint are its own
        r.pop("scenario")
        r["inputs"] = {k: v for k, v in r["inputs"].items() if not k.endswith((".yaml", "tables_only.yaml"))
                       or k.endswith("county.yaml")}
    assert ra == rb  # everything else is identical
    # the second run makes the same travel calls, every one from the cache
    assert va["cache_misses"] > 0 and vb["cache_misses"] == 0
    assert vb["cache_hits"] == va["cache_hits"] + va["cache_misses"]
    assert "county.yaml" in " ".join(ra["inputs"]) and len(ra["travel_cache_key"]) == 64
    assert files_a["compliance.csv"] == __import__("hashlib").sha256((a / "compliance.csv").read_bytes()).hexdigest()
