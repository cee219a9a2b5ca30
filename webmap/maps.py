"""Every Folium map of the web app is composed here.

This is the only module where geogrid's lon/lat (x, y) turns into Leaflet's
lat/lon. Maps load their JS/CSS from the app's own ``/static/vendor/`` copies
(see ``scripts/vendor_assets.sh``), so a page renders with no internet; with
``basemap="offline"`` they draw the area's own streets instead of web tiles.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import CssLink, Element, Figure, JavascriptLink, MacroElement
from folium.template import Template

from geogrid.crs import WGS84, wgs84_to_gcj02
from geogrid.io.workspace import Area
from geogrid.release import (
    MIN_COUNT,
    ReleasedTable,
    Selection,
    monthly_counts,
    place_counts,
    release_area,
)
from webmap.area import incidents_are_synthetic, source_attributions
from webmap.texts import texts_for


@dataclass(frozen=True)
class Basemap:
    """A web tile basemap: URL templates (drawn in order), credit, and the datum of its tiles."""

    tiles: tuple[str, ...]
    attribution: str
    subdomains: str
    #: "wgs84" (OSM; Tianditu's CGCS2000 differs from WGS-84 by centimetres) or "gcj02" (Amap)
    datum: str
    max_zoom: int = 18
    needs_key: bool = False


TILE_BASEMAPS: dict[str, Basemap] = {
    "osm": Basemap(
        tiles=("https://tile.openstreetmap.org/{z}/{x}/{y}.png",),
        attribution=(
            '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'
            " contributors"
        ),
        subdomains="abc",
        datum="wgs84",
        max_zoom=19,
    ),
    "tianditu": Basemap(
        tiles=tuple(
            f"https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
            f"&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
            "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}"
            for layer in ("vec", "cva")  # streets, then Chinese labels on top
        ),
        attribution='&copy; <a href="https://www.tianditu.gov.cn/">天地图 Tianditu</a>',
        subdomains="01234567",
        datum="wgs84",
        needs_key=True,
    ),
    "amap": Basemap(
        tiles=(
            "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1"
            "&style=8&x={x}&y={y}&z={z}",
        ),
        attribution='&copy; <a href="https://www.amap.com/">高德地图 AutoNavi</a>',
        subdomains="1234",
        datum="gcj02",
    ),
}
BASEMAPS = ("offline", *TILE_BASEMAPS)
DEFAULT_ASSET_BASE = "/static/vendor"

#: folium/branca link name -> vendored file under ``static/vendor/``.
VENDORED_JS = {
    "leaflet": "leaflet-1.9.3/leaflet.js",
    "jquery": "jquery-3.7.1/jquery.min.js",
    "bootstrap": "bootstrap-5.2.2/js/bootstrap.bundle.min.js",
    "awesome_markers": "leaflet.awesome-markers-2.0.5/leaflet.awesome-markers.js",
}
VENDORED_CSS = {
    "leaflet_css": "leaflet-1.9.3/leaflet.css",
    "bootstrap_css": "bootstrap-5.2.2/css/bootstrap.min.css",
    "awesome_markers_font_css": "fontawesome-free-6.2.0/css/all.min.css",
    "awesome_markers_css": "leaflet.awesome-markers-2.0.5/leaflet.awesome-markers.css",
}
#: Links folium adds by default that these maps do not need (glyphicon icons, rotated icons).
UNUSED_LINKS = frozenset({"glyphicons_css", "awesome_rotate_css"})

#: Sequential palette (ColorBrewer YlOrRd, 5 classes) for the density classes.
PALETTE = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
SUPPRESSED_COLOUR = "#d9d9d9"
NO_HOUSEHOLDS_COLOUR = "#f0f0f0"

#: Street classes of the offline basemap: highway tags, line colour, weight in pixels.
MAJOR_HIGHWAYS = frozenset(
    {
        "motorway",
        "motorway_link",
        "trunk",
        "trunk_link",
        "primary",
        "primary_link",
        "secondary",
        "secondary_link",
        "tertiary",
        "tertiary_link",
    }
)
PATH_HIGHWAYS = frozenset(
    {
        "footway",
        "path",
        "cycleway",
        "steps",
        "pedestrian",
        "track",
        "bridleway",
    }
)
STREET_STYLES = {
    "major": {"color": "#6e6e6e", "weight": 4},
    "minor": {"color": "#9a9a9a", "weight": 2},
    "path": {"color": "#b8b8b8", "weight": 1},
}

#: Key-location layer -> (awesome-markers colour, Font Awesome icon, shown at start).
LAYER_MARKERS = {
    "police": ("darkblue", "shield-halved", True),
    "schools": ("blue", "graduation-cap", True),
    "health": ("red", "house-medical", True),
    "markets": ("orange", "cart-shopping", False),
    "stations": ("purple", "train-subway", False),
    "banks": ("green", "building-columns", False),
    "other": ("gray", "location-dot", False),
}
LAYER_ORDER = ("police", "schools", "health", "markets", "stations", "banks", "other")


class MapControl(MacroElement):
    """A Leaflet control holding fixed HTML (legend, labels), inside the map container."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            (function () {
                var control = L.control({position: {{ this.position|tojson }}});
                control.onAdd = function () {
                    var div = L.DomUtil.create("div", {{ this.css_class|tojson }});
                    div.innerHTML = {{ this.html|tojson }};
                    L.DomEvent.disableClickPropagation(div);
                    return div;
                };
                control.addTo({{ this._parent.get_name() }});
            })();
        {% endmacro %}
        """
    )

    def __init__(self, html_text: str, position: str, css_class: str) -> None:
        super().__init__()
        self._name = "MapControl"
        self.html = html_text
        self.position = position
        self.css_class = css_class


class Attribution(MacroElement):
    """Add a source attribution (HTML) to the map's attribution control."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.html|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, html_text: str) -> None:
        super().__init__()
        self._name = "Attribution"
        self.html = html_text


