"""Words the public pages and maps show, in Chinese (default) and English."""

from __future__ import annotations

from typing import Any

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"

TEXTS: dict[str, dict[str, Any]] = {
    "zh": {
        "html_lang": "zh-CN",
        "title": "社区平安地图",
        "description": (
            "本图按网格统计公开事件密度（每千户事件数），只显示统计结果，"
            "不显示任何事件的具体位置、时间或编号。数字按网格、类别和月份统计，"
            "少于 5 起的不公开，必要时再隐去其他数值，使其无法推算；"
            "含有不公开数值的合计显示为“至少”。"
        ),
        "description_cell": (
            "本图按 {cell} 米方格统计公开事件数，只显示统计结果，"
            "不显示任何事件的具体位置、时间或编号。数字按方格、类别和月份统计，"
            "少于 5 起的不公开；含有不公开数值的合计显示为“至少”，没有公开数字的方格不显示。"
        ),
        "synthetic": "演示数据：图中事件为程序生成的合成数据，并非真实事件。",
        "synthetic_short": "合成数据（演示）",
        "switch_lang": "English",
        "switch_lang_code": "en",
        "attribution": "数据来源",
        "boundary": "区域边界",
        "streets": "街道底图",
        "osm_tiles": "OpenStreetMap 底图",
        "tiles": {
            "osm": "OpenStreetMap 底图",
            "tianditu": "天地图底图",
            "amap": "高德底图（GCJ-02）",
        },
        "basemap": "底图",
        "basemaps": {
            "offline": "离线街道图",
            "osm": "OpenStreetMap",
            "tianditu": "天地图",
            "amap": "高德地图",
        },
        "trend": "月度趋势",
        "filter_from": "起始月份",
        "filter_to": "截止月份",
        "filter_category": "事件类别",
        "filter_all": "全部类别",
        "filter_apply": "筛选",
        "filter_reset": "重置",
        "yoy_title": "同比",
        "yoy_text": "{start} 至 {end} 事件数：{count}，上年同期（{pstart} 至 {pend}）：{pcount}",
        "yoy_only": "{start} 至 {end} 事件数：{count}；{none}",
        "yoy_up": "同比上升 {pct}%",
        "yoy_down": "同比下降 {pct}%",
        "yoy_flat": "同比持平",
        "yoy_none": "上年同期无可比数据",
        "yoy_hidden": "不公开（少于 5）",
        "yoy_unknown": "变化不详（部分数字不公开）",
        "at_least": "至少 {n}",
        # a figure whose every part is hidden (lower bound 0, not exact): not "至少 0"
        "not_published": "不公开（少于 5 起或为防推算而隐藏）",
        "at_least_note": (
            "“至少”：其中部分月份或类别的数字不公开（少于 5 起，或为防止推算而隐去）；"
            "“不公开”：其中全部数字都不公开"
        ),
        "categories_overlap_note": (
            "一起案件可含多个案由：合计按案件计，每起一次；各类别统计含该案由的案件，"
            "因此各类别相加可能多于合计。"
        ),
        "density_grid": "事件密度（每千户）",
        "density_cell": "事件密度（每 {cell} 米方格）",
        "legend_grid": "每千户事件数",
        "legend_cell": "每 {cell} 米方格事件数",
        "suppressed": "不公开（少于 5 起，或防止推算）",
        "no_households": "无住户数据",
        "cell_hidden": "没有公开数字的方格不显示",
        "field_name": "网格",
        "field_incidents": "事件数",
        "field_households": "住户数",
        "field_rate": "每千户事件数",
        "fewer_than": "不公开",
        "layers": {
            "schools": "学校",
            "police": "警务",
            "health": "医疗",
            "markets": "市场商场",
            "stations": "车站",
            "banks": "银行",
            "other": "其他场所",
            "key_places": "重点场所",
        },
        "error_title": "出错了",
        "error_back": "返回地图",
        "error_not_found": "找不到这个页面。",
        "error_unavailable": "地图数据暂时无法读取。",
        "error_internal": "服务器内部错误，请稍后再试。",
        # phone layout, grid card, search and locate (static/js/public_card.js)
        "header_more": "筛选与说明",
        "show_layers": "图层",
        "show_legend": "图例",
        "card_close": "关闭",
        "card_cell": "方格",
        "card_code": "网格编号",
        "card_total": "{start} 至 {end}",
        "card_worker": "网格员",
        "card_phone": "联系电话",
        "card_contact_hidden": "网格员联系方式未公开。",
        "card_loading": "正在读取公开统计……",
        "chart_hidden": "灰色斜纹：不公开",
        "chart_at_least": "浅色：至少（部分不公开）",
        "search": "搜索",
        "search_placeholder": "搜索地点、街道或网格",
        "search_none": "没有找到“{q}”。",
        "search_outside": "不在公开的网格内",
        "search_failed": "搜索暂时不可用。",
        "kind_grid": "网格",
        "kind_street": "街道",
        "locate": "定位",
        "locate_title": "找到我所在的网格",
        "locate_busy": "正在定位……",
        "locate_failed": "无法获取您的位置。",
        "locate_outside": "您的位置不在本区域公开的网格内。",
        "locate_here": "您的位置",
    },
    "en": {
        "html_lang": "en",
        "title": "Community Safety Map",
        "description": (
            "Incident density per grid (incidents per 1,000 households). Only statistics "
            "are shown, never the place, time or id of an incident. Counts are kept by "
            "grid, category and month; those under 5 are not published, and where needed "
            "others are withheld so that none can be worked out; a total with an "
            "unpublished count inside reads 'at least'."
        ),
        "description_cell": (
            "Incident counts per {cell} m square. Only statistics are shown, never the "
            "place, time or id of an incident. Counts under 5 (by square, category and "
            "month) are not published; a total with one inside reads 'at least'; squares "
            "with no published count are not shown."
        ),
        "synthetic": "Demo data: the incidents on this map are synthetic, not real events.",
        "synthetic_short": "Synthetic data (demo)",
        "switch_lang": "中文",
        "switch_lang_code": "zh",
        "attribution": "Data sources",
        "boundary": "Area boundary",
        "streets": "Streets (offline basemap)",
        "osm_tiles": "OpenStreetMap tiles",
        "tiles": {
            "osm": "OpenStreetMap tiles",
            "tianditu": "Tianditu tiles",
            "amap": "Amap tiles (GCJ-02)",
        },
        "basemap": "Basemap",
        "basemaps": {
            "offline": "Offline streets",
            "osm": "OpenStreetMap",
            "tianditu": "Tianditu",
            "amap": "Amap",
        },
        "trend": "Monthly trend",
        "filter_from": "From month",
        "filter_to": "To month",
        "filter_category": "Category",
        "filter_all": "All categories",
        "filter_apply": "Apply",
        "filter_reset": "Reset",
        "yoy_title": "Year over year",
        "yoy_text": "Incidents {start} to {end}: {count}; same months a year earlier "
        "({pstart} to {pend}): {pcount}",
        "yoy_only": "Incidents {start} to {end}: {count}; {none}.",
        "yoy_up": "up {pct}% year over year",
        "yoy_down": "down {pct}% year over year",
        "yoy_flat": "unchanged year over year",
        "yoy_none": "no comparable data a year earlier",
        "yoy_hidden": "not published (fewer than 5)",
        "yoy_unknown": "change unknown (some counts are not published)",
        "at_least": "at least {n}",
        # a figure whose every part is hidden (lower bound 0, not exact): not "at least 0"
        "not_published": "not published (under 5, or hidden so others cannot be worked out)",
        "at_least_note": "'at least': some months or categories inside are not published "
        "(fewer than 5, or withheld so that none can be worked out); "
        "'not published': none of the figures inside is published",
        "categories_overlap_note": (
            "One case can involve several offences: totals count each case once, a "
            "category counts the cases that include it, so the categories can add up to "
            "more than the total."
        ),
        "density_grid": "Incident density (per 1,000 households)",
        "density_cell": "Incident density (per {cell} m cell)",
        "legend_grid": "Incidents per 1,000 households",
        "legend_cell": "Incidents per {cell} m cell",
        "suppressed": "not published (fewer than 5, or to prevent inference)",
        "no_households": "no household data",
        "cell_hidden": "cells with no published count are not shown",
        "field_name": "Grid",
        "field_incidents": "Incidents",
        "field_households": "Households",
        "field_rate": "Per 1,000 households",
        "fewer_than": "not published",
        "layers": {
            "schools": "Schools",
            "police": "Police",
            "health": "Health",
            "markets": "Markets",
            "stations": "Stations",
            "banks": "Banks",
            "other": "Other places",
            "key_places": "Key places",
        },
        "error_title": "Something went wrong",
        "error_back": "Back to the map",
        "error_not_found": "This page does not exist.",
        "error_unavailable": "The map data cannot be read right now.",
        "error_internal": "Internal server error; please try again later.",
        # phone layout, grid card, search and locate (static/js/public_card.js)
        "header_more": "Filters & about",
        "show_layers": "Layers",
        "show_legend": "Legend",
        "card_close": "Close",
        "card_cell": "Square",
        "card_code": "Grid code",
        "card_total": "{start} to {end}",
        "card_worker": "Grid worker",
        "card_phone": "Phone",
        "card_contact_hidden": "The grid worker's contact details are not published.",
        "card_loading": "Reading the published statistics…",
        "chart_hidden": "grey hatched: not published",
        "chart_at_least": "light: at least (partly not published)",
        "search": "Search",
        "search_placeholder": "Search places, streets or grids",
        "search_none": "Nothing found for “{q}”.",
        "search_outside": "not inside a published grid",
        "search_failed": "Search is not available right now.",
        "kind_grid": "Grid",
        "kind_street": "Street",
        "locate": "Locate me",
        "locate_title": "Find the grid I am in",
        "locate_busy": "Locating…",
        "locate_failed": "Your location is not available.",
        "locate_outside": "Your location is outside this area's published grids.",
        "locate_here": "You are here",
    },
}


def pick_lang(requested: str | None, default: str = DEFAULT_LANG) -> str:
    """Return ``requested`` if it is a supported language, else ``default``."""
    if requested in LANGS:
        return str(requested)
    return default if default in LANGS else DEFAULT_LANG


def texts_for(lang: str) -> dict[str, Any]:
    return TEXTS[pick_lang(lang)]
