"""planning.io.load_county on a tiny county written by the test, and every error path."""

from __future__ import annotations

import hashlib

import geopandas as gpd
import numpy as np
import pytest
from shapely import Point

from planning._errors import InputError
from planning.io import load_county, read_manifest



def test_load_tiny_county(tiny_county, tiny):
    c = load_county(tiny_county)
    assert c.crs.to_epsg() == 4546  # CGCS2000 3-degree GK, CM 111E
    assert c.name == "测试县" and c.county_id == "141199"
    assert bool(c.boundary["agricultural"].iloc[0]) is True
    assert c.villages["id"].tolist() == ["V1", "V2", "V3", "V4"]
    assert c.villages["population"].tolist() == [350, 120, 980, 150]
    assert c.villages["households"].tolist() == [100, 40, 300, 50]
    assert c.townships["township_type"].tolist() == ["town", "township"]
    seats = gpd.GeoSeries(gpd.points_from_xy([111.02, 111.07], [38.05, 38.05]), crs=4326).to_crs(4546)
    assert np.allclose(c.townships["seat_x"], seats.x) and np.allclose(c.townships["seat_y"], seats.y)
    assert c.boundary["name_en"].iloc[0] == "Test County"
    # facilities: GCJ-02 in the CSV -> WGS84 -> EPSG:4546; township filled by spatial join
    f = c.facilities
    assert f["kind"].tolist() == ["village_clinic", "township_hospital"]
    assert f["township_id"].tolist() == ["T1", "T2"]
    expected = gpd.GeoSeries([Point(r[3], r[4]) for r in tiny.FACILITIES], crs="EPSG:4326").to_crs(4546)
    assert np.allclose(f.geometry.x, expected.x, atol=0.01) and np.allclose(f.geometry.y, expected.y, atol=0.01)
    # roads: node 3 joins only ways 1 and 3, so osmnx simplification merges 2-3-5 into one edge
    # (class: the more important, secondary); three two-way edges -> 6 directed edges
    assert sorted(c.roads.nodes.index) == [1, 2, 4, 5]
    e = c.roads.edges
    assert sorted(zip(e["u"], e["v"], e["highway"])) == [
        (1, 2, "secondary"), (2, 1, "secondary"), (2, 4, "unclassified"), (2, 5, "secondary"),
        (4, 2, "unclassified"), (5, 2, "secondary")]
    assert c.roads.crs.to_epsg() == 4546
    # population: clipped to the county, reprojected, total preserved
    assert c.population.total() == pytest.approx(tiny.pop_inside_total(), rel=1e-9)
    assert tiny.pop_inside_total() == 1025.0  # 25 cells: rows 2..6, columns 2..6 of 1..81
    assert c.population.crs.to_epsg() == 4546
    assert 800 + 10 * 21 - 10 <= np.nanmin(c.dem.array) and np.nanmax(c.dem.array) <= 800 + 10 * 61 + 10
    # seat and provenance
    seat = gpd.GeoSeries([Point(111.05, 38.05)], crs=4326).to_crs(4546).iloc[0]
    assert c.seat.distance(seat) < 1e-6
    meta = c.meta
    assert meta["crs"] == "EPSG:4546" and "auto" in meta["crs_choice"]
    assert meta["planning_version"] == __import__("importlib.metadata").metadata.version("planning")
    assert meta["inputs"]["facilities"]["conversion"] == "gcj02 -> wgs84"
    sha = hashlib.sha256((tiny_county / "facilities.csv").read_bytes()).hexdigest()
    assert meta["inputs"]["facilities"]["sha256"] == sha
    assert meta["inputs"]["roads"]["edges"] == 6


def test_load_county_crs_override_and_determinism(tiny_county):
    c = load_county(tiny_county / "county.yaml", crs="EPSG:32649")
    assert c.crs.to_epsg() == 32649 and c.villages.crs.to_epsg() == 32649
    a, b = load_county(tiny_county), load_county(tiny_county)
    assert a.villages.to_wkt().equals(b.villages.to_wkt())
    assert np.array_equal(a.population.array, b.population.array, equal_nan=True)


def test_manifest_problems_all_at_once(tmp_path, tiny):
    folder = tiny.write(tmp_path / "c", manifest="""county_id: 141199
name: 测试县
crs: EPSG:4326
colour: red
layers:
  boundary: {path: county.gpkg, layer: boundary}
  villages: {path: county.gpkg, layer: villages, coords: mars}
  facilities: {path: missing.csv}
roads: {path: roads.osm}
""")
    with pytest.raises(InputError) as info:
        load_county(folder)
    text = str(info.value)
    assert f"county manifest '{folder / 'county.yaml'}'" in text
    assert "crs: Value error, EPSG:4326 is not a projected (metric) CRS" in text
    assert "colour: unknown key" in text
    assert "layers.townships: required key is missing" in text
    assert "layers.villages.coords: Input should be 'wgs84', 'gcj02' or 'bd09'" in text


