"""planning.crs: GCJ-02 / BD-09 conversions against published reference points, metric CRS."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely import LineString, MultiPolygon, Point, Polygon, box

from planning._errors import CRSError
from planning.crs import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    convert_geometries,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    in_china,
    metric_crs_for,
    require_crs,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

# Reference points of googollee/eviltransform (go/transform_test.go, python/test.py, BSD-2):
# (wgs_lat, wgs_lng, gcj_lat, gcj_lng) for Shanghai, Shenzhen, Beijing.
EVILTRANSFORM = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
]

# Reference outputs printed in the README of wandergis/coordtransform (MIT), all for the input
# (116.404, 39.915). Its gcj02towgs84 is the one-step approximation gcj - delta(gcj).
COORDTRANSFORM_IN = (116.404, 39.915)
COORDTRANSFORM = {
    "bd09togcj02": (116.39762729119315, 39.90865673957631),
    "gcj02tobd09": (116.41036949371029, 39.92133699351021),
    "wgs84togcj02": (116.41024449916938, 39.91640428150164),
    "gcj02towgs84_approx": (116.39775550083061, 39.91359571849836),
}


def _haversine_m(lon1, lat1, lon2, lat2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dlat, dlon = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dlat / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    return 2 * 6371008.8 * np.arcsin(np.sqrt(a))


@pytest.mark.parametrize("wlat,wlng,glat,glng", EVILTRANSFORM)
def test_wgs84_to_gcj02_matches_eviltransform(wlat, wlng, glat, glng):
    lon, lat = wgs84_to_gcj02(wlng, wlat)
    assert lon == pytest.approx(glng, abs=1e-9)
    assert lat == pytest.approx(glat, abs=1e-9)


@pytest.mark.parametrize("wlat,wlng,glat,glng", EVILTRANSFORM)
def test_gcj02_to_wgs84_exact_inverse_of_reference(wlat, wlng, glat, glng):
    lon, lat = gcj02_to_wgs84(glng, glat)
    assert abs(lon - wlng) < 1e-6 and abs(lat - wlat) < 1e-6
    assert _haversine_m(lon, lat, wlng, wlat) < 0.1  # eviltransform's own bound for "exact" is 0.5 m


def test_coordtransform_readme_values():
    x, y = COORDTRANSFORM_IN
    assert wgs84_to_gcj02(x, y) == pytest.approx(COORDTRANSFORM["wgs84togcj02"], abs=1e-9)
    assert gcj02_to_bd09(x, y) == pytest.approx(COORDTRANSFORM["gcj02tobd09"], abs=1e-9)
    # their closed-form BD inverse is accurate to ~5e-7 deg; ours is refined to exact
    assert bd09_to_gcj02(x, y) == pytest.approx(COORDTRANSFORM["bd09togcj02"], abs=1e-6)
    assert gcj02_to_bd09(*bd09_to_gcj02(x, y)) == pytest.approx((x, y), abs=1e-10)
    # their one-step GCJ inverse is reproduced by gcj - (f(gcj) - gcj) ...
    fx, fy = wgs84_to_gcj02(x, y)
    assert (2 * x - fx, 2 * y - fy) == pytest.approx(COORDTRANSFORM["gcj02towgs84_approx"], abs=1e-9)
    # ... and our exact inverse is within a few metres of it, but exact
    lon, lat = gcj02_to_wgs84(x, y)
    assert _haversine_m(lon, lat, *COORDTRANSFORM["gcj02towgs84_approx"]) < 5.0
    assert wgs84_to_gcj02(lon, lat) == pytest.approx((x, y), abs=1e-9)


def test_round_trips_vectorised_over_china():
    rng = np.random.default_rng(20240601)
    lon = rng.uniform(75.0, 134.0, 2000)
    lat = rng.uniform(18.0, 53.0, 2000)
    glon, glat = wgs84_to_gcj02(lon, lat)
    assert isinstance(glon, np.ndarray) and glon.shape == (2000,)
    shift_m = _haversine_m(lon, lat, glon, glat)
    assert shift_m.min() > 1.0 and shift_m.max() < 1500.0  # GCJ-02 shifts are tens to hundreds of metres
    wlon, wlat = gcj02_to_wgs84(glon, glat)
    assert np.abs(wlon - lon).max() < 1e-8 and np.abs(wlat - lat).max() < 1e-8
    blon, blat = wgs84_to_bd09(lon, lat)
    wlon, wlat = bd09_to_wgs84(blon, blat)
    assert np.abs(wlon - lon).max() < 1e-8 and np.abs(wlat - lat).max() < 1e-8


def test_outside_china_unchanged():
    lon = np.array([43.25, 1.52, -74.0, 140.0])
    lat = np.array([-11.7, 42.5, 40.7, 35.0])
    for func in (wgs84_to_gcj02, gcj02_to_wgs84, gcj02_to_bd09, bd09_to_gcj02, bd09_to_wgs84, wgs84_to_bd09):
        x, y = func(lon, lat)
        assert np.array_equal(x, lon) and np.array_equal(y, lat), func.__name__
    assert in_china(111.0, 38.0) and not in_china(43.25, -11.7)
    assert wgs84_to_gcj02(43.25, -11.7) == (43.25, -11.7)


def test_convert_geometries_every_type():
    gx, gy = wgs84_to_gcj02(111.0, 38.0)
    poly = Polygon([(111.0, 38.0), (111.1, 38.0), (111.1, 38.1), (111.0, 38.1)])
    gpoly = shapely.transform(poly, lambda c: np.column_stack(wgs84_to_gcj02(c[:, 0], c[:, 1])))
    gdf = gpd.GeoDataFrame(
        {"name": ["p", "l", "mp"]},
        geometry=[Point(gx, gy), LineString([(gx, gy), (gx + 0.01, gy)]), MultiPolygon([gpoly])],
        crs="EPSG:4326",
    )
    out = convert_geometries(gdf, source="gcj02")
    assert out.crs.to_epsg() == 4326 and list(out["name"]) == ["p", "l", "mp"]
    assert out.geometry.iloc[0].x == pytest.approx(111.0, abs=1e-9)
    assert out.geometry.iloc[0].y == pytest.approx(38.0, abs=1e-9)
    assert out.geometry.iloc[1].coords[0] == pytest.approx((111.0, 38.0), abs=1e-9)
    assert out.geometry.iloc[2].equals_exact(MultiPolygon([poly]), tolerance=1e-8)
    # the input is untouched
    assert gdf.geometry.iloc[0].x == gx
    bx, by = wgs84_to_bd09(111.0, 38.0)
    s = convert_geometries(gpd.GeoSeries([Point(bx, by)], crs="EPSG:4326"), source="bd09")
    assert (s.iloc[0].x, s.iloc[0].y) == pytest.approx((111.0, 38.0), abs=1e-9)


def test_convert_geometries_errors():
    s = gpd.GeoSeries([Point(500000, 4200000)], crs="EPSG:4546")
    with pytest.raises(CRSError, match="needs lon/lat degrees"):
        convert_geometries(s, source="gcj02")
    with pytest.raises(CRSError, match="unknown datum 'wgs72'"):
        convert_geometries(gpd.GeoSeries([Point(1, 1)], crs="EPSG:4326"), source="wgs72")


def test_metric_crs_choice():
    lvliang = box(110.6, 37.6, 111.4, 38.3)
    crs = metric_crs_for(lvliang)
    assert crs.to_epsg() == 4546 and crs.name == "CGCS2000 / 3-degree Gauss-Kruger CM 111E"
    assert metric_crs_for(lvliang, system="utm").to_epsg() == 32649
    assert metric_crs_for(box(75.5, 39.0, 76.0, 39.5)).to_epsg() == 4534  # Kashgar, CM 75E
    assert metric_crs_for(box(129.0, 46.0, 130.0, 47.0)).to_epsg() == 4552  # centre 129.5E -> CM 129E
    assert metric_crs_for(box(131.0, 46.0, 132.0, 47.0)).to_epsg() == 4553  # centre 131.5E -> CM 132E
    # outside China: UTM, south hemisphere for the Comoros
    assert metric_crs_for(box(43.2, -12.5, 44.6, -11.3)).to_epsg() == 32738
    assert metric_crs_for(box(1.4, 42.4, 1.8, 42.7)).to_epsg() == 32631  # Andorra
    gdf = gpd.GeoDataFrame(geometry=[lvliang], crs="EPSG:4326").to_crs("EPSG:3857")
    assert metric_crs_for(gdf).to_epsg() == 4546
    with pytest.raises(CRSError, match="no CRS"):
        metric_crs_for(gpd.GeoDataFrame(geometry=[lvliang]))
    with pytest.raises(CRSError, match="unknown system 'lambert'"):
        metric_crs_for(lvliang, system="lambert")


def test_require_crs():
    assert require_crs(gpd.GeoSeries([Point(1, 1)], crs="EPSG:4326"), "x").to_epsg() == 4326
    with pytest.raises(CRSError, match=r"(?s)villages 'v.shp'.*no coordinate reference system.*\.prj"):
        require_crs(gpd.GeoDataFrame(geometry=[Point(1, 1)]), "villages 'v.shp'")


def test_lin_county_fence_gcj02_area_and_shift(shared_dir):
    """临县 (141124) fence, published in GCJ-02: area after conversion 2,977 ± 15 km²."""
    geom = shapely.geometry.shape(json.loads((shared_dir / "real/lvliang/fences/141124.json").read_text()))
    gcj = gpd.GeoSeries([geom], crs="EPSG:4326")
    wgs = convert_geometries(gcj, source="gcj02")
    crs = metric_crs_for(wgs)
    assert crs.to_epsg() == 4546
    area_km2 = wgs.to_crs(crs).area.iloc[0] / 1e6
    assert area_km2 == pytest.approx(2977.0, abs=15.0)
    # shift GCJ-02 minus WGS84 over the boundary vertices, metres east and north
    xy = shapely.get_coordinates(wgs.iloc[0])
    glon, glat = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
    east_m = np.radians(glon - xy[:, 0]) * 6371008.8 * np.cos(np.radians(xy[:, 1]))
    north_m = np.radians(glat - xy[:, 1]) * 6371008.8
    assert 500.0 < np.median(east_m) < 570.0 and 50.0 < np.median(north_m) < 90.0
    assert 450.0 < east_m.min() and east_m.max() < 600.0
    assert 30.0 < north_m.min() and north_m.max() < 100.0
