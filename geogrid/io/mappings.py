"""Read the TOML mapping file of an office's own file (see ``data/mappings/``).

The mapping says which column is what, the coordinate system, the encoding,
the sheet and the header rows; :func:`geogrid.registers.mapping_from_dict`
checks it. Incident mappings have their own reader (:mod:`geogrid.io.incidents`).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from geogrid.errors import InputError
from geogrid.registers import ImportMapping, mapping_from_dict


def read_import_mapping(path: Path | str, kind: str) -> ImportMapping:
    """Read and check the mapping at ``path`` for a file of ``kind`` (households, grids ...)."""
    path = Path(path)
    if not path.exists():
        raise InputError(
            f"{path}: mapping file not found; copy one of data/mappings/office_*.toml and "
            "name your columns in it"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as err:
        raise InputError(f"{path.name}: a mapping file is UTF-8 text; save it as UTF-8") from err
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"{path.name}: not valid TOML: {err}; fix the line it names") from err
    return mapping_from_dict(data, kind, where=path.name)
