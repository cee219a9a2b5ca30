"""One store interface, two backends: the :class:`Store` protocol and :func:`open_store`.

A store keeps areas: their manifest, layers (boundary, buildings, key
locations, network, teams...), grid versions (author, time, message, undo;
saving from a version that is no longer current raises
:class:`~geogrid.errors.ConflictError`), incidents (each with the grid that
covers it), patrol plans, patrol logs, and the web's user accounts.

Backends:

* :class:`~geogrid.store.folder.FolderStore`: the GeoJSON area folders
  (``data/geo/<area>/``, unchanged on disk), over
  :class:`~geogrid.io.workspace.Workspace` and :mod:`geogrid.io.versions`;
  the default.
* :class:`~geogrid.store.postgis.PostgisStore`: PostgreSQL + PostGIS.

``GEOGRID_STORE=postgresql://...`` selects the database for the commands and
services that take an area folder (:func:`area_store`); without it they use
the folder.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

import geopandas as gpd
import pandas as pd

from geogrid.errors import ConflictError
from geogrid.io.versions import GridVersion
from geogrid.io.workspace import AREA_LAYERS, Area

if TYPE_CHECKING:
    from geogrid.store.folder import FolderStore

ENV = "GEOGRID_STORE"
#: the ``parent`` of a save that takes whatever version is current (no concurrency check)
HEAD: Literal["head"] = "head"
Parent = int | None | Literal["head"]
#: URL schemes of PostgreSQL (SQLAlchemy spellings included)
DB_SCHEMES = ("postgresql://", "postgresql+psycopg://", "postgres://")

Feature = dict[str, Any]


@dataclass(frozen=True)
class PatrolLog:
    """One patrol as it went: a row of the patrol log (stops planned and done, km, hours)."""

    date: str  #: YYYY-MM-DD, the shift's date
    team: str
    members: tuple[str, ...]
    planned: int  #: stops planned
    done: int  #: stops visited
    km: float
    hours: float


@dataclass(frozen=True)
class UserRecord:
    """A web account as stored (the password only hashed; hashing is the web's job)."""

    username: str
    role: str
    password_hash: str
    disabled: bool = False
    team: str | None = None
    created: str = ""
    session_gen: int = 0


@dataclass
class VersionHistory:
    """Every saved grid version of an area with its features: what a copy moves."""

    head: int | None = None
    versions: list[GridVersion] = field(default_factory=list)
    #: undos in the order they happened: {"version", "author", "time"}
    undone: list[dict[str, Any]] = field(default_factory=list)
    grids: dict[int, list[Feature]] = field(default_factory=dict)
    #: None for a version saved without units (hand-drawn grids)
    units: dict[int, list[Feature] | None] = field(default_factory=dict)


@dataclass
class PlanDocument:
    """A patrol plan as stored: its summary and its GeoJSON (routes and stops)."""

    day: str | None  #: None: the CLI's plan (``plans/``); else a web shift date
    summary: dict[str, Any] | None
    geojson: dict[str, Any] | None


@dataclass
class LayerHistoryEntry:
    """One replaced version of a layer, as a folder keeps it under ``history/<layer>/``: the
    file's GeoJSON text and its sidecar, byte for byte."""

    layer: str  #: the layer's name (``incidents``, ``schools``)
    file: str  #: the history file's name (``20261206T050418123456Z.geojson``)
    text: str  #: the replaced layer's GeoJSON, as written
    sidecar: str  #: the sidecar ``.json`` as written (layer file, replaced_at, author, message)
    replaced_at: str  #: ISO UTC
    author: str | None = None
    message: str | None = None
    #: only the records a database import changed (their old values), not the whole layer
    partial: bool = False


@dataclass
class AreaDump:
    """Everything of one area as plain data: what ``geogrid store push/pull`` copies.

    Layers are kept as GeoJSON feature dicts exactly as stored, so a copy
    between the two backends gives back byte-identical layer files.
    """

    manifest: dict[str, Any]
    layers: dict[str, list[Feature]]
    history: VersionHistory
    plans: list[PlanDocument] = field(default_factory=list)
    patrol_logs: list[PatrolLog] = field(default_factory=list)
    #: ``area.json`` as written, kept so a copy gives it back byte for byte
    manifest_text: str | None = None
    #: documents kept whole (``Store.read_area_file``): the staff roster, staffings and their
    #: history (``staff/...``), the rules (``staffing.toml``) and the patrol config
    #: (``patrol.toml``), by name, byte for byte
    documents: dict[str, bytes] = field(default_factory=dict)
    #: every replaced layer version (the folder's ``history/``), oldest first
    layer_history: list[LayerHistoryEntry] = field(default_factory=list)


class Store(Protocol):
    """What every backend answers. ``area`` is the area's name (its folder's name)."""

    # ------------------------------------------------------------------ areas

    def list_areas(self) -> list[str]:
        """Names of the areas in the store, sorted."""
        ...

    def read_manifest(self, area: str) -> dict[str, Any]:
        """The area's manifest (``area.json``)."""
        ...

    def read_area(self, area: str, *, with_network: bool = True) -> Area:
        """The whole area, every layer typed by its spec."""
        ...

    def lock(self, area: str) -> AbstractContextManager[Any]:
        """Held around read-compute-save (the folder's file lock; nothing for a database,
        whose saves are checked against their parent version instead)."""
        ...

    def repair(self, area: str) -> bool:
        """Finish what an interrupted save left half done; True when it had to."""
        ...

    def version_tag(self, area: str) -> str:
        """A short tag that changes with every write of the area (layers, grid versions,
        undos, incidents, plans, logs), cheap enough to ask on every web request; a
        cache keyed by it never serves an area older than the last write."""
        ...

    # ------------------------------------------------------------------ layers

    def layer_names(self, area: str) -> list[str]:
        """Names of the key-location layers (``schools``, ``police``...), sorted."""
        ...

    def read_layer(self, area: str, name: str) -> gpd.GeoDataFrame | None:
        """One layer (area layer or key-location layer); None when absent."""
        ...

    def layer_revision(self, area: str, name: str) -> int:
        """How many times layer ``name`` was written: 0 while absent, then one more with every
        write (its replaced versions in the history, plus one). What a writer states as
        ``expected`` so that a write from a stale read is refused."""
        ...

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
        """Validate and replace a layer; the previous one is kept in the history.

        With ``expected`` (the :meth:`layer_revision` the frame was made from) a layer
        written since raises :class:`~geogrid.errors.ConflictError` naming who wrote it, when
        and why, and nothing is saved."""
        ...

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
        """Validate every layer, then replace them all (and the manifest when given): all or
        nothing (a layer that breaks its spec writes none, a stale ``expected`` revision of
        one writes none); the previous ones are kept in the history."""
        ...

    def layer_history(self, area: str, name: str) -> list[dict[str, Any]]:
        """The replaced versions of layer ``name``, oldest first: ``{"layer", "replaced_at"
        (ISO UTC), "author", "message"}`` of each write that replaced it."""
        ...

    # ------------------------------------------------------------------ grid versions

    def list_versions(self, area: str) -> tuple[list[GridVersion], int | None]:
        """Saved grid versions, oldest first, and the id of the current one."""
        ...

    def load_version(
        self, area: str, version_id: int | None = None
    ) -> tuple[GridVersion, gpd.GeoDataFrame, gpd.GeoDataFrame | None]:
        """A saved version (current by default): meta, grids, units (None if saved without)."""
        ...

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
    ) -> GridVersion:
        """Save grids as a new current version made from ``parent``.

        Raises :class:`~geogrid.errors.ConflictError` when ``parent`` (the
        version the grids were made from) is no longer current; ``HEAD``
        saves on top of whatever is current.
        """
        ...

    def undo(self, area: str, author: str, *, parent: Parent = HEAD) -> GridVersion:
        """Make the parent of the current version current again (ConflictError as above)."""
        ...

    def list_undos(self, area: str) -> list[dict[str, Any]]:
        """The undos in the order they happened: ``{"version", "author", "time"}``."""
        ...

    # ------------------------------------------------------------------ incidents

    def add_incidents(
        self, area: str, incidents: gpd.GeoDataFrame, *, author: str | None = None
    ) -> tuple[int, int]:
        """Add incidents (a frame from :func:`geogrid.incidents.clean_incidents`) whose id is
        new; returns (added, total)."""
        ...

    def read_incidents(
        self, area: str, *, start: str | None = None, end: str | None = None
    ) -> gpd.GeoDataFrame | None:
        """The incidents layer (``start <= time < end``, ISO times) with ``grid``: the code
        of the current grid that covers each (None outside every grid)."""
        ...

    def count_incidents(self, area: str) -> int:
        """How many incident records the area holds (0 without an incidents layer)."""
        ...

    def incidents_with_ids(self, area: str, ids: Sequence[str]) -> gpd.GeoDataFrame | None:
        """The stored incident records whose id is in ``ids`` (layer order, as the layer
        reads); None when the area has no incidents layer."""
        ...

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
        """Append the records of ``added`` and replace the stored records of the ids of
        ``corrected`` in place (both incidents *layer* frames); returns the total. One
        write of the layer (its revision goes up by one; a stale ``expected`` is a
        :class:`~geogrid.errors.ConflictError`); the history keeps what it replaced (the
        folder: the whole file; the database: the corrected records' old values only)."""
        ...

    # ------------------------------------------------------------------ plans, logs

    def save_plan(self, area: str, plan: PlanDocument) -> None:
        """Store a patrol plan's summary and GeoJSON (replacing that day's)."""
        ...

    def read_plan(self, area: str, day: str | None = None) -> PlanDocument | None:
        """The plan of ``day`` (None: the CLI's), or None when there is none."""
        ...

    def update_plan(
        self, area: str, day: str | None, change: Callable[[PlanDocument | None], PlanDocument]
    ) -> PlanDocument:
        """Read the plan of ``day``, store ``change(plan)`` in its place and return it, with no
        other write of the day's plan in between (the folder's lock; the area's row locked in
        one transaction): how a part of a plan (some teams) is merged into the day's."""
        ...

    def plan_days(self, area: str) -> list[str]:
        """Shift dates that have a plan, sorted."""
        ...

    def save_plan_file(self, area: str, day: str, name: str, data: bytes | None) -> None:
        """Keep a file of shift ``day``'s plan (a route-sheet PDF, an uploaded track) under
        ``name`` (a bare file name); ``None`` removes it."""
        ...

    def read_plan_file(self, area: str, day: str, name: str) -> bytes | None:
        """A file of shift ``day``'s plan kept by :meth:`save_plan_file` (for a folder: any
        file of ``plans/web/<day>/``); None when absent."""
        ...

    def read_area_file(self, area: str, name: str) -> bytes | None:
        """A document of the area kept whole (``staff/roster.json``, ``staff/staffing.json``...):
        ``name`` is its path in the area folder; None when absent."""
        ...

    def area_file_names(self, area: str, prefix: str) -> list[str]:
        """Names of the area's documents under the folder ``prefix`` (``staff/history/``),
        sorted."""
        ...

    def update_area_file(
        self, area: str, name: str, change: Callable[[bytes | None], bytes | None]
    ) -> tuple[bytes | None, bytes | None]:
        """Store ``change(old)`` as the document ``name`` (None removes it) with no other
        write of it in between; returns (old, new)."""
        ...

    def add_patrol_log(self, area: str, log: PatrolLog) -> None:
        """Append one row to the area's patrol log."""
        ...

    def patrol_logs(
        self, area: str, *, start: str | None = None, end: str | None = None
    ) -> list[PatrolLog]:
        """Rows of the patrol log (``start <= date <= end``), in the order they were added."""
        ...

    # ------------------------------------------------------------------ users

    def get_user(self, username: str) -> UserRecord | None: ...

    def list_users(self) -> list[UserRecord]: ...

    def put_user(self, user: UserRecord) -> None:
        """Create or replace an account."""
        ...

    # ------------------------------------------------------------------ copies

    def export_area(self, area: str) -> AreaDump:
        """Everything of the area as plain data (layers as feature dicts as stored)."""
        ...

    def import_area(self, area: str, dump: AreaDump) -> None:
        """Make ``area`` exactly ``dump`` (an area already there is replaced whole)."""
        ...


