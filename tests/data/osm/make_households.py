"""Write households.osm: which buildings are homes (geogrid.buildings rule).

A 3 x 3 street grid (about 200 m spacing) in Shenzhen, 114.05E 22.54N, with
``landuse=residential`` on its western half (a closed way), a second
residential compound drawn as a multipolygon relation, one residential
polygon with no building at all, and 30 m square buildings: ``building=yes``
inside residential land (plain, or tagged / inside / holding a shop, amenity,
leisure, tourism or transport feature), ``building=yes`` outside it, and
buildings tagged apartments / residential with a flat count outside it.
The name of each building says what the rule must make of it
(``expect:<households_source>``). Run
``python tests/data/osm/make_households.py`` to regenerate.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr

LON0, LAT0 = 114.0500, 22.5400
STEP = 0.002  # about 200 m
SIDE = 0.0003  # about 30 m

nodes: list[tuple[int, float, float, dict[str, str]]] = []
ways: list[tuple[int, list[int], dict[str, str]]] = []
relations: list[tuple[int, list[tuple[str, int, str]], dict[str, str]]] = []
next_node = 10_000
next_way = 20_000


def node(lon: float, lat: float, tags: dict[str, str] | None = None) -> int:
    global next_node
    next_node += 1
    nodes.append((next_node, lon, lat, tags or {}))
    return next_node


def ring(west: float, south: float, east: float, north: float, tags: dict[str, str]) -> int:
    global next_way
    corners = [node(west, south), node(east, south), node(east, north), node(west, north)]
    next_way += 1
    ways.append((next_way, [*corners, corners[0]], tags))
    return next_way


def square(lon: float, lat: float, tags: dict[str, str], side: float = SIDE) -> int:
    return ring(lon, lat, lon + side, lat + side, tags)


# streets: 3 x 3 grid
grid = [[node(LON0 + j * STEP, LAT0 + i * STEP) for j in range(3)] for i in range(3)]
for i in range(3):
    next_way += 1
    ways.append((next_way, grid[i], {"highway": "residential", "name": f"东西路{i}"}))
for j in range(3):
    next_way += 1
    ways.append(
        (next_way, [grid[i][j] for i in range(3)], {"highway": "residential", "name": f"南北路{j}"})
    )

# residential land: the western half (south-west block and north-west block)
ring(
    LON0 + 0.0001,
    LAT0 + 0.0001,
    LON0 + STEP - 0.0001,
    LAT0 + 2 * STEP - 0.0001,
    {"landuse": "residential", "name": "福田花园"},
)
# a residential compound with no building drawn (north-east block)
ring(
    LON0 + STEP + 0.0011,
    LAT0 + STEP + 0.0001,
    LON0 + 2 * STEP - 0.0001,
    LAT0 + 2 * STEP - 0.0001,
    {"landuse": "residential", "name": "空地小区"},
)

x0, y0 = LON0 + 0.0003, LAT0 + 0.0003


def at(col: int, row: int) -> tuple[float, float]:
    return x0 + col * 0.0005, y0 + row * 0.0005


# inside the residential land
square(*at(0, 0), {"building": "yes", "name": "expect:estimate plain"})
square(*at(1, 0), {"building": "yes", "shop": "mall", "name": "expect:none mall"})
lon, lat = at(2, 0)
square(lon, lat, {"building": "yes", "name": "expect:none library node"})
node(lon + SIDE / 2, lat + SIDE / 2, {"amenity": "library", "name": "图书馆"})
lon, lat = at(0, 1)
ring(
    lon - 0.0001,
    lat - 0.0001,
    lon + SIDE + 0.0001,
    lat + SIDE + 0.0001,
    {"amenity": "police", "name": "派出所"},
)
square(lon, lat, {"building": "yes", "name": "expect:none police area"})
square(
    *at(1, 1), {"building": "yes", "leisure": "sports_centre", "name": "expect:none sports centre"}
)
lon, lat = at(2, 1)
square(lon, lat, {"building": "yes", "name": "expect:none toll booth"})
node(lon + SIDE / 2, lat + SIDE / 2, {"barrier": "toll_booth"})
square(*at(0, 2), {"building": "yes", "tourism": "hotel", "name": "expect:none hotel"})
lon, lat = at(1, 2)
square(lon, lat, {"building": "yes", "name": "expect:estimate bicycle parking"})
node(lon + SIDE / 2, lat + SIDE / 2, {"amenity": "bicycle_parking"})
# a fuel station drawn as a multipolygon relation around a building=yes
lon, lat = at(2, 2)
outer = ring(lon - 0.0001, lat - 0.0001, lon + SIDE + 0.0001, lat + SIDE + 0.0001, {})
relations.append((30_001, [("way", outer, "outer")], {"type": "multipolygon", "amenity": "fuel"}))
square(lon, lat, {"building": "yes", "name": "expect:none fuel station"})
square(*at(0, 3), {"building": "yes", "amenity": "bench", "name": "expect:estimate bench"})

# outside residential land (south-east block)
xe = LON0 + STEP + 0.0003
square(xe, y0, {"building": "yes", "name": "expect:none outside land"})
square(
    xe + 0.0005,
    y0,
    {"building": "apartments", "building:levels": "10", "name": "expect:estimate apartments"},
)
square(
    xe + 0.001, y0, {"building": "residential", "building:flats": "30", "name": "expect:tag flats"}
)
square(xe, y0 + 0.0005, {"building": "retail", "name": "expect:none retail"})

# a second compound drawn as a multipolygon relation (north-east block, west part)
outer = ring(
    LON0 + STEP + 0.0001, LAT0 + STEP + 0.0001, LON0 + STEP + 0.0009, LAT0 + 2 * STEP - 0.0001, {}
)
relations.append(
    (
        30_002,
        [("way", outer, "outer")],
        {"type": "multipolygon", "landuse": "residential", "name": "南园"},
    )
)
square(
    LON0 + STEP + 0.0003,
    LAT0 + STEP + 0.0003,
    {"building": "yes", "name": "expect:estimate relation land"},
)


def tag_xml(tags: dict[str, str]) -> str:
    return "".join(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items())


def render() -> str:
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<osm version="0.6" generator="geogrid tests (make_households.py)">',
    ]
    for i, lon, lat, tags in nodes:
        out.append(
            f'<node id="{i}" version="1" lat="{lat:.7f}" lon="{lon:.7f}">{tag_xml(tags)}</node>'
        )
    for i, refs, tags in ways:
        nds = "".join(f'<nd ref="{r}"/>' for r in refs)
        out.append(f'<way id="{i}" version="1">{nds}{tag_xml(tags)}</way>')
    for i, mems, tags in relations:
        ms = "".join(f'<member type="{t}" ref="{r}" role="{role}"/>' for t, r, role in mems)
        out.append(f'<relation id="{i}" version="1">{ms}{tag_xml(tags)}</relation>')
    out.append("</osm>")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    Path(__file__).with_name("households.osm").write_text(render(), encoding="utf-8")
