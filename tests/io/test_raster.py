"""planning.io.raster: tiny GeoTIFF / SRTM .hgt / .hgt.zip, clipping, total-preserving reprojection."""

from __future__ import annotations

import zipfile

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from affine import Affine
from shapely import box

from planning._errors import CRSError, InputError
from planning.io import gdal_path, read_dem_tiles, read_raster

T = Affine(0.02, 0.0, 110.96, 0.0, -0.02, 38.14)  # 9 x 9 cells of 0.02 degree
VALUES = np.arange(1, 82, dtype=np.float64).reshape(9, 9)


def _tif(path, data=VALUES, transform=T, crs="EPSG:4326", nodata=-99999.0, dtype="float64"):
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0], count=1,
                       dtype=dtype, crs=crs, transform=transform, nodata=nodata) as ds:
        ds.write(data.astype(dtype), 1)
    return path


def _county():
    return gpd.GeoDataFrame(geometry=[box(111.0, 38.0, 111.1, 38.1)], crs="EPSG:4326")


def test_read_tiny_geotiff_nodata_as_nan(tmp_path):
    data = VALUES.copy()
    data[0, 0] = -99999.0
    r = read_raster(_tif(tmp_path / "p.tif", data), "population")
    assert r.shape == (9, 9) and r.crs.to_epsg() == 4326 and r.kind == "population"
    assert np.isnan(r.array[0, 0]) and r.array[8, 8] == 81.0
    assert r.total() == pytest.approx(VALUES.sum() - 1)  # 3321 - 1


def test_clip_keeps_cells_with_centre_inside(tmp_path):
    r = read_raster(_tif(tmp_path / "p.tif"), "population", clip_to=_county())
    # centres 111.01..111.09 E and 38.01..38.09 N: rows 2..6, columns 2..6 -> sum by hand
    assert r.total() == 1025.0
    assert np.count_nonzero(np.isfinite(r.array)) == 25
    clip3857 = _county().to_crs(3857)  # clip geometry in another CRS works the same
    assert read_raster(tmp_path / "p.tif", "population", clip_to=clip3857).total() == 1025.0


@pytest.mark.parametrize("resolution_m", [200.0, 500.0, 3000.0])
def test_population_reprojection_preserves_total(tmp_path, resolution_m):
    r = read_raster(_tif(tmp_path / "p.tif"), "population", clip_to=_county(), dst_crs="EPSG:4546",
                    resolution_m=resolution_m)
    assert r.crs.to_epsg() == 4546 and abs(r.transform.a) == resolution_m
    assert r.total() == pytest.approx(1025.0, rel=1e-12)
    # people stay where they were: values grow eastwards, so the western cells are less dense
    rows, cols = np.nonzero(np.isfinite(r.array))
    x = r.transform.c + (cols + 0.5) * r.transform.a
    v = r.array[rows, cols]
    centre_x = gpd.GeoSeries(gpd.points_from_xy([111.05], [38.05]), crs=4326).to_crs(4546).x.iloc[0]
    assert v[x < centre_x].mean() < v[x > centre_x].mean()


def test_dem_reprojection_bilinear(tmp_path):
    r = read_raster(_tif(tmp_path / "d.tif", 800.0 + VALUES * 10), "dem", clip_to=_county(),
                    dst_crs="EPSG:4546", resolution_m=500.0)
    assert r.kind == "dem" and 1010.0 <= np.nanmin(r.array) and np.nanmax(r.array) <= 1410.0


def _hgt(path, size=1201, base=100):
    """A tiny SRTM-style tile: big-endian int16, named by its south-west corner."""
    data = (base + np.add.outer(np.arange(size), np.arange(size))).astype(">i2")
    data[5, 5] = -32768  # void
    path.write_bytes(data.tobytes())
    return path


def test_srtm_hgt_and_zip(tmp_path):
    hgt = _hgt(tmp_path / "N38E111.hgt")
    r = read_raster(hgt, "dem")
    assert r.shape == (1201, 1201) and r.crs.to_epsg() == 4326  # SRTM3: 3 arc-seconds
    assert np.isnan(r.array[5, 5]) and r.array[0, 0] == 100.0 and r.array[1200, 1200] == 2500.0
    assert r.transform.c == pytest.approx(111.0 - 0.5 / 1200) and r.transform.f == pytest.approx(39.0 + 0.5 / 1200)
    z = tmp_path / "N38E111.hgt.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.write(hgt, "N38E111.hgt")
    assert gdal_path(z).startswith("/vsizip/") and gdal_path(z).endswith("/N38E111.hgt")
    rz = read_raster(z, "dem")
    assert np.array_equal(rz.array, r.array, equal_nan=True)


