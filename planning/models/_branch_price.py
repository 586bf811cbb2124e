"""Branch-and-price for the single-source capacitated p-median problem.

Internal module of :mod:`planning.models.capacitated`. The knapsack Lagrangian of
:mod:`planning.models._lagrangian` is the bound of the set-partitioning (Dantzig–Wolfe) master::

    min  Σ_{j,k} c_jk z_jk
    s.t. Σ_{j,k} a_ijk z_jk = 1   (λ_i)   every demand point in exactly one chosen column
         Σ_{j,k} z_jk = p         (μ)     p columns (sites)
         Σ_k z_jk ≤ 1             (π_j)   at most one column per site
         z ≥ 0

where a column ``k`` of site ``j`` is a set of demand points fitting ``Q_j``. Pricing is one 0-1
knapsack per site (exact dynamic programming). On instances where that bound is not tight
(OR-Library pmedcap1 problem 20: bound 973.65, optimum 1,005), branching is needed: the tree
branches first on a site (``y_j`` = columns of site ``j`` in the LP; open / closed) and then on a
pair (``x_ij``; ``i`` served by ``j`` / not by ``j``), both enforced in the pricing, and every node
is bounded by its own column generation. Column generation prices at a smoothed dual point
(Wentges: a convex combination of the best Lagrangian multipliers and the LP duals), and the
Lagrangian bound of every priced point is a valid node bound, so a node is pruned as soon as it
reaches the incumbent, before the LP has converged. Nodes are explored best bound first; each LP
solution's most used sites are made feasible by the heuristics of ``_lagrangian`` (upper bound).
"""

from __future__ import annotations

import heapq
import math
import time
from dataclasses import dataclass, field

import numpy as np
from numba import njit

from planning.models import _lagrangian as lr

#: Wentges smoothing: separation point = SMOOTH · best multipliers + (1 − SMOOTH) · LP duals.
SMOOTH = 0.7
#: LP values within this of 0 or 1 count as integral.
INT_TOL = 1e-6
#: Rounds of reduced-cost fixing (each followed by re-solving the LP) per node.
MAX_FIX_ROUNDS = 3
#: HiGHS simplex for the master: dual (1); primal (4) was far slower on SJC4a.
SIMPLEX_STRATEGY = 1


@njit(cache=True)
def price_sites(lam, C, allowed, forced_at, d_int, q_int, site_ok, v_out, x_out):  # pragma: no cover - numba
    """Best column of every site at multipliers ``lam`` under the node's branching decisions.

    ``allowed[i, j]``: pair usable at the node (finite cost, not forbidden, ``i`` not forced to
    another site); ``forced_at[i]``: the site ``i`` is forced to, or −1; ``site_ok[j]``: site not
    closed. Writes ``v_out[j] = min Σ_{i∈S} (C_ij − λ_i)`` over the knapsack sets ``S`` of site ``j``
    (``inf`` for a closed site or one whose forced points exceed its capacity) and the set to
    ``x_out[j]``.
    """
    n, m = C.shape
    prof = np.empty(n)
    wts = np.empty(n, dtype=np.int64)
    idx = np.empty(n, dtype=np.int64)
    xb = np.empty(n)
    for j in range(m):
        for i in range(n):
            x_out[j, i] = False
        if not site_ok[j]:
            v_out[j] = np.inf
            continue
        base = 0.0
        cap = q_int[j]
        for i in range(n):
            if forced_at[i] == j:
                base += C[i, j] - lam[i]
                cap -= d_int[i]
                x_out[j, i] = True
        if cap < 0:
            v_out[j] = np.inf
            continue
        k = 0
        for i in range(n):
            if allowed[i, j] and forced_at[i] != j:
                pr = lam[i] - C[i, j]
                if pr > 0.0 and d_int[i] <= cap:
                    idx[k] = i
                    prof[k] = pr
                    wts[k] = d_int[i]
                    k += 1
        val = 0.0
        if k > 0:
            val = lr._knap_dp_solve(prof[:k], wts[:k], cap, xb[:k])
            for t in range(k):
                if xb[t] > 0.5:
                    x_out[j, idx[t]] = True
        v_out[j] = base - val


