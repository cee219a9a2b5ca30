"""Whole-or-nothing file writes: every file geogrid writes goes through here.

Data goes to a temp file in the target's own folder, is flushed and fsynced,
then renamed over the target with ``os.replace`` (atomic on POSIX and
Windows). A crash or an error leaves the previous file intact and no temp
file behind.

Files are created readable by others as the process's umask allows (0644
under the usual umask 022), like ``open(path, "w")`` would, so that a web
server running as another user can read an area. Secrets (the web app's
``secret_key``, its users file) pass ``private=True`` and are 0600 from the
first byte.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

#: Mode of a secret file (owner read/write only).
PRIVATE_MODE = 0o600
_UMASK_LOCK = threading.Lock()


def current_umask() -> int:
    """The process's umask (read from /proc on Linux, else set and restored under a lock)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def file_mode(private: bool = False) -> int:
    """Mode of a new file: 0600 when ``private``, else 0666 minus the umask."""
    return PRIVATE_MODE if private else 0o666 & ~current_umask()


def write_bytes_atomic(path: Path | str, data: bytes, *, private: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically; returns the path.

    The file is 0666 minus the umask (0644 usually), or 0600 when ``private``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(name)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, file_mode(private))
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_text_atomic(path: Path | str, text: str, *, private: bool = False) -> Path:
    r"""Write UTF-8 text (``\n`` line ends) to ``path`` atomically; returns the path."""
    return write_bytes_atomic(path, text.encode("utf-8"), private=private)


def write_json_atomic(path: Path | str, data: Any) -> Path:
    """Write JSON (UTF-8, Chinese kept readable, indented) to ``path`` atomically."""
    return write_text_atomic(path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def copy_atomic(source: Path | str, target: Path | str) -> Path:
    """Copy ``source`` to ``target`` through a temp file and a rename."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        shutil.copyfile(source, tmp)
        tmp.chmod(file_mode())
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target
