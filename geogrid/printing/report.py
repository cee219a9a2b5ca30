"""The monthly patrol report as an A4 PDF with charts (matplotlib, Agg, CJK font).

Page 1: the month's headline figures and volunteer-hours per team and per day;
page 2: hot-spot visits and coverage, 护学岗 attendance on school days, and
the incident trend at patrolled hot spots against the others, labelled
descriptive, not causal. Every number drawn comes from the
:class:`~geogrid.planning.report.MonthlyReport` (the CSV and Excel files
carry the same ones). The CJK font is the one the route sheets embed
(:data:`geogrid.printing.fonts.CJK_FONT_PATHS`).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import matplotlib as mpl
import pandas as pd

mpl.use("Agg")
import matplotlib.pyplot as plt
from matplotlib import font_manager
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.ticker import MaxNLocator

from geogrid.errors import InputError
from geogrid.planning.report import MonthlyReport
from geogrid.printing.fonts import CJK_FONT_PATHS

A4_IN = (8.27, 11.69)
BLUE, GREY, RED = "#1f5fbf", "#9a9a9a", "#c0392b"
HEADLINES = (
    ("patrols", "巡逻次数 patrols", "{:d}"),
    ("teams", "参与队伍 teams", "{:d}"),
    ("volunteer_hours", "志愿服务时长 volunteer-hours", "{:.1f} h"),
    ("hours", "巡逻时长 patrol hours", "{:.1f} h"),
    ("km", "巡逻里程 km walked", "{:.1f} km"),
    ("stops_done", "完成站点 stops done", "{:d}"),
    ("stops_planned", "计划站点 stops planned", "{:d}"),
    ("completion", "完成率 completion", "{:.0%}"),
    ("hotspot_visits", "热点到访 hot-spot visits", "{:d}"),
    ("hotspot_coverage", "热点覆盖 hot-spot coverage", "{:.0%}"),
    ("school_days_attended", "护学岗到岗 school posts attended", "{:d}"),
    ("school_days_planned", "护学岗应到 school posts due", "{:d}"),
    ("school_attendance", "护学岗到岗率 attendance", "{:.0%}"),
)


def cjk_font(paths: tuple[str, ...] = CJK_FONT_PATHS) -> str:
    """Register the route sheets' CJK font with matplotlib; returns its family name."""
    for path in paths:
        if Path(path).exists():
            font_manager.fontManager.addfont(path)
            return str(font_manager.FontProperties(fname=path).get_name())
    raise InputError(
        "no CJK font for the monthly report; install the Debian package fonts-wqy-microhei",
        [f"looked for {p}" for p in paths],
    )