@dataclass
class Node:
    """One node of the tree: its bound and branching (and fixing) decisions."""

    lb: float
    depth: int
    allowed: np.ndarray  # (n, m) bool: pair usable (not forbidden, not fixed, point not forced elsewhere)
    forced_at: np.ndarray  # (n,) site the point is forced to, or -1
    site_ok: np.ndarray  # (m,) bool: site not closed
    must: np.ndarray  # (m,) bool: site open (fixed, branched open, or holding a forced point)
    lam: np.ndarray  # multipliers to start from


@dataclass
class BranchPriceResult:
    """Outcome of :func:`branch_and_price`."""

    lb: float
    ub: float
    sites: np.ndarray | None
    assign: np.ndarray | None
    nodes: int
    columns: int
    root_bound: float
    finished: bool
    gave_up: bool


class _Master:
    """Set-partitioning master LP in HiGHS with a growing column pool."""

    def __init__(self, prob: lr.Problem, big_m: float) -> None:
        import highspy

        self.hs = highspy
        self.prob = prob
        n, m = prob.n, prob.m
        self.n, self.m = n, m
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("random_seed", 0)
        h.setOptionValue("presolve", "off")
        h.setOptionValue("simplex_strategy", SIMPLEX_STRATEGY)
        inf = highspy.kHighsInf
        lower = np.concatenate([np.ones(n), [float(prob.p)], np.full(m, -inf)])
        upper = np.concatenate([np.ones(n), [float(prob.p)], np.ones(m)])
        h.addRows(n + 1 + m, lower, upper, 0, np.zeros(1, np.int32), np.zeros(0, np.int32), np.zeros(0))
        # artificial columns keep every node's LP feasible; their cost makes such a node prunable
        idx = np.arange(n + 1, dtype=np.int32)
        h.addCols(
            n + 1, np.full(n + 1, big_m), np.zeros(n + 1), np.full(n + 1, inf), n + 1,
            np.arange(n + 1, dtype=np.int32), idx, np.ones(n + 1),
        )
        self.h = h
        self.big_m = big_m
        self.n_art = n + 1
        self.col_site = np.zeros(0, dtype=np.int64)
        self.col_cost = np.zeros(0)
        self.members = np.zeros((0, n), dtype=bool)
        self.count = 0
        self.keys: set[bytes] = set()

    def add(self, sites: np.ndarray, sets: np.ndarray) -> int:
        """Add columns (site, member mask) not yet in the pool; returns how many were added."""
        new_sites, new_sets = [], []
        for j, s in zip(sites, sets):
            key = int(j).to_bytes(4, "little") + np.packbits(s).tobytes()
            if key in self.keys:
                continue
            self.keys.add(key)
            new_sites.append(int(j))
            new_sets.append(s)
        if not new_sites:
            return 0
        js = np.asarray(new_sites, dtype=np.int64)
        mem = np.asarray(new_sets, dtype=bool)
        costs = np.array([float(self.prob.C[s, j].sum()) for j, s in zip(js, mem)])
        starts, index, value = [], [], []
        pos = 0
        for j, s in zip(js, mem):
            rows = np.concatenate([np.flatnonzero(s), [self.n, self.n + 1 + j]]).astype(np.int32)
            starts.append(pos)
            index.append(rows)
            value.append(np.ones(len(rows)))
            pos += len(rows)
        self.h.addCols(
            len(js), costs, np.zeros(len(js)), np.full(len(js), self.hs.kHighsInf), pos,
            np.asarray(starts, dtype=np.int32), np.concatenate(index), np.concatenate(value),
        )
        self.col_site = np.concatenate([self.col_site, js])
        self.col_cost = np.concatenate([self.col_cost, costs])
        self.members = np.vstack([self.members, mem])
        self.count += len(js)
        return len(js)

    def set_node(self, node: Node) -> None:
        """Column and row bounds of a node's decisions."""
        if self.count:
            sites = self.col_site
            ok = node.site_ok[sites]
            ok &= ~(self.members & ~node.allowed[:, sites].T).any(axis=1)
            forced = node.forced_at[None, :] == sites[:, None]
            ok &= ~(forced & ~self.members).any(axis=1)
            upper = np.where(ok, self.hs.kHighsInf, 0.0)
            idx = self.n_art + np.arange(self.count, dtype=np.int32)
            self.h.changeColsBounds(self.count, idx, np.zeros(self.count), upper)
        rows = (self.n + 1 + np.arange(self.m)).astype(np.int32)
        self.h.changeRowsBounds(
            self.m, rows, np.where(node.must, 1.0, -self.hs.kHighsInf), np.where(node.site_ok, 1.0, 0.0)
        )

    def solve(self) -> tuple[float, np.ndarray, float, np.ndarray, np.ndarray]:
        """LP value, λ, μ, π and the primal column values (pool columns only)."""
        self.h.run()
        sol = self.h.getSolution()
        dual = np.asarray(sol.row_dual)
        value = float(self.h.getInfo().objective_function_value)
        z = np.asarray(sol.col_value)
        return value, dual[: self.n], float(dual[self.n]), dual[self.n + 1 :], z


