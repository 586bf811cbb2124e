"""Planner's words: the travel engine's reasons for a missing time, said in Chinese."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import geopandas as gpd
from shapely.geometry import Point

from planning.network import RoadGraph, TravelEngine
from planning.reports.text import travel_reason

_spec = importlib.util.spec_from_file_location("tiny_county", Path(__file__).parent / "tiny.py")
tiny = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tiny)


def _reasons() -> set[str]:
    """Every kind of reason the engine gives, from real queries on the tiny county."""
    county = tiny.county()
    engine = TravelEngine(RoadGraph.from_network(county.roads))
    x0, y0 = tiny.X0, tiny.Y0
    origins = gpd.GeoDataFrame({"id": ["near", "far"]}, geometry=[Point(x0, y0), Point(x0 + 90_000, y0)],
                               crs=engine.crs)
    clinics = county.facilities[county.facilities["kind"] == "village_clinic"][["id", "geometry"]]
    none = clinics.iloc[:0]
    far_only = gpd.GeoDataFrame({"id": ["x"]}, geometry=[Point(x0 + 90_000, y0)], crs=engine.crs)
    out = set()
    for dest, cutoff in ((clinics, None), (clinics, 0.001), (none, None), (far_only, None)):
        out |= set(engine.nearest(origins, dest, mode="drive", cutoff=cutoff)["reason"])
    return out - {""}


def test_every_engine_reason_is_said_in_chinese():
    reasons = _reasons()
    assert len(reasons) >= 4, reasons          # snap distance, cutoff, no destinations, none within snap
    for reason in reasons:
        zh = travel_reason(reason, "zh")
        assert not re.search(r"[A-Za-z]{2}", zh), (reason, zh)
        assert re.findall(r"[\d,.]+\d", zh) == re.findall(r"[\d,.]+\d", reason)   # the numbers kept
        assert travel_reason(reason, "en") == reason
    assert travel_reason("something new", "zh") == "something new"
