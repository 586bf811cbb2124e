"""Coordinates of a column of shapely Points in one compiled pass (numba calling GEOS).

``shapely.get_type_id``, ``get_x`` and ``get_y`` each walk every geometry (Python object →
GEOS geometry → coordinate sequence); for 200,000 points the three passes cost ~12 ms, more
than snapping them. :func:`point_xy` walks them once: for each object it checks that its type
is exactly :class:`shapely.Point`, and asks the GEOS C library that shapely itself loaded for
the point's x and y (``GEOSGeomGetX_r`` / ``GEOSGeomGetY_r``, which fail on an empty point).

It is a fast path only. It is enabled after a self-check at first use (the GEOS library found
among the process's loaded libraries, and the coordinates of probe geometries equal to
shapely's), and it answers ``None`` — "use shapely" — whenever anything is not a plain
non-empty Point, so the caller's shapely-based checks still find and name every problem.
"""

from __future__ import annotations

import ctypes
import os
import re
import threading
from typing import Any

import numpy as np
import shapely
from numba import njit, types
from llvmlite import ir
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["point_xy", "object_addresses"]


@intrinsic
def _load_i64(typingctx, address):
    """The int64 stored at ``address`` (a raw memory read)."""
    sig = types.int64(types.int64)

    def codegen(context, builder, signature, args):
        ptr = builder.inttoptr(args[0], context.get_value_type(types.int64).as_pointer())
        return builder.load(ptr)

    return sig, codegen


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
#: a chain of dependent loads per point (object -> geometry -> coordinates), latency-bound
#: when the objects are not in cache.
_AHEAD = 8


@intrinsic
def _call_i64(typingctx, fn):
    """``((int64 (*)(void)) fn)()``: a C function called through its address."""
    sig = types.int64(types.int64)

    def codegen(context, builder, signature, args):
        fnty = ir.FunctionType(ir.IntType(64), [])
        return builder.call(builder.inttoptr(args[0], fnty.as_pointer()), [])

    return sig, codegen


@intrinsic
def _call_v1(typingctx, fn, a):
    """``((void (*)(int64)) fn)(a)``."""
    sig = types.none(types.int64, types.int64)

    def codegen(context, builder, signature, args):
        fnty = ir.FunctionType(ir.VoidType(), [ir.IntType(64)])
        builder.call(builder.inttoptr(args[0], fnty.as_pointer()), [args[1]])
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def _call_i3(typingctx, fn, a, b, c):
    """``((int (*)(int64, int64, int64)) fn)(a, b, c)`` (pointers passed as 64-bit integers)."""
    sig = types.int32(types.int64, types.int64, types.int64, types.int64)

    def codegen(context, builder, signature, args):
        fnty = ir.FunctionType(ir.IntType(32), [ir.IntType(64)] * 3)
        return builder.call(builder.inttoptr(args[0], fnty.as_pointer()), list(args[1:]))

    return sig, codegen


@njit(nogil=True, cache=True)
def _read(addr, point_type, f_init, f_finish, f_get_x, f_get_y, x, y):
    """Coordinates of the Points at ``addr``; False as soon as one is not a plain non-empty
    Point (then ``x``/``y`` are partial and must not be used)."""
    ctx = _call_i64(f_init)
    buf = np.empty(2)
    px = buf.ctypes.data
    ok = True
    n = addr.size
    for i in range(n):
        if i + 2 * _AHEAD < n:
            _prefetch(addr[i + 2 * _AHEAD] + 8)
        if i + _AHEAD < n:
            b = addr[i + _AHEAD]
            if _load_i64(b + 8) == point_type:          # only a Point's pointer is followed
                _prefetch(_load_i64(b + 16))
        a = addr[i]
        if _load_i64(a + 8) != point_type:              # ob_type: exactly shapely.Point
            ok = False
            break
        g = _load_i64(a + 16)                             # the GEOS geometry of the object
        if g == 0 or _call_i3(f_get_x, ctx, g, px) != 1 or _call_i3(f_get_y, ctx, g, px + 8) != 1:
            ok = False
            break
        x[i] = buf[0]
        y[i] = buf[1]
    _call_v1(f_finish, ctx)
    return ok


