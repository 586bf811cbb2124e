"""``planning od``: the origin–destination travel matrix for analysts.

::

    planning od --roads roads.osm --origins villages.gpkg --destinations facilities.csv \\
        --mode drive --cutoff-min 30 --dem dem.tif -o od.csv

Roads: OSM (``.osm``, ``.osm.bz2``, ``.osm.pbf``) or a line layer (GeoPackage, Shapefile,
GeoJSON) whose road class column is ``--road-class-column`` (国道/省道/县道/乡道/村道 or OSM
highway values). Everything is projected to one metric CRS (the CGCS2000 3° Gauss–Krüger zone
in China, UTM elsewhere) before routing. The output CSV (UTF-8 with BOM, so Excel shows
Chinese) has the columns ``origin_id, destination_id, travel_time_min, distance_m`` and is
written atomically; without a cutoff every pair is present (empty = unreachable), with a
cutoff only pairs within it.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from planning._errors import InputError

__all__ = ["add_parser", "run", "read_network", "write_csv_atomic"]

_OSM_SUFFIXES = (".osm", ".osm.bz2", ".osm.pbf", ".pbf", ".bz2")


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the subcommand."""
    p = subparsers.add_parser(
        "od", help="origin-destination travel times on the road network",
        description="Compute the origin-destination table (travel_time_min, distance_m) between two point "
                    "layers on the road network, door to door (walked access legs included).")
    p.add_argument("--roads", required=True, help="road network: .osm/.osm.bz2/.osm.pbf or a line layer (.gpkg/.shp/.geojson)")
    p.add_argument("--road-class-column", default=None,
                   help="road class column of a line layer (default: highway, 等级 or class, whichever exists)")
    p.add_argument("--roads-layer", default=None, help="layer of a multi-layer road file")
    p.add_argument("--origins", required=True, help="origin points (.gpkg/.geojson/.shp or .csv with lon/lat)")
    p.add_argument("--origins-layer", default=None, help="layer of a multi-layer origins file")
    p.add_argument("--destinations", required=True, help="destination points (same formats)")
    p.add_argument("--destinations-layer", default=None, help="layer of a multi-layer destinations file")
    p.add_argument("--coords", choices=("wgs84", "gcj02", "bd09"), default="wgs84",
                   help="datum of lon/lat in both point files (default wgs84)")
    p.add_argument("--origins-coords", choices=("wgs84", "gcj02", "bd09"), default=None,
                   help="datum of the origins file when it differs from --coords")
    p.add_argument("--destinations-coords", choices=("wgs84", "gcj02", "bd09"), default=None,
                   help="datum of the destinations file when it differs from --coords")
    p.add_argument("--mode", choices=("walk", "drive", "mixed"), default="walk", help="travel mode (default walk)")
    p.add_argument("--metric", choices=("time", "distance"), default="time",
                   help="minimise travel time or road distance (default time)")
    p.add_argument("--cutoff-min", type=float, default=None, help="omit pairs slower than this many minutes")
    p.add_argument("--cutoff-m", type=float, default=None, help="omit pairs farther than this many metres (--metric distance)")
    p.add_argument("--dem", default=None, help="elevation raster (GeoTIFF, .hgt, .hgt.zip) for slope-aware speeds")
    p.add_argument("--max-snap-m", type=float, default=None, help="points farther from a road are unreachable (default 1500)")
    p.add_argument("--id-col", default="id",
                   help="id column of both point layers (default id; 'row' = 1-based row numbers when the "
                        "file has no such column)")
    p.add_argument("--origins-id-col", default=None, help="id column of the origins when it differs from --id-col")
    p.add_argument("--destinations-id-col", default=None,
                   help="id column of the destinations when it differs from --id-col")
    p.add_argument("-o", "--output", required=True, help="output CSV")
    p.set_defaults(func=run)


def read_network(path: str | os.PathLike[str], *, class_column: str | None = None, layer: str | None = None) -> Any:
    """Read a road network from OSM or a line layer, in a metric CRS.

    Parameters
    ----------
    path : path-like
        ``.osm``, ``.osm.bz2``, ``.osm.pbf``, or a line layer.
    class_column : str, optional
        Road class column of a line layer (default: the first of ``highway``, ``等级``,
        ``class`` present).
    layer : str, optional
        Layer of a multi-layer line file.

    Returns
    -------
    planning.county.RoadNetwork
        Projected to :func:`planning.crs.metric_crs_for` the network when it is not projected.
    """
    import pyogrio
    from pyproj import CRS

    from planning.crs import metric_crs_for
    from planning.io import project_network, read_roads_lines, read_roads_osm

    p = Path(path)
    if not p.exists():
        raise InputError("roads", [f"file not found: {p}"])
    if p.name.lower().endswith(_OSM_SUFFIXES):
        net = read_roads_osm(p)
    else:
        if class_column is None:
            fields = list(pyogrio.read_info(p, layer=layer)["fields"])
            found = [c for c in ("highway", "等级", "class", "fclass") if c in fields]
            if not found:
                raise InputError("roads", [f"{p}: no road class column found among {fields}; "
                                           "pass --road-class-column NAME"])
            class_column = found[0]
        net = read_roads_lines(p, class_column=class_column, layer=layer)
    crs = CRS.from_user_input(net.nodes.crs)
    if not crs.is_projected:
        net = project_network(net, metric_crs_for(net.nodes))
    return net


