"""One place that turns errors into responses: JSON under /api, a friendly page elsewhere.

Body of every API error: ``{"error": {"code": "...", "message": "..."}}`` (plus
``"fields"`` for a request that does not match its schema, :mod:`webmap.schemas`).
A person never sees a traceback: unexpected errors are logged and answered 500.
A full disk (``ENOSPC``, ``EDQUOT``) is a 507 that says so. Messages shown to
anyone but signed-in staff carry no server path (:func:`public_message`).
"""

from __future__ import annotations

import errno
import re
import tempfile
from pathlib import Path

from flask import Flask, current_app, jsonify, render_template, request
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


#: errno values of a full disk or an exhausted quota
DISK_FULL = frozenset(e for e in (errno.ENOSPC, getattr(errno, "EDQUOT", None)) if e is not None)
#: an absolute POSIX path of at least two parts, or a Windows drive path
_PATH_RE = re.compile(r"(?<![\w.:/])(?:/[^\s/'\"<>:;,()]+){2,}/?|\b[A-Za-z]:\\[^\s'\"<>]*")


def _signed_in_staff() -> bool:
    from webmap.auth import current_user

    try:
        user = current_user()
    except Exception:  # noqa: BLE001 - an error page must not fail on a broken session
        return False
    return user is not None and user.may("team_leader", "planner")


def _server_roots() -> list[str]:
    roots = {
        str(Path(current_app.config.get("AREA_PATH") or ".").resolve()),
        current_app.instance_path,
        str(Path(current_app.root_path).parent),
        str(Path.cwd()),
        tempfile.gettempdir(),
        str(Path.home()),
    }
    return sorted((r for r in roots if len(r) > 1), key=len, reverse=True)


def public_message(message: str) -> str:
    """``message`` with every server path replaced (for answers to the public)."""
    for root in _server_roots():
        message = message.replace(root, "<server>")
    return _PATH_RE.sub("<path>", message)


def error_response(
    status: int, code: str, message: str, fields: list[dict[str, str]] | None = None
):
    """The response for an error: JSON under /api, the friendly HTML page elsewhere."""
    if not _signed_in_staff():
        message = public_message(message)
    if _wants_json():
        error: dict[str, object] = {"code": code, "message": message}
        if fields:
            error["fields"] = fields
        return jsonify({"error": error}), status
    lang = pick_lang(request.args.get("lang"), default="zh")
    words = texts_for(lang)
    friendly = {404: words["error_not_found"], 503: words["error_unavailable"]}.get(
        status, message if status < 500 else words["error_internal"]
    )
    return (
        render_template(
            "error.html",
            status=status,
            code=code,
            message=friendly,
            detail=message if status in (503, 507) or _staff_page() else "",
            lang=lang,
            t=words,
        ),
        status,
    )


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException):
        return error_response(
            exc.code or 500,
            _code_of(exc),
            exc.description or exc.name,
            getattr(exc, "fields", None),
        )

    @app.errorhandler(OSError)
    def handle_os_error(exc: OSError):
        if exc.errno in DISK_FULL:
            app.logger.error("disk full on %s: %s", request.path, exc)
            return error_response(
                507,
                "insufficient_storage",
                "the server's disk is full (no space left to write); nothing "
                "was saved. Tell the administrator to free space, then try again.",
            )
        return handle_unexpected(exc)

    @app.errorhandler(GeogridError)
    def handle_geogrid(exc: GeogridError):
        status, code = next((s, c) for cls, s, c in GEOGRID_STATUS if isinstance(exc, cls))
        if status >= 500:
            app.logger.error("geogrid error on %s: %s", request.path, exc)
        return error_response(status, code, str(exc))

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        app.logger.error("unexpected error on %s", request.path, exc_info=exc)
        return error_response(500, "internal_error", "internal server error; see the server log")
