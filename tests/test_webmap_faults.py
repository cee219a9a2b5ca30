"""Faults: a full disk is a 507 that says so and leaves no temp file; public errors show no
server path; /healthz says what / says."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from flask import Flask
from webmap_staff import grids_area, sign_in, staff_app

from geogrid.io import atomic


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return staff_app(grids_area(tmp_path / "area"), tmp_path / "users.json")


def test_full_disk_is_507_and_leaves_no_temp_file(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A save on a full disk: 507 naming the problem, no .tmp left, the version not recorded."""
    client = app.test_client()
    token = sign_in(client, "plan")
    state = client.get("/api/planner/state").get_json()
    real_fsync = os.fsync

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", full)
    code = state["grids"]["features"][0]["properties"]["code"]
    res = client.post(
        "/api/planner/edits",
        json={"op": "lock", "codes": [code]},
        headers={"X-CSRF-Token": token, "If-Match": f'"{state["etag"]}"'},
    )
    monkeypatch.setattr(atomic.os, "fsync", real_fsync)
    assert res.status_code == 507
    assert "disk is full" in res.get_json()["error"]["message"]
    area = tmp_path / "area"
    assert not list(area.rglob("*.tmp")), "a temp file was left behind"
    assert client.get("/api/planner/state").get_json()["head"] == 1


def test_atomic_writer_removes_its_temp_file_on_any_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever fails (write, fsync, rename), the target keeps its old bytes and no temp stays."""
    target = tmp_path / "v0002" / "units.geojson"
    atomic.write_text_atomic(target, "old")
    for name in ("fsync", "replace"):

        def boom(*args: object) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(atomic.os, name, boom)
        with pytest.raises(OSError):
            atomic.write_text_atomic(target, "new")
        monkeypatch.undo()
        assert target.read_text() == "old" and sorted(p.name for p in target.parent.iterdir()) == [
            "units.geojson"
        ]


def test_units_of_a_version_go_through_the_atomic_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """grid_versions/vNNNN/units.geojson is written by geogrid.io.atomic (no hand-made .tmp)."""
    from geogrid.io import versions
    from geogrid.services import grids as S

    area = grids_area(tmp_path / "area")
    plan = S.load_plan(area)
    written: list[str] = []
    real = atomic.write_bytes_atomic
    monkeypatch.setattr(
        atomic,
        "write_bytes_atomic",
        lambda path, data, **kw: written.append(Path(path).name) or real(path, data, **kw),
    )
    versions.write_units(plan.units, tmp_path / "units.geojson")
    assert written == ["units.geojson"]


def test_public_errors_show_no_server_path(tmp_path: Path) -> None:
    """503 of a missing area: the public sees no absolute path (JSON, page, /healthz); staff do."""
    from webmap import create_app

    app = create_app({"AREA_PATH": str(tmp_path / "nowhere"), "TESTING": True})
    client = app.test_client()
    for url in ("/api/area", "/", "/healthz", "/api/places.geojson"):
        res = client.get(url)
        assert res.status_code == 503, url
        text = res.get_data(as_text=True)
        assert str(tmp_path) not in text and "/tmp/" not in text, (url, text[:300])
    assert "reason" in client.get("/healthz").get_json()


def test_healthz_is_200_when_the_area_loads(app: Flask) -> None:
    assert app.test_client().get("/healthz").get_json() == {"status": "ok"}
