"""The public allocations dashboard, its CSV and its PDF: the figures a visitor reads, every
filter, bad parameters, only published rounds, query counts and the cache."""

import csv
import datetime
import io
import re
import subprocess
from decimal import Decimal
from html import unescape
from html.parser import HTMLParser
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from bids import services
from bids.allocations import Dashboard, last_changed
from bids.models import FundingRound
from bids.views.public.dashboard import allocation_filter, option_parts, options_markup
from forces.models import Region
from fundtracker.cache import GENERATION_KEY, replace_generation
from tests.factories import (
    AwardFactory,
    AwardShareFactory,
    BidFactory,
    EnvelopeFactory,
    FundFactory,
    FundingRoundFactory,
    PaymentFactory,
    SpendReturnFactory,
    TrancheFactory,
    category,
    force,
)

pytestmark = pytest.mark.django_db

PAGE = "/allocations/"
CSV_URL = "/allocations.csv"
PDF_URL = "/allocations/report.pdf"
D = Decimal

# The money of the ``money`` fixture, written out so that every expected figure below is a sum
# done here, not by the code under test.
COLLAB_2016 = {"amount": D("1000000.00"), "paid": D("600000.00"), "spent": D("250000.00")}
COLLAB_2017 = {"amount": D("500000.00"), "paid": D("0.00"), "spent": D("0.00")}
KENT_2016 = {"amount": D("300000.00"), "paid": D("300000.00"), "spent": D("120000.00")}
HANTS_2017 = {"amount": D("200000.00"), "paid": D("0.00"), "spent": D("0.00")}
NOTTS_SHARE, LEICS_SHARE = D("0.60"), D("0.40")
ENVELOPES = {"digital": D("2000000.00"), "forensics": D("300000.00"), "armed": D("150000.00")}
HIDDEN_TITLE = "Secret unpublished project"


def gbp(amount: Decimal) -> str:
    return f"£{amount:,.0f}"


WHOLE = D(1)


def total(*tranches, key="amount", share=WHOLE) -> Decimal:
    return sum((t[key] * share for t in tranches), D(0))


@pytest.fixture
def money():
    """Two published rounds (one per fund), a collaboration split 60/40, two single-force
    awards, envelopes under-, fully and over-allocated, and a round not yet published."""
    first = FundingRoundFactory(published=True, name="2016/17 round 1", slug="ptf-2016-17-round-1")
    innovation = FundFactory(
        name="Police Innovation Fund", slug="police-innovation-fund", code="PIF"
    )
    second = FundingRoundFactory(
        published=True,
        fund=innovation,
        name="2017/18 round 1",
        slug="pif-2017-18-round-1",
        first_financial_year=2017,
    )
    collaboration = AwardFactory(
        bid=BidFactory(
            round=first,
            approved=True,
            title="East Midlands integrated technology",
            partners=["leicestershire"],
        ),
        total=D("1500000.00"),
    )
    TrancheFactory(award=collaboration, financial_year=2016, **COLLAB_2016)
    TrancheFactory(award=collaboration, financial_year=2017, **COLLAB_2017)
    AwardShareFactory(award=collaboration, force=force("nottinghamshire"), percent=D(60))
    AwardShareFactory(award=collaboration, force=force("leicestershire"), percent=D(40))
    kent = AwardFactory(
        bid=BidFactory(
            round=first,
            approved=True,
            title="Kent forensic imaging",
            lead_force=force("kent"),
            spend_category=category("forensics"),
        ),
        total=D("300000.00"),
    )
    TrancheFactory(award=kent, financial_year=2016, **KENT_2016)
    hampshire = AwardFactory(
        bid=BidFactory(
            round=second,
            approved=True,
            title="Hampshire armed response vehicles",
            lead_force=force("hampshire"),
            spend_category=category("armed-policing"),
        ),
        total=D("200000.00"),
    )
    TrancheFactory(award=hampshire, financial_year=2017, **HANTS_2017)
    EnvelopeFactory(
        round=first, category=category("digital"), financial_year=2016, amount=ENVELOPES["digital"]
    )
    EnvelopeFactory(
        round=first,
        category=category("forensics"),
        financial_year=2016,
        amount=ENVELOPES["forensics"],
    )
    EnvelopeFactory(
        round=second,
        category=category("armed-policing"),
        financial_year=2017,
        amount=ENVELOPES["armed"],
    )
    hidden_round = FundingRoundFactory(closed=True, name="2018/19 round 1", slug="ptf-2018-19")
    hidden = AwardFactory(
        bid=BidFactory(round=hidden_round, approved=True, title=HIDDEN_TITLE),
        total=D("9999999.00"),
    )
    TrancheFactory(award=hidden, financial_year=2018, amount=D("9999999.00"))
    EnvelopeFactory(round=hidden_round, financial_year=2018, amount=D("7777777.00"))
    return {"first": first, "second": second, "hidden": hidden, "collaboration": collaboration}


