"""Team-leader pages (/patrol/...): pick team and shift, compute or open the plan, print it.

A plan is made for one shift date (default: today, "tonight's plan") for
all teams of the area by :func:`geogrid.services.patrol.plan_shift` on a
worker thread (:mod:`webmap.jobs`), with the solver time limit
``PATROL_TIME_LIMIT_S``; the page polls ``/api/jobs/<id>``. Files go to
``<area>/plans/web/<date>/`` (plan.geojson, <team>.gpx, route_sheets.pdf,
plan.json, and one <team>.pdf per team, all written atomically by the
service) and are served from there; the teams come from the app's area cache. A team leader whose account names a team sees only that
team (its own PDF, not the all-teams one).
"""

from __future__ import annotations

import re
import threading
import time
from datetime import date as Date
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    render_template,
    request,
    send_file,
    url_for,
)

from geogrid.io.workspace import Workspace
from geogrid.planning.problem import format_hhmm, parse_hhmm
from geogrid.printing import KIND_ZH
from geogrid.services import patrol as service
from webmap.area import current_area
from webmap.auth import current_user, role_required
from webmap.jobs import Progress, runner_of

bp = Blueprint("patrol", __name__, url_prefix="/patrol")
api = Blueprint("patrol_api", __name__, url_prefix="/api/patrol")

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TEAM_RE = re.compile(r"^[\w.\-]{1,64}$")
_RUNNING: dict[str, str] = {}
_RUNNING_LOCK = threading.Lock()


def area_dir() -> Path:
    ws = Workspace(current_app.config["AREA_PATH"])
    if not ws.exists():
        abort(503, description=f"patrol plans need an area folder; {ws.path} has no "
                               f"{ws.manifest_path.name}")
    return ws.path


def _check_date(day: str) -> str:
    if not DATE_RE.fullmatch(day):
        abort(400, description=f"shift date {day!r}: write it as YYYY-MM-DD")
    try:
        Date.fromisoformat(day)
    except ValueError:
        abort(400, description=f"shift date {day!r} does not exist")
    return day


def config_path(folder: Path) -> Path | None:
    """The patrol config: PATROL_CONFIG, else the area's patrol.toml, else the example."""
    configured = current_app.config.get("PATROL_CONFIG")
    if configured:
        return Path(configured)
    example = Path(current_app.root_path).parent / "data/config/patrol.example.toml"
    return service.shift_config(folder, example)


def teams_of(folder: Path) -> list[dict[str, Any]]:
    """The area's teams (id, name, leader, mode, shift) the signed-in user may see."""
    area = current_area()
    if area.teams is None or not len(area.teams):
        return []
    user = current_user()
    out = []
    for row in area.teams.itertuples(index=False):
        tid = str(row.id)
        if user is not None and user.role == "team_leader" and user.team and user.team != tid:
            continue
        start = getattr(row, "shift_start", None) or "00:00"
        end = getattr(row, "shift_end", None) or "24:00"
        out.append({"id": tid, "name": str(getattr(row, "name", "") or tid),
                    "leader": str(getattr(row, "leader", "") or ""), "mode": str(row.mode),
                    "shift": f"{format_hhmm(parse_hhmm(start))}–{format_hhmm(parse_hhmm(end))}"})
    return out


def _team(folder: Path, team: str) -> dict[str, Any]:
    if not TEAM_RE.fullmatch(team):
        abort(404, description=f"no team {team!r}")
    for t in teams_of(folder):
        if t["id"] == team:
            return t
    user = current_user()
    if user is not None and user.role == "team_leader" and user.team:
        abort(403, description=f"your account leads team {user.team}; ask an admin for {team}")
    abort(404, description=f"no team {team!r} in this area")


