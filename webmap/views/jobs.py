"""The ``jobs`` blueprint: ``GET /api/jobs/<id>``, the progress of one background job."""

from __future__ import annotations

from flask import Blueprint, abort, current_app

from webmap.auth import current_user
from webmap.jobs import runner_of

bp = Blueprint("jobs", __name__, url_prefix="/api/jobs")


@bp.get("/<job_id>")
def status(job_id: str):
    """Progress of one job, for the user who started it (or an admin)."""
    user = current_user()
    if user is None:
        abort(401, description="sign in first (POST /login)")
    job = runner_of(current_app).get(job_id)
    shared = job is not None and job.kind == "patrol" and user.may("team_leader")  # one plan per shift
    if job is None or (job.owner != user.username and user.role != "admin" and not shared):
        abort(404, description=f"no job {job_id} of yours (jobs are forgotten on restart)")
    return job.as_json()