# --------------------------------------------------------------------------- reading the page


class Tables(HTMLParser):
    """Every table of a page: its caption and its rows of cell texts."""

    def __init__(self):
        super().__init__()
        self.tables, self._cell, self._row, self._caption = [], None, None, None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"caption": "", "rows": []})
        elif tag == "caption":
            self._caption = []
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "caption":
            self.tables[-1]["caption"] = " ".join("".join(self._caption).split())
            self._caption = None
        elif tag in ("td", "th"):
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr":
            self.tables[-1]["rows"].append(self._row)

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        elif self._caption is not None:
            self._caption.append(data)


def table(html: str, caption_start: str) -> dict[str, list[str]]:
    """The rows of the table whose caption starts with ``caption_start``, by first cell."""
    parser = Tables()
    parser.feed(html)
    for found in parser.tables:
        if found["caption"].startswith(caption_start):
            return {row[0]: row[1:] for row in found["rows"][1:]}
    raise AssertionError(f"No table captioned {caption_start!r}")


def headline(html: str) -> dict[str, str]:
    """The headline cards: name → the full amount under the short one."""
    cards = re.findall(
        r'<h3 class="govuk-heading-s govuk-!-margin-bottom-0">([^<]+)(?:<span[^>]*>[^<]*</span>)?'
        r'</h3>\s*<p[^>]*><span class="app-figure__value">([^<]+)</span>\s*'
        r'<span class="govuk-body-s">([^<]+)</span>',
        html,
    )
    return {name: (short, full) for name, short, full in cards}


def page(client, params=None) -> str:
    response = client.get(PAGE, params or {})
    assert response.status_code == 200
    return unescape(response.content.decode())


# --------------------------------------------------------------------------- the figures


def test_headline_figures_are_the_sums_of_the_published_money(client, money):
    tranches = (COLLAB_2016, COLLAB_2017, KENT_2016, HANTS_2017)
    allocated = total(*tranches)
    paid = total(*tranches, key="paid")
    spent = total(*tranches, key="spent")
    set_aside = sum(ENVELOPES.values(), D(0))

    html = page(client)

    cards = headline(html)
    assert cards["Set aside"] == ("£2.45m", gbp(set_aside))
    assert cards["Allocated"] == ("£2m", gbp(allocated))
    assert cards["Paid"] == ("£900k", gbp(paid))
    assert cards["Spent"] == ("£370k", gbp(spent))
    share = (spent / allocated * 100).quantize(D("0.1"))
    assert f'<span class="app-figure__value">{share}%</span>' in html
    assert HIDDEN_TITLE not in html
    assert "£9,999,999" not in html
    assert "7,777,777" not in html


def test_set_aside_against_allocated_by_category_with_the_gap_and_its_tag(client, money):
    html = page(client)

    rows = table(html, "Set aside, allocated and spent by spend category")
    digital_allocated = total(COLLAB_2016, COLLAB_2017)
    assert rows["Digital"] == [
        gbp(ENVELOPES["digital"]),
        gbp(digital_allocated),
        f"{gbp(ENVELOPES['digital'] - digital_allocated)} Under-allocated",
        gbp(total(COLLAB_2016, COLLAB_2017, key="spent")),
        "16.7%",
    ]
    assert rows["Forensics"][:3] == ["£300,000", "£300,000", "£0 Fully allocated"]
    assert rows["Armed policing"][:3] == ["£150,000", "£200,000", "-£50,000 Over-allocated"]
    assert rows["Total"][:3] == ["£2,450,000", "£2,000,000", "£450,000 Under-allocated"]
    # Categories with neither money set aside nor allocated are left out.
    assert "Workforce" not in rows
    assert f'href="{reverse("public:category_detail", args=["digital"])}"' in html


