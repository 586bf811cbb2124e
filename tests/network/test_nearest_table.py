"""The nearest table built from its arrays equals the one of the public DataFrame constructor
(columns, dtypes, values), whatever the id types; and it owns its data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planning.network.engine import _NEAREST_INDEX, NEAREST_COLUMNS, _frame, _str_array


def _arrays(ids: np.ndarray, dest: np.ndarray, reasons: list[str]) -> list:
    n = ids.size
    rng = np.random.default_rng(n)
    return [ids, dest, rng.random(n), rng.random(n) * 1000, rng.random(n) * 50,
            _str_array(np.array(reasons, dtype=object))]


CASES = {
    "str ids, one unreached": (np.array(["v1", "v2", "v3"], dtype=object),
                               np.array(["f1", None, "f2"], dtype=object), ["", "no destination", ""]),
    "int ids": (np.array([10, 11, 12], dtype=np.int64), np.array([5, 7, None], dtype=object), ["", "", "far"]),
    "int ids all reached": (np.array([1, 2], dtype=np.int64), np.array([3, 3], dtype=object), ["", ""]),
    "mixed ids": (np.array(["a", 2, 3.5], dtype=object), np.array([None, "b", 4], dtype=object), ["x", "", ""]),
    "empty": (np.array([], dtype=object), np.array([], dtype=object), []),
}


@pytest.mark.parametrize("case", list(CASES))
def test_frame_equals_constructor(case):
    ids, dest, reasons = CASES[case]
    arrays = _arrays(ids, dest, reasons)
    want = pd.DataFrame({c: (a.copy() if isinstance(a, np.ndarray) else a.copy()) for c, a in zip(NEAREST_COLUMNS, arrays)},
                        columns=list(NEAREST_COLUMNS))
    got = _frame(_NEAREST_INDEX, arrays)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert got.dtypes.tolist() == want.dtypes.tolist()
    assert list(got.columns) == list(NEAREST_COLUMNS)
    assert isinstance(got.index, pd.RangeIndex) and got.index.equals(pd.RangeIndex(ids.size))


def test_str_array_equals_pd_array():
    values = np.array(["", "snap distance 2,300 m > max 1,500 m", ""], dtype=object)
    got = _str_array(values.copy())
    want = pd.array(values, dtype="str")
    assert got.dtype == want.dtype and type(got) is type(want)
    assert pd.Series(got).equals(pd.Series(want))


def test_table_owns_its_data():
    """Editing a returned table changes neither the cached snaps nor the next table."""
    import geopandas as gpd
    from shapely.geometry import LineString, Point

    from planning.county import RoadNetwork
    from planning.network.engine import TravelEngine
    from planning.network.graph import RoadGraph

    crs = "EPSG:32650"
    nodes = gpd.GeoDataFrame({"x": [0.0, 2000.0], "y": [0.0, 0.0]}, crs=crs, geometry=[Point(0, 0), Point(2000, 0)],
                             index=pd.Index([1, 2], name="node_id"))
    edges = gpd.GeoDataFrame({"u": [1, 2], "v": [2, 1], "length_m": [2000.0, 2000.0], "highway": ["residential"] * 2},
                             crs=crs, geometry=[LineString([(0, 0), (2000, 0)]), LineString([(2000, 0), (0, 0)])])
    engine = TravelEngine(RoadGraph.from_network(RoadNetwork(nodes, edges)))
    villages = gpd.GeoDataFrame({"id": ["v1", "v2"]}, geometry=[Point(0, 100), Point(500, 9000)], crs=crs)
    clinic = gpd.GeoDataFrame({"id": ["c1"]}, geometry=[Point(2000, 0)], crs=crs)
    first = engine.nearest(villages, clinic, mode="drive")
    keep = first.copy()
    assert first["reason"].iloc[1].startswith("snap distance")
    first.loc[0, "snap_distance_m"] = -1.0
    first.loc[0, "origin_id"] = "changed"
    first.loc[1, "reason"] = "changed"
    again = engine.nearest(villages, clinic, mode="drive")
    pd.testing.assert_frame_equal(again, keep, check_exact=True)
