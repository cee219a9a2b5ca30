"""Area workspace: one folder per area holding a manifest and GeoJSON layers.

Layout (see docs/ARCHITECTURE.md)::

    area.json, boundary.geojson, grids.geojson, buildings.geojson,
    layers/<name>.geojson, incidents.geojson, teams.geojson,
    network/nodes.geojson, network/edges.geojson, history/

Reading validates every layer against its spec in :mod:`geogrid.layers`;
writing is atomic (temp file + rename) and keeps the previous version of an
edited layer under ``history/``.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd

from geogrid.errors import InputError
from geogrid.io.atomic import write_text_atomic

MANIFEST = "area.json"
MANIFEST_SCHEMA = "geogrid-area/1"
DEFAULT_ROOT = Path("data/geo")


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

    @property
    def name(self) -> str:
        return str(self.manifest["name"])

    @property
    def metric_crs(self) -> str:
        return str(self.manifest["metric_crs"])


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON (UTF-8, Chinese kept readable) to ``path`` atomically."""
    write_text_atomic(path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def read_manifest(folder: Path) -> dict[str, Any]:
    """Read and check ``area.json`` of an area folder."""
    path = Path(folder) / MANIFEST
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
    return manifest


def read_area(folder: Path | str, *, with_network: bool = True) -> Area:
    """Load an area workspace, validating every layer against its spec.

    Raises :class:`~geogrid.errors.InputError` listing every problem of every
    layer (file, feature, property, how to fix) rather than the first one.
    """
    from geogrid.io import geojson  # local: geojson imports nothing from here

    folder = Path(folder)
    manifest = read_manifest(folder)
    bbox = tuple(manifest["bbox"]) if "bbox" in manifest else None
    problems: list[str] = []

    def load(rel: str, spec: str, required: bool = True) -> gpd.GeoDataFrame | None:
        path = folder / rel
        if not path.exists():
            if required:
                problems.append(f"{path}: missing; rebuild the area or restore it from history/")
            return None
        try:
            return geojson.read_layer(path, spec, expected_bbox=bbox)
        except InputError as err:
            problems.extend(err.problems or [str(err)])
            return None

    boundary = load("boundary.geojson", "boundary")
    _repair_interrupted_grid_save(folder)
    grids = load("grids.geojson", "grids")
    buildings = load("buildings.geojson", "buildings")
    layers: dict[str, gpd.GeoDataFrame] = {}
    for path in sorted((folder / "layers").glob("*.geojson")):
        frame = load(f"layers/{path.name}", "places")
        if frame is not None:
            layers[path.stem] = frame
    incidents = load("incidents.geojson", "incidents", required=False)
    teams = load("teams.geojson", "teams", required=False)
    nodes = edges = None
    if with_network:
        nodes = load("network/nodes.geojson", "nodes")
        edges = load("network/edges.geojson", "edges")
    if problems:
        raise InputError(f"area {folder} has invalid layers", problems)
    assert boundary is not None and grids is not None and buildings is not None
    return Area(
        path=folder,
        manifest=manifest,
        boundary=boundary,
        grids=grids,
        buildings=buildings,
        layers=layers,
        incidents=incidents,
        teams=teams,
        nodes=nodes,
        edges=edges,
    )


def _repair_interrupted_grid_save(folder: Path) -> None:
    """Bring grids.geojson back in line with the current saved grid version, if a save
    was killed between recording the version and writing the live file."""
    from geogrid.io.versions import sync_live  # local: versions imports this module

    with contextlib.suppress(OSError):  # a read-only copy of an area: serve what is there
        sync_live(folder)
