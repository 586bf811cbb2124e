"""The compiled coordinate read of point layers equals shapely's, on points made every way the
project meets them, and refuses anything that is not a plain non-empty Point without NaN (the
caller then names the problems with shapely)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
import shapely.affinity

from planning._errors import InputError
from planning.network._point_xy import point_xy
from planning.network.snap import check_points


def test_equals_shapely_on_seeded_points():
    rng = np.random.default_rng(4)
    x = np.concatenate([rng.uniform(-1e7, 1e7, 5000), [0.0, -0.0, 1e-300, 5e-324]])
    y = np.concatenate([rng.normal(4e6, 1e5, 5000), [0.0, 1.0, -1e-300, 7.0]])
    pts = shapely.points(x, y)
    got = point_xy(pts)
    assert got is not None, "the fast path should be available on this platform"
    assert np.array_equal(got[0], shapely.get_x(pts)) and np.array_equal(got[1], shapely.get_y(pts))
    pts_z = shapely.points(x[:50], y[:50], np.arange(50.0))
    got = point_xy(pts_z)
    assert got is not None and np.array_equal(got[0], x[:50]) and np.array_equal(got[1], y[:50])
    empty = point_xy(np.empty(0, dtype=object))
    assert empty is not None and empty[0].size == 0


@pytest.mark.parametrize("bad", [None, shapely.Point(), shapely.LineString([(0, 0), (1, 1)]),
                                 shapely.MultiPoint([(0, 0)]), shapely.Polygon([(0, 0), (1, 0), (0, 1)]), "POINT (1 2)"])
def test_refuses_what_is_not_a_plain_point(bad):
    pts = shapely.points(np.arange(10.0), np.arange(10.0))
    arr = np.array(list(pts[:6]) + [bad] + list(pts[6:]), dtype=object)
    assert point_xy(arr) is None


def test_equals_shapely_on_points_made_every_way(tmp_path):
    """Reprojected, transformed, read from a GeoPackage, interpolated on lines, centroids: the
    envelope read gives shapely's coordinates (infinite ones included)."""
    rng = np.random.default_rng(5)
    lon, lat = rng.uniform(110.5, 112.0, 300), rng.uniform(36.5, 38.5, 300)
    wgs = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    utm = wgs.to_crs("EPSG:32649")
    path = tmp_path / "villages.gpkg"
    gpd.GeoDataFrame({"id": np.arange(300)}, geometry=utm).to_file(path)
    lines = shapely.linestrings(rng.uniform(0, 1e4, (50, 4, 2)))
    layers = {
        "to_crs": utm.values,
        "gpkg": gpd.read_file(path).geometry.values,
        "affine": shapely.affinity.translate(utm.iloc[0], 5.0, -7.5),
        "interpolated": shapely.line_interpolate_point(lines, rng.uniform(0, 1, 50), normalized=True),
        "centroids": shapely.centroid(lines),
        "z": shapely.points(lon, lat, lat),
        "infinite": shapely.points([np.inf, 1.0], [2.0, -np.inf]),
    }
    for name, geoms in layers.items():
        geoms = np.atleast_1d(np.asarray(geoms, dtype=object))
        got = point_xy(geoms)
        assert got is not None, name
        assert np.array_equal(got[0], shapely.get_x(geoms)) and np.array_equal(got[1], shapely.get_y(geoms)), name


@pytest.mark.parametrize("xy", [(np.nan, np.nan), (np.nan, 1.0), (1.0, np.nan)])
def test_refuses_nan_coordinates(xy):
    arr = np.array([shapely.Point(0, 0), shapely.Point(*xy), shapely.Point(2, 2)], dtype=object)
    assert point_xy(arr) is None


def test_nan_coordinates_still_reported():
    """A Point(nan, nan) is refused by the fast read; shapely's checks name its row."""
    gdf = gpd.GeoDataFrame({"id": ["a", "b", "c"]}, geometry=[shapely.Point(0, 0), shapely.Point(np.nan, np.nan),
                                                                shapely.Point()], crs="EPSG:32650")
    with pytest.raises(InputError) as err:
        check_points(gdf, gdf.crs, id_col="id", what="villages")
    text = str(err.value)
    assert "1 points with NaN coordinates, rows [2]" in text
    assert "1 missing or empty geometries, rows [3]; give every point its coordinates (in a CSV, numbers" in text
