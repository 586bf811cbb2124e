"""Running a scenario end to end: :func:`run_scenario` (L6, entry layer).

It sits above the output layer because it writes the map and reports: scenarios (L4) only
define, validate and edit; outputs (L5) only write; this module joins them.

Steps: load the county, apply the what-if edits, build the travel engine (through the travel
cache), check the rules, run the recipes one after the other (each on the county left by the
previous one), check the rules again on the county after the actions, compute coverage by
township, then write every output. All outputs are first written to a temporary directory
inside ``out_dir`` and moved into place only when every one of them is complete, so a failed or
interrupted run leaves no partial output files (and no temporary directory).

Outputs (``out_dir/``):

============================  =================================================================
``compliance.csv``            one row per rule × area for the county as given (after edits)
``compliance_after.csv``      the same after the recipes' actions (only when recipes ran)
``compliance_summary.csv``    one row per rule: status counts, failing population (before and
                              after the actions)
``actions.csv``               the actions table (new / upgrade / merge / close), x/y in the
                              county CRS and lon/lat (WGS84)
``tables/*.csv``              the recipes' detail tables, ``<recipe>__<table>.csv`` (e.g. the
                              villages each clinic serves and the doctors it needs)
``coverage_by_township.csv``  covered population by township and county for each service
``results.gpkg``              villages (travel times, worst status), facilities, proposed_sites,
                              service_areas, townships
``map.html``                  interactive map (self-contained when ``outputs.map.offline``)
``report.html/.docx``         county report (``--lang zh|en``)
``run.json``                  provenance: input hashes, settings, versions, edits, recipe solver
                              status and gaps; wall-clock values only under ``"volatile"``
============================  =================================================================
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from planning._errors import InputError, ScenarioError
from planning.county import County
from planning.scenarios.edits import apply_edits
from planning.scenarios.model import Scenario, load_scenario
from planning.scenarios.provenance import VOLATILE_KEY, file_sha256, input_hashes, package_versions
from planning.schema import FacilityKind, MEDICAL_KINDS

__all__ = ["RunResult", "run_scenario", "SERVICES", "summary_table", "summary_text"]

#: Services whose nearest travel time is reported per village and per township:
#: name → (facility kinds, mode, metric, thresholds in the metric's unit).
SERVICES: dict[str, tuple[frozenset[FacilityKind], str, str, tuple[float, ...]]] = {
    "village_clinic": (frozenset({FacilityKind.VILLAGE_CLINIC}), "drive", "time", (10.0, 15.0, 30.0)),
    "township_hospital": (frozenset({FacilityKind.TOWNSHIP_HOSPITAL, FacilityKind.CENTRAL_TOWNSHIP_HOSPITAL}),
                          "drive", "time", (15.0, 30.0)),
    "medical": (MEDICAL_KINDS, "drive", "time", (15.0,)),
    # emergency nodes of HC-06: these kinds and township hospitals with an ambulance
    "emergency": (frozenset({FacilityKind.COUNTY_HOSPITAL, FacilityKind.CENTRAL_TOWNSHIP_HOSPITAL,
                             FacilityKind.EMERGENCY_STATION, FacilityKind.EMERGENCY_CENTRE}),
                  "drive", "distance", (10_000.0, 15_000.0, 20_000.0)),
    "odd_job_market": (frozenset({FacilityKind.ODD_JOB_MARKET}), "drive", "time", (30.0, 60.0)),
}

#: Kinds whose drive-time service areas go to results.gpkg and the map, and their breaks (min).
SERVICE_AREA_KINDS: tuple[FacilityKind, ...] = (FacilityKind.VILLAGE_CLINIC, FacilityKind.TOWNSHIP_HOSPITAL,
                                                FacilityKind.CENTRAL_TOWNSHIP_HOSPITAL, FacilityKind.COUNTY_HOSPITAL)
SERVICE_AREA_BREAKS_MIN: tuple[float, ...] = (5.0, 10.0, 15.0)

_STATUS_ORDER = {"fail": 0, "no_data": 1, "pass": 2, "not_applicable": 3}


@dataclass
class RunResult:
    """What :func:`run_scenario` produced.

    Attributes
    ----------
    out_dir : Path
        Where the outputs are.
    scenario : Scenario
    compliance : DataFrame
        Compliance table of the county as given (after edits).
    compliance_after : DataFrame or None
        Compliance table after the recipes' actions (None when no recipe ran).
    summary : DataFrame
        One row per rule (compliance_summary.csv).
    actions : GeoDataFrame
        Every recipe's actions.
    coverage_by_township : DataFrame
    recipes : dict
        Recipe name → {status, solver, actions, cost}.
    files : dict
        Output file name → path.
    record : dict
        The content of run.json.
    county : County or None
        The county as checked (after the scenario's edits).
    recipe_tables : dict
        Recipe name → {table name → DataFrame} (written to ``tables/``).
    report : planning.reports.Report or None
        The county report (when report.html or report.docx was written).
    """

    out_dir: Path
    scenario: Scenario
    compliance: pd.DataFrame
    compliance_after: pd.DataFrame | None
    summary: pd.DataFrame
    actions: gpd.GeoDataFrame
    coverage_by_township: pd.DataFrame
    recipes: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    record: dict[str, Any] = field(default_factory=dict)
    county: County | None = None
    report: Any = None
    recipe_tables: dict[str, dict[str, pd.DataFrame]] = field(default_factory=dict)

    def text_summary(self, *, lang: str = "en") -> str:
        """The one-screen summary ``planning run`` prints."""
        return summary_text(self, lang=lang)


# ---------------------------------------------------------------------------------------------
# steps


def _load_county(scenario: Scenario, tmp: Path) -> tuple[County, str | None]:
    from planning.io import load_county

    if isinstance(scenario.county, str):
        return load_county(scenario.county), scenario.county
    import yaml

    manifest = tmp / "inline_county" / "county.yaml"
    manifest.parent.mkdir()
    manifest.write_text(yaml.safe_dump(scenario.county, allow_unicode=True, sort_keys=True), encoding="utf-8")
    try:
        return load_county(manifest), str(manifest)
    except ScenarioError:
        raise
    except InputError as exc:
        where = scenario.marks.problem(("county",), "the inline county does not load")
        raise ScenarioError(f"scenario {scenario.source or scenario.name}", [where, *(exc.problems or [str(exc)])]) from None


def _make_engine(county: County, scenario: Scenario, cache_dir: Path | None) -> Any:
    from planning.network.engine import TravelEngine

    settings = scenario.settings()

    def build() -> Any:
        return TravelEngine.from_county(county, settings=settings)

    if cache_dir is None:
        return build()
    from planning.cache import CachedEngine, TravelCache, network_digest

    return CachedEngine(build, cache=TravelCache(cache_dir), key=network_digest(county, settings))


def _evaluate(county: County, scenario: Scenario, engine: Any, lang: str,
              assignment: pd.DataFrame | None = None) -> pd.DataFrame:
    from planning.rules import evaluate

    return evaluate(county, params=scenario.rules.values(), override=scenario.rules.overrides(), engine=engine,
                    settings=scenario.settings(), rules=None if scenario.rules.check == "all" else scenario.rules.check,
                    lang=lang, assignment=assignment)


def clinic_assignment(recipe_tables: dict[str, dict[str, pd.DataFrame]]) -> pd.DataFrame | None:
    """The village → clinic assignment chosen by the village_clinics recipe (for HC-03 after the
    actions), or None when that recipe did not run."""
    table = recipe_tables.get("village_clinics", {}).get("assignment")
    if table is None or not {"origin_id", "destination_id"} <= set(table.columns):
        return None
    return table


def _resolved_params(scenario: Scenario) -> dict[str, dict[str, float]]:
    from planning.rules.catalog import load_catalog

    resolved = load_catalog().resolve_params(scenario.rules.values(), override=scenario.rules.overrides())
    return {rid: dict(v) for rid, v in resolved.values.items()}


def _run_recipes(county: County, scenario: Scenario, engine: Any, progress: Any) -> tuple[
        County, gpd.GeoDataFrame, dict[str, dict[str, Any]], dict[str, dict[str, pd.DataFrame]]]:
    import planning.recipes as recipes_pkg
    from planning.recipes import RecipeOptions, apply_actions, empty_actions

    available = getattr(recipes_pkg, "RECIPES", {})
    params = _resolved_params(scenario)
    current = county
    frames = []
    report: dict[str, dict[str, Any]] = {}
    tables: dict[str, dict[str, pd.DataFrame]] = {}
    for name, spec in scenario.recipe_options().items():
        progress.set_description(f"recipe {name}")
        if name not in available:
            report[name] = {"status": "not_available",
                            "reason": f"recipe {name!r} is not in planning.recipes.RECIPES of this version"}
            continue
        options = RecipeOptions(**spec.model_dump())
        result = available[name](current, engine=engine, rule_params=params, options=options)
        actions = result.actions
        if len(actions):
            frames.append(actions.assign(recipe=name))
        current = result.county_after if result.county_after is not None else apply_actions(current, actions)
        solver = dict(result.solver)
        tables[name] = {str(k): v for k, v in result.tables.items() if isinstance(v, pd.DataFrame)}
        report[name] = {"status": "ok", "actions": int(len(actions)), "cost": float(result.total_cost),
                        "solver": solver, "options": spec.model_dump(mode="json")}
    if frames:
        actions = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=county.crs)
    else:
        actions = empty_actions(county.crs).assign(recipe=pd.Series(dtype=object))
    return current, actions, report, tables


def _coverage(county: County, engine: Any) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    from planning.coverage import coverage_by_area, coverage_table, demand_points, nearest_facilities

    demand = demand_points(county, "villages")
    facilities = county.facilities
    tables = []
    nearest_by_service: dict[str, pd.DataFrame] = {}
    for service, (kinds, mode, metric, thresholds) in SERVICES.items():
        pool = facilities
        if service == "emergency":  # the emergency nodes as HC-06 counts them (ambulance township hospitals too)
            from planning.recipes.emergency import emergency_nodes

            pool = emergency_nodes(county)
            kinds = kinds | {FacilityKind.TOWNSHIP_HOSPITAL}
        near = nearest_facilities(engine, demand, pool, kinds=kinds, mode=mode, metric=metric)
        nearest_by_service[service] = near
        table = coverage_table(demand, near, thresholds=thresholds)
        by_area = coverage_by_area(table, thresholds=thresholds, townships=county.townships,
                                   county_id=county.county_id, county_name=county.name)
        by_area.insert(0, "service", service)
        tables.append(by_area)
    return pd.concat(tables, ignore_index=True), nearest_by_service


#: The service whose coverage by township the county report shows (HC-11: any medical institution).
REPORT_SERVICE = "medical"


def report_coverage(coverage: pd.DataFrame, service: str = REPORT_SERVICE) -> pd.DataFrame:
    """One service's rows of coverage_by_township.csv (its ``service`` column kept, so the report
    names the service), in :func:`planning.coverage.coverage_by_area` form."""
    part = coverage[coverage["service"] == service]
    return part.dropna(axis=1, how="all").reset_index(drop=True)


def _village_layer(county: County, nearest: dict[str, pd.DataFrame], compliance: pd.DataFrame) -> gpd.GeoDataFrame:
    villages = county.villages.copy()
    ids = villages["id"].astype(str)
    for service, table in nearest.items():
        t = table.set_index(table["origin_id"].astype(str))
        metric = SERVICES[service][2]
        col = "distance_m" if metric == "distance" else "travel_time_min"
        suffix = "distance_m" if metric == "distance" else "time_min"
        villages[f"{service}_{suffix}"] = ids.map(t[col]).astype(float).to_numpy()
        villages[f"{service}_id"] = ids.map(t["destination_id"]).astype(object).to_numpy()
    rows = compliance[compliance["level"].astype(str) == "village"]
    for rule_id, part in rows.groupby("rule_id", sort=True):
        villages[f"status_{rule_id}"] = ids.map(part.set_index(part["area_id"].astype(str))["status"]).to_numpy()
    status_cols = [c for c in villages.columns if c.startswith("status_")]
    if status_cols:
        ranks = villages[status_cols].apply(lambda s: s.map(_STATUS_ORDER)).min(axis=1)
        inverse = {v: k for k, v in _STATUS_ORDER.items()}
        villages["status"] = ranks.map(inverse).fillna("not_applicable")
    return villages


def _township_layer(county: County, compliance: pd.DataFrame) -> gpd.GeoDataFrame:
    towns = county.townships.copy()
    rows = compliance[compliance["level"].astype(str) == "township"]
    fails = rows[rows["status"] == "fail"].groupby(rows["area_id"].astype(str))["rule_id"]
    towns["rules_failed"] = towns["id"].astype(str).map(fails.apply(lambda s: ", ".join(sorted(set(s))))).fillna("")
    towns["n_rules_failed"] = towns["id"].astype(str).map(fails.nunique()).fillna(0).astype(np.int64)
    return towns


def _service_areas(county: County, engine: Any) -> gpd.GeoDataFrame | None:
    fac = county.facilities
    chosen = fac[fac["kind"].astype(str).isin([k.value for k in SERVICE_AREA_KINDS])]
    if len(chosen) == 0:
        return None
    areas = engine.service_areas(chosen, mode="drive", breaks=SERVICE_AREA_BREAKS_MIN, dissolve_by="kind")
    return areas.reset_index(drop=True)


#: Sub-directory of the recipes' detail tables (``<recipe>__<table>.csv``).
TABLES_DIR = "tables"


def _plain_table(frame: pd.DataFrame) -> pd.DataFrame:
    """A recipe table for CSV: point geometries as x/y (county CRS), other geometries as WKT."""
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame.columns:
        return frame
    geom = frame.geometry
    out = pd.DataFrame(frame.drop(columns=geom.name))
    if len(geom) and (geom.geom_type == "Point").all():
        out["x"] = np.round(geom.x.to_numpy(), 2)
        out["y"] = np.round(geom.y.to_numpy(), 2)
    else:
        out["geometry_wkt"] = geom.to_wkt(rounding_precision=2).to_numpy()
    return out


def _actions_csv(actions: gpd.GeoDataFrame) -> pd.DataFrame:
    from pyproj import Transformer

    out = pd.DataFrame(actions.drop(columns=actions.geometry.name))
    x = actions.geometry.x.to_numpy() if len(actions) else np.array([])
    y = actions.geometry.y.to_numpy() if len(actions) else np.array([])
    out["x"] = np.round(x, 2)
    out["y"] = np.round(y, 2)
    if len(actions):
        lon, lat = Transformer.from_crs(actions.crs, "EPSG:4326", always_xy=True).transform(x, y)
    else:
        lon, lat = np.array([]), np.array([])
    out["lon"] = np.round(np.asarray(lon, float), 6)
    out["lat"] = np.round(np.asarray(lat, float), 6)
    return out


def summary_table(compliance: pd.DataFrame, after: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per rule (:func:`planning.rules.summarize`), with the state after the actions.

    Parameters
    ----------
    compliance : DataFrame
        Compliance table (COMMON.md format) of the county as given.
    after : DataFrame, optional
        Compliance table after the actions; adds ``county_status_after``, ``n_fail_after``,
        ``failing_population_after`` and ``failing_places_after``.

    Returns
    -------
    pandas.DataFrame
        :data:`planning.rules.SUMMARY_COLUMNS` (+ the ``*_after`` columns).
    """
    from planning.rules import summarize

    out = summarize(compliance)
    if after is not None:
        cols = ["county_status", "n_fail", "failing_population", "failing_places"]
        post = summarize(after)[["rule_id", *cols]].rename(columns={c: f"{c}_after" for c in cols})
        out = out.merge(post, on="rule_id", how="left")
    return out


