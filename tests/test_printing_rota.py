"""Weekly rota sheets: the district's table and a team's week render as A4 PDFs with the
Chinese text embedded; the pages are not blank when rendered to PNG."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from reportlab.pdfbase.pdfmetrics import stringWidth

from geogrid.printing.fonts import register_cjk_font
from geogrid.printing.rota import render_district_rota, render_team_rota, wrap_text


def document(n_teams: int = 3) -> dict[str, Any]:
    teams = [
        {
            "team": f"t{k}",
            "team_name": f"平安志愿者第{k}队",
            "leader": "王队长",
            "size": 4,
            "mode": "walk",
            "roster": "every night",
            "nights": 3,
            "visits": 9,
            "weighted_nights": 3.0,
        }
        for k in range(n_teams)
    ]
    days = []
    for d, (wd, zh) in enumerate(
        zip(
            ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
            ["周一", "周二", "周三", "周四", "周五", "周六", "周日"],
            strict=True,
        )
    ):
        stops = [
            {
                "id": f"hotspot-{k}",
                "name": f"热点{k} · Mannerheimintie",
                "kind": "hotspot",
                "duty": "hotspot",
                "priority": 5,
            }
            for k in range(3)
        ]
        if d < 5:
            stops.append(
                {
                    "id": "school-a",
                    "name": "Kaisaniemen ala-aste",
                    "kind": "school",
                    "duty": "school",
                    "priority": None,
                }
            )
        days.append(
            {
                "date": f"2026-12-{7 + d:02d}",
                "weekday": wd,
                "weekday_zh": zh,
                "school_day": d < 5,
                "note": "",
                "teams": [
                    {
                        "team": f"t{d % n_teams}",
                        "team_name": "x",
                        "shift": "19:00–22:00",
                        "stops": stops,
                    }
                ],
            }
        )
    return {
        "area": "demo",
        "week": "2026-W50",
        "dates": [d["date"] for d in days],
        "days": days,
        "teams": teams,
        "fairness": {"max_weighted_nights": 3.0, "spread": 1.0},
    }


def test_wrap_text_fits_the_width() -> None:
    """Every wrapped line fits; Chinese breaks anywhere, Latin between words."""
    font = register_cjk_font()
    lines = wrap_text(
        "护学岗 Kaisaniemen ala-aste Helsingin yliopisto 平安志愿者第1队", font, 9, 60
    )
    assert len(lines) > 1 and all(stringWidth(line, font, 9) <= 60 for line in lines)


@pytest.mark.parametrize("n_teams", [3, 8])
def test_district_and_team_sheets_render(tmp_path: Path, n_teams: int) -> None:
    """The district sheet (teams across, a page per six) and a team's week are PDFs that
    embed the CJK font; rendered to PNG they are not blank."""
    district = render_district_rota(document(n_teams))
    team = render_team_rota(document(n_teams), "t1")
    for pdf in (district, team):
        assert pdf.startswith(b"%PDF") and b"/FontFile2" in pdf  # the CJK TrueType font, embedded
    assert district.count(b"/Type /Page\n") + district.count(b"/Type /Page ") >= (
        2 if n_teams > 6 else 1
    )
    with pytest.raises(ValueError, match="no team 'nope'"):
        render_team_rota(document(), "nope")
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) not installed")
    from PIL import Image

    (tmp_path / "district.pdf").write_bytes(district)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "40",
            "-f",
            "1",
            "-l",
            "1",
            str(tmp_path / "district.pdf"),
            str(tmp_path / "page"),
        ],
        check=True,
    )
    (png,) = tmp_path.glob("page*.png")
    with Image.open(png) as image:
        assert image.width > image.height  # landscape
        extrema = image.convert("L").getextrema()
        assert extrema[0] < 100  # ink on the page
