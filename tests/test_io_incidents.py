"""Tests for geogrid.io.incidents: source formats and encodings, mapping files, saving,
rejects reports, the public dataset, and the four real sets of ../shared/data."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geogrid import incidents as inc
from geogrid.errors import InputError
from geogrid.io import incidents as io_inc
from geogrid.release import PUBLIC_COLUMNS, public_counts

DATA = Path(__file__).parent / "data" / "incidents"
MAPPINGS = Path(__file__).resolve().parents[1] / "data" / "mappings"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "incidents"
FIXTURE = DATA / "haidian_gcj02.csv"


@pytest.fixture
def mapping() -> inc.IncidentMapping:
    return io_inc.read_mapping(DATA / "haidian_gcj02.toml")


def _summary(cleaned: inc.Cleaned) -> tuple:
    good = cleaned.incidents
    return (
        tuple(good["id"]),
        tuple(np.round(good.geometry.x, 9)),
        tuple(good["time"].astype(str)),
        tuple(good["category"]),
        tuple(cleaned.rejects["row"]),
        tuple(cleaned.rejects["reason"]),
    )


def test_utf8_bom_and_gbk_files_import_the_same(tmp_path, mapping):
    """The same export as UTF-8, UTF-8 with BOM and GBK gives identical incidents and rejects."""
    text = FIXTURE.read_text(encoding="utf-8")
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    results = [
        io_inc.import_incidents(p, mapping) for p in (FIXTURE, bom, DATA / "haidian_gcj02_gbk.csv")
    ]
    assert len(results[0].incidents) == 3
    assert _summary(results[0]) == _summary(results[1]) == _summary(results[2])
    assert set(results[2].incidents["category"]) == {"盗窃", "诈骗", "纠纷"}


def test_a_wrong_stated_encoding_is_an_actionable_error(tmp_path):
    """GBK bytes read as UTF-8 fail naming the file, the byte and the setting to change."""
    toml = (DATA / "haidian_gcj02.toml").read_text(encoding="utf-8").replace('"auto"', '"utf-8"')
    (tmp_path / "m.toml").write_text(toml, encoding="utf-8")
    strict = io_inc.read_mapping(tmp_path / "m.toml")
    with pytest.raises(InputError, match="encoding"):
        io_inc.import_incidents(DATA / "haidian_gcj02_gbk.csv", strict)


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "parquet"])
def test_geometry_formats_import_like_csv(tmp_path, fmt):
    """GeoJSON, GeoPackage and GeoParquet points import through a mapping without x/y columns."""
    frame = gpd.GeoDataFrame(
        {
            "case": ["a", "b", "c"],
            "when": ["2025-01-01 10:00", "2025-01-02 11:00", "bad"],
            "kind": ["theft", "fraud", "theft"],
        },
        geometry=[shapely.Point(116.35, 39.99), shapely.Point(116.36, 40.0), None],
        crs="EPSG:4326",
    )
    path = tmp_path / f"src.{fmt}"
    if fmt == "parquet":
        frame.to_parquet(path)
    else:
        frame.to_file(path, driver={"geojson": "GeoJSON", "gpkg": "GPKG"}[fmt])
    mapping = inc.mapping_from_dict(
        {
            "name": "g",
            "source": {"coordinates": "wgs84"},
            "columns": {"id": "case", "time": "when", "category": "kind", "x": "x", "y": "y"},
        }
    )
    result = io_inc.import_incidents(path, mapping)
    assert list(result.incidents["id"]) == ["a", "b"]
    assert result.rejects.to_dict("records")[0]["reason"] == "missing_coordinates"


def test_plain_parquet_table(tmp_path, mapping):
    """A Parquet file without geometry is read as a table like a CSV."""
    table = pd.read_csv(FIXTURE, dtype=str, keep_default_na=False)
    table.to_parquet(tmp_path / "t.parquet")
    result = io_inc.import_incidents(tmp_path / "t.parquet", mapping)
    assert _summary(result) == _summary(io_inc.import_incidents(FIXTURE, mapping))


def test_mapping_file_errors_name_the_file(tmp_path):
    """A mapping without a coordinate system, broken TOML or not UTF-8 fails naming the file."""
    (tmp_path / "no_crs.toml").write_text('name = "x"\n[columns]\ntime = "t"\n', encoding="utf-8")
    with pytest.raises(InputError, match=re.escape("no_crs.toml")) as err:
        io_inc.read_mapping(tmp_path / "no_crs.toml")
    assert "never guesses" in str(err.value)
    (tmp_path / "broken.toml").write_text("name = \n", encoding="utf-8")
    with pytest.raises(InputError, match=re.escape("broken.toml: not valid TOML")):
        io_inc.read_mapping(tmp_path / "broken.toml")
    (tmp_path / "gbk.toml").write_bytes('name = "警情"\n'.encode("gbk"))
    with pytest.raises(InputError, match=re.escape("gbk.toml: a mapping file is UTF-8 text")):
        io_inc.read_mapping(tmp_path / "gbk.toml")
    with pytest.raises(InputError, match="cannot tell the format"):
        io_inc.source_format(tmp_path / "x.xlsx")


def test_importing_twice_changes_nothing(tmp_path, mapping):
    """Saving the same import twice leaves the file byte for byte and adds no history."""
    result = io_inc.import_incidents(FIXTURE, mapping)
    target = tmp_path / "incidents.geojson"
    first = io_inc.save_incidents(result.incidents, target)
    before = target.read_bytes()
    second = io_inc.save_incidents(io_inc.import_incidents(FIXTURE, mapping).incidents, target)
    assert (first.added, second.added, second.total) == (3, 0, 3)
    assert target.read_bytes() == before
    assert not (tmp_path / "history").exists()
    loaded = io_inc.load_incidents(target)
    assert str(loaded["time"].iloc[0]) == "2025-03-01 21:30:00+08:00"


def test_rejects_report_lists_row_and_reason(tmp_path, mapping):
    """The rejects CSV has source, row, id, reason and detail for each bad row."""
    result = io_inc.import_incidents(FIXTURE, mapping)
    path = io_inc.write_rejects(result.rejects, tmp_path / "rejects.csv", FIXTURE.name)
    report = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(report.columns) == ["source", "row", "id", "reason", "detail"]
    assert len(report) == 10 and report["source"].eq(FIXTURE.name).all()
    case_only = {"missing_case", "duplicate_offence"}  # sources with a case number
    assert set(report["reason"]) == set(inc.REJECT_REASONS) - case_only


def test_gbk_export_with_several_offences_per_case():
    """A GBK police export with one row per offence (tests/data/incidents/offences_gbk.csv):
    case 7's theft and assault are two records of one case (1 case, theft 1, assault 1);
    the exact copy of a row is duplicate_id, case 7's theft again duplicate_offence."""
    mapping = io_inc.read_mapping(DATA / "offences.toml")
    assert mapping.columns["case_id"] == "案件编号"
    result = io_inc.import_incidents(DATA / "offences_gbk.csv", mapping)
    good = result.incidents
    assert sorted(good["category"]) == ["殴打他人", "盗窃"] and set(good["case_id"]) == {"7"}
    assert inc.count_cases(good) == 1
    assert list(zip(result.rejects["row"], result.rejects["reason"], strict=True)) == [
        (3, "duplicate_id"),
        (4, "duplicate_offence"),
    ]
    per_category = inc.summarize(good, None, freq=None, by_category=True)
    assert per_category["count"].tolist() == [1, 1]
    assert inc.summarize(good, None, freq=None)["count"].tolist() == [1]


