"""The monthly report on disk: report.pdf, report.csv and report.xlsx, written atomically.

The CSV goes through :mod:`geogrid.io.tables` (formula-safe, BOM for Excel):
one section per table, a blank line between. The Excel workbook (openpyxl)
has one sheet per table with the same numbers; text cells that look like
formulas are kept as text.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
from openpyxl import Workbook

from geogrid.io.atomic import write_bytes_atomic, write_text_atomic
from geogrid.io.tables import csv_text, safe_cell
from geogrid.planning.report import MonthlyReport

SHEETS = ("summary", "teams", "days", "hotspots", "schools", "trend")


def report_tables(report: MonthlyReport) -> dict[str, pd.DataFrame]:
    """The report's tables by sheet name (:data:`SHEETS`), figures first."""
    summary = pd.DataFrame(
        [{"figure": k, "value": v} for k, v in report.figures().items()]
        + [{"figure": "note", "value": report.caveat}]
    )
    return {
        "summary": summary,
        "teams": report.per_team,
        "days": report.per_day,
        "hotspots": report.hotspots,
        "schools": report.schools,
        "trend": report.trend,
    }


def report_csv(report: MonthlyReport) -> str:
    """Every table as one CSV: a ``# <sheet>`` line, its header and rows, a blank line."""
    rows: list[list[object]] = []
    for name, table in report_tables(report).items():
        rows.append([f"# {name}"])
        rows.append(list(table.columns))
        rows += [[_plain(v) for v in rec] for rec in table.itertuples(index=False)]
        rows.append([])
    return csv_text(rows, bom=True)


def report_xlsx(report: MonthlyReport) -> bytes:
    """The tables as an Excel workbook, one sheet each."""
    book = Workbook()
    for blank in list(book.worksheets):
        book.remove(blank)
    for name, table in report_tables(report).items():
        sheet = book.create_sheet(name)
        sheet.append([str(c) for c in table.columns])
        for rec in table.itertuples(index=False):
            sheet.append([safe_cell(_plain(v)) for v in rec])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _plain(value: object) -> object:
    return value.item() if hasattr(value, "item") else value


def write_report(folder: Path | str, report: MonthlyReport, pdf: bytes) -> list[Path]:
    """Write ``report.pdf``, ``report.csv`` and ``report.xlsx`` into ``folder``."""
    folder = Path(folder)
    return [
        write_bytes_atomic(folder / "report.pdf", pdf),
        write_text_atomic(folder / "report.csv", report_csv(report)),
        write_bytes_atomic(folder / "report.xlsx", report_xlsx(report)),
    ]
