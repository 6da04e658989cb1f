"""Any award import file: a clear error naming each bad line, and nothing written; or a clean
import that a second run leaves alone. Never a traceback.

Files are built from a good row of the design's example, with cells swapped for what a
spreadsheet or a careless hand produces (text, float-like and negative money, numbers past the
money fields, bad financial years, unknown forces), header columns dropped, doubled or
reordered, rows repeated, and the whole saved in another encoding or replaced by random bytes.
"""

import csv
import io
import re

import pytest
from django.core.management import CommandError, call_command
from hypothesis import event, given
from hypothesis import strategies as st

from bids.importer import COLUMNS
from tests.properties.support import any_text, fingerprint, numberish, rolled_back

pytestmark = pytest.mark.django_db

GOOD = {
    "award_reference": st.sampled_from(["PTF-2016-0001", "PTF-2016-0002", "PTF-2017-0001"]),
    "fund": st.sampled_from(["Police Transformation Fund"]),
    "round": st.sampled_from(["2016/17 round 1", "2017/18 round 1"]),
    "lead_force": st.sampled_from(["Nottinghamshire Police", "kent", "West Yorkshire"]),
    "partner_forces": st.sampled_from(
        ["", "Leicestershire Police;Northamptonshire Police", "Surrey; Sussex"]
    ),
    "title": st.sampled_from(["East Midlands integrated technology", "Athena"]),
    "category": st.sampled_from(["Digital", "Forensics", "Drones"]),
    "financial_year": st.sampled_from(["2016/17", "2017/18"]),
    "amount": st.sampled_from(["2240000", "£1,500,000.50", "0", "280000.5"]),
}
BAD = {
    "award_reference": st.sampled_from(["ptf-2016-1", "PTF 2016 0001", "-", "P" * 60]),
    "lead_force": st.sampled_from(["Atlantis Police", "Nottinghamshire Police;Kent", "Police"]),
    "partner_forces": st.sampled_from(["Nottinghamshire Police", "Kent;Kent", ";;", "Nowhere"]),
    "financial_year": st.sampled_from(
        [
            "2016/18",
            "2016",
            "16/17",
            "2016-17",
            "9999/00",
            "0/1",
            "２０１６/17",
            "2016/17/18",
            "FY16",
        ]
    ),
    "amount": st.sampled_from(
        ["-5", "−2240000", "1e6", "NaN", "12.345", "1,00", "99999999999999999", "£", "2,24,0000"]
    ),
}


def bad_value(name: str):
    # A good value with a NUL inside, as a damaged export leaves: PostgreSQL refuses to store
    # or compare such text, so it must be caught before the database sees it.
    with_nul = GOOD[name].map(lambda value: f"{value[:2]}\x00{value[2:]}")
    return st.one_of(*([BAD[name]] if name in BAD else []), with_nul, any_text, numberish)


def header():
    """The columns in any order, sometimes one left out, doubled, or an extra one added."""
    columns = st.permutations(COLUMNS)
    return st.one_of(
        st.just(COLUMNS),
        columns,
        columns,
        columns,
        columns.flatmap(lambda c: st.integers(0, len(c) - 1).map(lambda i: c[:i] + c[i + 1 :])),
        columns.flatmap(lambda c: st.sampled_from(c).map(lambda extra: [*c, extra])),
        columns.map(lambda c: [*c, "notes"]),
    )


@st.composite
def award_files(draw) -> bytes:
    """A good file of one or two awards, then up to three cells made bad, sometimes a repeated
    or short row, a bad header, another encoding, or random bytes instead."""
    if draw(st.integers(0, 19)) == 0:
        return draw(st.binary(max_size=400))
    rows = []
    for reference in draw(st.lists(GOOD["award_reference"], min_size=1, max_size=2, unique=True)):
        award = draw(st.fixed_dictionaries(GOOD))
        years = draw(st.lists(GOOD["financial_year"], min_size=1, max_size=2, unique=True))
        rows += [{**award, "award_reference": reference, "financial_year": y} for y in years]
    for _ in range(draw(st.one_of(st.just(0), st.just(0), st.integers(1, 3)))):
        row, name = draw(st.sampled_from(rows)), draw(st.sampled_from(COLUMNS))
        row[name] = draw(bad_value(name))
    if draw(st.integers(0, 4)) == 0:
        rows.append(dict(draw(st.sampled_from(rows))))  # the same reference and year twice
    columns = draw(header())
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    writer.writerow(columns)
    for row in rows:
        values = [row.get(name, "") for name in columns]
        if draw(st.integers(0, 9)) == 0:
            values = values[: draw(st.integers(0, len(values) - 1))]  # a short row
        writer.writerow(values)
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-8-sig", "cp1252", "utf-16"]))
    return out.getvalue().encode(encoding, errors="replace")


def import_file(path) -> tuple[str | None, str, list[str]]:
    """The command's refusal (``None`` when it imported), its output and its problem lines."""
    stdout, stderr = io.StringIO(), io.StringIO()
    try:
        call_command("import_awards", str(path), stdout=stdout, stderr=stderr)
    except CommandError as error:
        return str(error), stdout.getvalue(), stderr.getvalue().splitlines()
    return None, stdout.getvalue(), []


@given(data=award_files())
def test_an_import_file_is_refused_whole_with_its_bad_lines_or_imported_once(tmp_path, data):
    path = tmp_path / "awards.csv"
    path.write_bytes(data)
    lines_in_file = data.count(b"\n") + 1
    with rolled_back():
        before = fingerprint()
        refusal, output, problems = import_file(path)
        if refusal is not None:
            event("refused")
            assert refusal.endswith("so nothing was imported.")
            assert fingerprint() == before
            assert problems
            for problem in problems:
                match = re.fullmatch(r"line (\d+): (.+)", problem)
                assert match, problem
                assert 1 <= int(match[1]) <= lines_in_file
        else:
            event("imported")
            assert re.search(r"^\d+ awards? created, 0 unchanged\.$", output, re.MULTILINE)
            after = fingerprint()
            refusal, again, _ = import_file(path)
            assert refusal is None
            assert re.search(r"^0 awards created, \d+ unchanged\.$", again, re.MULTILINE)
            assert fingerprint() == after


@pytest.mark.parametrize("column", COLUMNS)
def test_a_null_character_in_any_cell_is_a_bad_line(tmp_path, column):
    """Found by the property above on PostgreSQL: a NUL in the fund, round, title, category or
    a force's name reached a query and failed there with a ValueError, not a message."""
    row = dict(zip(COLUMNS, next(csv.reader(io.StringIO(DESIGN_ROW))), strict=True))
    row[column] = f"{row[column][:3]}\x00{row[column][3:]}"
    path = tmp_path / "awards.csv"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([COLUMNS, [row[c] for c in COLUMNS]])
    path.write_text(out.getvalue(), encoding="utf-8")
    before = fingerprint()
    refusal, _, problems = import_file(path)
    assert refusal is not None
    assert problems == [
        f"line 2: “{column}” contains a null character, which a damaged export leaves behind: "
        "remove it."
    ]
    assert fingerprint() == before


DESIGN_ROW = (
    "PTF-2016-0001,Police Transformation Fund,2016/17 round 1,Nottinghamshire Police,"
    "Leicestershire Police;Northamptonshire Police,East Midlands integrated technology,Digital,"
    "2016/17,2240000"
)
