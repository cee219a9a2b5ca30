"""Printable A4 grid notice boards (网格公示牌), one page per grid (PDF bytes).

Each board: title, the grid's code and name, its community, a map drawn from
the area's own street edges with the grid filled and its neighbours outlined
(no tile server, no QR code), and the 1+3+N team: full-time grid worker,
police officer, community cadre, property manager, volunteers. Phone numbers
are printed only when the planner opts in (``publish_phones``). Chinese text
uses the CJK font of :mod:`geogrid.printing.fonts`; a synthetic roster is labelled.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import pandas as pd
import shapely
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from geogrid.printing.fonts import fit_text, start_pdf
from geogrid.printing.streetmap import (
    MapFrame,
    StreetStyle,
    clipped_to,
    draw_map_outline,
    draw_scale_bar,
    draw_streets,
)
from geogrid.staffing.roster import ROLE_ZH

GRID_FILL = colors.HexColor("#dbe8fb")
GRID_LINE = colors.HexColor("#1f5fbf")
TITLE_RED = colors.HexColor("#b3261e")
STREETS = StreetStyle("#8a8a8a", "#b8b8b8", major_width_pt=1.4, minor_width_pt=0.6)
ROLE_ROWS = ("worker", "police", "cadre", "property", "volunteer")


def render_notice_boards(
    grids: gpd.GeoDataFrame,
    table: pd.DataFrame,
    edges: gpd.GeoDataFrame | None,
    metric_crs: str,
    *,
    publish_phones: bool = False,
    area_name: str = "",
    communities: Mapping[str, str] | None = None,
    synthetic: bool = False,
    date: str = "",
) -> bytes:
    """One A4 notice board per grid of ``table`` (see :func:`geogrid.staffing.staffing_table`).

    ``grids`` (code, name, geometry) gives the outlines, ``edges`` the
    streets (None: no streets), ``communities`` maps community codes to names.
    """
    document = start_pdf("网格公示牌")
    pdf, font = document.pdf, document.font
    metric = grids.to_crs(metric_crs).reset_index(drop=True)
    streets = edges.to_crs(metric_crs) if edges is not None and len(edges) else None
    by_code = {str(c): i for i, c in enumerate(metric["code"])}
    for record in table.to_dict("records"):
        row = {str(k): v for k, v in record.items()}
        i = by_code.get(str(row["code"]))
        if i is None:
            continue
        _board(
            pdf,
            font,
            row,
            metric,
            i,
            streets,
            publish_phones=publish_phones,
            area_name=area_name,
            community=(communities or {}).get(str(row.get("community"))),
            synthetic=synthetic,
            date=date,
        )
    return document.finish()


def _board(
    pdf: canvas.Canvas,
    font: str,
    row: Mapping[str, object],
    metric: gpd.GeoDataFrame,
    i: int,
    streets: gpd.GeoDataFrame | None,
    *,
    publish_phones: bool,
    area_name: str,
    community: str | None,
    synthetic: bool,
    date: str,
) -> None:
    width, height = A4
    margin = 15 * mm
    inner = width - 2 * margin
    # frame and title
    pdf.setStrokeColor(TITLE_RED)
    pdf.setLineWidth(3)
    pdf.rect(margin - 4 * mm, margin - 4 * mm, inner + 8 * mm, height - 2 * margin + 8 * mm)
    pdf.setFillColor(TITLE_RED)
    pdf.setFont(font, 30)
    pdf.drawCentredString(width / 2, height - margin - 14 * mm, "网格公示牌")
    pdf.setFillColor(colors.black)
    name = row.get("name")
    name_text = "" if name is None or (isinstance(name, float) and pd.isna(name)) else str(name)
    pdf.setFont(font, 15)
    y = height - margin - 26 * mm
    pdf.drawCentredString(
        width / 2,
        y,
        fit_text(
            pdf,
            font,
            15,
            f"网格编码 {row['code']}" + (f"  ·  {name_text}" if name_text else ""),
            inner,
        ),
    )
    pdf.setFont(font, 11)
    households = metric["households"].iloc[i] if "households" in metric.columns else None
    place = "  ".join(
        x
        for x in (
            area_name,
            f"所属社区 {community or row.get('community') or ''}",
            f"{int(households)} 户" if households is not None and not pd.isna(households) else "",
        )
        if x
    )
    pdf.drawCentredString(width / 2, y - 7 * mm, fit_text(pdf, font, 11, place, inner))
    # map
    map_h = 135 * mm
    box = (margin, y - 12 * mm - map_h, inner, map_h)
    _grid_map(pdf, font, box, metric, i, streets)
    # the 1+3+N team
    top = box[1] - 8 * mm
    pdf.setFont(font, 14)
    pdf.drawString(margin, top, "“1+3+N” 网格服务团队")
    top -= 4 * mm
    label_w = 40 * mm
    row_h = 12 * mm
    for role in ROLE_ROWS:
        names = str(row.get(role) or "")
        phones = str(row.get(f"{role}_phone") or "") if publish_phones else ""
        if role == "volunteer":
            text = names or "（待招募）"
        elif names:
            parts = names.split("、")
            nums = phones.split("、") if phones else []
            text = "、".join(
                f"{n}  {nums[k]}" if k < len(nums) and nums[k] else n for k, n in enumerate(parts)
            )
        else:
            text = "（空缺）"
        pdf.setStrokeColor(colors.HexColor("#999999"))
        pdf.setLineWidth(0.6)
        pdf.rect(margin, top - row_h, inner, row_h, stroke=1, fill=0)
        pdf.setFillColor(colors.HexColor("#f3f3f3"))
        pdf.rect(margin, top - row_h, label_w, row_h, stroke=1, fill=1)
        pdf.setFillColor(colors.black)
        pdf.setFont(font, 12)
        pdf.drawString(margin + 3 * mm, top - row_h + 4.2 * mm, ROLE_ZH[role])
        size = 13 if role != "volunteer" else 11
        pdf.setFont(font, size)
        if text.startswith("（"):
            pdf.setFillColor(colors.grey)
        pdf.drawString(
            margin + label_w + 4 * mm,
            top - row_h + 4.2 * mm,
            fit_text(pdf, font, size, text, inner - label_w - 8 * mm),
        )
        pdf.setFillColor(colors.black)
        top -= row_h
    pdf.setFont(font, 10)
    note = "有事请找网格员。" + ("" if publish_phones else "联系电话请向社区居委会查询。")
    pdf.drawString(margin, top - 7 * mm, note)
    pdf.setFont(font, 7.5)
    pdf.setFillColor(colors.grey)
    foot = (
        f"geogrid · {row['code']}"
        + (f" · {date}" if date else "")
        + " · 地图数据 © OpenStreetMap contributors"
    )
    if synthetic:
        foot += " · 示例（合成）人员名单 SYNTHETIC"
    pdf.drawString(margin, margin - 1 * mm, fit_text(pdf, font, 7.5, foot, inner))
    pdf.setFillColor(colors.black)
    pdf.showPage()


def _grid_map(
    pdf: canvas.Canvas,
    font: str,
    box: tuple[float, float, float, float],
    metric: gpd.GeoDataFrame,
    i: int,
    streets: gpd.GeoDataFrame | None,
) -> None:
    draw_map_outline(pdf, box)
    geom = metric.geometry.iloc[i]
    frame = MapFrame.around(box, geom.bounds, pad_share=0.12, pad_m=40.0)
    xy, view = frame.xy, frame.view

    def polygon(shape: shapely.Geometry, fill: bool, colour: colors.Color, width: float) -> None:
        for part in shapely.get_parts(shape):
            if part.geom_type != "Polygon":
                continue
            path = pdf.beginPath()
            for ring in [part.exterior, *part.interiors]:
                coords = shapely.get_coordinates(ring)
                path.moveTo(*xy(*coords[0]))
                for c in coords[1:]:
                    path.lineTo(*xy(*c))
                path.close()
            pdf.setStrokeColor(colour)
            pdf.setFillColor(GRID_FILL)
            pdf.setLineWidth(width)
            pdf.drawPath(path, stroke=1, fill=1 if fill else 0, fillMode=0)

    with clipped_to(pdf, box):
        polygon(geom, True, GRID_LINE, 0.1)
        if streets is not None:
            draw_streets(pdf, frame, streets, STREETS)
        others = metric[metric.intersects(view)]
        pdf.setDash(3, 2)
        for j, other in zip(others.index, others.geometry, strict=True):
            if j != i:
                polygon(other, False, colors.HexColor("#7a7a7a"), 0.8)
        pdf.setDash()
        polygon(geom, False, GRID_LINE, 2.4)
        # neighbour codes (last 6 digits) at their centres
        pdf.setFont(font, 8)
        pdf.setFillColor(colors.HexColor("#555555"))
        for j, other in zip(others.index, others.geometry, strict=True):
            if j == i:
                continue
            point = shapely.point_on_surface(shapely.intersection(other, view))
            if not point.is_empty:
                pdf.drawCentredString(*xy(point.x, point.y), f"…{str(metric['code'].iloc[j])[-6:]}")
    draw_scale_bar(pdf, font, frame, font_size=8, north_inset=10 * mm)
