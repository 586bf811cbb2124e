"""Road graph impedances: Tobler's function, grades, classes, maxspeed, walk-only roads."""

from __future__ import annotations

import math

import numpy as np
import pytest
from affine import Affine
from pyproj import CRS

from planning import CRSError
from planning.config import TravelSettings
from planning.county import Raster
from planning.network.graph import RoadGraph, grade_speed_factor, tobler_speed_kph


def test_tobler_known_values():
    # raw Tobler: 6 exp(-3.5 |s + 0.05|)
    assert float(tobler_speed_kph(-0.05)) == 6.0                        # the peak, exactly
    assert float(tobler_speed_kph(0.0)) == pytest.approx(5.036742, abs=1e-6)    # 6 e^-0.175
    assert float(tobler_speed_kph(0.10)) == pytest.approx(3.549332, abs=1e-6)   # 6 e^-0.525
    assert float(tobler_speed_kph(-0.20)) == pytest.approx(3.549332, abs=1e-6)  # symmetric about -5 %
    assert float(tobler_speed_kph(0.10)) != float(tobler_speed_kph(-0.10))      # uphill != downhill
    # scaled so that flat ground gives the walking speed
    assert float(tobler_speed_kph(0.0, flat_speed_kph=4.5)) == pytest.approx(4.5, abs=1e-12)
    assert float(tobler_speed_kph(-0.10, flat_speed_kph=4.5)) == pytest.approx(4.5, abs=1e-12)
    assert float(tobler_speed_kph(-0.05, flat_speed_kph=4.5)) == pytest.approx(4.5 * math.exp(0.175))


def test_grade_factor():
    f = grade_speed_factor(np.array([0.0, 0.06, 0.09, -0.09, 0.12, 0.3]), steep_grade=0.06, steep_factor=0.6)
    assert f == pytest.approx([1.0, 1.0, 0.8, 0.8, 0.6, 0.6])


@pytest.fixture
def slope_dem(netlib):
    # a plane rising 10 m per 100 m eastwards: z = 0.1 x, 10 m cells over 0..1000 m
    xc = 5.0 + 10.0 * np.arange(100)
    arr = np.tile(0.1 * xc, (100, 1))
    return Raster(array=arr, transform=Affine(10.0, 0.0, 0.0, 0.0, -10.0, 1000.0), crs=CRS.from_user_input(netlib.CRS),
                  kind="dem")


def test_terrain_walk_direction_aware_and_drive_grade(netlib, slope_dem):
    xy = {1: (100.0, 500.0), 2: (900.0, 500.0)}
    rows = [{"u": 1, "v": 2, "length_m": 800.0, "highway": "residential"},
            {"u": 2, "v": 1, "length_m": 800.0, "highway": "residential"}]
    g = RoadGraph.from_network(netlib.network_from_rows(xy, rows), dem=slope_dem)
    assert g.terrain
    walk = dict(zip(zip(np.repeat(np.arange(2), np.diff(g.walk.indptr)), g.walk.indices), g.walk.time_min))
    up = 800 * 0.06 / (4.5 * math.exp(-3.5 * 0.10))        # slope +0.10: |0.15| - 0.05 = 0.10
    down = 800 * 0.06 / 4.5                                  # slope -0.10: |-0.05| - 0.05 = 0 -> flat speed
    assert walk[(0, 1)] == pytest.approx(up, rel=1e-9)
    assert walk[(1, 0)] == pytest.approx(down, rel=1e-9)
    drive = g.drive.time_min
    factor = 1 - 0.4 * (0.04 / 0.06)                        # grade 0.10 between 0.06 and 0.12
    assert drive == pytest.approx([800 * 0.06 / (25 * factor)] * 2, rel=1e-9)
    flat = RoadGraph.from_network(netlib.network_from_rows(xy, rows), dem=slope_dem,
                                  settings=TravelSettings(terrain=False))
    assert not flat.terrain and flat.walk.time_min == pytest.approx([800 * 0.06 / 4.5] * 2)


def test_dem_crs_mismatch(netlib, slope_dem):
    xy = {1: (100.0, 500.0), 2: (900.0, 500.0)}
    rows = [{"u": 1, "v": 2, "length_m": 800.0, "highway": "residential"}]
    other = Raster(slope_dem.array, slope_dem.transform, CRS.from_epsg(32649), "dem")
    with pytest.raises(CRSError, match="DEM CRS"):
        RoadGraph.from_network(netlib.network_from_rows(xy, rows), dem=other)


def test_classes_maxspeed_walk_only_and_chinese_names(netlib):
    xy = {1: (0.0, 0.0), 2: (1000.0, 0.0), 3: (2000.0, 0.0), 4: (3000.0, 0.0), 5: (4000.0, 0.0)}
    rows = [
        {"u": 1, "v": 2, "length_m": 1000.0, "highway": "footway"},            # walk only
        {"u": 2, "v": 3, "length_m": 1000.0, "highway": "primary", "maxspeed_kph": 30.0},
        {"u": 3, "v": 4, "length_m": 1000.0, "highway": "县道"},               # -> secondary, 50 km/h
        {"u": 4, "v": 5, "length_m": 1000.0, "highway": "motorway"},           # no walking
    ]
    g = RoadGraph.from_network(netlib.network_from_rows(xy, rows))
    assert g.drive.n_arcs == 3 and g.walk.n_arcs == 6
    tails = np.repeat(np.arange(5), np.diff(g.drive.indptr))
    drive = dict(zip(zip(tails, g.drive.indices), g.drive.time_min))
    assert drive == pytest.approx({(1, 2): 2.0, (2, 3): 1.2, (3, 4): 1000 * 0.06 / 90})
    assert list(g.drivable_node) == [False, True, True, True, True]
    custom = RoadGraph.from_network(netlib.network_from_rows(xy, rows),
                                    settings=TravelSettings(drive_speed_kph={"secondary": 40.0}))
    assert custom.drive.time_min[1] == pytest.approx(1.5)


def test_demo_county_terrain_invariants():
    """On the demo county's DEM: a round trip on foot is never faster than on flat ground
    (Tobler, scaled), one direction often differs from the other, and driving is never faster
    than on flat ground."""
    from planning.demo import load
    from planning.network.engine import TravelEngine

    county = load()
    hilly = TravelEngine.from_county(county).graph
    flat = TravelEngine.from_county(county, settings=TravelSettings(terrain=False)).graph
    assert hilly.terrain and not flat.terrain
    seg = hilly.segments_walk
    flat_round = 2 * seg.fwd_length_m * 0.06 / 4.5
    round_trip = seg.fwd_time_min + seg.bwd_time_min
    assert (round_trip >= flat_round * (1 - 1e-12)).all()
    sloped = np.abs(seg.fwd_time_min - seg.bwd_time_min) > 1e-3 * seg.fwd_time_min
    assert sloped.mean() > 0.3                     # loess hills: most roads climb one way
    assert np.array_equal(hilly.drive.indices, flat.drive.indices)
    assert (hilly.drive.time_min >= flat.drive.time_min * (1 - 1e-12)).all()
    assert (hilly.drive.time_min > flat.drive.time_min * 1.01).any()
