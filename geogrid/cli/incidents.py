"""``geogrid incidents``: import, summary, hot spots and the public dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from geogrid.cli.base import friendly_errors, main


@main.group()
def incidents() -> None:
    """Incident records: import, counts, hot spots, public release."""


def _area_parts(area_dir: Path) -> tuple[dict[str, Any], Any, Any]:
    """Manifest, boundary polygon (WGS-84) and grids of an area folder (grids may be empty)."""
    from geogrid.io.geojson import read_layer
    from geogrid.io.workspace import read_manifest

    manifest = read_manifest(area_dir)
    boundary = read_layer(area_dir / "boundary.geojson", "boundary")
    grids = None
    if (area_dir / "grids.geojson").exists():
        grids = read_layer(area_dir / "grids.geojson", "grids")
    return manifest, boundary.geometry.union_all(), grids


def _zones(path: Path, id_column: str | None) -> Any:
    """Polygons from any vector file, as cells (index = the id column, EPSG:4326)."""

    from geogrid.errors import InputError
    from geogrid.io.geojson import read_vector

    zones = read_vector(path, "zones file")
    if id_column is None:
        texts = [c for c in zones.columns if c != "geometry" and zones[c].dtype.kind in "OUT"]
        texts = texts or [c for c in zones.columns if c != "geometry"]
        if not texts:
            raise InputError(f"{path.name}: no attribute to name the zones; add one")
        id_column = texts[0]
    if id_column not in zones.columns:
        raise InputError(
            f"{path.name}: no column {id_column!r}; it has {', '.join(map(str, zones.columns))}"
        )
    cells = zones[["geometry"]].copy()
    cells.index = zones[id_column].astype(str).rename("cell")
    return cells


def _load(
    area_dir: Path | None, incidents_file: Path | None, tz: str | None
) -> tuple[Any, str, Any, str]:
    """Incidents frame, metric CRS, grid cells (or None) and time zone from --area or
    --incidents; the zone is --tz, else the area's ``timezone``, else Asia/Shanghai."""
    from geogrid.crs import metric_crs_for
    from geogrid.errors import InputError
    from geogrid.incidents import grid_cells
    from geogrid.io.incidents import load_incidents

    if (area_dir is None) == (incidents_file is None):
        raise InputError("give either --area DIR or --incidents FILE.geojson")
    cells = None
    if area_dir is not None:
        manifest, _, grids = _area_parts(area_dir)
        tz = tz or str(manifest.get("timezone") or DEFAULT_TZ)
        frame = load_incidents(area_dir / "incidents.geojson", tz)
        metric = str(manifest["metric_crs"])
        if grids is not None and len(grids):
            cells = grid_cells(grids)
    else:
        assert incidents_file is not None
        tz = tz or DEFAULT_TZ
        frame = load_incidents(incidents_file, tz)
        metric = metric_crs_for(tuple(frame.total_bounds))
    if len(frame) == 0:
        raise InputError("no incidents to work with; import some first (geogrid incidents import)")
    return frame, metric, cells, tz