@njit(cache=True)
def pair_values(lam, C, allowed, forced_at, d_int, q_int, site_ok, v, out):  # pragma: no cover - numba
    """Lower bound on site ``j``'s column value when it must contain point ``i``, per pair.

    With ``F_j(w)`` the largest knapsack profit at capacity ``w`` over the site's positive
    items (an upper bound when ``i`` is left out), the value with ``i`` in is at least
    ``max(v_j, (C_ij − λ_i) − F_j(Q_j − d_i))``; ``inf`` where the pair is unusable.
    """
    n, m = C.shape
    for j in range(m):
        for i in range(n):
            out[i, j] = np.inf
        if not site_ok[j] or not v[j] < np.inf:
            continue
        base = 0.0
        cap = q_int[j]
        for i in range(n):
            if forced_at[i] == j:
                base += C[i, j] - lam[i]
                cap -= d_int[i]
        if cap < 0:
            continue
        dp = np.zeros(cap + 1)
        for i in range(n):
            if allowed[i, j] and forced_at[i] != j:
                pr = lam[i] - C[i, j]
                w = d_int[i]
                if pr > 0.0 and w <= cap:
                    for c in range(cap, w - 1, -1):
                        val = dp[c - w] + pr
                        if val > dp[c]:
                            dp[c] = val
        for i in range(n):
            if forced_at[i] == j:
                out[i, j] = v[j]
            elif allowed[i, j] and d_int[i] <= cap:
                out[i, j] = max(v[j], base + (C[i, j] - lam[i]) - dp[cap - d_int[i]])


def _complete_sites(prob: lr.Problem, assign: np.ndarray, site_ok: np.ndarray) -> np.ndarray:
    """The sites serving ``assign`` plus the fixed ones, topped up to ``p`` with unused open-able sites."""
    sites = np.union1d(np.unique(assign), np.flatnonzero(prob.fixed))
    if len(sites) < prob.p:
        spare = np.setdiff1d(np.flatnonzero(site_ok), sites)
        if len(spare) < prob.p - len(sites):
            spare = np.setdiff1d(np.arange(prob.m), sites)
        sites = np.union1d(sites, spare[: prob.p - len(sites)])
    return np.sort(sites).astype(np.int64)


def _chosen(v: np.ndarray, must: np.ndarray, site_ok: np.ndarray, p: int) -> tuple[np.ndarray, float]:
    """Sites of the Lagrangian solution and the largest ``v`` among its non-fixed ones."""
    rest = np.flatnonzero(site_ok & ~must)
    k = p - int(must.sum())
    pick = rest[np.argsort(v[rest], kind="stable")[:k]] if k > 0 else rest[:0]
    chosen = must.copy()
    chosen[pick] = True
    worst = float(v[pick].max()) if len(pick) else math.inf
    return chosen, worst


