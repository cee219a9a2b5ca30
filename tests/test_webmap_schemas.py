"""webmap.schemas: every JSON body and query parameter of the staff routes is declared; attacks
fail.

The findings of the security review, reproduced: an object as ``new_code``,
``a=²`` in a query, a negative seed, lists where strings belong, JSON nested
5,000 deep, ``If-Match: *``. Then fuzzed variants: a wrong value in every field
of every JSON route. Each answer is 400 naming the field, and the area folder
is byte-identical afterwards.
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pydantic import BaseModel, ValidationError
from webmap_staff import grids_area, sign_in, staff_app

from webmap.schemas import (
    MAX_JSON_DEPTH,
    Empty,
    GridEdit,
    PatrolStart,
    Regenerate,
    json_depth_exceeds,
)

TODAY = date.today().isoformat()


def folder_hash(folder: Path) -> str:
    """One hash of every file's path and bytes (the lock file aside)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != ".lock"):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def area(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return grids_area(tmp_path_factory.mktemp("schemas") / "area")


@pytest.fixture(scope="module")
def app(area: Path, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return staff_app(area, tmp_path_factory.mktemp("users") / "users.json")


@pytest.fixture(scope="module")
def boss(app: Flask) -> tuple[FlaskClient, str, str, str]:
    """An admin (planner and team-leader routes alike), its CSRF token, the ETag and a grid code."""
    client = app.test_client()
    token = sign_in(client, "boss")
    state = client.get("/api/planner/state").get_json()
    return client, token, state["etag"], state["grids"]["features"][0]["properties"]["code"]


def _post(
    boss: tuple[FlaskClient, str, str, str],
    url: str,
    body: Any = None,
    *,
    raw: str | None = None,
    if_match: str | None = None,
):
    client, token, etag, _ = boss
    headers = {"X-CSRF-Token": token, "If-Match": if_match if if_match is not None else f'"{etag}"'}
    if raw is not None:
        return client.post(url, data=raw, headers=headers, content_type="application/json")
    return client.post(url, json=body, headers=headers)


def _fields(res) -> set[str]:
    assert res.status_code == 400, (res.status_code, res.get_data(as_text=True)[:300])
    error = res.get_json()["error"]
    return {f["field"] for f in error.get("fields", [])}


def test_findings_are_400_naming_the_field_and_nothing_is_saved(area: Path, boss) -> None:
    """The reviewed attacks: each is a 400 naming the field; the area folder is unchanged."""
    code = boss[3]
    before = folder_hash(area)
    cases = [
        ({"op": "split", "codes": [code], "new_code": {"a": 1}}, "new_code"),
        ({"op": "rename", "codes": [code], "name": {"a": 1}}, "name"),
        ({"op": "lock", "codes": [code], "message": ["x"]}, "message"),
        ({"op": "split", "codes": [code], "seed": -5}, "seed"),
        ({"op": "split", "codes": [code], "seed": "5"}, "seed"),
        ({"op": "reassign", "units": [["u1"]], "to": code}, "units.0"),
        ({"op": "reassign", "units": ["u1"], "to": ["X"]}, "to"),
        ({"op": "worker", "codes": [code], "worker": "x" * 5000}, "worker"),
        ({"op": "rename", "codes": [code], "name": "line\nbreak"}, "name"),
        ({"op": "rename", "codes": [code], "new_code": "<b>x</b>"}, "new_code"),
    ]
    for body, field in cases:
        assert field in _fields(_post(boss, "/api/planner/edits", body)), body
    assert "seed" in _fields(_post(boss, "/api/planner/regenerate", {"seed": -5}))
    assert "body" in _fields(_post(boss, "/api/planner/edits", raw="[" * 5000 + "]" * 5000))
    assert "body" in _fields(
        _post(boss, "/api/planner/edits", raw='{"op": "lock", "codes": ' + "[" * 5000)
    )
    assert "If-Match" in _fields(
        _post(boss, "/api/planner/edits", {"op": "lock", "codes": [code]}, if_match="*")
    )
    assert "If-Match" in _fields(_post(boss, "/api/planner/undo", {}, if_match="v1, *"))
    stale = _post(boss, "/api/planner/edits", {"op": "lock", "codes": [code]}, if_match='"v0001.0"')
    assert stale.status_code == 409
    assert folder_hash(area) == before


@pytest.mark.parametrize(
    "url",
    [
        "/planner/diff?a=²",
        "/api/planner/diff?a=²",
        "/api/planner/diff?b=v1x",
        "/api/planner/diff?a=1&a=2",
        "/api/planner/state?debug=1",
        f"/patrol/?date={TODAY}&date={TODAY}",
        "/patrol/?date=tonight",
    ],
)
def test_query_parameters_are_declared(boss, url: str) -> None:
    """A query value of the wrong shape, a repeated one or an unknown one is a 400 naming it."""
    client = boss[0]
    res = client.get(url)
    assert res.status_code == 400, res.get_data(as_text=True)[:300]
    name = url.split("?")[1].split("=", maxsplit=1)[0]
    if url.startswith("/api/"):
        assert name in {f["field"] for f in res.get_json()["error"]["fields"]}
    else:
        assert name in res.get_data(as_text=True)


#: values of every wrong type (and some right types with wrong content)
WRONG = [
    {"a": 1},
    [1],
    ["x"],
    [{"a": 1}],
    1.5,
    True,
    -5,
    2**40,
    "²",
    "",
    "x" * 20_000,
    "<script>alert(1)</script>",
    "a\u0000b",
    None,
]
ROUTES: list[tuple[str, type[BaseModel], dict[str, Any]]] = [
    ("/api/planner/edits", GridEdit, {"op": "lock", "codes": ["CODE"]}),
    ("/api/planner/regenerate", Regenerate, {}),
    ("/api/planner/undo", Empty, {}),
    ("/api/patrol/plans", PatrolStart, {"date": TODAY, "teams": ["team-x"]}),
]


def _fuzz_cases() -> list[tuple[str, str, Any]]:
    cases = []
    for url, model, base in ROUTES:
        for field in [*model.model_fields, "extra"]:
            for value in WRONG:
                body = {**base, field: value}
                try:
                    model.model_validate(body)
                except ValidationError:
                    cases.append((url, field, value))
    return cases


def test_fuzzed_bodies_are_400_naming_the_field(area: Path, boss) -> None:
    """A wrong value in any field of any JSON route: 400 naming that field; nothing written."""
    code = boss[3]
    before = folder_hash(area)
    cases = _fuzz_cases()
    assert len(cases) > 80
    for url, field, value in cases:
        base = next(b for u, _, b in ROUTES if u == url)
        body = {**{k: ([code] if v == ["CODE"] else v) for k, v in base.items()}, field: value}
        res = _post(boss, url, body)
        assert any(f == field or f.startswith(f"{field}.") for f in _fields(res)), (
            url,
            field,
            value,
        )
    for url, _, _ in ROUTES:  # not an object at all, or not JSON
        for raw in ("[]", '"x"', "1", "{", "nul"):
            assert "body" in _fields(_post(boss, url, raw=raw)), (url, raw)
    assert folder_hash(area) == before


def test_json_depth_is_checked_without_parsing() -> None:
    """Nesting is counted outside strings; brackets inside strings do not count."""
    assert not json_depth_exceeds(b'{"a": [[1]]}')
    assert json_depth_exceeds(b"[" * (MAX_JSON_DEPTH + 1))
    assert not json_depth_exceeds(('{"a": "' + "[" * 100 + '"}').encode())
    assert not json_depth_exceeds(('{"a": "\\"' + "{" * 100 + '"}').encode())


def test_unit_that_loses_its_grid_is_refused(area: Path) -> None:
    """The service refuses a plan in which a unit has no grid or households went missing."""
    from geogrid.errors import InputError
    from geogrid.services import grids as S

    plan = S.load_plan(area)
    units = plan.units.copy()
    units.iloc[0, units.columns.get_loc("grid")] = None
    broken = dataclasses.replace(plan, units=units)
    with pytest.raises(InputError, match="belong to no grid"):
        S.check_complete(plan, broken)
    S.check_complete(plan, plan)


def test_staff_openapi_document_is_valid_and_uses_the_models(boss) -> None:
    """The staff document is valid OpenAPI 3.1 and its request bodies are the models' schemas."""
    from openapi_spec_validator import validate

    client = boss[0]
    document = client.get("/api/planner/openapi.json").get_json()
    validate(document)
    body = document["paths"]["/planner/edits"]["post"]["requestBody"]["content"]["application/json"]
    assert (
        body["schema"]["properties"]["new_code"]["anyOf"][0]["pattern"] == "^[0-9A-Za-z_-]{1,32}$"
    )
    assert {"/patrol/plans", "/planner/regenerate", "/jobs/{job_id}"} <= set(document["paths"])
