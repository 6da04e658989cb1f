"""The review queue at /review/: who may see it, its filters, sorting, counts by status,
pagination, the CSV of the same rows, batch assignment of reviewers, and its query counts."""

import csv
import datetime
import html as htmllib
import io
import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bids.models import Bid, BidEvent, Review
from tests.factories import (
    BidFactory,
    CollaborationFactory,
    FundingRoundFactory,
    OfficeMemberFactory,
    ReviewFactory,
    UserFactory,
    category,
    force,
)

pytestmark = pytest.mark.django_db

S = Bid.Status
QUEUE = reverse("review:queue")
CSV = reverse("review:queue_csv")
ASSIGN = reverse("review:assign_batch")


def text(response) -> str:
    """The page's text without tags and with spaces collapsed: what a reader sees."""
    page = response.content.decode()
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.DOTALL)
    words = htmllib.unescape(re.sub(r"<[^>]+>", " ", page))
    return re.sub(r"\s+", " ", words).replace(" .", ".")


def table(response) -> str:
    page = response.content.decode()
    match = re.search(r'<tbody class="govuk-table__body">(.*?)</tbody>', page, re.DOTALL)
    return match.group(1) if match else ""


def rows(response) -> list[str]:
    """The references of the bids in the queue's table, top to bottom."""
    return re.findall(r'<a class="govuk-link" href="/review/bids/([^/]+)/">', table(response))


def refs(*bids) -> list[str]:
    return [bid.reference for bid in bids]


def submitted(days_ago: int = 1, **kwargs) -> Bid:
    kwargs.setdefault("status", S.SUBMITTED)
    at = timezone.now() - datetime.timedelta(days=days_ago)
    return BidFactory(submitted_at=at, **kwargs)


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(body, newline="")))


@pytest.fixture
def analyst_client(client, analyst):
    client.force_login(analyst)
    return client


# --------------------------------------------------------------------------- who sees what


@pytest.mark.parametrize("url", [QUEUE, CSV])
def test_anonymous_visitors_are_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_batch_form_tells_two_analysts_with_one_name_apart(analyst_client, analyst):
    submitted()
    UserFactory(analyst=True, first_name="Sam", last_name="Lee", email="sam.lee@ho.test")
    UserFactory(analyst=True, first_name="Sam", last_name="Lee", email="s.lee@ho.test")

    page = text(analyst_client.get(QUEUE))

    assert "Sam Lee (s.lee@ho.test)" in page
    assert "Sam Lee (sam.lee@ho.test)" in page
    assert f"{analyst.get_full_name()} (" not in page


def test_anonymous_post_to_assign_is_sent_to_sign_in(client):
    bid = submitted()
    response = client.post(ASSIGN, {"bids": [bid.reference]})
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert not Review.objects.exists()


@pytest.mark.parametrize("url", [QUEUE, CSV, ASSIGN])
def test_pcc_office_users_get_404(client, office_user, url):
    client.force_login(office_user)
    assert client.get(url).status_code == 404


def test_pcc_office_user_cannot_assign(client, office_user, analyst):
    bid = submitted()
    client.force_login(office_user)
    response = client.post(ASSIGN, {"bids": [bid.reference], "reviewers": [analyst.pk]})
    assert response.status_code == 404
    assert not Review.objects.exists()


@pytest.mark.parametrize("role", ["analyst", "approver"])
@pytest.mark.parametrize("url", [QUEUE, CSV])
def test_analysts_and_approvers_see_the_queue_and_its_csv(client, request, role, url):
    submitted()
    client.force_login(request.getfixturevalue(role))
    assert client.get(url).status_code == 200


def test_approver_cannot_assign_and_nothing_changes(client, approver, analyst):
    bid = submitted()
    client.force_login(approver)
    response = client.post(ASSIGN, {"bids": [bid.reference], "reviewers": [analyst.pk]})
    assert response.status_code == 404
    bid.refresh_from_db()
    assert bid.status == S.SUBMITTED
    assert not Review.objects.exists()
    assert not BidEvent.objects.filter(action=BidEvent.Action.REVIEWERS_ASSIGNED).exists()


def test_approver_sees_no_ticks_and_no_assign_form(client, approver):
    submitted()
    client.force_login(approver)
    page = client.get(QUEUE).content.decode()
    assert 'name="bids"' not in page
    assert "Assign reviewers" not in page
    assert "Assigned to me" not in page


def test_analyst_sees_a_tick_per_row_and_the_reviewers_by_name(analyst_client, second_analyst):
    bids = [submitted(), submitted()]
    second_analyst.first_name, second_analyst.last_name = "Priya", "Shah"
    second_analyst.save()
    page = analyst_client.get(QUEUE).content.decode()
    assert page.count('name="bids"') == 2
    assert all(f'value="{bid.reference}"' in page for bid in bids)
    assert "Priya Shah" in page
    assert "Assign reviewers" in page


