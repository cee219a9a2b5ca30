"""Team-leader pages (/patrol/...): pick team and shift, compute or open the plan, print it.

A plan is made for one shift date (default: today, "tonight's plan") for
all teams of the area by :func:`geogrid.jobs.tasks.plan_shift` as a background
job (:mod:`webmap.jobs`: a worker thread, or a Celery worker), with the solver time limit
``PATROL_TIME_LIMIT_S``; the page polls ``/api/jobs/<id>``. With more teams than
``PATROL_TEAMS_PER_PART`` (0: never) the plan is one job of several parts, one per
team group (:func:`geogrid.services.patrol.plan_teams` each), and the page shows
parts done / parts. Files go to
``<area>/plans/web/<date>/`` (plan.geojson, <team>.gpx, route_sheets.pdf,
plan.json, and one <team>.pdf per team, all written atomically by the
service) and are served from there; the teams come from the app's area cache.
A team leader whose account names a team sees only that team (its own PDF, not
the all-teams one).

Scope: a team leader whose account names teams (``team``, several separated by
commas) computes, opens and downloads the plans of those teams only; their
plan is solved for their teams and merged into the day's plan
(:func:`geogrid.services.patrol.plan_teams`), never rewriting another team's
route. Plans are computed for shift dates from yesterday to
:data:`MAX_DAYS_AHEAD` days ahead. The request body is the declared
:class:`webmap.schemas.PatrolStart`.

Store: every page reads and writes the day's plan through the app's store
(:func:`webmap.area.area_ref`). With the area in a database, the job gets the
area's name and the store URL, keeps the plan with ``Store.save_plan`` and the
route-sheet PDFs with ``Store.save_plan_file``; GPX files are made from the
stored plan when downloaded; the patrol config is ``PATROL_CONFIG``, else the
area's ``patrol.toml`` (a document of the area in a database), else the example.
The week's rota (``geogrid rota``, or the ``rota.plan_week`` task with the store
URL) is read from the store as well: its ``rota.json`` and PDFs are documents of
the area, ``rota.csv`` is made from ``rota.json``.
"""

from __future__ import annotations

import io
import re
from datetime import date as Date
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    render_template,
    send_file,
    url_for,
)

from geogrid.io.workspace import Workspace
from geogrid.jobs import tasks
from geogrid.planning.problem import format_hhmm, parse_hhmm
from geogrid.printing.fonts import KIND_ZH
from geogrid.services import patrol as service
from geogrid.services import rota as rota_service
from webmap.area import area_ref, current_area, in_database, store_setting
from webmap.auth import current_user, role_required
from webmap.jobs import runner_of
from webmap.schemas import Args, DayArgs, PatrolStart, parse_args, parse_body
from webmap.users import User

bp = Blueprint("patrol", __name__, url_prefix="/patrol")
api = Blueprint("patrol_api", __name__, url_prefix="/api/patrol")

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TEAM_RE = re.compile(r"^[\w.\-]{1,64}$")
WEEK_RE = re.compile(r"^\d{4}-W\d{2}$")
#: plans are computed for shifts from yesterday to this many days ahead
MAX_DAYS_AHEAD = 14


def account_teams(user: User | None) -> frozenset[str] | None:
    """The teams ``user`` may plan and see; None means every team (planners, admins, and
    team leaders whose account names no team)."""
    if user is None or user.role != "team_leader" or not user.team:
        return None
    return frozenset(t for t in re.split(r"[,\s]+", user.team) if t)


def plan_folder() -> Path | None:
    """The area folder of the pages that compute plans or send their files; None for an area
    in a database (they go through the store); 503 when the folder holds no area."""
    if in_database(current_app):
        return None
    ws = Workspace(current_app.config["AREA_PATH"])
    if not ws.exists():
        abort(
            503,
            description=f"patrol plans need an area folder; {ws.path} has no "
            f"{ws.manifest_path.name}",
        )
    return ws.path


