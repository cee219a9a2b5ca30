"""Quality check (issue 12): grids under hand-drawn communities, this checkout against a revision.

Hand-drawn communities (社区) rarely follow the streets or the area outline. Grids must still
nest in them (no sliver outside the parent) and carry their parent's code + 3 digits. Each case
first draws grids with no communities (codes under the default parent), then stores the
communities and draws again, offering the first grids' codes:

- ``synthetic``: the SYNTHETIC 7 x 5 block area of ``tests/grids_area.py`` with two communities
  split by a diagonal across the blocks, overshooting the outline by 3 m, one with an arbitrary
  code (``A-7``); grids from the street blocks, and from a file of whole blocks.
- ``haidian``: the Beijing Haidian OSM extract (``../shared/data/osm_china/
  beijing_haidian_cau/map.osm``, skipped when absent), area = its bbox; four SYNTHETIC
  hand-drawn communities (seeded wobbly lines across the extract, 3 m past the outline);
  grids from the street blocks, and from a file of the extract's street blocks drawn without
  the communities (with their households).

Printed per case and checkout: grids, the largest area of a grid outside its parent (m²), grids
more than 25 m² outside, grids whose code is not their parent's code + 3 digits, the area of
the outline no grid covers (m²), households kept, and the validation problems by kind.

Run: ``python benchmarks/hand_drawn_parents.py [--against REV]`` (default ``b474a1c``, the
tree before the fix): REV's ``geogrid`` and ``tests`` are unpacked with ``git archive`` into a
temporary folder and measured in a child process beside this checkout.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HAIDIAN = ROOT.parent / "shared" / "data" / "osm_china" / "beijing_haidian_cau" / "map.osm"
HAIDIAN_BBOX = (116.34403, 39.99767, 116.35974, 40.00888)
SLIVER_M2 = 25.0


def _measure(area: Path, result: Any) -> dict[str, Any]:
    import geopandas as gpd
    import shapely

    from geogrid.io.workspace import read_area

    loaded = read_area(area)
    crs = loaded.metric_crs
    grids = result.plan.grids.to_crs(crs)
    parents = gpd.read_file(area / "communities.geojson").to_crs(crs)
    by_code = dict(zip(parents["code"].astype(str), parents.geometry, strict=True))
    outside = [
        shapely.difference(g, by_code[str(p)]).area if str(p) in by_code else g.area
        for g, p in zip(grids.geometry, grids["parent_code"], strict=True)
    ]
    bad_codes = [
        c
        for c, p in zip(grids["code"].astype(str), grids["parent_code"].astype(str), strict=True)
        if not (c.startswith(p) and len(c) == len(p) + 3 and c[len(p) :].isdigit())
    ]
    outline = shapely.union_all(loaded.boundary.to_crs(crs).geometry.to_numpy())
    gap = shapely.difference(outline, shapely.union_all(grids.geometry.to_numpy())).area
    return {
        "grids": len(grids),
        "max_outside_m2": round(max(outside), 1) if outside else 0.0,
        "grids_outside": sum(a > SLIVER_M2 for a in outside),
        "bad_codes": len(bad_codes),
        "gap_m2": round(float(gap), 1),
        "households": int(grids["households"].sum()),
        "problems": dict(Counter(p.kind for p in result.problems)),
    }


def _synthetic_parents() -> Any:
    import geopandas as gpd
    import shapely

    from tests.grids_area import COLS, ROWS, SPACING_M, UTM_50N, X0, Y0

    w, h = COLS * SPACING_M, ROWS * SPACING_M
    west = shapely.Polygon(
        [(X0 - 3, Y0 - 3), (X0 + 0.63 * w + 7, Y0 - 3), (X0 + 0.37 * w - 11, Y0 + h + 3),
         (X0 - 3, Y0 + h + 3)]
    )  # fmt: skip
    east = shapely.difference(shapely.box(X0 - 3, Y0 - 3, X0 + w + 3, Y0 + h + 3), west)
    return gpd.GeoDataFrame(
        {"code": ["A-7", "110108002"], "name": ["西", "东"], "source": ["synthetic"] * 2},
        geometry=[west, east],
        crs=UTM_50N,
    ).to_crs("EPSG:4326")


def _wobbly(a: tuple[float, float], b: tuple[float, float], rng: Any, step_m: float) -> Any:
    """A line from a to b with a seeded sideways jitter of up to 15 m every ``step_m``."""
    import numpy as np
    import shapely

    n = max(2, int(np.hypot(b[0] - a[0], b[1] - a[1]) / step_m))
    t = np.linspace(0, 1, n + 1)
    x = a[0] + (b[0] - a[0]) * t
    y = a[1] + (b[1] - a[1]) * t
    nx, ny = -(b[1] - a[1]), b[0] - a[0]
    norm = float(np.hypot(nx, ny))
    off = np.concatenate([[0], rng.uniform(-15, 15, n - 1), [0]])
    return shapely.LineString(np.c_[x + off * nx / norm, y + off * ny / norm])


def _haidian_parents(area: Path) -> Any:
    """Four SYNTHETIC hand-drawn communities over the area (seed 12), 3 m past its outline."""
    import geopandas as gpd
    import numpy as np
    import shapely

    from geogrid.io.workspace import read_area

    loaded = read_area(area)
    crs = loaded.metric_crs
    outline = shapely.union_all(loaded.boundary.to_crs(crs).geometry.to_numpy())
    west, south, east, north = outline.bounds
    rng = np.random.default_rng(12)
    big = shapely.buffer(outline, 3.0, join_style="mitre")
    x_cut = west + 0.45 * (east - west)
    y_cut = south + 0.55 * (north - south)
    lines = [
        _wobbly((x_cut + 40, south - 50), (x_cut - 40, north + 50), rng, 60.0),
        _wobbly((west - 50, y_cut - 30), (east + 50, y_cut + 30), rng, 60.0),
    ]
    faces = shapely.get_parts(
        shapely.polygonize(shapely.get_parts(shapely.union_all([big.boundary, *lines])))
    )
    faces = [f for f in faces if big.contains(f.point_on_surface())]
    faces.sort(key=lambda f: (-round(f.centroid.y, -2), f.centroid.x))
    codes = [f"110108001{i + 1:03d}" for i in range(len(faces))]
    return gpd.GeoDataFrame(
        {"code": codes, "name": [f"手绘社区{i + 1}" for i in range(len(faces))],
         "source": ["synthetic"] * len(faces)},
        geometry=faces,
        crs=crs,
    ).to_crs("EPSG:4326")  # fmt: skip


def _run_case(area: Path, parents: Any, units_path: Path | None) -> dict[str, Any]:
    from geogrid.io import geojson
    from geogrid.services import grids as S

    S.generate(area, seed=0, units_path=units_path)  # no communities yet: default parent codes
    geojson.write_layer(parents, area / "communities.geojson", "communities")
    return _measure(area, S.generate(area, seed=0, units_path=units_path))


def worker(root: Path) -> dict[str, Any]:
    """Every case measured with the ``geogrid`` and ``tests`` packages under ``root``."""
    sys.path.insert(0, str(root))
    from geogrid.io import geojson
    from geogrid.layers import features_from_frame
    from tests.grids_area import make_area, units_frame

    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        area = make_area(base / "blocks")
        out["synthetic, street blocks"] = _run_case(area, _synthetic_parents(), None)
        area = make_area(base / "file")
        blocks = units_frame([(c, r, 60) for c in range(7) for r in range(5)])
        blocks = blocks.drop(columns=["parent_code"]).reset_index()
        path = base / "blocks.geojson"
        path.write_text(geojson.dumps_features(features_from_frame(blocks)), encoding="utf-8")
        out["synthetic, block file"] = _run_case(area, _synthetic_parents(), path)
        if HAIDIAN.exists():
            from geogrid.services.area import BoundaryChoice, build_area

            area = base / "haidian"
            build_area(
                HAIDIAN, area, name="haidian", boundary=BoundaryChoice(bbox=HAIDIAN_BBOX),
                admin_code="110108", timezone="Asia/Shanghai",
            )  # fmt: skip
            parents = _haidian_parents(area)
            out["Haidian extract, street blocks"] = _run_case(area, parents, None)
            # the street blocks of the extract (drawn without communities) as the office's block
            # file, with their households
            from geogrid.io.workspace import read_area
            from geogrid.services.grids import make_units

            blocks = make_units(read_area(area), None)[["households", "geometry"]].reset_index()
            path = base / "haidian_blocks.geojson"
            path.write_text(geojson.dumps_features(features_from_frame(blocks)), encoding="utf-8")
            area = base / "haidian_file"
            build_area(
                HAIDIAN, area, name="haidian", boundary=BoundaryChoice(bbox=HAIDIAN_BBOX),
                admin_code="110108", timezone="Asia/Shanghai",
            )  # fmt: skip
            out["Haidian extract, block file"] = _run_case(area, parents, path)
    return out


def _child(root: Path) -> dict[str, Any]:
    run = subprocess.run(
        [sys.executable, __file__, "--worker", str(root)],
        capture_output=True,
        text=True,
        check=False,
        cwd=root,
    )
    if run.returncode:
        raise SystemExit(f"{root}: {run.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default="b474a1c", help="git revision to compare with")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker), ensure_ascii=False))
        return
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", args.against, "geogrid", "tests"],
            capture_output=True,
            check=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
        before = _child(old)
    after = _child(ROOT)
    print(
        f"{datetime.now(UTC):%Y-%m-%dT%H:%MZ}, {platform.machine()}, Python "
        f"{platform.python_version()}; {args.against} against this checkout\n"
    )
    print(
        "| case | checkout | grids | max outside parent m² | grids > 25 m² outside | "
        "code not parent + 3 digits | uncovered m² | households | problems |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---|")
    for case in after:
        for label, rows in ((args.against, before), ("this checkout", after)):
            r = rows.get(case)
            if r is None:
                continue
            problems = ", ".join(f"{k} {v}" for k, v in sorted(r["problems"].items())) or "none"
            print(
                f"| {case} | {label} | {r['grids']} | {r['max_outside_m2']:,.1f} | "
                f"{r['grids_outside']} | {r['bad_codes']} | {r['gap_m2']:,.1f} | "
                f"{r['households']:,} | {problems} |"
            )


if __name__ == "__main__":
    main()