# --------------------------------------------------------------------------- what it lists


def test_drafts_never_show(analyst_client):
    shown = submitted()
    BidFactory(status=S.DRAFT)
    assert rows(analyst_client.get(QUEUE)) == refs(shown)


def test_every_round_newest_submission_first_by_default(analyst_client):
    old_round = FundingRoundFactory(first_financial_year=2016, last_financial_year=2016)
    new_round = FundingRoundFactory(first_financial_year=2017, last_financial_year=2017)
    oldest = submitted(days_ago=30, round=old_round)
    newest = submitted(days_ago=1, round=new_round)
    middle = submitted(days_ago=10, round=old_round)
    response = analyst_client.get(QUEUE)
    assert rows(response) == refs(newest, middle, oldest)
    page = response.content.decode()
    # The round select lists the newest round first.
    assert page.index(f'value="{new_round.slug}"') < page.index(f'value="{old_round.slug}"')


def test_a_row_shows_the_bid_at_a_glance(analyst_client, second_analyst):
    bid = submitted(
        status=S.UNDER_REVIEW,
        title="Digital crime-scene images",
        lead_force=force("west-yorkshire"),
        profile={2016: Decimal("280000.00"), 2017: Decimal("420000.00")},
        moderated_score=Decimal("71.25"),
    )
    ReviewFactory(bid=bid, submitted_at=timezone.now(), recommendation="fund")
    ReviewFactory(bid=bid, reviewer=second_analyst)
    ReviewFactory(bid=bid, has_conflict=True)
    row = text(analyst_client.get(QUEUE))
    for shown in [
        bid.reference,
        "Digital crime-scene images",
        "West Yorkshire",
        "Digital",
        "£700,000",
        "Under review",
        "1 of 2",
        "Declared",
        "71.25",
    ]:
        assert shown in row


def test_a_rows_text_is_escaped_and_its_date_is_the_local_day(analyst_client):
    # 23:30 UTC on 30 June is half past midnight on 1 July in London.
    at = datetime.datetime(2026, 6, 30, 23, 30, tzinfo=datetime.UTC)
    bid = BidFactory(status=S.SUBMITTED, submitted_at=at, title='<b>Drones</b> & "dogs"')
    body = table(analyst_client.get(QUEUE))
    assert "&lt;b&gt;Drones&lt;/b&gt; &amp; &quot;dogs&quot;" in body
    assert "<b>" not in body
    assert "1 Jul 2026" in body
    assert f'href="{reverse("review:bid", args=[bid.reference])}"' in body


def test_needs_reassignment_is_flagged(analyst_client):
    submitted(status=S.UNDER_REVIEW, needs_reassignment=True)
    assert "Reassign" in text(analyst_client.get(QUEUE))


# --------------------------------------------------------------------------- filters


def _filter_cases():
    """For each filter: the query it takes and (made by a function) a matching bid and not."""
    return {
        "round": lambda: _pair(lambda r: {"round": r}, FundingRoundFactory),
        "status": lambda: (
            {"status": "under_review"},
            submitted(status=S.UNDER_REVIEW),
            submitted(status=S.SUBMITTED),
        ),
        "category": lambda: (
            {"category": "forensics"},
            submitted(spend_category=category("forensics")),
            submitted(spend_category=category("digital")),
        ),
        "force": lambda: (
            {"force": "kent"},
            submitted(lead_force=force("kent")),
            submitted(lead_force=force("surrey")),
        ),
        "region": lambda: (
            {"region": force("kent").region.slug},
            submitted(lead_force=force("kent")),
            submitted(lead_force=force("nottinghamshire")),
        ),
        "collaboration": lambda: _pair(lambda c: {"collaboration": c}, CollaborationFactory),
        "q reference": lambda: _search("PTF-2099-0042", reference="PTF-2099-0042"),
        "q title words, any case": lambda: _search(
            "crime SCENE", title="Digital transmission of crime-scene images"
        ),
    }


def _pair(field, factory):
    wanted, other = factory(), factory()
    key = next(iter(field(None)))
    return (
        {key: wanted.slug},
        submitted(**field(wanted)),
        submitted(**field(other)),
    )


def _search(query, **kwargs):
    return {"q": query}, submitted(**kwargs), submitted(title="Athena IT system")


@pytest.mark.parametrize("case", list(_filter_cases()))
def test_each_filter_narrows_the_queue(analyst_client, case):
    query, wanted, other = _filter_cases()[case]()
    response = analyst_client.get(QUEUE, query)
    assert response.status_code == 200
    assert rows(response) == refs(wanted)
    assert other.reference not in rows(response)


