"""Branch-and-price for the single-source capacitated p-median problem.

Internal module of :mod:`planning.models.capacitated`. The knapsack Lagrangian of
:mod:`planning.models._lagrangian` is the bound of the set-partitioning (Dantzig–Wolfe) master::

    min  Σ_{j,k} c_jk z_jk
    s.t. Σ_{j,k} a_ijk z_jk = 1   (λ_i)   every demand point in exactly one chosen column
         Σ_{j,k} z_jk = p         (μ)     p columns (sites)
         Σ_k z_jk ≤ 1             (π_j)   at most one column per site
         z ≥ 0

where a column ``k`` of site ``j`` is a set of demand points fitting ``Q_j``. Pricing is one 0-1
knapsack per site (exact dynamic programming). That bound is not always tight (OR-Library
pmedcap1 problem 20: 973.65 — checked independently: the Lagrangian value of the final
multipliers with every knapsack solved as a MILP equals the master's LP value —, optimum 1,005).
At the root, subset-row cuts (Jepsen, Petersen, Spoorendonk & Pisinger 2008: for three points
``{a, b, c}``, ``Σ_{k: |S_k ∩ {a,b,c}| ≥ 2} z_k ≤ 1``, a rank-1 Chvátal–Gomory cut of the partition
rows) are separated by enumeration and added in rounds, each followed by column generation; the
pricing then pays each cut's dual ``σ_r ≥ 0`` for a column holding two of its points (exact
knapsack branch and bound started from the DP's set). On problem 20 they raise the root bound
to 1,001.67. Cuts unused at the end of the rounds are deleted; the rest stay for the tree.
The tree branches first on a site (``y_j``, strong branching among the most fractional ones,
every child bounded by its own column generation) and then on a pair (``x_ij``; ``i`` served by
``j`` / not by ``j``), both enforced in the pricing. Column generation prices at a smoothed dual
point (Wentges: a convex combination of the best multipliers and the LP duals), and the
Lagrangian bound ``Σλ − Σσ + (p smallest column values)`` of every priced point is a valid node
bound, so a node is pruned as soon as it reaches the incumbent, before the LP has converged.
Nodes are explored best bound first; each LP solution's most used sites are made feasible by the
heuristics of ``_lagrangian`` (upper bound).
"""

from __future__ import annotations

import heapq
import math
import time
from dataclasses import dataclass

import numpy as np
from numba import njit

from planning.models import _lagrangian as lr
from planning.models._highs import new_highs, set_seed, set_threads

#: Wentges smoothing: separation point = SMOOTH · best multipliers + (1 − SMOOTH) · LP duals.
SMOOTH = 0.7
#: LP values within this of 0 or 1 count as integral.
INT_TOL = 1e-6
#: Rounds of reduced-cost fixing (each followed by re-solving the LP) per node.
MAX_FIX_ROUNDS = 3
#: HiGHS simplex for the master: dual (1); primal (4) was far slower on SJC4a.
SIMPLEX_STRATEGY = 1
#: Strong branching: this many fractional sites (closest to 1/2) are tried, each child bounded
#: by its own column generation; the site with the largest product of the two bound gains wins.
#: With the root cuts, 1 (the site closest to 1/2, children bounded before they are queued) was
#: fastest: pmedcap1 problems 8 / 20 took 31.5 / 34.3 s with 1, 42.8 / 42.4 s with 3, 48 / 65 s with 6.
STRONG_SITES = 1
#: Node limit of one cut-aware knapsack branch and bound; past it the site's value is replaced by
#: a lower bound and the node's LP value is not used as a bound (its pricing was not exact).
BB_MAX_NODES = 200_000
#: Subset-row cuts (Jepsen et al. 2008; rank-1 Chvátal–Gomory cuts of three partition rows):
#: at most this many rounds at the root, each adding the CUTS_PER_ROUND most violated triples
#: (violation ≥ CUT_MIN_VIOLATION); the rounds stop when CUT_TAIL rounds in a row raise the
#: bound by less than CUT_MIN_GAIN of the remaining gap.
CUT_ROUNDS = 40
CUTS_PER_ROUND = 100
CUT_MIN_VIOLATION = 0.05
CUT_TAIL = 3
CUT_MIN_GAIN = 0.01
#: Separation looks at no more than this many points (the most fractionally covered).
MAX_SEPARATION_POINTS = 150
#: Gain floor of the product score (so a child that gains nothing does not zero the product).
STRONG_EPS = 1e-3


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


