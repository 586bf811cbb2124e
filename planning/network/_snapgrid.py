"""Exact nearest-segment snapping on a uniform grid (numba), for :mod:`planning.network.snap`.

The segments are cut into their straight pieces; each piece is listed in every grid cell its
bounding box overlaps, stored cell by cell with everything a query reads inline: the piece's
start and vector, its segment and its index, so a cell is read from one contiguous block and
ties need no lookup elsewhere. A point searches rings of cells around its own cell and stops
as soon as its best distance is below the distance to the border of the searched block (the
result is the exact nearest piece, not an approximation).

Two things keep the search cheap on real networks, where roads are sparse among empty land
or sea (the Comoros extract: 2.5 million cells of 80 m, 4 % of them holding a piece):

* the **empty radius** of each cell (Chebyshev distance, in cells, to the nearest cell holding
  a piece; a two-pass distance transform at build time): the rings inside it hold nothing, so
  the search starts at it, and a point whose empty radius already exceeds the maximum snap
  distance is far without reading a single cell;
* the cell index is stored by **tiles** of 8 x 8 cells, only for tiles holding a piece (the
  Comoros: 1,664 of 39,025 tiles, 2 MB instead of 22 MB for one pointer and one radius per
  cell), so it stays in cache; an empty tile keeps the smallest empty radius of its cells;
* points arriving in scattered order are visited block by block of 8 x 8 cells (an O(n)
  counting sort inside the kernel), so the cells stay in cache;
* the **end points** of the segments (the graph's nodes) are snapped once when the grid is
  built, and their results are listed with their cell: a point at exactly those coordinates
  takes the listed result instead of testing every piece of its cell (nodes sit where pieces
  crowd: 8.8 pieces in a node's cell on the Comoros, against 3.8 in an average cell). The
  listed result is the kernel's own for those coordinates, so nothing changes but the time; a
  point elsewhere pays one comparison per listed end point of its cell. Points arriving in
  scattered order look the end points up in a hash table of their coordinates first (probes
  cost the same in any order, where the cells' lists would be read only after sorting the
  points by block), and only the others are sorted and searched (``python -m
  benchmarks.profile_nearest comoros``: this kernel 0.46-0.49 ms per cold call by the cells'
  lists, 0.32-0.35 ms with the table first).

Points beyond the maximum snap distance still get their exact distance (for the reason given),
from :func:`far_distances`: the grid's tiles grouped into at most 1,024 blocks, the nearest
block searched first, then every block within the best distance found.

Ties are canonical: the lowest segment, then its first piece — the result does not depend on
the grid layout, the visiting order or the cell size.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

import numpy as np
import shapely
from numba import njit

__all__ = ["SnapGrid", "snap_grid", "nearest_pieces", "far_distances", "pieces_of"]

#: Points are visited in blocks of ``BLOCK x BLOCK`` cells when they come scattered.
BLOCK = 8
#: Cells per side of a tile of the cell index (8: the shifts and masks below).
TILE = 8
#: The empty radius is stored in a byte; larger radii are stored as this (a lower bound).
_MAX_RADIUS = 255
#: Bits of the end point filter per slot of the end point hash table (:func:`_end_table`): at
#: least two slots per end point, so at least 16 bits per end point.
END_BITS = 8
#: Points sampled to decide whether scattered points are looked up in the hash table first.
END_SAMPLE = 64
#: Cells farther than the best distance plus this (m) are not read (far above rounding errors
#: of coordinates up to 1e7 m, so an equally near piece of a lower segment is never skipped).
_PRUNE_M = 1e-6


class SnapGrid:
    """Straight pieces of a set of segments on a uniform grid.

    Attributes
    ----------
    tile_id : numpy.ndarray
        int64 per tile of ``TILE x TILE`` cells (tile ``(row // TILE) * ntx + column // TILE``):
        its rank among the tiles holding a piece, -1 for an empty tile; empty (no tiles) when
        more than half of the tiles hold a piece, and then ``cells`` is row-major.
    tile_radius : numpy.ndarray
        uint8 per tile: the smallest empty radius of its cells.
    cells : numpy.ndarray
        int64 ``(cells + 1, 3)``: the entries of the cell at ``(row % TILE) * TILE + column %
        TILE`` of the tile of rank ``r`` are ``cells[p, 0]:cells[p + 1, 0]`` with ``p = r *
        TILE**2 + that``; the low 8 bits of ``cells[p, 1]`` are the cell's empty radius (capped
        at 255), its end points are ``ends[cells[p, 2]:cells[p + 1, 2]]`` and the bit ``8 +
        _end_bit(x, y)`` of ``cells[p, 1]`` is set for each of them (a point whose bit is clear
        is not one of them: ``ends`` is not read). One record per cell, so a point reads its
        cell from one cache line.
    ends : numpy.ndarray
        float64 ``(end points, 5)``: ``x, y`` of each distinct segment end point, then its own
        snap result (segment, fraction, distance), grouped by cell like the entries.
    end_table : numpy.ndarray
        int32 hash table of the end points (a power of two long, at least twice their number):
        the row of ``ends`` whose coordinates hash to each slot (:func:`_end_hash`, linear
        probing), -1 for an empty slot.
    end_bits : numpy.ndarray
        uint64 words of a filter of ``END_BITS`` bits per slot of ``end_table``: the bit of the
        upper half of each end point's hash is set, so a point whose bit is clear is no end
        point (and the table is not read).
    ent : numpy.ndarray
        float64 ``(entries, 6)``: ``ent_xy`` then the entry's segment and piece (exact as
        floats), one record per entry.
    ent_xy : numpy.ndarray
        float64 ``(entries, 4)``: start ``(ax, ay)`` and vector ``(bx - ax, by - ay)`` of each
        entry's piece; within a cell, entries are in piece order.
    ent_seg, ent_piece : numpy.ndarray
        int32 segment and piece of each entry.
    piece_off, piece_len, seg_len : numpy.ndarray
        Start of each piece along its segment, its length, the length of each segment (m).
    piece_rec : numpy.ndarray
        float64 ``(pieces, 3)``: ``piece_off``, ``piece_len`` and the length of the piece's
        segment, one record per piece (read once per snapped point).
    x0, y0, cell : float
        Grid origin and cell size (m); ``ncx``, ``ncy`` cells per axis.
    far_blocks : numpy.ndarray
        int64 ``(blocks, 2)``: column and row of each block of ``far_block x far_block`` tiles
        holding a piece (at most 1,024 blocks over the grid), for :meth:`far_distance`.
    """

    def __init__(self, geometry: np.ndarray, *, cell_m: float | None = None) -> None:
        """Build the grid of ``geometry`` (LineStrings); ``cell_m`` fixes the cell size (m),
        by default about the median piece length (results never depend on it)."""
        piece_seg, ax, ay, bx, by, plen, piece_off, seg_len = pieces_of(geometry)
        if ax.size:
            x0 = float(min(ax.min(), bx.min())) - 1.0
            y0 = float(min(ay.min(), by.min())) - 1.0
            x1 = float(max(ax.max(), bx.max())) + 1.0
            y1 = float(max(ay.max(), by.max())) + 1.0
        else:
            x0 = y0 = 0.0
            x1 = y1 = 1.0
        # about one median piece per cell (a few entries per point to test); the grid is
        # coarsened to at most 4 million cells
        cell = float(np.clip(np.median(plen) if plen.size else 100.0, 20.0, 500.0)) if cell_m is None else float(cell_m)
        while ((x1 - x0) / cell + 1) * ((y1 - y0) / cell + 1) > 4e6:
            cell *= 2.0
        self.x0, self.y0, self.cell = x0, y0, cell
        self.ncx = int((x1 - x0) // cell) + 1
        self.ncy = int((y1 - y0) // cell) + 1
        cell_ptr, ent_xy, ent_seg, ent_piece = _cells(ax, ay, bx, by, piece_seg, x0, y0, cell, self.ncx, self.ncy)
        radius = _empty_radius(cell_ptr, self.ncx, self.ncy)
        self.tile_id, self.tile_radius, self.cells, self.ent = _tiles(cell_ptr, radius, ent_xy, ent_seg, ent_piece,
                                                                      self.ncx, self.ncy)
        self.ent_xy = self.ent[:, :4]
        self.ent_seg = self.ent[:, 4].astype(np.int64)
        self.ent_piece = self.ent[:, 5].astype(np.int64)
        self.ntx = (self.ncx + TILE - 1) // TILE
        self.piece_off, self.piece_len, self.seg_len = piece_off, plen, seg_len
        self.piece_rec = np.ascontiguousarray(np.stack([piece_off, plen, seg_len[piece_seg]], axis=1)
                                              if plen.size else np.empty((0, 3)))
        self.ends = np.empty((0, 5))
        self.end_table, self.end_bits = _end_table(np.empty(0), np.empty(0))
        self.ends = self._end_points(piece_seg, ax, ay, bx, by)
        _end_masks(self.cells, self.ends)
        self.end_table, self.end_bits = _end_table(self.ends[:, 0], self.ends[:, 1])
        self.far_block, self.far_blocks = _far_blocks(self.tile_radius, self.ntx, (self.ncy + TILE - 1) // TILE)

    def _end_points(self, piece_seg: np.ndarray, ax: np.ndarray, ay: np.ndarray, bx: np.ndarray,
                    by: np.ndarray) -> np.ndarray:
        """Snap the distinct end points of the segments (with no end points listed yet), record
        where each cell's list starts in ``cells[:, 2]`` and return the lists."""
        if not piece_seg.size:
            return np.empty((0, 5))
        first = np.flatnonzero(np.r_[True, piece_seg[1:] != piece_seg[:-1]])
        last = np.r_[first[1:] - 1, piece_seg.size - 1]
        ex = np.concatenate([ax[first], bx[last]])
        ey = np.concatenate([ay[first], by[last]])
        cell = _cell_index(ex, ey, self.tile_id, self.ntx, self.x0, self.y0, self.cell, self.ncx, self.ncy)
        order = _distinct_by_cell(ex, ey, cell, self.cells[:, 2])
        ex, ey = ex[order], ey[order]
        # an end point lies on its own piece, found in the first ring or two: any radius >= 0
        # gives the same result, and a query takes it only when it is within its own maximum
        seg, frac, dist = self.nearest(ex, ey, self.cell)
        return np.ascontiguousarray(np.stack([ex, ey, seg.astype(np.float64), frac, dist], axis=1))

    def nearest(self, x: np.ndarray, y: np.ndarray, max_dist: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:func:`nearest_pieces` on this grid."""
        return nearest_pieces(np.ascontiguousarray(x, dtype=np.float64), np.ascontiguousarray(y, dtype=np.float64),
                              self.tile_id, self.tile_radius, self.ntx, self.cells, self.ent, self.piece_rec, self.ends,
                              self.end_table, self.end_bits, self.x0, self.y0, self.cell, self.ncx, self.ncy,
                              float(max_dist))

    def far_distance(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Distance (m) from each point to the nearest piece, however far (:func:`far_distances`);
        NaN for every point when the grid holds no piece."""
        return far_distances(np.ascontiguousarray(x, dtype=np.float64), np.ascontiguousarray(y, dtype=np.float64),
                             self.far_blocks, self.far_block, self.tile_id, self.tile_radius, self.ntx, self.cells,
                             self.ent, self.x0, self.y0, self.cell, self.ncx, self.ncy)


_GRIDS: dict[int, tuple[weakref.ref, SnapGrid]] = {}
_GRIDS_LOCK = threading.Lock()


def snap_grid(segments: Any) -> SnapGrid:
    """The :class:`SnapGrid` of a segment table (anything with a ``geometry`` array of
    LineStrings), built once per table and dropped with it (tables compare by value, so the
    grids are keyed by the table object itself)."""
    key = id(segments)
    hit = _GRIDS.get(key)
    if hit is not None and hit[0]() is segments:
        return hit[1]
    with _GRIDS_LOCK:
        hit = _GRIDS.get(key)
        if hit is not None and hit[0]() is segments:
            return hit[1]
        grid = SnapGrid(segments.geometry)
        _GRIDS[key] = (weakref.ref(segments, lambda _, key=key: _GRIDS.pop(key, None)), grid)
    return grid


def pieces_of(geometry: np.ndarray) -> tuple[np.ndarray, ...]:
    """Straight pieces of LineStrings, grouped by line in order.

    Returns
    -------
    piece_seg : int64 array
        Line of each piece.
    ax, ay, bx, by : float64 arrays
        Start and end of each piece.
    piece_len, piece_off : float64 arrays
        Length of each piece and its start distance along its line.
    seg_len : float64 array
        Length of each line (sum of its pieces; one per line).
    """
    coords, idx = shapely.get_coordinates(geometry, return_index=True)
    same = idx[1:] == idx[:-1]
    a = coords[:-1][same]
    b = coords[1:][same]
    piece_seg = idx[:-1][same].astype(np.int64)
    plen = np.hypot(b[:, 0] - a[:, 0], b[:, 1] - a[:, 1])
    seg_len = np.bincount(piece_seg, weights=plen, minlength=len(geometry))
    cum = np.cumsum(plen) - plen                          # start of each piece, over all pieces
    first_piece = np.searchsorted(piece_seg, piece_seg)   # pieces are grouped by line
    piece_off = np.asarray(cum - cum[first_piece], dtype=np.float64)
    return (piece_seg, np.ascontiguousarray(a[:, 0]), np.ascontiguousarray(a[:, 1]), np.ascontiguousarray(b[:, 0]),
            np.ascontiguousarray(b[:, 1]), plen, piece_off, seg_len)


@njit(cache=True, nogil=True, inline="always")
def _box(ax, ay, bx, by, x0, y0, cell, ncx, ncy):
    """First and last column and row of the cells overlapped by a piece's bounding box."""
    c0 = max(0, int(np.floor((min(ax, bx) - x0) / cell)))
    c1 = min(ncx - 1, int(np.floor((max(ax, bx) - x0) / cell)))
    r0 = max(0, int(np.floor((min(ay, by) - y0) / cell)))
    r1 = min(ncy - 1, int(np.floor((max(ay, by) - y0) / cell)))
    return c0, c1, r0, r1


@njit(cache=True, nogil=True)
def _cells(ax, ay, bx, by, piece_seg, x0, y0, cell, ncx, ncy):
    """Cells overlapped by each piece's bounding box, as CSR, entries in piece order."""
    m = ax.size
    counts = np.zeros(ncx * ncy + 1, np.int64)
    for p in range(m):
        c0, c1, r0, r1 = _box(ax[p], ay[p], bx[p], by[p], x0, y0, cell, ncx, ncy)
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                counts[r * ncx + c + 1] += 1
    ptr = np.cumsum(counts)
    ent_xy = np.empty((ptr[-1], 4), np.float64)
    ent_seg = np.empty(ptr[-1], np.int32)
    ent_piece = np.empty(ptr[-1], np.int32)
    fill = ptr[:-1].copy()
    for p in range(m):
        c0, c1, r0, r1 = _box(ax[p], ay[p], bx[p], by[p], x0, y0, cell, ncx, ncy)
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                q = fill[r * ncx + c]
                ent_xy[q, 0] = ax[p]
                ent_xy[q, 1] = ay[p]
                ent_xy[q, 2] = bx[p] - ax[p]
                ent_xy[q, 3] = by[p] - ay[p]
                ent_seg[q] = piece_seg[p]
                ent_piece[q] = p
                fill[r * ncx + c] += 1
    return ptr, ent_xy, ent_seg, ent_piece


@njit(cache=True, nogil=True)
def _empty_radius(cell_ptr, ncx, ncy):
    """Chebyshev distance (in cells, capped at 255) from each cell to the nearest cell holding
    an entry (255 everywhere without entries).

    The two-pass 3 x 3 chamfer transform with unit weights, which is exact for the Chebyshev
    (chessboard) distance: a forward raster pass over the upper and left neighbours, a
    backward pass over the lower and right ones.
    """
    big = 1 << 30
    d = np.empty(ncx * ncy, np.int64)
    for c in range(ncx * ncy):
        d[c] = 0 if cell_ptr[c + 1] > cell_ptr[c] else big
    for r in range(ncy):
        for c in range(ncx):
            i = r * ncx + c
            v = d[i]
            if v == 0:
                continue
            if c > 0 and d[i - 1] + 1 < v:
                v = d[i - 1] + 1
            if r > 0:
                j = i - ncx
                if d[j] + 1 < v:
                    v = d[j] + 1
                if c > 0 and d[j - 1] + 1 < v:
                    v = d[j - 1] + 1
                if c < ncx - 1 and d[j + 1] + 1 < v:
                    v = d[j + 1] + 1
            d[i] = v
    for r in range(ncy - 1, -1, -1):
        for c in range(ncx - 1, -1, -1):
            i = r * ncx + c
            v = d[i]
            if v == 0:
                continue
            if c < ncx - 1 and d[i + 1] + 1 < v:
                v = d[i + 1] + 1
            if r < ncy - 1:
                j = i + ncx
                if d[j] + 1 < v:
                    v = d[j] + 1
                if c > 0 and d[j - 1] + 1 < v:
                    v = d[j - 1] + 1
                if c < ncx - 1 and d[j + 1] + 1 < v:
                    v = d[j + 1] + 1
            d[i] = v
    out = np.empty(ncx * ncy, np.uint8)
    for i in range(ncx * ncy):
        out[i] = min(d[i], _MAX_RADIUS)
    return out


@njit(cache=True, nogil=True)
def _tiles(cell_ptr, radius, ent_xy, ent_seg, ent_piece, ncx, ncy):
    """The row-major cell index repacked by tiles of 8 x 8 cells, non-empty tiles only.

    Returns ``(tile_id, tile_radius, cells, ent)`` in the layout described in
    :class:`SnapGrid` (entries reordered tile by tile; within a cell they keep their piece
    order). When more than half of the tiles hold entries, the cells stay row-major
    (``c = row * ncx + column``) and ``tile_id`` is empty.
    """
    ntx = (ncx + 7) >> 3
    nty = (ncy + 7) >> 3
    tile_radius = np.full(ntx * nty, _MAX_RADIUS, np.uint8)
    for gy in range(ncy):
        for gx in range(ncx):
            t = (gy >> 3) * ntx + (gx >> 3)
            r = radius[gy * ncx + gx]
            if r < tile_radius[t]:
                tile_radius[t] = r
    tile_id = np.full(ntx * nty, -1, np.int64)
    ntiles = 0
    for t in range(ntx * nty):
        if tile_radius[t] == 0:               # holds a cell with entries
            tile_id[t] = ntiles
            ntiles += 1
    if 2 * ntiles > ntx * nty:
        # dense: row-major cells, no tile table (one lookup less per cell)
        cells = np.zeros((ncx * ncy + 1, 3), np.int64)
        for c in range(ncx * ncy + 1):
            cells[c, 0] = cell_ptr[c]
            cells[c, 1] = radius[c] if c < ncx * ncy else _MAX_RADIUS
        m = ent_seg.size
        ent = np.empty((m, 6), np.float64)
        for e in range(m):
            ent[e, 0] = ent_xy[e, 0]
            ent[e, 1] = ent_xy[e, 1]
            ent[e, 2] = ent_xy[e, 2]
            ent[e, 3] = ent_xy[e, 3]
            ent[e, 4] = ent_seg[e]
            ent[e, 5] = ent_piece[e]
        return np.empty(0, np.int64), tile_radius, cells, ent
    counts = np.zeros(ntiles * 64 + 1, np.int64)
    cell_radius = np.full(ntiles * 64, _MAX_RADIUS, np.uint8)   # cells past the grid edge: never read
    for gy in range(ncy):
        for gx in range(ncx):
            tid = tile_id[(gy >> 3) * ntx + (gx >> 3)]
            if tid >= 0:
                c = gy * ncx + gx
                p = tid * 64 + ((gy & 7) << 3) + (gx & 7)
                counts[p + 1] = cell_ptr[c + 1] - cell_ptr[c]
                cell_radius[p] = radius[c]
    ptr = np.cumsum(counts)
    cells = np.zeros((ntiles * 64 + 1, 3), np.int64)
    cells[:, 0] = ptr
    cells[-1, 1] = _MAX_RADIUS
    for p in range(ntiles * 64):
        cells[p, 1] = cell_radius[p]
    m = ent_seg.size
    ent = np.empty((m, 6), np.float64)
    for gy in range(ncy):
        for gx in range(ncx):
            tid = tile_id[(gy >> 3) * ntx + (gx >> 3)]
            if tid >= 0:
                c = gy * ncx + gx
                q = ptr[tid * 64 + ((gy & 7) << 3) + (gx & 7)]
                for e in range(cell_ptr[c], cell_ptr[c + 1]):
                    ent[q, 0] = ent_xy[e, 0]
                    ent[q, 1] = ent_xy[e, 1]
                    ent[q, 2] = ent_xy[e, 2]
                    ent[q, 3] = ent_xy[e, 3]
                    ent[q, 4] = ent_seg[e]
                    ent[q, 5] = ent_piece[e]
                    q += 1
    return tile_id, tile_radius, cells, ent


@njit(cache=True, nogil=True, inline="always")
def _block_key(x, y, x0, y0, size, nbx, nby):
    bx = min(max(int(np.floor((x - x0) / size)), 0), nbx - 1)
    by = min(max(int(np.floor((y - y0) / size)), 0), nby - 1)
    return by * nbx + bx


@njit(cache=True, nogil=True)
def _scattered(px, py, idx, x0, y0, cell, ncx, ncy):
    """Whether the points ``idx`` (all points for None) are many and come scattered, not mostly
    block by block of ``BLOCK x BLOCK`` cells (judged on 1,024 consecutive pairs spread over
    them, so points in order cost nothing)."""
    n = px.size if idx is None else idx.size
    if n < 4096:
        return False
    nbx = ncx // BLOCK + 1
    nby = ncy // BLOCK + 1
    size = cell * BLOCK
    changes = 0
    for s in range(1024):
        a = s * (n - 1) // 1024
        b = a + 1
        if idx is not None:
            a = idx[a]
            b = idx[b]
        if _block_key(px[a], py[a], x0, y0, size, nbx, nby) != _block_key(px[b], py[b], x0, y0, size, nbx, nby):
            changes += 1
    return changes >= 256


@njit(cache=True, nogil=True)
def _block_order(px, py, idx, x0, y0, cell, ncx, ncy):
    """The points ``idx`` by blocks of ``BLOCK x BLOCK`` cells (a stable counting sort)."""
    n = idx.size
    nbx = ncx // BLOCK + 1
    nby = ncy // BLOCK + 1
    size = cell * BLOCK
    key = np.empty(n, np.int64)
    start = np.zeros(nbx * nby + 1, np.int64)
    for k in range(n):
        key[k] = _block_key(px[idx[k]], py[idx[k]], x0, y0, size, nbx, nby)
        start[key[k] + 1] += 1
    for b in range(nbx * nby):
        start[b + 1] += start[b]
    order = np.empty(n, np.int64)
    for k in range(n):
        order[start[key[k]]] = idx[k]
        start[key[k]] += 1
    return order


@njit(cache=True, nogil=True, inline="always")
def _cell_of(cx, cy, tile_id, ntx, ncx):
    """Record of the grid cell ``(cx, cy)`` in ``cells`` (-1 in an empty tile)."""
    if tile_id.size == 0:
        return cy * ncx + cx
    tid = tile_id[(cy >> 3) * ntx + (cx >> 3)]
    if tid < 0:
        return np.int64(-1)
    return tid * 64 + ((cy & 7) << 3) + (cx & 7)


@njit(cache=True, nogil=True, inline="always")
def _end_bit(x, y):
    """Bit (0-54) of a point in its cell's end point mask: equal points, equal bits."""
    h = (np.int64(x * 1024.0) * 31 + np.int64(y * 1024.0)) % 55
    return h + 55 if h < 0 else h


@njit(cache=True, nogil=True)
def _end_masks(cells, ends):
    """Set in ``cells[p, 1]`` (above its 8 bits of radius) the bits (:func:`_end_bit`) of the end
    points listed in record ``p``."""
    for p in range(cells.shape[0] - 1):
        mask = np.int64(0)
        for e in range(cells[p, 2], cells[p + 1, 2]):
            mask |= np.int64(1) << _end_bit(ends[e, 0], ends[e, 1])
        cells[p, 1] |= mask << 8


@njit(cache=True, nogil=True, inline="always")
def _listed(ends, start, stop, x, y):
    """Row of ``ends[start:stop]`` at exactly ``(x, y)``, or -1."""
    for e in range(start, stop):
        if ends[e, 0] == x and ends[e, 1] == y:
            return e
    return -1


@njit(cache=True, nogil=True, inline="always")
def _end_hash(x, y):
    """64-bit hash of the coordinates ``(x, y)`` (equal coordinates, equal hashes): their mm grid
    mixed by the splitmix64 finaliser, so that points on a regular lattice spread evenly."""
    h = np.uint64(np.int64(x * 1024.0)) * np.uint64(0x9E3779B97F4A7C15) ^ np.uint64(np.int64(y * 1024.0))
    h = (h ^ (h >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    h = (h ^ (h >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


@njit(cache=True, nogil=True, inline="always")
def _end_row(table, bits, ends, x, y):
    """Row of ``ends`` at exactly ``(x, y)`` (found in the hash ``table``), or -1; the filter
    ``bits`` answers for most other points without reading the table."""
    h = _end_hash(x, y)
    b = (h >> np.uint64(32)) & np.uint64(bits.size * 64 - 1)
    if not (bits[b >> np.uint64(6)] >> (b & np.uint64(63))) & np.uint64(1):
        return np.int64(-1)
    mask = table.size - 1
    s = np.int64(h & np.uint64(mask))
    while True:
        e = table[s]
        if e < 0 or (ends[e, 0] == x and ends[e, 1] == y):
            return np.int64(e)
        s = (s + 1) & mask


@njit(cache=True, nogil=True)
def _end_table(ex, ey):
    """Hash table and filter (:attr:`SnapGrid.end_table`, :attr:`SnapGrid.end_bits`) of the
    distinct points ``(ex, ey)``, rows numbered in order."""
    size = 2
    while size < 2 * ex.size:
        size *= 2
    table = np.full(size, -1, np.int32)
    bits = np.zeros(max(size * END_BITS // 64, 1), np.uint64)
    for e in range(ex.size):
        h = _end_hash(ex[e], ey[e])
        s = np.int64(h & np.uint64(size - 1))
        while table[s] >= 0:
            s = (s + 1) & (size - 1)
        table[s] = e
        b = (h >> np.uint64(32)) & np.uint64(bits.size * 64 - 1)
        bits[b >> np.uint64(6)] |= np.uint64(1) << (b & np.uint64(63))
    return table, bits


@njit(cache=True, nogil=True, inline="always")
def _take_listed(e, i, ends, max_dist, seg, frac, dist):
    """Give point ``i`` the result of end point ``e`` (a row of ``ends``, -1 for none) when it is
    within ``max_dist``; whether it did."""
    if e < 0 or ends[e, 4] > max_dist:
        return False
    seg[i] = np.int64(ends[e, 2])
    frac[i] = ends[e, 3]
    dist[i] = ends[e, 4]
    return True


@njit(cache=True, nogil=True)
def _some_end_points(px, py, table, bits, ends):
    """Whether any of ``END_SAMPLE`` points spread over the input is a listed end point (if
    none is, scattered points are not looked up one by one in the hash table)."""
    n = px.size
    k = min(n, END_SAMPLE)
    for s in range(k):
        i = s * n // k
        if _end_row(table, bits, ends, px[i], py[i]) >= 0:
            return True
    return False


@njit(cache=True, nogil=True)
def _cell_index(px, py, tile_id, ntx, x0, y0, cell, ncx, ncy):
    """Record in ``cells`` of each point's cell (-1 outside the grid or in an empty tile)."""
    out = np.full(px.size, -1, np.int64)
    for i in range(px.size):
        cx = int(np.floor((px[i] - x0) / cell))
        cy = int(np.floor((py[i] - y0) / cell))
        if 0 <= cx < ncx and 0 <= cy < ncy:
            out[i] = _cell_of(cx, cy, tile_id, ntx, ncx)
    return out


@njit(cache=True, nogil=True)
def _distinct_by_cell(px, py, cell, ptr):
    """Distinct points (first occurrence) grouped by cell, in input order within a cell
    (counting sort; duplicates are found among the points of the same cell). ``ptr`` (one per
    cell record, plus one) receives where each cell's points start. Points with cell -1 are
    left out."""
    n_cells = ptr.size - 1
    count = np.zeros(n_cells + 1, np.int64)
    for i in range(px.size):
        if cell[i] >= 0:
            count[cell[i] + 1] += 1
    for c in range(n_cells):
        count[c + 1] += count[c]
    slot = np.empty(count[n_cells], np.int64)
    fill = count[:-1].copy()
    for i in range(px.size):
        if cell[i] >= 0:
            slot[fill[cell[i]]] = i
            fill[cell[i]] += 1
    out = np.empty(slot.size, np.int64)
    m = 0
    for c in range(n_cells):
        ptr[c] = m
        first = m
        for k in range(count[c], count[c + 1]):
            i = slot[k]
            seen = False
            for j in range(first, m):
                if px[out[j]] == px[i] and py[out[j]] == py[i]:
                    seen = True
                    break
            if not seen:
                out[m] = i
                m += 1
    ptr[n_cells] = m
    return out[:m].copy()


@njit(cache=True, nogil=True)
def nearest_pieces(px, py, tile_id, tile_radius, ntx, cells, ent, piece_rec, ends, end_table, end_bits, x0, y0, cell,
                   ncx, ncy, max_dist):
    """Nearest straight piece of any segment for each point, by ring search on the grid.

    Parameters
    ----------
    px, py : float64 arrays
        Point coordinates.
    tile_id, tile_radius, ntx, cells, ent, piece_rec, ends, end_table, end_bits
        The arrays of a :class:`SnapGrid` (``ntx`` tiles per row).
    x0, y0, cell : float
        Grid origin and cell size; ``ncx``, ``ncy`` cells per axis.
    max_dist : float
        Search radius; points with no piece within it get segment -1.

    Returns
    -------
    segment : int64 array
        Nearest segment (-1 beyond ``max_dist``); ties go to the lowest segment, then to its
        lowest piece.
    fraction : float64 array
        Position of the projection along the segment (0 at its start, 1 at its end; within
        1e-9 of either end it is exactly 0 or 1); NaN when not snapped.
    distance : float64 array
        Distance from the point to the segment; NaN when not snapped.

    Notes
    -----
    A piece is listed in every cell its bounding box overlaps, so a piece not met after ring
    ``k`` around the point's cell lies wholly outside that block of cells, at least as far as
    the block's border; the search stops once the best distance is strictly below that bound
    (an unvisited piece at the same distance might have a lower index). Rings inside the
    cell's empty radius hold no entry and are skipped. A point at the very coordinates of an
    end point listed in its cell takes that end point's result (computed by this search) when
    it is within ``max_dist``. Scattered points are first looked up in the end points' hash
    table, and the others are searched block by block.
    """
    n = px.size
    seg = np.full(n, -1, np.int64)
    frac = np.full(n, np.nan)
    dist = np.full(n, np.nan)
    max_ring = int(np.ceil(max_dist / cell)) + 1
    dense = tile_id.size == 0
    # points in order are searched in order; scattered ones are first looked up among the end
    # points (when a sample holds any), and the others searched by blocks while still scattered
    # (the cells' lists then serve only points not already looked up in the table)
    order = np.empty(0, np.int64)
    m = n
    looked_up = False
    if _scattered(px, py, None, x0, y0, cell, ncx, ncy):
        order = np.arange(n)
        if _some_end_points(px, py, end_table, end_bits, ends):
            looked_up = True
            m = 0
            for i in range(n):
                if not _take_listed(_end_row(end_table, end_bits, ends, px[i], py[i]), i, ends, max_dist, seg, frac,
                                    dist):
                    order[m] = i
                    m += 1
            order = order[:m]
        if _scattered(px, py, order, x0, y0, cell, ncx, ncy):
            order = _block_order(px, py, order, x0, y0, cell, ncx, ncy)
    in_order = order.size == 0
    for j in range(m):
        i = j if in_order else order[j]
        x = px[i]
        y = py[i]
        cx = int(np.floor((x - x0) / cell))
        cy = int(np.floor((y - y0) / cell))
        # distance from the point to the border of its own cell
        inner = min(x - (x0 + cx * cell), x0 + (cx + 1) * cell - x, y - (y0 + cy * cell), y0 + (cy + 1) * cell - y)
        if inner < 0.0:
            inner = 0.0
        if 0 <= cx < ncx and 0 <= cy < ncy:
            c = _cell_of(cx, cy, tile_id, ntx, ncx)
            k0 = cells[c, 1] & 255 if c >= 0 else np.int64(tile_radius[(cy >> 3) * ntx + (cx >> 3)])
            if not looked_up and c >= 0 and (cells[c, 1] >> (8 + _end_bit(x, y))) & 1:   # maybe an end point
                if _take_listed(_listed(ends, cells[c, 2], cells[c + 1, 2], x, y), i, ends, max_dist, seg, frac, dist):
                    continue
        else:                                 # outside the grid: the rings that miss it are empty
            k0 = max(-cx, cx - (ncx - 1), -cy, cy - (ncy - 1))
        best = np.inf
        best2 = np.inf
        bseg = -1
        bpiece = -1
        bt = 0.0
        for k in range(k0, max_ring + 1):
            gy0 = max(cy - k, 0)
            gy1 = min(cy + k, ncy - 1)
            for gy in range(gy0, gy1 + 1):
                # distance from the point to the row of cells (0 inside it)
                ry = max(y0 + gy * cell - y, y - (y0 + (gy + 1) * cell), 0.0) if k else 0.0
                if ry > best + _PRUNE_M:
                    continue
                edge_row = gy == cy - k or gy == cy + k
                step = 1 if edge_row else 2 * k
                gx = cx - k
                if edge_row and gx < 0:
                    gx = 0
                gx_end = cx + k
                if edge_row and gx_end > ncx - 1:
                    gx_end = ncx - 1
                while gx <= gx_end:
                    if 0 <= gx < ncx:
                        rx = max(x0 + gx * cell - x, x - (x0 + (gx + 1) * cell), 0.0) if k else 0.0
                        # a cell wholly farther than the best distance (plus a margin far above
                        # rounding) holds no piece that could win, not even a tie
                        lim = best + _PRUNE_M
                        if rx > lim or rx * rx + ry * ry > lim * lim:
                            if step == 0:
                                break
                            gx += step
                            continue
                        if dense:
                            c = gy * ncx + gx
                        else:
                            tid = tile_id[(gy >> 3) * ntx + (gx >> 3)]
                            if tid < 0:
                                if step == 0:
                                    break
                                gx += step
                                continue
                            c = tid * 64 + ((gy & 7) << 3) + (gx & 7)
                        for q in range(cells[c, 0], cells[c + 1, 0]):
                            d2, t = _piece_d2(ent, q, x, y)
                            if d2 > best2:        # certainly farther than best: no square root
                                continue
                            d = np.sqrt(d2)
                            if d <= best:
                                s = np.int64(ent[q, 4])
                                pq = np.int64(ent[q, 5])
                                if d < best or s < bseg or (s == bseg and pq < bpiece):
                                    best = d
                                    # above this squared distance sqrt() exceeds best (margin >> rounding)
                                    best2 = d2 * (1.0 + 1e-9) + 1e-300
                                    bseg = s
                                    bpiece = pq
                                    bt = t
                    if step == 0:
                        break
                    gx += step
            if best < inner + k * cell:
                break
        if bseg >= 0 and best <= max_dist:
            seg[i] = bseg
            dist[i] = best
            L = piece_rec[bpiece, 2]        # the length of segment bseg
            f = 0.0
            if L > 0:
                f = (piece_rec[bpiece, 0] + bt * piece_rec[bpiece, 1]) / L
                # a point at a segment's end is at its node: no rounding residue at 0 or 1
                if f < 1e-9:
                    f = 0.0
                elif f > 1.0 - 1e-9:
                    f = 1.0
            frac[i] = f
    return seg, frac, dist


#: At most this many blocks of tiles are listed for :func:`far_distances`.
_FAR_BLOCKS = 1024


@njit(cache=True, nogil=True)
def _far_blocks(tile_radius, ntx, nty):
    """Blocks of ``b x b`` tiles holding a piece (``b`` the smallest power of two giving at most
    ``_FAR_BLOCKS`` blocks over the grid): ``(b, array of (block column, block row))``."""
    b = 1
    while ((ntx + b - 1) // b) * ((nty + b - 1) // b) > _FAR_BLOCKS:
        b *= 2
    nbx = (ntx + b - 1) // b
    nby = (nty + b - 1) // b
    full = np.zeros(nbx * nby, np.bool_)
    for ty in range(nty):
        for tx in range(ntx):
            if tile_radius[ty * ntx + tx] == 0:
                full[(ty // b) * nbx + tx // b] = True
    out = np.empty((full.sum(), 2), np.int64)
    m = 0
    for k in range(nbx * nby):
        if full[k]:
            out[m, 0] = k % nbx
            out[m, 1] = k // nbx
            m += 1
    return b, out


@njit(cache=True, nogil=True, inline="always")
def _piece_d2(ent, q, x, y):
    """Squared distance from ``(x, y)`` to the straight piece of index entry ``q`` (start
    ``ent[q, 0:2]``, direction ``ent[q, 2:4]``), and the position ``t`` in [0, 1] of its nearest
    point along the piece."""
    ax = ent[q, 0]
    ay = ent[q, 1]
    dx = ent[q, 2]
    dy = ent[q, 3]
    ll = dx * dx + dy * dy
    t = 0.0
    if ll > 0:            # clamped without branches (as predictable as it gets)
        t = min(max(((x - ax) * dx + (y - ay) * dy) / ll, 0.0), 1.0)
    qx = ax + t * dx - x
    qy = ay + t * dy - y
    return qx * qx + qy * qy, t


@njit(cache=True, nogil=True, inline="always")
def _box_distance(x, y, xa, ya, size):
    """Distance from ``(x, y)`` to the square of side ``size`` with lower corner ``(xa, ya)``."""
    dx = max(xa - x, x - (xa + size), 0.0)
    dy = max(ya - y, y - (ya + size), 0.0)
    return np.sqrt(dx * dx + dy * dy)


@njit(cache=True, nogil=True, inline="always")
def _block_best(x, y, bx, by, b, best, tile_id, tile_radius, ntx, cells, ent, x0, y0, cell, ncx, ncy):
    """``best`` lowered to the distance of any nearer piece listed in block ``(bx, by)``; tiles
    and cells wholly farther than ``best`` (plus ``_PRUNE_M``) are not read."""
    tsize = TILE * cell
    nty = (ncy + TILE - 1) // TILE
    for ty in range(by * b, min((by + 1) * b, nty)):
        for tx in range(bx * b, min((bx + 1) * b, ntx)):
            if tile_radius[ty * ntx + tx] != 0 or _box_distance(x, y, x0 + tx * tsize, y0 + ty * tsize,
                                                                 tsize) > best + _PRUNE_M:
                continue
            for gy in range(ty * TILE, min((ty + 1) * TILE, ncy)):
                for gx in range(tx * TILE, min((tx + 1) * TILE, ncx)):
                    if _box_distance(x, y, x0 + gx * cell, y0 + gy * cell, cell) > best + _PRUNE_M:
                        continue
                    c = _cell_of(gx, gy, tile_id, ntx, ncx)
                    for q in range(cells[c, 0], cells[c + 1, 0]):
                        d = np.sqrt(_piece_d2(ent, q, x, y)[0])
                        if d < best:
                            best = d
    return best


@njit(cache=True, nogil=True)
def far_distances(px, py, blocks, b, tile_id, tile_radius, ntx, cells, ent, x0, y0, cell, ncx, ncy):
    """Distance from each point to the nearest piece, without a search radius.

    Parameters
    ----------
    px, py : float64 arrays
        Point coordinates.
    blocks, b : arrays, int
        ``SnapGrid.far_blocks`` and ``far_block``: the blocks of ``b x b`` tiles holding a piece.
    tile_id, tile_radius, ntx, cells, ent, x0, y0, cell, ncx, ncy
        The grid, as for :func:`nearest_pieces`.

    Returns
    -------
    float64 array
        The distance, computed as in :func:`nearest_pieces` (NaN without blocks).

    Notes
    -----
    For the points beyond the snap maximum, which the ring search of :func:`nearest_pieces`
    would reach only through many rings of cells. Per point: the distance to every listed
    block's square, the nearest block searched first, then every block whose square is within
    the best distance found (inside a block, only tiles holding a piece and cells within the
    best distance are read). Exact: a piece is listed in every cell its bounding box overlaps,
    among them the cell holding its point nearest to the query, and that cell's block and tile
    are no farther than the piece.
    """
    n = px.size
    nb = blocks.shape[0]
    out = np.full(n, np.nan)
    if nb == 0:
        return out
    bsize = b * TILE * cell
    dblock = np.empty(nb)
    for i in range(n):
        x = px[i]
        y = py[i]
        first = 0
        for k in range(nb):
            dblock[k] = _box_distance(x, y, x0 + blocks[k, 0] * bsize, y0 + blocks[k, 1] * bsize, bsize)
            if dblock[k] < dblock[first]:
                first = k
        best = _block_best(x, y, blocks[first, 0], blocks[first, 1], b, np.inf, tile_id, tile_radius, ntx, cells,
                           ent, x0, y0, cell, ncx, ncy)
        for k in range(nb):
            if k != first and dblock[k] <= best + _PRUNE_M:
                best = _block_best(x, y, blocks[k, 0], blocks[k, 1], b, best, tile_id, tile_radius, ntx, cells, ent,
                                   x0, y0, cell, ncx, ncy)
        out[i] = best
    return out
