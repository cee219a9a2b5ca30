"""Public pages: the safety map (``/``) and the health check (``/healthz``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template, request, url_for

from geogrid.release import PublicStats, Selection, YearOverYear, year_over_year
from webmap.area import (
    AreaEntry,
    current_entry,
    incidents_are_synthetic,
    selection_from_args,
    source_attributions,
)
from webmap.maps import BASEMAPS, TILE_BASEMAPS, MapParts, public_map, render_map_parts
from webmap.texts import pick_lang, texts_for

bp = Blueprint("public", __name__)

_CACHE = "webmap.public_maps"
#: Rendered maps kept per app (language x basemap x filter), least recently used dropped.
MAP_CACHE_SIZE = 32


def _map_parts(lang: str, basemap: str, entry: AreaEntry, stats: PublicStats,
               selection: Selection) -> MapParts:
    """The rendered public map for one (language, basemap, selection), cached per area version."""
    def build() -> MapParts:
        return render_map_parts(public_map(
            entry.area, basemap=basemap, lang=lang, stats=stats, selection=selection,
            asset_base=url_for("static", filename="vendor"),
            tianditu_key=current_app.config["TIANDITU_KEY"],
        ))

    return entry.cached(_CACHE, (lang, basemap, selection), build, MAP_CACHE_SIZE)


def available_basemaps() -> list[str]:
    """Basemaps this app can draw (Tianditu only with a key)."""
    key = current_app.config["TIANDITU_KEY"]
    return [b for b in BASEMAPS
            if b not in TILE_BASEMAPS or not TILE_BASEMAPS[b].needs_key or key]


def _yoy_sentence(yoy: YearOverYear | None, words: dict[str, Any]) -> str:
    if yoy is None:
        return ""
    hidden = words["yoy_hidden"]
    if not yoy.comparable:
        count = hidden if yoy.count is None else yoy.count
        return words["yoy_only"].format(start=yoy.start, end=yoy.end, count=count,
                                        none=words["yoy_none"])
    text = words["yoy_text"].format(
        start=yoy.start, end=yoy.end, pstart=yoy.previous_start, pend=yoy.previous_end,
        count=hidden if yoy.count is None else yoy.count,
        pcount=hidden if yoy.previous_count is None else yoy.previous_count,
    )
    pct = yoy.change_pct
    if pct is None:
        change = words["yoy_none"]
    elif pct == 0:
        change = words["yoy_flat"]
    else:
        change = words["yoy_up" if pct > 0 else "yoy_down"].format(pct=f"{abs(pct):g}")
    return f"{text}；{change}" if words["html_lang"].startswith("zh") else f"{text}; {change}."


@bp.get("/")
def index():
    lang = pick_lang(request.args.get("lang"), default=current_app.config["DEFAULT_LANG"])
    basemap = request.args.get("basemap", current_app.config["BASEMAP"])
    if basemap not in available_basemaps():
        abort(400, description=f"basemap must be one of {', '.join(available_basemaps())}")
    entry = current_entry()
    area = entry.area
    stats = entry.public_stats(float(current_app.config["DENSITY_CELL_M"]))
    selection = selection_from_args(request.args, stats)
    words = texts_for(lang)
    description = (
        words["description"] if stats.kind == "grid"
        else words["description_cell"].format(cell=f"{stats.cell_m:g}")
    )
    return render_template(
        "public/map.html",
        t=words,
        description=description,
        lang=lang,
        basemap=basemap,
        basemaps=available_basemaps(),
        area_name=area.name,
        synthetic=incidents_are_synthetic(area),
        attributions=source_attributions(area),
        months=stats.months,
        categories=stats.categories,
        selection=selection,
        yoy=_yoy_sentence(year_over_year(stats, selection), words),
        parts=_map_parts(lang, basemap, entry, stats, selection),
    )


@bp.get("/healthz")
def healthz():
    return {"status": "ok"}
