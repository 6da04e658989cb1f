"""The SVG bar charts: from zero, every bar labelled, lengths in proportion, accessible names."""

import re
from decimal import Decimal
from xml.etree import ElementTree

import pytest

from bids import charts

SVG = "{http://www.w3.org/2000/svg}"


def draw(rows, series=(charts.SET_ASIDE, charts.ALLOCATED, charts.SPENT), **kwargs):
    return charts.bar_chart(
        chart_id="chart-test",
        title="Set aside, allocated and spent by spend category",
        description="Bars from zero for each spend category.",
        rows=rows,
        series=series,
        **kwargs,
    )


def parse(markup) -> ElementTree.Element:
    return ElementTree.fromstring(str(markup))


def bars(svg) -> dict[str, list[float]]:
    found = {}
    for rect in svg.iter(f"{SVG}rect"):
        if rect.get("class") == "app-chart__bar":
            found.setdefault(rect.get("data-series"), []).append(float(rect.get("width")))
    return found


CATEGORIES = [
    {
        "label": "Armed policing",
        "envelope": Decimal("34000000.00"),
        "allocated": Decimal("17000000.00"),
        "spent": Decimal("8500000.00"),
    },
    {
        "label": "Digital",
        "envelope": Decimal("4600000.00"),
        "allocated": Decimal("4600000.00"),
        "spent": Decimal("0.00"),
    },
]


def test_the_chart_is_an_image_named_by_its_title_and_description():
    svg = parse(draw(CATEGORIES))

    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "chart-test-title chart-test-desc"
    assert svg.find(f"{SVG}title").get("id") == "chart-test-title"
    assert svg.find(f"{SVG}title").text == "Set aside, allocated and spent by spend category"
    assert svg.find(f"{SVG}desc").get("id") == "chart-test-desc"
    # It scales with its container: a viewBox and no fixed size.
    assert svg.get("viewBox").startswith("0 0 340 ")
    assert svg.get("width") is None


def test_bar_lengths_are_in_proportion_to_the_amounts():
    found = bars(parse(draw(CATEGORIES)))

    armed_set_aside, digital_set_aside = found["envelope"]
    armed_allocated, digital_allocated = found["allocated"]
    assert armed_allocated / armed_set_aside == pytest.approx(0.5, abs=0.001)
    assert digital_set_aside / armed_set_aside == pytest.approx(4.6 / 34, abs=0.001)
    assert digital_allocated == digital_set_aside
    # £0 spent draws no bar at all, but still says £0.
    assert len(found["spent"]) == 1


def test_bars_start_at_zero_on_a_scale_from_zero():
    markup = draw(CATEGORIES)
    svg = parse(markup)

    xs = {rect.get("x") for rect in svg.iter(f"{SVG}rect") if rect.get("class")}
    assert xs == {str(charts.X0)}
    baseline = [
        line for line in svg.iter(f"{SVG}line") if line.get("class") == "app-chart__baseline"
    ]
    assert baseline
    assert {line.get("x1") for line in baseline} == {str(charts.X0)}
    axis = [text.text for text in svg.find(f"{SVG}g[@class='app-chart__axis']").iter(f"{SVG}text")]
    assert axis[0] == "£0"
    assert axis[-1] == "£40m"  # the largest amount, £34m, rounded up to a whole step


def test_every_bar_is_labelled_with_its_value_and_its_series():
    svg = parse(draw(CATEGORIES))

    values = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "app-chart__value"]
    assert values == ["£34m", "£17m", "£8.5m", "£4.6m", "£4.6m", "£0"]
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert texts.count("Set aside") == 3  # the legend and each group
    assert "Armed policing" in texts
    assert "Digital" in texts


def test_series_differ_by_pattern_not_only_by_colour():
    markup = str(draw(CATEGORIES))
    svg = parse(markup)

    fills = {}
    for rect in svg.iter(f"{SVG}rect"):
        if rect.get("class") == "app-chart__bar":
            fills[rect.get("data-series")] = (rect.get("fill"), rect.get("stroke-width"))
    assert fills["envelope"] == ("#ffffff", "2")  # an outline
    assert fills["spent"][0] == "url(#chart-test-hatched)"
    assert 'id="chart-test-hatched"' in markup
    assert len(set(fills.values())) == 3


def test_long_labels_wrap_and_text_is_escaped():
    rows = [
        {
            "label": "Child sexual abuse & exploitation <and> a very long name indeed",
            "allocated": Decimal(1),
        }
    ]

    markup = str(draw(rows, series=[charts.ALLOCATED]))

    assert "&amp; exploitation" in markup
    assert "&lt;and&gt;" in markup
    assert "<and>" not in markup
    label_lines = [
        t.text for t in parse(markup).iter(f"{SVG}text") if t.get("font-weight") == "bold"
    ]
    assert len(label_lines) == 2


def test_all_zero_amounts_still_draw_a_scale_and_labels():
    rows = [{"label": "Forensics", "allocated": Decimal(0), "spent": Decimal(0)}]

    svg = parse(draw(rows, series=[charts.ALLOCATED, charts.SPENT]))

    assert bars(svg) == {}
    values = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "app-chart__value"]
    assert values == ["£0", "£0"]


def test_no_rows_draw_nothing():
    assert str(draw([])) == ""


def test_a_taller_chart_prints_narrower():
    short = draw(CATEGORIES)
    tall = draw(CATEGORIES * 10)

    assert short.print_width == str(charts.PRINT_WIDTH)
    assert Decimal(tall.print_width) < charts.PRINT_WIDTH
    height = Decimal(re.search(r'viewBox="0 0 340 ([\d.]+)"', str(tall)).group(1))
    assert Decimal(tall.print_width) * height / 340 == pytest.approx(charts.PRINT_HEIGHT, abs=0.1)


@pytest.mark.parametrize(
    ("largest", "end", "step"),
    [
        (Decimal("34000000"), Decimal("40000000"), Decimal("10000000")),
        (Decimal("4600000"), Decimal("6000000"), Decimal("2000000")),
        (Decimal("999"), Decimal("1000"), Decimal("250")),
        (Decimal("0"), Decimal("1"), Decimal("1")),
    ],
)
def test_the_scale_ends_on_a_round_amount_at_or_above_the_largest(largest, end, step):
    assert charts.axis_max(largest) == (end, step)
