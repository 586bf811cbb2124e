"""The county bundle: every input layer of one county, in one metric CRS.

:class:`County` is what loaders return and what analysis, optimisation and output read. It
holds data only; loading and validation live in :mod:`planning.io` and
:mod:`planning.validate`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from affine import Affine
from pyproj import CRS

from planning._errors import CRSError

__all__ = ["Raster", "RoadNetwork", "County"]


@dataclass
class Raster:
    """A single-band raster in memory.

    Attributes
    ----------
    array : numpy.ndarray
        2-D float64 values; NaN where there is no data.
    transform : affine.Affine
        Pixel-to-CRS transform (pixel corner convention, as rasterio).
    crs : pyproj.CRS
        Coordinate reference system.
    kind : str
        ``"population"`` (people per cell) or ``"dem"`` (elevation, metres).
    """

    array: np.ndarray
    transform: Affine
    crs: CRS
    kind: str = "population"

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns)."""
        return self.array.shape  # type: ignore[return-value]

    def total(self) -> float:
        """Sum of all valid cells (total population for a population raster)."""
        return float(np.nansum(self.array))

    def valid_cells(self) -> tuple[np.ndarray, np.ndarray]:
        """Row and column indices of the valid (finite), non-zero cells, in row-major order.

        Returns
        -------
        rows, cols : numpy.ndarray
            Integer cell indices, in the order :meth:`cell_centres` returns the cells.
        """
        return np.nonzero(np.isfinite(self.array) & (self.array != 0))

    def cell_centres(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Centre coordinates and values of the valid, non-zero cells.

        Returns
        -------
        x, y, value : numpy.ndarray
            CRS coordinates of cell centres and the cell values.
        """
        rows, cols = self.valid_cells()
        xs, ys = self.transform @ (cols + 0.5, rows + 0.5)
        return np.asarray(xs, float), np.asarray(ys, float), self.array[rows, cols]

    def sample(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Values at CRS coordinates (nearest cell); NaN outside the raster."""
        col, row = (~self.transform) @ (np.asarray(x, float), np.asarray(y, float))
        col = np.floor(col).astype(np.int64)
        row = np.floor(row).astype(np.int64)
        out = np.full(col.shape, np.nan)
        ok = (row >= 0) & (row < self.array.shape[0]) & (col >= 0) & (col < self.array.shape[1])
        out[ok] = self.array[row[ok], col[ok]]
        return out


@dataclass
class RoadNetwork:
    """A directed road network in the osmnx convention.

    Attributes
    ----------
    nodes : geopandas.GeoDataFrame
        Index ``node_id`` (int64); columns ``x``, ``y`` (CRS units), ``geometry`` (Point), and
        ``elevation_m`` when a DEM was applied.
    edges : geopandas.GeoDataFrame
        One row per directed edge: ``u``, ``v`` (node ids), ``length_m``, ``highway`` (an OSM
        highway value, lists reduced to the first), ``oneway`` (bool), ``maxspeed_kph`` (float,
        NaN when untagged), ``name``, ``geometry`` (LineString from u to v). A two-way road
        appears once in each direction; a one-way road only in its direction of travel.
    """

    nodes: gpd.GeoDataFrame
    edges: gpd.GeoDataFrame

    @property
    def crs(self) -> CRS:
        """CRS of the nodes and edges."""
        return CRS.from_user_input(self.nodes.crs)

    def length_by_class_km(self) -> pd.Series:
        """Road length (km) by highway class, counting each two-way road once.

        A two-way road appears once in each direction, so its edges count half; a one-way road's
        single edge counts fully.
        """
        e = self.edges
        weight = np.where(e["oneway"].astype(bool).to_numpy(), 1.0, 0.5)
        km = pd.Series(e["length_m"].to_numpy() * weight / 1000.0, index=e.index)
        return km.groupby(e["highway"]).sum().sort_values(ascending=False)


@dataclass
class County:
    """Every input layer of one county, in one metric CRS.

    Attributes
    ----------
    boundary : geopandas.GeoDataFrame
        One row: ``county_id``, ``name``, ``agricultural``, ``geometry`` (county polygon).
    townships : geopandas.GeoDataFrame
        Township polygons (see :mod:`planning.schema`).
    villages : geopandas.GeoDataFrame
        Administrative-village points with population.
    facilities : geopandas.GeoDataFrame
        Facility points with ``kind`` from :class:`planning.schema.FacilityKind`.
    roads : RoadNetwork
        The road network.
    communities : geopandas.GeoDataFrame or None
        Residential communities in towns.
    population : Raster or None
        Population raster (people per cell).
    dem : Raster or None
        Elevation raster (metres).
    seat : shapely.Point or None
        County seat (county government location).
    meta : dict
        Provenance: source files, their hashes, input CRS, conversions applied.
    """

    boundary: gpd.GeoDataFrame
    townships: gpd.GeoDataFrame
    villages: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    roads: RoadNetwork
    communities: gpd.GeoDataFrame | None = None
    population: Raster | None = None
    dem: Raster | None = None
    seat: Any = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        crs = CRS.from_user_input(self.boundary.crs) if self.boundary.crs else None
        if crs is None or not crs.is_projected:
            raise CRSError("county bundle", [f"boundary CRS must be a projected (metric) CRS; got {crs}"])
        problems = []
        layers = {"townships": self.townships, "villages": self.villages,
                  "facilities": self.facilities, "road nodes": self.roads.nodes,
                  "road edges": self.roads.edges}
        if self.communities is not None:
            layers["communities"] = self.communities
        for name, layer in layers.items():
            if layer.crs is None or not CRS.from_user_input(layer.crs).equals(crs):
                problems.append(f"{name} CRS {layer.crs} differs from the boundary CRS {crs.to_string()}; "
                                "load through planning.io.load_county, which reprojects every layer")
        for name, raster in (("population raster", self.population), ("DEM", self.dem)):
            if raster is not None and not raster.crs.equals(crs):
                problems.append(f"{name} CRS {raster.crs} differs from the boundary CRS {crs.to_string()}")
        if problems:
            raise CRSError("county bundle", problems)

    @property
    def crs(self) -> CRS:
        """The county's metric CRS."""
        return CRS.from_user_input(self.boundary.crs)

    @property
    def name(self) -> str:
        """County name."""
        return str(self.boundary["name"].iloc[0])

    @property
    def county_id(self) -> str:
        """County code."""
        return str(self.boundary["county_id"].iloc[0])

    def area_km2(self) -> float:
        """Area of the county polygon, km²."""
        return float(self.boundary.geometry.area.sum() / 1e6)

    def summary(self) -> str:
        """A short readable summary: counts, population, CRS, road length by class."""
        v = self.villages
        lines = [
            f"County {self.name} ({self.county_id}), CRS {self.crs.name} (EPSG:{self.crs.to_epsg()})",
            f"  area {self.area_km2():,.0f} km², {len(self.townships)} townships, "
            f"{len(v)} villages, population {int(v['population'].sum()):,}",
        ]
        if "urban" in v:
            urban = int(v.loc[v["urban"].astype(bool), "population"].sum())
            lines.append(f"  urban population {urban:,} ({urban / max(1, v['population'].sum()):.0%})")
        if self.communities is not None:
            lines.append(f"  {len(self.communities)} residential communities")
        counts = self.facilities["kind"].value_counts().sort_index()
        lines.append("  facilities: " + ", ".join(f"{k} {n}" for k, n in counts.items()))
        lengths = self.roads.length_by_class_km()
        lines.append(f"  roads {lengths.sum():,.0f} km: "
                     + ", ".join(f"{k} {km:,.0f}" for k, km in lengths.items()))
        if self.population is not None:
            lines.append(f"  population raster {self.population.shape}, total {self.population.total():,.0f}")
        if self.dem is not None:
            lines.append(f"  DEM {self.dem.shape}, {np.nanmin(self.dem.array):,.0f}–"
                         f"{np.nanmax(self.dem.array):,.0f} m")
        return "\n".join(lines)
