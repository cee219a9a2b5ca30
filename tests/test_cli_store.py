"""``geogrid store migrate | push | pull`` on the command line.

Needs PostgreSQL + PostGIS (GEOGRID_TEST_DB, started by scripts/test.sh); skips otherwise.
"""

from __future__ import annotations

from click.testing import CliRunner
from incidents_area import make_incidents_area
from store_db import db_url, unique_name

import geogrid.cli.store  # noqa: F401  (registers the group)
from geogrid.cli.base import main


def test_migrate_push_pull(tmp_path) -> None:
    """The three commands run, print what they did, and the pulled folder equals the pushed one."""
    url = db_url()
    runner = CliRunner()
    result = runner.invoke(main, ["store", "migrate", "--db", url])
    assert result.exit_code == 0 and "revision 0005" in result.output
    folder = make_incidents_area(tmp_path / unique_name())
    result = runner.invoke(main, ["store", "push", str(folder), "--db", url])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    result = runner.invoke(
        main, ["store", "pull", folder.name, "--out", str(out)], env={"GEOGRID_STORE": url}
    )
    assert result.exit_code == 0, result.output
    assert (out / "incidents.geojson").read_bytes() == (folder / "incidents.geojson").read_bytes()


def test_errors_are_messages_not_tracebacks(tmp_path) -> None:
    """A missing area is one line on stderr and exit code 1."""
    url = db_url()
    result = CliRunner().invoke(
        main, ["store", "pull", unique_name("none"), "--db", url, "--out", str(tmp_path / "x")]
    )
    assert result.exit_code == 1 and "no such area" in result.output
