"""Read incident sources and mapping files; write incidents, rejects and public datasets.

The IO shell around :mod:`geogrid.incidents`:

* :func:`read_mapping` reads a TOML mapping file (see ``data/mappings/``);
* :func:`read_source_table` reads CSV/TSV (UTF-8, UTF-8 with BOM, GBK;
  ``.gz`` too), GeoJSON, GeoPackage and Parquet into a raw table whose
  index is the 1-based data row number (geometry files give ``x``/``y``
  columns from their points, in the file's own CRS);
* :func:`import_incidents` = read + :func:`geogrid.incidents.clean_incidents`;
* :func:`save_incidents` merges into an area's ``incidents.geojson`` by id
  (atomic, with history; unchanged when nothing is new or different); a
  record of the same source and id with other values replaces the stored one
  when asked (``correct=True``: a correction, the replaced file kept in ``history/``);
* :func:`write_rejects` writes the rejects report (CSV, UTF-8 with BOM so
  Excel shows Chinese);
* :func:`publish_dataset` writes the public GeoJSON + CSV, only from
  tables that went through :func:`geogrid.release.release`.
"""

from __future__ import annotations

import gzip
import io
import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geogrid.crs import WGS84
from geogrid.errors import InputError
from geogrid.incidents import (
    DEFAULT_TIMEZONE,
    Cleaned,
    IncidentMapping,
    clean_incidents,
    incidents_from_layer,
    incidents_to_layer,
    mapping_from_dict,
    merge_incidents,
)
from geogrid.io.atomic import write_text_atomic
from geogrid.io.geojson import (
    dumps_features,
    read_layer,
    write_layer,
)
from geogrid.io.mappings import read_mapping_toml
from geogrid.io.tables import frame_csv
from geogrid.layers import features_from_frame

_FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".geojson": "geojson",
    ".json": "geojson",
    ".gpkg": "gpkg",
    ".parquet": "parquet",
    ".geoparquet": "parquet",
}


def read_mapping(path: Path | str) -> IncidentMapping:
    """Read a TOML mapping file (see :func:`geogrid.incidents.mapping_from_dict`)."""
    path = Path(path)
    data = read_mapping_toml(path, "mapping file not found; see data/mappings/ for examples")
    return mapping_from_dict(data, where=path.name)


def source_format(path: Path, mapping: IncidentMapping | None = None) -> str:
    """The file format: the mapping's ``format``, else from the suffix (``.csv.gz`` -> csv)."""
    if mapping is not None and mapping.format:
        return mapping.format.lower()
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    fmt = _FORMATS.get(suffixes[-1] if suffixes else "")
    if fmt is None:
        raise InputError(
            f"{Path(path).name}: cannot tell the format from the name; set [source] format "
            f"to one of {', '.join(sorted(set(_FORMATS.values())))}"
        )
    return fmt


def _decode(raw: bytes, encoding: str, name: str) -> str:
    encodings = ["utf-8-sig", "gb18030"] if encoding.lower() in ("auto", "") else [encoding]
    if encoding.lower() in ("utf-8", "utf8"):
        encodings = ["utf-8-sig"]  # a BOM is never data
    if encoding.lower() == "gbk":
        encodings = ["gb18030"]  # superset of GBK, decodes everything GBK does
    for enc in encodings:
        try:
            return raw.decode(enc)
        except UnicodeDecodeError as err:
            last = err
    raise InputError(
        f"{name}: cannot decode the file as {' or '.join(encodings)}",
        [
            f"{name}: byte {last.start} is not valid {last.encoding}; set [source] encoding "
            "(utf-8, gbk) to what the exporting tool used"
        ],
    )


