"""Reading the mapping TOML of an office's file: every problem named, with the fix."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from geogrid.errors import InputError
from geogrid.io.mappings import read_import_mapping, read_mapping_toml
from tests import office_files as O


def test_reads_a_register_mapping(tmp_path: Path) -> None:
    """The example register mapping reads: columns, coordinates, sheet."""
    text = O.REGISTER_TOML.format(coordinates="gcj02", extra='sheet = "户籍"', x="经度", y="纬度")
    mapping = read_import_mapping(O.write_text(tmp_path / "m.toml", text), "households")
    assert mapping.coordinates == "gcj02" and mapping.sheet == "户籍"
    assert mapping.columns["households"] == "户数"


BAD = [
    ("missing", None, "households", "mapping file not found"),
    ("not toml", "name = ", "households", "not valid TOML"),
    ("wrong kind", O.GRIDS_TOML.format(extra=""), "households", 'kind = "grids"'),
    (
        "no coordinates",
        'name = "a"\n[columns]\nx = "X"\ny = "Y"\n',
        "households",
        "[source] coordinates is required",
    ),
    (
        "unknown field",
        'name = "a"\n[columns]\ncode = "C"\ncolour = "c"\n',
        "grids",
        "colour: not a grids field",
    ),
    ("teams without mode", 'name = "a"\n[columns]\nid = "队"\nbase = "驻点"\n', "teams", "mode"),
    (
        "bad coordinates",
        'name = "a"\n[source]\ncoordinates = "mars"\n[columns]\nx = "X"\ny = "Y"\n',
        "places",
        "unknown coordinate system",
    ),
]


@pytest.mark.parametrize(("case", "text", "kind", "fragment"), BAD, ids=[b[0] for b in BAD])
def test_bad_mappings(
    tmp_path: Path, case: str, text: str | None, kind: str, fragment: str
) -> None:
    """Each bad mapping is an InputError naming the file and the line to change."""
    path = tmp_path / "m.toml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_import_mapping(path, kind)
    assert fragment in str(err.value), str(err.value)


@pytest.mark.parametrize("kind", ["households", "grids", "places", "teams", "communities"])
def test_example_office_mappings_read(kind: str) -> None:
    """Every example in data/mappings/office_<kind>.toml is a valid mapping of its kind."""
    path = Path(__file__).resolve().parents[1] / "data" / "mappings" / f"office_{kind}.toml"
    assert read_import_mapping(path, kind).kind == kind


def test_mapping_toml_names_the_file_and_what_to_fix(tmp_path: Path) -> None:
    """The one TOML reader of every mapping (registers, roads, incidents): its tables; a missing
    file says the caller's fix; GBK text says save as UTF-8; broken TOML names the line."""
    good = tmp_path / "good.toml"
    good.write_text('name = "户籍"\n[columns]\nx = "经度"\n', encoding="utf-8")
    assert read_mapping_toml(good, "unused") == {"name": "户籍", "columns": {"x": "经度"}}
    with pytest.raises(InputError, match=re.escape("none.toml: copy an example")):
        read_mapping_toml(tmp_path / "none.toml", "copy an example")
    gbk = tmp_path / "gbk.toml"
    gbk.write_bytes('name = "户籍"\n'.encode("gbk"))
    with pytest.raises(InputError, match=re.escape("gbk.toml: a mapping file is UTF-8 text")):
        read_mapping_toml(gbk, "unused")
    broken = tmp_path / "broken.toml"
    broken.write_text("name = \n", encoding="utf-8")
    with pytest.raises(InputError, match=r"broken\.toml: not valid TOML: .*line 1"):
        read_mapping_toml(broken, "unused")
