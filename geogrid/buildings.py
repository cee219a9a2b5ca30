"""Households per building footprint: the rule geogrid uses and documents.

Grids in a Chinese community hold a few hundred households, so each building
needs a household count. OSM rarely tags it; the rule below estimates it
from the footprint, and a tag always wins.

The rule, per building, in order:

1. **Explicit tag wins** (``households_source = "tag"``): the first of the
   columns ``flats`` (filled by :func:`geogrid.io.osm.read_osm` from
   ``building:flats``, ``addr:flats`` or ``households``), ``building:flats``,
   ``addr:flats`` that holds a number >= 0 is used as is (rounded).
2. **Non-residential** (``households_source = "non-residential"``): a
   ``building`` value that is not in :data:`RESIDENTIAL_TYPES` (school,
   commercial, industrial, retail, office, church, garage, university, ...,
   and any unknown value) gets 0 households.
3. **Estimate** (``households_source = "estimate"``)::

       households = round(footprint_m2 * levels / dwelling_m2 * share)

   ``footprint_m2`` is the footprint area in the area's metric CRS.
   ``levels`` is ``building:levels`` (column ``levels`` or
   ``building:levels``; first number of values such as ``"6;7"`` or
   ``"5-7"``, accepted when 0 < levels <= 200), otherwise the default of the
   building type (:data:`DEFAULT_LEVELS`: 1 for house/detached/bungalow,
   2 for terrace/semidetached_house, 6 for apartments/residential/dormitory
   and for ``building=yes``, i.e. a mid-rise Chinese 小区 block).
   ``share`` is 1 for the residential types and :data:`YES_SHARE` = 0.5 for
   ``building=yes``: in Chinese OSM data most buildings are tagged only
   ``building=yes``; about half of that footprint is housing in a mixed
   urban district, the rest campus, offices and shops.
   Residential types get at least 1 household; ``building=yes`` may round
   to 0 (sheds, kiosks, gatehouses).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd

from geogrid.crs import to_metric
from geogrid.errors import InputError

#: Default ``building:levels`` by building type when the tag is absent.
DEFAULT_LEVELS: Mapping[str, float] = {
    "apartments": 6.0,
    "residential": 6.0,
    "dormitory": 6.0,
    "yes": 6.0,
    "house": 1.0,
    "detached": 1.0,
    "bungalow": 1.0,
    "farm": 1.0,
    "cabin": 1.0,
    "hut": 1.0,
    "static_caravan": 1.0,
    "houseboat": 1.0,
    "terrace": 2.0,
    "semidetached_house": 2.0,
}

#: Building types counted as housing (``building=yes`` with share :data:`YES_SHARE`).
RESIDENTIAL_TYPES: frozenset[str] = frozenset(DEFAULT_LEVELS)

#: Share of a ``building=yes`` footprint counted as housing.
YES_SHARE = 0.5

#: Accepted range of tagged levels; other values fall back to the type default.
MAX_LEVELS = 200.0

_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def parse_number(value: object) -> float | None:
    """Return the first number in an OSM tag value (``"6;7"`` -> 6.0), or ``None``.

    Parameters
    ----------
    value : object
        A tag value (str), a number, or a missing value (None / NaN).

    Returns
    -------
    float or None
        The first non-negative decimal number found, else ``None``.
    """
    if value is None:
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
        return None if math.isnan(number) or number < 0 else number
    match = _NUMBER.search(str(value))
    return float(match.group()) if match else None


def _first_number(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    result = pd.Series(np.nan, index=frame.index, dtype=float)
    for column in columns:
        if column not in frame.columns:
            continue
        parsed = frame[column].map(parse_number).astype(float)
        result = result.fillna(parsed)
    return result


def estimate_households(
    buildings: gpd.GeoDataFrame,
    metric_crs: str,
    dwelling_m2: float = 90.0,
    default_levels: Mapping[str, float] = DEFAULT_LEVELS,
) -> gpd.GeoDataFrame:
    """Return a copy of ``buildings`` with a household count per building.

    The rule (explicit tag, non-residential, footprint estimate) is described
    in the module docstring.

    Parameters
    ----------
    buildings : geopandas.GeoDataFrame
        Building footprints (Polygon/MultiPolygon) with a CRS and a
        ``building`` column (OSM ``building`` value; missing means ``"yes"``).
        Optional columns: ``levels`` / ``building:levels`` and ``flats`` /
        ``building:flats`` / ``addr:flats``.
    metric_crs : str
        The area's metric CRS (e.g. from :func:`geogrid.crs.metric_crs_for`),
        used to measure footprints in m².
    dwelling_m2 : float, default 90.0
        Gross floor area of one dwelling in m² (a typical Chinese flat,
        including its share of stairs and corridors).
    default_levels : Mapping[str, float], default :data:`DEFAULT_LEVELS`
        Levels assumed per building type when ``building:levels`` is absent;
        its keys are also the residential types.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy with columns ``households`` (int), ``households_source``
        (``"tag"``, ``"estimate"`` or ``"non-residential"``), ``levels``
        (float, levels used: tagged or default, NaN for non-residential
        buildings without a tag) and ``footprint_m2`` (float).

    Raises
    ------
    InputError
        If ``dwelling_m2`` is not positive. A frame without CRS raises
        :class:`geogrid.errors.CRSError`.
    """
    if not dwelling_m2 > 0:
        raise InputError(
            f"dwelling_m2={dwelling_m2!r}: the floor area of one dwelling must be a positive "
            "number of square metres, e.g. 90"
        )
    result = buildings.copy()
    metric = to_metric(buildings, metric_crs, "buildings")
    footprint_m2 = metric.geometry.area.to_numpy(dtype=float)

    if "building" in result.columns:
        kinds = result["building"].where(result["building"].notna(), "yes").astype(str)
    else:
        kinds = pd.Series("yes", index=result.index)
    residential = kinds.isin(set(default_levels)).to_numpy()

    tagged_levels = _first_number(result, ("levels", "building:levels")).to_numpy()
    tagged_levels = np.where(
        (tagged_levels > 0) & (tagged_levels <= MAX_LEVELS), tagged_levels, np.nan
    )
    type_levels = kinds.map(default_levels).astype(float).to_numpy()
    levels = np.where(np.isnan(tagged_levels), type_levels, tagged_levels)

    flats = _first_number(result, ("flats", "building:flats", "addr:flats")).to_numpy()
    has_tag = ~np.isnan(flats)

    share = np.where(kinds.to_numpy() == "yes", YES_SHARE, 1.0)
    with np.errstate(invalid="ignore"):
        estimate = np.rint(footprint_m2 * np.nan_to_num(levels) / dwelling_m2 * share)
    minimum = np.where(kinds.to_numpy() == "yes", 0.0, 1.0)
    estimate = np.maximum(estimate, minimum)

    households = np.where(
        has_tag, np.rint(np.nan_to_num(flats)), np.where(residential, estimate, 0.0)
    )
    source = np.where(has_tag, "tag", np.where(residential, "estimate", "non-residential"))
    result["households"] = households.astype(np.int64)
    result["households_source"] = source
    result["levels"] = levels
    result["footprint_m2"] = footprint_m2
    return result
