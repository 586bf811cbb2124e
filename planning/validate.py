"""Whole-input validation of county layers: collect every problem, raise once.

:func:`validate_layer` applies the Chinese header aliases of :mod:`planning.schema`, coerces
dtypes and checks a layer against its column contract. Every problem is collected (missing
or misnamed columns, duplicate or missing ids, null/invalid/wrong-type geometry, negative or
non-numeric values, unknown facility kinds or township types, an empty layer, points outside
the county) and reported in one :class:`~planning._errors.InputError`.

Row numbers are **1-based data rows as a planner sees them**: the first feature (the first
line under a CSV header, the first row of an attribute table) is row 1.
"""

from __future__ import annotations

import difflib
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from planning._errors import InputError
from planning.schema import (
    COLUMN_ALIASES,
    FACILITY_KIND_ALIASES,
    LAYER_COLUMNS,
    Column,
    FacilityKind,
    TownshipType,
)

__all__ = ["validate_layer", "apply_aliases", "coerce_bool", "TOWNSHIP_TYPE_ALIASES", "ROW_NOTE", "format_rows"]

#: Explanation of row numbers appended to every layer error.
ROW_NOTE = "row numbers: 1-based data rows, header not counted"

#: Township types accepted in ``township_type`` (English values and Chinese words).
TOWNSHIP_TYPE_ALIASES: dict[str, TownshipType] = {
    **{t.value: t for t in TownshipType},
    "镇": TownshipType.TOWN, "乡": TownshipType.TOWNSHIP, "民族乡": TownshipType.TOWNSHIP,
    "苏木": TownshipType.TOWNSHIP, "街道": TownshipType.STREET, "街道办事处": TownshipType.STREET,
    "街道办": TownshipType.STREET,
}

_TRUE = {"true", "1", "yes", "y", "t", "是", "有", "√", "1.0"}
_FALSE = {"false", "0", "no", "n", "f", "否", "无", "", "0.0"}

_POINT_LAYERS = {"villages", "communities", "facilities"}

_LAYER_ZH = {"boundary": "县界", "townships": "乡镇", "villages": "行政村", "communities": "社区",
             "facilities": "设施"}


def format_rows(rows: list[int] | np.ndarray, limit: int = 15) -> str:
    """Format row numbers compactly: ``"3, 7, 9 and 12 more"``."""
    return _first_of([str(int(r)) for r in rows], limit)


def _first_of(items: list[str], limit: int = 15, sep: str = ", ") -> str:
    """The first ``limit`` items joined by ``sep``, then ``" and N more"`` when there are more."""
    return sep.join(items[:limit]) + (f" and {len(items) - limit} more" if len(items) > limit else "")


def apply_aliases(df: pd.DataFrame, layer: str) -> pd.DataFrame:
    """Rename planner headers to canonical names (``人口`` → ``population`` …).

    A header is renamed only when the canonical column is not already present. Headers are
    stripped of surrounding spaces first; canonical names in another case (``NAME``) are
    lower-cased. ``类型`` (→ ``kind``) applies to facilities only (to ``township_type`` for
    townships).

    Parameters
    ----------
    df : DataFrame
        The layer as read.
    layer : str
        Layer name (``"villages"``, ``"facilities"`` …).

    Returns
    -------
    DataFrame
        A renamed copy.

    Examples
    --------
    >>> import pandas as pd
    >>> list(apply_aliases(pd.DataFrame(columns=["名称", "人口"]), "villages").columns)
    ['name', 'population']
    """
    out = df.rename(columns={c: str(c).strip() for c in df.columns if isinstance(c, str)})
    rename: dict[str, str] = {}
    present = set(out.columns)
    wanted = {c.name for c in LAYER_COLUMNS.get(layer, ())}
    for col in out.columns:
        target = COLUMN_ALIASES.get(col) if isinstance(col, str) else None
        if target is None or target in present or target in rename.values():
            continue
        if target == "kind" and layer != "facilities":
            continue
        if target == "name" and col == "乡镇名称" and layer != "townships":
            continue
        if target in wanted or target in ("lon", "lat", "township"):
            rename[col] = target
    # canonical names in another case (shapefiles often have NAME, POPULATION)
    for col in out.columns:
        if isinstance(col, str) and col not in wanted and col.lower() in wanted \
                and col.lower() not in present and col.lower() not in rename.values() and col not in rename:
            rename[col] = col.lower()
    if layer == "townships" and "township_type" not in present:
        for col in ("类型", "type", "kind", "乡镇类型"):
            if col in present:
                rename[col] = "township_type"
                break
    return out.rename(columns=rename)