# ---------------------------------------------------------------------------------------------
# writing


def _write_outputs(tmp: Path, wanted: tuple[str, ...], *, county: County, scenario: Scenario, lang: str,
                   compliance: pd.DataFrame, after: pd.DataFrame | None, summary: pd.DataFrame,
                   actions: gpd.GeoDataFrame, coverage: pd.DataFrame, nearest: dict[str, pd.DataFrame],
                   service_areas: gpd.GeoDataFrame | None, recipes: dict[str, Any],
                   recipe_tables: dict[str, dict[str, pd.DataFrame]], progress: Any) -> tuple[list[str], Any]:
    from planning.io import write_geopackage, write_table

    written = []
    report = None

    def step(name: str) -> None:
        progress.set_description(f"writing {name}")
        progress.update(1)

    if "compliance.csv" in wanted:
        write_table(compliance, tmp / "compliance.csv")
        written.append("compliance.csv")
        if after is not None:
            write_table(after, tmp / "compliance_after.csv")
            written.append("compliance_after.csv")
    if "compliance_summary.csv" in wanted:
        write_table(summary, tmp / "compliance_summary.csv")
        written.append("compliance_summary.csv")
    if "actions.csv" in wanted:
        write_table(_actions_csv(actions), tmp / "actions.csv")
        written.append("actions.csv")
        for recipe, frames in recipe_tables.items():
            for key, frame in frames.items():
                name = f"{TABLES_DIR}/{recipe}__{key}.csv"
                (tmp / TABLES_DIR).mkdir(exist_ok=True)
                write_table(_plain_table(frame), tmp / name)
                written.append(name)
    if "coverage_by_township.csv" in wanted:
        write_table(coverage, tmp / "coverage_by_township.csv")
        written.append("coverage_by_township.csv")
    step("tables")
    if "results.gpkg" in wanted:
        layers = {"villages": _village_layer(county, nearest, compliance),
                  "facilities": county.facilities,
                  "townships": _township_layer(county, compliance)}
        if len(actions):
            layers["proposed_sites"] = actions
        if service_areas is not None and len(service_areas):
            layers["service_areas"] = service_areas
        write_geopackage(layers, tmp / "results.gpkg")
        written.append("results.gpkg")
    step("results.gpkg")
    final = after if after is not None else compliance
    if "map.html" in wanted:
        from planning.maps import make_map, save_map

        # the county as it is (travel times, statuses) with the proposed actions on top
        by_kind = {k: nearest[k] for k in ("village_clinic", "township_hospital", "odd_job_market") if k in nearest}
        fmap = make_map(county, compliance=compliance, nearest=by_kind, service_areas=service_areas,
                        actions=actions if len(actions) else None, basemap=scenario.outputs.map.basemap,
                        lang=lang, tianditu_key=scenario.outputs.map.tianditu_key)
        save_map(fmap, tmp / "map.html", offline=scenario.outputs.map.offline)
        written.append("map.html")
    step("map.html")
    if "report.html" in wanted or "report.docx" in wanted:
        from planning.reports import build_report

        solver = {name: info.get("solver", {}) for name, info in recipes.items() if info.get("status") == "ok"}
        report = build_report(county, final, actions=actions if len(actions) else None,
                              coverage_by_township=report_coverage(coverage),
                              before=compliance if after is not None else None, solver=solver or None, lang=lang)
        if "report.html" in wanted:
            report.write_html(tmp / "report.html")
            written.append("report.html")
        if "report.docx" in wanted:
            report.write_docx(tmp / "report.docx")
            written.append("report.docx")
    step("report")
    return written, report


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_json_safe(v) for v in (sorted(value) if isinstance(value, (set, frozenset)) else value)]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        f = float(value)
        return f if np.isfinite(f) else None
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if value is None or isinstance(value, (str, int, bool)):
        return value
    return str(value)


