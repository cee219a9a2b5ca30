"""A week's rota on disk: rota.json read back, rota.csv through the formula-safe writer,
PDF names checked."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from geogrid.io.rota import read_rota, rota_csv_rows, write_rota


def document() -> dict[str, Any]:
    stop = {
        "id": "hotspot-1",
        "name": '=HYPERLINK("http://x")',
        "kind": "hotspot",
        "duty": "hotspot",
        "priority": 5,
    }
    school = {
        "id": "school-a",
        "name": "学校A",
        "kind": "school",
        "duty": "school",
        "priority": None,
    }
    return {
        "area": "test",
        "week": "2026-W50",
        "days": [
            {
                "date": "2026-12-07",
                "weekday": "Mon",
                "school_day": True,
                "teams": [
                    {
                        "team": "t1",
                        "team_name": "一队",
                        "shift": "19:00–22:00",
                        "stops": [stop, school],
                    }
                ],
            },
            {"date": "2026-12-12", "weekday": "Sat", "school_day": False, "teams": []},
        ],
    }


def test_rota_written_and_read_back(tmp_path: Path) -> None:
    """rota.json comes back as written; the CSV has one row per team, night and stop."""
    paths = write_rota(tmp_path / "2026-W50", document(), {"rota.pdf": b"%PDF-1.4"})
    assert [p.name for p in paths] == ["rota.json", "rota.csv", "rota.pdf"]
    assert read_rota(tmp_path / "2026-W50") == document()
    assert read_rota(tmp_path / "none") is None
    text = (tmp_path / "2026-W50" / "rota.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["week", "date", "weekday"] and len(rows) == 3
    assert rows[2][9] == "学校A" and rows[2][11] == ""


def test_formula_cells_are_neutralised(tmp_path: Path) -> None:
    """A stop name that a spreadsheet would run as a formula is written as text."""
    write_rota(tmp_path, document(), {})
    text = (tmp_path / "rota.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text
    assert rota_csv_rows(document())[1][9].startswith("=")  # the rows hold the name as is


def test_pdf_names_are_bare(tmp_path: Path) -> None:
    """A PDF name with a folder is refused."""
    with pytest.raises(ValueError, match="bare file name"):
        write_rota(tmp_path, document(), {"../x.pdf": b""})