def _suggest(missing: str, columns: list[str]) -> str:
    candidates = [str(c) for c in columns if str(c) != "geometry"]
    near = difflib.get_close_matches(missing, candidates, n=1, cutoff=0.6)
    if not near:
        # a Chinese header close to a known alias of the missing column
        aliases = [a for a, t in COLUMN_ALIASES.items() if t == missing]
        for col in candidates:
            if difflib.get_close_matches(col, aliases, n=1, cutoff=0.5):
                near = [col]
                break
    if near:
        return f"; did you mean {near[0]!r}? (rename it, or map it with columns: {{{near[0]}: {missing}}})"
    return ""


def coerce_bool(series: pd.Series) -> tuple[pd.Series, list[int]]:
    """Read yes/no values (true/false, 1/0, yes/no, 是/否, 有/无; empty = False).

    Returns
    -------
    values : pandas.Series of bool
    bad_rows : list of int
        1-based rows whose value is not understood (read as False).

    Examples
    --------
    >>> import pandas as pd
    >>> coerce_bool(pd.Series(["是", "no", "maybe"]))[1]
    [3]
    """
    bad: list[int] = []
    out = []
    for i, v in enumerate(series):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            out.append(False)
            continue
        if isinstance(v, (bool, np.bool_)):
            out.append(bool(v))
            continue
        text = str(v).strip().lower()
        if text in _TRUE:
            out.append(True)
        elif text in _FALSE:
            out.append(False)
        else:
            out.append(False)
            bad.append(i + 1)
    return pd.Series(out, index=series.index, dtype=bool), bad


def as_text(series: pd.Series) -> pd.Series:
    """Cells as stripped text, ``None`` where empty; ids read as floats keep their integer text.

    >>> as_text(pd.Series([141124.0, " 01 ", "", None])).tolist()
    ['141124', '01', None, None]
    """
    def conv(v: Any) -> Any:
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            return None
        if isinstance(v, (float, np.floating)) and float(v).is_integer():
            return str(int(v))  # ids read as floats (141124.0) keep their integer text
        text = str(v).strip()
        return text if text else None

    return pd.Series([conv(v) for v in series], index=series.index, dtype=object)


def _check_numeric(series: pd.Series, col: Column, problems: list[str]) -> pd.Series:
    values = pd.to_numeric(series.map(lambda v: str(v).strip().replace(",", "") if isinstance(v, str) else v),
                           errors="coerce")
    missing = series.isna() | series.map(lambda v: isinstance(v, str) and not v.strip())
    non_numeric = (~missing) & values.isna()
    if non_numeric.any():
        rows = np.flatnonzero(non_numeric.to_numpy()) + 1
        examples = ", ".join(repr(series.iloc[r - 1]) for r in rows[:3])
        problems.append(f"column {col.name!r}: non-numeric values in rows {format_rows(rows)} (e.g. {examples}); "
                        f"enter plain numbers ({col.description})")
    if col.required and missing.any():
        rows = np.flatnonzero(missing.to_numpy()) + 1
        problems.append(f"column {col.name!r}: missing values in rows {format_rows(rows)}; "
                        f"every row needs {col.description or col.name}")
    if col.min_value is not None:
        below = values < col.min_value
        if below.any():
            rows = np.flatnonzero(below.to_numpy()) + 1
            examples = ", ".join(f"{values.iloc[r - 1]:g}" for r in rows[:3])
            problems.append(f"column {col.name!r}: negative values in rows {format_rows(rows)} ({examples}); "
                            f"must be >= {col.min_value:g}")
    if col.name.startswith("share_"):
        above = values > 1
        if above.any():
            rows = np.flatnonzero(above.to_numpy()) + 1
            problems.append(f"column {col.name!r}: shares above 1 in rows {format_rows(rows)}; give a fraction "
                            "0–1 (e.g. 0.15 for 15%)")
    if col.dtype == "int":
        frac = values.notna() & (values != np.round(values))
        if frac.any():
            rows = np.flatnonzero(frac.to_numpy()) + 1
            problems.append(f"column {col.name!r}: non-whole numbers in rows {format_rows(rows)}; counts "
                            "must be whole numbers")
        if values.isna().any():
            return values.round().astype("Int64")
        return values.round().astype(np.int64)
    return values.astype(float)


def _boundary_geometry(boundary: Any, crs: Any) -> tuple[Any, CRS | None]:
    if isinstance(boundary, (gpd.GeoDataFrame, gpd.GeoSeries)):
        geom = shapely.union_all(boundary.geometry.to_numpy())
        return geom, CRS.from_user_input(boundary.crs) if boundary.crs is not None else None
    return boundary, CRS.from_user_input(crs) if crs is not None else None


