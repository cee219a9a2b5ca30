"""Write the SYNTHETIC office files of :mod:`geogrid.synthetic_office` the way offices
hand them over: an Excel register (title row, merged 坐标 over 经度 | 纬度), a zipped
Shapefile with a GBK ``.cpg`` in a Gauss-Kruger zone, an Excel roster, a GCJ-02 CSV
of key places, a GBK CSV of incidents, and one mapping TOML per file. Every file
name starts with ``synthetic_``.
"""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

import pandas as pd

from geogrid.io.atomic import write_bytes_atomic
from geogrid.io.tables import frame_csv
from geogrid.synthetic_office import LABEL, OfficeFiles


def _register_xlsx(path: Path, rows: pd.DataFrame) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "户籍"
    sheet["A1"] = f"户籍登记表 {LABEL}"
    sheet.merge_cells("A1:E1")
    for col, name in ((1, "地址编码"), (2, "标准地址"), (3, "户数")):
        sheet.cell(2, col, name)
        sheet.merge_cells(start_row=2, start_column=col, end_row=3, end_column=col)
    sheet.cell(2, 4, "坐标")
    sheet.merge_cells(start_row=2, start_column=4, end_row=2, end_column=5)
    sheet.cell(3, 4, "经度")
    sheet.cell(3, 5, "纬度")
    for r, row in enumerate(rows.itertuples(index=False), start=4):
        for c, value in enumerate(row, start=1):
            sheet.cell(r, c, value.item() if hasattr(value, "item") else value)
    book.save(path)


def _roster_xlsx(path: Path, rows: pd.DataFrame) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "花名册"
    sheet.append(list(rows.columns))
    for row in rows.itertuples(index=False):
        sheet.append(list(row))
    note = book.create_sheet("说明")
    note["A1"] = LABEL
    book.save(path)


def write_office_files(files: OfficeFiles, folder: Path | str) -> dict[str, Path]:
    """Write every file and its mapping into ``folder``; returns the paths by name
    (``households``, ``grids``, ``places``, ``teams``, ``incidents`` and
    ``<name>_mapping``)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        _register_xlsx(work / "register.xlsx", files.register)
        write_bytes_atomic(folder / "synthetic_户籍.xlsx", (work / "register.xlsx").read_bytes())
        _roster_xlsx(work / "roster.xlsx", files.roster)
        write_bytes_atomic(folder / "synthetic_花名册.xlsx", (work / "roster.xlsx").read_bytes())
        shp = work / "网格.shp"
        files.grids.to_crs(files.grids_crs).to_file(shp, driver="ESRI Shapefile", encoding="GBK")
        shp.with_suffix(".cpg").write_text("GBK", encoding="ascii")
        archive = work / "grids.zip"
        with zipfile.ZipFile(archive, "w") as zipped:
            for part in sorted(work.glob("网格.*")):
                zipped.write(part, f"网格/{part.name}")
        write_bytes_atomic(folder / "synthetic_网格.zip", archive.read_bytes())
    write_bytes_atomic(
        folder / "synthetic_重点场所.csv", frame_csv(files.places, bom=True).encode("utf-8")
    )
    write_bytes_atomic(
        folder / "synthetic_警情.csv", frame_csv(files.incidents, bom=False).encode("gbk")
    )
    names = {
        "households": "synthetic_户籍.xlsx",
        "grids": "synthetic_网格.zip",
        "places": "synthetic_重点场所.csv",
        "teams": "synthetic_花名册.xlsx",
        "incidents": "synthetic_警情.csv",
    }
    for name, file_name in names.items():
        out[name] = folder / file_name
        mapping = folder / f"synthetic_{name}.toml"
        write_bytes_atomic(mapping, files.mappings[name].encode("utf-8"))
        out[f"{name}_mapping"] = mapping
    return out
