"""The geogrid web app: public safety map and JSON API (Flask app factory).

``create_app(test_config=None)`` builds the app: defaults, then ``FLASK_*``
environment variables (``app.config.from_prefixed_env()``), then ``test_config``.
Config keys:

``AREA_PATH``       area workspace folder (env ``FLASK_AREA_PATH``), read lazily
                    on the first request that needs it (default ``data/geo/helsinki-demo``)
``AREA``            an already-built :class:`geogrid.io.workspace.Area` (tests); wins over AREA_PATH
``BASEMAP``         ``"offline"`` (the area's own streets, no tiles), ``"osm"``, ``"tianditu"`` or
                    ``"amap"`` (web tiles; Amap overlays are shifted to GCJ-02 for display)
``DEFAULT_LANG``    ``"zh"`` or ``"en"``
``DENSITY_CELL_M``  cell size of the fallback density surface when the area has no grids (>= 150)
``TIANDITU_KEY``    browser key for Tianditu tiles (env ``FLASK_TIANDITU_KEY``); without it
                    the ``tianditu`` basemap is not offered
``MAX_CONTENT_LENGTH`` largest request body in bytes (default 64 KiB); larger ones get 413
``MAX_URL_LENGTH``  longest path + query string in characters (default 2048); longer get 414
"""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, request

DEFAULTS: dict[str, Any] = {
    "AREA_PATH": "data/geo/helsinki-demo",
    "AREA": None,
    "BASEMAP": "offline",
    "DEFAULT_LANG": "zh",
    "DENSITY_CELL_M": 200.0,
    "TIANDITU_KEY": "",
    "MAX_CONTENT_LENGTH": 64 * 1024,
    "MAX_URL_LENGTH": 2048,
}


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create the web app; ``test_config`` overrides the defaults and the environment."""
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env()
    if test_config is not None:
        app.config.from_mapping(test_config)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Chinese names stay readable

    from webmap import api, errors, public

    app.register_blueprint(public.bp)
    app.register_blueprint(api.bp)
    errors.register_error_handlers(app)

    @app.before_request
    def limit_request_size() -> None:
        """Refuse oversized requests before any view reads them (GETs with bodies too)."""
        limit = app.config["MAX_CONTENT_LENGTH"]
        if limit is not None and (request.content_length or 0) > limit:
            abort(413, description=f"request body larger than {limit} bytes")
        url_limit = app.config["MAX_URL_LENGTH"]
        if len(request.full_path) > url_limit:
            abort(414, description=f"URL longer than {url_limit} characters")

    return app
