"""The allocations CSV writes its own lines for speed: each field must come out exactly as
``csv.writer`` (RFC 4180, minimal quoting) would write it, so any CSV reader reads it back."""

import csv
import io
from decimal import Decimal

import pytest

from bids.allocations import csv_field

AWKWARD = [
    "",
    "plain",
    "Commas, in a title",
    'A "quoted" word',
    "Two\nlines",
    "Carriage\rreturn",
    "Windows\r\nline",
    " leading and trailing spaces ",
    "Apostrophe’s and £ signs",
    '"',
    ",",
    Decimal("1234.50"),
    2016,
]


@pytest.mark.parametrize("value", AWKWARD, ids=repr)
def test_a_field_is_written_as_the_csv_module_writes_it(value):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(["x", value])
    assert "x," + csv_field(value) + "\r\n" == buffer.getvalue()


def test_a_line_of_awkward_fields_reads_back_as_written():
    line = ",".join(csv_field(value) for value in AWKWARD) + "\r\n"
    (row,) = csv.reader(io.StringIO(line, newline=""))
    assert row == [str(value) for value in AWKWARD]