@njit(cache=True)
def _knap_bb_cuts(prof, wts, cap, cuts_of_ptr, cuts_of, sig, cnt, pen0, best_val, best_x, max_nodes):  # pragma: no cover - numba
    """0-1 knapsack with subset-row penalties by depth-first branch and bound.

    Items are sorted by profit/weight (descending). Taking items raises ``cnt`` of their cuts;
    a cut whose count reaches 2 costs ``sig[r]`` (``cnt`` starts at the forced points' counts,
    ``pen0`` their penalty). The bound of a partial choice is its profit minus its penalties plus
    the continuous knapsack of the remaining items (penalties are ≥ 0, so this over-estimates).
    ``best_val``/``best_x`` start as a known choice; returns the best value (items written to
    ``best_x``) and whether the search finished within ``max_nodes`` nodes (else the value is
    only the best found).
    """
    k = prof.shape[0]
    choice = np.full(k, -1, dtype=np.int64)
    cur_p = 0.0
    cur_w = 0
    cur_pen = pen0
    t = 0
    visited = 0
    while True:
        visited += 1
        if visited > max_nodes:
            return best_val, False
        descend = False
        if t == k:
            val = cur_p - cur_pen
            if val > best_val + 1e-12:
                best_val = val
                for u in range(k):
                    best_x[u] = choice[u] == 1
        else:
            left = cap - cur_w
            ub = cur_p - cur_pen
            for u in range(t, k):
                if wts[u] <= left:
                    left -= wts[u]
                    ub += prof[u]
                else:
                    if wts[u] > 0:
                        ub += prof[u] * left / wts[u]
                    break
            if ub > best_val + 1e-9:
                descend = True
        if descend:
            if wts[t] <= cap - cur_w:
                choice[t] = 1
                cur_p += prof[t]
                cur_w += wts[t]
                for q in range(cuts_of_ptr[t], cuts_of_ptr[t + 1]):
                    r = cuts_of[q]
                    cnt[r] += 1
                    if cnt[r] == 2:
                        cur_pen += sig[r]
            else:
                choice[t] = 0
            t += 1
            continue
        # backtrack to the last taken item and leave it out instead
        t -= 1
        while t >= 0:
            if choice[t] == 1:
                cur_p -= prof[t]
                cur_w -= wts[t]
                for q in range(cuts_of_ptr[t], cuts_of_ptr[t + 1]):
                    r = cuts_of[q]
                    if cnt[r] == 2:
                        cur_pen -= sig[r]
                    cnt[r] -= 1
                choice[t] = 0
                t += 1
                break
            choice[t] = -1
            t -= 1
        if t < 0:
            break
    return best_val, True