@pytest.mark.parametrize(
    ("band", "inside", "outside"),
    [
        ("under-250k", ["0.00", "249999.99"], ["250000.00"]),
        ("250k-to-1m", ["250000.00", "999999.99"], ["249999.99", "1000000.00"]),
        ("1m-to-5m", ["1000000.00", "4999999.99"], ["999999.99", "5000000.00"]),
        ("5m-and-over", ["5000000.00", "75000000.00"], ["4999999.99"]),
    ],
)
def test_amount_bands_hold_their_lower_bound_and_stop_short_of_the_upper(
    analyst_client, band, inside, outside
):
    def bid_asking(amount):
        # Two funding lines, so the band tests the total, not one year.
        half = Decimal(amount) / 2
        first = half.quantize(Decimal("0.01"))
        return submitted(profile={2016: first, 2017: Decimal(amount) - first})

    wanted = [bid_asking(amount) for amount in inside]
    others = [bid_asking(amount) for amount in outside]
    shown = rows(analyst_client.get(QUEUE, {"amount": band}))
    assert sorted(shown) == sorted(refs(*wanted))
    assert not set(shown) & set(refs(*others))


def test_the_requested_total_is_not_multiplied_by_reviewers(analyst_client):
    bid = submitted(profile={2016: Decimal("200000.00")})
    for _ in range(3):
        ReviewFactory(bid=bid)
    response = analyst_client.get(QUEUE, {"amount": "under-250k"})
    assert rows(response) == refs(bid)
    assert "£200,000" in text(response)


def test_assigned_to_me_shows_the_analysts_own_reviews(analyst_client, analyst):
    mine = submitted(status=S.UNDER_REVIEW)
    ReviewFactory(bid=mine, reviewer=analyst)
    conflicted = submitted(status=S.UNDER_REVIEW)
    ReviewFactory(bid=conflicted, reviewer=analyst, has_conflict=True)
    someone_elses = submitted(status=S.UNDER_REVIEW)
    ReviewFactory(bid=someone_elses)
    submitted()
    assert rows(analyst_client.get(QUEUE, {"assigned_to_me": "1"})) == refs(mine)


def test_conflicts_shows_declared_conflicts_and_bids_to_reassign(analyst_client):
    flagged = submitted(status=S.UNDER_REVIEW, needs_reassignment=True, days_ago=1)
    declared = submitted(status=S.UNDER_REVIEW, days_ago=2)
    ReviewFactory(bid=declared, has_conflict=True)
    clear = submitted(status=S.UNDER_REVIEW, days_ago=3)
    ReviewFactory(bid=clear, has_conflict=False)
    assert rows(analyst_client.get(QUEUE, {"conflicts": "1"})) == refs(flagged, declared)


def test_filters_combine_and_show_as_removable_tags(analyst_client):
    kent_forensics = submitted(lead_force=force("kent"), spend_category=category("forensics"))
    submitted(lead_force=force("kent"), spend_category=category("digital"))
    submitted(lead_force=force("surrey"), spend_category=category("forensics"))
    response = analyst_client.get(
        QUEUE, {"force": "kent", "category": "forensics", "sort": "title"}
    )
    assert rows(response) == refs(kent_forensics)
    page = htmllib.unescape(response.content.decode())
    tags = {
        label.strip(): href
        for href, label in re.findall(
            r'<a class="moj-filter__tag" href="([^"]+)"><span[^>]*>Remove this filter</span>'
            r"([^<]+)</a>",
            page,
        )
    }
    assert set(tags) == {"Kent Police", "Forensics"}
    # Removing one filter keeps the other and the sort.
    assert parse_qs(urlsplit(tags["Kent Police"]).query) == {
        "category": ["forensics"],
        "sort": ["title"],
    }
    assert 'href="/review/?sort=title">Clear filters' in page


def test_the_filter_form_is_a_get_form_that_keeps_the_sort(analyst_client):
    submitted()
    page = analyst_client.get(QUEUE, {"sort": "-requested"}).content.decode()
    form = re.search(r'<form method="get" action="/review/".*?</form>', page, re.DOTALL).group(0)
    assert '<input type="hidden" name="sort" value="-requested">' in form
    assert "Apply filters" in form


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"round": "no-such-round"}, "There is no round “no-such-round”"),
        ({"status": "nonsense"}, "“nonsense” is not a status"),
        ({"status": "draft"}, "“draft” is not a status"),
        ({"category": "nope"}, "There is no spend category “nope”"),
        ({"force": "atlantis"}, "There is no force “atlantis”"),
        ({"region": "mars"}, "There is no region “mars”"),
        ({"collaboration": "nope"}, "There is no collaboration “nope”"),
        ({"amount": "lots"}, "“lots” is not one of the amount bands"),
        ({"sort": "evil"}, "cannot be sorted by “evil”"),
        ({"sort": "title,evil"}, "cannot be sorted by “evil”"),
        ({"q": "x" * 201}, "Search for 200 characters or fewer"),
    ],
)
def test_a_bad_filter_is_named_and_left_out(analyst_client, query, message):
    shown = [submitted(days_ago=2), submitted(days_ago=1)]
    response = analyst_client.get(QUEUE, query)
    assert response.status_code == 200
    assert "There is a problem" in text(response)
    assert message in text(response)
    assert rows(response) == refs(*reversed(shown))


