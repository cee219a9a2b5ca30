"""Read an office's vector files in any CRS: Shapefile (plain or zipped), GeoPackage, KML/KMZ,
GeoJSON.

:func:`read_vectors` returns the features in WGS-84 (EPSG:4326), 2-D, with
the index = the feature's number in the file (1 = first), so messages can
say "grids.shp feature 7". What offices send, handled once here:

* a zipped Shapefile (``.zip`` holding ``.shp/.shx/.dbf/.prj/.cpg``) or
  a KMZ is read in place (GDAL ``/vsizip/``);
* Shapefile attribute text in the code page its ``.cpg`` names; without a
  ``.cpg`` the ``.dbf`` bytes are checked (UTF-8, else GBK), or the
  mapping's ``encoding`` is used;
* the CRS from the ``.prj`` (CGCS2000 EPSG:4490, Gauss-Kruger zones
  EPSG:4513-4554, anything pyproj knows); a file with no CRS is refused
  with a hint read off its coordinates, unless the mapping states it;
* GCJ-02 / BD-09 (Amap, Baidu) lon/lat, when the mapping says so, are
  converted explicitly (:func:`geogrid.crs.lonlat_from_system`); a stated
  EPSG code that contradicts the file's ``.prj`` is an error.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from geogrid.crs import LONLAT_SYSTEMS, WGS84, lonlat_from_system, system_key
from geogrid.errors import CRSError, InputError

#: File kinds read by :func:`read_vectors`.
VECTOR_SUFFIXES = (".shp", ".zip", ".gpkg", ".kml", ".kmz", ".geojson", ".json")


@dataclass(frozen=True)
class Vectors:
    """Features read from a vector file, in WGS-84, index = feature number (1-based)."""

    frame: gpd.GeoDataFrame
    name: str
    crs: str
    notes: tuple[str, ...] = ()


def crs_hint(bounds: tuple[float, float, float, float]) -> str:
    """What coordinates with these bounds probably are, to help a person name the CRS."""
    west, south, east, north = bounds
    if -180 <= west <= east <= 180 and -90 <= south <= north <= 90:
        return (
            "the numbers look like longitude/latitude: CGCS2000 (EPSG:4490), WGS-84 (EPSG:4326), "
            'or GCJ-02 (coordinates = "gcj02") if the file came from Amap/Tencent'
        )
    if west >= 1e7 and east < 1e8:
        zone = int(west // 1e6)
        if 25 <= zone <= 45:
            return (
                f"the eastings carry a zone number ({zone}): a 3-degree Gauss-Kruger zone "
                f"with zone prefix, CGCS2000 EPSG:{4513 + zone - 25} (zone {zone})"
            )
        if 13 <= zone <= 23:
            return (
                f"the eastings carry a zone number ({zone}): a 6-degree Gauss-Kruger zone, "
                f"CGCS2000 EPSG:{4491 + zone - 13} (zone {zone})"
            )
    if west > 0 and east < 1e6 and 0 < south < 1e7:
        return (
            "the numbers look like metres of a transverse Mercator zone without zone prefix: "
            "CGCS2000 3-degree Gauss-Kruger EPSG:4534-4554 (central meridian 75E-135E, e.g. "
            "EPSG:4547 for 114E, EPSG:4549 for 120E) or a UTM zone; ask whoever made the file"
        )
    return "ask whoever made the file which coordinate system it uses"


def _members(path: Path) -> list[str]:
    try:
        with zipfile.ZipFile(path) as archive:
            return [n for n in archive.namelist() if not n.endswith("/")]
    except zipfile.BadZipFile as err:
        raise InputError(f"{path.name}: not a readable zip file ({err}); zip it again") from err


def _zip_member(path: Path, layer: str | None) -> str:
    """The data member of a zip: the one .shp (or the one named ``layer``), .gpkg, .kml,
    .geojson."""
    members = _members(path)
    for suffix in (".shp", ".gpkg", ".kml", ".geojson", ".json"):
        found = [m for m in members if m.lower().endswith(suffix)]
        if layer is not None and len(found) > 1:
            found = [m for m in found if PurePosixPath(m).stem == layer] or found
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            stems = ", ".join(PurePosixPath(m).stem for m in found)
            raise InputError(
                f"{path.name}: holds {len(found)} {suffix} files ({stems}); say which with "
                "[source] layer"
            )
    raise InputError(
        f"{path.name}: no .shp, .gpkg, .kml or .geojson inside; the zip holds "
        f"{', '.join(members[:10]) or 'nothing'}"
    )


def _sidecars(path: Path, member: str | None) -> dict[str, bytes | None]:
    """The ``.prj``, ``.cpg`` and ``.dbf`` bytes of a Shapefile (None when missing)."""
    out: dict[str, bytes | None] = {}
    if member is None:
        siblings = {p.suffix.lower(): p for p in path.parent.glob(path.stem + ".*")}
        for ext in (".prj", ".cpg", ".dbf"):
            out[ext] = siblings[ext].read_bytes() if ext in siblings else None
        return out
    stem = str(PurePosixPath(member).with_suffix(""))
    with zipfile.ZipFile(path) as archive:
        names = {n.lower(): n for n in archive.namelist()}
        for ext in (".prj", ".cpg", ".dbf"):
            name = names.get((stem + ext).lower())
            out[ext] = archive.read(name) if name else None
    return out


def _dbf_encoding(dbf: bytes | None) -> str | None:
    """UTF-8 when the .dbf text is valid UTF-8 with non-ASCII bytes, GBK (GB18030) otherwise."""
    if not dbf or len(dbf) < 32:
        return None
    header_len = int.from_bytes(dbf[8:10], "little")
    body = dbf[header_len:]
    if not any(b > 0x7F for b in body):
        return None
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "GB18030"
    return "UTF-8"


def _read(source: str, name: str, layer: str | None, encoding: str | None) -> gpd.GeoDataFrame:
    try:
        layers = [str(row[0]) for row in pyogrio.list_layers(source)]
    except Exception as err:  # pyogrio.errors.DataSourceError and friends
        raise InputError(
            f"{name}: cannot read this file ({err}); give a Shapefile (.shp or .zip), "
            "GeoPackage, KML/KMZ or GeoJSON"
        ) from err
    if layer is not None and layer not in layers and len(layers) > 1:
        raise InputError(f"{name}: no layer {layer!r}; its layers are {', '.join(layers)}")
    chosen = [layer] if layer in layers else layers
    kml = source.lower().endswith((".kml", ".kmz")) or (
        "/vsizip/" in source and ".kml" in source.lower()
    )
    if len(chosen) > 1 and not kml:
        raise InputError(
            f"{name}: has {len(chosen)} layers ({', '.join(chosen)}); say which with [source] "
            "layer (or --layer)"
        )
    frames = []
    for lyr in chosen:
        kwargs = {"encoding": encoding} if encoding else {}
        try:
            frame = pyogrio.read_dataframe(source, layer=lyr, **kwargs)
        except Exception as err:  # GDAL errors for broken files
            raise InputError(f"{name}: layer {lyr!r} cannot be read ({err})") from err
        frames.append(frame)
    if len(frames) == 1:
        return frames[0]
    crs = next((f.crs for f in frames if f.crs is not None), None)
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=crs)


def read_vectors(
    path: Path | str,
    *,
    coordinates: str | None = None,
    encoding: str | None = None,
    layer: str | None = None,
) -> Vectors:
    """Read a vector file's features into WGS-84 (index = feature number, 1 = first).

    Parameters
    ----------
    path
        ``.shp`` (with its sidecars), ``.zip`` (a zipped Shapefile, GeoPackage
        or KML), ``.gpkg``, ``.kml``, ``.kmz``, ``.geojson``.
    coordinates
        The coordinate system, when the file does not say or says it wrongly:
        ``wgs84``, ``gcj02``, ``bd09`` or an EPSG code. GCJ-02 / BD-09 are
        converted from the file's lon/lat; an EPSG code is used for a file
        without a CRS and must match the CRS a file states.
    encoding
        Attribute text encoding of a Shapefile without ``.cpg`` (detected when
        None: UTF-8, else GBK).
    layer
        The layer of a GeoPackage (or the Shapefile in a zip) with several.

    Raises
    ------
    CRSError
        No CRS in the file and none stated (with a hint from the
        coordinates), or the stated one contradicts the file.
    InputError
        The file is missing, unreadable, or holds several layers.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: file not found; check the path")
    suffix = path.suffix.lower()
    if suffix not in VECTOR_SUFFIXES:
        raise InputError(
            f"{path.name}: cannot read {suffix or 'a file without suffix'} as map features; "
            f"give one of {', '.join(VECTOR_SUFFIXES)}"
        )
    notes: list[str] = []
    member = None
    source = str(path)
    if suffix == ".zip":
        member = _zip_member(path, layer)
        source = f"/vsizip/{path.resolve()}/{member}"
        layer = None if member.lower().endswith(".shp") else layer
    elif suffix == ".kmz":
        kml = [m for m in _members(path) if m.lower().endswith(".kml")]
        if not kml:
            raise InputError(f"{path.name}: a KMZ without a .kml inside; export it again")
        source = f"/vsizip/{path.resolve()}/{kml[0]}"
    name = path.name if member is None else f"{path.name}/{member}"
    read_encoding = None
    is_shp = suffix == ".shp" or (member is not None and member.lower().endswith(".shp"))
    prj_missing = False
    if is_shp:
        sidecars = _sidecars(path, member)
        prj_missing = sidecars[".prj"] is None
        if sidecars[".cpg"] is None:
            read_encoding = encoding or _dbf_encoding(sidecars[".dbf"])
            if read_encoding == "GB18030":
                notes.append(f"{name}: no .cpg; attribute text read as GBK")
        elif encoding:
            read_encoding = encoding
    frame = _read(source, name, None if is_shp else layer, read_encoding)
    geoms = frame.geometry.to_numpy()
    frame = frame.set_geometry(
        gpd.GeoSeries(shapely.force_2d(geoms), crs=frame.crs, index=frame.index)
    )
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="feature")
    frame, crs_text = _to_wgs84(frame, name, coordinates, prj_missing)
    return Vectors(frame, name, crs_text, tuple(notes))