@dataclass(frozen=True)
class StoredArea:
    """One area of a store: what the services take in place of an area folder
    (the web app serves the area of ``GEOGRID_STORE``, folder or database, as one)."""

    store: Store
    name: str

    def __str__(self) -> str:  # in messages, as a folder would be
        return self.name


#: where a service finds an area: its folder, or an area of a store
AreaRef = Path | str | StoredArea


def is_db_url(url_or_path: str | os.PathLike[str]) -> bool:
    """True for a PostgreSQL URL (``postgresql://``, ``postgresql+psycopg://``)."""
    return str(url_or_path).startswith(DB_SCHEMES)


def open_store(url_or_path: str | os.PathLike[str]) -> Store:
    """The store at a PostgreSQL URL, or the folder of area folders at a path."""
    if is_db_url(url_or_path):
        from geogrid.store.postgis import PostgisStore

        return PostgisStore(str(url_or_path))
    from geogrid.store.folder import FolderStore

    return FolderStore(Path(url_or_path))


def folder_of(area_dir: Path | str) -> tuple[FolderStore, str]:
    """The folder store holding the area folder ``area_dir`` and the area's name in it."""
    from geogrid.store.folder import FolderStore

    path = Path(area_dir)
    if path.name in ("", ".", ".."):
        path = path.resolve()
    return FolderStore(path.parent), path.name


