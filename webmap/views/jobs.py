"""The ``jobs`` blueprint: ``GET /api/jobs/<id>``, the progress of one background job.

Answered from the shared job records (:mod:`webmap.jobs`: the SQLite job store,
or Redis under Celery), so any worker process or web node answers it; a job of
several parts (team groups) says how many are done in ``parts: {done, total}``.
A job is shown to the user who started it and to planners and admins; anyone
else gets 404, as for a job that does not exist.
"""

from __future__ import annotations

import re

from flask import Blueprint, abort, current_app

from webmap.auth import current_user
from webmap.jobs import runner_of
from webmap.schemas import Args, parse_args

bp = Blueprint("jobs", __name__, url_prefix="/api/jobs")

JOB_ID_RE = re.compile(r"^[0-9a-f]{8,32}$")


@bp.get("/<job_id>")
def status(job_id: str):
    """Progress of one job, for the user who started it (or a planner or an admin)."""
    user = current_user()
    if user is None:
        abort(401, description="sign in first (POST /login)")
    parse_args(Args)
    job = runner_of(current_app).get(job_id) if JOB_ID_RE.fullmatch(job_id) else None
    if job is None or (job.owner != user.username and not user.may("planner")):
        abort(404, description="no such job of yours")
    return job.as_json()
