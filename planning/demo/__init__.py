"""The embedded demo county 示范县 ("Demo County", code 149901): generator and loader.

A synthetic Lüliang loess-hill county modelled on 临县 (census 2020: 394,713 residents, 33.8 %
urban, 14.9 % aged 65+, 23 townships, ~2,979 km²), placed around 111.0°E, 37.95°N, with the
Yellow River on its west edge. :func:`generate` writes it in the real formats the loaders read;
``data/demo/`` in the repository is its output for :data:`DEFAULT_SEED` and :func:`load` reads
it through :func:`planning.io.load_county`, the same path a real county takes.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from planning.demo.generator import COUNTY_NAME, COUNTY_NAME_EN, DEFAULT_SEED, FILES, generate

if TYPE_CHECKING:  # pragma: no cover
    from planning.config import Settings
    from planning.county import County

__all__ = ["generate", "load", "demo_dir", "summary", "DEFAULT_SEED", "COUNTY_NAME",
           "COUNTY_NAME_EN", "FILES"]

#: ``data/demo`` of the source tree (present in a clone or an editable install).
REPO_DEMO_DIR = Path(__file__).resolve().parents[2] / "data" / "demo"


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    from planning import __version__

    return Path(base) / "planning" / f"demo-{__version__}-{DEFAULT_SEED}"


def demo_dir() -> Path:
    """Folder holding the demo county's ``county.yaml``.

    ``data/demo`` of the source tree when present; otherwise (an installed wheel) the demo is
    generated once into the user cache folder (``$XDG_CACHE_HOME/planning`` or
    ``~/.cache/planning``) and read from there.

    Returns
    -------
    pathlib.Path
        The folder.
    """
    if (REPO_DEMO_DIR / "county.yaml").is_file():
        return REPO_DEMO_DIR
    cache = _cache_dir()
    if not all((cache / name).is_file() for name in FILES):
        generate(cache, seed=DEFAULT_SEED)
    return cache


def load(*, settings: Settings | None = None) -> County:
    """Load the demo county through :func:`planning.io.load_county`.

    Parameters
    ----------
    settings : Settings, optional
        Settings passed to the loader.

    Returns
    -------
    County
        The demo county in its metric CRS (CGCS2000 3° Gauss–Krüger CM 111E).

    Examples
    --------
    >>> from planning.demo import load
    >>> county = load()  # doctest: +SKIP
    >>> county.county_id  # doctest: +SKIP
    '149901'
    """
    from planning.io import load_county

    return load_county(demo_dir() / "county.yaml", settings=settings)


def summary(*, path: str | os.PathLike | None = None, settings: Settings | None = None) -> str:
    """Load a demo county and return its readable summary (what ``planning demo`` prints).

    Parameters
    ----------
    path : path-like, optional
        A folder with a generated demo county (default: :func:`demo_dir`).
    settings : Settings, optional
        Settings passed to the loader.

    Returns
    -------
    str
        :meth:`planning.county.County.summary` with a title line.
    """
    from planning.io import load_county

    folder = Path(path) if path is not None else demo_dir()
    county = load_county(folder / "county.yaml", settings=settings)
    return f"{COUNTY_NAME_EN} — {folder / 'county.yaml'}\n{county.summary()}"
