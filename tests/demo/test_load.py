"""planning.demo.load() reads data/demo through planning.io.load_county; `planning demo` prints it."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import planning.demo as demo
from planning.cli import main


@pytest.fixture(scope="module")
def county():
    return demo.load()


def test_load_gives_the_county_in_its_metric_crs(county, demo_out: Path) -> None:
    assert county.crs.to_epsg() == 4546 and county.county_id == "149901" and county.name == "示范县"
    assert 2_700 <= county.area_km2() <= 3_300
    assert (len(county.townships), len(county.villages), len(county.communities)) == (23, 496, 108)
    n_csv = len(pd.read_csv(demo_out / "facilities.csv", encoding="utf-8-sig"))
    assert len(county.facilities) == n_csv
    assert int(county.villages["population"].sum()) == 400_000
    assert abs(county.population.total() - 400_000) < 400_000 * 0.005
    assert 650 <= np.nanmin(county.dem.array) and np.nanmax(county.dem.array) <= 1_900
    assert county.seat is not None and county.boundary.geometry.iloc[0].contains(county.seat)
    # capacity columns arrive typed through the manifest's rename map of the Chinese headers
    f = county.facilities
    hosp = f[f["kind"] == "county_hospital"].iloc[0]
    assert hosp["grade"] == 2 and bool(hosp["has_ambulance"]) and hosp["emergency_centres"] == "chest_pain,stroke,trauma"
    assert f.loc[f["kind"] == "funeral_home", "cremation"].astype(bool).all()
    assert f.loc[f["kind"] == "village_clinic", "village_doctors"].min() >= 1


def test_loaded_facilities_are_back_in_place_after_gcj02(county, layers) -> None:
    # every facility lies in the township its CSV row names (after GCJ-02 → WGS84 → metric)
    tw = county.townships[["id", "geometry"]].rename(columns={"id": "tw"})
    joined = county.facilities.sjoin(tw, predicate="within")
    assert len(joined) == len(county.facilities)
    assert (joined["township_id"] == joined["tw"]).mean() > 0.995


def test_loaded_road_network_reaches_the_villages(county) -> None:
    edges = county.roads.edges
    assert len(edges) > 1_000 and set(edges["highway"]) >= {"trunk", "primary", "unclassified", "footway"}
    assert edges["oneway"].any() and edges["maxspeed_kph"].notna().any()
    d = county.villages.distance(edges.geometry.union_all())
    assert (d <= 1_500).mean() >= 0.95


def test_demo_dir_falls_back_to_the_user_cache(monkeypatch, tmp_path: Path, demo_out: Path) -> None:
    monkeypatch.setattr(demo, "REPO_DEMO_DIR", tmp_path / "not-there")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    cache = demo._cache_dir()
    assert str(cache).startswith(str(tmp_path / "cache"))
    shutil.copytree(demo_out, cache)
    assert demo.demo_dir() == cache


def test_planning_demo_prints_the_summary(capsys) -> None:
    assert main(["demo", "--summary-only"]) == 0
    out = capsys.readouterr().out
    for text in ("Demo County", "示范县 (149901)", "EPSG:4546", "23 townships", "496 villages",
                 "population 400,000", "108 residential communities", "roads", "trunk", "DEM"):
        assert text in out, f"{text!r} missing from the summary:\n{out}"


def test_planning_demo_generate_writes_then_loads_from_there(generated) -> None:
    out, code, printed = generated
    assert code == 0
    assert printed.startswith(f"Demo County — {out / 'county.yaml'}\n")
    assert "496 villages" in printed and "population 400,000" in printed


def test_planning_demo_seed_without_generate_is_a_usage_error(capsys) -> None:
    assert main(["demo", "--seed", "7"]) == 2
    assert "--seed needs --generate" in capsys.readouterr().err
