"""Coordinates of a column of shapely Points in one compiled pass (numba reading memory).

``shapely.get_type_id``, ``get_x`` and ``get_y`` each walk every geometry (Python object →
GEOS geometry → coordinate sequence); for 200,000 points the three passes cost ~12 ms, more
than snapping them. Asking the GEOS C API for each point's x and y (``GEOSGeomGetX_r`` /
``GEOSGeomGetY_r``) in one compiled pass still costs two library calls a point, most of the
time of the read. :func:`point_xy` calls nothing: for each object it checks that its type is
exactly :class:`shapely.Point`, follows the object to its GEOS geometry and reads the point's
envelope, which a GEOS Point keeps inside itself (``minx, maxx, miny, maxy``: ``x, x, y,
y``). ``python -m benchmarks.profile_nearest 10000`` lists this read (``_read``) among the
parts of a cold nearest search: 0.34 ms a call with the two GEOS calls per point (commit
3769232), 0.10 ms with the envelope read, for 10,000 points.

It is a fast path only, over memory layouts that no API promises, so it checks them:

* the envelope's place in a GEOS Point is not assumed but found at first use, on probe points
  made every way shapely and geopandas make points (constructors, WKB, WKT, ``from_xy``,
  ``set_coordinates``, ``transform``, Z points), and must be the same for all of them; the
  fast path must then agree with shapely on other probes and refuse everything that is not a
  plain non-empty Point — else it stays off for the process;
* every point read must have ``minx == maxx`` and ``miny == maxy`` (false for NaN, so for
  empty points too);

and it answers ``None`` — "use shapely" — whenever anything is not a plain non-empty Point with
finite or infinite (not NaN) coordinates, so the caller's shapely-based checks still find and
name every problem.
"""

from __future__ import annotations

import ctypes
import threading
from typing import Any

import numpy as np
import shapely
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["point_xy", "object_addresses"]


def _raw_load(value_type: Any) -> Any:
    """A compiled ``load(address)``: the ``value_type`` stored at ``address`` (a raw memory read)."""
    def load(typingctx, address):
        sig = value_type(types.int64)

        def codegen(context, builder, signature, args):
            ptr = builder.inttoptr(args[0], context.get_value_type(value_type).as_pointer())
            return builder.load(ptr)

        return sig, codegen

    return intrinsic(load)


_load_i64 = _raw_load(types.int64)
_load_f64 = _raw_load(types.float64)


