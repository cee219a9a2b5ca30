"""Tests for geogrid.network.frames: the frame contract, every problem named at once."""

from __future__ import annotations

import pytest
import shapely

from geogrid.errors import CRSError, InputError
from geogrid.layers import EdgeProperties
from geogrid.network import REQUIRED_EDGE_COLUMNS, StreetNetwork
from tests.network_area import METRIC, make_frames


def _frames_for_errors():
    return make_frames({1: (0, 0), 2: (100, 0), 3: (200, 0)}, [{"u": 1, "v": 2}, {"u": 2, "v": 3}])


def _drop_column(nodes, edges):
    return nodes, edges.drop(columns=["oneway_drive", "length_m"])


def _unknown_endpoint(nodes, edges):
    edges = edges.copy()
    edges.loc[1, "v"] = 99
    return nodes, edges


def _negative_length(nodes, edges):
    edges = edges.copy()
    edges.loc[0, "length_m"] = -5.0
    return nodes, edges


def _nan_length(nodes, edges):
    edges = edges.copy()
    edges.loc[1, "length_m"] = float("nan")
    return nodes, edges


def _fractional_way_id(nodes, edges):
    edges = edges.copy()
    edges["way_id"] = edges["way_id"].astype(float)
    edges.loc[0, "way_id"] = 100.5
    return nodes, edges


def _blank_highway(nodes, edges):
    edges = edges.copy()
    edges.loc[1, "highway"] = " "
    return nodes, edges


def _point_geometry(nodes, edges):
    edges = edges.copy()
    edges.loc[1, "geometry"] = shapely.Point(116.3, 40.0)
    return nodes, edges


def _reversed_geometry(nodes, edges):
    edges = edges.copy()
    edges.loc[0, "geometry"] = edges.loc[0, "geometry"].reverse()
    return nodes, edges


def _no_crs(nodes, edges):
    return nodes, edges.set_crs(None, allow_override=True)


@pytest.mark.parametrize(
    ("breaker", "error", "fragments"),
    [
        (_drop_column, InputError, ["length_m", "oneway_drive", "ARCHITECTURE"]),
        (_unknown_endpoint, InputError, ["rows 1:", "endpoint v", "node id 99"]),
        (_negative_length, InputError, ["rows 0:", "length_m"]),
        (_nan_length, InputError, ["rows 1:", "length_m"]),
        (_fractional_way_id, InputError, ["rows 0:", "way_id", "whole numbers"]),
        (_blank_highway, InputError, ["rows 1:", "column highway must hold text"]),
        (_point_geometry, InputError, ["rows 1:", "LineString"]),
        (_reversed_geometry, InputError, ["rows 0:", "from node u to node v", "100 m"]),
        (_no_crs, CRSError, ["network edges", "coordinate reference system"]),
    ],
)
def test_invalid_frames_raise_input_error_naming_rows(breaker, error, fragments) -> None:
    """Each broken frame gives an InputError (or CRSError) naming the rows and the fix."""
    nodes, edges = breaker(*_frames_for_errors())
    with pytest.raises(error) as info:
        StreetNetwork.from_frames(nodes, edges, METRIC)
    for fragment in fragments:
        assert fragment in str(info.value)


def test_all_problems_reported_at_once() -> None:
    """Several problems in the frames are collected into one error, one line each."""
    nodes, edges = _nan_length(*_unknown_endpoint(*_frames_for_errors()))
    edges.loc[0, "length_m"] = -1.0
    with pytest.raises(InputError) as info:
        StreetNetwork.from_frames(nodes, edges, METRIC)
    assert len(info.value.problems) == 2
    assert "rows 0, 1" in str(info.value)


def test_geographic_metric_crs_is_refused() -> None:
    """Passing lon/lat as the 'metric' CRS is refused with a hint."""
    with pytest.raises(CRSError, match="metric_crs_for"):
        StreetNetwork.from_frames(*_frames_for_errors(), "EPSG:4326")


def test_edge_columns_come_from_the_layer_schema() -> None:
    """The required edge columns are EdgeProperties' required fields, then the geometry."""
    required = [n for n, f in EdgeProperties.model_fields.items() if f.is_required()]
    assert (*required, "geometry") == REQUIRED_EDGE_COLUMNS
