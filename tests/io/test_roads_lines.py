"""planning.io.read_roads_lines: topology of a planner's road line layer, hand-checked."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import pytest
from shapely import LineString, MultiLineString, Polygon

from planning._errors import CRSError, InputError
from planning.io import read_roads_lines, write_geopackage

X0, Y0 = 500000.0, 4200000.0  # EPSG:4546 (CGCS2000 GK CM 111E)


def _p(x, y):
    return (X0 + x, Y0 + y)


def _layer(rows):
    return gpd.GeoDataFrame({"等级": [r[0] for r in rows], "单行": [r[1] for r in rows], "名称": [r[2] for r in rows]},
                            geometry=[r[3] for r in rows], crs="EPSG:4546")


ROWS = [
    ("县道", "否", "A", LineString([_p(0, 0), _p(100, 0), _p(200, 0)])),
    ("乡道", "否", "B", LineString([_p(100, 0), _p(100, 100)])),           # shares A's vertex (100, 0)
    ("村道", "", "C", LineString([_p(200.5, 0), _p(300, 0)])),             # 0.5 m from A's end: merged
    ("国道", "是", "D", LineString([_p(150, -50), _p(150, 50)])),          # crosses A, no shared vertex
    ("primary", "-1", "E", LineString([_p(300, 0), _p(300, 100)])),        # OSM value, reversed one-way
    ("机耕路", "0.0", "F", MultiLineString([[_p(0, 0), _p(0, -100)], [_p(400, 0), _p(500, 0)]])),
]


def _nodes_by_xy(net):
    return {(round(x - X0, 3), round(y - Y0, 3)): i for i, x, y in zip(net.nodes.index, net.nodes["x"], net.nodes["y"])}


def test_topology_by_hand(tmp_path):
    write_geopackage({"roads": _layer(ROWS)}, tmp_path / "roads.gpkg")
    net = read_roads_lines(tmp_path / "roads.gpkg", class_column="等级", oneway_column="单行", layer="roads")
    assert net.crs.to_epsg() == 4546
    n = _nodes_by_xy(net)
    assert sorted(n) == sorted([(0, 0), (100, 0), (200.25, 0), (100, 100), (300, 0), (150, -50), (150, 50),
                                (300, 100), (0, -100), (400, 0), (500, 0)])
    e = net.edges
    got = sorted((n_xy(net, u), n_xy(net, v), h, ow, round(length, 6), name)
                 for u, v, h, ow, length, name in zip(e["u"], e["v"], e["highway"], e["oneway"], e["length_m"], e["name"]))
    expected = sorted([
        ((0, 0), (100, 0), "secondary", False, 100.0, "A"), ((100, 0), (0, 0), "secondary", False, 100.0, "A"),
        ((100, 0), (200.25, 0), "secondary", False, 100.25, "A"), ((200.25, 0), (100, 0), "secondary", False, 100.25, "A"),
        ((100, 0), (100, 100), "tertiary", False, 100.0, "B"), ((100, 100), (100, 0), "tertiary", False, 100.0, "B"),
        ((200.25, 0), (300, 0), "unclassified", False, 99.75, "C"), ((300, 0), (200.25, 0), "unclassified", False, 99.75, "C"),
        ((150, -50), (150, 50), "trunk", True, 100.0, "D"),
        ((300, 100), (300, 0), "primary", True, 100.0, "E"),
        ((0, 0), (0, -100), "track", False, 100.0, "F"), ((0, -100), (0, 0), "track", False, 100.0, "F"),
        ((400, 0), (500, 0), "track", False, 100.0, "F"), ((500, 0), (400, 0), "track", False, 100.0, "F"),
    ])
    assert got == expected
    # the crossing trunk road (over/underpass) is not connected to the county road it crosses
    g = nx.Graph()
    g.add_edges_from(zip(e["u"], e["v"]))
    assert not nx.has_path(g, n[(150, -50)], n[(0, 0)])
    assert nx.has_path(g, n[(0, -100)], n[(300, 100)])
    # geometry runs from u to v
    d = e[e["name"] == "E"].iloc[0]
    assert d.geometry.coords[0] == pytest.approx(_p(300, 100))


def n_xy(net, node):
    return (round(net.nodes.loc[node, "x"] - X0, 3), round(net.nodes.loc[node, "y"] - Y0, 3))


def test_lonlat_layer_gets_metric_crs(tmp_path):
    write_geopackage({"roads": _layer(ROWS).to_crs(4326)}, tmp_path / "roads.gpkg")
    net = read_roads_lines(tmp_path / "roads.gpkg", class_column="等级", oneway_column="单行")
    assert net.crs.to_epsg() == 4546
    assert net.edges["length_m"].sum() == pytest.approx(1400.0, abs=0.01)  # see the edge list above


def test_snap_tolerance_zero_keeps_gap(tmp_path):
    write_geopackage({"roads": _layer(ROWS)}, tmp_path / "roads.gpkg")
    net = read_roads_lines(tmp_path / "roads.gpkg", class_column="等级", snap_tolerance_m=0.0)
    n = _nodes_by_xy(net)
    assert (200, 0) in n and (200.5, 0) in n and (200.25, 0) not in n


def test_line_layer_errors_all_at_once(tmp_path):
    rows = ROWS[:2] + [
        ("省级道路", "否", "X", LineString([_p(0, 10), _p(10, 10)])),
        ("县道", "maybe", "Y", LineString([_p(0, 20), _p(10, 20)])),
        ("县道", "否", "Z", Polygon([_p(0, 0), _p(1, 0), _p(1, 1)])),
    ]
    write_geopackage({"roads": _layer(rows)}, tmp_path / "roads.gpkg")
    with pytest.raises(InputError) as info:
        read_roads_lines(tmp_path / "roads.gpkg", class_column="等级", oneway_column="单行")
    text = str(info.value)
    assert "unknown road class '省级道路' in rows 3" in text and "国道" in text
    assert "one-way value 'maybe' in rows 4 not understood" in text
    assert "geometry is not a line in rows 5" in text
    with pytest.raises(InputError, match=r"column '等 级' not found .*did you mean '等级'\?"):
        read_roads_lines(tmp_path / "roads.gpkg", class_column="等 级")


def test_line_layer_without_crs_or_edges(tmp_path):
    # (GeoJSON is WGS84 by definition, so a shapefile without .prj has no CRS)
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        _layer(ROWS).rename(columns={"等级": "class", "单行": "oneway", "名称": "name"}).set_crs(
            None, allow_override=True).to_file(tmp_path / "roads.shp", encoding="utf-8")
    with pytest.raises(CRSError, match="no coordinate reference system"):
        read_roads_lines(tmp_path / "roads.shp", class_column="class")
    net = read_roads_lines(tmp_path / "roads.shp", class_column="class", crs="EPSG:4546")
    assert len(net.edges) == 16  # no one-way column: D and E are two-way too (14 + 2)
    write_geopackage({"roads": _layer([("县道", "否", "P", LineString([_p(0, 0), _p(0, 0)]))])},
                     tmp_path / "zero.gpkg")
    with pytest.raises(InputError, match="gives no edges"):
        read_roads_lines(tmp_path / "zero.gpkg", class_column="等级")


def test_comoros_roads_gpkg(shared_dir):
    """roads.gpkg (4,378 highway lines, 1,734 km per SOURCES.md) as a planner's line layer."""
    net = read_roads_lines(shared_dir / "real/comoros/roads.gpkg", class_column="highway")
    assert net.crs.to_epsg() == 32738  # UTM 38S: outside China
    assert net.length_by_class_km().sum() == pytest.approx(1733.7, abs=1.0)
    assert len(net.nodes) == pytest.approx(7677, abs=10) and len(net.edges) == pytest.approx(19140, abs=20)
    assert net.edges["source_row"].min() == 1 and net.edges["source_row"].max() == 4378
