"""planning.io.roads: OSM XML / bz2 / PBF and line-layer road networks, exact expected values."""

from __future__ import annotations

import bz2
import hashlib
import math
import os
import subprocess
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from planning._errors import InputError
from planning.io import parse_maxspeed_kph, project_network, read_roads_osm
from planning.schema import WALK_ONLY_HIGHWAYS

R_M = 6_371_009.0
STEP_M = R_M * math.radians(0.001)  # 0.001 degree of longitude on the equator (osmnx radius)

# nodes on the equator: 1 -(0.001)- 2 -(0.001)- 3 -(0.002)- 4 -(0.001)- 5; 6 north of 2
OSM_XML = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="test">
  <node id="1" lat="0.0" lon="0.000"/>
  <node id="2" lat="0.0" lon="0.001"/>
  <node id="3" lat="0.0" lon="0.002"/>
  <node id="7" lat="0.0" lon="0.003"/>
  <node id="4" lat="0.0" lon="0.004"/>
  <node id="5" lat="0.0" lon="0.005"/>
  <node id="6" lat="0.001" lon="0.001"/>
  <node id="8" lat="0.002" lon="0.002"><tag k="amenity" v="clinic"/></node>
  <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/>
    <tag k="highway" v="primary"/><tag k="maxspeed" v="60"/><tag k="name" v="主路"/></way>
  <way id="11"><nd ref="3"/><nd ref="7"/><nd ref="4"/>
    <tag k="highway" v="residential"/><tag k="oneway" v="yes"/></way>
  <way id="12"><nd ref="4"/><nd ref="5"/>
    <tag k="highway" v="tertiary"/><tag k="oneway" v="-1"/><tag k="maxspeed" v="30 mph"/></way>
  <way id="13"><nd ref="5"/><nd ref="6"/><tag k="highway" v="construction"/></way>
  <way id="14"><nd ref="1"/><nd ref="2"/><nd ref="6"/><nd ref="1"/><tag k="building" v="yes"/></way>
  <way id="15"><nd ref="2"/><nd ref="6"/>
    <tag k="highway" v="footway"/><tag k="maxspeed" v="40;60"/><tag k="motor_vehicle" v="no"/></way>