class DensityHook(MacroElement):
    """Names the map and its density layer for ``static/js/public_map.js`` (the range and
    category filters, applied in the browser from the released table) and
    ``static/js/public_card.js`` (the grid card), with the datum the map is drawn in
    (``"gcj02"`` on Amap tiles, else ``"wgs84"``)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            window.geogridDensity = {map: {{ this._parent.get_name() }},
                                     layer: {{ this.layer.get_name() if this.layer else "null" }},
                                     datum: {{ this.datum|tojson }}};
        {% endmacro %}
        """
    )

    def __init__(self, layer: folium.GeoJson | None, datum: str = "wgs84") -> None:
        super().__init__()
        self._name = "DensityHook"
        self.layer = layer
        self.datum = datum


MAP_CSS = """
<style>
  .folium-map.leaflet-container { background: #f4f2ec; }
  .geogrid-legend, .geogrid-label {
    background: rgba(255,255,255,0.92); padding: 6px 10px; border-radius: 4px;
    box-shadow: 0 1px 4px rgba(0,0,0,0.3); font: 13px/1.4 system-ui, sans-serif; color: #222;
  }
  .geogrid-legend .swatch {
    display: inline-block; width: 16px; height: 12px; margin-right: 6px;
    vertical-align: middle; border: 1px solid #999;
  }
  .geogrid-legend .title { font-weight: 600; margin-bottom: 4px; }
  .geogrid-legend .note { color: #555; font-size: 12px; margin-top: 4px; }
  .geogrid-label { background: #fff3cd; border: 1px solid #e0a800; font-weight: 600; }
</style>
"""


# --------------------------------------------------------------------------- text from data


def map_text(value: object) -> str:
    """Text from data (OSM names, grid names) made safe for a Folium tooltip or popup.

    HTML-escaped, and with ``$``, backtick and backslash as character
    references too: Folium puts tooltip and popup HTML into JavaScript template
    literals, where ``${...}`` would run and a backtick would end the string.
    """
    return (
        html.escape(str(value)).replace("\\", "&#92;").replace("`", "&#96;").replace("$", "&#36;")
    )


