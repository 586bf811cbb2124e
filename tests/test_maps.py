"""Interactive maps: layers, uncovered marking, basemaps, offline HTML opened in real headless chromium."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from browser import chromium_command
from planning._errors import InputError
from planning.crs import wgs84_to_gcj02
from planning.maps import external_urls, make_map, save_map

_spec = importlib.util.spec_from_file_location("tiny_county", Path(__file__).parent / "reports" / "tiny.py")
tiny = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tiny)

EXPECTED_LAYERS_ZH = [
    "县界", "乡镇边界", "主要道路",
    "村卫生室服务范围 15 分钟", "村卫生室服务范围 10 分钟", "村卫生室服务范围 5 分钟",
    "● 村卫生室（2）", "● 乡镇卫生院（1）",
    "行政村—到最近村卫生室时间", "行政村达标情况", "规划建议（2）",
]


def _full_map(**options):
    return make_map(tiny.county(), compliance=tiny.compliance(), nearest={"village_clinic": tiny.nearest()},
                    service_areas=tiny.service_areas(), actions=tiny.actions(), **options)


def _layers(m) -> dict:
    import folium

    return {child.layer_name: child for child in m._children.values() if isinstance(child, folium.GeoJson)}


# ---------------------------------------------------------------------------------------------
# chromium
# ---------------------------------------------------------------------------------------------


def _run_chromium(exe: str, page: Path, tmp: Path, *, action: list[str]) -> tuple[str, list[dict], list[str]]:
    """Open ``page`` headless; returns stdout, the URL requests of the net log and the page's JS errors."""
    netlog = tmp / "netlog.json"
    cmd = chromium_command(exe, page, tmp / "profile", f"--log-net-log={netlog}",
                           "--enable-logging=stderr", "--v=0",  # console messages of the page on stderr
                           *action)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True)
    log = json.loads(netlog.read_text())
    names = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    requests = [e["params"] for e in log["events"]
                if names.get(e["type"]) == "URL_REQUEST_START_JOB" and "url" in e.get("params", {})]
    errors = [line for line in out.stderr.splitlines() if ":CONSOLE" in line and "Uncaught" in line]
    return out.stdout, requests, errors


def _page_requests(requests: list[dict]) -> list[str]:
    """External (http, https, ws) requests made by the page.

    Chromium itself talks to Google services in the background (component updates, accounts)
    even with --disable-background-networking; those carry no file:// isolation key. A request
    counts as the page's when its isolation key or site is the file:// page, or when it goes to
    any host other than those browser services.
    """
    browser_own = re.compile(r"^https?://([a-z0-9-]+\.)*(google\.com|googleapis\.com|gvt1\.com)(/|$)")
    found = []
    for p in requests:
        url = p["url"]
        if not re.match(r"^(https?|wss?)://", url):
            continue
        from_page = "file://" in p.get("network_isolation_key", "") or "file://" in p.get("site_for_cookies", "")
        if from_page or not browser_own.match(url):
            found.append(url)
    return found


class _Dom(HTMLParser):
    """Collects the overlay names of the Leaflet layer control (label texts) and the classes used."""

    def __init__(self) -> None:
        super().__init__()
        self.classes: list[str] = []
        self.overlay_names: list[str] = []
        self.text: list[str] = []
        self._depth = 0  # div depth inside the overlays list
        self._label: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        cls = dict(attrs).get("class") or ""
        self.classes.extend(cls.split())
        if "leaflet-control-layers-overlays" in cls:
            self._depth = 1
        elif self._depth and tag == "div":
            self._depth += 1
        if self._depth and tag == "label":
            self._label = []

    def handle_endtag(self, tag):
        if self._depth and tag == "div":
            self._depth -= 1
        if tag == "label" and self._label is not None:
            self.overlay_names.append(" ".join("".join(self._label).split()))
            self._label = None

    def handle_data(self, data):
        self.text.append(data)
        if self._label is not None:
            self._label.append(data)