def test_publish_dataset_only_takes_released_tables(tmp_path):
    """publish_dataset refuses an unreleased table and writes polygons-only GeoJSON + CSV."""
    rng = np.random.default_rng(0)
    n = 300
    frame = gpd.GeoDataFrame(
        {
            "id": [f"i{i}" for i in range(n)],
            "time": pd.Timestamp("2025-03-01", tz="Asia/Shanghai")
            + pd.to_timedelta(rng.integers(0, 90 * 24, n), unit="h"),
            "category": "theft",
            "address": "学院路",
        },
        geometry=shapely.points(rng.normal(116.35, 0.003, n), rng.normal(39.99, 0.003, n)),
        crs="EPSG:4326",
    )
    table = inc.summarize(frame, freq="month", resolution=8)
    with pytest.raises(InputError, match="not released"):
        io_inc.publish_dataset(gpd.GeoDataFrame(table), tmp_path)
    released = public_counts(frame, resolution=8)
    geojson, csv = io_inc.publish_dataset(released, tmp_path)
    data = json.loads(geojson.read_text(encoding="utf-8"))
    assert {f["geometry"]["type"] for f in data["features"]} == {"Polygon"}
    for f in data["features"]:
        assert set(f["properties"]) <= PUBLIC_COLUMNS
        count = f["properties"]["count"]
        assert count is None or count == 0 or count >= 5
    text = csv.read_text(encoding="utf-8-sig")
    assert "学院路" not in text and "i0" not in text.split("\n")[1]


