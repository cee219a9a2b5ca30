"""A map of an area's own streets on a reportlab page (no tile server).

What the route sheets and the notice boards share: the frame that puts metric coordinates
(north up) into a box of the page, the clip to that box, the street edges (major roads
darker and wider), any polyline, and the scale bar with the north arrow.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

MAJOR_HIGHWAYS = ("primary", "secondary", "tertiary", "trunk")
"""OSM ``highway`` classes drawn as major roads."""
SCALE_BARS_M = (500, 200, 100, 50)
"""Scale bar lengths tried in turn: the first shorter than a quarter of the map's width."""


@dataclass(frozen=True)
class MapFrame:
    """Where metric coordinates land on the page.

    ``box`` is (x, y, width, height) in points, ``scale_pt_per_m`` points per metre and
    ``centre`` the metric (x, y) drawn at the middle of the box.
    """

    box: tuple[float, float, float, float]
    scale_pt_per_m: float
    centre: tuple[float, float]

    @classmethod
    def around(
        cls,
        box: tuple[float, float, float, float],
        bounds: tuple[float, float, float, float],
        *,
        pad_share: float,
        pad_m: float,
    ) -> MapFrame:
        """The frame that fits metric ``bounds`` (west, south, east, north) into ``box``.

        The bounds are widened on every side by ``pad_share`` of their longer side plus
        ``pad_m`` metres; the scale is the same both ways (north up, no stretch).
        """
        _, _, width, height = box
        west, south, east, north = bounds
        pad = max(east - west, north - south) * pad_share + pad_m
        west, south, east, north = west - pad, south - pad, east + pad, north + pad
        scale = min(width / (east - west), height / (north - south))
        return cls(box, scale, ((west + east) / 2, (south + north) / 2))

    def xy(self, x: float, y: float) -> tuple[float, float]:
        """The page point (points) of metric (x, y)."""
        bx, by, bw, bh = self.box
        cx, cy = self.centre
        scale = self.scale_pt_per_m
        return bx + bw / 2 + (x - cx) * scale, by + bh / 2 + (y - cy) * scale

    @property
    def view(self) -> shapely.Polygon:
        """The metric rectangle the box shows."""
        _, _, bw, bh = self.box
        cx, cy = self.centre
        half_w, half_h = bw / 2 / self.scale_pt_per_m, bh / 2 / self.scale_pt_per_m
        return shapely.box(cx - half_w, cy - half_h, cx + half_w, cy + half_h)


@dataclass(frozen=True)
class StreetStyle:
    """Grey and width (points) of major and other streets."""

    major_grey: str
    minor_grey: str
    major_width_pt: float
    minor_width_pt: float


def draw_map_outline(pdf: canvas.Canvas, box: tuple[float, float, float, float]) -> None:
    """The black outline of the map's box."""
    pdf.setStrokeColor(colors.black)
    pdf.setLineWidth(1)
    pdf.rect(*box, stroke=1, fill=0)


@contextmanager
def clipped_to(pdf: canvas.Canvas, box: tuple[float, float, float, float]) -> Iterator[None]:
    """Everything drawn inside the block is clipped to ``box``; the graphics state is restored."""
    path = pdf.beginPath()
    path.rect(*box)
    pdf.saveState()
    pdf.clipPath(path, stroke=0, fill=0)
    try:
        yield
    finally:
        pdf.restoreState()


def draw_polyline(pdf: canvas.Canvas, frame: MapFrame, geometry: shapely.Geometry) -> None:
    """Stroke the coordinates of ``geometry`` (metric) as one path, in the current colour."""
    coords = shapely.get_coordinates(geometry)
    path = pdf.beginPath()
    path.moveTo(*frame.xy(*coords[0]))
    for c in coords[1:]:
        path.lineTo(*frame.xy(*c))
    pdf.drawPath(path, stroke=1, fill=0)


def draw_streets(
    pdf: canvas.Canvas, frame: MapFrame, streets: gpd.GeoDataFrame, style: StreetStyle
) -> None:
    """The street edges (metric CRS) that cross the frame's view; major roads by ``highway``."""
    shown = streets[streets.intersects(frame.view)]
    major = (
        shown["highway"].isin(MAJOR_HIGHWAYS).to_numpy()
        if "highway" in shown
        else np.zeros(len(shown), dtype=bool)
    )
    for is_major, line in zip(major, shown.geometry, strict=True):
        pdf.setStrokeColor(colors.HexColor(style.major_grey if is_major else style.minor_grey))
        pdf.setLineWidth(style.major_width_pt if is_major else style.minor_width_pt)
        draw_polyline(pdf, frame, line)


def draw_scale_bar(
    pdf: canvas.Canvas, font: str, frame: MapFrame, *, font_size: float, north_inset: float
) -> None:
    """A scale bar (500 / 200 / 100 / 50 m) at the lower left of the box and "N ↑" at the upper
    right, ``north_inset`` points in from the right edge."""
    bx, by, bw, bh = frame.box
    scale = frame.scale_pt_per_m
    bar_m = next((m for m in SCALE_BARS_M if m * scale < bw / 4), SCALE_BARS_M[-1])
    pdf.setStrokeColor(colors.black)
    pdf.setFillColor(colors.black)
    pdf.setLineWidth(1.5)
    pdf.line(bx + 6 * mm, by + 5 * mm, bx + 6 * mm + bar_m * scale, by + 5 * mm)
    pdf.setFont(font, font_size)
    pdf.drawString(bx + 6 * mm, by + 6.5 * mm, f"{bar_m} m")
    pdf.drawString(bx + bw - north_inset, by + bh - 8 * mm, "N ↑")
    pdf.setLineWidth(1)
