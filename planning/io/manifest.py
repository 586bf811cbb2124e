"""The county manifest (``county.yaml``) and :func:`load_county`.

Example manifest (paths relative to the yaml file)::

    county_id: "141199"
    name: 示范县
    crs: auto                    # auto (CGCS2000 3-degree Gauss-Krüger zone) | EPSG:nnnn
    seat: {x: 110.99, y: 37.95, crs: "EPSG:4326"}
    agricultural: true
    layers:
      boundary:    {path: county.gpkg, layer: boundary}
      townships:   {path: county.gpkg, layer: townships}
      villages:    {path: county.gpkg, layer: villages}
      communities: {path: county.gpkg, layer: communities}
      facilities:  {path: facilities.csv, coords: gcj02}
    roads: {path: roads.osm}     # or {path: roads.gpkg, layer: roads, class_column: 等级};
                                 # clip_buffer_m: 10000 takes the county (+10 km) out of a big extract
    population: {path: population.tif}
    dem: {path: dem.tif}         # or {path: [a.hgt.zip, b.hgt.zip]}

Layer keys: ``path``, ``layer`` (GeoPackage layer), ``crs`` (declared CRS when the file has
none), ``coords`` (``wgs84`` | ``gcj02`` | ``bd09``: datum of lon/lat values), ``lon_col`` /
``lat_col`` (CSV), ``columns`` (rename map ``{source_name: canonical_name}``).
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pyproj import CRS

from planning._errors import CRSError, InputError
from planning.config import Settings
from planning.county import County
from planning.crs import convert_geometries, metric_crs_for
from planning.io.raster import read_dem_tiles, read_raster
from planning.io.roads import OSM_SUFFIXES, project_network, read_roads_lines, read_roads_osm
from planning.io.vector import read_vector
from planning.validate import ROW_NOTE, apply_aliases, as_text, coerce_bool, format_rows, validate_layer

__all__ = ["load_county", "read_manifest", "Manifest", "OUTSIDE_TOLERANCE_M"]

log = logging.getLogger("planning.io")

#: Points up to this far outside the county boundary are accepted (digitising tolerance).
OUTSIDE_TOLERANCE_M = 500.0

#: Datum of lon/lat values (:data:`planning.crs.DATUMS`).
_Datum = Literal["wgs84", "gcj02", "bd09"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LayerSpec(_Strict):
    """One vector layer of the manifest."""

    path: str
    layer: str | None = None
    crs: str | None = None
    coords: _Datum = "wgs84"
    lon_col: str | None = None
    lat_col: str | None = None
    columns: dict[str, str] | None = None


class Layers(_Strict):
    """The vector layers of a county."""

    boundary: LayerSpec
    townships: LayerSpec
    villages: LayerSpec
    facilities: LayerSpec
    communities: LayerSpec | None = None


class RoadsSpec(_Strict):
    """The road network: an OSM extract, or a line layer with a road-class column."""

    path: str
    layer: str | None = None
    crs: str | None = None
    coords: _Datum = "wgs84"
    class_column: str | None = None
    oneway_column: str | None = None
    name_column: str | None = None
    snap_tolerance_m: float = Field(1.0, ge=0)
    clip_buffer_m: float | None = Field(None, ge=0)


class RasterSpec(_Strict):
    """A raster (population or DEM); a DEM may be several tiles."""

    path: str | list[str]
    resolution_m: float | None = Field(None, gt=0)


class SeatSpec(_Strict):
    """The county seat location."""

    x: float
    y: float
    crs: str = "EPSG:4326"
    coords: _Datum = "wgs84"


class Manifest(_Strict):
    """A validated ``county.yaml``."""

    county_id: str
    name: str
    crs: str = "auto"
    seat: SeatSpec | None = None
    agricultural: bool | None = None
    layers: Layers
    roads: RoadsSpec
    population: RasterSpec | None = None
    dem: RasterSpec | None = None

    @field_validator("county_id", mode="before")
    @classmethod
    def _code_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value

    @field_validator("crs")
    @classmethod
    def _known_crs(cls, value: str) -> str:
        if value != "auto":
            try:
                crs = CRS.from_user_input(value)
            except Exception as exc:  # pyproj raises its own CRSError
                raise ValueError(f"unknown CRS {value!r} ({exc}); use auto or EPSG:nnnn") from exc
            if not crs.is_projected:
                raise ValueError(f"{value} is not a projected (metric) CRS; use auto or a projected EPSG code")
        return value


def _manifest_path(path: str | os.PathLike[str]) -> Path:
    p = Path(path)
    if p.is_dir():
        p = p / "county.yaml"
    if not p.is_file():
        raise InputError(f"county manifest '{p}'", ["file not found; give the county.yaml or its folder"])
    return p


def read_manifest(path: str | os.PathLike[str]) -> tuple[Manifest, Path]:
    """Read and validate a county manifest; every problem at once.

    Parameters
    ----------
    path : path-like
        The ``county.yaml`` or a directory holding it.

    Returns
    -------
    manifest : Manifest
    path : pathlib.Path
        The manifest file.

    Raises
    ------
    InputError
        Unreadable YAML, missing or unknown keys, wrong values (each with its key path), and
        files the manifest names that do not exist.
    """
    p = _manifest_path(path)
    what = f"county manifest '{p}'"
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(what, [f"not valid YAML: {exc}"]) from exc
    if not isinstance(raw, dict):
        raise InputError(what, ["the manifest must be a mapping (county_id:, name:, layers:, roads: …)"])
    try:
        manifest = Manifest.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = ".".join(str(x) for x in err["loc"])
            msg = err["msg"]
            if err["type"] == "extra_forbidden":
                msg = "unknown key; remove it or fix its spelling"
            elif err["type"] == "missing":
                msg = "required key is missing"
            problems.append(f"{key}: {msg}")
        raise InputError(what, problems) from None
    problems = []
    for key, value in _file_entries(manifest):
        for item in (value if isinstance(value, list) else [value]):
            if not (p.parent / item).is_file():
                problems.append(f"{key}.path: file {item!r} not found (relative to {p.parent})")
    if manifest.roads.path and not manifest.roads.path.lower().endswith(OSM_SUFFIXES) \
            and manifest.roads.class_column is None:
        problems.append("roads.class_column: a road line layer needs the column with the road class "
                        "(国道/省道/县道/乡道/村道 or OSM highway values)")
    if problems:
        raise InputError(what, problems)
    return manifest, p


def _file_entries(m: Manifest) -> list[tuple[str, str | list[str]]]:
    out: list[tuple[str, str | list[str]]] = []
    for name in ("boundary", "townships", "villages", "communities", "facilities"):
        spec = getattr(m.layers, name)
        if spec is not None:
            out.append((f"layers.{name}", spec.path))
    out.append(("roads", m.roads.path))
    for name in ("population", "dem"):
        spec = getattr(m, name)
        if spec is not None:
            out.append((name, spec.path))
    return out


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("planning")
    except PackageNotFoundError:  # running from a source tree without installation
        return "unknown"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _collect(problems: list[str], exc: InputError) -> None:
    if exc.problems:
        problems.extend(f"{exc.what}: {p}" for p in exc.problems)
    else:
        problems.append(exc.what)


def load_county(path: str | os.PathLike[str], *, crs: Any = None, settings: Settings | None = None) -> County:
    """Load a county from its manifest: read, convert, validate and project every layer.

    Steps: validate the manifest (pydantic; every problem with its key); read every layer
    (GCJ-02/BD-09 converted to WGS84); choose the metric CRS (``crs: auto`` →
    :func:`planning.crs.metric_crs_for` of the boundary; the ``crs`` argument overrides the
    manifest); project everything; validate every layer against its contract, with points
    more than 500 m outside the county reported; check that villages' and communities'
    ``township_id`` exist in the townships (a ``乡镇``/``township`` name column is mapped to
    ids); move townships' ``seat_x``/``seat_y`` (given in the layer's own coordinates and
    datum) with the layer; fill facilities' missing ``township_id`` by a spatial join; read roads (OSM or a
    line layer), population raster and DEM clipped to the county. All problems of all layers
    are raised together in one :class:`~planning._errors.InputError`.

    Parameters
    ----------
    path : path-like
        ``county.yaml`` or the directory holding it.
    crs : optional, keyword-only
        Metric CRS to use instead of the manifest's.
    settings : planning.config.Settings, optional, keyword-only
        Run settings; with ``settings.progress`` each loaded layer is logged (logger
        ``planning.io``).

    Returns
    -------
    County
        All layers in one metric CRS; ``meta`` records the manifest, each input's path,
        sha256, CRS and datum conversion, and the CRS choice.

    Raises
    ------
    InputError
        Every problem of the manifest, or of every layer together.
    CRSError
        A layer without CRS (reported among the problems).

    Examples
    --------
    >>> county = load_county("data/demo")          # doctest: +SKIP
    >>> print(county.summary())                    # doctest: +SKIP
    """
    manifest, mpath = read_manifest(path)
    base = mpath.parent
    progress = bool(getattr(settings, "progress", False))
    what = f"county '{manifest.name}' ({mpath})"
    problems: list[str] = []
    meta: dict[str, Any] = {"manifest": str(mpath), "manifest_sha256": _sha256(mpath), "county_id": manifest.county_id,
                            "name": manifest.name, "planning_version": _version(), "inputs": {}}

    def note(key: str, file: str | list[str], **info: Any) -> None:
        paths = [str(base / f) for f in file] if isinstance(file, list) else str(base / file)
        sha256 = [_sha256(base / f) for f in file] if isinstance(file, list) else _sha256(base / file)
        meta["inputs"][key] = {"path": paths, "sha256": sha256, **info}

    # --- read raw vector layers (WGS84 after datum conversion)
    raw: dict[str, gpd.GeoDataFrame] = {}
    for name in ("boundary", "townships", "villages", "communities", "facilities"):
        spec: LayerSpec | None = getattr(manifest.layers, name)
        if spec is None:
            continue
        label = f"{name} layer '{base / spec.path}'" + (f" (layer {spec.layer!r})" if spec.layer else "")
        try:
            gdf = read_vector(base / spec.path, layer=spec.layer, crs=spec.crs, coords=spec.coords,
                              lon_col=spec.lon_col, lat_col=spec.lat_col, what=label)
        except InputError as exc:
            _collect(problems, exc)
            continue
        if spec.columns:
            gdf = gdf.rename(columns=dict(spec.columns))
        note(name, spec.path, layer=spec.layer, input_crs=CRS.from_user_input(gdf.crs).to_string()
             if spec.coords == "wgs84" else "EPSG:4326",
             conversion=None if spec.coords == "wgs84" else f"{spec.coords} -> wgs84")
        raw[name] = gdf
        if progress:
            log.info("read %s: %d rows", label, len(gdf))
    if "boundary" not in raw:
        raise InputError(what, problems)
    # --- boundary: fill county fields from the manifest, dissolve to one row
    b = apply_aliases(raw["boundary"], "boundary")
    b = b[~b.geometry.isna()]
    if len(b) == 0:
        problems.append(f"boundary layer '{manifest.layers.boundary.path}': the layer is empty (no polygon)")
        raise InputError(what, problems)
    if manifest.agricultural is not None:
        agricultural = bool(manifest.agricultural)
    elif "agricultural" in b:
        flags, bad = coerce_bool(b["agricultural"].iloc[:1])
        agricultural = bool(flags.iloc[0])
        if bad:
            problems.append(f"boundary layer: agricultural value {b['agricultural'].iloc[0]!r} is not yes/no; "
                            "set agricultural: true/false in the manifest")
    else:
        agricultural = False
    extra = {c: [b[c].iloc[0]] for c in b.columns
             if c not in ("county_id", "name", "agricultural", b.geometry.name)}  # e.g. name_en
    boundary = gpd.GeoDataFrame(
        {"county_id": [manifest.county_id], "name": [manifest.name], "agricultural": [agricultural], **extra},
        geometry=[shapely.union_all(shapely.make_valid(b.geometry.to_numpy()))], crs=b.crs)
    # --- metric CRS
    if crs is not None:
        metric = CRS.from_user_input(crs)
        choice = "given by the caller"
    elif manifest.crs != "auto":
        metric = CRS.from_user_input(manifest.crs)
        choice = "declared in the manifest"
    else:
        metric = metric_crs_for(boundary)
        choice = "auto: metric_crs_for(boundary)"
    if not metric.is_projected:
        raise CRSError(what, [f"the county CRS must be projected (metric); got {metric.name}"])
    meta["crs"] = metric.to_string()
    meta["crs_choice"] = f"{metric.name} ({choice})"
    boundary = boundary.to_crs(metric)
    try:
        boundary = validate_layer(boundary, "boundary", source=str(base / manifest.layers.boundary.path))
    except InputError as exc:
        _collect(problems, exc)
    # --- other layers: project, map township names, validate with the boundary
    layers: dict[str, gpd.GeoDataFrame] = {}
    failed: dict[str, pd.Series] = {}  # township ids of layers that failed their own checks
    for name in ("townships", "villages", "communities", "facilities"):
        if name not in raw:
            continue
        spec = getattr(manifest.layers, name)
        gdf = apply_aliases(raw[name], name)
        if name == "townships" and {"seat_x", "seat_y"} <= set(gdf.columns):
            gdf = _project_seats(gdf, spec.coords, metric, problems, str(base / spec.path))
        gdf = gdf.to_crs(metric)
        source = str(base / spec.path) + (f" (layer {spec.layer!r})" if spec.layer else "")
        if name in ("villages", "communities", "facilities") and "township_id" not in gdf \
                and "township" in gdf and "townships" in layers:
            gdf, mapping_problems = _township_names_to_ids(gdf, layers["townships"], name, source)
            problems.extend(mapping_problems)
        try:
            layers[name] = validate_layer(gdf, name, source=source,
                                          boundary=boundary if name != "townships" else None,
                                          boundary_tolerance_m=OUTSIDE_TOLERANCE_M)
        except InputError as exc:
            _collect(problems, exc)
            if "township_id" in gdf:  # still checked below, so that one error lists every problem
                failed[name] = as_text(gdf["township_id"].reset_index(drop=True))
    # --- across layers
    if "townships" in layers:
        known = set(layers["townships"]["id"])
        for name in ("villages", "communities", "facilities"):
            if name in layers and "township_id" in layers[name]:
                tid = layers[name]["township_id"]
            elif name in failed:
                tid = failed[name]
            else:
                continue
            bad = tid.notna() & ~tid.isin(known)
            if bad.any():
                rows = np.flatnonzero(bad.to_numpy()) + 1
                values = sorted(set(tid[bad]))
                problems.append(f"{name} layer '{getattr(manifest.layers, name).path}': township_id "
                                f"{', '.join(map(repr, values[:10]))} in rows {format_rows(rows)} not found in the "
                                f"townships layer (ids: {', '.join(sorted(known)[:10])}"
                                f"{' …' if len(known) > 10 else ''}); {ROW_NOTE}")
    # --- roads
    roads = None
    rs = manifest.roads
    try:
        if rs.path.lower().endswith(OSM_SUFFIXES):
            bbox = None
            if rs.clip_buffer_m is not None:
                area = boundary.buffer(rs.clip_buffer_m).to_crs("EPSG:4326")
                bbox = tuple(float(v) for v in area.total_bounds)
            net = read_roads_osm(base / rs.path, bbox=bbox)
            conv = None
        else:
            net = read_roads_lines(base / rs.path, class_column=rs.class_column or "", oneway_column=rs.oneway_column,
                                   name_column=rs.name_column, layer=rs.layer, crs=rs.crs, coords=rs.coords,
                                   snap_tolerance_m=rs.snap_tolerance_m)
            conv = None if rs.coords == "wgs84" else f"{rs.coords} -> wgs84"
        roads = project_network(net, metric)
        note("roads", rs.path, layer=rs.layer, input_crs=net.crs.to_string(), conversion=conv,
             nodes=len(roads.nodes), edges=len(roads.edges))
    except InputError as exc:
        _collect(problems, exc)
    # --- rasters
    rasters: dict[str, Any] = {}
    for name in ("population", "dem"):
        spec_r: RasterSpec | None = getattr(manifest, name)
        if spec_r is None:
            continue
        try:
            if isinstance(spec_r.path, list):
                if name != "dem":
                    raise InputError(f"{name} '{spec_r.path}'", ["only a DEM may be given as several tiles"])
                rasters[name] = read_dem_tiles([base / p for p in spec_r.path], clip_to=boundary,
                                               dst_crs=metric, resolution_m=spec_r.resolution_m)
            else:
                rasters[name] = read_raster(base / spec_r.path, name, clip_to=boundary, dst_crs=metric,
                                            resolution_m=spec_r.resolution_m)
            note(name, spec_r.path, resolution_m=float(abs(rasters[name].transform.a)))
        except InputError as exc:
            _collect(problems, exc)
    if problems:
        raise InputError(what, problems)
    # --- facilities' township by spatial join
    facilities = layers["facilities"]
    if "townships" in layers:
        facilities = _fill_township(facilities, layers["townships"])
        meta["facilities_township_join"] = "township_id filled by spatial join where missing"
    # --- seat
    seat = None
    if manifest.seat is not None:
        s = manifest.seat
        pt = gpd.GeoSeries([shapely.Point(s.x, s.y)], crs=s.crs)
        if s.coords != "wgs84":
            pt = convert_geometries(pt.to_crs("EPSG:4326"), source=s.coords)
        seat = pt.to_crs(metric).iloc[0]
        meta["seat"] = {"x": s.x, "y": s.y, "crs": s.crs, "coords": s.coords}
    county = County(boundary=boundary, townships=layers["townships"], villages=layers["villages"],
                    facilities=facilities, roads=roads, communities=layers.get("communities"),
                    population=rasters.get("population"), dem=rasters.get("dem"), seat=seat, meta=meta)
    if progress:
        log.info("loaded %s", what)
    return county


def _project_seats(gdf: gpd.GeoDataFrame, coords: str, metric: CRS, problems: list[str],
                   source: str) -> gpd.GeoDataFrame:
    """Township seat_x/seat_y are in the layer's own coordinates (and datum): move them with it."""
    x = pd.to_numeric(gdf["seat_x"], errors="coerce")
    y = pd.to_numeric(gdf["seat_y"], errors="coerce")
    bad = (x.isna() | y.isna()) & ~(gdf["seat_x"].isna() & gdf["seat_y"].isna())
    if bad.any():
        problems.append(f"townships layer '{source}': seat_x/seat_y not numeric in rows "
                        f"{format_rows(np.flatnonzero(bad.to_numpy()) + 1)}; {ROW_NOTE}")
    ok = (x.notna() & y.notna()).to_numpy()
    pts = gpd.GeoSeries(gpd.points_from_xy(x.fillna(0.0), y.fillna(0.0)), index=gdf.index, crs=gdf.crs)
    if coords != "wgs84":
        pts = convert_geometries(pts, source=coords)
    pts = pts.to_crs(metric)
    out = gdf.copy()
    out["seat_x"] = np.where(ok, pts.x.to_numpy(), np.nan)
    out["seat_y"] = np.where(ok, pts.y.to_numpy(), np.nan)
    return out


