"""``geogrid staff``: the 1+3+N staff of the grids - import, synthetic, assign, check, table,
notice boards, diff."""

from __future__ import annotations

from pathlib import Path

import click

from geogrid.cli.base import area_argument, friendly_errors, main, mapping_option, rejects_option

AREA = area_argument("area_dir")
RULES = click.option(
    "--rules",
    "rules_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="1+3+N rules TOML (default: <AREA>/staffing.toml, else the defaults; "
    "see data/config/staffing.example.toml).",
)


@main.group()
def staff() -> None:
    """1+3+N staffing (一格一员 + 民警、干部、物业 + N 志愿者): roster, assignment,
    notice boards."""


@staff.command("import")
@AREA
@click.argument("source", type=click.Path(path_type=Path, exists=True))
@mapping_option("TOML mapping of the roster's columns (data/mappings/office_staff.toml).")
@RULES
@rejects_option("Rejects report CSV (default: <SOURCE>.rejects.csv next to SOURCE).")
@friendly_errors
def staff_import(
    area_dir: Path,
    source: Path,
    mapping_path: Path,
    rules_path: Path | None,
    rejects_path: Path | None,
) -> None:
    """Read a staff roster (CSV/Excel): good rows kept, bad rows listed with row and reason."""
    from geogrid.services.staffing import import_roster

    report = import_roster(
        area_dir, source, mapping_path, rules_path=rules_path, rejects_path=rejects_path
    )
    for line in report.lines():
        click.echo(line)


@staff.command("synthetic")
@AREA
@click.option("--seed", default=7, show_default=True)
@click.option("--volunteers", default=4, show_default=True, help="Volunteers per grid.")
@friendly_errors
def staff_synthetic(area_dir: Path, seed: int, volunteers: int) -> None:
    """Make a seeded SYNTHETIC roster that can staff every grid (for demos; labelled synthetic)."""
    from geogrid.services.staffing import synthetic_roster

    for line in synthetic_roster(area_dir, seed=seed, volunteers_per_grid=volunteers).lines():
        click.echo(line)


@staff.command("assign")
@AREA
@RULES
@click.option("--seed", default=0, show_default=True)
@click.option(
    "--publish-phones",
    is_flag=True,
    help="Print phone numbers on the notice boards (off: names only).",
)
@click.option("--dry-run", is_flag=True, help="Assign and check, write nothing.")
@friendly_errors
def staff_assign(
    area_dir: Path, rules_path: Path | None, seed: int, publish_phones: bool, dry_run: bool
) -> None:
    """Assign the roster to the grids (min-cost flow), check every rule, write tables and
    notice boards."""
    from geogrid.services.staffing import assign

    run = assign(
        area_dir, rules_path=rules_path, seed=seed, publish_phones=publish_phones, dry_run=dry_run
    )
    for line in run.lines():
        click.echo(line)


@staff.command("notices")
@AREA
@click.argument("codes", nargs=-1)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="PDF file (default: <AREA>/staff/notice_boards.pdf).",
)
@click.option(
    "--publish-phones",
    is_flag=True,
    help="Print phone numbers on the notice boards (off: names only).",
)
@friendly_errors
def staff_notices(
    area_dir: Path, codes: tuple[str, ...], out: Path | None, publish_phones: bool
) -> None:
    """Print the grid notice boards (网格公示牌) of the saved staffing, one A4 page per grid."""
    from geogrid.services.staffing import notice_boards

    path = notice_boards(area_dir, out=out, publish_phones=publish_phones, codes=codes)
    click.echo(f"wrote {path}")


@staff.command("diff")
@AREA
@click.option(
    "--against",
    type=click.Choice(["previous", "roster"]),
    default="previous",
    show_default=True,
    help="Compare with the staffing before, or the roster's current grids.",
)
@friendly_errors
def staff_diff(area_dir: Path, against: str) -> None:
    """Who changes grid (e.g. after geogrid grids rebalance and staff assign)."""
    from geogrid.services.staffing import diff

    changes = diff(area_dir, against=against)
    for row in changes.to_dict("records"):
        click.echo(
            f"{row['name']} ({row['role']}, {row['person_id']}): "
            f"{row['before'] or '-'} -> {row['after'] or '-'}"
        )
    click.echo(f"{len(changes)} people change grid")
