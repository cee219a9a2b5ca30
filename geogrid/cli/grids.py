"""``geogrid grids``: generate, validate, edit, undo, compare and report household grids."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from geogrid.cli.base import author_options, friendly_errors, main

if TYPE_CHECKING:
    from geogrid.services.grids import GridResult

AREA = click.argument("area_dir", type=click.Path(path_type=Path))
WORKERS_CSV = click.option(
    "--workers-csv",
    type=click.Path(path_type=Path),
    default=None,
    help="Write per grid worker the buildings/units in and out of each grid (CSV).",
)


def _band(text: str) -> tuple[int, int]:
    try:
        low, high = (int(v) for v in text.split("-"))
    except ValueError as err:
        raise click.BadParameter(f"{text!r}: give MIN-MAX households, e.g. 300-500") from err
    return low, high


def _admin_levels(values: tuple[str, ...]) -> list[int]:
    """``--admin-level`` values (``8,9``, repeated, or both) -> the levels, in order, once each."""
    levels: list[int] = []
    for value in values:
        for part in str(value).replace("，", ",").split(","):
            if not part.strip():
                continue
            try:
                level = int(part)
            except ValueError as err:
                raise click.BadParameter(
                    f"{part.strip()!r} is not an admin level; give numbers like 10 or 9,10",
                    param_hint="--admin-level",
                ) from err
            if level not in levels:
                levels.append(level)
    if not levels:
        raise click.BadParameter("give at least one level, e.g. 10", param_hint="--admin-level")
    return levels


def _print(result: GridResult) -> None:
    for line in result.summary():
        click.echo(line)


@main.group()
def grids() -> None:
    """Household-balanced grids (网格): build, validate, edit, undo, diff, report."""


@grids.command("communities")
@AREA
@click.option("--osm", "osm_path", required=True, type=click.Path(path_type=Path, exists=True))
@click.option(
    "--admin-level",
    "admin_levels",
    multiple=True,
    default=("10",),
    show_default=True,
    help="OSM admin_level of communities; several as 9,10 or repeated (the finer wins).",
)
@click.option("--street-code", default="001", show_default=True, help="3-digit street (街道) code.")
@friendly_errors
def grids_communities(
    area_dir: Path, osm_path: Path, admin_levels: tuple[str, ...], street_code: str
) -> None:
    """Store the OSM admin areas inside the area as communities.geojson (grid parents)."""
    from geogrid.services.grids import import_communities
    from geogrid.store.access import AreaAccess
    from geogrid.store.base import command_area

    levels = _admin_levels(admin_levels)
    area = AreaAccess.of(command_area(area_dir))  # the folder, or GEOGRID_STORE's database
    frame = import_communities(area.ref, osm_path, admin_level=levels, street_code=street_code)
    for code, name in zip(frame["code"], frame["name"], strict=True):
        click.echo(f"{code}  {name}")
    click.echo(f"wrote {len(frame)} communities to {area.layer_where('communities')}")


@grids.command("build")
@AREA
@click.option(
    "--band", "band_text", default="300-500", show_default=True, help="Households MIN-MAX per grid."
)
@click.option(
    "--parent-band",
    multiple=True,
    help="Band for one parent: CODE=MIN-MAX (repeatable).",
)
@click.option("--seed", default=0, show_default=True)
@click.option(
    "--units",
    "units_path",
    type=click.Path(path_type=Path, exists=True),
    default=None,
    help="GeoJSON of blocks (polygons) or buildings (points) to use as units.",
)
@click.option(
    "--households",
    "households_csv",
    type=click.Path(path_type=Path, exists=True),
    default=None,
    help="CSV id,households[,population] for buildings or units.",
)
@click.option("--restarts", default=4, show_default=True, help="Partitions tried; the best wins.")
@author_options
@friendly_errors
def grids_build(
    area_dir: Path,
    band_text: str,
    parent_band: tuple[str, ...],
    seed: int,
    units_path: Path | None,
    households_csv: Path | None,
    restarts: int,
    author: str,
    message: str | None,
) -> None:
    """Partition the area into contiguous grids of MIN-MAX households; save a version."""
    from geogrid.grids import Band
    from geogrid.services.grids import generate

    bands = {}
    for item in parent_band:
        code, _, text = item.partition("=")
        if not text:
            raise click.BadParameter(f"{item!r}: give CODE=MIN-MAX, e.g. 110108001002=200-400")
        bands[code] = Band(*_band(text))
    result = generate(
        area_dir,
        band=Band(*_band(band_text)),
        bands=bands,
        seed=seed,
        units_path=units_path,
        households_csv=households_csv,
        author=author,
        message=message,
        restarts=restarts,
    )
    _print(result)


@grids.command("validate")
@AREA
@click.option(
    "--grids",
    "grids_path",
    type=click.Path(path_type=Path, exists=True),
    default=None,
    help="Check this grids file instead of the area's grids.geojson.",
)
@click.option("--band", "band_text", default=None, help="Households MIN-MAX (default: as saved).")
@click.option("--no-worker-check", is_flag=True, help="Do not report grids without a worker.")
@friendly_errors
def grids_validate(
    area_dir: Path, grids_path: Path | None, band_text: str | None, no_worker_check: bool
) -> None:
    """List every problem of the grids (gaps, overlaps, outside parent, pieces, band, worker,
    code)."""
    from geogrid.grids import Band
    from geogrid.services.grids import validate

    band = Band(*_band(band_text)) if band_text else None
    problems = validate(
        area_dir, band=band, grids_path=grids_path, require_worker=not no_worker_check
    )
    for p in problems:
        click.echo(str(p))
    click.echo(f"{len(problems)} problem(s)")
    if problems:
        raise SystemExit(2)


def _edit(
    area_dir: Path, operation: str, author: str, message: str | None, **kwargs: object
) -> None:
    from geogrid.services.grids import edit

    _print(edit(area_dir, operation, author=author, message=message, **kwargs))  # type: ignore[arg-type]


@grids.command("reassign")
@AREA
@click.argument("unit_ids", nargs=-1, required=True)
@click.option("--to", "to_code", required=True, help="Grid code the units move to.")
@author_options
@friendly_errors
def grids_reassign(
    area_dir: Path, unit_ids: tuple[str, ...], to_code: str, author: str, message: str | None
) -> None:
    """Move units to another (or a new) grid."""
    _edit(area_dir, "reassign", author, message, units=list(unit_ids), to_code=to_code)


@grids.command("split")
@AREA
@click.argument("code")
@click.option("--new-code", default=None)
@click.option("--seed", default=0, show_default=True)
@author_options
@friendly_errors
def grids_split(
    area_dir: Path, code: str, new_code: str | None, seed: int, author: str, message: str | None
) -> None:
    """Split a grid in two contiguous halves."""
    _edit(area_dir, "split", author, message, codes=[code], new_code=new_code, seed=seed)


@grids.command("merge")
@AREA
@click.argument("codes", nargs=-1, required=True)
@author_options
@friendly_errors
def grids_merge(area_dir: Path, codes: tuple[str, ...], author: str, message: str | None) -> None:
    """Merge grids into the first code given."""
    _edit(area_dir, "merge", author, message, codes=list(codes))


@grids.command("rename")
@AREA
@click.argument("code")
@click.option("--code", "new_code", default=None, help="New grid code.")
@click.option("--name", default=None, help="New grid name.")
@author_options
@friendly_errors
def grids_rename(
    area_dir: Path,
    code: str,
    new_code: str | None,
    name: str | None,
    author: str,
    message: str | None,
) -> None:
    """Change a grid's code and/or name."""
    _edit(area_dir, "rename", author, message, codes=[code], new_code=new_code, name=name)