def write_csv_atomic(df: Any, path: str | os.PathLike[str], *, float_format: str = "%.6f") -> Path:
    """Write a table as CSV (UTF-8 with BOM) to a temporary file, then rename it into place."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    try:
        df.to_csv(tmp, index=False, encoding="utf-8-sig", float_format=float_format, lineterminator="\n")
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out


def _with_id(gdf: Any, id_col: str) -> Any:
    """The layer with its id column: ``id_col`` itself, else its Chinese or upper-case alias
    (编号, 代码, ID, … of :data:`planning.schema.COLUMN_ALIASES`), else 1-based row numbers when
    ``id_col`` is ``"row"``; otherwise an InputError naming the columns."""
    from planning.schema import COLUMN_ALIASES

    if id_col in gdf.columns:
        return gdf
    aliases = [c for c in gdf.columns if COLUMN_ALIASES.get(str(c)) == id_col]
    if len(aliases) == 1:
        return gdf.rename(columns={aliases[0]: id_col})
    if id_col == "row":
        return gdf.assign(row=np.arange(1, len(gdf) + 1))
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    raise InputError("planning od", [f"id column {id_col!r} not found; columns are {cols}; pass --id-col NAME "
                                     "(or --origins-id-col / --destinations-id-col, or 'row' for row numbers)"])


def run(args: argparse.Namespace) -> int:
    """Read, route, write; print a one-paragraph summary."""
    import geopandas as gpd
    from shapely.geometry import box

    from planning.config import TravelSettings
    from planning.io import read_raster, read_vector
    from planning.network.engine import TravelEngine
    from planning.network.graph import RoadGraph

    problems = []
    if args.cutoff_min is not None and args.metric != "time":
        problems.append("--cutoff-min applies to --metric time; use --cutoff-m with --metric distance")
    if args.cutoff_m is not None and args.metric != "distance":
        problems.append("--cutoff-m applies to --metric distance; use --cutoff-min with --metric time")
    for name in ("origins", "destinations"):
        if not Path(getattr(args, name)).exists():
            problems.append(f"--{name}: file not found: {getattr(args, name)}")
    if problems:
        raise InputError("planning od", problems)
    settings = TravelSettings() if args.max_snap_m is None else TravelSettings(max_snap_m=args.max_snap_m)
    net = read_network(args.roads, class_column=args.road_class_column, layer=args.roads_layer)
    crs = net.nodes.crs
    dem = None
    if args.dem:
        x0, y0, x1, y1 = net.nodes.total_bounds
        area = gpd.GeoSeries([box(x0, y0, x1, y1).buffer(1000.0)], crs=crs)
        dem = read_raster(args.dem, "dem", clip_to=area, dst_crs=crs)
    engine = TravelEngine(RoadGraph.from_network(net, dem=dem, settings=settings), settings=settings)
    layers = {}
    for name in ("origins", "destinations"):
        coords = getattr(args, f"{name}_coords") or args.coords
        gdf = read_vector(getattr(args, name), layer=getattr(args, f"{name}_layer"), coords=coords, what=name)
        id_col = getattr(args, f"{name}_id_col") or args.id_col
        layers[name] = _with_id(gdf.to_crs(crs), id_col).rename(columns={id_col: "id"})
    cutoff = args.cutoff_min if args.metric == "time" else args.cutoff_m
    so = engine.snap(layers["origins"], mode=args.mode, what="origins")
    sd = engine.snap(layers["destinations"], mode=args.mode, what="destinations")
    od = engine.od(so, sd, mode=args.mode, metric=args.metric, cutoff=cutoff)
    out = write_csv_atomic(od, args.output)
    n_far_o = int((~so.ok).sum())
    n_far_d = int((~sd.ok).sum())
    reached = int(od["travel_time_min"].notna().sum())
    print(f"{len(so)} origins × {len(sd)} destinations, mode {args.mode}, metric {args.metric}"
          f"{'' if cutoff is None else f', cutoff {cutoff:g}'}; {reached:,} reachable pairs; "
          f"wrote {len(od):,} rows to {out}")
    for what, sp, n_far in (("origins", so, n_far_o), ("destinations", sd, n_far_d)):
        if n_far:
            first = "; ".join(f"{i}: {r}" for i, r in list(zip(sp.ids[~sp.ok], sp.reason[~sp.ok]))[:5])
            print(f"{n_far} {what} are off the {args.mode} network (unreachable): {first}")
    return 0