def render_monthly_report(report: MonthlyReport, area: str = "") -> bytes:
    """The report as PDF bytes (two A4 pages)."""
    family = cjk_font()
    style: Any = {
        "font.family": family,
        "font.size": 9,
        "axes.unicode_minus": False,
        "pdf.fonttype": 42,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
    out = io.BytesIO()
    with (
        plt.rc_context(style),
        PdfPages(
            out, metadata={"Title": f"{area} {report.month} patrol report", "Creator": "geogrid"}
        ) as pdf,
    ):
        pdf.savefig(_page_one(report, area))
        pdf.savefig(_page_two(report, area))
        plt.close("all")
    return out.getvalue()


def _title(fig: Any, report: MonthlyReport, area: str, page: int) -> None:
    fig.text(
        0.07,
        0.965,
        f"{area} 巡逻月报 Monthly patrol report · {report.month}",
        fontsize=15,
        va="top",
    )
    fig.text(
        0.07,
        0.94,
        "内部资料 staff only · 原始数量，不对外公布 raw counts, not for publication",
        fontsize=8,
        color=GREY,
        va="top",
    )
    fig.text(0.93, 0.02, f"{page}/2", fontsize=8, color=GREY, ha="right")


def _page_one(report: MonthlyReport, area: str) -> Any:
    fig = plt.figure(figsize=A4_IN)
    _title(fig, report, area, 1)
    figures = report.figures()
    y = 0.9
    for n, (key, label, fmt) in enumerate(HEADLINES):
        col, row = n % 2, n // 2
        value = figures[key]
        fig.text(0.07 + col * 0.45, y - row * 0.028, label, fontsize=9.5)
        fig.text(
            0.45 + col * 0.45,
            y - row * 0.028,
            fmt.format(value),
            fontsize=10,
            ha="right",
        )
    ax = fig.add_axes((0.1, 0.42, 0.82, 0.24))
    teams = report.per_team
    if len(teams):
        bars = ax.bar(teams["team"].astype(str), teams["volunteer_hours"], color=BLUE)
        ax.bar_label(bars, labels=[f"{v:.1f}" for v in teams["volunteer_hours"]], fontsize=8)
    else:
        ax.text(0.5, 0.5, "本月无巡逻记录 no patrols logged", ha="center", transform=ax.transAxes)
    ax.set_title("各队志愿服务时长 Volunteer-hours per team", loc="left")
    ax.set_ylabel("人·小时 person-hours")
    ax = fig.add_axes((0.1, 0.08, 0.82, 0.24))
    days = report.per_day
    if len(days):
        labels = [d[-2:] for d in days["date"]]
        ax.bar(labels, days["patrols"], color=GREY, label="巡逻次数 patrols")
        ax.set_ylabel("巡逻次数 patrols")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        twin = ax.twinx()
        twin.plot(
            labels,
            days["volunteer_hours"],
            color=BLUE,
            marker="o",
            label="志愿服务时长 volunteer-hours",
        )
        twin.set_ylabel("人·小时 person-hours")
        twin.spines["top"].set_visible(False)
        ax.legend(loc="upper left", fontsize=8, frameon=False)
        twin.legend(loc="upper right", fontsize=8, frameon=False)
    ax.set_title("每日巡逻 Patrols per day (日 day of month)", loc="left")
    return fig


def _done_against_due(
    ax: Any,
    table: pd.DataFrame,
    due: tuple[str, str, str],
    done: tuple[str, str, str],
    empty: str,
) -> None:
    """Horizontal bars per ``name`` of ``table``: what was due (pale) with what was done over
    it; ``due`` and ``done`` are (column, colour, legend label); ``empty`` when no rows."""
    if not len(table):
        ax.text(0.5, 0.5, empty, ha="center", transform=ax.transAxes)
        return
    names = [str(n)[:18] for n in table["name"]]
    for column, colour, label in (due, done):
        ax.barh(names, table[column], color=colour, label=label)
    ax.invert_yaxis()
    ax.legend(fontsize=8, frameon=False, loc="lower right", bbox_to_anchor=(1, 1.0), ncols=2)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _page_two(report: MonthlyReport, area: str) -> Any:
    fig = plt.figure(figsize=A4_IN)
    _title(fig, report, area, 2)
    charts = (
        (
            (0.3, 0.63, 0.62, 0.24),
            report.hotspots,
            ("planned", "#dfe6f3", "计划 planned passes"),
            ("visited", BLUE, "到访 visited"),
            "无热点站点 no hot-spot stops",
            f"热点到访 Hot-spot visits · 覆盖 coverage {report.hotspot_coverage:.0%}",
        ),
        (
            (0.3, 0.36, 0.62, 0.18),
            report.schools,
            ("school_days", "#f3e0dd", "应到 school days"),
            ("attended", RED, "到岗 attended"),
            "无护学岗 no school posts",
            f"护学岗到岗 School posts on school days · {report.school_attendance:.0%}",
        ),
    )
    for rect, table, due, done, empty, title in charts:
        ax = fig.add_axes(rect)
        _done_against_due(ax, table, due, done, empty)
        ax.set_title(title, loc="left", pad=18)
    ax = fig.add_axes((0.12, 0.11, 0.8, 0.18))
    trend = report.trend
    periods = (
        ("last_year", "去年同月 same month last year", "#cfcfcf"),
        ("before", "上月 month before", GREY),
        ("month", "本月 this month", BLUE),
    )
    if len(trend):
        width = 0.25
        for k, (key, label, colour) in enumerate(periods):
            xs = [i + (k - 1) * width for i in range(len(trend))]
            bars = ax.bar(xs, trend[key], width, color=colour, label=label)
            ax.bar_label(bars, fontsize=8)
        ax.set_xticks(
            range(len(trend)),
            [
                f"{'已巡逻热点 patrolled' if g == 'patrolled' else '其他热点 other'} ({n})"
                for g, n in zip(trend["group"], trend["spots"], strict=True)
            ],
        )
        ax.legend(fontsize=8, frameon=False)
    else:
        ax.text(0.5, 0.5, "无警情数据 no incidents", ha="center", transform=ax.transAxes)
    ax.set_title("热点附近警情 Incidents near hot spots", loc="left")
    ax.set_ylabel("警情数 incidents")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    fig.text(
        0.12,
        0.03,
        f"{report.caveat}: 巡逻去往警情多的地方，变化有多种原因。\n"
        "Patrols go where incidents are; a change has many causes.",
        fontsize=8,
        color=RED,
        va="bottom",
    )
    return fig
