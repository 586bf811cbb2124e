"""``planning check COUNTY_OR_SCENARIO --out DIR``: check every rule on a county, write the tables.

The input is a county (``county.yaml`` or its directory) or a scenario file (a YAML with a
``county:`` path; its ``rules`` give the rules to check and their parameters, its ``travel`` the
speeds; ``--param``/``--override`` on the command line take precedence; what-if ``edits`` are not
applied — ``planning run`` does that). Writes ``DIR/compliance.csv`` (one row per rule × area) and ``DIR/compliance_summary.csv`` (one
row per rule), each atomically, and prints a short table of the rules' county status. Exit code
0, or 1 with ``--fail-on-violation`` when a rule fails for the county; 2 for bad input.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["add_parser", "run", "summary_text"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the subcommand."""
    p = subparsers.add_parser("check", help="check every coverage rule on a county",
                              description="Evaluate every rule of the catalog on a county (county.yaml or "
                                          "its directory) and write compliance.csv and compliance_summary.csv.")
    p.add_argument("county", help="county.yaml, a directory containing county.yaml, or a scenario file")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of details (default zh)")
    p.add_argument("--param", action="append", default=[], metavar="RULE.NAME=VALUE",
                   help="set a rule parameter, e.g. HC-06.radius_km=12 (repeatable)")
    p.add_argument("--override", action="append", default=[], metavar="RULE",
                   help="accept values outside the documents' range for this rule (marked modified)")
    p.add_argument("--fail-on-violation", action="store_true",
                   help="exit with code 1 when any rule fails for the county (the tables are still written)")
    p.set_defaults(func=run)


def summary_text(summary: pd.DataFrame, *, lang: str = "zh") -> str:
    """A short fixed-width table of the per-rule summary."""
    status_zh = {"pass": "达标", "fail": "未达标", "not_applicable": "不适用", "no_data": "无数据", "": ""}
    head = f"{'编号' if lang == 'zh' else 'rule':<7}{'县级' if lang == 'zh' else 'county':<16}" \
           f"{'未达标处' if lang == 'zh' else 'failing':>9}{'未达标人口' if lang == 'zh' else 'fail pop':>12}  " \
           f"{'规则' if lang == 'zh' else 'title'}"
    lines = [head]
    for r in summary.itertuples():
        status = status_zh[r.county_status] if lang == "zh" else r.county_status
        mark = " *" if r.modified else ""
        title = r.title_zh if lang == "zh" else r.title_en
        lines.append(f"{r.rule_id:<7}{status + mark:<16}{r.n_fail:>9}{r.failing_population:>12,.0f}  {title[:40]}")
    return "\n".join(lines)


def _is_scenario(path: str) -> bool:
    """A YAML file with a top-level ``county`` key and no ``layers`` (a county manifest has layers)."""
    from pathlib import Path

    import yaml

    p = Path(path)
    if not (p.is_file() and p.suffix.lower() in (".yaml", ".yml")):
        return False
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False
    return isinstance(data, dict) and "county" in data and "layers" not in data


def run(args: argparse.Namespace) -> int:
    """Load the county (or scenario), evaluate, write, print."""
    from planning._errors import InputError
    from planning.io import load_county
    from planning.rules import check_county, load_catalog, parse_param_assignments

    params = parse_param_assignments(args.param)
    override = {rule_id: True for rule_id in args.override}
    county_path, settings, rules = args.county, None, None
    if _is_scenario(args.county):
        from planning.scenarios import load_scenario

        scenario = load_scenario(args.county)
        if not isinstance(scenario.county, str):
            raise InputError(f"scenario {args.county}", ["county: an inline county manifest is checked by "
                                                         "`planning run`; give the path of a county.yaml here"])
        merged = {rid: dict(v) for rid, v in scenario.rules.values().items()}
        for rid, values in params.items():
            merged.setdefault(rid, {}).update(values)
        params, override = merged, {**scenario.rules.overrides(), **override}
        county_path, settings = scenario.county, scenario.settings()
        rules = None if scenario.rules.check == "all" else list(scenario.rules.check)
    load_catalog().resolve_params(params, override=override)  # refuse bad values before loading
    county = load_county(county_path)
    _, summary = check_county(county, out_dir=args.out, params=params, override=override, lang=args.lang,
                              settings=settings, rules=rules)
    print(summary_text(summary, lang=args.lang))
    n_fail = int((summary["county_status"] == "fail").sum())
    print(f"{len(summary)} rules, {n_fail} failing; wrote {args.out}/compliance.csv, compliance_summary.csv")
    return 1 if args.fail_on_violation and n_fail else 0
