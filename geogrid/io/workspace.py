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

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd

from geogrid.errors import InputError

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
    """Write JSON to ``path`` through a temp file in the same folder, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, indent=2)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
