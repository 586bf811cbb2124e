"""Recipe ``emergency_network`` (HC-06): ambulance posts so that rural villages lie within the radius.

Emergency nodes are the county hospital, central township hospitals, emergency centres and
stations, and township hospitals with an ambulance (``has_ambulance``), as the rule check counts
them. Villages already within ``radius_km`` road distance of a node are covered; for the others
the recipe chooses among

* township hospitals without an ambulance, to equip (``upgrade`` keeping the kind, attributes
  ``{"has_ambulance": true}``, cost ``upgrade:emergency_station``);
* new emergency stations at township seats or village seats (``new:emergency_station``), or at
  the sites of ``options.candidates``.

Without ``budget`` or ``p``: the fewest posts covering every rural village some candidate can
reach (LSCP; among plans with the fewest posts, the cheapest). With ``budget`` (万元) and/or
``p``: the most rural population covered within them (MCLP with site costs). Villages no
candidate can reach within the radius are listed in ``tables["unreachable"]`` with the nearest
candidate's distance; they are never counted as covered.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from planning.county import County
from planning.models import LSCP, MCLP
from planning.recipes._common import (
    CANDIDATE_SOURCE_ZH,
    actions_frame,
    candidate_sites,
    cost_matrix,
    covers,
    existing_facilities,
    fresh_id,
    get_engine,
    model_summary,
    nearest_distance,
    nearest_selected,
    options_or_default,
    resolve_params,
    rural_villages,
    solver_summary,
)
from planning.recipes.base import RecipeOptions, RecipeResult, apply_actions
from planning.schema import FacilityKind

__all__ = ["emergency_network", "emergency_nodes"]

K = FacilityKind


def emergency_nodes(county: County) -> gpd.GeoDataFrame:
    """The county's emergency nodes as HC-06 counts them (ambulance township hospitals included)."""
    from planning.validate import coerce_bool

    always = existing_facilities(county, [str(K.COUNTY_HOSPITAL), str(K.CENTRAL_TOWNSHIP_HOSPITAL),
                                          str(K.EMERGENCY_STATION), str(K.EMERGENCY_CENTRE)])
    th = existing_facilities(county, [str(K.TOWNSHIP_HOSPITAL)])
    if "has_ambulance" in th.columns and len(th):
        amb = th["has_ambulance"]
        equipped = coerce_bool(amb.where(amb.notna(), False))[0].to_numpy(dtype=bool)
    else:
        equipped = np.zeros(len(th), dtype=bool)
    return gpd.GeoDataFrame(pd.concat([always, th[equipped]], ignore_index=True), geometry="geometry", crs=county.crs)


