"""geogrid.services.incidents: import into an area, summaries, hot spots and the public dataset."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geogrid.errors import InputError
from geogrid.incidents import count_cases
from geogrid.io.workspace import Workspace
from geogrid.services import incidents as service
from tests.incidents_area import DATA, make_incidents_area


@pytest.fixture
def area(tmp_path: Path) -> Path:
    return make_incidents_area(tmp_path / "haidian")


def test_load_needs_exactly_one_input_and_uses_the_areas_grids(area: Path) -> None:
    """Neither or both inputs is an error; an area gives its grids as cells and its time zone."""
    with pytest.raises(InputError, match="either --area"):
        service.load()
    with pytest.raises(InputError, match="either --area"):
        service.load(area, area / "incidents.geojson")
    data = service.load(area)
    assert len(data.incidents) == 500 and data.metric_crs == "EPSG:32650"
    assert data.cells is not None and len(data.cells) == 64
    assert data.timezone == "Asia/Shanghai"
    loose = service.load(incidents_file=Workspace(area).incidents_path, timezone="Europe/Helsinki")
    assert loose.cells is None and loose.timezone == "Europe/Helsinki"


def test_import_into_the_area_is_idempotent_and_waits_for_the_lock(
    area: Path, tmp_path: Path
) -> None:
    """Good rows are merged into the area's incidents under its lock; a rerun adds nothing.
    The rejects report is written next to the source file, as the office imports write
    theirs (Shanghai pilot: it went into the area folder)."""
    source, mapping = tmp_path / "export" / "haidian_gcj02_gbk.csv", DATA / "haidian_gcj02.toml"
    source.parent.mkdir()
    source.write_bytes((DATA / "haidian_gcj02_gbk.csv").read_bytes())
    ws = Workspace(area)
    reports: list[service.ImportReport] = []

    def run() -> None:
        reports.append(service.import_file(source, mapping, area_dir=area))

    with ws.lock():
        thread = threading.Thread(target=run)
        thread.start()
        time.sleep(0.5)
        assert reports == []  # the import waits while someone else writes the area
    thread.join()
    report = reports[0]
    assert (
        report.saved.path == ws.incidents_path
        and report.saved.added == 3
        and report.saved.total == 503
    )
    assert (
        report.rejects_path == source.parent / "haidian_gcj02_gbk.csv.rejects.csv"
        and report.rejects_path.exists()
    )
    assert not (area / "haidian_gcj02_gbk.csv.rejects.csv").exists()
    assert "13 rows, 3 good, 10 rejected; 3 new, 503 in" in report.lines()[0]
    assert any("swapped_coordinates: 1" in line for line in report.lines())
    again = service.import_file(source, mapping, area_dir=area)
    assert again.saved.added == 0 and again.saved.total == 503
    with pytest.raises(InputError, match="either --area"):
        service.import_file(source, mapping)


def test_summary_with_change_and_csv(area: Path, tmp_path: Path) -> None:
    """Counts by grid and month, the change of one month, and the whole table as CSV."""
    out = tmp_path / "s.csv"
    result = service.summary(service.load(area), period="2025-06", csv_path=out)
    assert result.table["count"].sum() == 500
    assert result.change is not None and "同比" in result.change.phrase_zh()
    assert pd.read_csv(out, encoding="utf-8-sig")["count"].sum() == 500
    by_community = service.summary(service.load(area), level="community")
    assert by_community.change is None and by_community.table["place"].nunique() == 8


def test_zones_replace_the_grids(area: Path, tmp_path: Path) -> None:
    """Own polygons named by their first text column (or --zone-id) become the cells."""
    zones = gpd.GeoDataFrame(
        {"hood": ["west", "east"]},
        geometry=[
            shapely.box(116.30, 39.95, 116.35, 40.03),
            shapely.box(116.35, 39.95, 116.40, 40.03),
        ],
        crs="EPSG:4326",
    )
    path = tmp_path / "hoods.geojson"
    zones.to_file(path, driver="GeoJSON")
    data = service.load(area, zones_file=path)
    assert data.cells is not None and sorted(data.cells.index) == ["east", "west"]
    with pytest.raises(InputError, match="no column 'nope'"):
        service.load(area, zones_file=path, zone_id="nope")


def test_hotspots_are_ranked_and_written(area: Path, tmp_path: Path) -> None:
    """The hottest spot comes first with its peak hours; the GeoJSON has 7 decimals at most."""
    out = tmp_path / "hot.geojson"
    spots = service.hotspots(service.load(area), out_path=out)
    assert len(spots) and spots.iloc[0]["rank"] == 1 and spots.iloc[0]["peak_hours"] == "20-23"
    data = json.loads(out.read_text(encoding="utf-8"))
    assert len(data["features"]) == len(spots)
    x = data["features"][0]["geometry"]["coordinates"][0]
    assert len(str(x).split(".")[1]) <= 7


def test_publish_releases_before_writing(area: Path, tmp_path: Path) -> None:
    """The public dataset goes through the release rules: no count between 1 and k-1, no ids."""
    released, paths = service.publish(service.load(area), tmp_path / "public", by_category=False)
    assert released.attrs["released"] and [p.name for p in paths] == [
        "incidents_public.geojson",
        "incidents_public.csv",
    ]
    counts = released["count"].dropna()
    assert ((counts == 0) | (counts >= 5)).all()
    assert "T0001" not in paths[1].read_text(encoding="utf-8-sig")


def test_import_with_case_numbers_saves_case_id_and_summary_counts_cases(
    area: Path, tmp_path: Path
) -> None:
    """Importing the GBK export with several offences per case into an area keeps a
    case_id on its records (the incidents layer validates when loaded) and the summary
    counts the case once; importing again adds nothing."""
    data = Path(__file__).parent / "data" / "incidents"
    source, mapping = tmp_path / "offences_gbk.csv", data / "offences.toml"
    source.write_bytes((data / "offences_gbk.csv").read_bytes())
    first = service.import_file(source, mapping, area_dir=area)
    assert first.saved.added == 2
    assert service.import_file(source, mapping, area_dir=area).saved.added == 0
    data_ = service.load(area_dir=area)
    layer = data_.incidents
    assert set(layer["case_id"].dropna()) >= {"7"}
    assert count_cases(layer) == len(layer) - 1  # case 7's two offences: one case
    table = service.summary(data_, freq=None).table
    assert int(table["count"].sum()) <= count_cases(layer)


def test_a_corrected_reimport_is_reported_as_corrected(area: Path, tmp_path: Path) -> None:
    """Re-importing an export whose positions were corrected replaces the stored records of the
    same source and id and says so ("N corrected", which ids, history kept)."""
    source = tmp_path / "calls.csv"
    source.write_bytes((DATA / "haidian_gcj02_gbk.csv").read_bytes())
    mapping = DATA / "haidian_gcj02.toml"
    first = service.import_file(source, mapping, area_dir=area)
    good_id = str(first.result.incidents["id"].iloc[0])
    text = source.read_bytes().decode("gbk")
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(good_id + ","))
    cells = lines[at].split(",")
    cells[3] = f"{float(cells[3]) + 0.002:.7f}"
    lines[at] = ",".join(cells)
    source.write_bytes(("\n".join(lines) + "\n").encode("gbk"))
    kept = service.import_file(source, mapping, area_dir=area, correct=False)
    assert kept.saved.differ == 1 and any("NOT replaced" in line for line in kept.lines())
    report = service.import_file(source, mapping, area_dir=area)
    assert report.saved.corrected == 1 and report.saved.added == 0
    assert "0 new, 1 corrected" in report.lines()[0]
    assert any(f"id {good_id}: position moved 1" in line for line in report.lines())
    assert any("history/" in line for line in report.lines())


def test_an_area_of_a_store_is_loaded_and_imported_through_the_store(
    area: Path, tmp_path: Path
) -> None:
    """A StoredArea's incidents are loaded from and imported into its store (the database
    here; its folder copy left alone). Needs GEOGRID_TEST_DB (skips without)."""
    from geogrid.store.base import StoredArea
    from tests.store_commands import twins

    pair = twins(area, tmp_path)
    where = StoredArea(pair.store, pair.name)
    assert len(service.load(where).incidents) == 500
    source = tmp_path / "calls.csv"
    source.write_bytes((DATA / "haidian_gcj02_gbk.csv").read_bytes())
    report = service.import_file(source, DATA / "haidian_gcj02.toml", area_dir=where)
    assert report.saved.added == 3 and pair.name in report.lines()[0]
    assert len(service.load(where).incidents) == 503
    assert len(Workspace(pair.folder).read_layer("incidents")) == 500


def test_two_imports_into_a_database_area_at_once_lose_nothing(
    area: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two imports into one database area read the stored records at the same moment (two
    threads); the one that writes second is refused (stale revision), merges again from the
    fresh records and writes: every record of both is there, both writes in the history.
    Needs GEOGRID_TEST_DB (skips without)."""
    from geogrid.store.base import StoredArea
    from geogrid.store.postgis import PostgisStore
    from tests.store_commands import twins

    pair = twins(area, tmp_path)
    where = StoredArea(pair.store, pair.name)
    lines = (DATA / "haidian_gcj02_gbk.csv").read_bytes().decode("gbk").splitlines()
    sources = []
    for tag in ("X", "Y"):
        source = tmp_path / f"calls-{tag}.csv"
        body = [lines[0]] + [f"{tag}{line}" for line in lines[1:]]
        source.write_bytes(("\n".join(body) + "\n").encode("gbk"))
        sources.append(source)
    barrier = threading.Barrier(2)
    reads: list[str] = []
    read = PostgisStore.incidents_with_ids

    def read_together(self, name, ids):  # the first read of each import waits for the other's
        found = read(self, name, ids)
        reads.append(threading.current_thread().name)
        if len(reads) <= 2:
            barrier.wait(timeout=30)
        return found

    monkeypatch.setattr(PostgisStore, "incidents_with_ids", read_together)
    reports: dict[int, object] = {}

    def run(i: int) -> None:
        try:
            reports[i] = service.import_file(
                sources[i], DATA / "haidian_gcj02.toml", area_dir=where
            )
        except Exception as err:
            reports[i] = err

    threads = [threading.Thread(target=run, args=(i,), name=f"import{i}") for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert all(isinstance(r, service.ImportReport) for r in reports.values()), reports
    assert len(reads) == 3  # one import read again after its conflict
    added = [r.saved.added for r in reports.values()]  # type: ignore[union-attr]
    assert added == [4, 4]
    assert pair.store.count_incidents(pair.name) == 508
    history = [h["message"] for h in pair.store.layer_history(pair.name, "incidents")]
    assert history == ["import: 4 incidents added"] * 2
