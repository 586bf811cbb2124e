"""Recipe helpers: candidate sites, their error messages, options and inputs."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, Point

from planning import InputError
from planning.network.engine import TravelEngine
from planning.recipes import RECIPES
from planning.recipes._common import candidate_sites, cost_matrix, nearest_selected, street_nodes, township_seats


def test_township_seats_and_street_nodes(line_county):
    county = line_county(villages=[{"id": "V1", "x": 0}],
                         townships=[{"id": "T1", "x0": -1000, "x1": 20000, "seat_x": 5000.0},
                                    {"id": "T2", "x0": 20000, "x1": 61000}])
    seats = township_seats(county)
    assert list(seats["id"]) == ["SEAT-T1", "SEAT-T2"]
    assert (seats.geometry.iloc[0].x, seats.geometry.iloc[0].y) == (5000.0, 0.0)
    assert county.townships.geometry.iloc[1].contains(seats.geometry.iloc[1])  # no seat: a point inside
    near = gpd.GeoDataFrame({"id": ["c"]}, geometry=[Point(10000, 300)], crs=county.crs)
    nodes = street_nodes(county, near, radius_m=800)
    assert list(nodes.geometry.x) == [9500.0, 10000.0, 10500.0]  # within 800 m of (10000, 300)
    assert list(nodes["township_id"]) == ["T1"] * 3


def test_cost_matrix_keeps_pairs_at_the_threshold(line_county):
    county = line_county(villages=[{"id": "A", "x": 0}, {"id": "B", "x": 7500}, {"id": "C", "x": 8000}])
    engine = TravelEngine.from_county(county)
    t = cost_matrix(engine, county.villages.iloc[:1], county.villages, mode="drive", cutoff=15)
    assert t.tolist() == [[0.0, 15.0, np.inf]]  # 7.5 km = exactly 15 min stays; 16 min is cut


def test_candidate_layer_errors(line_county, tmp_path):
    county = line_county(villages=[{"id": "V1", "x": 0}])
    with pytest.raises(InputError, match="candidate layer .*nowhere.gpkg not found"):
        candidate_sites(county, str(tmp_path / "nowhere.gpkg"), default=(), allowed=(), what="test")
    bad = gpd.GeoDataFrame({"name": ["a", "b"]}, geometry=[Point(0, 0), LineString([(0, 0), (1, 1)])], crs=county.crs)
    path = tmp_path / "bad.gpkg"
    bad.to_file(path, driver="GPKG")
    with pytest.raises(InputError, match="(?s)2 problem.*column 'id' missing.*rows 2 are not points"):
        candidate_sites(county, str(path), default=(), allowed=(), what="test")


def test_options_must_be_recipe_options(line_county):
    county = line_county(villages=[{"id": "V1", "x": 0}])
    with pytest.raises(InputError, match="expected RecipeOptions, got dict"):
        RECIPES["odd_job_markets"](county, options={"p": 1})


def test_bad_population_is_one_error(line_county):
    county = line_county(villages=[{"id": "V1", "x": 0, "population": -5}, {"id": "V2", "x": 500, "population": None}])
    with pytest.raises(InputError, match="(?s)2 problem.*village V1.*village V2"):
        RECIPES["village_clinics"](county)


def test_nearest_selected_is_the_covering_selected_site_of_least_cost():
    cost = np.array([[5.0, 2.0, 1.0],     # site 2 nearest but not selected → site 1
                     [3.0, 3.0, np.inf],  # tie between selected 0 and 1 → the first
                     [9.0, 4.0, 0.0],     # site 1 nearer but set not to cover: none, then site 0 once it covers
                     [np.inf, np.inf, 1.0]])  # no selected site reaches it
    cov = cost <= 5.0
    cov[2, 1] = False
    assert nearest_selected(cov, cost, np.array([0, 1])).tolist() == [1, 0, -1, -1]
    cov[2, 0] = True
    assert nearest_selected(cov, cost, np.array([0, 1])).tolist() == [1, 0, 0, -1]
    assert nearest_selected(cov, cost, np.array([], dtype=int)).tolist() == [-1] * 4
    assert nearest_selected(cov[:0], cost[:0], np.array([0])).tolist() == []
