"""``geogrid plan``, ``geogrid coverage`` and ``geogrid posts``: patrol routes and post coverage."""

from __future__ import annotations

from pathlib import Path

import click

from geogrid.cli.base import (
    HOTSPOTS,
    MAX_SNAP_M,
    MODE,
    area_argument,
    config_option,
    friendly_errors,
    main,
)
from geogrid.io.geojson import read_vector
from geogrid.services import patrol as service
from geogrid.store.base import AreaRef, StoredArea


@main.command("plan")
@area_argument()
@config_option("Patrol TOML config.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder [AREA/plans].",
)
@HOTSPOTS
@click.option("--time-limit", "time_limit_s", type=float, help="Solver seconds [config or 10].")
@click.option("--seed", type=int, help="Solver seed [config or 1].")
@click.option("--date", default="", help="Date printed on the route sheets.")
@click.option(
    "--workers", type=click.IntRange(min=1),
    help="Processes for a district planned by team areas [the CPUs this process may use].",
)  # fmt: skip
@friendly_errors
def plan(
    area: Path,
    config_path: Path | None,
    out_dir: Path | None,
    hotspots: Path | None,
    time_limit_s: float | None,
    seed: int | None,
    date: str,
    workers: int | None,
) -> None:
    """Plan every team's route: writes plan.geojson, <team>.gpx and route_sheets.pdf.

    With GEOGRID_STORE=postgresql://... AREA names the area of that database (the folder's
    last name): the plan and route sheets are saved in the database unless --out is given.

    A district whose teams have areas (teams layer area_codes, or [teams.<id>]
    communities/grids) is planned one community at a time, side by side in --workers
    processes; --time-limit is then the whole district's search time.
    """
    from geogrid.network import available_cpus

    where = service.command_where(area)
    spots = read_vector(hotspots, "hot-spot file") if hotspots is not None else None
    run = service.plan_area(
        where, config_path, out_dir, hotspots=spots, time_limit_s=time_limit_s, seed=seed,
        date=date, workers=workers if workers is not None else available_cpus(),
    )  # fmt: skip
    from geogrid.planning.plan import plan_summary

    click.echo(plan_summary(run.problem, run.plan))
    for team, why in run.idle.items():
        click.echo(f"{team} stays at its base: {why}")
    for path in run.paths:
        click.echo(wrote(where, path, out_dir))


def wrote(where: AreaRef, path: Path, out_dir: Path | None = None) -> str:
    """The line saying where a file went: a path written, or a document saved in the area of
    the database (a file of ``--out`` is written all the same)."""
    if isinstance(where, StoredArea) and out_dir is None:
        return f"saved {path} in area {where.name} (database)"
    return f"wrote {path}"


@main.command("coverage")
@area_argument()
@click.option(
    "--posts", "posts_layer", default="police", show_default=True, help="Layer of the posts."
)
@click.option(
    "--minutes", default="1,3,5", show_default=True, help="Response times, comma separated."
)
@MODE
@click.option("--speed", "speed_kmh", type=float, help="Speed in km/h [mode default].")
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write service areas (GeoJSON).",
)
@MAX_SNAP_M
@friendly_errors
def coverage(
    area: Path,
    posts_layer: str,
    minutes: str,
    mode: str,
    speed_kmh: float | None,
    out_path: Path | None,
    max_snap_m: float,
) -> None:
    """Service areas (response circles along the streets) and covered shares."""
    try:
        mins = tuple(float(m) for m in minutes.split(","))
    except ValueError as err:
        raise click.BadParameter(f"{minutes!r}: give minutes like 1,3,5") from err
    where = service.command_where(area)
    _, shares = service.coverage_report(
        where, posts_layer, mins, mode, speed_kmh, out_path, max_snap_m=max_snap_m
    )
    for row in shares:
        click.echo(
            f"{row['demand']:<14} {row['minutes']:>4g} min  {row['share'] * 100:5.1f} %  "
            f"({row['covered']:g} of {row['total']:g})"
        )
    if out_path is not None:
        click.echo(f"wrote {out_path}")


@main.command("posts")
@area_argument()
@click.option("-k", "k", type=int, default=3, show_default=True, help="New posts to site.")
@click.option("--minutes", type=float, default=3.0, show_default=True, help="Response time.")
@click.option(
    "--existing", default="police", show_default=True, help="Layer of existing posts ('' for none)."
)
@click.option(
    "--demand",
    default="incidents",
    show_default=True,
    help="incidents, households or 'key locations'.",
)
@MODE
@click.option("--time-limit", "time_limit_s", type=float, default=10.0, show_default=True)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the posts (GeoJSON).",
)
@MAX_SNAP_M
@friendly_errors
def posts(
    area: Path,
    k: int,
    minutes: float,
    existing: str,
    demand: str,
    mode: str,
    time_limit_s: float,
    out_path: Path | None,
    max_snap_m: float,
) -> None:
    """Choose K new posts that maximise the demand reached within MINUTES (MCLP)."""
    chosen = service.site_posts(
        service.command_where(area), k, minutes, existing or None, mode=mode, demand=demand,
        time_limit_s=time_limit_s, max_snap_m=max_snap_m,
    )  # fmt: skip
    share = float(chosen["covered_share"].iloc[0]) if len(chosen) else 0.0
    for _, row in chosen.iterrows():
        tag = "new" if row["new"] else "existing"
        click.echo(
            f"{tag:<8} lon,lat {row.geometry.x:.6f},{row.geometry.y:.6f}  reaches {row['covers']:g}"
        )
    click.echo(
        f"covered within {minutes:g} min: {share * 100:.1f} %"
        + (" (proven optimal)" if chosen["optimal"].all() else "")
    )
    if out_path is not None:
        from geogrid.io.atomic import write_bytes_atomic

        write_bytes_atomic(out_path, chosen.to_json(ensure_ascii=False).encode("utf-8"))
        click.echo(f"wrote {out_path}")
