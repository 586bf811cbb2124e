"""``planning rules [--lang zh|en] [--format table|json]``: print the rule catalog."""

from __future__ import annotations

import argparse
import json

__all__ = ["add_parser", "run", "catalog_table"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the subcommand."""
    p = subparsers.add_parser("rules", help="list the coverage rules of the source documents",
                              description="Print every rule of the catalog: id, title, source clause, "
                                          "parameters (default and allowed range) and area levels.")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of titles (default zh)")
    p.add_argument("--format", dest="fmt", choices=("table", "json"), default="table",
                   help="table (default) or json (id, titles, source files and clauses, citations, params, levels)")
    p.set_defaults(func=run)


def _param_text(p: dict, lang: str) -> str:
    """``name=default unit [min–max]``; Chinese units follow the number without a space."""
    from planning.reports.text import unit_name

    gap = "" if lang == "zh" else " "
    return f"{p['name']}={p['default']:g}{gap}{unit_name(p['unit'], lang)} [{p['min']:g}–{p['max']:g}]"


def catalog_table(*, lang: str = "zh") -> str:
    """The catalog as a plain-text table (one rule per block), in ``lang``.

    Examples
    --------
    >>> "HC-06" in catalog_table(lang="en")
    True
    >>> [line for line in catalog_table().splitlines() if line.startswith("HC-06")][0].split(" | ")[3:]
    ['radius_km=15公里 [10–20]', '行政村、乡镇、县']
    """
    from planning.reports.text import level_name
    from planning.rules import load_catalog

    head = ("编号", "规则", "来源", "参数", "层级") if lang == "zh" else ("id", "rule", "source", "parameters", "levels")
    lines = [" | ".join(head)]
    for r in load_catalog().to_records():
        params = "; ".join(_param_text(p, lang) for p in r["params"]) or "—"
        title = r["title_zh"] if lang == "zh" else r["title_en"]
        levels = ("、" if lang == "zh" else ", ").join(level_name(level, lang) for level in r["levels"])
        lines.append(" | ".join([r["id"], title, r[f"citation_{lang}"], params, levels]))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Print the catalog."""
    from planning.rules import load_catalog

    if args.fmt == "json":
        keep = ("id", "title_zh", "title_en", "source", "sources", "citation_zh", "citation_en", "kinds", "demand",
                "params", "levels", "metric")
        records = [{k: r[k] for k in keep} for r in load_catalog().to_records()]
        for rec in records:
            rec["params"] = [{k: p[k] for k in ("name", "default", "min", "max", "unit",
                                                 "description_zh", "description_en")} for p in rec["params"]]
        print(json.dumps(records, ensure_ascii=False, indent=2))
    else:
        print(catalog_table(lang=args.lang))
    return 0
