"""``geogrid rota``: the weekly rota - which team patrols which night, and each night's routes."""

from __future__ import annotations

from pathlib import Path

import click

from geogrid.cli.base import HOTSPOTS, area_argument, config_option, friendly_errors, main
from geogrid.cli.plan import wrote
from geogrid.io.geojson import read_vector
from geogrid.planning.rota import rota_summary
from geogrid.services import rota as service
from geogrid.services.patrol import command_where


@main.command("rota")
@area_argument()
@click.option("--week", required=True, help="ISO week, e.g. 2026-W50.")
@config_option("Patrol TOML config with a [rota] section [defaults].")
@HOTSPOTS
@click.option(
    "--time-limit",
    "time_limit_s",
    type=float,
    help="Seconds to search the week's assignment [config or 10].",
)
@click.option(
    "--night-time-limit",
    "night_time_limit_s",
    type=float,
    help="Route search seconds per night [config or 5].",
)
@click.option("--seed", type=int, help="Solver seed [config or 1].")
@friendly_errors
def rota(
    area: Path,
    week: str,
    config_path: Path | None,
    hotspots: Path | None,
    time_limit_s: float | None,
    night_time_limit_s: float | None,
    seed: int | None,
) -> None:
    """Plan the WEEK: rota.json, rota.csv, rota.pdf and <team>.pdf under AREA/plans/rota/<week>/,
    and each night's routes (sheets, GPX) under AREA/plans/web/<date>/.

    With GEOGRID_STORE=postgresql://... the week is planned on that database's area and saved
    there (rota.json and PDFs as its documents, each night's plan and sheets as its plans)."""
    where = command_where(area)
    spots = read_vector(hotspots, "hot-spot file") if hotspots is not None else None
    run = service.plan_week(
        where,
        week,
        config_path,
        hotspots=spots,
        time_limit_s=time_limit_s,
        night_time_limit_s=night_time_limit_s,
        seed=seed,
    )
    click.echo(rota_summary(run.problem, run.rota))
    for night in run.nights:
        click.echo(
            f"  {run.problem.day_name(night.day)}: routes for {len(night.plan.routes)} teams, "
            f"{len(night.plan.visited())} of {night.problem.n_stops} stops"
        )
    if run.rounds > 1:
        click.echo(f"  ({run.rounds} rounds: a night that did not fit in one route was reassigned)")
    for path in run.paths:
        click.echo(wrote(where, path))