def _lagrangian_bound(lam: np.ndarray, v: np.ndarray, must: np.ndarray, site_ok: np.ndarray, p: int) -> float:
    """``Σ λ + Σ_{must} v + the p − |must| smallest other v`` (``inf`` when infeasible)."""
    if np.any(~np.isfinite(v[must])):
        return math.inf
    rest = np.flatnonzero(site_ok & ~must)
    k = p - int(must.sum())
    if k < 0 or k > len(rest):
        return math.inf
    others = np.sort(v[rest])[:k]
    if k and not np.isfinite(others[-1]):
        return math.inf
    return float(lam.sum() + v[must].sum() + others.sum())


def _fix(prob: lr.Problem, node: Node, lam: np.ndarray, lb: float, cutoff: float, v: np.ndarray, work: np.ndarray) -> int:
    """Lagrangian reduced-cost fixing at a node: remove sites and pairs whose bound reaches ``cutoff``.

    Modifies ``node.allowed`` / ``node.site_ok`` (fresh arrays); returns the number of pairs removed.
    """
    if not math.isfinite(lb) or not math.isfinite(cutoff):
        return 0
    chosen, worst = _chosen(v, node.must, node.site_ok, prob.p)
    # sites outside the Lagrangian choice whose opening costs too much
    site_lb = np.where(chosen, lb, lb - worst + v)
    close = node.site_ok & ~chosen & (site_lb >= cutoff)
    pair_values(lam, prob.C, node.allowed, node.forced_at, prob.d_int, prob.q_int, node.site_ok, v, work)
    base = np.where(chosen, lb - v, lb - worst)
    drop = node.allowed & ((base[None, :] + work) >= cutoff)
    drop[node.forced_at >= 0, :] = False
    drop |= node.allowed & close[None, :]
    count = int(drop.sum())
    if count or close.any():
        node.allowed = node.allowed & ~drop
        node.site_ok = node.site_ok & ~close
    return count


