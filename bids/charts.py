"""Bar charts as inline SVG, drawn on the server from the same rows as the table beside them.

Pure functions: rows in, markup out, no database and no JavaScript. Every chart

- starts its bars at zero and draws that baseline, with a scale of round amounts under it;
- labels every bar with its value (``£4.6m``), so no reading off the scale is needed;
- tells its series apart by fill pattern (solid, hatched, outlined, dotted) as well as colour,
  with a legend, so it reads in black and white and for people who do not see colour;
- is ``role="img"``, named by its ``<title>`` and ``<desc>`` (the table holds the figures for
  screen readers);
- is horizontal, with each group's label above its bars, and scales with its ``viewBox``: the
  whole width of a 320 px phone goes to the bars, and the text stays legible.

Geometry is in viewBox units; money stays Decimal until it becomes a coordinate.
"""

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString

from fundtracker.templatetags.govuk import gbp_short

WIDTH = 340
PAD = 4
# Each bar is named on its left ("Allocated"), so the chart reads without its legend.
GUTTER = 70
# Room to the right of the longest bar for its value, such as "£999.9m".
VALUE_ROOM = 54
X0 = PAD + GUTTER
PLOT = WIDTH - X0 - VALUE_ROOM
FONT = 14
SMALL = 13
LINE = 17
BAR = 15
BAR_GAP = 3
GROUP_GAP = 12
LEGEND = 26
AXIS = 30
LABEL_CHARS = 40
INK = "#0b0c0c"
GRID = "#b1b4b6"


# The largest a chart may be on an A4 page, in millimetres: a column of text wide, and short
# enough to share a page with its heading.
PRINT_WIDTH = 88
PRINT_HEIGHT = 200


class Chart(SafeString):
    """A chart's markup, which knows its proportions."""

    width: int = WIDTH
    height: Decimal = Decimal(0)

    @property
    def print_width(self) -> str:
        """Millimetres wide on paper: ``PRINT_WIDTH``, or less for a chart so tall that it
        would not fit ``PRINT_HEIGHT``."""
        if not self.height:
            return str(PRINT_WIDTH)
        return _num(min(Decimal(PRINT_WIDTH), PRINT_HEIGHT * Decimal(self.width) / self.height))


@dataclass(frozen=True)
class Series:
    """One kind of bar: the row key it reads, its name in the legend and how it is filled."""

    key: str
    label: str
    fill: str  # "outline", "solid", "hatched" or "dotted"
    colour: str = INK


SET_ASIDE = Series("envelope", "Set aside", "outline")
ALLOCATED = Series("allocated", "Allocated", "solid", "#1d70b8")
PAID = Series("paid", "Paid", "dotted", "#0b0c0c")
SPENT = Series("spent", "Spent", "hatched", "#0b0c0c")


def nice_step(largest: Decimal, ticks: int = 4) -> Decimal:
    """A round interval (1, 2, 2.5 or 5 times a power of ten) that splits 0 to ``largest`` into
    at most ``ticks`` steps."""
    if largest <= 0:
        return Decimal(1)
    rough = largest / ticks
    power = Decimal(1).scaleb(rough.adjusted())
    for multiple in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)):
        if power * multiple >= rough:
            return power * multiple
    return power * 10


def axis_max(largest: Decimal) -> tuple[Decimal, Decimal]:
    """The end of the scale (a whole number of steps, at least ``largest``) and the step."""
    step = nice_step(largest)
    steps = max(1, int((largest / step).to_integral_value(rounding=ROUND_CEILING)))
    return step * steps, step


HUNDREDTH = Decimal("0.01")


def _num(value: Decimal | int | float) -> str:
    """A coordinate, to two places, without trailing zeros."""
    if isinstance(value, int):
        # Most coordinates are whole: a chart has over four hundred of them.
        return str(value)
    text = f"{Decimal(value).quantize(HUNDREDTH, ROUND_HALF_UP):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _fill(chart_id: str, series: Series) -> str:
    if series.fill == "solid":
        return f'fill="{series.colour}" stroke="{INK}" stroke-width="1"'
    if series.fill == "outline":
        return f'fill="#ffffff" stroke="{INK}" stroke-width="2"'
    return f'fill="url(#{chart_id}-{series.fill})" stroke="{INK}" stroke-width="1"'


def _patterns(chart_id: str, series: Sequence[Series]) -> str:
    defs = []
    fills = {s.fill for s in series}
    if "hatched" in fills:
        defs.append(
            f'<pattern id="{chart_id}-hatched" width="6" height="6" '
            'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
            '<rect width="6" height="6" fill="#ffffff"/>'
            f'<rect width="2.5" height="6" fill="{INK}"/></pattern>'
        )
    if "dotted" in fills:
        defs.append(
            f'<pattern id="{chart_id}-dotted" width="5" height="5" patternUnits="userSpaceOnUse">'
            '<rect width="5" height="5" fill="#ffffff"/>'
            f'<circle cx="2.5" cy="2.5" r="1.3" fill="{INK}"/></pattern>'
        )
    return f"<defs>{''.join(defs)}</defs>" if defs else ""


