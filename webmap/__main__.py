"""``geogrid-web``: serve the web app on an area workspace, and manage its accounts.

``geogrid-web --demo`` builds the embedded demo area first if it is missing
(real Helsinki OSM data, synthetic incidents) and serves it. This is the
development server (plain http, so the session cookie is not marked Secure
unless ``FLASK_SESSION_COOKIE_SECURE`` says so); see the README for a
production (gunicorn) command.

``geogrid-web users add NAME --role planner`` / ``users passwd NAME`` /
``users disable NAME`` / ``users list`` manage the accounts file (``FLASK_USERS_PATH``, default
``instance/users.json``), or the accounts of the database ``FLASK_USERS_STORE`` when set.

``geogrid-web --store postgresql://... --area-name NAME`` (or ``GEOGRID_STORE``) serves an
area of the database; no area folder is needed.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import click

from geogrid.errors import GeogridError
from geogrid.io.workspace import Workspace
from geogrid.planning.solvers.search import warm_up_searches
from geogrid.store.base import ENV, is_db_url, open_store
from webmap import create_app
from webmap.maps import BASEMAPS
from webmap.users import ROLES, UserStore, users_of


@click.group(invoke_without_command=True)
@click.option("--demo", is_flag=True, help="Serve the demo area, building it first if needed.")
@click.option(
    "--area",
    "area_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Area workspace folder (default data/geo/helsinki-demo).",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option(
    "--basemap",
    type=click.Choice(list(BASEMAPS)),
    default="offline",
    show_default=True,
    help="offline: drawn from the area's streets; osm, tianditu (needs "
    "FLASK_TIANDITU_KEY), amap: web tiles.",
)
@click.option(
    "--store",
    "store_url",
    default=None,
    help="Serve an area of this PostgreSQL database (default: GEOGRID_STORE when it is one); "
    "no area folder is needed.",
)
@click.option(
    "--area-name",
    default=None,
    help="The area's name in the database (default: the --area folder's name).",
)
@click.pass_context
def main(
    ctx: click.Context,
    demo: bool,
    area_dir: Path | None,
    host: str,
    port: int,
    basemap: str,
    store_url: str | None,
    area_name: str | None,
) -> None:
    """Serve the geogrid web app (public map, planner and patrol pages, JSON API).

    Without a command it serves; `geogrid-web users --help` manages accounts.
    """
    if ctx.invoked_subcommand is not None:
        return
    url = (store_url if store_url is not None else os.environ.get(ENV, "")).strip()
    if not demo and is_db_url(url):
        _serve_database(url, area_dir, area_name, host, port, basemap)
        return
    from geogrid.services.demo import DEMO_DIR, build_demo, demo_exists

    if demo and area_dir is None:
        area_dir = DEMO_DIR
    area_dir = area_dir or DEMO_DIR
    if demo and not demo_exists(area_dir):
        click.echo(f"building the demo area into {area_dir} ...")
        try:
            report = build_demo(area_dir, with_grids=True)
        except GeogridError as err:
            raise click.ClickException(str(err)) from err
        click.echo("\n".join(report.lines()[:3]))
    if not Workspace(area_dir).exists():
        raise click.ClickException(
            f"{area_dir} is not an area workspace; build one with `geogrid area build` "
            "or run `geogrid-web --demo`"
        )
    config: dict[str, object] = {"AREA_PATH": str(area_dir.resolve()), "BASEMAP": basemap}
    if "FLASK_SESSION_COOKIE_SECURE" not in os.environ:
        config["SESSION_COOKIE_SECURE"] = False  # the development server speaks plain http
    app = create_app(config)
    # compile the route searches while the server starts, not in the first plan job
    threading.Thread(target=warm_up_searches, name="warm-up-searches", daemon=True).start()
    click.echo(f"geogrid web app on {area_dir}: http://{host}:{port}/  (Ctrl+C to stop)")
    app.run(host=host, port=port, debug=False, use_reloader=False)


def _serve_database(
    url: str, area_dir: Path | None, area_name: str | None, host: str, port: int, basemap: str
) -> None:
    """Serve the area ``area_name`` of the database at ``url`` (no folder needed)."""
    name = area_name or (area_dir.name if area_dir is not None else "")
    if not name:
        raise click.ClickException(
            "give the area's name in the database: --area-name NAME (as `geogrid store push` "
            "named it: its folder's name)"
        )
    store = open_store(url)
    try:
        areas = store.list_areas()
    except Exception as err:  # a database that cannot be reached: say which and why
        raise click.ClickException(f"{store!r}: cannot read the areas: {err}") from err
    if name not in areas:
        raise click.ClickException(
            f"no area {name!r} in {store!r} (it has {', '.join(areas) or 'none'}); push it "
            "with `geogrid store push AREA_DIR --db URL`"
        )
    config: dict[str, object] = {
        "AREA_PATH": str(area_dir if area_dir is not None else name),
        "AREA_NAME": name,
        "STORE": url,
        "BASEMAP": basemap,
    }
    if "FLASK_SESSION_COOKIE_SECURE" not in os.environ:
        config["SESSION_COOKIE_SECURE"] = False  # the development server speaks plain http
    app = create_app(config)
    threading.Thread(target=warm_up_searches, name="warm-up-searches", daemon=True).start()
    click.echo(f"geogrid web app on area {name} of {store!r}: http://{host}:{port}/")
    app.run(host=host, port=port, debug=False, use_reloader=False)


def _store(users_file: Path | None) -> UserStore:
    if users_file is not None:
        return UserStore(users_file)
    return users_of(create_app().config)


users_file_option = click.option(
    "--users-file",
    type=click.Path(path_type=Path),
    default=None,
    help="Accounts file (default: FLASK_USERS_PATH, else instance/users.json).",
)


@main.group()
def users() -> None:
    """Add, disable and list the accounts of planners, team leaders and admins; set passwords."""


@users.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--team", default=None, help="Team id a team leader leads (sees only that team).")
@click.password_option(
    help="Password (asked for when not given; at least 10 characters, not a common one)."
)
@users_file_option
def users_add(
    username: str, role: str, team: str | None, password: str, users_file: Path | None
) -> None:
    """Create an account; the password is stored only as a scrypt hash."""
    store = _store(users_file)
    try:
        user = store.add(username, password, role, team=team)
    except GeogridError as err:
        raise click.ClickException(str(err)) from err
    click.echo(
        f"added {user.username} ({user.role}{', team ' + user.team if user.team else ''}) "
        f"to {store.path}"
    )


@users.command("passwd")
@click.argument("username")
@click.password_option(
    help="New password (asked for when not given; at least 10 characters, not a common one)."
)
@users_file_option
def users_passwd(username: str, password: str, users_file: Path | None) -> None:
    """Set a new password; every open session of the account ends."""
    try:
        user = _store(users_file).set_password(username, password)
    except GeogridError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"{user.username}: password changed; their open sessions have ended")


@users.command("disable")
@click.argument("username")
@click.option("--enable", is_flag=True, help="Enable the account again instead.")
@users_file_option
def users_disable(username: str, enable: bool, users_file: Path | None) -> None:
    """Disable an account (its open sessions end at their next request)."""
    try:
        user = _store(users_file).set_disabled(username, not enable)
    except GeogridError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"{user.username}: {'disabled' if user.disabled else 'enabled'}")


@users.command("list")
@users_file_option
def users_list(users_file: Path | None) -> None:
    """List the accounts (never the password hashes)."""
    store = _store(users_file)
    rows = store.list()
    if not rows:
        click.echo(
            f"no accounts in {store.path}; add one with `geogrid-web users add NAME --role planner`"
        )
    for user in rows:
        state = "disabled" if user.disabled else "active"
        team = f" team={user.team}" if user.team else ""
        click.echo(f"{user.username}\t{user.role}\t{state}{team}")


if __name__ == "__main__":  # pragma: no cover
    main()