def test_the_category_chart_and_table_are_tabs_of_the_same_numbers(client, money):
    html = page(client)

    section = html.split('id="spend-categories"')[1].split('id="financial-years"')[0]
    assert 'class="govuk-tabs app-chart-tabs" data-module="govuk-tabs"' in section
    assert 'href="#categories-chart">Chart</a>' in section
    assert 'href="#categories-table">Table</a>' in section
    assert '<svg class="app-chart"' in section
    assert 'role="img" aria-labelledby="chart-categories-title chart-categories-desc"' in section
    for label in ("£2m", "£1.5m", "£300k", "£150k", "£200k"):
        assert f">{label}</text>" in section
    assert (
        '<div class="app-table-container" role="region" aria-label="Spend categories table" '
        'tabindex="0">' in section
    )


def test_money_by_year_region_and_the_largest_awards(client, money):
    html = page(client)

    years = table(html, "Allocated, paid and spent by financial year")
    assert years["2016/17"][:2] == [gbp(D("2300000")), gbp(total(COLLAB_2016, KENT_2016))]
    assert years["2017/18"][:2] == [gbp(D("150000")), gbp(total(COLLAB_2017, HANTS_2017))]

    regions = table(html, "Allocated, paid and spent by region")
    assert regions["East Midlands"][0] == gbp(total(COLLAB_2016, COLLAB_2017))
    assert regions["South East"][0] == gbp(total(KENT_2016, HANTS_2017))
    assert regions["Total"][0] == "£2,000,000"
    assert f'href="{reverse("public:region_detail", args=["east-midlands"])}"' in html

    awards = table(html, "Largest awards by money allocated")
    assert list(awards) == [
        f"East Midlands integrated technology {money['collaboration'].bid.reference} · "
        "2016/17 round 1",
        *[key for key in awards if "Kent" in key],
        *[key for key in awards if "Hampshire" in key],
    ]
    reference = money["collaboration"].bid.reference
    assert f'href="{reverse("public:award_detail", args=[reference])}"' in html
    assert f'href="{reverse("public:award_list")}">See all published awards' in html
    assert f'href="{reverse("public:force_list")}">See allocations for every force' in html


def test_the_top_ten_awards_only(client):
    round_ = FundingRoundFactory(published=True)
    for amount in range(1, 13):
        TrancheFactory(award__bid__round=round_, amount=D(amount * 1000))

    html = page(client)

    awards = table(html, "Largest awards by money allocated")
    assert [row[2] for row in awards.values()] == [gbp(D(n * 1000)) for n in range(12, 2, -1)]
    assert "The 10 largest of 12 awards" in html


def test_about_this_data_says_what_each_figure_means_and_when_it_last_changed(client, money):
    moment = timezone.now() - datetime.timedelta(hours=3)
    tranche = money["collaboration"].tranches.get(financial_year=2016)
    PaymentFactory(tranche=tranche, recorded_at=moment)
    SpendReturnFactory(tranche=tranche, status="verified", verified_at=moment)

    html = page(client)

    about = html.split('id="about"')[1]
    for words in ("Set aside", "envelopes", "Allocated", "tranches", "Paid", "Spent", "verified"):
        assert words in about
    assert "split between them by their agreed shares" in about
    assert "From 1 April to 31 March" in about
    assert f'<time datetime="{timezone.localtime(moment).isoformat()}' in about


def test_last_changed_is_the_latest_publication_payment_or_verification_in_one_query(
    money, django_assert_num_queries
):
    tranche = money["collaboration"].tranches.first()
    published = money["second"].results_published_at
    later = published + datetime.timedelta(hours=2)
    latest = published + datetime.timedelta(hours=5)
    PaymentFactory(tranche=tranche, recorded_at=later)
    SpendReturnFactory(tranche=tranche, status="verified", verified_at=latest)
    # Neither a returned spend report nor anything of an unpublished round counts.
    SpendReturnFactory(
        tranche=tranche, quarter=2, status="returned", verified_at=latest + datetime.timedelta(1)
    )
    PaymentFactory(
        tranche=money["hidden"].tranches.get(),
        recorded_at=latest + datetime.timedelta(hours=1),
    )

    with django_assert_num_queries(1):
        assert last_changed() == latest


def test_last_changed_without_published_rounds():
    assert last_changed() is None


