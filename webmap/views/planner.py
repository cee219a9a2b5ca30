"""Planner pages (/planner/...) and their JSON edits (/api/planner/...).

The grids of the app's area (its store: the folder ``AREA_PATH``, or the
database of ``STORE`` / ``GEOGRID_STORE``, :func:`webmap.area.area_ref`) are
edited through :mod:`geogrid.services.grids`: every save re-validates the grids
(``validate_grids``) and becomes a new version with author and message.

Safe concurrent editing: every answer carries an ``ETag`` naming the current
version and the number of changes so far (``"v0004.5"``). Every edit must
send it back in ``If-Match`` (or the ``if_match`` form field): without it the
answer is 428, with an old one 409 and a message that says who changed what
since. Check-and-save runs under the store's lock (the folder's file lock,
shared with the CLI and every other writer), and the save names the version it
was made from, so in a database (no lock) a planner who saved first wins and
the other gets the 409. In a folder a version is written before the index that
makes it current (temp file + rename), so a server killed mid-save leaves the
previous version current; in a database a save is one transaction. The
editor's state comes from the app's one area cache (:mod:`webmap.area`),
rebuilt only when the area changed in its store.

Rebalance: ``POST /api/planner/rebalance`` computes a preview as a background
job (nothing saved): the units that would move, the per-grid table before and
after, created and retired grids, reasons and who (per grid worker) gains or
loses which units and buildings. ``POST /api/planner/rebalance/accept``
saves the preview as a new version with If-Match on the version it was
computed from (409 when the grids or anything of the area changed since);
discarding a preview is the page's business (nothing to undo).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NoReturn

import geopandas as gpd
import pandas as pd
from flask import Blueprint, Flask, Response, abort, current_app, render_template, request, url_for

from geogrid import grids as G
from geogrid.crs import WGS84
from geogrid.errors import ConflictError, InputError
from geogrid.io.workspace import Workspace
from geogrid.services import grids as S
from geogrid.store.base import StoredArea
from webmap.area import AreaEntry, area_ref, current_entry, in_database
from webmap.auth import current_user, role_required
from webmap.jobs import Progress, runner_of
from webmap.schemas import (
    Args,
    DiffArgs,
    Empty,
    GridEdit,
    RebalanceAccept,
    RebalancePreview,
    Regenerate,
    parse_args,
    parse_body,
    parse_if_match,
)

bp = Blueprint("planner", __name__, url_prefix="/planner")
api = Blueprint("planner_api", __name__, url_prefix="/api/planner")


# --------------------------------------------------------------------------- area, versions, locks


def area_dir() -> Path:
    """The area folder of the pages that still need one (staffing: 503 when the app has
    none on disk, or serves an area in a database)."""
    if in_database(current_app):
        abort(
            503,
            description="this page needs the area folder (its files are not in the "
            "database yet); serve the folder (FLASK_AREA_PATH without GEOGRID_STORE)",
        )
    ws = Workspace(current_app.config["AREA_PATH"])
    if not ws.exists():
        abort(
            503,
            description=f"the planner edits an area folder; {ws.path} has no "
            f"{ws.manifest_path.name} (set FLASK_AREA_PATH)",
        )
    return ws.path


def stored_area() -> StoredArea:
    """The area the planner edits, in the app's store (503 when the store has none)."""
    where = area_ref(current_app)
    if in_database(current_app):
        if where.name not in where.store.list_areas():
            abort(
                503,
                description=f"the database has no area {where.name}; push it "
                "(geogrid store push AREA_DIR --db URL) or set FLASK_AREA_NAME",
            )
        return where
    area_dir()
    return where


def _events(where: StoredArea) -> tuple[int | None, list[dict[str, Any]]]:
    """The current version and the saves and undos in the order they happened."""
    saved, head = where.store.list_versions(where.name)
    events = [
        {
            "what": "save",
            "id": v.id,
            "parent": v.parent,
            "author": v.author,
            "time": v.time,
            "message": v.message,
        }
        for v in saved
    ]
    events += [{"what": "undo", **u} for u in where.store.list_undos(where.name)]
    return head, sorted(events, key=lambda e: (e["time"], e["what"] == "undo"))


def version_tag(where: StoredArea) -> str:
    """ETag value of the area's grids: current version and number of changes so far."""
    head, events = _events(where)
    return f"v{head or 0:04d}.{len(events)}"


def head_of(tag: str) -> int | None:
    """The version a tag names (``v0004.5`` -> 4; ``v0000.0`` -> None: no version yet)."""
    return int(tag[1:].split(".", 1)[0]) or None


def conflict(err: ConflictError) -> NoReturn:
    """409 for a save made from a version that is no longer current (nothing saved)."""
    abort(409, description=str(err))