</osm>
"""


def _edge_table(net):
    e = net.edges
    return sorted(zip(e["u"], e["v"], e["highway"], e["oneway"]))


def _check_small_network(net):
    assert net.crs.to_epsg() == 4326
    assert list(net.nodes.index) == [1, 2, 3, 4, 5, 6]  # 7 is simplified away; 8 is not on a road
    assert net.nodes.index.name == "node_id" and net.nodes.index.dtype == np.int64
    assert _edge_table(net) == [
        (1, 2, "primary", False), (2, 1, "primary", False),
        (2, 3, "primary", False), (2, 6, "footway", False),
        (3, 2, "primary", False), (3, 4, "residential", True),
        (5, 4, "tertiary", True), (6, 2, "footway", False),
    ]
    e = net.edges.set_index(["u", "v"])
    assert e.loc[(1, 2), "length_m"] == pytest.approx(STEP_M, rel=1e-9)
    assert e.loc[(3, 4), "length_m"] == pytest.approx(2 * STEP_M, rel=1e-9)
    assert e.loc[(2, 6), "length_m"] == pytest.approx(STEP_M, rel=1e-9)
    # both directions of a two-way road have exactly the same length
    assert e.loc[(1, 2), "length_m"] == e.loc[(2, 1), "length_m"]
    assert e.loc[(1, 2), "maxspeed_kph"] == 60.0
    assert e.loc[(5, 4), "maxspeed_kph"] == pytest.approx(30 * 1.609344)
    assert e.loc[(2, 6), "maxspeed_kph"] == 40.0
    assert math.isnan(e.loc[(3, 4), "maxspeed_kph"])
    assert e.loc[(1, 2), "name"] == "主路"
    assert e.loc[(2, 6), "motor_vehicle"] == "no" and e.loc[(1, 2), "motor_vehicle"] is None
    # geometry runs from u to v: the one-way -1 road is reversed
    assert e.loc[(5, 4), "geometry"].coords[0] == pytest.approx((0.005, 0.0))
    assert e.loc[(3, 4), "geometry"].coords[:] == [(0.002, 0.0), (0.003, 0.0), (0.004, 0.0)]
    assert net.length_by_class_km().to_dict() == pytest.approx(
        {"primary": 2 * STEP_M / 1000, "residential": 2 * STEP_M / 1000,
         "tertiary": STEP_M / 1000, "footway": STEP_M / 1000})


def test_read_roads_osm_xml(tmp_path):
    path = tmp_path / "roads.osm"
    path.write_text(OSM_XML, encoding="utf-8")
    _check_small_network(read_roads_osm(path))


def test_read_roads_osm_bz2(tmp_path):
    path = tmp_path / "roads.osm.bz2"
    path.write_bytes(bz2.compress(OSM_XML.encode("utf-8")))
    _check_small_network(read_roads_osm(path))


def test_read_roads_osm_pbf(tmp_path):
    import osmium

    xml = tmp_path / "roads.osm"
    xml.write_text(OSM_XML, encoding="utf-8")
    pbf = tmp_path / "roads.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(xml)):
            if obj.is_node():
                writer.add_node(obj)
            elif obj.is_way():
                writer.add_way(obj)
    _check_small_network(read_roads_osm(pbf))


def test_read_roads_osm_errors(tmp_path):
    empty = tmp_path / "buildings.osm"
    empty.write_text('<?xml version="1.0"?><osm version="0.6"><node id="1" lat="0" lon="0"/>'
                     '<node id="2" lat="0" lon="0.001"/><way id="9"><nd ref="1"/><nd ref="2"/>'
                     '<tag k="building" v="yes"/></way></osm>', encoding="utf-8")
    with pytest.raises(InputError, match="no edges"):
        read_roads_osm(empty)
    with pytest.raises(InputError, match="file not found"):
        read_roads_osm(tmp_path / "missing.osm.pbf")
    with pytest.raises(InputError, match="unsupported road file type"):
        read_roads_osm(tmp_path / "roads.csv")


def test_parse_maxspeed():
    assert parse_maxspeed_kph("60") == 60.0
    assert parse_maxspeed_kph("60 mph") == pytest.approx(96.56064)
    assert parse_maxspeed_kph("40;60") == 40.0
    assert parse_maxspeed_kph(["80", "50 km/h"]) == 50.0
    assert parse_maxspeed_kph(70) == 70.0
    for value in (None, "none", "RU:urban", "walk", "", float("nan"), 0):
        assert math.isnan(parse_maxspeed_kph(value)), value


def test_project_network(tmp_path):
    path = tmp_path / "roads.osm"
    path.write_text(OSM_XML, encoding="utf-8")
    net = project_network(read_roads_osm(path), "EPSG:32631")
    assert net.crs.to_epsg() == 32631
    n = net.nodes
    assert n.loc[2, "x"] - n.loc[1, "x"] == pytest.approx(111.3, abs=0.5)  # UTM scale near the CM edge
    assert np.allclose(n["x"], n.geometry.x) and np.allclose(n["y"], n.geometry.y)
    assert net.edges.crs.to_epsg() == 32631


@pytest.fixture(scope="module")
def comoros_net(shared_dir):
    return read_roads_osm(shared_dir / "real/comoros/comores-latest.osm.pbf")


def test_comoros_pbf_network_size(comoros_net):
    """Comoros extract: SOURCES.md says drivable ~1,690 km, largest component ~3,633 nodes (osmnx drive)."""
    net = comoros_net
    assert len(net.nodes) == pytest.approx(7168, abs=20)
    assert len(net.edges) == pytest.approx(17720, abs=40)
    lengths = net.length_by_class_km()
    assert lengths.sum() == pytest.approx(1738.3, abs=3.0)  # roads.gpkg (all highway lines): 1,734 km
    drivable = lengths[~lengths.index.isin(WALK_ONLY_HIGHWAYS)].sum()
    assert drivable == pytest.approx(1683.6, abs=5.0)
    e = net.edges[~net.edges["highway"].isin(WALK_ONLY_HIGHWAYS)]
    g = nx.MultiDiGraph()
    g.add_edges_from(zip(e["u"], e["v"]))
    largest = max(nx.strongly_connected_components(g), key=len)
    assert len(largest) == pytest.approx(3752, abs=15)  # our simplification keeps path junctions
    assert int(net.edges["oneway"].sum()) == pytest.approx(402, abs=5)
    assert set(net.edges["highway"]).isdisjoint({"construction", "proposed", "platform"})


def _digest(net) -> str:
    e = net.edges
    h = hashlib.sha256(e.drop(columns="geometry").to_csv().encode())
    h.update(b"".join(e.geometry.to_wkb()))
    h.update(net.nodes.drop(columns="geometry").to_csv().encode())
    return h.hexdigest()


MERGED_XML = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
  <node id="1" lat="0" lon="0"/><node id="2" lat="0" lon="0.001"/><node id="3" lat="0" lon="0.002"/>
  <node id="4" lat="0" lon="0.003"/><node id="5" lat="0" lon="0.004"/>
  <way id="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="track"/><tag k="name" v="丙路"/></way>
  <way id="2"><nd ref="2"/><nd ref="3"/><tag k="highway" v="primary"/><tag k="name" v="甲路"/>
    <tag k="maxspeed" v="80"/></way>
  <way id="3"><nd ref="3"/><nd ref="4"/><tag k="highway" v="residential"/><tag k="name" v="乙路"/>
    <tag k="maxspeed" v="30"/></way>
  <way id="4"><nd ref="4"/><nd ref="5"/><tag k="highway" v="service"/></way>
</osm>
"""


def test_merged_edge_attributes_are_deterministic(tmp_path):
    """osmnx merges the tags of simplified ways through sets; the loader picks by fixed rules."""
    path = tmp_path / "merged.osm"
    path.write_text(MERGED_XML, encoding="utf-8")
    net = read_roads_osm(path)
    assert sorted(zip(net.edges["u"], net.edges["v"])) == [(1, 5), (5, 1)]
    e = net.edges.iloc[0]
    assert e["highway"] == "primary"  # the most important class of the merged ways
    assert e["name"] == "丙路"  # the smallest name as text
    assert e["maxspeed_kph"] == 30.0  # the lowest limit
    assert e["length_m"] == pytest.approx(4 * STEP_M, rel=1e-9)
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from test_roads import _digest; "
            "from planning.io import read_roads_osm; print(_digest(read_roads_osm(sys.argv[2])))")
    out = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent), str(path)],
                         capture_output=True, text=True, env=dict(os.environ, PYTHONHASHSEED="12345"), check=True)
    assert out.stdout.strip() == _digest(net)


def test_bbox_keeps_whole_ways_touching_it(tmp_path):
    path = tmp_path / "roads.osm"
    path.write_text(OSM_XML, encoding="utf-8")
    # a box around node 5 only (lon 0.005): the tertiary way 4-5 is kept whole, nothing else
    net = read_roads_osm(path, bbox=(0.0045, -0.0005, 0.0055, 0.0005))
    assert _edge_table(net) == [(5, 4, "tertiary", True)]
    assert sorted(net.nodes.index) == [4, 5]
    with pytest.raises(InputError, match="no edges"):
        read_roads_osm(path, bbox=(10.0, 10.0, 11.0, 11.0))
