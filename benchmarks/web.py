"""Load test of the web app under gunicorn on loopback: requests/s and latency.

Starts ``gunicorn "webmap:create_app()"`` on 127.0.0.1 (a free port) for the
demo area (``data/geo/helsinki-demo``, built into a temp folder when missing),
warms every worker, then drives each URL with a small Python load generator
(keep-alive HTTP/1.1 connections, one per client thread) for a bounded time
and request count. Only ever targets 127.0.0.1.

    python benchmarks/web.py                  # print the table
    python benchmarks/web.py --write          # and replace "## web" in RESULTS.md

The load generator shares the machine's cores with the server, so figures are
a floor for what the server alone could do.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
HOST = "127.0.0.1"
SCENARIOS = [
    ("public map page (zh)", "/", {}),
    ("public map, filtered (cached render)", "/?from=2026-01&to=2026-06&category=theft", {}),
    # every client cycles through every month range (from <= to) of the area, as the
    # scrapers of the finding did; the map is rendered once, ranges apply in the browser
    ("public map, clients cycling every from/to range", "/?from=…&to=…", {"ranges": True}),
    ("GET /api/released.json", "/api/released.json", {}),
    ("GET /api/area", "/api/area", {}),
    ("GET /api/places.geojson", "/api/places.geojson", {}),
    ("GET /api/places.geojson, If-None-Match -> 304", "/api/places.geojson", {"etag": True}),
    ("GET /api/aggregates/months?by=category", "/api/aggregates/months?by=category", {}),
    ("GET /api/layers/police.geojson", "/api/layers/police.geojson", {}),
    ("GET /api/openapi.json", "/api/openapi.json", {}),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _get(
    port: int, path: str, headers: dict[str, str] | None = None, timeout: float = 60.0
) -> tuple[int, bytes, dict[str, str]]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read(), dict(response.getheaders())
    finally:
        conn.close()


def _area_dir(tmp: Path) -> Path:
    demo = ROOT / "data" / "geo" / "helsinki-demo"
    if (demo / "area.json").exists():
        return demo
    sys.path.insert(0, str(ROOT))
    from geogrid.services.demo import build_demo

    folder = tmp / "helsinki-demo"
    build_demo(folder)
    return folder


def _start(area: Path, port: int, workers: int, threads: int) -> subprocess.Popen[bytes]:
    gunicorn = shutil.which("gunicorn") or str(Path(sys.executable).with_name("gunicorn"))
    env = dict(os.environ, FLASK_AREA_PATH=str(area))
    return subprocess.Popen(
        [
            gunicorn,
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(threads),
            "--preload",
            "--log-level",
            "warning",
            "webmap:create_app()",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _wait_ready(port: int, proc: subprocess.Popen[bytes], limit_s: float = 60.0) -> None:
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(
                f"gunicorn exited: {proc.stderr.read().decode() if proc.stderr else ''}"
            )
        try:
            if _get(port, "/healthz", timeout=2)[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz in time")


def _range_paths(port: int) -> list[str]:
    """``/?from=A&to=B`` for every month range of the area, in a shuffled fixed order."""
    import json

    months = json.loads(_get(port, "/api/area")[1])["statistics"]["months"]
    paths = [f"/?from={a}&to={b}" for i, a in enumerate(months) for b in months[i:]]
    order = np.random.default_rng(0).permutation(len(paths))
    return [paths[k] for k in order]


def _drive(
    port: int,
    paths: list[str],
    headers: dict[str, str],
    clients: int,
    duration_s: float,
    max_requests: int,
) -> dict[str, float]:
    """``clients`` threads, each on one keep-alive connection, until the time or count ends;
    client k asks ``paths`` in turn from offset k (one path: all ask the same)."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    sent = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + duration_s

    def client(k: int) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        turn = k
        while time.monotonic() < stop_at:
            path = paths[turn % len(paths)]
            turn += clients
            with lock:
                if sent[0] >= max_requests:
                    break
                sent[0] += 1
            t0 = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status not in (200, 304):
                    errors[k] += 1
            except (OSError, http.client.HTTPException):
                errors[k] += 1
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=30)
                continue
            latencies[k].append(time.perf_counter() - t0)
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    flat = np.array([x for per in latencies for x in per]) * 1000.0
    return {
        "requests": float(len(flat)),
        "errors": float(sum(errors)),
        "rps": len(flat) / elapsed if elapsed else 0.0,
        "p50_ms": float(np.percentile(flat, 50)) if len(flat) else float("nan"),
        "p99_ms": float(np.percentile(flat, 99)) if len(flat) else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0, help="per URL (at most 30)")
    parser.add_argument("--max-requests", type=int, default=20_000, help="per URL")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--write", action="store_true", help="replace '## web' in RESULTS.md")
    args = parser.parse_args()
    seconds = min(args.seconds, 30.0)
    with tempfile.TemporaryDirectory() as tmp:
        area = _area_dir(Path(tmp))
        port = _free_port()
        proc = _start(area, port, args.workers, args.threads)
        try:
            _wait_ready(port, proc)
            rows = []
            for label, path, opts in SCENARIOS:
                paths = _range_paths(port) if opts.get("ranges") else [path]
                if opts.get("ranges"):
                    label = f"{label} ({len(paths)} ranges)"
                # warm: every worker reads the area and renders / serialises once (the
                # first path only: cycling ranges must not be warmed one by one)
                status, _body, headers = 0, b"", {}
                for _ in range(args.workers * args.threads * 2):
                    status, _body, headers = _get(port, paths[0])
                if status != 200:
                    raise RuntimeError(f"{paths[0]} answered {status}")
                extra = {"If-None-Match": headers["ETag"]} if opts.get("etag") else {}
                size = 0 if extra else len(_body)
                result = _drive(port, paths, extra, args.clients, seconds, args.max_requests)
                rows.append((label, path, size, result))
                print(
                    f"{label}: {result['rps']:.0f} req/s, p99 {result['p99_ms']:.1f} ms",
                    file=sys.stderr,
                )
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    command = (
        f"python benchmarks/web.py --clients {args.clients} --seconds {seconds:g} "
        f"--workers {args.workers} --threads {args.threads}"
    )
    table = [
        "| URL | what | body bytes | requests | errors | req/s | p50 ms | p99 ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, path, size, r in rows:
        table.append(
            f"| `{path}` | {label} | {size:,} | {int(r['requests']):,} | {int(r['errors'])} "
            f"| {r['rps']:,.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} |"
        )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%MZ")
    machine = (
        f"{os.cpu_count()} CPUs {platform.machine()}, Python {platform.python_version()}, "
        f"load average {load:.1f} at the end"
    )
    text = "\n".join(table)
    print(text)
    if args.write:
        _write_section(stamp, machine, command, area, text)


def _write_section(stamp: str, machine: str, command: str, area: Path, table: str) -> None:
    """Replace only the '## web' section of RESULTS.md (other sections belong to others)."""
    section = f"""## web

Command: `{command}` (gunicorn `webmap:create_app()` on 127.0.0.1, gthread workers,
`--preload`; demo area {area.name}: Helsinki OSM streets, 3000 synthetic incidents,
no grids, so 200 m cells). Load generator: Python threads, one keep-alive HTTP/1.1
connection each, bounded in time and count, on the same 2 cores as the server (so
the figures are a floor). Pages and GeoJSON/JSON bodies are served from per-worker
caches after the first request (warm-up not counted); bodies are not compressed (put
gzip in the reverse proxy: the demo page is ~0.8 MB, most of it the street basemap).
A load average above 2 means other jobs shared the machine during the run.
The public page is rendered once per area version, language and basemap: month
ranges and categories are applied in the browser from `/api/released.json`, so the
clients cycling every from/to range (the finding's scrapers) hit the same cached
render as one range does. (Before, every range rendered a whole Folium page into a
cache of 32: the finding measured 2.9 req/s for 8 clients cycling ranges against 137
for one range.)

{stamp}, {machine}:

{table}
"""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    pattern = re.compile(r"^## web\n.*?(?=^## |\Z)", re.DOTALL | re.MULTILINE)
    if pattern.search(text):
        text = pattern.sub(lambda _m: section + "\n", text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