# --------------------------------------------------------------------------- filters


@pytest.mark.parametrize(
    ("params", "allocated", "set_aside"),
    [
        ({"fund": "police-innovation-fund"}, HANTS_2017["amount"], ENVELOPES["armed"]),
        (
            {"round": "ptf-2016-17-round-1"},
            total(COLLAB_2016, COLLAB_2017, KENT_2016),
            ENVELOPES["digital"] + ENVELOPES["forensics"],
        ),
        (
            {"financial_year": "2017"},
            total(COLLAB_2017, HANTS_2017),
            ENVELOPES["armed"],
        ),
        ({"category": "forensics"}, KENT_2016["amount"], ENVELOPES["forensics"]),
        (
            {"region": "east-midlands"},
            total(COLLAB_2016, COLLAB_2017),
            sum(ENVELOPES.values(), D(0)),
        ),
        (
            {"force": "leicestershire"},
            total(COLLAB_2016, COLLAB_2017, share=LEICS_SHARE),
            sum(ENVELOPES.values(), D(0)),
        ),
        (
            {"force": "nottinghamshire", "financial_year": "2016"},
            total(COLLAB_2016, share=NOTTS_SHARE),
            ENVELOPES["digital"] + ENVELOPES["forensics"],
        ),
        ({"force": "kent", "category": "digital"}, D(0), ENVELOPES["digital"]),
    ],
)
def test_each_filter_narrows_the_figures(client, money, params, allocated, set_aside):
    cards = headline(page(client, params))

    assert cards["Allocated"][1] == gbp(allocated)
    assert cards["Set aside"][1] == gbp(set_aside)


def test_a_force_filter_counts_the_forces_share_and_says_set_aside_is_whole(client, money):
    html = page(client, {"force": "leicestershire"})

    cards = headline(html)
    assert cards["Paid"][1] == gbp(total(COLLAB_2016, key="paid", share=LEICS_SHARE))
    assert cards["Spent"][1] == gbp(total(COLLAB_2016, key="spent", share=LEICS_SHARE))
    assert "it is not narrowed to a force or region" in html
    rows = table(html, "Set aside, allocated and spent by spend category")
    # The gap would compare a share with the whole, so it is not shown.
    assert rows["Digital"][:2] == ["£2,000,000", "£600,000"]
    assert "Under-allocated" not in html
    assert "<title>Allocations: Leicestershire Police – Police funding tracker</title>" in html


def test_a_region_filter_lists_its_forces_with_their_shares(client, money):
    html = page(client, {"region": "east-midlands"})

    forces = table(html, "Allocated, paid and spent by force")
    assert forces["Nottinghamshire Police"][0] == gbp(
        total(COLLAB_2016, COLLAB_2017, share=NOTTS_SHARE)
    )
    assert forces["Leicestershire Police"][0] == gbp(
        total(COLLAB_2016, COLLAB_2017, share=LEICS_SHARE)
    )
    assert forces["Derbyshire Constabulary"][0] == "£0"
    assert f'href="{reverse("public:force_detail", args=["leicestershire"])}"' in html
    assert "Forces in East Midlands" in html


def test_chosen_filters_are_shown_with_a_link_to_remove_each(client, money):
    html = page(client, {"force": "kent", "financial_year": "2016", "fund": ""})

    assert (
        '<a class="moj-filter__tag" href="/allocations/?financial_year=2016">'
        '<span class="govuk-visually-hidden">Remove filter </span>Force: Kent Police</a>' in html
    )
    assert (
        '<a class="moj-filter__tag" href="/allocations/?force=kent">'
        '<span class="govuk-visually-hidden">Remove filter </span>Financial year: 2016/17</a>'
        in html
    )
    assert 'href="/allocations/">Clear all filters</a>' in html
    assert 'href="/allocations.csv?financial_year=2016&force=kent"' in html.replace("&amp;", "&")
    assert '<form method="get" action="/allocations/"' in html
    assert '<option value="kent" selected>Kent Police</option>' in html


def test_the_filter_offers_only_published_rounds(client, money):
    html = page(client)

    assert '<option value="ptf-2016-17-round-1">' in html
    assert '<option value="ptf-2018-19"' not in html


