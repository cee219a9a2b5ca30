"""geogrid.printing.fonts: the embedded CJK font and text cut to fit a width."""

from __future__ import annotations

import io

import pytest
from reportlab.pdfgen import canvas

from geogrid.errors import InputError
from geogrid.printing.fonts import CJK_FONT_PATHS, fit_text, register_cjk_font, start_pdf


def _has_cjk_font() -> bool:
    from pathlib import Path

    return any(Path(p).exists() for p in CJK_FONT_PATHS)


def test_missing_font_names_the_debian_package(tmp_path, monkeypatch) -> None:
    """Without any CJK font file the error says which package to install and where it looked."""
    from geogrid.printing import fonts

    monkeypatch.setattr(fonts.pdfmetrics, "getRegisteredFontNames", list)  # none registered yet
    with pytest.raises(InputError, match="fonts-wqy-microhei") as err:
        register_cjk_font([str(tmp_path / "none.ttc")])
    assert err.value.problems == [f"looked for {tmp_path / 'none.ttc'}"]


@pytest.mark.skipif(not _has_cjk_font(), reason="no CJK font (Debian fonts-wqy-microhei)")
def test_fit_text_cuts_with_an_ellipsis_only_when_too_wide() -> None:
    """Short text is kept; long Chinese text is cut to the width and ends with an ellipsis."""
    font = register_cjk_font()
    pdf = canvas.Canvas(io.BytesIO())
    assert fit_text(pdf, font, 10, "学院路", 200) == "学院路"
    long = "学院路一网格" * 10
    cut = fit_text(pdf, font, 10, long, 60)
    assert cut.endswith("…") and len(cut) < len(long)
    assert pdf.stringWidth(cut, font, 10) <= 60


@pytest.mark.skipif(not _has_cjk_font(), reason="no CJK font (Debian fonts-wqy-microhei)")
def test_start_pdf_gives_the_same_bytes_for_the_same_pages() -> None:
    """A document drawn twice the same way is the same bytes (invariant), carries its title and
    the page size asked (landscape A4 here), and draws Chinese in the registered font."""

    def draw() -> bytes:
        document = start_pdf("巡逻表 2026-W50", (842.0, 595.0))
        document.pdf.setFont(document.font, 12)
        document.pdf.drawString(50, 500, "平安志愿者第1队")
        document.pdf.showPage()
        return document.finish()

    first = draw()
    assert first == draw() and first.startswith(b"%PDF")
    assert b"842 595" in first and b"/Title" in first
