"""Copy an area between stores: ``geogrid store push`` (folder -> database) and ``pull``.

A copy moves everything the store keeps of an area: manifest, every layer
(features as stored, so a folder pushed and pulled back gives byte-identical
layer files), every grid version with its units, undos, plans, the patrol
log and the layer history (the folder's ``history/<layer>/`` files and their
sidecars, byte for byte; an incidents import made in the database kept only
the records it replaced, and its sidecar says ``"partial": true``). The plans'
GPX and PDF files are not copied (they are made again from what is).

Pushing an area the database already holds replaces its layers, versions,
plans and logs, but *appends* to its layer history: the entries written in the
database since (imports run there) stay, with the pushed folder's entries it
lacked, in time order; pulling it afterwards gives them all as files.
"""

from __future__ import annotations

import os
from pathlib import Path

from geogrid.errors import InputError
from geogrid.store.base import Store, folder_of, is_db_url, open_store
from geogrid.store.folder import FolderStore


def copy_area(source: Store, area: str, target: Store, name: str | None = None) -> str:
    """Copy ``area`` of ``source`` into ``target`` as ``name`` (same name by default),
    replacing what ``target`` had under that name (a database keeps its layer history and
    adds the copy's); returns the name."""
    name = name or area
    target.import_area(name, source.export_area(area))
    return name


def _database(url: str | os.PathLike[str]) -> Store:
    if not is_db_url(url):
        raise InputError(f"{url}: give a PostgreSQL URL, e.g. postgresql://user@host/geogrid")
    return open_store(url)


def push(area_dir: Path | str, url: str, name: str | None = None) -> str:
    """Copy the area folder ``area_dir`` into the database at ``url`` (as its folder's name
    unless ``name`` is given), replacing that area there; returns the name."""
    folder, area = folder_of(area_dir)
    if not folder.workspace(area).exists():
        raise InputError(f"{area_dir}: no area here (no area.json); give an area folder")
    return copy_area(folder, area, _database(url), name)


def pull(url: str, area: str, out_dir: Path | str) -> Path:
    """Write area ``area`` of the database at ``url`` as a new area folder ``out_dir``."""
    out = Path(out_dir)
    if out.name in ("", ".", ".."):
        out = out.resolve()
    copy_area(_database(url), area, FolderStore(out.parent), out.name)
    return out
