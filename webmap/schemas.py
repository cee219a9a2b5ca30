"""Declared request schemas of the staff JSON routes, and the one way to parse a request.

Every JSON body and query parameter of the planner, patrol and jobs routes is
checked against a pydantic model here before a view uses it
(:func:`parse_body`, :func:`parse_args`, :func:`parse_if_match`): types are
strict (``"5"`` is not a number, ``{"a": 1}`` is not a name), strings have
bounded lengths and patterns, numbers ranges, unknown fields are refused.
A wrong request is a 400 whose JSON names the fields::

    {"error": {"code": "bad_request", "message": "new_code: ...",
               "fields": [{"field": "new_code", "problem": "..."}]}}

and nothing is saved. The same models document the routes: the staff OpenAPI
document (:func:`webmap.openapi.staff_openapi_document`) takes its request
schemas from ``model_json_schema()``. JSON nested deeper than
:data:`MAX_JSON_DEPTH` is refused by :func:`check_json_depth` before it is
parsed (``create_app`` calls it for every request).
"""

from __future__ import annotations

import re
from datetime import date as Date
from typing import Annotated, Any, Literal, TypeVar

from flask import request
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from werkzeug.exceptions import BadRequest

#: a grid code the editor may set or name: letters, digits, _ and -, no markup
GRID_CODE_PATTERN = r"^[0-9A-Za-z_-]{1,32}$"
#: a base unit id (u12, b0042, 110108001001-3)
UNIT_ID_PATTERN = r"^[0-9A-Za-z_.:-]{1,64}$"
#: a patrol team id (team-1)
TEAM_ID_PATTERN = r"^[\w.\-]{1,64}$"
#: plain one-line text: no control characters
PLAIN_TEXT_PATTERN = r"^[^\x00-\x1f\x7f]*$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
#: a grid version in a query: 3, v3, v0003 (ASCII digits only)
VERSION_PATTERN = r"^[vV]?[0-9]{1,6}$"
#: the ETag of the planner's grids: v<head>.<changes>
VERSION_TAG_RE = re.compile(r"^v[0-9]{4,9}\.[0-9]{1,9}$")
#: deepest JSON nesting a request body may have (the editor sends depth 2)
MAX_JSON_DEPTH = 16
MAX_SEED = 2**31 - 1

GridCode = Annotated[
    str, Field(pattern=GRID_CODE_PATTERN, description="grid code, ^[0-9A-Za-z_-]{1,32}$")
]
UnitId = Annotated[str, Field(pattern=UNIT_ID_PATTERN, description="base unit id")]
TeamId = Annotated[str, Field(pattern=TEAM_ID_PATTERN, description="patrol team id")]
Name = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        pattern=PLAIN_TEXT_PATTERN,
        description="a name, plain text, at most 100 characters",
    ),
]
Message = Annotated[
    str,
    Field(
        max_length=500,
        pattern=PLAIN_TEXT_PATTERN,
        description="a save message, plain text, at most 500 characters",
    ),
]
Seed = Annotated[int, Field(ge=0, le=MAX_SEED, description="random seed, 0 to 2^31-1")]
Households = Annotated[int, Field(ge=1, le=100_000, description="households per grid")]
ShiftDate = Annotated[str, Field(pattern=DATE_PATTERN, description="shift date, YYYY-MM-DD")]


class Strict(BaseModel):
    """Strict types, unknown fields refused, frozen."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


EDIT_OPS = ("reassign", "split", "merge", "rename", "lock", "unlock", "worker")


class GridEdit(Strict):
    """One edit of the current grids (POST /api/planner/edits)."""

    op: Literal["reassign", "split", "merge", "rename", "lock", "unlock", "worker"]
    units: list[UnitId] = Field(
        default_factory=list, max_length=5000, description="units to move (reassign)"
    )
    to: GridCode | None = Field(None, description="target grid of reassign (may be a new code)")
    codes: list[GridCode] = Field(
        default_factory=list, max_length=200, description="grids the edit applies to"
    )
    new_code: GridCode | None = Field(None, description="code of the new grid (split, rename)")
    name: Name | None = None
    worker: Name | None = None
    message: Message | None = None
    seed: Seed | None = None


class Regenerate(Strict):
    """Generate the grids again in the background (POST /api/planner/regenerate)."""

    min_households: Households | None = None
    max_households: Households | None = None
    seed: Seed | None = None
    keep_locked: bool = True
    message: Message | None = None

    @model_validator(mode="after")
    def _band(self) -> Regenerate:
        if (
            self.min_households is not None
            and self.max_households is not None
            and self.min_households > self.max_households
        ):
            raise ValueError("min_households must not exceed max_households")
        return self


#: a background job id (webmap.views.jobs)
JOB_ID_PATTERN = r"^[0-9a-f]{8,32}$"
JobId = Annotated[str, Field(pattern=JOB_ID_PATTERN, description="background job id")]


class RebalancePreview(Strict):
    """Compute a rebalance of the current grids in the background, saving nothing
    (POST /api/planner/rebalance); bands default to the current version's."""

    min_households: Households | None = None
    max_households: Households | None = None
    seed: Seed | None = None
    time_limit_s: int = Field(20, ge=1, le=300, description="seconds of search, 1 to 300")
    compactness_tolerance: float = Field(
        0.05,
        ge=0.0,
        le=1.0,
        description="how far the median and worst Polsby-Popper may fall, 0 to 1",
    )

    @model_validator(mode="after")
    def _band(self) -> RebalancePreview:
        if (self.min_households is None) != (self.max_households is None):
            raise ValueError("give both min_households and max_households, or neither")
        if (
            self.min_households is not None
            and self.max_households is not None
            and self.min_households > self.max_households
        ):
            raise ValueError("min_households must not exceed max_households")
        return self