def _to_wgs84(
    frame: gpd.GeoDataFrame, name: str, coordinates: str | None, prj_missing: bool
) -> tuple[gpd.GeoDataFrame, str]:
    stated = (coordinates or "").strip()
    key = system_key(stated)
    if frame.crs is None and not stated:
        bounds = tuple(float(v) for v in frame.total_bounds) if len(frame) else (0.0, 0.0, 0.0, 0.0)
        what = "has no .prj file" if prj_missing else "states no coordinate system"
        raise CRSError(
            f"{name} {what}, so its coordinates cannot be placed",
            [
                f"{name}: {crs_hint(bounds)}",  # type: ignore[arg-type]
                'state it in the mapping: [source] coordinates = "EPSG:4549" (for example), '
                "or add the .prj file the GIS wrote next to the .shp",
            ],
        )
    if key in LONLAT_SYSTEMS:
        if frame.crs is not None and not CRS(frame.crs).is_geographic:
            raise CRSError(
                f"{name}: the mapping says {stated} (lon/lat) but the file is in "
                f"{CRS(frame.crs).name}; remove [source] coordinates or fix the file"
            )
        if key == "wgs84":
            return frame.set_crs(WGS84, allow_override=True), "EPSG:4326"

        def shift(xy: np.ndarray) -> np.ndarray:
            lon, lat = lonlat_from_system(xy[:, 0], xy[:, 1], key)
            return np.column_stack([lon, lat])

        geoms = shapely.transform(frame.geometry.to_numpy(), shift)
        out = frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=WGS84))
        return out, key
    if stated:
        try:
            crs = CRS.from_user_input(stated)
        except Exception as err:
            raise CRSError(
                f"{name}: unknown coordinate system {stated!r}; use wgs84, gcj02, bd09 or an "
                "EPSG code such as EPSG:4549"
            ) from err
        if frame.crs is None:
            frame = frame.set_crs(crs)
        elif not CRS(frame.crs).equals(crs) and CRS(frame.crs).to_epsg() != crs.to_epsg():
            raise CRSError(
                f"{name}: the file says {CRS(frame.crs).name} but the mapping says {stated}; "
                "remove [source] coordinates to use the file's, or fix the file's .prj"
            )
    epsg = CRS(frame.crs).to_epsg()
    crs_text = f"EPSG:{epsg}" if epsg else CRS(frame.crs).name
    return frame.to_crs(WGS84), crs_text
