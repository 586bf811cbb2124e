"""``planning od`` end to end: OSM XML and a line layer in, the OD CSV out."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from planning.cli import main

# three nodes on a parallel at 37.9°N, 111.0°E; a two-way residential road 1-2 and a one-way
# primary road 2-3 (maxspeed 40) plus a two-way track 3-1
OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="test">
  <node id="1" lat="37.9" lon="111.0" version="1"/>
  <node id="2" lat="37.9" lon="111.01" version="1"/>
  <node id="3" lat="37.9" lon="111.02" version="1"/>
  <node id="4" lat="37.91" lon="111.01" version="1"/>
  <way id="10" version="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="residential"/></way>
  <way id="11" version="1"><nd ref="2"/><nd ref="3"/><tag k="highway" v="primary"/>
    <tag k="oneway" v="yes"/><tag k="maxspeed" v="40"/></way>
  <way id="12" version="1"><nd ref="3"/><nd ref="4"/><nd ref="1"/><tag k="highway" v="track"/></way>
</osm>
"""


@pytest.fixture(scope="module")
def osm_case(tmp_path_factory):
    d = tmp_path_factory.mktemp("od")
    (d / "roads.osm").write_text(OSM, encoding="utf-8")
    gpd.GeoDataFrame({"id": ["A", "B"]}, geometry=[Point(111.0, 37.9), Point(111.01, 37.9)],
                     crs="EPSG:4326").to_file(d / "origins.geojson", driver="GeoJSON")
    pd.DataFrame({"编号": ["X", "Y"], "经度": [111.02, 111.0], "纬度": [37.9, 37.9]}).to_csv(
        d / "dest.csv", index=False, encoding="utf-8")
    return d


def test_od_command_osm(osm_case, capsys):
    d = osm_case
    out = d / "od.csv"
    code = main(["od", "--roads", str(d / "roads.osm"), "--origins", str(d / "origins.geojson"),
                 "--destinations", str(d / "dest.csv"), "--mode", "drive", "-o", str(out)])
    assert code == 0
    assert "2 origins × 2 destinations" in capsys.readouterr().out
    od = pd.read_csv(out, encoding="utf-8-sig")
    assert list(od.columns) == ["origin_id", "destination_id", "travel_time_min", "distance_m"]
    assert list(zip(od.origin_id, od.destination_id)) == [("A", "X"), ("A", "Y"), ("B", "X"), ("B", "Y")]
    # 0.01° of longitude at 37.9°N is about 879 m: A-Y is 0; B->X drives the one-way primary at
    # 40 km/h; A->X = A->B (residential, 25 km/h) + B->X
    ay = od.set_index(["origin_id", "destination_id"])
    assert ay.loc[("A", "Y"), "travel_time_min"] == 0.0
    bx = ay.loc[("B", "X")]
    assert bx.distance_m == pytest.approx(879.0, abs=3.0)
    assert bx.travel_time_min == pytest.approx(bx.distance_m * 60 / 40000, rel=1e-6)
    ax = ay.loc[("A", "X")]
    assert ax.distance_m == pytest.approx(2 * bx.distance_m, rel=1e-3)
    residential_m = ax.distance_m - bx.distance_m
    assert ax.travel_time_min == pytest.approx(residential_m * 60 / 25000 + bx.travel_time_min, abs=1e-5)
    # with a cutoff only pairs within it are written
    code = main(["od", "--roads", str(d / "roads.osm"), "--origins", str(d / "origins.geojson"),
                 "--destinations", str(d / "dest.csv"), "--mode", "drive", "--cutoff-min", "1.5", "-o", str(out)])
    assert code == 0
    cut = pd.read_csv(out, encoding="utf-8-sig")
    assert list(zip(cut.origin_id, cut.destination_id)) == [("A", "Y"), ("B", "X")]
    # a file without an id column: row numbers as ids
    code = main(["od", "--roads", str(d / "roads.osm"), "--origins", str(d / "origins.geojson"),
                 "--destinations", str(d / "dest.csv"), "--destinations-id-col", "row", "--mode", "drive",
                 "--cutoff-min", "1.5", "-o", str(out)])
    assert code == 0
    rows = pd.read_csv(out, encoding="utf-8-sig")
    assert list(zip(rows.origin_id, rows.destination_id)) == [("A", 2), ("B", 1)]


