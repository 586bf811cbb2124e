"""Service-area polygons built from the reached road network (partial edges included).

For a budget ``B`` (minutes or metres) and node costs ``c`` (cost from the node to the nearest
facility of the group, egress leg included), a point at fraction ``f`` of a segment ``u → v``
reaches a facility within ``B`` when

* ``(1 − f) · fwd + c[v] ≤ B`` (moving towards ``v``), or
* ``f · bwd + c[u] ≤ B`` (moving towards ``u``), or
* the facility lies on the same segment at fraction ``s`` and the point is within the budget
  left after its egress leg, along the segment.

With a DEM and ``metric="time"``, ``f`` in these conditions is the share of the segment's time
between ``u`` and the point (the segment's terrain pieces each at its own slope's speed, see
:meth:`planning.network.graph.SegmentTable.time_shares`), and the cut fraction of length is
found by inverting that profile; on flat ground the share is ``f`` itself.

Each segment thus contributes up to two covered pieces (``[f0, 1]`` and ``[0, f1]``, merged when
they meet) cut from its geometry at the exact fractions, so the polygon follows the roads and
ends where the budget runs out. The pieces (and each facility's egress leg when within budget)
are buffered by ``tolerance_m``: every reached road point is inside the polygon and every point
of the polygon is within ``tolerance_m`` of a reached road point. Demand points off the road
need their own access leg on top; the polygon does not include it.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely import ops

from planning.network.graph import SegmentTable

__all__ = ["reached_pieces", "budget_polygon"]


def reached_pieces(seg: SegmentTable, c_node: np.ndarray, budget: float, *, metric: str,
                   on_segment: tuple[np.ndarray, ...] | None = None) -> list:
    """Line pieces of the network reachable within ``budget``.

    Parameters
    ----------
    seg : SegmentTable
        Segments of the mode (weights per direction, NaN when closed).
    c_node : numpy.ndarray
        Cost from each node (compact index, first layer) to the group's nearest facility.
    budget : float
        Budget in the metric's unit.
    metric : {"time", "distance"}
        Which segment weights to use.
    on_segment : tuple of arrays, optional
        ``(segment, fraction, egress_cost)`` of each facility of the group, for travel along
        the facility's own segment, optionally followed by the facilities' forward and backward
        time shares (``SnappedPoints.fwd_share``, ``bwd_share``; needed with a DEM).

    Returns
    -------
    list of shapely.LineString
    """
    if metric == "time":
        wf, wb = seg.fwd_time_min, seg.bwd_time_min
    else:
        wf, wb = seg.fwd_length_m, seg.bwd_length_m
    with np.errstate(invalid="ignore", divide="ignore"):
        left_v = budget - c_node[seg.v]
        left_u = budget - c_node[seg.u]
        # covered from the v end: f >= 1 - left_v / wf ; from the u end: f <= left_u / wb
        lo = np.where(left_v >= 0, np.where(np.isfinite(wf), np.where(wf > 0, 1.0 - left_v / wf, 0.0), 1.0), np.inf)
        hi = np.where(left_u >= 0, np.where(np.isfinite(wb), np.where(wb > 0, left_u / wb, 1.0), 0.0), -np.inf)
    profiled = metric == "time" and seg.profile_ptr is not None
    if profiled:   # time shares -> fractions of length
        inner = np.flatnonzero((lo > 0.0) & (lo < 1.0))
        lo[inner] = seg.time_fractions(inner, lo[inner], forward=True)
        inner = np.flatnonzero((hi > 0.0) & (hi < 1.0))
        hi[inner] = seg.time_fractions(inner, hi[inner], forward=False)
    full_mask = (lo <= 0.0) | (hi >= 1.0) | ((lo < 1.0) & (hi > 0.0) & (lo <= hi))
    intervals: dict[int, list[tuple[float, float]]] = {}
    for s in np.flatnonzero(~full_mask & (lo < 1.0)):
        intervals.setdefault(int(s), []).append((float(lo[s]), 1.0))
    for s in np.flatnonzero(~full_mask & (hi > 0.0)):
        intervals.setdefault(int(s), []).append((0.0, float(hi[s])))
    if on_segment is not None:
        segs, fracs, egresses = on_segment[:3]
        shares_f, shares_b = on_segment[3:5] if len(on_segment) >= 5 else (fracs, fracs)
        for s, frac, egress, sh_f, sh_b in zip(segs, fracs, egresses, shares_f, shares_b):
            left = budget - egress
            if full_mask[s] or not left >= 0:
                continue
            if profiled:
                a = _reach_profiled(seg, s, frac, sh_f, left, wf[s], -1.0)
                b = _reach_profiled(seg, s, frac, sh_b, left, wb[s], 1.0)
            else:
                a = _reach(frac, left, wf[s], -1.0)
                b = _reach(frac, left, wb[s], 1.0)
            if b > a:
                intervals.setdefault(int(s), []).append((a, b))
    pieces = list(seg.geometry[full_mask])
    for s, ivs in sorted(intervals.items()):
        ivs.sort()
        merged = [list(ivs[0])]
        for a, b in ivs[1:]:
            if a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        geom = seg.geometry[s]
        for a, b in merged:
            if a <= 0.0 and b >= 1.0:
                pieces.append(geom)
            else:
                pieces.append(ops.substring(geom, a, b, normalized=True))
    return pieces


def _reach(frac: float, left: float, weight: float, sign: float) -> float:
    """Fraction reached from ``frac`` with ``left`` budget over a segment direction of ``weight``."""
    if not np.isfinite(weight):
        return float(frac)
    if weight <= 0:
        return 1.0 if sign > 0 else 0.0
    return float(min(1.0, max(0.0, frac + sign * left / weight)))


def _reach_profiled(seg: SegmentTable, s: int, frac: float, share: float, left: float, weight: float,
                    sign: float) -> float:
    """:func:`_reach` on a segment with a time profile: the reach is found in time shares
    (``share`` at the facility) and turned back into a fraction of length."""
    if not np.isfinite(weight):
        return float(frac)
    target = _reach(share, left, weight, sign)
    if 0.0 < target < 1.0:
        return float(seg.time_fractions(np.array([s]), np.array([target]), forward=sign < 0)[0])
    return target


def budget_polygon(pieces: list, points: list, *, tolerance_m: float) -> shapely.Geometry:
    """Reached pieces and points buffered by ``tolerance_m`` into one (multi)polygon."""
    geoms = [g for g in pieces + points if g is not None and not g.is_empty]
    if not geoms:
        return shapely.Polygon()
    collection = shapely.geometrycollections(np.asarray(geoms, dtype=object))
    return shapely.buffer(collection, tolerance_m, quad_segs=4)
