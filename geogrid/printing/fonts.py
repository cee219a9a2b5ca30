"""What every printed page shares: the embedded CJK font, fitting text, Chinese labels, and
the reproducible PDF canvas they draw on.

Chinese text uses an embedded CJK TrueType font (WenQuanYi Micro Hei from
Debian ``fonts-wqy-microhei``), subset into each PDF so any viewer shows it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from geogrid.errors import InputError

CJK_FONT_PATHS: tuple[str, ...] = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)
FONT = "GeogridCJK"
KIND_ZH = {
    "hotspot": "热点",
    "school": "学校",
    "kindergarten": "幼儿园",
    "university": "大学",
    "college": "学院",
    "marketplace": "市场",
    "supermarket": "超市",
    "mall": "商场",
    "subway_entrance": "地铁口",
    "subway_station": "地铁站",
    "railway_station": "火车站",
    "bus_station": "公交站",
    "police": "派出所",
    "fire_station": "消防站",
    "grid": "网格",
}
MODE_ZH = {"walk": "步行", "bike": "电动自行车", "drive": "汽车"}


def register_cjk_font(paths: Sequence[str] = CJK_FONT_PATHS) -> str:
    """Register the first CJK TrueType font found; returns its reportlab name."""
    if FONT in pdfmetrics.getRegisteredFontNames():
        return FONT
    for path in paths:
        if Path(path).exists():
            pdfmetrics.registerFont(TTFont(FONT, path, subfontIndex=0))
            return FONT
    raise InputError(
        "no CJK font for the route sheets; install the Debian package fonts-wqy-microhei",
        [f"looked for {p}" for p in paths],
    )


def fit_text(pdf: canvas.Canvas, font: str, size: float, text: str, width: float) -> str:
    """``text`` cut with an ellipsis to fit ``width`` points in ``font`` at ``size``."""
    if pdf.stringWidth(text, font, size) <= width:
        return text
    while text and pdf.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


@dataclass(frozen=True)
class PdfDocument:
    """A PDF being drawn: the reportlab canvas (``invariant``: the same input gives the same
    bytes) and the name of the registered CJK font; :meth:`finish` gives the bytes."""

    pdf: canvas.Canvas
    font: str
    buffer: io.BytesIO = field(repr=False)

    def finish(self) -> bytes:
        """Close the last page and the file; the PDF's bytes."""
        self.pdf.save()
        return self.buffer.getvalue()


def start_pdf(title: str, pagesize: tuple[float, float] = A4) -> PdfDocument:
    """A new PDF with ``title`` in its metadata, pages of ``pagesize`` points (A4 portrait),
    the CJK font registered (:func:`register_cjk_font`; InputError without one)."""
    font = register_cjk_font()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=pagesize, invariant=True)
    pdf.setTitle(title)
    return PdfDocument(pdf, font, buffer)