def _safe_href(url: str) -> str | None:
    """``url`` escaped for an href when it is http(s); None for javascript:, data: and others."""
    return html.escape(url) if url.lower().startswith(("https://", "http://")) else None


# --------------------------------------------------------------------------- lon/lat -> lat/lon


def _latlon(point: shapely.Point) -> list[float]:
    """Leaflet order of a shapely point (the one flip of this module)."""
    return [round(float(point.y), 7), round(float(point.x), 7)]


def _leaflet_bounds(bounds: tuple[float, float, float, float]) -> list[list[float]]:
    west, south, east, north = (round(float(v), 7) for v in bounds)
    return [[south, west], [north, east]]


#: How overlay geometries (WGS-84) are moved onto the basemap's datum for display.
Display = Callable[[np.ndarray], np.ndarray]


def _as_is(geometries: np.ndarray) -> np.ndarray:
    return np.asarray(geometries)


def _to_gcj02(geometries: np.ndarray) -> np.ndarray:
    """WGS-84 -> GCJ-02 (the offset Chinese web maps such as Amap use); display only."""

    def shift(xy: np.ndarray) -> np.ndarray:
        lon, lat = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(np.asarray(geometries), shift)


def display_for(basemap: str) -> Display:
    """The geometry shift that makes WGS-84 overlays line up with ``basemap``'s tiles."""
    tiles = TILE_BASEMAPS.get(basemap)
    return _to_gcj02 if tiles is not None and tiles.datum == "gcj02" else _as_is


# --------------------------------------------------------------------------- assets


def _walk(element: Any) -> Iterator[Any]:
    yield element
    for child in list(getattr(element, "_children", {}).values()):
        yield from _walk(child)


def _local_links(
    links: list[tuple[str, str]], vendored: dict[str, str], asset_base: str
) -> list[tuple[str, str]]:
    local = []
    for name, url in links:
        if name in UNUSED_LINKS:
            continue
        if name not in vendored:
            if url.startswith("/") and not url.startswith("//"):
                local.append((name, url))
                continue
            raise ValueError(
                f"map asset {name!r} ({url}) has no vendored copy: add its npm package to "
                "scripts/vendor_assets.sh and its file to webmap.maps.VENDORED_JS/CSS"
            )
        local.append((name, f"{asset_base.rstrip('/')}/{vendored[name]}"))
    return local


def use_local_assets(m: folium.Map, asset_base: str = DEFAULT_ASSET_BASE) -> folium.Map:
    """Point every JS/CSS link of ``m`` and its children at the vendored copies.

    Raises ``ValueError`` for a link with no vendored copy, so a new plugin can
    never silently pull from a CDN.
    """
    for element in _walk(m):
        if hasattr(element, "default_js"):
            element.default_js = _local_links(list(element.default_js), VENDORED_JS, asset_base)
        if hasattr(element, "default_css"):
            element.default_css = _local_links(list(element.default_css), VENDORED_CSS, asset_base)
    return m


class FoliumHtml(str):
    """HTML that Folium rendered from a map whose text from data went through :func:`map_text`.

    Only :func:`render_map_parts` makes these, and :func:`webmap.security.with_nonce` shows
    nothing else as HTML: any other string given to it is refused, and a ``FoliumHtml``
    written into a template without it is escaped like any string.
    """

    __slots__ = ()


@dataclass(frozen=True)
class MapParts:
    """A rendered map cut into the three places of an HTML page."""

    header: FoliumHtml
    html: FoliumHtml
    script: str


def render_map_parts(m: folium.Map) -> MapParts:
    """Render ``m`` into header (links, styles), body HTML and script for embedding in a page.

    Raises ``ValueError`` if anything added a link to a remote host while rendering.
    """
    figure = m.get_root()
    assert isinstance(figure, Figure)
    for child in figure._children.values():
        child.render()
    for name, child in figure.header._children.items():
        if isinstance(child, JavascriptLink | CssLink) and "//" in str(child.url):
            raise ValueError(f"map asset {name!r} would load from {child.url}; vendor it")
    return MapParts(
        header=FoliumHtml(figure.header.render()),
        html=FoliumHtml(figure.html.render()),
        script=figure.script.render(),
    )


