"""Geometry → matrix helpers shared by the planning recipes (internal).

Recipes read a :class:`~planning.county.County`, ask the travel engine for the costs between
demand points and candidate sites, hand plain matrices to :mod:`planning.models`, and turn the
solution back into an actions table. The pieces every recipe needs live here: rule parameters,
the engine, rural villages, candidate sites (village seats, township seats, street nodes, existing
facilities or a point layer), dense cost matrices with the rules' tolerance, fresh facility ids,
action rows and the solver summary.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planning._errors import InputError
from planning.coverage import within
from planning.county import County
from planning.recipes.base import ACTION_COLUMNS, RecipeOptions, empty_actions
from planning.rules.catalog import ResolvedParams, load_catalog
from planning.schema import NO_WALK_HIGHWAYS
from planning.validate import coerce_bool

__all__ = [
    "CANDIDATE_SOURCES",
    "CANDIDATE_SOURCE_ZH",
    "resolve_params",
    "get_engine",
    "options_or_default",
    "rural_villages",
    "township_seats",
    "village_seats",
    "street_nodes",
    "existing_facilities",
    "candidate_sites",
    "check_options",
    "township_of",
    "cost_matrix",
    "covers",
    "fresh_id",
    "actions_frame",
    "solver_summary",
    "model_summary",
]

#: Keywords of ``RecipeOptions.candidates`` (anything else is a path to a point layer).
CANDIDATE_SOURCES: tuple[str, ...] = ("villages", "township_seats", "street_nodes", "facilities")
#: The ``source`` of a candidate site (the column the candidate layers carry), in Chinese.
CANDIDATE_SOURCE_ZH: dict[str, str] = {"village": "村委会所在地", "township_seat": "乡镇驻地", "street_node": "路网节点",
                                       "facility": "现有设施", "layer": "候选地点"}

#: A rule threshold is widened by this relative tolerance when OD tables are cut (the rules
#: compare with :func:`planning.coverage.within`, relative tolerance 1e-9).
_CUTOFF_SLACK = 1e-6


def resolve_params(rule_params: Mapping[str, Mapping[str, float]] | ResolvedParams | None) -> ResolvedParams:
    """Rule parameter values as the rule check uses them.

    Parameters
    ----------
    rule_params : dict or ResolvedParams or None
        ``{rule_id: {param: value}}`` (e.g. the resolved values a scenario run passes; their
        ranges were checked there, so values outside the documents' range are accepted here as
        overrides), a :class:`ResolvedParams`, or ``None`` for the defaults.

    Returns
    -------
    ResolvedParams

    Raises
    ------
    RuleParameterError
        Unknown rule ids or parameter names, non-numeric values.
    """
    if isinstance(rule_params, ResolvedParams):
        return rule_params
    catalog = load_catalog()
    given = {str(k): dict(v) for k, v in (rule_params or {}).items()}
    return catalog.resolve_params(given, override={k: True for k in given if k in catalog})


def get_engine(county: County, engine: Any) -> Any:
    """The given engine, else a :class:`TravelEngine` on the county's roads."""
    if engine is not None:
        return engine
    from planning.network.engine import TravelEngine

    return TravelEngine.from_county(county)


def options_or_default(options: RecipeOptions | None) -> RecipeOptions:
    """``options`` or the default :class:`RecipeOptions`."""
    if options is None:
        return RecipeOptions()
    if not isinstance(options, RecipeOptions):
        raise InputError("recipe options", [f"expected RecipeOptions, got {type(options).__name__}; "
                                            "build it with planning.recipes.RecipeOptions(...)"])
    return options


def check_options(options: RecipeOptions, what: str, *, uses: Iterable[str],
                  candidates: Iterable[str] | None = None) -> None:
    """Raise one :class:`InputError` naming every option set that the recipe does not use.

    Parameters
    ----------
    options : RecipeOptions
    what : str
        Recipe name.
    uses : iterable of str
        Options among ``p``, ``budget``, ``candidates`` the recipe reads.
    candidates : iterable of str, optional
        The only ``candidates`` values accepted (when the recipe reads no point layer).
    """
    uses = set(uses)
    problems = [f"option {name}={getattr(options, name)!r} is not used by {what}; remove it"
                for name in ("p", "budget", "candidates") if name not in uses and getattr(options, name) is not None]
    if candidates is not None and options.candidates is not None and options.candidates not in set(candidates):
        problems.append(f"candidates {options.candidates!r} is not used by {what}; give "
                        f"{' or '.join(repr(c) for c in candidates)} or leave it out")
    if problems:
        raise InputError(f"{what} options", problems)


