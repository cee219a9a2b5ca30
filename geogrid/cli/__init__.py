"""The ``geogrid`` command line: one module per command group.

``geogrid.cli.base`` holds the top-level group; each submodule adds its group
when imported here. Add a new group as ``geogrid/cli/<group>.py`` and import it
below.
"""

from geogrid.cli import (  # noqa: F401  (registers the groups)
    area,
    demo,
    grids,
    imports,
    incidents,
    layers,
    micro,
    network,
    patrol,
    plan,
    rota,
    staff,
    store,
)
from geogrid.cli.base import main

__all__ = ["main"]