# --------------------------------------------------------------------------- layers


def _feature_collection(frame: gpd.GeoDataFrame, columns: list[str]) -> dict[str, Any]:
    """GeoJSON dict of ``frame`` with only ``columns`` as properties and 6-decimal coordinates."""
    subset = frame[[*columns, "geometry"]].copy()
    subset["geometry"] = shapely.set_precision(subset.geometry.values, 1e-6)
    return json.loads(subset.to_json(na="null", drop_id=True))


def _street_class(highway: Any) -> str:
    if highway in MAJOR_HIGHWAYS:
        return "major"
    if highway in PATH_HIGHWAYS:
        return "path"
    return "minor"


def _add_streets(m: folium.Map, edges: gpd.GeoDataFrame | None, label: str) -> None:
    group = folium.FeatureGroup(name=label, overlay=False, control=True)
    if edges is not None and len(edges):
        classes = np.array([_street_class(h) for h in edges["highway"]])
        for street_class in ("path", "minor", "major"):
            lines = edges.geometry.values[classes == street_class]
            if len(lines) == 0:
                continue
            merged = shapely.line_merge(shapely.multilinestrings(lines))
            merged = shapely.set_precision(merged, 1e-6)
            style = dict(STREET_STYLES[street_class], opacity=1.0)
            folium.GeoJson(
                {
                    "type": "Feature",
                    "properties": {"class": street_class},
                    "geometry": shapely.geometry.mapping(merged),
                },
                style_function=lambda _f, style=style: style,
                interactive=False,
            ).add_to(group)
    group.add_to(m)


def _add_boundary(m: folium.Map, boundary: gpd.GeoDataFrame, label: str, display: Display) -> None:
    shown = gpd.GeoDataFrame(geometry=display(boundary.geometry.values), crs=WGS84)
    folium.GeoJson(
        _feature_collection(shown, []),
        name=label,
        style_function=lambda _f: {
            "color": "#333333",
            "weight": 2.5,
            "dashArray": "6 4",
            "fill": False,
        },
        interactive=False,
    ).add_to(m)


def _missing(value: Any) -> bool:
    return value is None or bool(pd.isna(value))


def class_breaks(values: list[float], classes: int = 5) -> list[float]:
    """Upper bounds of up to ``classes`` equal classes from 0 with a round step.

    The step is 1, 2, 2.5 or 5 times a power of ten, so a legend reads
    "0 – 50, 50 – 100, ..." and does not shift with every new incident.
    """
    finite = [float(v) for v in values if v is not None and math.isfinite(v) and v >= 0]
    if not finite:
        return []
    top = max(finite)
    if top == 0:
        return [0.0]
    raw = top / classes
    power = 10 ** math.floor(math.log10(raw))
    step = next(k * power for k in (1, 2, 2.5, 5, 10) if k * power >= raw - 1e-12)
    count = max(1, math.ceil(top / step - 1e-9))
    return [round(step * (k + 1), 6) for k in range(count)]


def _palette(classes: int) -> list[str]:
    """``classes`` colours spread over the whole palette (light to dark)."""
    if classes <= 0:
        return []
    if classes == 1:
        return [PALETTE[0]]
    picks = np.linspace(0, len(PALETTE) - 1, classes).round().astype(int)
    return [PALETTE[i] for i in picks]


def _colour_for(value: float, breaks: list[float]) -> str:
    if not breaks:
        return PALETTE[0]
    colours = _palette(len(breaks))
    for colour, upper in zip(colours, breaks, strict=True):
        if value <= upper:
            return colour
    return colours[-1]


def _legend_html(
    title: str,
    breaks: list[float],
    extra: list[tuple[str, str]],
    note: str = "",
    lowest: float = 0.0,
) -> str:
    rows = [f'<div class="title">{map_text(title)}</div>']
    lower = lowest
    for colour, upper in zip(_palette(len(breaks)), breaks, strict=True):
        span = f"{upper:g}" if upper == lower else f"{lower:g} – {upper:g}"
        rows.append(
            f'<div class="class-row"><span class="swatch" style="background:{colour}">'
            f"</span>{span}</div>"
        )
        lower = upper
    for colour, label in extra:
        rows.append(
            f'<div><span class="swatch" style="background:{colour}"></span>{map_text(label)}</div>'
        )
    if note:
        rows.append(f'<div class="note">{map_text(note)}</div>')
    return "".join(rows)


