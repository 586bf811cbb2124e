"""A cache of travel computations keyed by input content.

Re-running an unchanged scenario should not recompute travel times. :class:`CachedEngine` wraps
a travel engine (``planning.network.engine.TravelEngine`` or anything with the same
``nearest``/``od``/``service_areas`` methods): each call is keyed by

* the content of the road network and DEM (every node, edge, geometry and elevation cell),
* the travel settings, the package version and the engine's source code, and
* the content of the call's arguments (origin and destination points with their ids, mode,
  metric, cutoff, breaks, ...),

hashed with sha256. A hit returns the stored table; a miss builds the real engine (only then:
on a full hit the road graph is never built), computes and stores the result. Results are
stored without pickles: numeric and boolean columns in ``.npz`` (``allow_pickle=False``),
text columns and metadata in JSON, geometries as WKB, so a cached table is exactly equal — same
values, dtypes, column order, index and ``attrs`` — to the computed one, and outputs are
byte-identical whether cached or not. Tables with types the cache cannot store exactly are
simply not cached. Entries are written to a temporary directory and renamed, so concurrent runs
and interrupted runs never see half an entry.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planning._errors import InputError

__all__ = ["TravelCache", "CachedEngine", "digest", "network_digest", "default_cache_dir"]


class _Uncacheable(Exception):
    """An argument whose content cannot be hashed reliably; the call is computed, not cached."""

_FORMAT = 1


def default_cache_dir() -> Path:
    """The user cache directory (``$XDG_CACHE_HOME/planning/travel`` or ``~/.cache/...``)."""
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "planning" / "travel"


def _update(h: Any, value: Any) -> None:
    """Feed a canonical byte form of ``value`` into hash ``h``."""
    import shapely

    if isinstance(value, pd.DataFrame):
        h.update(b"DF")
        _update(h, list(map(str, value.columns)))
        _update(h, [str(t) for t in value.dtypes])
        _update(h, value.index)
        crs = getattr(value, "crs", None) if hasattr(value, "geometry") else None
        if crs is not None:
            h.update(crs.to_wkt().encode())
        for col in value.columns:
            _update(h, value[col])
    elif isinstance(value, pd.Index):
        h.update(b"IX")
        _update(h, np.asarray(value))
    elif isinstance(value, pd.Series):
        h.update(b"SR" + str(value.dtype).encode())
        if str(value.dtype) == "geometry":
            h.update(b"".join(shapely.to_wkb(np.asarray(value), hex=False)))
        else:
            _update(h, np.asarray(value))
    elif isinstance(value, np.ndarray):
        h.update(b"ND" + str(value.dtype).encode() + str(value.shape).encode())
        if value.dtype == object:
            for item in value.ravel():
                _update(h, item)
        else:
            h.update(np.ascontiguousarray(value).tobytes())
    elif isinstance(value, dict):
        h.update(b"DI")
        for key in sorted(value, key=str):
            _update(h, str(key))
            _update(h, value[key])
    elif isinstance(value, (list, tuple)):
        h.update(b"LI" + str(len(value)).encode())
        for item in value:
            _update(h, item)
    elif isinstance(value, shapely.Geometry):
        h.update(b"GE" + shapely.to_wkb(value, hex=False))
    elif hasattr(value, "to_wkt") and hasattr(value, "to_epsg"):  # pyproj.CRS
        h.update(b"CR" + value.to_wkt().encode())
    elif hasattr(value, "model_dump_json"):  # pydantic settings
        h.update(b"PY" + type(value).__name__.encode() + value.model_dump_json().encode())
    elif value is None or isinstance(value, (str, bytes, bool, int, float, np.generic)):
        h.update(b"SC" + type(value).__name__.encode() + repr(value).encode())
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        h.update(b"DC" + type(value).__qualname__.encode())
        for f in dataclasses.fields(value):
            _update(h, f.name)
            _update(h, getattr(value, f.name))
    else:
        # an object whose content cannot be read reliably (its repr may elide data): no key
        raise _Uncacheable(f"cannot key a {type(value).__name__}")


def _digest(*values: Any) -> str:
    h = hashlib.sha256()
    for value in values:
        _update(h, value)
    return h.hexdigest()


def digest(*values: Any) -> str:
    """sha256 (hex) of the content of ``values``.

    Parameters
    ----------
    *values
        DataFrames, GeoDataFrames, Series, arrays, geometries, CRSs, pydantic models, dataclasses,
        dicts, lists and scalars.

    Raises
    ------
    InputError
        A value of another type (its content cannot be read reliably).
    """
    try:
        return _digest(*values)
    except _Uncacheable as exc:
        raise InputError("content digest", [f"{exc}; pass frames, arrays, geometries or scalars"]) from None


def _engine_code_digest() -> str:
    """sha256 of the travel engine's source files (``planning/network/*.py``): changing the engine's
    code invalidates the cache even without a version bump."""
    import planning.network

    h = hashlib.sha256()
    for path in sorted(Path(planning.network.__file__).parent.glob("*.py")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def network_digest(county: Any, settings: Any) -> str:
    """Key of everything a travel engine is built from: roads, DEM, travel settings, the engine's
    source code and the package version.

    Parameters
    ----------
    county : County
        The county (after what-if edits: a new road gives a new key).
    settings : Settings or TravelSettings
        The settings whose ``travel`` part shapes travel times.
    """
    from planning import __version__

    travel = getattr(settings, "travel", settings)
    dem = county.dem
    dem_part = None if dem is None else (dem.array, tuple(dem.transform), dem.crs)
    return _digest(__version__, _FORMAT, _engine_code_digest(), county.roads.nodes, county.roads.edges, dem_part,
                   travel)


# ---------------------------------------------------------------------------------------------
# exact, pickle-free storage of tables


class _Unsupported(Exception):
    pass


def _encode_objects(values: np.ndarray) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if v is None or isinstance(v, (str, bool)):
            out.append(v)
        elif isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            out.append({"i": int(v)})
        elif isinstance(v, (float, np.floating)):
            out.append({"f": float(v).hex()})
        else:
            raise _Unsupported(type(v).__name__)
    return out


def _decode_objects(items: list[Any]) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    for i, v in enumerate(items):
        if isinstance(v, dict):
            out[i] = int(v["i"]) if "i" in v else float.fromhex(v["f"])
        else:
            out[i] = v
    return out


def _encode_column(name: str, series: pd.Series, arrays: dict[str, np.ndarray], tag: str) -> dict[str, Any]:
    import shapely

    dtype = str(series.dtype)
    if dtype == "geometry":
        wkb = shapely.to_wkb(np.asarray(series), hex=False)
        if any(w is None for w in wkb):
            raise _Unsupported("missing geometry")
        arrays[f"{tag}_wkb"] = np.frombuffer(b"".join(wkb), dtype=np.uint8)
        arrays[f"{tag}_off"] = np.cumsum([0] + [len(w) for w in wkb]).astype(np.int64)
        return {"name": name, "kind": "geometry"}
    if series.dtype == object or dtype in ("string", "str"):
        return {"name": name, "kind": "object", "dtype": dtype, "values": _encode_objects(np.asarray(series, dtype=object))}
    if isinstance(series.dtype, np.dtype) and series.dtype.kind in "biufcmM":
        arrays[tag] = np.asarray(series)
        return {"name": name, "kind": "array"}
    raise _Unsupported(dtype)


def _decode_column(spec: dict[str, Any], arrays: Any, tag: str) -> Any:
    import shapely

    if spec["kind"] == "geometry":
        buf = arrays[f"{tag}_wkb"].tobytes()
        off = arrays[f"{tag}_off"]
        return shapely.from_wkb([buf[off[i]:off[i + 1]] for i in range(len(off) - 1)])
    if spec["kind"] == "object":
        values = _decode_objects(spec["values"])
        return pd.array(values, dtype=spec["dtype"]) if spec["dtype"] != "object" else values
    return arrays[tag]


def _encode_frame(frame: pd.DataFrame) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    if isinstance(frame.columns, pd.MultiIndex) or isinstance(frame.index, pd.MultiIndex):
        raise _Unsupported("MultiIndex")
    if len(set(frame.columns)) != len(frame.columns):
        raise _Unsupported("duplicate column names")
    arrays: dict[str, np.ndarray] = {}
    columns = [_encode_column(str(c), frame[c], arrays, f"c{i}") for i, c in enumerate(frame.columns)]
    if any(not isinstance(c, str) for c in frame.columns):
        raise _Unsupported("non-string column names")
    if isinstance(frame.index, pd.RangeIndex):
        index = {"range": [frame.index.start, frame.index.stop, frame.index.step], "name": frame.index.name}
    else:
        index = _encode_column("__index__", frame.index.to_series(), arrays, "ix")
        index["name"] = frame.index.name
    meta: dict[str, Any] = {"format": _FORMAT, "columns": columns, "index": index}
    try:
        meta["attrs"] = json.loads(json.dumps(frame.attrs))
        if meta["attrs"] != frame.attrs:
            raise _Unsupported("attrs")
    except (TypeError, ValueError):
        raise _Unsupported("attrs") from None
    geo = getattr(frame, "_geometry_column_name", None)
    if geo is not None and hasattr(frame, "crs"):
        meta["geo"] = {"geometry": geo, "crs": frame.crs.to_wkt() if frame.crs is not None else None}
    return meta, arrays


def _decode_frame(meta: dict[str, Any], arrays: Any) -> pd.DataFrame:
    idx = meta["index"]
    if "range" in idx:
        index: pd.Index = pd.RangeIndex(*idx["range"], name=idx["name"])
    else:
        index = pd.Index(_decode_column(idx, arrays, "ix"), name=idx["name"])
    data = {}
    for i, spec in enumerate(meta["columns"]):
        values = _decode_column(spec, arrays, f"c{i}")
        if spec["kind"] == "object" and spec["dtype"] == "object":
            data[spec["name"]] = pd.Series(values, index=index, dtype=object)
        elif spec["kind"] == "geometry":
            data[spec["name"]] = pd.Series(values, index=index, dtype=object)
        else:
            data[spec["name"]] = pd.Series(values, index=index)
    frame = pd.DataFrame(data, index=index, columns=[c["name"] for c in meta["columns"]])
    if "geo" in meta:
        import geopandas as gpd

        frame = gpd.GeoDataFrame(frame, geometry=meta["geo"]["geometry"], crs=meta["geo"]["crs"])
    frame.attrs = meta["attrs"]
    return frame


class TravelCache:
    """A directory of stored travel tables, one sub-directory per key.

    Parameters
    ----------
    directory : str or Path
        Where entries live (created when first written).

    Examples
    --------
    >>> import pandas as pd, tempfile
    >>> cache = TravelCache(tempfile.mkdtemp())
    >>> cache.put("k1", pd.DataFrame({"origin_id": ["a"], "travel_time_min": [1.5]}))
    True
    >>> float(cache.get("k1")["travel_time_min"].iloc[0])
    1.5
    """

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def _entry(self, key: str) -> Path:
        return self.directory / key[:2] / key

    def get(self, key: str) -> pd.DataFrame | None:
        """The stored table, or ``None`` when absent (or unreadable: then it is recomputed)."""
        entry = self._entry(key)
        try:
            meta = json.loads((entry / "meta.json").read_text(encoding="utf-8"))
            with np.load(entry / "data.npz", allow_pickle=False) as arrays:
                return _decode_frame(meta, arrays)
        except (OSError, ValueError, KeyError):
            return None

    def put(self, key: str, frame: pd.DataFrame) -> bool:
        """Store ``frame``; returns False when it holds types the cache cannot store exactly."""
        try:
            meta, arrays = _encode_frame(frame)
        except _Unsupported:
            return False
        entry = self._entry(key)
        if entry.exists():
            return True
        entry.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=entry.parent))
        try:
            with open(tmp / "data.npz", "wb") as fh:
                np.savez(fh, **arrays)
            (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, allow_nan=True), encoding="utf-8")
            try:
                os.replace(tmp, entry)
            except OSError:  # another run stored the same entry first
                pass
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return True


class CachedEngine:
    """A travel engine whose ``nearest``, ``od`` and ``service_areas`` results are cached.

    Parameters
    ----------
    factory : callable
        Builds the real engine (called at most once, on the first cache miss or on the first
        access to another attribute).
    cache : TravelCache
        Where results are stored.
    key : str
        Content key of the engine's inputs (:func:`network_digest`).

    Attributes
    ----------
    hits, misses : int
        Cache statistics of this run.

    Examples
    --------
    >>> # engine = CachedEngine(lambda: TravelEngine.from_county(county, settings=s),
    >>> #                       cache=TravelCache(".cache"), key=network_digest(county, s))
    """

    def __init__(self, factory: Callable[[], Any], *, cache: TravelCache, key: str) -> None:
        self._factory = factory
        self._engine: Any = None
        self.cache = cache
        self.key = key
        self.hits = 0
        self.misses = 0

    @property
    def engine(self) -> Any:
        """The real engine (built on first use)."""
        if self._engine is None:
            self._engine = self._factory()
        return self._engine

    def _call(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        try:
            key = _digest(self.key, method, list(args), kwargs)
        except _Uncacheable:
            self.misses += 1
            return getattr(self.engine, method)(*args, **kwargs)
        found = self.cache.get(key)
        if found is not None:
            self.hits += 1
            return found
        self.misses += 1
        result = getattr(self.engine, method)(*args, **kwargs)
        if isinstance(result, pd.DataFrame):
            self.cache.put(key, result)
        return result

    def nearest(self, *args: Any, **kwargs: Any) -> Any:
        """Cached ``engine.nearest`` (same arguments and result)."""
        return self._call("nearest", args, kwargs)

    def od(self, *args: Any, **kwargs: Any) -> Any:
        """Cached ``engine.od`` (same arguments and result)."""
        return self._call("od", args, kwargs)

    def service_areas(self, *args: Any, **kwargs: Any) -> Any:
        """Cached ``engine.service_areas`` (same arguments and result)."""
        return self._call("service_areas", args, kwargs)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.engine, name)