def test_offline_map_opens_in_chromium_without_network(chromium, tmp_path):
    path = save_map(_full_map(basemap="osm"), tmp_path / "map.html", offline=True)
    page = path.read_text(encoding="utf-8")
    # no external src/href in the file, no tile URL, leaflet inlined
    assert external_urls(page) == []
    assert "tile.openstreetmap.org" not in page
    assert "<link" not in page and not re.search(r"<script[^>]+src=", page)
    assert 'version="1.9.4"' in page

    dom, requests, errors = _run_chromium(chromium, path, tmp_path, action=["--dump-dom"])
    assert errors == []  # no JavaScript error
    parsed = _Dom()
    parsed.feed(dom)
    assert "leaflet-container" in parsed.classes  # L.map initialised
    assert parsed.overlay_names == EXPECTED_LAYERS_ZH  # every layer was built by the page's script
    assert parsed.classes.count("planning-icon") == 2  # the two proposed actions
    assert "示范县 公共服务设施覆盖地图" in "".join(parsed.text)  # legend rendered
    assert parsed.classes.count("leaflet-control-scale-line") == 1  # a metric scale bar, no miles line
    assert requests, "the net log recorded nothing: chromium did not load the page"
    assert _page_requests(requests) == []

    shot = tmp_path / "map.png"
    _run_chromium(chromium, path, tmp_path, action=[f"--screenshot={shot}"])
    image = np.asarray(Image.open(shot).convert("RGB"))
    colours = {tuple(c) for c in image.reshape(-1, 3)[::7]}
    assert len(colours) > 50, f"screenshot looks blank: {len(colours)} distinct colours"
    # the 'new clinic' icon and the uncovered ring are drawn in their exact colours
    flat = image.reshape(-1, 3)
    assert ((flat == (0x1B, 0x78, 0x37)).all(axis=1)).sum() > 50
    assert ((flat == (0xB2, 0x18, 0x2B)).all(axis=1)).sum() > 5


def test_request_detector_catches_a_page_that_loads_external_files(chromium, tmp_path):
    # positive control: the same browser run flags a page with an external image and script, and
    # the JavaScript error of a page whose Leaflet did not load
    page = tmp_path / "external.html"
    page.write_text('<html><body><img src="https://tiles.example.invalid/1/2/3.png">'
                    '<script src="http://cdn.example.invalid/x.js"></script>'
                    '<script>L.map("nowhere");</script></body></html>')
    _, requests, errors = _run_chromium(chromium, page, tmp_path, action=["--dump-dom"])
    assert len(errors) == 1 and "Uncaught ReferenceError: L is not defined" in errors[0]
    assert sorted(_page_requests(requests)) == ["http://cdn.example.invalid/x.js",
                                                "https://tiles.example.invalid/1/2/3.png"]
    assert len(external_urls(page.read_text())) == 2


# ---------------------------------------------------------------------------------------------
# content
# ---------------------------------------------------------------------------------------------