@pytest.mark.parametrize(
    ("params", "message", "anchor"),
    [
        (
            {"force": "atlantis"},
            "Choose a force from the list: there is no force “atlantis”",
            "force",
        ),
        (
            {"financial_year": "abc"},
            "Choose a financial year from the list: “abc” is not a year with published allocations",
            "financial_year",
        ),
        (
            {"round": "ptf-2018-19"},
            "Choose a funding round from the list: “ptf-2018-19” is not a round with published "
            "results",
            "round",
        ),
        ({"region": "x' OR 1=1"}, "there is no region “x' OR 1=1”", "region"),
        ({"category": "nonsense\x00"}, "there is no spend category “nonsense”", "category"),
        ({"fund": "a" * 500}, "there is no fund “" + "a" * 39 + "…”", "fund"),
    ],
)
def test_a_bad_parameter_names_the_filter_and_leaves_it_out(client, money, params, message, anchor):
    response = client.get(PAGE, params)

    assert response.status_code == 200
    html = unescape(response.content.decode())
    assert html.startswith("<!DOCTYPE html>")
    assert "<title>Error: Allocations" in html
    assert '<div class="govuk-error-summary" data-module="govuk-error-summary">' in html
    assert f'<a href="#id_{anchor}">' in html
    assert message in html
    assert "The figures below leave out this filter." in html
    assert f'id="id_{anchor}_error"' in html
    # The other figures still show, unfiltered by the bad parameter.
    assert headline(html)["Allocated"][1] == "£2,000,000"
    assert HIDDEN_TITLE not in html


def test_a_bad_parameter_keeps_the_good_ones(client, money):
    html = page(client, {"force": "atlantis", "category": "forensics"})

    assert headline(html)["Allocated"][1] == "£300,000"
    assert "Spend category: Forensics" in html


def test_unknown_parameters_are_ignored(client, money):
    html = page(client, {"colour": "blue"})

    assert "There is a problem" not in html
    assert headline(html)["Allocated"][1] == "£2,000,000"


def test_an_empty_filter_result_says_so(client, money):
    html = page(client, {"force": "kent", "category": "digital"})

    assert headline(html)["Allocated"][1] == "£0"
    assert "No money was allocated for these filters." in html
    assert "No awards for these filters." in html


def test_the_page_reads_well_with_no_data(client):
    html = page(client)

    assert headline(html)["Allocated"] == ("£0", "£0")
    assert "There are no published allocations for these filters." in html
    assert "No results have been published yet." in html


# --------------------------------------------------------------------------- who sees it


def test_signed_in_users_see_the_same_figures_built_for_them(client, money, analyst):
    client.force_login(analyst)

    response = client.get(PAGE)

    assert response.status_code == 200
    assert "X-Cache" not in response
    assert "private" in response["Cache-Control"]
    assert HIDDEN_TITLE not in response.content.decode()


def test_only_get_and_head(client):
    assert client.post(PAGE).status_code == 405
    assert client.head(PAGE).status_code == 200
    assert client.post(CSV_URL).status_code == 405


# --------------------------------------------------------------------------- queries and cache


def awards(count: int):
    round_ = FundingRoundFactory(published=True)
    EnvelopeFactory(round=round_)
    for n in range(count):
        award = AwardFactory(bid=BidFactory(round=round_, approved=True, partners=["kent"]))
        TrancheFactory(award=award, amount=D(1000 + n))
        TrancheFactory(award=award, financial_year=2017, amount=D(2000 + n))
        if n % 2:
            AwardShareFactory(award=award, force=force("nottinghamshire"), percent=D(50))
            AwardShareFactory(award=award, force=force("kent"), percent=D(50))


@pytest.mark.parametrize(
    "params",
    [{}, {"region": "east-midlands", "financial_year": "2016", "category": "digital"}],
)
def test_the_page_makes_as_many_queries_for_40_awards_as_for_3(
    client, params, django_assert_max_num_queries
):
    # The filters' lists are read once for each generation of the public cache: the rows and
    # options of the six filters (six queries) and when the next results are due (one); the
    # figures take one statement of sums, the largest awards one, the date of the last change
    # one. A chosen filter is checked against its list, with no query of its own.
    awards(3)
    with django_assert_max_num_queries(10) as few:
        assert client.get(PAGE, params).status_code == 200
    awards(37)
    replace_generation(GENERATION_KEY)  # as publishing them would
    params = {**params, "fund": "police-transformation-fund"}  # a new URL, not the cached page
    with django_assert_max_num_queries(10) as many:
        assert client.get(PAGE, params).status_code == 200

    assert len(many) == len(few)


