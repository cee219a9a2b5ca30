"""Write the patrol-track fixtures of tests/test_planning_tracks.py and tests/test_io_tracks.py.

Run ``python tests/data/tracks/make_tracks.py`` (seeded: same files every time).
The walk is on the 6 x 6 street grid of tests/patrol_area.py (100 m blocks in
Haidian, UTM 50N), on 2026-11-03 from 19:00 Beijing time (11:00 UTC):

* base (0, 0) -> (1, 0) -> (1, 1): school post A, stay 5 min (visited);
* (1, 1) -> (3, 1) -> (3, 3): hot spot B, stay 1 min (< 2 min: missed);
* hot spot C (4, 1) is never within 50 m (missed);
* 600 m of streets walked, points every 10 s at 1.25 m/s, GPS jitter up to 3 m.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from pyproj import Transformer

HERE = Path(__file__).resolve().parent
START = datetime(2026, 11, 3, 11, 0, tzinfo=UTC)  # 19:00 in Beijing
TO_LONLAT = Transformer.from_crs("EPSG:32650", "EPSG:4326", always_xy=True)
STOPS = {"A": (1, 1), "B": (3, 3), "C": (4, 1)}


def walk(seed: int = 7) -> list[tuple[float, float, datetime]]:
    rng = np.random.default_rng(seed)
    legs = [
        ((0, 0), (1, 0)),
        ((1, 0), (1, 1)),
        "stay 300",
        ((1, 1), (3, 1)),
        ((3, 1), (3, 3)),
        "stay 60",
    ]
    x, y, t = 440_000.0, 4_425_000.0, START
    out = [(x, y, t)]
    for leg in legs:
        if isinstance(leg, str):
            for _ in range(int(leg.split()[1]) // 10):
                t += timedelta(seconds=10)
                jx, jy = rng.uniform(-3, 3, 2)
                out.append((x + jx, y + jy, t))
            continue
        (_c0, _r0), (c1, r1) = leg
        x1, y1 = 440_000.0 + c1 * 100, 4_425_000.0 + r1 * 100
        steps = int(round(np.hypot(x1 - x, y1 - y) / 12.5))
        for k in range(1, steps + 1):
            t += timedelta(seconds=10)
            out.append((x + (x1 - x) * k / steps, y + (y1 - y) * k / steps, t))
        x, y = x1, y1
    lon, lat = TO_LONLAT.transform([p[0] for p in out], [p[1] for p in out])
    return [(float(a), float(b), p[2]) for a, b, p in zip(lon, lat, out, strict=True)]


def gpx(points: list[tuple[float, float, datetime]], metadata: str = "") -> str:
    rows = "\n".join(
        (
            f'<trkpt lat="{lat:.7f}" lon="{lon:.7f}">'
            f"<time>{t.strftime('%Y-%m-%dT%H:%M:%SZ')}</time></trkpt>"
        )
        for lon, lat, t in points
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="fixture" '
        f'xmlns="http://www.topografix.com/GPX/1/1">{metadata}\n<trk><name>巡逻</name><trkseg>\n{rows}\n'
        "</trkseg></trk></gpx>\n"
    )


def kml(points: list[tuple[float, float, datetime]]) -> str:
    whens = "\n".join(f"<when>{t.isoformat()}</when>" for _, _, t in points)
    coords = "\n".join(f"<gx:coord>{lon:.7f} {lat:.7f} 50</gx:coord>" for lon, lat, _ in points)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2" '
        'xmlns:gx="http://www.google.com/kml/ext/2.2"><Document><Placemark><name>巡逻</name>'
        f"<gx:Track>\n{whens}\n{coords}\n</gx:Track></Placemark></Document></kml>\n"
    )


def main() -> None:
    from geogrid.crs import wgs84_to_gcj02

    points = walk()
    (HERE / "walk.gpx").write_text(gpx(points), encoding="utf-8")
    (HERE / "walk.kml").write_text(kml(points), encoding="utf-8")
    glon, glat = wgs84_to_gcj02([p[0] for p in points], [p[1] for p in points])
    gcj = [(float(a), float(b), p[2]) for a, b, p in zip(glon, glat, points, strict=True)]
    (HERE / "walk_gcj02_as_wgs84.gpx").write_text(gpx(gcj), encoding="utf-8")
    meta = "<metadata><desc>datum: GCJ-02</desc><keywords>GCJ-02</keywords></metadata>"
    (HERE / "walk.gcj02.gpx").write_text(gpx(gcj, meta), encoding="utf-8")
    # local clock written as UTC: 8 hours late
    late = [(a, b, t + timedelta(hours=8)) for a, b, t in points]
    (HERE / "walk_local_as_utc.gpx").write_text(gpx(late), encoding="utf-8")
    (HERE / "empty.gpx").write_text(gpx([]), encoding="utf-8")
    far = [(a + 0.5, b, t) for a, b, t in points]  # ~43 km east
    (HERE / "far.gpx").write_text(gpx(far), encoding="utf-8")
    (HERE / "broken.gpx").write_text("<gpx><trk><trkseg><trkpt lat=", encoding="utf-8")
    # check-ins: arrive and leave A (5 min), arrive at B naming it, and C named from 300 m away
    lon_a, lat_a = TO_LONLAT.transform(440_100.0, 4_425_100.0)
    lon_b, lat_b = TO_LONLAT.transform(440_302.0, 4_425_301.0)
    lon_x, lat_x = TO_LONLAT.transform(440_100.0, 4_425_400.0)
    rows = [
        "时间,经度,纬度,站点",
        f"2026-11-03 19:05:00,{lon_a:.7f},{lat_a:.7f},school-A",
        f"2026-11-03 19:10:00,{lon_a:.7f},{lat_a:.7f},school-A",
        f"2026-11-03 19:20:00,{lon_b:.7f},{lat_b:.7f},hotspot-B",
        f"2026-11-03 19:30:00,{lon_x:.7f},{lat_x:.7f},hotspot-C",
    ]
    (HERE / "checkins.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (HERE / "bad_checkins.csv").write_text(
        "时间,经度,纬度\n2026-11-03 19:05,abc,40.0\nnot a time,116.3,40.0\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
