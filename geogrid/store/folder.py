"""The folder backend: areas as GeoJSON folders under one root, unchanged on disk.

:class:`FolderStore` answers the :class:`~geogrid.store.base.Store` protocol
over :class:`~geogrid.io.workspace.Workspace` (every path, the one layer
writer, the lock) and :mod:`geogrid.io.versions` (grid versions, undo). An
area is the folder ``<root>/<name>``. Users live in one JSON file
(``<root>/users.json`` unless given), in the web's format.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geogrid.errors import InputError
from geogrid.io import geojson, versions
from geogrid.io.atomic import write_bytes_atomic, write_json_atomic, write_text_atomic
from geogrid.io.incidents import save_incidents
from geogrid.io.plans import has_plan, read_plan, write_plan_documents
from geogrid.io.tables import FORMULA_STARTS, csv_text
from geogrid.io.workspace import AREA_LAYERS, PLACES_SPEC, Area, Workspace
from geogrid.store.base import (
    HEAD,
    AreaDump,
    LayerHistoryEntry,
    Parent,
    PatrolLog,
    PlanDocument,
    UserRecord,
    VersionHistory,
    conflict,
    layer_conflict,
    newer_than,
    utc_time,
)

USERS_SCHEMA = "geogrid-users/1"
LOG_COLUMNS = ("date", "team", "members", "planned", "done", "km", "hours")
#: documents of an area a copy carries (with every ``staff/history/`` file)
DOCUMENTS = ("staff/roster.json", "staff/staffing.json", "staffing.toml", "patrol.toml")


class FolderStore:
    """Area folders under ``root`` (``data/geo``); see the module docstring."""

    def __init__(self, root: Path | str, users_path: Path | str | None = None) -> None:
        self.root = Path(root)
        self.users_path = Path(users_path) if users_path is not None else self.root / "users.json"

    def __repr__(self) -> str:
        return f"FolderStore({str(self.root)!r})"

    def workspace(self, area: str) -> Workspace:
        """The folder of ``area``."""
        if not area or "/" in area or area in (".", ".."):
            raise InputError(f"{area!r} is not an area name; give the name of its folder")
        return Workspace(self.root / area)

    # ------------------------------------------------------------------ areas

    def list_areas(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if Workspace(p).exists())

    def read_manifest(self, area: str) -> dict[str, Any]:
        return self.workspace(area).read_manifest()

    def read_area(self, area: str, *, with_network: bool = True) -> Area:
        return self.workspace(area).read(with_network=with_network)

    def lock(self, area: str) -> AbstractContextManager[Any]:
        return self.workspace(area).lock()

    def repair(self, area: str) -> bool:
        """Bring ``grids.geojson`` back to the current version after a save cut short."""
        ws = self.workspace(area)
        try:
            with ws.lock():
                return versions.sync_live(ws.path)
        except OSError:  # a read-only copy of an area: nothing to write, nothing to repair
            return False

    def version_tag(self, area: str) -> str:
        """:meth:`Workspace.version_tag`: a few ``stat`` calls, no file read."""
        return self.workspace(area).version_tag()

    # ------------------------------------------------------------------ layers

    def layer_names(self, area: str) -> list[str]:
        return self.workspace(area).layer_names()

    def read_layer(self, area: str, name: str) -> gpd.GeoDataFrame | None:
        return self.workspace(area).read_layer(name)

    def layer_revision(self, area: str, name: str) -> int:
        """The sidecars of ``history/<layer>/`` (one per replaced file), plus one when the
        layer's file is there."""
        ws = self.workspace(area)
        folder = ws.history_dir / ws.layer_file(name).stem
        kept = sum(1 for _ in folder.glob("*.json")) if folder.is_dir() else 0
        return kept + (1 if ws.layer_file(name).exists() else 0)

    def check_revision(self, area: str, name: str, expected: int | None) -> None:
        """Under the lock: refuse a write of layer ``name`` made from another revision."""
        if expected is None:
            return
        now = self.layer_revision(area, name)
        if now != expected:
            raise layer_conflict(area, name, expected, now, self.layer_history(area, name))

    def write_layer(
        self,
        area: str,
        name: str,
        frame: gpd.GeoDataFrame,
        *,
        author: str,
        message: str,
        expected: int | None = None,
    ) -> None:
        ws = self.workspace(area)
        with ws.lock():
            self.check_revision(area, name, expected)
            ws.write_layer(name, frame, author=author, message=message)

    def write_layers(
        self,
        area: str,
        layers: Mapping[str, gpd.GeoDataFrame],
        *,
        author: str,
        message: str,
        manifest: dict[str, Any] | None = None,
        expected: Mapping[str, int] | None = None,
    ) -> None:
        """Every layer checked first (nothing written when one breaks its spec), then, under
        the lock, every ``expected`` revision, then each layer written (the previous file to
        ``history/``), then ``area.json``."""
        ws = self.workspace(area)
        for name, frame in layers.items():
            spec = AREA_LAYERS[name][1] if name in AREA_LAYERS else PLACES_SPEC
            source = geojson.source_name(ws.layer_file(name))
            geojson.checked_features(frame, spec, source, where=str(ws.layer_file(name)))
        with ws.lock():
            for name, revision in (expected or {}).items():
                self.check_revision(area, name, revision)
            for name, frame in layers.items():
                ws.write_layer(name, frame, author=author, message=message)
            if manifest is not None:
                ws.write_manifest(manifest)

    def layer_history(self, area: str, name: str) -> list[dict[str, Any]]:
        """The sidecars of ``history/<layer>/``, oldest first."""
        ws = self.workspace(area)
        folder = ws.history_dir / ws.layer_file(name).stem
        out = []
        for sidecar in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            meta = json.loads(sidecar.read_text(encoding="utf-8"))
            out.append(
                {
                    "layer": name,
                    "replaced_at": meta.get("replaced_at"),
                    "author": meta.get("author"),
                    "message": meta.get("message"),
                }
            )
        return sorted(out, key=lambda h: str(h["replaced_at"]))

    # ------------------------------------------------------------------ grid versions

    def list_versions(self, area: str) -> tuple[list[versions.GridVersion], int | None]:
        return versions.list_versions(self.workspace(area).path)

    def load_version(
        self, area: str, version_id: int | None = None
    ) -> tuple[versions.GridVersion, gpd.GeoDataFrame, gpd.GeoDataFrame | None]:
        return versions.load_version(self.workspace(area).path, version_id)

    def _check_parent(self, area: str, parent: Parent) -> None:
        """Under the lock: refuse a change made from a version that is no longer current."""
        if parent == HEAD:
            return
        saved, head = self.list_versions(area)
        if head != parent:
            raise conflict(area, parent, head, newer_than(saved, parent))

    def save_version(
        self,
        area: str,
        grids: gpd.GeoDataFrame,
        units: gpd.GeoDataFrame | None,
        *,
        author: str,
        message: str,
        meta: dict[str, Any] | None = None,
        parent: Parent = HEAD,
    ) -> versions.GridVersion:
        ws = self.workspace(area)
        with ws.lock():
            self._check_parent(area, parent)
            return versions.save_version(
                ws.path, grids, units, author=author, message=message, meta=meta
            )

    def undo(self, area: str, author: str, *, parent: Parent = HEAD) -> versions.GridVersion:
        ws = self.workspace(area)
        with ws.lock():
            self._check_parent(area, parent)
            return versions.undo(ws.path, author)

    def list_undos(self, area: str) -> list[dict[str, Any]]:
        undone = versions.read_index(self.workspace(area).path).get("undone", [])
        return [dict(u) for u in undone]

    # ------------------------------------------------------------------ incidents

    def add_incidents(
        self, area: str, incidents: gpd.GeoDataFrame, *, author: str | None = None
    ) -> tuple[int, int]:
        ws = self.workspace(area)
        with ws.lock():
            saved = save_incidents(incidents, ws.incidents_path, author=author)
        return saved.added, saved.total

    def count_incidents(self, area: str) -> int:
        layer = self.workspace(area).read_layer("incidents")
        return 0 if layer is None else len(layer)

    def incidents_with_ids(self, area: str, ids: Sequence[str]) -> gpd.GeoDataFrame | None:
        layer = self.workspace(area).read_layer("incidents")
        if layer is None:
            return None
        return layer[layer["id"].astype(str).isin(set(ids))].reset_index(drop=True)

    def update_incidents(
        self,
        area: str,
        added: gpd.GeoDataFrame,
        corrected: gpd.GeoDataFrame,
        *,
        author: str,
        message: str,
        expected: int | None = None,
    ) -> int:
        """Under the lock: the layer read, the corrected records replaced where they stand,
        the added ones appended, the whole file written (the previous one to ``history/``)."""
        ws = self.workspace(area)
        with ws.lock():
            self.check_revision(area, "incidents", expected)
            layer = ws.read_layer("incidents")
            merged = replace_records(layer, corrected, added)
            ws.write_layer("incidents", merged, author=author, message=message)
        return len(merged)

    def read_incidents(
        self, area: str, *, start: str | None = None, end: str | None = None
    ) -> gpd.GeoDataFrame | None:
        ws = self.workspace(area)
        layer = ws.read_layer("incidents")
        if layer is None:
            return None
        if start is not None or end is not None:
            times = pd.to_datetime(layer["time"].astype(str), format="ISO8601", utc=True)
            keep = pd.Series(True, index=layer.index)
            if start is not None:
                keep &= times >= utc_time(start)
            if end is not None:
                keep &= times < utc_time(end)
            layer = layer[keep]
        layer = layer.copy()
        layer["grid"] = pd.Series(
            covering_grid(layer, ws.read_layer("grids")), index=layer.index, dtype=object
        )
        return layer

    # ------------------------------------------------------------------ plans, logs

    def save_plan(self, area: str, plan: PlanDocument) -> None:
        ws = self.workspace(area)
        with ws.lock():
            write_plan_documents(ws.plans_dir(plan.day), plan.geojson, plan.summary)

    def update_plan(
        self, area: str, day: str | None, change: Callable[[PlanDocument | None], PlanDocument]
    ) -> PlanDocument:
        ws = self.workspace(area)
        with ws.lock():
            plan = change(self.read_plan(area, day))
            write_plan_documents(ws.plans_dir(day), plan.geojson, plan.summary)
        return plan

    def read_plan(self, area: str, day: str | None = None) -> PlanDocument | None:
        found = read_plan(self.workspace(area).plans_dir(day))
        if found is None:
            return None
        return PlanDocument(day=day, summary=found["summary"], geojson=found["geojson"])

    def plan_days(self, area: str) -> list[str]:
        web = self.workspace(area).web_plans_dir
        if not web.is_dir():
            return []
        return sorted(p.name for p in web.iterdir() if has_plan(p))

    def save_plan_file(self, area: str, day: str, name: str, data: bytes | None) -> None:
        path = self._plan_file(area, day, name)
        if data is None:
            path.unlink(missing_ok=True)
        else:
            write_bytes_atomic(path, data)

    def read_plan_file(self, area: str, day: str, name: str) -> bytes | None:
        path = self._plan_file(area, day, name)
        return path.read_bytes() if path.is_file() else None

    def _plan_file(self, area: str, day: str, name: str) -> Path:
        if not name or Path(name).name != name or name in (".", ".."):
            raise InputError(f"{name!r}: give a file name of the plan, not a path")
        return self.workspace(area).plans_dir(day) / name

    def _area_file(self, area: str, name: str) -> Path:
        parts = Path(name).parts
        if not parts or Path(name).is_absolute() or any(p in (".", "..") for p in parts):
            raise InputError(f"{name!r}: give a path inside the area folder")
        return self.workspace(area).path / name

    def read_area_file(self, area: str, name: str) -> bytes | None:
        path = self._area_file(area, name)
        return path.read_bytes() if path.is_file() else None

    def area_file_names(self, area: str, prefix: str) -> list[str]:
        folder = self._area_file(area, prefix)
        if not folder.is_dir():
            return []
        root = self.workspace(area).path
        return sorted(p.relative_to(root).as_posix() for p in folder.iterdir() if p.is_file())

    def update_area_file(
        self, area: str, name: str, change: Callable[[bytes | None], bytes | None]
    ) -> tuple[bytes | None, bytes | None]:
        path = self._area_file(area, name)
        with self.workspace(area).lock():
            old = path.read_bytes() if path.is_file() else None
            new = change(old)
            if new is None:
                path.unlink(missing_ok=True)
            else:
                write_bytes_atomic(path, new, private=True)
        return old, new

    def add_patrol_log(self, area: str, log: PatrolLog) -> None:
        ws = self.workspace(area)
        with ws.lock():
            rows = self.patrol_logs(area)
            rows.append(log)
            write_text_atomic(ws.patrol_log_path, _log_csv(rows))

    def patrol_logs(
        self, area: str, *, start: str | None = None, end: str | None = None
    ) -> list[PatrolLog]:
        path = self.workspace(area).patrol_log_path
        if not path.exists():
            return []
        logs = _read_log_csv(path)
        return [
            log
            for log in logs
            if (start is None or log.date >= start) and (end is None or log.date <= end)
        ]

    # ------------------------------------------------------------------ users

    def _users(self) -> dict[str, Any]:
        if not self.users_path.exists():
            return {"schema": USERS_SCHEMA, "users": {}}
        try:
            data: dict[str, Any] = json.loads(self.users_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise InputError(
                f"{self.users_path}: malformed JSON at line {err.lineno}: {err.msg}; "
                "restore the file"
            ) from err
        data.setdefault("users", {})
        return data

    def get_user(self, username: str) -> UserRecord | None:
        row = self._users()["users"].get(username)
        return None if row is None else UserRecord(username=username, **row)

    def list_users(self) -> list[UserRecord]:
        return [
            UserRecord(username=name, **row) for name, row in sorted(self._users()["users"].items())
        ]

    def put_user(self, user: UserRecord) -> None:
        data = self._users()
        row = asdict(user)
        del row["username"]
        data["users"][user.username] = row
        write_text_atomic(self.users_path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")

    # ------------------------------------------------------------------ copies

    def export_area(self, area: str) -> AreaDump:
        """The folder as plain data; the area is read (validated) first, so a broken
        folder is refused with every problem rather than copied."""
        ws = self.workspace(area)
        manifest = ws.read_manifest()
        layers, problems = {}, []
        for name in [*AREA_LAYERS, *ws.layer_names()]:
            path = ws.layer_file(name)
            if path.exists():
                try:
                    ws.read_layer(name)
                except InputError as err:
                    problems.extend(err.problems or [str(err)])
                    continue
                layers[name] = geojson.read_geojson_features(path)
        if problems:
            raise InputError(f"area {ws.path} has invalid layers; nothing was copied", problems)
        index = versions.read_index(ws.path)
        saved, head = versions.list_versions(ws.path)
        history = VersionHistory(head=head, versions=saved, undone=list(index.get("undone", [])))
        for v in saved:
            history.grids[v.id] = geojson.read_geojson_features(ws.version_grids_path(v.id))
            units = ws.version_units_path(v.id)
            history.units[v.id] = geojson.read_geojson_features(units) if units.exists() else None
        plans = [p for day in [None, *self.plan_days(area)] if (p := self.read_plan(area, day))]
        names = [*DOCUMENTS, *self.area_file_names(area, "staff/history")]
        documents = {n: data for n in names if (data := self.read_area_file(area, n)) is not None}
        return AreaDump(
            documents=documents,
            manifest=manifest,
            layers=layers,
            history=history,
            plans=plans,
            patrol_logs=self.patrol_logs(area),
            manifest_text=ws.manifest_path.read_text(encoding="utf-8"),
            layer_history=self._history_entries(ws),
        )

    @staticmethod
    def _history_entries(ws: Workspace) -> list[LayerHistoryEntry]:
        """Every ``history/<layer>/<time>.geojson`` with its sidecar, oldest first."""
        stems = {Path(file).stem: name for name, (file, _) in AREA_LAYERS.items()}
        entries = []
        if not ws.history_dir.is_dir():
            return []
        for folder in sorted(p for p in ws.history_dir.iterdir() if p.is_dir()):
            for copy in sorted(folder.glob("*.geojson")):
                sidecar = copy.with_suffix(".json")
                side = sidecar.read_bytes().decode("utf-8") if sidecar.is_file() else ""
                meta = json.loads(side) if side else {}
                entries.append(
                    LayerHistoryEntry(
                        layer=stems.get(folder.name, folder.name),
                        file=copy.name,
                        text=copy.read_bytes().decode("utf-8"),
                        sidecar=side,
                        replaced_at=str(meta.get("replaced_at") or ""),
                        author=meta.get("author"),
                        message=meta.get("message"),
                        partial=bool(meta.get("partial", False)),
                    )
                )
        return sorted(entries, key=lambda e: (e.replaced_at, e.layer, e.file))

    def import_area(self, area: str, dump: AreaDump) -> None:
        """Write ``dump`` as a new area folder (refused when the folder holds anything)."""
        ws = self.workspace(area)
        if ws.path.exists() and any(p.name != ws.lock_path.name for p in ws.path.iterdir()):
            raise InputError(f"{ws.path}: not empty; give a new folder (nothing was written)")
        with ws.lock():
            if dump.manifest_text is not None:
                write_text_atomic(ws.manifest_path, dump.manifest_text)
            else:
                write_json_atomic(ws.manifest_path, dump.manifest)
            for name, features in dump.layers.items():
                write_text_atomic(ws.layer_file(name), geojson.dumps_features(features))
            h = dump.history
            for v in h.versions:
                write_text_atomic(
                    ws.version_grids_path(v.id), geojson.dumps_features(h.grids[v.id])
                )
                units = h.units.get(v.id)
                if units is not None:
                    write_text_atomic(ws.version_units_path(v.id), geojson.dumps_features(units))
            if h.versions:
                write_json_atomic(ws.versions_index_path, index_of(h))
            for plan in dump.plans:
                write_plan_documents(ws.plans_dir(plan.day), plan.geojson, plan.summary)
            if dump.patrol_logs:
                write_text_atomic(ws.patrol_log_path, _log_csv(dump.patrol_logs))
            for name, data in dump.documents.items():
                write_bytes_atomic(
                    self._area_file(area, name), data, private=name.startswith("staff/")
                )
            for entry in dump.layer_history:
                copy = ws.history_dir / ws.layer_file(entry.layer).stem / entry.file
                write_bytes_atomic(copy, entry.text.encode("utf-8"))
                if entry.sidecar:
                    write_bytes_atomic(copy.with_suffix(".json"), entry.sidecar.encode("utf-8"))


def index_of(history: VersionHistory) -> dict[str, Any]:
    """``grid_versions/index.json`` of a history, keys in the order :mod:`geogrid.io.versions`
    writes them."""
    index: dict[str, Any] = {
        "schema": versions.SCHEMA,
        "head": history.head,
        "versions": [
            {
                "id": v.id,
                "parent": v.parent,
                "author": v.author,
                "time": v.time,
                "message": v.message,
                "meta": v.meta,
            }
            for v in history.versions
        ],
    }
    if history.undone:
        index["undone"] = [dict(u) for u in history.undone]
    return index


def replace_records(
    layer: gpd.GeoDataFrame | None, corrected: gpd.GeoDataFrame, added: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """An incidents layer with the records of ``corrected`` put in place of the stored ones of
    the same id (columns joined as :func:`geogrid.io.incidents.save_incidents` does) and
    ``added`` appended."""
    if layer is None or not len(layer):
        merged = added.reset_index(drop=True)
    else:
        merged = layer.copy()
        if len(corrected):
            at = {str(v): i for i, v in enumerate(merged["id"].astype(str))}
            rows = [at[str(i)] for i in corrected["id"].astype(str)]
            for column in corrected.columns:
                if column not in merged.columns:
                    merged[column] = None
                values = corrected[column].to_numpy(dtype=object)
                if column == "geometry":
                    merged.loc[merged.index[rows], "geometry"] = gpd.GeoSeries(
                        values, index=merged.index[rows], crs=merged.crs
                    )
                else:
                    merged[column] = merged[column].astype(object)
                    merged.loc[merged.index[rows], column] = values
        if len(added):
            merged = gpd.GeoDataFrame(
                pd.concat([merged, added], ignore_index=True), geometry="geometry", crs=merged.crs
            )
    return merged


def covering_grid(points: gpd.GeoDataFrame, grids: gpd.GeoDataFrame | None) -> list[str | None]:
    """For each point, the code of the first grid (in layer order) that covers it, or None."""
    if grids is None or not len(grids) or not len(points):
        return [None] * len(points)
    cells = grids[["code", "geometry"]].reset_index(drop=True)
    pts = gpd.GeoDataFrame(geometry=points.geometry.to_numpy(), crs=points.crs)
    joined = gpd.sjoin(pts, cells, how="left", predicate="covered_by")
    joined = joined.sort_values("index_right", kind="stable")
    first = joined[~joined.index.duplicated(keep="first")].sort_index()
    return [c if isinstance(c, str) else None for c in first["code"]]


def _log_csv(logs: list[PatrolLog]) -> str:
    rows: list[list[object]] = [list(LOG_COLUMNS)]
    rows += [[g.date, g.team, ";".join(g.members), g.planned, g.done, g.km, g.hours] for g in logs]
    return csv_text(rows)


def _unquote(cell: str) -> str:
    """Undo the leading quote :func:`geogrid.io.tables.safe_cell` puts on formula-like text."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell


def _read_log_csv(path: Path) -> list[PatrolLog]:
    reader = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")))
    logs, problems = [], []
    for n, row in enumerate(reader, start=2):
        try:
            members = _unquote(row["members"] or "")
            logs.append(
                PatrolLog(
                    date=row["date"],
                    team=_unquote(row["team"]),
                    members=tuple(m for m in members.split(";") if m),
                    planned=int(row["planned"]),
                    done=int(row["done"]),
                    km=float(row["km"]),
                    hours=float(row["hours"]),
                )
            )
        except (KeyError, TypeError, ValueError) as err:
            problems.append(f"{path.name} row {n}: {err}")
    if problems:
        raise InputError(f"{path}: bad rows; fix them", problems)
    return logs