@njit(cache=True)
def price_sites_cuts(
    lam, sig, cut_mem, C, allowed, forced_at, d_int, q_int, site_ok, todo, exact, v_out, x_out, exact_out,
    max_nodes=BB_MAX_NODES,
):  # pragma: no cover - numba
    """:func:`price_sites` with subset-row cuts: a column holding ≥ 2 points of cut ``r`` pays ``sig[r]``.

    ``cut_mem`` (K × 3) lists each cut's points, ``sig`` (K,) its penalty (≥ 0, the negated dual
    of the cut's ``≤ 1`` row). Only sites with ``todo[j]`` are priced. Sites none of whose
    candidate points meet a penalised cut twice are priced by the plain DP (exact); the others,
    when ``exact[j]``, by :func:`_knap_bb_cuts` started from the DP's set, else ``v_out[j]`` is the
    DP value without the candidates' penalties — a lower bound — and ``x_out[j]`` the DP's set.
    ``exact_out[j]`` tells which of the two ``v_out[j]`` is: a branch and bound stopped after
    ``max_nodes`` nodes also leaves the lower bound (with the best set found).
    """
    n, m = C.shape
    kc = cut_mem.shape[0]
    pt_ptr = np.zeros(n + 1, dtype=np.int64)
    for r in range(kc):
        if sig[r] > 1e-12:
            for t in range(3):
                pt_ptr[cut_mem[r, t] + 1] += 1
    for i in range(n):
        pt_ptr[i + 1] += pt_ptr[i]
    pt_cut = np.empty(pt_ptr[n], dtype=np.int64)
    fill = pt_ptr[:n].copy()
    for r in range(kc):
        if sig[r] > 1e-12:
            for t in range(3):
                i = cut_mem[r, t]
                pt_cut[fill[i]] = r
                fill[i] += 1
    prof = np.empty(n)
    wts = np.empty(n, dtype=np.int64)
    idx = np.empty(n, dtype=np.int64)
    xb = np.empty(n)
    cnt = np.zeros(kc, dtype=np.int64)
    touch = np.zeros(kc, dtype=np.int64)
    for j in range(m):
        if not todo[j]:
            continue
        exact_out[j] = True
        for i in range(n):
            x_out[j, i] = False
        if not site_ok[j]:
            v_out[j] = np.inf
            continue
        for r in range(kc):
            cnt[r] = 0
            touch[r] = 0
        base = 0.0
        pen0 = 0.0
        cap = q_int[j]
        for i in range(n):
            if forced_at[i] == j:
                base += C[i, j] - lam[i]
                cap -= d_int[i]
                x_out[j, i] = True
                for q in range(pt_ptr[i], pt_ptr[i + 1]):
                    r = pt_cut[q]
                    cnt[r] += 1
                    touch[r] += 1
                    if cnt[r] == 2:
                        pen0 += sig[r]
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
                    for q in range(pt_ptr[i], pt_ptr[i + 1]):
                        touch[pt_cut[q]] += 1
        conflict = False
        for r in range(kc):
            if touch[r] >= 2 and touch[r] > cnt[r] and sig[r] > 1e-12:
                conflict = True
                break
        val = 0.0
        if k > 0:
            val = lr._knap_dp_solve(prof[:k], wts[:k], cap, xb[:k])
            if conflict and not exact[j]:
                exact_out[j] = False
            elif conflict:
                # the DP's set with its penalties is the starting incumbent of the branch and bound
                order = np.argsort(-(prof[:k] / wts[:k]), kind="mergesort")
                p2 = prof[:k][order]
                w2 = wts[:k][order]
                i2 = idx[:k][order]
                c_ptr = np.zeros(k + 1, dtype=np.int64)
                for u in range(k):
                    i = i2[u]
                    c_ptr[u + 1] = c_ptr[u] + (pt_ptr[i + 1] - pt_ptr[i])
                c_of = np.empty(c_ptr[k], dtype=np.int64)
                for u in range(k):
                    i = i2[u]
                    c_of[c_ptr[u] : c_ptr[u + 1]] = pt_cut[pt_ptr[i] : pt_ptr[i + 1]]
                bx = np.zeros(k, dtype=np.bool_)
                start_pen = pen0
                for u in range(k):
                    bx[u] = xb[order[u]] > 0.5
                    if bx[u]:
                        for q in range(c_ptr[u], c_ptr[u + 1]):
                            r = c_of[q]
                            cnt[r] += 1
                            if cnt[r] == 2:
                                start_pen += sig[r]
                start = val - start_pen
                for u in range(k):
                    if bx[u]:
                        for q in range(c_ptr[u], c_ptr[u + 1]):
                            cnt[c_of[q]] -= 1
                val_dp = val
                val, finished = _knap_bb_cuts(p2, w2, cap, c_ptr, c_of, sig, cnt, pen0, start, bx, max_nodes)
                for u in range(k):
                    if bx[u]:
                        x_out[j, i2[u]] = True
                if finished:
                    v_out[j] = base - val
                else:
                    v_out[j] = base - (val_dp - pen0)
                    exact_out[j] = False
                continue
            for t in range(k):
                if xb[t] > 0.5:
                    x_out[j, idx[t]] = True
        v_out[j] = base - (val - pen0)


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
    #: result of ``_bound_node`` already computed by strong branching (bound, multipliers, LP
    #: value, column values, status); the node's LP stays optimal as columns are added later
    done: tuple | None = None


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
    cuts: int = 0  # subset-row cuts kept in the master
    cut_bound: float = -math.inf  # root bound after the cut rounds (the root bound without them: root_bound)
    inexact_nodes: int = 0  # nodes whose cut-aware pricing hit its node limit (bounded by the Lagrangian only)


