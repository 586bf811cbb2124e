"""Interactive county maps (Folium / Leaflet), online or fully offline.

:func:`make_map` draws a county and its results: township boundaries, main roads, one layer
per facility kind, service areas at each break, villages coloured by travel time to the
nearest facility with uncovered villages marked, village compliance, and the proposed actions
with popups saying what, why, population gained and which rule. :func:`save_map` writes it as
one HTML file; with ``offline=True`` (the default) the file is self-contained — Leaflet's JS and
CSS are inlined from the copy vendored in ``planning/_static`` (npm ``leaflet@1.9.4``), there
are no tiles and the page makes no network request at all, so it opens on a government
intranet or with no network.

Maps read results only; they compute nothing beyond display styling.
"""

from __future__ import annotations

import base64
import html
import math
import re
from collections.abc import Mapping
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planning._errors import InputError
from planning.reports._files import write_bytes_atomic
from planning.reports.text import (
    ACTION_MARK,
    action_name,
    action_reason,
    check_lang,
    fmt_int,
    fmt_num,
    kind_name,
    label,
    paren,
    status_name,
    travel_reason,
)
from planning.reports.webfont import FONT_STACK, embed_cjk_font
from planning.schema import EMERGENCY_CENTRE_ZH, FacilityKind

if TYPE_CHECKING:
    import folium

    from planning.county import County

__all__ = ["make_map", "save_map", "BASEMAPS", "TRAVEL_TIME_BINS_MIN", "external_urls"]

#: Basemaps accepted by :func:`make_map`.
BASEMAPS: tuple[str, ...] = ("osm", "none", "amap", "tianditu")

#: Travel-time classes of the village layers: (upper bound in minutes, colour).
TRAVEL_TIME_BINS_MIN: tuple[tuple[float, str], ...] = (
    (5.0, "#1a9850"),
    (10.0, "#66bd63"),
    (15.0, "#d9ef8b"),
    (30.0, "#fdae61"),
    (math.inf, "#d73027"),
)
_UNREACHABLE_COLOUR = "#67001f"
_NO_DATA_COLOUR = "#9e9e9e"
_UNCOVERED_RING = "#b2182b"
_ACTION_COLOUR = {"new": "#1b7837", "upgrade": "#2166ac", "merge": "#e08214", "close": "#616161"}
_STATUS_COLOUR = {"pass": "#1a9850", "fail": "#d73027", "no_data": _NO_DATA_COLOUR, "not_applicable": "#bdbdbd"}
_PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
    "#bcbd22", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#e6550d",
    "#31a354", "#756bb1", "#636363", "#6baed6", "#fd8d3c", "#74c476", "#9e9ac8", "#969696",
    "#ad494a", "#a55194",
)
#: Colour of each facility kind (stable across maps and reports).
KIND_COLOUR: dict[str, str] = {k.value: _PALETTE[i % len(_PALETTE)] for i, k in enumerate(FacilityKind)}

_MAIN_ROADS = ("motorway", "trunk", "primary", "secondary", "tertiary",
               "motorway_link", "trunk_link", "primary_link", "secondary_link")
_ROAD_WEIGHT = {"motorway": 4, "trunk": 3.5, "primary": 3, "secondary": 2.5, "tertiary": 1.8}

_OSM_ATTRIBUTION = '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'

_COMPLIANCE_COLUMNS = ("rule_id", "level", "area_id", "area_name", "status")
_NEAREST_COLUMNS = ("origin_id", "destination_id", "travel_time_min")
_ACTION_COLUMNS = ("action", "kind", "site_name", "population_gained", "rule_id", "reason", "geometry")

# One JS function for every GeoJSON layer: points become circle markers, or a div icon when the
# feature carries ``icon`` HTML; ``popup`` and ``tooltip`` properties are bound as given (they
# are escaped in Python). Plain Leaflet: no jQuery, no plugin.
_POINT_TO_LAYER = """function (feature, latlng) {
    var p = feature.properties;
    if (p.icon) {
        return L.marker(latlng, {icon: L.divIcon({html: p.icon, className: 'planning-icon',
                                                   iconSize: [22, 22], iconAnchor: [11, 11]}),
                                 title: p.title || ''});
    }
    return L.circleMarker(latlng, p.style);
}"""
_ON_EACH_FEATURE = """function (feature, layer) {
    var p = feature.properties;
    if (p.popup) { layer.bindPopup(p.popup, {maxWidth: 360}); }
    if (p.tooltip) { layer.bindTooltip(p.tooltip, {sticky: true}); }
}"""


# ---------------------------------------------------------------------------------------------
# input checks
# ---------------------------------------------------------------------------------------------


def _require_columns(frame: Any, columns: tuple[str, ...], what: str, problems: list[str]) -> None:
    if not isinstance(frame, pd.DataFrame):
        problems.append(f"{what}: expected a pandas DataFrame, got {type(frame).__name__}")
        return
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        problems.append(f"{what}: missing column(s) {', '.join(missing)}; has {', '.join(map(str, frame.columns))}")


def _nearest_tables(nearest: Any, problems: list[str]) -> dict[str | None, pd.DataFrame]:
    if nearest is None:
        return {}
    if isinstance(nearest, pd.DataFrame):
        tables: dict[str | None, pd.DataFrame] = {None: nearest}
    elif isinstance(nearest, Mapping):
        tables = {str(k): v for k, v in nearest.items()}
    else:
        problems.append(f"nearest: expected a nearest table or a dict {{facility kind: nearest table}}, "
                        f"got {type(nearest).__name__}")
        return {}
    for key, table in tables.items():
        what = f"nearest table{'' if key is None else f' {key!r}'}"
        _require_columns(table, _NEAREST_COLUMNS, what, problems)
        if isinstance(table, pd.DataFrame) and "origin_id" in table.columns:
            ids = table["origin_id"].astype(str)
            repeated = sorted(set(ids[ids.duplicated()]))
            if repeated:
                problems.append(f"{what}: origin ids repeated ({', '.join(repeated[:10])}"
                                f"{', …' if len(repeated) > 10 else ''}); give one row per origin "
                                "(a nearest table, not an OD table)")
    return tables


