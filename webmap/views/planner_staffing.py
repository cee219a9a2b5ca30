"""The planner's staffing page (/planner/staffing) and its JSON (/api/planner/staffing/...).

The routes live on the planner's blueprints (one blueprint per audience);
``create_app`` imports this module before it registers them. The work is
:mod:`geogrid.services.staffing`: the overview of the saved 1+3+N staffing
(every grid's posts, who fills them, open posts, overloaded people, broken
rules), hand edits judged by the same checker as the solver's result
(:func:`geogrid.staffing.check_staffing`: a broken rule is a 422 naming it and
nothing is saved), each saved as a new staffing version with author and
message. Every answer carries the staffing's ``ETag`` (``"s0003"``); edits and
re-runs send it back in ``If-Match`` (none: 428, an older one: 409 naming who
saved what since). Re-running the assignment is a background job; the
notice boards (with or without phone numbers) and the CSV/Excel table are
downloads. With the app's area in a database the roster and the staffings are
documents of the store (:class:`geogrid.services.staffing.StaffPlace`) and the
CSV/Excel table is made from the saved staffing when downloaded.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, current_app, render_template, request, send_file, url_for

from geogrid.errors import ConflictError
from geogrid.io.staffing import HEADERS_ZH, staffing_xlsx
from geogrid.io.tables import frame_csv
from geogrid.io.workspace import Workspace
from geogrid.services import staffing as SS
from geogrid.store.base import AreaRef
from webmap.area import area_ref, current_entry, in_database
from webmap.auth import current_user, role_required
from webmap.jobs import Progress, runner_of
from webmap.schemas import (
    Args,
    BoardArgs,
    StaffingAssign,
    StaffingEdit,
    parse_args,
    parse_body,
    parse_staffing_if_match,
)
from webmap.views.planner import api, area_dir, bp

ASSIGN_JOB = "staffing-assign"


def _author() -> str:
    user = current_user()
    assert user is not None
    return user.username


def _tag(version: int) -> str:
    return f"s{version:04d}"


def staff_area() -> AreaRef:
    """The app's area for the staffing service: its folder, or its area in the database
    (:func:`webmap.area.area_ref`), whose roster and staffings the store keeps."""
    if in_database(current_app):
        return area_ref(current_app)
    return area_dir()


def _current_version(folder: AreaRef) -> int:
    saved = SS.staffing_versions(folder, limit=0)
    return int(saved[0]["version"]) if saved else 0


def _given_version() -> int:
    """The staffing version the client edited (428 without If-Match, 400 when not a tag)."""
    given = parse_staffing_if_match(request.headers.get("If-Match"))
    if given is None:
        abort(428, description="send If-Match with the ETag of the staffing you loaded")
    return given


def _state_response(folder: AreaRef, extra: dict[str, Any] | None = None) -> Response:
    body = {**SS.staffing_overview(folder).to_dict(), **(extra or {})}
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False), mimetype="application/json"
    )
    response.headers["ETag"] = f'"{body["etag"]}"'
    response.headers["Cache-Control"] = "no-store"
    return response


# --------------------------------------------------------------------------- pages and downloads


@bp.get("/staffing")
@role_required("planner")
def staffing():
    parse_args(Args)
    staff_area()
    return render_template("planner/staffing.html", area_name=current_entry().area.name)


def _download(data: bytes | Path, mimetype: str, name: str) -> Response:
    response = send_file(
        data if isinstance(data, Path) else io.BytesIO(data),
        mimetype=mimetype,
        as_attachment=True,
        download_name=name,
    )
    response.headers["Cache-Control"] = "no-store"  # names and phone numbers
    return response


@bp.get("/staffing/notice_boards.pdf")
@role_required("planner")
def staffing_boards():
    args = parse_args(BoardArgs)
    folder = staff_area()
    version = _current_version(folder)
    if not version:
        abort(404, description="no staffing yet: re-run the assignment first")
    phones = args.phones == "1"
    pdf = SS.notice_boards_pdf(folder, publish_phones=phones)
    suffix = "-phones" if phones else ""
    return _download(pdf, "application/pdf", f"notice_boards-{_tag(version)}{suffix}.pdf")


TABLE_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@bp.get("/staffing/table.<fmt>")
@role_required("planner")
def staffing_table(fmt: str):
    parse_args(Args)
    folder = staff_area()
    if fmt not in TABLE_TYPES:
        abort(404, description=f"no table .{fmt}; use table.csv or table.xlsx")
    version = _current_version(folder)
    if not isinstance(folder, Path):  # in a database: the table made from the saved staffing
        if not version:
            abort(404, description="no staffing table yet: re-run the assignment first")
        table, roster, _area = SS.current_table(folder)
        data = (
            frame_csv(table.rename(columns=HEADERS_ZH)).encode("utf-8")
            if fmt == "csv"
            else staffing_xlsx(table, synthetic=roster.synthetic)
        )
        return _download(data, TABLE_TYPES[fmt], f"staffing-{_tag(version)}.{fmt}")
    ws = Workspace(folder)
    path = ws.staffing_csv_path if fmt == "csv" else ws.staffing_xlsx_path
    if not version or not path.exists():
        abort(404, description="no staffing table yet: re-run the assignment first")
    return _download(path, TABLE_TYPES[fmt], f"staffing-{_tag(version)}.{fmt}")


# --------------------------------------------------------------------------- JSON API


@api.get("/staffing")
@role_required("planner")
def staffing_state():
    parse_args(Args)
    return _state_response(staff_area())


@api.post("/staffing/edits")
@role_required("planner")
def staffing_edit():
    body = parse_body(StaffingEdit)
    given = _given_version()
    folder = staff_area()
    try:
        run = SS.edit_staffing(
            folder,
            body.op,
            person=body.person,
            grid=body.grid,
            role=body.role,
            author=_author(),
            message=body.message or None,
            expected_version=given,
        )
    except ConflictError as err:
        abort(409, description=str(err))
    except SS.StaffingRuleError as err:
        rules = [
            {"kind": i.kind, "grid": i.grid, "person": i.person, "message": i.message}
            for i in err.issues
        ]
        error = {"code": "staffing_rule", "message": str(err), "rules": rules}
        return {"error": error}, 422
    return _state_response(folder, {"result": run.line()})


def _assign(
    progress: Progress,
    app: Flask,
    folder: AreaRef,
    given: int,
    author: str,
    seed: int,
    message: str | None,
) -> dict[str, Any]:
    """The job of POST /api/planner/staffing/assign: solve, check, save as the next version."""
    progress(0.1, f"assigning the roster to the grids (seed {seed})")
    with app.app_context():
        run = SS.assign(folder, seed=seed, author=author, message=message, expected_version=given)
        version = _current_version(folder)
    progress(1.0, f"saved {_tag(version)}")
    return {
        "version": version,
        "etag": _tag(version),
        "summary": [line for line in run.lines() if not line.startswith("wrote ")],
    }


@api.post("/staffing/assign")
@role_required("planner")
def staffing_assign():
    body = parse_body(StaffingAssign)
    given = _given_version()
    folder = staff_area()
    if given != _current_version(folder):
        abort(409, description=SS.stale_staffing_message(folder, given))
    SS.require_roster(folder)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    job = runner_of(app).submit(
        ASSIGN_JOB,
        _author(),
        _assign,
        app,
        folder,
        given,
        _author(),
        body.seed or 0,
        body.message or None,
    )
    return {"job": job.id, "status_url": url_for("jobs.status", job_id=job.id)}, 202
