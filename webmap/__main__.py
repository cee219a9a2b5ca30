"""``geogrid-web``: serve the web app on an area workspace.

``geogrid-web --demo`` builds the embedded demo area first if it is missing
(real Helsinki OSM data, synthetic incidents) and serves it. This is the
development server; see the README for a production (gunicorn) command.
"""

from __future__ import annotations

from pathlib import Path

import click

from geogrid.errors import GeogridError
from webmap import create_app
from webmap.maps import BASEMAPS


@click.command()
@click.option("--demo", is_flag=True, help="Serve the demo area, building it first if needed.")
@click.option("--area", "area_dir", type=click.Path(path_type=Path), default=None,
              help="Area workspace folder (default data/geo/helsinki-demo).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--basemap", type=click.Choice(list(BASEMAPS)), default="offline",
              show_default=True,
              help="offline: drawn from the area's streets; osm, tianditu (needs "
                   "FLASK_TIANDITU_KEY), amap: web tiles.")
def main(demo: bool, area_dir: Path | None, host: str, port: int, basemap: str) -> None:
    """Serve the geogrid web app (public safety map and JSON API)."""
    from geogrid.services.demo import DEMO_DIR, build_demo, demo_exists

    if demo and area_dir is None:
        area_dir = DEMO_DIR
    area_dir = area_dir or DEMO_DIR
    if demo and not demo_exists(area_dir):
        click.echo(f"building the demo area into {area_dir} ...")
        try:
            report = build_demo(area_dir)
        except GeogridError as err:
            raise click.ClickException(str(err)) from err
        click.echo("\n".join(report.lines()[:3]))
    if not (area_dir / "area.json").exists():
        raise click.ClickException(
            f"{area_dir} is not an area workspace; build one with `geogrid area build` "
            "or run `geogrid-web --demo`"
        )
    app = create_app({"AREA_PATH": str(area_dir.resolve()), "BASEMAP": basemap})
    click.echo(f"geogrid web app on {area_dir}: http://{host}:{port}/  (Ctrl+C to stop)")
    app.run(host=host, port=port, debug=False, use_reloader=False)


if __name__ == "__main__":  # pragma: no cover
    main()
