"""Printable A4 route sheets (PDF bytes) for patrol team leaders.

One sheet per team: header (team, leader, shift, totals, its share of the
work), a map drawn from the area's own street edges (no tile server), the
route with numbered stops, and a table of stops with times, dwell, notes and
a check box (extra passes marked). A plan of every team ends with an overview
page: each team's share (stops, km, minutes on patrol against the shift,
share of the work against share of the volunteers) and every skipped stop
with the reason. Chinese text
uses an embedded CJK TrueType font (WenQuanYi Micro Hei from Debian
``fonts-wqy-microhei``), subset into the PDF so any viewer shows it.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from geogrid.planning.plan import (
    SKIP_REASONS,
    PatrolPlan,
    TeamRoute,
    TeamShare,
    imbalance,
    skip_reasons,
    team_shares,
)
from geogrid.planning.problem import PatrolProblem, format_hhmm
from geogrid.printing.fonts import KIND_ZH, MODE_ZH, fit_text, start_pdf
from geogrid.printing.streetmap import (
    MapFrame,
    StreetStyle,
    clipped_to,
    draw_map_outline,
    draw_polyline,
    draw_scale_bar,
    draw_streets,
)

REASON_ZH = {
    "no_team": "无队可派",
    "first_pass": "首巡未安排",
    "window": "时窗内赶不到",
    "shift": "班次太短",
    "value": "价值较低",
}
"""Skip reasons (:data:`geogrid.planning.plan.SKIP_REASONS`) in Chinese."""
ROUTE_COLOUR = colors.HexColor("#1f5fbf")
STOP_COLOUR = colors.HexColor("#c0392b")
STREETS = StreetStyle("#9a9a9a", "#c8c8c8", major_width_pt=1.2, minor_width_pt=0.5)


def render_route_sheets(
    problem: PatrolProblem,
    plan: PatrolPlan,
    routes: gpd.GeoDataFrame,
    edges: gpd.GeoDataFrame | None,
    metric_crs: str,
    *,
    title: str = "平安巡逻路线单",
    date: str = "",
    overview: bool | None = None,
) -> bytes:
    """All teams' route sheets as one PDF (one or more A4 pages per team).

    Parameters
    ----------
    problem, plan : the solved problem.
    routes : frame from :func:`geogrid.planning.plan.plan_frames` (one line per team).
    edges : street edges (EPSG:4326) drawn as the map background; None: no streets.
    metric_crs : CRS to draw the map in (metres, north up).
    overview : add the overview page (shares, skipped stops and why); default:
        when ``plan`` holds every team's route.
    """
    document = start_pdf(title)
    pdf, font = document.pdf, document.font
    streets = None
    if edges is not None and len(edges):
        streets = edges.to_crs(metric_crs)
    lines = routes.set_index("team").to_crs(metric_crs) if len(routes) else routes
    whole = len(plan.routes) == len(problem.teams)
    shares = {sh.team: sh for sh in team_shares(problem, plan)} if whole else {}
    for route in plan.routes:
        team = problem.teams[route.team]
        line = lines.geometry.get(team.id) if len(lines) else None
        _sheet(
            pdf,
            font,
            problem,
            route,
            line,
            streets,
            metric_crs,
            title,
            date,
            shares.get(route.team),
        )
    if overview if overview is not None else whole:
        _overview(pdf, font, problem, plan, title, date)
    return document.finish()


def _sheet(
    pdf: canvas.Canvas,
    font: str,
    problem: PatrolProblem,
    route: TeamRoute,
    line: shapely.LineString | None,
    streets: gpd.GeoDataFrame | None,
    metric_crs: str,
    title: str,
    date: str,
    share: TeamShare | None = None,
) -> None:
    team = problem.teams[route.team]
    width, height = A4
    margin = 14 * mm
    top = height - margin
    pdf.setFont(font, 16)
    pdf.drawString(margin, top - 6 * mm, f"{title} · {team.name or team.id}")
    pdf.setFont(font, 9.5)
    info = (
        f"队长 Leader: {team.leader or '—'}   人数 Size: {team.size}   "
        f"方式 Mode: {MODE_ZH.get(team.mode, team.mode)} {team.speed_kmh:g} km/h   "
        f"班次 Shift: {format_hhmm(team.shift_start_s)}–{format_hhmm(team.shift_end_s)}"
    )
    pdf.drawString(margin, top - 12 * mm, info)
    totals = (
        f"出发 Depart {format_hhmm(route.depart_s)}  返回 Back {format_hhmm(route.return_s)}  "
        f"用时 Total {route.total_s // 60} min  路程 Distance {route.metres / 1000:.2f} km  "
        f"停靠点 Stops {len(route.visits)}"
    )
    pdf.drawString(
        margin,
        top - 17 * mm,
        totals + (f"   日期 Date: {date}" if date else "   日期 Date: ________"),
    )
    head = 21 * mm
    if share is not None:
        pdf.drawString(margin, top - 22 * mm, _share_text(share))
        head = 26 * mm

    # ---- map
    map_h = 105 * mm
    map_box = (margin, top - head - map_h, width - 2 * margin, map_h)
    points = [problem.stops[v.stop].point for v in route.visits]
    _draw_map(pdf, font, map_box, team.base, points, line, streets, metric_crs)

    # ---- table
    y = map_box[1] - 8 * mm
    cols = [
        margin,
        margin + 8 * mm,
        margin + 16 * mm,
        margin + 44 * mm,
        margin + 58 * mm,
        margin + 128 * mm,
    ]
    heads = ["✓", "No.", "到达–离开 Time", "停留 min", "地点 Place", "类型 / 备注 Kind / notes"]
    row_h = 7.2 * mm

    def header(y: float) -> float:
        pdf.setFont(font, 9)
        pdf.setFillColor(colors.black)
        for x, h in zip(cols, heads, strict=True):
            pdf.drawString(x + 1, y, "" if h == "✓" else h)
        pdf.line(margin, y - 2, width - margin, y - 2)
        return float(y - row_h)

    y = header(y)
    for n, visit in enumerate(route.visits, 1):
        if y < margin + 12 * mm:
            _footer(pdf, font, team.id, margin)
            pdf.showPage()
            y = header(height - margin - 6 * mm)
        stop = problem.stops[visit.stop]
        pdf.setFont(font, 9.5)
        pdf.rect(cols[0] + 1, y - 1, 4 * mm, 4 * mm, stroke=1, fill=0)
        pdf.drawString(cols[1] + 1, y, str(n))
        pdf.drawString(cols[2] + 1, y, f"{format_hhmm(visit.start_s)}–{format_hhmm(visit.leave_s)}")
        pdf.drawString(cols[3] + 1, y, f"{stop.dwell_s // 60}")
        pdf.drawString(
            cols[4] + 1, y, fit_text(pdf, font, 9.5, stop.name or stop.id, cols[5] - cols[4] - 3)
        )
        note = KIND_ZH.get(stop.kind, stop.kind) + (" 加巡 extra pass" if stop.is_fill else "")
        if stop.window_s:
            note += f" 时窗 {format_hhmm(stop.window_s[0])}–{format_hhmm(stop.window_s[1])}"
        if stop.notes:
            note += f" · {stop.notes}"
        pdf.setFont(font, 8)
        pdf.drawString(cols[5] + 1, y, fit_text(pdf, font, 8, note, width - margin - cols[5] - 2))
        pdf.setStrokeColor(colors.lightgrey)
        pdf.line(margin, y - 2.5 * mm, width - margin, y - 2.5 * mm)
        pdf.setStrokeColor(colors.black)
        y -= row_h
    if not route.visits:
        pdf.setFont(font, 10)
        pdf.drawString(margin, y, "本班次无巡逻点 No stops on this shift.")
    _footer(pdf, font, team.id, margin)
    pdf.showPage()


def _share_text(share: TeamShare) -> str:
    return (
        f"巡逻 On patrol {share.patrol_s // 60}/{share.shift_s // 60} min   "
        f"加巡 Extra passes {share.passes}   工作份额 Work {share.work_share:.0%} "
        f"(人员 volunteers {share.volunteer_share:.0%}, 应担 fair {share.fair_share:.0%})"
    )


def _overview(
    pdf: canvas.Canvas, font: str, problem: PatrolProblem, plan: PatrolPlan, title: str, date: str
) -> None:
    """The last page: every team's share of the work and every skipped stop with the reason."""
    width, height = A4
    margin = 14 * mm
    y = height - margin - 6 * mm
    pdf.setFont(font, 16)
    pdf.drawString(margin, y, f"{title} · 总览 Overview" + (f" · {date}" if date else ""))
    y -= 9 * mm
    pdf.setFont(font, 9.5)
    shares = team_shares(problem, plan)
    off = imbalance([sh.work for sh in shares], [sh.fair_share for sh in shares])
    pdf.drawString(
        margin,
        y,
        f"奖励分 Prize {plan.prize}   停靠点 Stops {sum(sh.stops for sh in shares)}   "
        f"加巡 Extra passes {sum(sh.passes for sh in shares)}   偏离应担 Off fair shares {off:.0f}",
    )
    y -= 9 * mm
    cols = [
        margin,
        margin + 42 * mm,
        margin + 60 * mm,
        margin + 78 * mm,
        margin + 96 * mm,
        margin + 124 * mm,
        margin + 146 * mm,
        margin + 164 * mm,
    ]
    heads = [
        "队 Team",
        "点 Stops",
        "加巡 Extra",
        "km",
        "巡逻/班次 min",
        "工作 Work",
        "人员 Vol.",
        "应担 Fair",
    ]
    pdf.setFont(font, 9)
    for x, h in zip(cols, heads, strict=True):
        pdf.drawString(x + 1, y, h)
    pdf.line(margin, y - 2, width - margin, y - 2)
    y -= 7 * mm
    for sh in shares:
        team = problem.teams[sh.team]
        cells = [
            fit_text(pdf, font, 9, team.name or team.id, cols[1] - cols[0] - 3),
            str(sh.stops),
            str(sh.passes),
            f"{sh.metres / 1000:.1f}",
            f"{sh.patrol_s // 60}/{sh.shift_s // 60}",
            f"{sh.work_share:.0%}",
            f"{sh.volunteer_share:.0%}",
            f"{sh.fair_share:.0%}",
        ]
        pdf.setFont(font, 9)
        for x, c in zip(cols, cells, strict=True):
            pdf.drawString(x + 1, y, c)
        y -= 6.5 * mm
    y -= 6 * mm
    skipped = skip_reasons(problem, plan)
    pdf.setFont(font, 12)
    pdf.drawString(margin, y, f"未安排的巡逻点 Skipped stops ({len(skipped)})")
    y -= 7 * mm
    if not skipped:
        pdf.setFont(font, 9.5)
        pdf.drawString(margin, y, "无 None: every stop is on a route.")
    for sk in skipped:
        if y < margin + 16 * mm:
            _footer(pdf, font, "overview", margin)
            pdf.showPage()
            y = height - margin - 6 * mm
        stop = problem.stops[sk.stop]
        pdf.setFont(font, 9.5)
        pdf.drawString(margin + 1, y, fit_text(pdf, font, 9.5, stop.name or stop.id, 70 * mm))
        pdf.drawString(
            margin + 72 * mm,
            y,
            fit_text(
                pdf, font, 9.5, f"{KIND_ZH.get(stop.kind, stop.kind)} · {stop.prize} 分", 28 * mm
            ),
        )
        pdf.drawString(margin + 102 * mm, y, f"{REASON_ZH[sk.reason]} {SKIP_REASONS[sk.reason]}")
        pdf.setFont(font, 7.5)
        pdf.setFillColor(colors.grey)
        pdf.drawString(
            margin + 4 * mm,
            y - 4 * mm,
            fit_text(pdf, font, 7.5, sk.text, width - 2 * margin - 5 * mm),
        )
        pdf.setFillColor(colors.black)
        y -= 10 * mm
    _footer(pdf, font, "overview", margin)
    pdf.showPage()


