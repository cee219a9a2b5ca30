"""geogrid.printing.streetmap: the map frame (metric -> page, north up), the streets drawn in it
(major roads by ``highway``), the clip and the scale bar that route sheets and notice boards
share."""

from __future__ import annotations

import io
import zlib

import geopandas as gpd
import pytest
import shapely
from reportlab.pdfgen import canvas

from geogrid.printing import streetmap as sm

BOX = (100.0, 200.0, 400.0, 200.0)
"""A 400 x 200 pt map box at (100, 200) on the page."""
STYLE = sm.StreetStyle("#111111", "#eeeeee", major_width_pt=3.0, minor_width_pt=0.25)


def _content(pdf: canvas.Canvas, buffer: io.BytesIO) -> str:
    """The page's drawing operators (the canvas is saved without page compression)."""
    pdf.save()
    data = buffer.getvalue()
    start = data.index(b"stream", data.index(b"/Length")) + len(b"stream\n")
    raw = data[start : data.index(b"endstream", start)]
    try:
        return zlib.decompress(raw).decode("latin-1")
    except zlib.error:
        return raw.decode("latin-1")


def _canvas() -> tuple[canvas.Canvas, io.BytesIO]:
    buffer = io.BytesIO()
    return canvas.Canvas(buffer, invariant=True, pageCompression=0), buffer


def test_frame_fits_padded_bounds_north_up_without_stretch() -> None:
    """A 100 m x 100 m square padded by 5 % + 5 m a side (120 m each way) fits the box's height: the
    scale is 200 pt / 120 m both ways, its centre lands at the box's centre, north is up."""
    frame = sm.MapFrame.around(BOX, (0.0, 0.0, 100.0, 100.0), pad_share=0.05, pad_m=5.0)
    assert frame.scale_pt_per_m == pytest.approx(200 / 120)
    assert frame.centre == (50.0, 50.0)
    assert frame.xy(50.0, 50.0) == pytest.approx((300.0, 300.0))
    x0, y0 = frame.xy(50.0, 50.0)
    x1, y1 = frame.xy(56.0, 62.0)
    assert (x1 - x0, y1 - y0) == pytest.approx((6 * 200 / 120, 12 * 200 / 120))
    # the view is the box in metres: 240 m wide, 120 m high, around the centre
    assert frame.view.bounds == pytest.approx((-70.0, -10.0, 170.0, 110.0))


def test_streets_outside_the_view_are_left_out_and_major_roads_styled() -> None:
    """Only edges that cross the view are drawn; a primary road gets the major grey and width,
    a residential street the minor ones; a frame without ``highway`` draws every edge as minor."""
    frame = sm.MapFrame.around(BOX, (0.0, 0.0, 100.0, 100.0), pad_share=0.0, pad_m=0.0)
    streets = gpd.GeoDataFrame(
        {"highway": ["primary", "residential", "primary"]},
        geometry=[
            shapely.LineString([(0, 0), (100, 100)]),
            shapely.LineString([(0, 50), (100, 50)]),
            shapely.LineString([(5000, 5000), (5100, 5100)]),  # far outside
        ],
        crs="EPSG:32650",
    )
    pdf, buffer = _canvas()
    sm.draw_streets(pdf, frame, streets, STYLE)
    ops = _content(pdf, buffer)
    assert ops.splitlines().count("S") == 2  # two stroked paths, the far road left out
    assert "3 w" in ops and ".25 w" in ops
    pdf, buffer = _canvas()
    sm.draw_streets(pdf, frame, streets.drop(columns="highway"), STYLE)
    ops = _content(pdf, buffer)
    assert ops.splitlines().count("S") == 2 and "3 w" not in ops


def test_polyline_goes_through_every_vertex_on_the_page() -> None:
    """A route's vertices are moved to their page points, in order, as one stroked path."""
    frame = sm.MapFrame.around(BOX, (0.0, 0.0, 100.0, 100.0), pad_share=0.0, pad_m=0.0)
    pdf, buffer = _canvas()
    sm.draw_polyline(pdf, frame, shapely.LineString([(0, 0), (100, 0), (100, 100)]))
    ops = _content(pdf, buffer)
    assert "200 200 m" in ops and "400 200 l" in ops and "400 400 l" in ops


@pytest.mark.parametrize(
    ("metres_across", "bar_m"),
    [(4000.0, 500), (1200.0, 200), (100.0, 50), (20.0, 50)],
)
def test_scale_bar_is_the_longest_under_a_quarter_of_the_width(
    metres_across: float, bar_m: int
) -> None:
    """The bar is the first of 500 / 200 / 100 / 50 m shorter than a quarter of the box's width
    (50 m when none is), labelled in metres, with the north arrow; the clip is undone after."""
    frame = sm.MapFrame.around(BOX, (0.0, 0.0, metres_across, 1.0), pad_share=0.0, pad_m=0.0)
    pdf, buffer = _canvas()
    sm.draw_map_outline(pdf, BOX)
    with sm.clipped_to(pdf, BOX):
        pass
    sm.draw_scale_bar(pdf, "Helvetica", frame, font_size=7, north_inset=20.0)
    ops = _content(pdf, buffer)
    assert f"({bar_m} m) Tj" in ops and "N" in ops
    assert ops.splitlines().count("q") == ops.splitlines().count("Q") == 1