def test_villages_coloured_by_time_and_uncovered_marked():
    near = tiny.nearest()
    near = near[near["origin_id"] != "V3"]  # V3 missing from the table: no data, never covered
    m = make_map(tiny.county(), nearest=near, cutoff_min=15)
    layer = _layers(m)["行政村—到最近设施时间"]
    feats = {f["properties"]["tooltip"].split(" · ")[0]: f["properties"] for f in layer.data["features"]}
    ring = {name: p["style"]["color"] for name, p in feats.items()}
    assert ring == {"东关村": "#333333", "西沟村": "#333333", "南庄村": "#333333",
                    "柳树坪村": "#b2182b", "石窑村": "#b2182b"}
    fill = {name: p["style"]["fillColor"] for name, p in feats.items()}
    assert fill == {"东关村": "#1a9850", "西沟村": "#66bd63", "南庄村": "#9e9e9e",
                    "柳树坪村": "#fdae61", "石窑村": "#67001f"}
    assert feats["石窑村"]["tooltip"] == "石窑村 · 不可达"
    assert "距路网 2,300 米，超过最大接入距离 1,500 米" in feats["石窑村"]["popup"]   # the engine's reason, in Chinese
    assert feats["南庄村"]["tooltip"] == "南庄村 · 无数据"
    assert "22.4 分钟" in feats["柳树坪村"]["popup"] and "南庄村卫生室" in feats["柳树坪村"]["popup"]
    # a stricter cutoff marks V2 (8.2 min) too
    m5 = make_map(tiny.county(), nearest=near, cutoff_min=5)
    uncovered = [f["properties"]["tooltip"] for f in _layers(m5)["行政村—到最近设施时间"].data["features"]
                 if f["properties"]["style"]["weight"] == 3]
    assert uncovered == ["西沟村 · 未覆盖", "柳树坪村 · 未覆盖", "石窑村 · 不可达"]
    # a cutoff per facility kind: 30 min for the clinics leaves only the unreachable village
    m30 = make_map(tiny.county(), nearest={"village_clinic": near}, cutoff_min={"village_clinic": 30})
    layer = _layers(m30)["行政村—到最近村卫生室时间"]
    assert [f["properties"]["tooltip"] for f in layer.data["features"]
            if f["properties"]["style"]["weight"] == 3] == ["石窑村 · 不可达"]
    with pytest.raises(InputError, match="cutoff_min must be a positive number"):
        make_map(tiny.county(), nearest=near, cutoff_min={"village_clinic": -1})


def test_action_popups_say_what_why_population_and_rule():
    layers = _layers(_full_map(basemap="none"))
    props = [f["properties"] for f in layers["规划建议（2）"].data["features"]]
    first = props[0]["popup"]
    for text in ("新建村卫生室", "柳树坪村", "柳树坪村到最近卫生室 22.4 分钟，超过 15 分钟", "420", "HC-01", "30"):
        assert text in first, text
    assert ">升<" in props[1]["icon"] and "升级急救站" in props[1]["popup"]
    # failing villages and townships carry their failing rules
    status = {f["properties"]["tooltip"]: f["properties"]["popup"] for f in layers["行政村达标情况"].data["features"]}
    assert "HC-01" in status["石窑村 · 未达标"] and "HC-01" not in status["东关村 · 达标"]
    towns = {f["properties"]["tooltip"]: f["properties"]["popup"] for f in layers["乡镇边界"].data["features"]}
    assert "HC-04" in towns["石门乡"] and "HC-04" not in towns["城关镇"]
    assert "<th>乡镇类型</th><td>乡</td>" in towns["石门乡"] and "<th>常住人口</th><td>515</td>" in towns["石门乡"]


def test_actions_at_one_site_share_a_marker_that_lists_them_all():
    actions = tiny.actions()
    actions.loc[1, "geometry"] = actions.geometry.iloc[0]           # both at 柳树坪村
    layer = _layers(make_map(tiny.county(), actions=actions, basemap="none"))["规划建议（2）"]
    (marker,) = [f["properties"] for f in layer.data["features"]]   # one marker, not two stacked
    assert ">新<span" in marker["icon"] and ">2</span>" in marker["icon"]   # its mark and the number of actions
    assert "新建村卫生室" in marker["popup"] and "升级急救站" in marker["popup"]
    assert marker["tooltip"] == "新建村卫生室 · 柳树坪村；升级急救站 · 城关镇卫生院"


def test_facility_popups_in_the_planners_words():
    layers = _layers(make_map(tiny.county(), basemap="none"))
    clinic = layers["<span style='color:#1f77b4'>●</span> 村卫生室（2）"].data["features"][0]["properties"]["popup"]
    assert "<th>乡村医生（名）</th><td>1</td>" in clinic and "<th>所属乡镇</th><td>城关镇</td>" in clinic
    hospital = layers["<span style='color:#ff7f0e'>●</span> 乡镇卫生院（1）"].data["features"][0]["properties"]["popup"]
    assert "<th>床位（张）</th><td>40</td>" in hospital and "乡村医生" not in hospital  # NaN fields left out
    county = tiny.county()
    county.facilities.loc[county.facilities["kind"] == "township_hospital", "emergency_centres"] = "chest_pain,trauma"
    popup = next(f["properties"]["popup"] for name, layer in _layers(make_map(county, basemap="none")).items()
                 if "乡镇卫生院" in name for f in layer.data["features"])
    assert "<th>急诊急救中心</th><td>胸痛中心、创伤中心</td>" in popup            # the centres' names, not codes


