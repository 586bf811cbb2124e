"""Where a cold nearest-facility (or OD) call spends its time, for one-off figures.

``python -m benchmarks.profile_nearest GRAPH [--facilities N] [--calls K] [--ratio] [--od]``
builds a graph of :mod:`benchmarks.bench_engine` (``demo``, ``comoros``, or a node count for a
synthetic graph such as ``50000``, built as the benchmark builds it), picks its facilities as the
engine benchmark does, and profiles ``K`` cold calls (a fresh ``TravelEngine`` each, every node
of the graph an origin) with :mod:`cProfile`. It prints the functions that take the most time of
their own, in milliseconds per call. cProfile adds its own overhead to every Python call, so the
total is above the benchmark's best time; the compiled kernels (``_multi_source_run``,
``nearest_pieces``, ``_read``, ``nearest_pick``) are single calls and measured as they are.

With ``--ratio`` it times instead, without cProfile, the cold call and the bare scipy call in
turns as the engine benchmark does (:func:`benchmarks.bench_engine.measure_together`,
``--rounds`` rounds of ``--calls`` runs each), and prints both best times and their ratio: one
benchmark row, cheap to repeat when the machine is noisy. With ``--od`` the call is the
benchmark's OD instead (its 1,000 sites to its demand nodes, 30-minute cutoff; bare scipy in
batches of 100 sources). Not part of ``make bench`` (no RESULTS.md).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats

import numpy as np

from benchmarks.bench_engine import CUTOFF_MIN, Peers, _graphs, _points, measure_together, synthetic_network


def main(argv: list[str] | None = None) -> str:
    """Parse the arguments, profile, and return the printed table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_nearest", description=__doc__)
    parser.add_argument("graph", help="demo, comoros, or the node count of a synthetic graph")
    parser.add_argument("--facilities", type=int, default=100)
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--top", type=int, default=12, help="functions listed (default 12)")
    parser.add_argument("--ratio", action="store_true", help="time cold calls against bare scipy instead")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of --ratio (default 5)")
    parser.add_argument("--od", action="store_true", help="the benchmark's OD call instead of nearest")
    args = parser.parse_args(argv)
    from planning.network.engine import TravelEngine
    from planning.network.graph import RoadGraph

    makers = dict(_graphs(False))
    name = {"demo": "demo county", "comoros": "Comoros OSM"}.get(args.graph)
    if name is None and not args.graph.isdigit():
        parser.error(f"graph must be demo, comoros or a node count; got {args.graph!r}")
    if name is not None and name not in makers:
        parser.error(f"{name} is not available here (../shared/real/comoros/roads.gpkg is missing)")
    net = makers[name]() if name else synthetic_network(int(args.graph), seed=int(args.graph))
    graph = RoadGraph.from_network(net)
    rng = np.random.default_rng(graph.n_nodes)          # the engine benchmark's draws
    drivable = np.flatnonzero(graph.drivable_node)
    from scipy.sparse.csgraph import dijkstra

    peers = Peers(graph)
    if args.od:
        for n_fac in (100, 1000):                        # the nearest rows' draws come first
            if n_fac <= drivable.size // 2:
                rng.choice(drivable, n_fac, replace=False)
        sites = np.sort(rng.choice(drivable, min(1000, drivable.size // 2), replace=False))
        demand = np.sort(rng.choice(drivable, min(10_000, drivable.size), replace=False))
        site_pts, demand_pts = _points(graph, sites), _points(graph, demand)
        what = f"cold OD, {args.graph}: {sites.size:,} sites x {demand.size:,} demand nodes, cutoff {CUTOFF_MIN:g} min"

        def call() -> None:
            TravelEngine(graph).od(site_pts, demand_pts, mode="drive", cutoff=CUTOFF_MIN)

        def bare() -> None:
            for k in range(0, sites.size, 100):
                dijkstra(peers.csr, directed=True, indices=sites[k:k + 100], limit=CUTOFF_MIN)
    else:
        fac = np.sort(rng.choice(drivable, args.facilities, replace=False))
        facilities = _points(graph, fac)
        origins = _points(graph, np.arange(graph.n_nodes))
        what = f"cold nearest, {args.graph}: {graph.n_nodes:,} origins, {args.facilities:,} facilities"

        def call() -> None:
            TravelEngine(graph).nearest(origins, facilities, mode="drive")

        def bare() -> None:
            dijkstra(peers.csr_rev, directed=True, indices=fac, min_only=True)

    call()                                               # compiles the kernels
    if args.ratio:
        timed = measure_together({"cold": call, "scipy": bare}, repeat=args.calls * args.rounds, rounds=args.rounds)
        cold_s, scipy_s = timed["cold"][0], timed["scipy"][0]
        text = (f"{what}; best of {args.rounds} x {args.calls}: ours {cold_s * 1e3:.3f} ms, scipy "
                f"{scipy_s * 1e3:.3f} ms, ratio {cold_s / scipy_s:.2f}")
        print(text)
        return text
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(args.calls):
        call()
    profile.disable()
    stats = pstats.Stats(profile).stats                  # (file, line, name) -> (cc, nc, tt, ct, callers)
    rows = sorted(((tt, f"{file.rsplit('/', 1)[-1]}:{name}") for (file, _, name), (_, _, tt, _, _) in stats.items()),
                  reverse=True)
    total_ms = sum(tt for tt, _ in rows) * 1000 / args.calls
    lines = [f"{what}; {args.calls} calls; {total_ms:.2f} ms per call under cProfile", "ms/call  function"]
    lines += [f"{tt * 1000 / args.calls:7.3f}  {name}" for tt, name in rows[:args.top]]
    text = "\n".join(lines)
    print(text)
    return text


if __name__ == "__main__":  # pragma: no cover
    main()