@pytest.mark.parametrize("params", [{}, {"region": "east-midlands", "force": "kent"}])
def test_the_filters_lists_are_read_once_for_each_generation(
    client, money, params, django_assert_num_queries
):
    client.get(PAGE)

    # The sums, the largest awards and the date of the last change.
    with django_assert_num_queries(3):
        response = client.get(PAGE, {**params, "financial_year": "2016"})

    assert response.status_code == 200


def test_a_new_generation_reads_the_filters_lists_again(client, money):
    client.get(PAGE)
    Region.objects.create(slug="atlantis", name="Atlantis")
    replace_generation(GENERATION_KEY)

    html = client.get(PAGE, {"region": "atlantis"}).content.decode()

    assert '<option value="atlantis" selected>Atlantis</option>' in html
    assert "There is a problem with the filters" not in html


def test_the_filters_lists_are_read_again_when_results_are_due(client, money):
    FundingRoundFactory(
        slug="next-round",
        name="Next round",
        results_published_at=timezone.now() + datetime.timedelta(minutes=1),
    )
    client.get(PAGE)
    lists = allocation_filter({}).listed
    assert "next-round" not in [row.slug for row in lists["round"]]

    # The results coming out changes nothing in the database, so starts no new generation.
    later = timezone.now() + datetime.timedelta(minutes=2)
    with mock.patch("django.utils.timezone.now", return_value=later):
        lists = allocation_filter({}).listed

    assert "next-round" in [row.slug for row in lists["round"]]


def test_a_second_visitor_is_served_from_the_cache(client, money, django_assert_num_queries):
    first = client.get(PAGE, {"force": "kent"})
    assert first["X-Cache"] == "miss"

    with django_assert_num_queries(0):
        second = client.get(PAGE, {"force": "kent"})

    assert second["X-Cache"] == "hit"
    assert second.content == first.content


def test_recording_a_payment_refreshes_the_page(
    client, money, analyst, django_capture_on_commit_callbacks
):
    tranche = money["collaboration"].tranches.get(financial_year=2017)
    assert headline(page(client))["Paid"][1] == "£900,000"

    with django_capture_on_commit_callbacks(execute=True):
        services.payment_record(
            tranche=tranche,
            amount=D("250000.00"),
            paid_on=timezone.localdate(),
            by=analyst,
        )

    response = client.get(PAGE)
    assert response["X-Cache"] == "miss"
    assert headline(unescape(response.content.decode()))["Paid"][1] == "£1,150,000"


def test_publishing_a_round_puts_its_awards_on_the_page(
    client, money, analyst, django_capture_on_commit_callbacks
):
    assert HIDDEN_TITLE not in page(client)

    with django_capture_on_commit_callbacks(execute=True):
        services.round_publish_results(
            funding_round=FundingRound.objects.get(slug="ptf-2018-19"), by=analyst
        )

    response = client.get(PAGE)
    assert response["X-Cache"] == "miss"
    html = unescape(response.content.decode())
    assert HIDDEN_TITLE in html
    assert headline(html)["Allocated"][1] == gbp(D("2000000") + D("9999999"))


# --------------------------------------------------------------------------- CSV


def csv_response(client, params=None):
    response = client.get(CSV_URL, params or {})
    assert response.status_code == 200
    assert response.streaming
    body = b"".join(response.streaming_content)
    return response, body


def csv_rows(client, params=None) -> list[dict]:
    _, body = csv_response(client, params)
    return list(csv.DictReader(io.StringIO(body.decode("utf-8"), newline="")))


