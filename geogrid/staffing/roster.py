"""The staff roster (:class:`Roster`): who can serve, in which role, from where.

Rows come as text fields (:func:`geogrid.registers.mapped_fields`: name, role,
phone, community, capacity, current_grid, id) with their home point when the
file gives coordinates (already in WGS-84, points outside the area already set
aside by :func:`geogrid.registers.points_from_table`). :func:`roster_from_fields`
checks every row and keeps the good ones; each bad row is a reject with its
row number and reason:

* ``missing_name``: the name is empty;
* ``unknown_role``: the role is none of :data:`ROLE_NAMES` (Chinese or English);
* ``duplicate_person``: the same id, or the same name and phone, as an earlier row;
* ``missing_phone``: a full-time grid worker without a phone number;
* ``bad_value``: capacity is not a whole number >= 1;
* ``unknown_community``: the community names no community of the area;
* ``no_home``: neither home coordinates nor a community (no way to place the person).

A person with coordinates and no community gets the community holding his home.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geogrid.registers import Rejects, reject_rows

#: The roles of 1+3+N, in the order of a grid's notice board.
ROLES = ("worker", "police", "cadre", "property", "volunteer")
#: Role names as they appear on a notice board.
ROLE_ZH = {
    "worker": "专职网格员",
    "police": "社区民警",
    "cadre": "社区干部",
    "property": "物业管理员",
    "volunteer": "志愿者",
}
#: Every accepted spelling of a role (lower case, spaces removed) -> role.
ROLE_NAMES: dict[str, str] = {
    "worker": "worker",
    "gridworker": "worker",
    "full-timegridworker": "worker",
    "fulltimegridworker": "worker",
    "full-timeworker": "worker",
    "网格员": "worker",
    "专职网格员": "worker",
    "专职": "worker",
    "police": "police",
    "policeofficer": "police",
    "communitypolice": "police",
    "officer": "police",
    "民警": "police",
    "社区民警": "police",
    "片警": "police",
    "cadre": "cadre",
    "communitycadre": "cadre",
    "社区干部": "cadre",
    "干部": "cadre",
    "社区工作者": "cadre",
    "居委会": "cadre",
    "property": "property",
    "propertymanager": "property",
    "property_manager": "property",
    "物业": "property",
    "物业管理员": "property",
    "物业人员": "property",
    "物业经理": "property",
    "volunteer": "volunteer",
    "志愿者": "volunteer",
    "兼职网格员": "volunteer",
    "楼栋长": "volunteer",
}
ROSTER_REASONS: dict[str, str] = {
    "missing_name": "the name is empty",
    "unknown_role": "the role is not one of 1+3+N",
    "duplicate_person": "the same person is listed again",
    "missing_phone": "a full-time grid worker needs a phone number",
    "bad_value": "capacity is not a whole number >= 1",
    "unknown_community": "the community is not one of the area's",
    "no_home": "no home coordinates and no community",
}
_SEP = re.compile(r"[;,；，、\s]+")


@dataclass(frozen=True)
class Person:
    """One member of the staff; ``lon``/``lat`` None when only the community is known."""

    id: str
    name: str
    role: str
    phone: str | None
    lon: float | None
    lat: float | None
    community: str | None
    capacity: int
    current_grids: tuple[str, ...] = ()
    row: int | None = None
    synthetic: bool = False

    @property
    def has_home(self) -> bool:
        return self.lon is not None and self.lat is not None


@dataclass(frozen=True)
class Roster:
    """The people kept and the rows set aside (row, id, reason, detail)."""

    people: tuple[Person, ...]
    rejects: Rejects
    synthetic: bool = False

    def by_role(self, role: str) -> list[Person]:
        return [p for p in self.people if p.role == role]

    def person(self, person_id: str) -> Person:
        for p in self.people:
            if p.id == person_id:
                return p
        raise KeyError(person_id)

    def records(self) -> list[dict[str, object]]:
        """The people as plain records (what the area keeps)."""
        return [
            {
                "id": p.id,
                "name": p.name,
                "role": p.role,
                "phone": p.phone,
                "lon": p.lon,
                "lat": p.lat,
                "community": p.community,
                "capacity": p.capacity,
                "current_grids": list(p.current_grids),
                "row": p.row,
                "synthetic": p.synthetic,
            }
            for p in self.people
        ]

    @classmethod
    def from_records(cls, records: list[Mapping[str, object]], synthetic: bool = False) -> Roster:
        people = tuple(
            Person(
                id=str(r["id"]),
                name=str(r["name"]),
                role=str(r["role"]),
                phone=None if r.get("phone") is None else str(r["phone"]),
                lon=None if r.get("lon") is None else float(r["lon"]),  # type: ignore[arg-type]
                lat=None if r.get("lat") is None else float(r["lat"]),  # type: ignore[arg-type]
                community=None if r.get("community") is None else str(r["community"]),
                capacity=int(r["capacity"]),  # type: ignore[call-overload]
                current_grids=tuple(str(c) for c in r.get("current_grids") or ()),  # type: ignore[attr-defined]
                row=None if r.get("row") is None else int(r["row"]),  # type: ignore[call-overload]
                synthetic=bool(r.get("synthetic", False)),
            )
            for r in records
        )
        return cls(people, Rejects.empty(), synthetic)


def parse_role(text: object) -> str | None:
    """The role a spelling names (``专职网格员``, ``Police officer`` ...), None if none."""
    if _blank(text):
        return None
    key = re.sub(r"[\s()（）]", "", str(text)).lower()
    return ROLE_NAMES.get(key) or ROLE_NAMES.get(key.replace("-", ""))


def _blank(value: object) -> bool:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return True
    return not str(value).strip()


def roster_from_fields(
    fields: pd.DataFrame,
    homes: gpd.GeoSeries | None,
    *,
    communities: gpd.GeoDataFrame | None = None,
    default_community: str | None = None,
    capacities: Mapping[str, int] | None = None,
    rejects: Rejects | None = None,
    id_prefix: str = "staff",
) -> Roster:
    """Check roster rows and keep the good ones.

    Parameters
    ----------
    fields
        Text columns ``name``, ``role`` and optionally ``id``, ``phone``,
        ``community`` (code or name), ``capacity``, ``current_grid`` (codes,
        ``;``/``、`` separated); index = the row number the file shows.
    homes
        Home points (EPSG:4326) indexed by row, for the rows that have them.
    communities
        The area's communities (``code``, ``name``, geometry) or None (then
        every person belongs to ``default_community``).
    capacities
        Capacity by role when the row gives none (:class:`StaffingRules`).
    rejects
        Rows already set aside (coordinates): they are skipped.
    """
    from geogrid.staffing.rules import DEFAULT_CAPACITY

    capacities = dict(capacities or DEFAULT_CAPACITY)
    rejects = rejects or Rejects.empty()
    skip = set(rejects.table["row"].tolist())
    codes: dict[str, str] = {}
    comm_geoms: list[tuple[str, shapely.Geometry]] = []
    if communities is not None and len(communities):
        for code, name, geom in zip(
            communities["code"].astype(str),
            communities.get("name", communities["code"]),
            communities.geometry,
            strict=True,
        ):
            codes[code] = code
            if not _blank(name):
                codes[str(name).strip()] = code
            comm_geoms.append((code, geom))
    bad: list[tuple[object, str, str, str]] = []
    people: list[Person] = []
    seen_ids: dict[str, object] = {}
    seen_people: dict[tuple[str, str], object] = {}

    def text(row: pd.Series, key: str) -> str | None:
        value = row.get(key) if key in row.index else None
        return None if _blank(value) else str(value).strip()

    for rownum, row in fields.iterrows():
        if rownum in skip:
            continue
        name = text(row, "name")
        pid = text(row, "id") or name or f"{id_prefix}-{rownum}"
        if name is None:
            bad.append((rownum, pid, "missing_name", "give the person's name"))
            continue
        raw_role = text(row, "role")
        role = parse_role(raw_role)
        if role is None:
            bad.append(
                (
                    rownum,
                    pid,
                    "unknown_role",
                    f"role {raw_role!r} is none of 专职网格员/worker, 社区民警/police, "
                    "社区干部/cadre, 物业/property, 志愿者/volunteer",
                )
            )
            continue
        phone = text(row, "phone")
        if phone is not None:
            phone = re.sub(r"[\s-]", "", phone)
        key = (name, phone or "")
        if pid in seen_ids or key in seen_people:
            first = seen_ids.get(pid, seen_people.get(key))
            bad.append(
                (
                    rownum,
                    pid,
                    "duplicate_person",
                    f"{name} is already listed in row {first}; keep one row per person",
                )
            )
            continue
        if role == "worker" and phone is None:
            bad.append(
                (
                    rownum,
                    pid,
                    "missing_phone",
                    f"{name} is a full-time grid worker: give a phone number residents can call",
                )
            )
            continue
        cap_text = text(row, "capacity")
        capacity = capacities.get(role, 1)
        if cap_text is not None:
            try:
                value = float(cap_text)
            except ValueError:
                value = -1.0
            if value < 1 or value != int(value):
                bad.append(
                    (
                        rownum,
                        pid,
                        "bad_value",
                        f"capacity {cap_text!r}: give how many grids {name} can serve (1, 2 ...)",
                    )
                )
                continue
            capacity = int(value)
        lon = lat = None
        if homes is not None and rownum in homes.index:
            point = homes.loc[rownum]
            lon, lat = float(point.x), float(point.y)
        community_text = text(row, "community")
        community = None
        if community_text is not None:
            community = codes.get(community_text) if codes else community_text
            if community is None:
                bad.append(
                    (
                        rownum,
                        pid,
                        "unknown_community",
                        f"community {community_text!r} is not one of the area's "
                        f"({', '.join(sorted(set(codes.values()))[:8])}); give its code or name",
                    )
                )
                continue
        elif lon is not None and lat is not None:
            point = shapely.Point(lon, lat)
            community = next((c for c, g in comm_geoms if g.intersects(point)), None)
            if community is None and comm_geoms:
                community = min(comm_geoms, key=lambda cg: cg[1].distance(point))[0]
        if community is None and not comm_geoms:
            community = default_community
        if community is None and lon is None:
            bad.append(
                (rownum, pid, "no_home", f"{name}: give home coordinates or the community (社区)")
            )
            continue
        current = text(row, "current_grid")
        grids = tuple(c for c in _SEP.split(current) if c) if current else ()
        seen_ids[pid] = rownum
        seen_people[key] = rownum
        people.append(
            Person(
                pid,
                name,
                role,
                phone,
                lon,
                lat,
                community,
                capacity,
                grids,
                int(rownum) if isinstance(rownum, int | np.integer) else None,
            )
        )
    if bad:
        rows, ids, reasons, details = zip(*bad, strict=True)
        more = reject_rows(list(rows), "", list(details), list(ids))
        more.table["reason"] = list(reasons)
        rejects = rejects.plus(more)
    return Roster(tuple(people), rejects)