@intrinsic
def _prefetch(typingctx, address):
    """Hint the CPU to fetch the cache line at ``address`` (no fault on any address)."""
    sig = types.none(types.int64)

    def codegen(context, builder, signature, args):
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]),
                                            "llvm.prefetch.p0i8")
        builder.call(fn, [builder.inttoptr(args[0], i8p), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return sig, codegen


#: Points ahead whose Python object (2 x as far) and GEOS geometry are prefetched: the read is
#: a chain of dependent loads per point (object -> geometry -> envelope), latency-bound when the
#: objects are not in cache.
_AHEAD = 8
#: Offset of the GEOS geometry pointer in a shapely geometry object (after ``PyObject_HEAD``:
#: reference count and type).
_GEOM_AT = 16


@njit(nogil=True, cache=True)
def _read(addr, point_type, envelope_at, x, y):
    """Coordinates of the Points at ``addr``; False as soon as one is not a plain Point with a
    point envelope (then ``x``/``y`` are partial and must not be used)."""
    n = addr.size
    for i in range(n):
        if i + 2 * _AHEAD < n:
            _prefetch(addr[i + 2 * _AHEAD] + 8)
        if i + _AHEAD < n:
            b = addr[i + _AHEAD]
            if _load_i64(b + 8) == point_type:          # only a Point's pointer is followed
                _prefetch(_load_i64(b + _GEOM_AT) + envelope_at)
        a = addr[i]
        if _load_i64(a + 8) != point_type:              # ob_type: exactly shapely.Point
            return False
        g = _load_i64(a + _GEOM_AT)                       # the GEOS geometry of the object
        if g == 0:
            return False
        min_x = _load_f64(g + envelope_at)
        min_y = _load_f64(g + envelope_at + 16)
        if not (min_x == _load_f64(g + envelope_at + 8) and min_y == _load_f64(g + envelope_at + 24)):
            return False                                 # not a point's envelope, or NaN (empty)
        x[i] = min_x
        y[i] = min_y
    return True


_STATE: dict[str, Any] = {}
_LOCK = threading.Lock()


def object_addresses(objects: np.ndarray) -> np.ndarray:
    """Addresses of the Python objects held by an object array (int64), read in one copy."""
    a = np.ascontiguousarray(objects, dtype=object)
    if a.size == 0:
        return np.empty(0, np.int64)
    raw = (ctypes.c_int64 * a.size).from_address(a.ctypes.data)
    return np.frombuffer(raw, dtype=np.int64).copy()


def _probes() -> list[shapely.Point]:
    """Points made every way the project meets them, each with its own distinctive x and y."""
    import geopandas as gpd

    xy = np.array([[1234.5, 6789.125], [-7.25, 3.5e6], [0.1, -0.3], [5e5, 4.4e6], [-1e7, 1e-3],
                   [37.5, 112.75], [2.0, 3.0], [11.0, -12.0], [6.5e5, 4.1e6]])
    return [
        shapely.points(xy[0]),
        shapely.Point(*xy[1]),
        shapely.Point(xy[2, 0], xy[2, 1], 9.0),
        shapely.from_wkb(shapely.to_wkb(shapely.Point(*xy[3]))),
        shapely.from_wkt(f"POINT ({float(xy[4, 0])!r} {float(xy[4, 1])!r})"),
        gpd.GeoSeries.from_xy([xy[5, 0]], [xy[5, 1]]).values[0],
        shapely.set_coordinates(shapely.points([0.0], [0.0]), xy[6:7].copy())[0],
        shapely.transform(shapely.points([1.0], [2.0]), lambda c: c + xy[7] - [1.0, 2.0])[0],
        shapely.force_2d(shapely.points([xy[8, 0]], [xy[8, 1]], [1.0]))[0],
    ]


#: The envelope is looked for in the first bytes of a GEOS Point, nearest first (GEOS 3.14 keeps
#: it at byte 64, so the scan reads the first 96 bytes of each probe and stops).
_SCAN_BYTES = 128


def _envelope_offset() -> int | None:
    """Offset of the envelope (``x, x, y, y``) in a GEOS Point, the same for every probe, or ``None``."""
    probes = _probes()
    at = []
    for p in probes:
        g = ctypes.c_int64.from_address(id(p) + _GEOM_AT).value
        if g == 0:
            return None
        want = (shapely.get_x(p),) * 2 + (shapely.get_y(p),) * 2
        at.append(next((off for off in range(8, _SCAN_BYTES - 31, 8)
                        if tuple((ctypes.c_double * 4).from_address(g + off)) == want), None))
    return at[0] if at[0] is not None and len(set(at)) == 1 else None


def _self_check(envelope_at: int) -> bool:
    """The fast path agrees with shapely on probe points and refuses everything else."""
    xs = np.array([0.5, -1e7, 123456.789, 3.0, np.inf])
    ys = np.array([-2.25, 8.75e6, 0.0, 1e-300, -5.0])
    pts = shapely.points(xs, ys)
    x = np.full(5, np.nan)
    y = np.full(5, np.nan)
    if not _read(object_addresses(pts), id(shapely.Point), envelope_at, x, y):
        return False
    if not (np.array_equal(x, shapely.get_x(pts)) and np.array_equal(y, shapely.get_y(pts))):
        return False
    for bad in ([None], [shapely.Point()], [shapely.Point(np.nan, 1.0)], [shapely.LineString([(0, 0), (1, 1)])],
                [shapely.MultiPoint([(0, 0)])]):
        arr = np.array(pts.tolist() + bad, dtype=object)
        if _read(object_addresses(arr), id(shapely.Point), envelope_at, np.empty(6), np.empty(6)):
            return False
    return True


def _enabled_offset() -> int | None:
    """The envelope offset of the fast path, found and checked once per process (``None``: off)."""
    if "envelope_at" not in _STATE:
        with _LOCK:
            if "envelope_at" not in _STATE:
                try:
                    at = _envelope_offset()
                    _STATE["envelope_at"] = at if at is not None and _self_check(at) else None
                except Exception:                    # any failure: shapely does the work
                    _STATE["envelope_at"] = None
    return _STATE["envelope_at"]


def point_xy(geoms: np.ndarray, addresses: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """x and y of an object array of shapely Points, or ``None`` when any entry is not a plain
    non-empty Point without NaN coordinates (or the fast path is unavailable): then use shapely.

    Parameters
    ----------
    geoms : numpy.ndarray
        Object array of geometries (kept alive by the caller during the call).
    addresses : numpy.ndarray, optional
        The objects' addresses (int64) when the caller already has them.

    Returns
    -------
    (x, y) or None
        Never holds NaN.
    """
    envelope_at = _enabled_offset()
    if envelope_at is None:
        return None
    addr = object_addresses(geoms) if addresses is None else addresses
    x = np.empty(addr.size)
    y = np.empty(addr.size)
    if not _read(addr, id(shapely.Point), envelope_at, x, y):
        return None
    return x, y
