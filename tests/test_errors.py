"""Tests for geogrid.errors: errors list every problem and subclass the builtins."""

from __future__ import annotations

from geogrid.errors import (
    CRSError,
    GeogridError,
    InfeasibleError,
    InputError,
    InternalError,
    NetworkError,
)


def test_errors_subclass_builtins_and_base():
    """Every error is a GeogridError and a ValueError, so callers can catch either."""
    for cls in (InputError, CRSError, NetworkError, InfeasibleError):
        assert issubclass(cls, GeogridError)
        assert issubclass(cls, ValueError)


def test_input_error_lists_each_problem_on_its_own_line():
    """str(InputError) has the summary then one indented line per problem."""
    err = InputError(
        "incidents.csv has 2 bad rows", ["row 17: lat 91.2 out of range", "row 40: empty time"]
    )
    assert err.problems == ["row 17: lat 91.2 out of range", "row 40: empty time"]
    assert str(err).splitlines() == [
        "incidents.csv has 2 bad rows",
        "  - row 17: lat 91.2 out of range",
        "  - row 40: empty time",
    ]
    assert str(InputError("plain")) == "plain"


def test_network_and_infeasible_errors_carry_details():
    """NetworkError keeps the offending points; InfeasibleError keeps its reasons."""
    err = NetworkError("2 points cannot be reached", points=["school-3", "market-1"])
    assert err.points == ["school-3", "market-1"]
    inf = InfeasibleError("no plan", ["stop 4: window closes before the team can arrive"])
    assert "stop 4" in str(inf)
    assert inf.reasons == ["stop 4: window closes before the team can arrive"]


def test_internal_error_is_a_bug_not_bad_input():
    """InternalError is a GeogridError and a RuntimeError, never a ValueError (not the user's
    input)."""
    assert issubclass(InternalError, GeogridError) and issubclass(InternalError, RuntimeError)
    assert not issubclass(InternalError, ValueError)
    err = InternalError("the solver and the checker disagree; please report it with the inputs")
    assert "report" in str(err)
