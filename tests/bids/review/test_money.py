"""The review workspace's money pages: the award list, one award, the tranche status and
payment forms, and the spend returns queue with its verification page. Each role's answer,
the figures each page shows on known data, and that every POST changes things only through
its service (with its BidEvent) or not at all."""

import datetime
import html as htmllib
import re
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from bids.models import Award, BidEvent, Payment, SpendReturn, Tranche
from fundtracker.years import fy_of
from tests.factories import (
    AwardFactory,
    BidFactory,
    FundingRoundFactory,
    PaymentFactory,
    SpendReturnFactory,
    TrancheFactory,
    category,
    force,
)

pytestmark = pytest.mark.django_db

Action = BidEvent.Action
TS = Tranche.Status
SUBMITTED = SpendReturn.Status.SUBMITTED
VERIFIED = SpendReturn.Status.VERIFIED
RETURNED = SpendReturn.Status.RETURNED
THIS_YEAR = fy_of(timezone.localdate())
AWARDED_ON = timezone.make_aware(datetime.datetime(2016, 8, 5, 10, 0))


def text(response) -> str:
    """The page's main text without tags and with spaces collapsed: what a reader sees."""
    html = response.content.decode()
    html = html.split('id="main-content"', 1)[-1]
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.DOTALL)
    words = htmllib.unescape(re.sub(r"<[^>]+>", " ", html))
    return re.sub(r"\s+", " ", words).replace(" .", ".")


def money(value: str) -> Decimal:
    return Decimal(value)


def make_award(
    tranches: dict[int, tuple[str, str]],
    *,
    reported: bool = True,
    status: str = TS.RELEASED,
    **bid_fields,
) -> Award:
    """An award with a tranche per year of ``{year: (allocated, verified spent)}``; with
    ``reported`` each tranche with spend has a verified return for it."""
    bid = BidFactory(approved=True, profile={}, **bid_fields)
    award = AwardFactory(
        bid=bid,
        total=sum((money(a) for a, _ in tranches.values()), Decimal(0)),
        decided_at=AWARDED_ON,
    )
    for year, (allocated, spent) in tranches.items():
        tranche = TrancheFactory(
            award=award,
            financial_year=year,
            amount=money(allocated),
            spent=money(spent),
            status=status,
        )
        if reported and money(spent):
            SpendReturnFactory(tranche=tranche, amount_spent=money(spent), status=VERIFIED)
    return award


def tranche_of(award: Award, year: int = 2016) -> Tranche:
    return award.tranches.get(financial_year=year)


def award_url(award: Award) -> str:
    return reverse("review:award", args=[award.bid.reference])


def status_url(award: Award, year: int = 2016) -> str:
    return reverse("review:tranche_status", args=[award.bid.reference, year])


def payment_url(award: Award, year: int = 2016) -> str:
    return reverse("review:payment_record", args=[award.bid.reference, year])


def verify_url(spend: SpendReturn) -> str:
    return reverse("review:spend_return_verify", args=[spend.pk])


def money_events(award: Award) -> list[str]:
    return list(
        award.bid.events.exclude(action=Action.CREATED)
        .order_by("at", "id")
        .values_list("action", flat=True)
    )


# --------------------------------------------------------------------------- who sees what


@pytest.fixture
def pages(db):
    """Every page of the money workspace, for one award with a return awaiting verification."""
    award = make_award({2016: ("1000.00", "0.00")})
    spend = SpendReturnFactory(tranche=tranche_of(award), amount_spent=money("100.00"))
    return {
        "awards": reverse("review:awards"),
        "award": award_url(award),
        "tranche_status": status_url(award),
        "payment_record": payment_url(award),
        "spend_returns": reverse("review:spend_returns"),
        "spend_return_verify": verify_url(spend),
    }


WRITES = {
    "tranche_status": {"status": TS.WITHHELD, "reason": "Milestone missed"},
    "payment_record": {
        "amount": "100",
        "paid_on_day": "1",
        "paid_on_month": "9",
        "paid_on_year": "2016",
        "reference": "REM-1",
    },
    "spend_return_verify": {"decision": "accept", "reason": ""},
}


def nothing_changed() -> bool:
    return (
        not Payment.objects.exists()
        and not Tranche.objects.exclude(status=TS.RELEASED).exists()
        and not SpendReturn.objects.exclude(status=SUBMITTED).exists()
        and not BidEvent.objects.exists()
    )


