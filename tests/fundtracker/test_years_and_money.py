import datetime
from decimal import Decimal

import pytest

from fundtracker.money import format_gbp, to_money
from fundtracker.years import fy_bounds, fy_label, fy_of, fy_parse


@pytest.mark.parametrize(
    ("year", "label"), [(2016, "2016/17"), (1999, "1999/00"), (2099, "2099/00")]
)
def test_fy_label(year, label):
    assert fy_label(year) == label


@pytest.mark.parametrize("text", ["2016/17", "2016-17", "2016/2017", "2016", " 2016 / 17 ", 2016])
def test_fy_parse_accepts_the_usual_spellings(text):
    assert fy_parse(text) == 2016


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2016/18", "second year must follow the first"),
        ("16/17", "not a financial year"),
        ("next year", "not a financial year"),
        ("1066", "outside the years"),
    ],
)
def test_fy_parse_explains_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message):
        fy_parse(text)


def test_fy_of_turns_on_the_first_of_april():
    assert fy_of(datetime.date(2017, 3, 31)) == 2016
    assert fy_of(datetime.date(2017, 4, 1)) == 2017
    assert fy_bounds(2016) == (datetime.date(2016, 4, 1), datetime.date(2017, 3, 31))


def test_money_is_rounded_to_pence_and_never_float():
    assert to_money("2240000") == Decimal("2240000.00")
    assert to_money(Decimal("0.005")) == Decimal("0.01")
    assert to_money(None) == Decimal("0.00")
    with pytest.raises(TypeError):
        to_money(0.1)
    assert to_money("2,240,000") == Decimal("2240000.00")
    for bad in ["£5", "NaN", "Infinity", "", "1.2.3"]:
        with pytest.raises(ValueError, match="not an amount"):
            to_money(bad)


def test_format_gbp():
    assert format_gbp(Decimal("2240000")) == "£2,240,000.00"
    assert format_gbp(Decimal("-5")) == "-£5.00"
    assert format_gbp(Decimal("76400000"), pence=False) == "£76,400,000"
