"""The patrol model: compiled problems, builders, time helpers; no solver imported."""

from __future__ import annotations

import subprocess
import sys

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geogrid.errors import InputError
from geogrid.network import StreetNetwork
from geogrid.planning.problem import (
    PatrolProblem,
    Stop,
    Team,
    build_problem,
    fair_shares,
    format_hhmm,
    own_grids,
    parse_hhmm,
    passes_at_hotspots,
    passes_through_grids,
    stops_from_grids,
    stops_from_hotspots,
    stops_from_places,
    teams_from_frame,
)
from tests.patrol_area import grid_lonlat, street_grid


def test_malformed_problem_lists_every_problem() -> None:
    """Bad shapes, repeated ids and reversed windows are reported together."""
    with pytest.raises(InputError) as err:
        PatrolProblem.from_matrix(
            [Team("t", shift_start_s=10, shift_end_s=5)],
            [Stop("a", window_s=(9, 1)), Stop("a")],
            np.zeros((3, 3)),
        )
    text = str(err.value)
    assert "repeat" in text and "window ends" in text and "shift ends" in text


def test_time_helpers() -> None:
    """HH:MM parses to seconds and back; junk is refused with an example."""
    assert parse_hhmm("07:30") == 27000 and format_hhmm(27000) == "07:30"
    assert format_hhmm(86400 + 3600) == "01:00"
    with pytest.raises(InputError, match="HH:MM"):
        parse_hhmm("7h30")


def test_teams_from_frame_reads_the_layer() -> None:
    """Teams get speed defaults, shifts over midnight and skills from the config."""
    frame = gpd.GeoDataFrame(
        {
            "id": ["n1"],
            "mode": ["bike"],
            "name": ["夜巡队"],
            "shift_start": ["22:00"],
            "shift_end": ["02:00"],
            "speed_kmh": [None],
        },
        geometry=[shapely.Point(116.35, 40.0)],
        crs="EPSG:4326",
    )
    (team,) = teams_from_frame(frame, {"n1": ["aed"]})
    assert team.speed_kmh == 15.0 and team.shift_end_s == 26 * 3600 and "aed" in team.skills


def test_a_team_without_leader_or_name_is_never_nan() -> None:
    """A teams layer where one team has no leader and no name (NaN, as a layer read with the
    column missing for some features gives): leader "" (route sheets and the rota print "—"),
    name = the team id; never "nan"."""
    frame = gpd.GeoDataFrame(
        {
            "id": ["t1", "t2", "t3"],
            "mode": ["walk", "walk", "walk"],
            "name": ["东队", np.nan, None],
            "leader": ["王芳", np.nan, None],
        },
        geometry=[shapely.Point(116.35, 40.0)] * 3,
        crs="EPSG:4326",
    )
    teams = teams_from_frame(frame)
    assert [(t.name, t.leader) for t in teams] == [("东队", "王芳"), ("t2", ""), ("t3", "")]


def test_stop_builders() -> None:
    """Hot spots (rank_hotspots columns), places and grids become stops with the right fields."""
    spots = gpd.GeoDataFrame(
        {
            "id": [1, 2],
            "rank": [1, 2],
            "score": [9.1, 3.0],
            "p_fdr": [0.01, 0.04],
            "count": [40, 12],
            "priority": [5, 2],
            "peak_hours": ["19-21", "20-22"],
            "window_start": ["19:00", None],
            "window_end": ["21:00", None],
            "dwell_min": [15.0, None],
        },
        geometry=[shapely.Point(116.35, 40.0), shapely.Point(116.351, 40.001)],
        crs="EPSG:4326",
    )
    stops = stops_from_hotspots(spots, revisit_min_priority=5, revisit_after_min=45)
    assert [s.id for s in stops] == ["hotspot-1", "hotspot-1-again", "hotspot-2"]
    assert stops[0].dwell_s == 900 and stops[0].window_s == (68400, 75600) and stops[0].prize == 50
    assert stops[1].revisit_of == "hotspot-1" and stops[1].min_gap_s == 2700
    assert stops[2].dwell_s == 720 and stops[2].window_s is None
    places = gpd.GeoDataFrame(
        {"id": ["node/1"], "kind": ["school"], "name": ["学院路小学"]},
        geometry=[shapely.Point(116.35, 40.0)],
        crs="EPSG:4326",
    )
    (school,) = stops_from_places(places, window=("07:30", "07:40"), dwell_min=25, prize=50)
    assert (
        school.name == "学院路小学"
        and school.window_s == (27000, 27600)
        and school.kind == "school"
    )
    grids = gpd.GeoDataFrame(
        {"code": ["G1"]}, geometry=[shapely.box(116.35, 40.0, 116.351, 40.001)], crs="EPSG:4326"
    )
    (grid,) = stops_from_grids(grids, teams=["t1"])
    assert grid.required and grid.teams == frozenset({"t1"})
    with pytest.raises(InputError, match="priority"):
        stops_from_hotspots(spots.drop(columns="priority"))


