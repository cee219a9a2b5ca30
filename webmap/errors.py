"""One place that turns errors into responses: JSON under /api, a friendly page elsewhere.

Body of every API error: ``{"error": {"code": "...", "message": "..."}}``.
A person never sees a traceback: unexpected errors are logged and answered 500.
"""

from __future__ import annotations

import re

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from geogrid.errors import CRSError, GeogridError, InfeasibleError, InputError, NetworkError
from webmap.area import AreaUnavailableError
from webmap.texts import pick_lang, texts_for

#: geogrid error class -> (HTTP status, code); the first match in this order wins.
GEOGRID_STATUS: tuple[tuple[type[GeogridError], int, str], ...] = (
    (AreaUnavailableError, 503, "area_unavailable"),
    (CRSError, 422, "crs_error"),
    (InputError, 422, "input_error"),
    (NetworkError, 422, "network_error"),
    (InfeasibleError, 409, "infeasible"),
    (GeogridError, 500, "geogrid_error"),
)


def _code_of(exc: HTTPException) -> str:
    return re.sub(r"[^a-z0-9]+", "_", (exc.name or "error").lower()).strip("_")


def _wants_json() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def _staff_page() -> bool:
    """Planner and patrol pages show the reason of a 4xx too (e.g. "no plan for ... yet")."""
    return request.path.startswith(("/planner/", "/patrol/", "/login"))


def error_response(status: int, code: str, message: str):
    """The response for an error: JSON under /api, the friendly HTML page elsewhere."""
    if _wants_json():
        return jsonify({"error": {"code": code, "message": message}}), status
    lang = pick_lang(request.args.get("lang"), default="zh")
    words = texts_for(lang)
    friendly = {404: words["error_not_found"], 503: words["error_unavailable"]}.get(
        status, message if status < 500 else words["error_internal"]
    )
    return (
        render_template("error.html", status=status, code=code, message=friendly,
                        detail=message if status == 503 or _staff_page() else "", lang=lang, t=words),
        status,
    )


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException):
        return error_response(exc.code or 500, _code_of(exc), exc.description or exc.name)

    @app.errorhandler(GeogridError)
    def handle_geogrid(exc: GeogridError):
        status, code = next((s, c) for cls, s, c in GEOGRID_STATUS if isinstance(exc, cls))
        if status >= 500:
            app.logger.error("geogrid error on %s: %s", request.path, exc)
        return error_response(status, code, str(exc))

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        app.logger.exception("unexpected error on %s", request.path)
        return error_response(500, "internal_error", "internal server error; see the server log")
