"""Area workspace: one folder per area, owned by one object, :class:`Workspace`.

Layout (see docs/ARCHITECTURE.md)::

    area.json, boundary.geojson, grids.geojson, communities.geojson,
    buildings.geojson, residential_land.geojson, layers/<name>.geojson,
    incidents.geojson, teams.geojson, network/nodes.geojson, network/edges.geojson,
    history/, grid_versions/, plans/, patrol.toml, .lock

:class:`Workspace` is the only code that spells these names. It gives the path
of every file, reads the area (:meth:`Workspace.read`: every layer validated
against its spec in :mod:`geogrid.layers`; reading never writes anything),
writes layers (:meth:`Workspace.write_layer`: validated, atomic, the previous
file kept under ``history/``) and holds the area's lock (:meth:`Workspace.lock`:
a file lock on ``<area>/.lock``, re-entrant within a thread, exclusive across
threads and processes) that every write takes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
from filelock import BaseFileLock, FileLock

from geogrid.errors import InputError
from geogrid.incidents.mapping import DEFAULT_TIMEZONE
from geogrid.io import geojson
from geogrid.io.atomic import write_json_atomic

MANIFEST = "area.json"
MANIFEST_SCHEMA = "geogrid-area/1"
DEFAULT_ROOT = Path("data/geo")
LOCK = ".lock"

#: The area's own layers: name -> (file inside the area folder, layer spec).
#: Any other name is a key-location layer, ``layers/<name>.geojson`` (spec ``places``).
AREA_LAYERS: dict[str, tuple[str, str]] = {
    "boundary": ("boundary.geojson", "boundary"),
    "grids": ("grids.geojson", "grids"),
    "communities": ("communities.geojson", "communities"),
    "micro_grids": ("micro_grids.geojson", "micro_grids"),
    "buildings": ("buildings.geojson", "buildings"),
    "residential_land": ("residential_land.geojson", "residential_land"),
    "incidents": ("incidents.geojson", "incidents"),
    "teams": ("teams.geojson", "teams"),
    "nodes": ("network/nodes.geojson", "nodes"),
    "edges": ("network/edges.geojson", "edges"),
}
PLACES_SPEC = "places"


@dataclass
class Area:
    """An area workspace loaded into memory (all frames in EPSG:4326)."""

    path: Path
    manifest: dict[str, Any]
    boundary: gpd.GeoDataFrame
    grids: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    incidents: gpd.GeoDataFrame | None = None
    teams: gpd.GeoDataFrame | None = None
    nodes: gpd.GeoDataFrame | None = None
    edges: gpd.GeoDataFrame | None = None
    communities: gpd.GeoDataFrame | None = None
    residential_land: gpd.GeoDataFrame | None = None

    @property
    def name(self) -> str:
        return str(self.manifest["name"])

    @property
    def metric_crs(self) -> str:
        return str(self.manifest["metric_crs"])

    @property
    def timezone(self) -> str:
        """The area's IANA time zone (``area.json`` ``timezone``); every hour, day and month
        shown for the area is in it. Areas built before it was stored: Asia/Shanghai."""
        return str(self.manifest.get("timezone") or DEFAULT_TIMEZONE)

    @property
    def timezone_stated(self) -> bool:
        """True when ``area.json`` names the time zone (False: the Asia/Shanghai default)."""
        return bool(self.manifest.get("timezone"))

    @property
    def has_streets(self) -> bool:
        """False for an incidents-only area (built from a boundary alone, no street network)."""
        return self.manifest.get("streets", True) is not False

    def require_streets(self, command: str) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
        """The street network (nodes, edges), or an InputError saying what is missing and how
        to add it (``command`` is what needs the streets, e.g. ``geogrid plan``)."""
        if self.nodes is not None and self.edges is not None and len(self.edges):
            return self.nodes, self.edges
        why = (
            "it was built from a boundary alone, for incidents only"
            if not self.has_streets
            else "network/nodes.geojson or network/edges.geojson is missing or empty"
        )
        raise InputError(
            f"area {self.path} has no street network ({why}); {command} needs streets. "
            "Add them by building the area again from an OpenStreetMap file of the same place "
            f"(openstreetmap.org Export or a Geofabrik .osm.pbf): geogrid area build OSM_FILE "
            f"--boundary BOUNDARY.geojson --out {self.path} (incidents, grids and teams are kept)"
        )


class Workspace:
    """The area folder at ``path``: its paths, its reading, its writing, its lock."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"Workspace({str(self.path)!r})"

    # ------------------------------------------------------------------ paths

    @property
    def manifest_path(self) -> Path:
        return self.path / MANIFEST

    def layer_file(self, name: str) -> Path:
        """The file of a layer: an area layer (``grids``, ``teams``...) or a key-location layer."""
        if name in AREA_LAYERS:
            return self.path / AREA_LAYERS[name][0]
        return self.layer_path(name)

    @property
    def boundary_path(self) -> Path:
        return self.layer_file("boundary")

    @property
    def grids_path(self) -> Path:
        return self.layer_file("grids")

    @property
    def communities_path(self) -> Path:
        return self.layer_file("communities")

    @property
    def micro_grids_path(self) -> Path:
        """Micro-grids (微网格) of the grids (optional; ``geogrid grids micro``)."""
        return self.layer_file("micro_grids")

    @property
    def buildings_path(self) -> Path:
        return self.layer_file("buildings")

    @property
    def residential_land_path(self) -> Path:
        """``landuse=residential`` polygons kept from the OSM read (optional)."""
        return self.layer_file("residential_land")

    @property
    def incidents_path(self) -> Path:
        return self.layer_file("incidents")

    @property
    def teams_path(self) -> Path:
        return self.layer_file("teams")

    @property
    def nodes_path(self) -> Path:
        return self.layer_file("nodes")

    @property
    def edges_path(self) -> Path:
        return self.layer_file("edges")

    @property
    def layers_dir(self) -> Path:
        """Key-location layers, one file per layer."""
        return self.path / "layers"

    def layer_path(self, name: str) -> Path:
        """The file of key-location layer ``name`` (``layers/<name>.geojson``)."""
        return self.layers_dir / f"{name}.geojson"

    def layer_names(self) -> list[str]:
        """Names of the key-location layers on disk, sorted."""
        return sorted(p.stem for p in self.layers_dir.glob("*.geojson"))

    @property
    def history_dir(self) -> Path:
        """Previous versions of every replaced layer."""
        return self.path / "history"

    @property
    def grid_versions_dir(self) -> Path:
        """Saved grid versions (see :mod:`geogrid.io.versions`)."""
        return self.path / "grid_versions"

    @property
    def versions_index_path(self) -> Path:
        return self.grid_versions_dir / "index.json"

    def version_dir(self, version_id: int) -> Path:
        return self.grid_versions_dir / f"v{version_id:04d}"

    def version_grids_path(self, version_id: int) -> Path:
        return self.version_dir(version_id) / "grids.geojson"

    def version_units_path(self, version_id: int) -> Path:
        return self.version_dir(version_id) / "units.geojson"

    def plans_dir(self, day: str | None = None) -> Path:
        """Patrol plans: ``plans/`` (the CLI's default), or ``plans/web/<day>/`` for a shift."""
        if day is None:
            return self.path / "plans"
        return self.web_plans_dir / day

    def rota_dir(self, week: str) -> Path:
        """A week's rota (``plans/rota/<YYYY-Www>/``: rota.json, rota.csv, rota.pdf, <team>.pdf);
        each night's routes go to :meth:`plans_dir` of its date."""
        return self.path / "plans" / "rota" / week

    @property
    def rota_weeks_dir(self) -> Path:
        """One folder per week with a rota (``geogrid rota``)."""
        return self.path / "plans" / "rota"

    @property
    def web_plans_dir(self) -> Path:
        """One folder per shift date of the plans computed from the web app."""
        return self.path / "plans" / "web"

    @property
    def patrol_log_path(self) -> Path:
        """The patrol log: one CSV row per patrol (date, team, members, planned/done, km, hours)."""
        return self.path / "patrol_log.csv"

    @property
    def patrol_visits_path(self) -> Path:
        """Stops of each logged patrol, planned and visited (one CSV row per stop and patrol)."""
        return self.path / "patrol_visits.csv"

    def track_path(self, day: str, team: str) -> Path:
        """A logged patrol's track and stop matches (GeoJSON) beside the day's plan."""
        return self.plans_dir(day) / f"{team}.track.geojson"

    def report_dir(self, month: str) -> Path:
        """A monthly report (``geogrid report``): report.pdf, report.csv, report.xlsx."""
        return self.path / "reports" / month

    @property
    def patrol_config_path(self) -> Path:
        """The area's own patrol config (optional)."""
        return self.path / "patrol.toml"

    @property
    def staff_dir(self) -> Path:
        """1+3+N staffing (``geogrid staff``): roster.json, staffing.json, tables, notice boards."""
        return self.path / "staff"

    @property
    def roster_path(self) -> Path:
        """The imported staff roster (people, roles, homes, capacities)."""
        return self.staff_dir / "roster.json"

    @property
    def staffing_path(self) -> Path:
        """The current staffing: who serves which grid (the previous one under history/)."""
        return self.staff_dir / "staffing.json"

    @property
    def staffing_csv_path(self) -> Path:
        """The per-grid staffing table (CSV, Chinese headers)."""
        return self.staff_dir / "staffing.csv"

    @property
    def staffing_xlsx_path(self) -> Path:
        """The per-grid staffing table (Excel)."""
        return self.staff_dir / "staffing.xlsx"

    @property
    def notice_boards_path(self) -> Path:
        """The grid notice boards (网格公示牌), one A4 page per grid."""
        return self.staff_dir / "notice_boards.pdf"

    @property
    def staffing_history_dir(self) -> Path:
        """Earlier staffings, one JSON file each (``geogrid staff diff``)."""
        return self.staff_dir / "history"

    @property
    def staffing_rules_path(self) -> Path:
        """The district's 1+3+N rules (optional; defaults otherwise)."""
        return self.path / "staffing.toml"

    @property
    def lock_path(self) -> Path:
        return self.path / LOCK

    def exists(self) -> bool:
        """True when the folder holds an area (its manifest)."""
        return self.manifest_path.exists()

    # ------------------------------------------------------------------ reading

    def read_manifest(self) -> dict[str, Any]:
        """Read and check ``area.json``."""
        path = self.manifest_path
        if not path.exists():
            raise InputError(
                f"{path}: no area manifest here; build the area first "
                "(`geogrid area build ...` or `geogrid demo build`)"
            )
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise InputError(f"{path}: malformed JSON at line {err.lineno}: {err.msg}") from err
        missing = [k for k in ("name", "metric_crs", "sources") if k not in manifest]
        if missing:
            raise InputError(f"{path}: manifest lacks {', '.join(missing)}; rebuild the area")
        return dict(manifest)

    def read_layer(self, name: str, *, required: bool = False) -> gpd.GeoDataFrame | None:
        """One layer validated against its spec; None when absent and not ``required``."""
        path = self.layer_file(name)
        if not path.exists():
            if required:
                raise InputError(f"{path}: missing; rebuild the area or restore it from history/")
            return None
        spec = AREA_LAYERS[name][1] if name in AREA_LAYERS else PLACES_SPEC
        return geojson.read_layer(path, spec)

    def read(self, *, with_network: bool = True) -> Area:
        """Load the area, validating every layer against its spec. Writes nothing.

        Raises :class:`~geogrid.errors.InputError` listing every problem of every
        layer (file, feature, property, how to fix) rather than the first one.
        """
        manifest = self.read_manifest()
        bbox = tuple(manifest["bbox"]) if "bbox" in manifest else None
        problems: list[str] = []

        def load(path: Path, spec: str, required: bool = True) -> gpd.GeoDataFrame | None:
            if not path.exists():
                if required:
                    problems.append(
                        f"{path}: missing; rebuild the area or restore it from history/"
                    )
                return None
            try:
                return geojson.read_layer(path, spec, expected_bbox=bbox)
            except InputError as err:
                problems.extend(err.problems or [str(err)])
                return None

        def area_layer(name: str, required: bool = True) -> gpd.GeoDataFrame | None:
            return load(self.layer_file(name), AREA_LAYERS[name][1], required)

        boundary = area_layer("boundary")
        grids = area_layer("grids")
        communities = area_layer("communities", required=False)
        buildings = area_layer("buildings")
        residential_land = area_layer("residential_land", required=False)
        layers: dict[str, gpd.GeoDataFrame] = {}
        for name in self.layer_names():
            frame = load(self.layer_path(name), PLACES_SPEC)
            if frame is not None:
                layers[name] = frame
        incidents = area_layer("incidents", required=False)
        teams = area_layer("teams", required=False)
        nodes = edges = None
        if with_network:  # an incidents-only area has none ("streets": false)
            needed = manifest.get("streets", True) is not False
            nodes = area_layer("nodes", required=needed)
            edges = area_layer("edges", required=needed)
        if problems:
            raise InputError(f"area {self.path} has invalid layers", problems)
        assert boundary is not None and grids is not None and buildings is not None
        return Area(
            path=self.path,
            manifest=manifest,
            boundary=boundary,
            grids=grids,
            buildings=buildings,
            layers=layers,
            incidents=incidents,
            teams=teams,
            nodes=nodes,
            edges=edges,
            communities=communities,
            residential_land=residential_land,
        )

    def version_tag(self) -> str:
        """A short tag that changes whenever a file of the area is written (no file is read).

        Made from the identity (inode), size and modification time of the
        manifest, every layer and the grid version index; every write replaces
        a file through a rename, so every write changes the tag. A folder that
        is not there has a tag too.
        """
        paths = [
            self.manifest_path,
            *(self.layer_file(n) for n in AREA_LAYERS),
            self.versions_index_path,
        ]
        paths += [self.layer_path(n) for n in self.layer_names()]
        parts = []
        for path in paths:
            try:
                st = path.stat()
            except OSError:
                parts.append(f"{path.name}:-")
                continue
            parts.append(f"{path.relative_to(self.path)}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}")
        return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:16]

    # ------------------------------------------------------------------ writing

    def lock(self) -> BaseFileLock:
        """The area's lock (``<area>/.lock``), to use as ``with ws.lock(): ...``.

        Re-entrant within a thread; other threads and processes wait for it.
        Every write of the area takes it, so a save that picks the next grid
        version id cannot interleave with another one.
        """
        self.path.mkdir(parents=True, exist_ok=True)
        return FileLock(str(self.lock_path.resolve()), is_singleton=True)

    def write_layer(self, name: str, frame: gpd.GeoDataFrame, author: str, message: str) -> Path:
        """Validate ``frame`` and write it as layer ``name``, atomically, under the lock.

        ``name`` is an area layer (``boundary``, ``grids``, ``communities``,
        ``buildings``, ``incidents``, ``teams``, ``nodes``, ``edges``) or a
        key-location layer (``schools`` -> ``layers/schools.geojson``). The
        file it replaces goes to ``history/`` with ``author`` and ``message``.
        """
        spec = AREA_LAYERS[name][1] if name in AREA_LAYERS else PLACES_SPEC
        with self.lock():
            return geojson.write_layer(
                frame,
                self.layer_file(name),
                spec,
                history_dir=self.history_dir,
                author=author,
                message=message,
            )

    def write_manifest(self, manifest: dict[str, Any]) -> Path:
        """Write ``area.json`` atomically, under the lock."""
        with self.lock():
            return write_json_atomic(self.manifest_path, manifest)


def read_manifest(folder: Path | str) -> dict[str, Any]:
    """Read and check ``area.json`` of an area folder."""
    return Workspace(folder).read_manifest()


def read_area(folder: Path | str, *, with_network: bool = True) -> Area:
    """Load an area workspace (see :meth:`Workspace.read`); reading never writes."""
    return Workspace(folder).read(with_network=with_network)
