"""The travel cache: exact, pickle-free round trips and content keys."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, Polygon

from planning.cache import TravelCache, digest, network_digest
from planning.config import Settings


def test_table_round_trip_is_exact(tmp_path):
    cache = TravelCache(tmp_path)
    t = pd.DataFrame({
        "origin_id": pd.Series(["a", "b", None], dtype=object),
        "destination_id": ["x", None, "y"],            # pandas' default string dtype
        "travel_time_min": [1.5, np.nan, 0.1 + 0.2],   # 0.30000000000000004 must survive
        "distance_m": np.array([1e-300, 2.0, -0.0]),
        "n": np.array([1, 2, 3], dtype=np.int32),
        "ok": [True, False, True],
        "mixed": pd.Series([1, "s", np.nan], dtype=object),
    })
    t.attrs = {"metric": "walk_time"}
    assert cache.put("k1", t) is True
    back = cache.get("k1")
    pd.testing.assert_frame_equal(back, t)
    assert back["travel_time_min"].iloc[2] == 0.1 + 0.2
    assert np.signbit(back["distance_m"].iloc[2])
    assert back["mixed"].iloc[0] == 1 and isinstance(back["mixed"].iloc[0], int)
    assert back.attrs == {"metric": "walk_time"}
    assert digest(back) == digest(t)


def test_geodataframe_round_trip(tmp_path):
    cache = TravelCache(tmp_path)
    g = gpd.GeoDataFrame({"kind": ["village_clinic", "township_hospital"], "break": [5.0, 10.0]},
                         geometry=[Point(1.25, 2.5).buffer(3), Polygon([(0, 0), (1, 0), (1, 1)])],
                         crs="EPSG:4546", index=pd.Index(["p", "q"], name="key"))
    assert cache.put("g", g)
    back = cache.get("g")
    assert isinstance(back, gpd.GeoDataFrame) and back.crs == g.crs and back.index.name == "key"
    pd.testing.assert_frame_equal(pd.DataFrame(back.drop(columns="geometry")), pd.DataFrame(g.drop(columns="geometry")))
    assert back.geometry.geom_equals_exact(g.geometry, tolerance=0).all()
    assert digest(back) == digest(g)


def test_unsupported_tables_are_not_cached(tmp_path):
    cache = TravelCache(tmp_path)
    t = pd.DataFrame({"a": pd.Series([1, None], dtype="Int64")})
    assert cache.put("x", t) is False and cache.get("x") is None
    u = pd.DataFrame({"a": [1]})
    u.attrs = {"when": pd.Timestamp("2020-01-01")}
    assert cache.put("y", u) is False
    assert cache.get("never-stored") is None


def test_corrupt_entry_is_a_miss(tmp_path):
    cache = TravelCache(tmp_path)
    cache.put("k", pd.DataFrame({"a": [1.0]}))
    (tmp_path / "k" / "k" / "meta.json").write_text("{not json", encoding="utf-8")
    assert cache.get("k") is None


def test_stored_without_pickles(tmp_path):
    cache = TravelCache(tmp_path)
    cache.put("k", pd.DataFrame({"id": ["甲"], "t": [2.0]}))
    meta = json.loads((tmp_path / "k" / "k" / "meta.json").read_text(encoding="utf-8"))
    assert meta["columns"][0] == {"name": "id", "kind": "object", "dtype": "str", "values": ["甲"]}
    with np.load(tmp_path / "k" / "k" / "data.npz", allow_pickle=False) as arrays:
        assert arrays["c1"].tolist() == [2.0]


def test_digest_depends_on_content_only():
    a = pd.DataFrame({"x": [1.0, 2.0]})
    assert digest(a) == digest(a.copy())
    assert digest(a) != digest(pd.DataFrame({"x": [1.0, 2.5]}))
    assert digest(a) != digest(pd.DataFrame({"y": [1.0, 2.0]}))
    assert digest({"b": 1, "a": 2}) == digest({"a": 2, "b": 1})
    assert digest(Point(0, 0)) != digest(Point(0, 1e-9))


def test_network_digest_changes_with_roads_and_settings(county):
    base = network_digest(county, Settings())
    assert network_digest(county, Settings()) == base
    assert network_digest(county, Settings(travel={"walk_speed_kph": 4.0})) != base
    edges = county.roads.edges.copy()
    edges.loc[0, "length_m"] = 999.0
    county.roads.edges = edges
    assert network_digest(county, Settings()) != base


@pytest.fixture
def county():
    from planning.county import County, RoadNetwork
    from shapely.geometry import LineString, box

    crs = "EPSG:4546"
    b = gpd.GeoDataFrame({"county_id": ["1"], "name": ["x"]}, geometry=[box(0, 0, 10, 10)], crs=crs)
    t = gpd.GeoDataFrame({"id": ["T"], "name": ["t"], "township_type": ["town"]}, geometry=[box(0, 0, 10, 10)], crs=crs)
    v = gpd.GeoDataFrame({"id": ["V"], "name": ["v"], "township_id": ["T"], "population": [1]},
                         geometry=[Point(1, 1)], crs=crs)
    f = gpd.GeoDataFrame({"id": ["F"], "name": ["f"], "kind": ["village_clinic"]}, geometry=[Point(2, 2)], crs=crs)
    nodes = gpd.GeoDataFrame({"x": [0.0, 5.0], "y": [0.0, 0.0]}, geometry=[Point(0, 0), Point(5, 0)], crs=crs)
    edges = gpd.GeoDataFrame({"u": [0], "v": [1], "length_m": [5.0], "highway": ["tertiary"], "oneway": [True],
                              "maxspeed_kph": [np.nan], "name": [""]}, geometry=[LineString([(0, 0), (5, 0)])], crs=crs)
    return County(b, t, v, f, RoadNetwork(nodes, edges))


def test_digest_refuses_opaque_objects():
    from planning import InputError

    class Opaque:
        pass

    with pytest.raises(InputError, match="cannot key a Opaque"):
        digest(Opaque())