@pytest.mark.parametrize(
    "page",
    ["awards", "award", "tranche_status", "payment_record", "spend_returns", "spend_return_verify"],
)
def test_anonymous_visitors_are_sent_to_sign_in(client, pages, page):
    response = client.get(pages[page])
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    "page",
    ["awards", "award", "tranche_status", "payment_record", "spend_returns", "spend_return_verify"],
)
def test_pcc_office_users_get_404_everywhere(client, pages, office_user, page):
    client.force_login(office_user)
    assert client.get(pages[page]).status_code == 404
    assert client.post(pages[page], WRITES.get(page, {})).status_code == 404
    assert nothing_changed()


@pytest.mark.parametrize(
    "page",
    ["awards", "award", "tranche_status", "payment_record", "spend_returns", "spend_return_verify"],
)
def test_analysts_see_every_page(client, pages, analyst, page):
    client.force_login(analyst)
    assert client.get(pages[page]).status_code == 200


@pytest.mark.parametrize("page", ["awards", "award", "spend_returns", "spend_return_verify"])
def test_approvers_see_the_lists_and_pages_read_only(client, pages, approver, page):
    client.force_login(approver)
    response = client.get(pages[page])
    assert response.status_code == 200
    page_text = text(response)
    for action in ("Record a payment", "Withhold", "Save decision", "Check and verify"):
        assert action not in page_text
    assert 'method="post" novalidate' not in response.content.decode()


@pytest.mark.parametrize("page", ["tranche_status", "payment_record"])
def test_approvers_get_404_for_the_forms(client, pages, approver, page):
    client.force_login(approver)
    assert client.get(pages[page]).status_code == 404


@pytest.mark.parametrize("page", ["tranche_status", "payment_record", "spend_return_verify"])
def test_approvers_posts_get_404_and_change_nothing(client, pages, approver, page):
    client.force_login(approver)
    assert client.post(pages[page], WRITES[page]).status_code == 404
    assert nothing_changed()


def test_unknown_references_years_and_returns_answer_404(client, analyst):
    award = make_award({2016: ("1000.00", "0.00")})
    draft = BidFactory()
    under_review = BidFactory(under_review=True)
    client.force_login(analyst)
    for url in (
        reverse("review:award", args=["PTF-1999-9999"]),
        reverse("review:award", args=[draft.reference]),
        reverse("review:award", args=[under_review.reference]),
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        status_url(award, 2019),
        payment_url(award, 2019),
        reverse("review:tranche_status", args=["PTF-1999-9999", 2016]),
        reverse("review:payment_record", args=[under_review.reference, 2016]),
        reverse("review:spend_return_verify", args=[999999]),
        reverse("review:spend_return_verify", args=[10**20]),
        reverse("review:tranche_status", args=[award.bid.reference, 10**20]),
        reverse("review:payment_record", args=[award.bid.reference, 10**20]),
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"status": TS.CLOSED, "decision": "accept"}).status_code == 404
    assert nothing_changed()


# --------------------------------------------------------------------------- the award list


@pytest.fixture
def known_awards(db):
    """One award for each tag, in ended years and in the year still running."""
    return {
        "under": make_award({2016: ("1000.00", "600.00")}, title="Under"),
        "over": make_award({2016: ("1000.00", "1200.00")}, title="Over"),
        "exact": make_award({2016: ("1000.00", "1000.00")}, title="Exact"),
        "silent": make_award({2016: ("1000.00", "0.00")}, reported=False, title="Silent"),
        "running": make_award({THIS_YEAR: ("1000.00", "300.00")}, title="Running"),
        "running_over": make_award({THIS_YEAR: ("1000.00", "1500.00")}, title="Running over"),
        "two_years": make_award(
            {2016: ("1000.00", "900.00"), 2017: ("500.00", "550.00")}, title="Two years"
        ),
    }


@pytest.mark.parametrize(
    ("name", "variance", "tag"),
    [
        ("under", "400.00", "underspend"),
        ("over", "-200.00", "overspend"),
        ("exact", "0.00", "on_track"),
        ("silent", "1000.00", "none"),
        # The year still runs: its spend is not measured yet...
        ("running", "0.00", "on_track"),
        # ...unless it has already passed the allocation.
        ("running_over", "-500.00", "overspend"),
        # 2016/17 100 under, 2017/18 50 over.
        ("two_years", "50.00", "underspend"),
    ],
)
def test_variance_and_tag_follow_the_rule(known_awards, name, variance, tag):
    award = Award.objects.with_variance().get(pk=known_awards[name].pk)
    assert (award.variance, award.spend_tag) == (money(variance), tag)


