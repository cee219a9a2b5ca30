"""``geogrid incidents``: import, summary, hot spots and the public dataset.

Each command parses its options, calls :mod:`geogrid.services.incidents` and
prints what it returns.
"""

from __future__ import annotations

from pathlib import Path

import click

from geogrid.cli.base import friendly_errors, main
from geogrid.store.base import AreaRef, command_area


def _area(area_dir: Path | None) -> AreaRef | None:
    """--area: the folder, or with GEOGRID_STORE=postgresql://... the database's area of that
    name (``data/geo/demo`` is the area ``demo``)."""
    return None if area_dir is None else command_area(area_dir)


@main.group()
def incidents() -> None:
    """Incident records: import, counts, hot spots, public release."""


_AREA = click.option(
    "--area",
    "area_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Area folder (uses its incidents.geojson, grids and metric CRS); with "
    "GEOGRID_STORE=postgresql://... the database's area of the folder's name.",
)
_FILE = click.option(
    "--incidents",
    "incidents_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="An incidents.geojson outside an area.",
)
_ZONES = click.option(
    "--zones",
    "zones_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Polygons to count in instead of grids/H3 (e.g. the city's neighbourhoods or beats).",
)
_ZONE_ID = click.option(
    "--zone-id",
    default=None,
    help="Column of --zones naming each polygon (default: first text column).",
)
_TZ = click.option(
    "--tz", default=None, help="Local time zone (default: the area's, else Asia/Shanghai)."
)


@incidents.command("import")
@click.argument("source", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--mapping",
    "mapping_path",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="TOML mapping file (columns, coordinate system, time zone); see data/mappings/.",
)
@_AREA
@click.option(
    "--out",
    "out_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write/merge into this incidents.geojson instead of an area's.",
)
@click.option(
    "--rejects",
    "rejects_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Rejects report CSV (default: <SOURCE>.rejects.csv next to SOURCE).",
)
@click.option(
    "--keep-existing",
    is_flag=True,
    help="Keep stored records whose id comes again from the same source with other values "
    "(default: the new row corrects them); they are counted and listed.",
)
@friendly_errors
def incidents_import(
    source: Path,
    mapping_path: Path,
    area_dir: Path | None,
    out_path: Path | None,
    rejects_path: Path | None,
    keep_existing: bool,
) -> None:
    """Import SOURCE (CSV/TSV, GeoJSON, GeoPackage, Parquet) through a mapping file.

    Good rows are merged by id: new ids are added; importing the same file twice changes
    nothing. A row whose id is already stored from the same source (the mapping's name)
    with other values (position, time, category, zone) is a correction: it replaces the
    stored record, reported as "N corrected", the previous file kept in history/
    (--keep-existing keeps the stored ones and reports them). Ids stored from another
    source are kept. Bad rows go to a rejects report with row number and reason,
    <SOURCE>.rejects.csv next to SOURCE unless --rejects says where.
    """
    from geogrid.services.incidents import import_file

    report = import_file(
        source, mapping_path, area_dir=_area(area_dir), out_path=out_path,
        rejects_path=rejects_path,
        correct=not keep_existing,
    )  # fmt: skip
    for line in report.lines():
        click.echo(line)
    if report.result.rows and not len(report.result.incidents):
        from geogrid.errors import InputError

        raise InputError(
            f"{source.name}: all {report.result.rows} rows were rejected, nothing imported; "
            f"the reasons are in the rejects report {report.rejects_path} (check the mapping's "
            "columns, coordinate system and the area's boundary)"
        )


@incidents.command("summary")
@_AREA
@_FILE
@_ZONES
@_ZONE_ID
@_TZ
@click.option(
    "--freq",
    type=click.Choice(["day", "week", "month", "quarter", "year"]),
    default="month",
    show_default=True,
)
@click.option(
    "--level",
    type=click.Choice(["cell", "community", "street", "zone"]),
    default="cell",
    show_default=True,
    help="Count by grid/hexagon, parent, or source zone.",
)
@click.option(
    "--resolution", type=int, default=9, show_default=True, help="H3 resolution without grids."
)
@click.option("--period", default=None, help="Report change for this period, e.g. 2025-06.")
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the full table as CSV.",
)
@friendly_errors
def incidents_summary(
    area_dir: Path | None,
    incidents_file: Path | None,
    zones_file: Path | None,
    zone_id: str | None,
    tz: str | None,
    freq: str,
    level: str,
    resolution: int,
    period: str | None,
    csv_path: Path | None,
) -> None:
    """Counts (and rates per 1,000 households with grids) by place and period."""
    from geogrid.services import incidents as service

    data = service.load(
        _area(area_dir), incidents_file, timezone=tz, zones_file=zones_file, zone_id=zone_id
    )
    result = service.summary(
        data, freq=freq, level=level, resolution=resolution, period=period, csv_path=csv_path
    )
    table = result.table
    click.echo(f"{len(data.incidents)} incidents, {table['place'].nunique()} places, by {freq}")
    click.echo(table.sort_values("count", ascending=False).head(10).to_string(index=False))
    change = result.change
    if change is not None:
        click.echo(change.text())
        click.echo(change.phrase_zh())
    if csv_path is not None:
        click.echo(f"wrote {csv_path}")