@grids.command("lock")
@AREA
@click.argument("codes", nargs=-1, required=True)
@click.option("--unlock", is_flag=True)
@author_options
@friendly_errors
def grids_lock(
    area_dir: Path, codes: tuple[str, ...], unlock: bool, author: str, message: str | None
) -> None:
    """Lock grids (re-gridding keeps them as they are), or unlock them."""
    _edit(area_dir, "unlock" if unlock else "lock", author, message, codes=list(codes))


@grids.command("worker")
@AREA
@click.argument("code")
@click.argument("worker")
@author_options
@friendly_errors
def grids_worker(area_dir: Path, code: str, worker: str, author: str, message: str | None) -> None:
    """Set the grid worker (网格员) of a grid."""
    _edit(area_dir, "worker", author, message, codes=[code], worker=worker)


@grids.command("undo")
@AREA
@click.option("--author", default="planner", show_default=True)
@friendly_errors
def grids_undo(area_dir: Path, author: str) -> None:
    """Go back to the version the current grids were made from."""
    from geogrid.services.grids import undo

    version = undo(area_dir, author)
    click.echo(f"current grids are v{version.id:04d} again: {version.message}")


@grids.command("log")
@AREA
@friendly_errors
def grids_log(area_dir: Path) -> None:
    """List saved grid versions (* marks the current one)."""
    from geogrid.io.versions import list_versions

    saved, head = list_versions(area_dir)
    for v in saved:
        click.echo(v.line(head))
    if not saved:
        click.echo("no saved grid versions")


