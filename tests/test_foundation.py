"""L0 foundation: errors, settings, schema vocabularies."""

import subprocess
import sys

import pytest
from pydantic import ValidationError

from planning import InputError, NotSolvedError, PlanningError, Settings
from planning._errors import CRSError, ScenarioError
from planning.models.base import LocationModel
from planning.schema import FACILITY_KIND_ALIASES, FACILITY_KIND_ZH, FacilityKind


def test_errors_are_builtin_and_ours():
    err = InputError("villages layer 'v.gpkg'", ["row 3: population -5 < 0; fix the value", "row 7: id missing"])
    assert isinstance(err, ValueError) and isinstance(err, PlanningError)
    text = str(err)
    assert "2 problem(s)" in text and "row 3" in text and "row 7" in text
    assert issubclass(CRSError, InputError) and issubclass(ScenarioError, ValueError)
    assert issubclass(NotSolvedError, AttributeError)


def test_settings_defaults_and_validation():
    s = Settings()
    assert s.travel.walk_speed_kph == 4.5
    assert s.travel.drive_speed_kph["trunk"] == 70.0
    with pytest.raises(ValidationError, match="walk_speed_kph"):
        Settings(travel={"walk_speed_kph": -1})
    with pytest.raises(ValidationError, match="driving speeds must be > 0"):
        Settings(travel={"drive_speed_kph": {"primary": 0}})
    with pytest.raises(ValidationError, match="extra"):
        Settings(travel={"walk_speed": 4})
    # solver options are per solve (planning.models.SolverOptions); a setting that would do nothing is refused
    with pytest.raises(ValidationError, match="solver"):
        Settings(solver={"time_limit_s": 10})


def test_every_kind_has_a_chinese_name_and_aliases_resolve():
    assert set(FACILITY_KIND_ZH) == set(FacilityKind)
    assert FACILITY_KIND_ALIASES["村卫生室"] is FacilityKind.VILLAGE_CLINIC
    assert FACILITY_KIND_ALIASES["零工市场"] is FacilityKind.ODD_JOB_MARKET
    assert FACILITY_KIND_ALIASES["township_hospital"] is FacilityKind.TOWNSHIP_HOSPITAL


def test_results_before_solve_raise():
    class Tiny(LocationModel):
        def _solve(self, options):
            return {"selected": [1], "objective": 2.0, "status": "optimal", "gap": 0.0}

    m = Tiny()
    with pytest.raises(NotSolvedError, match="call model.solve"):
        m.objective_
    assert m.solve() is m and m.objective_ == 2.0 and list(m.selected_) == [1]


def test_import_has_no_side_effects():
    code = (
        "import sys, planning; "
        "heavy = [m for m in ('folium', 'docx', 'dask', 'distributed', 'matplotlib') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_county_raster_and_road_helpers():
    import geopandas as gpd
    import numpy as np
    from affine import Affine
    from pyproj import CRS
    from shapely.geometry import LineString, Point

    from planning.county import Raster, RoadNetwork

    raster = Raster(np.array([[1.0, np.nan], [0.0, 4.0]]), Affine(100, 0, 1000, 0, -100, 2000),
                    CRS.from_epsg(4546))
    x, y, v = raster.cell_centres()
    assert list(zip(x, y, v)) == [(1050.0, 1950.0, 1.0), (1150.0, 1850.0, 4.0)]
    assert raster.total() == 5.0
    np.testing.assert_array_equal(raster.sample(np.array([1010.0, 1199.0, 5000.0]),
                                                np.array([1990.0, 1801.0, 0.0])), [1.0, 4.0, np.nan])
    # a two-way road (both directions, lengths differing in the last digit) and a one-way street
    line = LineString([(0, 0), (1000, 0)])
    edges = gpd.GeoDataFrame(
        {"u": [0, 1, 1], "v": [1, 0, 2], "length_m": [1000.0, 1000.0000000001, 250.0],
         "highway": ["tertiary", "tertiary", "residential"], "oneway": [False, False, True]},
        geometry=[line, line.reverse(), LineString([(1000, 0), (1250, 0)])], crs=4546)
    nodes = gpd.GeoDataFrame({"x": [0.0, 1000.0, 1250.0], "y": [0.0] * 3},
                             geometry=[Point(0, 0), Point(1000, 0), Point(1250, 0)], crs=4546)
    km = RoadNetwork(nodes, edges).length_by_class_km()
    assert km["tertiary"] == pytest.approx(1.0) and km["residential"] == pytest.approx(0.25)
