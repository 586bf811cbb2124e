"""``planning validate SCENARIO``: check a scenario file without running it.

Exit 0 when valid (prints a one-line description), 2 when invalid (prints every problem with
file, line and key path).
"""

from __future__ import annotations

import argparse

from planning.commands._internal import internal_errors

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the subcommand."""
    p = subparsers.add_parser("validate", help="check a scenario file (exit 0 valid, 2 invalid)",
                              description="Check a scenario file: keys, types, ranges, rule parameters, "
                                          "files. Every problem is listed with its file, line and key.")
    p.add_argument("scenario", help="scenario YAML file")
    p.add_argument("--load-county", action="store_true",
                   help="also load the county and check the edits against it (ids, road ends, points)")
    p.set_defaults(func=run)


@internal_errors
def run(args: argparse.Namespace) -> int:
    """Validate ``args.scenario``; a ScenarioError propagates (exit 2 in planning.cli)."""
    from planning.scenarios import validate_scenario_file

    s = validate_scenario_file(args.scenario, load_county=args.load_county)
    rules = "all rules" if s.rules.check == "all" else f"{len(s.rules.check)} rules"
    recipes = ", ".join(s.recipe_options()) or "no recipes"
    edits = s.edits
    n_edits = (len(edits.close_facilities) + len(edits.add_facilities) + len(edits.new_roads)
               + len(edits.population))
    county = s.county if isinstance(s.county, str) else "inline county"
    print(f"{args.scenario}: valid — county {county}; {rules}; recipes: {recipes}; {n_edits} edit(s); "
          f"outputs in {s.outputs.lang}")
    return 0
