"""``geogrid area``: build, inspect and validate area workspaces."""

from __future__ import annotations

from pathlib import Path

import click

from geogrid.cli.base import friendly_errors, main, parse_bbox


@main.group()
def area() -> None:
    """Build, inspect and validate area workspaces."""


@area.command("build")
@click.argument("osm_file", type=click.Path(path_type=Path), required=False)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    required=True,
    help="Area folder to write, e.g. data/geo/haidian.",
)
@click.option("--name", help="Area name (defaults to the folder name).")
@click.option(
    "--boundary",
    "boundary_file",
    type=click.Path(path_type=Path),
    help="Polygon GeoJSON of the area outline, WGS-84 unless --boundary-coordinates says "
    "otherwise (an outline that fits the streets far better as GCJ-02/BD-09 is refused).",
)
@click.option(
    "--boundary-coordinates",
    "boundary_coordinates",
    default=None,
    metavar="SYSTEM",
    help="Coordinate system of the --boundary file: wgs84, gcj02 (DataV, Amap/高德), bd09 "
    "(Baidu) or an EPSG code; the outline is converted to WGS-84.",
)
@click.option("--admin", help="Name or OSM id of an administrative boundary inside the file.")
@click.option("--bbox", help="west,south,east,north in lon/lat.")
@click.option("--place", help="Place name to download through osmnx (needs internet).")
@click.option(
    "--roads",
    "roads_file",
    type=click.Path(path_type=Path, exists=True),
    help="The office's road layer (Shapefile/zip, GPKG, KML, GeoJSON; any CRS) as the street "
    "network instead of OSM's; split at every crossing unless --no-noding.",
)
@click.option(
    "--roads-mapping",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="TOML naming the road layer's columns (name, class, oneway), classes and CRS.",
)
@click.option(
    "--no-noding",
    is_flag=True,
    help="Roads meet only at shared vertices and line ends (layers whose bridges cross streets).",
)
@click.option("--admin-code", default="", help="Administrative code, e.g. 110108 for Haidian.")
@click.option(
    "--timezone",
    default=None,
    help="IANA time zone of the area, e.g. Asia/Urumqi (default: looked up at the boundary's "
    "centre). Every hour, day and month shown for the area is in it.",
)
@friendly_errors
def area_build(
    osm_file: Path | None,
    out_dir: Path,
    name: str | None,
    boundary_file: Path | None,
    boundary_coordinates: str | None,
    admin: str | None,
    bbox: str | None,
    place: str | None,
    roads_file: Path | None,
    roads_mapping: Path | None,
    no_noding: bool,
    admin_code: str,
    timezone: str | None,
) -> None:
    """Build an area workspace from OSM_FILE (.osm, .osm.bz2, .osm.pbf) or --place.

    With --boundary FILE and no OSM file: an incidents-only area (boundary, empty
    layers, no street network) for incident maps and hot spots. With --roads FILE
    the streets come from the office's road layer (with or without OSM_FILE).
    """
    from geogrid.services.area import (
        BoundaryChoice,
        RoadsChoice,
        build_area,
        build_area_from_place,
        build_area_without_streets,
        build_into,
    )
    from geogrid.store.base import command_area

    name = name or out_dir.name
    if boundary_coordinates is not None and boundary_file is None:
        raise click.UsageError("--boundary-coordinates goes with --boundary FILE")
    if (roads_mapping or no_noding) and roads_file is None:
        raise click.UsageError("--roads-mapping and --no-noding go with --roads FILE")
    roads = RoadsChoice(roads_file, roads_mapping, noding=not no_noding) if roads_file else None
    if place:
        if osm_file is not None or roads is not None:
            raise click.UsageError("give either OSM_FILE, --roads or --place, not several")
        report = build_into(
            command_area(out_dir),
            lambda folder: build_area_from_place(
                place, folder, name=name, admin_code=admin_code, timezone=timezone
            ),
        )
    elif osm_file is None and roads is None:
        if boundary_file is None:
            raise click.UsageError(
                "give an OSM file (.osm, .osm.bz2, .osm.pbf), --roads FILE, --place NAME, or "
                "--boundary FILE alone for an incidents-only area without streets"
            )
        if admin or bbox:
            raise click.UsageError("without an OSM file the area outline is --boundary FILE")
        boundary_path = boundary_file
        report = build_into(
            command_area(out_dir),
            lambda folder: build_area_without_streets(
                boundary_path, folder, name=name, admin_code=admin_code, timezone=timezone,
                coordinates=boundary_coordinates,
            ),
        )  # fmt: skip
    else:
        choice = BoundaryChoice(
            geojson_path=boundary_file, admin=admin, bbox=parse_bbox(bbox),
            coordinates=boundary_coordinates,
        )  # fmt: skip
        report = build_into(
            command_area(out_dir),
            lambda folder: build_area(
                osm_file, folder, name=name, boundary=choice, admin_code=admin_code,
                timezone=timezone, roads=roads,
            ),
        )  # fmt: skip
    for line in report.lines():
        click.echo(line)


@area.command("info")
@click.argument("area_dir", type=click.Path(path_type=Path))
@friendly_errors
def area_info(area_dir: Path) -> None:
    """Summarise an area: manifest, sources, layer counts, household coverage (validates every
    layer)."""
    from geogrid.services.area import area_household_coverage, read_area_of

    where, loaded = read_area_of(area_dir)
    m = loaded.manifest
    click.echo(f"{m['name']}  ({where})")
    if m.get("description"):
        click.echo(f"  {m['description']}")
    click.echo(f"  metric CRS: {m['metric_crs']}   bbox: {m.get('bbox')}")
    if loaded.timezone_stated:
        click.echo(f"  time zone: {loaded.timezone} ({m.get('timezone_source', 'area.json')})")
    else:
        click.echo(
            f"  time zone: {loaded.timezone} (default: area.json names none; build the area "
            "again, with --timezone if needed, to store it)"
        )
    for src in m.get("sources", []):
        click.echo(f"  source: {src.get('file')} ({src.get('licence')}, {src.get('attribution')})")
    click.echo(f"  buildings: {len(loaded.buildings)}")
    coverage = area_household_coverage(loaded)
    for line in coverage.lines():
        click.echo(f"  {line}")
    for warning in coverage.warnings:
        click.echo(f"  WARNING: {warning}")
    click.echo(f"  grids: {len(loaded.grids)}")
    for layer, frame in loaded.layers.items():
        click.echo(f"  layer {layer}: {len(frame)}")
    if loaded.incidents is not None:
        synthetic = " (synthetic)" if m.get("synthetic", {}).get("incidents") else ""
        click.echo(f"  incidents: {len(loaded.incidents)}{synthetic}")
    if loaded.teams is not None:
        click.echo(f"  teams: {len(loaded.teams)}")
    if loaded.edges is not None:
        click.echo(f"  street segments: {len(loaded.edges)}")
    elif not loaded.has_streets:
        click.echo("  street network: none (incidents-only area; build from an OSM file to add it)")


@area.command("validate")
@click.argument("area_dir", type=click.Path(path_type=Path))
@friendly_errors
def area_validate(area_dir: Path) -> None:
    """Check every layer of an area; list all problems (exit 1 when any)."""
    from geogrid.services.area import read_area_of

    where, _ = read_area_of(area_dir)
    click.echo(f"{where}: all layers valid")
