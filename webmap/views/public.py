"""Public pages: the safety map (``/``) and the health check (``/healthz``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template, request, url_for

from geogrid.release import ReleasedTable, YearOverYear, year_over_year
from webmap.area import (
    AreaEntry,
    current_entry,
    incidents_are_synthetic,
    selection_from_args,
    source_attributions,
)
from webmap.maps import (
    BASEMAPS,
    NO_HOUSEHOLDS_COLOUR,
    PALETTE,
    TILE_BASEMAPS,
    MapParts,
    figure_text,
    public_map,
    render_map_parts,
)
from webmap.texts import pick_lang, texts_for

bp = Blueprint("public", __name__)

_CACHE = "webmap.public_maps"
#: Rendered maps kept per area version (language x basemap: the selection is applied in
#: the browser from the released table, so it is not part of the key).
MAP_CACHE_SIZE = 16
#: Words the page script (static/js/public_map.js) needs to redraw a selection.
SCRIPT_WORDS = (
    "at_least",
    "yoy_text",
    "yoy_only",
    "yoy_up",
    "yoy_down",
    "yoy_flat",
    "yoy_none",
    "yoy_unknown",
    "yoy_title",
    "field_name",
    "field_incidents",
    "field_households",
    "field_rate",
    "trend",
    "no_households",
    "html_lang",
)


def _map_parts(lang: str, basemap: str, entry: AreaEntry, table: ReleasedTable) -> MapParts:
    """The rendered public map for one (language, basemap), once per area version."""

    def build() -> MapParts:
        return render_map_parts(
            public_map(
                entry.area,
                basemap=basemap,
                lang=lang,
                released=table,
                asset_base=url_for("static", filename="vendor"),
                tianditu_key=current_app.config["TIANDITU_KEY"],
            )
        )

    return entry.cached(_CACHE, (lang, basemap), build, MAP_CACHE_SIZE)


def available_basemaps() -> list[str]:
    """Basemaps this app can draw (Tianditu only with a key)."""
    key = current_app.config["TIANDITU_KEY"]
    return [b for b in BASEMAPS if b not in TILE_BASEMAPS or not TILE_BASEMAPS[b].needs_key or key]


def _yoy_sentence(yoy: YearOverYear | None, words: dict[str, Any]) -> str:
    """The 同比 sentence from sums of released cells (static/js/public_map.js writes the
    same one for other selections)."""
    if yoy is None:
        return ""
    count = figure_text(yoy.count.value, yoy.count.at_least, words)
    if not yoy.comparable:
        return words["yoy_only"].format(
            start=yoy.start, end=yoy.end, count=count, none=words["yoy_none"]
        )
    text = words["yoy_text"].format(
        start=yoy.start,
        end=yoy.end,
        pstart=yoy.previous_start,
        pend=yoy.previous_end,
        count=count,
        pcount=figure_text(yoy.previous_count.value, yoy.previous_count.at_least, words),
    )
    pct = yoy.change_pct
    if pct is None:
        exact = yoy.count.exact and yoy.previous_count.exact
        change = words["yoy_none"] if exact else words["yoy_unknown"]
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
    table = entry.released_table(float(current_app.config["DENSITY_CELL_M"]))
    selection = selection_from_args(request.args, table)
    words = texts_for(lang)
    description = (
        words["description"]
        if table.kind == "grid"
        else words["description_cell"].format(cell=f"{table.cell_m:g}")
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
        months=table.months,
        categories=table.categories,
        selection=selection,
        yoy=_yoy_sentence(year_over_year(table, selection), words),
        parts=_map_parts(lang, basemap, entry, table),
        page_config={
            "released": url_for("api.released"),
            "words": {k: words[k] for k in SCRIPT_WORDS},
            "palette": list(PALETTE),
            "no_households": NO_HOUSEHOLDS_COLOUR,
        },
    )


@bp.get("/healthz")
def healthz():
    """200 when the area can be loaded (what ``/`` needs), else 503 with the reason."""
    from webmap.area import AreaUnavailableError, current_entry
    from webmap.errors import public_message

    try:
        current_entry()
    except AreaUnavailableError as err:
        return {"status": "unavailable", "reason": public_message(str(err))}, 503
    return {"status": "ok"}