def validate_layer(
    df: pd.DataFrame,
    layer: str,
    *,
    source: str,
    boundary: Any = None,
    boundary_tolerance_m: float = 0.0,
) -> gpd.GeoDataFrame:
    """Validate one county layer against its column contract; raise once with every problem.

    Parameters
    ----------
    df : GeoDataFrame (or DataFrame with a ``geometry`` column)
        The layer as read; headers may be Chinese aliases.
    layer : str
        ``"boundary"``, ``"townships"``, ``"villages"``, ``"communities"`` or ``"facilities"``.
    source : str, keyword-only
        Where the layer came from (file and layer), used in the error.
    boundary : GeoDataFrame, GeoSeries or shapely geometry, optional, keyword-only
        County boundary (a bare geometry is taken to be in the layer's CRS). Points outside it
        (beyond ``boundary_tolerance_m``) are reported.
    boundary_tolerance_m : float, keyword-only
        Distance outside the boundary still accepted, metres (measured in a metric CRS).

    Returns
    -------
    geopandas.GeoDataFrame
        Canonical columns with coerced dtypes (str ids, int counts, float shares, bool
        flags, ``kind`` as :class:`~planning.schema.FacilityKind` values, ``township_type`` as
        :class:`~planning.schema.TownshipType` values), other columns kept after them; index
        0..n-1.

    Raises
    ------
    InputError
        Listing every problem found (row numbers are 1-based data rows).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> v = gpd.GeoDataFrame({"编号": ["1"], "名称": ["张家村"], "township_id": ["01"], "人口": ["350"]},
    ...                      geometry=[Point(0, 0)], crs="EPSG:4546")
    >>> validate_layer(v, "villages", source="v.csv")["population"].tolist()
    [350]
    """
    if layer not in LAYER_COLUMNS:
        raise InputError(f"layer {layer!r} from {source}",
                         [f"unknown layer name; use one of {', '.join(LAYER_COLUMNS)}"])
    what = f"{layer} layer '{source}' ({ROW_NOTE})"
    problems: list[str] = []
    if not isinstance(df, gpd.GeoDataFrame):
        if "geometry" not in df.columns:
            raise InputError(what, ["the layer has no geometry; give a spatial file or a CSV with lon/lat columns"])
        df = gpd.GeoDataFrame(df, geometry="geometry")
    gdf = apply_aliases(df, layer).reset_index(drop=True)
    if gdf.geometry.name != "geometry":
        gdf = gdf.rename_geometry("geometry")
    if len(gdf) == 0:
        raise InputError(what, [f"the layer is empty (no rows); the county needs its {layer} "
                                f"({_LAYER_ZH[layer]}); check the file and layer name"])
    contract = LAYER_COLUMNS[layer]
    columns = [str(c) for c in gdf.columns]
    for col in contract:
        if col.required and col.name not in gdf.columns:
            problems.append(f"required column {col.name!r} is missing ({col.description}); columns found: "
                            f"{', '.join(c for c in columns if c != 'geometry')}{_suggest(col.name, columns)}")
    out = gpd.GeoDataFrame(index=gdf.index, geometry=gdf.geometry, crs=gdf.crs)
    for col in contract:
        if col.name not in gdf.columns:
            continue
        series = gdf[col.name]
        if col.dtype == "str":
            values = as_text(series)
            if col.required:
                null = values.isna()
                if null.any():
                    problems.append(f"column {col.name!r}: missing values in rows "
                                    f"{format_rows(np.flatnonzero(null.to_numpy()) + 1)}; fill in {col.description}")
            out[col.name] = values
        elif col.dtype in ("int", "float"):
            out[col.name] = _check_numeric(series, col, problems)
        elif col.dtype == "bool":
            values, bad = coerce_bool(series)
            if bad:
                examples = ", ".join(repr(series.iloc[r - 1]) for r in bad[:3])
                problems.append(f"column {col.name!r}: values in rows {format_rows(bad)} are not yes/no "
                                f"(e.g. {examples}); use true/false, 1/0, yes/no or 是/否")
            out[col.name] = values
    # ids: unique and present
    if "id" in out.columns:
        ids = out["id"]
        dup = ids[ids.notna() & ids.duplicated(keep=False)]
        if len(dup):
            groups = []
            for value, idx in dup.groupby(dup, sort=True).groups.items():
                groups.append(f"{value!r} (rows {format_rows(np.asarray(idx) + 1)})")
            problems.append(f"duplicate ids: {_first_of(groups, 15, '; ')}; every id must be unique")
    # vocabularies
    if layer == "facilities" and "kind" in out.columns:
        kinds = []
        unknown: dict[str, list[int]] = {}
        for i, v in enumerate(out["kind"]):
            k = FACILITY_KIND_ALIASES.get(v) if v is not None else None
            if k is None and v is not None:
                k = FACILITY_KIND_ALIASES.get(v.lower())
            if k is None:
                if v is not None:
                    unknown.setdefault(v, []).append(i + 1)
                kinds.append(None)
            else:
                kinds.append(k.value)
        for v, rows in unknown.items():
            allowed = ", ".join(f"{k.value}" for k in FacilityKind)
            near = difflib.get_close_matches(v, list(FACILITY_KIND_ALIASES), n=1, cutoff=0.6)
            hint = f"did you mean {near[0]!r}? " if near else ""
            problems.append(f"column 'kind': unknown facility kind {v!r} in rows {format_rows(rows)}; {hint}allowed: "
                            f"{allowed} (or their Chinese names, e.g. 村卫生室, 乡镇卫生院, 零工市场)")
        out["kind"] = pd.Series(kinds, index=out.index, dtype=object)
    if layer == "townships" and "township_type" in out.columns:
        types = []
        unknown_t: dict[str, list[int]] = {}
        for i, v in enumerate(out["township_type"]):
            t = TOWNSHIP_TYPE_ALIASES.get(v.lower() if v else v) if v is not None else None
            if t is None and v is not None:
                unknown_t.setdefault(v, []).append(i + 1)
            types.append(t.value if t is not None else None)
        for v, rows in unknown_t.items():
            problems.append(f"column 'township_type': unknown value {v!r} in rows {format_rows(rows)}; use "
                            "town/township/street or 镇/乡/街道")
        out["township_type"] = pd.Series(types, index=out.index, dtype=object)
    # geometry
    geoms = gdf.geometry.to_numpy()
    null = np.array([g is None or g.is_empty for g in geoms], dtype=bool)
    if null.any():
        problems.append(f"missing or empty geometry in rows {format_rows(np.flatnonzero(null) + 1)}; "
                        "give coordinates (lon/lat) or draw the feature")
    present = ~null
    if layer in _POINT_LAYERS:
        expected, ok_types = "Point", ("Point",)
    else:
        expected, ok_types = "Polygon or MultiPolygon", ("Polygon", "MultiPolygon")
    types = np.array([g.geom_type if g is not None and not g.is_empty else "" for g in geoms])
    wrong = present & ~np.isin(types, ok_types)
    if wrong.any():
        rows = np.flatnonzero(wrong) + 1
        problems.append(f"wrong geometry type in rows {format_rows(rows)}: expected {expected}, got "
                        f"{', '.join(sorted(set(types[wrong])))}")
    checkable = present & ~wrong
    if checkable.any():
        valid = shapely.is_valid(geoms[checkable])
        if not valid.all():
            idx = np.flatnonzero(checkable)[~valid]
            reasons = shapely.is_valid_reason(geoms[idx])
            detail = "; ".join(f"row {i + 1}: {r}" for i, r in zip(idx[:5], reasons[:5]))
            problems.append(f"invalid geometry in rows {format_rows(idx + 1)} ({detail}); repair it "
                            "(e.g. QGIS 'Fix geometries' or shapely.make_valid)")
    # outside the county
    if boundary is not None and layer in _POINT_LAYERS and checkable.any():
        problems += _outside(gdf.geometry, checkable, boundary, boundary_tolerance_m, out)
    if problems:
        raise InputError(what, problems)
    contract_names = [c.name for c in contract if c.name in out.columns]
    extra = [c for c in gdf.columns if c not in out.columns and c != gdf.geometry.name]
    for c in extra:
        out[c] = gdf[c]
    return out[contract_names + extra + ["geometry"]]


