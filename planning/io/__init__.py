"""Loaders and writers for real formats (L1 data layer).

Vector layers (GeoPackage, GeoJSON, Shapefile, CSV with lon/lat), road networks (OSM XML,
bz2, PBF; a planner's line layer; Overpass), rasters (GeoTIFF, SRTM ``.hgt``/``.hgt.zip``),
the county manifest (:func:`load_county`) and atomic writers.
"""

from planning.io.manifest import OUTSIDE_TOLERANCE_M, Manifest, load_county, read_manifest
from planning.io.raster import gdal_path, read_dem_tiles, read_raster
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
from planning.io.write import FIXED_TIMESTAMP, atomic_output, write_geopackage, write_geotiff, write_table

__all__ = [
    "EXCLUDED_HIGHWAYS",
    "FIXED_TIMESTAMP",
    "Manifest",
    "OUTSIDE_TOLERANCE_M",
    "atomic_output",
    "gdal_path",
    "load_county",
    "network_from_graph",
    "parse_maxspeed_kph",
    "project_network",
    "read_csv_points",
    "read_dem_tiles",
    "read_layer",
    "read_manifest",
    "read_raster",
    "read_roads_lines",
    "read_roads_osm",
    "read_vector",
    "roads_from_overpass",
    "write_geopackage",
    "write_geotiff",
    "write_table",
]
