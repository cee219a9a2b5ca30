"""Tabular output (CSV) written atomically."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

from geogrid.io.atomic import write_text_atomic


def write_csv_atomic(path: Path, rows: Iterable[Sequence[object]]) -> None:
    """Write rows as UTF-8 CSV via a temp file in the same folder, then rename."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    write_text_atomic(path, buffer.getvalue())
