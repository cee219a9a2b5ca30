"""The data every grids step shares: the household band and the plan.

:class:`Band` is the households a grid may hold (300-500 by default, also
per parent); :class:`GridPlan` is units with their grid and the grids they
make, as :func:`~geogrid.grids.partition.build_grids` returns it and the
edits (:mod:`geogrid.grids.edits`) take and return it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd

from geogrid.errors import InputError

#: Default household band of a grid (city guidance: 300-500 households).
DEFAULT_MIN_HOUSEHOLDS = 300
DEFAULT_MAX_HOUSEHOLDS = 500


@dataclass(frozen=True)
class Band:
    """Households a grid may hold, inclusive: ``min_households <= h <= max_households``."""

    min_households: int = DEFAULT_MIN_HOUSEHOLDS
    max_households: int = DEFAULT_MAX_HOUSEHOLDS

    def __post_init__(self) -> None:
        if not 0 <= self.min_households <= self.max_households:
            raise InputError(
                f"household band {self.min_households}-{self.max_households} is empty; "
                "give 0 <= min <= max, e.g. 300-500"
            )

    @property
    def mid(self) -> float:
        return (self.min_households + self.max_households) / 2

    def violation(self, households: float) -> float:
        """Households below the min or above the max (0 inside the band)."""
        return max(0.0, self.min_households - households) + max(
            0.0, households - self.max_households
        )

    def __str__(self) -> str:
        return f"{self.min_households}-{self.max_households}"


@dataclass
class GridPlan:
    """Units with their grid, and the grids they make.

    Attributes
    ----------
    units
        Index ``unit_id`` (str); columns ``parent_code``, ``households``,
        ``population``, ``grid`` (code), ``locked`` (the unit never moves),
        geometry (EPSG:4326).
    grids
        One row per grid (see :func:`assemble_grids`), EPSG:4326.
    metric_crs
        The area's metric CRS.
    bands
        Household band per parent code; ``default_band`` for the others.
    problems
        Where the band or a lock could not be met: which units and why.
    """

    units: gpd.GeoDataFrame
    grids: gpd.GeoDataFrame
    metric_crs: str
    default_band: Band = field(default_factory=Band)
    bands: dict[str, Band] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def band_of(self, parent_code: str) -> Band:
        return self.bands.get(parent_code, self.default_band)
