"""What every planning recipe takes and returns, and how actions change a county.

A recipe turns failed rules into decisions: ``RECIPES[name](county, *, engine, rule_params,
options) -> RecipeResult``. Its ``actions`` table says what to do where; :func:`apply_actions`
gives the county after the actions, on which the rule check is run again.

Costs are in 万元 (10,000 CNY), the unit of county budgets.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

import geopandas as gpd
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from planning._errors import InputError
from planning.county import County
from planning.models.base import SolverOptions
from planning.schema import FacilityKind

__all__ = [
    "ACTION_COLUMNS",
    "ActionType",
    "DEFAULT_COSTS_WAN",
    "RecipeOptions",
    "RecipeResult",
    "empty_actions",
    "apply_actions",
]


class ActionType:
    """Values of the ``action`` column."""

    NEW = "new"
    UPGRADE = "upgrade"
    MERGE = "merge"
    CLOSE = "close"
    ALL = (NEW, UPGRADE, MERGE, CLOSE)


#: Columns of the actions table, in order. ``reason`` says why in English, ``reason_zh`` in
#: Chinese (empty where a recipe gives none: readers fall back to ``reason``); ``attributes`` is
#: a JSON object of facility fields set by the action (e.g. ``{"has_ambulance": true}``);
#: ``target_id`` is the facility a merged one joins.
ACTION_COLUMNS: tuple[str, ...] = (
    "action", "kind", "site_id", "site_name", "township_id", "cost", "population_gained",
    "rule_id", "reason", "reason_zh", "target_id", "attributes",
)

#: Default unit costs (万元) by ``"<action>:<kind>"``; a scenario can override any of them.
DEFAULT_COSTS_WAN: dict[str, float] = {
    "new:village_clinic": 30.0,
    "merge:village_clinic": 5.0,
    "upgrade:village_doctor": 5.0,  # per village doctor hired (recruitment and training), HC-03
    "close:village_clinic": 0.0,
    "new:township_hospital": 1500.0,
    "upgrade:central_township_hospital": 800.0,
    "upgrade:emergency_station": 120.0,
    "new:emergency_station": 200.0,
    "new:odd_job_market": 50.0,
    "new:fitness_facility": 20.0,
    "new:elderly_care": 60.0,
    "new:elderly_day_care": 40.0,
    "new:childcare": 60.0,
    "new:housekeeping": 10.0,
    "new:meal_assistance": 15.0,
    "new:market": 40.0,
    "new:convenience_store": 5.0,
    "new:community_service_centre": 80.0,
    "new:community_health_centre": 600.0,
}


class RecipeOptions(BaseModel):
    """Options of one recipe run.

    Attributes
    ----------
    budget : float or None
        Total cost cap (万元); ``None`` = meet the rule at least cost.
    p : int or None
        Number of sites to open where the recipe is a p-facility problem.
    candidates : str
        Candidate sites: ``"villages"``, ``"township_seats"``, ``"street_nodes"``,
        ``"facilities"`` or a path to a point layer.
    costs : dict
        Unit costs overriding :data:`DEFAULT_COSTS_WAN`.
    time_limit_s : float
        Solver time limit per model.
    threads : int
        Solver threads per model (above 1, HiGHS searches the branch-and-bound tree in parallel).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    budget: float | None = Field(None, ge=0)
    p: int | None = Field(None, ge=1)
    candidates: str | None = None
    costs: dict[str, float] = Field(default_factory=dict)
    time_limit_s: float = Field(60.0, gt=0)
    threads: int = Field(1, ge=1)

    def solver_options(self) -> SolverOptions:
        """The solver options of the recipe's models (time limit and threads)."""
        return SolverOptions(time_limit_s=self.time_limit_s, threads=self.threads)

    def unit_cost(self, action: str, kind: str) -> float:
        """Cost (万元) of one action on one facility kind."""
        key = f"{action}:{kind}"
        if key in self.costs:
            return float(self.costs[key])
        if key not in DEFAULT_COSTS_WAN:
            raise InputError("recipe options", [f"no unit cost for {key!r}; set costs: {{{key!r}: <万元>}}"])
        return DEFAULT_COSTS_WAN[key]


