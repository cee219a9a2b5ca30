"""The differencing attack of the finding, through the public JSON API.

An anonymous client asks /api/aggregates/places for every month range and every
category (and all), then subtracts answers that differ by one month at either end.
Every answer is a sum of released cells of one table of the linked released table
(the cube, or a margin such as place x month for all categories), so every exact
difference is a released cell of that table and no hidden cell, of the cube or of a
margin, is ever recovered; the API's figures equal the released table's sums.
"""

from __future__ import annotations

import numpy as np
import pytest
from webmap_area import build_busy_area

from geogrid.release import release_area
from webmap import create_app


@pytest.fixture(scope="module")
def busy():
    return build_busy_area()


@pytest.fixture(scope="module")
def client(busy):
    return create_app({"AREA": busy, "TESTING": True}).test_client()


def test_api_differencing_attack_learns_released_cells_only(busy, client):
    """Over every month range x (each category, and all): each exact answer is the sum
    of released cells, each 'at least' answer its lower bound; differences of exact
    answers only ever give released cells, so no hidden cell is recovered."""
    table = release_area(busy)
    months = client.get("/api/area").get_json()["statistics"]["months"]
    assert months == list(table.months)
    codes = list(table.categories)
    learned = 0
    for cats in [None, *([c] for c in codes)]:
        query = f"&category={cats[0]}" if cats else ""
        answers = {}
        for a in range(len(months)):
            for b in range(a, len(months)):
                body = client.get(f"/api/aggregates/places?from={months[a]}&to={months[b]}"
                                  f"{query}").get_json()
                answers[a, b] = {r["place"]: (r["count"], r["at_least"]) for r in body["places"]}
                for place, (count, at_least) in answers[a, b].items():
                    bound = table.total([place], cats, months[a:b + 1])
                    assert (count, at_least) == (bound.value, bound.at_least)
        c_idx = [codes.index(c) for c in cats] if cats else [-1]  # -1: all categories
        for (a, b), per_place in answers.items():
            for a2, b2, m in ((a + 1, b, a), (a, b - 1, b)):
                if (a2, b2) not in answers:
                    continue
                for place, (count, at_least) in per_place.items():
                    count2, at_least2 = answers[a2, b2][place]
                    if at_least or at_least2:
                        continue
                    p = table.place_ids.index(place)
                    assert not table.suppressed[p, c_idx, m].any()
                    assert count - count2 == int(np.sum(table.released[p, c_idx, m]))
                    learned += 1
    assert learned > 50
    assert table.hidden.any()


def test_released_json_is_the_released_table(busy, client):
    """/api/released.json is the released table: released cells, null where hidden."""
    table = release_area(busy)
    body = client.get("/api/released.json").get_json()
    assert body == table.to_json()
    nulls = sum(v is None for rows in body["counts"].values() for row in rows for v in row)
    assert nulls == int(table.hidden.sum()) > 0