def test_manifest_missing_files_and_line_roads_without_class(tmp_path, tiny):
    folder = tiny.write(tmp_path / "c", manifest=tiny.MANIFEST.replace("facilities.csv", "nope.csv")
                               .replace("roads: {path: roads.osm}", "roads: {path: roads.gpkg}"))
    with pytest.raises(InputError) as info:
        read_manifest(folder)
    text = str(info.value)
    assert "layers.facilities.path: file 'nope.csv' not found" in text
    assert "roads.path: file 'roads.gpkg' not found" in text
    assert "roads.class_column: a road line layer needs the column with the road class" in text
    with pytest.raises(InputError, match="file not found; give the county.yaml or its folder"):
        load_county(tmp_path / "nowhere")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "county.yaml").write_text("county_id: [1\n", encoding="utf-8")
    with pytest.raises(InputError, match="not valid YAML"):
        load_county(tmp_path / "bad")


def test_every_layer_problem_in_one_error(tmp_path, tiny):
    villages = list(tiny.VILLAGES) + [("V4", "重复村", "T9", -3, 1, 111.05, 38.05),  # duplicate id, unknown township
                                 ("V6", "远村", "T1", 10, 1, 111.5, 38.5)]      # ~50 km outside
    facilities = list(tiny.FACILITIES) + [("F3", "神秘设施", "魔法塔", 111.02, 38.02)]
    folder = tiny.write(tmp_path / "c", villages=villages, facilities=facilities)
    (folder / "roads.osm").write_text('<?xml version="1.0"?><osm version="0.6"></osm>', encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_county(folder)
    text = str(info.value)
    assert "county '测试县'" in text
    assert "duplicate ids: 'V4' (rows 4, 5)" in text
    assert "column 'population': negative values in rows 5 (-3)" in text
    # checked across layers although the villages layer failed its own checks
    assert "villages layer 'county.gpkg': township_id 'T9' in rows 5 not found in the townships layer" in text
    assert "point(s) outside the county boundary (tolerance 500 m): row 6 V6:远村" in text
    assert "unknown facility kind '魔法塔' in rows 3" in text
    assert "the road network has no edges" in text


def test_unknown_township_id_reported(tmp_path, tiny):
    villages = list(tiny.VILLAGES) + [("V5", "新村", "T9", 30, 10, 111.05, 38.05)]
    folder = tiny.write(tmp_path / "c", villages=villages)
    with pytest.raises(InputError, match=r"villages layer 'county.gpkg': township_id 'T9' in rows 5 not found "
                                         r"in the townships layer \(ids: T1, T2\)"):
        load_county(folder)


def test_missing_crs_is_an_error(tmp_path, tiny):
    folder = tiny.write(tmp_path / "c")
    v = gpd.read_file(folder / "county.gpkg", layer="villages")
    v.columns = ["id", "name", "township", "pop", "hh", "geometry"]  # shapefile fields: <= 10 bytes
    v["township"] = v["township"].map({"T1": "东镇", "T2": "西乡"})  # township names -> ids via townships
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        v.set_crs(None, allow_override=True).to_file(folder / "villages.shp", encoding="utf-8")
    (folder / "villages.prj").unlink(missing_ok=True)
    (folder / "county.yaml").write_text(tiny.MANIFEST.replace("villages:    {path: county.gpkg, layer: villages}",
                                                         "villages:    {path: villages.shp}"), encoding="utf-8")
    with pytest.raises(InputError, match=r"villages layer '.*villages.shp': the file has no coordinate reference "
                                         r"system and none is declared"):
        load_county(folder)
    (folder / "county.yaml").write_text(tiny.MANIFEST.replace("villages:    {path: county.gpkg, layer: villages}",
                                                         "villages:    {path: villages.shp, crs: 'EPSG:4326', "
                                                         "columns: {pop: population, hh: households}}"),
                                        encoding="utf-8")
    c = load_county(folder)
    assert c.villages["township_id"].tolist() == ["T1", "T1", "T2", "T2"]
    assert c.villages["population"].tolist() == [350, 120, 980, 150]


def test_demo_county_loads(repo_dir):
    demo = repo_dir / "data" / "demo" / "county.yaml"
    if not demo.is_file():
        pytest.skip("data/demo not generated yet")
    c = load_county(demo)
    assert c.crs.to_epsg() == 4546 and len(c.villages) > 0 and len(c.roads.edges) > 0
    assert c.facilities["township_id"].notna().all()


def test_line_roads_and_dem_tiles_in_manifest(tmp_path, tiny):
    import rasterio
    from affine import Affine
    from shapely import LineString

    from planning.io import write_geopackage

    folder = tiny.write(tmp_path / "c", manifest=tiny.MANIFEST.replace(
        "roads: {path: roads.osm}", "roads: {path: roads.gpkg, layer: roads, class_column: 等级, coords: gcj02}").replace(
        "dem: {path: dem.tif}", "dem: {path: [dem_w.tif, dem_e.tif], resolution_m: 1000}"))
    from planning.crs import wgs84_to_gcj02

    lines = [LineString([wgs84_to_gcj02(111.01, 38.02), wgs84_to_gcj02(111.05, 38.02)]),
             LineString([wgs84_to_gcj02(111.05, 38.02), wgs84_to_gcj02(111.07, 38.03)])]
    write_geopackage({"roads": gpd.GeoDataFrame({"等级": ["县道", "乡道"]}, geometry=lines, crs=4326)},
                     folder / "roads.gpkg")
    for name, west, value in (("dem_w.tif", 110.96, 900.0), ("dem_e.tif", 111.05, 1100.0)):
        with rasterio.open(folder / name, "w", driver="GTiff", width=5, height=10, count=1, dtype="float64",
                           crs="EPSG:4326", transform=Affine(0.02, 0, west, 0, -0.02, 38.14)) as ds:
            ds.write(np.full((10, 5), value), 1)
    c = load_county(folder)
    e = c.roads.edges
    assert sorted(e["highway"]) == ["secondary", "secondary", "tertiary", "tertiary"]
    assert c.roads.crs.to_epsg() == 4546 and c.meta["inputs"]["roads"]["conversion"] == "gcj02 -> wgs84"
    # the GCJ-02 line vertices land back on their WGS84 positions
    expected = gpd.GeoSeries([Point(111.01, 38.02)], crs=4326).to_crs(4546).iloc[0]
    assert min(Point(x, y).distance(expected) for x, y in zip(c.roads.nodes["x"], c.roads.nodes["y"])) < 0.01
    assert abs(c.dem.transform.a) == 1000.0
    assert np.nanmin(c.dem.array) == pytest.approx(900.0) and np.nanmax(c.dem.array) == pytest.approx(1100.0)
    assert len(c.meta["inputs"]["dem"]["sha256"]) == 2


def test_lin_county_fence_through_load_county(tmp_path, shared_dir):
    """The real 临县 fence (bare GeoJSON geometry, GCJ-02) as the boundary of a county manifest."""
    import json

    import shapely

    from planning.crs import gcj02_to_wgs84
    from planning.io import write_geopackage

    fence = shared_dir / "real/lvliang/fences/141124.json"
    inner = shapely.geometry.shape(json.loads(fence.read_text())).representative_point()  # GCJ-02
    lon, lat = gcj02_to_wgs84(inner.x, inner.y)
    folder = tmp_path / "lin"
    folder.mkdir()
    twp = gpd.GeoDataFrame({"id": ["141124100"], "name": ["临泉镇"], "township_type": ["镇"]},
                           geometry=[shapely.box(lon - 1, lat - 1, lon + 1, lat + 1)], crs=4326)
    vil = gpd.GeoDataFrame({"id": ["V1"], "name": ["甲村"], "township_id": ["141124100"], "population": [500]},
                           geometry=[Point(lon, lat)], crs=4326)
    fac = gpd.GeoDataFrame({"id": ["F1"], "name": ["甲村卫生室"], "kind": ["village_clinic"]},
                           geometry=[Point(lon, lat)], crs=4326)
    write_geopackage({"townships": twp, "villages": vil, "facilities": fac}, folder / "layers.gpkg")
    (folder / "roads.osm").write_text(
        f'<?xml version="1.0"?><osm version="0.6"><node id="1" lat="{lat}" lon="{lon}"/>'
        f'<node id="2" lat="{lat + 0.01}" lon="{lon}"/><way id="1"><nd ref="1"/><nd ref="2"/>'
        '<tag k="highway" v="tertiary"/></way></osm>', encoding="utf-8")
    (folder / "county.yaml").write_text(f"""county_id: "141124"
name: 临县
layers:
  boundary:   {{path: {fence}, coords: gcj02}}
  townships:  {{path: layers.gpkg, layer: townships}}
  villages:   {{path: layers.gpkg, layer: villages}}
  facilities: {{path: layers.gpkg, layer: facilities}}
roads: {{path: roads.osm}}
""", encoding="utf-8")
    c = load_county(folder)
    assert c.crs.to_epsg() == 4546
    assert c.area_km2() == pytest.approx(2977.0, abs=15.0)
    assert c.meta["inputs"]["boundary"]["conversion"] == "gcj02 -> wgs84"
    assert c.facilities["township_id"].tolist() == ["141124100"]


def test_roads_clip_buffer(tmp_path, tiny):
    folder = tiny.write(tmp_path / "c", manifest=tiny.MANIFEST.replace(
        "roads: {path: roads.osm}", "roads: {path: roads.osm, clip_buffer_m: 1000}"))
    osm = (folder / "roads.osm").read_text(encoding="utf-8")
    far = ('<node id="90" lat="39.0" lon="112.0"/><node id="91" lat="39.0" lon="112.01"/>'
           '<way id="90"><nd ref="90"/><nd ref="91"/><tag k="highway" v="primary"/></way>\n</osm>')
    (folder / "roads.osm").write_text(osm.replace("</osm>", far), encoding="utf-8")
    assert sorted(load_county(folder).roads.nodes.index) == [1, 2, 4, 5]  # the far road is left out
    (folder / "county.yaml").write_text(tiny.MANIFEST, encoding="utf-8")
    assert sorted(load_county(folder).roads.nodes.index) == [1, 2, 4, 5, 90, 91]
