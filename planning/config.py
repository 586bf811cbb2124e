"""Validated settings: travel speeds, snapping, terrain, progress output.

Solver options (time limit, gap, threads) are per solve: :class:`planning.models.base.SolverOptions`
and the recipes' ``time_limit_s``; Dask workers are an argument of
:func:`planning.province.run_province`.

Settings are a plain pydantic object passed to the functions that need them
(``settings=None`` means the defaults). Nothing is read from the environment or from files
at import time.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["TravelSettings", "Settings", "DEFAULT_DRIVE_SPEED_KPH"]

#: Default free-flow driving speed (km/h) by OSM ``highway`` class. Chinese road classes are
#: mapped onto these classes by :data:`planning.schema.ROAD_CLASS_ZH`. Speeds are set for
#: mountain counties (loess hills): lower than plains defaults.
DEFAULT_DRIVE_SPEED_KPH: dict[str, float] = {
    "motorway": 90.0,
    "motorway_link": 50.0,
    "trunk": 70.0,
    "trunk_link": 40.0,
    "primary": 60.0,
    "primary_link": 40.0,
    "secondary": 50.0,
    "secondary_link": 30.0,
    "tertiary": 40.0,
    "tertiary_link": 30.0,
    "unclassified": 30.0,
    "road": 30.0,
    "residential": 25.0,
    "living_street": 10.0,
    "service": 15.0,
    "track": 15.0,
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TravelSettings(_Frozen):
    """How travel times are computed on the road network.

    Attributes
    ----------
    walk_speed_kph : float
        Walking speed on flat ground (km/h). With a DEM, Tobler's hiking function scales it by
        slope (direction-aware).
    drive_speed_kph : dict
        Free-flow driving speed by OSM ``highway`` class (km/h); ``maxspeed`` tags override.
    terrain : bool
        Use the DEM (when the county has one) for slope-aware speeds.
    max_snap_m : float
        Points farther than this from the road network are reported unreachable.
    steep_grade : float
        Road grade (rise/run) above which driving speed is reduced.
    steep_grade_speed_factor : float
        Speed multiplier applied at twice ``steep_grade`` and beyond (linear in between).
    """

    walk_speed_kph: float = Field(4.5, gt=0, le=10)
    drive_speed_kph: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_DRIVE_SPEED_KPH))
    terrain: bool = True
    max_snap_m: float = Field(1500.0, gt=0)
    steep_grade: float = Field(0.06, gt=0, lt=1)
    steep_grade_speed_factor: float = Field(0.6, gt=0, le=1)

    @field_validator("drive_speed_kph")
    @classmethod
    def _positive_speeds(cls, value: dict[str, float]) -> dict[str, float]:
        bad = {k: v for k, v in value.items() if not v > 0}
        if bad:
            raise ValueError(f"driving speeds must be > 0 km/h; got {bad}")
        merged = dict(DEFAULT_DRIVE_SPEED_KPH)
        merged.update(value)
        return merged


class Settings(_Frozen):
    """All settings of a run; ``Settings()`` gives the defaults.

    Examples
    --------
    >>> from planning.config import Settings
    >>> s = Settings(travel={"walk_speed_kph": 4.0})
    >>> s.travel.walk_speed_kph
    4.0
    """

    travel: TravelSettings = Field(default_factory=TravelSettings)
    progress: bool = True
