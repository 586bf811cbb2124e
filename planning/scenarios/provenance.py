"""Provenance of a run: hashes of every input file, package versions, the summary of ``run.json``.

Everything here is deterministic (same inputs → same values) except what :func:`run_record`
puts under the ``"volatile"`` key (wall-clock start, elapsed seconds, cache hits and misses,
solver seconds), which comparisons of runs must ignore.
"""

from __future__ import annotations

import hashlib
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

__all__ = ["file_sha256", "input_hashes", "package_versions", "VOLATILE_KEY"]

#: Key of ``run.json`` holding the values that differ between identical runs.
VOLATILE_KEY = "volatile"

_PACKAGES = ("planning", "numpy", "pandas", "scipy", "geopandas", "shapely", "pyproj", "pyogrio",
             "rasterio", "osmnx", "networkx", "highspy", "pydantic", "folium", "python-docx",
             "matplotlib", "dask", "distributed")


def file_sha256(path: str | Path) -> str:
    """sha256 (hex) of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _rel(path: Path, base: Path | None) -> str:
    if base is not None:
        try:
            return str(path.resolve().relative_to(base.resolve()))
        except ValueError:
            pass
    return str(path)


def input_hashes(manifest: str | Path | None, *, base: Path | None = None,
                 extra: list[str | Path] = (), include_manifest: bool = True) -> dict[str, str]:
    """sha256 of a county manifest and of every file it names (plus ``extra`` files).

    Parameters
    ----------
    manifest : str or Path or None
        A ``county.yaml`` (or its directory).
    base : Path, optional
        Paths are reported relative to this directory when they lie under it.
    extra : list of paths
        Further input files (the scenario file, candidate layers).
    include_manifest : bool
        Hash the manifest file itself (False for a manifest written from an inline county).

    Returns
    -------
    dict
        Path → sha256, sorted by path.
    """
    out: dict[str, str] = {}
    files: list[Path] = [Path(p) for p in extra]
    if manifest is not None:
        path = Path(manifest)
        if path.is_dir():
            path = path / "county.yaml"
        if include_manifest:
            files.append(path)
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}

        def collect(node: Any) -> None:
            if isinstance(node, dict):
                if isinstance(node.get("path"), str):
                    files.append(path.parent / node["path"])
                for value in node.values():
                    collect(value)

        collect(data)
    for f in files:
        if f.is_file():
            out[_rel(f, base)] = file_sha256(f)
    return dict(sorted(out.items()))


def package_versions() -> dict[str, str]:
    """Versions of Python and of the packages a run's results depend on."""
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out
