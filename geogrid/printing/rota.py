"""Printable A4 weekly rotas (PDF bytes): one for the district, one per team.

Both print a rota document (:func:`geogrid.planning.rota.rota_document`,
what ``rota.json`` holds), so paper and file always agree. The district
sheet is a landscape table of the week's dates x teams, each cell the stops
that team covers that night; a team's sheet is a portrait table of its seven
days with shift, stops, a check box and a line to sign. Chinese text with
English small print, in the embedded CJK font of :mod:`geogrid.printing.fonts`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

from geogrid.printing.fonts import KIND_ZH, MODE_ZH, register_cjk_font, start_pdf

TITLE = "平安巡逻周排班表"
TEAMS_PER_PAGE = 6
MARGIN = 12 * mm
GREY = colors.HexColor("#666666")
SHADE = colors.HexColor("#eef2f7")
OFF_SHADE = colors.HexColor("#f7f7f7")


def wrap_text(text: str, font: str, size: float, width: float) -> list[str]:
    """``text`` cut into lines no wider than ``width`` (between words where it can, any
    character for Chinese)."""
    lines: list[str] = []
    line = ""
    for ch in text:
        if stringWidth(line + ch, font, size) <= width:
            line += ch
            continue
        cut = line.rfind(" ")
        if ch != " " and cut > len(line) // 2:
            lines.append(line[:cut])
            line = line[cut + 1 :] + ch
        else:
            lines.append(line)
            line = "" if ch == " " else ch
    if line:
        lines.append(line)
    return lines


def _stop_text(stop: Mapping[str, Any]) -> str:
    """``"护学岗 <name>"`` for a school post, ``"热点 <name>"``... for the rest."""
    if stop.get("duty") == "school":
        return f"护学岗 {stop['name']}"
    kind = KIND_ZH.get(str(stop["kind"]), str(stop["kind"]))
    name = str(stop["name"])
    return name if name.startswith(kind) else f"{kind} {name}"


def _day_head(day: Mapping[str, Any]) -> tuple[str, str]:
    mark = day["note"] or ("上学日" if day["school_day"] else "")
    return f"{day['weekday_zh']} {day['date'][5:]}", f"{day['weekday']} {mark}".strip()


def _footer(pdf: canvas.Canvas, font: str, document: Mapping[str, Any], what: str) -> None:
    pdf.setFont(font, 7)
    pdf.setFillColor(GREY)
    pdf.drawString(
        MARGIN,
        MARGIN - 5 * mm,
        f"geogrid rota · {document.get('area', '')} · {document['week']} · {what} · "
        "check a box when done; report changes to the district office",
    )
    pdf.setFillColor(colors.black)


def render_district_rota(document: Mapping[str, Any]) -> bytes:
    """The district's week: dates down, teams across (``TEAMS_PER_PAGE`` per page), each cell
    the stops the team covers that night; team totals underneath."""
    page_w, page_h = landscape(A4)
    out = start_pdf(f"{TITLE} {document['week']}", (page_w, page_h))
    teams = list(document["teams"])
    for first in range(0, max(len(teams), 1), TEAMS_PER_PAGE):
        _district_page(
            out.pdf, out.font, document, teams[first : first + TEAMS_PER_PAGE], page_w, page_h
        )
    return out.finish()


def _district_page(
    pdf: canvas.Canvas,
    font: str,
    document: Mapping[str, Any],
    teams: Sequence[Mapping[str, Any]],
    page_w: float,
    page_h: float,
) -> None:
    top = page_h - MARGIN
    dates = document["dates"]
    pdf.setFont(font, 16)
    pdf.drawString(
        MARGIN, top - 6 * mm, f"{TITLE} · {document.get('area', '')} · {document['week']}"
    )
    pdf.setFont(font, 8)
    pdf.setFillColor(GREY)
    pdf.drawString(
        MARGIN,
        top - 11 * mm,
        f"Weekly patrol rota {dates[0]} – {dates[-1]}: which team patrols "
        "which night and the stops it covers. 护学岗 = school post (school days only).",
    )
    pdf.setFillColor(colors.black)
    day_w = 26 * mm
    col_w = (page_w - 2 * MARGIN - day_w) / max(len(teams), 1)
    y = top - 18 * mm
    pdf.setFillColor(SHADE)
    pdf.rect(MARGIN, y - 9 * mm, page_w - 2 * MARGIN, 11 * mm, stroke=0, fill=1)
    pdf.setFillColor(colors.black)
    pdf.setFont(font, 9)
    pdf.drawString(MARGIN + 1.5 * mm, y - 2.5 * mm, "日期 Date")
    for k, team in enumerate(teams):
        x = MARGIN + day_w + k * col_w + 1.5 * mm
        pdf.setFont(font, 9.5)
        pdf.drawString(
            x, y - 2.5 * mm, wrap_text(str(team["team_name"]), font, 9.5, col_w - 3 * mm)[0]
        )
        pdf.setFont(font, 7)
        pdf.setFillColor(GREY)
        leader = f"队长 {team['leader']} · " if team.get("leader") else ""
        pdf.drawString(
            x,
            y - 7 * mm,
            wrap_text(f"{leader}{team['size']}人 · {team['team']}", font, 7, col_w - 3 * mm)[0],
        )
        pdf.setFillColor(colors.black)
    y -= 9 * mm
    size = 8.0
    bottom = MARGIN + 16 * mm
    cells = {}
    for day in document["days"]:
        mine = {duty["team"]: duty for duty in day["teams"]}
        for team in teams:
            duty = mine.get(team["team"])
            text = (
                []
                if duty is None
                else [f"{duty['shift']} · {len(duty['stops'])} 点"]
                + [
                    line
                    for s in duty["stops"]
                    for line in wrap_text(_stop_text(s), font, size, col_w - 3 * mm)
                ]
            )
            cells[day["date"], team["team"]] = text
    lines_of = [
        max([2] + [len(cells[day["date"], t["team"]]) for t in teams]) for day in document["days"]
    ]
    row_line = min(size * 1.25, (y - bottom - 7 * 2 * mm) / max(sum(lines_of), 1))
    size = min(size, row_line / 1.25)
    for day, n_lines in zip(document["days"], lines_of, strict=True):
        row_h = n_lines * row_line + 2 * mm
        if not day["school_day"]:
            pdf.setFillColor(OFF_SHADE)
            pdf.rect(MARGIN, y - row_h, page_w - 2 * MARGIN, row_h, stroke=0, fill=1)
            pdf.setFillColor(colors.black)
        zh, en = _day_head(day)
        pdf.setFont(font, 9.5)
        pdf.drawString(MARGIN + 1.5 * mm, y - 4 * mm, zh)
        pdf.setFont(font, 7)
        pdf.setFillColor(GREY)
        pdf.drawString(MARGIN + 1.5 * mm, y - 8 * mm, en)
        pdf.setFillColor(colors.black)
        for k, team in enumerate(teams):
            x = MARGIN + day_w + k * col_w + 1.5 * mm
            text = cells[day["date"], team["team"]]
            if not text:
                pdf.setFont(font, 8)
                pdf.setFillColor(GREY)
                pdf.drawString(x, y - 4 * mm, "休 off")
                pdf.setFillColor(colors.black)
            for n, line in enumerate(text):
                pdf.setFont(font, size if n else size + 0.5)
                pdf.drawString(x, y - 4 * mm - n * row_line, line)
        pdf.setStrokeColor(colors.lightgrey)
        pdf.line(MARGIN, y - row_h, page_w - MARGIN, y - row_h)
        pdf.setStrokeColor(colors.black)
        y -= row_h
    for k in range(len(teams) + 1):
        x = MARGIN + day_w + k * col_w
        pdf.setStrokeColor(colors.lightgrey)
        pdf.line(x, top - 18 * mm, x, y)
    pdf.setStrokeColor(colors.black)
    y -= 5 * mm
    pdf.setFont(font, 8.5)
    pdf.drawString(MARGIN + 1.5 * mm, y, "合计 Total")
    for k, team in enumerate(teams):
        x = MARGIN + day_w + k * col_w + 1.5 * mm
        pdf.drawString(x, y, f"{team['nights']} 晚 nights · {team['visits']} 点 visits")
        pdf.setFont(font, 7)
        pdf.setFillColor(GREY)
        pdf.drawString(x, y - 4 * mm, f"per volunteer weight {team['weighted_nights']:g}")
        pdf.setFillColor(colors.black)
        pdf.setFont(font, 8.5)
    fair = document.get("fairness", {})
    pdf.setFont(font, 7)
    pdf.setFillColor(GREY)
    pdf.drawString(
        MARGIN,
        y - 9 * mm,
        f"Fairness: nights are shared by volunteers (most {fair.get('max_weighted_nights', '')} "
        f"nights per volunteer weight); hot spots spread over teams "
        f"{float(fair.get('spread', 1)):.0%} of the most possible. Grey rows: no school.",
    )
    pdf.setFillColor(colors.black)
    _footer(pdf, font, document, "district")
    pdf.showPage()


def render_team_rota(document: Mapping[str, Any], team_id: str) -> bytes:
    """One team's week (portrait A4): its seven days with shift, stops, check box and signature."""
    register_cjk_font()  # a missing font is said first
    team = next((t for t in document["teams"] if t["team"] == team_id), None)
    if team is None:
        raise ValueError(f"no team {team_id!r} in the rota of {document['week']}")
    page_w, page_h = A4
    out = start_pdf(f"{TITLE} {document['week']} {team['team_name']}")
    pdf, font = out.pdf, out.font
    top = page_h - MARGIN
    pdf.setFont(font, 16)
    pdf.drawString(MARGIN, top - 6 * mm, f"{TITLE} · {team['team_name']} · {document['week']}")
    pdf.setFont(font, 9.5)
    mode = MODE_ZH.get(str(team.get("mode")), str(team.get("mode", "")))
    pdf.drawString(
        MARGIN,
        top - 12 * mm,
        f"队长 Leader: {team.get('leader') or '—'}   人数 Size: {team['size']}   "
        f"方式 Mode: {mode}   值班日 Roster: {team['roster']}",
    )
    pdf.drawString(
        MARGIN,
        top - 17 * mm,
        f"本周 This week: {team['nights']} 晚 nights, {team['visits']} 个点 stop visits",
    )
    pdf.setFont(font, 7.5)
    pdf.setFillColor(GREY)
    pdf.drawString(
        MARGIN,
        top - 21.5 * mm,
        "Weekly rota of the team: each night's route sheet and GPX come with the "
        "night's plan. 护学岗 = school post, 热点 = hot spot.",
    )
    pdf.setFillColor(colors.black)
    cols = [
        MARGIN,
        MARGIN + 26 * mm,
        MARGIN + 50 * mm,
        page_w - MARGIN - 54 * mm,
        page_w - MARGIN - 36 * mm,
    ]
    y = top - 30 * mm
    pdf.setFont(font, 9)
    for x, head in zip(
        cols, ["日期 Date", "班次 Shift", "巡逻点 Stops", "✓", "签名 Signed"], strict=True
    ):
        pdf.drawString(x + 1, y, "完成 Done" if head == "✓" else head)
    pdf.line(MARGIN, y - 2, page_w - MARGIN, y - 2)
    y -= 6 * mm
    for day in document["days"]:
        duty = next((d for d in day["teams"] if d["team"] == team_id), None)
        lines = (
            ["休 off"]
            if duty is None
            else [
                line
                for s in duty["stops"]
                for line in wrap_text(_stop_text(s), font, 8.5, cols[3] - cols[2] - 4 * mm)
            ]
        )
        row_h = max(10 * mm, len(lines) * 4 * mm + 3 * mm)
        if not day["school_day"]:
            pdf.setFillColor(OFF_SHADE)
            pdf.rect(MARGIN, y - row_h + 4 * mm, page_w - 2 * MARGIN, row_h, stroke=0, fill=1)
            pdf.setFillColor(colors.black)
        zh, en = _day_head(day)
        pdf.setFont(font, 9.5)
        pdf.drawString(cols[0] + 1, y, zh)
        pdf.setFont(font, 7)
        pdf.setFillColor(GREY)
        pdf.drawString(cols[0] + 1, y - 4 * mm, en)
        pdf.setFillColor(colors.black)
        pdf.setFont(font, 9)
        pdf.drawString(cols[1] + 1, y, duty["shift"] if duty else "—")
        for n, line in enumerate(lines):
            pdf.setFont(font, 8.5)
            if duty is None:
                pdf.setFillColor(GREY)
            pdf.drawString(cols[2] + 1, y - n * 4 * mm, line)
            pdf.setFillColor(colors.black)
        if duty is not None:
            pdf.rect(cols[3] + 2 * mm, y - 1, 4 * mm, 4 * mm, stroke=1, fill=0)
            pdf.line(cols[4] + 1, y - 1, page_w - MARGIN, y - 1)
        pdf.setStrokeColor(colors.lightgrey)
        pdf.line(MARGIN, y - row_h + 4 * mm, page_w - MARGIN, y - row_h + 4 * mm)
        pdf.setStrokeColor(colors.black)
        y -= row_h
    _footer(pdf, font, document, team_id)
    pdf.showPage()
    return out.finish()