def _legend(chart_id: str, series: Sequence[Series]) -> list[str]:
    parts = ['<g class="app-chart__legend">']
    x = PAD
    for item in series:
        parts.append(
            f'<rect x="{_num(x + 1)}" y="5" width="{BAR}" height="{BAR - 2}" '
            f"{_fill(chart_id, item)}/>"
        )
        parts.append(
            f'<text x="{_num(x + BAR + 6)}" y="16" font-size="{FONT}">{escape(item.label)}</text>'
        )
        # Wide enough for the name at this size, with a gap before the next key.
        x += BAR + 6 + len(item.label) * 8 + 16
    parts.append("</g>")
    return parts


def bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    rows: Sequence[Mapping],
    series: Sequence[Series],
    label_key: str = "label",
) -> Chart:
    """An SVG of horizontal bars: one group per row (labelled by ``row[label_key]``), one bar
    per series (``row[series.key]``, a Decimal amount ≥ 0).

    ``chart_id`` makes the ids of the title, description and patterns unique on the page.
    Without rows there is nothing to draw: the result is an empty string, and the page says so.
    """
    if not rows:
        return Chart("")
    values = [[Decimal(row.get(s.key) or 0) for s in series] for row in rows]
    largest = max(max(group) for group in values)
    end, step = axis_max(largest)
    scale = Decimal(PLOT) / end

    body = []
    # The vertical span of each group's bars: grid lines and the baseline run through the
    # bars only, never through the group labels above them.
    blocks = []
    y = LEGEND + 6
    for row, amounts in zip(rows, values, strict=True):
        lines = textwrap.wrap(str(row[label_key]), LABEL_CHARS) or [""]
        for line in lines:
            y += LINE
            body.append(
                f'<text x="{PAD}" y="{_num(y - 4)}" font-size="{FONT}" font-weight="bold">'
                f"{escape(line)}</text>"
            )
        block_top = y
        for item, amount in zip(series, amounts, strict=True):
            length = amount * scale
            label = escape(gbp_short(amount))
            body.append(
                f'<text x="{X0 - 6}" y="{_num(y + BAR - 3)}" font-size="{SMALL}" '
                f'text-anchor="end">{escape(item.label)}</text>'
            )
            if length > 0:
                body.append(
                    f'<rect class="app-chart__bar" data-series="{item.key}" x="{X0}" '
                    f'y="{_num(y + 1)}" width="{_num(length)}" height="{BAR - 2}" '
                    f"{_fill(chart_id, item)}/>"
                )
            # A white ground under the value keeps the grid lines from striking through it.
            body.append(
                f'<rect x="{_num(X0 + length + 3)}" y="{_num(y + 1)}" '
                f'width="{_num(len(label) * 7.6 + 4)}" height="{BAR - 2}" fill="#ffffff"/>'
            )
            body.append(
                f'<text class="app-chart__value" data-series="{item.key}" '
                f'x="{_num(X0 + length + 5)}" y="{_num(y + BAR - 3)}" font-size="{SMALL}">'
                f"{label}</text>"
            )
            y += BAR + BAR_GAP
        blocks.append((block_top, y - BAR_GAP + 2))
        y += GROUP_GAP
    bottom = y - GROUP_GAP + 2
    blocks[-1] = (blocks[-1][0], bottom)

    axis = [f'<g class="app-chart__axis" font-size="{SMALL}">']
    tick = Decimal(0)
    while tick <= end:
        x = X0 + tick * scale
        if tick:
            axis.extend(
                f'<line x1="{_num(x)}" y1="{_num(start)}" x2="{_num(x)}" y2="{_num(stop)}" '
                f'stroke="{GRID}" stroke-width="1" stroke-dasharray="3 3"/>'
                for start, stop in blocks
            )
        axis.append(
            f'<line x1="{_num(x)}" y1="{_num(bottom)}" x2="{_num(x)}" y2="{_num(bottom + 4)}" '
            f'stroke="{INK}" stroke-width="1"/>'
        )
        anchor = "middle"
        axis.append(
            f'<text x="{_num(x)}" y="{_num(bottom + 17)}" text-anchor="{anchor}">'
            f"{escape(gbp_short(tick))}</text>"
        )
        tick += step
    axis.extend(
        f'<line class="app-chart__baseline" x1="{X0}" y1="{_num(start)}" x2="{X0}" '
        f'y2="{_num(stop)}" stroke="{INK}" stroke-width="2"/>'
        for start, stop in blocks
    )
    axis.append(
        f'<line x1="{X0}" y1="{_num(bottom)}" x2="{X0 + PLOT}" y2="{_num(bottom)}" '
        f'stroke="{INK}" stroke-width="1"/>'
    )
    axis.append("</g>")

    height = bottom + AXIS
    svg = [
        f'<svg class="app-chart" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {WIDTH} {_num(height)}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" focusable="false" '
        f'font-size="{FONT}" fill="{INK}" data-scale-end="{end:f}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
        _patterns(chart_id, series),
        *_legend(chart_id, series),
        *axis,
        *body,
        "</svg>",
    ]
    # Every text above went through escape().
    chart = Chart("".join(svg))
    chart.height = height
    return chart