def figure_text(value: float, at_least: bool, words: dict[str, Any]) -> str:
    """A sum of released cells (or a rate from one) as the public reads it: ``12``,
    ``at least 12``, or "not published" when every part is hidden (a lower bound of 0)."""
    if at_least and value == 0:
        return str(words["not_published"])
    text = str(int(value)) if float(value).is_integer() else f"{value:g}"
    return str(words["at_least"].format(n=text)) if at_least else text


def trend_svg(
    months: list[str], counts: list[int], at_least: list[bool], title: str, words: dict[str, Any]
) -> str:
    """A small inline SVG bar chart of monthly sums of released cells; a month with a hidden
    count inside is a lighter bar labelled "at least", a month with nothing published a
    grey stub with a dashed outline labelled "not published" (a real 0 has no bar)."""
    width, height, pad = 240, 64, 14
    n = max(len(months), 1)
    step = width / n
    top = max([*counts, MIN_COUNT])
    bars = []
    for k, (month, count, low) in enumerate(zip(months, counts, at_least, strict=True)):
        x = round(k * step + step * 0.1, 1)
        w = round(max(step * 0.8, 1.0), 1)
        hidden = low and count == 0
        h = 8.0 if hidden else max((height - pad - 11) * count / top, 2.0 if low else 0.0)
        fill = SUPPRESSED_COLOUR if hidden else PALETTE[2] if low else PALETTE[3]
        outline = ' stroke="#888" stroke-width="0.8" stroke-dasharray="2 1.5"' if hidden else ""
        label = f"{month}: {figure_text(count, low, words)}"
        y = round(height - pad - h, 1)
        bars.append(
            f'<rect x="{x}" y="{y}" width="{w}" height="{round(h, 1)}" '
            f'fill="{fill}"{outline}><title>{map_text(label)}</title></rect>'
        )
    ends = f'<text x="0" y="9" font-size="9" fill="#666">max {top}</text>'
    if months:
        ends += (
            f'<text x="0" y="{height - 2}" font-size="10">{map_text(months[0])}</text>'
            f'<text x="{width}" y="{height - 2}" font-size="10" '
            f'text-anchor="end">{map_text(months[-1])}</text>'
        )
    return (
        f'<svg class="geogrid-trend" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{map_text(title)}"><title>{map_text(title)}</title>'
        f'<line x1="0" y1="{height - pad}" x2="{width}" y2="{height - pad}" '
        f'stroke="#999" stroke-width="0.5"/>{"".join(bars)}{ends}</svg>'
    )


def _trends(table: ReleasedTable, selection: Selection, words: dict[str, Any]) -> dict[str, str]:
    """Place id -> trend chart of its monthly sums of released cells over the selection."""
    monthly = monthly_counts(table, selection, by="place")
    out: dict[str, str] = {}
    for place, rows in monthly.groupby("place", sort=False):
        out[str(place)] = trend_svg(
            list(rows["period"]),
            [int(c) for c in rows["count"]],
            [bool(a) for a in rows["at_least"]],
            words["trend"],
            words,
        )
    return out


