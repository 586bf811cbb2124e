"""Readers of the published capacitated p-median benchmark instances.

Two families are read into plain arrays (no geometry):

* Lorena & Senne (2004) São José dos Campos instances ``SJC1`` … ``SJC4b``
  (:func:`read_sjc_cpmp`): first line ``n p``, then ``n`` lines ``x y capacity demand``; the cost
  is the real Euclidean distance in metres (not rounded).
* OR-Library ``pmedcap1`` (Osman & Christofides 1994; :func:`read_pmedcap`): 20 problems, each
  ``id best``, ``n p capacity``, then ``n`` lines ``id x y demand``; the cost is the Euclidean
  distance **floored** to an integer.

In both, every point is a demand point and a candidate site, the objective is the plain sum of
assignment costs (demand only loads capacity), assignment is single-source and exactly ``p``
sites open.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from planning._errors import InputError

__all__ = ["CapacitatedInstance", "read_sjc_cpmp", "read_pmedcap"]


@dataclass(frozen=True)
class CapacitatedInstance:
    """One capacitated p-median instance.

    Attributes
    ----------
    name : str
        Instance name (``"SJC1"``, ``"pmedcap1-03"``).
    x, y : numpy.ndarray
        Coordinates of the points (metres for SJC; plane units for pmedcap).
    demand : numpy.ndarray
        Demand of each point (loads the capacity of the site it is assigned to).
    capacity : numpy.ndarray
        Capacity of each point as a candidate site.
    p : int
        Number of sites to open.
    cost : numpy.ndarray
        ``n × n`` assignment cost (demand point × candidate site).
    best_known : float or None
        Optimum stated in the file (pmedcap) or ``None`` (SJC: see the benchmark README).
    """

    name: str
    x: np.ndarray
    y: np.ndarray
    demand: np.ndarray
    capacity: np.ndarray
    p: int
    cost: np.ndarray
    best_known: float | None = None

    @property
    def n(self) -> int:
        """Number of points."""
        return int(self.demand.shape[0])


def _euclidean(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    dx = x[:, None] - x[None, :]
    dy = y[:, None] - y[None, :]
    return np.sqrt(dx * dx + dy * dy)


def _numbers(path: Path) -> list[str]:
    if not path.is_file():
        raise InputError(f"instance file '{path}'", [f"file not found: {path}; check the path"])
    return path.read_text(encoding="ascii").split()


def read_sjc_cpmp(path: str | Path) -> CapacitatedInstance:
    """Read a Lorena & Senne SJC capacitated p-median instance.

    Parameters
    ----------
    path : str or pathlib.Path
        ``SJC1.dat`` … ``SJC4b.dat``.

    Returns
    -------
    CapacitatedInstance
        Cost = Euclidean distance in metres (float, not rounded).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "toy.dat"
    >>> _ = f.write_text("2 1\\n0 0 10 3\\n3 4 10 5\\n")
    >>> inst = read_sjc_cpmp(f)
    >>> float(inst.cost[0, 1]), inst.p
    (5.0, 1)
    """
    path = Path(path)
    tokens = _numbers(path)
    problems: list[str] = []
    try:
        n, p = int(tokens[0]), int(tokens[1])
    except (IndexError, ValueError):
        raise InputError(f"SJC instance '{path}'", ["first line must be 'n p' (two integers)"]) from None
    body = tokens[2:]
    if len(body) != 4 * n:
        problems.append(f"expected {n} lines of 'x y capacity demand' ({4 * n} numbers), got {len(body)} numbers")
    if problems:
        raise InputError(f"SJC instance '{path}'", problems)
    rows = np.array(body, dtype=float).reshape(n, 4)
    x, y, capacity, demand = rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3]
    return CapacitatedInstance(
        name=path.stem, x=x, y=y, demand=demand, capacity=capacity, p=p, cost=_euclidean(x, y)
    )


def read_pmedcap(path: str | Path) -> list[CapacitatedInstance]:
    """Read the OR-Library ``pmedcap1.txt`` file (20 capacitated p-median problems).

    Parameters
    ----------
    path : str or pathlib.Path
        ``pmedcap1.txt``.

    Returns
    -------
    list of CapacitatedInstance
        In file order, named ``pmedcap1-01`` … ``pmedcap1-20``; cost = Euclidean distance
        floored to an integer; every site has the problem's capacity; ``best_known`` from the file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "toy.txt"
    >>> _ = f.write_text("1\\n 1 5\\n 2 1 10\\n 1 0 0 4\\n 2 3 4 5\\n")
    >>> [inst] = read_pmedcap(f)
    >>> float(inst.cost[1, 0]), inst.best_known
    (5.0, 5.0)
    """
    path = Path(path)
    tokens = _numbers(path)
    where = f"pmedcap file '{path}'"
    try:
        count = int(tokens[0])
    except (IndexError, ValueError):
        raise InputError(where, ["first number must be the problem count"]) from None
    pos = 1
    out: list[CapacitatedInstance] = []
    for k in range(count):
        head = tokens[pos : pos + 5]
        if len(head) < 5:
            raise InputError(where, [f"problem {k + 1}: header 'id best' / 'n p capacity' is truncated"])
        best = float(head[1])
        n, p, cap = int(head[2]), int(head[3]), float(head[4])
        pos += 5
        body = tokens[pos : pos + 4 * n]
        if len(body) != 4 * n:
            raise InputError(where, [f"problem {k + 1}: expected {n} lines 'id x y demand', file ends early"])
        pos += 4 * n
        rows = np.array(body, dtype=float).reshape(n, 4)
        x, y, demand = rows[:, 1], rows[:, 2], rows[:, 3]
        out.append(
            CapacitatedInstance(
                name=f"pmedcap1-{k + 1:02d}",
                x=x,
                y=y,
                demand=demand,
                capacity=np.full(n, cap),
                p=p,
                cost=np.floor(_euclidean(x, y)),
                best_known=best,
            )
        )
    return out
