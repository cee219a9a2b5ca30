"""Staffing on disk: the roster, the current staffing with its history, the Excel table.

The roster and every staffing hold names and phone numbers, so they are
written private (0600). A new staffing first copies the current one into
``staff/history/`` (time-stamped), so ``geogrid staff diff`` can say who
changes grid. The per-grid table goes out as CSV (:mod:`geogrid.io.tables`,
formula cells neutralised) and Excel (openpyxl, the same neutralising).
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from geogrid.errors import InputError
from geogrid.io.atomic import copy_atomic, write_bytes_atomic, write_text_atomic
from geogrid.io.tables import frame_csv, safe_cell
from geogrid.staffing.roster import ROLE_ZH, Roster

ROSTER_SCHEMA = "geogrid-roster/1"
STAFFING_SCHEMA = "geogrid-staffing/1"
#: Chinese headers of the staffing table (Excel and notice boards).
HEADERS_ZH = {
    "code": "网格编码",
    "name": "网格名称",
    "community": "所属社区",
    "worker": ROLE_ZH["worker"],
    "worker_phone": "网格员电话",
    "police": ROLE_ZH["police"],
    "police_phone": "民警电话",
    "cadre": ROLE_ZH["cadre"],
    "cadre_phone": "干部电话",
    "property": ROLE_ZH["property"],
    "property_phone": "物业电话",
    "volunteer": ROLE_ZH["volunteer"],
    "volunteers_n": "志愿者人数",
    "unfilled": "空缺岗位",
}


def _read_json(path: Path, schema: str, what: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise InputError(
            f"{path}: malformed JSON at line {err.lineno}: {err.msg}; "
            f"restore it from {path.parent / 'history'} or run the {what} again"
        ) from err
    if data.get("schema") != schema:
        raise InputError(f"{path}: not a geogrid {what} file ({schema}); run the {what} again")
    return dict(data)


def write_roster(path: Path, roster: Roster, source: str) -> Path:
    """Write the roster (private: names and phones)."""
    data = {
        "schema": ROSTER_SCHEMA,
        "source": source,
        "synthetic": roster.synthetic,
        "written": datetime.now(UTC).isoformat(timespec="seconds"),
        "people": roster.records(),
    }
    return write_text_atomic(
        path, json.dumps(data, ensure_ascii=False, indent=2) + "\n", private=True
    )


def read_roster(path: Path) -> Roster:
    """The roster written by :func:`write_roster`; InputError when none was imported."""
    if not path.exists():
        raise InputError(
            f"{path}: no staff roster yet; import one first "
            "(geogrid staff import AREA ROSTER --mapping M.toml, or geogrid staff synthetic AREA)"
        )
    data = _read_json(path, ROSTER_SCHEMA, "staff import")
    return Roster.from_records(list(data["people"]), synthetic=bool(data.get("synthetic")))


def write_staffing(path: Path, history_dir: Path, record: dict[str, Any]) -> Path:
    """Write a staffing record; the current one goes to ``history_dir`` first."""
    if path.exists():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        copy_atomic(path, history_dir / f"staffing-{stamp}.json")
    data = {
        "schema": STAFFING_SCHEMA,
        "written": datetime.now(UTC).isoformat(timespec="seconds"),
        **record,
    }
    return write_text_atomic(
        path, json.dumps(data, ensure_ascii=False, indent=2) + "\n", private=True
    )


def read_staffing(path: Path) -> dict[str, Any] | None:
    """The staffing record at ``path``; None when there is none."""
    if not path.exists():
        return None
    return _read_json(path, STAFFING_SCHEMA, "staff assign")


def previous_staffing(history_dir: Path) -> dict[str, Any] | None:
    """The staffing before the current one (the newest in ``history_dir``), or None."""
    files = sorted(history_dir.glob("staffing-*.json"))
    return _read_json(files[-1], STAFFING_SCHEMA, "staff assign") if files else None


def earlier_staffings(history_dir: Path, limit: int = 50) -> list[dict[str, Any]]:
    """The last ``limit`` staffings before the current one, newest first."""
    files = sorted(history_dir.glob("staffing-*.json"))[-limit:] if limit > 0 else []
    return [_read_json(f, STAFFING_SCHEMA, "staff assign") for f in reversed(files)]


def assignment_frame(record: dict[str, Any] | None) -> pd.DataFrame:
    """The assignment rows of a staffing record (empty frame for None)."""
    columns = ["person_id", "name", "role", "grid", "distance_m", "changed"]
    if record is None:
        return pd.DataFrame(columns=columns)
    return pd.DataFrame(list(record.get("assignment", [])), columns=columns)


def write_staffing_csv(path: Path, table: pd.DataFrame) -> Path:
    """The per-grid staffing table as CSV (UTF-8 with BOM for Excel), Chinese headers."""
    return write_text_atomic(path, frame_csv(table.rename(columns=HEADERS_ZH)), private=True)


def staffing_xlsx(
    table: pd.DataFrame, *, title: str = "网格力量配置表", synthetic: bool = False
) -> bytes:
    """The per-grid staffing table as an Excel workbook (bytes); formula-like cells neutralised."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = "staffing"
    sheet.append([title + ("（合成示例数据 SYNTHETIC）" if synthetic else "")])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([HEADERS_ZH.get(str(c), str(c)) for c in table.columns])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for row in table.itertuples(index=False):
        sheet.append(
            [safe_cell(None if (not isinstance(v, str) and pd.isna(v)) else v) for v in row]
        )
    for i, column in enumerate(table.columns, 1):
        width = max(
            [len(str(HEADERS_ZH.get(str(column), column)))]
            + [len(str(v)) for v in table[column].tolist()]
            + [6]
        )
        sheet.column_dimensions[sheet.cell(row=2, column=i).column_letter].width = min(
            width * 1.8, 60
        )
    sheet.freeze_panes = "A3"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write_staffing_xlsx(path: Path, table: pd.DataFrame, *, synthetic: bool = False) -> Path:
    """Write :func:`staffing_xlsx` atomically (private)."""
    return write_bytes_atomic(path, staffing_xlsx(table, synthetic=synthetic), private=True)
