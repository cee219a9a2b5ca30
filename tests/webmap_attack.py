"""Shared set-up of the security tests (not a test module): an area full of attacks.

:func:`hostile_area` writes the small synthetic grids workspace with grids,
then adds data an attacker could have put in an OSM extract or a team file:
a school and a team whose names are script payloads, and a computed patrol
plan whose stop carries the school's name (written directly, as the solver
would, so the test does not wait for a solve).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
from grids_area import UTM_50N, outline
from webmap_staff import grids_area

#: text that runs a script wherever it is inserted as HTML or into a JS template literal
XSS = '"><img src=x onerror=alert(1)>'
XSS_TEMPLATE = "${alert(2)}`<img src=x onerror=alert(3)>"
DAY = "2026-05-01"
TEAM = "team-1"


def _collection(features: list[dict[str, Any]]) -> str:
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


def _point(x: float, y: float, **props: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": props,
        "geometry": {"type": "Point", "coordinates": [round(x, 7), round(y, 7)]},
    }


def hostile_area(folder: Path) -> Path:
    """The grids workspace with payloads in a place layer, a team and a patrol plan."""
    grids_area(folder)
    centre = gpd.GeoSeries([outline().centroid], crs=UTM_50N).to_crs("EPSG:4326").iloc[0]
    x, y = centre.x, centre.y
    (folder / "layers").mkdir(exist_ok=True)
    (folder / "layers" / "schools.geojson").write_text(
        _collection(
            [
                _point(x + 0.001, y, id="node/1", kind="school", name=XSS),
                _point(x - 0.001, y, id="node/2", kind="school", name=XSS_TEMPLATE),
            ]
        ),
        encoding="utf-8",
    )
    (folder / "teams.geojson").write_text(
        _collection(
            [
                _point(
                    x,
                    y,
                    id=TEAM,
                    mode="walk",
                    name=XSS,
                    leader=XSS_TEMPLATE,
                    shift_start="07:00",
                    shift_end="09:00",
                ),
            ]
        ),
        encoding="utf-8",
    )
    out = folder / "plans" / "web" / DAY
    out.mkdir(parents=True)
    stop = {
        "team": TEAM,
        "feature": "stop",
        "seq": 1,
        "name": XSS,
        "kind": "school",
        "arrival": "07:30",
        "start": "07:30",
        "leave": "07:55",
        "dwell_min": 25,
        "notes": XSS_TEMPLATE,
    }
    route = {
        "team": TEAM,
        "feature": "route",
        "stops": 1,
        "depart": "07:10",
        "return": "08:20",
        "distance_m": 400.0,
        "total_min": 70,
    }
    (out / "plan.geojson").write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    _point(x + 0.001, y, **stop),
                    {
                        "type": "Feature",
                        "properties": route,
                        "geometry": {
                            "type": "LineString",
                            "coordinates": [[x, y], [x + 0.001, y], [x, y]],
                        },
                    },
                ],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    (out / "plan.json").write_text(
        json.dumps({"teams": [{"team": TEAM, "stops": 1}]}), encoding="utf-8"
    )
    return folder