class _Master:
    """Set-partitioning master LP in HiGHS with a growing column pool."""

    def __init__(self, prob: lr.Problem, big_m: float) -> None:
        import highspy

        self.hs = highspy
        self.prob = prob
        n, m = prob.n, prob.m
        self.n, self.m = n, m
        h = new_highs()
        set_threads(h, None, mip=False)
        set_seed(h)
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
        self.cut_mem = np.zeros((0, 3), dtype=np.int64)  # points of each subset-row cut
        self.cut_keys: set[tuple[int, int, int]] = set()
        self.exact_pricing = True  # the last price() was exact wherever it had to be

    @property
    def n_cuts(self) -> int:
        return len(self.cut_mem)

    def pad(self, duals: np.ndarray) -> np.ndarray:
        """Multipliers ``(λ, σ)`` extended with ``σ = 0`` for cuts added since they were computed."""
        size = self.n + self.n_cuts
        if len(duals) >= size:
            return duals[:size].copy()
        return np.concatenate([duals, np.zeros(size - len(duals))])

    def cut_coef(self, sets: np.ndarray) -> np.ndarray:
        """(columns × cuts) 0/1: the column holds at least two points of the cut."""
        if not self.n_cuts:
            return np.zeros((len(sets), 0))
        return (sets[:, self.cut_mem].sum(axis=2) >= 2).astype(float)

    def price(
        self, duals: np.ndarray, node: "Node", v: np.ndarray, x: np.ndarray, threshold: np.ndarray | None = None
    ) -> None:
        """Column values of every site at ``duals = (λ, σ)`` under the node's decisions (see price_sites).

        With cuts, ``v[j]`` is exact (knapsack branch and bound) only where it matters and a lower
        bound (penalties between candidate points ignored) elsewhere, which keeps every bound
        built from ``v`` valid: exact for the sites among the ``p`` smallest values (repeated until
        those are all exact) and for those whose lower bound is below ``threshold[j]`` (``μ + π_j``
        of the LP: where a column of negative reduced cost may exist).
        """
        prob = self.prob
        lam = duals[: self.n]
        sig = duals[self.n :]
        self.exact_pricing = True
        if not (len(sig) and np.any(sig > 1e-12)):
            price_sites(lam, prob.C, node.allowed, node.forced_at, prob.d_int, prob.q_int, node.site_ok, v, x)
            return
        m = self.m
        cut_mem = self.cut_mem[: len(sig)]
        todo = np.ones(m, dtype=bool)
        exact = np.zeros(m, dtype=bool)
        is_exact = np.zeros(m, dtype=bool)
        args = (prob.C, node.allowed, node.forced_at, prob.d_int, prob.q_int, node.site_ok)
        price_sites_cuts(lam, sig, cut_mem, *args, todo, exact, v, x, is_exact, BB_MAX_NODES)
        if threshold is not None:
            exact |= ~is_exact & (v < threshold)
        top = self.prob.p + int(node.must.sum())
        tried = np.zeros(m, dtype=bool)
        while True:
            order = np.argsort(v, kind="stable")[:top]
            exact[order] = True
            exact[node.must] = True
            todo = exact & ~is_exact & ~tried
            if not todo.any():
                break
            tried |= todo
            price_sites_cuts(lam, sig, cut_mem, *args, todo, exact, v, x, is_exact, BB_MAX_NODES)
        # a branch and bound that hit its node limit where an exact value was wanted
        self.exact_pricing = not np.any(exact & ~is_exact)

    def purge_cuts(self, duals: np.ndarray, lp_duals: np.ndarray) -> np.ndarray:
        """Delete the cuts unused by both ``duals`` and ``lp_duals`` (each ``(λ, σ)``); returns ``duals`` without them.

        Unused cuts only slow the LP down; the tree keeps the others.
        """
        sig = duals[self.n :]
        drop = np.flatnonzero((sig[: self.n_cuts] <= 1e-9) & (lp_duals[self.n :][: self.n_cuts] <= 1e-9))
        if len(drop) == 0:
            return duals
        rows = (self.n + 1 + self.m + drop).astype(np.int32)
        self.h.deleteRows(len(rows), rows)
        keep = np.ones(self.n_cuts, dtype=bool)
        keep[drop] = False
        for t in self.cut_mem[drop]:
            self.cut_keys.discard(tuple(int(q) for q in t))
        self.cut_mem = self.cut_mem[keep]
        return np.concatenate([duals[: self.n], sig[keep]])

    def add_cuts(self, triples: list[tuple[int, int, int]]) -> int:
        """Add subset-row cuts ``Σ_{columns with ≥ 2 of {a, b, c}} z ≤ 1``; returns how many were new."""
        new = [t for t in triples if t not in self.cut_keys]
        if not new:
            return 0
        self.cut_keys.update(new)
        mem = np.asarray(new, dtype=np.int64)
        coef = (self.members[:, mem].sum(axis=2) >= 2) if self.count else np.zeros((0, len(new)), dtype=bool)
        starts, index = [], []
        pos = 0
        for r in range(len(new)):
            cols = (self.n_art + np.flatnonzero(coef[:, r])).astype(np.int32)
            starts.append(pos)
            index.append(cols)
            pos += len(cols)
        self.h.addRows(
            len(new), np.full(len(new), -self.hs.kHighsInf), np.ones(len(new)), pos,
            np.asarray(starts, dtype=np.int32), np.concatenate(index) if index else np.zeros(0, np.int32),
            np.ones(pos),
        )
        self.cut_mem = np.vstack([self.cut_mem, mem])
        return len(new)

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
        cut_rows = self.n + 1 + self.m + np.arange(self.n_cuts)
        coef = self.cut_coef(mem) > 0.5
        for (j, s), in_cut in zip(zip(js, mem), coef):
            rows = np.concatenate([np.flatnonzero(s), [self.n, self.n + 1 + j], cut_rows[in_cut]]).astype(np.int32)
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
        """LP value, ``(λ, σ)`` (σ ≥ 0: negated cut duals), μ, π and the column values (artificials first)."""
        self.h.run()
        sol = self.h.getSolution()
        dual = np.asarray(sol.row_dual)
        value = float(self.h.getInfo().objective_function_value)
        z = np.asarray(sol.col_value)
        first_cut = self.n + 1 + self.m
        duals = np.concatenate([dual[: self.n], np.maximum(-dual[first_cut:], 0.0)])
        return value, duals, float(dual[self.n]), dual[self.n + 1 : first_cut], z


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