def test_od_command_errors(osm_case, capsys):
    d = osm_case
    out = d / "never.csv"
    code = main(["od", "--roads", str(d / "roads.osm"), "--origins", str(d / "origins.geojson"),
                 "--destinations", str(d / "dest.csv"), "--id-col", "code", "-o", str(out)])
    assert code == 2
    assert "id column 'code' not found" in capsys.readouterr().err
    assert not out.exists() and not list(d.glob(".never.csv*"))
    code = main(["od", "--roads", str(d / "roads.osm"), "--origins", str(d / "missing.gpkg"),
                 "--destinations", str(d / "dest.csv"), "--cutoff-m", "100", "-o", str(out)])
    assert code == 2
    err = capsys.readouterr().err
    assert "2 problem(s)" in err and "--cutoff-m applies to --metric distance" in err and "file not found" in err
    with pytest.raises(SystemExit):
        main(["od", "--roads", "r", "--origins", "o", "--destinations", "d", "--mode", "bike", "-o", str(out)])


def test_od_command_comoros_lines(shared_dir, tmp_path):
    from planning.commands.od import read_network
    from planning.network.engine import TravelEngine
    from planning.network.graph import RoadGraph

    roads = shared_dir / "real" / "comoros" / "roads.gpkg"
    health = gpd.read_file(shared_dir / "real" / "comoros" / "health.gpkg")
    health["id"] = [f"h{i}" for i in range(len(health))]
    health[["id", "geometry"]].to_file(tmp_path / "health.gpkg", driver="GPKG")
    rng = np.random.default_rng(3)
    xs, ys = rng.uniform(43.25, 43.5, 40), rng.uniform(-11.9, -11.4, 40)
    pd.DataFrame({"id": [f"p{i}" for i in range(40)], "lon": xs, "lat": ys}).to_csv(tmp_path / "pts.csv", index=False)
    out = tmp_path / "od.csv"
    code = main(["od", "--roads", str(roads), "--origins", str(tmp_path / "pts.csv"),
                 "--destinations", str(tmp_path / "health.gpkg"), "--mode", "mixed", "--cutoff-min", "60",
                 "-o", str(out)])
    assert code == 0
    got = pd.read_csv(out, encoding="utf-8-sig")
    assert len(got) > 50 and (got["travel_time_min"] <= 60).all()
    # the same numbers through the Python API
    net = read_network(roads)
    engine = TravelEngine(RoadGraph.from_network(net))
    pts = gpd.GeoDataFrame({"id": [f"p{i}" for i in range(40)]}, geometry=gpd.points_from_xy(xs, ys),
                           crs="EPSG:4326").to_crs(net.nodes.crs)
    api = engine.od(pts, health[["id", "geometry"]].to_crs(net.nodes.crs), mode="mixed", cutoff=60)
    assert list(zip(got.origin_id, got.destination_id)) == list(zip(api.origin_id, api.destination_id))
    assert got["travel_time_min"].to_numpy() == pytest.approx(api["travel_time_min"].to_numpy(), abs=1e-6)


def test_od_command_demo_county_matches_from_county(tmp_path):
    """``planning od`` on the demo county's files equals the engine built by load_county."""
    from planning.config import TravelSettings
    from planning.demo import demo_dir, load
    from planning.network.engine import TravelEngine

    d = demo_dir()
    out = tmp_path / "od.csv"
    code = main(["od", "--roads", str(d / "roads.osm"), "--origins", str(d / "county.gpkg"),
                 "--origins-layer", "villages", "--destinations", str(d / "facilities.csv"), "--destinations-coords", "gcj02",
                 "--mode", "drive", "--cutoff-min", "30", "-o", str(out)])
    assert code == 0
    got = pd.read_csv(out, encoding="utf-8-sig", dtype={"origin_id": str, "destination_id": str})
    assert list(got.columns) == ["origin_id", "destination_id", "travel_time_min", "distance_m"]
    assert len(got) > 10_000 and (got["travel_time_min"] <= 30).all() and (got["distance_m"] > 0).any()
    county = load()
    engine = TravelEngine.from_county(county, settings=TravelSettings(terrain=False))
    hospitals = county.facilities[county.facilities["kind"] == "county_hospital"][["id", "geometry"]]
    ref = engine.od(county.villages[["id", "geometry"]], hospitals, mode="drive", cutoff=30)
    mine = got[got["destination_id"].isin(set(hospitals["id"]))].reset_index(drop=True)
    assert len(ref) > 50
    assert list(zip(mine.origin_id, mine.destination_id)) == list(zip(ref.origin_id.astype(str), ref.destination_id))
    assert mine["travel_time_min"].to_numpy() == pytest.approx(ref["travel_time_min"].to_numpy(), abs=1e-5)