@grids.command("diff")
@AREA
@click.argument("a")
@click.argument("b")
@click.option("--json", "as_json", is_flag=True, help="Print the moves and per-grid table as JSON.")
@WORKERS_CSV
@friendly_errors
def grids_diff(area_dir: Path, a: str, b: str, as_json: bool, workers_csv: Path | None) -> None:
    """Compare two versions (v0001, 2) or grids files: households moved, per-grid deltas, and
    per grid worker the buildings that leave or join each of their grids."""
    from geogrid.services.grids import compare, write_per_worker

    diff = compare(area_dir, a, b)
    if workers_csv is not None:
        write_per_worker(diff.per_worker, workers_csv)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "moves": json.loads(diff.moves.to_json(orient="records", force_ascii=False)),
                    "per_grid": json.loads(
                        diff.per_grid.to_json(orient="records", force_ascii=False)
                    ),
                    "per_worker": json.loads(
                        diff.per_worker.to_json(orient="records", force_ascii=False)
                    ),
                },
                ensure_ascii=False,
                indent=1,
            )
        )
        return
    lines = diff.summary()
    for line in lines:
        click.echo(line)
    if not lines:
        click.echo("no changes")
    if workers_csv is not None:
        click.echo(f"wrote {len(diff.per_worker)} per-worker rows to {workers_csv}")


@grids.command("report")
@AREA
@click.option("--csv", "csv_path", type=click.Path(path_type=Path), default=None)
@click.option("--json", "json_path", type=click.Path(path_type=Path), default=None)
@friendly_errors
def grids_report(area_dir: Path, csv_path: Path | None, json_path: Path | None) -> None:
    """Per-grid report: households, population, area, compactness, neighbours, worker, parent."""
    from geogrid.services.grids import report

    table = report(area_dir, csv_path, json_path)
    if csv_path is None and json_path is None:
        click.echo(table.to_string(index=False))
    else:
        click.echo(
            f"wrote report of {len(table)} grids"
            + "".join(f" to {p}" for p in (csv_path, json_path) if p is not None)
        )


