"""geogrid.staffing.roster: roster rows checked one by one; good rows kept."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geogrid.staffing import parse_role, roster_from_fields
from tests.grids_area import communities

ROWS = [
    {"name": "王芳", "role": "专职网格员", "phone": "13800000001", "community": "西社区"},
    {"name": "李强", "role": "Police officer", "phone": "13800000002", "community": "110108001002"},
    {"name": "赵敏", "role": "物业", "phone": None, "community": "东社区", "capacity": "2"},
    {"name": "周杰", "role": "volunteer", "phone": None, "community": "西社区"},
]


def _fields(extra: dict | None) -> pd.DataFrame:
    rows = ROWS + ([extra] if extra else [])
    return pd.DataFrame(rows, index=range(2, len(rows) + 2)).astype(object)


def test_good_roster_keeps_everyone() -> None:
    """Chinese and English roles; a home inside a community gives the community."""
    fields = _fields(None)
    fields.loc[5, "community"] = None
    centre = communities().geometry.iloc[0].representative_point()
    homes = gpd.GeoSeries([centre], index=[5], crs="EPSG:4326")
    roster = roster_from_fields(fields, homes, communities=communities())
    assert len(roster.people) == 4 and not len(roster.rejects)
    assert [p.role for p in roster.people] == ["worker", "police", "property", "volunteer"]
    assert roster.people[3].community == "110108001001" and roster.people[2].capacity == 2


@pytest.mark.parametrize(
    ("row", "reason", "fragment"),
    [
        ({"name": "钱多", "role": "保安", "phone": "1"}, "unknown_role", "'保安' is none of"),
        ({"name": "王芳", "role": "worker", "phone": "13800000001"}, "duplicate_person", "row 2"),
        (
            {"name": "孙悟", "role": "网格员", "phone": None, "community": "西社区"},
            "missing_phone",
            "phone",
        ),
        ({"name": "吴用", "role": "cadre", "community": "北社区"}, "unknown_community", "北社区"),
        (
            {"name": "郑和", "role": "volunteer", "capacity": "two", "community": "西社区"},
            "bad_value",
            "capacity",
        ),
        ({"name": None, "role": "volunteer"}, "missing_name", "name"),
        ({"name": "冯巩", "role": "volunteer"}, "no_home", "home coordinates"),
    ],
)
def test_bad_rows_are_named_and_good_rows_kept(row: dict, reason: str, fragment: str) -> None:
    """Each bad row is a reject with its row number (6) and reason; the four good rows stay."""
    roster = roster_from_fields(_fields(row), None, communities=communities())
    assert len(roster.people) == 4
    reject = roster.rejects.table.iloc[0]
    assert (reject["row"], reject["reason"]) == (6, reason)
    assert fragment in reject["detail"]


def test_roles_in_both_languages() -> None:
    """Every role reads from its Chinese and English names."""
    assert [
        parse_role(t) for t in ("社区民警", "Community cadre", "志愿者", "Property manager", "x")
    ] == ["police", "cadre", "volunteer", "property", None]
    assert shapely is not None
