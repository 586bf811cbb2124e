"""Recipe ``living_circles`` (LC-02, LC-01): new sites bringing town residents within a 15-minute walk.

Demand: the residential communities of the towns (weight = population, households where the
population column is incomplete, as the rule check weighs them). Candidates: street nodes of the
walk network in built-up areas (within :data:`BUILT_UP_RADIUS_M` of a community; the 1,000 m
15-minute circle of GB 50180-2018), or ``options.candidates`` (township seats or a point layer).

* LC-02 (fitness circle): the communities not within ``walk_minutes`` (LC-02) of a fitness
  facility get the fewest new fitness sites covering all of them (LSCP), or, with ``options.p``
  and/or ``options.budget``, the most residents covered (MCLP);
* LC-01 (15-minute living circle): the same, one model per category a community lacks within
  ``walk_minutes`` (LC-01), each category built as the facility kind of :data:`CATEGORY_KIND`.

``p`` alone gives each model (fitness, and each category) up to ``p`` sites. ``budget`` (万元) is
one budget for everything: a joint MCLP over (community, category) demands and (site, category)
candidates at each kind's unit cost maximises the residents covered summed over the categories
(``p``, when also given, caps the total number of sites). Communities no candidate can reach on
foot within the time are listed in ``tables["unreachable"]``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from planning._errors import InputError
from planning.county import County
from planning.coverage import community_weights
from planning.models import LSCP, MCLP
from planning.recipes._common import (
    actions_frame,
    candidate_sites,
    cost_matrix,
    covers,
    existing_facilities,
    fresh_id,
    get_engine,
    model_summary,
    nearest_by_origin,
    nearest_selected,
    options_or_default,
    resolve_params,
    solver_summary,
)
from planning.recipes.base import RecipeOptions, RecipeResult, apply_actions
from planning.schema import FACILITY_KIND_ZH, LIVING_CIRCLE_KINDS, FacilityKind

__all__ = ["living_circles", "CATEGORY_KIND", "BUILT_UP_RADIUS_M", "STAFFING"]

K = FacilityKind

#: The facility kind built for each LC-01 category the recipe fills.
CATEGORY_KIND: dict[str, FacilityKind] = {
    "elderly_care": K.ELDERLY_DAY_CARE,
    "childcare": K.CHILDCARE,
    "medical": K.COMMUNITY_HEALTH_CENTRE,
    "emergency": K.EMERGENCY_STATION,
    "housekeeping": K.HOUSEKEEPING,
    "meal_assistance": K.MEAL_ASSISTANCE,
    "market": K.MARKET,
    "community_service_centre": K.COMMUNITY_SERVICE_CENTRE,
}

#: Staffing a new site of a kind is planned with (HC-13: a community health service centre has a
#: full-time public-health physician).
STAFFING: dict[FacilityKind, dict[str, int]] = {K.COMMUNITY_HEALTH_CENTRE: {"public_health_physicians": 1}}

#: Street nodes within this straight-line distance (m) of a residential community are candidate
#: sites "in built-up areas" (GB 50180-2018: the 15-minute circle spans 800–1,000 m).
BUILT_UP_RADIUS_M = 1000.0


def _weights(comm: pd.DataFrame) -> tuple[np.ndarray, str]:
    w, by_population = community_weights(comm)
    return w, "population" if by_population else "households (no complete community population)"


def living_circles(county: County, *, engine: Any = None, rule_params: Any = None,
                   options: RecipeOptions | None = None) -> RecipeResult:
    """New fitness and living-circle sites so that town residents are within a 15-minute walk.

    Parameters
    ----------
    county : County
        Needs the ``communities`` layer, facilities and the road network.
    engine : TravelEngine, optional
        Walking times; built from the county when omitted.
    rule_params : dict or ResolvedParams, optional
        LC-02 ``walk_minutes``; LC-01 ``walk_minutes``.
    options : RecipeOptions, optional
        ``p`` (sites per model) or ``budget`` (万元, all models together): best coverage instead
        of full coverage; ``candidates``
        (``"street_nodes"`` default, ``"township_seats"``, or a point layer), ``costs``
        (``new:fitness_facility`` and ``new:<kind>`` of :data:`CATEGORY_KIND`), ``time_limit_s``.

    Returns
    -------
    RecipeResult
        ``new`` actions (rule LC-02 for fitness sites, LC-01 for the categories); tables
        ``models`` (one row per category: communities lacking it, covered after, sites, cost),
        ``sites``, ``unreachable``; ``solver["solves"]`` lists each model's solve.

    Raises
    ------
    InputError
        The county has no communities layer.
    """
    opts = options_or_default(options)
    params = resolve_params(rule_params)
    if county.communities is None or not len(county.communities):
        raise InputError("living_circles", ["the county has no residential communities layer (communities); "
                                            "add it to county.yaml to plan the 15-minute circles"])
    engine = get_engine(county, engine)
    comm = county.communities.assign(id=county.communities["id"].astype(str),
                                     name=county.communities["name"].astype(str)).reset_index(drop=True)
    w, basis = _weights(comm)
    cand = candidate_sites(county, opts.candidates, default=("street_nodes",),
                           allowed=("street_nodes", "township_seats"), what="living_circles", near=comm,
                           radius_m=BUILT_UP_RADIUS_M)
    walk_fit = params.value("LC-02", "walk_minutes")
    walk_lc = params.value("LC-01", "walk_minutes")
    t_cand = cost_matrix(engine, comm, cand, mode="walk", cutoff=max(walk_fit, walk_lc))
    jobs: list[tuple[str, str, frozenset[str], FacilityKind, float]] = [
        ("LC-02", "fitness", frozenset({str(K.FITNESS_FACILITY)}), K.FITNESS_FACILITY, walk_fit)]
    jobs += [("LC-01", cat, frozenset(str(k) for k in kinds), CATEGORY_KIND[cat], walk_lc)
             for cat, kinds in LIVING_CIRCLE_KINDS.items()]
    taken = set(county.facilities["id"].astype(str))
    rows, model_rows, site_rows, unreach_rows, solves = [], [], [], [], []
    prepared = []
    for rule_id, cat, kinds, build, walk in jobs:
        have = existing_facilities(county, kinds)
        t_have = nearest_by_origin(engine, comm, have, mode="walk")["travel_time_min"].to_numpy(float)
        lacking = ~covers(t_have, walk)
        cov = covers(t_cand[lacking], walk)
        reach = cov.any(axis=1)
        lack_idx = np.flatnonzero(lacking)
        for i in lack_idx[~reach]:
            unreach_rows.append({"rule_id": rule_id, "category": cat, "community_id": comm["id"].iloc[i],
                                 "community_name": comm["name"].iloc[i], "weight": float(w[i]),
                                 "reason": f"no candidate site within {walk:g} min walk"})
        prepared.append((rule_id, cat, build, walk, lacking, cov[reach], lack_idx[reach],
                         opts.unit_cost("new", str(build))))
    solver_opts = opts.solver_options()
    chosen = [np.zeros(len(cand), dtype=bool) for _ in prepared]
    if opts.budget is not None:
        # one budget for every category: a joint MCLP over (community, category) demands and
        # (site, category) candidates, covering only within the same category
        blocks = [(k, job) for k, job in enumerate(prepared) if job[6].size]
        if blocks:
            n_tot = sum(job[6].size for _, job in blocks)
            m_all = len(cand) * len(blocks)
            cost = np.full((n_tot, m_all), np.inf)
            weights, d_ids, c_ids, c_cost = [], [], [], []
            r0 = 0
            for b, (k, job) in enumerate(blocks):
                cov_k, dem_k = job[5], job[6]
                cost[r0:r0 + dem_k.size, b * len(cand):(b + 1) * len(cand)] = np.where(cov_k, 0.0, np.inf)
                weights += list(w[dem_k])
                d_ids += [f"{job[1]}|{comm['id'].iloc[i]}" for i in dem_k]
                c_ids += [f"{job[1]}|{c}" for c in cand["id"]]
                c_cost += [job[7]] * len(cand)
                r0 += dem_k.size
            model = MCLP.from_cost_matrix(cost, weights=weights, demand_ids=d_ids, candidate_ids=c_ids, threshold=0.0,
                                          p=opts.p, budget=opts.budget, site_cost=np.asarray(c_cost)).solve(solver_opts)
            picked = np.isin(np.asarray(c_ids, dtype=object), model.selected_)
            for b, (k, _) in enumerate(blocks):
                chosen[k] = picked[b * len(cand):(b + 1) * len(cand)]
            solves.append(model_summary("MCLP", model, rule_id="LC-02, LC-01", category="all (one budget)"))
    else:
        for k, (rule_id, cat, _, _, _, cov_k, dem_k, unit) in enumerate(prepared):
            if not dem_k.size:
                continue
            cost = np.where(cov_k, 0.0, np.inf)
            ids = list(comm["id"].iloc[dem_k])
            if opts.p is not None:
                model = MCLP.from_cost_matrix(cost, weights=w[dem_k], demand_ids=ids, candidate_ids=list(cand["id"]),
                                              threshold=0.0, p=opts.p).solve(solver_opts)
                name = "MCLP"
            else:
                model = LSCP.from_cost_matrix(cost, weights=w[dem_k], demand_ids=ids, candidate_ids=list(cand["id"]),
                                              threshold=0.0).solve(solver_opts)
                name = "LSCP"
            chosen[k] = np.isin(cand["id"].to_numpy(), model.selected_)
            solves.append(model_summary(name, model, rule_id=rule_id, category=cat))
    for k, (rule_id, cat, build, walk, lacking, cov_r, dem, unit) in enumerate(prepared):
        sel = np.flatnonzero(chosen[k])
        owner = nearest_selected(cov_r, t_cand[dem], sel)
        for j in sel:
            members = dem[owner == j]
            gained = float(w[members].sum())
            site_id = fresh_id(f"{str(build).upper()[:3]}-NEW-{cand['id'].iloc[j]}", taken)
            label = "fitness site" if cat == "fitness" else f"{cat} ({build})"
            rows.append({"action": "new", "kind": str(build), "site_id": site_id,
                         "site_name": f"{cand['name'].iloc[j]}{FACILITY_KIND_ZH[FacilityKind(build)]}",
                         "township_id": cand["township_id"].iloc[j],
                         "cost": unit, "population_gained": gained, "rule_id": rule_id,
                         "reason": (f"new {label} at {cand['name'].iloc[j]}: brings {len(members)} communities "
                                    f"({gained:,.0f} {basis.split(' (')[0]}) within {walk:g} min walk"),
                         "reason_zh": (f"在{cand['name'].iloc[j]}新建{FACILITY_KIND_ZH[FacilityKind(build)]}：使"
                                       f"{len(members)}个社区（{gained:,.0f}{'人' if basis == 'population' else '户'}）"
                                       f"步行{walk:g}分钟可达"),
                         "attributes": dict(STAFFING.get(build, {})), "geometry": cand.geometry.iloc[j]})
            site_rows.append({"site_id": site_id, "candidate_id": cand["id"].iloc[j], "rule_id": rule_id,
                              "category": cat, "kind": str(build), "communities_gained": len(members),
                              "weight_gained": gained})
        covered_after = int((owner >= 0).sum())
        model_rows.append({"rule_id": rule_id, "category": cat, "kind_built": str(build),
                           "communities_lacking": int(lacking.sum()), "weight_lacking": float(w[lacking].sum()),
                           "communities_unreachable": int(lacking.sum() - dem.size), "communities_covered": covered_after,
                           "sites": int(sel.size), "cost": float(unit * sel.size)})
    actions = actions_frame(rows, county.crs)
    if solves:
        finite = [s for s in solves if s["bound"] is not None]
        obj = float(sum(s["objective"] for s in solves))
        bound = float(sum(s["bound"] for s in finite)) if len(finite) == len(solves) else float("nan")
        status = next((s["status"] for s in solves if s["status"] != "optimal"), "optimal")
        solver = solver_summary("LSCP/MCLP per category", status=status, objective=obj, bound=bound,
                                gap=0.0 if status == "optimal" else float("nan"),
                                solve_seconds=float(sum(s["solve_seconds"] for s in solves)), solves=solves)
    else:
        solver = solver_summary("LSCP/MCLP per category", status="optimal", objective=0.0, bound=0.0, gap=0.0,
                                solve_seconds=0.0, solves=[])
    solver["weight_basis"] = basis
    solver["candidates"] = int(len(cand))
    tables = {"models": pd.DataFrame(model_rows),
              "sites": pd.DataFrame(site_rows, columns=["site_id", "candidate_id", "rule_id", "category", "kind",
                                                        "communities_gained", "weight_gained"]),
              "unreachable": pd.DataFrame(unreach_rows, columns=["rule_id", "category", "community_id",
                                                                 "community_name", "weight", "reason"])}
    return RecipeResult(name="living_circles", actions=actions, tables=tables, solver=solver,
                        county_after=apply_actions(county, actions))

