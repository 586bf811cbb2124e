"""Lagrangian relaxation and primal heuristics for the capacitated p-median problem.

Internal module of :mod:`planning.models.capacitated`. Everything works on a dense cost matrix
``C`` (demand × site, already multiplied by the objective weights; ``inf`` marks a pair that may
not be used), demands ``d``, capacities ``Q``, the number of sites ``p`` and a mask of sites fixed
open.

Relaxing the assignment constraints ``Σ_j x_ij = 1`` with multipliers ``λ_i`` splits the problem
into one 0-1 knapsack per site, ``v_j = min Σ_i (C_ij − λ_i) x_ij  s.t.  Σ_i d_i x_ij ≤ Q_j``,
and the bound ``L(λ) = Σ_i λ_i + (sum of the p smallest v_j, fixed sites always in)``. Knapsacks
are solved exactly by dynamic programming over integer weights (after dividing demands and
capacities by the demands' greatest common divisor); where demands are not integers, or the
capacity is too large for the table, the continuous (Dantzig) knapsack is used, which still gives
a valid — weaker — bound. For multi-source assignment the continuous knapsack is the exact
subproblem. The multipliers follow a subgradient method (Held–Karp step, halved when the bound
stalls). Sets of sites chosen by the relaxation are turned into feasible solutions by a regret
assignment with repair, customer shift/swap local search and site swaps; the bound, the
multipliers and the incumbent then fix variables by Lagrangian reduced costs.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
from numba import njit

#: Largest knapsack capacity (after the gcd reduction) solved by the exact DP.
MAX_DP_CAPACITY = 50_000


# ----------------------------------------------------------------------------- knapsack kernels


@njit(cache=True)
def _knap_dp_value(prof, wts, cap):  # pragma: no cover - numba
    """Largest profit of a 0-1 knapsack (integer weights) — value only."""
    k = prof.shape[0]
    total_w = 0
    total_p = 0.0
    for t in range(k):
        total_w += wts[t]
        total_p += prof[t]
    if total_w <= cap:
        return total_p
    dp = np.zeros(cap + 1)
    for t in range(k):
        w = wts[t]
        pr = prof[t]
        for c in range(cap, w - 1, -1):
            val = dp[c - w] + pr
            if val > dp[c]:
                dp[c] = val
    return dp[cap]


@njit(cache=True)
def _knap_dp_solve(prof, wts, cap, xout):  # pragma: no cover - numba
    """0-1 knapsack by DP with the chosen items written to ``xout`` (0/1)."""
    k = prof.shape[0]
    total_w = 0
    total_p = 0.0
    for t in range(k):
        total_w += wts[t]
        total_p += prof[t]
    if total_w <= cap:
        for t in range(k):
            xout[t] = 1.0
        return total_p
    dp = np.zeros(cap + 1)
    keep = np.zeros((k, cap + 1), dtype=np.bool_)
    for t in range(k):
        w = wts[t]
        pr = prof[t]
        for c in range(cap, w - 1, -1):
            val = dp[c - w] + pr
            if val > dp[c]:
                dp[c] = val
                keep[t, c] = True
    c = cap
    for t in range(k - 1, -1, -1):
        if keep[t, c]:
            xout[t] = 1.0
            c -= wts[t]
        else:
            xout[t] = 0.0
    return dp[cap]


@njit(cache=True)
def _knap_frac(prof, wts, cap, xout):  # pragma: no cover - numba
    """Continuous knapsack (Dantzig): exact for fractional items, an upper bound for 0-1 items."""
    k = prof.shape[0]
    ratio = np.empty(k)
    for t in range(k):
        ratio[t] = prof[t] / wts[t] if wts[t] > 0 else np.inf
    order = np.argsort(-ratio, kind="mergesort")
    left = cap
    val = 0.0
    for t in range(k):
        xout[t] = 0.0
    for r in range(k):
        t = order[r]
        if wts[t] <= left:
            xout[t] = 1.0
            left -= wts[t]
            val += prof[t]
        else:
            if wts[t] > 0 and left > 0:
                f = left / wts[t]
                xout[t] = f
                val += f * prof[t]
            break
    return val


@njit(cache=True)
def _site_items(j, lam, site_ptr, site_item, site_cost, buf_i, buf_p):  # pragma: no cover - numba
    """Items of site ``j`` with positive Lagrangian profit ``λ_i − C_ij``; returns their count."""
    k = 0
    for t in range(site_ptr[j], site_ptr[j + 1]):
        i = site_item[t]
        pr = lam[i] - site_cost[t]
        if pr > 0.0:
            buf_i[k] = i
            buf_p[k] = pr
            k += 1
    return k


@njit(cache=True)
def lr_values(lam, site_ptr, site_item, site_cost, d_int, d_f, q_int, q_f, mode):  # pragma: no cover
    """``v_j`` of every site (mode 0: exact integer DP; 1: continuous knapsack)."""
    m = site_ptr.shape[0] - 1
    n = lam.shape[0]
    v = np.zeros(m)
    buf_i = np.empty(n, dtype=np.int64)
    buf_p = np.empty(n)
    xbuf = np.empty(n)
    for j in range(m):
        k = _site_items(j, lam, site_ptr, site_item, site_cost, buf_i, buf_p)
        if k == 0:
            continue
        if mode == 0:
            w = np.empty(k, dtype=np.int64)
            for t in range(k):
                w[t] = d_int[buf_i[t]]
            v[j] = -_knap_dp_value(buf_p[:k], w, q_int[j])
        else:
            w = np.empty(k)
            for t in range(k):
                w[t] = d_f[buf_i[t]]
            v[j] = -_knap_frac(buf_p[:k], w, q_f[j], xbuf[:k])
    return v


@njit(cache=True)
def lr_cover(lam, sites, site_ptr, site_item, site_cost, d_int, d_f, q_int, q_f, mode):  # pragma: no cover
    """``Σ_j x_ij`` over the chosen ``sites`` in the knapsack solutions (for the subgradient)."""
    n = lam.shape[0]
    cover = np.zeros(n)
    buf_i = np.empty(n, dtype=np.int64)
    buf_p = np.empty(n)
    xbuf = np.empty(n)
    for s in range(sites.shape[0]):
        j = sites[s]
        k = _site_items(j, lam, site_ptr, site_item, site_cost, buf_i, buf_p)
        if k == 0:
            continue
        if mode == 0:
            w = np.empty(k, dtype=np.int64)
            for t in range(k):
                w[t] = d_int[buf_i[t]]
            _knap_dp_solve(buf_p[:k], w, q_int[j], xbuf[:k])
        else:
            w = np.empty(k)
            for t in range(k):
                w[t] = d_f[buf_i[t]]
            _knap_frac(buf_p[:k], w, q_f[j], xbuf[:k])
        for t in range(k):
            cover[buf_i[t]] += xbuf[t]
    return cover


@njit(cache=True)
def forced_values(lam, v, site_ptr, site_item, site_cost, d_int, d_f, q_int, q_f, mode):  # pragma: no cover
    """Lower bound on site ``j``'s knapsack value when item ``i`` is forced in, per CSR pair.

    With ``F_j(w)`` the largest profit at capacity ``w`` (over every positive item, a valid upper
    bound when ``i`` is excluded), the forced value is at least
    ``max(v_j, (C_ij − λ_i) − F_j(Q_j − d_i))``.
    """
    m = site_ptr.shape[0] - 1
    n = lam.shape[0]
    out = np.empty(site_item.shape[0])
    buf_i = np.empty(n, dtype=np.int64)
    buf_p = np.empty(n)
    xbuf = np.empty(n)
    for j in range(m):
        k = _site_items(j, lam, site_ptr, site_item, site_cost, buf_i, buf_p)
        if mode == 0:
            cap = q_int[j]
            dp = np.zeros(cap + 1)
            for t in range(k):
                w = d_int[buf_i[t]]
                pr = buf_p[t]
                for c in range(cap, w - 1, -1):
                    val = dp[c - w] + pr
                    if val > dp[c]:
                        dp[c] = val
            for t in range(site_ptr[j], site_ptr[j + 1]):
                i = site_item[t]
                left = cap - d_int[i]
                if left < 0:
                    out[t] = np.inf  # the point does not fit at all
                else:
                    out[t] = max(v[j], (site_cost[t] - lam[i]) - dp[left])
        else:
            w = np.empty(k)
            for t in range(k):
                w[t] = d_f[buf_i[t]]
            for t in range(site_ptr[j], site_ptr[j + 1]):
                i = site_item[t]
                left = q_f[j] - d_f[i]
                if left < 0:
                    out[t] = np.inf
                else:
                    f = _knap_frac(buf_p[:k], w, left, xbuf[:k])
                    out[t] = max(v[j], (site_cost[t] - lam[i]) - f)
    return out


# ----------------------------------------------------------------------------- primal heuristics


@njit(cache=True)
def _repair_one(i, slot, rem, open_sites, C, d):  # pragma: no cover - numba
    """Place point ``i`` by moving one assigned point ``k`` to another open site (cheapest such move)."""
    n = C.shape[0]
    p = open_sites.shape[0]
    best_delta = np.inf
    bk = -1
    bs = -1
    bs2 = -1
    for s in range(p):
        ci = C[i, open_sites[s]]
        if not ci < np.inf:
            continue
        for k in range(n):
            if slot[k] != s or rem[s] + d[k] < d[i] - 1e-9:
                continue
            for s2 in range(p):
                if s2 == s or rem[s2] < d[k] - 1e-9:
                    continue
                ck2 = C[k, open_sites[s2]]
                if not ck2 < np.inf:
                    continue
                delta = ci + ck2 - C[k, open_sites[s]]
                if delta < best_delta:
                    best_delta = delta
                    bk = k
                    bs = s
                    bs2 = s2
    if bk < 0:
        return False
    slot[bk] = bs2
    rem[bs2] -= d[bk]
    rem[bs] += d[bk]
    slot[i] = bs
    rem[bs] -= d[i]
    return True


@njit(cache=True)
def _greedy_assign(open_sites, C, d, Q):  # pragma: no cover - numba
    """Points in order of static regret (2nd-best − best open site), each to its cheapest site with room."""
    n = C.shape[0]
    p = open_sites.shape[0]
    rem = np.empty(p)
    for s in range(p):
        rem[s] = Q[open_sites[s]]
    key = np.empty(n)
    for i in range(n):
        b1 = np.inf
        b2 = np.inf
        for s in range(p):
            c = C[i, open_sites[s]]
            if c < b1:
                b2 = b1
                b1 = c
            elif c < b2:
                b2 = c
        key[i] = -((b2 - b1) if b2 < np.inf else 1e300) - 1e-12 * d[i]
    order = np.argsort(key, kind="mergesort")
    slot = -np.ones(n, dtype=np.int64)
    for r in range(n):
        i = order[r]
        best = np.inf
        bs = -1
        for s in range(p):
            c = C[i, open_sites[s]]
            if c < best and rem[s] >= d[i] - 1e-9:
                best = c
                bs = s
        if bs < 0:
            if not _repair_one(i, slot, rem, open_sites, C, d):
                return slot, False
            continue
        slot[i] = bs
        rem[bs] -= d[i]
    return slot, True


@njit(cache=True)
def _regret_assign(open_sites, C, d, Q):  # pragma: no cover - numba
    """Single-source assignment to ``open_sites`` by largest dynamic regret, with one-move repair.

    Returns (slot per demand point, ok). ``slot`` indexes ``open_sites``.
    """
    n = C.shape[0]
    p = open_sites.shape[0]
    rem = np.empty(p)
    for s in range(p):
        rem[s] = Q[open_sites[s]]
    slot = -np.ones(n, dtype=np.int64)
    done = 0
    while done < n:
        best_i = -1
        best_s = -1
        best_reg = -1.0
        stuck = -1
        for i in range(n):
            if slot[i] >= 0:
                continue
            b1 = np.inf
            b2 = np.inf
            s1 = -1
            for s in range(p):
                c = C[i, open_sites[s]]
                if c < np.inf and rem[s] >= d[i] - 1e-9:
                    if c < b1:
                        b2 = b1
                        b1 = c
                        s1 = s
                    elif c < b2:
                        b2 = c
            if s1 < 0:
                stuck = i
                break
            reg = (b2 - b1) if b2 < np.inf else 1e300
            if reg > best_reg or (reg == best_reg and d[i] > d[best_i]):
                best_reg = reg
                best_i = i
                best_s = s1
        if stuck >= 0:
            if not _repair_one(stuck, slot, rem, open_sites, C, d):
                return slot, False
            done += 1
            continue
        slot[best_i] = best_s
        rem[best_s] -= d[best_i]
        done += 1
    return slot, True


@njit(cache=True)
def _ejection_pass(slot, rem, open_sites, C, d):  # pragma: no cover - numba
    """Ejection chains of length 2: point i moves to a cheaper full site s2 whose point k moves on.

    Applies the best improving chain per point; returns whether any was applied.
    """
    n = C.shape[0]
    p = open_sites.shape[0]
    applied = False
    for i in range(n):
        s1 = slot[i]
        ci = C[i, open_sites[s1]]
        best = -1e-9
        bs2 = -1
        bk = -1
        bs3 = -1
        for s2 in range(p):
            if s2 == s1:
                continue
            gain_i = C[i, open_sites[s2]] - ci
            if not gain_i < 0.0:
                continue
            for k in range(n):
                if slot[k] != s2 or rem[s2] + d[k] < d[i] - 1e-9:
                    continue
                ck = C[k, open_sites[s2]]
                for s3 in range(p):
                    if s3 == s2:
                        continue
                    room = rem[s3] + (d[i] if s3 == s1 else 0.0)
                    if room < d[k] - 1e-9:
                        continue
                    delta = gain_i + C[k, open_sites[s3]] - ck
                    if delta < best:
                        best = delta
                        bs2 = s2
                        bk = k
                        bs3 = s3
        if bk >= 0:
            rem[s1] += d[i]
            rem[bs2] += d[bk] - d[i]
            rem[bs3] -= d[bk]
            slot[i] = bs2
            slot[bk] = bs3
            applied = True
    return applied


@njit(cache=True)
def _move_refill_pass(slot, rem, open_sites, C, d):  # pragma: no cover - numba
    """Move a point i to another site with room, then refill i's old site with the points that
    gain most by moving into it (greedy, within the freed capacity). Applies improving moves.
    """
    n = C.shape[0]
    p = open_sites.shape[0]
    applied = False
    gain = np.empty(n)
    for i in range(n):
        s1 = slot[i]
        j1 = open_sites[s1]
        best_out = np.inf
        bs2 = -1
        for s2 in range(p):
            if s2 != s1 and rem[s2] >= d[i] - 1e-9:
                c = C[i, open_sites[s2]] - C[i, j1]
                if c < best_out:
                    best_out = c
                    bs2 = s2
        if bs2 < 0:
            continue
        cnt = 0
        for k in range(n):
            if k == i or slot[k] == s1:
                gain[k] = 0.0
                continue
            g = C[k, j1] - C[k, open_sites[slot[k]]]
            gain[k] = g if g < 0.0 else 0.0
            if g < 0.0:
                cnt += 1
        if cnt == 0:
            continue
        order = np.argsort(gain, kind="mergesort")
        room = rem[s1] + d[i]
        total = best_out
        for r in range(cnt):
            k = order[r]
            if d[k] <= room + 1e-9:
                room -= d[k]
                total += gain[k]
        if total < -1e-9:
            # apply
            rem[s1] += d[i]
            rem[bs2] -= d[i]
            slot[i] = bs2
            for r in range(cnt):
                k = order[r]
                if d[k] <= rem[s1] + 1e-9:
                    rem[slot[k]] += d[k]
                    rem[s1] -= d[k]
                    slot[k] = s1
            applied = True
    return applied


@njit(cache=True)
def _local_search(slot, open_sites, C, d, Q):  # pragma: no cover - numba
    """Shift and swap moves of demand points between open sites until no move improves."""
    n = C.shape[0]
    p = open_sites.shape[0]
    rem = np.empty(p)
    for s in range(p):
        rem[s] = Q[open_sites[s]]
    for i in range(n):
        rem[slot[i]] -= d[i]
    improved = True
    while improved:
        improved = False
        for i in range(n):
            cur = slot[i]
            best = C[i, open_sites[cur]] - 1e-9
            bs = -1
            for s in range(p):
                if s != cur and rem[s] >= d[i] - 1e-9:
                    c = C[i, open_sites[s]]
                    if c < best:
                        best = c
                        bs = s
            if bs >= 0:
                rem[cur] += d[i]
                rem[bs] -= d[i]
                slot[i] = bs
                improved = True
        for i in range(n):
            for k in range(i + 1, n):
                si = slot[i]
                sk = slot[k]
                if si == sk:
                    continue
                ji = open_sites[si]
                jk = open_sites[sk]
                delta = C[i, jk] + C[k, ji] - C[i, ji] - C[k, jk]
                if delta < -1e-9 and rem[sk] + d[k] - d[i] >= -1e-9 and rem[si] + d[i] - d[k] >= -1e-9:
                    rem[sk] += d[k] - d[i]
                    rem[si] += d[i] - d[k]
                    slot[i] = sk
                    slot[k] = si
                    improved = True
        if not improved:
            improved = _ejection_pass(slot, rem, open_sites, C, d)
        if not improved:
            improved = _move_refill_pass(slot, rem, open_sites, C, d)
    total = 0.0
    for i in range(n):
        total += C[i, open_sites[slot[i]]]
    return total


@njit(cache=True)
def evaluate_sites(open_sites, C, d, Q):  # pragma: no cover - numba
    """Heuristic single-source solution on a fixed set of open sites: (cost, site per point)."""
    n = C.shape[0]
    slot, ok = _greedy_assign(open_sites, C, d, Q)
    if not ok:
        slot, ok = _regret_assign(open_sites, C, d, Q)
    site = -np.ones(n, dtype=np.int64)
    if not ok:
        return np.inf, site
    cost = _local_search(slot, open_sites, C, d, Q)
    for i in range(n):
        site[i] = open_sites[slot[i]]
    return cost, site


# ----------------------------------------------------------------------------- driver


@dataclass
class Problem:
    """Dense capacitated p-median data shared by the relaxation and the heuristics."""

    C: np.ndarray  # n × m weighted cost, inf = pair not allowed
    d: np.ndarray  # demand (float)
    Q: np.ndarray  # capacity (float)
    p: int
    fixed: np.ndarray  # bool (m,), sites fixed open
    single_source: bool
    integral_objective: bool  # every finite cost is an integer: bounds may be rounded up
    site_ptr: np.ndarray = field(init=False)
    site_item: np.ndarray = field(init=False)
    site_cost: np.ndarray = field(init=False)
    d_int: np.ndarray = field(init=False)
    q_int: np.ndarray = field(init=False)
    mode: int = field(init=False)

    def __post_init__(self) -> None:
        ok = np.isfinite(self.C)
        cols = [np.flatnonzero(ok[:, j]) for j in range(self.C.shape[1])]
        self.site_ptr = np.zeros(self.C.shape[1] + 1, dtype=np.int64)
        self.site_ptr[1:] = np.cumsum([len(c) for c in cols])
        self.site_item = np.concatenate(cols).astype(np.int64) if cols else np.zeros(0, np.int64)
        self.site_cost = np.concatenate([self.C[c, j] for j, c in enumerate(cols)]) if cols else np.zeros(0)
        self.mode = 1
        self.d_int = np.zeros(len(self.d), dtype=np.int64)
        self.q_int = np.zeros(len(self.Q), dtype=np.int64)
        if self.single_source and np.all(self.d == np.round(self.d)) and np.all(self.d >= 0):
            di = np.round(self.d).astype(np.int64)
            g = int(np.gcd.reduce(di)) if np.any(di > 0) else 1
            g = max(g, 1)
            qi = np.floor(np.minimum(self.Q, di.sum() + 1) / g + 1e-9).astype(np.int64)
            if qi.max(initial=0) <= MAX_DP_CAPACITY:
                self.d_int = di // g
                self.q_int = qi
                self.mode = 0

    @property
    def n(self) -> int:
        return self.C.shape[0]

    @property
    def m(self) -> int:
        return self.C.shape[1]

    def round_bound(self, lb: float) -> float:
        """Round a lower bound up when every objective value is an integer."""
        if self.integral_objective and math.isfinite(lb):
            return float(math.ceil(lb - 1e-6))
        return lb


@dataclass
class LagrangianResult:
    """Outcome of the relaxation and heuristics."""

    lb: float
    lam: np.ndarray
    v: np.ndarray
    ub: float
    sites: np.ndarray | None  # open sites of the incumbent
    assign: np.ndarray | None  # site per demand point of the incumbent
    iterations: int
    heuristic_calls: int


def choose_sites(v: np.ndarray, prob: Problem) -> np.ndarray:
    """The ``p`` sites of the relaxation: fixed ones plus the smallest ``v_j`` of the rest."""
    fixed = np.flatnonzero(prob.fixed)
    free = np.flatnonzero(~prob.fixed)
    k = prob.p - len(fixed)
    order = free[np.argsort(v[free], kind="stable")[:k]]
    return np.sort(np.concatenate([fixed, order])).astype(np.int64)


class Incumbent:
    """Best feasible single-source solution found so far."""

    def __init__(self) -> None:
        self.cost = math.inf
        self.sites: np.ndarray | None = None
        self.assign: np.ndarray | None = None
        self.seen: set[bytes] = set()
        self.calls = 0

    def try_sites(self, sites: np.ndarray, prob: Problem) -> float:
        key = sites.tobytes()
        if key in self.seen:
            return math.inf
        self.seen.add(key)
        self.calls += 1
        cost, assign = evaluate_sites(sites, prob.C, prob.d, prob.Q)
        if cost < self.cost - 1e-9:
            self.cost = float(cost)
            self.sites = sites.copy()
            self.assign = assign
        return float(cost)


def site_swap_search(prob: Problem, inc: Incumbent, *, deadline: float, neighbours: int = 10) -> None:
    """Close one open site and open a nearby closed one while that improves the incumbent."""
    if inc.sites is None:
        return
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        sites = inc.sites
        for a in sites:
            if prob.fixed[a]:
                continue
            members = np.flatnonzero(inc.assign == a)
            if len(members) == 0:
                continue
            closed = np.setdiff1d(np.arange(prob.m), sites)
            score = prob.C[np.ix_(members, closed)].sum(axis=0)
            cand = closed[np.argsort(score, kind="stable")[:neighbours]]
            for b in cand:
                if not np.isfinite(score[np.searchsorted(closed, b)]):
                    continue
                trial = np.sort(np.where(sites == a, b, sites)).astype(np.int64)
                before = inc.cost
                inc.try_sites(trial, prob)
                if inc.cost < before - 1e-9:
                    improved = True
                    break
                if time.perf_counter() >= deadline:
                    return
            if improved:
                break


def subgradient(
    prob: Problem,
    *,
    deadline: float,
    max_iter: int = 3000,
    patience: int = 25,
    min_alpha: float = 1e-3,
    inc: Incumbent | None = None,
    lam0: np.ndarray | None = None,
    alpha0: float = 2.0,
    heuristic_every: int = 10,
) -> LagrangianResult:
    """Maximise the Lagrangian bound by subgradient steps; run heuristics on the sites it picks.

    Starts from ``lam0`` (default: each point's cheapest cost) with step factor ``alpha0``; every
    ``heuristic_every``-th iteration the relaxation's sites are made feasible (new sets only).
    """
    inc = inc if inc is not None else Incumbent()
    if lam0 is None:
        finite = np.where(np.isfinite(prob.C), prob.C, np.nan)
        with np.errstate(all="ignore"):
            lam = np.nanmin(finite, axis=1)
        lam = np.nan_to_num(lam, nan=0.0)
    else:
        lam = lam0.copy()
    best_lb = -math.inf
    best_lam = lam.copy()
    best_v = np.zeros(prob.m)
    alpha = alpha0
    stall = 0
    args = (prob.site_ptr, prob.site_item, prob.site_cost, prob.d_int, prob.d, prob.q_int, prob.Q, prob.mode)
    it = 0
    for it in range(1, max_iter + 1):
        v = lr_values(lam, *args)
        sites = choose_sites(v, prob)
        lb = float(lam.sum() + v[sites].sum())
        if lb > best_lb + 1e-12 * max(1.0, abs(lb)):
            best_lb, best_lam, best_v = lb, lam.copy(), v
            stall = 0
        else:
            stall += 1
            if stall >= patience:
                alpha /= 2.0
                stall = 0
        if it % heuristic_every == 1 or heuristic_every == 1:
            inc.try_sites(sites, prob)
        if inc.cost - prob.round_bound(best_lb) <= 1e-9 * max(1.0, abs(inc.cost)):
            break
        if alpha < min_alpha or time.perf_counter() >= deadline:
            break
        cover = lr_cover(lam, sites, *args)
        g = 1.0 - cover
        norm = float(g @ g)
        if norm <= 1e-18:
            break
        target = inc.cost if math.isfinite(inc.cost) else abs(lb) * 1.1 + 1.0
        step = alpha * max(target - lb, 1e-9 * max(1.0, abs(lb))) / norm
        lam = lam + step * g
    return LagrangianResult(
        lb=best_lb,
        lam=best_lam,
        v=best_v,
        ub=inc.cost,
        sites=inc.sites,
        assign=inc.assign,
        iterations=it,
        heuristic_calls=inc.calls,
    )


def reduced_cost_fixing(
    prob: Problem,
    res: LagrangianResult,
    threshold: float,
    *,
    keep_pairs: np.ndarray | None = None,
    keep_sites: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Sites and pairs that cannot be in a solution of value below ``threshold``.

    Returns ``(site_state, pair_ok)``: ``site_state`` per site is −1 (fixed closed), 0 (free) or 1
    (open: fixed by the caller or by reduced cost); ``pair_ok`` is a CSR-aligned boolean mask of
    pairs kept. A variable is fixed when forcing it gives a Lagrangian bound ``≥ threshold``, so
    every solution removed has a value ``≥ threshold``. ``keep_*`` are never fixed (the
    incumbent's variables, so it stays a feasible warm start).
    """
    lam, v = res.lam, res.v
    lb = res.lb
    sites = choose_sites(v, prob)
    chosen = np.zeros(prob.m, dtype=bool)
    chosen[sites] = True
    free_chosen = sites[~prob.fixed[sites]]
    free_other = np.flatnonzero(~chosen)
    worst_in = float(v[free_chosen].max()) if len(free_chosen) else math.nan
    best_out = float(v[free_other].min()) if len(free_other) else math.inf
    state = np.zeros(prob.m, dtype=np.int64)
    state[prob.fixed] = 1
    # y_j = 1 forced for a site outside the relaxation's choice; y_j = 0 for a site inside it
    lb_open = np.where(chosen, lb, lb - worst_in + v) if len(free_chosen) else np.where(chosen, lb, np.inf)
    lb_close = np.where(chosen & ~prob.fixed, lb - v + best_out, -np.inf)
    state[(~chosen) & (lb_open >= threshold)] = -1
    state[chosen & ~prob.fixed & (lb_close >= threshold)] = 1
    if keep_sites is not None:
        back = keep_sites[state[keep_sites] == -1]
        state[back] = 0
        in_keep = np.zeros(prob.m, dtype=bool)
        in_keep[keep_sites] = True
        state[(state == 1) & ~in_keep & ~prob.fixed] = 0
    args = (prob.site_ptr, prob.site_item, prob.site_cost, prob.d_int, prob.d, prob.q_int, prob.Q, prob.mode)
    pair_site = np.repeat(np.arange(prob.m), np.diff(prob.site_ptr))
    if prob.single_source:
        forced = forced_values(lam, v, *args)
        base = np.where(chosen[pair_site], lb - v[pair_site], lb - worst_in if len(free_chosen) else np.inf)
        pair_lb = base + forced
        pair_ok = pair_lb < threshold
    else:
        pair_ok = np.ones(len(prob.site_item), dtype=bool)
    pair_ok &= state[pair_site] != -1
    if keep_pairs is not None:
        pair_ok |= keep_pairs
    return state, pair_ok