@pytest.mark.parametrize("page", ["9999", "0", "-1", "two"])
def test_a_page_out_of_range_shows_the_nearest_page(analyst_client, page):
    bids = [submitted(days_ago=n) for n in range(3)]
    response = analyst_client.get(QUEUE, {"page": page})
    assert response.status_code == 200
    assert rows(response) == refs(*bids)


def test_the_filter_forms_empty_fields_leave_the_address(analyst_client):
    response = analyst_client.get(
        QUEUE, {"q": "", "round": "", "status": "submitted", "force": " ", "sort": "title"}
    )
    assert response.status_code == 302
    assert response.url == f"{QUEUE}?status=submitted&sort=title"


@pytest.mark.parametrize("flag", ["assigned_to_me", "conflicts"])
def test_nonsense_in_a_tick_box_filter_is_ignored(analyst_client, flag):
    bid = submitted()
    response = analyst_client.get(QUEUE, {flag: "maybe"})
    assert response.status_code == 200
    assert rows(response) == refs(bid)


def test_no_bids_says_so(analyst_client):
    response = analyst_client.get(QUEUE, {"force": "kent"})
    assert "No submitted bid matches the filters you chose" in text(response)
    assert "Download" not in text(response)


# --------------------------------------------------------------------------- sorting


@pytest.fixture
def three_bids():
    """Three bids that differ in every sortable column, a, b and c in ascending order."""
    a = submitted(
        days_ago=30,
        title="Alpha",
        lead_force=force("avon-and-somerset"),
        spend_category=category("armed-policing"),
        profile={2016: Decimal("100000.00")},
        status=S.SUBMITTED,
        moderated_score=Decimal("10.00"),
    )
    b = submitted(
        days_ago=20,
        title="Bravo",
        lead_force=force("kent"),
        spend_category=category("digital"),
        profile={2016: Decimal("900000.00")},
        status=S.UNDER_REVIEW,
        moderated_score=Decimal("55.50"),
    )
    c = submitted(
        days_ago=10,
        title="charlie",
        lead_force=force("surrey"),
        spend_category=category("forensics"),
        profile={2016: Decimal("2240000.00")},
        status=S.RECOMMENDED,
        moderated_score=Decimal("90.00"),
    )
    return a, b, c


SORTS = ["reference", "title", "force", "category", "requested", "status", "submitted", "score"]


@pytest.mark.parametrize("column", SORTS)
def test_each_column_sorts_both_ways(analyst_client, three_bids, column):
    ascending = rows(analyst_client.get(QUEUE, {"sort": column}))
    descending = rows(analyst_client.get(QUEUE, {"sort": f"-{column}"}))
    assert ascending == refs(*three_bids)
    assert descending == refs(*reversed(three_bids))


def test_bids_without_a_moderated_score_come_last_both_ways(analyst_client, three_bids):
    unscored = submitted(days_ago=5)
    assert rows(analyst_client.get(QUEUE, {"sort": "score"}))[-1] == unscored.reference
    assert rows(analyst_client.get(QUEUE, {"sort": "-score"}))[-1] == unscored.reference


def _headers(response) -> dict[str, tuple[str, str]]:
    """Each sortable header's label → (aria-sort, href of its link)."""
    page = htmllib.unescape(response.content.decode())
    found = re.findall(
        r'<th scope="col" class="[^"]*" aria-sort="(\w+)">\s*<a class="[^"]*" href="([^"]+)">'
        r"([^<]+)",
        page,
    )
    return {label.strip(): (aria, href) for aria, href, label in found}


def test_headers_carry_aria_sort_and_links_that_toggle(analyst_client, three_bids):
    headers = _headers(analyst_client.get(QUEUE, {"status": "recommended", "page": "1"}))
    # Unsorted, the newest submissions come first, and the header says so.
    assert headers["Submitted"][0] == "descending"
    assert headers["Title"][0] == "none"
    assert parse_qs(urlsplit(headers["Title"][1]).query) == {
        "status": ["recommended"],
        "sort": ["title"],
    }

    headers = _headers(analyst_client.get(QUEUE, {"sort": "title"}))
    assert headers["Title"][0] == "ascending"
    assert headers["Submitted"][0] == "none"
    assert parse_qs(urlsplit(headers["Title"][1]).query) == {"sort": ["-title"]}

    headers = _headers(analyst_client.get(QUEUE, {"sort": "-title"}))
    assert headers["Title"][0] == "descending"
    assert parse_qs(urlsplit(headers["Title"][1]).query) == {"sort": ["title"]}