def test_popup_text_is_escaped():
    county = tiny.county()
    county.villages.loc[0, "name"] = "<script>alert(1)</script>村"
    m = make_map(county)
    popup = _layers(m)["行政村"].data["features"][0]["properties"]["popup"]
    assert "<script>" not in popup and "&lt;script&gt;" in popup


def test_english_labels():
    m = _full_map(lang="en", basemap="none")
    names = list(_layers(m))
    assert names[:3] == ["County boundary", "Townships", "Main roads"]
    assert "Villages: time to nearest village clinic" in names and "Proposed actions (2)" in names
    assert "<span style='color:#1f77b4'>●</span> Village clinic (2)" in names
    assert "Village clinic service area 15 min" in names


def test_online_map_has_osm_tiles_with_attribution(tmp_path):
    page = save_map(_full_map(basemap="osm"), tmp_path / "online.html", offline=False).read_text()
    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in page
    attributions = [json.loads(a) for a in re.findall(r'"attribution": ("(?:[^"\\]|\\.)*")', page)]
    assert '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors' in attributions
    offline = save_map(_full_map(basemap="osm"), tmp_path / "offline.html", offline=True).read_text()
    assert "tile.openstreetmap.org" not in offline


def test_amap_basemap_shifts_geometries_to_gcj02():
    plain = _layers(_full_map(basemap="none"))["行政村—到最近村卫生室时间"].data["features"][0]
    amap = _layers(_full_map(basemap="amap"))["行政村—到最近村卫生室时间"].data["features"][0]
    lon, lat = plain["geometry"]["coordinates"]
    expected = wgs84_to_gcj02(lon, lat)
    assert amap["geometry"]["coordinates"] == pytest.approx(list(expected), abs=2e-6)
    # the GCJ-02 offset here is a few hundred metres east
    assert 300 < (expected[0] - lon) * 111_320 * np.cos(np.radians(lat)) < 800


def test_tianditu_needs_a_key_and_bad_inputs_are_listed_at_once():
    with pytest.raises(InputError, match="tianditu_key"):
        make_map(tiny.county(), basemap="tianditu")
    m = make_map(tiny.county(), basemap="tianditu", tianditu_key="abc123")
    assert "tk=abc123" in m.get_root().render()
    bad_comp = tiny.compliance().drop(columns=["status"])
    bad_near = tiny.nearest().drop(columns=["travel_time_min"])
    with pytest.raises(InputError) as info:
        make_map(tiny.county(), compliance=bad_comp, nearest=bad_near, basemap="google", lang="zh")
    text = str(info.value)
    assert "3 problem(s)" in text
    assert "basemap must be one of osm, none, amap, tianditu; got 'google'" in text
    assert "compliance table: missing column(s) status" in text
    assert "nearest table: missing column(s) travel_time_min" in text
    with pytest.raises(InputError, match="lang must be one of zh, en"):
        make_map(tiny.county(), lang="fr")
    od = pd.concat([tiny.nearest(), tiny.nearest().assign(destination_id="F3")], ignore_index=True)
    with pytest.raises(InputError, match=r"origin ids repeated \(V1, V2, V3, V4, V5\); give one row per origin"):
        make_map(tiny.county(), nearest=od)


def test_same_inputs_give_identical_files(tmp_path):
    a = save_map(_full_map(), tmp_path / "a.html")
    b = save_map(_full_map(), tmp_path / "b.html")
    assert a.read_bytes() == b.read_bytes()


