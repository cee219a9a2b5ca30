"""The public page's look-ups: place-name search and the grids' public notices.

Both are built once per area version (kept in the area cache by ``webmap/views/api.py``)
from what the public may see anyway:

- the search index holds the names of the key places (the places layers' public
  ``name``), the street names and the public places of the released table (grid names
  and codes), each with a point and the released place (grid or cell) containing it,
  so that ``/api/search`` answers "which grid is 海淀实验小学 in";
- a grid's notice is its code and name, and its worker's name and phone only when the
  planner set ``publish_contact`` true on that grid (absent or anything else: never).

No incident, count or personal field goes in either.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from werkzeug.datastructures import MultiDict

from geogrid.crs import WGS84
from geogrid.io.workspace import Area
from geogrid.release import ReleasedTable
from webmap.schemas import SchemaError

#: most results one search answers, and the default
MAX_RESULTS = 20
DEFAULT_RESULTS = 8
#: longest query, in characters
MAX_QUERY = 50
#: result kinds, in the order they are listed for an equally good match
KINDS = ("grid", "place", "street")


@dataclass(frozen=True)
class SearchEntry:
    """One searchable name: what it is, where (WGS-84), and the released place it is in."""

    name: str
    kind: str
    layer: str | None
    lon: float
    lat: float
    place: str | None
    #: normalised texts the query is matched against (name, and a grid's code)
    keys: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "layer": self.layer,
            "lon": self.lon,
            "lat": self.lat,
            "place": self.place,
        }


class SearchArgs(BaseModel):
    """Query of ``GET /api/search``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    q: str = Field(
        min_length=1,
        max_length=MAX_QUERY,
        pattern=r"^[^\x00-\x1f\x7f]+$",
        description=f"part of a name (Chinese or Latin, any case), 1 to {MAX_QUERY} "
        "characters, no control characters",
    )
    limit: int = Field(
        DEFAULT_RESULTS,
        ge=1,
        le=MAX_RESULTS,
        description=f"most results, 1 to {MAX_RESULTS} (default {DEFAULT_RESULTS})",
    )


def parse_search_args(args: MultiDict[str, str]) -> SearchArgs:
    """The checked query of ``/api/search``; a 400 (:class:`webmap.schemas.SchemaError`)
    naming every wrong parameter."""
    problems = [
        {"field": key, "problem": "give it once"} for key in args if len(args.getlist(key)) > 1
    ]
    raw: dict[str, Any] = {key: args.get(key) for key in args}
    if isinstance(raw.get("q"), str):
        raw["q"] = raw["q"].strip()
    if "limit" in raw:  # query text -> whole number (ASCII digits only)
        text = str(raw.pop("limit")).strip()
        if text.isascii() and text.isdigit():
            raw["limit"] = int(text)
        else:
            problems.append(
                {"field": "limit", "problem": f"a whole number from 1 to {MAX_RESULTS}"}
            )
    try:
        parsed = SearchArgs.model_validate(raw)
    except ValidationError as err:
        for error in err.errors(include_url=False, include_input=False, include_context=False):
            field = ".".join(str(p) for p in error["loc"]) or "query"
            problem = {
                "extra_forbidden": "unknown parameter (use q and limit)",
                "missing": "required (the text to search for)",
                "string_pattern_mismatch": "plain text without control characters",
            }.get(error["type"], error["msg"])
            if not any(p["field"] == field for p in problems):
                problems.append({"field": field, "problem": problem})
    if problems:
        raise SchemaError(problems)
    return parsed