def rural_villages(county: County) -> gpd.GeoDataFrame:
    """Rural villages (``urban`` false or absent): ``id, name, township_id, population`` (+ extras).

    Raises
    ------
    InputError
        Villages without a usable population (every one listed).
    """
    v = county.villages.copy()
    v["id"] = v["id"].astype(str)
    v["name"] = v["name"].astype(str)
    v["township_id"] = v["township_id"].astype(str)
    v["population"] = pd.to_numeric(v["population"], errors="coerce")
    bad = v.loc[~(v["population"] >= 0), "id"].tolist()
    if bad:
        raise InputError("villages layer", [f"population missing or negative for village {b}; give the resident "
                                            "population (≥ 0)" for b in bad])
    if "urban" in v.columns:
        urban = coerce_bool(v["urban"])[0]  # missing or unreadable: False (rural)
        v = v[~urban.to_numpy()]
    return v.reset_index(drop=True)


def township_seats(county: County) -> gpd.GeoDataFrame:
    """One point per township: its seat (``seat_x``/``seat_y``), else a point inside its polygon.

    Returns
    -------
    geopandas.GeoDataFrame
        ``id`` (``"SEAT-<township id>"``), ``name`` (``"<township>驻地"``), ``township_id``,
        ``source`` (``"township_seat"``), geometry.
    """
    t = county.townships
    xs = pd.to_numeric(t["seat_x"], errors="coerce") if "seat_x" in t.columns else pd.Series(np.nan, index=t.index)
    ys = pd.to_numeric(t["seat_y"], errors="coerce") if "seat_y" in t.columns else pd.Series(np.nan, index=t.index)
    inside = t.geometry.representative_point()
    geoms = [shapely.Point(x, y) if np.isfinite(x) and np.isfinite(y) else p
             for x, y, p in zip(xs, ys, inside, strict=True)]
    tid = t["id"].astype(str).to_numpy()
    return gpd.GeoDataFrame({"id": [f"SEAT-{i}" for i in tid], "name": [f"{n}驻地" for n in t["name"].astype(str)],
                             "township_id": tid, "source": "township_seat"},
                            geometry=geoms, crs=county.crs)


def village_seats(villages: gpd.GeoDataFrame, crs: Any) -> gpd.GeoDataFrame:
    """Village points as candidate sites: ``id`` (``"VSEAT-<village id>"``), ``name``, ``township_id``,
    ``village_id``, ``source`` (``"village"``)."""
    vid = villages["id"].astype(str).to_numpy()
    return gpd.GeoDataFrame({"id": [f"VSEAT-{i}" for i in vid], "name": villages["name"].astype(str).to_numpy(),
                             "township_id": villages["township_id"].astype(str).to_numpy(), "village_id": vid,
                             "source": "village"},
                            geometry=list(villages.geometry), crs=crs)


def street_nodes(county: County, near: gpd.GeoDataFrame, *, radius_m: float) -> gpd.GeoDataFrame:
    """Road nodes on walkable roads within ``radius_m`` (straight line) of the ``near`` points.

    Used as candidate sites "in built-up areas": the nodes of the street network around the
    residential communities of the towns.

    Returns
    -------
    geopandas.GeoDataFrame
        ``id`` (``"NODE-<node id>"``), ``name``, ``township_id``, ``source`` (``"street_node"``),
        geometry; in node-id order.
    """
    from scipy.spatial import cKDTree

    roads = county.roads
    e = roads.edges
    walk = ~e["highway"].astype(str).isin(NO_WALK_HIGHWAYS)
    ids = np.unique(np.concatenate([e.loc[walk, "u"].to_numpy(), e.loc[walk, "v"].to_numpy()]))
    nodes = roads.nodes.loc[roads.nodes.index.isin(ids)].sort_index()
    if not len(nodes) or not len(near):
        return gpd.GeoDataFrame({"id": [], "name": [], "township_id": [], "source": []},
                                geometry=gpd.GeoSeries([], crs=county.crs), crs=county.crs)
    pts = np.column_stack([near.geometry.x, near.geometry.y])
    d, _ = cKDTree(pts).query(np.column_stack([nodes["x"], nodes["y"]]), k=1)
    nodes = nodes[d <= radius_m]
    out = gpd.GeoDataFrame({"id": [f"NODE-{int(i)}" for i in nodes.index],
                            "name": [f"路网节点{int(i)}" for i in nodes.index], "source": "street_node"},
                           geometry=[shapely.Point(x, y) for x, y in zip(nodes["x"], nodes["y"], strict=True)],
                           crs=county.crs)
    out["township_id"] = township_of(county, out)
    return out


