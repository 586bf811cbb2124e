"""Recipe ``central_township_hospitals`` (HC-05): choose 1–3 township hospitals to make central ones.

HC-05 asks each county to select 1–3 township hospitals "far from the county seat, serving a
large population and strong" as county medical sub-centres built to level-2 capacity. The recipe

1. keeps as candidates the township hospitals at least ``min_seat_distance_km`` (default
   :data:`MIN_SEAT_DISTANCE_KM` = 20 km) by road from the county seat;
2. takes as demand the rural population the county hospital (and any existing central township
   hospital) does not already reach within the HC-06 radius (``radius_km``, road distance);
3. chooses ``p`` of the candidates (``options.p``, default up to HC-05 ``max_count`` less the
   existing central ones; at least ``min_count`` in all) maximising that residual population
   brought within the radius (MCLP; ties broken by the HC-05 score of
   :func:`planning.rules.central_hospital_scores`);
4. upgrades them to ``central_township_hospital`` with ``grade`` = HC-05 ``min_grade``, at
   ``upgrade:central_township_hospital`` each (``options.budget`` caps the total).

``tables["scores"]`` shows every township hospital with its distance to the seat, catchment
population, beds, score, the residual population within its radius, eligibility and choice.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from planning._errors import InfeasibleError, InputError
from planning.county import County
from planning.models import MCLP
from planning.recipes._common import (
    actions_frame,
    check_options,
    cost_matrix,
    covers,
    existing_facilities,
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

__all__ = ["central_township_hospitals", "MIN_SEAT_DISTANCE_KM"]

K = FacilityKind
#: Hospital grades as Chinese numerals (二级 = level 2).
_GRADE_ZH = {1: "一", 2: "二", 3: "三"}

#: Default minimum road distance (km) from the county seat of a central township hospital
#: ("离城较远"; the documents give no number: 20 km is the upper end of the HC-06 emergency
#: radius, so a sub-centre that far out reaches villages the county hospital cannot).
MIN_SEAT_DISTANCE_KM = 20.0


def central_township_hospitals(county: County, *, engine: Any = None, rule_params: Any = None,
                               options: RecipeOptions | None = None,
                               min_seat_distance_km: float = MIN_SEAT_DISTANCE_KM) -> RecipeResult:
    """Choose township hospitals to upgrade to central township hospitals (HC-05).

    Parameters
    ----------
    county : County
        Needs the county ``seat``, township hospitals, a county hospital (else all rural
        population is residual demand), villages and roads.
    engine : TravelEngine, optional
        Road distances; built from the county when omitted.
    rule_params : dict or ResolvedParams, optional
        HC-05 ``min_count``, ``max_count``, ``min_grade``; HC-06 ``radius_km``.
    options : RecipeOptions, optional
        ``p`` (hospitals to upgrade), ``budget`` (万元), ``costs``
        (``upgrade:central_township_hospital``), ``time_limit_s``.
    min_seat_distance_km : float, keyword-only
        Smallest road distance from the county seat of an eligible hospital.

    Returns
    -------
    RecipeResult
        ``upgrade`` actions (kind ``central_township_hospital``, attributes ``grade``);
        tables ``scores`` and ``villages`` (residual demand and who covers it after).

    Raises
    ------
    InputError
        No county seat, bad ``p`` or ``min_seat_distance_km``.
    InfeasibleError
        No township hospital is far enough from the seat (distances listed).
    """
    from planning.rules import central_hospital_scores

    opts = options_or_default(options)
    check_options(opts, "central_township_hospitals", uses=("p", "budget"))
    params = resolve_params(rule_params)
    engine = get_engine(county, engine)
    lo, hi = int(params.value("HC-05", "min_count")), int(params.value("HC-05", "max_count"))
    min_grade = int(params.value("HC-05", "min_grade"))
    radius_m = params.value("HC-06", "radius_km") * 1000.0
    problems = []
    if county.seat is None:
        problems.append("the county has no seat (county.yaml 'seat'); the distance criterion needs it")
    if not (np.isfinite(min_seat_distance_km) and min_seat_distance_km >= 0):
        problems.append(f"min_seat_distance_km must be a number >= 0; got {min_seat_distance_km!r}")
    existing_central = existing_facilities(county, [str(K.CENTRAL_TOWNSHIP_HOSPITAL)])
    room = max(hi - len(existing_central), 0)
    if opts.p is not None and opts.p > room:
        problems.append(f"p = {opts.p} but HC-05 allows at most {hi} central township hospitals and the county has "
                        f"{len(existing_central)}; use p <= {room}")
    if problems:
        raise InputError("central_township_hospitals", problems)
    scores = central_hospital_scores(county, engine=engine)
    th = scores[scores["kind"] == str(K.TOWNSHIP_HOSPITAL)].reset_index(drop=True)
    th["eligible"] = th["distance_to_seat_km"].to_numpy(dtype=float) >= min_seat_distance_km - 1e-9
    villages = rural_villages(county)
    reach_kinds = [str(K.COUNTY_HOSPITAL), str(K.CENTRAL_TOWNSHIP_HOSPITAL)]
    d_base, _ = nearest_distance(engine, villages, existing_facilities(county, reach_kinds))
    residual = villages[~covers(d_base, radius_m)].reset_index(drop=True)
    hosp = existing_facilities(county, [str(K.TOWNSHIP_HOSPITAL)]).set_index("id").loc[th["id"]].reset_index()
    dist = cost_matrix(engine, residual, hosp, mode="drive", metric="distance", cutoff=radius_m)
    cov = covers(dist, radius_m)
    pop = residual["population"].to_numpy(dtype=float)
    th["residual_population_within_radius"] = (pop[:, None] * cov).sum(axis=0) if len(th) else []
    th["selected"] = False
    need_min = max(lo - len(existing_central), 0)
    p = opts.p if opts.p is not None else room
    eligible = np.flatnonzero(th["eligible"].to_numpy(dtype=bool))
    if p == 0 or room == 0:
        solver = solver_summary("MCLP", status="optimal", objective=0.0, bound=0.0, gap=0.0, solve_seconds=0.0,
                                note=f"the county already has {len(existing_central)} central township hospital(s)")
        selected = np.zeros(len(th), dtype=bool)
    else:
        if not len(th):
            raise InfeasibleError("central_township_hospitals: the county has no township hospital (乡镇卫生院) to "
                                  "upgrade; add the township hospitals to the facilities layer (HC-04)")
        if not eligible.size:
            listing = "; ".join(f"{i}:{n} {d:,.1f} km" for i, n, d in
                                zip(th["id"], th["name"], th["distance_to_seat_km"], strict=True))
            raise InfeasibleError(
                f"central_township_hospitals: no township hospital lies {min_seat_distance_km:g} km or more by road "
                f"from the county seat (distances: {listing or 'no township hospitals'}); lower min_seat_distance_km")
        # residual demand plus one tiny demand per candidate worth its HC-05 score (< 0.5 person in all),
        # so that among equal coverage the stronger, farther, larger hospital is chosen
        score = th["score"].to_numpy(dtype=float)[eligible]
        score = np.where(np.isfinite(score), score, 0.0)
        tie = 0.5 * (score + 1e-3) / (score.sum() + 1e-3 * len(score) + 1.0)
        cost = np.vstack([np.where(cov[:, eligible], 0.0, np.inf), np.where(np.eye(len(eligible), dtype=bool), 0.0, np.inf)])
        weights = np.concatenate([pop, tie])
        ids = list(th["id"].iloc[eligible])
        site_cost = np.full(len(eligible), opts.unit_cost("upgrade", str(K.CENTRAL_TOWNSHIP_HOSPITAL)))
        demand_ids = list(residual["id"]) + [f"_score_{i}" for i in ids]
        model = MCLP.from_cost_matrix(cost, weights=weights, demand_ids=demand_ids, candidate_ids=ids, threshold=0.0,
                                      p=min(p, len(eligible)), budget=opts.budget, site_cost=site_cost,
                                      area_of={i: county.county_id for i in ids},
                                      min_per_area=min(need_min, len(eligible))).solve(
                                          opts.solver_options())
        selected = th["id"].isin(model.selected_).to_numpy()
        # an upgrade that brings nobody new within the radius is not proposed beyond min_count
        # (the score tie-breaker alone would otherwise fill p); lowest score dropped first
        for j in sorted(np.flatnonzero(selected), key=lambda k: (th["score"].iloc[k], th["id"].iloc[k])):
            if selected.sum() <= need_min:
                break
            rest = selected.copy()
            rest[j] = False
            if pop[cov[:, rest].any(axis=1)].sum() >= pop[cov[:, selected].any(axis=1)].sum():
                selected = rest
        solver = model_summary("MCLP", model, residual_population=float(pop.sum()),
                               population_covered=float(pop[cov[:, selected].any(axis=1)].sum()) if len(pop) else 0.0,
                               objective_note="covered residual population + score tie-breaker (< 0.5)")
    th["selected"] = selected
    sel = np.flatnonzero(selected)
    post_of = nearest_selected(cov, dist, sel)
    unit = opts.unit_cost("upgrade", str(K.CENTRAL_TOWNSHIP_HOSPITAL))
    rows = []
    for j in sel:
        members = np.flatnonzero(post_of == j)
        s = th.iloc[j]
        beds = f"{s['beds']:,.0f} beds" if s["beds"] == s["beds"] else "beds unknown"
        beds_zh = f"床位{s['beds']:,.0f}张" if s["beds"] == s["beds"] else "床位数不详"
        rows.append({"action": "upgrade", "kind": str(K.CENTRAL_TOWNSHIP_HOSPITAL), "site_id": s["id"],
                     "site_name": s["name"], "township_id": hosp["township_id"].iloc[j], "cost": unit,
                     "population_gained": float(pop[members].sum()), "rule_id": "HC-05",
                     "reason": (f"{s['distance_to_seat_km']:,.1f} km by road from the county seat; catchment "
                                f"{s['catchment_population']:,.0f}; {beds}; score {s['score']:.2f} (rank {int(s['rank'])}); "
                                f"brings {len(members)} village(s), {pop[members].sum():,.0f} rural residents the county "
                                f"hospital does not reach within {radius_m / 1000:g} km; upgrade to grade {min_grade}"),
                     "reason_zh": (f"距县城{s['distance_to_seat_km']:,.1f}公里（道路）；辐射人口"
                                   f"{s['catchment_population']:,.0f}人；{beds_zh}；综合得分{s['score']:.2f}（第"
                                   f"{int(s['rank'])}名）；覆盖县医院{radius_m / 1000:g}公里外的{len(members)}个行政村、"
                                   f"农村人口{pop[members].sum():,.0f}人；提升为{_GRADE_ZH.get(min_grade, min_grade)}级"),
                     "attributes": {"grade": min_grade}, "geometry": hosp.geometry.iloc[j]})
    actions = actions_frame(rows, county.crs)
    vt = pd.DataFrame({"village_id": residual["id"].to_numpy(), "village_name": residual["name"].to_numpy(),
                       "population": pop, "distance_to_county_hospital_km": d_base[~covers(d_base, radius_m)] / 1000.0,
                       "covered_by": [th["id"].iloc[k] if k >= 0 else None for k in post_of]})
    cols = ["id", "name", "distance_to_seat_km", "catchment_population", "beds", "score", "rank",
            "residual_population_within_radius", "eligible", "selected"]
    tables = {"scores": th[cols].copy(), "villages": vt}
    solver["min_seat_distance_km"] = float(min_seat_distance_km)
    return RecipeResult(name="central_township_hospitals", actions=actions, tables=tables, solver=solver,
                        county_after=apply_actions(county, actions))

