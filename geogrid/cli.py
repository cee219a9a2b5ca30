"""The ``geogrid`` command line.

Errors for bad input print a message naming the file, row or feature and
exit with code 1; a person never sees a traceback for bad input.
"""

from __future__ import annotations

import csv
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from geogrid.errors import GeogridError

F = TypeVar("F", bound=Callable[..., Any])


def friendly_errors(func: F) -> F:
    """Turn GeogridError into a clean message and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except GeogridError as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    if text is None:
        return None
    try:
        west, south, east, north = (float(v) for v in text.split(","))
    except ValueError as err:
        raise click.BadParameter(
            f"{text!r}: give four numbers west,south,east,north in lon/lat, "
            "e.g. 116.344,39.997,116.360,40.009"
        ) from err
    return west, south, east, north


@click.group()
@click.version_option(package_name="geogrid")
def main() -> None:
    """Community-safety grid mapping and volunteer patrol planning."""


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
    help="Polygon GeoJSON (EPSG:4326) of the area outline.",
)
@click.option("--admin", help="Name or OSM id of an administrative boundary inside the file.")
@click.option("--bbox", help="west,south,east,north in lon/lat.")
@click.option("--place", help="Place name to download through osmnx (needs internet).")
@click.option("--admin-code", default="", help="Administrative code, e.g. 110108 for Haidian.")
@friendly_errors
def area_build(
    osm_file: Path | None,
    out_dir: Path,
    name: str | None,
    boundary_file: Path | None,
    admin: str | None,
    bbox: str | None,
    place: str | None,
    admin_code: str,
) -> None:
    """Build an area workspace from OSM_FILE (.osm, .osm.bz2, .osm.pbf) or --place."""
    from geogrid.services.area import BoundaryChoice, build_area, build_area_from_place

    name = name or out_dir.name
    if place:
        if osm_file is not None:
            raise click.UsageError("give either OSM_FILE or --place, not both")
        report = build_area_from_place(place, out_dir, name=name, admin_code=admin_code)
    else:
        if osm_file is None:
            raise click.UsageError("give an OSM file (.osm, .osm.bz2, .osm.pbf) or --place NAME")
        choice = BoundaryChoice(geojson_path=boundary_file, admin=admin, bbox=parse_bbox(bbox))
        report = build_area(osm_file, out_dir, name=name, boundary=choice, admin_code=admin_code)
    for line in report.lines():
        click.echo(line)


@area.command("info")
@click.argument("area_dir", type=click.Path(path_type=Path))
@friendly_errors
def area_info(area_dir: Path) -> None:
    """Summarise an area: manifest, sources, layer counts (validates every layer)."""
    from geogrid.io.workspace import read_area

    loaded = read_area(area_dir)
    m = loaded.manifest
    click.echo(f"{m['name']}  ({area_dir})")
    if m.get("description"):
        click.echo(f"  {m['description']}")
    click.echo(f"  metric CRS: {m['metric_crs']}   bbox: {m.get('bbox')}")
    for src in m.get("sources", []):
        click.echo(f"  source: {src.get('file')} ({src.get('licence')}, {src.get('attribution')})")
    click.echo(
        f"  buildings: {len(loaded.buildings)}  households: "
        f"{int(loaded.buildings['households'].sum()) if len(loaded.buildings) else 0}"
    )
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


@area.command("validate")
@click.argument("area_dir", type=click.Path(path_type=Path))
@friendly_errors
def area_validate(area_dir: Path) -> None:
    """Check every layer of an area; list all problems (exit 1 when any)."""
    from geogrid.io.workspace import read_area

    read_area(area_dir)
    click.echo(f"{area_dir}: all layers valid")


@main.group()
def demo() -> None:
    """The embedded demo area (real Helsinki OSM data, synthetic incidents)."""


@demo.command("build")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder (default data/geo/helsinki-demo).",
)
@click.option("--force", is_flag=True, help="Rebuild even if it exists.")
@friendly_errors
def demo_build(out_dir: Path | None, force: bool) -> None:
    """Build the demo area workspace (a few seconds)."""
    from geogrid.services.demo import DEMO_DIR, build_demo, demo_exists

    out_dir = out_dir or DEMO_DIR
    if demo_exists(out_dir) and not force:
        click.echo(f"demo already built at {out_dir} (use --force to rebuild)")
        return
    for line in build_demo(out_dir).lines():
        click.echo(line)


@main.group()
def network() -> None:
    """Street-network travel times."""


@network.command("matrix")
@click.argument("area_dir", type=click.Path(path_type=Path))
@click.option("--from", "from_layer", required=True, help="Key-location layer of origins.")
@click.option("--to", "to_layer", default=None, help="Layer of destinations (default: origins).")
@click.option("--mode", type=click.Choice(["walk", "bike", "drive"]), default="walk")
@click.option("--speed-kmh", type=float, default=None, help="Override the mode's speed.")
@click.option(
    "--out",
    "out_csv",
    type=click.Path(path_type=Path),
    default=None,
    help="CSV to write (default: print).",
)
@friendly_errors
def network_matrix(
    area_dir: Path,
    from_layer: str,
    to_layer: str | None,
    mode: str,
    speed_kmh: float | None,
    out_csv: Path | None,
) -> None:
    """Travel-time matrix in minutes between the places of two layers."""
    from geogrid.errors import InputError
    from geogrid.io.workspace import read_area
    from geogrid.network import StreetNetwork, travel_time_matrix

    loaded = read_area(area_dir)
    for layer in (from_layer, to_layer or from_layer):
        if layer not in loaded.layers:
            raise InputError(
                f"{area_dir}: no layer {layer!r}; layers are: "
                f"{', '.join(sorted(loaded.layers)) or 'none'}"
            )
    assert loaded.nodes is not None and loaded.edges is not None
    net = StreetNetwork.from_frames(loaded.nodes, loaded.edges, loaded.metric_crs)
    origins = loaded.layers[from_layer]
    dests = loaded.layers[to_layer] if to_layer else origins
    result = travel_time_matrix(
        net, origins.geometry, dests.geometry, mode=mode, speed_kmh=speed_kmh
    )
    rows = [["from \\ to (min)", *dests["id"].astype(str)]]
    for oid, row in zip(origins["id"].astype(str), result.seconds, strict=True):
        rows.append([oid, *(f"{s / 60:.1f}" for s in row)])
    if out_csv is None:
        writer = csv.writer(sys.stdout)
        writer.writerows(rows)
    else:
        from geogrid.io.tables import write_csv_atomic

        write_csv_atomic(out_csv, rows)
        click.echo(f"wrote {len(origins)} x {len(dests)} matrix to {out_csv}")


@main.group()
def layers() -> None:
    """Layer specifications."""


@layers.command("doc")
def layers_doc() -> None:
    """Print the specification of every layer (docs/LAYERS.md)."""
    from geogrid.layers import SPECS, render_markdown

    click.echo(render_markdown(SPECS))


if __name__ == "__main__":  # pragma: no cover
    main()