def _lagrangian_bound(duals: np.ndarray, n: int, v: np.ndarray, must: np.ndarray, site_ok: np.ndarray, p: int) -> float:
    """``Σ λ − Σ σ + Σ_{must} v + the p − |must| smallest other v`` (``inf`` when infeasible).

    ``duals = (λ, σ)``: ``λ`` (n,) of the partition rows, ``σ ≥ 0`` of the subset-row cuts.
    """
    if np.any(~np.isfinite(v[must])):
        return math.inf
    rest = np.flatnonzero(site_ok & ~must)
    k = p - int(must.sum())
    if k < 0 or k > len(rest):
        return math.inf
    others = np.sort(v[rest])[:k]
    if k and not np.isfinite(others[-1]):
        return math.inf
    return float(duals[:n].sum() - duals[n:].sum() + v[must].sum() + others.sum())


def _fix(prob: lr.Problem, node: Node, lam: np.ndarray, lb: float, cutoff: float, v: np.ndarray, work: np.ndarray) -> int:
    """Lagrangian reduced-cost fixing at a node: remove sites and pairs whose bound reaches ``cutoff``.

    Modifies ``node.allowed`` / ``node.site_ok`` (fresh arrays); returns the number of pairs removed.
    """
    if not math.isfinite(lb) or not math.isfinite(cutoff):
        return 0
    chosen, worst = _chosen(v, node.must, node.site_ok, prob.p)
    # sites outside the Lagrangian choice whose opening costs too much
    # (``worst`` is inf when the p sites are all forced open: no other site can be opened)
    with np.errstate(invalid="ignore"):
        site_lb = np.where(chosen, lb, lb - worst + v if math.isfinite(worst) else math.inf)
    close = node.site_ok & ~chosen & (site_lb >= cutoff)
    pair_values(lam[: prob.n], prob.C, node.allowed, node.forced_at, prob.d_int, prob.q_int, node.site_ok, v, work)
    base = np.where(chosen, lb - v, lb - worst if math.isfinite(worst) else math.inf)
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
    strong: int = STRONG_SITES,
    cut_rounds: int = CUT_ROUNDS,
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
    strong : int, default STRONG_SITES
        Fractional sites tried by strong branching at each node (1: the site closest to 1/2,
        whose children are still bounded before they are queued).
    cut_rounds : int, default CUT_ROUNDS
        Rounds of subset-row cut separation at the root (0: none). Cuts stay in the master for
        the whole tree; pricing then pays their duals (knapsack branch and bound).

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
    cut_bound = -math.inf
    inexact_nodes = 0
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
        if node.done is not None:
            node_lb, best_lam, lp_value, z, status = node.done
            node.done = None
        else:
            node_lb, best_lam, lp_value, z, status = _bound_node(prob, master, node, cutoff, deadline, v, x, work)
        if status == "time":
            heapq.heappush(heap, (node_lb, -node.depth, counter, node))
            counter += 1
            break
        if nodes == 1:
            root_bound = node_lb
        if nodes == 1 and cut_rounds > 0 and status == "solved":
            node_lb, best_lam, lp_value, z, status = _root_cuts(
                prob, master, node, node_lb, best_lam, (lp_value, z), cutoff, deadline, v, x, work, cut_rounds
            )
            if status == "time":
                heapq.heappush(heap, (node_lb, -node.depth, counter, node))
                counter += 1
                break
        if nodes == 1:
            cut_bound = node_lb
        inexact_nodes += status == "inexact"
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
            if np.all(np.abs(xs.sum(axis=1) - 1.0) < 1e-6):
                assign = xs.argmax(axis=1)
                cost = float(C[np.arange(n), assign].sum())
                if cost < inc.cost - 1e-9 * max(1.0, abs(cost)):
                    inc.cost = cost
                    inc.sites = _complete_sites(prob, assign, node.site_ok)
                    inc.assign = assign.astype(np.int64)
            if status != "inexact":
                continue
        fy = np.flatnonzero((y > INT_TOL) & (y < 1 - INT_TOL) & node.site_ok & ~node.must)
        if not frac_x.any():
            # integral but not proven optimal (the pricing was not exact): split the node all the same
            children = _split_any(node, node_lb, best_lam, y, xs)
        # branch: a fractional site first (strong branching), else a fractional pair
        elif len(fy):
            order = fy[np.argsort(np.abs(y[fy] - 0.5), kind="stable")]
            children = _strong_site_branch(
                prob, master, node, node_lb, best_lam, order[: max(1, strong)], cutoff, deadline, v, x, work
            )
        else:
            score = np.where(frac_x, np.abs(xs - 0.5), np.inf)
            i, j = (int(t) for t in np.unravel_index(int(np.argmin(score)), score.shape))
            children = _pair_children(node, node_lb, best_lam, i, j)
        for child in children:
            if child.lb >= cutoff():
                continue
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
        cuts=master.n_cuts,
        cut_bound=cut_bound,
        inexact_nodes=inexact_nodes,
        finished=finished,
        gave_up=gave_up,
    )