def stored_plan(day: str) -> dict[str, Any] | None:
    """The day's plan from the app's store: ``summary`` and ``geojson``; None if not computed."""
    where = area_ref(current_app)
    found = where.store.read_plan(where.name, day)
    if found is None:
        return None
    return {"summary": found.summary, "geojson": found.geojson}


def stored_plan_days() -> list[str]:
    """Shift dates with a plan in the app's store, newest first."""
    where = area_ref(current_app)
    return sorted(where.store.plan_days(where.name), reverse=True)


def _check_date(day: str) -> str:
    if not DATE_RE.fullmatch(day):
        abort(400, description=f"shift date {day!r}: write it as YYYY-MM-DD")
    try:
        Date.fromisoformat(day)
    except ValueError:
        abort(400, description=f"shift date {day!r} does not exist")
    return day


def config_path(folder: Path | None) -> Path | None:
    """The patrol config: PATROL_CONFIG, else the area's patrol.toml (for an area in a
    database its document: None here, the service reads it), else the example."""
    configured = current_app.config.get("PATROL_CONFIG")
    if configured:
        return Path(configured)
    example = Path(current_app.root_path).parent / "data/config/patrol.example.toml"
    if folder is None:  # the area's own patrol.toml in the database, read by the service
        where = area_ref(current_app)
        if where.store.read_area_file(where.name, service.PATROL_TOML) is not None:
            return None
        return example if example.exists() else None
    return service.shift_config(folder, example)


def teams_of() -> list[dict[str, Any]]:
    """The area's teams (id, name, leader, mode, shift) the signed-in user may see."""
    area = current_area()
    if area.teams is None or not len(area.teams):
        return []
    user = current_user()
    out = []
    for row in area.teams.itertuples(index=False):
        tid = str(row.id)
        scope = account_teams(user)
        if scope is not None and tid not in scope:
            continue
        start = getattr(row, "shift_start", None) or "00:00"
        end = getattr(row, "shift_end", None) or "24:00"
        out.append(
            {
                "id": tid,
                "name": str(getattr(row, "name", "") or tid),
                "leader": str(getattr(row, "leader", "") or ""),
                "mode": str(row.mode),
                "shift": f"{format_hhmm(parse_hhmm(start))}–{format_hhmm(parse_hhmm(end))}",
            }
        )
    return out


def _team(team: str) -> dict[str, Any]:
    if not TEAM_RE.fullmatch(team):
        abort(404, description=f"no team {team!r}")
    found = next((t for t in teams_of() if t["id"] == team), None)
    if found is None:
        scope = account_teams(current_user())
        if scope is not None:
            abort(
                403,
                description=(
                    f"your account leads {', '.join(sorted(scope))}; ask an admin for {team}"
                ),
            )
        abort(404, description=f"no team {team!r} in this area")
    return found