def _check_inputs(compliance: Any, nearest: Any, service_areas: Any, actions: Any, basemap: str,
                  tianditu_key: str | None, cutoff_min: float | Mapping[str, float]) -> dict[str | None, pd.DataFrame]:
    problems: list[str] = []
    if basemap not in BASEMAPS:
        problems.append(f"basemap must be one of {', '.join(BASEMAPS)}; got {basemap!r}")
    if basemap == "tianditu" and not tianditu_key:
        problems.append("basemap 'tianditu' needs a Tianditu key (tianditu_key=...): register free at "
                        "https://console.tianditu.gov.cn, or use basemap='osm', 'amap' or 'none'")
    values = cutoff_min.values() if isinstance(cutoff_min, Mapping) else [cutoff_min]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in values):
        problems.append("cutoff_min must be a positive number of minutes or {facility kind: minutes}; "
                        f"got {cutoff_min!r}")
    if compliance is not None:
        _require_columns(compliance, _COMPLIANCE_COLUMNS, "compliance table", problems)
    tables = _nearest_tables(nearest, problems)
    if service_areas is not None:
        _require_columns(service_areas, ("break", "geometry"), "service areas", problems)
        if isinstance(service_areas, gpd.GeoDataFrame) and service_areas.crs is None:
            problems.append("service areas: no CRS; give the GeoDataFrame its CRS (the county CRS)")
    if actions is not None:
        _require_columns(actions, _ACTION_COLUMNS, "actions table", problems)
        if isinstance(actions, gpd.GeoDataFrame) and actions.crs is None:
            problems.append("actions table: no CRS; give the GeoDataFrame its CRS (the county CRS)")
    if problems:
        raise InputError("make_map inputs", problems)
    return tables


# ---------------------------------------------------------------------------------------------
# geometry for display
# ---------------------------------------------------------------------------------------------


def _display(data: gpd.GeoDataFrame | gpd.GeoSeries, *, gcj02: bool, simplify_m: float = 0.0) -> gpd.GeoSeries:
    """Geometries in WGS84 lon/lat (or GCJ-02 for Amap tiles), rounded to 1e-6° (~0.1 m)."""
    geoms = data.geometry if isinstance(data, gpd.GeoDataFrame) else data
    if simplify_m > 0:
        geoms = geoms.simplify(simplify_m, preserve_topology=True)
    geoms = geoms.to_crs(4326)
    if gcj02:
        from planning.crs import wgs84_to_gcj02

        def shift(coords: np.ndarray) -> np.ndarray:
            lon, lat = wgs84_to_gcj02(coords[:, 0], coords[:, 1])
            return np.column_stack([lon, lat])

        geoms = gpd.GeoSeries(shapely.transform(geoms.to_numpy(), shift), index=geoms.index, crs=4326)
    rounded = shapely.transform(geoms.to_numpy(), lambda c: np.round(c, 6))
    return gpd.GeoSeries(rounded, index=geoms.index, crs=4326)


def _feature(geom: Any, properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": shapely.geometry.mapping(geom), "properties": properties}


def _collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


def _popup(title: str, rows: list[tuple[str, str]]) -> str:
    """Popup HTML: a bold title and a two-column table; every value is escaped."""
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows if v not in ("", None))
    return f"<b>{html.escape(title)}</b><table class='pp'>{body}</table>"


def _time_colour(minutes: float) -> str:
    for upper, colour in TRAVEL_TIME_BINS_MIN:
        if minutes <= upper:
            return colour
    return TRAVEL_TIME_BINS_MIN[-1][1]


# ---------------------------------------------------------------------------------------------
# layers
# ---------------------------------------------------------------------------------------------


def _geojson_layer(features: list[dict[str, Any]], name: str, *, show: bool = True,
                   control: bool = True, attribution: str | None = None) -> folium.GeoJson:
    import folium
    from folium.utilities import JsCode

    options: dict[str, Any] = {"pointToLayer": JsCode(_POINT_TO_LAYER)}
    if attribution:
        options["attribution"] = attribution
    return folium.GeoJson(_collection(features), name=name, show=show, control=control,
                          on_each_feature=JsCode(_ON_EACH_FEATURE), **options)


def _failing_by_area(compliance: pd.DataFrame | None, levels: tuple[str, ...]) -> dict[str, list[str]]:
    if compliance is None or compliance.empty:
        return {}
    rows = compliance[compliance["level"].astype(str).isin(levels) & (compliance["status"] == "fail")]
    out: dict[str, list[str]] = {}
    for area_id, rule_id in zip(rows["area_id"].astype(str), rows["rule_id"].astype(str)):
        out.setdefault(area_id, [])
        if rule_id not in out[area_id]:
            out[area_id].append(rule_id)
    return out


def _status_by_area(compliance: pd.DataFrame | None, levels: tuple[str, ...]) -> dict[str, str]:
    """Worst status per area: fail > no_data > pass > not_applicable."""
    if compliance is None or compliance.empty:
        return {}
    order = {"not_applicable": 0, "pass": 1, "no_data": 2, "fail": 3}
    rows = compliance[compliance["level"].astype(str).isin(levels)]
    worst: dict[str, str] = {}
    for area_id, status in zip(rows["area_id"].astype(str), rows["status"].astype(str)):
        if area_id not in worst or order.get(status, 2) > order.get(worst[area_id], 2):
            worst[area_id] = status
    return worst