@dataclass
class RecipeResult:
    """What a recipe returns.

    Attributes
    ----------
    name : str
        Recipe name.
    actions : geopandas.GeoDataFrame
        The actions table (:data:`ACTION_COLUMNS` + geometry, county CRS).
    tables : dict of str to pandas.DataFrame
        Detail tables (e.g. villages served by each clinic and doctors needed).
    solver : dict
        ``model, status, objective, bound, gap, solve_seconds`` of each solve (list under
        ``"solves"`` when several).
    county_after : County
        The county with the actions applied.
    """

    name: str
    actions: gpd.GeoDataFrame
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    solver: dict[str, Any] = field(default_factory=dict)
    county_after: County | None = None

    @property
    def total_cost(self) -> float:
        """Sum of action costs (万元)."""
        return float(self.actions["cost"].sum()) if len(self.actions) else 0.0


def empty_actions(crs: Any) -> gpd.GeoDataFrame:
    """An empty actions table with the right columns and CRS."""
    frame = pd.DataFrame({c: pd.Series(dtype="float64" if c in ("cost", "population_gained") else "object")
                          for c in ACTION_COLUMNS})
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=crs), crs=crs)


def apply_actions(county: County, actions: gpd.GeoDataFrame) -> County:
    """The county after the actions: new sites added, upgrades applied, merged/closed removed.

    Parameters
    ----------
    county : County
        The county before.
    actions : geopandas.GeoDataFrame
        Actions table (:data:`ACTION_COLUMNS`).

    Returns
    -------
    County
        A new county; the input is not changed.

    Raises
    ------
    InputError
        Listing every action that names an unknown facility, kind or action type.
    """
    facilities = county.facilities.copy()
    problems: list[str] = []
    known = set(facilities["id"].astype(str))
    added = []
    drop: set[str] = set()
    for row_no, act in enumerate(actions.itertuples(index=False), start=1):
        kind = str(act.kind)
        if act.action not in ActionType.ALL:
            problems.append(f"action row {row_no}: action {act.action!r} is not one of {ActionType.ALL}")
            continue
        if kind not in {k.value for k in FacilityKind}:
            problems.append(f"action row {row_no}: kind {kind!r} is not a FacilityKind value")
            continue
        attrs = json.loads(act.attributes) if isinstance(act.attributes, str) and act.attributes else {}
        site = str(act.site_id)
        if act.action == ActionType.NEW:
            if site in known:
                problems.append(f"action row {row_no}: new site id {site!r} already exists; give a fresh id")
                continue
            added.append({"id": site, "name": act.site_name, "kind": kind,
                          "township_id": act.township_id, **attrs, "geometry": act.geometry})
            known.add(site)
            continue
        if site not in known:
            problems.append(f"action row {row_no}: {act.action} names facility {site!r}, which does not exist")
            continue
        if act.action == ActionType.UPGRADE:
            mask = facilities["id"].astype(str) == site
            facilities.loc[mask, "kind"] = kind
            for key, value in attrs.items():
                if key not in facilities.columns:
                    facilities[key] = pd.Series(pd.NA, index=facilities.index, dtype="object")
                facilities.loc[mask, key] = value
        else:  # merge or close
            drop.add(site)
    if problems:
        raise InputError("actions table", problems)
    facilities = facilities[~facilities["id"].astype(str).isin(drop)]
    if added:
        new = gpd.GeoDataFrame(added, geometry="geometry", crs=facilities.crs)
        facilities = gpd.GeoDataFrame(pd.concat([facilities, new], ignore_index=True),
                                      geometry="geometry", crs=facilities.crs)
    facilities = facilities.reset_index(drop=True)
    return replace(county, facilities=facilities, meta={**county.meta, "actions_applied": len(actions)})