def _team_features(plan: dict[str, Any], team: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
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


def _solve(progress: Progress, app: Flask, folder: Path, config: Path | None, day: str,
           time_limit_s: float) -> dict[str, Any]:
    done = threading.Event()

    def tick() -> None:  # the solver says nothing while it runs: show the clock against its limit
        start = time.time()
        while not done.wait(0.25):
            used = time.time() - start
            progress(0.15 + 0.7 * min(1.0, used / max(time_limit_s, 0.1)),
                     f"solving routes ({used:.0f} s of at most {time_limit_s:g} s)")

    progress(0.05, "reading the area and the street network")
    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()
    try:
        run = service.plan_shift(folder, day, config, time_limit_s=time_limit_s)
    finally:
        done.set()
        with _RUNNING_LOCK:
            _RUNNING.pop(f"{folder}:{day}", None)
    progress(1.0, "plan ready")
    return {"date": day, "visited": len(run.plan.visited()), "stops": run.problem.n_stops,
            "prize": run.plan.prize}


def _bound_team() -> str | None:
    """The team a team-leader account is limited to (None: all teams)."""
    user = current_user()
    return user.team if user is not None and user.role == "team_leader" and user.team else None


# --------------------------------------------------------------------------- pages


@bp.get("/")
@role_required("team_leader")
def index():
    folder = area_dir()
    day = _check_date(request.args.get("date") or Date.today().isoformat())
    teams = teams_of(folder)
    return render_template("patrol/index.html", teams=teams, day=day, days=service.planned_days(folder),
                           has_plan=service.read_shift_plan(folder, day) is not None,
                           time_limit_s=current_app.config["PATROL_TIME_LIMIT_S"])


@bp.get("/plans/<day>/<team>")
@role_required("team_leader")
def plan_page(day: str, team: str):
    return _plan_view(day, team, "patrol/plan.html")


@bp.get("/plans/<day>/<team>/print")
@role_required("team_leader")
def print_view(day: str, team: str):
    return _plan_view(day, team, "patrol/print.html")


def _plan_view(day: str, team: str, template: str):
    folder = area_dir()
    _check_date(day)
    info = _team(folder, team)
    plan = service.read_shift_plan(folder, day)
    if plan is None:
        abort(404, description=f"no plan for {day} yet; compute it on the patrol page")
    route, stops = _team_features(plan, team)
    return render_template(template, day=day, team=info, route=route, stops=stops,
                           summary=plan["summary"], all_sheets=_bound_team() is None, kind_zh=KIND_ZH,
                           geojson_url=url_for("patrol_api.plan_geojson", day=day, team=team))


@bp.get("/plans/<day>/route_sheets.pdf")
@role_required("team_leader")
def pdf(day: str):
    folder = area_dir()
    if _bound_team() is not None:
        abort(403, description=f"your account leads {_bound_team()}: download its own sheet "
                               f"({_bound_team()}.pdf)")
    return _plan_file(folder, day, "route_sheets.pdf", f"route sheets for {day}")


@bp.get("/plans/<day>/<team>.pdf")
@role_required("team_leader")
def team_pdf(day: str, team: str):
    folder = area_dir()
    _team(folder, team)
    return _plan_file(folder, day, f"{team}.pdf", f"route sheet for {team} on {day}")


@bp.get("/plans/<day>/<team>.gpx")
@role_required("team_leader")
def gpx(day: str, team: str):
    folder = area_dir()
    _team(folder, team)
    return _plan_file(folder, day, f"{team}.gpx", f"GPX for {team} on {day}")


# --------------------------------------------------------------------------- JSON


@api.post("/plans")
@role_required("team_leader")
def start_plan():
    folder = area_dir()
    body = request.get_json(silent=True) or {}
    day = _check_date(str(body.get("date") or Date.today().isoformat()))
    key = f"{folder}:{day}"
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    runner = runner_of(app)
    user = current_user()
    assert user is not None
    with _RUNNING_LOCK:
        running = _RUNNING.get(key)
        job = runner.get(running) if running else None
        if job is None or job.state in ("done", "failed"):
            job = runner.submit("patrol", user.username, _solve, app, folder, config_path(folder), day,
                                float(app.config["PATROL_TIME_LIMIT_S"]))
            _RUNNING[key] = job.id
    return {"job": job.id, "status_url": url_for("jobs.status", job_id=job.id)}, 202


@api.get("/plans/<day>/<team>.geojson")
@role_required("team_leader")
def plan_geojson(day: str, team: str):
    folder = area_dir()
    _team(folder, team)
    plan = service.read_shift_plan(folder, _check_date(day))
    if plan is None:
        abort(404, description=f"no plan for {day} yet")
    features = [f for f in plan["geojson"]["features"] if f["properties"].get("team") == team]
    return {"type": "FeatureCollection", "features": features}


_MIMETYPES = {".pdf": "application/pdf", ".gpx": "application/gpx+xml"}


def _plan_file(folder: Path, day: str, name: str, what: str):
    """Send one file of a day's plan as a download (404 naming it when not computed yet)."""
    path = service.shift_file(folder, _check_date(day), name)
    if path is None:
        abort(404, description=f"no {what} yet; compute the plan first")
    stem, suffix = Path(name).stem, Path(name).suffix
    return send_file(path.resolve(), mimetype=_MIMETYPES[suffix], as_attachment=suffix == ".gpx",
                     download_name=f"{stem}-{day}{suffix}", max_age=0)
