"""What a county report says: sections of headings, paragraphs, tables and figures.

:func:`build_report` and :func:`build_comparison` turn results (compliance table, actions,
coverage by township, solver summaries) into a :class:`ReportDocument` — a list of blocks in
the planner's words — which :meth:`ReportDocument.write_html` and
:meth:`ReportDocument.write_docx` render. Both formats are written from the same blocks, so
they always say the same thing. Nothing here computes analysis: every number comes from the
input tables.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from planning._errors import InputError
from planning.reports import charts
from planning.reports.text import (
    action_name,
    action_reason,
    check_lang,
    fmt_int,
    fmt_num,
    fmt_share,
    fmt_value,
    kind_name,
    label,
    level_name,
    metric_name,
    model_name,
    paren,
    recipe_name,
    service_name,
    solve_status_name,
    status_name,
)

if TYPE_CHECKING:
    import geopandas as gpd

    from planning.county import County

__all__ = [
    "Heading",
    "Paragraph",
    "Bullets",
    "Table",
    "Figure",
    "ReportDocument",
    "Report",
    "Comparison",
    "build_report",
    "build_comparison",
    "rule_summary",
    "COMPLIANCE_REQUIRED",
    "ACTIONS_REQUIRED",
]

#: Columns a compliance table must have (COMMON.md); ``detail``/``detail_zh``/``detail_en`` and
#: ``modified`` are used when present.
COMPLIANCE_REQUIRED: tuple[str, ...] = (
    "rule_id", "level", "area_id", "area_name", "status", "value", "threshold", "unit",
    "failing_population", "failing_places", "metric", "source",
)
#: Columns an actions table must have.
ACTIONS_REQUIRED: tuple[str, ...] = (
    "action", "kind", "site_id", "site_name", "township_id", "cost", "population_gained", "rule_id", "reason",
)
_STATUSES = ("pass", "fail", "not_applicable", "no_data")
#: Tiers of area levels, finest first; villages, communities and population cells are one tier (places).
_LEVEL_ORDER = {"village": 0, "community": 0, "cell": 0, "facility": 2, "township": 3, "county": 4, "province": 5}
_MARK = {"pass": "✓", "fail": "✗", "not_applicable": "—", "no_data": "?"}


# ---------------------------------------------------------------------------------------------
# blocks
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    """A section heading (level 1 or 2)."""

    text: str
    level: int = 1


@dataclass(frozen=True)
class Paragraph:
    """A paragraph; ``note=True`` renders it small (footnotes)."""

    text: str
    note: bool = False


@dataclass(frozen=True)
class Bullets:
    """A bulleted list."""

    items: list[str]


@dataclass(frozen=True)
class Table:
    """A table of text cells.

    Attributes
    ----------
    key : str
        Stable name (``"rules"``, ``"townships"``, ``"uncovered"``, ``"actions"``, ...).
    columns : list of str
        Header cells.
    rows : list of list of str
        Body cells.
    caption : str
        Shown above the table.
    status : list of list of str or None
        Per cell, the status it shows (``pass``/``fail``/...) for colouring, or ``""``.
    total : bool
        The last row is a total row (bold).
    """

    key: str
    columns: list[str]
    rows: list[list[str]]
    caption: str = ""
    status: list[list[str]] | None = None
    total: bool = False


@dataclass(frozen=True)
class Figure:
    """A PNG image with a caption."""

    png: bytes
    caption: str
    width_cm: float = 15.0


Block = Heading | Paragraph | Bullets | Table | Figure


@dataclass(repr=False)
class ReportDocument:
    """A rendered-ready report: title, subtitle and blocks.

    Attributes
    ----------
    title : str
    subtitle : str
    lang : str
    blocks : list
        :class:`Heading`, :class:`Paragraph`, :class:`Table`, :class:`Figure` in reading order.
    """

    title: str
    subtitle: str
    lang: str
    blocks: list[Block] = field(default_factory=list)

    def __repr__(self) -> str:
        counts: dict[str, int] = {}
        for block in self.blocks:
            counts[type(block).__name__] = counts.get(type(block).__name__, 0) + 1
        parts = ", ".join(f"{n} {k.lower()}" for k, n in sorted(counts.items()))
        return f"{type(self).__name__}({self.title!r}, lang={self.lang!r}: {parts})"

    def table(self, key: str) -> Table:
        """The first table with this ``key``.

        Raises
        ------
        KeyError
            When the report has no such table.
        """
        for block in self.blocks:
            if isinstance(block, Table) and block.key == key:
                return block
        raise KeyError(f"no table {key!r}; tables: {[b.key for b in self.blocks if isinstance(b, Table)]}")

    def write_html(self, path: str | os.PathLike[str]) -> Path:
        """Write a self-contained HTML file (images inlined), atomically; returns the path."""
        from planning.reports.html import write_html

        return write_html(self, path)

    def write_docx(self, path: str | os.PathLike[str]) -> Path:
        """Write a Word document (python-docx), atomically; returns the path."""
        from planning.reports.docx import write_docx

        return write_docx(self, path)


@dataclass(repr=False)
class Report(ReportDocument):
    """A county report; also keeps its inputs for :func:`build_comparison`."""

    county_name: str = ""
    county: Any = None
    compliance: pd.DataFrame | None = None
    before: pd.DataFrame | None = None
    actions: pd.DataFrame | None = None
    coverage_by_township: pd.DataFrame | None = None
    solver: dict[str, dict[str, Any]] | None = None


@dataclass(repr=False)
class Comparison(ReportDocument):
    """A side-by-side report of two scenarios."""

    names: tuple[str, str] = ("A", "B")


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def _catalog_titles(lang: str) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """Rule titles, citations (document titles and clauses) and catalog order from
    :mod:`planning.rules.catalog`."""
    from planning.rules.catalog import load_catalog

    catalog = load_catalog()
    return ({r.id: r.title(lang) for r in catalog}, {r.id: catalog.citation(r.id, lang) for r in catalog},
            list(catalog.ids))


def _rule_order(ids: Sequence[str], catalog_order: list[str]) -> list[str]:
    pos = {r: i for i, r in enumerate(catalog_order)}
    return sorted(dict.fromkeys(ids), key=lambda r: (pos.get(r, len(pos)), r))


def _detail_col(frame: pd.DataFrame, lang: str) -> str | None:
    for col in (f"detail_{lang}", "detail"):
        if col in frame.columns:
            return col
    return None


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value)


def rule_summary(compliance: pd.DataFrame, *, order: Sequence[str] = ()) -> pd.DataFrame:
    """One row per rule: overall status, headline value, failing areas and population.

    The headline is the county row when the rule has one; otherwise the status is the worst
    over its rows (fail > no data > pass > not applicable). ``failing_population`` sums the
    failing rows of the rule's finest tier (villages and communities before facilities before
    townships before the county), so no resident is counted twice.

    Parameters
    ----------
    compliance : pandas.DataFrame
        Compliance table.
    order : sequence of str
        Rule ids in display order (others follow, sorted).

    Returns
    -------
    pandas.DataFrame
        ``rule_id, status, value, threshold, unit, source, modified, finest_level, n_areas,
        n_failing, failing_population``.
    """
    rows = []
    for rid in _rule_order(compliance["rule_id"].astype(str).tolist(), list(order)):
        sub = compliance[compliance["rule_id"].astype(str) == rid]
        levels = sub["level"].astype(str)
        county = sub[levels == "county"]
        statuses = set(sub["status"].astype(str))
        if len(county):
            head = county.iloc[0]
            status = str(head["status"])
        else:
            head = sub.iloc[0]
            status = next(s for s in ("fail", "no_data", "pass", "not_applicable", *sorted(statuses))
                          if s in statuses)
        tier = levels.map(lambda lv: _LEVEL_ORDER.get(lv, 9))
        fine = sub[tier == tier.min()]
        present = sorted(set(levels[tier == tier.min()]))
        finest = present[0] if len(present) == 1 else "place"
        failing = fine[fine["status"] == "fail"]
        modified = bool(sub["modified"].fillna(False).astype(bool).any()) if "modified" in sub.columns else False
        rows.append({
            "rule_id": rid, "status": status,
            "value": head["value"] if len(county) else np.nan,
            "threshold": head["threshold"] if len(county) else sub["threshold"].iloc[0],
            "unit": head["unit"], "source": head["source"], "modified": modified,
            "finest_level": finest, "n_areas": int(len(fine)), "n_failing": int(len(failing)),
            "failing_population": float(pd.to_numeric(failing["failing_population"], errors="coerce").fillna(0).sum()),
        })
    return pd.DataFrame(rows, columns=["rule_id", "status", "value", "threshold", "unit", "source", "modified",
                                       "finest_level", "n_areas", "n_failing", "failing_population"])


def _check(compliance: Any, before: Any, actions: Any, coverage: Any, lang: str) -> None:
    check_lang(lang)
    problems: list[str] = []
    for what, frame in (("compliance table", compliance), ("before (compliance before the actions)", before)):
        if frame is None:
            continue
        if not isinstance(frame, pd.DataFrame):
            problems.append(f"{what}: expected a pandas DataFrame, got {type(frame).__name__}")
            continue
        missing = [c for c in COMPLIANCE_REQUIRED if c not in frame.columns]
        if missing:
            problems.append(f"{what}: missing column(s) {', '.join(missing)}")
        elif not len(frame):
            problems.append(f"{what}: no rows; evaluate the rules first (planning.rules.evaluate) — an empty "
                            "check is not a pass")
        else:
            bad = sorted(set(frame["status"].astype(str)) - set(_STATUSES))
            if bad:
                rows = [str(i + 1) for i, s in enumerate(frame["status"].astype(str)) if s in bad][:10]
                problems.append(f"{what}: unknown status {', '.join(map(repr, bad))} in row(s) {', '.join(rows)} "
                                f"(data rows, 1-based); allowed: {', '.join(_STATUSES)}")
    if actions is not None:
        missing = [c for c in ACTIONS_REQUIRED if c not in getattr(actions, "columns", [])]
        if missing:
            problems.append(f"actions table: missing column(s) {', '.join(missing)}")
    if coverage is not None:
        missing = [c for c in ("township_id", "township_name", "population") if c not in getattr(coverage, "columns", [])]
        if missing:
            problems.append(f"coverage_by_township: missing column(s) {', '.join(missing)}")
        elif not any(str(c).startswith("covered_pop_") for c in coverage.columns):
            problems.append("coverage_by_township: no covered_pop_<threshold> column (e.g. covered_pop_15min); "
                            "build it with planning.coverage.coverage_by_area")
    if problems:
        raise InputError("report inputs", problems)


def _solver_rows(solver: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    if not solver:
        return {}
    if "status" in solver and not isinstance(solver.get("status"), Mapping):
        return {"": dict(solver)}
    return {str(k): dict(v) for k, v in solver.items() if isinstance(v, Mapping) and v}


def _coverage_columns(coverage: pd.DataFrame) -> tuple[list[str], list[str]]:
    covered = [c for c in coverage.columns if str(c).startswith("covered_pop_")]
    shares = [c for c in coverage.columns if str(c).startswith("share_")]
    return covered, shares


def _threshold_text(suffix: str, lang: str) -> str:
    """``15min`` → ``15 分钟``; ``10km`` → ``10 公里``; other labels unchanged."""
    for unit, key in (("min", "minutes"), ("km", "km")):
        if suffix.endswith(unit):
            number = suffix[: -len(unit)]
            try:
                return label(key, lang, value=fmt_num(float(number)))
            except ValueError:
                return suffix
    return suffix


# ---------------------------------------------------------------------------------------------
# sections
# ---------------------------------------------------------------------------------------------


def _rules_table(current: pd.DataFrame, after: pd.DataFrame | None, titles: dict[str, str],
                 citations: dict[str, str], order: list[str], lang: str
                 ) -> tuple[Table, pd.DataFrame, pd.DataFrame | None]:
    now = rule_summary(current, order=order)
    later = rule_summary(after, order=order) if after is not None else None
    later_by = later.set_index("rule_id") if later is not None else None
    columns = [label("col_rule", lang), label("col_title", lang), label("col_source", lang)]
    if later is None:
        columns += [label("col_status", lang), label("col_value", lang)]
    else:
        columns += [label("col_status_before", lang), label("col_status_after", lang), label("col_value", lang)]
    columns += [label("col_threshold", lang), label("col_failing_areas", lang), label("col_failing_population", lang)]
    rows, status = [], []
    for r in now.itertuples(index=False):
        rid = r.rule_id + ("*" if r.modified else "")
        cells = [rid, titles.get(r.rule_id, ""), citations.get(r.rule_id, _cell(r.source))]
        marks = ["", "", ""]
        cells.append(status_name(r.status, lang))
        marks.append(r.status)
        if later_by is not None:
            st = str(later_by.loc[r.rule_id, "status"]) if r.rule_id in later_by.index else "no_data"
            cells.append(status_name(st, lang))
            marks.append(st)
        fails = f"{r.n_failing}/{r.n_areas} {level_name(r.finest_level, lang, plural=r.n_areas != 1)}"
        cells += [fmt_value(r.value, r.unit, lang), fmt_value(r.threshold, r.unit, lang), fails,
                  fmt_int(r.failing_population)]
        marks += ["", "", "", ""]
        rows.append(cells)
        status.append(marks)
    return Table("rules", columns, rows, status=status), now, later


def _township_blocks(county: County, current: pd.DataFrame, coverage: pd.DataFrame | None, order: list[str],
                     lang: str) -> list[Block]:
    blocks: list[Block] = [Heading(label("sec_townships", lang))]
    tw = current[current["level"].astype(str) == "township"]
    if len(tw):
        rules = _rule_order(tw["rule_id"].astype(str).tolist(), order)
        cell = {(str(a), str(r)): str(s) for a, r, s in zip(tw["area_id"], tw["rule_id"], tw["status"])}
        rows, status = [], []
        for _, t in county.townships.iterrows():
            tid = str(t["id"])
            # no row: nothing of the rule's kind to check in this township (e.g. no communities)
            sts = [cell.get((tid, r), "not_applicable") for r in rules]
            rows.append([str(t["name"])] + [_MARK.get(s, "") for s in sts])
            status.append([""] + sts)
        blocks.append(Paragraph(label("township_rules_intro", lang)))
        blocks.append(Table("township_rules", [label("col_township", lang)] + rules, rows, status=status))
    village_table = _township_village_counts(county, current, order, lang)
    if village_table is not None:
        blocks += [Paragraph(label("township_villages_intro", lang)), village_table]
    if coverage is not None and len(coverage):
        covered, shares = _coverage_columns(coverage)
        cols = [label("col_township", lang), label("col_population", lang)]
        cols += [label("col_covered", lang, t=_threshold_text(c[len("covered_pop_"):], lang)) for c in covered]
        cols += [paren(label("col_share", lang), _threshold_text(c[len("share_"):], lang), lang) for c in shares]
        rows = []
        is_total = []
        for _, r in coverage.iterrows():
            county_row = str(r.get("level", "township")) == "county"
            name = label("total", lang) if county_row else str(r["township_name"])
            rows.append([name, fmt_int(r["population"])] + [fmt_int(r[c]) for c in covered]
                        + [fmt_share(r[c]) for c in shares])
            is_total.append(county_row)
        if any(is_total):  # the county row last
            rows = [r for r, t in zip(rows, is_total) if not t] + [r for r, t in zip(rows, is_total) if t]
        metric = metric_name(coverage["metric"].iloc[0], lang) if "metric" in coverage.columns else ""
        service = service_name(coverage["service"].iloc[0], lang) if "service" in coverage.columns else ""
        intro = label("coverage_intro_service", lang, service=service) if service else label("coverage_intro", lang)
        chart_title = (label("chart_coverage_share_service", lang, service=service) if service
                       else label("chart_coverage_share", lang))
        if metric:
            intro = f"{intro[:-1]}（{metric}）：" if lang == "zh" else f"{intro[:-1]} ({metric}):"
        blocks.append(Paragraph(intro))
        blocks.append(Table("coverage", cols, rows, total=any(is_total)))
        if shares:
            widest = shares[-1]
            tws = coverage[coverage.get("level", pd.Series("township", index=coverage.index)).astype(str) != "county"]
            blocks.append(Figure(charts.share_chart(tws["township_name"].astype(str).tolist(),
                                                    tws[widest].astype(float).tolist(), lang=lang,
                                                    title=paren(chart_title,
                                                                _threshold_text(widest[len("share_"):], lang), lang)),
                                 chart_title))
    return blocks


def _township_village_counts(county: County, frame: pd.DataFrame, order: list[str], lang: str) -> Table | None:
    """Per township and village-level rule: failing villages / villages checked, and the people in them."""
    rows_df = frame[frame["level"].astype(str).isin(("village", "community"))]
    if rows_df.empty:
        return None
    township_of = dict(zip(county.villages["id"].astype(str), county.villages["township_id"].astype(str)))
    if county.communities is not None and "township_id" in county.communities.columns:
        township_of.update(zip(county.communities["id"].astype(str), county.communities["township_id"].astype(str)))
    tids = rows_df["area_id"].astype(str).map(township_of)
    rules = _rule_order(rows_df["rule_id"].astype(str).tolist(), order)
    fails = rows_df["status"].astype(str) == "fail"
    pop = pd.to_numeric(rows_df["failing_population"], errors="coerce").fillna(0)
    rows, status = [], []
    for _, t in county.townships.iterrows():
        tid = str(t["id"])
        in_t = (tids == tid).to_numpy()
        cells, marks = [str(t["name"])], [""]
        for rule in rules:
            sel = in_t & (rows_df["rule_id"].astype(str) == rule).to_numpy()
            n, n_fail = int(sel.sum()), int((sel & fails.to_numpy()).sum())
            cells.append(f"{n_fail}/{n}" if n else "—")
            marks.append(("fail" if n_fail else "pass") if n else "")
        failing_here = in_t & fails.to_numpy()
        # each failing village once: its largest failing population over the rules
        per_area = pop[failing_here].groupby(rows_df["area_id"].astype(str)[failing_here]).max()
        cells.append(fmt_int(per_area.sum()))
        marks.append("")
        rows.append(cells)
        status.append(marks)
    return Table("township_villages",
                 [label("col_township", lang)] + rules + [label("col_failing_village_population", lang)],
                 rows, status=status)


def _failing_villages(frame: pd.DataFrame, county: County, order: list[str], titles: dict[str, str], lang: str,
                      key: str) -> list[Block]:
    """Failing villages (and communities), one sub-heading and table per rule, by township then name."""
    rows_df = frame[frame["level"].astype(str).isin(("village", "community")) & (frame["status"] == "fail")]
    if rows_df.empty:
        return []
    tnames = dict(zip(county.townships["id"].astype(str), county.townships["name"].astype(str)))
    vt = dict(zip(county.villages["id"].astype(str), county.villages["township_id"].astype(str)))
    if county.communities is not None and "township_id" in county.communities.columns:
        vt.update(zip(county.communities["id"].astype(str), county.communities["township_id"].astype(str)))
    detail = _detail_col(rows_df, lang)
    cols = [label("col_village", lang), label("col_township", lang), label("col_failing_population", lang),
            label("col_value", lang), label("col_threshold", lang), label("col_detail", lang)]
    blocks: list[Block] = []
    for rid in _rule_order(rows_df["rule_id"].astype(str).tolist(), order):
        part = rows_df[rows_df["rule_id"].astype(str) == rid]
        records = []
        for _, r in part.iterrows():
            tname = tnames.get(vt.get(str(r["area_id"]), ""), "")
            records.append((tname, str(r["area_name"]), [
                str(r["area_name"]), tname, fmt_int(r["failing_population"]),
                fmt_value(r["value"], r["unit"], lang), fmt_value(r["threshold"], r["unit"], lang),
                _cell(r[detail]) if detail else ""]))
        records.sort(key=lambda x: x[:2])
        people = fmt_int(pd.to_numeric(part["failing_population"], errors="coerce").fillna(0).sum())
        blocks.append(Heading(label("uncovered_rule_heading", lang, rule=rid, title=titles.get(rid, ""),
                                    n=len(records), people=people), level=2))
        blocks.append(Table(f"{key}:{rid}", cols, [r[2] for r in records]))
    return blocks


def _actions_blocks(actions: pd.DataFrame, county: County, lang: str) -> list[Block]:
    blocks: list[Block] = [Heading(label("sec_actions", lang))]
    if actions is None or len(actions) == 0:
        blocks.append(Paragraph(label("no_actions", lang)))
        return blocks
    tnames = dict(zip(county.townships["id"].astype(str), county.townships["name"].astype(str)))
    cols = [label("col_action", lang), label("col_kind", lang), label("col_site", lang), label("col_township", lang),
            label("col_cost", lang), label("col_population_gained", lang), label("col_rule", lang),
            label("col_reason", lang)]
    rows = []
    for _, a in actions.iterrows():
        rows.append([action_name(a["action"], lang), kind_name(a["kind"], lang), _cell(a["site_name"]),
                     tnames.get(_cell(a["township_id"]), _cell(a["township_id"])), fmt_num(a["cost"]),
                     fmt_int(a["population_gained"]), _cell(a["rule_id"]), action_reason(a, lang)])
    cost = pd.to_numeric(actions["cost"], errors="coerce").sum()
    gained = pd.to_numeric(actions["population_gained"], errors="coerce").sum()
    # the same residents can gain several services: the total counts person-services, not people
    rows.append([label("actions_total", lang), "", "", "", fmt_num(cost),
                 label("person_services", lang, pop=fmt_int(gained)), "", ""])
    blocks.append(Table("actions", cols, rows, total=True))
    return blocks


def _summary_paragraphs(now: pd.DataFrame, later: pd.DataFrame | None, titles: dict[str, str],
                        citations: dict[str, str], actions: pd.DataFrame | None, lang: str) -> list[Block]:
    counts = {s: int((now["status"] == s).sum()) for s in _STATUSES}
    out: list[Block] = [Paragraph(label("summary_counts", lang, n_rules=len(now), n_pass=counts["pass"],
                                        n_fail=counts["fail"], n_no_data=counts["no_data"],
                                        n_na=counts["not_applicable"]))]
    def items(status: str) -> list[str]:
        sel = now[now["status"] == status]
        return [paren(f"{r.rule_id} {titles.get(r.rule_id, '')}", citations.get(r.rule_id, r.source), lang)
                for r in sel.itertuples()]

    if counts["fail"]:
        out += [Paragraph(label("summary_fail_list", lang, n=counts["fail"])), Bullets(items("fail"))]
    if counts["no_data"]:
        out += [Paragraph(label("summary_no_data_list", lang, n=counts["no_data"])), Bullets(items("no_data"))]
    if actions is not None and len(actions):
        out.append(Paragraph(label("summary_actions", lang, n=len(actions),
                                   cost=fmt_num(pd.to_numeric(actions["cost"], errors="coerce").sum()),
                                   pop=fmt_int(pd.to_numeric(actions["population_gained"], errors="coerce").sum()))))
    if later is not None:
        out.append(Paragraph(label("summary_after", lang, n_pass=int((later["status"] == "pass").sum()),
                                   n_fail=int((later["status"] == "fail").sum()))))
    out.append(Figure(charts.status_chart(counts, lang=lang), label("chart_status", lang), width_cm=11.0))
    failing = now[(now["status"] == "fail") & (now["failing_population"] > 0)]
    if len(failing):
        out.append(Figure(charts.failing_population_chart(failing["rule_id"].tolist(),
                                                          failing["failing_population"].tolist(), lang=lang),
                          label("chart_failing_population", lang)))
    return out


def _before_after_blocks(now: pd.DataFrame, later: pd.DataFrame, titles: dict[str, str], lang: str) -> list[Block]:
    blocks: list[Block] = [Heading(label("sec_before_after", lang)), Paragraph(label("before_after_intro", lang))]
    later_by = later.set_index("rule_id")
    cols = [label("col_rule", lang), label("col_title", lang), label("col_status_before", lang),
            label("col_status_after", lang), label("col_value_before", lang), label("col_value_after", lang),
            label("col_threshold", lang), label("col_failing_population_before", lang),
            label("col_failing_population_after", lang)]
    rows, status = [], []
    ids, pop_before, pop_after = [], [], []
    for r in now.itertuples(index=False):
        a = later_by.loc[r.rule_id] if r.rule_id in later_by.index else None
        st_after = str(a["status"]) if a is not None else "no_data"
        rows.append([r.rule_id, titles.get(r.rule_id, ""), status_name(r.status, lang), status_name(st_after, lang),
                     fmt_value(r.value, r.unit, lang),
                     fmt_value(a["value"], a["unit"], lang) if a is not None else "—",
                     fmt_value(r.threshold, r.unit, lang), fmt_int(r.failing_population),
                     fmt_int(a["failing_population"]) if a is not None else "—"])
        status.append(["", "", r.status, st_after, "", "", "", "", ""])
        if r.failing_population > 0 or (a is not None and a["failing_population"] > 0):
            ids.append(r.rule_id)
            pop_before.append(r.failing_population)
            pop_after.append(float(a["failing_population"]) if a is not None else 0.0)
    blocks.append(Table("before_after", cols, rows, status=status))
    if ids:
        blocks.append(Figure(charts.before_after_chart(ids, pop_before, pop_after, lang=lang),
                             label("chart_before_after", lang)))
    return blocks


def _solver_blocks(solver: dict[str, dict[str, Any]], lang: str) -> list[Block]:
    cols = [label("col_recipe", lang), label("col_model", lang), label("col_solver_status", lang),
            label("col_objective", lang), label("col_gap", lang)]
    rows = [[recipe_name(name, lang), model_name(_cell(s.get("model")), lang),
             solve_status_name(_cell(s.get("status")), lang),
             fmt_num(s.get("objective"), 2),
             fmt_share(s.get("gap")) if s.get("gap") is not None else "—"] for name, s in sorted(solver.items())]
    return [Heading(label("sec_solver", lang)), Table("solver", cols, rows)]


def _village_status(frame: pd.DataFrame) -> dict[str, str]:
    rank = {"not_applicable": 0, "pass": 1, "no_data": 2, "fail": 3}
    rows = frame[frame["level"].astype(str).isin(("village", "community"))]
    out: dict[str, str] = {}
    for a, s in zip(rows["area_id"].astype(str), rows["status"].astype(str)):
        if a not in out or rank.get(s, 2) > rank.get(out[a], 2):
            out[a] = s
    return {k: ("pass" if v == "not_applicable" else v) for k, v in out.items()}


# ---------------------------------------------------------------------------------------------
# public
# ---------------------------------------------------------------------------------------------


def build_report(county: County, compliance: pd.DataFrame, *, actions: gpd.GeoDataFrame | None = None,
                 coverage_by_township: pd.DataFrame | None = None, before: pd.DataFrame | None = None,
                 solver: Mapping[str, Any] | None = None, lang: str = "zh") -> Report:
    """The county report: rules passed and failed with their clauses, townships, failing villages,
    actions with costs, before/after, charts and a static map.

    Parameters
    ----------
    county : County
        The county the results are about.
    compliance : pandas.DataFrame
        Compliance table (COMMON.md). When ``before`` is given this is the table *after* the
        actions; otherwise it is the current situation.
    actions : geopandas.GeoDataFrame, optional
        Actions table (action, kind, site_id, site_name, township_id, cost (万元),
        population_gained, rule_id, reason, geometry).
    coverage_by_township : pandas.DataFrame, optional
        From :func:`planning.coverage.coverage_by_area`: township_id, township_name, population,
        ``covered_pop_<t>``, ``share_<t>`` (and a county row with ``level == "county"``).
    before : pandas.DataFrame, optional
        Compliance table before the actions, for the before/after section.
    solver : dict, optional
        Solver summary (``model, status, objective, bound, gap``) or ``{recipe: summary}``.
        Wall-clock times are not printed, so equal runs give equal reports.
    lang : {"zh", "en"}
        Report language.

    Returns
    -------
    Report
        Call ``write_html(path)`` / ``write_docx(path)``.

    Raises
    ------
    InputError
        Listing every missing column or unknown status of the inputs.

    Examples
    --------
    >>> report = build_report(county, compliance, actions=actions, lang="zh")  # doctest: +SKIP
    >>> report.write_docx("report.docx")                                       # doctest: +SKIP
    """
    _check(compliance, before, actions, coverage_by_township, lang)
    titles, citations, order = _catalog_titles(lang)
    current = before if before is not None else compliance
    after = compliance if before is not None else None
    v = county.villages
    title = label("report_title", lang, county=county.name)
    subtitle = label("generated_for", lang, county_id=county.county_id, n_townships=len(county.townships),
                     n_villages=len(v), population=fmt_int(v["population"].sum()))

    rules_table, now, later = _rules_table(current, after, titles, citations, order, lang)
    blocks: list[Block] = [Heading(label("sec_summary", lang))]
    blocks += _summary_paragraphs(now, later, titles, citations, actions, lang)
    blocks += [Heading(label("sec_rules", lang)), rules_table,
               Paragraph(label("note_failing_population", lang), note=True)]
    if bool(now["modified"].any()):
        blocks.append(Paragraph("* " + label("modified_note", lang).strip(" （）()"), note=True))
    blocks += _township_blocks(county, current, coverage_by_township, order, lang)

    blocks.append(Heading(label("sec_uncovered", lang)))
    failing_now = _failing_villages(current, county, order, titles, lang, "uncovered")
    if failing_now:
        blocks += [Paragraph(label("uncovered_intro", lang)), *failing_now]
    else:
        blocks.append(Paragraph(label("no_uncovered", lang)))
    if after is not None:
        failing_after = _failing_villages(after, county, order, titles, lang, "uncovered_after")
        if failing_after:
            blocks += [Paragraph(label("uncovered_after_intro", lang)), *failing_after]

    blocks += _actions_blocks(actions, county, lang)
    if after is not None and later is not None:
        blocks += _before_after_blocks(now, later, titles, lang)
    solver_rows = _solver_rows(solver)
    if solver_rows:
        blocks += _solver_blocks(solver_rows, lang)
    blocks += [Heading(label("sec_map", lang)),
               Figure(charts.static_map(county, village_status=_village_status(current), actions=actions, lang=lang),
                      label("static_map_title", lang, county=county.name), width_cm=16.0)]
    return Report(title=title, subtitle=subtitle, lang=lang, blocks=blocks, county_name=county.name, county=county,
                  compliance=compliance, before=before, actions=actions, coverage_by_township=coverage_by_township,
                  solver=solver_rows)


def build_comparison(a: Report, b: Report, *, names: Sequence[str], lang: str = "zh") -> Comparison:
    """Two scenarios side by side: rule results, proposed actions and coverage.

    Parameters
    ----------
    a, b : Report
        Reports of the two scenarios (from :func:`build_report`); each scenario's final
        compliance (after its actions) is compared.
    names : sequence of two str
        Scenario names shown in the headers.
    lang : {"zh", "en"}

    Returns
    -------
    Comparison
        Call ``write_html(path)`` / ``write_docx(path)``.

    Raises
    ------
    InputError
        When ``names`` is not two names or ``a``/``b`` are not reports.
    """
    check_lang(lang)
    problems = []
    if isinstance(names, str) or len(names) != 2:
        problems.append(f"names must be two scenario names, e.g. ('现状方案', '低预算方案'); got {names!r}")
    for what, r in (("a", a), ("b", b)):
        if not isinstance(r, Report) or r.compliance is None:
            problems.append(f"{what}: expected a Report from build_report, got {type(r).__name__}")
    if problems:
        raise InputError("build_comparison inputs", problems)
    na, nb = (str(n) for n in names)
    titles, citations, order = _catalog_titles(lang)
    sa = rule_summary(a.compliance, order=order).set_index("rule_id")
    sb = rule_summary(b.compliance, order=order).set_index("rule_id")
    ids = _rule_order(list(sa.index) + list(sb.index), order)

    blocks: list[Block] = [Paragraph(label("comparison_intro", lang))]
    # overview
    def overview(r: Report, s: pd.DataFrame) -> list[str]:
        acts = r.actions if r.actions is not None else pd.DataFrame(columns=list(ACTIONS_REQUIRED))
        return [str(int((s["status"] == "pass").sum())), str(int((s["status"] == "fail").sum())),
                fmt_int(s.loc[s["status"] == "fail", "failing_population"].sum()), str(len(acts)),
                fmt_num(pd.to_numeric(acts["cost"], errors="coerce").sum()),
                fmt_int(pd.to_numeric(acts["population_gained"], errors="coerce").sum())]

    items = [label("cmp_rules_pass", lang), label("cmp_rules_fail", lang), label("cmp_failing_population", lang),
             label("cmp_actions_count", lang), label("cmp_total_cost", lang), label("cmp_population_gained", lang)]
    oa, ob = overview(a, sa), overview(b, sb)
    blocks.append(Table("overview", [label("col_item", lang), na, nb], [[i, x, y] for i, x, y in zip(items, oa, ob)]))

    blocks.append(Heading(label("cmp_sec_rules", lang)))
    rows, status = [], []
    for rid in ids:
        st_a = str(sa.loc[rid, "status"]) if rid in sa.index else "no_data"
        st_b = str(sb.loc[rid, "status"]) if rid in sb.index else "no_data"
        pa = float(sa.loc[rid, "failing_population"]) if rid in sa.index else float("nan")
        pb = float(sb.loc[rid, "failing_population"]) if rid in sb.index else float("nan")
        rows.append([rid, titles.get(rid, ""), citations.get(rid, ""), status_name(st_a, lang), status_name(st_b, lang),
                     fmt_int(pa), fmt_int(pb)])
        status.append(["", "", "", st_a, st_b, "", ""])
    cols = [label("col_rule", lang), label("col_title", lang), label("col_source", lang),
            f"{label('col_status', lang)} · {na}",
            f"{label('col_status', lang)} · {nb}", f"{label('col_failing_population', lang)} · {na}",
            f"{label('col_failing_population', lang)} · {nb}"]
    blocks.append(Table("rules", cols, rows, status=status))
    chart_ids = [r for r in ids if (r in sa.index and sa.loc[r, "failing_population"] > 0)
                 or (r in sb.index and sb.loc[r, "failing_population"] > 0)]
    if chart_ids:
        blocks.append(Figure(charts.before_after_chart(
            chart_ids, [float(sa.loc[r, "failing_population"]) if r in sa.index else 0.0 for r in chart_ids],
            [float(sb.loc[r, "failing_population"]) if r in sb.index else 0.0 for r in chart_ids],
            lang=lang, names=(na, nb), title=label("chart_failing_population", lang)),
            label("chart_failing_population", lang)))

    blocks.append(Heading(label("cmp_sec_actions", lang)))
    for name, r in ((na, a), (nb, b)):
        blocks.append(Heading(name, level=2))
        blocks += _actions_blocks(r.actions, r.county, lang)[1:]

    frames = [f for f in (a.coverage_by_township, b.coverage_by_township) if f is not None and len(f)]
    shares = [c for c in frames[0].columns if str(c).startswith("share_")] if frames else []
    if shares:
        blocks.append(Heading(label("cmp_sec_coverage", lang)))
        widest = shares[-1]
        t = _threshold_text(widest[len("share_"):], lang)

        def lookup(r: Report) -> dict[str, Any]:
            f = r.coverage_by_township
            if f is None or widest not in f.columns:
                return {}
            return dict(zip(f["township_id"].astype(str), f[widest]))

        ka, kb = lookup(a), lookup(b)
        rows = []
        for _, r in frames[0].iterrows():
            county_row = str(r.get("level", "township")) == "county"
            tid = str(r["township_id"])
            rows.append([label("total", lang) if county_row else str(r["township_name"]),
                         fmt_share(ka.get(tid, np.nan)), fmt_share(kb.get(tid, np.nan))])
        blocks.append(Table("coverage", [label("col_township", lang), f"{label('col_share', lang)} ({t}) · {na}",
                                         f"{label('col_share', lang)} ({t}) · {nb}"], rows))
    title = label("comparison_title", lang, a=na, b=nb)
    return Comparison(title=title, subtitle=a.county_name, lang=lang, blocks=blocks, names=(na, nb))