def separate_subset_rows(
    members: np.ndarray, z: np.ndarray, *, max_cuts: int, min_violation: float
) -> list[tuple[int, int, int]]:
    """Most violated subset-row cuts ``Σ_{k: |S_k ∩ {a,b,c}| ≥ 2} z_k ≤ 1`` of an LP solution.

    ``members`` (columns × points) are the column sets, ``z`` their LP values. For a triple the
    left side is ``W_ab + W_ac + W_bc − 2 T_abc`` with ``W`` the z-weighted pair co-occurrences
    and ``T`` the triple ones (a column with all three counts once). Returns up to ``max_cuts``
    triples ``(a, b, c)``, ``a < b < c``, with left side ``≥ 1 + min_violation``, most violated first.
    """
    act = np.flatnonzero((z > 1e-9) & (z < 1.0 - 1e-9))  # z may predate columns added since
    if len(act) < 2:
        return []
    # a point in a column at value 1 is in no violated cut: only points of fractional columns
    a_mat = members[act].astype(float)
    zz = z[act]
    cover = (a_mat * zz[:, None]).sum(axis=0)
    pts = np.flatnonzero(cover > 1e-9)
    if len(pts) > MAX_SEPARATION_POINTS:
        frac = (a_mat * (zz * (1.0 - zz))[:, None]).sum(axis=0)
        pts = np.sort(pts[np.argsort(-frac[pts], kind="stable")[:MAX_SEPARATION_POINTS]])
    a_mat = a_mat[:, pts]
    w = (a_mat * zz[:, None]).T @ a_mat
    va, vb, vc, lhs = _sr3_candidates(np.ascontiguousarray(a_mat.astype(np.bool_)), zz, w, 1.0 + min_violation)
    order = np.lexsort((vc, vb, va, -lhs))[:max_cuts]
    return [(int(pts[va[r]]), int(pts[vb[r]]), int(pts[vc[r]])) for r in order]


@njit(cache=True)
def _sr3_candidates(a_mat, zz, w, need):  # pragma: no cover - numba
    """Triples ``a < b < c`` with ``W_ab + W_ac + W_bc − 2 T_abc ≥ need`` (see separate_subset_rows).

    ``T_abc`` (z-weighted columns holding all three) is computed only for triples whose pair
    sum already reaches ``need``.
    """
    ncol, k = a_mat.shape
    out_a = []
    out_b = []
    out_c = []
    out_v = []
    for a in range(k):
        for b in range(a + 1, k):
            for c in range(b + 1, k):
                s = w[a, b] + w[a, c] + w[b, c]
                if s < need:
                    continue
                t = 0.0
                for q in range(ncol):
                    if a_mat[q, a] and a_mat[q, b] and a_mat[q, c]:
                        t += zz[q]
                val = s - 2.0 * t
                if val >= need:
                    out_a.append(a)
                    out_b.append(b)
                    out_c.append(c)
                    out_v.append(val)
    return np.array(out_a, dtype=np.int64), np.array(out_b, dtype=np.int64), np.array(out_c, dtype=np.int64), np.array(out_v)


