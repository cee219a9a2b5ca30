"""Write mini_haidian.osm: a small hand-made OSM file for area-build tests.

A 5 x 5 street grid (about 100 m spacing) near 116.35E 40.00N with Chinese
street names, one one-way street, a footway, residential and non-residential
buildings, key locations (school, kindergarten, police, market, bus station,
bank, hospital) and an admin_level=10 community boundary made of four ways.
Run ``python tests/data/osm_area/make_mini_haidian.py`` to regenerate.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr

LON0, LAT0 = 116.3460, 39.9990
DLON, DLAT = 0.00117, 0.0009  # about 100 m each way
N = 5

nodes: list[tuple[int, float, float, dict[str, str]]] = []
ways: list[tuple[int, list[int], dict[str, str]]] = []
relations: list[tuple[int, list[tuple[str, int, str]], dict[str, str]]] = []


def grid_id(i: int, j: int) -> int:
    return 1000 + i * N + j


for i in range(N):
    for j in range(N):
        nodes.append((grid_id(i, j), LON0 + j * DLON, LAT0 + i * DLAT, {}))

east_west = ["清华东路", "成府路", "学院路南段", "双清路", "荷清路"]
north_south = ["中关村东路", "学清路", "林业大学北路", "志新路", "王庄路"]
wid = 2000
for i in range(N):
    tags = {"highway": "secondary" if i % 2 == 0 else "residential", "name": east_west[i]}
    if i == 3:
        tags["oneway"] = "yes"
    ways.append((wid, [grid_id(i, j) for j in range(N)], tags))
    wid += 1
for j in range(N):
    tags = {"highway": "tertiary" if j % 2 == 0 else "residential", "name": north_south[j]}
    ways.append((wid, [grid_id(i, j) for i in range(N)], tags))
    wid += 1
# a footway diagonal through the first block
ways.append((wid, [grid_id(0, 0), grid_id(1, 1)], {"highway": "footway"}))
wid += 1

places = [
    ("amenity", "school", "海淀实验小学", 0.5, 0.5),
    ("amenity", "kindergarten", "清华东路幼儿园", 1.5, 2.5),
    ("amenity", "police", "学院路派出所", 2.5, 1.5),
    ("amenity", "marketplace", "五道口农贸市场", 3.5, 3.5),
    ("highway", "bus_stop", "成府路口东", 1.0, 3.2),
    ("amenity", "bus_station", "学院路公交场站", 0.2, 3.5),
    ("amenity", "bank", "中国银行学院路支行", 2.2, 3.6),
    ("amenity", "hospital", "学院路社区医院", 3.2, 4.2),
]
nid = 5000
for key, value, name, fi, fj in places:
    nodes.append((nid, LON0 + fj * DLON, LAT0 + fi * DLAT, {key: value, "name": name}))
    nid += 1

buildings = [
    ({"building": "apartments", "building:levels": "6", "name": "清华东路小区1号楼"}, 0.8, 1.2),
    ({"building": "residential", "building:flats": "48"}, 1.2, 2.6),
    ({"building": "apartments", "building:levels": "12"}, 2.2, 2.2),
    ({"building": "school"}, 0.55, 0.6),
    ({"building": "commercial"}, 3.0, 3.0),
]
for tags, fi, fj in buildings:
    ids = []
    for di, dj in ((0, 0), (0, 0.4), (0.35, 0.4), (0.35, 0)):
        nodes.append((nid, LON0 + (fj + dj) * DLON, LAT0 + (fi + di) * DLAT, {}))
        ids.append(nid)
        nid += 1
    ways.append((wid, ids + ids[:1], tags))
    wid += 1

# community boundary: four ways around the inner 3 x 3 blocks
corner = [(0.5, 0.5), (0.5, 3.5), (3.5, 3.5), (3.5, 0.5)]
corner_ids = []
for fi, fj in corner:
    nodes.append((nid, LON0 + fj * DLON, LAT0 + fi * DLAT, {}))
    corner_ids.append(nid)
    nid += 1
members = []
for k in range(4):
    ways.append((wid, [corner_ids[k], corner_ids[(k + 1) % 4]], {}))
    members.append(("way", wid, "outer"))
    wid += 1
relations.append(
    (
        9000,
        members,
        {
            "type": "boundary",
            "boundary": "administrative",
            "admin_level": "10",
            "name": "矿业大学社区居委会",
            "name:en": "CUMT Community",
        },
    )
)


def tag_xml(tags: dict[str, str]) -> str:
    return "".join(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items())


def render() -> str:
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<osm version="0.6" generator="geogrid tests (hand-made)">',
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
    Path(__file__).with_name("mini_haidian.osm").write_text(render(), encoding="utf-8")