def test_award_list_shows_each_awards_money_and_tag(client, analyst, known_awards):
    client.force_login(analyst)
    page = text(client.get(reverse("review:awards")))
    under = known_awards["under"].bid
    assert (
        f"{under.reference} Under Nottinghamshire {under.round.name} £1,000 £0 £600 £400 Underspend"
    ) in page
    assert "£1,000 £0 £1,200 -£200 Overspend" in page
    assert "£1,000 £0 £1,000 £0 On track" in page
    assert "£1,000 £0 £0 £1,000 No spend reported yet" in page
    assert "Variance is the allocation less verified spend" in page
    assert (
        f'href="{award_url(known_awards["under"])}"'
        in client.get(reverse("review:awards")).content.decode()
    )


def test_award_list_shows_pence_only_where_there_are_some(client, analyst):
    make_award({2016: ("1000.00", "599.50")}, title="Pence")
    client.force_login(analyst)
    page = text(client.get(reverse("review:awards")))
    assert "Pence Nottinghamshire" in page
    assert "£1,000 £0 £599.50 £400.50 Underspend" in page
    assert "Total of 1 award £1,000 £0 £599.50 £400.50" in page


def _database_totals(awards) -> dict:
    tranches = Tranche.objects.filter(award__in=awards)
    return tranches.aggregate(allocated=Sum("amount"), paid=Sum("paid"), spent=Sum("spent"))


def test_totals_row_equals_the_database_sums(client, analyst, known_awards):
    PaymentFactory(tranche=tranche_of(known_awards["under"]))
    Tranche.objects.filter(award=known_awards["under"]).update(paid=money("250.00"))
    client.force_login(analyst)

    response = client.get(reverse("review:awards"))

    sums = _database_totals(known_awards.values())
    totals = response.context["totals"]
    assert totals["count"] == 7
    assert {k: totals[k] for k in ("allocated", "paid", "spent")} == sums
    # 400 - 200 + 0 + 1000 + 0 - 500 + 50
    assert totals["variance"] == money("750.00")
    assert "Total of 7 awards £7,500 £250 £6,050 £750" in text(response)
    assert sums["allocated"] == money("7500.00")


def test_totals_row_follows_the_filters(client, analyst, known_awards):
    client.force_login(analyst)
    response = client.get(reverse("review:awards"), {"tag": "overspend"})
    over = [known_awards["over"], known_awards["running_over"]]
    assert {a.pk for a in response.context["awards"]} == {a.pk for a in over}
    totals = response.context["totals"]
    assert totals["allocated"] == _database_totals(over)["allocated"] == money("2000.00")
    assert totals["variance"] == money("-700.00")
    assert "Total of 2 awards" in text(response)


@pytest.mark.parametrize(
    ("tag", "names"),
    [
        ("underspend", {"under", "two_years"}),
        ("overspend", {"over", "running_over"}),
        ("on_track", {"exact", "running"}),
        ("none", {"silent"}),
    ],
)
def test_filter_by_tag(client, analyst, known_awards, tag, names):
    client.force_login(analyst)
    response = client.get(reverse("review:awards"), {"tag": tag})
    assert {a.pk for a in response.context["awards"]} == {known_awards[n].pk for n in names}


def test_filters_by_round_category_force_region_and_text(client, analyst):
    round_a = FundingRoundFactory(name="2016/17 round A", slug="round-a")
    round_b = FundingRoundFactory(name="2017/18 round B", slug="round-b", first_financial_year=2017)
    notts = make_award(
        {2016: ("10.00", "0.00")},
        round=round_a,
        title="East Midlands technology",
        spend_category=category("digital"),
    )
    kent = make_award(
        {2016: ("20.00", "0.00")},
        round=round_b,
        lead_force=force("kent"),
        title="Kent firearms training",
        spend_category=category("armed-policing"),
    )
    client.force_login(analyst)

    def listed(**params):
        response = client.get(reverse("review:awards"), params)
        assert response.status_code == 200
        return {a.pk for a in response.context["awards"]}

    assert listed() == {notts.pk, kent.pk}
    assert listed(round="round-a") == {notts.pk}
    assert listed(round="round-b") == {kent.pk}
    assert listed(category="armed-policing") == {kent.pk}
    assert listed(force="kent") == {kent.pk}
    assert listed(region="east-midlands") == {notts.pk}
    assert listed(region="south-east") == {kent.pk}
    assert listed(q="firearms") == {kent.pk}
    assert listed(q=notts.bid.reference.lower()) == {notts.pk}
    assert listed(q="nothing like it") == set()
    assert listed(round="round-a", force="kent") == set()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"round": "no-such-round"}, "Round: “no-such-round” is not one of the choices"),
        ({"force": "atlantis"}, "Lead force: “atlantis” is not one of the choices"),
        ({"tag": "<b>big</b>"}, "Spend against allocation: “<b>big</b>” is not one of"),
        ({"sort": "password"}, "The list cannot be sorted by “password”"),
        ({"q": "x" * 201}, "Reference or title: Search for at most 200 characters, so the"),
        ({"page": "999"}, ""),
        ({"page": "x'; drop table"}, ""),
        ({"region": ""}, ""),
    ],
)
def test_bad_query_strings_get_a_message_not_an_error(
    client, analyst, known_awards, params, message
):
    client.force_login(analyst)
    response = client.get(reverse("review:awards"), params)
    assert response.status_code == 200
    assert message in text(response)
    # The bad filter is left out: every award still shows.
    assert response.context["paginator"].count == len(known_awards)
    assert "<b>big</b>" not in response.content.decode()


