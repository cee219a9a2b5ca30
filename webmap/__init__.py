"""The geogrid web app: public safety map and JSON API (Flask app factory).

``create_app(test_config=None)`` builds the app: defaults, then ``FLASK_*``
environment variables (``app.config.from_prefixed_env()``), then ``test_config``.
Config keys:

``AREA_PATH``       area workspace folder (env ``FLASK_AREA_PATH``), read lazily
                    on the first request that needs it (default ``data/geo/helsinki-demo``)
``STORE``           where areas live (env ``FLASK_STORE``; default: env ``GEOGRID_STORE``): a
                    PostgreSQL URL (``postgresql://...``, the area pushed there with ``geogrid
                    store push``) or a folder of area folders; empty: the folder ``AREA_PATH``
``AREA_NAME``       the area's name in ``STORE`` (default: the name of the ``AREA_PATH`` folder)
``AREA``            an already-built :class:`geogrid.io.workspace.Area` (tests); wins over AREA_PATH
``BASEMAP``         ``"offline"`` (the area's own streets, no tiles), ``"osm"``, ``"tianditu"`` or
                    ``"amap"`` (web tiles; Amap overlays are shifted to GCJ-02 for display)
``DEFAULT_LANG``    ``"zh"`` or ``"en"``
``DENSITY_CELL_M``  cell size of the fallback density surface when the area has no grids (>= 150)
``TIANDITU_KEY``    browser key for Tianditu tiles (env ``FLASK_TIANDITU_KEY``); without it
                    the ``tianditu`` basemap is not offered
``MAX_CONTENT_LENGTH`` largest request body in bytes (default 64 KiB); larger ones get 413
``TRACK_MAX_BYTES`` largest patrol-track upload in bytes (default 4 MiB), the one larger body
``MAX_URL_LENGTH``  longest path + query string in characters (default 2048); longer get 414
``SECRET_KEY``      signs the session cookie (env ``FLASK_SECRET_KEY``); without one, a key is
                    made once into ``<instance folder>/secret_key``
``USERS_PATH``      the accounts file (default ``<instance folder>/users.json``; see webmap.users)
``SESSION_COOKIE_SECURE`` True (default): the session cookie only travels over https; set
                    False for plain-http development (``geogrid-web`` and tests do)
``PATROL_CONFIG``   patrol TOML for the team-leader pages (default: the area's patrol.toml,
                    else data/config/patrol.example.toml)
``PATROL_TIME_LIMIT_S`` solver time limit of a plan computed from the browser (default 5)
``JOB_WORKERS``     background jobs run at once per worker process (default 1)
``JOBS_PATH``       SQLite job store shared by all worker processes (default: next to the users
                    file, i.e. ``<instance folder>/jobs.sqlite3``; see webmap.jobs)
``JOBS_PER_USER``   queued or running jobs one user may have (default 2; more get 429)
``JOBS_BROKER_URL`` Redis URL of the Celery workers (default: env ``GEOGRID_BROKER_URL``; empty:
                    jobs run on threads of the web workers; see webmap.jobs and docs/DEPLOY.md)
``PATROL_TEAMS_PER_PART`` a plan of more teams than this is one job of several parts, one per
                    team group (default 0: one part)
``PROXY_FIX_X_FOR`` reverse proxies in front of the app (default 0); set it behind nginx so the
                    client's address (sign-in throttle) comes from X-Forwarded-For
``THROTTLE_PATH``   SQLite file of failed sign-ins shared by all workers (default: next to the
                    users file, i.e. ``<instance folder>/throttle.sqlite3``)

Every response carries CSP, nosniff, X-Frame-Options and Referrer-Policy (:mod:`webmap.security`).

Pages per audience: public (``/``, ``/api/...`` aggregates), auth (``/login``,
``/logout``), planner (``/planner/...``, ``/api/planner/...``), patrol
(``/patrol/...``, ``/api/patrol/...``); job progress at ``/api/jobs/<id>``.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, request

DEFAULTS: dict[str, Any] = {
    "AREA_PATH": "data/geo/helsinki-demo",
    "AREA": None,
    "STORE": None,
    "AREA_NAME": None,
    "BASEMAP": "offline",
    "DEFAULT_LANG": "zh",
    "DENSITY_CELL_M": 200.0,
    "TIANDITU_KEY": "",
    "MAX_CONTENT_LENGTH": 64 * 1024,
    "MAX_URL_LENGTH": 2048,
    "SECRET_KEY": None,
    "USERS_PATH": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": True,
    "PERMANENT_SESSION_LIFETIME": 12 * 3600,
    "PATROL_CONFIG": None,
    "PATROL_TIME_LIMIT_S": 5.0,
    "JOB_WORKERS": 1,
    "JOBS_PATH": None,
    "JOBS_PER_USER": 2,
    "JOBS_BROKER_URL": None,
    "PATROL_TEAMS_PER_PART": 0,
    "PROXY_FIX_X_FOR": 0,
    "THROTTLE_PATH": None,
}


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create the web app; ``test_config`` overrides the defaults and the environment."""
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env()
    if test_config is not None:
        if test_config.get("TESTING") and "SESSION_COOKIE_SECURE" not in test_config:
            app.config["SESSION_COOKIE_SECURE"] = False  # the test client speaks plain http
        app.config.from_mapping(test_config)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Chinese names stay readable

    import webmap.views.planner_staffing  # noqa: F401  (routes on planner's blueprints)
    from webmap import auth, errors, security
    from webmap.views import api, jobs, patrol, patrol_tracks, planner, public
    from webmap.views import auth as auth_views

    app.register_blueprint(public.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(auth_views.bp)
    app.register_blueprint(planner.bp)
    app.register_blueprint(planner.api)
    app.register_blueprint(patrol.bp)
    app.register_blueprint(patrol.api)
    app.register_blueprint(patrol_tracks.api)
    app.register_blueprint(jobs.bp)
    errors.register_error_handlers(app)

    @app.before_request
    def limit_request_size() -> None:
        """Refuse oversized requests before any view reads them (GETs with bodies too)."""
        limit = app.config["MAX_CONTENT_LENGTH"]
        if request.endpoint == patrol_tracks.UPLOAD_ENDPOINT:  # a night's track: a larger body
            limit = patrol_tracks.track_limit()
            request.max_content_length = limit  # the form parser's limit too (chunked uploads)
        if limit is not None and (request.content_length or 0) > limit:
            abort(413, description=f"request body larger than {limit} bytes")
        url_limit = app.config["MAX_URL_LENGTH"]
        if len(request.full_path) > url_limit:
            abort(414, description=f"URL longer than {url_limit} characters")
        if request.is_json:  # deep nesting is refused before anything parses it
            from webmap.schemas import check_json_depth

            check_json_depth(request.get_data(cache=True))

    auth.init_app(app)  # after the size check: the CSRF check reads the form
    security.init_app(app)  # CSP, nosniff, frame and referrer headers on every response

    return app