def _describe(event: dict[str, Any]) -> str:
    if event["what"] == "undo":
        return f"{event.get('author', '?')} undid v{int(event['version']):04d} at {event['time']}"
    return (
        f"{event.get('author', '?')} saved v{int(event['id']):04d} at {event['time']}: "
        f"{event.get('message', '')}"
    )


def stale_message(where: StoredArea, given: str) -> str:
    """Who changed what since the version named by ``given``."""
    _head, events = _events(where)
    try:
        seen = int(given.rsplit(".", 1)[1])
    except (IndexError, ValueError):
        seen = 0
    changes = [_describe(e) for e in events[seen:]] or [f"now at {version_tag(where)}"]
    return (
        f"the grids changed since you loaded them ({given or 'no version'}): "
        + "; ".join(changes)
        + ". Your edit was not saved: reload to see their change, then redo yours."
    )


def _given_tag() -> str | None:
    """The version tag the client edited (400 when If-Match is not one, e.g. ``*``)."""
    raw = request.headers.get("If-Match")
    if raw is None and request.mimetype != "application/json":
        raw = request.form.get("if_match")
    return parse_if_match(raw)


def require_current(where: StoredArea, given: str | None = None) -> str:
    """Abort 428 without If-Match and 409 when it names an older state (call under the lock;
    in a database the save checks again: pass ``head_of(given)`` as its parent)."""
    given = given if given is not None else _given_tag()
    if not given:
        abort(428, description="send If-Match with the ETag of the grids you loaded")
    if given != version_tag(where):
        abort(409, description=stale_message(where, given))
    return given


def _still_current(where: StoredArea, given: str) -> None:
    """In a background job: raise InputError (the job's message) when the grids changed
    since the version ``given`` that the planner started the job from."""
    if given != version_tag(where):
        raise InputError(stale_message(where, given))


# --------------------------------------------------------------------------- JSON shapes


def _features(frame: gpd.GeoDataFrame, columns: list[str]) -> dict[str, Any]:
    keep = [c for c in columns if c in frame.columns]
    subset = frame[[*keep, "geometry"]].to_crs(WGS84)
    return json.loads(subset.to_json(na="null", drop_id=False))


def _problem_json(p: G.GridProblem) -> dict[str, Any]:
    return {
        "kind": p.kind,
        "code": p.code,
        "message": p.message,
        "lon": round(p.lon, 7),
        "lat": round(p.lat, 7),
        "text": str(p),
    }


def grid_state(where: StoredArea) -> dict[str, Any]:
    """Everything the editor draws: grids, units, problems, version list and ETag.

    Built once per version of the area (the app's area cache), not on every GET.
    """
    entry = current_entry()
    return entry.cached("planner.state", where.name, lambda: _grid_state(where, entry))


def _grid_state(where: StoredArea, entry: AreaEntry) -> dict[str, Any]:
    saved, head = where.store.list_versions(where.name)
    state: dict[str, Any] = {
        "etag": version_tag(where),
        "head": head,
        "versions": [
            {
                "id": v.id,
                "parent": v.parent,
                "author": v.author,
                "time": v.time,
                "message": v.message,
            }
            for v in saved
        ],
    }
    current = S.current_plan(entry.area, where) if head is not None else None
    if current is None:
        empty = {"type": "FeatureCollection", "features": []}
        return {**state, "grids": empty, "units": empty, "problems": [], "band": None}
    plan, problems = current
    units = plan.units.reset_index()
    return {
        **state,
        "band": [plan.default_band.min_households, plan.default_band.max_households],
        "grids": _features(
            plan.grids, ["code", "name", "parent_code", "households", "units", "worker", "locked"]
        ),
        "units": _features(units, ["unit_id", "grid", "households", "locked", "parent_code"]),
        "problems": [_problem_json(p) for p in problems],
    }


def _state_response(
    where: StoredArea, extra: dict[str, Any] | None = None, status: int = 200
) -> Response:
    body = {**grid_state(where), **(extra or {})}
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json"
    )
    response.headers["ETag"] = f'"{body["etag"]}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _author() -> str:
    user = current_user()
    assert user is not None
    return user.username


# --------------------------------------------------------------------------- pages


@bp.get("/")
@role_required("planner")
def editor():
    parse_args(Args)
    where = stored_area()
    return render_template(
        "planner/editor.html", area_name=current_entry().area.name, etag=version_tag(where)
    )


@bp.get("/versions")
@role_required("planner")
def history():
    parse_args(Args)
    where = stored_area()
    saved, head = where.store.list_versions(where.name)
    return render_template(
        "planner/versions.html", versions=list(reversed(saved)), head=head, etag=version_tag(where)
    )