# --------------------------------------------------------------------------- counts and pages


def _status_counts(response) -> dict[str, tuple[int, str]]:
    page = htmllib.unescape(response.content.decode())
    nav = re.search(r'aria-label="Bids by status">(.*?)</nav>', page, re.DOTALL).group(1)
    found = re.findall(r'href="([^"]+)"[^>]*>([^<]+?) <span class="app-queue__count">\((\d+)', nav)
    return {label: (int(count), href) for href, label, count in found}


def test_status_counts_follow_the_other_filters_but_not_the_status(analyst_client):
    for status in [S.SUBMITTED, S.SUBMITTED, S.UNDER_REVIEW, S.APPROVED]:
        bid = submitted(status=status, lead_force=force("kent"))
    # Reviewers do not make a bid count twice.
    ReviewFactory(bid=bid)
    ReviewFactory(bid=bid)
    submitted(status=S.SUBMITTED, lead_force=force("surrey"))
    BidFactory(status=S.DRAFT, lead_force=force("kent"))
    response = analyst_client.get(QUEUE, {"force": "kent", "status": "submitted"})
    counts = _status_counts(response)
    assert counts["All"][0] == 4
    assert counts["Submitted"][0] == 2
    assert counts["Under review"][0] == 1
    assert counts["Approved"][0] == 1
    # Statuses no bid has are left out; drafts are never counted.
    assert "Withdrawn" not in counts
    assert "Draft" not in counts
    assert parse_qs(urlsplit(counts["Under review"][1]).query) == {
        "force": ["kent"],
        "status": ["under_review"],
    }
    assert parse_qs(urlsplit(counts["All"][1]).query) == {"force": ["kent"]}
    assert len(rows(response)) == 2
    # The status chosen shows even when no bid has it.
    assert _status_counts(analyst_client.get(QUEUE, {"status": "withdrawn"}))["Withdrawn"][0] == 0


def test_status_counts_are_kept_until_a_bid_a_review_or_a_force_changes(
    analyst_client, analyst, django_assert_max_num_queries
):
    kent = submitted(lead_force=force("kent"))
    submitted(status=S.UNDER_REVIEW, lead_force=force("kent"))
    assert _status_counts(analyst_client.get(QUEUE))["All"][0] == 2
    # Asked again, the counts by status and the five lists of the filter panel come from the cache.
    _queries(analyst_client, QUEUE, {}, django_assert_max_num_queries, QUEUE_QUERIES - 6)

    kent.status = S.WITHDRAWN
    kent.save()
    counts = _status_counts(analyst_client.get(QUEUE))
    assert counts["Withdrawn"][0] == 1
    assert "Submitted" not in counts

    mine = {"assigned_to_me": "1"}
    assert _status_counts(analyst_client.get(QUEUE, mine))["All"][0] == 0
    ReviewFactory(bid=kent, reviewer=analyst)
    assert _status_counts(analyst_client.get(QUEUE, mine))["All"][0] == 1

    south_east = {"region": force("kent").region.slug}
    assert _status_counts(analyst_client.get(QUEUE, south_east))["All"][0] == 2
    moved = force("kent")
    moved.region = force("nottinghamshire").region
    moved.save()
    assert _status_counts(analyst_client.get(QUEUE, south_east))["All"][0] == 0


def test_the_filter_panel_lists_rounds_and_collaborations_as_they_are_now(analyst_client):
    """The panel's lists are cached between requests; a new or renamed one shows at once."""
    submitted()
    assert "Spring innovation call" not in text(analyst_client.get(QUEUE))
    funding_round = FundingRoundFactory(name="Spring innovation call")
    collaboration = CollaborationFactory(name="Northern data partnership")
    page = analyst_client.get(QUEUE).content.decode()
    assert f'<option value="{funding_round.slug}">' in page
    assert "Northern data partnership" in page
    collaboration.name = "Northern data alliance"
    collaboration.save()
    page = text(analyst_client.get(QUEUE))
    assert "Northern data alliance" in page
    assert "Northern data partnership" not in page


def test_status_counts_of_bids_assigned_to_me_are_each_analysts_own(client, analyst):
    bid = submitted()
    ReviewFactory(bid=bid, reviewer=analyst)
    other = UserFactory(analyst=True)
    for user, expected in [(analyst, 1), (other, 0)]:
        client.force_login(user)
        response = client.get(QUEUE, {"assigned_to_me": "1"})
        assert _status_counts(response)["All"][0] == expected