def test_dem_tiles_merged(tmp_path):
    a = _hgt(tmp_path / "N38E111.hgt", base=100)
    b = _hgt(tmp_path / "N38E112.hgt", base=1000)
    r = read_dem_tiles([a, b])
    assert r.shape == (1201, 2401)  # the shared edge column is counted once
    assert r.array[0, 0] == 100.0 and r.array[0, 2400] == 2200.0 and r.array[0, 1201] == 1001.0
    clipped = read_dem_tiles([a, b], clip_to=gpd.GeoDataFrame(geometry=[box(111.9, 38.4, 112.1, 38.6)], crs=4326))
    assert clipped.shape[1] < 260 and np.nanmin(clipped.array) >= 100 and np.nanmax(clipped.array) > 1000


def test_raster_errors(tmp_path):
    path = _tif(tmp_path / "p.tif")
    with pytest.raises(InputError, match="unknown raster kind 'people'"):
        read_raster(path, "people")
    with pytest.raises(InputError, match="file not found"):
        read_raster(tmp_path / "none.tif")
    far = gpd.GeoDataFrame(geometry=[box(10, 10, 11, 11)], crs=4326)
    with pytest.raises(InputError, match="does not overlap the county"):
        read_raster(path, clip_to=far)
    with pytest.raises(CRSError, match="clip_to must be a GeoDataFrame"):
        read_raster(path, clip_to=box(111, 38, 111.1, 38.1))
    with rasterio.open(tmp_path / "nocrs.tif", "w", driver="GTiff", width=2, height=2, count=1, dtype="float64",
                       transform=T) as ds:
        ds.write(np.ones((2, 2)), 1)
    with pytest.raises(CRSError, match="the raster has no CRS"):
        read_raster(tmp_path / "nocrs.tif")
    with pytest.raises(CRSError, match="resolution_m needs a projected dst_crs"):
        read_raster(path, dst_crs="EPSG:4326", resolution_m=100)


def test_comoros_worldpop_total_preserved(shared_dir):
    path = shared_dir / "real/comoros/com_ppp_2020_UNadj.tif"
    full = read_raster(path, "population")
    assert full.shape == (1270, 1576)
    assert full.total() == pytest.approx(869_595, abs=1)
    grande_comore = gpd.GeoDataFrame(geometry=[box(43.2, -11.95, 43.55, -11.35)], crs=4326)
    clipped = read_raster(path, "population", clip_to=grande_comore)
    assert clipped.total() == pytest.approx(449_425.0, abs=1)
    projected = read_raster(path, "population", clip_to=grande_comore, dst_crs="EPSG:32738", resolution_m=250)
    assert projected.total() == pytest.approx(clipped.total(), rel=1e-9)


def test_comoros_srtm_tiles_merged(shared_dir):
    tiles = [shared_dir / f"real/comoros/{t}.SRTMGL1.hgt.zip" for t in ("S12E043", "S13E043", "S13E044")]
    # Grande Comore (Karthala, 2,361 m) and Moheli, across the S12/S13 tile seam
    dem = read_dem_tiles(tiles, clip_to=gpd.GeoDataFrame(geometry=[box(43.2, -12.45, 43.75, -11.7)], crs=4326))
    assert dem.shape == (2700, 1980)
    assert np.nanmin(dem.array) == -14.0 and np.nanmax(dem.array) == 2361.0  # S12E043 alone: -5..2,361
    assert not np.isnan(dem.array).any()
    # all three tiles, reprojected to UTM 38S at 500 m: no gaps on the seams inside the box
    allthree = read_dem_tiles(tiles, clip_to=gpd.GeoDataFrame(geometry=[box(43.2, -12.45, 44.55, -11.35)], crs=4326),
                              dst_crs="EPSG:32738", resolution_m=500)
    assert allthree.crs.to_epsg() == 32738
    assert 2200 < np.nanmax(allthree.array) <= 2361 and np.nanmin(allthree.array) >= -14
