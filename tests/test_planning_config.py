"""The patrol config model: defaults declared once, unknown keys refused, problems named by key."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from geogrid.errors import InputError
from geogrid.planning.config import HotspotConfig, PatrolConfig, PlaceConfig, SolverConfig

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "config" / "patrol.example.toml"


def test_defaults_are_declared_once() -> None:
    """An empty config is the defaults: 10 s, seed 1, no places, 60-minute revisits."""
    config = PatrolConfig.from_dict({})
    assert config.solver == SolverConfig(time_limit_s=10.0, seed=1)
    assert config.places == () and config.hotspots.revisit_after_min == 60.0
    place = PlaceConfig(layer="schools")
    assert (place.prize, place.dwell_min, place.window, place.required) == (10, 10.0, None, False)
    assert HotspotConfig().prize_per_priority == 10


def test_example_config_reads_and_is_frozen() -> None:
    """The shipped example passes; the model cannot be changed after reading."""
    config = PatrolConfig.from_dict(
        tomllib.loads(EXAMPLE.read_text(encoding="utf-8")), where=str(EXAMPLE)
    )
    assert config.places[0].layer == "schools" and config.places[0].window == ("07:30", "07:40")
    assert config.hotspots.from_incidents and config.hotspots.top == 12
    with pytest.raises(ValueError):
        config.solver.seed = 2  # type: ignore[misc]


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (
            {"places": [{"layer": "schools", "prize": "high"}]},
            "x.toml: places[1] (layer 'schools').prize: ",
        ),
        (
            {"places": [{"layer": "schools", "windw": ["07:30", "07:40"]}]},
            "x.toml: places[1] (layer 'schools').windw: unknown key",
        ),
        ({"places": [{"layer": "schools", "window": "07:30"}]}, "window is two times"),
        (
            {"places": [{"prize": 5}]},
            'x.toml: places[1].layer: missing; say which layer, e.g. layer = "schools"',
        ),
        ({"solver": {"time_limit_s": "long"}}, "x.toml: solver.time_limit_s: "),
        ({"solverr": {}}, "x.toml: solverr: unknown key"),
        ({"hotspots": {"revisit_after_min": -5}}, "x.toml: hotspots.revisit_after_min: "),
        ({"teams": {"team-2": {"skill": ["aed"]}}}, "x.toml: teams.team-2.skill: unknown key"),
        ({"workload": {"balance": "fair"}}, "x.toml: workload.balance: "),
        ({"workload": {"mode_weights": {"boat": 2}}}, "x.toml: workload.mode_weights.boat"),
        ({"fill": {"gap_min": 0}}, "x.toml: fill.gap_min: "),
    ],
)
def test_bad_config_names_file_and_key(data: dict, fragment: str) -> None:
    """Every problem is an InputError line "<file>: <key>: <problem>"."""
    with pytest.raises(InputError) as err:
        PatrolConfig.from_dict(data, where="x.toml")
    assert any(fragment in line for line in err.value.problems), err.value.problems
    assert str(err.value).startswith("x.toml: config has problems")


def test_every_problem_is_listed_at_once() -> None:
    """Two bad entries give two lines, not just the first."""
    with pytest.raises(InputError) as err:
        PatrolConfig.from_dict(
            {"places": [{"layer": "a", "prize": "x"}, {"layer": "b", "dwell_min": "y"}]}
        )
    assert len(err.value.problems) == 2


def test_team_skills() -> None:
    """[teams.<id>] skills become the skills map for the teams layer."""
    config = PatrolConfig.from_dict({"teams": {"team-2": {"skills": ["first_aid"]}}})
    assert config.skills() == {"team-2": ("first_aid",)}


def test_workload_and_fill_keys() -> None:
    """[workload] picks the balance and its weight; [fill] the extra passes; [teams.<id>] grids the
    own grids."""
    config = PatrolConfig.from_dict(
        {
            "workload": {"balance": "weighted", "balance_weight": 2, "mode_weights": {"bike": 2}},
            "fill": {"hotspot_passes": 0, "grid_passes": False},
            "teams": {"team-1": {"grids": ["g1", "g2"]}},
        }
    )
    assert config.workload.balance == "weighted" and config.workload.balance_weight == 2.0
    assert config.workload.mode_weights == {"bike": 2.0}
    assert config.fill.hotspot_passes == 0 and not config.fill.grid_passes
    assert config.own_grids() == {"team-1": ("g1", "g2")}
    default = PatrolConfig()
    assert default.workload.balance == "lexicographic" and default.fill.gap_min is None