def read_source_table(path: Path | str, mapping: IncidentMapping) -> pd.DataFrame:
    """Read a source file as a raw table, index = 1-based data row number.

    CSV/TSV values stay text (nothing is guessed); geometry formats give
    their attributes plus ``x``/``y`` (point coordinates, NaN for empty or
    non-point geometries) in the file's CRS.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: source file not found")
    fmt = source_format(path, mapping)
    if fmt in ("csv", "tsv"):
        raw = path.read_bytes()
        if path.suffix.lower() == ".gz":
            raw = gzip.decompress(raw)
        text = _decode(raw, mapping.encoding, path.name)
        sep = mapping.delimiter or ("\t" if fmt == "tsv" else ",")
        try:
            table = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
        except pd.errors.ParserError as err:
            raise InputError(f"{path.name}: not a readable {fmt.upper()} file: {err}") from err
    elif fmt in ("geojson", "gpkg"):
        frame = gpd.read_file(path)
        table = _xy_table(frame)
    elif fmt == "parquet":
        try:
            frame = gpd.read_parquet(path)
            table = _xy_table(frame)
        except ValueError:
            table = pd.read_parquet(path)
    else:
        raise InputError(
            f"{path.name}: unknown format {fmt!r}; use csv, tsv, geojson, gpkg, parquet"
        )
    table.index = pd.RangeIndex(1, len(table) + 1)
    return table


def _xy_table(frame: gpd.GeoDataFrame) -> pd.DataFrame:
    geoms = frame.geometry.to_numpy()
    points = shapely.get_type_id(geoms) == 0
    x = np.where(points, shapely.get_x(geoms), np.nan)
    y = np.where(points, shapely.get_y(geoms), np.nan)
    table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    table["x"] = x
    table["y"] = y
    return table


def import_incidents(
    path: Path | str, mapping: IncidentMapping, *, area: shapely.Geometry | None = None
) -> Cleaned:
    """Read ``path`` with ``mapping`` and split good rows from rejects.

    ``area`` (WGS-84 polygon, e.g. the area boundary) rejects points outside it.
    """
    path = Path(path)
    table = read_source_table(path, mapping)
    return clean_incidents(table, mapping, area=area, where=path.name)


@dataclass(frozen=True)
class Saved:
    """What :func:`save_incidents` did."""

    path: Path
    added: int
    total: int
    #: records of the same source and id with other values (time, place, category...):
    #: replaced by the new ones (``corrected``) or, with ``correct=False``, kept (``differ``).
    corrected: int = 0
    differ: int = 0
    #: ids already stored from another source: kept, the new rows left out.
    other_source: int = 0
    #: (id, what changed) of up to 5 corrected/differing records, for the report.
    examples: tuple[tuple[str, str], ...] = ()


def load_incidents(path: Path | str, timezone: str = DEFAULT_TIMEZONE) -> gpd.GeoDataFrame:
    """Read an ``incidents.geojson`` layer as an incidents frame (times parsed)."""
    return incidents_from_layer(read_layer(Path(path), "incidents"), timezone)


def save_incidents(
    incidents: gpd.GeoDataFrame,
    path: Path | str,
    *,
    author: str | None = None,
    correct: bool = False,
) -> Saved:
    """Merge ``incidents`` into the layer at ``path`` by id and write it if anything changed.

    New ids are added. A record whose id is stored from the same ``source`` (the mapping's
    name) with other values (time, position, category, zone...) is a correction: with
    ``correct`` (what ``geogrid incidents import`` does) it replaces the stored one; without
    (the default, as the stores' ``add_incidents``) the stored one is kept and counted.
    An id stored from another source is kept as it is. The previous file goes to
    ``history/`` next to it; with nothing new or different the file is left untouched
    (importing the same file twice changes nothing).
    """
    path = Path(path)
    existing = read_layer(path, "incidents") if path.exists() else None
    new_layer = incidents_to_layer(incidents)
    corrected = differ = other_source = 0
    examples: list[tuple[str, str]] = []
    if existing is not None and len(existing) and len(new_layer):
        old_by_id = {str(v): i for i, v in enumerate(existing["id"].astype(str))}
        replace_at: dict[int, int] = {}  # existing position -> new position
        pairs = [
            (pos, old_by_id[ident])
            for pos, ident in enumerate(new_layer["id"].astype(str))
            if ident in old_by_id
        ]
        new_at = [pos for pos, _ in pairs]
        old_at = [at for _, at in pairs]
        same_source, same = _same_records(existing.iloc[old_at], new_layer.iloc[new_at])
        other_source = int((~same_source).sum())
        for (pos, at), keep in zip(pairs, same_source & ~same, strict=True):
            if not keep:
                continue  # another source's id, or the same record: nothing to compare
            changed = _changes(existing.iloc[at], new_layer.iloc[pos])
            if changed:
                if len(examples) < 5:
                    examples.append((str(new_layer["id"].iloc[pos]), changed))
                replace_at[at] = pos
        if correct and replace_at:
            existing = existing.copy()
            for column in new_layer.columns:
                if column not in existing.columns:
                    existing[column] = None
            rows = list(replace_at)
            incoming = new_layer.iloc[list(replace_at.values())]
            for column in new_layer.columns:
                values = incoming[column].to_numpy(dtype=object)
                if column == "geometry":
                    existing.loc[existing.index[rows], "geometry"] = gpd.GeoSeries(
                        values, index=existing.index[rows], crs=WGS84
                    )
                else:
                    existing[column] = existing[column].astype(object)
                    existing.loc[existing.index[rows], column] = values
            corrected = len(replace_at)
        else:
            differ = len(replace_at)
    merged, added = merge_incidents(existing, new_layer)
    if added or corrected or not path.exists():
        what = f"import: {added} incidents added" + (
            f", {corrected} corrected" if corrected else ""
        )
        write_layer(
            merged,
            path,
            "incidents",
            history=True,
            author=author,
            message=what,
            history_dir=path.parent / "history",
        )
    return Saved(path, added, len(merged), corrected, differ, other_source, tuple(examples))


def _text(value: object) -> str:
    """A stored value as compared: None/NaN are empty, numbers without a trailing .0."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, np.generic):
        return _text(value.item())
    return str(value)


def _moved(a: object, b: object) -> str:
    """`` moved 47 m`` between two lon/lat points (equirectangular, fine at these distances);
    "" when either is not a point."""
    if not (isinstance(a, shapely.Point) and isinstance(b, shapely.Point)):
        return ""
    dx = (b.x - a.x) * 111_320.0 * np.cos(np.radians((a.y + b.y) / 2))
    dy = (b.y - a.y) * 110_540.0
    return f" moved {float(np.hypot(dx, dy)):.0f} m"


def _same_records(old: gpd.GeoDataFrame, new: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """For aligned rows of stored and new records of the same ids: (same source, identical),
    decided on whole columns so that re-importing a large unchanged file does not compare
    row by row. "Identical" is strict (every value the same as :func:`_text` writes it, the
    position within ~0.1 m); rows not identical are looked at by :func:`_changes`, which
    also knows times written differently for the same instant."""

    def texts(frame: gpd.GeoDataFrame, column: str) -> np.ndarray:
        if column not in frame.columns:
            return np.full(len(frame), "", dtype=object)
        values: np.ndarray = frame[column].map(_text).to_numpy(dtype=object)
        return values

    same_source = texts(old, "source") == texts(new, "source")
    same = np.ones(len(new), dtype=bool)
    for column in new.columns:
        if column == "id":
            continue
        if column == "geometry":
            same &= np.asarray(
                shapely.equals_exact(
                    old.geometry.to_numpy(), new.geometry.to_numpy(), tolerance=1e-6
                ),
                dtype=bool,
            )
        else:
            same &= texts(old, column) == texts(new, column)
    return same_source, same


def _changes(old: pd.Series, new: pd.Series) -> str:
    """What differs between a stored record and a new one of the same id, in words; ""
    when they are the same (positions within ~0.1 m, times the same instant)."""
    out: list[str] = []
    for column in new.index:
        if column == "id":
            continue
        a, b = old.get(column), new[column]
        if column == "geometry":
            if a is None or b is None or not shapely.equals_exact(a, b, tolerance=1e-6):
                out.append("position" + _moved(a, b))
        elif column == "time":
            ta = pd.Timestamp(str(a)) if _text(a) else None
            tb = pd.Timestamp(str(b)) if _text(b) else None
            if ta != tb:
                out.append(f"time {_text(a)} -> {_text(b)}")
        elif _text(a) != _text(b):
            out.append(f"{column} {_text(a)!r} -> {_text(b)!r}")
    return ", ".join(out)


def write_rejects(rejects: pd.DataFrame, path: Path | str, source: str) -> Path:
    """Write the rejects report as CSV (UTF-8 with BOM): source, row, id, reason, detail."""
    path = Path(path)
    table = rejects.copy()
    table.insert(0, "source", source)
    write_text_atomic(path, frame_csv(table))
    return path


def publish_dataset(
    released: gpd.GeoDataFrame, out_dir: Path | str, stem: str = "incidents_public"
) -> list[Path]:
    """Write a released table as ``<stem>.geojson`` and ``<stem>.csv`` (no geometry).

    Refuses any table that did not come out of :func:`geogrid.release.release`.
    """
    if not released.attrs.get("released"):
        raise InputError(
            "publish_dataset: the table was not released; pass it through "
            "geogrid.release.release (or public_counts) first"
        )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    frame = released.to_crs(WGS84)
    rounded = shapely.transform(frame.geometry.to_numpy(), lambda xy: np.round(xy, 6))
    frame = frame.set_geometry(gpd.GeoSeries(rounded, index=frame.index, crs=WGS84))
    features = features_from_frame(frame)
    geojson_path = out / f"{stem}.geojson"
    csv_path = out / f"{stem}.csv"
    write_text_atomic(geojson_path, dumps_features(features))
    table = pd.DataFrame(frame.drop(columns="geometry"))
    write_text_atomic(csv_path, frame_csv(table))
    meta = {
        "rules": released.attrs.get("release_rules"),
        "rows": len(frame),
        "note": "aggregate counts only; counts under k suppressed; sensitive categories excluded",
    }
    write_text_atomic(out / f"{stem}.json", json.dumps(meta, ensure_ascii=False, indent=2) + "\n")
    return [geojson_path, csv_path]
