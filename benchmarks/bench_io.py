"""Data layer (issue 2): datum conversion, OSM road loading, total-preserving raster reprojection.

* ``gcj02``: GCJ-02 → WGS84 on N random points in China. Ours: :func:`planning.crs.gcj02_to_wgs84`
  (vectorised numpy, exact fixed-point inverse). Peers: the per-point pure-Python algorithms
  that the common libraries publish (eviltransform ``gcj2wgs``: one step ``gcj - delta(gcj)``;
  ``gcj2wgs_exact``: bisection to 1e-6°), re-implemented here with ``math``. Reported: time and
  the worst round-trip error ``|wgs84_to_gcj02(result) - input|`` in metres.
* ``osm``: the Comoros extract (``comores-latest.osm.pbf``). Ours: :func:`planning.io.read_roads_osm`
  end to end (pyosmium highway extract, osmnx, RoadNetwork). Peer: osmnx alone,
  ``graph_from_xml`` on the already extracted highway XML (so the ratio is our overhead).
* ``raster``: WorldPop Comoros clipped to Grande Comore and reprojected to UTM 38S at 100 m.
  Ours (GDAL sum + exact rescale) against GDAL's ``sum`` resampling alone: total drift.
"""

from __future__ import annotations

import math
import tempfile
import time
from pathlib import Path

import numpy as np

SHARED = Path(__file__).resolve().parents[2] / "shared"
_A = 6378245.0
_EE = 0.00669342162296594323


