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
                body = client.get(
                    f"/api/aggregates/places?from={months[a]}&to={months[b]}{query}"
                ).get_json()
                answers[a, b] = {r["place"]: (r["count"], r["at_least"]) for r in body["places"]}
                for place, (count, at_least) in answers[a, b].items():
                    bound = table.total([place], cats, months[a : b + 1])
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


def test_api_and_map_note_when_cases_have_several_offences(busy):
    """With a second offence (assault) on some cases, /api/area and
    /api/aggregates/categories carry the note (Chinese and English) that categories can
    add up to more than the total, released.json says categories_overlap, and the map's
    legend says it too; the busy area without it has no note."""
    import dataclasses

    import geopandas as gpd
    import pandas as pd

    from webmap.texts import texts_for

    incidents = busy.incidents.assign(case_id=busy.incidents["id"].astype(str))
    extra = incidents.iloc[::3].assign(
        id=lambda f: f["id"].astype(str) + "/assault", category="assault"
    )
    both = gpd.GeoDataFrame(
        pd.concat([incidents, extra], ignore_index=True), geometry="geometry", crs=incidents.crs
    )
    app = create_app({"AREA": dataclasses.replace(busy, incidents=both), "TESTING": True})
    with app.test_client() as multi:
        stats = multi.get("/api/area").get_json()["statistics"]
        assert stats["categories_overlap"] is True
        assert stats["note"] == {
            lang: texts_for(lang)["categories_overlap_note"] for lang in ("zh", "en")
        }
        assert "案件" in stats["note"]["zh"] and "more than the total" in stats["note"]["en"]
        categories = multi.get("/api/aggregates/categories").get_json()
        assert categories["note"] == stats["note"]
        assert multi.get("/api/released.json").get_json()["categories_overlap"] is True
        page = multi.get("/?lang=en").get_data(as_text=True)
        assert "more than the total" in page
    plain = create_app({"AREA": busy, "TESTING": True}).test_client()
    assert plain.get("/api/area").get_json()["statistics"]["note"] is None