def _version_arg(raw: str | None, default: int) -> int:
    return int(raw.lstrip("vV")) if raw else default  # DiffArgs: ASCII digits only


def _diff(where: StoredArea) -> tuple[int, int, G.GridDiff]:
    args = parse_args(DiffArgs)
    saved, head = where.store.list_versions(where.name)
    if head is None:
        abort(404, description="no grid versions yet; generate grids first")
    by_id = {v.id: v for v in saved}
    b = _version_arg(args.b, head)
    a = _version_arg(args.a, by_id[b].parent if b in by_id and by_id[b].parent else b)
    for v in (a, b):
        if v not in by_id:
            abort(
                404,
                description=f"no grid version {v}; versions are "
                + ", ".join(f"v{x:04d}" for x in by_id),
            )
    return a, b, S.compare(where, str(a), str(b))


@bp.get("/diff")
@role_required("planner")
def diff():
    where = stored_area()
    a, b, result = _diff(where)
    saved, head = where.store.list_versions(where.name)
    return render_template(
        "planner/diff.html",
        a=a,
        b=b,
        versions=saved,
        head=head,
        moves=result.moves.to_dict("records"),
        per_grid=[r for r in result.per_grid.to_dict("records") if r["status"] != "unchanged"],
        unchanged=int((result.per_grid["status"] == "unchanged").sum())
        if len(result.per_grid)
        else 0,
        summary=result.summary(),
    )


# --------------------------------------------------------------------------- JSON API


@api.get("/openapi.json")
@role_required("team_leader", "planner")
def openapi():
    """The staff OpenAPI document (request schemas from webmap.schemas)."""
    from webmap.openapi import staff_openapi_document

    parse_args(Args)
    return staff_openapi_document(
        url_for("planner_api.openapi").removesuffix("/planner/openapi.json")
    )


@api.get("/state")
@role_required("planner")
def state():
    parse_args(Args)
    return _state_response(stored_area())


@api.post("/edits")
@role_required("planner")
def edit():
    body = parse_body(GridEdit)
    given = _given_tag()
    where = stored_area()
    with where.store.lock(where.name):
        given = require_current(where, given or "")
        try:
            result = S.edit(
                where,
                body.op,
                author=_author(),
                message=body.message or None,
                codes=body.codes,
                units=body.units,
                to_code=body.to,
                new_code=body.new_code,
                name=body.name or None,
                worker=body.worker or None,
                seed=body.seed or 0,
                parent=head_of(given),
            )
        except ConflictError as err:
            conflict(err)
    assert result.version is not None
    return _state_response(where, {"saved": result.version.line()})


@api.post("/undo")
@role_required("planner")
def undo():
    parse_body(Empty)
    given = _given_tag()
    where = stored_area()
    with where.store.lock(where.name):
        given = require_current(where, given or "")
        try:
            back = S.undo(where, _author(), parent=head_of(given))
        except ConflictError as err:
            conflict(err)
    return _state_response(where, {"saved": f"back to v{back.id:04d}: {back.message}"})


def _regenerate(
    progress: Progress,
    app: Flask,
    where: StoredArea,
    given: str,
    author: str,
    band: G.Band,
    seed: int,
    keep_locked: bool,
    message: str | None,
) -> dict[str, Any]:
    progress(0.1, "waiting for other edits")
    with app.app_context(), where.store.lock(where.name):
        _still_current(where, given)
        progress(0.3, f"building grids (band {band}, seed {seed})")
        result = S.generate(
            where,
            band=band,
            seed=seed,
            keep_locked=keep_locked,
            author=author,
            message=message,
            restarts=2,
            parent=head_of(given),
        )
    assert result.version is not None
    return {"version": result.version.id, "summary": result.summary(), "etag": version_tag(where)}


@api.post("/regenerate")
@role_required("planner")
def regenerate():
    body = parse_body(Regenerate)
    given = _given_tag()
    where = stored_area()
    given = require_current(where, given or "")
    band = G.Band(
        body.min_households or G.DEFAULT_MIN_HOUSEHOLDS,
        body.max_households or G.DEFAULT_MAX_HOUSEHOLDS,
    )
    seed = body.seed or 0
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    job = runner_of(app).submit(
        "regenerate",
        _author(),
        _regenerate,
        app,
        where,
        given,
        _author(),
        band,
        seed,
        body.keep_locked,
        body.message or None,
    )
    return {"job": job.id, "status_url": url_for("jobs.status", job_id=job.id)}, 202


REBALANCE_JOB = "rebalance-preview"


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return json.loads(frame.to_json(orient="records", force_ascii=False))


