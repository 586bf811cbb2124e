"""MCLP 2,000 × 500 to the end: this project against PySAL spopt (PuLP + CBC), one thread each.

The spopt table of :mod:`benchmarks.bench_models` stops every tool at 100 s, and its 300 s run
stops spopt too, so neither shows how long spopt takes to prove the optimum that this project
proves in about 100 s. Here both solve the same instance (seed 0 of the spopt table: 2,000
uniform demand points, 500 candidates, p = 20, radius 1,500 m) with a cap of ``CAP_S`` each,
side by side, each child pinned to its own core (CBC, which spopt runs as a subprocess, inherits
the pin), so the run takes as long as the slower tool. On a machine with one core they run one
after the other. ``--quick`` runs the 500 × 200 instance instead.

Run: ``.venv/bin/python -m benchmarks models_long`` (about 45 minutes on the reference machine).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

from benchmarks.bench_models import _versions, run_child

#: Time limit (s) of each tool; the child is killed 60 s after it.
CAP_S = 3 * 3600.0


def _row(name: str, r: dict) -> str:
    if not r["finished"]:
        return f"| {name} | — | did not finish | > {r['wall_s']:,.0f} | {r['rss_mib']:,.0f} |"
    return f"| {name} | {r['objective']:,.0f} | {r['status']} | {r['seconds']:,.1f} | {r['rss_mib']:,.0f} |"


def main(quick: bool = False) -> str:
    """Run both tools; returns the Markdown section."""
    n, m = (500, 200) if quick else (2000, 500)
    spec = {"n": n, "m": m, "seed": 0, "model": "mclp", "p": 20, "radius": 1500.0, "limit_s": CAP_S, "threads": 1}
    two_cores = (os.cpu_count() or 1) >= 2 and hasattr(os, "sched_setaffinity")
    specs = [{**spec, "tool": tool, "cpu": cpu if two_cores else None} for tool, cpu in (("planning", 0), ("spopt", 1))]
    with ThreadPoolExecutor(max_workers=2 if two_cores else 1) as pool:
        ours, peer = pool.map(lambda s: run_child(s, CAP_S + 60), specs)
    lines = [
        f"### MCLP {n:,} × {m:,} to the end, one thread each",
        "",
        f"The instance of the spopt table (seed 0, p = 20, radius 1,500 m), each tool capped at {CAP_S:,.0f} s, "
        + ("side by side, each pinned to its own core" if two_cores else "one after the other")
        + f". Solver versions: {_versions()}. Solve s = model build + solve; peak MiB = summed RSS of the "
        "child's processes.",
        "",
        "| tool | objective | status | solve s | peak MiB |",
        "|---|---|---|---|---|",
        _row("ours", ours),
        _row("spopt (CBC)", peer),
        "",
    ]
    if ours["finished"] and ours["status"] == "optimal":
        proven = peer["finished"] and peer["status"] == "optimal"
        peer_s = peer["seconds"] if peer["finished"] else peer["wall_s"]
        same = abs(ours["objective"] - peer["objective"]) <= 1e-6 * abs(ours["objective"]) if proven else None
        lines.append(
            f"spopt ÷ ours: {'' if proven else '> '}{peer_s / ours['seconds']:.1f}× solve time"
            + (f", same optimum: {'yes' if same else 'NO'}" if proven else " (spopt did not prove it within the cap)")
            + f"; peak memory {peer['rss_mib'] / max(ours['rss_mib'], 1e-9):.1f}× ours."
        )
    else:
        lines.append("Ours did not prove the optimum within the cap: no speed ratio.")
    return "\n".join(["## Facility-location models to the end (issue 5)", ""] + lines + [""])


if __name__ == "__main__":  # pragma: no cover
    import sys

    print(main(quick="--quick" in sys.argv))
