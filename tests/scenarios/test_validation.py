"""Scenario validation: every kind of bad scenario gives its clear error, with file, key path and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from planning import InputError, ScenarioError
from planning.scenarios import load_scenario, read_scenario_yaml


@pytest.fixture
def county_yaml(tmp_path: Path) -> Path:
    """A county manifest that exists (validation checks the path only; it is never loaded here)."""
    d = tmp_path / "county"
    d.mkdir()
    (d / "county.yaml").write_text("county_id: '149999'\n", encoding="utf-8")
    return d / "county.yaml"


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value.problems


def test_valid_minimal_scenario_defaults(tmp_path, county_yaml):
    path = write(tmp_path, "county: county/county.yaml\n")
    s = load_scenario(path)
    assert s.county == str(county_yaml.resolve())
    assert s.name == "s"  # file stem
    assert s.rules.check == "all" and s.recipes == {} and s.edits.empty
    assert s.outputs.lang == "zh" and s.outputs.map.offline is True
    assert s.travel.walk_speed_kph == 4.5
    assert s.outputs.wanted()[-1] == "run.json"


def test_unknown_keys_named_with_lines_and_allowed(tmp_path, county_yaml):
    path = write(tmp_path, "county: county/county.yaml\n"      # 1
                           "travel:\n"                           # 2
                           "  walk_speed: 4\n"                   # 3
                           "colour: red\n")                      # 4
    probs = problems_of(path)
    assert len(probs) == 2
    assert probs[0].startswith(f"{path}:3: travel.walk_speed: unknown key 'walk_speed' in travel; allowed keys: "
                               "walk_speed_kph, drive_speed_kph, terrain")
    assert probs[1].startswith(f"{path}:4: colour: unknown key 'colour' in the top level; allowed keys: name,")


def test_wrong_types_and_ranges_all_at_once(tmp_path, county_yaml):
    path = write(tmp_path, "county: county/county.yaml\n"        # 1
                           "travel:\n"                             # 2
                           "  walk_speed_kph: fast\n"              # 3
                           "  max_snap_m: -5\n"                    # 4
                           "recipes:\n"                            # 5
                           "  village_clinics:\n"                  # 6
                           "    budget: -1\n"                      # 7
                           "    p: 1.5\n"                          # 8
                           "outputs:\n"                            # 9
                           "  lang: fr\n"                          # 10
                           "  map: {basemap: google}\n")           # 11
    probs = problems_of(path)
    text = "\n".join(probs)
    assert f"{path}:3: travel.walk_speed_kph: Input should be a valid number" in text
    assert f"{path}:4: travel.max_snap_m: Input should be greater than 0; got -5" in text
    assert f"{path}:7: recipes.village_clinics.budget: Input should be greater than or equal to 0; got -1" in text
    assert f"{path}:8: recipes.village_clinics.p: Input should be a valid integer" in text
    assert f"{path}:10: outputs.lang: Input should be 'zh' or 'en'; got 'fr'" in text
    assert f"{path}:11: outputs.map.basemap: Input should be 'osm', 'none', 'amap' or 'tianditu'; got 'google'" in text
    assert len(probs) == 6


def test_rule_param_out_of_range_needs_override(tmp_path, county_yaml):
    path = write(tmp_path, "county: county/county.yaml\n"
                           "rules:\n"
                           "  params:\n"
                           "    HC-06:\n"
                           "      radius_km: 25\n")              # line 5
    (prob,) = problems_of(path)
    assert prob.startswith(f"{path}:5: rules.params.HC-06.radius_km: HC-06.radius_km = 25 km is outside the "
                           "allowed range [10, 20] km")
    assert "override: true" in prob
    ok = write(tmp_path, "county: county/county.yaml\n"
                         "rules:\n"
                         "  params:\n"
                         "    HC-06: {radius_km: 25, override: true}\n", name="ok.yaml")
    s = load_scenario(ok)
    assert s.rules.values() == {"HC-06": {"radius_km": 25}}
    assert s.rules.overrides() == {"HC-06": True}


def test_unknown_rule_ids_params_recipes_and_kinds(tmp_path, county_yaml):
    path = write(tmp_path, "county: county/county.yaml\n"                     # 1
                           "rules:\n"                                         # 2
                           "  check: [HC-01, HC-99]\n"                        # 3
                           "  params:\n"                                      # 4
                           "    HC-02: {min_people: 150}\n"                   # 5
                           "recipes:\n"                                       # 6
                           "  magic_recipe: {}\n"                             # 7
                           "edits:\n"                                         # 8
                           "  add_facilities:\n"                              # 9
                           "    - {id: N1, kind: hospitalx, name: 新, lon: 111.0, lat: 37.9}\n")  # 10
    probs = problems_of(path)
    assert probs[0].startswith(f"{path}:3: rules.check[1]: unknown rule id 'HC-99'; allowed: HC-01, HC-02")
    assert probs[1].startswith(f"{path}:5: rules.params.HC-02.min_people: HC-02: unknown parameter 'min_people'")
    assert probs[2].startswith(f"{path}:7: recipes.magic_recipe: unknown recipe 'magic_recipe'; allowed: "
                               "village_clinics, central_township_hospitals, emergency_network, odd_job_markets, "
                               "living_circles")
    assert probs[3].startswith(f"{path}:10: edits.add_facilities[0].kind: unknown facility kind 'hospitalx'; "
                               "allowed: boarding_school")
    assert len(probs) == 4


def test_missing_files(tmp_path):
    path = write(tmp_path, "county: nowhere/county.yaml\n"
                           "recipes:\n"
                           "  odd_job_markets: {candidates: sites.gpkg}\n")
    probs = problems_of(path)
    assert probs[0].startswith(f"{path}:1: county: county manifest {tmp_path / 'nowhere' / 'county.yaml'} not found")
    assert probs[1].startswith(f"{path}:3: recipes.odd_job_markets.candidates: candidate layer "
                               f"{tmp_path / 'sites.gpkg'} not found")
    with pytest.raises(ScenarioError, match=r"file not found; check the path"):
        load_scenario(tmp_path / "absent.yaml")
    missing_county = write(tmp_path, "travel: {terrain: false}\n", name="nocounty.yaml")
    assert problems_of(missing_county) == [f"{missing_county}:1: (top level): missing required key `county:` "
                                           "(path of a county.yaml, or an inline manifest)"]


def test_edit_shapes(tmp_path, county_yaml):
    path = write(tmp_path, "county: county/county.yaml\n"                                        # 1
                           "edits:\n"                                                            # 2
                           "  population:\n"                                                     # 3
                           "    - {township_id: T1, factor: 0.5, delta: 10}\n"                    # 4
                           "  new_roads:\n"                                                      # 5
                           "    - {highway: 高速铁路, path: [[111.0, 37.9]]}\n"                   # 6
                           "  add_facilities:\n"                                                 # 7
                           "    - {id: A, kind: 卫生室, name: x, lon: 111.0, lat: 37.9}\n"         # 8
                           "    - {id: A, kind: village_clinic, name: y, lon: 311.0, lat: 37.9}\n")  # 9
    probs = problems_of(path)
    text = "\n".join(probs)
    assert f"{path}:4: edits.population[0]: give exactly one of `factor` (e.g. 0.9) or `delta`" in text
    assert f"{path}:6: edits.new_roads[0].highway: unknown road class '高速铁路'; allowed:" in text
    assert f"{path}:6: edits.new_roads[0].path: List should have at least 2 items" in text
    assert f"{path}:9: edits.add_facilities[1].lon: Input should be less than or equal to 180; got 311.0" in text
    assert f"{path}:9: edits.add_facilities[1].id: id 'A' is used twice in add_facilities" in text
    assert len(probs) == 5


def test_chinese_names_accepted(tmp_path, county_yaml):
    path = write(tmp_path, "county: county/county.yaml\n"
                           "edits:\n"
                           "  add_facilities: [{id: A, kind: 卫生室, name: 新卫生室, lon: 111.0, lat: 37.9, coords: gcj02}]\n"
                           "  new_roads: [{highway: 县道, path: [[111.0, 37.9], [111.01, 37.91]]}]\n")
    s = load_scenario(path)
    assert s.edits.add_facilities[0].kind == "village_clinic"
    assert s.edits.new_roads[0].highway == "secondary"


def test_yaml_syntax_error_and_duplicate_keys(tmp_path, county_yaml):
    bad = write(tmp_path, "county: county/county.yaml\ntravel:\n  terrain: [true\n", name="bad.yaml")
    (prob,) = problems_of(bad)
    assert prob.startswith(f"{bad}:4: YAML syntax error:")
    dup = write(tmp_path, "county: county/county.yaml\ntravel: {terrain: true}\ntravel: {terrain: false}\n",
                name="dup.yaml")
    assert problems_of(dup) == [f"{dup}:3: travel: duplicate key (first at line 2); YAML would silently keep "
                                "only the last one — remove one of them"]
    top = write(tmp_path, "- a\n- b\n", name="list.yaml")
    assert "the top level must be a mapping" in problems_of(top)[0]


def test_extends_merges_and_reports_lines_of_each_file(tmp_path, county_yaml):
    write(tmp_path, "county: county/county.yaml\n"            # 1
                    "travel: {walk_speed_kph: 4.0}\n"          # 2
                    "recipes:\n"                               # 3
                    "  village_clinics: {budget: 100}\n"       # 4
                    "  odd_job_markets: {}\n"                  # 5
                    "outputs: {lang: en}\n", name="base.yaml")  # 6
    sub = tmp_path / "sub"
    sub.mkdir()
    child = write(sub, "extends: ../base.yaml\n"               # 1
                       "recipes:\n"                            # 2
                       "  village_clinics: {budget: 20}\n", name="child.yaml")  # 3
    s = load_scenario(child)
    assert s.county == str(county_yaml.resolve())  # resolved against base.yaml's directory
    assert s.recipes["village_clinics"].budget == 20
    assert "odd_job_markets" in s.recipes and s.outputs.lang == "en" and s.travel.walk_speed_kph == 4.0
    _, marks = read_scenario_yaml(child)
    assert marks.where(("recipes", "village_clinics", "budget")) == (str(child), 3)
    assert marks.where(("outputs", "lang")) == (str(tmp_path / "base.yaml"), 6)
    bad_child = write(sub, "extends: ../base.yaml\ntravel: {walk_speed_kph: 99}\n", name="bad.yaml")
    assert problems_of(bad_child)[0].startswith(f"{bad_child}:2: travel.walk_speed_kph:")
    write(tmp_path, "extends: loop_b.yaml\ncounty: county/county.yaml\n", name="loop_a.yaml")
    write(tmp_path, "extends: loop_a.yaml\n", name="loop_b.yaml")
    with pytest.raises(ScenarioError, match="`extends` loops"):
        load_scenario(tmp_path / "loop_a.yaml")
    with pytest.raises(ScenarioError, match="absent.yaml not found"):
        load_scenario(write(tmp_path, "extends: absent.yaml\n", name="orphan.yaml"))


def test_scenario_error_is_input_and_value_error(tmp_path):
    path = write(tmp_path, "county: nowhere.yaml\n")
    with pytest.raises(InputError):
        load_scenario(path)
    with pytest.raises(ValueError):
        load_scenario(path)


def test_messages_for_wrong_shapes(tmp_path, county_yaml):
    path = write(tmp_path, "county: county/county.yaml\n"            # 1
                           "travel:\n"                                 # 2
                           "rules: [HC-01]\n"                          # 3
                           "edits:\n"                                  # 4
                           "  close_facilities: F1\n"                  # 5
                           "  population: [{township_id: 149901202, factor: 0.9}]\n"  # 6
                           "outputs: {files: nope}\n")                 # 7
    assert problems_of(path) == [
        f"{path}:2: travel: is empty; give its keys or remove it",
        f"{path}:3: rules: Input should be a valid dictionary; got ['HC-01']",
        f"{path}:5: edits.close_facilities: Input should be a valid list; got 'F1'",
        f"{path}:7: outputs.files: should be 'all' or a valid list; got 'nope'",
    ]
    # unquoted numeric ids are taken as text
    ok = write(tmp_path, "county: county/county.yaml\nedits: {population: [{township_id: 149901202, delta: 5}]}\n",
               name="ok.yaml")
    assert load_scenario(ok).edits.population[0].township_id == "149901202"


def test_recipe_names_match_the_registry():
    from planning.recipes import RECIPES
    from planning.scenarios import RECIPE_NAMES

    assert list(RECIPE_NAMES) == list(RECIPES)
