"""``geogrid network``: street-network travel times."""

from __future__ import annotations

from pathlib import Path

import click

from geogrid.cli.base import friendly_errors, main


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
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes for big matrices (default: the CPUs this process may use).",
)
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
    workers: int | None,
    out_csv: Path | None,
) -> None:
    """Travel-time matrix in minutes between the places of two layers."""
    from geogrid.errors import InputError
    from geogrid.network import StreetNetwork, available_cpus, travel_time_matrix
    from geogrid.services.area import read_area_of

    where, loaded = read_area_of(area_dir)  # the folder, or GEOGRID_STORE's database
    nodes, edges = loaded.require_streets("geogrid network matrix")
    for layer in (from_layer, to_layer or from_layer):
        if layer not in loaded.layers:
            raise InputError(
                f"{where}: no layer {layer!r}; layers are: "
                f"{', '.join(sorted(loaded.layers)) or 'none'}"
            )
    net = StreetNetwork.from_frames(nodes, edges, loaded.metric_crs)
    origins = loaded.layers[from_layer]
    dests = loaded.layers[to_layer] if to_layer else origins
    result = travel_time_matrix(
        net,
        origins.geometry,
        dests.geometry,
        mode=mode,
        speed_kmh=speed_kmh,
        workers=workers or available_cpus(),
    )
    rows = [["from \\ to (min)", *dests["id"].astype(str)]]
    for oid, row in zip(origins["id"].astype(str), result.seconds, strict=True):
        rows.append([oid, *(f"{s / 60:.1f}" for s in row)])
    if out_csv is None:
        from geogrid.io.tables import csv_text

        click.echo(csv_text(rows), nl=False)
    else:
        from geogrid.io.tables import write_csv_atomic

        write_csv_atomic(out_csv, rows)
        click.echo(f"wrote {len(origins)} x {len(dests)} matrix to {out_csv}")