def _rebalance_preview(
    progress: Progress,
    app: Flask,
    where: StoredArea,
    given: str,
    band: G.Band | None,
    seed: int,
    time_limit_s: float,
    tolerance: float,
) -> dict[str, Any]:
    """The job of POST /api/planner/rebalance: a dry run, as plain JSON data."""
    progress(0.05, "recounting households")
    with app.app_context():
        _still_current(where, given)
        progress(0.2, f"moving units (at most {time_limit_s:.0f} s)")
        run = S.rebalance(
            where,
            band=band,
            seed=seed,
            time_limit_s=time_limit_s,
            compactness_tolerance=tolerance,
            dry_run=True,
        )
    result = run.result
    per_grid = result.per_grid[
        [
            "code",
            "parent_code",
            "status",
            "households_before",
            "households_after",
            "in_band_before",
            "in_band_after",
        ]
    ]
    moves = result.moves.copy()
    moves["households"] = moves["households"].astype(int)
    progress(1.0, "preview ready: nothing saved")
    return {
        "etag": given,
        "area_tag": run.area_tag,
        "households_moved": result.households_moved,
        "units_moved": result.units_moved,
        "in_band": result.in_band,
        "created": list(result.created),
        "retired": list(result.retired),
        "reasons": list(result.reasons),
        "summary": result.summary(),
        "moves": _records(moves),
        "per_grid": _records(per_grid),
        "per_worker": _records(run.per_worker),
        "problems": [str(p) for p in run.problems],
    }


@api.post("/rebalance")
@role_required("planner")
def rebalance_preview():
    body = parse_body(RebalancePreview)
    given = _given_tag()
    where = stored_area()
    given = require_current(where, given or "")
    band = (
        G.Band(body.min_households, body.max_households)
        if body.min_households is not None and body.max_households is not None
        else None
    )
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    job = runner_of(app).submit(
        REBALANCE_JOB,
        _author(),
        _rebalance_preview,
        app,
        where,
        given,
        band,
        body.seed or 0,
        float(body.time_limit_s),
        float(body.compactness_tolerance),
    )
    return {"job": job.id, "status_url": url_for("jobs.status", job_id=job.id)}, 202


@api.post("/rebalance/accept")
@role_required("planner")
def rebalance_accept():
    body = parse_body(RebalanceAccept)
    given = _given_tag()
    where = stored_area()
    job = runner_of(current_app).get(body.job)
    if job is None or job.kind != REBALANCE_JOB or job.owner != _author():
        abort(404, description=f"job: no rebalance preview {body.job} of yours; preview again")
    if job.state != "done" or not isinstance(job.result, dict):
        abort(
            409,
            description=f"job: the preview is {job.state}, not done"
            + (f" ({job.error})" if job.error else "")
            + "; nothing saved",
        )
    preview = job.result
    with where.store.lock(where.name):
        given = require_current(where, given or "")
        if preview.get("etag") != given:
            abort(
                409,
                description=f"the preview was computed from {preview.get('etag')}, the grids are "
                f"now {given}; nothing saved: preview the rebalance again",
            )
        moves = pd.DataFrame(
            preview["moves"], columns=["unit_id", "from_code", "to_code", "households"]
        )
        try:
            result = S.accept_rebalance(
                where,
                moves,
                area_tag=str(preview.get("area_tag", "")),
                author=_author(),
                message=body.message or None,
                reasons=preview.get("reasons", ()),
            )
        except ConflictError as err:
            conflict(err)
    assert result.version is not None
    return _state_response(where, {"saved": result.version.line()})


@api.get("/diff")
@role_required("planner")
def diff_json():
    a, b, result = _diff(stored_area())
    moves = result.moves.copy()
    moves["households"] = moves["households"].astype(int)
    moves["buildings"] = moves["buildings"].astype(int)
    return {
        "a": a,
        "b": b,
        "moves": json.loads(moves.to_json(orient="records", force_ascii=False)),
        "per_grid": json.loads(
            pd.DataFrame(result.per_grid).to_json(orient="records", force_ascii=False)
        ),
        "per_worker": _records(result.per_worker),
        "summary": result.summary(),
    }


@api.get("/export.geojson")
@role_required("planner")
def export():
    parse_args(Args)
    where = stored_area()
    _saved, head = where.store.list_versions(where.name)
    if head is None:
        abort(404, description="no grids yet; generate them first")
    _, grids, _ = where.store.load_version(where.name, head)
    body = grids.to_crs(WGS84).to_json(na="null", drop_id=True, ensure_ascii=False)
    response = Response(body, mimetype="application/geo+json")
    response.headers["Content-Disposition"] = f'attachment; filename="grids-v{head:04d}.geojson"'
    response.headers["ETag"] = f'"{version_tag(where)}"'
    return response