def _township_names(county: County) -> dict[str, str]:
    t = county.townships
    return dict(zip(t["id"].astype(str), t["name"].astype(str)))


def _demand_points(county: County) -> gpd.GeoDataFrame:
    """Villages, and communities when the county has them, with a ``_level`` column."""
    cols = ["id", "name", "township_id", "population", "geometry"]

    def _points(layer: gpd.GeoDataFrame, level: str) -> gpd.GeoDataFrame:
        out = layer.copy()
        for col in cols:
            if col not in out:
                out[col] = np.nan
        return out[cols].assign(_level=level)

    v = _points(county.villages, "village")
    if county.communities is not None and len(county.communities):
        v = pd.concat([v, _points(county.communities, "community")], ignore_index=True)
    v = gpd.GeoDataFrame(v, geometry="geometry", crs=county.crs)
    v["id"] = v["id"].astype(str)
    return v


def _township_row(township_id: Any, lang: str, townships: dict[str, str]) -> tuple[str, str]:
    """Popup row naming the township (its id when the name is unknown)."""
    return label("township", lang), townships.get(str(township_id), str(township_id))


def _village_rows(row: Any, lang: str, townships: dict[str, str]) -> list[tuple[str, str]]:
    return [
        (label("id", lang), str(row.id)),
        _township_row(row.township_id, lang, townships),
        (label("population", lang), fmt_int(row.population)),
    ]


def _travel_layer(demand: gpd.GeoDataFrame, geoms: gpd.GeoSeries, table: pd.DataFrame, kind: str | None,
                  *, lang: str, cutoff_min: float, townships: dict[str, str], facility_names: dict[str, str],
                  failing: dict[str, list[str]], show: bool) -> folium.GeoJson:
    t = table.copy()
    t["origin_id"] = t["origin_id"].astype(str)
    t = t.set_index("origin_id")
    features = []
    for (_, row), geom in zip(demand.iterrows(), geoms):
        rows = _village_rows(row, lang, townships)
        if row.id not in t.index:
            colour, uncovered, state = _NO_DATA_COLOUR, False, label("legend_no_data", lang)
        else:
            hit = t.loc[row.id]
            minutes = float(hit["travel_time_min"]) if pd.notna(hit["travel_time_min"]) else math.nan
            dest = hit["destination_id"]
            if math.isnan(minutes):
                colour, uncovered, state = _UNREACHABLE_COLOUR, True, label("unreachable", lang)
            else:
                colour = _time_colour(minutes)
                uncovered = minutes > cutoff_min
                state = label("uncovered", lang) if uncovered else label("covered", lang)
            if pd.notna(dest):
                rows.append((label("nearest", lang), facility_names.get(str(dest), str(dest))))
            rows.append((label("travel_time", lang),
                         label("minutes", lang, value=fmt_num(minutes)) if not math.isnan(minutes)
                         else label("unreachable", lang)))
            if "distance_m" in t.columns and pd.notna(hit["distance_m"]):
                rows.append((label("distance", lang), label("km", lang, value=fmt_num(hit["distance_m"] / 1000.0, 2))))
            if "reason" in t.columns and isinstance(hit["reason"], str) and hit["reason"]:
                rows.append((label("reason", lang), travel_reason(hit["reason"], lang)))
        if row.id in failing:
            rows.append((label("failing_rules", lang), "、".join(failing[row.id]) if lang == "zh"
                         else ", ".join(failing[row.id])))
        style = {"radius": 7 if uncovered else 5, "color": _UNCOVERED_RING if uncovered else "#333333",
                 "weight": 3 if uncovered else 1, "fillColor": colour, "fillOpacity": 0.9, "opacity": 1}
        features.append(_feature(geom, {
            "style": style,
            "tooltip": html.escape(f"{row['name']} · {state}"),
            "popup": _popup(paren(row["name"], state, lang), rows),
        }))
    name = (label("villages_time", lang, kind=kind_name(kind, lang)) if kind is not None
            else label("villages_time_any", lang))
    return _geojson_layer(features, name, show=show)


def _status_layer(demand: gpd.GeoDataFrame, geoms: gpd.GeoSeries, *, lang: str, townships: dict[str, str],
                  status: dict[str, str], failing: dict[str, list[str]], show: bool) -> folium.GeoJson:
    features = []
    for (_, row), geom in zip(demand.iterrows(), geoms):
        st = status.get(row.id, "no_data")
        rows = _village_rows(row, lang, townships)
        if row.id in failing:
            rows.append((label("failing_rules", lang), ", ".join(failing[row.id])))
        style = {"radius": 6 if st == "fail" else 4, "color": "#333333", "weight": 1,
                 "fillColor": _STATUS_COLOUR.get(st, _NO_DATA_COLOUR), "fillOpacity": 0.9, "opacity": 1}
        word = status_name(st, lang)
        features.append(_feature(geom, {
            "style": style,
            "tooltip": html.escape(f"{row['name']} · {word}"),
            "popup": _popup(paren(row["name"], word, lang), rows),
        }))
    return _geojson_layer(features, label("villages_status", lang), show=show)


def _plain_village_layer(demand: gpd.GeoDataFrame, geoms: gpd.GeoSeries, *, lang: str,
                         townships: dict[str, str]) -> folium.GeoJson:
    features = []
    for (_, row), geom in zip(demand.iterrows(), geoms):
        style = {"radius": 4, "color": "#333333", "weight": 1, "fillColor": "#fdd49e", "fillOpacity": 0.9}
        features.append(_feature(geom, {"style": style, "tooltip": html.escape(str(row["name"])),
                                        "popup": _popup(str(row["name"]), _village_rows(row, lang, townships))}))
    return _geojson_layer(features, label("villages", lang))


