"""geogrid.services.micro_grids: micro-grids written with history, checked, counted in the
report."""

from __future__ import annotations

from pathlib import Path

import pytest

from geogrid.grids import Band
from geogrid.io.workspace import Workspace
from geogrid.services import grids as SG
from geogrid.services import micro_grids as SM
from tests.grids_area import make_area


@pytest.fixture(scope="module")
def area(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic area with grids generated."""
    folder = make_area(tmp_path_factory.mktemp("micro") / "area", with_communities=True)
    SG.generate(folder, seed=0, author="test")
    return folder


def test_build_writes_the_layer_and_the_report_counts_it(area: Path) -> None:
    """micro_grids.geojson is written (and again into history); the grids report counts them."""
    band = Band(100, 250)
    run = SM.build_micro(area, band=band, author="王芳")
    assert run.written == Workspace(area).micro_grids_path and run.written.exists()
    assert not run.problems
    SM.build_micro(area, band=band, author="王芳")
    assert list(Workspace(area).history_dir.glob("micro_grids*"))
    report = SG.report(area)
    assert report["micro_grids"].sum() == len(run.micro_grids) and (report["micro_grids"] > 0).all()
    assert SM.validate_micro(area, band=band) == []
    assert "micro-grids" in run.lines()[0]


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    """A dry run builds and checks but leaves the folder as it was."""
    folder = make_area(tmp_path / "area")
    SG.generate(folder, seed=0, author="test")
    run = SM.build_micro(folder, band=Band(100, 250), dry_run=True)
    assert run.written is None and not Workspace(folder).micro_grids_path.exists()


def test_report_counts_problems_by_kind_and_names_addresses_over_the_band(area: Path) -> None:
    """Shanghai pilot: 417 problems printed one a line, the addresses over the band advised to
    'reassign units'. The report now counts problems by kind with what to do and a few
    examples; the notes on each address over the band are left to --all (every=True)."""
    run = SM.build_micro(area, band=Band(10, 15), dry_run=True)
    over = run.addresses_over_band
    assert over > 10 and over == sum(p.kind == "address over band" for p in run.problems)
    lines = run.lines()
    assert f"{len(run.problems)} problem(s) by kind:" in lines
    assert any(line.startswith(f"  address over band: {over} (") for line in lines)
    assert sum("address over band:" in line for line in lines) <= 1 + 3
    assert not any("reassign" in line for line in lines if "address over band" in line)
    assert len(lines) < len(run.problems)
    every = run.lines(every=True)
    assert all(str(p) in every for p in run.problems)
    assert len(every) > len(run.problems) + len(run.notes)
