"""Public pages: the safety map (``/``) and the health check (``/healthz``)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request, url_for

from webmap.area import current_area, incidents_are_synthetic, source_attributions
from webmap.maps import BASEMAPS, MapParts, public_map, render_map_parts
from webmap.texts import pick_lang, texts_for

bp = Blueprint("public", __name__)

_CACHE = "webmap.public_maps"


def _map_parts(lang: str, basemap: str) -> MapParts:
    """The rendered public map, built once per (language, basemap) for the app's area."""
    cache: dict[tuple[str, str], MapParts] = current_app.extensions.setdefault(_CACHE, {})
    key = (lang, basemap)
    if key not in cache:
        area = current_area()
        m = public_map(
            area, basemap=basemap, lang=lang,
            cell_m=float(current_app.config["DENSITY_CELL_M"]),
            asset_base=url_for("static", filename="vendor"),
        )
        cache[key] = render_map_parts(m)
    return cache[key]


@bp.get("/")
def index():
    lang = pick_lang(request.args.get("lang"), default=current_app.config["DEFAULT_LANG"])
    basemap = request.args.get("basemap", current_app.config["BASEMAP"])
    if basemap not in BASEMAPS:
        abort(400, description=f"basemap must be one of {', '.join(BASEMAPS)}")
    area = current_area()
    words = texts_for(lang)
    description = (
        words["description"] if len(area.grids)
        else words["description_cell"].format(cell=f"{current_app.config['DENSITY_CELL_M']:g}")
    )
    return render_template(
        "public/map.html",
        t=words,
        description=description,
        lang=lang,
        basemap=basemap,
        area_name=area.name,
        synthetic=incidents_are_synthetic(area),
        attributions=source_attributions(area),
        parts=_map_parts(lang, basemap),
    )


@bp.get("/healthz")
def healthz():
    return {"status": "ok"}