def test_failed_save_leaves_no_file(tmp_path):
    from folium.plugins import MiniMap

    m = _full_map(basemap="none")
    MiniMap().add_to(m)  # a plugin that loads its JS from a CDN
    target = tmp_path / "map.html"
    with pytest.raises(InputError, match="loads an external file"):
        save_map(m, target, offline=True)
    assert list(tmp_path.iterdir()) == []
    # an existing file is left as it was
    target.write_text("old")
    with pytest.raises(InputError):
        save_map(m, target, offline=True)
    assert target.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["map.html"]
    # the rename fails (the target is a directory): nothing is left behind
    blocker = tmp_path / "blocked.html"
    blocker.mkdir()
    with pytest.raises(OSError):
        save_map(_full_map(basemap="none"), blocker)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocked.html", "map.html"] and not any(blocker.iterdir())
    # a new directory is created
    assert save_map(_full_map(basemap="none"), tmp_path / "new" / "map.html").is_file()


def test_facility_layers_shown_for_the_kinds_in_question_and_service_area_kinds_from_ids():
    sa = tiny.service_areas().drop(columns=["kind"])  # the engine's output: facility_id, break, metric
    m = make_map(tiny.county(), nearest={"village_clinic": tiny.nearest()}, service_areas=sa, basemap="none")
    layers = _layers(m)
    shown = {re.sub(r"<[^>]+>", "", name).strip(): layer.show for name, layer in layers.items()}
    assert shown["● 村卫生室（2）"] is True and shown["● 乡镇卫生院（1）"] is False
    assert shown["村卫生室服务范围 15 分钟"] is True
    everything = {re.sub(r"<[^>]+>", "", n).strip(): la.show for n, la in _layers(make_map(tiny.county())).items()}
    assert everything["● 乡镇卫生院（1）"] is True  # no question asked: every kind shown


def test_communities_drawn_only_where_the_table_is_about_them():
    import geopandas as gpd
    from shapely.geometry import Point

    county = tiny.county()
    county.communities = gpd.GeoDataFrame(
        {"id": ["C1", "C2"], "name": ["城东社区", "城西社区"], "township_id": ["T1", "T1"], "households": [900, 700],
         "population": [2500, 2000]},
        geometry=[Point(tiny.X0 - 1000, tiny.Y0 - 800), Point(tiny.X0 - 1800, tiny.Y0 - 800)], crs=tiny.CRS_METRIC)
    near = tiny.nearest()
    with_c1 = pd.concat([near, pd.DataFrame([{"origin_id": "C1", "destination_id": "F1", "travel_time_min": 4.0,
                                              "distance_m": 900.0, "snap_distance_m": 20.0, "reason": ""}])],
                        ignore_index=True)
    names = lambda m: [f["properties"]["tooltip"] for f in _layers(m)["行政村—到最近设施时间"].data["features"]]  # noqa: E731
    assert names(make_map(county, nearest=with_c1))[-1] == "城东社区 · 已覆盖"
    assert "城西社区" not in " ".join(names(make_map(county, nearest=with_c1)))
    assert not any("社区" in n for n in names(make_map(county, nearest=near)))


def test_service_areas_of_the_kind_in_question_come_first_and_are_shown():
    sa = tiny.service_areas()
    hospital = sa[sa["facility_id"] == "F1"].assign(facility_id="F3", kind="township_hospital")
    both = pd.concat([sa, hospital], ignore_index=True)
    m = make_map(tiny.county(), nearest={"township_hospital": tiny.nearest()}, service_areas=both, basemap="none")
    names = [(n, la.show) for n, la in _layers(m).items() if "服务范围" in n]
    assert names == [("乡镇卫生院服务范围 15 分钟", True), ("乡镇卫生院服务范围 10 分钟", True),
                     ("乡镇卫生院服务范围 5 分钟", True), ("村卫生室服务范围 15 分钟", False),
                     ("村卫生室服务范围 10 分钟", False), ("村卫生室服务范围 5 分钟", False)]