def _footer(pdf: canvas.Canvas, font: str, team_id: str, margin: float) -> None:
    pdf.setFont(font, 7.5)
    pdf.setFillColor(colors.grey)
    pdf.drawString(
        margin,
        margin - 6 * mm,
        f"geogrid · {team_id} · 签名 Signature: ____________   "
        "地图数据 © OpenStreetMap contributors",
    )
    pdf.setFillColor(colors.black)


def _draw_map(
    pdf: canvas.Canvas,
    font: str,
    box: tuple[float, float, float, float],
    base: tuple[float, float] | None,
    points: list[tuple[float, float] | None],
    line: shapely.LineString | None,
    streets: gpd.GeoDataFrame | None,
    metric_crs: str,
) -> None:
    draw_map_outline(pdf, box)
    lonlat = [p for p in [base, *points] if p is not None]
    if not lonlat:
        return
    pts = gpd.GeoSeries(shapely.points(np.asarray(lonlat)), crs="EPSG:4326").to_crs(metric_crs)
    geoms = list(pts)
    if line is not None and not line.is_empty:
        geoms.append(line)
    bounds = shapely.GeometryCollection(geoms).bounds
    frame = MapFrame.around(box, bounds, pad_share=0.08, pad_m=80.0)
    xy = frame.xy
    with clipped_to(pdf, box):
        if streets is not None:
            draw_streets(pdf, frame, streets, STREETS)
        if line is not None and not line.is_empty:
            pdf.setStrokeColor(ROUTE_COLOUR)
            pdf.setLineWidth(2.0)
            draw_polyline(pdf, frame, line)
        metric = [shapely.get_coordinates(g)[0] for g in pts]
        start = 0
        if base is not None:
            x, y = xy(*metric[0])
            pdf.setFillColor(colors.black)
            pdf.rect(x - 4, y - 4, 8, 8, stroke=0, fill=1)
            pdf.setFillColor(colors.white)
            pdf.setFont(font, 6.5)
            pdf.drawCentredString(x, y - 2.2, "B")
            start = 1
        for n, c in enumerate(metric[start:], 1):
            x, y = xy(*c)
            pdf.setFillColor(STOP_COLOUR)
            pdf.setStrokeColor(colors.white)
            pdf.circle(x, y, 5.2, stroke=1, fill=1)
            pdf.setFillColor(colors.white)
            pdf.setFont(font, 6.5 if n < 10 else 5.5)
            pdf.drawCentredString(x, y - 2.2, str(n))
    draw_scale_bar(pdf, font, frame, font_size=7, north_inset=8 * mm)