def test_fifty_bids_a_page_and_the_filters_survive_the_page_links(analyst_client):
    kent = [submitted(lead_force=force("kent"), days_ago=n) for n in range(1, 121)]
    submitted(lead_force=force("surrey"))
    first = analyst_client.get(QUEUE, {"force": "kent"})
    assert rows(first) == refs(*kent[:50])
    assert "Showing 1 to 50 of 120 bids" in text(first)
    page = htmllib.unescape(first.content.decode())
    next_link = re.search(r'href="([^"]+)" rel="next"', page).group(1)
    assert parse_qs(urlsplit(next_link).query) == {"force": ["kent"], "page": ["2"]}
    last = analyst_client.get(QUEUE, {"force": "kent", "page": "3"})
    assert rows(last) == refs(*kent[100:])
    # Sorting and the status links start again at page 1 and keep the filters.
    headers = _headers(last)
    assert parse_qs(urlsplit(headers["Title"][1]).query) == {"force": ["kent"], "sort": ["title"]}
    assert "page" not in _status_counts(last)["Submitted"][1]


# --------------------------------------------------------------------------- CSV


def test_csv_is_the_filtered_sorted_rows_of_every_page(analyst_client):
    kent = [
        submitted(lead_force=force("kent"), profile={2016: Decimal(1000 * n)}) for n in range(60)
    ]
    submitted(lead_force=force("surrey"))
    response = analyst_client.get(CSV, {"force": "kent", "sort": "-requested", "page": "2"})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    data = csv_rows(response)
    assert data[0][:3] == ["reference", "title", "fund"]
    assert [row[0] for row in data[1:]] == refs(*reversed(kent))


def test_csv_formats_money_dates_and_text(analyst_client, second_analyst):
    bid = submitted(
        title="Réseau numérique – “Athena”, phase 2",
        lead_force=force("hertfordshire"),
        spend_category=category("collaboration-and-shared-services"),
        local_match_contribution=Decimal("125000.50"),
        moderated_score=Decimal("64.00"),
        needs_reassignment=True,
    )
    ReviewFactory(
        bid=bid, reviewer=second_analyst, submitted_at=timezone.now(), recommendation="fund"
    )
    response = analyst_client.get(CSV)
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"reference,title,")
    assert b"\r\n" in raw
    header, row = csv.reader(io.StringIO(raw.decode("utf-8"), newline=""))
    values = dict(zip(header, row, strict=True))
    assert values["title"] == "Réseau numérique – “Athena”, phase 2"
    assert values["requested_total"] == "5740000.00"
    assert values["local_match_contribution"] == "125000.50"
    assert values["lead_force"] == "Hertfordshire Constabulary"
    assert values["status"] == "Submitted"
    assert values["submitted_on"] == timezone.localdate(bid.submitted_at).isoformat()
    assert values["reviews_assigned"] == "1"
    assert values["reviews_submitted"] == "1"
    assert values["conflict_of_interest"] == "yes"
    assert values["moderated_score"] == "64.00"


def test_csv_keeps_a_formula_as_text(analyst_client):
    submitted(title='=HYPERLINK("http://example.org","x")')
    data = csv_rows(analyst_client.get(CSV))
    assert data[1][1] == '\'=HYPERLINK("http://example.org","x")'


def test_csv_filename_says_what_it_holds(analyst_client):
    funding_round = FundingRoundFactory(slug="ptf-2016-round-1")
    submitted(round=funding_round, status=S.UNDER_REVIEW)
    today = timezone.localdate().isoformat()
    response = analyst_client.get(CSV, {"round": "ptf-2016-round-1", "status": "under_review"})
    assert response["Content-Disposition"] == (
        f'attachment; filename="bids-ptf-2016-round-1-under-review-{today}.csv"'
    )
    everything = analyst_client.get(CSV)
    assert f'filename="bids-all-rounds-{today}.csv"' in everything["Content-Disposition"]


def test_the_queue_links_to_the_csv_of_its_filters(analyst_client):
    for _ in range(3):
        submitted(lead_force=force("kent"))
    page = htmllib.unescape(
        analyst_client.get(QUEUE, {"force": "kent", "page": "1"}).content.decode()
    )
    href = re.search(r'href="([^"]+)">Download these 3 bids as CSV', page).group(1)
    assert href == f"{CSV}?force=kent"


# --------------------------------------------------------------------------- batch assignment


@pytest.fixture
def reviewers(analyst, second_analyst):
    second_analyst.first_name, second_analyst.last_name = "Priya", "Shah"
    second_analyst.save()
    return [analyst, second_analyst]


def _assign(client, bids, reviewers, next_url="/review/?status=submitted"):
    return client.post(
        ASSIGN,
        {
            "bids": [bid.reference for bid in bids],
            "reviewers": [user.pk for user in reviewers],
            "next": next_url,
        },
    )


