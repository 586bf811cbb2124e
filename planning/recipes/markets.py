"""Recipe ``odd_job_markets`` (EM-01): a public odd-job market where working-age people reach it fastest.

EM-01 asks for at least one public odd-job market (零工市场) per county. For a county without
one the recipe opens ``p`` (``options.p``, default 1) markets among the candidate sites (default:
township seats) minimising the working-age-weighted drive time of every village (weight =
population × ``share_working_age``; population alone when that column is missing or incomplete),
a p-median solved exactly. Existing markets stay open (fixed); a county that has one gets no
new market unless ``options.p`` asks for more. ``tables["access"]`` reports the share of the
working-age population within 30 and 60 minutes' drive before and after.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from planning._errors import InputError
from planning.coverage import within
from planning.county import County
from planning.models import PMedian
from planning.recipes._common import (
    actions_frame,
    candidate_sites,
    cost_matrix,
    existing_facilities,
    fresh_id,
    get_engine,
    model_summary,
    nearest_selected,
    options_or_default,
    resolve_params,
    solver_summary,
)
from planning.recipes.base import RecipeOptions, RecipeResult, apply_actions
from planning.schema import FacilityKind

__all__ = ["odd_job_markets", "working_age_weights"]

K = FacilityKind
#: Drive-time bands (minutes) reported for EM-01.
BANDS_MIN: tuple[float, ...] = (30.0, 60.0)


def working_age_weights(villages: pd.DataFrame) -> tuple[np.ndarray, str]:
    """Working-age population per village (population × share_working_age) and the basis used.

    Returns
    -------
    weights : numpy.ndarray
    basis : str
        ``"working-age population"`` or ``"population (no complete share_working_age column)"``.
    """
    pop = pd.to_numeric(villages["population"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    if "share_working_age" in villages.columns:
        share = pd.to_numeric(villages["share_working_age"], errors="coerce")
        if share.notna().all():
            return pop * share.to_numpy(dtype=float), "working-age population"
    return pop, "population (no complete share_working_age column)"


def _shares(t: np.ndarray, w: np.ndarray) -> dict[str, float]:
    total = float(w.sum())
    out = {f"share_within_{b:g}_min": (float(w[within(t, b)].sum()) / total if total else np.nan) for b in BANDS_MIN}
    ok = np.isfinite(t)
    out["mean_drive_min"] = float((w[ok] * t[ok]).sum() / w[ok].sum()) if w[ok].sum() > 0 else np.nan
    out["share_unreachable"] = float(w[~ok].sum()) / total if total else np.nan
    return out


def odd_job_markets(county: County, *, engine: Any = None, rule_params: Any = None,
                    options: RecipeOptions | None = None) -> RecipeResult:
    """Site odd-job markets minimising working-age-weighted drive time (EM-01).

    Parameters
    ----------
    county : County
        Villages (population, ``share_working_age``), facilities, townships (seats), roads.
    engine : TravelEngine, optional
        Drive times; built from the county when omitted.
    rule_params : dict or ResolvedParams, optional
        Accepted for the common recipe signature (EM-01 has no parameters).
    options : RecipeOptions, optional
        ``p`` (new markets; default 1 when the county has none, else 0), ``candidates``
        (``"township_seats"`` default, ``"villages"``, ``"street_nodes"`` or a point layer),
        ``budget`` (万元; the p new markets must fit in it), ``costs`` (``new:odd_job_market``),
        ``time_limit_s``.

    Returns
    -------
    RecipeResult
        ``new`` odd_job_market actions; tables ``sites`` (chosen sites and their working-age
        catchment), ``candidates`` (each candidate's weighted mean drive time when opened alone
        with the existing markets), ``access`` (shares within 30 / 60 min before and after),
        ``unreachable`` (villages no candidate reaches by road).
    """
    opts = options_or_default(options)
    resolve_params(rule_params)  # checked for the common signature; EM-01 has no parameters
    engine = get_engine(county, engine)
    villages = county.villages.assign(id=county.villages["id"].astype(str), name=county.villages["name"].astype(str))
    w, basis = working_age_weights(villages)
    existing = existing_facilities(county, [str(K.ODD_JOB_MARKET)])
    p = opts.p if opts.p is not None else (0 if len(existing) else 1)
    cand = candidate_sites(county, opts.candidates, default=("township_seats",),
                           allowed=("township_seats", "villages", "street_nodes"), what="odd_job_markets",
                           villages=villages)
    if p > len(cand):
        raise InputError("odd_job_markets options", [f"p = {p} but there are only {len(cand)} candidate sites; "
                                                     "lower p or give more candidates"])
    ex = gpd.GeoDataFrame({"id": existing["id"], "name": existing["name"], "township_id": existing["township_id"],
                           "source": "existing"}, geometry=list(existing.geometry), crs=county.crs)
    sites = gpd.GeoDataFrame(pd.concat([ex, cand], ignore_index=True), geometry="geometry", crs=county.crs)
    sites = sites.drop_duplicates("id", keep="first").reset_index(drop=True)
    n_ex = len(ex)
    t = cost_matrix(engine, villages, sites, mode="drive")
    t_before = t[:, :n_ex].min(axis=1) if n_ex else np.full(len(villages), np.inf)
    reach = np.isfinite(t).any(axis=1)
    unreach = villages[~reach]
    unreach_table = pd.DataFrame({"village_id": unreach["id"].to_numpy(), "village_name": unreach["name"].to_numpy(),
                                  "population": pd.to_numeric(unreach["population"]).to_numpy(dtype=float),
                                  "reason": "no candidate site or market reachable by road from this village"})
    # candidate ranking: each candidate alone, with the existing markets
    alone = np.minimum(t[:, n_ex:], t_before[:, None])
    ok = reach
    with np.errstate(invalid="ignore"):
        mean_alone = (np.where(np.isfinite(alone[ok]), alone[ok], 0.0) * w[ok, None]).sum(axis=0) / max(w[ok].sum(), 1e-12)
    unreached_alone = (~np.isfinite(alone[ok]) * w[ok, None]).sum(axis=0)
    cand_table = pd.DataFrame({"candidate_id": sites["id"].iloc[n_ex:].to_numpy(),
                               "name": sites["name"].iloc[n_ex:].to_numpy(),
                               "township_id": sites["township_id"].iloc[n_ex:].to_numpy(),
                               "weighted_mean_drive_min": mean_alone, "weight_unreached": unreached_alone})
    cand_table = cand_table.sort_values(["weight_unreached", "weighted_mean_drive_min", "candidate_id"],
                                        kind="mergesort").reset_index(drop=True)
    cand_table.insert(0, "rank", np.arange(1, len(cand_table) + 1))
    selected = np.zeros(len(sites), dtype=bool)
    selected[:n_ex] = True
    unit = opts.unit_cost("new", str(K.ODD_JOB_MARKET))
    if p > 0:
        model = PMedian.from_cost_matrix(t[reach], weights=w[reach], demand_ids=list(villages["id"][reach]),
                                         candidate_ids=list(sites["id"]), p=p, fixed=list(ex["id"]),
                                         budget=opts.budget, site_cost=np.full(len(sites), unit)).solve(
                                             opts.solver_options())
        selected = np.isin(sites["id"].to_numpy(), model.selected_)
        solver = model_summary("PMedian", model, weight_basis=basis, p=int(p))
    else:
        solver = solver_summary("PMedian", status="optimal", objective=float((w[reach] * t_before[reach]).sum()),
                                bound=float((w[reach] * t_before[reach]).sum()), gap=0.0, solve_seconds=0.0,
                                weight_basis=basis, p=0, note="the county already has an odd-job market")
    sel = np.flatnonzero(selected)
    t_after = t[:, sel].min(axis=1) if sel.size else np.full(len(villages), np.inf)
    owner = nearest_selected(np.isfinite(t), t, sel)
    pop = pd.to_numeric(villages["population"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    taken = set(county.facilities["id"].astype(str))
    rows, site_rows = [], []
    for j in sel:
        members = owner == j
        tw = t_after[members]
        wm = float((w[members] * tw).sum() / w[members].sum()) if w[members].sum() > 0 else np.nan
        is_new = j >= n_ex
        site_id = fresh_id(f"OJM-NEW-{sites['id'].iloc[j]}", taken) if is_new else sites["id"].iloc[j]
        site_rows.append({"site_id": site_id, "candidate_id": sites["id"].iloc[j], "name": sites["name"].iloc[j],
                          "status": "new" if is_new else "existing", "township_id": sites["township_id"].iloc[j],
                          "villages": int(members.sum()), "working_age_population": float(w[members].sum()),
                          "weighted_mean_drive_min": wm})
        if not is_new:
            continue
        rows.append({"action": "new", "kind": str(K.ODD_JOB_MARKET), "site_id": site_id,
                     "site_name": f"{sites['name'].iloc[j]}零工市场", "township_id": sites["township_id"].iloc[j],
                     "cost": unit, "population_gained": float(pop[members].sum()), "rule_id": "EM-01",
                     "reason": (f"public odd-job market at {sites['name'].iloc[j]}: nearest market of {int(members.sum())} "
                                f"villages, {w[members].sum():,.0f} {basis.split(' (')[0]}, weighted mean drive "
                                f"{wm:,.1f} min"),
                     "reason_zh": (f"在{sites['name'].iloc[j]}建设公益性零工市场：为{int(members.sum())}个行政村"
                                   f"（{'劳动年龄人口' if basis == 'working-age population' else '人口'}"
                                   f"{w[members].sum():,.0f}人）最近的零工市场，加权平均驾车{wm:,.1f}分钟"),
                     "attributes": {}, "geometry": sites.geometry.iloc[j]})
    actions = actions_frame(rows, county.crs)
    before, after = _shares(t_before, w), _shares(t_after, w)
    access = pd.DataFrame([{"when": "before", **before}, {"when": "after", **after}])
    solver.update({f"after_{k}": (v if np.isfinite(v) else None) for k, v in after.items()})
    tables = {"sites": pd.DataFrame(site_rows), "candidates": cand_table, "access": access,
              "unreachable": unreach_table}
    return RecipeResult(name="odd_job_markets", actions=actions, tables=tables, solver=solver,
                        county_after=apply_actions(county, actions))
