"""``planning run SCENARIO --out DIR``: run a scenario and write every output.

Prints a one-screen summary at the end (rules passed and failed, actions, where the map and
report are). Exit 0 on success (1 with ``--fail-on-violation`` when a rule still fails after the
actions), 2 for bad input, 3 for solver or internal failures.
"""

from __future__ import annotations

import argparse

from planning.commands._internal import internal_errors

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the subcommand."""
    p = subparsers.add_parser("run", help="run a scenario: rules, recipes, map, report",
                              description="Run a scenario file end to end and write compliance tables, "
                                          "actions, results.gpkg, map.html, report.html/.docx and run.json.")
    p.add_argument("scenario", help="scenario YAML file")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--lang", choices=("zh", "en"), default=None, help="report language (default: the scenario's)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--cache-dir", default=None,
                   help="travel cache directory (default OUT/.cache; 'user' = the user cache directory, "
                        "~/.cache/planning/travel, shared by every run)")
    p.add_argument("--no-cache", action="store_true", help="recompute every travel table")
    p.add_argument("--fail-on-violation", action="store_true",
                   help="exit 1 when a rule still fails after the actions")
    p.set_defaults(func=run)


@internal_errors
def run(args: argparse.Namespace) -> int:
    """Run the scenario and print the summary."""
    from planning.runner import run_scenario

    from planning.cache import default_cache_dir

    cache_dir = default_cache_dir() if args.cache_dir == "user" else args.cache_dir
    result = run_scenario(args.scenario, out_dir=args.out, lang=args.lang, progress=not args.no_progress,
                          cache_dir=cache_dir, use_cache=not args.no_cache)
    lang = args.lang or result.scenario.outputs.lang
    print(result.text_summary(lang=lang))
    if args.fail_on_violation:
        s = result.summary
        final = s["county_status_after"] if "county_status_after" in s else s["county_status"]
        if (final == "fail").any():
            return 1
    return 0
