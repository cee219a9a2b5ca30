"""Read an office's tables: CSV (UTF-8, UTF-8 with BOM, GBK) and Excel (``.xlsx``, ``.xls``).

:func:`read_sheet` gives a table of text cells whose index is the row number
the file itself shows (the row number in Excel, the line in a CSV), so a
rejects report points at the row a person opens. Offices' sheets are
messy in known ways, each handled here once:

* a title row above the header (``学院路街道户籍登记表`` merged across the
  sheet) is skipped (``skip_rows``, found automatically by default);
* merged header cells over two or more header rows (``单位信息`` over
  ``名称 | 地址``) become one name per column, ``单位信息/名称``
  (``header_rows``, found from the merged cells by default);
* the text encoding of a CSV is detected (UTF-8 with or without BOM, else
  GBK/GB18030) or stated, and a stated encoding that does not fit the bytes
  is an error saying which one does;
* an empty sheet is an error listing the sheets that have rows.

Nothing is converted here beyond text: numbers keep their digits
(``110108001`` stays ``"110108001"``, ``3.0`` becomes ``"3"``), dates become
ISO text, empty cells are ``""``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from geogrid.errors import InputError

#: Suffixes read as CSV text; ``.xlsx``/``.xlsm`` and ``.xls`` are Excel.
TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")

#: Header rows are found automatically when not stated.
AUTO = "auto"


@dataclass(frozen=True)
class SheetOptions:
    r"""How to read one table (from the ``[source]`` table of a mapping file).

    Attributes
    ----------
    sheet
        Excel sheet: its name, or its number (1 = first); the first sheet
        with rows when None.
    encoding
        CSV only: ``auto`` (UTF-8 with or without BOM, else GBK), ``utf-8``,
        ``gbk`` (read as GB18030, its superset) or any Python codec name.
    header_rows
        Rows that make the header (merged cells joined with ``/``), or
        ``auto``: one, or as many as the merged cells of the first header
        row span (Excel).
    skip_rows
        Rows above the header (titles), or ``auto``: leading rows with at
        most one filled cell are skipped.
    delimiter
        CSV only; ``,`` (``\t`` for ``.tsv``) when None.
    """

    sheet: str | int | None = None
    encoding: str = AUTO
    header_rows: int | str = AUTO
    skip_rows: int | str = AUTO
    delimiter: str | None = None


@dataclass(frozen=True)
class Sheet:
    """A table as read: text cells, index = the file's own row number (1-based)."""

    table: pd.DataFrame
    name: str
    encoding: str | None = None

    @property
    def where(self) -> str:
        return self.name


# --------------------------------------------------------------------------- text


def detect_encoding(raw: bytes, stated: str, name: str) -> str:
    """The codec that decodes ``raw``: the stated one (checked), or UTF-8 then GB18030.

    A stated GBK for a file that is valid UTF-8 with Chinese text is an
    error (the text would turn into nonsense); so is a stated UTF-8 for a
    file that is not.
    """
    key = stated.strip().lower().replace("_", "-")
    has_non_ascii = any(b > 0x7F for b in raw[:65536])
    utf8_ok = _decodes(raw, "utf-8-sig")
    if key in ("", AUTO):
        if utf8_ok:
            return "utf-8-sig"
        if _decodes(raw, "gb18030"):
            return "gb18030"
        raise InputError(
            f"{name}: the text is neither UTF-8 nor GBK; save it again as CSV UTF-8 "
            "(Excel: File > Save As > CSV UTF-8) or state [source] encoding"
        )
    if key in ("utf-8", "utf8", "utf-8-sig"):
        if not utf8_ok:
            hint = " it reads as GBK:" if _decodes(raw, "gb18030") else ""
            raise InputError(
                f"{name}: the file is not UTF-8 as the mapping says;{hint} set [source] "
                'encoding = "gbk" (or "auto")'
            )
        return "utf-8-sig"
    if key in ("gbk", "gb2312", "gb18030", "cp936"):
        if has_non_ascii and utf8_ok:
            raise InputError(
                f"{name}: the mapping says GBK but the file is UTF-8 (reading it as GBK would "
                'garble the Chinese text); set [source] encoding = "utf-8" (or "auto")'
            )
        if not _decodes(raw, "gb18030"):
            raise InputError(f"{name}: the file is not GBK text; check [source] encoding")
        return "gb18030"
    try:
        raw.decode(stated)
    except LookupError as err:
        raise InputError(f"{name}: unknown encoding {stated!r}; use auto, utf-8 or gbk") from err
    except UnicodeDecodeError as err:
        raise InputError(
            f"{name}: byte {err.start} is not valid {stated}; check [source] encoding "
            "(auto, utf-8, gbk)"
        ) from err
    return stated