_TOWNSHIP_TYPE = {"zh": {"town": "镇", "township": "乡", "street": "街道"},
                  "en": {"town": "town", "township": "township", "street": "street office"}}

#: Facility fields shown in popups, with their labels.
_FACILITY_FIELDS: dict[str, dict[str, str]] = {
    "village_doctors": {"zh": "乡村医生（名）", "en": "village doctors"},
    "tcm_doctors": {"zh": "中医药服务医生（名）", "en": "TCM doctors"},
    "public_health_physicians": {"zh": "专职公共卫生医师（名）", "en": "public-health physicians"},
    "beds": {"zh": "床位（张）", "en": "beds"},
    "floor_area_m2": {"zh": "建筑面积（平方米）", "en": "floor area (m²)"},
    "grade": {"zh": "等级", "en": "grade"},
    "has_ambulance": {"zh": "急救车", "en": "ambulance"},
    "has_outpatient": {"zh": "开设门诊", "en": "outpatient clinic"},
    "emergency_centres": {"zh": "急诊急救中心", "en": "emergency centres"},
    "emergency_team": {"zh": "医疗应急队伍", "en": "emergency team"},
    "public_central": {"zh": "公办中心园", "en": "public central kindergarten"},
    "cremation": {"zh": "火化", "en": "cremation"},
}


def _field_text(value: Any, lang: str, column: str = "") -> str:
    if column == "emergency_centres" and lang == "zh" and isinstance(value, str):
        return "、".join(EMERGENCY_CENTRE_ZH.get(c.strip(), c.strip()) for c in value.split(",") if c.strip())
    if isinstance(value, (bool, np.bool_)):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if isinstance(value, (int, float, np.number)):
        return fmt_num(value, 2)
    return str(value)


def _facility_layers(county: County, *, lang: str, gcj02: bool, townships: dict[str, str],
                     shown: set[str] | None) -> list[folium.GeoJson]:
    fac = county.facilities
    if fac is None or fac.empty:
        return []
    geoms = _display(fac, gcj02=gcj02)
    kinds = fac["kind"].astype(str)
    order = [k.value for k in FacilityKind if k.value in set(kinds)] + sorted(set(kinds) - {k.value for k in FacilityKind})
    layers = []
    for kind in order:
        mask = (kinds == kind).to_numpy()
        features = []
        for (_, row), geom in zip(fac[mask].iterrows(), geoms[mask]):
            rows = [(label("id", lang), str(row["id"])), (label("kind", lang), kind_name(kind, lang))]
            if "township_id" in fac.columns and pd.notna(row["township_id"]):
                rows.append(_township_row(row["township_id"], lang, townships))
            for col, names in _FACILITY_FIELDS.items():
                if col in fac.columns and pd.notna(row[col]) and str(row[col]) != "":
                    rows.append((names[lang], _field_text(row[col], lang, col)))
            style = {"radius": 5, "color": "#ffffff", "weight": 1.5, "fillColor": KIND_COLOUR.get(kind, "#000000"),
                     "fillOpacity": 0.95, "opacity": 1}
            features.append(_feature(geom, {"style": style,
                                            "tooltip": html.escape(f"{row['name']} · {kind_name(kind, lang)}"),
                                            "popup": _popup(str(row["name"]), rows)}))
        swatch = f"<span style='color:{KIND_COLOUR.get(kind, '#000000')}'>●</span> "
        name = paren(kind_name(kind, lang), len(features), lang)
        name = name if lang == "zh" else _first_upper(name)
        layers.append(_geojson_layer(features, swatch + html.escape(name), show=shown is None or kind in shown))
    return layers