def existing_facilities(county: County, kinds: Iterable[str]) -> gpd.GeoDataFrame:
    """Facilities of ``kinds`` (canonical kind values or Chinese names), ids as strings."""
    from planning.schema import FACILITY_KIND_ALIASES

    wanted = {str(k) for k in kinds}
    f = county.facilities.copy()
    kind = [str(FACILITY_KIND_ALIASES.get(str(k).strip(), str(k))) for k in f["kind"]]
    f["kind"] = kind
    f = f[f["kind"].isin(wanted)].copy()
    f["id"] = f["id"].astype(str)
    f["name"] = f["name"].astype(str)
    if "township_id" not in f.columns:
        f["township_id"] = None
    missing = f["township_id"].isna() | (f["township_id"].astype(str).str.strip() == "")
    if missing.any():
        f.loc[missing, "township_id"] = township_of(county, f[missing])
    f["township_id"] = f["township_id"].astype(str)
    return f.reset_index(drop=True)


def township_of(county: County, points: gpd.GeoDataFrame) -> np.ndarray:
    """Township id of each point (the polygon containing it, else the nearest polygon)."""
    if not len(points):
        return np.asarray([], dtype=object)
    t = county.townships[["id", "geometry"]].reset_index(drop=True)
    g = gpd.GeoDataFrame(geometry=list(points.geometry), crs=county.crs)
    joined = gpd.sjoin_nearest(g, t, how="left")
    joined = joined[~joined.index.duplicated(keep="first")]
    return joined["id"].astype(str).reindex(range(len(g))).to_numpy(dtype=object)


def candidate_sites(county: County, spec: str | None, *, default: Sequence[str], allowed: Sequence[str],
                    what: str, villages: gpd.GeoDataFrame | None = None,
                    near: gpd.GeoDataFrame | None = None, radius_m: float = 1000.0,
                    facility_kinds: Iterable[str] = ()) -> gpd.GeoDataFrame:
    """Candidate sites of a recipe from ``RecipeOptions.candidates``.

    Parameters
    ----------
    county : County
    spec : str or None
        A keyword of :data:`CANDIDATE_SOURCES` or the path of a point layer (GeoPackage,
        GeoJSON, CSV with lon/lat, …) with an ``id`` column (``name`` optional); ``None`` uses
        ``default``.
    default : sequence of str
        Keywords used when ``spec`` is None (their union).
    allowed : sequence of str
        Keywords this recipe accepts.
    what : str
        Recipe name for error messages.
    villages : GeoDataFrame, optional
        Village points for ``"villages"`` (default: the rural villages).
    near : GeoDataFrame, optional
        Points around which ``"street_nodes"`` are taken (within ``radius_m``).
    facility_kinds : iterable of str
        Kinds of existing facilities for ``"facilities"``.

    Returns
    -------
    geopandas.GeoDataFrame
        ``id, name, township_id, source`` and geometry, unique ids, county CRS.

    Raises
    ------
    InputError
        Unknown keyword, unreadable layer, non-point geometries, missing or repeated ids.
    """
    keys: list[str]
    if spec is None:
        keys = list(default)
    elif spec in CANDIDATE_SOURCES:
        keys = [spec]
    else:
        return _candidate_layer(county, spec, what)
    bad = [k for k in keys if k not in allowed]
    if bad:
        raise InputError(f"{what} options", [f"candidates {k!r} is not used by this recipe; give one of "
                                             f"{', '.join(allowed)} or a point layer path" for k in bad])
    parts = []
    for k in keys:
        if k == "villages":
            parts.append(village_seats(villages if villages is not None else rural_villages(county), county.crs))
        elif k == "township_seats":
            parts.append(township_seats(county))
        elif k == "street_nodes":
            parts.append(street_nodes(county, near if near is not None else county.villages, radius_m=radius_m))
        else:
            f = existing_facilities(county, facility_kinds)
            parts.append(gpd.GeoDataFrame({"id": f["id"], "name": f["name"], "township_id": f["township_id"],
                                           "source": "facility"}, geometry=list(f.geometry), crs=county.crs))
    out = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=county.crs)
    return out.drop_duplicates("id", keep="first").reset_index(drop=True)


