"""The office's own files: ``geogrid households import``, ``geogrid grids import``,
``geogrid layers import`` (key places, or ``--as communities``), ``geogrid teams import``.

One import family: FILE + ``--mapping M.toml`` (see ``data/mappings/office_*.toml``),
good rows kept, a rejects report with row and reason, re-runs change nothing.
The commands attach to the ``grids`` and ``layers`` groups and add the
``households`` and ``teams`` groups. With ``GEOGRID_STORE=postgresql://...`` AREA names
the database's area of that name (``data/geo/demo`` is the area ``demo``; no folder is
read or written), else the folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from geogrid.services.imports import ImportReport

from geogrid.cli.base import area_argument, friendly_errors, main, mapping_option, rejects_option
from geogrid.cli.grids import grids
from geogrid.cli.layers import layers
from geogrid.store.base import command_area

AREA = area_argument("area_dir")
FILE = click.argument("source", type=click.Path(path_type=Path, exists=True))
MAPPING = mapping_option(
    "TOML mapping: columns, coordinate system, encoding, sheet (data/mappings/office_*.toml)."
)
REJECTS = rejects_option("Rejects report CSV (default: <FILE>.rejects.csv next to FILE).")
AUTHOR = click.option("--author", default=None, help="Who imports (kept in the history).")


def _echo(lines: list[str]) -> None:
    for line in lines:
        click.echo(line)


def _echo_report(report: ImportReport) -> None:
    """Print what an import did; exit 1 when every row was rejected (as incidents import)."""
    _echo(report.lines())
    if report.rows and not report.kept:
        from geogrid.errors import InputError

        reasons = ", ".join(f"{reason} {n}" for reason, n in report.rejects.counts().items())
        hint = (
            "; to keep rows that match no building as point units, import with --unmatched points"
            if set(report.rejects.counts()) == {"no_building"}
            else ""
        )
        raise InputError(
            f"{report.source.name}: all {report.rows} rows were rejected ({reasons}), nothing "
            f"imported; the rows and reasons are in the rejects report {report.rejects_path}" + hint
        )


@main.group()
def households() -> None:
    """The household register (标准地址, 户数) of the area."""


@households.command("import")
@AREA
@FILE
@MAPPING
@click.option(
    "--unmatched",
    type=click.Choice(["reject", "points"]),
    default="reject",
    show_default=True,
    help="Rows matching no building: rejected, or kept as point units.",
)
@REJECTS
@AUTHOR
@friendly_errors
def households_import(
    area_dir: Path,
    source: Path,
    mapping_path: Path,
    unmatched: str,
    rejects_path: Path | None,
    author: str | None,
) -> None:
    """Sum register rows (CSV/Excel) into the buildings' households (source: register)."""
    from geogrid.services.imports import import_households

    report = import_households(
        command_area(area_dir),
        source,
        mapping_path,
        unmatched=unmatched,
        rejects_path=rejects_path,
        **({"author": author} if author else {}),
    )
    _echo_report(report)


@grids.command("import")
@AREA
@FILE
@MAPPING
@click.option(
    "--repair-slivers-m2",
    "repair_m2",
    type=float,
    default=None,
    help="Give overlaps and gaps under N m² to a neighbour, trim slivers outside.",
)
@click.option(
    "--band",
    "band_text",
    default="300-500",
    show_default=True,
    help="Households MIN-MAX per grid, for the checks.",
)
@REJECTS
@AUTHOR
@friendly_errors
def grids_import(
    area_dir: Path,
    source: Path,
    mapping_path: Path,
    repair_m2: float | None,
    band_text: str,
    rejects_path: Path | None,
    author: str | None,
) -> None:
    """Import the office's grid layer (Shapefile/zip, GeoPackage, KML/KMZ, GeoJSON) as a
    grid version "imported", checked like drawn grids."""
    from geogrid.cli.grids import _band
    from geogrid.grids import Band
    from geogrid.services.imports import import_grids

    result = import_grids(
        command_area(area_dir),
        source,
        mapping_path,
        repair_slivers_m2=repair_m2,
        band=Band(*_band(band_text)),
        rejects_path=rejects_path,
        **({"author": author} if author else {}),
    )
    _echo(result.lines())


@layers.command("import")
@AREA
@FILE
@click.option(
    "--layer", default=None, help="Layer name for key places: schools, police, cameras ..."
)
@click.option(
    "--as",
    "as_",
    type=click.Choice(["places", "communities"]),
    default="places",
    show_default=True,
    help="places: key places into --layer; communities: grid parents (社区/街道).",
)
@MAPPING
@REJECTS
@AUTHOR
@friendly_errors
def layers_import(
    area_dir: Path,
    source: Path,
    layer: str | None,
    as_: str,
    mapping_path: Path,
    rejects_path: Path | None,
    author: str | None,
) -> None:
    """Import key places (CSV/Excel with x/y, or any vector file) into a named layer, or
    communities / streets as the parents of the grids (--as communities)."""
    from geogrid.services.imports import import_communities, import_places

    extra = {"author": author} if author else {}
    if as_ == "communities":
        report = import_communities(
            command_area(area_dir), source, mapping_path, rejects_path=rejects_path, **extra
        )
    else:
        if not layer:
            raise click.UsageError("give --layer NAME (schools, police, cameras ...)")
        report = import_places(
            command_area(area_dir), source, layer, mapping_path, rejects_path=rejects_path, **extra
        )
    _echo_report(report)


@main.group()
def teams() -> None:
    """Patrol teams and their members."""


@teams.command("import")
@AREA
@FILE
@MAPPING
@REJECTS
@AUTHOR
@friendly_errors
def teams_import(
    area_dir: Path,
    source: Path,
    mapping_path: Path,
    rejects_path: Path | None,
    author: str | None,
) -> None:
    """Import teams and members (CSV/Excel); the base by coordinates or a key place's name."""
    from geogrid.services.imports import import_teams

    report = import_teams(
        command_area(area_dir),
        source,
        mapping_path,
        rejects_path=rejects_path,
        **({"author": author} if author else {}),
    )
    _echo_report(report)
