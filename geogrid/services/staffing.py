"""1+3+N staffing of an area: import the roster, assign, check, tables, notice boards, diff.

``geogrid staff`` calls these. A roster file (CSV/Excel through
:mod:`geogrid.io.sheets`) and its mapping TOML (kind ``staff``) ->
:func:`geogrid.staffing.roster_from_fields` (good rows kept, a rejects report
with row and reason) -> ``staff/roster.json``. ``assign`` reads the roster,
the grids and the district's rules (``staffing.toml`` or ``--rules``),
measures home -> grid (straight, or along the streets with
:func:`geogrid.network.travel_time_matrix`), solves, checks the result with
:func:`geogrid.staffing.check_staffing` and writes the staffing (the previous
one kept in history), its table as CSV and Excel and the notice boards.
Every saved staffing is a numbered version with author and message
(:func:`staffing_versions`); planners edit it by hand one post at a time
(:func:`edit_staffing`: judged by the same checker, refused with the rules it
breaks, saved only on the version it was made from) and read it whole
(:func:`staffing_overview`: posts, gaps, overloaded people, broken rules).
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Hashable
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geogrid import registers as R
from geogrid import staffing as S
from geogrid.errors import ConflictError, InputError
from geogrid.io import staffing as store
from geogrid.io.atomic import write_bytes_atomic
from geogrid.io.incidents import write_rejects
from geogrid.io.mappings import read_import_mapping
from geogrid.io.sheets import SheetOptions, read_sheet
from geogrid.io.workspace import Area, Workspace
from geogrid.network import StreetNetwork, travel_time_matrix
from geogrid.printing.notice import render_notice_boards
from geogrid.staffing.assign import grid_centres, home_points
from geogrid.staffing.edits import apply_staffing_edit, open_posts, overloaded_people
from geogrid.store.base import AreaRef, StoredArea, folder_path
from geogrid.synthetic import generate_roster


@dataclass
class RosterImport:
    """What ``geogrid staff import`` did."""

    source: str
    rows: int
    roster: S.Roster
    rejects_path: Path | None
    written: Path

    def lines(self) -> list[str]:
        out = [
            f"{self.source}: {self.rows} rows, {len(self.roster.people)} people kept, "
            f"{len(self.roster.rejects)} rejected"
        ]
        counts = pd.Series([p.role for p in self.roster.people]).value_counts()
        out += [f"  {role} ({S.ROLE_ZH[role]}): {int(counts.get(role, 0))}" for role in S.ROLES]
        for row in self.roster.rejects.table.itertuples(index=False):
            out.append(f"  row {row.row}: {row.reason}: {row.detail}")
        if self.rejects_path is not None and len(self.roster.rejects):
            out.append(f"rejects report (row and reason): {self.rejects_path}")
        out.append(f"wrote {self.written}")
        return out


def _outline(area: Area) -> shapely.Geometry:
    return shapely.union_all(area.boundary.geometry.to_numpy())


def _default_community(area: Area) -> str | None:
    if area.communities is not None and len(area.communities):
        return None
    codes = (
        area.grids["parent_code"].dropna().astype(str).unique()
        if "parent_code" in area.grids
        else []
    )
    return str(codes[0]) if len(codes) else None


# --------------------------------------------------------------------------- where it lives

#: the staffing documents of an area, by their path in its folder
ROSTER_NAME = "staff/roster.json"
STAFFING_NAME = "staff/staffing.json"
HISTORY_NAME = "staff/history"
RULES_NAME = "staffing.toml"
NOTICES_NAME = "staff/notice_boards.pdf"


@dataclass(frozen=True)
class StaffPlace:
    """Where an area's staffing lives: its folder (the files of :mod:`geogrid.io.staffing`,
    unchanged) or, for an area in a database, the store's documents of the area
    (``Store.read_area_file`` / ``update_area_file``, under the same names; the CSV, Excel
    and notice boards are then made when downloaded, not kept)."""

    ws: Workspace | None
    stored: StoredArea | None = None

    @classmethod
    def of(cls, where: AreaRef) -> StaffPlace:
        if isinstance(where, StoredArea) and folder_path(where) is None:
            return cls(None, where)
        if isinstance(where, StoredArea):
            found = folder_path(where)
            assert found is not None
            return cls(Workspace(found))
        return cls(Workspace(where))

    def label(self, name: str) -> str:
        """How a message names the document ``name`` (its file, or the area and the name)."""
        if self.ws is not None:
            return str(self.ws.path / name)
        assert self.stored is not None
        return f"area {self.stored.name} (database): {name}"

    def read_area(self, *, with_network: bool) -> Area:
        if self.ws is not None:
            return self.ws.read(with_network=with_network)
        assert self.stored is not None
        return self.stored.store.read_area(self.stored.name, with_network=with_network)

    def _doc(self, name: str) -> bytes | None:
        assert self.stored is not None
        return self.stored.store.read_area_file(self.stored.name, name)

    def has_roster(self) -> bool:
        if self.ws is not None:
            return self.ws.roster_path.exists()
        return self._doc(ROSTER_NAME) is not None

    def roster(self) -> S.Roster:
        if self.ws is not None:
            return store.read_roster(self.ws.roster_path)
        data = self._doc(ROSTER_NAME)
        if data is None:
            raise InputError(
                f"{self.label(ROSTER_NAME)}: no staff roster yet; import one first (geogrid "
                "staff import AREA ROSTER --mapping M.toml, or geogrid staff synthetic AREA)"
            )
        record = _decode(data, store.ROSTER_SCHEMA, "staff import", self.label(ROSTER_NAME))
        return S.Roster.from_records(
            list(record["people"]), synthetic=bool(record.get("synthetic"))
        )

    def staffing(self) -> dict[str, Any] | None:
        if self.ws is not None:
            return store.read_staffing(self.ws.staffing_path)
        data = self._doc(STAFFING_NAME)
        if data is None:
            return None
        return _decode(data, store.STAFFING_SCHEMA, "staff assign", self.label(STAFFING_NAME))

    def earlier(self, limit: int = 50) -> list[dict[str, Any]]:
        """The last ``limit`` staffings before the current one, newest first."""
        if self.ws is not None:
            return store.earlier_staffings(self.ws.staffing_history_dir, limit)
        assert self.stored is not None
        names = self.stored.store.area_file_names(self.stored.name, HISTORY_NAME)
        names = names[-limit:] if limit > 0 else []
        return [
            _decode(self._doc(n) or b"", store.STAFFING_SCHEMA, "staff assign", self.label(n))
            for n in reversed(names)
        ]

    def previous(self) -> dict[str, Any] | None:
        """The staffing before the current one, or None."""
        if self.ws is not None:
            return store.previous_staffing(self.ws.staffing_history_dir)
        found = self.earlier(1)
        return found[0] if found else None

    def rules_text(self) -> tuple[str, bytes] | None:
        """The area's own rules file (name, bytes), or None."""
        if self.ws is not None:
            path = self.ws.staffing_rules_path
            return (path.name, path.read_bytes()) if path.exists() else None
        data = self._doc(RULES_NAME)
        return None if data is None else (RULES_NAME, data)

    def save_roster(self, roster: S.Roster, source: str) -> Path:
        """Keep ``roster`` as ``staff/roster.json`` (the folder's file under its lock, or the
        area's document); the file written, or the document's name."""
        if self.ws is not None:
            with self.ws.lock():
                return store.write_roster(self.ws.roster_path, roster, source)
        assert self.stored is not None
        data = {
            "schema": store.ROSTER_SCHEMA,
            "source": source,
            "synthetic": roster.synthetic,
            "written": datetime.now(UTC).isoformat(timespec="seconds"),
            "people": roster.records(),
        }
        text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        self.stored.store.update_area_file(
            self.stored.name, ROSTER_NAME, lambda _old: text.encode("utf-8")
        )
        return Path(ROSTER_NAME)

    def save_staffing(self, record: dict[str, Any], expected_version: int | None) -> None:
        """For an area in a database: save ``record`` as the next staffing version when the
        current one is still ``expected_version`` (ConflictError otherwise, nothing saved);
        the one it replaces goes to the history."""
        assert self.stored is not None
        where = self.stored

        def change(old: bytes | None) -> bytes:
            now = (
                None
                if old is None
                else _decode(old, store.STAFFING_SCHEMA, "staff assign", self.label(STAFFING_NAME))
            )
            if expected_version is not None and staffing_version(now) != expected_version:
                raise ConflictError(stale_staffing_message(where, expected_version))
            record["version"] = staffing_version(now) + 1
            data = {
                "schema": store.STAFFING_SCHEMA,
                "written": datetime.now(UTC).isoformat(timespec="seconds"),
                **record,
            }
            return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")

        old, _new = where.store.update_area_file(where.name, STAFFING_NAME, change)
        if old is not None:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
            where.store.update_area_file(
                where.name, f"{HISTORY_NAME}/staffing-{stamp}.json", lambda _: old
            )


