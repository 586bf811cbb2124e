"""The demo county looks like a Lüliang loess-hill county (临县): totals, sizes, terrain, roads."""

from __future__ import annotations

import math
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import rasterio
import shapely
from pyproj import Transformer
from scipy import ndimage

from planning.crs import gcj02_to_wgs84
from planning.demo import COUNTY_NAME


def test_boundary_area_name_and_location(layers) -> None:
    b = layers["boundary"]
    assert len(b) == 1 and b["county_id"].iloc[0] == "149901" and b["name"].iloc[0] == COUNTY_NAME
    assert bool(b["agricultural"].iloc[0]) is True
    area_km2 = b.area.iloc[0] / 1e6
    assert 2_700 <= area_km2 <= 3_300
    c = b.to_crs(4326).geometry.iloc[0].centroid
    assert abs(c.x - 111.0) < 0.3 and abs(c.y - 37.95) < 0.3


def test_townships_tile_the_county(layers) -> None:
    tw, b = layers["townships"], layers["boundary"].geometry.iloc[0]
    assert len(tw) == 23 and tw["id"].is_unique and tw["name"].is_unique
    counts = tw["township_type"].value_counts().to_dict()
    assert counts["street"] in (2, 3) and counts["town"] + counts["township"] == 20
    assert tw.geom_type.eq("Polygon").all() and tw.is_valid.all()
    assert abs(tw.area.sum() - b.area) / b.area < 1e-4
    assert shapely.union_all(tw.geometry.to_numpy()).symmetric_difference(b).area / b.area < 1e-4
    overlap = sum(tw.geometry.iloc[i].intersection(tw.geometry.iloc[j]).area
                  for i in range(len(tw)) for j in range(i + 1, len(tw)))
    assert overlap / b.area < 1e-6
    suffix = {"street": "街道", "town": "镇", "township": "乡"}
    assert all(n.endswith(suffix[t]) for n, t in zip(tw["name"], tw["township_type"]))


def test_population_totals_and_size_distribution(layers) -> None:
    v = layers["villages"]
    assert 450 <= len(v) <= 550 and v["id"].is_unique and v["name"].is_unique
    total = int(v["population"].sum())
    assert 380_000 <= total <= 420_000
    urban = v["urban"].astype(bool)
    assert 0.28 <= v.loc[urban, "population"].sum() / total <= 0.38
    rural = v.loc[~urban, "population"]
    assert 20 <= (rural < 200).sum() <= 150, "some small villages (< 200 residents), not most"
    assert 1 <= (rural > 3_000).sum() <= 15, "a few large villages (> 3,000)"
    assert rural.max() / rural.median() > 8, "heavy right tail"
    hh_size = v["population"].sum() / v["households"].sum()
    assert 2.4 <= hh_size <= 2.9
    assert (v["share_working_age"] + v["share_65plus"] < 1).all()
    assert v["relocation_site"].astype(bool).sum() >= 3


def test_age_shares_follow_the_census_of_lin_county(layers, shared_dir: Path) -> None:
    ages = pd.read_csv(shared_dir / "real" / "lvliang" / "china_county_census2020_ages.csv", dtype={"CODE": str})
    lin = ages[ages["CODE"] == "141124"].iloc[0]
    v = layers["villages"]
    w = v["population"].to_numpy(float)
    assert abs(np.average(v["share_65plus"], weights=w) - float(lin["AGES_65P"])) < 0.01
    assert abs(np.average(v["share_working_age"], weights=w) - float(lin["AGES_15-64"])) < 0.015
    assert v["share_65plus"].std() > 0.02, "shares vary between villages"


def test_villages_lie_in_their_townships(layers) -> None:
    v, tw = layers["villages"], layers["townships"]
    assert set(v["township_id"]) <= set(tw["id"])
    assert set(tw["id"]) <= set(v["township_id"]), "every township has villages"
    joined = v.sjoin(tw[["id", "geometry"]].rename(columns={"id": "tw"}), predicate="within")
    assert len(joined) == len(v) and (joined["township_id"] == joined["tw"]).all()


def test_communities_add_up_to_the_urban_neighbourhoods(layers) -> None:
    c, v = layers["communities"], layers["villages"]
    assert 60 <= len(c) <= 200 and c["id"].is_unique and c["name"].is_unique
    assert c["population"].sum() == v.loc[v["urban"].astype(bool), "population"].sum()
    assert c["new_build"].astype(bool).any() and (~c["new_build"].astype(bool)).any()
    assert (c["households"] > 0).all() and c["relocation_site"].astype(bool).sum() >= 1
    streets = set(layers["townships"].query("township_type == 'street'")["id"])
    assert set(c["township_id"]) <= streets


