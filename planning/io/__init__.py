"""Loaders and writers for real formats (L1 data layer).

Vector layers (GeoPackage, GeoJSON, Shapefile, CSV with lon/lat), road networks (OSM XML,
bz2, PBF; a planner's line layer; Overpass), rasters (GeoTIFF, SRTM ``.hgt``/``.hgt.zip``),
the county manifest (:func:`load_county`) and atomic writers.
"""

from planning.io.roads import (
    EXCLUDED_HIGHWAYS,
    network_from_graph,
    parse_maxspeed_kph,
    project_network,
    read_roads_lines,
    read_roads_osm,
    roads_from_overpass,
)
from planning.io.vector import read_csv_points, read_layer, read_vector

__all__ = [
    "EXCLUDED_HIGHWAYS",
    "network_from_graph",
    "parse_maxspeed_kph",
    "project_network",
    "read_roads_lines",
    "read_roads_osm",
    "roads_from_overpass",
    "read_csv_points",
    "read_layer",
    "read_vector",
]
