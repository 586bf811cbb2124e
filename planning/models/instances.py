"""Readers of published facility-location benchmark instances (for tests and benchmarks).

- OR-Library uncapacitated p-median ``pmed1 … pmed40`` (Beasley 1990) and its optima files
  ``pmedopt.txt`` / ``kcenteropt.txt``;
- Swain's 55-node data (Church & ReVelle 1974);
- Lorena's São José dos Campos MCLP instances (``SJC<n>.txt`` + ``demand-SJC<n>.dat``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.sparse.csgraph import shortest_path

from planning._errors import InputError

__all__ = ["read_pmed", "read_optima", "read_swain", "read_sjc_mclp", "euclidean"]


def read_pmed(path: str | Path) -> tuple[np.ndarray, int]:
    """Read an OR-Library ``pmedN.txt``: all-pairs shortest-path costs and ``p``.

    The file is ``n m p`` then ``m`` undirected edges ``i j cost`` (1-based). A repeated edge
    keeps its **last** cost (the convention behind the published optima).

    Returns
    -------
    cost : ndarray, shape (n, n)
        Shortest-path costs (every vertex is a client of weight 1 and a candidate).
    p : int
    """
    tokens = Path(path).read_text().split()
    if len(tokens) < 3:
        raise InputError(f"OR-Library file {path}", ["expected 'n m p' on the first line"])
    n, m, p = (int(t) for t in tokens[:3])
    edges = np.asarray(tokens[3 : 3 + 3 * m], dtype=np.int64).reshape(-1, 3)
    if edges.shape[0] != m:
        raise InputError(f"OR-Library file {path}", [f"header says {m} edges but {edges.shape[0]} were found"])
    graph = np.full((n, n), np.inf)
    np.fill_diagonal(graph, 0.0)
    i, j, c = edges[:, 0] - 1, edges[:, 1] - 1, edges[:, 2].astype(np.float64)
    graph[i, j] = c  # numpy fancy assignment keeps the last value of repeated indices
    graph[j, i] = c
    # a repeated edge in the opposite orientation: re-apply in file order so the last wins
    for a, b, w in zip(i.tolist(), j.tolist(), c.tolist()):
        graph[a, b] = w
        graph[b, a] = w
    dense = np.where(np.isfinite(graph), graph, 0.0)
    np.fill_diagonal(dense, 0.0)
    from scipy import sparse

    mask = np.isfinite(graph) & ~np.eye(n, dtype=bool)
    g = sparse.csr_array((graph[mask], np.nonzero(mask)), shape=(n, n))
    return shortest_path(g, method="D", directed=False), p


def read_optima(path: str | Path) -> dict[str, float]:
    """Read ``name value`` lines (``pmedopt.txt``, ``kcenteropt.txt``)."""
    out = {}
    for line in Path(path).read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2:
            try:
                out[parts[0]] = float(parts[1])
            except ValueError:
                continue  # a header line
    return out


def euclidean(xy: np.ndarray) -> np.ndarray:
    """Pairwise Euclidean distances of points ``xy`` (n × 2)."""
    diff = xy[:, None, :] - xy[None, :, :]
    return np.sqrt((diff**2).sum(axis=2))


def read_swain(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Read Swain's ``swain.dat`` (CSV ``id, x, y, population``): Euclidean costs and weights."""
    rows = []
    for line in Path(path).read_text().splitlines():
        parts = [p.strip() for p in line.split(",") if p.strip()]
        if len(parts) >= 4:
            rows.append([float(v) for v in parts[1:4]])
    arr = np.asarray(rows)
    return euclidean(arr[:, :2]), arr[:, 2]


def read_sjc_mclp(directory: str | Path, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Read Lorena's ``SJC<n>.txt`` and ``demand-SJC<n>.dat``: Euclidean costs (m) and demands."""
    directory = Path(directory)
    tokens = (directory / f"SJC{n}.txt").read_text().split()
    count = int(tokens[0])
    xy = np.asarray(tokens[1 : 1 + 2 * count], dtype=np.float64).reshape(-1, 2)
    demand = np.asarray((directory / f"demand-SJC{n}.dat").read_text().split()[:count], dtype=np.float64)
    if xy.shape[0] != count or demand.shape[0] != count:
        raise InputError(f"SJC{n}", [f"expected {count} points and demands; got {xy.shape[0]} and {demand.shape[0]}"])
    return euclidean(xy), demand