def _root_cuts(
    prob: lr.Problem,
    master: _Master,
    node: Node,
    node_lb: float,
    best_lam: np.ndarray,
    lp: tuple[float, np.ndarray],
    cutoff,
    deadline: float,
    v: np.ndarray,
    x: np.ndarray,
    work: np.ndarray,
    rounds: int,
) -> tuple[float, np.ndarray, float, np.ndarray, str]:
    """Rounds of subset-row cuts at the root, each followed by column generation (``_bound_node``)."""
    lp_value, z = lp
    status = "solved"
    tail = 0
    for _ in range(rounds):
        if node_lb >= cutoff() or time.perf_counter() >= deadline:
            break
        triples = separate_subset_rows(master.members, z, max_cuts=CUTS_PER_ROUND, min_violation=CUT_MIN_VIOLATION)
        if not triples or not master.add_cuts(triples):
            break
        before = node_lb
        node.lb = node_lb
        node.lam = best_lam
        node_lb, best_lam, lp_value, z, status = _bound_node(prob, master, node, cutoff, deadline, v, x, work)
        node_lb = max(node_lb, before)
        if status != "solved":
            break
        # keep the cuts that the best multipliers or the LP use (the bound found stays valid: the
        # dropped cuts were valid too); slack rows only slow the LP down
        _, lp_duals, _, _, _ = master.solve()
        best_lam = master.purge_cuts(master.pad(best_lam), lp_duals)
        node.lam = best_lam
        lp_value, _, _, _, zfull = master.solve()
        z = zfull[master.n_art :]
        gap = cutoff() - before
        tail = tail + 1 if node_lb - before < CUT_MIN_GAIN * gap else 0
        if tail >= CUT_TAIL:
            break
    return node_lb, best_lam, lp_value, z, status


def _split_any(node: Node, lb: float, lam: np.ndarray, y: np.ndarray, xs: np.ndarray) -> list[Node]:
    """Children of a node whose LP gives no fractional variable to branch on.

    Branches on a site open in the LP (else any free site), then on a pair used by the LP (else any
    point not yet forced). Each split fixes one more decision, so the tree stays finite: a node
    with every point forced has a single column per site and exact pricing.
    """
    free = node.site_ok & ~node.must
    pick = np.flatnonzero(free & (y > 0.5))
    if len(pick) == 0:
        pick = np.flatnonzero(free)
    if len(pick):
        return _site_children(node, lb, lam, int(pick[0]))
    m = node.allowed.shape[1]
    unforced = (node.forced_at[:, None] != np.arange(m)[None, :]) & node.allowed
    used = unforced & (xs > 0.5)
    cand = used if used.any() else unforced
    i, j = (int(t) for t in np.argwhere(cand)[0])
    return _pair_children(node, lb, lam, i, j)


def _site_children(node: Node, lb: float, lam: np.ndarray, j: int) -> list[Node]:
    """Children of site branching on ``j``: open (``y_j = 1``) and closed (``y_j = 0``)."""
    must = node.must.copy()
    must[j] = True
    site_ok = node.site_ok.copy()
    site_ok[j] = False
    allowed = node.allowed.copy()
    allowed[:, j] = False
    return [
        Node(lb, node.depth + 1, node.allowed, node.forced_at, node.site_ok, must, lam),
        Node(lb, node.depth + 1, allowed, node.forced_at, site_ok, node.must, lam),
    ]


def _pair_children(node: Node, lb: float, lam: np.ndarray, i: int, j: int) -> list[Node]:
    """Children of pair branching on ``(i, j)``: ``i`` served by ``j`` / ``i`` not served by ``j``."""
    forced_at = node.forced_at.copy()
    forced_at[i] = j
    allowed_in = node.allowed.copy()
    allowed_in[i, :] = False
    allowed_in[i, j] = True
    must = node.must.copy()
    must[j] = True
    allowed_out = node.allowed.copy()
    allowed_out[i, j] = False
    return [
        Node(lb, node.depth + 1, allowed_in, forced_at, node.site_ok, must, lam),
        Node(lb, node.depth + 1, allowed_out, node.forced_at, node.site_ok, node.must, lam),
    ]