def test_a_bad_filter_leaves_the_good_ones_applied(client, analyst, known_awards):
    client.force_login(analyst)
    response = client.get(reverse("review:awards"), {"tag": "overspend", "round": "nope"})
    assert response.context["paginator"].count == 2


@pytest.mark.parametrize(
    ("sort", "first", "last"),
    [
        ("variance", "running_over", "silent"),
        ("-variance", "silent", "running_over"),
        ("spent", "silent", "running_over"),
        ("-allocated", "two_years", None),
        ("title", "exact", "under"),
        ("-title", "under", "exact"),
    ],
)
def test_sorting_by_a_column(client, analyst, known_awards, sort, first, last):
    client.force_login(analyst)
    response = client.get(reverse("review:awards"), {"sort": sort})
    rows = [a.pk for a in response.context["awards"]]
    assert rows[0] == known_awards[first].pk
    if last:
        assert rows[-1] == known_awards[last].pk


def test_column_headings_link_to_sorting_and_say_which_is_sorted(client, analyst, known_awards):
    client.force_login(analyst)
    html = client.get(reverse("review:awards"), {"sort": "variance", "tag": "overspend"})
    html = html.content.decode()
    assert 'aria-sort="ascending"><a class="govuk-link govuk-link--no-visited-state" ' in html
    assert "?sort=-variance&amp;tag=overspend" in html
    assert "?sort=-allocated&amp;tag=overspend" in html  # money sorts largest first
    assert "?sort=title&amp;tag=overspend" in html


def test_award_list_pages_50_at_a_time(client, analyst):
    funding_round = FundingRoundFactory()
    for _ in range(51):
        make_award({2016: ("1.00", "0.00")}, reported=False, round=funding_round)
    client.force_login(analyst)

    first = client.get(reverse("review:awards"))
    second = client.get(reverse("review:awards"), {"page": "2"})

    assert len(first.context["awards"]) == 50
    assert len(second.context["awards"]) == 1
    assert "Total of 51 awards, every page £51" in text(second)
    shown = {a.pk for a in first.context["awards"]} | {a.pk for a in second.context["awards"]}
    assert len(shown) == 51


def test_award_list_lists_unpublished_rounds_too(client, analyst):
    published = make_award({2016: ("1.00", "0.00")}, round=FundingRoundFactory(published=True))
    unpublished = make_award({2016: ("1.00", "0.00")}, round=FundingRoundFactory(closed=True))
    client.force_login(analyst)
    listed = {a.pk for a in client.get(reverse("review:awards")).context["awards"]}
    assert listed == {published.pk, unpublished.pk}


def test_award_list_with_no_awards_says_so(client, analyst):
    client.force_login(analyst)
    assert "There are no awards yet" in text(client.get(reverse("review:awards")))
    response = client.get(reverse("review:awards"), {"q": "nothing"})
    assert "No award matches the filters" in text(response)


AWARDS_LIST_QUERIES = 10


@pytest.mark.parametrize("rows", [2, 30])
def test_award_list_queries_do_not_grow_with_rows(
    client, analyst, django_assert_max_num_queries, rows
):
    for _ in range(rows):
        make_award({2016: ("10.00", "5.00"), 2017: ("10.00", "0.00")})
    client.force_login(analyst)
    params = {"round": "", "force": "nottinghamshire", "tag": "underspend", "sort": "-spent"}
    with django_assert_max_num_queries(AWARDS_LIST_QUERIES):
        response = client.get(reverse("review:awards"), params)
    assert len(response.context["awards"]) == rows


# --------------------------------------------------------------------------- one award


