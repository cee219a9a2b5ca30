"""A week's rota on disk: ``rota.json`` (the document), ``rota.csv`` and its PDFs.

The CSV goes through :func:`geogrid.io.tables.csv_text` (formula-like cells
neutralised, BOM for Excel); every file is written atomically.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from geogrid.io.atomic import write_bytes_atomic, write_text_atomic
from geogrid.io.tables import csv_text

ROTA_JSON = "rota.json"
ROTA_CSV = "rota.csv"
CSV_COLUMNS = (
    "week",
    "date",
    "weekday",
    "school_day",
    "team",
    "team_name",
    "shift",
    "seq",
    "stop_id",
    "stop_name",
    "kind",
    "priority",
)


def rota_csv_rows(document: Mapping[str, Any]) -> list[list[object]]:
    """One row per team, night and stop of a rota document (header first)."""
    rows: list[list[object]] = [list(CSV_COLUMNS)]
    for day in document["days"]:
        for duty in day["teams"]:
            for seq, stop in enumerate(duty["stops"], 1):
                rows.append(
                    [
                        document["week"],
                        day["date"],
                        day["weekday"],
                        "yes" if day["school_day"] else "no",
                        duty["team"],
                        duty["team_name"],
                        duty["shift"],
                        seq,
                        stop["id"],
                        stop["name"],
                        stop["kind"],
                        "" if stop.get("priority") is None else stop["priority"],
                    ]
                )
    return rows


def write_rota(
    folder: Path | str, document: Mapping[str, Any], pdfs: Mapping[str, bytes]
) -> list[Path]:
    """Write ``rota.json``, ``rota.csv`` and the PDFs (file name -> bytes) into ``folder``."""
    folder = Path(folder)
    written = [
        write_text_atomic(
            folder / ROTA_JSON, json.dumps(document, ensure_ascii=False, indent=2) + "\n"
        ),
        write_text_atomic(folder / ROTA_CSV, csv_text(rota_csv_rows(document), bom=True)),
    ]
    for name, data in pdfs.items():
        if Path(name).name != name or not name.endswith(".pdf"):
            raise ValueError(f"{name!r}: a rota PDF is a bare file name ending in .pdf")
        written.append(write_bytes_atomic(folder / name, data))
    return written


def read_rota(folder: Path | str) -> dict[str, Any] | None:
    """The ``rota.json`` document in ``folder``; None when the week has no rota yet."""
    path = Path(folder) / ROTA_JSON
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data