_VOLATILE_SOLVER_KEYS = ("solve_seconds", "seconds", "wall_seconds", "time_s")


def _split_solver(recipes: dict[str, dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Recipe report without wall-clock values, and those values apart."""
    stable: dict[str, Any] = {}
    timing: dict[str, Any] = {}

    def strip(d: Any, path: str) -> Any:
        if isinstance(d, dict):
            out = {}
            for k, v in d.items():
                if k in _VOLATILE_SOLVER_KEYS:
                    timing[f"{path}.{k}"] = v
                else:
                    out[k] = strip(v, f"{path}.{k}")
            return out
        if isinstance(d, list):
            return [strip(v, f"{path}[{i}]") for i, v in enumerate(d)]
        return d

    for name, info in recipes.items():
        stable[name] = strip(info, name)
    return stable, timing


def _record(scenario: Scenario, manifest: str | None, *, edits_log: list[dict[str, Any]],
            recipes: dict[str, Any], outputs: dict[str, str], engine: Any, started: float,
            lang: str) -> dict[str, Any]:
    from planning import __version__

    base = Path(scenario.source).parent if scenario.source else Path.cwd()
    extra = sorted({file for file, _ in scenario.marks.lines.values() if Path(file).is_file()})  # with extends
    extra += [spec.candidates for spec in scenario.recipe_options().values()
              if spec.candidates and Path(spec.candidates).is_file()]
    recipes_stable, solver_timing = _split_solver(recipes)
    modified = []
    try:
        from planning.rules.catalog import load_catalog

        modified = sorted(load_catalog().resolve_params(scenario.rules.values(),
                                                        override=scenario.rules.overrides()).modified)
    except InputError:
        modified = []
    record = {
        "planning_version": __version__,
        "scenario": {"name": scenario.name, "description": scenario.description,
                     "file": Path(scenario.source).name if scenario.source else None,
                     "fingerprint": scenario.fingerprint()},
        "inputs": input_hashes(manifest, base=base, extra=extra, include_manifest=isinstance(scenario.county, str)),
        "settings": scenario.settings().model_dump(mode="json"),
        "rules": {"check": scenario.rules.check, "params": scenario.rules.values(),
                  "override": sorted(scenario.rules.overrides()), "modified": modified},
        "edits": edits_log,
        "recipes": recipes_stable,
        "outputs": {"lang": lang, "files": outputs},
        "versions": package_versions(),
        "travel_cache_key": getattr(engine, "key", None),
        VOLATILE_KEY: {
            "note": "values that differ between identical runs; ignore when comparing runs",
            "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
            "elapsed_s": round(time.time() - started, 3),
            "cache_hits": getattr(engine, "hits", None),
            "cache_misses": getattr(engine, "misses", None),
            "solver_seconds": solver_timing,
        },
    }
    return _json_safe(record)


@contextmanager
def _staging(out_dir: Path) -> Iterator[Path]:
    """A temporary directory inside ``out_dir``, removed whatever happens."""
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-run-", dir=out_dir))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class _Progress:
    """tqdm over the run's steps; silent when disabled or when stderr is not a terminal."""

    def __init__(self, total: int, enabled: bool) -> None:
        from tqdm import tqdm

        self.bar = tqdm(total=total, desc="planning run", unit="step",
                        disable=not (enabled and sys.stderr.isatty()), leave=False)

    def set_description(self, text: str) -> None:
        self.bar.set_description(text)

    def update(self, n: int = 1) -> None:
        self.bar.update(n)

    def close(self) -> None:
        self.bar.close()


def run_scenario(path_or_obj: str | Path | dict[str, Any] | Scenario, *, out_dir: str | Path,
                 lang: str | None = None, progress: bool = True, cache_dir: str | Path | None = None,
                 use_cache: bool = True) -> RunResult:
    """Run a scenario and write its outputs.

    Parameters
    ----------
    path_or_obj : str, Path, dict or Scenario
        Scenario file or object (see :func:`planning.scenarios.load_scenario`).
    out_dir : str or Path
        Output directory (created when missing; existing outputs of the same names are replaced).
    lang : {"zh", "en"}, optional
        Report and map language; default the scenario's ``outputs.lang``.
    progress : bool
        Show progress bars (only when stderr is a terminal).
    cache_dir : str or Path, optional
        Travel cache directory; default ``out_dir/.cache``.
    use_cache : bool
        False computes every travel table afresh (outputs are identical either way).

    Returns
    -------
    RunResult

    Raises
    ------
    ScenarioError
        Invalid scenario or edits that do not fit the county (file, key path and line of each).
    InputError
        County data problems (from :func:`planning.io.load_county`).
    PlanningError
        Solver failures of a recipe.

    Examples
    --------
    >>> from planning.runner import run_scenario
    >>> result = run_scenario("scenarios/demo.yaml", out_dir="out/demo")  # doctest: +SKIP
    >>> print(result.text_summary())  # doctest: +SKIP
    """
    started = time.time()
    scenario = load_scenario(path_or_obj)
    lang = lang or scenario.outputs.lang
    if lang not in ("zh", "en"):
        raise InputError("run", [f"lang must be 'zh' or 'en'; got {lang!r}"])
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cache = None if not use_cache else Path(cache_dir) if cache_dir is not None else out / ".cache"
    wanted = scenario.outputs.wanted()
    bar = _Progress(total=9 + len(scenario.recipes), enabled=progress)
    try:
        with _staging(out) as tmp:
            bar.set_description("loading county")
            county, manifest = _load_county(scenario, tmp)
            bar.update()
            county, edits_log = apply_edits(county, scenario.edits, marks=scenario.marks)
            engine = _make_engine(county, scenario, cache)
            bar.update()
            bar.set_description("checking rules")
            before = _evaluate(county, scenario, engine, lang)
            bar.update()
            after_county, actions, recipes, recipe_tables = _run_recipes(county, scenario, engine, bar)
            bar.update(len(scenario.recipes))
            ran = any(info["status"] == "ok" for info in recipes.values())
            after = (_evaluate(after_county, scenario, engine, lang, assignment=clinic_assignment(recipe_tables))
                     if ran else None)
            bar.update()
            bar.set_description("coverage by township")
            coverage, nearest = _coverage(county, engine)
            service_areas = _service_areas(county, engine) if {"results.gpkg", "map.html"} & set(wanted) else None
            bar.update()
            summary = summary_table(before, after)
            written, report = _write_outputs(tmp, wanted, county=county, scenario=scenario, lang=lang,
                                     compliance=before, after=after, summary=summary, actions=actions,
                                     coverage=coverage, nearest=nearest, service_areas=service_areas,
                                     recipes=recipes, recipe_tables=recipe_tables, progress=bar)
            hashes = {name: file_sha256(tmp / name) for name in written}
            record = _record(scenario, manifest, edits_log=edits_log, recipes=recipes, outputs=hashes,
                             engine=engine, started=started, lang=lang)
            (tmp / "run.json").write_text(json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                                          encoding="utf-8")
            written.append("run.json")
            # everything is complete: move into place (each os.replace is atomic)
            if any(name.startswith(f"{TABLES_DIR}/") for name in written):
                (out / TABLES_DIR).mkdir(exist_ok=True)
            for name in written:
                os.replace(tmp / name, out / name)
            if "actions.csv" in written and (out / TABLES_DIR).is_dir():  # tables of an earlier run
                for old in (out / TABLES_DIR).glob("*__*.csv"):
                    if f"{TABLES_DIR}/{old.name}" not in written:
                        old.unlink()
            if "compliance.csv" in written and after is None and (out / "compliance_after.csv").exists():
                (out / "compliance_after.csv").unlink()
    finally:
        bar.close()
    files = {name: out / name for name in written}
    return RunResult(out_dir=out, scenario=scenario, compliance=before, compliance_after=after, summary=summary,
                     actions=actions, coverage_by_township=coverage, recipes=recipes, files=files, record=record,
                     county=county, report=report, recipe_tables=recipe_tables)


def _failing_places(rows: pd.DataFrame, lang: str) -> str:
    """``2 个行政村、31 个设施未达标`` / ``2 villages, 31 facilities fail``: a rule's failing places by level."""
    from planning.reports.text import level_name

    failing = rows.loc[rows["status"] == "fail", "level"]
    counts = failing.value_counts()
    levels = pd.unique(failing)  # the compliance table lists a rule's levels from village up
    if lang == "zh":
        return "、".join(f"{counts[v]} 个{level_name(v, lang)}" for v in levels) + "未达标"
    parts = [f"{counts[v]} {level_name(v, lang, plural=counts[v] != 1)}" for v in levels]
    return ", ".join(parts) + (" fails" if counts.sum() == 1 else " fail")


def summary_text(result: RunResult, *, lang: str = "en") -> str:
    """The one-screen summary of a run (English or Chinese)."""
    from planning.reports.text import action_name, recipe_name, solve_status_name, status_name
    from planning.rules import checked_places

    zh = lang == "zh"
    s = result.summary
    lines = []
    title = result.scenario.name or "scenario"
    lines.append(f"{'情景' if zh else 'Scenario'}: {title}")
    counts = s["county_status"].value_counts()
    lines.append((f"规则 {len(s)} 条: 达标 {counts.get('pass', 0)}, 未达标 {counts.get('fail', 0)}, "
                  f"无数据 {counts.get('no_data', 0)}, 不适用 {counts.get('not_applicable', 0)}") if zh else
                 (f"Rules checked: {len(s)} — passed {counts.get('pass', 0)}, failed {counts.get('fail', 0)}, "
                  f"no data {counts.get('no_data', 0)}, not applicable {counts.get('not_applicable', 0)}"))
    failing = s[s["county_status"] == "fail"]
    by_rule = dict(tuple(result.compliance.groupby("rule_id", sort=False)))
    for row in failing.itertuples(index=False):
        after = ""
        if "county_status_after" in s.columns:
            after = f" → {'方案后' if zh else 'after actions'}: {status_name(row.county_status_after, lang)}"
        rows = checked_places(by_rule[row.rule_id])
        pop = ""  # staffing and other facility rules have no residents of their own
        if row.failing_population > 0:
            pop = f", {'涉及人口' if zh else 'failing population'} {row.failing_population:,.0f}"
        lines.append(f"  {row.rule_id}: {_failing_places(rows, lang)}{pop}{after}")
    nodata = s[s["county_status"] == "no_data"]["rule_id"].tolist()
    if nodata:
        lines.append(f"  {'无数据' if zh else 'no data'}: {', '.join(nodata)}")
    a = result.actions
    if len(a):
        by = a["action"].value_counts().sort_index()
        lines.append((f"方案: {len(a)} 项 (" if zh else f"Actions: {len(a)} (")
                     + ", ".join(f"{action_name(k, lang)} {v}" for k, v in by.items())
                     + (f"), 总投资 {a['cost'].sum():,.0f} 万元" if zh else f"), total cost {a['cost'].sum():,.0f} 万元"))
    else:
        lines.append("方案: 无" if zh else "Actions: none")
    for name, info in result.recipes.items():
        if info["status"] != "ok":
            lines.append(f"  {'配方未运行' if zh else 'recipe not run'}: {recipe_name(name, lang)} — {info.get('reason', '')}")
        else:
            solver = info.get("solver") or {}
            gap = solver.get("gap")
            gap_text = (f", {'最优性间隙' if zh else 'gap'} {gap:.2%}" if isinstance(gap, (int, float)) and gap == gap else "")
            unit = "项" if zh else ("action" if info["actions"] == 1 else "actions")
            lines.append(f"  {recipe_name(name, lang)}: {info['actions']} {unit}, "
                         f"{info['cost']:,.0f} 万元, {solve_status_name(solver.get('status', ''), lang)}{gap_text}")
    files = result.files
    for key, zh_label, en_label in (("map.html", "地图", "Map"), ("report.html", "报告", "Report"),
                                    ("report.docx", "报告 (Word)", "Report (Word)")):
        if key in files:
            lines.append(f"{zh_label if zh else en_label}: {files[key]}")
    lines.append(f"{'全部输出' if zh else 'All outputs'}: {result.out_dir}")
    return "\n".join(lines)

