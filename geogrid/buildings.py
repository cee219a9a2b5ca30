"""Households per building footprint: the rule geogrid uses and documents.

Grids in a Chinese community hold a few hundred households, so each building
needs a household count. The best source is the office's own register (门牌 /
住户 register); OSM rarely tags the count, so without a register the rule
below estimates it from the footprint, and only for buildings that are homes.

The rule, per building, in order (``households_source`` says which step gave
the number):

1. **Register** (``"register"``): a number >= 0 in the column
   ``register_households`` (filled by the office's register import,
   ``geogrid households import``) is used as is (rounded).
2. **Explicit tag** (``"tag"``): the first of the columns ``flats`` (filled
   by :func:`geogrid.io.osm.read_osm` from ``building:flats``,
   ``addr:flats`` or ``households``), ``building:flats``, ``addr:flats``
   that holds a number >= 0 is used as is (rounded).
3. **Estimate** (``"estimate"``), for residential buildings only::

       households = round(footprint_m2 * levels / dwelling_m2 * share)

   A building is **residential** when its own ``building`` tag says so (one
   of :data:`RESIDENTIAL_TYPES`: residential, apartments, house, dormitory,
   detached, terrace, ...), or when it is untagged (``building=yes`` or no
   value) **and** lies inside ``landuse=residential`` (its representative
   point) **and** is neither tagged as nor inside a non-residential feature
   (:func:`non_residential_use`: a shop, amenity, leisure, tourism, office,
   industrial, public or transport feature, tagged on the building or on an
   area containing it; or a node inside its footprint whose use fills a whole
   building, :data:`WHOLE_BUILDING_USES`: a mall, library, police station,
   fuel station, hotel, toll booth, ...; a shop or restaurant node on the
   ground floor of a housing block does not count). The feature found is
   kept in the column ``use`` (e.g. ``"shop=mall"``).

   ``footprint_m2`` is the footprint area in the area's metric CRS.
   ``levels`` is ``building:levels`` (column ``levels`` or
   ``building:levels``; first number of values such as ``"6;7"`` or
   ``"5-7"``, accepted when 0 < levels <= 200), otherwise the default of the
   building type (:data:`DEFAULT_LEVELS`: 1 for house/detached/bungalow,
   2 for terrace/semidetached_house, 6 for apartments/residential/dormitory
   and for ``building=yes``, i.e. a mid-rise Chinese 小区 block).
   ``share`` is 1 for the residential types and :data:`YES_SHARE` = 0.5 for
   ``building=yes``: even inside residential land part of an untagged
   footprint is garages, gatehouses, clubhouses and shops on the ground floor.
   Residential types get at least 1 household; ``building=yes`` may round
   to 0 (sheds, kiosks).
4. **None** (``"none"``): every other building (schools, offices, malls,
   untagged buildings outside residential land, ...) gets 0 households.

Older area files may also carry ``"non-residential"`` (now ``"none"``) and
``"survey"`` (counted or edited by hand).

:func:`household_coverage` measures how far the result can be trusted:
residential land without any building, and households per km² against
plausible ranges for Chinese districts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geogrid.crs import WGS84, to_metric
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

#: Building types counted as housing by their own tag (``building=yes`` only inside
#: residential land, with share :data:`YES_SHARE`).
RESIDENTIAL_TYPES: frozenset[str] = frozenset(DEFAULT_LEVELS) - {"yes"}

#: Share of a ``building=yes`` footprint (inside residential land) counted as housing.
YES_SHARE = 0.5

#: Values of ``households_source``, in the order the rule tries them.
HOUSEHOLD_SOURCES: tuple[str, ...] = ("register", "tag", "estimate", "none")

#: Keys whose any value (but ``no``) marks a non-residential feature, except the
#: values in :data:`HOMELY_VALUES` (things found in and around housing).
NON_RESIDENTIAL_KEYS: tuple[str, ...] = (
    "shop", "amenity", "leisure", "tourism", "office", "industrial", "craft",
    "public_transport", "aeroway", "healthcare", "government", "military",
)  # fmt: skip

#: Values of :data:`NON_RESIDENTIAL_KEYS` that do not make a building non-residential:
#: a bench, a playground or a bicycle park inside a housing compound.
HOMELY_VALUES: Mapping[str, frozenset[str]] = {
    "amenity": frozenset(
        [
            "parking",
            "parking_entrance",
            "parking_space",
            "bicycle_parking",
            "motorcycle_parking",
            "bench",
            "waste_basket",
            "waste_disposal",
            "recycling",
            "vending_machine",
            "drinking_water",
            "shelter",
            "toilets",
            "charging_station",
            "post_box",
            "letter_box",
            "parcel_locker",
            "telephone",
            "fountain",
            "clock",
            "loading_dock",
            "water_point",
        ]
    ),
    "tourism": frozenset(["attraction", "artwork", "viewpoint", "information", "picnic_site"]),
    "leisure": frozenset(
        [
            "playground",
            "garden",
            "fitness_station",
            "picnic_table",
            "outdoor_seating",
            "swimming_pool",
            "common",
        ]
    ),
}

#: Other single tags that mark a non-residential (industrial, public, transport) feature.
NON_RESIDENTIAL_TAGS: Mapping[str, frozenset[str]] = {
    "landuse": frozenset(
        [
            "industrial",
            "commercial",
            "retail",
            "railway",
            "military",
            "education",
            "religious",
            "institutional",
            "port",
            "depot",
            "garages",
            "construction",
        ]
    ),
    "building": frozenset(
        [
            "public",
            "civic",
            "government",
            "transportation",
            "train_station",
            "industrial",
            "commercial",
            "retail",
            "office",
            "warehouse",
            "hotel",
            "school",
            "hospital",
        ]
    ),
    "barrier": frozenset({"toll_booth", "border_control"}),
    "railway": frozenset({"station", "halt", "platform"}),
    "highway": frozenset({"services", "rest_area", "toll_gantry"}),
    "power": frozenset({"plant", "substation"}),
    "man_made": frozenset({"works", "wastewater_plant", "water_works"}),
}

#: Accepted range of tagged levels; other values fall back to the type default.
MAX_LEVELS = 200.0

_NUMBER = re.compile(r"\d+(?:\.\d+)?")


#: Uses that fill a whole building: a node with one of them inside an untagged
#: footprint makes it no home. Other nodes (a shop, a restaurant, a bank on the
#: ground floor of a housing block, 底商) do not; tagged on the building itself
#: or on an area around it, every non-residential use does.
WHOLE_BUILDING_USES: frozenset[str] = frozenset(
    [f"shop={v}" for v in ("mall", "department_store")]
    + [
        f"amenity={v}"
        for v in (
            "library", "police", "fuel", "school", "college", "university", "hospital",
            "townhall", "courthouse", "fire_station", "bus_station", "cinema", "theatre",
            "place_of_worship", "prison", "marketplace", "arts_centre", "exhibition_centre",
            "conference_centre", "events_venue", "car_wash",
        )
    ]
    + [f"leisure={v}" for v in ("sports_centre", "stadium", "sports_hall", "ice_rink",
                                "water_park")]
    + [f"tourism={v}" for v in ("hotel", "motel", "hostel", "museum")]
    + [f"barrier={v}" for v in ("toll_booth", "border_control")]
    + ["railway=station", "public_transport=station", "aeroway=terminal", "office=government"]
)  # fmt: skip


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


def non_residential_use(tags: Mapping[str, str]) -> str | None:
    """Return the first non-residential feature a tag set describes (``"shop=mall"``), or None.

    Shops, amenities, leisure, tourism, offices, industrial, public and
    transport features count (:data:`NON_RESIDENTIAL_KEYS`,
    :data:`NON_RESIDENTIAL_TAGS`); things found in and around housing
    (:data:`HOMELY_VALUES`: parking, benches, playgrounds, ...) do not.

    Parameters
    ----------
    tags : Mapping[str, str]
        OSM tags of a building, an area or a node.

    Returns
    -------
    str or None
        ``"key=value"`` of the first matching tag, else ``None``.
    """
    for key in NON_RESIDENTIAL_KEYS:
        value = tags.get(key)
        if not value or value == "no":
            continue
        if value in HOMELY_VALUES.get(key, frozenset()):
            continue
        return f"{key}={value}"
    for key, values in NON_RESIDENTIAL_TAGS.items():
        value = tags.get(key)
        if value in values:
            return f"{key}={value}"
    return None


def _text_column(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(None, index=frame.index, dtype=object)
    values = frame[column].astype(object)
    return values.where(values.notna() & (values.astype(str) != ""), None)


def _uses_at(buildings: gpd.GeoDataFrame, features: gpd.GeoDataFrame | None) -> pd.Series:
    """The ``use`` of a non-residential feature at each building (area over it, node in it)."""
    found = pd.Series(None, index=buildings.index, dtype=object)
    if features is None or features.empty or buildings.empty:
        return found
    features = features.to_crs(buildings.crs) if features.crs != buildings.crs else features
    footprints = gpd.GeoDataFrame(geometry=buildings.geometry.to_numpy(), crs=buildings.crs)
    footprints["row"] = np.arange(len(buildings))
    points = features[
        (features.geom_type == "Point") & features["use"].isin(WHOLE_BUILDING_USES).to_numpy()
    ]
    areas = features[features.geom_type != "Point"]
    hits: list[pd.DataFrame] = []
    if len(points):
        joined = gpd.sjoin(footprints, points[["use", "geometry"]], predicate="covers")
        hits.append(joined[["row", "use"]])
    if len(areas):
        centres = gpd.GeoDataFrame(
            {"row": footprints["row"]},
            geometry=footprints.geometry.representative_point(),
            crs=buildings.crs,
        )
        joined = gpd.sjoin(centres, areas[["use", "geometry"]], predicate="within")
        hits.append(joined[["row", "use"]])
    if hits:
        first = pd.concat(hits).drop_duplicates("row").set_index("row")["use"]
        values = found.to_numpy(copy=True)
        values[first.index.to_numpy()] = first.to_numpy()
        found = pd.Series(values, index=buildings.index, dtype=object)
    return found


def _inside(buildings: gpd.GeoDataFrame, land: gpd.GeoDataFrame | None) -> np.ndarray:
    """Whether each building's representative point lies inside (or on) ``land``."""
    if land is None or land.empty or buildings.empty:
        return np.zeros(len(buildings), dtype=bool)
    land = land.to_crs(buildings.crs) if land.crs != buildings.crs else land
    area = land.geometry.union_all()
    shapely.prepare(area)
    return np.asarray(
        shapely.covers(area, buildings.geometry.representative_point().to_numpy()), dtype=bool
    )


