"""Tests for geogrid.incidents.density: kernel density in incidents per km²."""

from __future__ import annotations

import pytest

from geogrid import incidents as inc
from tests.incidents_data import UTM50, random_incidents


def test_kernel_density_integrates_to_the_count_and_states_its_rule():
    """The surface is in incidents per km² and sums to n; Silverman's bandwidth is recorded."""
    frame = random_incidents(500)
    density = inc.kernel_density(frame, UTM50, cell_m=20)
    total = density.values_per_km2.sum() * (density.cell_m**2) / 1e6
    assert total == pytest.approx(500, rel=1e-6)
    xy = frame.to_crs(UTM50).geometry
    assert density.bandwidth_m == pytest.approx(inc.silverman_bandwidth_m(xy.x.values, xy.y.values))
    assert "silverman" in density.rule
    squares = density.to_frame(min_per_km2=1.0)
    assert squares.crs.to_epsg() == 4326 and (squares["density_per_km2"] > 1).all()
    fixed = inc.kernel_density(frame, UTM50, bandwidth_m=150)
    assert fixed.bandwidth_m == 150 and fixed.rule == "given"