# --------------------------------------------------------------------------- real data

REAL = [
    # name, file, rows, good, rejected by reason
    ("oakland", "oakland/cases.csv", 12437, 10487, {"duplicate_id": 1934, "outside_area": 16}),
    ("vancouver", "vancouver/vancouver_thefts.csv.gz", 21918, 21916, {"bad_time": 2}),
    (
        "cincinnati",
        "cincinnati/cincinnati_burglary.csv.gz",
        8723,
        6660,
        {"duplicate_id": 1637, "missing_coordinates": 426},
    ),
    ("lancashire", "lancashire_uk/lancashire_asb.tab", 56434, 56434, {}),
]


@pytest.mark.shared
@pytest.mark.parametrize(
    ("name", "rel", "rows", "good", "rejected"), REAL, ids=[r[0] for r in REAL]
)
def test_real_sets_import_with_a_mapping_file_only(name, rel, rows, good, rejected):
    """Each real set of ../shared/data imports through its data/mappings file alone,
    with rejects reported by reason."""
    path = SHARED / rel
    if not path.exists():
        pytest.skip(f"{path} absent: the shared real data sets are not on this machine")
    result = io_inc.import_incidents(path, io_inc.read_mapping(MAPPINGS / f"{name}.toml"))
    assert (result.rows, len(result.incidents), result.reject_counts()) == (rows, good, rejected)
    assert result.incidents.crs.to_epsg() == 4326
    w, s, e, n = result.incidents.total_bounds
    bbox = io_inc.read_mapping(MAPPINGS / f"{name}.toml").bbox
    assert bbox is not None and bbox[0] <= w and e <= bbox[2] and bbox[1] <= s and n <= bbox[3]


@pytest.mark.shared
def test_vancouver_counts_against_its_neighbourhood_polygons():
    """Vancouver thefts counted in the city's own neighbourhood polygons match the source's
    NEIGHBOURHOOD column for nearly every record (VPD says "Central Business District" where
    the city polygons say "Downtown", and "Arbutus Ridge" for "Arbutus-Ridge")."""
    path = SHARED / "vancouver" / "vancouver_thefts.csv.gz"
    polys = SHARED / "vancouver" / "vancouver_neighbourhoods.geojson"
    if not (path.exists() and polys.exists()):
        pytest.skip("../shared/data/incidents/vancouver absent")
    result = io_inc.import_incidents(path, io_inc.read_mapping(MAPPINGS / "vancouver.toml"))
    hoods = gpd.read_file(polys)
    cells = hoods.set_index(hoods["name"].astype(str))[["geometry"]]
    tagged = inc.tag_cells(result.incidents, cells)
    vpd = tagged["zone"].replace(
        {"Central Business District": "Downtown", "Arbutus Ridge": "Arbutus-Ridge"}
    )
    assert (tagged["cell"] == vpd).mean() > 0.97
    table = inc.summarize(result.incidents, cells, freq="month")
    assert table["count"].sum() == tagged["cell"].notna().sum()


@pytest.mark.shared
def test_oakland_counts_by_police_beat():
    """Oakland incidents are counted by the police beat the source names (zone level)."""
    path = SHARED / "oakland" / "cases.csv"
    if not path.exists():
        pytest.skip("../shared/data/incidents/oakland absent")
    result = io_inc.import_incidents(path, io_inc.read_mapping(MAPPINGS / "oakland.toml"))
    table = inc.summarize(result.incidents, level="zone", freq="month")
    assert (
        table["place"].nunique() > 50
        and table["count"].sum() == len(result.incidents) - result.incidents["zone"].isna().sum()
    )