def estimate_households(
    buildings: gpd.GeoDataFrame,
    metric_crs: str,
    dwelling_m2: float = 90.0,
    default_levels: Mapping[str, float] = DEFAULT_LEVELS,
    *,
    residential_land: gpd.GeoDataFrame | None = None,
    non_residential: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Return a copy of ``buildings`` with a household count per building.

    The rule (register, explicit tag, footprint estimate for residential
    buildings, none) is described in the module docstring.

    Parameters
    ----------
    buildings : geopandas.GeoDataFrame
        Building footprints (Polygon/MultiPolygon) with a CRS and a
        ``building`` column (OSM ``building`` value; missing means ``"yes"``).
        Optional columns: ``register_households`` (the office's register),
        ``levels`` / ``building:levels``, ``flats`` / ``building:flats`` /
        ``addr:flats`` and ``use`` (a non-residential use tagged on the
        building itself, see :func:`non_residential_use`).
    metric_crs : str
        The area's metric CRS (e.g. from :func:`geogrid.crs.metric_crs_for`),
        used to measure footprints in m².
    dwelling_m2 : float, default 90.0
        Gross floor area of one dwelling in m² (a typical Chinese flat,
        including its share of stairs and corridors).
    default_levels : Mapping[str, float], default :data:`DEFAULT_LEVELS`
        Levels assumed per building type when ``building:levels`` is absent;
        its keys other than ``yes`` are the residential types.
    residential_land : geopandas.GeoDataFrame, optional
        ``landuse=residential`` polygons. Untagged buildings (``building=yes``)
        count as homes only inside them; without them no untagged building does.
    non_residential : geopandas.GeoDataFrame, optional
        Non-residential features (column ``use``, Point or Polygon): an untagged
        building inside such an area, or holding such a node, is not a home.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy with columns ``households`` (int), ``households_source``
        (``"register"``, ``"tag"``, ``"estimate"`` or ``"none"``), ``use``
        (the non-residential feature found, or None), ``levels`` (float,
        levels used: tagged or default, NaN for non-residential buildings
        without a tag) and ``footprint_m2`` (float).

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
    untagged = (kinds == "yes").to_numpy()
    own_type = kinds.isin(set(default_levels) - {"yes"}).to_numpy()
    use = _text_column(result, "use")
    use = use.where(use.notna(), _uses_at(result, non_residential))
    residential = own_type | (untagged & _inside(result, residential_land) & use.isna().to_numpy())

    tagged_levels = _first_number(result, ("levels", "building:levels")).to_numpy()
    tagged_levels = np.where(
        (tagged_levels > 0) & (tagged_levels <= MAX_LEVELS), tagged_levels, np.nan
    )
    type_levels = kinds.map(default_levels).astype(float).to_numpy()
    levels = np.where(np.isnan(tagged_levels), type_levels, tagged_levels)
    levels = np.where(residential | ~np.isnan(tagged_levels), levels, np.nan)

    register = _first_number(result, ("register_households",)).to_numpy()
    has_register = ~np.isnan(register)
    flats = _first_number(result, ("flats", "building:flats", "addr:flats")).to_numpy()
    has_tag = ~np.isnan(flats)

    share = np.where(untagged, YES_SHARE, 1.0)
    with np.errstate(invalid="ignore"):
        estimate = np.rint(footprint_m2 * np.nan_to_num(levels) / dwelling_m2 * share)
    minimum = np.where(untagged, 0.0, 1.0)
    estimate = np.maximum(estimate, minimum)

    households = np.select(
        [has_register, has_tag, residential],
        [np.rint(np.nan_to_num(register)), np.rint(np.nan_to_num(flats)), estimate],
        0.0,
    )
    source = np.select(
        [has_register, has_tag, residential], ["register", "tag", "estimate"], "none"
    )
    result["households"] = households.astype(np.int64)
    result["households_source"] = source
    result["use"] = pd.Series(  # text or None, never NaN (pandas 3 infers str otherwise)
        [u if isinstance(u, str) else None for u in use], index=result.index, dtype=object
    )
    result["levels"] = levels
    result["footprint_m2"] = footprint_m2
    return result


# --------------------------------------------------------------------------- coverage

#: Plausible households per km² of residential land in China: from low-rise
#: village housing (floor-area ratio about 0.5, 150 m² homes: about 3,000) to
#: high-rise 小区 (floor-area ratio 3-4, 90 m² flats: about 40,000).
RESIDENTIAL_DENSITY_RANGE: tuple[float, float] = (3_000.0, 40_000.0)
#: Plausible households per km² of a whole urban area (街道 / district core,
#: roads, parks and campuses included): about 1,000 to 20,000.
AREA_DENSITY_RANGE: tuple[float, float] = (1_000.0, 20_000.0)
#: Residential land holding no building at all above this share makes the estimate thin.
MAX_EMPTY_LAND_SHARE = 0.5
#: What to run to replace the estimate with the office's register.
REGISTER_HINT = (
    "import the office's household register with `geogrid households import` "
    "(households_source=register wins over tags and the estimate)"
)


@dataclass(frozen=True)
class HouseholdCoverage:
    """How far an area's household counts can be trusted (see :func:`household_coverage`).

    Attributes
    ----------
    area_km2 : float
        Area of the boundary.
    households : int
        Households over all buildings.
    by_source : dict of str to int
        Households per ``households_source``.
    residential_land_ha, residential_land_polygons : float, int
        ``landuse=residential`` inside the boundary.
    empty_land_ha, empty_land_polygons : float, int
        The part of it with no building footprint at all.
    households_per_km2 : float
        Households per km² of the whole area.
    households_per_residential_km2 : float or None
        Households per km² of residential land (None without residential land).
    warnings : tuple of str
        One sentence per problem, the fix included.
    thin : bool
        True when the counts are too thin to draw household-balanced grids on.
    """

    area_km2: float
    households: int
    by_source: dict[str, int]
    residential_land_ha: float
    residential_land_polygons: int
    empty_land_ha: float
    empty_land_polygons: int
    households_per_km2: float
    households_per_residential_km2: float | None
    warnings: tuple[str, ...] = ()
    thin: bool = False

    def summary(self) -> dict[str, object]:
        """The figures as a JSON-ready dict (for ``area.json``)."""
        return {
            "area_km2": round(self.area_km2, 3),
            "households": self.households,
            "by_source": dict(self.by_source),
            "residential_land_ha": round(self.residential_land_ha, 2),
            "residential_land_polygons": self.residential_land_polygons,
            "empty_land_ha": round(self.empty_land_ha, 2),
            "empty_land_polygons": self.empty_land_polygons,
            "households_per_km2": round(self.households_per_km2, 1),
            "households_per_residential_km2": None
            if self.households_per_residential_km2 is None
            else round(self.households_per_residential_km2, 1),
            "thin": self.thin,
            "warnings": list(self.warnings),
        }

    def lines(self) -> list[str]:
        """The figures in words, one line each (the CLI prints them)."""
        sources = ", ".join(f"{k} {v}" for k, v in self.by_source.items() if v) or "none"
        out = [
            f"households: {self.households} ({sources})",
            f"households per km²: {self.households_per_km2:,.0f} of the area "
            f"(plausible {AREA_DENSITY_RANGE[0]:,.0f}-{AREA_DENSITY_RANGE[1]:,.0f})",
        ]
        if self.households_per_residential_km2 is not None:
            low, high = RESIDENTIAL_DENSITY_RANGE
            out.append(
                f"households per km² of residential land: "
                f"{self.households_per_residential_km2:,.0f} (plausible {low:,.0f}-{high:,.0f})"
            )
        out.append(
            f"residential land: {self.residential_land_ha:,.1f} ha in "
            f"{self.residential_land_polygons} polygon(s); without buildings: "
            f"{self.empty_land_ha:,.1f} ha in {self.empty_land_polygons} polygon(s)"
        )
        return out


def household_coverage(
    buildings: gpd.GeoDataFrame,
    residential_land: gpd.GeoDataFrame | None,
    boundary: BaseGeometry,
    metric_crs: str,
) -> HouseholdCoverage:
    """Measure how complete the household counts of an area are.

    Parameters
    ----------
    buildings : geopandas.GeoDataFrame
        Buildings with ``households`` (and ``households_source``), as
        :func:`estimate_households` returns them.
    residential_land : geopandas.GeoDataFrame or None
        ``landuse=residential`` polygons of the area.
    boundary : shapely geometry
        The area outline in EPSG:4326.
    metric_crs : str
        The area's metric CRS.

    Returns
    -------
    HouseholdCoverage
        Figures and warnings; ``thin`` when no households were found, when
        households per km² fall below the plausible ranges, or when most
        residential land holds no building.
    """
    outline = gpd.GeoSeries([boundary], crs=WGS84).to_crs(metric_crs)
    area_km2 = float(outline.area.iloc[0]) / 1e6
    households = int(buildings["households"].sum()) if len(buildings) else 0
    by_source = dict.fromkeys(HOUSEHOLD_SOURCES, 0)
    if len(buildings) and "households_source" in buildings.columns:
        sums = buildings.groupby(buildings["households_source"].fillna("none"))["households"].sum()
        by_source.update({str(k): int(v) for k, v in sums.items()})

    land_ha = empty_ha = 0.0
    land_count = empty_count = 0
    if residential_land is not None and len(residential_land):
        land = to_metric(residential_land, metric_crs, "residential land")
        land = land[~land.geometry.is_empty]
        land = gpd.GeoDataFrame(
            geometry=land.geometry.intersection(outline.iloc[0]), crs=metric_crs
        )
        land = land[land.geometry.area > 0]
        land_count = len(land)
        land_ha = float(land.geometry.union_all().area) / 1e4 if land_count else 0.0
        if land_count:
            footprints = (
                to_metric(buildings, metric_crs, "buildings").geometry
                if len(buildings)
                else gpd.GeoSeries([], crs=metric_crs)
            )
            tree = shapely.STRtree(footprints.to_numpy())
            hits = tree.query(land.geometry.to_numpy(), predicate="intersects")
            built = np.zeros(land_count, dtype=bool)
            built[np.unique(hits[0])] = True
            empty = land[~built]
            empty_count = len(empty)
            empty_ha = float(empty.geometry.area.sum()) / 1e4

    per_km2 = households / area_km2 if area_km2 > 0 else 0.0
    per_land = households / (land_ha / 100) if land_ha > 0 else None
    warnings: list[str] = []
    if households == 0:
        warnings.append(
            "no households at all: no building is residential by its tags, tagged with "
            "a count or inside landuse=residential"
        )
    elif per_km2 < AREA_DENSITY_RANGE[0]:
        warnings.append(
            f"{per_km2:,.0f} households per km² is below the plausible "
            f"{AREA_DENSITY_RANGE[0]:,.0f} for an urban area: buildings or residential land "
            "are missing from the map"
        )
    if per_land is not None and 0 < per_land < RESIDENTIAL_DENSITY_RANGE[0]:
        warnings.append(
            f"{per_land:,.0f} households per km² of residential land is below the plausible "
            f"{RESIDENTIAL_DENSITY_RANGE[0]:,.0f}"
        )
    if per_land is not None and per_land > RESIDENTIAL_DENSITY_RANGE[1]:
        warnings.append(
            f"{per_land:,.0f} households per km² of residential land is above the plausible "
            f"{RESIDENTIAL_DENSITY_RANGE[1]:,.0f}: check tagged counts and building:levels"
        )
    empty_share = empty_ha / land_ha if land_ha > 0 else 0.0
    if empty_share > MAX_EMPTY_LAND_SHARE:
        warnings.append(
            f"{100 * empty_share:.0f}% of the residential land ({empty_ha:,.1f} ha in "
            f"{empty_count} polygon(s)) has no building drawn on the map"
        )
    if land_count == 0:
        warnings.append(
            "no landuse=residential in the data: untagged buildings (building=yes) are not "
            "counted as homes"
        )
    thin = households == 0 or per_km2 < AREA_DENSITY_RANGE[0] or empty_share > MAX_EMPTY_LAND_SHARE
    if thin:
        warnings.append(
            "the household estimate is too thin to draw household-balanced grids on; "
            + REGISTER_HINT
        )
    return HouseholdCoverage(
        area_km2=area_km2,
        households=households,
        by_source=by_source,
        residential_land_ha=land_ha,
        residential_land_polygons=land_count,
        empty_land_ha=empty_ha,
        empty_land_polygons=empty_count,
        households_per_km2=per_km2,
        households_per_residential_km2=per_land,
        warnings=tuple(warnings),
        thin=thin,
    )