def branch_and_price(
    prob: lr.Problem,
    inc: lr.Incumbent,
    lam0: np.ndarray,
    *,
    deadline: float,
    prune_gap: float,
    trace: list[tuple[int, float, float, float]] | None = None,
    check_nodes: int | None = None,
    check_gap: float = math.inf,
) -> BranchPriceResult:
    """Prove the incumbent optimal (or improve it) by branch-and-price.

    Parameters
    ----------
    prob : Problem
        Single-source problem with integer demands and capacities (``prob.mode == 0``).
    inc : Incumbent
        Best known solution; improved in place.
    lam0 : numpy.ndarray
        Starting multipliers (e.g. the subgradient's best).
    deadline : float
        ``time.perf_counter()`` value to stop at.
    prune_gap : float
        Relative gap at which a node is pruned (``SolverOptions.mip_gap``).
    trace : list, optional
        Receives ``(nodes, seconds, global bound, incumbent)`` every 100 nodes.
    check_nodes, check_gap : int, float, optional
        Give up (``gave_up=True``) when, after ``check_nodes`` nodes, the incumbent is still more
        than ``check_gap`` (relative) above the global bound: a large tree lies ahead.

    Returns
    -------
    BranchPriceResult
        ``lb`` is the proven bound (the incumbent's value when the tree was exhausted).
    """
    start = time.perf_counter()
    n, m, p = prob.n, prob.m, prob.p
    C = prob.C
    finite = np.isfinite(C)
    big_m = float(np.where(finite, np.abs(C), 0.0).max(axis=1).sum() + 1.0) * 2.0
    master = _Master(prob, big_m)
    v = np.empty(m)
    x = np.zeros((m, n), dtype=bool)
    work = np.empty((n, m))

    def cutoff() -> float:
        ub = inc.cost
        if not math.isfinite(ub):
            return math.inf
        if prob.integral_objective and prune_gap == 0.0:
            return ub - 1.0 + 1e-6
        return ub - max(prune_gap * abs(ub), 1e-9 * max(1.0, abs(ub)))

    root = Node(
        lb=-math.inf,
        depth=0,
        allowed=finite & (prob.d_int[:, None] <= prob.q_int[None, :]),
        forced_at=-np.ones(n, dtype=np.int64),
        site_ok=np.ones(m, dtype=bool),
        must=prob.fixed.copy(),
        lam=lam0.copy(),
    )
    # seed the pool: the incumbent's clusters and the knapsacks of the starting multipliers
    if inc.sites is not None and inc.assign is not None:
        master.add(inc.sites, np.array([inc.assign == j for j in inc.sites]))
    price_sites(lam0, C, root.allowed, root.forced_at, prob.d_int, prob.q_int, root.site_ok, v, x)
    master.add(np.flatnonzero(np.isfinite(v)), x[np.isfinite(v)])

    counter = 0
    heap: list[tuple[float, int, int, Node]] = [(root.lb, 0, counter, root)]
    nodes = 0
    root_bound = -math.inf
    gave_up = False
    while heap:
        lb_top = heap[0][0]
        if lb_top >= cutoff():
            heap.clear()
            break
        if time.perf_counter() >= deadline:
            break
        if check_nodes is not None and nodes >= check_nodes and inc.cost - lb_top > check_gap * abs(inc.cost):
            gave_up = True
            break
        _, _, _, node = heapq.heappop(heap)
        nodes += 1
        if trace is not None and nodes % 100 == 0:
            trace.append((nodes, time.perf_counter() - start, lb_top, inc.cost))
        node_lb, best_lam, lp_value, z, status = _bound_node(prob, master, node, cutoff, deadline, v, x, work)
        if status == "time":
            heapq.heappush(heap, (node_lb, -node.depth, counter, node))
            counter += 1
            break
        if nodes == 1:
            root_bound = node_lb
        if status == "pruned" or node_lb >= cutoff():
            continue
        # primal information of the LP
        active = np.flatnonzero(z > 1e-9)
        y = np.zeros(m)
        np.add.at(y, master.col_site[active], z[active])
        xs = np.zeros((n, m))
        for k in active:
            xs[master.members[k], master.col_site[k]] += z[k]
        top = np.argsort(-y, kind="stable")[:p]
        cand = np.sort(np.union1d(top[y[top] > 1e-9], np.flatnonzero(prob.fixed))).astype(np.int64)
        if len(cand) == p:
            inc.try_sites(cand, prob)
        frac_x = np.abs(xs - np.round(xs)) > INT_TOL
        if not frac_x.any():
            assign = xs.argmax(axis=1)
            cost = float(C[np.arange(n), assign].sum())
            if cost < inc.cost - 1e-9 * max(1.0, abs(cost)):
                inc.cost = cost
                inc.sites = _complete_sites(prob, assign, node.site_ok)
                inc.assign = assign.astype(np.int64)
            continue
        # branch: a fractional site first (closest to 1/2), else a fractional pair
        fy = np.flatnonzero((y > INT_TOL) & (y < 1 - INT_TOL) & node.site_ok & ~node.must)
        if len(fy):
            j = int(fy[np.argmin(np.abs(y[fy] - 0.5))])
            must = node.must.copy()
            must[j] = True
            site_ok = node.site_ok.copy()
            site_ok[j] = False
            allowed = node.allowed.copy()
            allowed[:, j] = False
            children = [
                Node(node_lb, node.depth + 1, node.allowed, node.forced_at, node.site_ok, must, best_lam),
                Node(node_lb, node.depth + 1, allowed, node.forced_at, site_ok, node.must, best_lam),
            ]
        else:
            score = np.where(frac_x, np.abs(xs - 0.5), np.inf)
            i, j = (int(t) for t in np.unravel_index(int(np.argmin(score)), score.shape))
            forced_at = node.forced_at.copy()
            forced_at[i] = j
            allowed_in = node.allowed.copy()
            allowed_in[i, :] = False
            allowed_in[i, j] = True
            must = node.must.copy()
            must[j] = True
            allowed_out = node.allowed.copy()
            allowed_out[i, j] = False
            children = [
                Node(node_lb, node.depth + 1, allowed_in, forced_at, node.site_ok, must, best_lam),
                Node(node_lb, node.depth + 1, allowed_out, node.forced_at, node.site_ok, node.must, best_lam),
            ]
        for child in children:
            heapq.heappush(heap, (child.lb, -child.depth, counter, child))
            counter += 1
    finished = not heap
    global_lb = min(entry[0] for entry in heap) if heap else inc.cost
    return BranchPriceResult(
        lb=global_lb,
        ub=inc.cost,
        sites=inc.sites,
        assign=inc.assign,
        nodes=nodes,
        columns=master.count,
        root_bound=root_bound,
        finished=finished,
        gave_up=gave_up,
    )