class RebalanceAccept(Strict):
    """Save a finished rebalance preview as a new version (POST /api/planner/rebalance/accept)."""

    job: JobId = Field(description="the preview's job id (from POST /api/planner/rebalance)")
    message: Message | None = None


class Empty(Strict):
    """A body with no fields (POST /api/planner/undo): ``{}`` or nothing."""


#: the ETag of the planner's staffing: s<version>
STAFFING_TAG_RE = re.compile(r"^s[0-9]{4,9}$")
PersonId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        pattern=PLAIN_TEXT_PATTERN,
        description="a person's id on the staff roster (plain text, at most 100 characters)",
    ),
]


class StaffingEdit(Strict):
    """Assign a person to a grid's post, or take him off it (POST /api/planner/staffing/edits)."""

    op: Literal["assign", "unassign"]
    person: PersonId
    grid: GridCode
    role: Literal["worker", "police", "cadre", "property", "volunteer"] = Field(
        description="the post: worker (专职网格员), police, cadre, property or volunteer"
    )
    message: Message | None = None


class StaffingAssign(Strict):
    """Assign the roster to the grids again, as a background job
    (POST /api/planner/staffing/assign)."""

    seed: Seed | None = None
    message: Message | None = None


class PatrolStart(Strict):
    """Compute a shift's plan (POST /api/patrol/plans)."""

    date: ShiftDate | None = Field(
        None, description="shift date (default today), yesterday to 14 days ahead"
    )
    teams: list[TeamId] | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="teams to plan (default: the account's teams)",
    )

    @field_validator("date")
    @classmethod
    def _real_date(cls, value: str | None) -> str | None:
        if value is not None:
            Date.fromisoformat(value)  # ValueError: "month must be in 1..12" and the like
        return value


class Args(Strict):
    """Query parameters every page accepts."""

    lang: Literal["zh", "en"] | None = None


class DiffArgs(Args):
    """GET /planner/diff and /api/planner/diff."""

    a: Annotated[str, Field(pattern=VERSION_PATTERN)] | None = Field(
        None, description="older version (default: parent of b)"
    )
    b: Annotated[str, Field(pattern=VERSION_PATTERN)] | None = Field(
        None, description="newer version (default: current)"
    )


class DayArgs(Args):
    """GET /patrol/?date=YYYY-MM-DD."""

    date: ShiftDate | None = None


class BoardArgs(Args):
    """GET /planner/staffing/notice_boards.pdf."""

    phones: Literal["0", "1"] = Field("0", description="1: print phone numbers on the boards")


class TrackUpload(Strict):
    """Upload a patrol's track (POST /api/patrol/plans/<day>/<team>/track, multipart form):
    the file goes in ``track`` (GPX, KML, CSV/Excel check-ins), these fields beside it."""

    members: Annotated[
        str,
        Field(
            min_length=1,
            max_length=200,
            pattern=PLAIN_TEXT_PATTERN,
            description="members present: a number, or names separated by commas",
        ),
    ]
    datum: Literal["auto", "wgs84", "gcj02"] = Field(
        "auto", description="coordinates of the track (auto: WGS-84 unless the file says GCJ-02)"
    )
    time_offset: Annotated[int, Field(ge=-14, le=14)] = Field(
        0, description="move the track's clock by whole hours (a phone in the wrong time zone)"
    )
    csrf_token: str | None = Field(
        None, description="the session's CSRF token (or the X-CSRF-Token header)"
    )

    @field_validator("time_offset", mode="before")
    @classmethod
    def _form_int(cls, value: Any) -> Any:
        if isinstance(value, str) and re.fullmatch(r"[+-]?\d{1,2}", value.strip()):
            return int(value)
        return value


