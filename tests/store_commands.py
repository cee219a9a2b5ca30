"""Shared helpers of the tests that run a command on an area of the database
(``GEOGRID_STORE=postgresql://...``) next to the same command on a folder twin (not a
test module).

:func:`twins` copies an area folder twice: one copy stays a folder (what the command gives
today), the other is pushed into the test database under a unique name; the command then
runs with ``GEOGRID_STORE`` on ``<tmp>/nowhere/<name>``, a folder that does not exist, so
a command that silently used a folder fails instead of passing.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from tests.store_db import db_url, unique_name


@dataclass
class Twins:
    """One area twice: ``folder`` (a folder) and ``name`` in ``store`` (the database)."""

    folder: Path
    store: Any  #: PostgisStore
    name: str
    url: str
    missing: Path  #: the AREA argument for the database: a folder that does not exist

    def run_db(self, args: list[str]) -> Result:
        """The command with GEOGRID_STORE naming the test database."""
        from geogrid.cli import main

        return CliRunner().invoke(main, args, env={"GEOGRID_STORE": self.url})

    def run_folder(self, args: list[str]) -> Result:
        """The same command on the folder twin, GEOGRID_STORE unset."""
        from geogrid.cli import main

        return CliRunner().invoke(main, args, env={"GEOGRID_STORE": ""})

    def db_layer(self, layer: str) -> list[dict[str, Any]]:
        """Features of a layer as the database holds them ([] when absent)."""
        return list(self.store.export_area(self.name).layers.get(layer, []))

    def folder_layer(self, layer: str) -> list[dict[str, Any]]:
        """Features of the same layer of the folder twin, as stored."""
        from geogrid.store.folder import FolderStore

        dump = FolderStore(self.folder.parent).export_area(self.folder.name)
        return list(dump.layers.get(layer, []))

    def snapshot(self) -> tuple[str, Any]:
        """(version tag, layers and grid versions) of the database area: to check a failed
        command changed nothing."""
        dump = self.store.export_area(self.name)
        return self.store.version_tag(self.name), (
            dump.layers,
            [v.id for v in dump.history.versions],
            dump.history.head,
        )


def twins(folder: Path, tmp_path: Path) -> Twins:
    """``folder`` copied as a folder twin and pushed into the test database (skips without
    GEOGRID_TEST_DB)."""
    from geogrid.store.folder import FolderStore
    from geogrid.store.postgis import PostgisStore
    from geogrid.store.transfer import copy_area

    url = db_url()
    name = unique_name("cmd")
    root = tmp_path / "twins"
    shutil.copytree(folder, root / name, ignore=shutil.ignore_patterns(".lock"))
    store = PostgisStore(url)
    copy_area(FolderStore(root), name, store, name)
    missing = tmp_path / "nowhere" / name
    assert not missing.exists()
    return Twins(root / name, store, name, url, missing)


def same_features(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> bool:
    """Two layers hold the same features (properties and geometry, in order; a coordinate
    pair as a tuple or a list alike)."""

    def plain(features: list[dict[str, Any]]) -> Any:
        return json.loads(json.dumps([(f.get("properties"), f.get("geometry")) for f in features]))

    return bool(plain(a) == plain(b))
