"""Team leaders after the patrol: upload the night's track, see planned vs actual, phone files.

* ``POST /api/patrol/plans/<day>/<team>/track`` (multipart: file ``track``, fields of
  :class:`webmap.schemas.TrackUpload`, CSRF): the track is matched to the team's plan
  and logged (:func:`geogrid.services.patrol_log.log_patrol`); a bad file is a 400
  naming the file and the fix. At most ``TRACK_MAX_BYTES`` (create_app refuses larger
  bodies with 413 before anything reads them).
* ``GET /api/patrol/plans/<day>/<team>/track.geojson``: the logged track, the street
  spans walked and every planned stop with ``visited`` (404 until logged).
* ``GET /api/patrol/plans/<day>/<team>/plan.gpx|plan.kml?datum=wgs84|gcj02``: the
  team's plan for a phone (GCJ-02 named so in the file name and its metadata).

Team leaders whose account names teams reach their own teams only (403 otherwise),
as on every patrol page (:func:`webmap.views.patrol._team`). With the app's area in a
database all three go through its store (the plan, the log, the track kept as a file of
the day's plan).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, request

from geogrid.errors import InputError
from geogrid.io.tracks import TRACK_SUFFIXES
from geogrid.services import patrol_log as service
from webmap.area import area_ref
from webmap.auth import role_required
from webmap.schemas import Args, PhoneArgs, TrackUpload, parse_args, parse_form
from webmap.views.patrol import _check_date, _team, config_path, plan_folder

api = Blueprint("patrol_tracks_api", __name__, url_prefix="/api/patrol")

#: largest track upload, bytes (a night's GPX at one point a second is well under 2 MiB)
DEFAULT_TRACK_MAX_BYTES = 4 * 1024 * 1024
UPLOAD_ENDPOINT = "patrol_tracks_api.upload_track"


@api.post("/plans/<day>/<team>/track")
@role_required("team_leader")
def upload_track(day: str, team: str):
    folder = plan_folder()
    _check_date(day)
    _team(team)  # another team's leader: 403 before anything of the body is read
    form = parse_form(TrackUpload)
    upload = request.files.get("track")
    if upload is None or not upload.filename:
        abort(400, description="track: choose the phone's track file (GPX, KML, or a check-in CSV)")
    name = Path(upload.filename).name
    suffix = Path(name).suffix.lower()
    if suffix not in TRACK_SUFFIXES:
        abort(400, description=f"{name}: give a track as {', '.join(TRACK_SUFFIXES)}")
    with tempfile.TemporaryDirectory(prefix="track-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        upload.save(path)
        try:
            done = service.log_patrol(
                area_ref(current_app) if folder is None else folder,
                day,
                team,
                path,
                members=form.members,
                datum=form.datum,
                time_offset_h=form.time_offset,
                config_path=config_path(folder),
                file_name=name,
            )
        except InputError as err:
            problems = "; ".join(getattr(err, "problems", None) or [])
            abort(400, description=str(err) + (f" ({problems})" if problems else ""))
    g = done.log
    return {
        "date": g.date,
        "team": g.team,
        "members": len(g.members),
        "planned": g.planned,
        "done": g.done,
        "km": g.km,
        "hours": g.hours,
        "volunteer_hours": round(len(g.members) * g.hours, 2),
        "missed": [
            {"stop_id": s.stop_id, "name": s.name, "reason": s.reason}
            for s in done.match.stops
            if not s.visited and not s.extra
        ],
    }


@api.get("/plans/<day>/<team>/track.geojson")
@role_required("team_leader")
def track_geojson(day: str, team: str):
    parse_args(Args)
    folder = plan_folder()
    _check_date(day)
    _team(team)
    data = service.read_patrol_track(area_ref(current_app) if folder is None else folder, day, team)
    if data is None:
        abort(404, description=f"no track of {team} on {day} yet; upload it on the plan page")
    return data


@api.get("/plans/<day>/<team>/plan.<fmt>")
@role_required("team_leader")
def phone_plan(day: str, team: str, fmt: str):
    args = parse_args(PhoneArgs)
    if fmt not in ("gpx", "kml"):
        abort(404, description=f"no plan.{fmt}; give plan.gpx or plan.kml")
    folder = plan_folder()
    _check_date(day)
    _team(team)
    where = area_ref(current_app) if folder is None else folder
    try:
        name, text = service.phone_file(where, day, team, fmt, args.datum)
    except InputError as err:
        abort(404, description=str(err))
    mimetype = "application/gpx+xml" if fmt == "gpx" else "application/vnd.google-earth.kml+xml"
    stem, suffix = name.rsplit(".", 1)
    return Response(
        text,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{stem}-{day}.{suffix}"',
            "Cache-Control": "no-store",
        },
    )


def track_limit() -> int:
    """``TRACK_MAX_BYTES`` of the app (default :data:`DEFAULT_TRACK_MAX_BYTES`)."""
    return int(current_app.config.get("TRACK_MAX_BYTES") or DEFAULT_TRACK_MAX_BYTES)
