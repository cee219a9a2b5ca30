"""Read the TOML mapping file of an office's own file (see ``data/mappings/``).

The mapping says which column is what, the coordinate system, the encoding,
the sheet and the header rows; :func:`geogrid.registers.mapping_from_dict`
checks it. Incident and road mappings have their own readers (:mod:`geogrid.io.incidents`,
:mod:`geogrid.io.roads`); every one reads its file with :func:`read_mapping_toml`.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from geogrid.errors import InputError
from geogrid.registers import ImportMapping, mapping_from_dict


def read_mapping_toml(path: Path, not_found: str) -> dict[str, Any]:
    """The tables of the TOML mapping file at ``path``.

    Raises
    ------
    InputError
        No such file ("<path>: ``not_found``"), not UTF-8, or not valid TOML (the error
        names the line).
    """
    if not path.exists():
        raise InputError(f"{path}: {not_found}")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as err:
        raise InputError(f"{path.name}: a mapping file is UTF-8 text; save it as UTF-8") from err
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"{path.name}: not valid TOML: {err}; fix the line it names") from err


def read_import_mapping(path: Path | str, kind: str) -> ImportMapping:
    """Read and check the mapping at ``path`` for a file of ``kind`` (households, grids ...)."""
    path = Path(path)
    data = read_mapping_toml(
        path,
        "mapping file not found; copy one of data/mappings/office_*.toml and "
        "name your columns in it",
    )
    return mapping_from_dict(data, kind, where=path.name)