def test_award_page_shows_each_tranche_with_payments_returns_and_figures(client, analyst):
    award = make_award({2016: ("1000.00", "0.00"), THIS_YEAR: ("500.00", "0.00")}, reported=False)
    old = tranche_of(award)
    Tranche.objects.filter(pk=old.pk).update(paid=money("700.00"), spent=money("600.00"))
    PaymentFactory(
        tranche=old, amount=money("700.00"), paid_on=datetime.date(2016, 9, 1), reference="REM-77"
    )
    SpendReturnFactory(tranche=old, quarter=1, amount_spent=money("600.00"), status=VERIFIED)
    SpendReturnFactory(
        tranche=old, quarter=2, amount_spent=money("150.00"), narrative="Laptops for the unit"
    )
    SpendReturnFactory(
        tranche=old,
        quarter=3,
        amount_spent=money("90.00"),
        status=RETURNED,
        returned_reason="No invoices",
    )
    client.force_login(analyst)

    page = text(client.get(award_url(award)))

    assert f"Award {award.bid.reference}" in page
    # The award in total: allocated, paid, spent, awaiting, remaining, variance.
    assert "£1,500.00 £700.00 £600.00 £150.00 £750.00 £400.00" in page
    assert "2016/17 tranche Released Underspend" in page
    assert (
        "Allocated £1,000.00 Paid £700.00 Spent (verified) £600.00 Awaiting verification "
        "£150.00 Remaining £250.00 Variance £400.00"
    ) in page
    assert "1 September 2016 £700.00 REM-77" in page
    assert "Q1 (April to June 2016) £600.00 Verified" in page
    assert "Q2 (July to September 2016) £150.00 Awaiting verification Laptops for the unit" in page
    assert "Sent back: No invoices" in page
    assert "Q4 (January to March 2017) No return" in page
    this_year = f"{THIS_YEAR}/{(THIS_YEAR + 1) % 100:02d}"
    assert f"Variance Not measured yet: {this_year} is still running" in page
    assert f"{this_year} tranche Released No spend reported yet" in page
    assert "No payments yet" in page


def test_award_page_offers_the_moves_each_tranche_allows(client, analyst):
    award = make_award({2016: ("10.00", "0.00"), 2017: ("10.00", "0.00")}, reported=False)
    Tranche.objects.filter(award=award, financial_year=2017).update(status=TS.SCHEDULED)
    client.force_login(analyst)
    html = client.get(award_url(award)).content.decode()
    assert f'href="{payment_url(award, 2016)}"' in html
    assert f'href="{status_url(award, 2016)}?status=withheld"' in html
    assert f'href="{status_url(award, 2016)}?status=closed"' in html
    assert f'href="{status_url(award, 2016)}?status=released"' not in html
    assert f'href="{status_url(award, 2017)}?status=released"' in html
    assert f'href="{payment_url(award, 2017)}"' not in html
    assert f'href="{reverse("review:bid", args=[award.bid.reference])}"' in html


def test_award_page_warns_of_an_overspent_tranche(client, analyst):
    award = make_award({2016: ("1000.00", "1200.00")})
    client.force_login(analyst)
    page = text(client.get(award_url(award)))
    assert "Warning Verified spend of £1,200.00 is more than the allocation of £1,000.00" in page
    assert "2016/17 tranche Released Overspend" in page


AWARD_PAGE_QUERIES = 8


@pytest.mark.parametrize("size", [1, 4])
def test_award_page_queries_do_not_grow_with_rows(
    client, analyst, django_assert_max_num_queries, size
):
    award = make_award({2016 + n: ("1000.00", "0.00") for n in range(size)}, reported=False)
    for tranche in award.tranches.all():
        for quarter in range(1, size + 1):
            SpendReturnFactory(tranche=tranche, quarter=quarter, amount_spent=money("1.00"))
            PaymentFactory(tranche=tranche, amount=money("1.00"))
            BidEvent.objects.create(
                bid=award.bid, action=Action.PAYMENT_RECORDED, actor=analyst, note="£1.00"
            )
    client.force_login(analyst)
    with django_assert_max_num_queries(AWARD_PAGE_QUERIES):
        assert client.get(award_url(award)).status_code == 200


# --------------------------------------------------------------------------- tranche status


def test_releasing_a_tranche_records_it_and_says_so(client, analyst):
    award = make_award({2016: ("10.00", "0.00")}, reported=False, status=TS.SCHEDULED)
    client.force_login(analyst)

    form = client.get(status_url(award), {"status": "released"})
    assert 'value="released" checked' in form.content.decode()
    response = client.post(status_url(award), {"status": TS.RELEASED, "reason": ""}, follow=True)

    assert response.redirect_chain[-1][0] == award_url(award) + "#tranche-2016"
    assert tranche_of(award).status == TS.RELEASED
    assert money_events(award) == [Action.TRANCHE_RELEASED]
    page = text(response)
    assert f"The 2016/17 tranche of {award.bid.reference} is now released." in page
    assert f"Money timeline Tranche released by {analyst.get_full_name()}" in page