def _add_density(
    m: folium.Map,
    table: ReleasedTable,
    selection: Selection,
    words: dict[str, Any],
    display: Display,
) -> None:
    """The density layer for ``selection``; static/js/public_map.js redraws it for others."""
    density = place_counts(table, selection)
    trends = _trends(table, selection, words)
    grid = table.kind == "grid"
    values = density["rate_per_1000_households"] if grid else density["count"]
    breaks = class_breaks([float(v) for v in values if not _missing(v)], classes=len(PALETTE))
    shown = gpd.GeoDataFrame(geometry=display(density.geometry.values), crs=WGS84)
    shown["place"] = [str(p) for p in density.index]
    shown["name"] = [map_text(n) for n in density["place_name"]]
    shown["incidents"] = [
        map_text(figure_text(int(n), bool(low), words))
        for n, low in zip(density["count"], density["at_least"], strict=True)
    ]
    shown["households"] = [str(int(h)) for h in density["households"]]
    shown["rate"] = [
        "–" if _missing(r) else map_text(figure_text(float(r), bool(low), words))
        for r, low in zip(density["rate_per_1000_households"], density["at_least"], strict=True)
    ]
    shown["trend"] = [trends.get(str(p), "") for p in density.index]
    shown["fill"] = [
        SUPPRESSED_COLOUR
        if low and n == 0  # nothing published: grey, "not published"
        else NO_HOUSEHOLDS_COLOUR
        if _missing(v)
        else _colour_for(float(v), breaks)
        for v, n, low in zip(values, density["count"], density["at_least"], strict=True)
    ]
    shown["dash"] = ["4 3" if low else "" for low in density["at_least"]]
    note = words["at_least_note"]
    if table.categories_overlap:
        note = f"{note}; {words['categories_overlap_note']}"
    if grid:
        fields = ["name", "incidents", "households", "rate", "trend"]
        aliases = [
            words["field_name"],
            words["field_incidents"],
            words["field_households"],
            words["field_rate"],
            words["trend"],
        ]
        name = words["density_grid"]
        legend = _legend_html(
            words["legend_grid"],
            breaks,
            [
                (NO_HOUSEHOLDS_COLOUR, words["no_households"]),
                (SUPPRESSED_COLOUR, words["not_published"]),
            ],
            note=note,
        )
    else:
        cell = f"{table.cell_m:g}"
        fields = ["incidents", "trend"]
        aliases = [words["field_incidents"], words["trend"]]
        name = words["density_cell"].format(cell=cell)
        legend = _legend_html(
            words["legend_cell"].format(cell=cell),
            breaks,
            [],
            note=f"{words['cell_hidden']}; {note}",
        )
    layer = None
    if len(shown):
        layer = folium.GeoJson(
            _feature_collection(shown, ["place", *fields, "fill", "dash"]),
            name=name,
            style_function=lambda f: {
                "fillColor": f["properties"]["fill"],
                "fillOpacity": 0.55 if grid else 0.65,
                "color": "#555555" if grid else "#777777",
                "weight": 1 if grid else 0.5,
                "dashArray": f["properties"]["dash"],
            },
            highlight_function=lambda _f: {"weight": 3, "color": "#000000", "fillOpacity": 0.8},
            popup=folium.GeoJsonPopup(
                fields=fields,
                aliases=aliases,
                labels=True,
                class_name="geogrid-popup",
                max_width=420,
            ),
            tooltip=(
                folium.GeoJsonTooltip(fields=["name"], aliases=[words["field_name"]])
                if grid
                else None
            ),
        )
        layer.add_to(m)
    MapControl(legend, "bottomright", "geogrid-legend").add_to(m)
    DensityHook(layer, "gcj02" if display is _to_gcj02 else "wgs84").add_to(m)


def _add_key_locations(m: folium.Map, area: Area, words: dict[str, Any], display: Display) -> None:
    names = sorted(
        area.layers,
        key=lambda n: (LAYER_ORDER.index(n) if n in LAYER_ORDER else len(LAYER_ORDER), n),
    )
    for layer in names:
        places = area.layers[layer]
        if places is None or len(places) == 0:
            continue
        colour, icon, show = LAYER_MARKERS.get(layer, LAYER_MARKERS["other"])
        label = map_text(words["layers"].get(layer) or layer)
        group = folium.FeatureGroup(name=f"{label} ({len(places)})", show=show)
        points = display(shapely.point_on_surface(places.to_crs(WGS84).geometry.values))
        titles = places["name"] if "name" in places.columns else [None] * len(places)
        for point, title in zip(points, titles, strict=True):
            if point is None or point.is_empty:
                continue
            text = map_text(title) if isinstance(title, str) and title else label
            folium.Marker(
                location=_latlon(point),
                tooltip=text,
                popup=folium.Popup(f"<b>{text}</b><br>{label}", max_width=260),
                icon=folium.Icon(color=colour, icon=icon, prefix="fa"),
            ).add_to(group)
        group.add_to(m)