def _strong_site_branch(
    prob: lr.Problem,
    master: _Master,
    node: Node,
    node_lb: float,
    lam: np.ndarray,
    candidates: np.ndarray,
    cutoff,
    deadline: float,
    v: np.ndarray,
    x: np.ndarray,
    work: np.ndarray,
) -> list[Node]:
    """Strong branching over ``candidates`` (fractional sites): bound both children of each.

    Every child is bounded by column generation (``_bound_node``, results kept in ``child.done``
    so the child is not bounded again when it is taken from the queue). The candidate with the
    largest product of bound gains wins; a candidate with a pruned child wins at once (that child
    is dropped: the other one inherits the whole node). Children carry their own bounds.
    """
    best: list[Node] | None = None
    best_score = -math.inf
    for j in candidates:
        children = _site_children(node, node_lb, lam, int(j))
        gains = []
        for child in children:
            out = _bound_node(prob, master, child, cutoff, deadline, v, x, work)
            if out[4] == "time":
                child.done = None
                return best if best is not None else children
            child.lb = max(node_lb, out[0])
            child.lam = out[1]
            child.done = (child.lb, out[1], out[2], out[3], out[4])
            gains.append(math.inf if child.lb >= cutoff() else child.lb - node_lb)
        if math.isinf(max(gains)):
            return children
        score = max(gains[0], STRONG_EPS) * max(gains[1], STRONG_EPS)
        if score > best_score:
            best, best_score = children, score
    assert best is not None
    return best


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
    ``"pruned"`` (bound reached the cutoff, or no feasible assignment), ``"solved"`` (LP optimal),
    ``"inexact"`` (column generation stopped, but a cut-aware knapsack hit its node limit: the LP
    value is no bound and the bound is the Lagrangian one)
    or ``"time"``.
    """
    C = prob.C
    p = prob.p
    n = prob.n
    center = master.pad(node.lam)
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
        master.price(sep, node, v, x, threshold=mu + pi + 1e-9)
        lb_sep = _lagrangian_bound(sep, n, v, node.must, node.site_ok, p)
        if not master.exact_pricing:
            # the same λ without the cuts (σ = 0) prices exactly by DP: often the better bound then
            v_plain = np.empty(prob.m)
            x_plain = np.zeros_like(x)
            price_sites(sep[:n], C, node.allowed, node.forced_at, prob.d_int, prob.q_int, node.site_ok, v_plain, x_plain)
            lb_plain = _lagrangian_bound(sep[:n], n, v_plain, node.must, node.site_ok, p)
            if lb_plain > lb_sep:
                lb_sep = lb_plain
                sep = master.pad(sep[:n])
        if lb_sep > node_lb:
            node_lb, best_lam, center = lb_sep, sep.copy(), sep.copy()
        if node_lb >= cutoff():
            return node_lb, best_lam, lp_value, z, "pruned"
        ok_sites = np.flatnonzero(np.isfinite(v))
        col_cost = np.where(x[ok_sites], C[:, ok_sites].T, 0.0).sum(axis=1)
        col_dual = (x[ok_sites] * lam_lp[None, :n]).sum(axis=1)
        col_cut = master.cut_coef(x[ok_sites]) @ lam_lp[n:]
        rc = col_cost - col_dual - mu - pi[ok_sites] + col_cut
        neg = ok_sites[rc < -1e-7]
        if len(neg) and master.add(neg, x[neg]):
            alpha = SMOOTH
            continue
        if alpha > 0.0:
            alpha = 0.0  # mispricing: price at the LP duals themselves
            continue
        # converged: the LP value is the node's bound — unless the pricing was not exact
        if not master.exact_pricing:
            return node_lb, best_lam, lp_value, z, "inexact"
        if lp_value >= 0.5 * master.big_m:
            return math.inf, best_lam, lp_value, z, "pruned"
        node_lb = max(node_lb, lp_value)
        if node_lb >= cutoff():
            return node_lb, best_lam, lp_value, z, "pruned"
        if fix_rounds >= MAX_FIX_ROUNDS:
            return node_lb, best_lam, lp_value, z, "solved"
        fix_rounds += 1
        master.price(best_lam, node, v, x)
        lb_best = _lagrangian_bound(best_lam, n, v, node.must, node.site_ok, p)
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