def normalise(text: str) -> str:
    """Text as searched: NFKC (full-width Latin and digits become ASCII), case folded,
    runs of white space as one space."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _wgs84(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return frame.to_crs(WGS84) if frame.crs is not None and frame.crs != WGS84 else frame


def _text(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value).strip()


def _containing(points: np.ndarray, table: ReleasedTable) -> list[str | None]:
    """The released place each point lies in (first one on a shared edge), or None."""
    out: list[str | None] = [None] * len(points)
    if not len(points) or not len(table.places):
        return out
    ids = table.place_ids
    tree = shapely.STRtree(_wgs84(table.places).geometry.values)
    found, hits = tree.query(points, predicate="intersects")
    for k, hit in zip(found, hits, strict=True):
        if out[k] is None:
            out[k] = ids[hit]
    return out


def _street_points(edges: gpd.GeoDataFrame) -> tuple[list[str], list[shapely.Point]]:
    """One point per street name: the middle of its longest merged stretch."""
    names: list[str] = []
    points: list[shapely.Point] = []
    if "name" not in edges.columns or not len(edges):
        return names, points
    edges = _wgs84(edges)
    labels = edges["name"].map(_text)
    for name, lines in edges.geometry.groupby(labels.to_numpy(), sort=True):
        if not name:
            continue
        merged = shapely.line_merge(shapely.union_all(lines.to_numpy()))
        parts = list(getattr(merged, "geoms", [merged]))
        longest = max(parts, key=lambda g: g.length)
        names.append(str(name))
        points.append(shapely.line_interpolate_point(longest, 0.5, normalized=True))
    return names, points


def build_search_index(area: Area, table: ReleasedTable) -> list[SearchEntry]:
    """Every searchable name of the area (see the module docstring)."""
    # name, kind, layer, point, match keys, the released place when it is one itself
    rows: list[tuple[str, str, str | None, shapely.Point, tuple[str, ...], str | None]] = []
    if len(table.places):
        centres = shapely.point_on_surface(_wgs84(table.places).geometry.values)
        for place, name, centre in zip(
            table.place_ids, table.places["place_name"], centres, strict=True
        ):
            if table.kind == "grid":
                label = _text(name) or place
                rows.append(
                    (label, "grid", None, centre, (normalise(label), normalise(place)), place)
                )
    for layer, places in sorted(area.layers.items()):
        if places is None or not len(places) or "name" not in places.columns:
            continue
        places = _wgs84(places)
        centres = shapely.point_on_surface(places.geometry.values)
        for name, centre in zip(places["name"].map(_text), centres, strict=True):
            if name and centre is not None and not centre.is_empty:
                rows.append((name, "place", layer, centre, (normalise(name),), None))
    if area.edges is not None:
        for name, point in zip(*_street_points(area.edges), strict=True):
            rows.append((name, "street", None, point, (normalise(name),), None))
    points = np.array([row[3] for row in rows], dtype=object)
    inside = _containing(points, table)
    entries = []
    for (name, kind, layer, point, keys, own), place in zip(rows, inside, strict=True):
        entries.append(
            SearchEntry(
                name=name,
                kind=kind,
                layer=layer,
                lon=round(float(point.x), 6),
                lat=round(float(point.y), 6),
                place=own or place,
                keys=keys,
            )
        )
    return entries


def search_index(
    index: list[SearchEntry], query: str, limit: int = DEFAULT_RESULTS
) -> tuple[list[SearchEntry], bool]:
    """Entries whose name (or grid code) contains ``query`` (normalised), best first: whole
    name, then start of the name, then anywhere; grids, places, streets; shorter names first.
    Returns at most ``limit`` entries and whether more matched."""
    wanted = normalise(query)
    scored = []
    for entry in index:
        ranks = [
            0 if key == wanted else 1 if key.startswith(wanted) else 2
            for key in entry.keys
            if wanted in key
        ]
        if ranks:
            scored.append((min(ranks), KINDS.index(entry.kind), len(entry.name), entry.name, entry))
    scored.sort(key=lambda s: s[:4])
    return [s[4] for s in scored[:limit]], len(scored) > limit


def grid_notices(area: Area, table: ReleasedTable) -> list[dict[str, Any]]:
    """Each grid's public notice, in the order of the released table: ``place``, ``code``,
    ``name``; ``worker`` and ``worker_phone`` only where ``publish_contact`` is exactly
    true on that grid (and the value is not empty)."""
    if table.kind != "grid" or len(area.grids) != len(table.places):
        return []
    grids = area.grids
    notices = []
    for k, place in enumerate(table.place_ids):
        row = grids.iloc[k]
        notice: dict[str, Any] = {
            "place": place,
            "code": _text(row.get("code")) or place,
            "name": _text(table.places["place_name"].iloc[k]) or place,
        }
        if row.get("publish_contact") is True or row.get("publish_contact") is np.True_:
            for field in ("worker", "worker_phone"):
                value = _text(row.get(field))
                if value:
                    notice[field] = value
        notices.append(notice)
    return notices
