"""The area the app shows: loaded lazily once per app, plus what the pages say about it."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

from geogrid.errors import GeogridError
from geogrid.io.workspace import Area
from webmap.density import MONTH_RE, PublicStats, Selection, build_public_stats

_EXTENSION = "webmap.area"
_STATS = "webmap.stats"


class AreaUnavailableError(GeogridError):
    """The configured area folder cannot be read (missing, not built, invalid)."""


def current_area() -> Area:
    """Return the app's area: ``AREA`` from the config, else ``read_area(AREA_PATH)`` once."""
    return area_of(current_app)


def area_of(app: Flask) -> Area:
    state: dict[str, Any] = app.extensions.setdefault(
        _EXTENSION, {"lock": threading.Lock(), "area": None}
    )
    if app.config.get("AREA") is not None:
        return app.config["AREA"]
    with state["lock"]:
        if state["area"] is None:
            state["area"] = _load(Path(app.config["AREA_PATH"]))
        return state["area"]


def _load(path: Path) -> Area:
    from geogrid.io import workspace  # read_area may arrive later than the app

    try:
        return workspace.read_area(path)
    except GeogridError as err:
        raise AreaUnavailableError(
            f"area folder {path} cannot be read: {err} "
            "(the app reads the folder named by FLASK_AREA_PATH)"
        ) from err
    except OSError as err:
        raise AreaUnavailableError(f"area folder {path} cannot be read: {err}") from err


def incidents_are_synthetic(area: Area) -> bool:
    """True when the manifest or the incident rows say the incidents are synthetic."""
    flag = area.manifest.get("synthetic")
    if flag is True or (isinstance(flag, dict) and flag.get("incidents")):
        return True
    incidents = area.incidents
    if incidents is not None and "synthetic" in incidents.columns and len(incidents):
        return bool(incidents["synthetic"].fillna(False).astype(bool).any())
    return False


def source_attributions(area: Area) -> list[dict[str, str]]:
    """Distinct attributions of the manifest's sources.

    Each is a dict with ``text``, ``url`` (may be empty) and ``licence``.
    """
    seen: set[str] = set()
    out: list[dict[str, str]] = []
    for source in area.manifest.get("sources", []) or []:
        if not isinstance(source, dict):
            continue
        text = str(source.get("attribution") or "").strip()
        if not text or text in seen:
            continue
        seen.add(text)
        url = str(source.get("url") or "")
        if not url and "openstreetmap" in text.lower():
            url = "https://www.openstreetmap.org/copyright"
        licence = str(source.get("licence") or source.get("license") or "")
        out.append({"text": text, "url": url, "licence": licence})
    return out


def current_stats() -> PublicStats:
    """The app's public statistics (built once per app from the area and DENSITY_CELL_M)."""
    app = current_app
    state: dict[str, Any] = app.extensions.setdefault(
        _STATS, {"lock": threading.Lock(), "stats": None, "area": None}
    )
    area = current_area()
    with state["lock"]:
        if state["stats"] is None or state["area"] is not area:
            state["stats"] = build_public_stats(area, float(app.config["DENSITY_CELL_M"]))
            state["area"] = area
        return state["stats"]


def selection_from_args(args: MultiDict[str, str], stats: PublicStats) -> Selection:
    """The month range and categories asked for in the query string, checked.

    ``from`` / ``to``: ``YYYY-MM`` (inclusive); ``category``: repeated or
    comma-separated category codes. Raises ``BadRequest`` (400) naming what is wrong.
    """
    problems: list[str] = []
    months: dict[str, str | None] = {}
    for key in ("from", "to"):
        value = (args.get(key) or "").strip()
        if value and not MONTH_RE.fullmatch(value):
            problems.append(f"{key}={value!r}: write a month as YYYY-MM, e.g. 2025-06")
        months[key] = value or None
    if months["from"] and months["to"] and months["from"] > months["to"]:
        problems.append(f"from={months['from']} is after to={months['to']}")
    wanted = [c.strip() for raw in args.getlist("category") for c in raw.split(",") if c.strip()]
    unknown = sorted(set(wanted) - set(stats.categories))
    if unknown:
        known = ", ".join(stats.categories) or "none"
        problems.append(f"unknown category {', '.join(unknown)}; public categories: {known}")
    if problems:
        raise BadRequest(description="bad filter: " + "; ".join(problems))
    return Selection(months["from"], months["to"], tuple(sorted(set(wanted))))