def test_the_csv_has_one_row_per_published_tranche_with_its_provenance(client, money):
    response, body = csv_response(client)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="allocations.csv"'
    text = body.decode("utf-8")
    assert text.startswith("fund,round,round_results_published,award_reference,")
    assert text.endswith("\r\n")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert len(rows) == 4
    reference = money["collaboration"].bid.reference
    first = next(r for r in rows if r["award_reference"] == reference)
    assert first == {
        "fund": "Police Transformation Fund",
        "round": "2016/17 round 1",
        "round_results_published": timezone.localdate(
            money["first"].results_published_at
        ).isoformat(),
        "award_reference": reference,
        "award_title": "East Midlands integrated technology",
        "lead_force_slug": "nottinghamshire",
        "lead_force": "Nottinghamshire Police",
        "partner_force_slugs": "leicestershire",
        "partner_forces": "Leicestershire Police",
        "category_slug": "digital",
        "category": "Digital",
        "financial_year": "2016/17",
        "tranche_status": "Released",
        "share_force_slug": "",
        "share_force": "",
        "share_percent": "100.00",
        "allocated": "1000000.00",
        "paid": "600000.00",
        "spent": "250000.00",
        "award_url": f"http://testserver/awards/{reference}/",
        "file_generated": first["file_generated"],
    }
    generated = datetime.datetime.fromisoformat(first["file_generated"])
    assert abs(generated - timezone.now()) < datetime.timedelta(minutes=1)
    assert sum(D(r["allocated"]) for r in rows) == D("2000000.00")
    assert HIDDEN_TITLE not in text


def test_the_csv_is_utf8_and_quotes_as_rfc_4180_says(client):
    round_ = FundingRoundFactory(published=True)
    TrancheFactory(
        award__bid__round=round_,
        award__bid__title='Lincolnshire’s "smart" hub, phase 2 – Gwasanaeth Heddlu',
    )

    _, body = csv_response(client)

    line = body.decode("utf-8").split("\r\n")[1]
    assert ',"Lincolnshire’s ""smart"" hub, phase 2 – Gwasanaeth Heddlu",' in line


def test_the_csv_lists_every_partner_force(client):
    round_ = FundingRoundFactory(published=True)
    bid = BidFactory(round=round_, approved=True, partners=["suffolk", "essex", "norfolk"])
    TrancheFactory(award__bid=bid)

    (row,) = csv_rows(client)

    assert row["partner_force_slugs"] == "essex;norfolk;suffolk"
    assert row["partner_forces"] == "Essex Police;Norfolk Constabulary;Suffolk Constabulary"


def test_the_csv_with_a_force_filter_shows_the_forces_share(client, money):
    rows = csv_rows(client, {"force": "leicestershire"})

    assert [(r["financial_year"], r["share_percent"], r["allocated"]) for r in rows] == [
        ("2016/17", "40.00", "400000.00"),
        ("2017/18", "40.00", "200000.00"),
    ]
    assert {r["share_force_slug"] for r in rows} == {"leicestershire"}
    assert rows[0]["paid"] == "240000.00"
    assert rows[0]["spent"] == "100000.00"


def test_the_csv_with_a_region_filter_has_a_row_for_each_force_share(client, money):
    rows = csv_rows(client, {"region": "east-midlands", "financial_year": "2016"})

    assert [(r["share_force"], r["share_percent"], r["allocated"]) for r in rows] == [
        ("Leicestershire Police", "40.00", "400000.00"),
        ("Nottinghamshire Police", "60.00", "600000.00"),
    ]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"category": "forensics"}, {"Kent forensic imaging"}),
        ({"fund": "police-innovation-fund"}, {"Hampshire armed response vehicles"}),
        (
            {"round": "ptf-2016-17-round-1", "financial_year": "2017"},
            {"East Midlands integrated technology"},
        ),
        ({"force": "kent", "category": "digital"}, set()),
    ],
)
def test_the_csv_takes_the_same_filters(client, money, params, expected):
    assert {r["award_title"] for r in csv_rows(client, params)} == expected


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"force": "atlantis"}, "force"),
        ({"financial_year": "1999"}, "financial_year"),
        ({"round": "ptf-2018-19"}, "round"),
    ],
)
def test_the_csv_refuses_a_bad_parameter_by_name(client, money, params, name):
    response = client.get(CSV_URL, params)

    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().startswith(f"Bad value for the parameter {name}: Choose")


@pytest.mark.parametrize("params", [{}, {"region": "east-midlands"}])
def test_the_csv_is_one_query_whatever_the_number_of_tranches(
    client, params, django_assert_max_num_queries
):
    # The rows in one query; the names of rounds, forces and categories (three small reference
    # tables) in one each; the region filter checks its slug.
    awards(3)
    with django_assert_max_num_queries(5) as few:
        assert len(csv_rows(client, params)) >= 3
    awards(37)
    with django_assert_max_num_queries(5) as many:
        assert len(csv_rows(client, params)) >= 40

    assert len(many) == len(few)
    rows_query = [q["sql"] for q in many.captured_queries if "bids_tranche" in q["sql"]]
    assert len(rows_query) == 1