def _township_names_to_ids(gdf: gpd.GeoDataFrame, townships: gpd.GeoDataFrame, name: str,
                           source: str) -> tuple[gpd.GeoDataFrame, list[str]]:
    by_name = dict(zip(townships["name"].astype(str), townships["id"].astype(str)))
    names = gdf["township"].map(lambda v: None if pd.isna(v) else str(v).strip())
    ids = names.map(by_name)
    bad = names.notna() & ids.isna()
    problems = []
    if bad.any():
        rows = np.flatnonzero(bad.to_numpy()) + 1
        problems.append(f"{name} layer '{source}': township names {', '.join(map(repr, sorted(set(names[bad]))[:10]))} "
                        f"in rows {format_rows(rows)} are not in the townships layer; use the exact names "
                        f"({', '.join(sorted(by_name)[:10])} …) or give township_id; {ROW_NOTE}")
    out = gdf.copy()
    out["township_id"] = ids.where(ids.notna(), None)
    return out, problems


def _fill_township(facilities: gpd.GeoDataFrame, townships: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = facilities.copy()
    if "township_id" not in out:
        out["township_id"] = pd.Series([None] * len(out), index=out.index, dtype=object)
    need = out["township_id"].isna().to_numpy()
    if not need.any():
        return out
    pts = out.loc[need, ["geometry"]]
    polys = townships[["id", "geometry"]]
    joined = gpd.sjoin_nearest(pts, polys, how="left", distance_col="_d")
    joined = joined[~joined.index.duplicated(keep="first")]  # ties: the first township in file order
    values = out["township_id"].astype(object).to_numpy(copy=True)
    values[need] = joined["id"].reindex(out.index[need]).to_numpy()
    out["township_id"] = values
    return out