def test_grid_stops_are_named_by_code_and_name_never_nan() -> None:
    """A grid stop is named "<code> <name>", or its code alone when the name is missing (None,
    NaN from a GeoJSON without names, blank): the route sheet, GPX and plan never say nan."""
    grids = gpd.GeoDataFrame(
        {"code": ["G1", "G2", "G3", "G4"], "name": ["学院路一网格", np.nan, None, " "]},
        geometry=[shapely.box(116.35 + i * 0.001, 40.0, 116.3505 + i * 0.001, 40.0005)
                  for i in range(4)],
        crs="EPSG:4326",
    )  # fmt: skip
    names = [stop.name for stop in stops_from_grids(grids)]
    assert names == ["G1 学院路一网格", "G2", "G3", "G4"]


def test_non_numeric_priority_names_the_hot_spot() -> None:
    """A hot spot whose priority (hence prize) is no number is an InputError naming it and its
    row."""
    spots = gpd.GeoDataFrame(
        {"id": [7, 8], "priority": [3, "high"]},
        geometry=[shapely.Point(116.35, 40.0), shapely.Point(116.351, 40.001)],
        crs="EPSG:4326",
    )
    with pytest.raises(InputError, match="priorit") as err:
        stops_from_hotspots(spots)
    assert err.value.problems == [
        "hot spot 8 (row 2): priority 'high' is not a whole number; give 1-5"
    ]


def test_problem_is_frozen_and_keeps_the_metric_crs() -> None:
    """build_problem passes the network's metric CRS in (no mutation after the fact);
    stop_index is derived from the stops."""
    nodes, edges, crs = street_grid(4)
    network = StreetNetwork.from_frames(nodes, edges, crs)
    teams = [Team("t", base=grid_lonlat(0, 0))]
    problem = build_problem(
        network, teams, [Stop("a", point=grid_lonlat(1, 1)), Stop("b", point=grid_lonlat(2, 1))]
    )
    assert problem.metric_crs == network.metric_crs
    assert problem.stop_index == {"a": 0, "b": 1}
    with pytest.raises(AttributeError):
        problem.metric_crs = "EPSG:4326"  # type: ignore[misc]
    with pytest.raises(ValueError):
        problem.travel_s[0, 0, 0] = 1


