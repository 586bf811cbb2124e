"""CachedEngine with the real TravelEngine: hits give identical tables without building the graph."""

from __future__ import annotations

import pandas as pd

from planning.cache import CachedEngine, TravelCache, network_digest
from planning.config import Settings
from planning.network.engine import TravelEngine


def test_cached_engine_hits_are_identical_and_lazy(county, tmp_path):
    settings = Settings()
    built = []

    def factory():
        built.append(1)
        return TravelEngine.from_county(county, settings=settings)

    key = network_digest(county, settings)
    first = CachedEngine(factory, cache=TravelCache(tmp_path), key=key)
    a = first.nearest(county.villages, county.facilities, mode="drive")
    b = first.od(county.villages, county.facilities, mode="walk", cutoff=30)
    assert (first.hits, first.misses, len(built)) == (0, 2, 1)
    direct = TravelEngine.from_county(county, settings=settings)
    pd.testing.assert_frame_equal(a, direct.nearest(county.villages, county.facilities, mode="drive"))

    second = CachedEngine(factory, cache=TravelCache(tmp_path), key=key)
    a2 = second.nearest(county.villages, county.facilities, mode="drive")
    b2 = second.od(county.villages, county.facilities, mode="walk", cutoff=30)
    assert (second.hits, second.misses) == (2, 0)
    assert len(built) == 1  # the road graph was not built again
    pd.testing.assert_frame_equal(a2, a)
    pd.testing.assert_frame_equal(b2, b)
    # different arguments are a different key
    c = second.nearest(county.villages, county.facilities, mode="walk")
    assert second.misses == 1 and len(built) == 2
    assert not c["travel_time_min"].equals(a["travel_time_min"])
    # attributes other than the cached methods come from the real engine
    assert second.crs == direct.crs
