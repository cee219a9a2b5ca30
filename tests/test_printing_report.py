"""The monthly report PDF: two A4 pages, Chinese text in the embedded CJK font, the
figures of the report on page 1, the caveat on page 2; rendered to PNG for a look."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from test_planning_report import CALENDAR, LOG, VISITS

from geogrid.planning.report import monthly_report
from geogrid.printing.report import render_monthly_report

OUTPUT = Path(__file__).parent / "output"


def report():
    inc = pd.DataFrame(
        [(116.3001, 40.0, d) for d in ("2026-11-05", "2026-10-10", "2025-11-11", "2025-11-12")]
        + [(116.3201, 40.0, "2026-11-01"), (116.3201, 40.0, "2026-10-01")],
        columns=["lon", "lat", "date"],
    )
    return monthly_report(
        LOG,
        VISITS,
        "2026-11",
        calendar=CALENDAR,
        incidents=inc,
        hotspots=None,
        metric_crs="EPSG:32650",
    )


def test_pdf_has_two_pages_with_the_figures() -> None:
    """Two pages; pdftotext finds the headline figures, 护学岗 and the 'descriptive, not causal'
    label."""
    pdf = render_monthly_report(report(), "测试街道")
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") >= 0
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils not installed")
    OUTPUT.mkdir(exist_ok=True)
    path = OUTPUT / "monthly-report.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert text.count("\f") == 2
    assert (
        "巡逻月报" in text and "21.5 h" in text and "88%" in text
    )  # volunteer-hours, completion 14/16
    assert "护学岗" in text and "descriptive, not causal" in text
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", str(path), str(OUTPUT / "monthly-report")], check=True
    )
    assert (OUTPUT / "monthly-report-1.png").exists()


def test_empty_month_still_renders() -> None:
    """No patrols: the pages say so instead of failing."""
    empty = monthly_report(LOG.iloc[:0], VISITS.iloc[:0], "2026-11")
    assert render_monthly_report(empty).startswith(b"%PDF")


def test_rendering_logs_no_missing_bold_font(caplog: pytest.LogCaptureFixture) -> None:
    """The CJK font has one weight: asking for bold printed 'findfont: Failed to find font
    weight bold' twice on every `geogrid report` (Shanghai pilot)."""
    import logging

    from matplotlib import font_manager

    cached = getattr(font_manager.fontManager, "_findfont_cached", None)
    if cached is not None:
        cached.cache_clear()  # a render earlier in this process would hide the message
    with caplog.at_level(logging.INFO, logger="matplotlib.font_manager"):
        render_monthly_report(report(), "测试街道")
    assert not [r for r in caplog.records if "Failed to find font" in r.getMessage()]