class PhoneArgs(Args):
    """GET /api/patrol/plans/<day>/<team>/plan.gpx|kml: the plan for a phone."""

    datum: Literal["wgs84", "gcj02"] = Field(
        "wgs84", description="wgs84 for outdoor tracking apps, gcj02 for apps on Chinese maps"
    )


class SchemaError(BadRequest):
    """A request that does not match its schema: 400 naming the fields."""

    def __init__(self, fields: list[dict[str, str]]) -> None:
        self.fields = fields
        super().__init__(description="; ".join(f"{f['field']}: {f['problem']}" for f in fields))


def _field_name(loc: tuple[Any, ...], where: str) -> str:
    name = ".".join(str(p) for p in loc)
    return name or where


def problems_of(err: ValidationError, where: str = "body") -> list[dict[str, str]]:
    """The fields of a ValidationError and what is wrong with each (never the input value)."""
    out = []
    for e in err.errors(include_url=False, include_input=False, include_context=False):
        problem = e["msg"]
        if e["type"] == "extra_forbidden":
            problem = "unknown field"
        out.append({"field": _field_name(tuple(e["loc"]), where), "problem": problem})
    return out[:20]


M = TypeVar("M", bound=BaseModel)


def parse_body(model: type[M]) -> M:
    """The request's JSON body as ``model`` (400 naming the fields when it is not one).

    An empty body counts as ``{}``.
    """
    raw = request.get_data(cache=True)
    if not raw.strip():
        data: Any = {}
    else:
        check_json_depth(raw)
        data = request.get_json(silent=True)
        if data is None:
            raise SchemaError(
                [
                    {
                        "field": "body",
                        "problem": "not JSON; send a JSON object (Content-Type: application/json)",
                    }
                ]
            )
    if not isinstance(data, dict):
        raise SchemaError([{"field": "body", "problem": "send a JSON object"}])
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise SchemaError(problems_of(err)) from None


def parse_args(model: type[M]) -> M:
    """The query string as ``model`` (a repeated parameter is a list, refused where one is due)."""
    data = {k: (v[0] if len(v) == 1 else v) for k, v in request.args.lists()}
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise SchemaError(problems_of(err, "query")) from None


def parse_form(model: type[M]) -> M:
    """The request's form fields (multipart or urlencoded) as ``model`` (400 naming the fields)."""
    data = {k: (v[0] if len(v) == 1 else v) for k, v in request.form.lists()}
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise SchemaError(problems_of(err, "form")) from None


def parse_staffing_if_match(raw: str | None) -> int | None:
    """The staffing version an ``If-Match`` header names (``"s0003"`` -> 3; None when absent)."""
    if raw is None or not raw.strip():
        return None
    tag = raw.strip().removeprefix("W/").strip('"')
    if not STAFFING_TAG_RE.fullmatch(tag):
        raise SchemaError(
            [
                {
                    "field": "If-Match",
                    "problem": 'send the ETag of the staffing you loaded, such as "s0003"',
                }
            ]
        )
    return int(tag[1:])


def parse_if_match(raw: str | None) -> str | None:
    """The version tag of an ``If-Match`` header or field (None when absent; 400 when not a tag).

    ``*`` and lists of tags are refused: the planner must name the version it edited.
    """
    if raw is None or not raw.strip():
        return None
    tag = raw.strip().removeprefix("W/").strip('"')
    if not VERSION_TAG_RE.fullmatch(tag):
        raise SchemaError(
            [
                {
                    "field": "If-Match",
                    "problem": 'send the ETag of the grids you loaded, such as "v0004.5"',
                }
            ]
        )
    return tag


def json_depth_exceeds(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when the JSON text ``raw`` nests arrays/objects deeper than ``limit`` (no parsing)."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    depth = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


def check_json_depth(raw: bytes) -> None:
    """400 when the body nests deeper than :data:`MAX_JSON_DEPTH` (checked before parsing)."""
    if json_depth_exceeds(raw):
        raise SchemaError(
            [{"field": "body", "problem": f"JSON nested deeper than {MAX_JSON_DEPTH} levels"}]
        )


def request_schema(model: type[BaseModel]) -> dict[str, Any]:
    """JSON Schema of a request model for the OpenAPI document (definitions inlined)."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)
    return schema


def query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """OpenAPI query parameters of an args model."""
    schema = model.model_json_schema()
    return [
        {
            "name": name,
            "in": "query",
            "required": name in schema.get("required", []),
            "schema": prop,
        }
        for name, prop in schema.get("properties", {}).items()
    ]
