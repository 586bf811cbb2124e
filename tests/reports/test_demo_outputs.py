"""Smoke test on the demo county (helper B's planning.demo): map and report from real results."""

from __future__ import annotations

import math

import docx
import pytest

from planning.maps import external_urls, make_map, save_map
from planning.reports import build_report

RULES = ["HC-01", "HC-04", "EM-01"]


@pytest.fixture(scope="module")
def demo():
    from planning.demo import load
    from planning.network.engine import TravelEngine
    from planning.rules import evaluate

    county = load()
    engine = TravelEngine.from_county(county)
    clinics = county.facilities[county.facilities["kind"] == "village_clinic"]
    nearest = engine.nearest(county.villages, clinics, mode="drive")
    compliance = evaluate(county, engine=engine, rules=RULES)
    return county, nearest, compliance


def test_demo_map_and_report(demo, tmp_path):
    county, nearest, compliance = demo
    m = make_map(county, compliance=compliance, nearest={"village_clinic": nearest}, basemap="osm")
    page = save_map(m, tmp_path / "map.html", offline=True).read_text(encoding="utf-8")
    assert external_urls(page) == [] and "tile.openstreetmap.org" not in page
    import folium

    layers = {c.layer_name: c for c in m._children.values() if isinstance(c, folium.GeoJson)}
    features = layers["行政村—到最近村卫生室时间"].data["features"]
    assert len(features) == len(county.villages)
    # every village beyond 15 min or unreachable is ringed; the count matches the table
    expected = sum(1 for t in nearest["travel_time_min"] if math.isnan(t) or t > 15)
    assert expected > 0  # the demo county has villages far from a clinic (data/README.md gaps)
    assert sum(f["properties"]["style"]["weight"] == 3 for f in features) == expected

    report = build_report(county, compliance, lang="zh")
    document = docx.Document(str(report.write_docx(tmp_path / "report.docx")))
    rules = next(t for t in document.tables if t.rows[0].cells[0].text == "规则")
    assert [r.cells[0].text.rstrip("*") for r in rules.rows[1:]] == RULES
    html = report.write_html(tmp_path / "report.html").read_text(encoding="utf-8")
    assert "示范县公共服务设施覆盖评估报告" in html and external_urls(html) == []
