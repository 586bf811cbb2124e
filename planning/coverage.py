"""Coverage analysis on any nearest or OD table.

Given demand points (villages, residential communities, or population-raster cells) and the
travel time or road distance from each to its nearest facility (a *nearest table* from any engine,
see :mod:`planning.network.engine`), this module answers: how many people are within each
threshold, which places are not, and how that adds up by township and county. Every result says
which metric it used:

===================  ==================================================  =========
metric               meaning                                             unit
===================  ==================================================  =========
``walk_time``        walking time on the road network                    min
``drive_time``       driving time (walk to the road, then drive)         min
``mixed_time``       explicit mixed mode of the engine                   min
``road_distance``    shortest road distance                              m
``euclidean``        straight-line distance (only when asked for)        m
===================  ==================================================  =========

Unreachable places (``NaN`` time or distance: off the network beyond the snap limit, or no
facility reachable) are never covered, and their reason is kept.

Examples
--------
>>> import geopandas as gpd, pandas as pd
>>> from shapely.geometry import Point
>>> demand = gpd.GeoDataFrame({"id": ["a", "b"], "name": ["甲", "乙"], "township_id": ["t1", "t1"],
...     "population": [100, 300]}, geometry=[Point(0, 0), Point(1000, 0)], crs="EPSG:32650")
>>> nearest = pd.DataFrame({"origin_id": ["a", "b"], "destination_id": ["f", "f"],
...     "travel_time_min": [5.0, 20.0], "distance_m": [400.0, 1600.0],
...     "snap_distance_m": [0.0, 0.0], "reason": ["", ""]})
>>> table = coverage_table(demand, nearest, thresholds=[15], metric="walk_time")
>>> table["covered_15min"].tolist()
[True, False]
>>> row = coverage_by_area(table, thresholds=[15]).iloc[-1]
>>> print(row.level, row.population, row.covered_pop_15min, row.share_15min)
county 400 100 0.25
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from planning._errors import InputError
from planning.schema import FacilityKind

__all__ = [
    "METRICS",
    "NEAREST_COLUMNS",
    "TravelEngineLike",
    "metric_label",
    "threshold_label",
    "demand_points",
    "raster_demand",
    "township_within",
    "owner_place",
    "community_weights",
    "facilities_of",
    "euclidean_nearest",
    "nearest_facilities",
    "nearest_from_od",
    "unreachable_table",
    "within",
    "coverage_table",
    "coverage_by_area",
    "coverage_by_kind",
    "MatrixEngine",
]

#: Metric label → (value column of the nearest table, unit).
METRICS: dict[str, tuple[str, str]] = {
    "walk_time": ("travel_time_min", "min"),
    "drive_time": ("travel_time_min", "min"),
    "mixed_time": ("travel_time_min", "min"),
    "road_distance": ("distance_m", "m"),
    "euclidean": ("distance_m", "m"),
}

#: Columns of a nearest table (COMMON.md).
NEAREST_COLUMNS: tuple[str, ...] = ("origin_id", "destination_id", "travel_time_min", "distance_m",
                                    "snap_distance_m", "reason")

#: Relative tolerance when comparing a value with a threshold: 15.000000000000002 min is 15 min.
_TOL = 1e-9


class TravelEngineLike(Protocol):
    """What coverage and rule evaluation need from a travel engine (any engine will do)."""

    def nearest(self, origins: gpd.GeoDataFrame, destinations: gpd.GeoDataFrame, *, mode: str = ...,
                metric: str = ..., cutoff: float | None = ..., id_col: str = ...) -> pd.DataFrame:
        """Nearest table: one row per origin (COMMON.md)."""
        ...


def metric_label(mode: str, metric: str) -> str:
    """The metric label of an engine query.

    Parameters
    ----------
    mode : {"walk", "drive", "mixed"}
        Travel mode of the engine.
    metric : {"time", "distance", "euclidean"}
        What is minimised.

    Returns
    -------
    str
        ``walk_time``, ``drive_time``, ``mixed_time``, ``road_distance`` or ``euclidean``.

    Examples
    --------
    >>> metric_label("drive", "distance")
    'road_distance'
    """
    if metric == "euclidean":
        return "euclidean"
    if metric == "distance":
        return "road_distance"
    if metric == "time" and mode in ("walk", "drive", "mixed"):
        return f"{mode}_time"
    raise InputError(f"unknown travel query mode={mode!r}, metric={metric!r}: mode is walk, drive or mixed; "
                     "metric is time, distance or euclidean")


def threshold_label(threshold: float, metric: str) -> str:
    """Column suffix of a threshold: ``15min``, ``10km``, ``800m``.

    Examples
    --------
    >>> threshold_label(15, "walk_time"), threshold_label(10000, "road_distance"), threshold_label(800, "euclidean")
    ('15min', '10km', '800m')
    """
    unit = _metric_unit(metric)
    if unit == "min":
        return f"{threshold:g}min"
    if threshold >= 1000 and float(threshold) % 1000 == 0:
        return f"{threshold / 1000:g}km"
    return f"{threshold:g}m"


def _metric_unit(metric: str) -> str:
    if metric not in METRICS:
        raise InputError(f"unknown metric {metric!r}; use one of {', '.join(METRICS)}")
    return METRICS[metric][1]


def within(values: Any, threshold: float) -> np.ndarray:
    """``values <= threshold`` with a relative tolerance of 1e-9 (NaN is never within)."""
    v = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.isfinite(v) & (v <= threshold * (1 + _TOL) + _TOL)


def demand_points(county: Any, layer: str = "villages", *, population_col: str = "population") -> gpd.GeoDataFrame:
    """Demand points of a county layer: ``id, name, township_id, population, geometry``.

    Parameters
    ----------
    county : County
        The county bundle.
    layer : {"villages", "communities", "population"}
        Villages, residential communities, or the population raster's cells (see
        :func:`raster_demand`).
    population_col : str
        Population column of the layer.

    Returns
    -------
    geopandas.GeoDataFrame

    Raises
    ------
    InputError
        When the layer or its population column is missing.
    """
    if layer == "population":
        if county.population is None:
            raise InputError("population raster demand", ["the county has no population raster; add "
                                                          "layers.population to county.yaml"])
        return raster_demand(county.population, county.townships)
    if layer not in ("villages", "communities"):
        raise InputError(f"unknown demand layer {layer!r}; use villages, communities or population")
    gdf = getattr(county, layer)
    if gdf is None:
        raise InputError(f"{layer} demand", [f"the county has no {layer} layer; add it to county.yaml"])
    missing = [c for c in ("id", "name", "township_id", population_col) if c not in gdf.columns]
    if missing:
        raise InputError(f"{layer} demand", [f"column {c!r} missing from the {layer} layer" for c in missing])
    out = gdf[["id", "name", "township_id", population_col, "geometry"]].copy()
    out = out.rename(columns={population_col: "population"})
    out["id"] = out["id"].astype(str)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=gdf.crs).reset_index(drop=True)


def raster_demand(raster: Any, townships: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """Population-raster cells as demand points (the valid, non-zero cells' centres).

    Parameters
    ----------
    raster : Raster
        Population raster (people per cell).
    townships : GeoDataFrame, optional
        Township polygons; each cell gets the ``township_id`` of the polygon containing its centre
        (empty string outside every township).

    Returns
    -------
    geopandas.GeoDataFrame
        ``id`` (``"cell_<row>_<col>"``), ``name`` (same), ``township_id``, ``population``, geometry.
    """
    row, col = raster.valid_cells()
    x, y, value = raster.cell_centres()
    value = value.astype(float)
    ids = [f"cell_{r}_{c}" for r, c in zip(row.tolist(), col.tolist(), strict=True)]
    gdf = gpd.GeoDataFrame({"id": ids, "name": ids, "township_id": "", "population": value},
                           geometry=gpd.points_from_xy(x, y), crs=raster.crs)
    if townships is not None and len(gdf):
        gdf["township_id"] = township_within(gdf, townships).fillna("").astype(str).to_numpy()
    return gdf


def township_within(points: gpd.GeoDataFrame, townships: gpd.GeoDataFrame) -> pd.Series:
    """Id of the township polygon containing each point (the first in file order on a shared edge).

    Parameters
    ----------
    points : GeoDataFrame
        Points in the townships' CRS.
    townships : GeoDataFrame
        Township polygons with an ``id`` column.

    Returns
    -------
    pandas.Series
        Township ids on the points' index; NaN for points outside every township.
    """
    joined = gpd.sjoin(points[["geometry"]], townships[["id", "geometry"]].rename(columns={"id": "_tid"}),
                       how="left", predicate="within")
    return joined.loc[~joined.index.duplicated(keep="first"), "_tid"]


def owner_place(facilities: gpd.GeoDataFrame, places: gpd.GeoDataFrame) -> np.ndarray:
    """The place each facility belongs to: its ``village_id`` when given, else the nearest place point.

    Villages are points; the nearest village point (a Voronoi cell) stands in for the village
    territory when the facility table does not say which village a facility belongs to.

    Parameters
    ----------
    facilities : GeoDataFrame
        Facility points, optionally with a ``village_id`` column.
    places : GeoDataFrame
        Place points (villages) with an ``id`` column, in the facilities' CRS.

    Returns
    -------
    numpy.ndarray of object
        Place id (str) per facility, in facility order; None when there are no places to choose.
    """
    out = np.full(len(facilities), None, dtype=object)
    if "village_id" in facilities.columns:
        given = facilities["village_id"]
        ok = (given.notna() & (given.astype(str).str.strip() != "")).to_numpy()
        out[ok] = given[ok].astype(str).to_numpy()
    rest = np.flatnonzero(pd.isna(out))
    if rest.size and len(places):
        xy = np.column_stack([places.geometry.x, places.geometry.y])
        fxy = np.column_stack([facilities.geometry.x.to_numpy()[rest], facilities.geometry.y.to_numpy()[rest]])
        _, idx = cKDTree(xy).query(fxy, k=1)
        out[rest] = places["id"].astype(str).to_numpy()[idx]
    return out


def community_weights(communities: pd.DataFrame) -> tuple[np.ndarray, bool]:
    """Weights of residential communities: population when complete, else households.

    Parameters
    ----------
    communities : DataFrame
        The communities layer (``population`` and/or ``households``).

    Returns
    -------
    weights : numpy.ndarray of float
        Population per community when every community has one; else households (missing → 0;
        1 per community when there is no households column either).
    by_population : bool
        Whether the weights are populations.
    """
    if "population" in communities.columns:
        pop = pd.to_numeric(communities["population"], errors="coerce")
        if pop.notna().all():
            return pop.to_numpy(dtype=float), True
    hh = (pd.to_numeric(communities["households"], errors="coerce").fillna(0.0) if "households" in communities.columns
          else pd.Series(1.0, index=communities.index))
    return hh.to_numpy(dtype=float), False


def facilities_of(facilities: gpd.GeoDataFrame, kinds: Iterable[FacilityKind | str]) -> gpd.GeoDataFrame:
    """Facilities whose ``kind`` is one of ``kinds`` (ids as strings)."""
    wanted = {str(k) for k in kinds}
    out = facilities[facilities["kind"].astype(str).isin(wanted)].copy()
    out["id"] = out["id"].astype(str)
    return out


def euclidean_nearest(origins: gpd.GeoDataFrame, destinations: gpd.GeoDataFrame, *,
                      id_col: str = "id") -> pd.DataFrame:
    """Nearest destination by straight-line distance (only when asked for: ``metric="euclidean"``).

    Parameters
    ----------
    origins, destinations : GeoDataFrame
        Points in the same metric CRS, with an id column.
    id_col : str
        Id column of both.

    Returns
    -------
    pandas.DataFrame
        A nearest table: ``travel_time_min`` is NaN (no travel is implied), ``distance_m`` is the
        straight-line distance, ``snap_distance_m`` 0; without destinations every origin is
        unreachable with reason ``"no facility of this kind"``.
    """
    _check_same_crs(origins, destinations)
    oid = origins[id_col].astype(str).to_numpy()
    n = len(origins)
    out = pd.DataFrame({"origin_id": oid, "destination_id": pd.Series([None] * n, dtype=object),
                        "travel_time_min": np.full(n, np.nan), "distance_m": np.full(n, np.nan),
                        "snap_distance_m": np.zeros(n), "reason": [""] * n})
    if len(destinations) == 0:
        out["reason"] = "no facility of this kind"
        return out
    if n == 0:
        return out
    d_xy = np.column_stack([destinations.geometry.x.to_numpy(), destinations.geometry.y.to_numpy()])
    o_xy = np.column_stack([origins.geometry.x.to_numpy(), origins.geometry.y.to_numpy()])
    dist, idx = cKDTree(d_xy).query(o_xy, k=1)
    out["destination_id"] = destinations[id_col].astype(str).to_numpy()[idx]
    out["distance_m"] = dist
    return out


def unreachable_table(origin_ids: Iterable[str], reason: str) -> pd.DataFrame:
    """A nearest table in which every origin is unreachable for ``reason``."""
    ids = [str(i) for i in origin_ids]
    n = len(ids)
    return pd.DataFrame({"origin_id": ids, "destination_id": pd.Series([None] * n, dtype=object),
                         "travel_time_min": np.full(n, np.nan), "distance_m": np.full(n, np.nan),
                         "snap_distance_m": np.full(n, np.nan), "reason": [reason] * n})


def _check_same_crs(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame) -> None:
    from pyproj import CRS

    if a.crs is None or b.crs is None or not CRS.from_user_input(a.crs).equals(CRS.from_user_input(b.crs)):
        raise InputError("straight-line distance", [f"origins CRS {a.crs} and destinations CRS {b.crs} differ "
                                                    "or are missing; reproject both to the county CRS"])


def nearest_facilities(engine: TravelEngineLike | None, demand: gpd.GeoDataFrame,
                       facilities: gpd.GeoDataFrame, *, kinds: Iterable[FacilityKind | str],
                       mode: str = "drive", metric: str = "time", cutoff: float | None = None,
                       id_col: str = "id") -> pd.DataFrame:
    """Nearest facility of the given kinds for every demand point.

    Parameters
    ----------
    engine : TravelEngine or None
        Any object with ``nearest(origins, destinations, *, mode, metric, cutoff, id_col)``; may be
        None only for ``metric="euclidean"``.
    demand : GeoDataFrame
        Demand points with ``id_col``.
    facilities : GeoDataFrame
        Facilities with ``kind`` and ``id_col``.
    kinds : iterable of FacilityKind
        Kinds that count (e.g. all medical kinds).
    mode : {"walk", "drive", "mixed"}
        Travel mode.
    metric : {"time", "distance", "euclidean"}
        Minimise travel time, road distance, or straight-line distance.
    cutoff : float, optional
        Search limit (minutes, or metres for distance); beyond it a place is unreachable.
    id_col : str
        Id column of both layers.

    Returns
    -------
    pandas.DataFrame
        Nearest table (``origin_id, destination_id, travel_time_min, distance_m,
        snap_distance_m, reason``) plus ``metric`` (label) — one row per demand point, in demand
        order. When no facility of the kinds exists every row is unreachable with that reason.
    """
    label = metric_label(mode, metric)
    dest = facilities_of(facilities, kinds)
    if label == "euclidean":
        table = euclidean_nearest(demand, dest, id_col=id_col)
    elif len(dest) == 0 or len(demand) == 0:
        kinds_text = ", ".join(sorted({str(k) for k in kinds}))
        table = unreachable_table(demand[id_col].astype(str), f"no facility of kind {kinds_text}")
    else:
        if engine is None:
            raise InputError("nearest facilities", [f"metric {label!r} needs a travel engine; pass engine="
                                                    "TravelEngine.from_county(county)"])
        table = engine.nearest(demand, dest, mode=mode, metric=metric, cutoff=cutoff, id_col=id_col)
        table = _order_like(table, demand[id_col].astype(str))
    table["metric"] = label
    return table.reset_index(drop=True)


def _order_like(table: pd.DataFrame, ids: pd.Series) -> pd.DataFrame:
    missing = [c for c in NEAREST_COLUMNS if c not in table.columns]
    if missing:
        raise InputError("nearest table", [f"column {c!r} missing; a nearest table has columns "
                                           f"{', '.join(NEAREST_COLUMNS)}" for c in missing])
    t = table.copy()
    t["origin_id"] = t["origin_id"].astype(str)
    t = t.drop_duplicates("origin_id", keep="first").set_index("origin_id")
    absent = [i for i in ids if i not in t.index]
    if absent:
        raise InputError("nearest table", [f"no row for demand point(s) {', '.join(absent[:20])}"
                                           f"{' …' if len(absent) > 20 else ''}; every origin needs a row "
                                           "(NaN time when unreachable)"])
    out = t.loc[list(ids)].reset_index()
    out["destination_id"] = pd.Series([d if isinstance(d, str) else None for d in out["destination_id"]],
                                      index=out.index, dtype=object)
    return out


def nearest_from_od(od: pd.DataFrame, origin_ids: Sequence[str], *, metric: str = "drive_time") -> pd.DataFrame:
    """Turn a long OD table (any engine's) into a nearest table.

    Parameters
    ----------
    od : DataFrame
        ``origin_id, destination_id, travel_time_min, distance_m`` (NaN = unreachable; pairs beyond
        a cutoff may be absent).
    origin_ids : sequence of str
        Every origin to report (absent origins are unreachable).
    metric : str
        Metric label; time metrics minimise ``travel_time_min``, distance metrics ``distance_m``.

    Returns
    -------
    pandas.DataFrame
        Nearest table with ``metric``; ties broken by the smaller destination id.

    Examples
    --------
    >>> od = pd.DataFrame({"origin_id": ["a", "a", "b"], "destination_id": ["f", "g", "f"],
    ...     "travel_time_min": [9.0, 4.0, float("nan")], "distance_m": [900.0, 500.0, float("nan")]})
    >>> nearest_from_od(od, ["a", "b"])[["origin_id", "destination_id", "travel_time_min"]].values.tolist()
    [['a', 'g', 4.0], ['b', None, nan]]
    """
    col = METRICS[metric][0] if metric in METRICS else None
    if col is None:
        raise InputError(f"unknown metric {metric!r}; use one of {', '.join(METRICS)}")
    missing = [c for c in ("origin_id", "destination_id", "travel_time_min", "distance_m") if c not in od.columns]
    if missing:
        raise InputError("OD table", [f"column {c!r} missing" for c in missing])
    t = od.copy()
    t["origin_id"] = t["origin_id"].astype(str)
    t["destination_id"] = t["destination_id"].astype(str)
    t = t[np.isfinite(t[col].to_numpy(dtype=float))]
    t = t.sort_values([col, "destination_id"], kind="mergesort").drop_duplicates("origin_id", keep="first")
    t = t.set_index("origin_id")
    ids = [str(i) for i in origin_ids]
    out = pd.DataFrame({"origin_id": ids})
    out["destination_id"] = pd.Series([t["destination_id"].get(i) for i in ids], dtype=object)
    out["travel_time_min"] = [float(t["travel_time_min"].get(i, np.nan)) for i in ids]
    out["distance_m"] = [float(t["distance_m"].get(i, np.nan)) for i in ids]
    out["snap_distance_m"] = np.nan
    out["reason"] = ["" if i in t.index else "no facility reachable in the OD table" for i in ids]
    out["metric"] = metric
    return out


def coverage_table(demand: gpd.GeoDataFrame | pd.DataFrame, nearest: pd.DataFrame, *,
                   thresholds: Sequence[float], metric: str | None = None,
                   population_col: str = "population", id_col: str = "id") -> pd.DataFrame:
    """Per demand point: nearest facility, its time and distance, covered or not at each threshold.

    Parameters
    ----------
    demand : DataFrame
        Demand points: ``id_col``, ``population_col``; ``name`` and ``township_id`` when present.
    nearest : DataFrame
        Nearest table of any engine, one row per demand point (extra rows are ignored).
    thresholds : sequence of float
        In the metric's unit: minutes for time metrics, metres for distances.
    metric : str, optional
        Metric label (``walk_time``, ``drive_time``, ``mixed_time``, ``road_distance``,
        ``euclidean``); taken from the table's ``metric`` column when omitted.
    population_col : str
        Population column of ``demand``.
    id_col : str
        Id column of ``demand``.

    Returns
    -------
    pandas.DataFrame
        ``id, name, township_id, population, destination_id, travel_time_min, distance_m,
        snap_distance_m, reason, metric, unit, value`` and ``covered_<threshold>`` (bool) per
        threshold, e.g. ``covered_15min``, ``covered_10km``.

    Raises
    ------
    InputError
        Unknown metric, missing columns, a demand point without a row in the nearest table, or
        negative/missing population (every problem listed).
    """
    if metric is None:
        if "metric" not in nearest.columns or nearest["metric"].nunique() != 1:
            raise InputError("coverage table", ["say which metric the nearest table holds: metric='walk_time', "
                                                "'drive_time', 'mixed_time', 'road_distance' or 'euclidean'"])
        metric = str(nearest["metric"].iloc[0])
    unit = _metric_unit(metric)
    problems = [f"demand column {c!r} missing" for c in (id_col, population_col) if c not in demand.columns]
    if not thresholds:
        problems.append("give at least one threshold")
    if problems:
        raise InputError("coverage table", problems)
    pop = pd.to_numeric(demand[population_col], errors="coerce")
    bad = demand[id_col][~(pop >= 0)].astype(str).tolist()
    if bad:
        raise InputError("coverage table", [f"population missing or negative for demand point(s) "
                                            f"{', '.join(bad[:20])}; fix the {population_col!r} column"])
    ids = demand[id_col].astype(str)
    near = _order_like(nearest, ids)
    out = pd.DataFrame({
        "id": ids.to_numpy(),
        "name": demand["name"].astype(str).to_numpy() if "name" in demand.columns else ids.to_numpy(),
        "township_id": demand["township_id"].astype(str).to_numpy() if "township_id" in demand.columns else "",
        "population": pop.to_numpy(),
    })
    for c in ("destination_id", "travel_time_min", "distance_m", "snap_distance_m", "reason"):
        out[c] = near[c].to_numpy()
    out["metric"] = metric
    out["unit"] = unit
    out["value"] = out[METRICS[metric][0]].astype(float)
    for t in thresholds:
        out[f"covered_{threshold_label(t, metric)}"] = within(out["value"], float(t))
    return out


def coverage_by_area(table: pd.DataFrame, *, thresholds: Sequence[float],
                     townships: pd.DataFrame | None = None, county_id: str = "county",
                     county_name: str = "county") -> pd.DataFrame:
    """Covered population by township and for the county.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`coverage_table` (with its ``covered_*`` columns).
    thresholds : sequence of float
        Thresholds to report (must be among the table's).
    townships : DataFrame, optional
        ``id``, ``name`` of townships; every township appears (with zero population when it has no
        demand point) and gets its name.
    county_id, county_name : str
        Id and name of the county row.

    Returns
    -------
    pandas.DataFrame
        One row per township then one county row: ``level`` (township/county), ``township_id``,
        ``township_name`` (the county's id and name on the county row), ``metric``, ``unit``,
        ``population``, ``covered_pop_<t>`` and ``share_<t>`` per threshold, and
        ``uncovered_places`` ("id:name; …" not covered at the largest threshold). Sums of
        township populations equal the county population.
    """
    metric = str(table["metric"].iloc[0]) if len(table) else "drive_time"
    labels = [threshold_label(t, metric) for t in thresholds]
    missing = [f"covered_{lab}" for lab in labels if f"covered_{lab}" not in table.columns]
    if missing:
        raise InputError("coverage by area", [f"column {c!r} missing: build the table with these thresholds"
                                              for c in missing])
    names: dict[str, str] = {}
    order: list[str] = []
    if townships is not None:
        order = townships["id"].astype(str).tolist()
        names = dict(zip(order, townships["name"].astype(str), strict=True))
    extra = sorted(set(table["township_id"].astype(str)) - set(order))
    order += extra
    widest = f"covered_{labels[int(np.argmax(thresholds))]}"
    rows = []

    def _row(level: str, tid: str, tname: str, part: pd.DataFrame) -> dict[str, Any]:
        row: dict[str, Any] = {"level": level, "township_id": tid, "township_name": tname, "metric": metric,
                               "unit": METRICS[metric][1], "population": part["population"].sum()}
        for lab in labels:
            covered = part.loc[part[f"covered_{lab}"], "population"].sum()
            row[f"covered_pop_{lab}"] = covered
            row[f"share_{lab}"] = float(covered / row["population"]) if row["population"] > 0 else np.nan
        fail = part[~part[widest]]
        row["uncovered_places"] = "; ".join(f"{i}:{n}" for i, n in zip(fail["id"], fail["name"], strict=True))
        return row

    for tid in order:
        rows.append(_row("township", tid, names.get(tid, tid), table[table["township_id"].astype(str) == tid]))
    rows.append(_row("county", county_id, county_name, table))
    out = pd.DataFrame(rows)
    if not pd.api.types.is_float_dtype(table["population"]):
        for c in ["population"] + [f"covered_pop_{lab}" for lab in labels]:
            out[c] = out[c].astype("int64")
    return out


def coverage_by_kind(county: Any, engine: TravelEngineLike | None = None, *,
                     kinds: Iterable[FacilityKind | str] | None = None, layer: str = "villages",
                     mode: str = "drive", metric: str = "time", thresholds: Sequence[float] = (15, 30),
                     settings: Any = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Coverage of every facility kind of a county, per demand point and by township and county.

    Parameters
    ----------
    county : County
        The county bundle.
    engine : TravelEngine, optional
        Any engine with ``nearest``; built from the county's roads when omitted (not needed for
        ``metric="euclidean"``).
    kinds : iterable of FacilityKind, optional
        Kinds to report, each on its own (default: every kind present in ``county.facilities``,
        in :class:`~planning.schema.FacilityKind` order).
    layer : {"villages", "communities", "population"}
        Demand layer (see :func:`demand_points`).
    mode, metric : str
        Travel mode and metric (see :func:`nearest_facilities`).
    thresholds : sequence of float
        Minutes for time metrics, metres for distances.
    settings : Settings, optional
        Travel settings when the engine is built here.

    Returns
    -------
    (points, areas) : tuple of DataFrame
        ``points``: the :func:`coverage_table` of every kind stacked, with a leading ``kind``
        column; ``areas``: the :func:`coverage_by_area` rows of every kind, with ``kind``.
    """
    demand = demand_points(county, layer)
    present = [str(k) for k in FacilityKind if (county.facilities["kind"].astype(str) == str(k)).any()]
    if kinds is None:
        wanted = present
    else:
        from planning.schema import FACILITY_KIND_ALIASES

        given = [str(k) for k in kinds]
        unknown = [k for k in given if k not in FACILITY_KIND_ALIASES]
        if unknown:
            raise InputError("coverage by kind", [f"unknown facility kind {k!r}; use a FacilityKind value "
                                                  "(e.g. village_clinic) or its Chinese name" for k in unknown])
        wanted = [str(FACILITY_KIND_ALIASES[k]) for k in given]
    if engine is None and metric != "euclidean":
        from planning.network.engine import TravelEngine

        engine = TravelEngine.from_county(county, settings=settings)
    points, areas = [], []
    for kind in wanted:
        near = nearest_facilities(engine, demand, county.facilities, kinds=[kind], mode=mode, metric=metric)
        table = coverage_table(demand, near, thresholds=thresholds)
        by = coverage_by_area(table, thresholds=thresholds, townships=county.townships,
                              county_id=county.county_id, county_name=county.name)
        points.append(table.assign(kind=kind))
        areas.append(by.assign(kind=kind))
    if not points:
        raise InputError("coverage by kind", ["no facility of the requested kinds in the county"])
    pts = pd.concat(points, ignore_index=True)
    ars = pd.concat(areas, ignore_index=True)
    return pts[["kind", *[c for c in pts.columns if c != "kind"]]], ars[["kind", *[c for c in ars.columns if c != "kind"]]]


class MatrixEngine:
    """A travel "engine" answering from precomputed OD tables (OSRM, r5py, a planner's own matrix).

    Rule evaluation and coverage only ask for the nearest destination of each origin; this class
    answers those questions from long OD tables, so any engine's matrix can be swapped in for
    :class:`planning.network.engine.TravelEngine`.

    Parameters
    ----------
    tables : dict
        ``{(mode, metric): od}`` with mode ``"walk"``, ``"drive"`` or ``"mixed"`` and metric
        ``"time"`` or ``"distance"``; each ``od`` is a long OD table (``origin_id,
        destination_id, travel_time_min, distance_m``; NaN or absent = unreachable). Ids are
        matched as strings, so ids must be unique across the layers in one table (villages,
        communities, facilities).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> od = pd.DataFrame({"origin_id": ["v1", "v1"], "destination_id": ["c1", "c2"],
    ...                    "travel_time_min": [12.0, 7.5], "distance_m": [6000.0, 3000.0]})
    >>> engine = MatrixEngine({("drive", "time"): od})
    >>> pts = lambda ids: gpd.GeoDataFrame({"id": ids}, geometry=[Point(0, 0)] * len(ids), crs="EPSG:32650")
    >>> engine.nearest(pts(["v1"]), pts(["c1", "c2"]), mode="drive")[["destination_id", "travel_time_min"]].values.tolist()
    [['c2', 7.5]]
    """

    def __init__(self, tables: dict[tuple[str, str], pd.DataFrame]) -> None:
        problems = []
        self._tables: dict[tuple[str, str], pd.DataFrame] = {}
        for key, od in tables.items():
            if not (isinstance(key, tuple) and len(key) == 2 and key[0] in ("walk", "drive", "mixed")
                    and key[1] in ("time", "distance")):
                problems.append(f"key {key!r}: use (mode, metric) with mode walk/drive/mixed, metric time/distance")
                continue
            missing = [c for c in ("origin_id", "destination_id", "travel_time_min", "distance_m") if c not in od.columns]
            if missing:
                problems.append(f"OD table {key}: columns {', '.join(missing)} missing")
                continue
            t = od[["origin_id", "destination_id", "travel_time_min", "distance_m"]].copy()
            t["origin_id"] = t["origin_id"].astype(str)
            t["destination_id"] = t["destination_id"].astype(str)
            self._tables[key] = t
        if problems:
            raise InputError("matrix engine", problems)

    def nearest(self, origins: gpd.GeoDataFrame, destinations: gpd.GeoDataFrame, *, mode: str = "walk",
                metric: str = "time", cutoff: float | None = None, id_col: str = "id") -> pd.DataFrame:
        """Nearest destination of every origin from the OD table of ``(mode, metric)``.

        Returns a nearest table (COMMON.md): ties go to the smaller destination id; origins with no
        reachable destination in the table are unreachable with that reason; ``snap_distance_m``
        is NaN (the matrix does not say).
        """
        key = (mode, metric)
        if key not in self._tables:
            raise InputError("matrix engine", [f"no OD table for mode={mode!r}, metric={metric!r}; given: "
                                               f"{', '.join(map(str, self._tables)) or 'none'}"])
        od = self._tables[key]
        dest = set(destinations[id_col].astype(str))
        ids = origins[id_col].astype(str).tolist()
        part = od[od["origin_id"].isin(set(ids)) & od["destination_id"].isin(dest)]
        col = "travel_time_min" if metric == "time" else "distance_m"
        if cutoff is not None:
            part = part[part[col] <= cutoff]
        out = nearest_from_od(part, ids, metric=metric_label(mode, metric)).drop(columns=["metric"])
        out["reason"] = ["" if r == "" else f"no destination reachable in the {mode} {metric} OD table"
                         for r in out["reason"]]
        return out