def area_store(area_dir: AreaRef) -> tuple[Store, str]:
    """Where the area named by ``area_dir`` lives: the store and name of a
    :class:`StoredArea`; for a folder, the database of ``GEOGRID_STORE`` when it is set to a
    PostgreSQL URL (the area's name is the folder's name), else the folder."""
    if isinstance(area_dir, StoredArea):
        return area_dir.store, area_dir.name
    url = os.environ.get(ENV, "").strip()
    if url and is_db_url(url):
        name = Path(area_dir).name or Path(area_dir).resolve().name
        return open_store(url), name
    return folder_of(area_dir)


def command_area(area_dir: Path | str) -> AreaRef:
    """The area an AREA argument of a command names: with ``GEOGRID_STORE`` set to a
    PostgreSQL URL, the area of that database named as the folder's last part (``data/geo/demo``
    is the area ``demo``); otherwise the folder itself."""
    url = os.environ.get(ENV, "").strip()
    if url and is_db_url(url):
        path = Path(area_dir)
        return StoredArea(open_store(url), path.name or path.resolve().name)
    return Path(area_dir)


def folder_path(area: AreaRef) -> Path | None:
    """The folder of an area when it lives in one (a folder, or an area of a folder store
    while ``GEOGRID_STORE`` names no database); None for an area in a database."""
    from geogrid.store.folder import FolderStore

    store, name = area_store(area)
    return store.workspace(name).path if isinstance(store, FolderStore) else None