def test_batch_assignment_assigns_every_reviewer_to_every_bid(analyst_client, reviewers):
    bids = [submitted(), submitted()]
    response = _assign(analyst_client, bids, reviewers)
    assert response.status_code == 302
    assert response.url == "/review/?status=submitted"
    for bid in bids:
        bid.refresh_from_db()
        assert bid.status == S.UNDER_REVIEW
        assert set(bid.reviews.values_list("reviewer", flat=True)) == {r.pk for r in reviewers}
        event = bid.events.get(action=BidEvent.Action.REVIEWERS_ASSIGNED)
        assert (event.from_status, event.to_status) == (S.SUBMITTED, S.UNDER_REVIEW)
    page = text(analyst_client.get(response.url))
    assert "assigned to 2 bids" in page
    assert "Priya Shah" in page
    assert all(bid.reference in page for bid in bids)
    # The banner shows once.
    assert "assigned to 2 bids" not in text(analyst_client.get(response.url))


def test_refused_bids_are_listed_with_the_services_reason(analyst_client, reviewers):
    good = submitted()
    decided = submitted(status=S.APPROVED)
    full = submitted(status=S.UNDER_REVIEW)
    for reviewer in reviewers:
        ReviewFactory(bid=full, reviewer=reviewer)
    partly = submitted(status=S.UNDER_REVIEW)
    ReviewFactory(bid=partly, reviewer=reviewers[0])
    response = _assign(analyst_client, [good, decided, full, partly], reviewers)
    good.refresh_from_db()
    decided.refresh_from_db()
    assert good.status == S.UNDER_REVIEW
    assert decided.status == S.APPROVED
    assert not decided.reviews.exists()
    assert full.reviews.count() == 2
    assert partly.reviews.count() == 2
    page = text(analyst_client.get(response.url))
    assert "assigned to 2 bids" in page
    assert "2 bids not assigned" in page
    assert f"You cannot assign reviewers to bid {decided.reference}: it is approved" in page
    assert "Every reviewer chosen is already assigned to this bid." in page
    assert f"Priya Shah added, {reviewers[0].get_full_name()} already assigned" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"bids": []}, "Select at least one bid to assign reviewers to"),
        ({"reviewers": []}, "Select at least one reviewer"),
        ({"bids": ["GOOD", "PTF-1999-9999"]}, "There is no submitted bid with the reference"),
        ({"bids": ["GOOD", "DRAFT"]}, "There is no submitted bid with the reference"),
        ({"reviewers": ["OFFICE"]}, "Choose reviewers from the list of analysts"),
        ({"reviewers": ["not-a-number"]}, "Choose reviewers from the list of analysts"),
    ],
)
def test_bad_input_changes_nothing_and_says_why(analyst_client, analyst, data, message):
    good = submitted()
    draft = BidFactory(status=S.DRAFT)
    office = OfficeMemberFactory(office_force=force("kent"))
    swap = {"GOOD": good.reference, "DRAFT": draft.reference, "OFFICE": str(office.pk)}
    post = {"bids": [good.reference], "reviewers": [analyst.pk], "next": "/review/?force=kent"}
    post.update({key: [swap.get(v, v) for v in value] for key, value in data.items()})
    response = analyst_client.post(ASSIGN, post)
    assert response.status_code == 302
    assert response.url == "/review/?force=kent"
    assert not Review.objects.exists()
    good.refresh_from_db()
    assert good.status == S.SUBMITTED
    page = analyst_client.get(response.url)
    assert "There is a problem" in text(page)
    assert message in text(page)


def test_ticks_survive_a_refused_form(analyst_client):
    bid = submitted()
    response = analyst_client.post(ASSIGN, {"bids": [bid.reference], "next": "/review/"})
    page = analyst_client.get(response.url).content.decode()
    assert f'value="{bid.reference}" checked' in page
    assert 'href="#id_reviewers_0"' in page


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/review/", "//evil.example/", "/review/rounds/", "", "javascript:x"],
)
def test_the_return_address_must_be_the_queue(analyst_client, reviewers, next_url):
    response = _assign(analyst_client, [submitted()], reviewers, next_url=next_url)
    assert response.url == QUEUE


def test_a_get_of_the_assign_address_goes_to_the_queue(analyst_client):
    response = analyst_client.get(ASSIGN, {"status": "submitted"})
    assert response.status_code == 302
    assert response.url == f"{QUEUE}?status=submitted"


# --------------------------------------------------------------------------- queries


def _bids_with_reviews(count: int):
    for n in range(count):
        bid = submitted(
            status=S.UNDER_REVIEW,
            days_ago=n,
            collaboration=CollaborationFactory() if n % 2 else None,
            partners=["leicestershire"],
        )
        ReviewFactory(bid=bid, submitted_at=timezone.now(), recommendation="fund")
        ReviewFactory(bid=bid, has_conflict=bool(n % 3))


def _queries(client, url, data, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit), CaptureQueriesContext(connection) as captured:
        response = client.get(url, data)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(captured)