@grids.command("rebalance")
@AREA
@click.option(
    "--band", "band_text", default=None, help="Households MIN-MAX per grid (default: as saved)."
)
@click.option(
    "--parent-band", multiple=True, help="Band for one parent: CODE=MIN-MAX (repeatable)."
)
@click.option(
    "--also",
    "also_text",
    default=None,
    help="A second quantity to keep in a band: COLUMN=MIN-MAX (a column of the units).",
)
@click.option(
    "--households",
    "households_csv",
    type=click.Path(path_type=Path, exists=True),
    default=None,
    help="CSV id,households of unit ids (default: recount the buildings).",
)
@click.option(
    "--compactness-tolerance",
    default=0.05,
    show_default=True,
    help="How far the median and worst Polsby-Popper may fall.",
)
@click.option(
    "--time-limit", "time_limit_s", default=60.0, show_default=True, help="Seconds of search."
)
@click.option("--seed", default=0, show_default=True)
@click.option("--dry-run", is_flag=True, help="Print what would change; save nothing.")
@WORKERS_CSV
@author_options
@friendly_errors
def grids_rebalance(
    area_dir: Path,
    band_text: str | None,
    parent_band: tuple[str, ...],
    also_text: str | None,
    households_csv: Path | None,
    compactness_tolerance: float,
    time_limit_s: float,
    seed: int,
    dry_run: bool,
    workers_csv: Path | None,
    author: str,
    message: str | None,
) -> None:
    """Bring out-of-band grids back into their band, moving as few households as possible."""
    from geogrid.grids import Band, worker_lines
    from geogrid.services.grids import rebalance, write_per_worker

    bands = {}
    for item in parent_band:
        code, _, text = item.partition("=")
        if not text:
            raise click.BadParameter(f"{item!r}: give CODE=MIN-MAX, e.g. 110108001002=200-400")
        bands[code] = Band(*_band(text))
    also = None
    if also_text is not None:
        column, _, text = also_text.partition("=")
        if not text:
            raise click.BadParameter(
                f"{also_text!r}: give COLUMN=MIN-MAX, e.g. population=800-1300"
            )
        also = (column, Band(*_band(text)))
    run = rebalance(
        area_dir,
        band=Band(*_band(band_text)) if band_text else None,
        bands=bands,
        also=also,
        households_csv=households_csv,
        compactness_tolerance=compactness_tolerance,
        time_limit_s=time_limit_s,
        seed=seed,
        dry_run=dry_run,
        author=author,
        message=message,
    )
    result = run.result
    table = result.per_grid[result.per_grid["status"] != "kept"]
    for row in table.itertuples(index=False):
        mark = "in band" if row.in_band_after else "OUT OF BAND"
        click.echo(
            f"{row.code}  {row.status:8s} "
            f"{row.households_before:5d} -> {row.households_after:5d}  {mark}"
        )
    for line in result.summary():
        click.echo(line)
    if len(run.per_worker):
        click.echo("per grid worker (units and buildings in and out):")
        for line in worker_lines(run.per_worker):
            click.echo(f"  {line}")
    if workers_csv is not None:
        write_per_worker(run.per_worker, workers_csv)
        click.echo(f"wrote {len(run.per_worker)} per-worker rows to {workers_csv}")
    if run.version is not None:
        click.echo(f"saved as v{run.version.id:04d} by {run.version.author}: {run.version.message}")
    else:
        click.echo("dry run: nothing saved")
    for p in run.problems:
        click.echo(f"problem: {p}")


@grids.command("grow")
@AREA
@click.option(
    "--polygon",
    "polygon_path",
    required=True,
    type=click.Path(path_type=Path, exists=True),
    help="The new estate's outline: GeoJSON, Shapefile (zip), GPKG, KML (any CRS).",
)
@click.option(
    "--households", type=click.IntRange(min=1), required=True, help="Households of the estate."
)
@click.option("--name", default=None, help="The estate's name (小区名).")
@click.option(
    "--id", "estate_id", default=None, help="Building id of the estate (default estate/N)."
)
@click.option(
    "--coordinates",
    default=None,
    help="The file's coordinates when it does not say: wgs84, gcj02, bd09 or an EPSG code.",
)
@click.option("--author", default="planner", show_default=True, help="Who makes the change.")
@friendly_errors
def grids_grow(
    area_dir: Path,
    polygon_path: Path,
    households: int,
    name: str | None,
    estate_id: str | None,
    coordinates: str | None,
    author: str,
) -> None:
    """Add a new estate with its households to the buildings (cut along the units it covers);
    then 'geogrid grids rebalance' moves only the grids around it."""
    from geogrid.services.grids import grow
    from geogrid.store.base import command_area

    for line in grow(
        command_area(area_dir),
        polygon_path,
        households,
        estate_id=estate_id,
        name=name,
        coordinates=coordinates,
        author=author,
    ).summary():
        click.echo(line)
