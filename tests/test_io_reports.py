"""Report files: the CSV and Excel carry the report's figures; formula-like text stays text."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import load_workbook
from test_planning_report import CALENDAR, LOG, VISITS

from geogrid.io.reports import SHEETS, report_csv, write_report
from geogrid.planning.report import monthly_report


def test_csv_and_xlsx_hold_the_figures(tmp_path: Path) -> None:
    """report.csv sections and report.xlsx sheets give the same volunteer-hours as the report."""
    visits = VISITS.assign(
        name=[("=SUM(A1)" if i == 5 else n) for i, n in enumerate(VISITS["name"])]
    )
    report = monthly_report(LOG, visits, "2026-11", calendar=CALENDAR)
    paths = write_report(tmp_path, report, b"%PDF-1.4")
    assert [p.name for p in paths] == ["report.pdf", "report.csv", "report.xlsx"]
    text = paths[1].read_text(encoding="utf-8-sig")
    assert text.startswith("# summary\nfigure,value\nmonth,2026-11\n")
    assert "volunteer_hours,21.5" in text and "descriptive, not causal" in text
    book = load_workbook(paths[2])
    assert book.sheetnames == list(SHEETS)
    summary = {r[0]: r[1] for r in book["summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["volunteer_hours"] == 21.5 and summary["patrols"] == 4
    teams = pd.DataFrame(book["teams"].values)
    assert teams.iloc[1:, 0].tolist() == ["t1", "t2"]
    assert "'=SUM(A1)" in report_csv(report)
