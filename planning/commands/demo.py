"""``planning demo``: load the embedded demo county and print its summary (``make demo``).

``planning demo --generate DIR [--seed N]`` first writes a fresh demo county to ``DIR`` (the
files of ``data/demo``) and then loads it from there.
"""

from __future__ import annotations

import argparse

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the subcommand."""
    p = subparsers.add_parser(
        "demo", help="load the embedded demo county (示范县) and print its summary",
        description="Load the embedded demo county 示范县 (a synthetic Lüliang loess-hill county) "
                    "through the same loader a real county takes, and print a summary: counts, "
                    "population, CRS, road length by class.")
    p.add_argument("--generate", metavar="DIR", default=None,
                   help="generate a fresh demo county into DIR first and load it from there")
    p.add_argument("--seed", type=int, default=None,
                   help="seed of the generator (with --generate; default: the seed of data/demo)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the demo county's summary; returns the exit code."""
    from planning import demo

    if args.seed is not None and args.generate is None:
        from planning._errors import InputError

        raise InputError("planning demo", ["--seed needs --generate DIR (data/demo is fixed to its seed); "
                                           "e.g. planning demo --generate out/demo --seed 7"])
    path = None
    if args.generate is not None:
        seed = demo.DEFAULT_SEED if args.seed is None else args.seed
        demo.generate(args.generate, seed=seed)
        path = args.generate
    print(demo.summary(path=path))
    return 0
