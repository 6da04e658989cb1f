import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.utils import timezone

from bids.importer import COLUMNS, IMPORT_USERNAME
from bids.models import (
    Award,
    Bid,
    BidEvent,
    Fund,
    FundingLine,
    FundingRound,
    SpendCategory,
    Tranche,
)
from fundtracker.years import fy_parse
from tests.factories import (
    AwardFactory,
    BidFactory,
    FundFactory,
    FundingRoundFactory,
    TrancheFactory,
    force,
)

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
EXAMPLE = DATA / "design-example.csv"

ROW_2016 = {
    "award_reference": "PTF-2016-0001",
    "fund": "Police Transformation Fund",
    "round": "2016/17 round 1",
    "lead_force": "Nottinghamshire Police",
    "partner_forces": "Leicestershire Police;Northamptonshire Police",
    "title": "East Midlands integrated technology",
    "category": "Digital",
    "financial_year": "2016/17",
    "amount": "2240000",
}
ROW_2017 = {**ROW_2016, "financial_year": "2017/18", "amount": "3500000"}


def write_csv(tmp_path: Path, *rows: dict, name: str = "awards.csv") -> Path:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / name
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def run(path: Path, *args: str) -> str:
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("import_awards", str(path), *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue()


def refused(path: Path, *args: str) -> list[str]:
    """Import a bad file: the command fails and its stderr lists the bad lines."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_awards", str(path), *args, stdout=stdout, stderr=stderr)
    return stderr.getvalue().splitlines()


def counts() -> dict[str, int]:
    return {
        "funds": Fund.objects.count(),
        "rounds": FundingRound.objects.count(),
        "categories": SpendCategory.objects.count(),
        "bids": Bid.objects.count(),
        "funding lines": FundingLine.objects.count(),
        "awards": Award.objects.count(),
        "tranches": Tranche.objects.count(),
        "events": BidEvent.objects.count(),
        "bid history": Bid.history.count(),
        "award history": Award.history.count(),
        "tranche history": Tranche.history.count(),
        "users": User.objects.count(),
    }


EMPTY = {
    "funds": 0,
    "rounds": 0,
    "categories": 8,
    "bids": 0,
    "funding lines": 0,
    "awards": 0,
    "tranches": 0,
    "events": 0,
    "bid history": 0,
    "award history": 0,
    "tranche history": 0,
    "users": 0,
}


def test_import_design_example_creates_the_award_and_its_bid():
    output = run(EXAMPLE)

    assert "1 award created, 0 unchanged." in output
    bid = Bid.objects.get(reference="PTF-2016-0001")
    assert bid.status == Bid.Status.APPROVED
    assert bid.title == "East Midlands integrated technology"
    assert bid.lead_force == force("nottinghamshire")
    assert set(bid.partner_forces.all()) == {force("leicestershire"), force("northamptonshire")}
    assert bid.spend_category.slug == "digital"
    assert dict(bid.funding_lines.values_list("financial_year", "amount")) == {
        2016: Decimal("2240000.00"),
        2017: Decimal("3500000.00"),
    }
    assert bid.requested_total == Decimal("5740000.00")
    assert bid.award.total == Decimal("5740000.00")
    assert dict(bid.award.tranches.values_list("financial_year", "amount")) == {
        2016: Decimal("2240000.00"),
        2017: Decimal("3500000.00"),
    }
    event = bid.events.get()
    assert event.action == BidEvent.Action.IMPORTED
    assert event.to_status == Bid.Status.APPROVED
    assert "design-example.csv (lines 2, 3)" in event.note


def test_import_creates_a_published_round_of_a_new_fund():
    run(EXAMPLE)

    fund = Fund.objects.get()
    assert (fund.name, fund.code) == ("Police Transformation Fund", "PTF")
    funding_round = FundingRound.objects.get()
    assert funding_round.fund == fund
    assert funding_round.name == "2016/17 round 1"
    assert funding_round.slug == "ptf-201617-round-1"
    assert funding_round.financial_years == range(2016, 2018)
    assert funding_round.status == FundingRound.Status.DECIDED
    assert funding_round.is_published
    assert not funding_round.is_open()
    assert funding_round.opens_at < funding_round.closes_at <= timezone.now()
    assert Bid.objects.published().get().reference == "PTF-2016-0001"
    assert Award.objects.published().count() == 1


def test_import_matches_an_existing_category_and_creates_an_unknown_one(tmp_path):
    path = write_csv(
        tmp_path,
        {**ROW_2016, "category": "DIGITAL"},
        {**ROW_2016, "award_reference": "PTF-2016-0002", "category": "Cyber crime"},
        {**ROW_2016, "award_reference": "PTF-2016-0003", "category": "cyber-crime"},
    )

    output = run(path)

    assert "New spend category created: Cyber crime" in output
    assert SpendCategory.objects.count() == 9
    assert Bid.objects.get(reference="PTF-2016-0001").spend_category.slug == "digital"
    cyber = SpendCategory.objects.get(slug="cyber-crime")
    assert set(cyber.bids.values_list("reference", flat=True)) == {
        "PTF-2016-0002",
        "PTF-2016-0003",
    }
    assert list(SpendCategory.objects.all())[-1] == cyber


def test_import_acts_as_an_inactive_system_user():
    run(EXAMPLE)

    user = User.objects.get(username=IMPORT_USERNAME)
    assert not user.is_active
    assert not user.has_usable_password()
    bid = Bid.objects.get()
    assert bid.events.get().actor == user
    assert bid.award.decided_by == user


def test_import_by_a_named_user(approver):
    run(EXAMPLE, "--by", "approver")

    assert Bid.objects.get().events.get().actor == approver
    assert not User.objects.filter(username=IMPORT_USERNAME).exists()


def test_import_by_an_unknown_user_is_refused():
    with pytest.raises(CommandError, match="no user “nobody”"):
        run(EXAMPLE, "--by", "nobody")
    assert counts() == EMPTY


def test_reimporting_the_same_file_changes_nothing():
    run(EXAMPLE)
    before = counts()

    output = run(EXAMPLE)

    assert "0 awards created, 1 unchanged." in output
    assert counts() == before


def test_importing_a_file_with_a_known_and_a_new_award(tmp_path):
    run(EXAMPLE)
    new = {**ROW_2016, "award_reference": "PTF-2016-0002", "lead_force": "Hampshire"}
    path = write_csv(tmp_path, ROW_2016, ROW_2017, {**new, "partner_forces": ""})

    output = run(path)

    assert "1 award created, 1 unchanged." in output
    assert Bid.objects.get(reference="PTF-2016-0002").lead_force == force("hampshire")
    assert FundingRound.objects.count() == 1


def test_dry_run_writes_nothing():
    output = run(EXAMPLE, "--dry-run")

    assert "Dry run: nothing was written." in output
    assert "New fund would be created: Police Transformation Fund (PTF)" in output
    assert "New round would be created: PTF 2016/17 round 1 (2016/17 to 2017/18)" in output
    assert "1 award would be created, 0 unchanged." in output
    assert counts() == EMPTY


def test_dry_run_of_a_bad_file_lists_the_bad_rows(tmp_path):
    path = write_csv(tmp_path, ROW_2016, {**ROW_2017, "amount": "lots"})

    errors = refused(path, "--dry-run")

    assert errors == [
        "line 3: “lots” is not an amount in pounds: write it like 2240000 or 2240000.50."
    ]


def test_file_with_a_byte_order_mark_and_crlf_line_ends():
    assert (DATA / "design-example-bom.csv").read_bytes().startswith(b"\xef\xbb\xbf")

    output = run(DATA / "design-example-bom.csv")

    assert "1 award created, 0 unchanged." in output
    assert Bid.objects.get().award.tranches.count() == 2


def test_forces_match_by_slug_short_name_or_full_name():
    """force-names.csv names the lead "Nottinghamshire", "nottinghamshire" and in full."""
    run(DATA / "force-names.csv")

    bid = Bid.objects.get()
    assert bid.lead_force == force("nottinghamshire")
    assert set(bid.partner_forces.all()) == {force("leicestershire"), force("northamptonshire")}
    assert bid.award.tranches.count() == 3
    assert bid.round.financial_years == range(2016, 2019)


@pytest.mark.parametrize(
    ("first", "second"),
    [("£2,240,000", "3500000.00"), ("2240000.0", "£3,500,000.00"), (" 2240000 ", "3,500,000")],
)
def test_amounts_with_pence_separators_or_a_pound_sign(tmp_path, first, second):
    path = write_csv(tmp_path, {**ROW_2016, "amount": first}, {**ROW_2017, "amount": second})

    run(path)

    assert Award.objects.get().total == Decimal("5740000.00")


def _fy_message(text: str) -> str:
    try:
        fy_parse(text)
    except ValueError as error:
        return str(error)
    raise AssertionError(f"{text} is a financial year")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"lead_force": "Notts"},
            "unknown lead force “Notts”: give the force's name, its name without “Police” or "
            "“Constabulary”, or its data.police.uk id.",
        ),
        (
            {"partner_forces": "Leicestershire Police;Narnia"},
            "unknown partner force “Narnia”",
        ),
        (
            {"partner_forces": "Nottinghamshire;Leicestershire"},
            "Nottinghamshire Police is the lead force, so it cannot also be a partner.",
        ),
        ({"financial_year": "2017/19"}, _fy_message("2017/19")),
        ({"financial_year": "next year"}, _fy_message("next year")),
        ({"financial_year": ""}, "enter the financial year."),
        ({"amount": "three million"}, "“three million” is not an amount in pounds"),
        ({"amount": "3.5e6"}, "“3.5e6” is not an amount in pounds"),
        ({"amount": "NaN"}, "“NaN” is not an amount in pounds"),
        ({"amount": "0x10"}, "“0x10” is not an amount in pounds"),
        ({"amount": "-3500000"}, "the amount “-3500000” is negative"),
        ({"amount": "3500000.001"}, "has more than two decimal places"),
        ({"amount": "1000000000000"}, "is more than £999,999,999,999.99"),
        ({"amount": ""}, "enter the amount."),
        ({"title": ""}, "enter the title."),
        ({"title": "   "}, "enter the title."),
        ({"award_reference": ""}, "enter the award reference."),
        ({"award_reference": "ptf 1"}, "“ptf 1” is not an award reference"),
        ({"lead_force": ""}, "enter the lead force."),
        ({"category": ""}, "enter the spend category."),
        ({"round": ""}, "enter the round."),
        ({"fund": ""}, "enter the fund."),
        (
            {"title": "East Midlands technology"},
            "the rows of PTF-2016-0001 must agree on the title: “East Midlands technology” "
            "here, “East Midlands integrated technology” on line 2.",
        ),
        (
            {"lead_force": "Kent"},
            "the rows of PTF-2016-0001 must agree on the lead force: “Kent” here, "
            "“Nottinghamshire Police” on line 2.",
        ),
        ({"partner_forces": "Leicestershire"}, "must agree on the partner forces"),
        ({"round": "2016/17 round 2"}, "must agree on the round"),
        ({"category": "Forensics"}, "must agree on the spend category"),
        (
            {"fund": "Police Innovation Fund"},
            "the fund is “Police Innovation Fund” here but “Police Transformation Fund” on "
            "line 2, which has the same reference prefix PTF.",
        ),
        (
            {"financial_year": "2016/17"},
            "PTF-2016-0001 has a second 2016/17 row: the first is on line 2.",
        ),
    ],
)
def test_a_bad_row_is_reported_with_its_line_and_nothing_is_written(tmp_path, change, message):
    path = write_csv(tmp_path, ROW_2016, {**ROW_2017, **change})

    errors = refused(path)

    assert errors
    assert all(error.startswith("line 3: ") for error in errors), errors
    assert any(message in error for error in errors), errors
    assert counts() == EMPTY


def test_a_row_with_the_wrong_number_of_values(tmp_path):
    path = tmp_path / "awards.csv"
    path.write_text(EXAMPLE.read_text() + "PTF-2016-0002,Police Transformation Fund\n")

    assert refused(path) == ["line 4: expected 9 values, as in the header, found 2."]
    assert counts() == EMPTY


def test_a_missing_column(tmp_path):
    text = EXAMPLE.read_text().replace(",amount\n", "\n", 1)
    path = tmp_path / "awards.csv"
    path.write_text(text)

    assert refused(path) == ["line 1: the header is missing the column(s) “amount”."]


@pytest.mark.parametrize("text", ["", "\n", "\ufeff"])
def test_an_empty_file(tmp_path, text):
    path = tmp_path / "awards.csv"
    path.write_text(text, encoding="utf-8")

    assert refused(path) == [f"line 1: the first line must be the header: {','.join(COLUMNS)}."]


def test_a_file_with_only_the_header(tmp_path):
    assert refused(write_csv(tmp_path)) == [
        "line 1: the file has no rows after the header, so there is nothing to import."
    ]


def test_a_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "awards.csv"
    path.write_bytes(EXAMPLE.read_text().replace("Digital", "Num\xe9rique").encode("latin-1"))

    assert refused(path) == ["line 2: the file is not UTF-8 text: save it as “CSV UTF-8”."]


def test_columns_in_another_order_and_extra_columns(tmp_path):
    path = tmp_path / "awards.csv"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["notes", *reversed(COLUMNS)], lineterminator="\n")
    writer.writeheader()
    writer.writerows([{**ROW_2016, "notes": "first"}, {**ROW_2017, "notes": "second"}])
    path.write_text(out.getvalue())

    assert "1 award created" in run(path)


def test_several_bad_rows_are_all_listed():
    errors = refused(DATA / "several-bad-rows.csv")

    assert errors == [
        "line 3: unknown lead force “Notts”: give the force's name, its name without “Police” "
        "or “Constabulary”, or its data.police.uk id.",
        f"line 4: {_fy_message('2016/18')}",
        "line 5: “4.2e5” is not an amount in pounds: write it like 2240000 or 2240000.50.",
        "line 6: enter the title.",
    ]
    assert counts() == EMPTY


def test_line_numbers_count_the_lines_of_a_value_that_spans_lines(tmp_path):
    first = {**ROW_2016, "title": "East Midlands\nintegrated technology"}
    second = {**ROW_2017, "title": "East Midlands\nintegrated technology", "amount": "lots"}
    path = write_csv(tmp_path, first, second)

    assert refused(path) == [
        "line 4: “lots” is not an amount in pounds: write it like 2240000 or 2240000.50."
    ]


def test_every_problem_of_one_row_is_listed(tmp_path):
    path = write_csv(tmp_path, ROW_2016, {**ROW_2017, "lead_force": "Notts", "amount": "-1"})

    errors = refused(path)

    assert len(errors) == 2
    assert errors[0].startswith("line 3: unknown lead force “Notts”")
    assert errors[1].startswith("line 3: the amount “-1” is negative")


# --------------------------------------------------------------------------- existing records


def test_a_year_outside_an_existing_rounds_years(tmp_path):
    FundingRoundFactory(
        published=True, name="2016/17 round 1", first_financial_year=2016, last_financial_year=2016
    )

    errors = refused(EXAMPLE)

    assert errors == [
        "line 3: 2017/18 is outside the years of the round “PTF 2016/17 round 1” (2016/17)."
    ]
    assert Bid.objects.count() == 0


def test_an_existing_round_with_unpublished_results(tmp_path):
    FundingRoundFactory(closed=True, name="2016/17 round 1")

    errors = refused(EXAMPLE)

    assert [e.split(": ", 1)[0] for e in errors] == ["line 2", "line 3"]
    assert "exists but its results are not published" in errors[0]


def test_an_existing_round_is_matched_by_name_or_slug(tmp_path):
    funding_round = FundingRoundFactory(
        published=True, name="2016/17 round 1", slug="ptf-2016-round-1"
    )
    path = write_csv(tmp_path, ROW_2016, {**ROW_2017, "round": "PTF-2016-ROUND-1"})

    assert "1 award created" in run(path)
    assert Bid.objects.get().round == funding_round
    assert FundingRound.objects.count() == 1


def test_a_fund_prefix_that_belongs_to_another_fund(tmp_path):
    FundFactory()
    path = write_csv(tmp_path, {**ROW_2016, "fund": "Police Innovation Fund"})

    assert refused(path) == [
        "line 2: the reference prefix PTF belongs to the fund “Police Transformation Fund”, "
        "not “Police Innovation Fund”."
    ]


def test_a_fund_that_exists_with_another_prefix(tmp_path):
    FundFactory()
    path = write_csv(tmp_path, {**ROW_2016, "award_reference": "PIF-2016-0001"})

    assert refused(path) == [
        "line 2: the fund “Police Transformation Fund” has the reference prefix PTF, not PIF."
    ]


def test_an_amount_that_differs_from_the_existing_award(tmp_path):
    run(EXAMPLE)
    before = counts()
    path = write_csv(
        tmp_path,
        ROW_2016,
        {**ROW_2017, "amount": "3600000"},
        {
            **ROW_2016,
            "award_reference": "PTF-2016-0002",
            "lead_force": "Kent",
            "partner_forces": "",
        },
    )

    assert refused(path) == [
        "line 3: the existing award PTF-2016-0001 has £3,500,000.00 for 2017/18, not £3,600,000.00."
    ]
    assert counts() == before


def test_a_file_that_leaves_out_a_year_of_the_existing_award(tmp_path):
    run(EXAMPLE)

    assert refused(write_csv(tmp_path, ROW_2016)) == [
        "line 2: the existing award PTF-2016-0001 also has a tranche for 2017/18, which the file "
        "leaves out."
    ]


def test_a_file_that_adds_a_year_to_the_existing_award(tmp_path):
    funding_round = FundingRoundFactory(
        published=True, name="2016/17 round 1", last_financial_year=2018
    )
    award = AwardFactory(
        bid=BidFactory(
            reference="PTF-2016-0001",
            round=funding_round,
            title=ROW_2016["title"],
            approved=True,
            partners=["leicestershire", "northamptonshire"],
        ),
        total=Decimal("2240000.00"),
    )
    TrancheFactory(award=award, financial_year=2016, amount=Decimal("2240000.00"))

    errors = refused(write_csv(tmp_path, ROW_2016, ROW_2017))

    assert errors == ["line 3: the existing award PTF-2016-0001 has no 2017/18 tranche."]


def test_a_reference_that_belongs_to_a_different_existing_bid(tmp_path):
    funding_round = FundingRoundFactory(published=True, name="2016/17 round 1")
    award = AwardFactory(
        bid=BidFactory(
            reference="PTF-2016-0001",
            round=funding_round,
            lead_force=force("kent"),
            title="Kent digital evidence",
            approved=True,
            partners=["leicestershire", "northamptonshire"],
        )
    )
    TrancheFactory(award=award, financial_year=2016, amount=Decimal("2240000.00"))
    TrancheFactory(award=award, financial_year=2017, amount=Decimal("3500000.00"))

    errors = refused(EXAMPLE)

    assert errors == [
        "line 2: PTF-2016-0001 already exists with the title “Kent digital evidence”, "
        "not “East Midlands integrated technology”.",
        "line 2: PTF-2016-0001 already exists with the lead force “Kent Police”, "
        "not “Nottinghamshire Police”.",
    ]


def test_a_reference_that_belongs_to_a_bid_in_another_round(tmp_path):
    FundingRoundFactory(published=True, name="2016/17 round 1")
    other = FundingRoundFactory(published=True, name="2017/18 round 1", slug="ptf-2017-round-1")
    award = AwardFactory(
        bid=BidFactory(
            reference="PTF-2016-0001",
            round=other,
            title=ROW_2016["title"],
            approved=True,
            partners=["leicestershire", "northamptonshire"],
        )
    )
    TrancheFactory(award=award, financial_year=2016, amount=Decimal("2240000.00"))
    TrancheFactory(award=award, financial_year=2017, amount=Decimal("3500000.00"))

    assert refused(EXAMPLE) == [
        "line 2: PTF-2016-0001 already exists with the round “PTF 2017/18 round 1”, "
        "not “PTF 2016/17 round 1”."
    ]


def test_a_reference_that_belongs_to_a_bid_without_an_award():
    BidFactory(reference="PTF-2016-0001", submitted=True, round__name="Open round")

    assert refused(EXAMPLE) == [
        "line 2: PTF-2016-0001 is an existing bid, submitted and without an award, so the file "
        "cannot make it an award."
    ]