def _delta_scalar(lon: float, lat: float) -> tuple[float, float]:
    x, y = lon - 105.0, lat - 35.0
    common = (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x)) + common
            + (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
            + (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x)) + common
            + (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
            + (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(radlat) ** 2
    sq = math.sqrt(magic)
    return (dlon * 180.0) / (_A / sq * math.cos(radlat) * math.pi), \
        (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sq) * math.pi)


def _one_step(lon: float, lat: float) -> tuple[float, float]:
    dlon, dlat = _delta_scalar(lon, lat)
    return lon - dlon, lat - dlat


def _bisection(lon: float, lat: float) -> tuple[float, float]:
    d = 0.01
    mlon, mlat, plon, plat = lon - d, lat - d, lon + d, lat + d
    wlon, wlat = lon, lat
    for _ in range(30):
        wlon, wlat = (mlon + plon) / 2, (mlat + plat) / 2
        dlon, dlat = _delta_scalar(wlon, wlat)
        rlon, rlat = wlon + dlon - lon, wlat + dlat - lat
        if abs(rlon) < 1e-6 and abs(rlat) < 1e-6:
            break
        if rlat > 0:
            plat = wlat
        else:
            mlat = wlat
        if rlon > 0:
            plon = wlon
        else:
            mlon = wlon
    return wlon, wlat


def _error_m(lon: np.ndarray, lat: np.ndarray, glon: np.ndarray, glat: np.ndarray) -> float:
    from planning.crs import wgs84_to_gcj02

    flon, flat = wgs84_to_gcj02(lon, lat)
    dx = np.radians(flon - glon) * 6371008.8 * np.cos(np.radians(glat))
    dy = np.radians(flat - glat) * 6371008.8
    return float(np.max(np.hypot(dx, dy)))


def _bench_gcj(n: int) -> list[str]:
    from planning.crs import gcj02_to_wgs84

    rng = np.random.default_rng(2)
    glon = rng.uniform(75.0, 134.0, n)
    glat = rng.uniform(18.0, 53.0, n)
    rows = []
    t = time.perf_counter()
    lon, lat = gcj02_to_wgs84(glon, glat)
    ours = time.perf_counter() - t
    rows.append(("ours: gcj02_to_wgs84 (numpy, exact)", ours, _error_m(lon, lat, glon, glat)))
    for label, func in (("per-point one step (eviltransform gcj2wgs)", _one_step),
                        ("per-point bisection (eviltransform gcj2wgs_exact)", _bisection)):
        t = time.perf_counter()
        out = np.array([func(x, y) for x, y in zip(glon.tolist(), glat.tolist())])
        took = time.perf_counter() - t
        rows.append((label, took, _error_m(out[:, 0], out[:, 1], glon, glat)))
    lines = [f"### GCJ-02 → WGS84, {n:,} points", "",
             "| method | time (s) | ratio to ours | worst round-trip error (m) |", "|---|---:|---:|---:|"]
    lines += [f"| {label} | {took:.3f} | {took / ours:.1f}× | {err:.2e} |" for label, took, err in rows]
    return lines


def _bench_osm() -> list[str]:
    import osmnx as ox

    from planning.io import read_roads_osm
    from planning.io.roads import _extract_highways

    pbf = SHARED / "real" / "comoros" / "comores-latest.osm.pbf"
    if not pbf.exists():
        return ["### OSM loading", "", f"skipped: {pbf} not found"]
    t = time.perf_counter()
    net = read_roads_osm(pbf)
    ours = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        xml = Path(tmp) / "h.osm"
        t = time.perf_counter()
        _extract_highways(pbf, xml)
        extract = time.perf_counter() - t
        t = time.perf_counter()
        g = ox.graph_from_xml(xml, bidirectional=False, simplify=True, retain_all=True)
        peer = time.perf_counter() - t
    return ["### OSM loading: Comoros extract (3.4 MB PBF)", "",
            "| step | time (s) |", "|---|---:|",
            f"| ours: read_roads_osm end to end | {ours:.2f} |",
            f"| of which pyosmium highway extract | {extract:.2f} |",
            f"| peer: osmnx graph_from_xml on the extracted XML | {peer:.2f} |",
            "",
            f"Ratio ours / osmnx alone: {ours / peer:.2f}×. Network: {len(net.nodes):,} nodes, "
            f"{len(net.edges):,} directed edges (osmnx: {g.number_of_nodes():,} nodes, "
            f"{g.number_of_edges():,} edges), {net.length_by_class_km().sum():,.1f} km of road."]


def _bench_raster() -> list[str]:
    import geopandas as gpd
    import rasterio
    import rasterio.warp
    from shapely import box

    from planning.io import read_raster

    tif = SHARED / "real" / "comoros" / "com_ppp_2020_UNadj.tif"
    if not tif.exists():
        return ["### Raster", "", f"skipped: {tif} not found"]
    clip = gpd.GeoDataFrame(geometry=[box(43.2, -11.95, 43.55, -11.35)], crs=4326)
    src = read_raster(tif, "population", clip_to=clip)
    t = time.perf_counter()
    ours = read_raster(tif, "population", clip_to=clip, dst_crs="EPSG:32738", resolution_m=100)
    took = time.perf_counter() - t
    dst = np.full(ours.shape, np.nan)
    rasterio.warp.reproject(np.nan_to_num(src.array), dst, src_transform=src.transform, src_crs=src.crs,
                            dst_transform=ours.transform, dst_crs=ours.crs, src_nodata=None, dst_nodata=np.nan,
                            resampling=rasterio.warp.Resampling.sum)
    raw = float(np.nansum(dst))
    return ["### Population reprojection: WorldPop, Grande Comore, UTM 38S at 100 m", "",
            "| method | total | drift from the clipped source |", "|---|---:|---:|",
            f"| clipped source (3 arc-seconds) | {src.total():,.1f} | — |",
            f"| ours: read_raster (sum + exact rescale), {took:.2f} s | {ours.total():,.1f} | "
            f"{ours.total() / src.total() - 1:+.2e} |",
            f"| GDAL sum resampling alone | {raw:,.1f} | {raw / src.total() - 1:+.2e} |"]


def main(quick: bool) -> str:
    """Run the data-layer benchmarks; return a Markdown section."""
    n = 20_000 if quick else 200_000
    lines = ["## Data layer (issue 2)", "", __doc__.split("\n\n", 1)[1].strip(), ""]
    lines += _bench_gcj(n) + [""] + _bench_osm() + [""] + _bench_raster()
    return "\n".join(lines) + "\n"