_STATE: dict[str, Any] = {}
_LOCK = threading.Lock()


def _geos_c() -> ctypes.CDLL | None:
    """The GEOS C library shapely loaded (from the process's memory maps), or ``None``.

    Other packages may bring their own GEOS (GDAL wheels do): the copy beside shapely's
    package (``shapely.libs``) is taken; a single GEOS in the process is shapely's; anything
    else is ambiguous and disables the fast path.
    """
    try:
        with open("/proc/self/maps") as f:
            paths = sorted(set(re.findall(r"(/\S*libgeos_c[^\s/]*\.so[^\s/]*)", f.read())))
    except OSError:
        return None
    beside = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(shapely.__file__))), "shapely.libs") + os.sep
    mine = [p for p in paths if p.startswith(beside)]
    paths = mine if mine else paths
    if len(paths) != 1:
        return None
    try:
        return ctypes.CDLL(paths[0])
    except OSError:
        return None


def _build() -> Any:
    """``read(addr, point_type, x, y)`` on the GEOS library shapely loaded, or ``None``."""
    lib = _geos_c()
    if lib is None:
        return None
    f = tuple(ctypes.cast(getattr(lib, name), ctypes.c_void_p).value
              for name in ("GEOS_init_r", "GEOS_finish_r", "GEOSGeomGetX_r", "GEOSGeomGetY_r"))
    if not all(f):
        return None

    def read(addr: np.ndarray, point_type: int, x: np.ndarray, y: np.ndarray) -> bool:
        return bool(_read(addr, point_type, f[0], f[1], f[2], f[3], x, y))

    return read


def object_addresses(objects: np.ndarray) -> np.ndarray:
    """Addresses of the Python objects held by an object array (int64), read in one copy."""
    a = np.ascontiguousarray(objects, dtype=object)
    if a.size == 0:
        return np.empty(0, np.int64)
    raw = (ctypes.c_int64 * a.size).from_address(a.ctypes.data)
    return np.frombuffer(raw, dtype=np.int64).copy()


def _self_check(read: Any) -> bool:
    """The fast path agrees with shapely on probe points and refuses everything else."""
    xs = np.array([0.5, -1e7, 123456.789, 3.0])
    ys = np.array([-2.25, 8.75e6, 0.0, 1e-300])
    pts = shapely.points(xs, ys)
    x = np.full(4, np.nan)
    y = np.full(4, np.nan)
    if not read(object_addresses(pts), id(shapely.Point), x, y):
        return False
    if not (np.array_equal(x, shapely.get_x(pts)) and np.array_equal(y, shapely.get_y(pts))):
        return False
    for bad in ([None], [shapely.Point()], [shapely.LineString([(0, 0), (1, 1)])], [shapely.MultiPoint([(0, 0)])]):
        arr = np.array(pts.tolist() + bad, dtype=object)
        if read(object_addresses(arr), id(shapely.Point), np.empty(5), np.empty(5)):
            return False
    return True


def point_xy(geoms: np.ndarray, addresses: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """x and y of an object array of shapely Points, or ``None`` when any entry is not a plain
    non-empty Point (or the fast path is unavailable): then use shapely.

    Parameters
    ----------
    geoms : numpy.ndarray
        Object array of geometries (kept alive by the caller during the call).
    addresses : numpy.ndarray, optional
        The objects' addresses (int64) when the caller already has them.

    Returns
    -------
    (x, y) or None
    """
    read = _STATE.get("read")
    if read is None:
        with _LOCK:
            if "read" not in _STATE:
                try:
                    fn = _build()
                    _STATE["read"] = fn if fn is not None and _self_check(fn) else False
                except Exception:                    # any failure: shapely does the work
                    _STATE["read"] = False
            read = _STATE["read"]
    if read is False:
        return None
    addr = object_addresses(geoms) if addresses is None else addresses
    x = np.empty(addr.size)
    y = np.empty(addr.size)
    if not read(addr, id(shapely.Point), x, y):
        return None
    return x, y
