"""Tests for geogrid.cli.incidents: import, summary, hotspots, publish from the shell."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner

from geogrid.cli import main
from tests.incidents_area import make_incidents_area

DATA = Path(__file__).parent / "data" / "incidents"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def area(tmp_path: Path) -> Path:
    """A minimal Haidian area: manifest, boundary, 8x8 grids with households, clustered
    incidents."""
    return make_incidents_area(tmp_path / "haidian")


def test_import_into_an_area_reports_rejects_and_is_idempotent(runner, area, tmp_path):
    """`incidents import` names each reject reason, writes the report next to the source (as
    the office imports do); a rerun adds nothing. --help says how corrections are merged."""
    source = tmp_path / "export" / "haidian_gcj02_gbk.csv"
    source.parent.mkdir()
    source.write_bytes((DATA / "haidian_gcj02_gbk.csv").read_bytes())
    args = [
        "incidents",
        "import",
        str(source),
        "--mapping",
        str(DATA / "haidian_gcj02.toml"),
        "--area",
        str(area),
    ]
    res = runner.invoke(main, args)
    assert res.exit_code == 0, res.output
    assert "13 rows, 3 good, 10 rejected; 3 new, 503 in" in res.output
    assert "rejected swapped_coordinates: 1" in res.output
    assert (source.parent / "haidian_gcj02_gbk.csv.rejects.csv").exists()
    assert f"rejects report: {source.parent / 'haidian_gcj02_gbk.csv.rejects.csv'}" in res.output
    assert not (area / "haidian_gcj02_gbk.csv.rejects.csv").exists()
    again = runner.invoke(main, args)
    assert "0 new, 503 in" in again.output
    kept = runner.invoke(main, [*args, "--keep-existing"])
    assert kept.exit_code == 0 and "0 new, 503 in" in kept.output
    helped = runner.invoke(main, ["incidents", "import", "--help"]).output
    assert "--keep-existing" in helped and "corrected" in helped and "next to SOURCE" in helped


def test_import_with_a_bad_mapping_is_a_clean_error(runner, area, tmp_path):
    """A mapping without a coordinate system gives exit 1 and a message, no traceback."""
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[columns]\nid = "id"\n', encoding="utf-8")
    res = runner.invoke(
        main,
        [
            "incidents",
            "import",
            str(DATA / "haidian_gcj02.csv"),
            "--mapping",
            str(bad),
            "--area",
            str(area),
        ],
    )
    assert res.exit_code == 1 and "coordinates is required" in res.output
    assert "Traceback" not in res.output


def test_summary_by_grid_and_community_with_change(runner, area, tmp_path):
    """`incidents summary` prints counts with rates and the 同比/环比 sentence; --csv writes it."""
    out = tmp_path / "s.csv"
    res = runner.invoke(
        main,
        [
            "incidents",
            "summary",
            "--area",
            str(area),
            "--freq",
            "month",
            "--period",
            "2025-06",
            "--csv",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "rate_per_1000_households" in res.output and "同比" in res.output
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert table["count"].sum() == 500
    res = runner.invoke(main, ["incidents", "summary", "--area", str(area), "--level", "community"])
    assert res.exit_code == 0 and "8 places" in res.output and "110108001003" in res.output


def test_hotspots_ranked_and_written(runner, area, tmp_path):
    """`incidents hotspots` ranks Gi* hot spots with peak hours and writes them as GeoJSON."""
    out = tmp_path / "hot.geojson"
    res = runner.invoke(main, ["incidents", "hotspots", "--area", str(area), "--out", str(out)])
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["features"], res.output
    first = data["features"][0]["properties"]
    assert first["rank"] == 1 and first["priority"] == 5 and first["peak_hours"] == "20-23"


def test_import_rejecting_every_row_exits_non_zero(runner, area, tmp_path):
    """An import whose every row is rejected exits 1 and names the rejects report."""
    outside = tmp_path / "far.csv"
    outside.write_text(
        "id,报警时间,类别,经度,纬度,地址\nF1,2025-03-01 21:30,盗窃,121.47,31.23,上海\n"
        "F2,2025-03-01 22:30,盗窃,121.48,31.24,上海\n",
        encoding="utf-8",
    )
    res = runner.invoke(main, ["incidents", "import", str(outside), "--mapping",
                               str(DATA / "haidian_gcj02.toml"), "--area", str(area)])  # fmt: skip
    assert res.exit_code == 1, res.output
    assert "all 2 rows were rejected" in res.output
    assert "far.csv.rejects.csv" in res.output
    assert "Traceback" not in res.output


def test_hotspots_top_prints_that_many(runner, area):
    """--top N prints N hot spots (not 10); without it the first 10 and how many exist."""
    res = runner.invoke(main, ["incidents", "hotspots", "--area", str(area), "--alpha", "1"])
    assert res.exit_code == 0, res.output
    total = int(res.output.split(" hot spots")[0])
    assert total > 15, res.output
    assert f"(10 of {total} shown; --top N shows N)" in res.output
    res = runner.invoke(main, ["incidents", "hotspots", "--area", str(area), "--alpha", "1",
                               "--top", "15"])  # fmt: skip
    assert res.exit_code == 0, res.output
    rows = [line for line in res.output.splitlines() if line.strip()[:1].isdigit()]
    assert len(rows) == 1 + 15, res.output  # the summary line, then 15 ranks


def test_hotspots_top_caps_what_out_writes(runner, area, tmp_path):
    """--top N with --out writes the N hottest (ranks 1..N), the ones printed; --top 0 is refused
    (a negative N would have dropped the coolest instead of keeping the hottest)."""
    out = tmp_path / "hot.geojson"
    res = runner.invoke(main, ["incidents", "hotspots", "--area", str(area), "--alpha", "1",
                               "--top", "12", "--out", str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output
    ranks = [f["properties"]["rank"] for f in json.loads(out.read_text("utf-8"))["features"]]
    assert ranks == list(range(1, 13)), res.output
    for bad in ("0", "-1"):
        res = runner.invoke(main, ["incidents", "hotspots", "--area", str(area), "--top", bad])
        assert res.exit_code == 2 and "--top" in res.output, res.output


def test_publish_writes_released_files(runner, area, tmp_path):
    """`incidents publish` writes GeoJSON + CSV of polygons with suppressed small counts."""
    out = tmp_path / "public"
    res = runner.invoke(
        main, ["incidents", "publish", "--area", str(area), "--out", str(out), "--all-categories"]
    )
    assert res.exit_code == 0, res.output
    data = json.loads((out / "incidents_public.geojson").read_text(encoding="utf-8"))
    assert {f["geometry"]["type"] for f in data["features"]} == {"Polygon"}
    counts = [f["properties"]["count"] for f in data["features"]]
    assert all(c is None or c == 0 or c >= 5 for c in counts)
    assert "T0001" not in (out / "incidents_public.csv").read_text(encoding="utf-8-sig")


def test_needs_exactly_one_input(runner, area, tmp_path):
    """Giving neither or both of --area/--incidents is a clear error."""
    res = runner.invoke(main, ["incidents", "hotspots"])
    assert res.exit_code == 1 and "either --area" in res.output
    res = runner.invoke(
        main,
        [
            "incidents",
            "summary",
            "--incidents",
            str(area / "incidents.geojson"),
            "--resolution",
            "8",
        ],
    )
    assert res.exit_code == 0 and "500 incidents" in res.output


def test_summary_and_hotspots_in_own_zone_polygons(runner, area, tmp_path):
    """--zones counts in any polygons (a city's neighbourhoods or beats), named by --zone-id."""
    zones = gpd.GeoDataFrame(
        {"hood": ["west", "east"], "n": [1, 2]},
        geometry=[
            shapely.box(116.30, 39.95, 116.35, 40.03),
            shapely.box(116.35, 39.95, 116.40, 40.03),
        ],
        crs="EPSG:4326",
    )
    path = tmp_path / "hoods.geojson"
    zones.to_file(path, driver="GeoJSON")
    res = runner.invoke(
        main, ["incidents", "summary", "--area", str(area), "--zones", str(path), "--freq", "year"]
    )
    assert res.exit_code == 0, res.output
    assert "2 places" in res.output and "west" in res.output
    res = runner.invoke(
        main,
        ["incidents", "summary", "--area", str(area), "--zones", str(path), "--zone-id", "nope"],
    )
    assert res.exit_code == 1 and "no column 'nope'" in res.output


def test_no_hot_spot_is_a_sentence_naming_the_cells(runner, area, tmp_path):
    """No hot spot: a sentence naming the cells counted in and how to look finer, not an empty
    pandas table (the Shanghai pilot's 869 incidents in 16 grids printed 'Empty DataFrame')."""
    out = tmp_path / "hot.geojson"
    res = runner.invoke(
        main,
        ["incidents", "hotspots", "--area", str(area), "--alpha", "1e-12", "--out", str(out)],
    )
    assert res.exit_code == 0, res.output
    assert "Empty DataFrame" not in res.output
    assert "counted in the area's 64 grids" in res.output
    assert "none stands out at FDR 1e-12" in res.output and "--resolution 9" in res.output
    assert json.loads(out.read_text(encoding="utf-8"))["features"] == []


# ----------------------------------------------------------------------- GEOGRID_STORE


def _corrected_copy(source: Path, out: Path, good_id: str) -> Path:
    """``source`` with the position of record ``good_id`` moved ~200 m (a correction)."""
    lines = source.read_bytes().decode("gbk").splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(good_id + ","))
    cells = lines[at].split(",")
    cells[3] = f"{float(cells[3]) + 0.002:.7f}"
    lines[at] = ",".join(cells)
    out.write_bytes(("\n".join(lines) + "\n").encode("gbk"))
    return out


