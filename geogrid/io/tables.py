"""Tabular output (CSV) written atomically, safe to open in a spreadsheet.

Every CSV geogrid writes goes through :func:`csv_text` (rows) or
:func:`frame_csv` (a DataFrame). Both neutralise *formula injection*: a text
cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
(an OSM name such as ``=HYPERLINK(...)`` or ``@SUM(...)``) would run as a
formula in Excel or LibreOffice, so it gets a leading single quote, which
shows the text as typed. Numbers, negative ones included, stay numbers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from geogrid.io.atomic import write_text_atomic

#: first characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def safe_cell(value: object) -> object:
    """``value`` as a spreadsheet shows it as text: formula-like strings get a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_text(rows: Iterable[Sequence[object]], bom: bool = False) -> str:
    r"""Rows as CSV text (``\n`` line ends), formula-like cells neutralised; BOM for Excel."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\n").writerows([safe_cell(v) for v in row] for row in rows)
    return ("\ufeff" if bom else "") + buffer.getvalue()


def frame_csv(table: pd.DataFrame, bom: bool = True) -> str:
    """A DataFrame as CSV text (header, no index), formula-like cells neutralised."""
    safe = table.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(safe_cell)
    return ("\ufeff" if bom else "") + safe.to_csv(index=False, lineterminator="\n")


def write_csv_atomic(path: Path, rows: Iterable[Sequence[object]]) -> None:
    """Write rows as UTF-8 CSV via a temp file in the same folder, then rename."""
    write_text_atomic(path, csv_text(rows))
