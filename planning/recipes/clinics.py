"""Recipe ``village_clinics`` (HC-01, HC-02, HC-03): keep, add and merge village clinics.

Every rural village must be served as HC-02 reads: its own clinic; or, exempt, the township
hospital (within ``near_township_hospital_minutes``, or within ``served_max_minutes`` for a
village under ``min_population``); or a shared clinic within ``shared_clinic_max_minutes`` (within
``served_max_minutes`` for a small village). Each open clinic needs ``max(1, ceil(assigned
population / population_per_doctor))`` village doctors (HC-03).

The decision is one exact facility-location model with assignment (HiGHS):

* sites: the existing clinics (kept at no cost, or closed — a *merge* when its village is then
  served by another clinic, a *close* when the township hospital serves it — at the unit cost of
  that action) and a new clinic at the seat of every rural village without one
  (``new:village_clinic``); clinics in urban villages are kept as they are;
* every village assigned to one open clinic it may use, or exempt;
* doctors: the doctors of a closed clinic are redeployed in the county (乡村医生县管乡用) to open
  clinics that need them; every further doctor is hired at ``upgrade:village_doctor`` each.

Formulation (``y_j`` site open, ``x_ij`` village ``i`` served by clinic ``j`` (allowed pairs
only), ``e_i`` village exempt, ``n_j`` doctors needed, ``h_j`` hired, ``r_j`` redeployed to
``j``; ``d_j`` doctors present, ``P_i`` population, ``K`` = population per doctor)::

    min  Σ_new c_new y_j + c_doc Σ_j h_j + Σ_existing c_close_j (1 − y_j)   (+ ties, < 1 yuan)
    s.t. Σ_j x_ij + e_i = 1                  every rural village
         x_ij ≤ y_j
         K n_j ≥ Σ_i P_i x_ij,  n_j ≥ y_j
         d_j y_j + h_j + r_j ≥ n_j
         Σ_j r_j ≤ Σ_existing d_j (1 − y_j)
         y, x, e binary; n, h, r integer ≥ 0

Ties are broken, within one yuan in total, toward keeping existing clinics and shorter
population-weighted travel. With ``options.budget`` the model first maximises the population of
villages served within the budget, then minimises the cost of serving that many.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse

from planning._errors import InputError
from planning.county import County
from planning.coverage import owner_place
from planning.models._highs import relative_gap, solve_milp
from planning.recipes._common import (
    actions_frame,
    check_options,
    cost_matrix,
    covers,
    existing_facilities,
    fresh_id,
    get_engine,
    nearest_by_origin,
    options_or_default,
    resolve_params,
    rural_villages,
    solver_summary,
)
from planning.recipes.base import RecipeOptions, RecipeResult, apply_actions
from planning.schema import FacilityKind

__all__ = ["village_clinics"]

K = FacilityKind
_TOWNSHIP_LEVEL = (str(K.TOWNSHIP_HOSPITAL), str(K.CENTRAL_TOWNSHIP_HOSPITAL))
#: Costs are scaled to yuan inside the model (1 万元 = 10,000 yuan) so that tie-breaking terms
#: worth less than one yuan in total sit well above the solver's tolerances.
_YUAN = 10_000.0
#: How a village is served (the ``how`` column of the villages table), in Chinese.
_HOW_ZH = {
    "own clinic": "本村卫生室",
    "small village, clinic within served_max_minutes": "小村，服务时间内有卫生室",
    "shared clinic": "与邻村共用卫生室",
    "exempt: township hospital": "临近乡镇卫生院，可不单设卫生室",
    "not served (budget)": "未覆盖（预算不足）",
}


def village_clinics(county: County, *, engine: Any = None, rule_params: Any = None,
                    options: RecipeOptions | None = None) -> RecipeResult:
    """Keep, add and merge village clinics so that every rural village is served (HC-01–HC-03).

    Parameters
    ----------
    county : County
        Villages (population; ``urban`` marks town villages, left out), facilities
        (``village_clinic`` with ``village_doctors``; township hospitals), roads.
    engine : TravelEngine, optional
        Drive times; built from the county when omitted.
    rule_params : dict or ResolvedParams, optional
        HC-02 ``min_population``, ``near_township_hospital_minutes``,
        ``shared_clinic_max_minutes``, ``served_max_minutes``; HC-03 ``population_per_doctor``.
    options : RecipeOptions, optional
        ``budget`` (万元), ``costs`` (``new:village_clinic``, ``upgrade:village_doctor``,
        ``merge:village_clinic``, ``close:village_clinic``), ``time_limit_s``.

    Returns
    -------
    RecipeResult
        Actions: ``new`` clinics (attributes ``village_doctors``, ``village_id``, and
        ``tcm_doctors`` = 1: a new clinic is planned with a doctor able to provide TCM, HC-13), ``upgrade``
        of kept clinics that need doctors (attributes ``village_doctors``), ``merge``/``close``
        of clinics no longer needed. Tables: ``clinics`` (per open clinic: villages served,
        population, doctors needed, present, redeployed, hired), ``villages`` (how each is
        served), ``assignment`` (``origin_id`` village → ``destination_id`` clinic, for
        :func:`planning.rules.evaluate` ``assignment=``).

    Examples
    --------
    >>> from planning.recipes import RECIPES                                  # doctest: +SKIP
    >>> result = RECIPES["village_clinics"](county)                           # doctest: +SKIP
    >>> result.tables["clinics"].head()                                       # doctest: +SKIP
    """
    opts = options_or_default(options)
    check_options(opts, "village_clinics", uses=("budget", "candidates"), candidates=("villages",))
    params = resolve_params(rule_params)
    engine = get_engine(county, engine)
    min_pop = params.value("HC-02", "min_population")
    near_min = params.value("HC-02", "near_township_hospital_minutes")
    shared_min = params.value("HC-02", "shared_clinic_max_minutes")
    served_min = params.value("HC-02", "served_max_minutes")
    per_doctor = params.value("HC-03", "population_per_doctor")
    c_new = opts.unit_cost("new", str(K.VILLAGE_CLINIC))
    c_doc = opts.unit_cost("upgrade", "village_doctor")
    c_merge = opts.unit_cost("merge", str(K.VILLAGE_CLINIC))
    c_close = opts.unit_cost("close", str(K.VILLAGE_CLINIC))

    villages = rural_villages(county)
    n = len(villages)
    vid = villages["id"].to_numpy(dtype=object)
    pop = villages["population"].to_numpy(dtype=float)
    small = pop < min_pop
    all_villages = county.villages.assign(id=county.villages["id"].astype(str))
    clinics = existing_facilities(county, [str(K.VILLAGE_CLINIC)])
    owner = owner_place(clinics, all_villages)
    rural_set = set(vid)
    doctors_raw = (pd.to_numeric(clinics["village_doctors"], errors="coerce") if "village_doctors" in clinics.columns
                   else pd.Series(np.nan, index=clinics.index)).to_numpy(dtype=float)
    doctors = np.where(np.isfinite(doctors_raw), np.maximum(doctors_raw, 0), 0.0)
    owned = {o for o in owner if o is not None}
    taken = set(county.facilities["id"].astype(str))
    new_vill = [i for i in range(n) if vid[i] not in owned]
    new_ids = [fresh_id(f"VC-NEW-{vid[i]}", taken) for i in new_vill]
    sites = pd.DataFrame({
        "id": list(clinics["id"]) + new_ids,
        "name": list(clinics["name"]) + [f"{villages['name'].iloc[i]}卫生室" for i in new_vill],
        "existing": [True] * len(clinics) + [False] * len(new_vill),
        "owner": list(owner) + [vid[i] for i in new_vill],
        "township_id": list(clinics["township_id"]) + [villages["township_id"].iloc[i] for i in new_vill],
        "doctors": list(doctors) + [0.0] * len(new_vill),
        "doctors_known": list(np.isfinite(doctors_raw)) + [True] * len(new_vill),
    })
    geoms = list(clinics.geometry) + [villages.geometry.iloc[i] for i in new_vill]
    site_gdf = gpd.GeoDataFrame(sites[["id"]], geometry=geoms, crs=county.crs)
    m = len(sites)
    fixed = np.asarray([bool(e) and o not in rural_set for e, o in zip(sites["existing"], sites["owner"], strict=True)])

    cost = cost_matrix(engine, villages, site_gdf, mode="drive", cutoff=max(shared_min, served_min))
    hosp = existing_facilities(county, _TOWNSHIP_LEVEL)
    th = nearest_by_origin(engine, villages, hosp, mode="drive")
    t_th = th["travel_time_min"].to_numpy(dtype=float)
    th_id = th["destination_id"].to_numpy(dtype=object)
    exempt = covers(t_th, near_min) | (small & covers(t_th, served_min))
    allowed = covers(cost, shared_min) | (small[:, None] & covers(cost, served_min))
    vindex = {v: i for i, v in enumerate(vid)}
    for j, o in enumerate(sites["owner"]):
        if o in vindex:
            allowed[vindex[o], j] = True
    pi, pj = np.nonzero(allowed)
    t_pair = np.where(np.isfinite(cost[pi, pj]), cost[pi, pj], 0.0)

    # passes before: own clinic, exempt, or an existing clinic it may use
    existing_cols = np.asarray(sites["existing"], dtype=bool)
    before = exempt | allowed[:, existing_cols].any(axis=1)

    close_cost = np.zeros(m)
    close_kind = np.full(m, "", dtype=object)
    owner_exempt = {vid[i]: bool(exempt[i]) for i in range(n)}
    for j in range(m):
        if sites["existing"].iloc[j] and not fixed[j]:
            if owner_exempt.get(sites["owner"].iloc[j], False):
                close_cost[j], close_kind[j] = c_close, "close"
            else:
                close_cost[j], close_kind[j] = c_merge, "merge"

    sol = _solve(n=n, m=m, pi=pi, pj=pj, t_pair=t_pair, pop=pop, exempt=exempt, t_th=t_th,
                 existing=existing_cols, fixed=fixed, doctors=np.asarray(sites["doctors"], float),
                 c_new=c_new, c_doc=c_doc, close_cost=close_cost, per_doctor=per_doctor, opts=opts)
    y, x, e, hire = sol["y"], sol["x"], sol["e"], sol["hire"]
    # doctors needed exactly as HC-03 counts them (redeployments cost nothing, so the solver may
    # leave n_j above the need); redeployments only where they fill a need
    load = np.zeros(m)
    np.add.at(load, pj[x], pop[pi[x]])
    need = np.where(y, np.maximum(1, np.ceil(load / per_doctor - 1e-9)), 0).astype(np.int64)
    have = np.asarray(sites["doctors"], dtype=float)
    redeploy = np.where(y, np.clip(need - have - hire, 0, None), 0).astype(np.int64)

    served_by = np.full(n, None, dtype=object)
    how = np.full(n, "", dtype=object)
    t_served = np.full(n, np.nan)
    for k in np.flatnonzero(x):
        i, j = pi[k], pj[k]
        served_by[i] = sites["id"].iloc[j]
        t_served[i] = cost[i, j]
        if sites["owner"].iloc[j] == vid[i]:
            how[i] = "own clinic"
        elif small[i] and not covers([cost[i, j]], shared_min)[0]:
            how[i] = "small village, clinic within served_max_minutes"
        else:
            how[i] = "shared clinic"
    for i in np.flatnonzero(e):
        served_by[i] = th_id[i]
        t_served[i] = t_th[i]
        how[i] = "exempt: township hospital"
    for i in range(n):
        if served_by[i] is None:
            how[i] = "not served (budget)"
    village_name = dict(zip(vid, villages["name"].astype(str), strict=True))
    facility_name = dict(zip(county.facilities["id"].astype(str), county.facilities["name"].astype(str), strict=True))
    facility_name.update(zip(sites["id"].astype(str), sites["name"].astype(str), strict=True))

    # tables
    clinic_rows = []
    assigned: dict[int, list[int]] = {}
    for k in np.flatnonzero(x):
        assigned.setdefault(int(pj[k]), []).append(int(pi[k]))
    for j in np.flatnonzero(y):
        members = assigned.get(int(j), [])
        clinic_rows.append({
            "clinic_id": sites["id"].iloc[j], "clinic_name": sites["name"].iloc[j],
            "status": ("kept" if sites["existing"].iloc[j] else "new"), "township_id": sites["township_id"].iloc[j],
            "villages": "; ".join(f"{vid[i]}:{villages['name'].iloc[i]}" for i in members),
            "n_villages": len(members), "population": float(pop[members].sum()) if members else 0.0,
            "doctors_needed": int(need[j]),
            "doctors_present": (float(sites["doctors"].iloc[j]) if sites["doctors_known"].iloc[j] else np.nan),
            "doctors_redeployed": int(redeploy[j]), "doctors_hired": int(hire[j]),
        })
    clinic_table = pd.DataFrame(clinic_rows, columns=["clinic_id", "clinic_name", "status", "township_id", "villages",
                                                      "n_villages", "population", "doctors_needed", "doctors_present",
                                                      "doctors_redeployed", "doctors_hired"])
    village_table = pd.DataFrame({"village_id": vid, "village_name": villages["name"].to_numpy(),
                                  "township_id": villages["township_id"].to_numpy(), "population": pop,
                                  "served_before": before, "served_by": served_by, "how": how,
                                  "travel_time_min": t_served})
    assign_ids = [sites["id"].iloc[pj[k]] for k in np.flatnonzero(x)]
    assignment = pd.DataFrame({"origin_id": [vid[pi[k]] for k in np.flatnonzero(x)], "destination_id": assign_ids})

    # actions
    rows: list[dict[str, Any]] = []
    pos = {sid: g for sid, g in zip(sites["id"], geoms, strict=True)}
    gained = {j: float(sum(pop[i] for i in assigned.get(j, []) if not before[i])) for j in range(m)}
    served_pop = {j: float(sum(pop[i] for i in assigned.get(j, []))) for j in range(m)}
    for j in range(m):
        sid = sites["id"].iloc[j]
        members = assigned.get(j, [])
        names = "、".join(villages["name"].iloc[i] for i in members[:8]) + ("等" if len(members) > 8 else "")
        if not sites["existing"].iloc[j] and y[j]:
            owner = sites["owner"].iloc[j]
            owner_name = village_name.get(owner, owner)
            rows.append({"action": "new", "kind": str(K.VILLAGE_CLINIC), "site_id": sid,
                         "site_name": sites["name"].iloc[j], "township_id": sites["township_id"].iloc[j],
                         "cost": c_new + c_doc * hire[j], "population_gained": gained[j], "rule_id": "HC-01",
                         "reason": (f"new clinic at the village seat of {owner_name} ({owner}); serves {len(members)} "
                                    f"village(s) ({names}), {served_pop[j]:,.0f} residents; {int(need[j])} doctor(s) "
                                    f"needed (HC-03): {int(redeploy[j])} redeployed, {int(hire[j])} hired"),
                         "reason_zh": (f"在{owner_name}村委会所在地"
                                       f"新建卫生室，服务{len(members)}个行政村（{names}）{served_pop[j]:,.0f}人；"
                                       f"需乡村医生{int(need[j])}名（HC-03）：调配{int(redeploy[j])}名、"
                                       f"新聘{int(hire[j])}名"),
                         "attributes": {"village_doctors": int(need[j]), "tcm_doctors": 1,
                                        "village_id": str(owner)},
                         "geometry": pos[sid]})
        elif sites["existing"].iloc[j] and y[j] and (need[j] > sites["doctors"].iloc[j] or not sites["doctors_known"].iloc[j]):
            have = sites["doctors"].iloc[j] if sites["doctors_known"].iloc[j] else float("nan")
            have_txt = f"{have:g}" if have == have else "unknown (taken as 0)"
            have_zh = f"{have:g}名" if have == have else "人数不详（按0计）"
            rows.append({"action": "upgrade", "kind": str(K.VILLAGE_CLINIC), "site_id": sid,
                         "site_name": sites["name"].iloc[j], "township_id": sites["township_id"].iloc[j],
                         "cost": c_doc * hire[j], "population_gained": served_pop[j], "rule_id": "HC-03",
                         "reason": (f"serves {len(members)} village(s) ({names}), {served_pop[j]:,.0f} residents: needs "
                                    f"{int(need[j])} village doctor(s), has {have_txt}; {int(redeploy[j])} redeployed, "
                                    f"{int(hire[j])} hired"),
                         "reason_zh": (f"服务{len(members)}个行政村（{names}）{served_pop[j]:,.0f}人，需乡村医生"
                                       f"{int(need[j])}名、现有{have_zh}；调配{int(redeploy[j])}名、新聘{int(hire[j])}名"),
                         "attributes": {"village_doctors": int(need[j])}, "geometry": pos[sid]})
        elif sites["existing"].iloc[j] and not y[j]:
            o = sites["owner"].iloc[j]
            i = vindex.get(o)
            target = served_by[i] if i is not None else None
            act = close_kind[j]
            if act == "merge" and target is None:
                act = "close"
            d = int(sites["doctors"].iloc[j])
            rows.append({"action": act, "kind": str(K.VILLAGE_CLINIC), "site_id": sid,
                         "site_name": sites["name"].iloc[j], "township_id": sites["township_id"].iloc[j],
                         "cost": c_merge if act == "merge" else c_close, "population_gained": 0.0, "rule_id": "HC-02",
                         "target_id": target if act == "merge" else "",
                         "reason": (f"village {village_name.get(o, '')} ({o}) is served by "
                                    f"{facility_name.get(str(target), '')} ({target}), {how[i]}" if i is not None else "")
                         + (f"; its {d} doctor(s) are redeployed to clinics that need them" if d else ""),
                         "reason_zh": (f"{village_name.get(o, o)}由{facility_name.get(str(target), target)}服务"
                                       f"（{_HOW_ZH.get(how[i], how[i])}）" if i is not None else "")
                         + (f"；原有{d}名乡村医生调配至需要的卫生室" if d else ""),
                         "attributes": {"doctors_redeployed": d}, "geometry": pos[sid]})
    actions = actions_frame(rows, county.crs)
    actions_cost = float(actions["cost"].sum()) if len(actions) else 0.0
    unserved = village_table[village_table["served_by"].isna()]
    optimal = sol["status"] == "optimal"
    bound = actions_cost if optimal else sol["bound"]
    solver = solver_summary("facility location with assignment (HiGHS)", status=sol["status"],
                            objective=actions_cost, bound=bound,
                            gap=relative_gap(actions_cost, bound) if np.isfinite(bound) else float("inf"),
                            solve_seconds=sol["seconds"], villages=int(n), candidates=int(m),
                            allowed_pairs=int(len(pi)),
                            population_served=float(pop[np.asarray([s is not None for s in served_by], bool)].sum()),
                            villages_not_served=int(len(unserved)))
    tables = {"clinics": clinic_table, "villages": village_table, "assignment": assignment}
    return RecipeResult(name="village_clinics", actions=actions, tables=tables, solver=solver,
                        county_after=apply_actions(county, actions))


def _solve(*, n: int, m: int, pi: np.ndarray, pj: np.ndarray, t_pair: np.ndarray, pop: np.ndarray,
           exempt: np.ndarray, t_th: np.ndarray, existing: np.ndarray, fixed: np.ndarray, doctors: np.ndarray,
           c_new: float, c_doc: float, close_cost: np.ndarray, per_doctor: float,
           opts: RecipeOptions) -> dict[str, Any]:
    """Build and solve the clinic model (see the module docstring); costs in 万元 out."""
    K_ = len(pi)
    ei = np.flatnonzero(exempt)
    n_e = len(ei)
    # columns: y (m) | x (K_) | e (n_e) | need (m) | hire (m) | redeploy (m)
    oy, ox, oe = 0, m, m + K_
    on, oh, orr = m + K_ + n_e, 2 * m + K_ + n_e, 3 * m + K_ + n_e
    ncol = 4 * m + K_ + n_e
    cost_vec = np.zeros(ncol)
    closable = existing & ~fixed
    cost_vec[oy:oy + m] = np.where(existing, -close_cost * closable, c_new) * _YUAN
    offset = float(close_cost[closable].sum()) * _YUAN
    cost_vec[oh:oh + m] = c_doc * _YUAN
    # ties: keep existing clinics (< 0.5 yuan in all), shorter weighted travel (< 0.5 yuan in all)
    base_cost, base_offset = cost_vec.copy(), offset
    keep_eps = 0.5 / (closable.sum() + 1)
    cost_vec[oy:oy + m] -= keep_eps * closable
    offset += keep_eps * closable.sum()
    t_e = np.where(np.isfinite(t_th[ei]), t_th[ei], 0.0)
    scale = float((pop.max() if n else 1.0) * max(t_pair.max() if K_ else 1.0, t_e.max() if n_e else 1.0, 1.0) * max(n, 1))
    travel = np.zeros(ncol)
    travel[ox:ox + K_] = pop[pi] * t_pair
    travel[oe:oe + n_e] = pop[ei] * t_e
    travel *= 0.5 / scale

    r, c, v = [], [], []
    lo, hi = [], []
    row = 0

    def add(cols: np.ndarray, vals: np.ndarray, low: float, high: float) -> None:
        nonlocal row
        r.extend([row] * len(cols))
        c.extend(np.asarray(cols, dtype=np.int64).tolist())
        v.extend(np.asarray(vals, dtype=float).tolist())
        lo.append(low)
        hi.append(high)
        row += 1

    # served: sum_j x_ij + e_i (= 1, or <= 1 with a budget)
    e_of = {int(i): k for k, i in enumerate(ei)}
    by_village: dict[int, list[int]] = {}
    for k, i in enumerate(pi):
        by_village.setdefault(int(i), []).append(k)
    for i in range(n):
        cols = [ox + k for k in by_village.get(i, [])]
        if i in e_of:
            cols.append(oe + e_of[i])
        add(np.asarray(cols), np.ones(len(cols)), -np.inf if opts.budget is not None else 1.0, 1.0)
    # x_ij <= y_j
    for k in range(K_):
        add(np.asarray([ox + k, oy + pj[k]]), np.asarray([1.0, -1.0]), -np.inf, 0.0)
    # K need_j - sum_i P_i x_ij >= 0 ; need_j - y_j >= 0 ; d_j y_j + hire_j + redeploy_j - need_j >= 0
    by_site: dict[int, list[int]] = {}
    for k, j in enumerate(pj):
        by_site.setdefault(int(j), []).append(k)
    for j in range(m):
        ks = by_site.get(j, [])
        add(np.asarray([on + j] + [ox + k for k in ks]), np.asarray([per_doctor] + [-pop[pi[k]] for k in ks]), 0.0, np.inf)
        add(np.asarray([on + j, oy + j]), np.asarray([1.0, -1.0]), 0.0, np.inf)
        add(np.asarray([oy + j, oh + j, orr + j, on + j]), np.asarray([doctors[j], 1.0, 1.0, -1.0]), 0.0, np.inf)
    # sum_j redeploy_j + sum_existing d_j y_j <= sum_existing d_j
    pool = float(doctors[existing].sum())
    add(np.concatenate([orr + np.arange(m), oy + np.flatnonzero(existing)]),
        np.concatenate([np.ones(m), doctors[existing]]), -np.inf, pool)
    if opts.budget is not None:
        nz = np.flatnonzero(base_cost)
        add(nz, base_cost[nz] / _YUAN, -np.inf, opts.budget - base_offset / _YUAN)
    matrix = sparse.csr_array((v, (r, c)), shape=(row, ncol))
    col_lo = np.zeros(ncol)
    col_hi = np.full(ncol, np.inf)
    col_hi[oy:oy + m] = 1.0
    col_lo[oy:oy + m] = fixed.astype(float)
    col_hi[ox:ox + K_] = 1.0
    col_hi[oe:oe + n_e] = 1.0
    col_hi[orr:orr + m] = pool
    integer = np.ones(ncol, dtype=bool)
    lo_a, hi_a = np.asarray(lo), np.asarray(hi)
    seconds = 0.0
    start = None
    gap = 0.0
    full = None
    if opts.budget is not None:
        # everyone served within the budget? then that least-cost plan is the answer
        lo_full = lo_a.copy()
        lo_full[:n] = 1.0
        full = solve_milp(cost_vec + travel, matrix, lo_full, hi_a, col_lo, col_hi, integer, offset=offset,
                          time_limit_s=opts.time_limit_s, threads=opts.threads)
        seconds += full.seconds
        if full.status == "infeasible":
            full = None
    if opts.budget is not None and full is None:
        served_obj = np.zeros(ncol)
        served_obj[ox:ox + K_] = pop[pi]
        served_obj[oe:oe + n_e] = pop[ei]
        first = solve_milp(served_obj, matrix, lo_a, hi_a, col_lo, col_hi, integer, maximize=True,
                           time_limit_s=opts.time_limit_s, threads=opts.threads)
        seconds += first.seconds
        if first.status == "infeasible":
            raise InputError("village_clinics options", [f"budget {opts.budget:g} 万元 cannot even keep the clinics "
                                                         "that must stay open; raise the budget"])
        best = first.objective
        start = first.x  # feasible for the second stage (it serves ``best``)
        # the second stage stops within a quarter yuan of the least cost (the budget bounds it)
        gap = 0.25 / max(opts.budget * _YUAN, 1.0)
        matrix = sparse.vstack([matrix, sparse.csr_array(served_obj.reshape(1, -1))]).tocsr()
        lo_a = np.append(lo_a, best - 1e-6)
        hi_a = np.append(hi_a, np.inf)
    if full is not None:
        res = full
    else:
        res = solve_milp(cost_vec + travel, matrix, lo_a, hi_a, col_lo, col_hi, integer, offset=offset,
                         time_limit_s=opts.time_limit_s, threads=opts.threads, start=start, mip_gap=gap)
        seconds += res.seconds
    if res.x is None:
        raise InputError("village_clinics", ["the clinic model has no feasible solution; please report this county"])
    sol = np.round(res.x).astype(np.int64)
    return {
        "y": sol[oy:oy + m].astype(bool), "x": sol[ox:ox + K_].astype(bool),
        "e": np.isin(np.arange(n), ei[sol[oe:oe + n_e].astype(bool)]),
        "need": sol[on:on + m], "hire": sol[oh:oh + m], "redeploy": sol[orr:orr + m],
        "status": res.status, "seconds": seconds,
        # the tie-breaking terms are worth under one yuan in all
        "bound": (res.bound - 1.0) / _YUAN if np.isfinite(res.bound) else float("-inf"),
    }

