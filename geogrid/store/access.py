"""One area as a command reads and writes it: its folder, or an area of the database.

:class:`AreaAccess` is what the import and data services hold instead of a
:class:`~geogrid.io.workspace.Workspace`: for a folder it *is* the workspace
(every read and write exactly as before), for an area of a database store
(``GEOGRID_STORE=postgresql://...``, or a :class:`~geogrid.store.base.StoredArea`) every
read and write goes through the :class:`~geogrid.store.base.Store` methods, each one
transaction, so the version tag changes and a failing command leaves the area as it was.

An area missing from the database is refused at once with one line naming it and the
database (no password), and how to put it there.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd

from geogrid.errors import InputError
from geogrid.io.workspace import AREA_LAYERS, Area, Workspace
from geogrid.store.base import AreaRef, Store, StoredArea, area_store, layer_conflict


def shown_store(store: Store) -> str:
    """The store as a person reads it in a message: a database URL without its password."""
    shown = getattr(store, "shown_url", None)
    return str(shown()) if callable(shown) else repr(store)


def missing_area(store: Store, area: str) -> InputError:
    """The one-line error of a command on an area the database does not hold."""
    return InputError(
        f"{area}: no such area in the database {shown_store(store)}; push its folder first "
        f"(`geogrid store push data/geo/{area} --db URL`), or build a new one there "
        f"(`geogrid area build ... --out data/geo/{area}` with GEOGRID_STORE set)"
    )


def _layer_file(name: str) -> str:
    return AREA_LAYERS[name][0] if name in AREA_LAYERS else f"layers/{name}.geojson"


@dataclass(frozen=True)
class AreaAccess:
    """An area's reads and writes: ``folder`` (a Workspace) when it lives in a folder, else
    the area ``name`` of ``store`` (a database)."""

    store: Store
    name: str
    folder: Workspace | None

    @classmethod
    def of(cls, where: AreaRef | Workspace) -> AreaAccess:
        """The area an AREA argument or a service's ``area_dir`` names (a folder, or the
        database of ``GEOGRID_STORE``, or a StoredArea); refuses an area missing from a
        database."""
        from geogrid.store.folder import FolderStore

        if isinstance(where, Workspace):
            store, name = area_store(where.path)
            return (
                cls(store, name, where) if isinstance(store, FolderStore) else cls._db(store, name)
            )
        store, name = area_store(where)
        if isinstance(store, FolderStore):
            folder = store.workspace(name) if isinstance(where, StoredArea) else Workspace(where)
            return cls(store, name, folder)
        return cls._db(store, name)

    @classmethod
    def _db(cls, store: Store, name: str) -> AreaAccess:
        if name not in store.list_areas():
            raise missing_area(store, name)
        return cls(store, name, None)

    # ------------------------------------------------------------------ where

    @property
    def in_database(self) -> bool:
        return self.folder is None

    @property
    def ref(self) -> AreaRef:
        """What the other services take for this area (the folder, or the StoredArea)."""
        return self.folder.path if self.folder is not None else StoredArea(self.store, self.name)

    def where(self) -> str:
        """The area in messages: its folder, or its name and database."""
        if self.folder is not None:
            return str(self.folder.path)
        return f"area {self.name} in {shown_store(self.store)}"

    def layer_where(self, name: str) -> str:
        """Where layer ``name`` is written, in messages (a file, or the database's layer)."""
        if self.folder is not None:
            return str(self.folder.layer_file(name))
        return f"{_layer_file(name)} of {self.where()}"

    # ------------------------------------------------------------------ reading

    def read_manifest(self) -> dict[str, Any]:
        if self.folder is not None:
            return self.folder.read_manifest()
        return self.store.read_manifest(self.name)

    def read(self, *, with_network: bool = True) -> Area:
        if self.folder is not None:
            return self.folder.read(with_network=with_network)
        return self.store.read_area(self.name, with_network=with_network)

    def read_layer(self, name: str, *, required: bool = False) -> gpd.GeoDataFrame | None:
        if self.folder is not None:
            return self.folder.read_layer(name, required=required)
        frame = self.store.read_layer(self.name, name)
        if frame is None and required:
            raise InputError(
                f"{self.layer_where(name)}: missing; build the area again or push it again"
            )
        return frame

    def layer_names(self) -> list[str]:
        if self.folder is not None:
            return self.folder.layer_names()
        return self.store.layer_names(self.name)

    # ------------------------------------------------------------------ writing

    def lock(self) -> AbstractContextManager[Any]:
        """The folder's lock; nothing for a database (each write is one transaction)."""
        return self.folder.lock() if self.folder is not None else nullcontext()

    def layer_revision(self, name: str) -> int:
        """Layer ``name``'s revision (:meth:`Store.layer_revision`): read it before the layer,
        give it to :meth:`write_layer` as ``expected``."""
        return self.store.layer_revision(self.name, name)

    def write_layer(
        self,
        name: str,
        frame: gpd.GeoDataFrame,
        *,
        author: str,
        message: str,
        expected: int | None = None,
    ) -> Path | str:
        """Validate and replace layer ``name``; returns where it went (file or database).

        With ``expected`` (the revision read before the layer) a layer written since is a
        :class:`~geogrid.errors.ConflictError` naming who wrote it, when and why; nothing is
        written (the folder checks under its lock, the database in the write's transaction).
        """
        if self.folder is not None:
            with self.folder.lock():
                if expected is not None:
                    now = self.layer_revision(name)
                    if now != expected:
                        history = self.store.layer_history(self.name, name)
                        raise layer_conflict(self.name, name, expected, now, history)
                return self.folder.write_layer(name, frame, author=author, message=message)
        self.store.write_layer(
            self.name, name, frame, author=author, message=message, expected=expected
        )
        return self.layer_where(name)