def test_the_model_imports_no_solver() -> None:
    """Importing the problem, the plans and the config loads neither ortools nor numba."""
    code = (
        "import sys; "
        "import geogrid.planning.problem, geogrid.planning.plan, geogrid.planning.config; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'ortools', 'numba'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_fill_stops_are_never_valuable() -> None:
    """An extra pass (fill_value > 0) with a prize or required is refused."""
    with pytest.raises(InputError, match="extra pass"):
        PatrolProblem.from_matrix([Team("t")], [Stop("p", prize=5, fill_value=3)], np.zeros((2, 2)))


def test_fair_shares_follow_size_mode_and_hours() -> None:
    """Five walkers weigh five times one walker; a bike counts 1.5 (or as configured); hours
    count."""
    teams = [
        Team("a", size=5, shift_start_s=0, shift_end_s=3 * 3600),
        Team("b", size=1, shift_start_s=0, shift_end_s=3 * 3600),
        Team("c", size=1, mode="bike", shift_start_s=0, shift_end_s=3 * 3600),
        Team("d", size=1, shift_start_s=0, shift_end_s=6 * 3600),
    ]
    shares = fair_shares(teams)
    assert sum(shares) == pytest.approx(1.0)
    assert shares[0] == pytest.approx(5 * shares[1])
    assert shares[2] == pytest.approx(1.5 * shares[1]) and shares[3] == pytest.approx(2 * shares[1])
    assert fair_shares(teams, {"bike": 3.0})[2] == pytest.approx(
        3 * fair_shares(teams, {"bike": 3.0})[1]
    )


def test_passes_at_the_hottest_spots_chain_after_their_revisits() -> None:
    """The top hot spots get passes gap apart, chained after their valuable revisit; worth less each
    time."""
    spots = [
        Stop("hotspot-1", prize=50, kind="hotspot", window_s=(68400, 79200)),
        Stop(
            "hotspot-1-again",
            prize=50,
            kind="hotspot",
            window_s=(68400, 79200),
            revisit_of="hotspot-1",
            min_gap_s=3600,
        ),
        Stop("hotspot-2", prize=30, kind="hotspot"),
        Stop("hotspot-3", prize=10, kind="hotspot"),
        Stop("school", prize=60, kind="school"),
    ]
    teams = [Team("t", shift_start_s=68400, shift_end_s=68400 + 3 * 3600)]
    passes = passes_at_hotspots(spots, teams, top=2, gap_min=60, dwell_min=10)
    assert {p.id.rsplit("-pass", 1)[0] for p in passes} == {"hotspot-1", "hotspot-2"}
    one = [p for p in passes if p.id.startswith("hotspot-1-")]
    assert [p.revisit_of for p in one] == ["hotspot-1-again"]  # 3 passes in 3 h at 60-min gaps
    assert one[0].window_s == (68400, 79200) and one[0].is_fill and one[0].prize == 0
    two = [p for p in passes if p.id.startswith("hotspot-2-")]
    assert [p.revisit_of for p in two] == ["hotspot-2", "hotspot-2-pass2"]
    assert all(p.min_gap_s == 3600 for p in passes)
    assert two[0].fill_value > two[1].fill_value > 0


def test_grid_passes_go_to_the_team_with_the_nearest_base_or_as_told() -> None:
    """Own grids: nearest base unless the config names them; each team passes only its own grids."""
    cells = [shapely.box(*grid_lonlat(c, 0), *grid_lonlat(c + 1, 1)) for c in (0, 4)]
    grids = gpd.GeoDataFrame(
        {"code": ["g-west", "g-east"], "name": ["西", None]}, geometry=cells, crs="EPSG:4326"
    )
    teams = [
        Team("west", base=grid_lonlat(0, 0), shift_start_s=0, shift_end_s=3600),
        Team("east", base=grid_lonlat(5, 0), shift_start_s=0, shift_end_s=3600),
    ]
    own = own_grids(grids, teams, "EPSG:32650")
    assert own == {"west": ["g-west"], "east": ["g-east"]}
    assert own_grids(grids, teams, "EPSG:32650", {"west": ["g-east"]}) == {
        "west": ["g-east"],
        "east": ["g-west"],
    }
    assert own_grids(grids, teams, "EPSG:32650", {"west": ["g-west"], "east": []}) == {
        "west": ["g-west"],
        "east": [],
    }
    passes = passes_through_grids(grids, teams, own, gap_min=30, dwell_min=5, value=10)
    assert {p.id for p in passes if p.teams == frozenset({"west"})} == {
        "gridpass-g-west-west",
        "gridpass-g-west-west-pass2",
    }
    assert all(p.kind == "grid" and p.is_fill and p.dwell_s == 300 for p in passes)
    assert passes[0].name == "网格 西" and any(p.name == "网格 g-east" for p in passes)