def _candidate_layer(county: County, path: str, what: str) -> gpd.GeoDataFrame:
    from planning.io import read_vector

    if not Path(path).is_file():
        raise InputError(f"{what} options", [f"candidate layer {path} not found; give one of "
                                             f"{', '.join(CANDIDATE_SOURCES)} or an existing point layer path"])
    layer = read_vector(path, what=f"{what} candidate layer")
    problems = []
    if layer.crs is None:
        problems.append(f"{path}: no CRS; declare it in the file (or give lon/lat columns in WGS84)")
    if "id" not in layer.columns:
        problems.append(f"{path}: column 'id' missing; give every candidate site a unique id")
    else:
        ids = layer["id"].astype(str)
        dup = sorted(set(ids[ids.duplicated()]))
        if dup:
            problems.append(f"{path}: repeated candidate ids {', '.join(dup[:20])}; give each site a unique id")
    not_point = [str(i + 1) for i, g in enumerate(layer.geometry) if g is None or g.geom_type != "Point"]
    if not_point:
        problems.append(f"{path}: rows {', '.join(not_point[:20])} are not points; candidates are point sites")
    if problems:
        raise InputError(f"{what} candidate layer", problems)
    layer = layer.to_crs(county.crs)
    names = layer["name"].astype(str) if "name" in layer.columns else layer["id"].astype(str)
    out = gpd.GeoDataFrame({"id": layer["id"].astype(str).to_numpy(), "name": names.to_numpy(), "source": "layer"},
                           geometry=list(layer.geometry), crs=county.crs)
    out["township_id"] = township_of(county, out)
    return out


def cost_matrix(engine: Any, origins: gpd.GeoDataFrame, destinations: gpd.GeoDataFrame, *, mode: str,
                metric: str = "time", cutoff: float | None = None) -> np.ndarray:
    """Dense cost matrix origins × destinations from the engine's OD table.

    Parameters
    ----------
    engine : TravelEngine
        Any engine with ``od(origins, destinations, *, mode, metric, cutoff, id_col)``.
    origins, destinations : GeoDataFrame
        Points with unique string ``id``.
    mode : {"walk", "drive", "mixed"}
    metric : {"time", "distance"}
        Minutes (``travel_time_min``) or metres (``distance_m``).
    cutoff : float, optional
        Pairs beyond it are left out (``inf``); widened by a relative 1e-6 so that pairs the
        rules count as within the threshold are never lost.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(origins), len(destinations))``, ``inf`` where unreachable or beyond the cutoff.
    """
    n, m = len(origins), len(destinations)
    out = np.full((n, m), np.inf)
    if n == 0 or m == 0:
        return out
    o = gpd.GeoDataFrame({"id": origins["id"].astype(str).to_numpy()}, geometry=list(origins.geometry),
                         crs=origins.crs)
    d = gpd.GeoDataFrame({"id": destinations["id"].astype(str).to_numpy()}, geometry=list(destinations.geometry),
                         crs=destinations.crs)
    limit = None if cutoff is None else float(cutoff) * (1 + _CUTOFF_SLACK) + _CUTOFF_SLACK
    od = engine.od(o, d, mode=mode, metric=metric, cutoff=limit, id_col="id")
    col = "travel_time_min" if metric == "time" else "distance_m"
    rows = pd.Index(o["id"]).get_indexer(od["origin_id"].astype(str))
    cols = pd.Index(d["id"]).get_indexer(od["destination_id"].astype(str))
    val = od[col].to_numpy(dtype=float)
    ok = np.isfinite(val) & (rows >= 0) & (cols >= 0)
    out[rows[ok], cols[ok]] = val[ok]
    return out


def nearest_by_origin(engine: Any, origins: gpd.GeoDataFrame, destinations: gpd.GeoDataFrame, *, mode: str,
                      metric: str = "time") -> pd.DataFrame:
    """The engine's nearest table for ``origins``, indexed by origin id (str), in origin order.

    Parameters
    ----------
    engine : TravelEngine
        Any engine with ``nearest(origins, destinations, *, mode, metric, id_col)``.
    origins, destinations : GeoDataFrame
        Points with an ``id`` column.
    mode : {"walk", "drive", "mixed"}
    metric : {"time", "distance"}

    Returns
    -------
    pandas.DataFrame
        ``destination_id, travel_time_min, distance_m, reason`` (+ the engine's other columns);
        without destinations (or origins) every origin is unreachable, reason ``"no destinations"``.
    """
    ids = origins["id"].astype(str)
    if not len(destinations) or not len(origins):
        n = len(origins)
        return pd.DataFrame({"destination_id": np.full(n, None, dtype=object), "travel_time_min": np.full(n, np.nan),
                             "distance_m": np.full(n, np.nan), "reason": np.full(n, "no destinations", dtype=object)},
                            index=pd.Index(ids, name="origin_id"))
    near = engine.nearest(origins[["id", "geometry"]],
                          destinations[["id", "geometry"]].assign(id=destinations["id"].astype(str)),
                          mode=mode, metric=metric, id_col="id")
    return near.set_index(near["origin_id"].astype(str)).reindex(ids)