_AREA = click.option(
    "--area",
    "area_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Area folder (uses its incidents.geojson, grids and metric CRS).",
)
_FILE = click.option(
    "--incidents",
    "incidents_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="An incidents.geojson outside an area.",
)
DEFAULT_TZ = "Asia/Shanghai"
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
    help="Rejects report CSV (default: next to the incidents, <source>.rejects.csv).",
)
@friendly_errors
def incidents_import(
    source: Path,
    mapping_path: Path,
    area_dir: Path | None,
    out_path: Path | None,
    rejects_path: Path | None,
) -> None:
    """Import SOURCE (CSV/TSV, GeoJSON, GeoPackage, Parquet) through a mapping file.

    Good rows are merged by id (importing twice changes nothing); bad rows go
    to a rejects report with row number and reason.
    """
    from geogrid.errors import InputError
    from geogrid.io.incidents import import_incidents, read_mapping, save_incidents, write_rejects

    if (area_dir is None) == (out_path is None):
        raise InputError("give either --area DIR or --out FILE.geojson")
    mapping = read_mapping(mapping_path)
    area = None
    if area_dir is not None:
        _, area, _ = _area_parts(area_dir)
        out_path = area_dir / "incidents.geojson"
    assert out_path is not None
    result = import_incidents(source, mapping, area=area)
    saved = save_incidents(result.incidents, out_path, author="geogrid incidents import")
    rejects_path = rejects_path or out_path.parent / f"{source.name}.rejects.csv"
    write_rejects(result.rejects, rejects_path, source.name)
    click.echo(
        f"{source.name}: {result.rows} rows, {len(result.incidents)} good, "
        f"{len(result.rejects)} rejected; {saved.added} new, {saved.total} in {out_path}"
    )
    for reason, n in result.reject_counts().items():
        click.echo(f"  rejected {reason}: {n}")
    if len(result.rejects):
        click.echo(f"rejects report: {rejects_path}")


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
    from geogrid.incidents import period_change, summarize
    from geogrid.io.atomic import write_text_atomic

    frame, _, cells, tz = _load(area_dir, incidents_file, tz)
    if zones_file is not None:
        cells = _zones(zones_file, zone_id)
    table = summarize(frame, cells, level=level, freq=freq, resolution=resolution)
    click.echo(f"{len(frame)} incidents, {table['place'].nunique()} places, by {freq}")
    click.echo(table.sort_values("count", ascending=False).head(10).to_string(index=False))
    if period:
        change = period_change(frame, period)
        click.echo(
            f"{period}: {change.count} ({change.previous_period}: {change.previous_count}, "
            f"{change.last_year_period}: {change.last_year_count})"
        )
        click.echo(change.phrase_zh())
    if csv_path is not None:
        write_text_atomic(csv_path, "\ufeff" + table.to_csv(index=False))
        click.echo(f"wrote {csv_path}")


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
@click.option("--top", type=int, default=None, help="Keep the N hottest.")
@click.option(
    "--out",
    "out_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the ranked hot spots as GeoJSON (patrol stops).",
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
    from geogrid.incidents import rank_hotspots
    from geogrid.io.atomic import write_text_atomic
    from geogrid.io.geojson import dumps_features
    from geogrid.layers import features_from_frame

    frame, metric, cells, tz = _load(area_dir, incidents_file, tz)
    if zones_file is not None:
        cells = _zones(zones_file, zone_id)
    spots = rank_hotspots(
        frame, metric, cells, resolution=resolution, alpha=alpha, top=top, timezone=tz
    )
    click.echo(f"{len(spots)} hot spots (Gi*, FDR {alpha}) among {len(frame)} incidents")
    show = spots.drop(columns="geometry").head(10)
    click.echo(
        show[["rank", "id", "score", "p_fdr", "count", "priority", "peak_hours"]].to_string(
            index=False
        )
    )
    if out_path is not None:
        import numpy as np
        import shapely

        rounded = spots.set_geometry(
            shapely.transform(spots.geometry.to_numpy(), lambda xy: np.round(xy, 7)), crs=spots.crs
        )
        write_text_atomic(out_path, dumps_features(features_from_frame(rounded)))
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
    from geogrid.incidents import ReleaseRules, public_counts
    from geogrid.io.incidents import publish_dataset

    frame, _, cells, tz = _load(area_dir, incidents_file, tz)
    released = public_counts(
        frame,
        cells,
        rules=ReleaseRules(k=k),
        freq=freq,
        by_category=by_category,
        resolution=resolution,
    )
    paths = publish_dataset(released, out_dir)
    click.echo(
        f"{len(released)} rows ({int(released['suppressed'].sum())} suppressed under k={k}, "
        f"{released.attrs['sensitive_rows_dropped']} sensitive dropped)"
    )
    for path in paths:
        click.echo(f"wrote {path}")
