"""The ``planning`` command.

Each subcommand lives in :mod:`planning.commands` as a module with ``add_parser(subparsers)``
and ``run(args) -> int``; this module only dispatches. Exit codes: 0 success, 1 a rule check
found failures where asked (``--fail-on-violation``) or the reader of the output closed it early
(``| head``), 2 bad input or usage, 3 solver or internal failure.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from planning._errors import InputError, PlanningError

__all__ = ["main", "COMMANDS"]

#: Subcommand name → module in planning.commands.
COMMANDS: dict[str, str] = {
    "demo": "demo",
    "od": "od",
    "solve": "solve",
    "rules": "rules",
    "check": "check",
    "run": "run",
    "compare": "compare",
    "validate": "validate",
}


def _available() -> dict[str, object]:
    modules = {}
    for name, module in COMMANDS.items():
        try:
            modules[name] = importlib.import_module(f"planning.commands.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"planning.commands.{module}":
                raise
    return modules


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every available subcommand."""
    parser = argparse.ArgumentParser(
        prog="planning",
        description="Coverage rules and facility planning for Chinese counties.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in _available().values():
        module.add_parser(sub)  # type: ignore[attr-defined]
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``planning`` command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except PlanningError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    except BrokenPipeError:
        # the reader of the output has gone (``planning solve ... | head``): stop without a traceback,
        # and keep Python from failing again when it flushes stdout at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
