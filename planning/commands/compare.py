"""``planning compare A B --out DIR``: two scenarios side by side.

A and B are scenario files, run into ``DIR/<name>/`` (sharing one travel cache). Writes
``comparison.csv`` and the side-by-side report ``comparison.html`` / ``comparison.docx``.
"""

from __future__ import annotations

import argparse

from planning.commands._internal import internal_errors

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the subcommand."""
    p = subparsers.add_parser("compare", help="compare two scenarios side by side",
                              description="Run two scenarios and write a "
                                          "side-by-side comparison of rules, actions and coverage.")
    p.add_argument("a", help="scenario file A")
    p.add_argument("b", help="scenario file B")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="report language")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


@internal_errors
def run(args: argparse.Namespace) -> int:
    """Compare and print where the comparison is."""
    from planning.comparison import compare_scenarios

    result = compare_scenarios(args.a, args.b, out_dir=args.out, lang=args.lang, progress=not args.no_progress)
    print(result.text_summary(lang=args.lang))
    return 0
