"""Measure every figure a notebook draws, as the reader will see it.

`install()` wraps matplotlib's `FigureCanvasBase.print_figure`, through which the inline backend renders
each figure it shows. For each rendered PNG it records the width in inches (at the figure's dpi), the smallest
visible text in points, and that size as the reader sees it once a figure wider than the notebook column has
been shrunk to fit. tests/grading.py injects it into the reference submission of every lesson it grades.
"""

from __future__ import annotations

import io
import struct

# A notebook column at 100 % zoom shows about 10 inches of a figure at the default resolution; wider images
# are shrunk to fit, and their text with them.
COLUMN_INCHES = 10.0
MIN_TEXT_POINTS = 7.0

records: list[dict] = []


def _png_width(data: bytes) -> int | None:
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return struct.unpack(">I", data[16:20])[0]


def _smallest_text(figure) -> tuple[float, str]:
    from matplotlib.text import Text

    smallest, where = float("inf"), ""
    for text in figure.findobj(Text):
        if text.get_visible() and text.get_text().strip() and text.get_alpha() != 0:
            axes = text.axes
            if axes is not None and not axes.get_visible():
                continue
            if text.get_fontsize() < smallest:
                smallest, where = text.get_fontsize(), text.get_text()[:30]
    return smallest, where


def install() -> None:
    from matplotlib.backend_bases import FigureCanvasBase

    if getattr(FigureCanvasBase.print_figure, "_audited", False):
        return
    original = FigureCanvasBase.print_figure

    def print_figure(self, filename, *args, **kwargs):
        result = original(self, filename, *args, **kwargs)
        if isinstance(filename, io.BytesIO):
            width_px = _png_width(filename.getvalue())
            dpi = kwargs.get("dpi") or self.figure.dpi
            if width_px:
                inches = width_px / dpi
                points, text = _smallest_text(self.figure)
                shrink = min(1.0, COLUMN_INCHES / inches)
                title = next((ax.get_title() for ax in self.figure.axes if ax.get_title()), "")
                records.append({"title": self.figure.get_suptitle() or title, "inches": round(inches, 2),
                                "smallest_points": points, "smallest_text": text,
                                "seen_points": round(points * shrink, 2)})
        return result

    print_figure._audited = True
    FigureCanvasBase.print_figure = print_figure


def problems() -> list[str]:
    """Figures wider than the column, or whose smallest text is below the legible size as seen."""
    found = []
    for record in records:
        if record["inches"] > COLUMN_INCHES * 1.05:
            found.append(f"{record['title']!r} is {record['inches']} in wide (the column shows {COLUMN_INCHES})")
        if record["seen_points"] < MIN_TEXT_POINTS:
            found.append(f"{record['title']!r}: text {record['smallest_text']!r} is seen at "
                         f"{record['seen_points']} pt (at least {MIN_TEXT_POINTS})")
    return found