def test_import_with_geogrid_store_writes_the_database_as_into_a_folder(area, tmp_path):
    """With GEOGRID_STORE `incidents import --area` (a folder that does not exist here) adds
    to the database's incidents exactly what the same import adds to a folder; a re-import
    with a corrected position corrects it in both; a rerun changes nothing; each write
    changes the version tag and the incidents get their grid in the database."""
    from tests.store_commands import same_features, twins

    pair = twins(area, tmp_path)
    source = tmp_path / "export" / "haidian_gcj02_gbk.csv"
    source.parent.mkdir()
    source.write_bytes((DATA / "haidian_gcj02_gbk.csv").read_bytes())
    mapping = str(DATA / "haidian_gcj02.toml")

    def both(src: Path) -> tuple[str, str]:
        tag = pair.store.version_tag(pair.name)
        folder = pair.run_folder(
            ["incidents", "import", str(src), "--mapping", mapping, "--area", str(pair.folder)]
        )
        db = pair.run_db(
            ["incidents", "import", str(src), "--mapping", mapping, "--area", str(pair.missing)]
        )
        assert folder.exit_code == 0 and db.exit_code == 0, folder.output + db.output
        assert not pair.missing.exists() and pair.name in db.output
        assert same_features(pair.db_layer("incidents"), pair.folder_layer("incidents"))
        return db.output, tag

    out, tag = both(source)
    assert "3 new, 503 in" in out and pair.store.version_tag(pair.name) != tag
    stored = pair.store.read_incidents(pair.name)
    assert len(stored) == 503 and stored["grid"].notna().all()
    good_id = str(pair.store.read_layer(pair.name, "incidents")["id"].iloc[-1])
    corrected = _corrected_copy(source, tmp_path / "export" / "corrected.csv", good_id)
    out, tag = both(corrected)
    assert "0 new, 1 corrected" in out and pair.store.version_tag(pair.name) != tag
    history = [h["message"] for h in pair.store.layer_history(pair.name, "incidents")]
    assert history == ["import: 3 incidents added", "import: 0 incidents added, 1 corrected"]
    out, tag = both(corrected)
    assert "0 new, 503 in" in out and pair.store.version_tag(pair.name) == tag


