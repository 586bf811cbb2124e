"""Fixtures of the demo-county tests: one generation per session with the default seed."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import geopandas as gpd
import osmnx as ox
import pytest

from planning.cli import main

METRIC = "EPSG:4546"


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, str]:
    """``planning demo --generate DIR``: a fresh default-seed demo, its exit code and output."""
    out = tmp_path_factory.mktemp("demo") / "default"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(["demo", "--generate", str(out)])
    return out, code, printed.getvalue()


@pytest.fixture(scope="session")
def demo_out(generated: tuple[Path, int, str]) -> Path:
    """A fresh generation of the demo county with the default seed (through the CLI)."""
    return generated[0]


@pytest.fixture(scope="session")
def layers(demo_out: Path) -> dict[str, gpd.GeoDataFrame]:
    """The GeoPackage layers of the fresh generation, projected to EPSG:4546 (metres)."""
    path = demo_out / "county.gpkg"
    return {name: gpd.read_file(path, layer=name).to_crs(METRIC)
            for name in ("boundary", "townships", "villages", "communities")}


@pytest.fixture(scope="session")
def road_edges(demo_out: Path):
    """osmnx graph of roads.osm and its edges in EPSG:4546."""
    graph = ox.graph_from_xml(demo_out / "roads.osm", simplify=True, retain_all=True, bidirectional=False)
    edges = ox.graph_to_gdfs(graph, nodes=False).to_crs(METRIC)
    return graph, edges
