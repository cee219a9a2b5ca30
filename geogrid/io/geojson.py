"""Read, validate and write RFC 7946 GeoJSON layers (atomic, with history).

Reading (:func:`read_layer`) collects every problem of a file (file-level
ones such as malformed JSON stop early, since nothing after them can be
checked) and raises one :class:`~geogrid.errors.InputError` listing them,
or with ``keep_good=True`` returns the good features and lists the bad ones
in ``frame.attrs["problems"]``. Polygons are reoriented to the right-hand
rule on load.

Writing (:func:`write_layer`) validates first and refuses invalid data,
then writes RFC 7946 GeoJSON (EPSG:4326, right-hand rule, 7 decimals,
UTF-8 with Chinese as is, one feature per line so diffs stay readable) to a
temp file in the same folder and renames it over the old file, after
copying the old file to the area's ``history/`` folder.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pandas.api.types import pandas_dtype
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError as PyprojCRSError
from shapely.geometry import mapping, shape

from geogrid.crs import WGS84, to_wgs84
from geogrid.errors import CRSError, InputError
from geogrid.io.atomic import copy_atomic, write_text_atomic
from geogrid.layers import (
    UNREADABLE_GEOMETRY,
    LayerSpec,
    errors_in,
    features_from_frame,
    get_spec,
    validate_features,
)

#: Decimals kept in written coordinates (about 1 cm).
COORDINATE_DECIMALS = 7

_EMPTY_HINT = 'an empty layer is {"type": "FeatureCollection", "features": []}'

#: pandas dtype of each property type, when required (no nulls) / optional.
_DTYPES: dict[str, tuple[str, str]] = {
    "int": ("int64", "Int64"),
    "float": ("float64", "float64"),
    "bool": ("bool", "boolean"),
    "str": ("str", "str"),
    "datetime": ("str", "str"),
    "time": ("str", "str"),
}


def source_name(path: Path) -> str:
    """Name a layer file in messages: ``grids.geojson``, ``layers/schools.geojson``."""
    path = Path(path)
    if path.parent.name in ("layers", "network"):
        return f"{path.parent.name}/{path.name}"
    return path.name


def read_geojson_features(path: Path, allow_reproject: bool = False) -> list[Any]:
    """Read the ``features`` array of a GeoJSON FeatureCollection file.

    Parameters
    ----------
    path
        The ``.geojson`` file.
    allow_reproject
        When the file carries an old-style ``crs`` member naming a CRS other
        than WGS-84 lon/lat, reproject the geometries to EPSG:4326 instead
        of refusing the file.

    Returns
    -------
    The features as plain dicts (not validated; see
    :func:`geogrid.layers.validate_features`).

    Raises
    ------
    InputError
        The file is missing, empty, not UTF-8, not JSON (with line and
        column) or not a FeatureCollection.
    CRSError
        A ``crs`` member names a CRS other than WGS-84 lon/lat and
        ``allow_reproject`` is False, or names a CRS pyproj does not know.
    """
    path = Path(path)
    name = source_name(path)
    if not path.exists():
        raise InputError(
            f"{name}: file not found at {path}",
            [f"{name}: no such file; check the path, or build the area first"],
        )
    if path.is_dir():
        raise InputError(f"{name}: {path} is a folder, not a GeoJSON file")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(
            f"{name}: not UTF-8 text",
            [
                f"{name}: byte {err.start} is not UTF-8; GeoJSON must be UTF-8 (RFC 7946 "
                "section 11): save the file as UTF-8 (files from GBK tools need converting, "
                "e.g. `iconv -f GBK -t UTF-8`)"
            ],
        ) from err
    if not text.strip():
        raise InputError(
            f"{name}: file is empty ({path})",
            [f"{name}: the file is empty; {_EMPTY_HINT}, or restore it from history/"],
        )
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(
            f"{name}: malformed JSON ({path})",
            [
                f"{name}: line {err.lineno}, column {err.colno}: {err.msg}; fix the JSON "
                "there (a missing comma, quote or bracket is typical)"
            ],
        ) from err
    kind = data.get("type") if isinstance(data, dict) else None
    if kind != "FeatureCollection":
        if kind == "Feature" or kind in _GEOMETRY_TYPES:
            how = (
                f"it is a single {kind}: wrap it as "
                '{"type": "FeatureCollection", "features": [...]}'
            )
        else:
            found = f'"type": {kind!r}' if isinstance(data, dict) else type(data).__name__
            how = f"found {found}; export the layer as GeoJSON (FeatureCollection)"
        raise InputError(
            f"{name}: not a GeoJSON FeatureCollection ({path})",
            [f"{name}: the top level must be a FeatureCollection; {how}"],
        )
    features = data.get("features")
    if not isinstance(features, list):
        raise InputError(
            f"{name}: FeatureCollection without a features array ({path})",
            [f'{name}: "features" must be a list of Feature objects; {_EMPTY_HINT}'],
        )
    crs = _foreign_crs(data.get("crs"), name)
    if crs is not None:
        if not allow_reproject:
            raise CRSError(
                f"{name}: coordinates are in {crs.to_string()} ({crs.name}), not WGS-84 ({path})",
                [
                    f"{name}: the file names {crs.to_string()} in a `crs` member (old-style "
                    "GeoJSON; RFC 7946 has no crs member and is always EPSG:4326 lon/lat); "
                    "reproject it to EPSG:4326, e.g. `ogr2ogr -t_srs EPSG:4326 out.geojson "
                    "in.geojson`, or read it with allow_reproject=True"
                ],
            )
        features = _reproject_features(features, crs)
    return features


_GEOMETRY_TYPES = frozenset(
    {
        "Point",
        "MultiPoint",
        "LineString",
        "MultiLineString",
        "Polygon",
        "MultiPolygon",
        "GeometryCollection",
    }
)


def _foreign_crs(member: object, name: str) -> CRS | None:
    """Return the CRS a ``crs`` member names when it is not WGS-84 lon/lat, else None."""
    if member is None:
        return None
    label: object = member
    if isinstance(member, dict):
        props = member.get("properties")
        label = props.get("name") if isinstance(props, dict) else None
        if label is None and isinstance(props, dict):
            label = props.get("href")
    if not isinstance(label, str):
        raise CRSError(
            f"{name}: unreadable crs member {member!r}",
            [
                f"{name}: the `crs` member does not name a CRS; delete it if the "
                "coordinates are lon/lat (RFC 7946), otherwise reproject to EPSG:4326"
            ],
        )
    try:
        crs = CRS.from_user_input(label)
    except PyprojCRSError as err:
        raise CRSError(
            f"{name}: unknown CRS {label!r} in the crs member",
            [
                f"{name}: pyproj does not know the CRS {label!r}; reproject the file to "
                "EPSG:4326 with the tool that made it and drop the crs member"
            ],
        ) from err
    if crs.equals(CRS(WGS84), ignore_axis_order=True):
        return None
    return crs


def _reproject_features(features: list[Any], crs: CRS) -> list[Any]:
    """Return ``features`` with every readable geometry reprojected from ``crs`` to lon/lat."""
    transformer = Transformer.from_crs(crs, WGS84, always_xy=True)

    def to_lonlat(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    out = []
    for feature in features:
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        if isinstance(geometry, dict):
            try:
                geom = shape(geometry)
            except UNREADABLE_GEOMETRY:  # left as is; validation reports it
                out.append(feature)
                continue
            feature = {**feature, "geometry": mapping(shapely.transform(geom, to_lonlat))}
        out.append(feature)
    return out


def read_layer(
    path: Path,
    spec_name: str,
    expected_bbox: tuple[float, float, float, float] | None = None,
    keep_good: bool = False,
    allow_reproject: bool = False,
) -> gpd.GeoDataFrame:
    """Read one workspace layer into a GeoDataFrame in EPSG:4326.

    Parameters
    ----------
    path
        The layer file, e.g. ``<area>/grids.geojson``.
    spec_name
        Key of :data:`geogrid.layers.SPECS` (``"grids"``, ``"places"``, ...).
    expected_bbox
        ``(west, south, east, north)`` of the area; features outside it that
        would fall inside with x and y swapped are reported.
    keep_good
        Return the good features instead of raising, with every problem in
        ``frame.attrs["problems"]`` (bad features dropped).
    allow_reproject
        Reproject a file whose old-style ``crs`` member names another CRS.

    Returns
    -------
    One row per feature, columns = the spec's properties (typed: required
    int -> int64, optional int -> Int64, bool -> bool/boolean, float ->
    float64, text and date-times as str), then other properties as found,
    then ``geometry`` (polygons right-hand rule). The index is the
    feature's position in the file (``node_id`` for network nodes).
    ``attrs["problems"]`` lists the :class:`~geogrid.layers.Problem` s
    (notes such as reoriented rings; with ``keep_good`` also errors).

    Raises
    ------
    InputError
        File-level problems (see :func:`read_geojson_features`) and, unless
        ``keep_good``, any feature problem; ``problems`` has one line each.
    CRSError
        Foreign ``crs`` member without ``allow_reproject``.
    """
    spec = get_spec(spec_name)
    path = Path(path)
    source = source_name(path)
    features = read_geojson_features(path, allow_reproject=allow_reproject)
    problems = validate_features(features, spec, source, expected_bbox)
    errors = errors_in(problems)
    if errors and not keep_good:
        raise InputError(
            f"{source}: {len(errors)} problem{'s' if len(errors) != 1 else ''} in {path}; "
            "fix them and load the layer again",
            [str(p) for p in errors],
        )
    if any(p.feature_index is None for p in errors):
        bad = set(range(len(features)))
    else:
        bad = {p.feature_index for p in errors if p.feature_index is not None}
    good = [i for i in range(len(features)) if i not in bad]
    frame = frame_from_features([features[i] for i in good], spec, index=good)
    frame.attrs["problems"] = problems
    return frame


def frame_from_features(
    features: Sequence[dict[str, Any]], spec: LayerSpec, index: Sequence[int] | None = None
) -> gpd.GeoDataFrame:
    """Build a typed EPSG:4326 frame from valid feature dicts (polygons reoriented).

    Parameters
    ----------
    features
        Features that passed :func:`geogrid.layers.validate_features`.
    spec
        Their layer spec; its properties become typed columns.
    index
        Row labels (feature positions in the file); 0..n-1 when None.

    Returns
    -------
    The frame (see :func:`read_layer`).
    """
    props = [f.get("properties") or {} for f in features]
    columns: dict[str, pd.Series] = {}
    for prop in spec.properties:
        values = pd.Series([p.get(prop.name) for p in props], dtype=object)
        required_dtype, optional_dtype = _DTYPES.get(prop.type, ("object", "object"))
        dtype = required_dtype if prop.required else optional_dtype
        columns[prop.name] = values.astype(pandas_dtype(dtype)) if dtype != "object" else values
    extra: list[str] = []
    for p in props:
        extra.extend(k for k in p if k not in columns and k not in extra and k != "geometry")
    for key in extra:
        columns[key] = pd.Series([p.get(key) for p in props], dtype=object).infer_objects()
    geoms = [shape(f["geometry"]) for f in features]
    geometry = shapely.orient_polygons(np.array(geoms, dtype=object), exterior_cw=False)
    labels = pd.RangeIndex(len(features)) if index is None else pd.Index(list(index), dtype="int64")
    data = pd.DataFrame({k: pd.Series(v.array, index=labels) for k, v in columns.items()})
    frame = gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geometry, index=labels), crs=WGS84)
    if spec.index is not None:
        frame = frame.set_index(spec.index)
    return frame


# --------------------------------------------------------------------------- writing


def _utcnow() -> datetime:
    """The current UTC time (a seam for tests)."""
    return datetime.now(UTC)


def prepare_features(frame: gpd.GeoDataFrame, spec: LayerSpec, source: str) -> list[dict[str, Any]]:
    """Return ``frame`` as feature dicts ready to write.

    Geometries in lon/lat, right-hand rule, rounded to 7 decimals; optional
    spec properties that are null are left out (missing = null), so that
    writing a layer read by :func:`read_layer` gives back the same file.
    """
    frame = to_wgs84(frame, source)
    geoms = shapely.orient_polygons(frame.geometry.to_numpy(), exterior_cw=False)
    geoms = shapely.transform(geoms, lambda xy: np.round(xy, COORDINATE_DECIMALS))
    frame = frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs))
    optional = {p.name for p in spec.optional}
    features = features_from_frame(frame)
    for f in features:
        f["properties"] = {
            k: v for k, v in f["properties"].items() if v is not None or k not in optional
        }
    return features


def dumps_features(features: Sequence[dict[str, Any]]) -> str:
    """Serialise features as an RFC 7946 FeatureCollection, one feature per line."""
    body = ",\n".join(
        json.dumps(f, ensure_ascii=False, separators=(",", ":"), allow_nan=False) for f in features
    )
    if not body:
        return '{"type":"FeatureCollection","features":[]}\n'
    return '{"type":"FeatureCollection","features":[\n' + body + "\n]}\n"


def checked_features(
    frame: gpd.GeoDataFrame, spec_name: str, source: str, where: str | None = None
) -> list[dict[str, Any]]:
    """``frame`` as feature dicts ready to store (:func:`prepare_features`), validated.

    Raises :class:`~geogrid.errors.InputError` with every problem, saying
    that nothing was written to ``where`` (the file or table); every writer
    of a layer, file or database, goes through here.
    """
    spec = get_spec(spec_name)
    features = prepare_features(frame, spec, source)
    errors = errors_in(validate_features(features, spec, source))
    if errors:
        raise InputError(
            f"{source}: refusing to write {len(errors)} problem"
            f"{'s' if len(errors) != 1 else ''}; nothing was written to {where or source}",
            [str(p) for p in errors],
        )
    return features


def write_layer(
    frame: gpd.GeoDataFrame,
    path: Path,
    spec_name: str,
    history: bool = True,
    author: str | None = None,
    message: str | None = None,
    *,
    history_dir: Path | None = None,
) -> Path:
    """Validate ``frame`` and write it as an RFC 7946 GeoJSON layer, atomically.

    Parameters
    ----------
    frame
        The layer, in any CRS (reprojected to EPSG:4326; no CRS is refused).
    path
        Destination, e.g. ``<area>/grids.geojson``.
    spec_name
        Key of :data:`geogrid.layers.SPECS`.
    history
        Before replacing an existing file, copy it to
        ``<history_dir>/<layer stem>/<UTC time>.geojson`` with a sidecar
        ``.json`` recording who replaced it, when and why.
    author, message
        Recorded in the sidecar.
    history_dir
        The area's ``history/`` folder (sibling of the layers); required when
        ``history`` is True and ``path`` exists.

    Returns
    -------
    ``path``.

    Raises
    ------
    InputError
        The frame breaks its spec; nothing is written.
    CRSError
        The frame has no CRS.
    ValueError
        ``history`` is True, the file exists and no ``history_dir`` is given.
    """
    path = Path(path)
    text = dumps_features(checked_features(frame, spec_name, source_name(path), where=str(path)))
    if history and path.exists():
        if history_dir is None:
            raise ValueError(
                f"write_layer({path}): pass history_dir (the area's history/ folder) "
                "or history=False"
            )
        save_history(path, Path(history_dir), author=author, message=message)
    write_text_atomic(path, text)
    return path


def save_history(
    path: Path, history_dir: Path, author: str | None = None, message: str | None = None
) -> Path:
    """Copy ``path`` to ``<history_dir>/<stem>/<UTC time>.geojson`` with a sidecar ``.json``.

    Parameters
    ----------
    path
        The current version of the layer, about to be replaced.
    history_dir
        The area's ``history/`` folder.
    author, message
        Who replaces it and why (stored in the sidecar with the time).

    Returns
    -------
    The path of the copy.
    """
    now = _utcnow()
    folder = Path(history_dir) / path.stem
    folder.mkdir(parents=True, exist_ok=True)
    stamp = now.strftime("%Y%m%dT%H%M%S%fZ")
    copy = folder / f"{stamp}.geojson"
    n = 1
    while copy.exists():
        copy = folder / f"{stamp}-{n}.geojson"
        n += 1
    sidecar = copy.with_suffix(".json")
    meta = {
        "layer": source_name(path),
        "replaced_at": now.isoformat().replace("+00:00", "Z"),
        "author": author,
        "message": message,
    }
    copy_atomic(path, copy)
    write_text_atomic(sidecar, json.dumps(meta, ensure_ascii=False, indent=2) + "\n")
    return copy


def read_vector(path: Path | str, what: str = "vector file") -> gpd.GeoDataFrame:
    """Read any vector file GDAL knows (GeoJSON, GeoPackage, Shapefile...) with a CRS.

    For inputs that are not workspace layers (hot-spot files, zone polygons).
    Errors name the file and say how to fix it; a file without a CRS is
    refused rather than guessed. GeoJSON text stays text: GDAL would turn
    ``"07:00"`` (a hot spot's ``window_start``) into a time and dates into
    timestamps.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such {what}; check the path")
    options = {"DATE_AS_STRING": "YES"} if path.suffix.lower() in (".geojson", ".json") else {}
    try:
        frame = gpd.read_file(path, **options)
    except Exception as err:  # pyogrio/GDAL raise their own error types for bad files
        raise InputError(
            f"{path}: cannot read this {what} ({err}); give a GeoJSON or GeoPackage file"
        ) from err
    return to_wgs84(frame, str(path))
