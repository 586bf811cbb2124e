"""Two scenarios side by side: :func:`compare_scenarios` (``planning compare``; L6, entry layer).

Each scenario is run into ``out_dir/<name>/`` (both sharing the travel cache
``out_dir/.cache``, so a what-if of the same county recomputes only what its edits change);
then ``comparison.csv`` (rule by rule) and the side-by-side report ``comparison.html`` /
``comparison.docx`` are written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planning._errors import InputError
from planning.runner import RunResult, report_coverage, run_scenario

__all__ = ["ComparisonResult", "compare_scenarios", "compare_tables"]


@dataclass
class ComparisonResult:
    """What :func:`compare_scenarios` produced.

    Attributes
    ----------
    names : tuple of str
        Names of side A and side B.
    table : DataFrame
        One row per rule (comparison.csv).
    actions : DataFrame
        Actions and cost by action type on each side.
    out_dir : Path
    files : dict
        Output name → path.
    runs : tuple of RunResult
        The two runs.
    """

    names: tuple[str, str]
    table: pd.DataFrame
    actions: pd.DataFrame
    out_dir: Path
    files: dict[str, Path] = field(default_factory=dict)
    runs: tuple[RunResult, ...] = field(default_factory=tuple)

    def text_summary(self, *, lang: str = "en") -> str:
        """A short summary: rules whose status differs, actions and cost on each side."""
        zh = lang == "zh"
        a, b = self.names
        t = self.table
        lines = [f"{'对比' if zh else 'Comparison'}: {a}  vs  {b}"]
        changed = t[t["changed"]]
        if len(changed) == 0:
            lines.append("各规则结论相同" if zh else "Every rule has the same final status in both.")
        for row in changed.itertuples(index=False):
            lines.append(f"  {row.rule_id}: {row.final_status_a} → {row.final_status_b} "
                         f"({'未达标人口' if zh else 'failing population'} {row.final_failing_population_a:,.0f} → "
                         f"{row.final_failing_population_b:,.0f})")
        for row in self.actions.itertuples(index=False):
            lines.append(f"  {row.side}: {row.actions} {'项方案' if zh else 'actions'}, {row.cost:,.0f} 万元")
        for name in ("comparison.html", "comparison.docx", "comparison.csv"):
            if name in self.files:
                lines.append(f"{name}: {self.files[name]}")
        return "\n".join(lines)


def _final(run: RunResult) -> pd.DataFrame:
    summary = run.summary
    out = summary[["rule_id", "county_status", "failing_population"]].rename(columns={"county_status": "status"})
    if "county_status_after" in summary.columns:
        out["final_status"] = summary["county_status_after"].fillna(summary["county_status"])
        out["final_failing_population"] = summary["failing_population_after"].fillna(summary["failing_population"])
    else:
        out["final_status"] = out["status"]
        out["final_failing_population"] = out["failing_population"]
    return out


def compare_tables(a: RunResult, b: RunResult) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rule-by-rule and action comparison of two runs.

    Returns
    -------
    table : DataFrame
        ``rule_id, status_a, status_b, final_status_a, final_status_b, failing_population_a,
        failing_population_b, final_failing_population_a, final_failing_population_b,
        failing_population_change`` (final B − final A) and ``changed`` (final status differs).
    actions : DataFrame
        ``side, actions, cost`` and one column per action type (counts).
    """
    fa, fb = _final(a), _final(b)
    table = fa.merge(fb, on="rule_id", how="outer", suffixes=("_a", "_b"), sort=False)
    order = list(dict.fromkeys(list(fa["rule_id"]) + list(fb["rule_id"])))
    table = table.set_index("rule_id").loc[order].reset_index()
    table["failing_population_change"] = (table["final_failing_population_b"].astype(float)
                                          - table["final_failing_population_a"].astype(float))
    table["changed"] = table["final_status_a"].astype(str) != table["final_status_b"].astype(str)
    cols = ["rule_id", "status_a", "status_b", "final_status_a", "final_status_b", "failing_population_a",
            "failing_population_b", "final_failing_population_a", "final_failing_population_b",
            "failing_population_change", "changed"]
    table = table[cols]
    rows = []
    for side, run in (("a", a), ("b", b)):
        acts = run.actions
        row: dict[str, Any] = {"side": side, "actions": int(len(acts)),
                               "cost": float(np.nansum(pd.to_numeric(acts["cost"], errors="coerce")))}
        for kind in ("new", "upgrade", "merge", "close"):
            row[kind] = int((acts["action"] == kind).sum()) if len(acts) else 0
        rows.append(row)
    return table, pd.DataFrame(rows)


def _safe_name(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^\w.-]+", "_", name).strip("._") or "scenario"
    out, i = base, 2
    while out in taken:
        out, i = f"{base}_{i}", i + 1
    taken.add(out)
    return out


def compare_scenarios(a: str | Path, b: str | Path, *, out_dir: str | Path, names: tuple[str, str] | None = None,
                      lang: str = "zh", progress: bool = True) -> ComparisonResult:
    """Run two scenarios and write their side-by-side comparison.

    Parameters
    ----------
    a, b : str or Path
        Scenario files.
    out_dir : str or Path
        Where the two runs (``out_dir/<name>/``) and ``comparison.csv``, ``comparison.html``,
        ``comparison.docx`` go.
    names : (str, str), optional
        Labels of the two sides; default the scenario names.
    lang : {"zh", "en"}
    progress : bool
        Progress bars while running.

    Returns
    -------
    ComparisonResult

    Raises
    ------
    ScenarioError
        Either scenario is invalid (both are validated before anything runs).

    Examples
    --------
    >>> # compare_scenarios("scenarios/demo.yaml", "scenarios/demo_budget_low.yaml", out_dir="out/cmp")
    """
    from planning.io import write_table
    from planning.reports import build_comparison, build_report
    from planning.scenarios.model import load_scenario

    out = Path(out_dir)
    problems = [f"{p}: scenario file not found" for p in (a, b) if not Path(p).is_file()]
    if problems:
        raise InputError("planning compare", problems)
    scenarios = [load_scenario(a), load_scenario(b)]
    out.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    runs = []
    for scenario in scenarios:
        sub = out / _safe_name(scenario.name or "scenario", taken)
        runs.append(run_scenario(scenario, out_dir=sub, lang=lang, progress=progress, cache_dir=out / ".cache"))
    labels = [s.name or Path(str(s.source)).stem for s in scenarios]
    names = names or (labels[0], labels[1] if labels[1] != labels[0] else f"{labels[1]} (B)")
    table, actions = compare_tables(runs[0], runs[1])
    actions["side"] = [names[0], names[1]]
    reports = []
    for run in runs:
        report = run.report
        if report is None or report.lang != lang:
            final = run.compliance_after if run.compliance_after is not None else run.compliance
            report = build_report(run.county, final, actions=run.actions if len(run.actions) else None,
                                  coverage_by_township=report_coverage(run.coverage_by_township),
                                  before=run.compliance if run.compliance_after is not None else None, lang=lang)
        reports.append(report)
    comparison = build_comparison(reports[0], reports[1], names=names, lang=lang)
    files = {"comparison.csv": out / "comparison.csv", "comparison.html": out / "comparison.html",
             "comparison.docx": out / "comparison.docx"}
    write_table(table, files["comparison.csv"])
    comparison.write_html(files["comparison.html"])
    comparison.write_docx(files["comparison.docx"])
    return ComparisonResult(names=names, table=table, actions=actions, out_dir=out, files=files,
                            runs=(runs[0], runs[1]))
