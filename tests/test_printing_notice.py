"""geogrid.printing.notice: the grid notice board renders with Chinese text, phones opt-in."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from geogrid import staffing as S
from geogrid.printing.notice import render_notice_boards
from tests.grids_area import UTM_50N, street_frames
from tests.staffing_area import grids, roster


def _pdf(publish_phones: bool) -> bytes:
    people = roster()
    distance = S.straight_distances(people, grids(), UTM_50N)
    staffing = S.assign_staff(
        S.build_staffing_problem(people, grids(), S.StaffingRules(), distance)
    )
    table = S.staffing_table(staffing.assignment, people, grids(), publish_phones=publish_phones)
    _, edges = street_frames()
    return render_notice_boards(
        grids(), table.iloc[:2], edges, UTM_50N, publish_phones=publish_phones, synthetic=True
    )


def _text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "b.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_notice_board_renders_with_chinese_text(tmp_path) -> None:
    """Two boards, two pages: title, roles and names in Chinese, a PNG renders; no phones."""
    pdf = _pdf(publish_phones=False)
    (tmp_path / "b.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", str(tmp_path / "b.pdf"), str(tmp_path / "p")], check=True
    )
    assert len(list(tmp_path.glob("p-*.png"))) == 2
    text = _text(pdf, tmp_path)
    assert text.count("网格公示牌") == 2 and "专职网格员" in text and "社区民警" in text
    assert "199" not in text and "SYNTHETIC" in text


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_phones_only_when_published(tmp_path) -> None:
    """With publish_phones the workers' numbers are printed."""
    assert "19900000" in _text(_pdf(publish_phones=True), tmp_path)