def _team_features(
    plan: dict[str, Any], team: str
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    route = None
    stops = []
    for f in plan["geojson"]["features"]:
        props = f["properties"]
        if props.get("team") != team:
            continue
        if props.get("feature") == "route":
            route = props
        else:
            stops.append(props)
    return route, sorted(stops, key=lambda p: p.get("seq", 0))


def _bound_team() -> str | None:
    """The teams a team-leader account is limited to, comma-separated (None: all teams)."""
    scope = account_teams(current_user())
    return None if scope is None else ", ".join(sorted(scope))


def area_today() -> Date:
    """Today's date in the area's time zone (not the server's)."""
    return datetime.now(ZoneInfo(current_area().timezone)).date()


# --------------------------------------------------------------------------- pages


@bp.get("/")
@role_required("team_leader")
def index():
    args = parse_args(DayArgs)
    day = _check_date(args.date or area_today().isoformat())
    teams = teams_of()
    week = rota_service.week_of(day)
    folder = plan_folder()
    rota = rota_service.read_week(area_ref(current_app) if folder is None else folder, week)
    if (
        rota is not None
    ):  # the week of the shift date (geogrid rota): a team leader sees their teams
        scope = account_teams(current_user())
        rota = rota_service.team_week(rota, None if scope is None else set(scope))
    return render_template(
        "patrol/index.html",
        teams=teams,
        day=day,
        days=stored_plan_days(),
        has_plan=stored_plan(day) is not None,
        time_limit_s=current_app.config["PATROL_TIME_LIMIT_S"],
        week=week,
        rota=rota,
        all_sheets=_bound_team() is None,
    )


@bp.get("/rota/<week>/<name>")
@role_required("team_leader")
def rota_file(week: str, name: str):
    """A file of a week's rota (``geogrid rota``): ``<team>.pdf``, or for accounts that see
    every team ``rota.pdf`` (the district's week) and ``rota.csv``."""
    parse_args(Args)
    folder = plan_folder()
    if not WEEK_RE.fullmatch(week):
        abort(400, description=f"week {week!r}: write it as YYYY-Www, e.g. 2026-W50")
    if name in ("rota.pdf", "rota.csv"):
        if _bound_team() is not None:
            abort(
                403,
                description=(
                    f"your account leads {_bound_team()}: download its own week (<team>.pdf)"
                ),
            )
    elif name.endswith(".pdf"):
        _team(name.removesuffix(".pdf"))
    else:
        abort(404, description=f"no file {name!r} in a week's rota")
    source: Path | io.BytesIO | None = None
    if folder is None:
        data = rota_service.week_download(area_ref(current_app), week, name)
        source = None if data is None else io.BytesIO(data)
    elif (path := rota_service.week_file(folder, week, name)) is not None:
        source = path.resolve()
    if source is None:
        abort(
            404, description=f"no rota for {week} yet; plan it with geogrid rota AREA --week {week}"
        )
    suffix = Path(name).suffix
    return send_file(
        source,
        mimetype={".pdf": "application/pdf", ".csv": "text/csv"}[suffix],
        as_attachment=suffix == ".csv",
        download_name=f"{Path(name).stem}-{week}{suffix}",
        max_age=0,
    )


@bp.get("/plans/<day>/<team>")
@role_required("team_leader")
def plan_page(day: str, team: str):
    return _plan_view(day, team, "patrol/plan.html")


@bp.get("/plans/<day>/<team>/print")
@role_required("team_leader")
def print_view(day: str, team: str):
    return _plan_view(day, team, "patrol/print.html")


def _plan_view(day: str, team: str, template: str):
    parse_args(Args)
    _check_date(day)
    info = _team(team)
    plan = stored_plan(day)
    if plan is None:
        abort(404, description=f"no plan for {day} yet; compute it on the patrol page")
    route, stops = _team_features(plan, team)
    return render_template(
        template,
        day=day,
        team=info,
        route=route,
        stops=stops,
        summary=plan["summary"],
        all_sheets=_bound_team() is None,
        kind_zh=KIND_ZH,
        geojson_url=url_for("patrol_api.plan_geojson", day=day, team=team),
    )


@bp.get("/plans/<day>/route_sheets.pdf")
@role_required("team_leader")
def pdf(day: str):
    parse_args(Args)
    folder = plan_folder()
    if _bound_team() is not None:
        abort(
            403,
            description=f"your account leads {_bound_team()}: download its own sheet (<team>.pdf)",
        )
    return _plan_file(folder, day, "route_sheets.pdf", f"route sheets for {day}")


@bp.get("/plans/<day>/<team>.pdf")
@role_required("team_leader")
def team_pdf(day: str, team: str):
    parse_args(Args)
    folder = plan_folder()
    _team(team)
    return _plan_file(folder, day, f"{team}.pdf", f"route sheet for {team} on {day}")


@bp.get("/plans/<day>/<team>.gpx")
@role_required("team_leader")
def gpx(day: str, team: str):
    parse_args(Args)
    folder = plan_folder()
    _team(team)
    return _plan_file(folder, day, f"{team}.gpx", f"GPX for {team} on {day}")


# --------------------------------------------------------------------------- JSON


@api.post("/plans")
@role_required("team_leader")
def start_plan():
    body = parse_body(PatrolStart)
    folder = plan_folder()
    target = str(folder) if folder is not None else area_ref(current_app).name
    today = area_today()
    day = _check_date(body.date or today.isoformat())
    first, last = today - timedelta(days=1), today + timedelta(days=MAX_DAYS_AHEAD)
    if not first.isoformat() <= day <= last.isoformat():
        abort(
            400,
            description=f"date: plans are computed for shifts from {first} to {last} "
            f"(yesterday to {MAX_DAYS_AHEAD} days ahead)",
        )
    user = current_user()
    assert user is not None
    scope = account_teams(user)
    area_teams = [t["id"] for t in teams_of()]  # already limited to the account's teams
    if body.teams is not None:
        for team in body.teams:
            _team(team)  # 403 for another team's, 404 for an unknown one
        teams: list[str] | None = sorted(set(body.teams))
    elif scope is not None:
        if not area_teams:
            abort(
                403,
                description=f"your account leads {', '.join(sorted(scope))}, which this "
                "area has no team of",
            )
        teams = sorted(area_teams)
    else:
        teams = None
    all_teams = current_area().teams
    if (
        teams is not None
        and all_teams is not None
        and set(teams) == set(all_teams["id"].astype(str))
    ):
        teams = None  # every team: the full plan, with the all-teams route sheets
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    key = f"patrol:{target}:{day}:{','.join(teams) if teams else '*'}"
    config = config_path(folder)
    plain = (
        target,
        day,
        None if config is None else str(config),
        float(app.config["PATROL_TIME_LIMIT_S"]),
    )
    # an area in a database: the task gets the area's name and, last, the store URL
    tail = (store_setting(app),) if folder is None else ()
    per_part = int(app.config.get("PATROL_TEAMS_PER_PART") or 0)
    if teams is None and per_part and all_teams is not None and len(all_teams) > per_part:
        # many teams: one part per team group (in parallel on Celery workers), each writing
        # only its teams' part of the day's plan (under the area's lock, or in one
        # transaction in a database)
        groups = tasks.team_groups(all_teams["id"].astype(str).tolist(), per_part)
        job = runner_of(app).submit_group(
            "patrol",
            user.username,
            tasks.plan_shift,
            [(*plain, group, *tail) for group in groups],
            key=key,
        )
    else:
        job = runner_of(app).submit(
            "patrol", user.username, tasks.plan_shift, *plain, teams, *tail, key=key
        )
    if job.owner != user.username:
        abort(
            409,
            description=f"{job.owner} is computing this plan right now; open it when it is ready",
        )
    return {"job": job.id, "status_url": url_for("jobs.status", job_id=job.id)}, 202


@api.get("/plans/<day>/<team>.geojson")
@role_required("team_leader")
def plan_geojson(day: str, team: str):
    parse_args(Args)
    _team(team)
    plan = stored_plan(_check_date(day))
    if plan is None:
        abort(404, description=f"no plan for {day} yet")
    features = [f for f in plan["geojson"]["features"] if f["properties"].get("team") == team]
    return {"type": "FeatureCollection", "features": features}


_MIMETYPES = {".pdf": "application/pdf", ".gpx": "application/gpx+xml"}


def _plan_file(folder: Path | None, day: str, name: str, what: str):
    """Send one file of a day's plan as a download (404 naming it when not computed yet):
    the folder's file, or for an area in a database what the store keeps (PDF) or what is
    made from the stored plan (GPX)."""
    stem, suffix = Path(name).stem, Path(name).suffix
    source: Path | io.BytesIO
    if folder is None:
        data = service.shift_download(area_ref(current_app), _check_date(day), name)
        if data is None:
            abort(404, description=f"no {what} yet; compute the plan first")
        source = io.BytesIO(data)
    else:
        path = service.shift_file(folder, _check_date(day), name)
        if path is None:
            abort(404, description=f"no {what} yet; compute the plan first")
        source = path.resolve()
    return send_file(
        source,
        mimetype=_MIMETYPES[suffix],
        as_attachment=suffix == ".gpx",
        download_name=f"{stem}-{day}{suffix}",
        max_age=0,
    )