# Session, the user with their roles and office; the page's count, its rows and the counts by
# status (from the cache when asked again); the five lists of the filter panel and the analysts
# to assign.
QUEUE_QUERIES = 11
# Session, the user with their roles and office, the rows.
CSV_QUERIES = 3


@pytest.mark.parametrize(
    ("data", "more"),
    [
        ({}, 0),
        # Each slug chosen is looked up once to check it.
        ({"round": "ROUND", "force": "nottinghamshire", "region": "east-midlands"}, 3),
        # No bid matches: neither the page's count nor its rows are read.
        ({"conflicts": "1", "assigned_to_me": "1", "amount": "5m-and-over", "q": "East"}, -2),
        ({"sort": "-score", "status": "under_review", "page": "2"}, 0),
    ],
)
def test_queue_queries_do_not_grow_with_the_rows(
    analyst_client, django_assert_max_num_queries, data, more
):
    funding_round = FundingRoundFactory()
    data = {key: funding_round.slug if value == "ROUND" else value for key, value in data.items()}
    url_args = (QUEUE, data, django_assert_max_num_queries, QUEUE_QUERIES + more)
    _bids_with_reviews(5)
    Bid.objects.update(round=funding_round)
    cache.clear()
    few = _queries(analyst_client, *url_args)
    _bids_with_reviews(55)
    Bid.objects.update(round=funding_round)
    assert len(rows(analyst_client.get(QUEUE))) == 50
    cache.clear()
    many = _queries(analyst_client, *url_args)
    assert few == many


def test_csv_queries_do_not_grow_with_the_rows(analyst_client, django_assert_max_num_queries):
    _bids_with_reviews(5)
    few = _queries(analyst_client, CSV, {}, django_assert_max_num_queries, CSV_QUERIES)
    _bids_with_reviews(55)
    many = _queries(analyst_client, CSV, {}, django_assert_max_num_queries, CSV_QUERIES)
    assert few == many
    assert len(csv_rows(analyst_client.get(CSV))) == 61


def test_approver_queue_queries(client, approver, django_assert_max_num_queries):
    _bids_with_reviews(60)
    cache.clear()
    client.force_login(approver)
    # No analysts to list: one query fewer.
    _queries(client, QUEUE, {}, django_assert_max_num_queries, QUEUE_QUERIES - 1)


# --------------------------------------------------------------------------- indexes

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the plans of PostgreSQL's planner"
)


@postgresql_only
@pytest.mark.parametrize(
    "data",
    [
        {},
        {"round": "ROUND"},
        {"status": "under_review"},
        {"category": "digital"},
        {"force": "kent"},
        {"region": "south-east"},
        {"collaboration": "COLLABORATION"},
        {"assigned_to_me": "1"},
        {"conflicts": "1"},
        {"amount": "1m-to-5m"},
        {"amount": "under-250k"},
        {"amount": "1m-to-5m", "sort": "requested"},
        {"sort": "-requested"},
        {"q": "body-worn"},
        {"q": "REFERENCE"},
        {"sort": "title"},
        {"sort": "-reference"},
        {"sort": "-score"},
        {"sort": "status", "status": "submitted"},
    ],
)
def test_every_filter_of_the_queue_is_served_by_an_index(analyst_client, analyst, data):
    """Each query of the page that reads bids or reviews can do so through an index: asked to
    avoid sequential scans, the planner finds a plan without one (on a handful of rows it
    would rather scan; on 50,000 bids it must not have to)."""
    funding_round = FundingRoundFactory()
    collaboration = CollaborationFactory()
    for n, status in enumerate([S.SUBMITTED, S.UNDER_REVIEW, S.UNDER_REVIEW]):
        bid = submitted(
            days_ago=n,
            status=status,
            round=funding_round,
            collaboration=collaboration,
            lead_force=force("kent"),
            title=f"Body-worn video, phase {n}",
            profile={2016: Decimal(100000 + 1900000 * n)},
            moderated_score=Decimal(50 + n),
        )
        ReviewFactory(bid=bid, reviewer=analyst, has_conflict=bool(n % 2))
    values = {
        "ROUND": funding_round.slug,
        "COLLABORATION": collaboration.slug,
        # Part of a reference, as an analyst types it.
        "REFERENCE": bid.reference[-6:],
    }
    data = {key: values.get(value, value) for key, value in data.items()}

    with CaptureQueriesContext(connection) as captured:
        assert analyst_client.get(QUEUE, data).status_code == 200
    queries = [
        query["sql"]
        for query in captured.captured_queries
        if '"bids_bid"' in query["sql"] and not query["sql"].startswith("DECLARE")
    ]
    assert len(queries) == 3  # the counts by status, the page's keys, the page's rows
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for sql in queries:
            cursor.execute(f"EXPLAIN {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "Seq Scan on bids_bid" not in plan, plan
            assert "Seq Scan on bids_review" not in plan, plan
        cursor.execute("RESET enable_seqscan")
