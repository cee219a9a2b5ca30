"""deploy/: the systemd units start commands that exist (console scripts of geogrid's
dependencies, app objects that import), the environment example names only variables the
code reads, and nginx passes the proxy headers the app trusts and serves the static folder."""

from __future__ import annotations

import importlib
import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
#: console scripts a unit may start: geogrid's own and those of its dependencies / extras
SCRIPTS = {"geogrid", "geogrid-web", "gunicorn", "celery"}


def unit_commands(path: Path) -> dict[str, list[str]]:
    """``Exec*=`` lines of a unit (continuations joined), split as systemd does."""
    text = path.read_text(encoding="utf-8").replace("\\\n", " ")
    return {m[1]: shlex.split(m[2]) for m in re.finditer(r"^(Exec\w+)=(.+)$", text, re.MULTILINE)}


@pytest.mark.parametrize("unit", ["geogrid-web.service", "geogrid-worker.service"])
def test_units_start_existing_commands(unit: str) -> None:
    """ExecStart runs a known console script from the venv with the shared environment file,
    and the app it names imports."""
    path = DEPLOY / "systemd" / unit
    text = path.read_text(encoding="utf-8")
    assert "EnvironmentFile=/etc/geogrid/geogrid.env" in text
    argv = unit_commands(path)["ExecStart"]
    assert argv[0].startswith("/opt/geogrid/venv/bin/") and Path(argv[0]).name in SCRIPTS
    if Path(argv[0]).name == "gunicorn":
        module, _, call = argv[-1].partition(":")
        assert call == "create_app()" and callable(importlib.import_module(module).create_app)
    if Path(argv[0]).name == "celery":
        pytest.importorskip("celery")
        assert argv[1:4] == ["-A", "geogrid.jobs.celery", "worker"]
        assert importlib.import_module("geogrid.jobs.celery").app.main == "geogrid"
        assert "--pool=prefork" in argv


def test_celery_and_gunicorn_are_declared() -> None:
    """The scripts the units start come from declared dependencies."""
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"celery[redis]>=5.3"' in pyproject and '"gunicorn>=22"' in pyproject


def env_names() -> list[str]:
    lines = (DEPLOY / "geogrid.env.example").read_text(encoding="utf-8").splitlines()
    return [m[1] for line in lines if (m := re.match(r"^#?([A-Z][A-Z0-9_]+)=", line))]


def test_env_example_names_only_variables_the_code_reads() -> None:
    """FLASK_<KEY> only for config keys the app declares; GEOGRID_* only where code reads it."""
    from webmap import DEFAULTS

    source = "\n".join(
        p.read_text(encoding="utf-8")
        for folder in ("geogrid", "webmap")
        for p in (ROOT / folder).rglob("*.py")
    )
    names = env_names()
    assert {"GEOGRID_STORE", "GEOGRID_BROKER_URL", "FLASK_SECRET_KEY"} <= set(names)
    unknown = [
        n
        for n in names
        if not (
            (n.startswith("FLASK_") and n.removeprefix("FLASK_") in DEFAULTS)
            or (n.startswith("GEOGRID_") and f'"{n}"' in source)
        )
    ]
    assert not unknown, f"geogrid.env.example names variables nothing reads: {unknown}"


def test_nginx_passes_proxy_headers_and_serves_static() -> None:
    """X-Forwarded-For/-Proto for PROXY_FIX_X_FOR, https with a redirect from http, and
    /static/ from the app's static folder."""
    conf = (DEPLOY / "nginx" / "geogrid.conf").read_text(encoding="utf-8")
    for line in (
        "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "proxy_set_header X-Forwarded-Proto $scheme;",
        "proxy_set_header Host $host;",
        "listen 443 ssl;",
        "return 301 https://",
    ):
        assert line in conf
    alias = re.search(r"location /static/ \{\s*alias (\S+);", conf)
    assert alias and alias[1].endswith("/webmap/static/") and (ROOT / "webmap" / "static").is_dir()
    assert "FLASK_PROXY_FIX_X_FOR=1" in (DEPLOY / "geogrid.env.example").read_text(encoding="utf-8")
    assert "127.0.0.1:8000" in conf and "127.0.0.1:8000" in (
        DEPLOY / "systemd" / "geogrid-web.service"
    ).read_text(encoding="utf-8")
