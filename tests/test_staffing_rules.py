"""geogrid.staffing.rules: the 1+3+N rules from TOML, bad values named."""

from __future__ import annotations

import pytest

from geogrid.errors import InputError
from geogrid.staffing import StaffingRules, rules_from_dict


def test_defaults_are_one_plus_three_plus_n() -> None:
    """One worker, police, cadre and property manager per grid, volunteers at least 2."""
    assert StaffingRules().posts() == {
        "worker": 1,
        "police": 1,
        "cadre": 1,
        "property": 1,
        "volunteer": 2,
    }
    assert StaffingRules().same_community("police") and not StaffingRules().same_community("worker")


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"staffing": {"volunters": 3}}, "volunters: not a rule"),
        ({"staffing": {"workers_per_grid": 0}}, "at least 1"),
        ({"staffing": {"distance": "flying"}}, "straight"),
        ({"staffing": {"min_volunteers": 5, "max_volunteers": 3}}, "below min_volunteers"),
    ],
)
def test_bad_rules_are_named(data: dict, fragment: str) -> None:
    """Each bad key or value is named with how to fix it."""
    with pytest.raises(InputError, match=fragment):
        rules_from_dict(data)
