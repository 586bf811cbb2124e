"""Province runs on Dask: every county checked (and optionally planned) in its own task.

:func:`run_province` takes the county manifests of a province (e.g. all 117 counties of Shanxi),
checks every rule in each county as a Dask task (on a ``distributed.LocalCluster`` when no
client is given), and summarises: how many counties fail each rule and which, the counties
without a public odd-job market (EM-01), the failing population. A county whose data cannot be
loaded does not stop the others: it is listed with its error and counts as ``no_data`` for every
rule (missing data is never a pass). Results come back in the order the counties were given,
whatever order the tasks finish in.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from planning._errors import InputError, PlanningError

__all__ = ["ProvinceResult", "run_province", "check_county_task", "province_tables"]


@dataclass
class ProvinceResult:
    """What :func:`run_province` produced.

    Attributes
    ----------
    counties : DataFrame
        One row per county, in input order: ``county_id, county_name, manifest, status`` (ok /
        error), ``error``, ``rules_failed`` (count), ``failed_rules`` (ids), ``failing_population``
        (sum over failing rows of the rules at their finest level), ``odd_job_market``
        (yes / no / no_data), ``actions``, ``cost``.
    compliance : DataFrame
        Every county's compliance table with ``county_id`` and ``county_name`` in front.
    summary : DataFrame
        One row per rule: ``rule_id, counties, counties_pass, counties_fail, counties_no_data,
        counties_not_applicable, failing_population, failing_counties`` ("id:name; …").
    without_odd_job_market : list of (str, str)
        (county id, name) of the counties failing EM-01.
    files : dict
        Output name → path (when ``out_dir`` was given).
    """

    counties: pd.DataFrame
    compliance: pd.DataFrame
    summary: pd.DataFrame
    without_odd_job_market: list[tuple[str, str]] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)

    def text_summary(self) -> str:
        """A few lines: counties checked, errors, rules failing most, counties without a market."""
        c = self.counties
        ok = int((c["status"] == "ok").sum())
        lines = [f"Counties checked: {ok} of {len(c)}" + (f" ({len(c) - ok} could not be loaded)" if ok < len(c) else "")]
        worst = self.summary.sort_values(["counties_fail", "rule_id"], ascending=[False, True]).head(5)
        for row in worst.itertuples(index=False):
            if row.counties_fail:
                lines.append(f"  {row.rule_id}: fails in {row.counties_fail} of {row.counties} counties, "
                             f"failing population {row.failing_population:,.0f}")
        names = ", ".join(f"{n} ({i})" for i, n in self.without_odd_job_market) or "none"
        lines.append(f"Counties without an odd-job market (EM-01): {len(self.without_odd_job_market)} of {len(c)}"
                     f" — {names}")
        return "\n".join(lines)


def check_county_task(manifest: str, scenario: dict[str, Any] | None, run_recipes: bool,
                      cache_dir: str | None = None) -> dict[str, Any]:
    """One county's task: load, check every rule, optionally run the scenario's recipes.

    Parameters
    ----------
    manifest : str
        Path of the county's ``county.yaml`` (or its directory).
    scenario : dict or None
        A scenario as ``Scenario.model_dump()`` (its ``county`` is ignored); None = defaults.
    run_recipes : bool
        Also run the scenario's recipes; the county's rules are then checked after the actions.
    cache_dir : str, optional
        Travel cache directory (:mod:`planning.cache`), shared safely by concurrent tasks.

    Returns
    -------
    dict
        ``manifest, county_id, county_name, status, error, compliance`` (DataFrame or None),
        ``compliance_after``, ``actions``, ``cost``. Planning errors are returned as
        ``status="error"`` with the message, so one bad county does not stop the province.
    """
    from planning.io import load_county
    from planning.rules import evaluate
    from planning.scenarios.model import Scenario

    spec = Scenario.model_validate({**(scenario or {}), "county": manifest, "source": None})
    out: dict[str, Any] = {"manifest": manifest, "county_id": "", "county_name": "", "status": "ok", "error": "",
                           "compliance": None, "compliance_after": None, "actions": 0, "cost": 0.0}
    try:
        county = load_county(manifest)
        out["county_id"], out["county_name"] = county.county_id, county.name
        from planning.network.engine import TravelEngine

        settings = spec.settings()
        if cache_dir is None:
            engine: Any = TravelEngine.from_county(county, settings=settings)
        else:
            from planning.cache import CachedEngine, TravelCache, network_digest

            engine = CachedEngine(lambda: TravelEngine.from_county(county, settings=settings),
                                  cache=TravelCache(cache_dir), key=network_digest(county, settings))
        params, override = spec.rules.values(), spec.rules.overrides()
        rules = None if spec.rules.check == "all" else spec.rules.check
        table = evaluate(county, params=params, override=override, engine=engine, settings=settings, rules=rules)
        out["compliance"] = table
        if run_recipes and spec.recipes:
            from planning.runner import _run_recipes, clinic_assignment

            class _Quiet:
                def set_description(self, text: str) -> None:
                    return None

            after_county, actions, _, tables = _run_recipes(county, spec, engine, _Quiet())
            out["actions"] = int(len(actions))
            out["cost"] = float(actions["cost"].sum()) if len(actions) else 0.0
            out["compliance_after"] = evaluate(after_county, params=params, override=override, engine=engine,
                                               settings=settings, rules=rules, assignment=clinic_assignment(tables))
    except PlanningError as exc:
        out["status"] = "error"
        out["error"] = str(exc)
    return out


def _failing_population(part: pd.DataFrame) -> float:
    """Failing population of one rule in one county: the county row's, else summed at the finest
    level present."""
    for level in ("county", "village", "community", "cell", "township"):
        rows = part[part["level"].astype(str) == level]
        if len(rows):
            return float(pd.to_numeric(rows["failing_population"], errors="coerce").fillna(0).sum())
    return 0.0


def province_tables(results: list[dict[str, Any]], *, rule_ids: list[str]) -> tuple[
        pd.DataFrame, pd.DataFrame, pd.DataFrame, list[tuple[str, str]]]:
    """Province tables from the counties' task results (see :class:`ProvinceResult`).

    Parameters
    ----------
    results : list of dict
        Outputs of :func:`check_county_task`, in county order.
    rule_ids : list of str
        Every rule checked (so a county that could not be loaded counts as ``no_data`` for each).

    Returns
    -------
    counties, compliance, summary : DataFrame
    without_odd_job_market : list of (id, name)
    """
    county_rows = []
    frames = []
    per_rule: dict[str, dict[str, Any]] = {r: {"rule_id": r, "counties": 0, "counties_pass": 0, "counties_fail": 0,
                                               "counties_no_data": 0, "counties_not_applicable": 0,
                                               "failing_population": 0.0, "failing_counties": []}
                                           for r in rule_ids}
    without: list[tuple[str, str]] = []
    for res in results:
        cid = res["county_id"] or Path(res["manifest"]).parent.name
        cname = res["county_name"] or cid
        table = res["compliance_after"] if res["compliance_after"] is not None else res["compliance"]
        failed: list[str] = []
        fail_pop = 0.0
        market = "no_data"
        if table is not None:
            frames.append(pd.concat([pd.DataFrame({"county_id": [cid] * len(table), "county_name": [cname] * len(table)}),
                                     table.reset_index(drop=True)], axis=1))
        for rule_id in rule_ids:
            entry = per_rule[rule_id]
            entry["counties"] += 1
            part = table[table["rule_id"] == rule_id] if table is not None else None
            if part is not None and (part["level"].astype(str) == "county").any():
                part = part[part["level"].astype(str) == "county"]  # the county row is the rule's verdict
            statuses = set(part["status"]) if part is not None else set()
            if part is None or not statuses:
                status = "no_data"
            elif "fail" in statuses:
                status = "fail"
            elif "no_data" in statuses:
                status = "no_data"
            elif "pass" in statuses:
                status = "pass"
            else:
                status = "not_applicable"
            entry[f"counties_{status}"] += 1
            if status == "fail":
                pop = _failing_population(part)
                entry["failing_population"] += pop
                entry["failing_counties"].append(f"{cid}:{cname}")
                failed.append(rule_id)
                fail_pop += pop
            if rule_id == "EM-01":
                market = {"fail": "no", "pass": "yes"}.get(status, status)
                if status == "fail":
                    without.append((cid, cname))
        county_rows.append({"county_id": cid, "county_name": cname, "manifest": res["manifest"],
                            "status": res["status"], "error": res["error"], "rules_failed": len(failed),
                            "failed_rules": ", ".join(failed), "failing_population": fail_pop,
                            "odd_job_market": market, "actions": res["actions"], "cost": res["cost"]})
    summary = pd.DataFrame([{**e, "failing_counties": "; ".join(e["failing_counties"])} for e in per_rule.values()])
    compliance = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["county_id", "county_name"])
    return pd.DataFrame(county_rows), compliance, summary, without


def _write(out_dir: Path, counties: pd.DataFrame, compliance: pd.DataFrame, summary: pd.DataFrame,
           without: list[tuple[str, str]]) -> dict[str, Path]:
    from planning.io import write_table

    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-province-", dir=out_dir))
    names = ["province_counties.csv", "province_compliance.csv", "province_summary.csv", "province.json"]
    try:
        write_table(counties, tmp / names[0])
        write_table(compliance, tmp / names[1])
        write_table(summary, tmp / names[2])
        doc = {"counties": int(len(counties)), "counties_loaded": int((counties["status"] == "ok").sum()),
               "without_odd_job_market": [{"county_id": i, "name": n} for i, n in without],
               "errors": {r.county_id: r.error for r in counties.itertuples() if r.status == "error"}}
        (tmp / names[3]).write_text(json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                                    encoding="utf-8")
        for name in names:
            os.replace(tmp / name, out_dir / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {name: out_dir / name for name in names}


def run_province(counties: list[str | Path], *, scenario: Any = None, client: Any = None, n_workers: int = 2,
                 processes: bool = True, run_recipes: bool = False, out_dir: str | Path | None = None,
                 cache_dir: str | Path | None = None, progress: bool = True) -> ProvinceResult:
    """Check every county of a province in parallel on Dask.

    Parameters
    ----------
    counties : list of paths
        County manifests (``county.yaml`` or directories holding one).
    scenario : str, Path, dict or Scenario, optional
        Travel settings, rule selection and parameters, recipes (its ``county`` is ignored and
        may be absent); default settings when None.
    client : distributed.Client, optional
        An existing Dask client (e.g. of a cluster); when None a ``LocalCluster`` with
        ``n_workers`` single-threaded workers is started and closed afterwards.
    n_workers : int
        Workers of the local cluster.
    processes : bool
        Local workers as processes (True) or threads of this process (False).
    run_recipes : bool
        Also run the scenario's recipes in each county (the summary is then after the actions).
    out_dir : str or Path, optional
        Write ``province_counties.csv``, ``province_compliance.csv``, ``province_summary.csv`` and
        ``province.json`` there (atomically, all or nothing).
    cache_dir : str or Path, optional
        Travel cache shared by the tasks (a re-run with other rule parameters reuses every
        county's travel tables); None = no cache.
    progress : bool
        Progress bar (only when stderr is a terminal).

    Returns
    -------
    ProvinceResult

    Raises
    ------
    InputError
        No county given, a manifest path that does not exist, or n_workers < 1 (all listed).
    ScenarioError
        Invalid scenario.

    Examples
    --------
    >>> # result = run_province(sorted(Path("shanxi").glob("*/county.yaml")), n_workers=2)
    >>> # print(result.text_summary())
    """
    from tqdm import tqdm

    from planning.rules.catalog import load_catalog
    from planning.scenarios.model import Scenario, load_scenario

    paths = [Path(p) for p in counties]
    problems = []
    if not paths:
        problems.append("no county given; pass the county.yaml paths of the province")
    for i, p in enumerate(paths, start=1):
        if not (p.is_file() or (p / "county.yaml").is_file()):
            problems.append(f"county {i}: {p} is neither a county.yaml nor a directory holding one")
    if n_workers < 1:
        problems.append(f"n_workers must be >= 1; got {n_workers}")
    if problems:
        raise InputError("province run", problems)
    if scenario is None:
        payload: dict[str, Any] | None = None
        spec = None
    else:
        spec = scenario if isinstance(scenario, Scenario) else load_scenario(scenario, require_county=False)
        payload = spec.model_dump(mode="json", exclude={"county", "source"})
    rule_ids = list(load_catalog().ids)
    if spec is not None and spec.rules.check != "all":
        rule_ids = [r for r in rule_ids if r in spec.rules.check]

    from distributed import Client, LocalCluster, as_completed

    own = client is None
    cluster = None
    if own:
        cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=processes,
                               dashboard_address=None)
        client = Client(cluster)
    bar = tqdm(total=len(paths), desc="counties", unit="county", disable=not (progress and sys.stderr.isatty()))
    try:
        cache = None if cache_dir is None else str(Path(cache_dir).resolve())
        futures = [client.submit(check_county_task, str(p.resolve()), payload, run_recipes, cache, pure=False,
                                 key=f"county-{i}-{p.name}") for i, p in enumerate(paths)]
        index = {f.key: i for i, f in enumerate(futures)}
        results: list[dict[str, Any] | None] = [None] * len(futures)
        for future in as_completed(futures):
            results[index[future.key]] = future.result()
            bar.update()
    finally:
        bar.close()
        if own:
            client.close()
            cluster.close()  # type: ignore[union-attr]
    counties_t, compliance, summary, without = province_tables(results, rule_ids=rule_ids)  # type: ignore[arg-type]
    files = _write(Path(out_dir), counties_t, compliance, summary, without) if out_dir is not None else {}
    return ProvinceResult(counties=counties_t, compliance=compliance, summary=summary,
                          without_odd_job_market=without, files=files)