def _service_area_layers(service_areas: gpd.GeoDataFrame, county: County, *, lang: str, gcj02: bool,
                         preferred: list[str]) -> list[folium.GeoJson]:
    """One layer per (kind, break); the kinds of ``preferred`` first and only the first kind shown."""
    sa = service_areas
    if "kind" not in sa.columns and "facility_id" in sa.columns:
        kinds = dict(zip(county.facilities["id"].astype(str), county.facilities["kind"].astype(str)))
        sa = sa.assign(kind=[kinds.get(str(f)) for f in sa["facility_id"]])
        if sa["kind"].isna().any():
            sa = sa.drop(columns="kind")
    sa = sa[~sa.geometry.is_empty & sa.geometry.notna()]
    if sa.empty:
        return []
    key_col = "kind" if "kind" in sa.columns else None
    enum_order = {k.value: i for i, k in enumerate(FacilityKind)}
    groups = (sorted(sa[key_col].astype(str).unique(),
                     key=lambda k: (preferred.index(k) if k in preferred else len(preferred), enum_order.get(k, 99), k))
              if key_col else [None])
    metric = sa["metric"].astype(str) if "metric" in sa.columns else pd.Series("time", index=sa.index)
    layers = []
    breaks_all = sorted(float(b) for b in sa["break"].unique())
    for gi, group in enumerate(groups):
        part = sa if group is None else sa[sa[key_col].astype(str) == group]
        for b in sorted(part["break"].unique(), key=float, reverse=True):
            sel = part[part["break"] == b]
            geoms = _display(sel, gcj02=gcj02, simplify_m=5.0)
            is_distance = "distance" in str(metric.loc[sel.index[0]])
            value = (label("km", lang, value=fmt_num(float(b) / 1000.0, 1)) if is_distance
                     else label("minutes", lang, value=fmt_num(b)))
            shade = breaks_all.index(float(b)) / max(1, len(breaks_all) - 1)
            colour = _mix("#08519c", "#9ecae1", shade)
            features = [_feature(g, {"style": {"color": colour, "weight": 1, "fillColor": colour,
                                               "fillOpacity": 0.18, "opacity": 0.8},
                                     "tooltip": html.escape(value)}) for g in geoms if g is not None and not g.is_empty]
            name = _first_upper(label("service_area_kind", lang, kind=kind_name(group, lang), value=value)
                                if group is not None else label("service_area", lang, value=value))
            layers.append(_geojson_layer(features, name, show=gi == 0))
    return layers


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def _mix(a: str, b: str, t: float) -> str:
    ca = [int(a[i:i + 2], 16) for i in (1, 3, 5)]
    cb = [int(b[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(ca, cb))


def _action_layer(actions: gpd.GeoDataFrame, county: County, *, lang: str, gcj02: bool,
                  townships: dict[str, str]) -> folium.GeoJson:
    """One marker per site: actions at the same place (several living-circle facilities at one
    street node) share it, the popup lists each and the icon carries their number."""
    acts = actions.to_crs(county.crs)
    geoms = _display(acts, gcj02=gcj02)
    at: dict[bytes, list[int]] = {}
    for i, geom in enumerate(geoms):
        at.setdefault(shapely.to_wkb(geom), []).append(i)
    features = []
    for members in at.values():
        popups, titles = [], []
        for i in members:
            row = acts.iloc[i]
            act = str(row["action"])
            what = f"{action_name(act, lang)}{kind_name(row['kind'], lang)}" if lang == "zh" \
                else f"{action_name(act, lang)} {kind_name(row['kind'], lang)}"
            rows = [(label("what", lang), what),
                    (label("site", lang), str(row["site_name"]) if pd.notna(row["site_name"]) else ""),
                    (label("why", lang), action_reason(row, lang)),
                    (label("population_gained", lang), fmt_int(row["population_gained"])),
                    (label("rule", lang), str(row["rule_id"]) if pd.notna(row["rule_id"]) else "")]
            if "cost" in acts.columns:
                rows.append((label("cost", lang), fmt_num(row["cost"])))
            if "township_id" in acts.columns and pd.notna(row["township_id"]):
                rows.append(_township_row(row["township_id"], lang, townships))
            popups.append(_popup(what, rows))
            site = str(row["site_name"]) if pd.notna(row["site_name"]) else ""
            titles.append(f"{what} · {site}" if site else what)
        first = str(acts.iloc[members[0]]["action"])
        colour = _ACTION_COLOUR.get(first, "#000000")
        mark = ACTION_MARK[lang].get(first, "?")
        count = (f"<span style='position:absolute;top:-8px;right:-10px;min-width:14px;padding:0 2px;background:#fff;"
                 f"color:#000;border:1px solid {colour};border-radius:8px;font-size:10px;line-height:14px'>"
                 f"{len(members)}</span>") if len(members) > 1 else ""
        icon = (f"<div style='position:relative;width:20px;height:20px;line-height:20px;background:{colour};"
                f"color:#fff;border:1px solid #fff;border-radius:3px;text-align:center;font-size:13px;"
                f"font-weight:bold;box-shadow:0 0 3px #000'>{html.escape(mark)}{count}</div>")
        sep = "；" if lang == "zh" else "; "
        features.append(_feature(geoms.iloc[members[0]], {"icon": icon, "title": sep.join(titles),
                                                          "tooltip": html.escape(sep.join(titles)),
                                                          "popup": "<hr>".join(popups)}))
    return _geojson_layer(features, paren(label("actions", lang), len(acts), lang))


def _roads_layer(county: County, *, lang: str, gcj02: bool) -> folium.GeoJson | None:
    edges = county.roads.edges
    if edges is None or edges.empty or "highway" not in edges.columns:
        return None
    main = edges[edges["highway"].astype(str).isin(_MAIN_ROADS)]
    if main.empty:
        return None
    u = main["u"].to_numpy()
    v = main["v"].to_numpy()
    pair = np.where(u < v, u.astype(str) + "-" + v.astype(str), v.astype(str) + "-" + u.astype(str))
    main = main.assign(_pair=pair).drop_duplicates("_pair")
    features = []
    for hw, part in main.groupby(main["highway"].astype(str).str.replace("_link", "", regex=False), sort=True):
        merged = shapely.line_merge(shapely.union_all(part.geometry.to_numpy()))
        geom = _display(gpd.GeoSeries([merged], crs=county.crs), gcj02=gcj02, simplify_m=5.0).iloc[0]
        weight = _ROAD_WEIGHT.get(hw, 1.5)
        features.append(_feature(geom, {"style": {"color": "#8c6d31" if weight >= 3 else "#a6a6a6",
                                                  "weight": weight, "opacity": 0.9}}))
    source = " ".join(str(v) for v in county.meta.values()) if isinstance(county.meta, dict) else ""
    attribution = _OSM_ATTRIBUTION if re.search(r"\.osm(\.bz2|\.pbf)?\b", source) else None
    return _geojson_layer(features, label("roads", lang), attribution=attribution)


def _legend(lang: str, *, cutoffs: dict[str | None, float], actions: list[str], title: str, travel: bool,
            status: bool) -> str:
    parts = [f"<div style='font-weight:bold;font-size:14px;margin-bottom:4px'>{html.escape(title)}</div>"]

    def swatch(colour: str, text: str, *, ring: str | None = None, square: bool = False) -> str:
        shape = "border-radius:3px" if square else "border-radius:50%"
        border = f"2px solid {ring}" if ring else "1px solid #333"
        return (f"<div><span style='display:inline-block;width:11px;height:11px;{shape};background:{colour};"
                f"border:{border};margin-right:5px;vertical-align:middle'></span>{html.escape(text)}</div>")

    if travel:
        parts.append(f"<div style='margin-top:4px;font-weight:bold'>{html.escape(label('legend_time', lang))}</div>")
        lower = 0.0
        for upper, colour in TRAVEL_TIME_BINS_MIN:
            text = (f"> {fmt_num(lower)}" if math.isinf(upper) else f"{fmt_num(lower)}–{fmt_num(upper)}")
            parts.append(swatch(colour, label("minutes", lang, value=text)))
            lower = upper
        parts.append(swatch(_UNREACHABLE_COLOUR, label("unreachable", lang)))
        values = sorted(set(cutoffs.values()))
        if len(values) == 1:
            cutoff_text = fmt_num(values[0])
        else:
            sep = "、" if lang == "zh" else ", "
            cutoff_text = sep.join(f"{kind_name(k, lang)} {fmt_num(v)}" for k, v in cutoffs.items())
        parts.append(swatch("#ffffff", label("legend_uncovered", lang, cutoff=cutoff_text), ring=_UNCOVERED_RING))
        parts.append(swatch(_NO_DATA_COLOUR, label("legend_no_data", lang)))
    if status:
        parts.append(f"<div style='margin-top:4px;font-weight:bold'>{html.escape(label('legend_status', lang))}</div>")
        for st in ("pass", "fail", "no_data"):
            parts.append(swatch(_STATUS_COLOUR[st], status_name(st, lang)))
    if actions:
        parts.append(f"<div style='margin-top:4px;font-weight:bold'>{html.escape(label('legend_actions', lang))}</div>")
        for act in actions:
            parts.append(swatch(_ACTION_COLOUR.get(act, "#000000"),
                                f"{ACTION_MARK[lang].get(act, '?')} {action_name(act, lang)}", square=True))
    return "".join(parts)


def _metric_scale_element() -> Any:
    """A scale bar in metres and kilometres only (folium's ``control_scale`` adds miles too)."""
    from branca.element import MacroElement, Template

    class MetricScale(MacroElement):
        _template = Template("""
        {% macro script(this, kwargs) %}
        L.control.scale({imperial: false, maxWidth: 150}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """)

    return MetricScale()


def _legend_element(legend_html: str) -> Any:
    from branca.element import MacroElement, Template

    class Legend(MacroElement):
        """The map legend: a Leaflet control (bottom left) holding static HTML."""

        _template = Template("""
        {% macro header(this, kwargs) %}
        <style>
          .planning-legend { background: rgba(255,255,255,0.92); padding: 8px 10px; border-radius: 4px;
            box-shadow: 0 0 6px rgba(0,0,0,0.35); font: 12px/1.5 {{ this.font_stack|safe }};
            max-height: 70vh; overflow-y: auto; }
          .planning-icon { background: none; border: none; }
          table.pp { font-size: 12px; border-collapse: collapse; }
          table.pp th { text-align: left; padding-right: 8px; white-space: nowrap; font-weight: normal; color: #555; }
          .leaflet-container { background: #f2f1ec; }
          /* div.: more specific than leaflet.css's .leaflet-container, which the page inlines later */
          div.leaflet-container { font-family: {{ this.font_stack|safe }}; }
        </style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: 'bottomleft'});
        {{ this.get_name() }}.onAdd = function () {
            var div = L.DomUtil.create('div', 'planning-legend');
            div.innerHTML = {{ this.legend_html|tojson }};
            L.DomEvent.disableScrollPropagation(div);
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {{ this._parent.get_name() }}.attributionControl.setPrefix('Leaflet');
        {% endmacro %}
        """)

        def __init__(self, content: str) -> None:
            super().__init__()
            self._name = "Legend"
            self.legend_html = content
            self.font_stack = FONT_STACK

    return Legend(legend_html)


def _tile_layers(basemap: str, tianditu_key: str | None) -> list[Any]:
    import folium

    if basemap == "osm":
        return [folium.TileLayer(tiles="https://tile.openstreetmap.org/{z}/{x}/{y}.png", attr=_OSM_ATTRIBUTION,
                                 name="OpenStreetMap", max_zoom=19)]
    if basemap == "amap":
        return [folium.TileLayer(
            tiles="https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
            attr="© 高德地图 AutoNavi", name="高德地图 Amap", subdomains="1234", max_zoom=18)]
    if basemap == "tianditu":
        url = ("https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
               "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}"
               "&TILECOL={{x}}&tk={key}")
        return [
            folium.TileLayer(tiles=url.format(s="{s}", layer="vec", key=tianditu_key), attr="© 天地图 Tianditu",
                             name="天地图 Tianditu", subdomains="01234567", max_zoom=18),
            folium.TileLayer(tiles=url.format(s="{s}", layer="cva", key=tianditu_key), attr="© 天地图 Tianditu",
                             name="天地图注记", subdomains="01234567", max_zoom=18, overlay=True, control=False),
        ]
    return []


# ---------------------------------------------------------------------------------------------
# public
# ---------------------------------------------------------------------------------------------


def make_map(county: County, *, compliance: pd.DataFrame | None = None,
             nearest: pd.DataFrame | Mapping[str, pd.DataFrame] | None = None,
             service_areas: gpd.GeoDataFrame | None = None, actions: gpd.GeoDataFrame | None = None,
             basemap: str = "osm", lang: str = "zh", cutoff_min: float | Mapping[str, float] = 15.0,
             tianditu_key: str | None = None) -> folium.Map:
    """An interactive map of a county and its results.

    Layers (each listed in the layer control, labelled in ``lang``): county boundary; township
    boundaries (popup: failing township-level rules); main roads; villages coloured by travel
    time to the nearest facility, one layer per nearest table, uncovered villages (beyond
    ``cutoff_min`` or unreachable) ringed in red and villages missing from the table grey ("no
    data", never covered); villages by compliance status; one layer per facility kind present;
    service areas at each break; proposed actions (popup: what, site, why, population gained,
    rule, cost). Facility layers are switched on for the kinds of the nearest tables and actions
    (all kinds when neither is given); each layer name carries its colour. A legend (bottom
    left) explains the other colours.

    Parameters
    ----------
    county : County
        The county (any metric CRS; drawn in WGS84).
    compliance : pandas.DataFrame, optional
        Compliance table (``rule_id, level, area_id, area_name, status, ...``).
    nearest : pandas.DataFrame or dict, optional
        A nearest table (``origin_id, destination_id, travel_time_min, distance_m, reason``) whose
        origins are village (or community) ids, or ``{facility kind: nearest table}``.
    service_areas : geopandas.GeoDataFrame, optional
        Service-area polygons with ``break`` (minutes, or metres when ``metric`` says distance),
        optional ``kind`` and ``metric``.
    actions : geopandas.GeoDataFrame, optional
        Actions table (``action, kind, site_name, population_gained, rule_id, reason, cost,
        geometry``).
    basemap : {"osm", "none", "amap", "tianditu"}
        Background tiles. ``amap`` tiles are in GCJ-02, so every geometry is shifted to GCJ-02
        to line up with them; ``tianditu`` (CGCS2000, equal to WGS84 at map scale) needs
        ``tianditu_key``.
    lang : {"zh", "en"}
        Language of layer names, popups and legend.
    cutoff_min : float or dict
        Travel time (minutes) beyond which a village is marked uncovered (default 15, HC-11), or
        ``{facility kind: minutes}`` per nearest table (kinds not listed: 15).
    tianditu_key : str, optional
        Tianditu API key (``tk``), required for ``basemap="tianditu"``.

    Returns
    -------
    folium.Map
        Save it with :func:`save_map`.

    Raises
    ------
    InputError
        Listing every problem with the inputs (unknown basemap or language, missing columns).

    Examples
    --------
    >>> from planning.maps import make_map, save_map      # doctest: +SKIP
    >>> m = make_map(county, nearest=nearest, actions=actions)  # doctest: +SKIP
    >>> save_map(m, "map.html", offline=True)             # doctest: +SKIP
    """
    import folium

    check_lang(lang)
    tables = _check_inputs(compliance, nearest, service_areas, actions, basemap, tianditu_key, cutoff_min)
    gcj02 = basemap == "amap"
    townships = _township_names(county)

    bounds = county.boundary.to_crs(4326).total_bounds
    m = folium.Map(location=[float((bounds[1] + bounds[3]) / 2), float((bounds[0] + bounds[2]) / 2)],
                   zoom_start=10, tiles=None, prefer_canvas=True, zoom_snap=0.25)
    m.default_js = []
    m.default_css = []
    from branca.element import Element

    m.get_root().header.add_child(
        Element(f"<title>{html.escape(label('map_title', lang, county=county.name))}</title>"), name="planning_title")
    for tile in _tile_layers(basemap, tianditu_key):
        tile.add_to(m)

    boundary = _display(county.boundary, gcj02=gcj02, simplify_m=5.0)
    _geojson_layer([_feature(g, {"style": {"color": "#252525", "weight": 3, "fill": True, "fillColor": "#f7f4ea",
                                           "fillOpacity": 0.35 if basemap == "none" else 0.0}})
                    for g in boundary], label("county_boundary", lang)).add_to(m)

    failing_t = _failing_by_area(compliance, ("township",))
    tgeoms = _display(county.townships, gcj02=gcj02, simplify_m=5.0)
    tfeatures = []
    for (_, row), geom in zip(county.townships.iterrows(), tgeoms):
        tid = str(row["id"])
        rows = [(label("id", lang), tid)]
        if "township_type" in county.townships.columns:
            kind = str(row["township_type"])
            rows.append((label("township_type", lang), _TOWNSHIP_TYPE[lang].get(kind, kind)))
        pop = county.villages.loc[county.villages["township_id"].astype(str) == tid, "population"].sum()
        rows.append((label("population", lang), fmt_int(pop)))
        fails = tid in failing_t
        if fails:
            rows.append((label("failing_rules", lang), ", ".join(failing_t[tid])))
        tfeatures.append(_feature(geom, {
            "style": {"color": "#54278f", "weight": 2 if fails else 1.5, "dashArray": "6 4",
                      "fill": True, "fillColor": "#d73027" if fails else "#ffffff",
                      "fillOpacity": 0.06 if fails else 0.0},
            "tooltip": html.escape(str(row["name"])),
            "popup": _popup(str(row["name"]), rows)}))
    _geojson_layer(tfeatures, label("townships", lang)).add_to(m)

    roads = _roads_layer(county, lang=lang, gcj02=gcj02)
    if roads is not None:
        roads.add_to(m)

    if service_areas is not None:
        preferred = [str(k) for k in tables if k is not None]
        for layer in _service_area_layers(service_areas.to_crs(county.crs), county, lang=lang, gcj02=gcj02,
                                          preferred=preferred):
            layer.add_to(m)

    relevant = {str(k) for k in tables if k is not None}
    if actions is not None and len(actions):
        relevant |= set(actions["kind"].astype(str))
    for layer in _facility_layers(county, lang=lang, gcj02=gcj02, townships=townships, shown=relevant or None):
        layer.add_to(m)

    demand = _demand_points(county)
    dgeoms = _display(demand, gcj02=gcj02)
    is_village = (demand["_level"] == "village").to_numpy()
    failing_v = _failing_by_area(compliance, ("village", "community"))
    facility_names = dict(zip(county.facilities["id"].astype(str), county.facilities["name"].astype(str)))

    def points(ids: set[str]) -> tuple[gpd.GeoDataFrame, gpd.GeoSeries]:
        """Villages, plus the communities that the table at hand is about."""
        keep = is_village | demand["id"].isin(ids).to_numpy()
        return demand[keep], dgeoms[keep]

    def cutoff_for(kind: str | None) -> float:
        if isinstance(cutoff_min, Mapping):
            return float(cutoff_min.get(kind, 15.0)) if kind is not None else 15.0
        return float(cutoff_min)

    cutoffs = {kind: cutoff_for(kind) for kind in tables}
    for i, (kind, table) in enumerate(tables.items()):
        sel, geoms = points(set(table["origin_id"].astype(str)))
        _travel_layer(sel, geoms, table, kind, lang=lang, cutoff_min=cutoffs[kind], townships=townships,
                      facility_names=facility_names, failing=failing_v, show=i == 0).add_to(m)
    status = _status_by_area(compliance, ("village", "community"))
    if status:
        sel, geoms = points(set(status))
        _status_layer(sel, geoms, lang=lang, townships=townships, status=status, failing=failing_v,
                      show=not tables).add_to(m)
    if not tables and not status:
        sel, geoms = points(set())
        _plain_village_layer(sel, geoms, lang=lang, townships=townships).add_to(m)

    action_kinds: list[str] = []
    if actions is not None and len(actions):
        _action_layer(actions, county, lang=lang, gcj02=gcj02, townships=townships).add_to(m)
        action_kinds = [a for a in _ACTION_COLOUR if a in set(actions["action"].astype(str))]

    _legend_element(_legend(lang, cutoffs=cutoffs, actions=action_kinds,
                            title=label("map_title", lang, county=county.name), travel=bool(tables),
                            status=bool(status) and not tables)).add_to(m)
    _metric_scale_element().add_to(m)
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    m.fit_bounds([[float(bounds[1]), float(bounds[0])], [float(bounds[3]), float(bounds[2])]])
    return m


def _static_file(name: str) -> bytes:
    return resources.files("planning").joinpath("_static", "leaflet", name).read_bytes()


def _inline_leaflet() -> str:
    js = _static_file("leaflet.js").decode("utf-8")
    js = re.sub(r"\n//# sourceMappingURL=\S+\s*$", "\n", js)
    css = _static_file("leaflet.css").decode("utf-8")

    def data_uri(match: re.Match[str]) -> str:
        name = match.group(1)
        data = base64.b64encode(_static_file(f"images/{name}")).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    css = re.sub(r"url\(images/([A-Za-z0-9_\-]+\.png)\)", data_uri, css)
    # the script text must not close its own element
    js = js.replace("</script", "<\\/script")
    return f"<style>\n{css}\n</style>\n<script>\n{js}\n</script>\n"


def _renumber(m: Any) -> None:
    """Give the map and its layers deterministic ids (branca draws random ones).

    Only the map's own tree is renumbered, never the figure's rendered script parts, so
    rendering twice gives the same ids and equal maps save equal bytes.
    """
    counter = 0
    stack = [m]
    while stack:
        element = stack.pop(0)
        counter += 1
        element._id = f"{counter:08x}"
        stack.extend(element._children.values())


class _LinkFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "data", "poster", "srcset") and value:
                if re.match(r"\s*(https?:)?//", value, flags=re.I):
                    self.urls.append(f"<{tag} {name}={value}>")


def external_urls(page: str) -> list[str]:
    """External ``src``/``href`` attributes of an HTML page's tags (``http://``, ``https://``, ``//``).

    Examples
    --------
    >>> external_urls('<script src="https://cdn.example/x.js"></script><a href="#top">top</a>')
    ['<script src=https://cdn.example/x.js>']
    """
    finder = _LinkFinder()
    finder.feed(page)
    finder.close()
    return finder.urls


def save_map(m: folium.Map, path: str | Path, *, offline: bool = True) -> Path:
    """Write a map as one HTML file, atomically.

    Parameters
    ----------
    m : folium.Map
        A map from :func:`make_map`.
    path : str or Path
        Output file (its directory is created if needed). Written to a temporary name, then
        renamed: a failure leaves no file.
    offline : bool
        ``True`` (default): a self-contained page with Leaflet's JS/CSS inlined, no tile layer and
        no external resource at all — it opens with no network. ``False``: the same page with
        the basemap tiles chosen in :func:`make_map` (OSM tiles carry "© OpenStreetMap
        contributors"). Geometries are not changed: with ``basemap="amap"`` they stay in GCJ-02.
        Either way the page embeds the subset of the bundled Chinese font its text needs
        (:func:`planning.reports.webfont.embed_cjk_font`).

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    InputError
        When ``offline`` and the map still loads an external file (e.g. a folium plugin added by
        the caller); the message lists the URLs.
    """
    import folium

    root = m.get_root()
    own_children = dict(m._children)
    if offline:
        for key, child in own_children.items():
            if isinstance(child, folium.TileLayer):
                del m._children[key]
    # rendering adds parts to the figure; undo that afterwards so every render starts the same
    saved = {part: dict(getattr(root, part)._children) for part in ("header", "html", "script")}
    try:
        _renumber(m)
        page = root.render()
    finally:
        for part, children in saved.items():
            getattr(root, part)._children.clear()
            getattr(root, part)._children.update(children)
        m._children.clear()
        m._children.update(own_children)
    # after folium's charset meta (which must stay within the first 1,024 bytes), before the map script
    page = page.replace("</head>", _inline_leaflet() + "</head>", 1)
    page = embed_cjk_font(page)     # Chinese labels render on a machine without Chinese fonts
    if offline:
        urls = external_urls(page)
        if urls:
            raise InputError("offline map", [f"the map loads an external file: {u}; remove the element that "
                                             "needs it or save with offline=False" for u in urls])
    return write_bytes_atomic(page.encode("utf-8"), path)