def _bound_node(
    prob: lr.Problem,
    master: _Master,
    node: Node,
    cutoff,
    deadline: float,
    v: np.ndarray,
    x: np.ndarray,
    work: np.ndarray,
) -> tuple[float, np.ndarray, float, np.ndarray, str]:
    """Column generation at a node with Lagrangian pruning and reduced-cost fixing.

    Returns ``(bound, best multipliers, LP value, LP column values, status)`` with status
    ``"pruned"`` (bound reached the cutoff, or no feasible assignment), ``"solved"`` (LP optimal)
    or ``"time"``.
    """
    C = prob.C
    p = prob.p
    center = node.lam.copy()
    node_lb = node.lb
    best_lam = center.copy()
    master.set_node(node)
    alpha = SMOOTH
    fix_rounds = 0
    while True:
        if time.perf_counter() >= deadline:
            return node_lb, best_lam, math.inf, np.zeros(0), "time"
        lp_value, lam_lp, mu, pi, zfull = master.solve()
        z = zfull[master.n_art :]
        sep = alpha * center + (1.0 - alpha) * lam_lp
        price_sites(sep, C, node.allowed, node.forced_at, prob.d_int, prob.q_int, node.site_ok, v, x)
        lb_sep = _lagrangian_bound(sep, v, node.must, node.site_ok, p)
        if lb_sep > node_lb:
            node_lb, best_lam, center = lb_sep, sep.copy(), sep.copy()
        if node_lb >= cutoff():
            return node_lb, best_lam, lp_value, z, "pruned"
        ok_sites = np.flatnonzero(np.isfinite(v))
        col_cost = np.where(x[ok_sites], C[:, ok_sites].T, 0.0).sum(axis=1)
        col_dual = (x[ok_sites] * lam_lp[None, :]).sum(axis=1)
        rc = col_cost - col_dual - mu - pi[ok_sites]
        neg = ok_sites[rc < -1e-7]
        if len(neg) and master.add(neg, x[neg]):
            alpha = SMOOTH
            continue
        if alpha > 0.0:
            alpha = 0.0  # mispricing: price at the LP duals themselves
            continue
        # converged: the LP value is the node's bound
        if lp_value >= 0.5 * master.big_m:
            return math.inf, best_lam, lp_value, z, "pruned"
        node_lb = max(node_lb, lp_value)
        if node_lb >= cutoff():
            return node_lb, best_lam, lp_value, z, "pruned"
        if fix_rounds >= MAX_FIX_ROUNDS:
            return node_lb, best_lam, lp_value, z, "solved"
        fix_rounds += 1
        price_sites(best_lam, C, node.allowed, node.forced_at, prob.d_int, prob.q_int, node.site_ok, v, x)
        lb_best = _lagrangian_bound(best_lam, v, node.must, node.site_ok, p)
        removed = _fix(prob, node, best_lam, lb_best, cutoff(), v, work)
        if not removed:
            return node_lb, best_lam, lp_value, z, "solved"
        master.set_node(node)
        # re-solve only when the LP used a removed pair or site
        active = np.flatnonzero(z > 1e-9)
        lost = ~node.site_ok[master.col_site[active]] | (
            master.members[active] & ~node.allowed[:, master.col_site[active]].T
        ).any(axis=1)
        if not lost.any():
            return node_lb, best_lam, lp_value, z, "solved"
        alpha = SMOOTH