#: Hot spots printed when --top is not given.
SHOWN_HOTSPOTS = 10


@incidents.command("hotspots")
@_AREA
@_FILE
@_ZONES
@_ZONE_ID
@_TZ
@click.option(
    "--resolution",
    type=int,
    default=9,
    show_default=True,
    help="H3 resolution when the area has no grids.",
)
@click.option("--alpha", type=float, default=0.05, show_default=True, help="False discovery rate.")
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=None,
    help="Keep the N hottest: N are printed and N written by --out (default: print 10, write all).",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the ranked hot spots as GeoJSON (patrol stops); --top N writes the N hottest.",
)
@friendly_errors
def incidents_hotspots(
    area_dir: Path | None,
    incidents_file: Path | None,
    zones_file: Path | None,
    zone_id: str | None,
    tz: str | None,
    resolution: int,
    alpha: float,
    top: int | None,
    out_path: Path | None,
) -> None:
    """Hot spots by Getis-Ord Gi* with FDR correction, ranked as patrol stops."""
    from geogrid.services import incidents as service

    data = service.load(
        _area(area_dir), incidents_file, timezone=tz, zones_file=zones_file, zone_id=zone_id
    )
    spots = service.hotspots(data, resolution=resolution, alpha=alpha, top=top, out_path=out_path)
    if data.cells is None:
        cells = f"H3 cells of resolution {resolution}"
    elif zones_file is not None:
        cells = f"{len(data.cells)} zones of {zones_file.name}"
    else:
        cells = f"the area's {len(data.cells)} grids"
    click.echo(
        f"{len(spots)} hot spots (Gi*, FDR {alpha}) among {len(data.incidents)} incidents "
        f"counted in {cells}"
    )
    if not len(spots):
        hint = (
            f"; to look finer than the grids: --incidents {area_dir / 'incidents.geojson'} "
            "--resolution 9 (H3 cells)"
            if data.cells is not None
            and zones_file is None
            and area_dir is not None
            and isinstance(_area(area_dir), Path)
            else ""
        )
        click.echo(f"none stands out at FDR {alpha}{hint}")
        if out_path is not None:
            click.echo(f"wrote {out_path}")
        return
    shown = top if top is not None else SHOWN_HOTSPOTS
    show = spots.drop(columns="geometry").head(shown)
    click.echo(
        show[["rank", "id", "score", "p_fdr", "count", "priority", "peak_hours"]].to_string(
            index=False
        )
    )
    if len(spots) > len(show):
        click.echo(f"({len(show)} of {len(spots)} shown; --top N shows N)")
    if out_path is not None:
        click.echo(f"wrote {out_path}")


@incidents.command("publish")
@_AREA
@_FILE
@_TZ
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Folder for incidents_public.geojson / .csv.",
)
@click.option("--k", type=int, default=5, show_default=True, help="Suppress counts under k.")
@click.option(
    "--freq", type=click.Choice(["month", "quarter", "year"]), default="month", show_default=True
)
@click.option(
    "--by-category/--all-categories",
    default=True,
    show_default=True,
    help="One row per category, or all (non-sensitive) categories together.",
)
@click.option(
    "--resolution",
    type=int,
    default=8,
    show_default=True,
    help="H3 resolution when the area has no grids.",
)
@friendly_errors
def incidents_publish(
    area_dir: Path | None,
    incidents_file: Path | None,
    tz: str | None,
    out_dir: Path,
    k: int,
    freq: str,
    by_category: bool,
    resolution: int,
) -> None:
    """Write the public dataset: counts by cell and month, release rules applied."""
    from geogrid.services import incidents as service

    data = service.load(_area(area_dir), incidents_file, timezone=tz)
    released, paths = service.publish(
        data, out_dir, k=k, freq=freq, by_category=by_category, resolution=resolution
    )
    click.echo(
        f"{len(released)} rows ({int(released['suppressed'].sum())} suppressed under k={k}, "
        f"{released.attrs['sensitive_rows_dropped']} sensitive dropped)"
    )
    for path in paths:
        click.echo(f"wrote {path}")
