"""Errors a person can act on.

Every error geogrid raises for bad input derives from :class:`GeogridError`
and also from the matching builtin, so ``except ValueError`` still works.
Messages name the file, row or feature, what is wrong and how to fix it.
"""

from __future__ import annotations

from collections.abc import Iterable


class GeogridError(Exception):
    """Base class of every error geogrid raises on purpose."""


class InputError(GeogridError, ValueError):
    """A file, row or feature is malformed.

    ``problems`` keeps each problem as its own line so callers (CLI, web)
    can list them; ``str(err)`` joins them.
    """

    def __init__(self, message: str, problems: Iterable[str] = ()) -> None:
        self.problems = list(problems)
        text = message
        if self.problems:
            text = message + "\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(text)
        self.message = message


class CRSError(InputError):
    """Data has no coordinate reference system, or the wrong one."""


class NetworkError(GeogridError, ValueError):
    """The street network cannot answer: points off the network or unreachable."""

    def __init__(self, message: str, points: Iterable[object] = ()) -> None:
        self.points = list(points)
        super().__init__(message)


class InfeasibleError(GeogridError, ValueError):
    """A plan cannot satisfy its constraints; ``reasons`` says which and why."""

    def __init__(self, message: str, reasons: Iterable[str] = ()) -> None:
        self.reasons = list(reasons)
        text = message
        if self.reasons:
            text = message + "\n" + "\n".join(f"  - {r}" for r in self.reasons)
        super().__init__(text)


class ConflictError(GeogridError):
    """Someone else saved first: the change was made from a version that is no longer current.

    Nothing was saved; the message says who changed what, and the person
    reloads and redoes the change (the web answers 409).
    """


class InternalError(GeogridError, RuntimeError):
    """A bug in geogrid: the message says what to report."""