def test_withholding_needs_a_reason_and_changes_nothing_without_one(client, analyst):
    award = make_award({2016: ("10.00", "0.00")}, reported=False)
    client.force_login(analyst)

    response = client.post(status_url(award), {"status": TS.WITHHELD, "reason": "  "})

    assert response.status_code == 200
    assert "There is a problem Enter why the tranche is withheld" in text(response)
    assert tranche_of(award).status == TS.RELEASED
    assert money_events(award) == []


def test_withholding_with_a_reason_shows_on_the_timeline(client, analyst):
    award = make_award({2016: ("10.00", "0.00")}, reported=False)
    client.force_login(analyst)

    response = client.post(
        status_url(award), {"status": TS.WITHHELD, "reason": "Milestone 2 missed"}, follow=True
    )

    assert tranche_of(award).status == TS.WITHHELD
    event = award.bid.events.get()
    assert (event.action, event.actor, event.note) == (
        Action.TRANCHE_WITHHELD,
        analyst,
        "2016/17. Milestone 2 missed",
    )
    assert "Tranche withheld by" in text(response)
    assert "Milestone 2 missed" in text(response)


def test_closing_a_released_tranche(client, analyst):
    award = make_award({2016: ("10.00", "10.00")})
    client.force_login(analyst)
    client.post(status_url(award), {"status": TS.CLOSED, "reason": ""})
    assert tranche_of(award).status == TS.CLOSED
    assert money_events(award) == [Action.TRANCHE_CLOSED]


@pytest.mark.parametrize(
    ("start", "move"),
    [(TS.CLOSED, TS.RELEASED), (TS.SCHEDULED, TS.CLOSED), (TS.RELEASED, "deleted")],
)
def test_a_move_the_tranche_does_not_allow_is_refused(client, analyst, start, move):
    award = make_award({2016: ("10.00", "0.00")}, reported=False, status=start)
    client.force_login(analyst)
    response = client.post(status_url(award), {"status": move, "reason": "Because"})
    assert response.status_code == 200
    assert "Choose one of the changes offered for this tranche" in text(response)
    assert tranche_of(award).status == start
    assert money_events(award) == []


def test_a_closed_tranche_page_says_it_cannot_change(client, analyst):
    award = make_award({2016: ("10.00", "0.00")}, reported=False, status=TS.CLOSED)
    client.force_login(analyst)
    page = text(client.get(status_url(award)))
    assert "This tranche is closed, so its status can no longer change" in page


# --------------------------------------------------------------------------- payments


def pay(client, award, *, amount="250,000.50", day="1", month="9", year="2016", ref="REM-1"):
    return client.post(
        payment_url(award),
        {
            "amount": amount,
            "paid_on_day": day,
            "paid_on_month": month,
            "paid_on_year": year,
            "reference": ref,
        },
    )


def test_recording_a_payment(client, analyst):
    award = make_award({2016: ("500000.00", "0.00")}, reported=False)
    client.force_login(analyst)

    response = pay(client, award)

    assert response.status_code == 302
    assert response["Location"] == award_url(award) + "#tranche-2016"
    payment = Payment.objects.get()
    assert (payment.amount, payment.paid_on, payment.reference, payment.recorded_by) == (
        money("250000.50"),
        datetime.date(2016, 9, 1),
        "REM-1",
        analyst,
    )
    assert tranche_of(award).paid == money("250000.50")
    assert money_events(award) == [Action.PAYMENT_RECORDED]
    page = text(client.get(response["Location"]))
    assert "Payment of £250,000.50 recorded against the 2016/17 tranche" in page
    assert "1 September 2016 £250,000.50 REM-1" in page
    assert "Payment recorded by" in page


TOMORROW = timezone.localdate() + datetime.timedelta(days=1)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"amount": "1000.01"}, "more than its allocation of £1,000.00"),
        (
            {"day": str(TOMORROW.day), "month": str(TOMORROW.month), "year": str(TOMORROW.year)},
            "The date paid must be today or in the past",
        ),
        ({"amount": "lots"}, "The amount paid must be an amount in pounds"),
        ({"amount": "10.555"}, "The amount paid can have at most 2 decimal places"),
        ({"amount": "-5"}, "The amount paid cannot be negative"),
        ({"amount": "0"}, "The amount paid must be more than £0.00"),
        ({"amount": ""}, "Enter the amount paid"),
        ({"amount": "1e3"}, "The amount paid must be an amount in pounds"),
        ({"day": "4", "month": "8", "year": "2016"}, "cannot be before the award was made on 5"),
        ({"day": "31", "month": "2", "year": "2017"}, "The date paid must be a real date"),
        ({"day": "", "month": "", "year": ""}, "Enter the date the payment was made"),
        ({"ref": ""}, "Enter the payment reference"),
        ({"ref": "x" * 101}, "The payment reference must be 100 characters or fewer"),
    ],
)
def test_a_bad_payment_is_refused_with_nothing_changed(client, analyst, fields, message):
    award = make_award({2016: ("1000.00", "0.00")}, reported=False)
    client.force_login(analyst)

    response = pay(client, award, **{"amount": "100", **fields})

    assert response.status_code == 200
    assert "There is a problem" in text(response)
    assert message in text(response)
    assert not Payment.objects.exists()
    assert tranche_of(award).paid == 0
    assert money_events(award) == []


