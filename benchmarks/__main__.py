"""``make bench``: run every ``benchmarks/bench_*.py`` and assemble ``benchmarks/RESULTS.md``.

Each benchmark module has ``main(quick: bool) -> str`` returning its Markdown section (with
ratios against the peers it names); the section is also written to
``benchmarks/results/<name>.md`` so one benchmark can be re-run alone:
``python -m benchmarks engine``. ``python -m benchmarks --assemble`` only rebuilds
``RESULTS.md`` from the sections already in ``benchmarks/results/``.
"""

from __future__ import annotations

import importlib
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        mem_gib = float("nan")
    return f"{cpu}, {os.cpu_count()} cores, {mem_gib:.0f} GiB, Python {platform.python_version()}"


def main(argv: list[str]) -> int:
    names = argv or sorted(p.stem[len("bench_"):] for p in HERE.glob("bench_*.py"))
    quick = "--quick" in names
    if "--assemble" in names:
        names = []
    names = [n for n in names if n not in ("--quick", "--assemble")]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    for name in names:
        module = importlib.import_module(f"benchmarks.bench_{name}")
        start = time.perf_counter()
        section = module.main(quick=quick)
        took = time.perf_counter() - start
        (HERE / "results").mkdir(exist_ok=True)
        (HERE / "results" / f"{name}.md").write_text(
            section.rstrip() + f"\n\n_Run took {took:,.0f} s at commit {commit}: `python -m benchmarks {name}`._\n",
            encoding="utf-8",
        )
    parts = [
        "# Benchmark results",
        "",
        f"Machine: {_machine()}. Command: `make bench` (or `python -m benchmarks NAME`, which re-runs one "
        "section). Each section ends with the commit it was run at (older sections without one: "
        "`git log benchmarks/results/NAME.md` shows when they were last run).",
        "Ratios compare this project against the peers named in each issue, in the same run.",
        "",
    ]
    for section in sorted((HERE / "results").glob("*.md")):
        parts.append(section.read_text(encoding="utf-8").rstrip())
        parts.append("")
    (HERE / "RESULTS.md").write_text("\n".join(parts), encoding="utf-8")
    print(f"wrote {HERE / 'RESULTS.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