# --------------------------------------------------------------------------- PDF


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "allocations.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def test_the_pdf_report_holds_the_filters_headline_figures_charts_and_awards(
    client, money, tmp_path
):
    response = client.get(PDF_URL, {"round": "ptf-2016-17-round-1"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="allocations-ptf-2016-17-round-1.pdf"'
    )
    assert response.content.startswith(b"%PDF-")
    text = " ".join(pdf_text(response.content, tmp_path).split())
    assert "Police funding allocations: PTF 2016/17 round 1" in text
    assert "Funding round PTF 2016/17 round 1" in text
    assert "Force All" in text
    allocated = total(COLLAB_2016, COLLAB_2017, KENT_2016)
    for figure in ("£2.3m", gbp(D("2300000")), "£1.8m", gbp(allocated), "£370k", "£900k"):
        assert figure in text
    assert "Under-allocated" in text
    assert "East Midlands integrated technology" in text
    assert "Kent forensic imaging" in text
    assert "Hampshire armed response vehicles" not in text
    assert HIDDEN_TITLE not in text
    assert "Page 1 of" in text


def test_every_page_of_the_pdf_has_the_footer_and_its_number(client, money, tmp_path):
    response = client.get(PDF_URL, {"round": "ptf-2016-17-round-1"})

    pages = [" ".join(page.split()) for page in pdf_text(response.content, tmp_path).split("\f")]
    pages = [page for page in pages if page]
    # The cover, then a page at least for each of the categories, years, regions and awards.
    assert len(pages) >= 5
    for number, page in enumerate(pages, start=1):
        assert "Police funding allocations · PTF 2016/17 round 1 · produced" in page
        assert page.endswith(f"Page {number} of {len(pages)}")
    assert pages[0].startswith("Police funding tracker · published results")
    assert (
        pages[-1]
        .split(" Police funding allocations ·")[0]
        .endswith("The data is available under the Open Government Licence v3.0.")
    )


def test_the_pdf_never_shows_an_unpublished_round(client, money, tmp_path):
    response = client.get(PDF_URL)

    text = pdf_text(response.content, tmp_path)
    assert HIDDEN_TITLE not in text
    assert "9,999,999" not in text
    assert response["X-Cache"] == "miss"
    assert client.get(PDF_URL)["X-Cache"] == "hit"


def test_the_options_are_written_escaped_with_the_chosen_one_selected():
    parts = option_parts([("", "All forces"), ("kent", "Kent Police"), ("a&b", '"A" & <B>')])

    assert options_markup(parts, "kent") == (
        '<option value="">All forces</option>'
        '<option value="kent" selected>Kent Police</option>'
        '<option value="a&amp;b">&quot;A&quot; &amp; &lt;B&gt;</option>'
    )
    assert options_markup(parts, None).startswith('<option value="" selected>All forces</option>')
    assert options_markup([], "kent") == ""


def test_the_pdf_refuses_a_bad_parameter_by_name(client, money):
    response = client.get(PDF_URL, {"region": "atlantis"})

    assert response.status_code == 400
    assert "parameter region" in response.content.decode()


def test_the_pdf_makes_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    awards(12)
    # The page's: the filters' lists (seven, once for each generation), the sums, the largest
    # awards and the date of the last change.
    with django_assert_max_num_queries(10):
        assert client.get(PDF_URL).status_code == 200


def test_an_analyst_downloads_the_same_pdf(client, money, analyst):
    client.force_login(analyst)
    response = client.get(PDF_URL)
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"category": "digital"},
        {"force": "kent"},
        {"region": "east-midlands", "financial_year": "2016"},
        {"force": "nottinghamshire", "category": "digital"},
    ],
)
def test_the_headline_is_the_sum_the_database_gives(money, params):
    # The headline adds up the categories' sums; it must equal one sum over the same cells.
    dashboard = Dashboard(allocation_filter(params))
    totals = dashboard.totals()

    headline = dashboard.headline
    assert headline.envelope == dashboard.filterset.envelopes().total()
    assert (headline.allocated, headline.paid, headline.spent) == (
        totals["allocated"],
        totals["paid"],
        totals["spent"],
    )
    assert headline.allocated > 0
