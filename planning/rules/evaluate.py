"""Evaluate every rule of the catalog on a county: the compliance table.

:func:`evaluate` returns one row per rule × area (village, community, facility, township, county)
with its status (``pass``, ``fail``, ``not_applicable``, ``no_data``), the measured value and the
threshold, the failing population and places, the metric used, the source clause and a
planner-readable why (``detail_zh`` / ``detail_en``). :func:`summarize` gives one row per rule;
:func:`check_county` writes both tables.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from planning._errors import InputError, RuleParameterError
from planning.rules._context import _LEVEL_ORDER, COMPLIANCE_COLUMNS, STATUSES, Context
from planning.rules.catalog import ResolvedParams, load_catalog
from planning.rules.education import evaluate_education
from planning.rules.employment import evaluate_employment
from planning.rules.health import evaluate_health
from planning.rules.living import evaluate_living

__all__ = ["evaluate", "summarize", "checked_places", "check_county", "COMPLIANCE_COLUMNS", "SUMMARY_COLUMNS"]

#: Columns of the per-rule summary.
SUMMARY_COLUMNS: tuple[str, ...] = (
    "rule_id", "title_zh", "title_en", "source", "county_status", *(f"n_{s}" for s in STATUSES),
    "failing_population", "failing_places", "modified",
)


def evaluate(county: Any, *, params: Mapping[str, Mapping[str, float]] | ResolvedParams | None = None,
             override: Mapping[str, bool] | None = None, engine: Any = None, settings: Any = None,
             assignment: Any = None, rules: Iterable[str] | None = None, lang: str = "zh") -> pd.DataFrame:
    """Check every rule of the catalog on a county.

    Parameters
    ----------
    county : County
        The county bundle (villages with population; facilities with ``kind``; roads).
    params : dict or ResolvedParams, optional
        Parameter values ``{rule_id: {param: value}}``; checked against the documents' ranges.
    override : dict, optional
        ``{rule_id: True}`` accepts values outside the range; the rule's rows say ``modified``.
    engine : TravelEngine, optional
        Any engine with ``nearest(origins, destinations, *, mode, metric, cutoff, id_col)``;
        built from the county's roads (``TravelEngine.from_county``) when omitted.
    settings : Settings, optional
        Travel settings used when the engine is built here.
    assignment : dict, Series or DataFrame, optional
        Village → clinic assignment for HC-03 (e.g. the optimiser's ``assignment_``); a
        DataFrame needs ``origin_id`` and ``destination_id``. Default: nearest clinic by drive.
    rules : iterable of str, optional
        Only these rule ids (default: all).
    lang : {"zh", "en"}
        Language of the ``detail`` column (``detail_zh`` and ``detail_en`` are both always there).

    Returns
    -------
    pandas.DataFrame
        The compliance table (columns :data:`COMPLIANCE_COLUMNS`), sorted by catalog order, level
        (village, community, facility, township, county) and area id.

    Raises
    ------
    RuleParameterError
        Unknown rules or parameters, or values outside their ranges without override.
    InputError
        Layers missing required columns.

    Examples
    --------
    See ``tests/rules/test_evaluate.py`` for a hand-checked county; typical use:

    >>> from planning.rules import evaluate                               # doctest: +SKIP
    >>> table = evaluate(county, params={"HC-06": {"radius_km": 12}})     # doctest: +SKIP
    >>> table[table.status == "fail"].groupby("rule_id").failing_population.max()  # doctest: +SKIP
    """
    if lang not in ("zh", "en"):
        raise InputError(f"unknown language {lang!r}; use zh or en")
    catalog = load_catalog()
    resolved = params if isinstance(params, ResolvedParams) else catalog.resolve_params(params, override=override)
    ids = set(catalog.ids if rules is None else rules)
    unknown = sorted(ids - set(catalog.ids))
    if unknown:
        raise RuleParameterError("rules", [f"unknown rule id {u!r}; known ids: {', '.join(catalog.ids)}"
                                           for u in unknown])
    ctx = Context(county=county, catalog=catalog, params=resolved, engine=engine, settings=settings,
                  assignment=assignment, lang=lang)
    rows = evaluate_health(ctx, ids) + evaluate_employment(ctx, ids) + evaluate_living(ctx, ids)
    rows += evaluate_education(ctx, ids)
    table = pd.DataFrame(rows, columns=list(COMPLIANCE_COLUMNS))
    order = {rid: i for i, rid in enumerate(catalog.ids)}
    table["_r"] = table["rule_id"].map(order)
    table["_l"] = table["level"].map(_LEVEL_ORDER)
    table = table.sort_values(["_r", "_l"], kind="mergesort").drop(columns=["_r", "_l"])  # stable: rows keep order
    table = table.reset_index(drop=True)
    table["value"] = table["value"].astype(float)
    table["failing_population"] = table["failing_population"].astype(float)
    table["modified"] = table["modified"].astype(bool)
    return table


def summarize(compliance: pd.DataFrame) -> pd.DataFrame:
    """One row per rule: county status, counts of each status, failing population and places.

    Parameters
    ----------
    compliance : DataFrame
        Output of :func:`evaluate`.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SUMMARY_COLUMNS`; ``failing_population`` and ``failing_places`` are those
        of the county row (the rule's total); ``n_<status>`` count the places checked (village,
        community and facility rows; township rows for township rules; the county row for
        county rules).
    """
    catalog = load_catalog()
    out = []
    for rid in [r for r in catalog.ids if r in set(compliance["rule_id"])]:
        sub = compliance[compliance["rule_id"] == rid]
        county = sub[sub["level"] == "county"]
        base = checked_places(sub)
        rule = catalog[rid]
        rec: dict[str, Any] = {"rule_id": rid, "title_zh": rule.title_zh, "title_en": rule.title_en,
                               "source": rule.source,
                               "county_status": county["status"].iloc[0] if len(county) else ""}
        for s in STATUSES:
            rec[f"n_{s}"] = int((base["status"] == s).sum())
        rec["failing_population"] = float(county["failing_population"].sum()) if len(county) else 0.0
        rec["failing_places"] = county["failing_places"].iloc[0] if len(county) else ""
        rec["modified"] = bool(sub["modified"].any())
        out.append(rec)
    return pd.DataFrame(out, columns=list(SUMMARY_COLUMNS))


def checked_places(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows of one rule that its counts are taken over.

    Parameters
    ----------
    rows : DataFrame
        The compliance rows of one rule.

    Returns
    -------
    pandas.DataFrame
        Its place rows (village, community and facility), else its township rows, else its county
        row.
    """
    places = rows[~rows["level"].isin(["township", "county"])]
    if not len(places):
        places = rows[rows["level"] == "township"]
    return places if len(places) else rows[rows["level"] == "county"]


def check_county(county: Any, *, out_dir: str | os.PathLike[str] | None = None,
                 params: Mapping[str, Mapping[str, float]] | None = None,
                 override: Mapping[str, bool] | None = None, engine: Any = None, settings: Any = None,
                 assignment: Any = None, rules: Iterable[str] | None = None,
                 lang: str = "zh") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Evaluate every rule and (optionally) write ``compliance.csv`` and ``compliance_summary.csv``.

    Parameters
    ----------
    county : County
        The county bundle.
    out_dir : path, optional
        Directory to write to (created when absent); each file is written atomically
        (:func:`planning.io.write_table`: UTF-8 with BOM so that Excel shows Chinese).
    params, override, engine, settings, assignment, rules, lang
        As :func:`evaluate`.

    Returns
    -------
    (compliance, summary) : tuple of DataFrame
    """
    compliance = evaluate(county, params=params, override=override, engine=engine, settings=settings,
                          assignment=assignment, rules=rules, lang=lang)
    summary = summarize(compliance)
    if out_dir is not None:
        from planning.io import write_table

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        write_table(compliance, out / "compliance.csv")
        write_table(summary, out / "compliance_summary.csv")
    return compliance, summary