def _decodes(raw: bytes, codec: str) -> bool:
    try:
        raw.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def _csv_rows(path: Path, options: SheetOptions) -> tuple[list[list[str]], str]:
    raw = path.read_bytes()
    encoding = detect_encoding(raw, options.encoding, path.name)
    text = raw.decode(encoding)
    delimiter = options.delimiter or ("\t" if path.suffix.lower() == ".tsv" else ",")
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as err:
        raise InputError(f"{path.name}: not a readable CSV file ({err})") from err
    return rows, encoding


# --------------------------------------------------------------------------- Excel


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


@dataclass
class _Grid:
    """One sheet as text cells plus its merged ranges (0-based, inclusive)."""

    name: str
    rows: list[list[str]]
    merged: list[tuple[int, int, int, int]]  # first_row, last_row, first_col, last_col


def _xlsx_sheets(path: Path) -> list[_Grid]:
    try:
        import openpyxl
    except ImportError as err:  # pragma: no cover - a declared dependency
        raise InputError("reading .xlsx needs openpyxl; pip install 'openpyxl>=3.1'") from err
    try:
        book = openpyxl.load_workbook(path, read_only=False, data_only=True)
    except Exception as err:  # openpyxl raises zipfile/KeyError/InvalidFileException
        raise InputError(
            f"{path.name}: not a readable .xlsx workbook ({err}); open it in Excel and save "
            "it again as .xlsx"
        ) from err
    grids = []
    for ws in book.worksheets:
        rows = [[_cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
        merged = [
            (r.min_row - 1, r.max_row - 1, r.min_col - 1, r.max_col - 1)
            for r in ws.merged_cells.ranges
        ]
        grids.append(_Grid(ws.title, rows, merged))
    return grids


def _xls_sheets(path: Path) -> list[_Grid]:
    try:
        import xlrd
    except ImportError as err:  # pragma: no cover - a declared dependency
        raise InputError("reading .xls needs xlrd; pip install 'xlrd>=2.0'") from err
    try:
        book = xlrd.open_workbook(str(path), formatting_info=True)
    except Exception as err:  # xlrd raises XLRDError and struct errors for bad files
        raise InputError(
            f"{path.name}: not a readable .xls workbook ({err}); open it in Excel and save "
            "it as .xlsx"
        ) from err
    grids = []
    for sh in book.sheets():
        rows = []
        for r in range(sh.nrows):
            row = []
            for c in range(sh.ncols):
                cell = sh.cell(r, c)
                if cell.ctype == xlrd.XL_CELL_DATE:
                    row.append(
                        _cell_text(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode))
                    )
                else:
                    row.append(_cell_text(cell.value))
            rows.append(row)
        merged = [(r0, r1 - 1, c0, c1 - 1) for r0, r1, c0, c1 in sh.merged_cells]
        grids.append(_Grid(sh.name, rows, merged))
    return grids


def sheet_names(path: Path | str) -> list[str]:
    """The sheets of an Excel workbook, in order."""
    path = Path(path)
    reader = _xls_sheets if path.suffix.lower() == ".xls" else _xlsx_sheets
    return [g.name for g in reader(path)]


def _choose(grids: Sequence[_Grid], sheet: str | int | None, name: str) -> _Grid:
    def filled(g: _Grid) -> int:
        return sum(any(c for c in row) for row in g.rows)

    listing = ", ".join(f"{g.name!r} ({filled(g)} rows)" for g in grids)
    if sheet is None:
        chosen = next((g for g in grids if filled(g)), grids[0] if grids else None)
    elif isinstance(sheet, int) or str(sheet).isdigit():
        n = int(sheet)
        chosen = grids[n - 1] if 1 <= n <= len(grids) else None
    else:
        chosen = next((g for g in grids if g.name == str(sheet)), None)
    if chosen is None:
        raise InputError(
            f"{name}: no sheet {sheet!r}; the workbook has {listing}; set [source] sheet"
        )
    if not filled(chosen):
        others = [g.name for g in grids if filled(g)]
        fix = (
            f'set [source] sheet = "{others[0]}" (sheets with rows: {listing})'
            if others
            else "the workbook has no rows at all: export the register again"
        )
        raise InputError(f"{name}: sheet {chosen.name!r} is empty; {fix}")
    return chosen


# --------------------------------------------------------------------------- header


def _fill_merged(grid: _Grid) -> list[list[str]]:
    """Cells of the sheet with every merged range's value copied into all its cells."""
    width = max((len(r) for r in grid.rows), default=0)
    rows = [list(r) + [""] * (width - len(r)) for r in grid.rows]
    for r0, r1, c0, c1 in grid.merged:
        if r0 >= len(rows) or c0 >= width:
            continue
        value = rows[r0][c0]
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            for c in range(c0, min(c1, width - 1) + 1):
                rows[r][c] = value
    return rows


def _title_rows(rows: Sequence[Sequence[str]]) -> int:
    """Leading rows that are titles: at most one distinct filled value, above a fuller row."""
    n = 0
    while n < len(rows) - 1:
        values = {c for c in rows[n] if c}
        below = {c for c in rows[n + 1] if c}
        if len(values) <= 1 and len(below) > 1:
            n += 1
            continue
        break
    return n


def _header_depth(merged: Sequence[tuple[int, int, int, int]], top: int) -> int:
    """Header rows implied by merged cells starting in the header's first row."""
    depth = 1
    for r0, r1, c0, c1 in merged:
        if r0 == top and (r1 > r0 or c1 > c0):
            depth = max(depth, r1 - top + 1)
            if r1 == r0 and c1 > c0:  # a group over sub-columns: one more row below
                depth = max(depth, 2)
    return depth


def _header_names(header: Sequence[Sequence[str]]) -> list[str]:
    width = max((len(r) for r in header), default=0)
    names = []
    for c in range(width):
        parts: list[str] = []
        for row in header:
            text = row[c].strip() if c < len(row) else ""
            if text and (not parts or parts[-1] != text):
                parts.append(text)
        names.append("/".join(parts))
    return names


def _forward_fill_groups(header: list[list[str]]) -> list[list[str]]:
    """CSV exports leave merged group cells empty after the first: fill them rightwards."""
    out = [list(r) for r in header]
    for row in out[:-1]:
        for c in range(1, len(row)):
            if not row[c]:
                row[c] = row[c - 1]
    return out


def read_sheet(path: Path | str, options: SheetOptions | None = None) -> Sheet:
    """Read a CSV or Excel table as text; index = the row number the file shows.

    Raises
    ------
    InputError
        The file is missing, unreadable, of an unknown kind, in another
        encoding than stated, the sheet is empty or missing, or header names
        repeat (merged header cells read as one row); each message names the
        file and how to fix it.
    """
    path = Path(path)
    options = options or SheetOptions()
    if not path.exists():
        raise InputError(f"{path}: file not found; check the path")
    suffix = path.suffix.lower()
    encoding = None
    if suffix in TEXT_SUFFIXES:
        rows, encoding = _csv_rows(path, options)
        grid = _Grid(path.name, rows, [])
        if not any(any(c.strip() for c in r) for r in rows):
            raise InputError(f"{path.name}: the file has no rows; export the table again")
        where = path.name
    elif suffix in EXCEL_SUFFIXES:
        grids = _xls_sheets(path) if suffix == ".xls" else _xlsx_sheets(path)
        grid = _choose(grids, options.sheet, path.name)
        where = f"{path.name} sheet {grid.name!r}" if len(grids) > 1 else path.name
    else:
        raise InputError(
            f"{path.name}: cannot read {suffix or 'a file without suffix'} as a table; give "
            f"{', '.join(TEXT_SUFFIXES + EXCEL_SUFFIXES)}"
        )
    cells = _fill_merged(grid)
    skip = _title_rows(cells) if options.skip_rows == AUTO else int(options.skip_rows)
    depth = (
        _header_depth(grid.merged, skip)
        if options.header_rows == AUTO
        else int(options.header_rows)
    )
    header = cells[skip : skip + depth]
    if not grid.merged and depth > 1:
        header = _forward_fill_groups(header)
    names = _header_names(header)
    body = cells[skip + depth :]
    keep = [c for c, n in enumerate(names) if n or any(c < len(r) and r[c] for r in body)]
    names = [names[c] or f"column {c + 1}" for c in keep]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InputError(
            f"{where}: column names repeat: {', '.join(map(repr, repeated))}",
            [
                f"{where}: the header at row {skip + 1} has merged or repeated cells; set "
                f"[source] header_rows = {depth + 1} so that the rows below name each column, "
                "or rename the columns"
            ],
        )
    data = [[r[c] if c < len(r) else "" for c in keep] for r in body]
    numbers = [skip + depth + 1 + i for i in range(len(body))]
    filled = [i for i, r in enumerate(data) if any(v.strip() for v in r)]
    table = pd.DataFrame(
        [data[i] for i in filled],
        columns=names,
        index=pd.Index([numbers[i] for i in filled], name="row"),
        dtype=object,
    )
    if not len(table):
        raise InputError(
            f"{where}: a header (row {skip + 1}) but no data rows below it; is this the right "
            "sheet?"
        )
    table = table.apply(lambda col: col.map(lambda v: v.strip() if isinstance(v, str) else v))
    return Sheet(table, where, encoding)