def test_dem_is_loess_hills_draining_west(demo_out: Path) -> None:
    with rasterio.open(demo_out / "dem.tif") as src:
        dem = src.read(1).astype(float)
        assert src.crs.to_epsg() == 4546 and src.res == (90.0, 90.0)
        assert "TIFFTAG_DATETIME" not in src.tags()
    assert 650 <= dem.min() <= 760 and 1_750 <= dem.max() <= 1_900
    tenth = dem.shape[1] // 10
    assert dem[:, :tenth].mean() + 150 < dem[:, -tenth:].mean(), "the Yellow River side (west) is lower"
    # rough terrain: typical 90 m slope of loess hills is several percent
    grade = np.hypot(*np.gradient(dem, 90.0))
    assert 0.03 < np.median(grade) < 0.5


def test_population_raster_matches_the_villages(demo_out: Path, layers) -> None:
    with rasterio.open(demo_out / "population.tif") as src:
        pop = src.read(1, masked=True)
        assert src.res == (100.0, 100.0) and src.crs.to_epsg() == 4546
        transform = src.transform
    assert abs(float(pop.sum()) - layers["villages"]["population"].sum()) < 1.0
    assert float(pop.min()) >= 0
    # people sit where the villages are: the cell of the largest rural village is populated
    v = layers["villages"]
    big = v[~v["urban"].astype(bool)].sort_values("population").iloc[-1].geometry
    row, col = rasterio.transform.rowcol(transform, big.x, big.y)
    assert pop[int(row), int(col)] > 10


def test_road_network_connected_hierarchical_and_reaches_villages(road_edges, layers, demo_out: Path) -> None:
    graph, edges = road_edges
    assert nx.number_weakly_connected_components(graph) == 1
    # drivers can get from anywhere to anywhere: one-way streets never end in a trap
    drive = nx.MultiDiGraph((u, v) for u, v, h in graph.edges(data="highway") if h != "footway")
    assert nx.number_strongly_connected_components(drive) == 1
    classes = {h for v in edges["highway"] for h in (v if isinstance(v, list) else [v])}
    assert {"trunk", "primary", "secondary", "tertiary", "unclassified", "track",
            "residential", "footway"} <= classes
    oneway = edges["oneway"].astype(bool)
    assert oneway.any() and (~oneway).any()
    assert edges["maxspeed"].notna().any() and edges["name"].notna().any()
    v = layers["villages"]
    dist = v.distance(edges.geometry.union_all())
    assert (dist <= 1_500).mean() >= 0.95
    gaps = pd.read_csv(demo_out / "gaps.csv", dtype=str)
    remote = set(gaps.loc[gaps["note"].str.startswith("remote village"), "area_id"])
    assert 1 <= len(remote) <= 10
    assert set(v.loc[dist > 1_500, "id"]) == remote
    # trunk roads run along the valleys: lower than the county's median ground
    with rasterio.open(demo_out / "dem.tif") as src:
        trunk = edges[edges["highway"].astype(str).str.contains("trunk")]
        pts = [p for g in trunk.geometry for p in g.coords]
        z_trunk = np.array([z[0] for z in src.sample(pts)])
        all_z = src.read(1)
    assert np.median(z_trunk) < np.median(all_z) - 50


def test_names_are_chinese_and_unique(layers) -> None:
    names = pd.concat([layers["villages"]["name"], layers["townships"]["name"], layers["communities"]["name"]])
    assert names.is_unique
    assert all(all("\u4e00" <= ch <= "\u9fff" for ch in n) for n in names)
    assert math.isclose(len(names), len(set(names)))


def test_every_township_seat_is_on_a_county_or_township_road(road_edges, demo_out: Path) -> None:
    # township hospitals stand within 250 m of their township seat
    _, edges = road_edges
    main = edges[edges["highway"].map(lambda h: bool({"trunk", "primary", "secondary", "tertiary"}
                                                      & set(h if isinstance(h, list) else [h])))]
    raw = pd.read_csv(demo_out / "facilities.csv", encoding="utf-8-sig")
    hosp = raw[raw["类型"] == "乡镇卫生院"]
    lon, lat = gcj02_to_wgs84(hosp["经度"].to_numpy(), hosp["纬度"].to_numpy())
    x, y = Transformer.from_crs(4326, 4546, always_xy=True).transform(lon, lat)
    net = main.geometry.union_all()
    d = shapely.distance(net, shapely.points(x, y))
    assert len(hosp) >= 15 and (d < 700).all(), f"township seats off the main roads: {np.round(d)}"


def test_villages_sit_in_the_valleys(layers, demo_out: Path) -> None:
    rural = layers["villages"][~layers["villages"]["urban"].astype(bool)]
    with rasterio.open(demo_out / "dem.tif") as src:
        dem = src.read(1).astype(float)
        rows, cols = rasterio.transform.rowcol(src.transform, rural.geometry.x, rural.geometry.y)
    # elevation relative to the mean of the surrounding ~2 km (23 × 23 cells of 90 m)
    relative = dem[rows, cols] - ndimage.uniform_filter(dem, size=23)[rows, cols]
    assert (relative < 0).mean() > 0.8 and np.median(relative) < -25