def test_bad_incidents_file_with_geogrid_store_changes_nothing(area, tmp_path):
    """A mapping naming a missing column and a file whose every row is rejected: exit 1, the
    database area unchanged."""
    from tests.store_commands import twins

    pair = twins(area, tmp_path)
    before = pair.snapshot()
    source = tmp_path / "calls.csv"
    source.write_text("编号,时间,类别,经度,纬度\nA1,2024-06-01 10:00,theft,0,0\n", encoding="utf-8")
    out = pair.run_db(
        [
            "incidents",
            "import",
            str(source),
            "--mapping",
            str(DATA / "haidian_gcj02.toml"),
            "--area",
            str(pair.missing),
        ]
    )
    assert out.exit_code == 1 and "Traceback" not in out.output, out.output
    assert pair.snapshot() == before


def test_summary_hotspots_publish_with_geogrid_store_read_the_database(area, tmp_path):
    """summary, hotspots and publish on the database's area print what they print on the
    folder (the incidents are read from the database, no folder exists here)."""
    from tests.store_commands import twins

    pair = twins(area, tmp_path)
    for args in (
        ["incidents", "summary", "--level", "community"],
        ["incidents", "hotspots", "--top", "3"],
    ):
        folder = pair.run_folder([*args[:2], "--area", str(pair.folder), *args[2:]])
        db = pair.run_db([*args[:2], "--area", str(pair.missing), *args[2:]])
        assert folder.exit_code == 0 and db.exit_code == 0, folder.output + db.output
        assert db.output == folder.output
    out = pair.run_db(
        ["incidents", "publish", "--area", str(pair.missing), "--out", str(tmp_path / "pub")]
    )
    assert out.exit_code == 0, out.output
    assert not pair.missing.exists()
