"""geogrid.cli.micro: ``geogrid grids micro`` and ``grids micro-check``."""

from __future__ import annotations

from click.testing import CliRunner

from geogrid.cli import main
from geogrid.services import grids as SG
from tests.grids_area import make_area


def test_grids_micro_writes_and_checks(tmp_path) -> None:
    """The command writes micro_grids.geojson; the check passes with the same band; a bad band is
    refused."""
    area = make_area(tmp_path / "area", with_communities=True)
    SG.generate(area, seed=0, author="test")
    runner = CliRunner()
    result = runner.invoke(main, ["grids", "micro", str(area), "--band", "100-250"])
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output and (area / "micro_grids.geojson").exists()
    check = runner.invoke(main, ["grids", "micro-check", str(area), "--band", "100-250"])
    assert check.exit_code == 0 and "0 problem(s)" in check.output
    bad = runner.invoke(main, ["grids", "micro", str(area), "--band", "15-10"])
    assert bad.exit_code == 1 and "is empty" in bad.output


def test_grids_micro_summarises_problems_and_lists_all_on_request(tmp_path) -> None:
    """With a band the buildings exceed, `grids micro` counts problems by kind (the addresses
    over the band named, split by 单元 in the register); --all lists each; micro-check lists
    each and ends with the counts by kind."""
    area = make_area(tmp_path / "area", with_communities=True)
    SG.generate(area, seed=0, author="test")
    runner = CliRunner()
    short = runner.invoke(main, ["grids", "micro", str(area), "--band", "10-15", "--dry-run"])
    assert short.exit_code == 0, short.output
    assert "problem(s) by kind:" in short.output and "address over band: " in short.output
    assert "单元" in short.output and "more than one responsible person" in short.output
    full = runner.invoke(main, ["grids", "micro", str(area), "--band", "10-15", "--all"])
    assert full.exit_code == 0 and "by kind" not in full.output
    assert full.output.count(": address over band: ") > short.output.count(": address over band: ")
    check = runner.invoke(main, ["grids", "micro-check", str(area), "--band", "10-15"])
    assert check.exit_code == 2 and "by kind:" in check.output


def test_grids_micro_with_geogrid_store_writes_the_database(tmp_path) -> None:
    """With GEOGRID_STORE `grids micro` writes the database area's micro_grids (no folder
    here), the same as on the folder, and micro-check and the grids report (micro-grids per
    grid) read them there; --dry-run and a bad band change nothing."""
    from tests.store_commands import same_features, twins

    area = make_area(tmp_path / "area", with_communities=True)
    SG.generate(area, seed=0, author="test")
    pair = twins(area, tmp_path)
    before = pair.snapshot()
    dry = pair.run_db(["grids", "micro", str(pair.missing), "--band", "100-250", "--dry-run"])
    bad = pair.run_db(["grids", "micro", str(pair.missing), "--band", "15-10"])
    assert dry.exit_code == 0 and bad.exit_code == 1, dry.output + bad.output
    assert pair.snapshot() == before
    folder = pair.run_folder(["grids", "micro", str(pair.folder), "--band", "100-250"])
    db = pair.run_db(["grids", "micro", str(pair.missing), "--band", "100-250"])
    assert folder.exit_code == 0 and db.exit_code == 0, folder.output + db.output
    assert pair.name in db.output and not pair.missing.exists()
    assert pair.db_layer("micro_grids")
    assert same_features(pair.db_layer("micro_grids"), pair.folder_layer("micro_grids"))
    assert pair.store.version_tag(pair.name) != before[0]
    check = pair.run_db(["grids", "micro-check", str(pair.missing), "--band", "100-250"])
    assert check.exit_code == 0 and "0 problem(s)" in check.output, check.output
    import pandas as pd

    for run, where, out in (
        (pair.run_db, pair.missing, tmp_path / "db.csv"),
        (pair.run_folder, pair.folder, tmp_path / "folder.csv"),
    ):
        assert run(["grids", "report", str(where), "--csv", str(out)]).exit_code == 0
    db_counts = pd.read_csv(tmp_path / "db.csv", encoding="utf-8-sig")["micro_grids"]
    folder_counts = pd.read_csv(tmp_path / "folder.csv", encoding="utf-8-sig")["micro_grids"]
    assert db_counts.sum() > 0 and list(db_counts) == list(folder_counts)
