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
