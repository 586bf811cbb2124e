"""A minimal, deterministic OSM XML writer for generated road networks.

Nodes are numbered 1, 2, … in order of first use by the ways (ways in the order given), ways
1, 2, …; coordinates are written with 7 decimals (≈ 1 cm, OSM's own precision). No timestamps,
users or changesets are written, so the same input always gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
from pyproj import Transformer

__all__ = ["write_osm_xml"]


def write_osm_xml(ways: Sequence[tuple[Sequence[tuple[float, float]], dict[str, str]]], path: Path,
                  *, crs: str | int, generator: str = "planning.demo") -> tuple[int, int]:
    """Write ways (vertex lists in ``crs`` with tags) as an OSM XML file.

    Vertices with the same coordinates (to the centimetre) become one node, so ways that
    share a vertex are connected.

    Parameters
    ----------
    ways : sequence of (coords, tags)
        Each way's vertices ``[(x, y), ...]`` in ``crs`` and its OSM tags.
    path : pathlib.Path
        Output file (written as given; callers make it atomic).
    crs : str or int
        CRS of the coordinates; they are converted to WGS84 lon/lat.
    generator : str, keyword-only
        Value of the ``generator`` attribute of the root element.

    Returns
    -------
    n_nodes, n_ways : int
        Counts written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.osm"
    >>> write_osm_xml([([(500000.0, 4200000.0), (500100.0, 4200000.0)], {"highway": "track"})],
    ...               p, crs="EPSG:4546")
    (2, 1)
    """
    ids: dict[tuple[int, int], int] = {}
    xs: list[float] = []
    ys: list[float] = []
    way_refs: list[list[int]] = []
    for coords, _ in ways:
        refs: list[int] = []
        for x, y in coords:
            key = (int(round(x * 100)), int(round(y * 100)))
            if key not in ids:
                ids[key] = len(ids) + 1
                xs.append(x)
                ys.append(y)
            if not refs or refs[-1] != ids[key]:
                refs.append(ids[key])
        way_refs.append(refs)
    lon, lat = Transformer.from_crs(crs, 4326, always_xy=True).transform(np.array(xs), np.array(ys))
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f'<osm version="0.6" generator={quoteattr(generator)}>',
             f'  <bounds minlat="{lat.min():.7f}" minlon="{lon.min():.7f}" '
             f'maxlat="{lat.max():.7f}" maxlon="{lon.max():.7f}"/>']
    lines += [f'  <node id="{i + 1}" version="1" lat="{la:.7f}" lon="{lo:.7f}"/>'
              for i, (lo, la) in enumerate(zip(lon.tolist(), lat.tolist()))]
    n_ways = 0
    for refs, (_, tags) in zip(way_refs, ways):
        if len(refs) < 2:
            continue
        n_ways += 1
        lines.append(f'  <way id="{n_ways}" version="1">')
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines += [f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in sorted(tags.items())]
        lines.append("  </way>")
    lines.append("</osm>")
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(xs), n_ways