def nearest_distance(engine: Any, origins: gpd.GeoDataFrame, destinations: gpd.GeoDataFrame, *,
                     reasons: bool = False) -> Any:
    """Road distance (m) and id of the nearest destination of every origin (+ the engine's reason).

    Parameters
    ----------
    engine : TravelEngine
        Drive network distances.
    origins, destinations : GeoDataFrame
        Points with an ``id`` column.
    reasons : bool, keyword-only
        Also return why an origin reaches none (``""`` when it does).

    Returns
    -------
    distance_m, destination_id[, reason] : numpy.ndarray
        In origin order; NaN and None where unreachable.
    """
    near = nearest_by_origin(engine, origins, destinations, mode="drive", metric="distance")
    out = (near["distance_m"].to_numpy(dtype=float), near["destination_id"].to_numpy(dtype=object))
    return (*out, near["reason"].fillna("").to_numpy(dtype=object)) if reasons else out


def covers(cost: np.ndarray, threshold: float) -> np.ndarray:
    """Boolean coverage with the rules' tolerance (:func:`planning.coverage.within`)."""
    return within(cost, threshold).reshape(np.shape(cost))


def nearest_selected(cov: np.ndarray, cost: np.ndarray, selected: np.ndarray) -> np.ndarray:
    """The selected candidate serving each demand: the covering one of least cost.

    Parameters
    ----------
    cov : numpy.ndarray of bool
        Demand × candidate coverage.
    cost : numpy.ndarray
        Demand × candidate cost (time or distance) of the same shape.
    selected : numpy.ndarray of int
        Column indices of the selected candidates.

    Returns
    -------
    numpy.ndarray of int
        Column index of the serving candidate per demand row; -1 where no selected one covers it.
    """
    owner = np.full(cov.shape[0], -1)
    if selected.size and cov.shape[0]:
        sub = np.where(cov[:, selected], cost[:, selected], np.inf)
        best = np.argmin(sub, axis=1)
        ok = np.isfinite(sub[np.arange(cov.shape[0]), best])
        owner[ok] = selected[best[ok]]
    return owner


def fresh_id(base: str, taken: set[str]) -> str:
    """``base``, or ``base-2``, ``base-3``, … whichever is not in ``taken`` (added to it)."""
    candidate = base
    k = 2
    while candidate in taken:
        candidate = f"{base}-{k}"
        k += 1
    taken.add(candidate)
    return candidate


def actions_frame(rows: list[dict[str, Any]], crs: Any) -> gpd.GeoDataFrame:
    """The actions table from row dicts (``attributes`` dicts are written as JSON)."""
    if not rows:
        return empty_actions(crs)
    recs = []
    for r in rows:
        rec = {c: r.get(c) for c in ACTION_COLUMNS}
        attrs = rec.get("attributes")
        rec["attributes"] = json.dumps(attrs, ensure_ascii=False, sort_keys=True) if isinstance(attrs, dict) else (attrs or "")
        rec["target_id"] = rec["target_id"] or ""
        rec["reason_zh"] = rec["reason_zh"] or ""
        rec["cost"] = float(rec["cost"] or 0.0)
        rec["population_gained"] = float(rec["population_gained"] or 0.0)
        recs.append(rec)
    frame = pd.DataFrame(recs, columns=list(ACTION_COLUMNS))
    return gpd.GeoDataFrame(frame, geometry=[r["geometry"] for r in rows], crs=crs)


def solver_summary(model_name: str, *, status: str, objective: float, bound: float, gap: float,
                   solve_seconds: float, **extra: Any) -> dict[str, Any]:
    """``model, status, objective, bound, gap, solve_seconds`` (+ extra JSON-able fields)."""
    def _num(x: float) -> float | None:
        x = float(x)
        return x if np.isfinite(x) else None

    out: dict[str, Any] = {"model": model_name, "status": str(status), "objective": _num(objective),
                           "bound": _num(bound), "gap": _num(gap), "solve_seconds": float(solve_seconds)}
    out.update(extra)
    return out


def model_summary(model_name: str, model: Any, **extra: Any) -> dict[str, Any]:
    """:func:`solver_summary` of a solved :mod:`planning.models` model."""
    return solver_summary(model_name, status=model.status_, objective=model.objective_, bound=model.bound_,
                          gap=model.gap_, solve_seconds=model.solve_seconds_, **extra)