CORRECTION_MAPPING = """name = "{name}"
[source]
coordinates = "wgs84"
timezone = "Asia/Shanghai"
[columns]
id = "警情编号"
time = "报警时间"
category = "警情类别"
x = "经度"
y = "纬度"
"""


def _export(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """A SYNTHETIC seeded 110 export (WGS-84, Shanghai)."""
    return pd.DataFrame({
        "警情编号": [f"J{i:05d}" for i in range(n)],
        "报警时间": [f"2026-07-{1 + i % 28:02d} {i % 24:02d}:10" for i in range(n)],
        "警情类别": rng.choice(["盗窃", "诈骗", "纠纷"], n),
        "经度": np.round(121.47 + rng.uniform(0, 0.01, n), 6),
        "纬度": np.round(31.22 + rng.uniform(0, 0.01, n), 6),
    })  # fmt: skip


def _import(tmp_path: Path, table: pd.DataFrame, name: str, source: str) -> gpd.GeoDataFrame:
    path = tmp_path / f"{source}.csv"
    table.to_csv(path, index=False, encoding="utf-8-sig")
    mapping_path = tmp_path / f"{name}.toml"
    mapping_path.write_text(CORRECTION_MAPPING.format(name=name), encoding="utf-8")
    return io_inc.import_incidents(path, io_inc.read_mapping(mapping_path)).incidents


def test_a_corrected_export_replaces_the_records_of_the_same_source(tmp_path):
    """Shanghai pilot: re-importing corrected incidents kept the wrong ones (rows present by id
    were kept). A row of the same source and id with other values now replaces the stored one,
    counted as corrected, the previous file in history/ (correct=True, as the import command
    does); the default (the stores' add_incidents) keeps and counts them;
    an id stored from another source is kept; an unchanged re-import still changes nothing."""
    rng = np.random.default_rng(12)
    first = _export(rng, 20)
    target = tmp_path / "incidents.geojson"
    saved = io_inc.save_incidents(_import(tmp_path, first, "huangpu-110", "v1"), target)
    assert (saved.added, saved.corrected, saved.total) == (20, 0, 20)
    fixed = first.copy()
    fixed.loc[3, "经度"] += 0.0046  # ~440 m east: the corrected position
    fixed.loc[7, "警情类别"] = "抢劫"
    fixed.loc[20] = ["J00020", "2026-07-30 10:00", "纠纷", 121.475, 31.225]
    corrected = _import(tmp_path, fixed, "huangpu-110", "v2")

    kept = io_inc.save_incidents(corrected, target)  # the default keeps them
    assert (kept.added, kept.corrected, kept.differ, kept.total) == (1, 0, 2, 21)
    stored = io_inc.load_incidents(target).set_index("id")
    assert stored.loc["J00007", "category"] == first.loc[7, "警情类别"]

    saved = io_inc.save_incidents(corrected, target, correct=True)
    assert (saved.added, saved.corrected, saved.total) == (0, 2, 21)
    assert dict(saved.examples)["J00003"] == "position moved 438 m"
    assert dict(saved.examples)["J00007"] == f"category {first.loc[7, '警情类别']!r} -> '抢劫'"
    stored = io_inc.load_incidents(target).set_index("id")
    assert stored.loc["J00003"].geometry.x == pytest.approx(fixed.loc[3, "经度"])
    assert stored.loc["J00007", "category"] == "抢劫"
    kept_files = [p for p in (tmp_path / "history").rglob("*") if p.is_file()]
    assert len(kept_files) >= 2  # the replaced versions are kept

    before = target.read_bytes()
    again = io_inc.save_incidents(corrected, target, correct=True)
    assert (again.added, again.corrected, again.differ) == (0, 0, 0)
    assert target.read_bytes() == before

    other = _export(np.random.default_rng(99), 3)  # ids J00000-2 from another source
    saved = io_inc.save_incidents(
        _import(tmp_path, other, "huangpu-122", "o"), target, correct=True
    )
    assert (saved.added, saved.corrected, saved.other_source, saved.total) == (0, 0, 3, 21)
    assert target.read_bytes() == before