def emergency_network(county: County, *, engine: Any = None, rule_params: Any = None,
                      options: RecipeOptions | None = None) -> RecipeResult:
    """Fewest ambulance posts (or best coverage for a budget) for the HC-06 emergency radius.

    Parameters
    ----------
    county : County
        Villages (rural ones are the demand), facilities, roads, townships (seats).
    engine : TravelEngine, optional
        Road distances (drive network); built from the county when omitted.
    rule_params : dict or ResolvedParams, optional
        HC-06 ``radius_km`` (default 15, allowed 10–20).
    options : RecipeOptions, optional
        ``budget`` (万元) and/or ``p`` (posts) switch to best coverage; ``candidates`` for new
        posts: ``"township_seats"``, ``"villages"``, ``"facilities"`` (township hospitals only)
        or a point layer (default: township seats, village seats and township hospitals);
        ``costs`` (``upgrade:emergency_station``, ``new:emergency_station``); ``time_limit_s``.

    Returns
    -------
    RecipeResult
        Actions ``upgrade`` (township hospital equipped) and ``new`` (emergency station), each
        with the rural population it brings within the radius. Tables: ``posts``, ``villages``
        (distance before and after), ``unreachable``, ``coverage`` (share of rural population
        within 10, 15 and 20 km before and after).

    Examples
    --------
    >>> result = RECIPES["emergency_network"](county, rule_params={"HC-06": {"radius_km": 12}})  # doctest: +SKIP
    >>> result.tables["unreachable"]                                                              # doctest: +SKIP
    """
    opts = options_or_default(options)
    params = resolve_params(rule_params)
    engine = get_engine(county, engine)
    radius_m = params.value("HC-06", "radius_km") * 1000.0
    villages = rural_villages(county)
    nodes = emergency_nodes(county)
    d_before, node_before = nearest_distance(engine, villages, nodes)
    covered_before = covers(d_before, radius_m)
    demand = villages[~covered_before].reset_index(drop=True)

    node_ids = set(nodes["id"].astype(str))
    th = existing_facilities(county, [str(K.TOWNSHIP_HOSPITAL)])
    th = th[~th["id"].isin(node_ids)]
    upgrades = gpd.GeoDataFrame({"id": th["id"].to_numpy(), "name": th["name"].to_numpy(),
                                 "township_id": th["township_id"].to_numpy(), "source": "township_hospital"},
                                geometry=list(th.geometry), crs=county.crs)
    spec = opts.candidates
    if spec == "facilities":
        new_sites = upgrades.iloc[0:0]
    else:
        new_sites = candidate_sites(county, spec, default=("township_seats", "villages"),
                                    allowed=("township_seats", "villages", "facilities"), what="emergency_network",
                                    villages=villages)
    cand = gpd.GeoDataFrame(pd.concat([upgrades, new_sites], ignore_index=True), geometry="geometry", crs=county.crs)
    cand = cand.drop_duplicates("id", keep="first").reset_index(drop=True)
    c_up = opts.unit_cost("upgrade", str(K.EMERGENCY_STATION))
    c_new = opts.unit_cost("new", str(K.EMERGENCY_STATION))
    is_up = (cand["source"] == "township_hospital").to_numpy()
    site_cost = np.where(is_up, c_up, c_new)

    dist = cost_matrix(engine, demand, cand, mode="drive", metric="distance", cutoff=radius_m)
    cov = covers(dist, radius_m)
    reach = cov.any(axis=1)
    unreachable = demand[~reach]
    d_cand_min, _, why = nearest_distance(engine, unreachable, cand, reasons=True)
    unreach_table = pd.DataFrame({
        "village_id": unreachable["id"].to_numpy(), "village_name": unreachable["name"].to_numpy(),
        "township_id": unreachable["township_id"].to_numpy(), "population": unreachable["population"].to_numpy(),
        "nearest_candidate_km": d_cand_min / 1000.0,
        "reason": [f"no candidate site within {radius_m / 1000:g} km by road (nearest "
                   + (f"{d / 1000:,.1f} km" if d == d else f"unreachable: {w}") + ")"
                   for d, w in zip(d_cand_min, why, strict=True)],
    })
    dem = demand[reach].reset_index(drop=True)
    cov_d = np.where(cov[reach], 0.0, np.inf)
    pop = dem["population"].to_numpy(dtype=float)
    solver_opts = opts.solver_options()
    selected = np.zeros(len(cand), dtype=bool)
    if len(dem) and (opts.budget is not None or opts.p is not None):
        model = MCLP.from_cost_matrix(cov_d, weights=pop, demand_ids=list(dem["id"]), candidate_ids=list(cand["id"]),
                                      threshold=0.0, p=opts.p, budget=opts.budget, site_cost=site_cost).solve(solver_opts)
        selected = np.isin(cand["id"].to_numpy(), model.selected_)
        solver = model_summary("MCLP", model, posts=int(selected.sum()), cost=float(site_cost[selected].sum()))
    elif len(dem):
        # fewest posts first, then least cost: each post costs 1 + (its cost / (total cost + 1)) < 2
        lex = 1.0 + site_cost / (float(site_cost.sum()) + 1.0)
        model = LSCP.from_cost_matrix(cov_d, weights=pop, demand_ids=list(dem["id"]), candidate_ids=list(cand["id"]),
                                      threshold=0.0, site_cost=lex).solve(solver_opts)
        selected = np.isin(cand["id"].to_numpy(), model.selected_)
        solver = model_summary("LSCP", model, posts=int(selected.sum()), cost=float(site_cost[selected].sum()),
                               objective_note="fewest posts, then least cost: objective = posts + cost/(total cost + 1)")
    else:
        solver = solver_summary("LSCP", status="optimal", objective=0.0, bound=0.0, gap=0.0, solve_seconds=0.0,
                                posts=0, cost=0.0)
    solver["villages_uncovered_before"] = int(len(demand))
    solver["villages_unreachable"] = int(len(unreachable))

    # attribute each newly covered village to the nearest selected post
    sel = np.flatnonzero(selected)
    post_of = nearest_selected(cov[reach], dist[reach], sel)
    taken = set(county.facilities["id"].astype(str))
    rows = []
    post_rows = []
    for j in sel:
        members = np.flatnonzero(post_of == j)
        gained = float(pop[members].sum())
        names = "、".join(dem["name"].iloc[members[:8]]) + ("等" if len(members) > 8 else "")
        if is_up[j]:
            site_id, action, kind = cand["id"].iloc[j], "upgrade", str(K.TOWNSHIP_HOSPITAL)
            attrs = {"has_ambulance": True}
            reason = f"equip township hospital {cand['name'].iloc[j]} with an ambulance"
            reason_zh = f"为{cand['name'].iloc[j]}配备救护车"
        else:
            site_id, action, kind = fresh_id(f"EMS-NEW-{cand['id'].iloc[j]}", taken), "new", str(K.EMERGENCY_STATION)
            attrs = {}
            reason = f"new emergency station at {cand['name'].iloc[j]} ({cand['source'].iloc[j]})"
            where = CANDIDATE_SOURCE_ZH.get(str(cand["source"].iloc[j]), str(cand["source"].iloc[j]))
            reason_zh = f"在{cand['name'].iloc[j]}（{where}）新建急救站"
        reason += (f"; brings {len(members)} village(s) ({names}), {gained:,.0f} rural residents within "
                   f"{radius_m / 1000:g} km by road")
        reason_zh += f"；使{len(members)}个行政村（{names}）、农村人口{gained:,.0f}人进入道路{radius_m / 1000:g}公里急救半径"
        rows.append({"action": action, "kind": kind, "site_id": site_id,
                     "site_name": cand["name"].iloc[j] if is_up[j] else f"{cand['name'].iloc[j]}急救站",
                     "township_id": cand["township_id"].iloc[j], "cost": float(site_cost[j]),
                     "population_gained": gained, "rule_id": "HC-06", "reason": reason, "reason_zh": reason_zh,
                     "attributes": attrs,
                     "geometry": cand.geometry.iloc[j]})
        post_rows.append({"site_id": site_id, "candidate_id": cand["id"].iloc[j], "name": cand["name"].iloc[j],
                          "source": cand["source"].iloc[j], "township_id": cand["township_id"].iloc[j],
                          "action": action, "cost": float(site_cost[j]), "villages_gained": len(members),
                          "population_gained": gained})
    actions = actions_frame(rows, county.crs)
    after = apply_actions(county, actions)
    d_after, node_after = nearest_distance(engine, villages, emergency_nodes(after))
    village_table = pd.DataFrame({"village_id": villages["id"].to_numpy(), "village_name": villages["name"].to_numpy(),
                                  "township_id": villages["township_id"].to_numpy(),
                                  "population": villages["population"].to_numpy(dtype=float),
                                  "distance_before_km": d_before / 1000.0, "node_before": node_before,
                                  "distance_after_km": d_after / 1000.0, "node_after": node_after,
                                  "covered_before": covered_before, "covered_after": covers(d_after, radius_m)})
    total = float(village_table["population"].sum())
    cover_rows = []
    for r_km in (10, 15, 20):
        b = float(village_table["population"][covers(d_before, r_km * 1000.0)].sum())
        a = float(village_table["population"][covers(d_after, r_km * 1000.0)].sum())
        cover_rows.append({"radius_km": r_km, "share_before": b / total if total else np.nan,
                           "share_after": a / total if total else np.nan})
    tables = {"posts": pd.DataFrame(post_rows, columns=["site_id", "candidate_id", "name", "source", "township_id",
                                                        "action", "cost", "villages_gained", "population_gained"]),
              "villages": village_table, "unreachable": unreach_table, "coverage": pd.DataFrame(cover_rows)}
    return RecipeResult(name="emergency_network", actions=actions, tables=tables, solver=solver, county_after=after)