# --------------------------------------------------------------------------- the public map


def public_map(
    area: Area,
    basemap: str = "offline",
    lang: str = "zh",
    *,
    released: ReleasedTable | None = None,
    selection: Selection | None = None,
    cell_m: float = 200.0,
    asset_base: str = DEFAULT_ASSET_BASE,
    tianditu_key: str = "",
) -> folium.Map:
    """The public safety map: boundary, incident density, key locations, attribution.

    Incidents appear only as sums of the cells of ``released`` (the area's
    released table, built from ``area`` with ``cell_m`` when None) for the
    ``selection`` of months and categories: per grid per 1,000 households when
    the area has grids, else counts on square cells; a sum with a hidden cell
    inside reads "at least N" and is coloured by N. Each place's popup has a
    monthly trend chart. In the page, ``static/js/public_map.js`` redraws the
    layer for other selections from the same released table.

    ``basemap``: ``"offline"`` draws the area's streets and no tiles;
    ``"osm"``, ``"tianditu"`` (needs ``tianditu_key``) and ``"amap"`` use web
    tiles (need internet). Amap tiles are drawn in GCJ-02, so every overlay is
    shifted WGS-84 -> GCJ-02 for display (the data stay WGS-84); OSM and
    Tianditu (CGCS2000) take WGS-84 as is. All JS/CSS is local.
    """
    if basemap not in BASEMAPS:
        raise ValueError(f"basemap {basemap!r}: choose one of {', '.join(BASEMAPS)}")
    tiles = TILE_BASEMAPS.get(basemap)
    if tiles is not None and tiles.needs_key and not tianditu_key:
        raise ValueError(f"basemap {basemap!r} needs a key: set TIANDITU_KEY")
    words = texts_for(lang)
    released = released if released is not None else release_area(area, cell_m)
    selection = selection or Selection()
    display = display_for(basemap)
    boundary = area.boundary.to_crs(WGS84) if area.boundary.crs else area.boundary
    shown_boundary = display(boundary.geometry.values)
    bounds = (
        tuple(shapely.total_bounds(shown_boundary))
        if len(boundary)
        else (-180.0, -85.0, 180.0, 85.0)
    )
    centre = shapely.box(*bounds).centroid
    m = folium.Map(
        location=_latlon(centre),
        zoom_start=15,
        tiles=None,
        control_scale=True,
        zoom_snap=0.25,  # fit small areas snugly
    )
    m.get_root().header.add_child(Element(MAP_CSS), name="geogrid_map_css")
    if tiles is None:
        _add_streets(m, area.edges, words["streets"])
    else:
        for k, url in enumerate(tiles.tiles):
            folium.TileLayer(
                tiles=url.replace("{key}", tianditu_key),
                attr=tiles.attribution,
                name=words["tiles"][basemap],
                overlay=k > 0,
                control=k == 0,
                subdomains=tiles.subdomains,
                max_zoom=tiles.max_zoom,
            ).add_to(m)
    _add_boundary(m, boundary, words["boundary"], display)
    _add_density(m, released, selection, words, display)
    _add_key_locations(m, area, words, display)
    if incidents_are_synthetic(area):
        MapControl(map_text(words["synthetic_short"]), "topright", "geogrid-label").add_to(m)
    for source in source_attributions(area):
        if basemap == "osm" and "openstreetmap" in source["text"].lower():
            continue  # the tile layer already credits OpenStreetMap
        text = map_text(source["text"])
        href = _safe_href(source["url"] or "")
        if href:
            text = f'<a href="{href}" target="_blank" rel="noopener">{text}</a>'
        Attribution(text).add_to(m)
    folium.LayerControl(collapsed=False, position="topleft").add_to(m)
    m.fit_bounds(_leaflet_bounds(bounds))
    return use_local_assets(m, asset_base)
