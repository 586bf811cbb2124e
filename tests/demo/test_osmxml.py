"""The OSM XML writer: exact output on a toy network, and osmnx reads it with its tags."""

from __future__ import annotations

from pathlib import Path

import osmnx as ox
from pyproj import Transformer

from planning.demo.osmxml import write_osm_xml


def test_exact_text_shared_nodes_and_sorted_tags(tmp_path: Path) -> None:
    p = tmp_path / "toy.osm"
    # two ways sharing the vertex (0, 0); the repeated vertex of the first way is dropped
    ways = [([(0.0, 0.0), (0.0, 0.0), (1000.0, 0.0)], {"name": "A路", "highway": "residential"}),
            ([(0.0, 1000.0), (0.0, 0.0)], {"highway": "footway"}),
            ([(5.0, 5.0)], {"highway": "track"})]  # a single vertex is not a way
    n_nodes, n_ways = write_osm_xml(ways, p, crs="EPSG:32649")
    assert (n_nodes, n_ways) == (4, 2)
    lon, lat = Transformer.from_crs(32649, 4326, always_xy=True).transform(
        [0.0, 1000.0, 0.0, 5.0], [0.0, 0.0, 1000.0, 5.0])
    nodes = [f'  <node id="{i + 1}" version="1" lat="{la:.7f}" lon="{lo:.7f}"/>'
             for i, (lo, la) in enumerate(zip(lon, lat))]
    expected = "\n".join([
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<osm version="0.6" generator="planning.demo">',
        f'  <bounds minlat="{min(lat):.7f}" minlon="{min(lon):.7f}" maxlat="{max(lat):.7f}" maxlon="{max(lon):.7f}"/>',
        *nodes,
        '  <way id="1" version="1">', '    <nd ref="1"/>', '    <nd ref="2"/>',
        '    <tag k="highway" v="residential"/>', '    <tag k="name" v="A路"/>', "  </way>",
        '  <way id="2" version="1">', '    <nd ref="3"/>', '    <nd ref="1"/>',
        '    <tag k="highway" v="footway"/>', "  </way>",
        "</osm>", ""])
    assert p.read_text(encoding="utf-8") == expected


def test_osmnx_reads_oneway_maxspeed_and_lengths(tmp_path: Path) -> None:
    p = tmp_path / "grid.osm"
    write_osm_xml([([(500_000.0, 4_200_000.0), (500_300.0, 4_200_000.0)],
                    {"highway": "residential", "oneway": "yes", "maxspeed": "30"}),
                   ([(500_300.0, 4_200_000.0), (500_300.0, 4_200_400.0)], {"highway": "tertiary"})],
                  p, crs="EPSG:4546")
    g = ox.graph_from_xml(p, simplify=False, retain_all=True, bidirectional=False)
    edges = ox.graph_to_gdfs(g, nodes=False).reset_index()
    # the one-way street appears once (1 -> 2), the two-way road in both directions
    assert sorted(zip(edges["u"], edges["v"])) == [(1, 2), (2, 3), (3, 2)]
    one = edges[(edges["u"] == 1)].iloc[0]
    assert one["maxspeed"] == "30" and bool(one["oneway"]) is True
    assert abs(one["length"] - 300.0) < 1.0
    assert abs(edges[edges["u"] == 2].iloc[0]["length"] - 400.0) < 1.0
