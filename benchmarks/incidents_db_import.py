"""Incident imports into a PostGIS area: a first import, then a re-import with corrections.

SYNTHETIC data (seeded): a Haidian-sized box with 8x8 grids, ``--incidents`` points (default
200,000) over one year as a CSV with its mapping; the area is pushed to the database given
by ``--db`` (or GEOGRID_TEST_DB) under a fresh name, then

1. ``incidents import`` of the whole file (every record new);
2. the same file again with ``--corrections`` rows (default 150) given another category and
   moved ~25 m towards the middle (same source and id: corrections).

Prints, for each step, the seconds of :func:`geogrid.services.incidents.import_file` and the
features the step wrote to ``layer_history`` (the replaced records kept). The area is dropped
at the end. Run: ``python benchmarks/incidents_db_import.py --db postgresql://...``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
import uuid
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

BBOX = (116.30, 39.95, 116.40, 40.03)
MAPPING = (
    'name = "synthetic"\n[source]\nformat = "csv"\nencoding = "utf-8"\ncoordinates = "wgs84"\n'
    'timezone = "Asia/Shanghai"\n[columns]\nid = "id"\ntime = "time"\ncategory = "category"\n'
    'x = "lon"\ny = "lat"\n'
)


def make_area(folder: Path) -> None:
    """Manifest, boundary and 8x8 grids of a SYNTHETIC area (no incidents yet)."""
    from geogrid.io.atomic import write_json_atomic
    from geogrid.io.geojson import write_layer

    write_json_atomic(
        folder / "area.json",
        {
            "schema": "geogrid-area/1",
            "name": "synthetic-bench",
            "metric_crs": "EPSG:32650",
            "bbox": list(BBOX),
            "sources": [],
        },
    )
    boundary = gpd.GeoDataFrame({"name": ["bench"]}, geometry=[shapely.box(*BBOX)], crs=4326)
    write_layer(boundary, folder / "boundary.geojson", "boundary", history=False)
    xs, ys = np.linspace(BBOX[0], BBOX[2], 9), np.linspace(BBOX[1], BBOX[3], 9)
    polys = [shapely.box(xs[i], ys[j], xs[i + 1], ys[j + 1]) for i in range(8) for j in range(8)]
    codes = [f"110108001{i:03d}-{j:02d}" for i in range(8) for j in range(8)]
    grids = gpd.GeoDataFrame(
        {"code": codes, "parent_code": [c[:12] for c in codes], "households": [500] * 64},
        geometry=polys,
        crs=4326,
    )
    write_layer(grids, folder / "grids.geojson", "grids", history=False)


def incidents_table(n: int, seed: int) -> pd.DataFrame:
    """N SYNTHETIC incidents over 2025 inside the box."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2025-01-01", tz="Asia/Shanghai")
    times = start + pd.to_timedelta(rng.integers(0, 365 * 24 * 60, n), unit="min")
    return pd.DataFrame(
        {
            "id": [f"B{i:07d}" for i in range(n)],
            "time": times.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "category": rng.choice(["theft", "fraud", "dispute", "traffic"], n),
            "lon": np.round(rng.uniform(BBOX[0] + 1e-4, BBOX[2] - 1e-4, n), 7),
            "lat": np.round(rng.uniform(BBOX[1] + 1e-4, BBOX[3] - 1e-4, n), 7),
        }
    )


def history_rows(conn: object, area: str) -> int:
    """Features kept in ``layer_history`` for the area (both storage forms: a list of
    features, or a FeatureCollection)."""
    from sqlalchemy import text

    return int(
        conn.execute(  # type: ignore[attr-defined]
            text(
                "SELECT coalesce(sum(CASE json_typeof(h.features) WHEN 'array' "
                "THEN json_array_length(h.features) "
                "ELSE json_array_length(h.features -> 'features') END), 0) "
                "FROM layer_history h JOIN areas a ON a.id = h.area_id WHERE a.name = :n"
            ),
            {"n": area},
        ).scalar_one()
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=os.environ.get("GEOGRID_TEST_DB", ""))
    parser.add_argument("--incidents", type=int, default=200_000)
    parser.add_argument("--corrections", type=int, default=150)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--no-migrate",
        action="store_true",
        help="leave the schema as it is (to time an older checkout against a newer schema)",
    )
    parser.add_argument(
        "--keep",
        metavar="NAME",
        help="only the first import, into an area named NAME left in the database",
    )
    parser.add_argument(
        "--reuse",
        metavar="NAME",
        help="only the re-import, into the area NAME left by --keep (same --incidents, --seed)",
    )
    args = parser.parse_args()
    if not args.db:
        print("skipped: give --db postgresql://... (or set GEOGRID_TEST_DB)")
        return 0
    from sqlalchemy import delete

    from geogrid.services.incidents import import_file
    from geogrid.store import tables as T
    from geogrid.store.base import StoredArea, open_store
    from geogrid.store.postgis import migrate
    from geogrid.store.transfer import push

    if not args.no_migrate:
        migrate(args.db)
    store = open_store(args.db)
    engine = store.engine  # type: ignore[attr-defined]
    load = os.getloadavg()
    out: dict[str, object] = {
        "synthetic": True,
        "incidents": args.incidents,
        "corrections": args.corrections,
        "machine": f"{platform.node()} {os.cpu_count()} CPUs, load {load[0]:.2f}",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    with tempfile.TemporaryDirectory(prefix="geogrid-bench-") as tmp:
        work = Path(tmp)
        name = args.reuse or args.keep or f"bench{uuid.uuid4().hex[:10]}"
        if not args.reuse:
            make_area(work / name)
            push(work / name, args.db)
        area = StoredArea(store, name)
        table = incidents_table(args.incidents, args.seed)
        (work / "mapping.toml").write_text(MAPPING, encoding="utf-8")
        table.to_csv(work / "incidents.csv", index=False)
        fixed = table.copy()
        rng = np.random.default_rng(args.seed + 1)
        rows = rng.choice(len(fixed), args.corrections, replace=False)
        fixed.loc[rows, "category"] = "robbery"
        lon = fixed.loc[rows, "lon"]
        mid = (BBOX[0] + BBOX[2]) / 2
        fixed.loc[rows, "lon"] = np.round(np.where(lon > mid, lon - 0.0003, lon + 0.0003), 7)
        fixed.to_csv(work / "corrected.csv", index=False)
        try:
            steps = [("import", "incidents.csv"), ("re-import", "corrected.csv")]
            if args.reuse or args.keep:
                steps = steps[1:] if args.reuse else steps[:1]
            for step, csv in steps:
                with engine.connect() as conn:
                    kept_before = history_rows(conn, name)
                t0 = time.perf_counter()
                report = import_file(work / csv, work / "mapping.toml", area_dir=area)
                seconds = time.perf_counter() - t0
                with engine.connect() as conn:
                    kept = history_rows(conn, name) - kept_before
                out[step] = {
                    "s": round(seconds, 2),
                    "added": report.saved.added,
                    "corrected": report.saved.corrected,
                    "total": report.saved.total,
                    "history_rows": kept,
                }
                print(f"{step}: {json.dumps(out[step])}", flush=True)
        finally:
            if not args.keep:
                with engine.begin() as conn:
                    conn.execute(delete(T.areas).where(T.areas.c.name == name))
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