def _decode(data: bytes, schema: str, what: str, label: str) -> dict[str, Any]:
    """A staffing document from its bytes, checked as :mod:`geogrid.io.staffing` checks a
    file."""
    try:
        record = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(f"{label}: malformed JSON: {err}; run the {what} again") from err
    if not isinstance(record, dict) or record.get("schema") != schema:
        raise InputError(f"{label}: not a geogrid {what} document ({schema}); run the {what} again")
    return dict(record)


def load_rules(area_dir: AreaRef, rules_path: Path | str | None = None) -> S.StaffingRules:
    """The district's rules: ``rules_path``, else the area's ``staffing.toml``, else defaults."""
    where = StaffPlace.of(area_dir)
    if where.ws is None and not rules_path:
        own = where.rules_text()
        if own is None:
            return S.StaffingRules()
        try:
            data = tomllib.loads(own[1].decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
            raise InputError(
                f"{own[0]}: not valid UTF-8 TOML: {err}; fix the line it names"
            ) from err
        return S.rules_from_dict(data, where=own[0])
    if rules_path:
        path = Path(rules_path)
    else:
        assert where.ws is not None
        path = where.ws.staffing_rules_path
    if not path.exists():
        if rules_path:
            raise InputError(
                f"{path}: rules file not found; copy data/config/staffing.example.toml"
            )
        return S.StaffingRules()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise InputError(
            f"{path.name}: not valid UTF-8 TOML: {err}; fix the line it names"
        ) from err
    return S.rules_from_dict(data, where=path.name)


def _capacities(rules: S.StaffingRules) -> dict[str, int]:
    return {role: rules.capacity(role) for role in S.ROLES}


def import_roster(
    area_dir: AreaRef,
    source: Path | str,
    mapping_path: Path | str,
    *,
    rules_path: Path | str | None = None,
    rejects_path: Path | str | None = None,
) -> RosterImport:
    """Read a staff roster (CSV/Excel) with its mapping; good rows become ``staff/roster.json``
    (for an area in a database, its document of that name)."""
    source = Path(source)
    mapping = read_import_mapping(mapping_path, "staff")
    place = StaffPlace.of(area_dir)
    area = place.read_area(with_network=False)
    rules = load_rules(area_dir, rules_path)
    options = SheetOptions(
        sheet=mapping.sheet,
        encoding=mapping.encoding,
        header_rows=mapping.header_rows,
        skip_rows=mapping.skip_rows,
        delimiter=mapping.delimiter,
    )
    sheet = read_sheet(source, options)
    fields = R.mapped_fields(sheet.table, mapping, sheet.where)
    homes = None
    rejects = R.Rejects.empty()
    if mapping.has_xy:
        given = fields["x"].notna() | fields["y"].notna()
        located = R.points_from_table(
            fields[given], mapping, area=_outline(area), where=sheet.where
        )
        rejects = located.rejects
        homes = located.rows.geometry
    roster = S.roster_from_fields(
        fields,
        homes,
        communities=area.communities,
        default_community=_default_community(area),
        capacities=_capacities(rules),
        rejects=rejects,
        id_prefix=mapping.name,
    )
    path = Path(rejects_path) if rejects_path else source.with_name(f"{source.name}.rejects.csv")
    write_rejects(roster.rejects.table, path, source.name)
    written = place.save_roster(roster, source.name)
    return RosterImport(source.name, len(fields), roster, path, written)


def synthetic_roster(
    area_dir: AreaRef, *, seed: int = 7, volunteers_per_grid: int = 4
) -> RosterImport:
    """A seeded synthetic roster that can staff every grid (labelled synthetic)."""
    place = StaffPlace.of(area_dir)
    area = place.read_area(with_network=False)
    table = generate_roster(area.grids, seed=seed, volunteers_per_grid=volunteers_per_grid)
    table.index = pd.RangeIndex(2, len(table) + 2)
    fields = (
        table.drop(columns=["x", "y", "synthetic"])
        .astype(object)
        .map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
    )
    homes = gpd.GeoSeries(
        shapely.points(table["x"], table["y"]), index=table.index, crs="EPSG:4326"
    )
    roster = S.roster_from_fields(
        fields,
        homes,
        communities=area.communities,
        default_community=_default_community(area),
        capacities=_capacities(load_rules(area_dir)),
        id_prefix="synthetic",
    )
    roster = S.Roster(
        tuple(replace(p, synthetic=True) for p in roster.people), roster.rejects, synthetic=True
    )
    written = place.save_roster(roster, f"geogrid.synthetic.generate_roster(seed={seed})")
    return RosterImport(f"synthetic roster (seed {seed})", len(table), roster, None, written)


def _distances(
    area: Area, roster: S.Roster, rules: S.StaffingRules, notes: list[str]
) -> np.ndarray:
    straight = S.straight_distances(roster, area.grids, area.metric_crs, area.communities)
    if rules.distance != "streets":
        return straight
    if area.nodes is None or area.edges is None or not len(area.edges):
        notes.append("the area has no street network: distances are straight lines")
        return straight
    network = StreetNetwork.from_frames(area.nodes, area.edges, area.metric_crs)
    rows, homes = home_points(roster, area.metric_crs, area.communities)
    centres = gpd.GeoSeries(
        shapely.points(grid_centres(area.grids, area.metric_crs)), crs=area.metric_crs
    ).to_crs("EPSG:4326")
    matrix = travel_time_matrix(network, homes, centres, mode="walk", unreachable="inf")
    out = straight.copy()
    metres = np.where(np.isfinite(matrix.metres), matrix.metres, straight[rows] * 1.5)
    out[rows] = metres
    return out


@dataclass
class AssignRun:
    """What ``geogrid staff assign`` did: the staffing, the checker's issues, the files."""

    staffing: S.Staffing
    issues: list[S.StaffingIssue]
    table: pd.DataFrame
    written: list[Path] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = self.staffing.lines()
        staffed = int((self.table["unfilled"] == "").sum()) if len(self.table) else 0
        out.insert(0, f"{staffed} of {len(self.table)} grids fully staffed (1+3+N)")
        broken = [i for i in self.issues if i.kind != "unfilled"]
        out.append(f"independent check: {len(broken)} broken rule(s) besides open posts")
        out += [f"  {i}" for i in broken]
        out += [f"wrote {p}" for p in self.written]
        return out


def assign(
    area_dir: AreaRef,
    *,
    rules_path: Path | str | None = None,
    seed: int = 0,
    publish_phones: bool = False,
    dry_run: bool = False,
    author: str = "geogrid staff assign",
    message: str | None = None,
    expected_version: int | None = None,
) -> AssignRun:
    """Assign the roster to the grids under the rules; write the staffing, tables and boards.

    The staffing is saved as the next version with ``author`` and ``message``;
    with ``expected_version`` only if that is still the current version
    (:class:`~geogrid.errors.ConflictError` otherwise, nothing saved).
    """
    place = StaffPlace.of(area_dir)
    rules = load_rules(area_dir, rules_path)
    roster = place.roster()
    area = place.read_area(with_network=rules.distance == "streets")
    if not len(roster.people):
        raise InputError(
            f"{place.label(ROSTER_NAME)}: the roster has nobody in it; import a roster with people"
        )
    notes: list[str] = []
    distance = _distances(area, roster, rules, notes)
    record = place.staffing()
    current: dict[str, tuple[str, ...]] | None = None
    if record is not None:
        placed: dict[str, list[str]] = {}
        for row in store.assignment_frame(record).itertuples(index=False):
            placed.setdefault(str(row.person_id), []).append(str(row.grid))
        current = {k: tuple(v) for k, v in placed.items()}
    problem = S.build_staffing_problem(roster, area.grids, rules, distance, current=current)
    staffing = S.assign_staff(problem, seed=seed)
    staffing.notes += notes
    issues = S.check_staffing(
        staffing.assignment, roster, problem.grids, rules, distance_m=distance
    )
    table = S.staffing_table(staffing.assignment, roster, area.grids, unfilled=staffing.unfilled)
    run = AssignRun(staffing, issues, table)
    if dry_run:
        return run
    record_out = {
        "author": author,
        "message": message or f"assignment re-run (seed {seed})",
        "seed": seed,
        "rules": rules.__dict__,
        "synthetic": roster.synthetic,
        "assignment": staffing.assignment.to_dict("records"),
        "unfilled": [p.__dict__ for p in staffing.unfilled],
        "overloaded": [
            dict(zip(("person_id", "name", "grids", "capacity"), o, strict=True))
            for o in staffing.overloaded
        ],
    }
    if place.ws is None:
        place.save_staffing(record_out, expected_version)
        return run
    ws = place.ws
    with ws.lock():
        now = store.read_staffing(ws.staffing_path)
        if expected_version is not None and staffing_version(now) != expected_version:
            raise ConflictError(stale_staffing_message(area_dir, expected_version))
        record_out["version"] = staffing_version(now) + 1
        run.written.append(
            store.write_staffing(ws.staffing_path, ws.staffing_history_dir, record_out)
        )
        run.written.append(store.write_staffing_csv(ws.staffing_csv_path, table))
        run.written.append(
            store.write_staffing_xlsx(ws.staffing_xlsx_path, table, synthetic=roster.synthetic)
        )
    run.written.append(notice_boards(ws.path, publish_phones=publish_phones))
    return run


def current_table(
    area_dir: AreaRef, *, publish_phones: bool = True
) -> tuple[pd.DataFrame, S.Roster, Area]:
    """The per-grid table of the saved staffing, the roster and the area."""
    place = StaffPlace.of(area_dir)
    record = place.staffing()
    if record is None:
        raise InputError(
            f"{place.label(STAFFING_NAME)}: no staffing yet; run geogrid staff assign first"
        )
    roster = place.roster()
    ws = place.ws
    if ws is None:
        area = place.read_area(with_network=True)
    else:
        area = ws.read(with_network=True) if ws.edges_path.exists() else ws.read(with_network=False)
    unfilled = [S.Post(**p) for p in record.get("unfilled", [])]
    table = S.staffing_table(
        store.assignment_frame(record),
        roster,
        area.grids,
        unfilled=unfilled,
        publish_phones=publish_phones,
    )
    return table, roster, area


def notice_boards(
    area_dir: AreaRef,
    *,
    out: Path | str | None = None,
    publish_phones: bool = False,
    codes: tuple[str, ...] = (),
) -> Path:
    """Write the notice boards (one A4 page per grid) of the saved staffing; phones only when
    ``publish_phones``. For an area in a database without ``out`` the PDF is saved as its
    document ``staff/notice_boards.pdf`` (the name is returned)."""
    place = StaffPlace.of(area_dir)
    pdf = notice_boards_pdf(area_dir, publish_phones=publish_phones, codes=codes)
    if place.ws is None:
        if out:
            return write_bytes_atomic(Path(out), pdf)
        assert place.stored is not None
        place.stored.store.update_area_file(place.stored.name, NOTICES_NAME, lambda _old: pdf)
        return Path(NOTICES_NAME)
    ws = place.ws
    path = Path(out) if out else ws.notice_boards_path
    with ws.lock():
        return write_bytes_atomic(path, pdf)


def notice_boards_pdf(
    area_dir: AreaRef, *, publish_phones: bool = False, codes: tuple[str, ...] = ()
) -> bytes:
    """The notice boards of the saved staffing as PDF bytes (nothing written)."""
    table, roster, area = current_table(area_dir, publish_phones=publish_phones)
    if codes:
        unknown = sorted(set(codes) - set(table["code"]))
        if unknown:
            raise InputError(f"no grid {', '.join(unknown)} in the area; see geogrid grids report")
        table = table[table["code"].isin(codes)]
    names = {}
    if area.communities is not None and len(area.communities) and "name" in area.communities:
        names = {
            str(c): str(n)
            for c, n in zip(area.communities["code"], area.communities["name"], strict=True)
        }
    return render_notice_boards(
        area.grids,
        table,
        area.edges,
        area.metric_crs,
        publish_phones=publish_phones,
        area_name=str(area.manifest.get("name", "")),
        communities=names,
        synthetic=roster.synthetic,
        date=datetime.now(UTC).astimezone().date().isoformat(),  # the server's local day
    )


def diff(area_dir: AreaRef, *, against: str = "previous") -> pd.DataFrame:
    """Who changes grid: the previous staffing (or the roster's current grids) -> the saved one."""
    place = StaffPlace.of(area_dir)
    after = store.assignment_frame(place.staffing())
    roster = place.roster()
    if against == "roster":
        before = pd.DataFrame(
            [
                {"person_id": p.id, "name": p.name, "role": p.role, "grid": g}
                for p in roster.people
                for g in p.current_grids
            ],
            columns=["person_id", "name", "role", "grid"],
        )
    elif against == "previous":
        previous = place.previous()
        if previous is None:
            raise InputError(
                "there is no earlier staffing to compare with; use --against roster "
                "(the roster's current grids) or assign again after a change"
            )
        before = store.assignment_frame(previous)
    else:
        raise InputError(f"--against {against!r}: use previous or roster")
    return S.staff_changes(before, after, roster)


# --------------------------------------------------------------------------- versions, hand edits


def staffing_version(record: dict[str, Any] | None) -> int:
    """Version number of a staffing record: 0 for none yet, 1 for one saved before versions."""
    if record is None:
        return 0
    return int(record.get("version") or 1)


def staffing_versions(area_dir: AreaRef, limit: int = 50) -> list[dict[str, Any]]:
    """The current staffing and the ones before it, newest first: version, author, time,
    message."""
    place = StaffPlace.of(area_dir)
    current = place.staffing()
    if current is None:
        return []
    records = [current, *place.earlier(limit)]
    return [
        {
            "version": staffing_version(r),
            "author": str(r.get("author") or "?"),
            "time": str(r.get("written") or ""),
            "message": str(r.get("message") or ""),
        }
        for r in records
    ]


def stale_staffing_message(area_dir: AreaRef, given: int) -> str:
    """Who saved what since staffing version ``given`` (the answer to a stale edit)."""
    saved = staffing_versions(area_dir)
    newer = [v for v in reversed(saved) if v["version"] > given]
    changes = [
        f"{v['author']} saved s{v['version']:04d} at {v['time']}: {v['message']}" for v in newer
    ] or [f"now at s{saved[0]['version'] if saved else 0:04d}"]
    return (
        f"the staffing changed since you loaded it (s{given:04d}): "
        + "; ".join(changes)
        + ". Your edit was not saved: reload to see their change, then redo yours."
    )


class StaffingRuleError(InputError):
    """A hand edit of the staffing breaks rules of the district; ``issues`` names each one."""

    def __init__(self, message: str, issues: list[S.StaffingIssue]) -> None:
        self.issues = list(issues)
        super().__init__(message, [str(i) for i in self.issues])


@dataclass
class StaffingEditRun:
    """What one hand edit saved: the new version, its record and the files written."""

    version: int
    record: dict[str, Any]
    written: list[Path] = field(default_factory=list)

    def line(self) -> str:
        return f"saved s{self.version:04d} by {self.record['author']}: {self.record['message']}"


def _area_grids(area: Area) -> pd.DataFrame:
    grids = area.grids
    return pd.DataFrame(
        {
            "code": grids["code"].astype(str).to_numpy(),
            "name": list(grids["name"]) if "name" in grids.columns else [None] * len(grids),
            "parent_code": list(grids["parent_code"])
            if "parent_code" in grids.columns
            else [None] * len(grids),
        }
    )


def edit_staffing(
    area_dir: AreaRef,
    op: str,
    *,
    person: str,
    grid: str,
    role: str,
    author: str,
    message: str | None = None,
    expected_version: int | None = None,
    rules_path: Path | str | None = None,
) -> StaffingEditRun:
    """Assign ``person`` to (or take him off) the ``role`` post of ``grid`` by hand.

    The edit is judged by :func:`geogrid.staffing.check_staffing` under the
    district's rules, as the solver's result is: a rule it breaks raises
    :class:`StaffingRuleError` and nothing is written. Otherwise the staffing
    is saved as the next version with ``author`` and ``message`` (the previous
    one kept in history) with its tables and notice boards. With
    ``expected_version`` the edit is saved only if that is still the current
    version (:class:`~geogrid.errors.ConflictError`).
    """
    place = StaffPlace.of(area_dir)
    rules = load_rules(area_dir, rules_path)
    lock = place.ws.lock() if place.ws is not None else nullcontext()
    with lock:
        record = place.staffing()
        version = staffing_version(record)
        if expected_version is not None and version != expected_version:
            raise ConflictError(stale_staffing_message(area_dir, expected_version))
        roster = place.roster()
        area = place.read_area(with_network=rules.distance == "streets")
        grids = _area_grids(area)
        distance = _distances(area, roster, rules, [])
        result = apply_staffing_edit(
            store.assignment_frame(record),
            roster,
            grids,
            rules,
            op=op,
            person=person,
            grid=grid,
            role=role,
            distance_m=distance,
        )
        if not result.allowed:
            kinds = ", ".join(dict.fromkeys(i.kind for i in result.broken))
            raise StaffingRuleError(
                f"{op} {person} as {role} ({S.ROLE_ZH[role]}) in grid {grid} breaks the "
                f"staffing rules ({kinds}); nothing saved",
                result.broken,
            )
        unfilled = open_posts(result.assignment, grids, rules)
        name = next((p.name for p in roster.people if p.id == person), person)
        out = {
            **(record or {"seed": None}),
            "version": version + 1,
            "author": author,
            "message": message
            or f"{op} {name} ({S.ROLE_ZH[role]}) {'to' if op == 'assign' else 'from'} grid {grid}",
            "edit": {"op": op, "person": person, "grid": grid, "role": role},
            "rules": rules.__dict__,
            "synthetic": roster.synthetic,
            "assignment": result.assignment.to_dict("records"),
            "unfilled": [p.__dict__ for p in unfilled],
            "overloaded": [
                dict(zip(("person_id", "name", "grids", "capacity"), o, strict=True))
                for o in overloaded_people(result.assignment, roster)
            ],
        }
        out.pop("schema", None)
        out.pop("written", None)
        table = S.staffing_table(result.assignment, roster, area.grids, unfilled=unfilled)
        run = StaffingEditRun(version + 1, out)
        if place.ws is None:  # the version is checked again as it is saved
            place.save_staffing(out, expected_version if expected_version is not None else version)
            return run
        ws = place.ws
        run.written.append(store.write_staffing(ws.staffing_path, ws.staffing_history_dir, out))
        run.written.append(store.write_staffing_csv(ws.staffing_csv_path, table))
        run.written.append(
            store.write_staffing_xlsx(ws.staffing_xlsx_path, table, synthetic=roster.synthetic)
        )
        run.written.append(notice_boards(ws.path))
    return run


@dataclass
class StaffingOverview:
    """The saved staffing as the planner's page shows it: posts, gaps, overloads, broken rules."""

    version: int
    record: dict[str, Any] | None
    roster: S.Roster | None
    roster_problem: str | None
    grids: pd.DataFrame
    rules: S.StaffingRules
    assignment: pd.DataFrame
    gaps: list[S.Post]
    overloaded: list[tuple[str, str, int, int]]
    issues: list[S.StaffingIssue]
    versions: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (the page's state)."""
        people = {p.id: p for p in self.roster.people} if self.roster else {}
        posts = self.rules.posts()
        by_grid: dict[str, list[dict[Hashable, Any]]] = {}
        for record in self.assignment.to_dict("records"):
            by_grid.setdefault(str(record["grid"]), []).append(record)
        grids = []
        for g in self.grids.to_dict("records"):
            here = by_grid.get(str(g["code"]), [])
            entry: dict[str, Any] = {
                "code": str(g["code"]),
                "name": None if pd.isna(g["name"]) else str(g["name"]),
                "community": None if pd.isna(g["parent_code"]) else str(g["parent_code"]),
                "posts": {},
            }
            for role in S.ROLES:
                members = [r for r in here if r["role"] == role]
                top = posts[role] if role != "volunteer" else (self.rules.max_volunteers or None)
                entry["posts"][role] = {
                    "need": posts[role],
                    "max": top,
                    "missing": max(0, posts[role] - len(members)),
                    "people": [
                        {
                            "id": str(r["person_id"]),
                            "name": str(r["name"]),
                            "phone": people[str(r["person_id"])].phone
                            if str(r["person_id"]) in people
                            else None,
                            "distance_m": None
                            if pd.isna(r["distance_m"])
                            else round(float(r["distance_m"])),
                        }
                        for r in members
                    ],
                }
            entry["full"] = all(p["missing"] == 0 for p in entry["posts"].values())
            grids.append(entry)
        loads = self.assignment.groupby("person_id")["grid"].apply(list).to_dict()
        full = sum(g["full"] for g in grids)
        missing = sum(p.missing for p in self.gaps)
        return {
            "version": self.version,
            "etag": f"s{self.version:04d}",
            "saved": None
            if self.record is None
            else {
                "author": str(self.record.get("author") or "?"),
                "time": str(self.record.get("written") or ""),
                "message": str(self.record.get("message") or ""),
            },
            "synthetic": bool(self.roster.synthetic) if self.roster else False,
            "roster_problem": self.roster_problem,
            "roles": [{"role": r, "zh": S.ROLE_ZH[r], "need": posts[r]} for r in S.ROLES],
            "grids": grids,
            "gaps": [{"grid": p.grid, "role": p.role, "missing": p.missing} for p in self.gaps],
            "overloaded": [
                {"person": o[0], "name": o[1], "grids": o[2], "capacity": o[3]}
                for o in self.overloaded
            ],
            "issues": [
                {"kind": i.kind, "grid": i.grid, "person": i.person, "message": i.message}
                for i in self.issues
            ],
            "people": [
                {
                    "id": p.id,
                    "name": p.name,
                    "role": p.role,
                    "community": p.community,
                    "capacity": p.capacity,
                    "grids": [str(c) for c in loads.get(p.id, [])],
                }
                for p in people.values()
            ],
            "versions": self.versions,
            "summary": f"{full} of {len(grids)} grids fully staffed (1+3+N); {missing} open "
            f"post(s); {len(self.overloaded)} overloaded",
        }


def staffing_overview(area_dir: AreaRef) -> StaffingOverview:
    """The saved staffing (or none yet) against the roster, the grids and the rules."""
    place = StaffPlace.of(area_dir)
    rules = load_rules(area_dir)
    record = place.staffing()
    area = place.read_area(with_network=False)
    grids = _area_grids(area)
    assignment = store.assignment_frame(record)
    roster = place.roster() if place.has_roster() else None
    problem = (
        None
        if roster is not None
        else "no staff roster yet: import one (geogrid staff import AREA ROSTER --mapping M.toml)"
        " or make a synthetic one (geogrid staff synthetic AREA)"
    )
    issues = (
        [
            i
            for i in S.check_staffing(assignment, roster, grids, rules)
            if i.kind not in ("unfilled", "over capacity")
        ]
        if roster is not None
        else []
    )
    return StaffingOverview(
        version=staffing_version(record),
        record=record,
        roster=roster,
        roster_problem=problem,
        grids=grids,
        rules=rules,
        assignment=assignment,
        gaps=open_posts(assignment, grids, rules),
        overloaded=overloaded_people(assignment, roster) if roster is not None else [],
        issues=issues,
        versions=staffing_versions(area_dir),
    )


def require_roster(area_dir: AreaRef) -> None:
    """Raise :class:`InputError` unless the area has a roster with people (before an assign)."""
    if not len(StaffPlace.of(area_dir).roster().people):
        raise InputError("the staff roster has nobody in it; import a roster with people")