def _outside(geometry: gpd.GeoSeries, mask: np.ndarray, boundary: Any, tol_m: float,
             out: pd.DataFrame) -> list[str]:
    from planning.crs import metric_crs_for

    geom, bcrs = _boundary_geometry(boundary, geometry.crs)
    if geom is None or geom.is_empty:
        return []
    pts = geometry[mask]
    if geometry.crs is not None and bcrs is not None:
        metric = bcrs if bcrs.is_projected else metric_crs_for(gpd.GeoSeries([geom], crs=bcrs))
        geom = gpd.GeoSeries([geom], crs=bcrs).to_crs(metric).iloc[0]
        pts = pts.to_crs(metric)
    dist = shapely.distance(geom, pts.to_numpy())
    far = dist > tol_m
    if not far.any():
        return []
    rows = np.flatnonzero(mask)[far]
    ids = out["id"].iloc[rows].tolist() if "id" in out.columns else [None] * len(rows)
    names = out["name"].iloc[rows].tolist() if "name" in out.columns else [None] * len(rows)
    listed = _first_of([f"row {r + 1} {i}:{n} ({d:,.0f} m outside)"
                        for r, i, n, d in zip(rows, ids, names, dist[far], strict=True)], 15, "; ")
    return [f"{len(rows)} point(s) outside the county boundary (tolerance {tol_m:,.0f} m): {listed}; "
            "check the coordinates (swapped lon/lat? GCJ-02/BD-09 declared with coords:?)"]