def test_payments_cannot_add_up_past_the_allocation(client, analyst):
    award = make_award({2016: ("1000.00", "0.00")}, reported=False)
    client.force_login(analyst)
    assert pay(client, award, amount="600").status_code == 302
    response = pay(client, award, amount="400.01")
    assert "would take the 2016/17 tranche to £1,000.01" in text(response)
    assert tranche_of(award).paid == money("600.00")
    assert pay(client, award, amount="400").status_code == 302
    assert "The whole allocation of £1,000.00 has been paid" in text(client.get(payment_url(award)))


@pytest.mark.parametrize("status", [TS.SCHEDULED, TS.WITHHELD, TS.CLOSED])
def test_no_payment_against_a_tranche_not_released(client, analyst, status):
    award = make_award({2016: ("1000.00", "0.00")}, reported=False, status=status)
    client.force_login(analyst)
    assert "Record the payment" not in text(client.get(payment_url(award)))
    response = pay(client, award, amount="10")
    assert "release it before recording a payment" in text(response)
    assert not Payment.objects.exists()


# --------------------------------------------------------------------------- spend returns


def test_queue_lists_returns_awaiting_verification_oldest_first(client, analyst):
    award = make_award({2016: ("1000.00", "0.00")}, reported=False, title="Body-worn video")
    tranche = tranche_of(award)
    now = timezone.now()
    newer = SpendReturnFactory(tranche=tranche, quarter=2, submitted_at=now)
    older = SpendReturnFactory(
        tranche=tranche,
        quarter=1,
        amount_spent=money("1200.00"),
        narrative="Cameras and docking stations",
        submitted_at=now - datetime.timedelta(days=3),
    )
    SpendReturnFactory(tranche=tranche, quarter=3, status=VERIFIED)
    SpendReturnFactory(tranche=tranche, quarter=4, status=RETURNED)
    client.force_login(analyst)

    response = client.get(reverse("review:spend_returns"))

    assert list(response.context["spend_returns"]) == [older, newer]
    page = text(response)
    assert "2 returns awaiting verification" in page
    assert (
        f"{award.bid.reference} Body-worn video Nottinghamshire 2016/17 Q1 £1,200.00 "
        "Over allocation Cameras and docking stations Check"
    ) in page


def test_queue_filters_by_round_and_force(client, analyst):
    round_a = FundingRoundFactory(slug="round-a")
    notts = SpendReturnFactory(
        tranche=tranche_of(make_award({2016: ("9.00", "0.00")}, reported=False, round=round_a))
    )
    kent = SpendReturnFactory(
        tranche=tranche_of(
            make_award({2016: ("9.00", "0.00")}, reported=False, lead_force=force("kent"))
        )
    )
    client.force_login(analyst)

    def listed(**params):
        return list(client.get(reverse("review:spend_returns"), params).context["spend_returns"])

    assert listed(round="round-a") == [notts]
    assert listed(force="kent") == [kent]
    assert listed(force="kent", round="round-a") == []
    response = client.get(reverse("review:spend_returns"), {"force": "gotham"})
    assert "Lead force: “gotham” is not one of the choices" in text(response)
    assert len(response.context["spend_returns"]) == 2


QUEUE_QUERIES = 7


@pytest.mark.parametrize("rows", [1, 20])
def test_queue_queries_do_not_grow_with_rows(client, analyst, django_assert_max_num_queries, rows):
    for _ in range(rows):
        SpendReturnFactory(tranche=tranche_of(make_award({2016: ("9.00", "0.00")}, reported=False)))
    client.force_login(analyst)
    with django_assert_max_num_queries(QUEUE_QUERIES):
        response = client.get(reverse("review:spend_returns"), {"force": "nottinghamshire"})
    assert len(response.context["spend_returns"]) == rows