def conflict(
    area: str, parent: int | None, head: int | None, newer: list[GridVersion]
) -> ConflictError:
    """The error of a save made from ``parent`` while ``head`` is current."""

    def name(v: int | None) -> str:
        return "no version" if v is None else f"v{v:04d}"

    changes = "; ".join(f"{v.author} saved v{v.id:04d} at {v.time}: {v.message}" for v in newer)
    return ConflictError(
        f"{area}: the grids changed since you loaded them ({name(parent)}, now {name(head)})"
        + (f": {changes}" if changes else "")
        + ". Your change was not saved: reload to see theirs, then redo yours."
    )


def history_entry(
    layer: str,
    text: str,
    replaced_at: datetime,
    *,
    author: str | None,
    message: str | None,
    partial: bool = False,
    file: str | None = None,
) -> LayerHistoryEntry:
    """A history entry as :func:`geogrid.io.geojson.save_history` would write it at
    ``replaced_at`` (file named by the UTC time, sidecar with the layer's file, the time,
    author and message; ``"partial": true`` for a database import's changed records)."""
    when = replaced_at.astimezone(UTC)
    source = AREA_LAYERS[layer][0] if layer in AREA_LAYERS else f"layers/{layer}.geojson"
    meta: dict[str, Any] = {
        "layer": source,
        "replaced_at": when.isoformat().replace("+00:00", "Z"),
        "author": author,
        "message": message,
    }
    if partial:
        meta["partial"] = True
    return LayerHistoryEntry(
        layer=layer,
        file=file or f"{when.strftime('%Y%m%dT%H%M%S%fZ')}.geojson",
        text=text,
        sidecar=json.dumps(meta, ensure_ascii=False, indent=2) + "\n",
        replaced_at=meta["replaced_at"],
        author=author,
        message=message,
        partial=partial,
    )


def layer_conflict(
    area: str, layer: str, expected: int, now: int, history: list[dict[str, Any]]
) -> ConflictError:
    """The error of a layer write made from revision ``expected`` while ``now`` is current;
    ``history`` is :meth:`Store.layer_history` of the layer (who replaced what, when)."""
    # history[k] is the write that made revision k + 2 (it replaced revision k + 1)
    newer = history[max(expected - 1, 0) :]
    changes = "; ".join(
        f"{h.get('author') or 'someone'} wrote it at {h.get('replaced_at')}: {h.get('message')}"
        for h in newer
    )
    if expected == 0 and now > 0 and not changes:
        changes = "another write made it"
    return ConflictError(
        f"{area}: layer {layer} changed since you read it (revision {expected}, now {now})"
        + (f": {changes}" if changes else "")
        + ". Nothing was saved: run it again to work on theirs."
    )


def newer_than(versions: list[GridVersion], parent: int | None) -> list[GridVersion]:
    """Versions saved after ``parent`` (for a conflict message)."""
    return [v for v in versions if parent is None or v.id > parent]


def utc_time(text: str) -> pd.Timestamp:
    """An ISO time as a UTC timestamp (a time without zone is taken as UTC)."""
    time = pd.Timestamp(text)
    return time.tz_localize("UTC") if time.tz is None else time.tz_convert("UTC")
