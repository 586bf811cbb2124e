"""``planning demo``: the embedded demo county end to end (``make demo``).

``planning demo`` prints the demo county's summary, then runs ``scenarios/demo.yaml`` into
``out/demo`` (every rule, all five recipes, tables, ``results.gpkg``, the offline ``map.html``,
``report.html`` and ``report.docx``) and prints the run's one-screen summary, which says where
the map and the report are. ``--summary-only`` stops after the county summary.

``planning demo --generate DIR [--seed N]`` writes a fresh demo county to ``DIR`` (the files of
``data/demo``) and prints its summary (no run: the demo scenario reads ``data/demo``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["add_parser", "run", "DEFAULT_OUT", "demo_scenario"]

#: Output directory of ``planning demo`` (relative to the working directory).
DEFAULT_OUT = "out/demo"


def demo_scenario() -> Path:
    """The demo scenario file of the source tree.

    Returns
    -------
    pathlib.Path
        ``scenarios/demo.yaml`` next to ``data/demo`` (it reads ``data/demo/county.yaml``);
        the file exists in a clone or an editable install, not in an installed wheel.
    """
    from planning.demo import REPO_DEMO_DIR

    return REPO_DEMO_DIR.parents[1] / "scenarios" / "demo.yaml"


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the subcommand."""
    p = subparsers.add_parser(
        "demo", help="run the embedded demo county (示范县) end to end: rules, recipes, map, report",
        description="Load the embedded demo county 示范县 (a synthetic Lüliang loess-hill county) through the "
                    "same loader a real county takes and print its summary, then run scenarios/demo.yaml "
                    f"into {DEFAULT_OUT} (same as `planning run scenarios/demo.yaml --out {DEFAULT_OUT}`) and "
                    "print where the map and the report are.")
    p.add_argument("--generate", metavar="DIR", default=None,
                   help="generate a fresh demo county into DIR and print its summary (no run)")
    p.add_argument("--seed", type=int, default=None,
                   help="seed of the generator (with --generate; default: the seed of data/demo)")
    p.add_argument("--out", default=DEFAULT_OUT, help=f"output directory of the demo run (default {DEFAULT_OUT})")
    p.add_argument("--scenario", default=None,
                   help="scenario file to run instead of scenarios/demo.yaml of the source tree")
    p.add_argument("--lang", choices=("zh", "en"), default=None,
                   help="report and summary language (default: the scenario's, zh)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--summary-only", action="store_true", help="only print the demo county's summary (no run)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the demo county's summary, then run the demo scenario.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed arguments of ``planning demo``.

    Returns
    -------
    int
        Exit code (0; errors are raised and mapped to exit codes by :func:`planning.cli.main`).

    Raises
    ------
    InputError
        ``--seed`` without ``--generate``, ``--generate`` with run options, or no scenario file.
    """
    from planning import demo
    from planning._errors import InputError

    problems = []
    if args.seed is not None and args.generate is None:
        problems.append("--seed needs --generate DIR (data/demo is fixed to its seed); "
                        "e.g. planning demo --generate out/demo --seed 7")
    if args.generate is not None and (args.scenario is not None or args.out != DEFAULT_OUT):
        problems.append("--generate only writes and summarises a county; run it with a scenario whose "
                        "county is DIR/county.yaml (planning run SCENARIO --out OUT)")
    if problems:
        raise InputError("planning demo", problems)
    if args.generate is not None:
        seed = demo.DEFAULT_SEED if args.seed is None else args.seed
        demo.generate(args.generate, seed=seed)
        print(demo.summary(path=args.generate))
        return 0
    print(demo.summary())
    if args.summary_only:
        return 0
    scenario = Path(args.scenario) if args.scenario is not None else demo_scenario()
    if not scenario.is_file():
        raise InputError("planning demo", [
            f"scenario file {scenario} not found: scenarios/demo.yaml comes with the source tree (a clone of "
            "the repository); pass --scenario FILE, or --summary-only for the county summary alone"])
    from planning.runner import run_scenario

    print(f"\nplanning run {scenario} --out {args.out}", flush=True)
    result = run_scenario(scenario, out_dir=args.out, lang=args.lang, progress=not args.no_progress)
    lang = args.lang or result.scenario.outputs.lang
    print(result.text_summary(lang=lang))
    files = result.files
    if "map.html" in files or "report.docx" in files:
        hints = []
        if "map.html" in files:
            hints.append(f"open {files['map.html']} in a browser (works offline)" if lang == "en"
                         else f"用浏览器打开 {files['map.html']}（离线可用）")
        if "report.docx" in files:
            hints.append(f"{files['report.docx']} in Word" if lang == "en" else f"用 Word 打开 {files['report.docx']}")
        print(("Next: " if lang == "en" else "下一步：") + ("; " if lang == "en" else "；").join(hints))
    return 0