def test_verify_page_shows_the_return_and_what_accepting_it_does(client, analyst):
    award = make_award({2016: ("1000.00", "700.00")})
    Tranche.objects.filter(award=award).update(paid=money("800.00"))
    spend = SpendReturnFactory(
        tranche=tranche_of(award), quarter=2, amount_spent=money("200.00"), narrative="Servers"
    )
    client.force_login(analyst)
    page = text(client.get(verify_url(spend)))
    assert "Spend return for Q2 (July to September 2016)" in page
    assert "Amount spent £200.00 What it was spent on Servers" in page
    assert "Allocated £1,000.00 Paid £800.00 Spent (verified) £700.00" in page
    assert "Verified spend if accepted £900.00, leaving £100.00 of the allocation" in page
    assert "Warning" not in page


def test_verify_page_warns_when_accepting_passes_the_allocation(client, analyst):
    award = make_award({2016: ("1000.00", "900.00")})
    spend = SpendReturnFactory(tranche=tranche_of(award), quarter=2, amount_spent=money("250"))
    client.force_login(analyst)
    page = text(client.get(verify_url(spend)))
    assert (
        "Warning Accepting this return takes verified spend on the 2016/17 tranche to "
        "£1,150.00: £150.00 more than its allocation of £1,000.00."
    ) in page


def test_accepting_a_return_counts_its_spend(client, analyst):
    award = make_award({2016: ("1000.00", "100.00")})
    spend = SpendReturnFactory(tranche=tranche_of(award), quarter=2, amount_spent=money("250"))
    client.force_login(analyst)

    response = client.post(verify_url(spend), {"decision": "accept", "reason": ""}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("review:spend_returns")
    spend.refresh_from_db()
    assert (spend.status, spend.verified_by) == (VERIFIED, analyst)
    assert tranche_of(award).spent == money("350.00")
    assert money_events(award) == [Action.SPEND_RETURN_VERIFIED]
    page = text(response)
    assert f"The Q2 2016/17 return of {award.bid.reference} is verified: £250.00" in page
    assert "No spend returns are waiting to be verified" in page
    assert "Spend return verified by" in text(client.get(award_url(award)))


def test_sending_a_return_back_needs_a_reason_and_leaves_spend_alone(client, analyst):
    award = make_award({2016: ("1000.00", "100.00")})
    spend = SpendReturnFactory(tranche=tranche_of(award), quarter=2, amount_spent=money("250"))
    client.force_login(analyst)

    refused = client.post(verify_url(spend), {"decision": "send_back", "reason": " "})
    assert "Enter why you are sending the return back" in text(refused)
    spend.refresh_from_db()
    assert spend.status == SUBMITTED
    assert money_events(award) == []

    client.post(verify_url(spend), {"decision": "send_back", "reason": "Invoices missing"})

    spend.refresh_from_db()
    assert (spend.status, spend.returned_reason) == (RETURNED, "Invoices missing")
    assert tranche_of(award).spent == money("100.00")
    event = award.bid.events.get()
    assert (event.action, event.note) == (
        Action.SPEND_RETURN_RETURNED,
        "2016/17 Q2: Invoices missing",
    )


def test_a_decision_must_be_chosen(client, analyst):
    award = make_award({2016: ("1000.00", "100.00")})
    spend = SpendReturnFactory(tranche=tranche_of(award), quarter=2)
    client.force_login(analyst)
    for data in ({}, {"decision": "maybe"}):
        response = client.post(verify_url(spend), data)
        assert "Choose whether to accept the return or send it back" in text(response)
    spend.refresh_from_db()
    assert spend.status == SUBMITTED


@pytest.mark.parametrize("status", [VERIFIED, RETURNED])
def test_a_return_already_decided_is_read_only(client, analyst, status):
    award = make_award({2016: ("1000.00", "100.00")})
    spend = SpendReturnFactory(
        tranche=tranche_of(award), quarter=2, status=status, returned_reason="Wrong quarter"
    )
    client.force_login(analyst)

    page = client.get(verify_url(spend))
    assert "Save decision" not in text(page)

    response = client.post(verify_url(spend), {"decision": "accept"}, follow=True)
    assert "so nothing was changed" in text(response)
    spend.refresh_from_db()
    assert spend.status == status
    assert tranche_of(award).spent == money("100.00")
    assert money_events(award) == []


VERIFY_PAGE_QUERIES = 5


@pytest.mark.parametrize("others", [0, 3])
def test_verify_page_queries_are_pinned(client, analyst, django_assert_max_num_queries, others):
    tranche = tranche_of(make_award({2016: ("1000.00", "0.00")}, reported=False))
    for quarter in range(2, 2 + others):
        SpendReturnFactory(tranche=tranche, quarter=quarter)
    spend = SpendReturnFactory(tranche=tranche, quarter=1)
    client.force_login(analyst)
    with django_assert_max_num_queries(VERIFY_PAGE_QUERIES):
        assert client.get(verify_url(spend)).status_code == 200
