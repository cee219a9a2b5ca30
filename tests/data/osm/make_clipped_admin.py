"""Write clipped_admin.osm: admin relations cut by the edge of a bbox export.

Shaped like an openstreetmap.org export of a corner of Dongguan/Shenzhen
(invented places and ids, about 2 x 2 km at 114.11E 22.61N): ``<bounds>``
lon 114.100-114.120, lat 22.600-22.620, a street grid (seeded jitter), and
boundary relations whose member ways are mostly not in the file, as the
export leaves them:

* 凤岗镇 (admin_level 8, name:zh, name:en "Fenggang Town", alt_name
  "Fenggang"): 1 of 21 member ways present, the line across the middle of
  the file; a ``place=town`` node of the same name lies north of it;
* 塘厦镇 (admin_level 8, "Tangxia Town"): the same line, 1 of 15 ways; no
  anchor, so its side is told by its neighbour 凤岗镇 (south);
* 龙岗区 (admin_level 6, "Longgang District", official_name 深圳市龙岗区):
  1 of 21 ways, a bent line cutting the north-east corner (the bend says
  the corner is inside);
* 竹塘社区 ("Zhutang Community") and 凤岗村 (admin_level 10): whole, inside;
* 雁田村 (admin_level 9): 1 of 6 ways, a straight line across the
  south-west corner and nothing to tell its side: not assembled.

Run ``python tests/data/osm/make_clipped_admin.py`` to regenerate.
"""

from __future__ import annotations

import random
from pathlib import Path
from xml.sax.saxutils import quoteattr

SEED = 20240605
rng = random.Random(SEED)

nodes: list[tuple[int, float, float, dict[str, str]]] = []
ways: list[tuple[int, list[int], dict[str, str]]] = []
relations: list[tuple[int, list[tuple[str, int, str]], dict[str, str]]] = []
next_node = 30_000
next_way = 40_000
ABSENT_WAY = 90_000  # ids of member ways the export left out


def node(lon: float, lat: float, tags: dict[str, str] | None = None) -> int:
    global next_node
    next_node += 1
    nodes.append((next_node, round(lon, 7), round(lat, 7), tags or {}))
    return next_node


def way(points: list[tuple[float, float]], tags: dict[str, str] | None = None) -> int:
    global next_way
    refs = [node(x, y) for x, y in points]
    next_way += 1
    ways.append((next_way, refs, tags or {}))
    return next_way


def closed_way(points: list[tuple[float, float]]) -> int:
    global next_way
    refs = [node(x, y) for x, y in points]
    next_way += 1
    ways.append((next_way, [*refs, refs[0]], {}))
    return next_way


def boundary(present: list[int], total: int, tags: dict[str, str], rid: int) -> None:
    global ABSENT_WAY
    members = [("way", w, "outer") for w in present]
    for _ in range(total - len(present)):
        ABSENT_WAY += 1
        members.append(("way", ABSENT_WAY, "outer"))
    base = {"type": "boundary", "boundary": "administrative"}
    relations.append((rid, members, {**base, **tags}))


# streets: a 6 x 6 grid with a little jitter, inside the bounds
STEP = 0.0036
grid = [
    [
        node(
            114.101 + j * STEP + rng.uniform(-2e-4, 2e-4),
            22.601 + i * STEP + rng.uniform(-2e-4, 2e-4),
        )
        for j in range(6)
    ]
    for i in range(6)
]
for i in range(6):
    next_way += 1
    ways.append((next_way, grid[i], {"highway": "residential", "name": f"凤塘路{i + 1}"}))
for j in range(6):
    next_way += 1
    ways.append(
        (
            next_way,
            [grid[i][j] for i in range(6)],
            {"highway": "tertiary", "name": f"雁田街{j + 1}"},
        )
    )

# the line between the two towns, full way as the export gives it (ends outside the bounds)
middle = way(
    [
        (114.095, 22.611),
        (114.105, 22.6122),
        (114.110, 22.6101),
        (114.115, 22.6112),
        (114.125, 22.6103),
    ]
)
node(114.110, 22.616, {"place": "town", "name": "凤岗镇"})
boundary(
    [middle], 21,
    {"admin_level": "8", "name": "凤岗镇", "name:zh": "凤岗镇", "name:en": "Fenggang Town",
     "alt_name": "Fenggang"},
    rid=7001,
)  # fmt: skip
boundary([middle], 15, {"admin_level": "8", "name": "塘厦镇", "name:en": "Tangxia Town"}, rid=7002)

# the district's bent line across the north-east corner
corner = way([(114.113, 22.624), (114.116, 22.617), (114.124, 22.616)])
boundary(
    [corner], 21,
    {"admin_level": "6", "name": "龙岗区", "name:en": "Longgang District",
     "official_name": "深圳市龙岗区"},
    rid=7003,
)  # fmt: skip

# two whole level-10 areas inside the file
zhutang = closed_way([(114.103, 22.614), (114.107, 22.614), (114.107, 22.618), (114.103, 22.618)])
boundary(
    [zhutang],
    1,
    {"admin_level": "10", "name": "竹塘社区", "name:en": "Zhutang Community"},
    rid=7004,
)
village = closed_way(
    [(114.108, 22.6125), (114.1115, 22.6125), (114.1115, 22.6145), (114.108, 22.6145)]
)
boundary(
    [village], 1, {"admin_level": "10", "name": "凤岗村", "name:en": "Fenggang Village"}, rid=7005
)

# a straight cut with nothing to tell its side
straight = way([(114.098, 22.605), (114.106, 22.598)])
boundary(
    [straight], 6, {"admin_level": "9", "name": "雁田村", "name:en": "Yantian Village"}, rid=7006
)


def tag_lines(tags: dict[str, str], indent: str) -> list[str]:
    return [f"{indent}<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()]


lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    "<!-- Generated by tests/data/osm/make_clipped_admin.py (invented data, geogrid tests). -->",
    '<osm version="0.6" generator="geogrid tests">',
    ' <bounds minlat="22.6000000" minlon="114.1000000" maxlat="22.6200000" maxlon="114.1200000"/>',
]
for nid, lon, lat, tags in nodes:
    if tags:
        lines.append(f' <node id="{nid}" lat="{lat:.7f}" lon="{lon:.7f}">')
        lines += tag_lines(tags, "  ")
        lines.append(" </node>")
    else:
        lines.append(f' <node id="{nid}" lat="{lat:.7f}" lon="{lon:.7f}"/>')
for wid, refs, tags in ways:
    lines.append(f' <way id="{wid}">')
    lines += [f'  <nd ref="{r}"/>' for r in refs]
    lines += tag_lines(tags, "  ")
    lines.append(" </way>")
for rid, members, tags in relations:
    lines.append(f' <relation id="{rid}">')
    lines += [f'  <member type="{t}" ref="{r}" role="{role}"/>' for t, r, role in members]
    lines += tag_lines(tags, "  ")
    lines.append(" </relation>")
lines.append("</osm>")

Path(__file__).with_name("clipped_admin.osm").write_text("\n".join(lines) + "\n", encoding="utf-8")
