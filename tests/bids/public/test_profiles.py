"""The public profile pages: forces, regions, collaborations, spend categories and awards.

Every figure is worked out here from the factories' amounts, independently of the code under
test, and looked for on the page a visitor reads.
"""

import datetime
import html as htmllib
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bids.models import Bid
from forces.models import Collaboration, Force
from tests.factories import (
    AwardFactory,
    AwardShareFactory,
    BidFactory,
    CollaborationFactory,
    EnvelopeFactory,
    ForceFactory,
    FundingRoundFactory,
    ReviewFactory,
    TrancheFactory,
    UserFactory,
    category,
    force,
)

pytestmark = pytest.mark.django_db

D = Decimal
ZERO = Decimal("0.00")
DECIDED = timezone.make_aware(datetime.datetime(2016, 7, 28, 10, 0))
# People whose names must never reach a public page.
PEOPLE = ["Paddy Tipping", "Charlotte Radford", "Ada Lovelace", "Grace Hopper"]


def text(response) -> str:
    """The page's text without tags and with spaces collapsed: what a reader sees."""
    page = response.content.decode()
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.DOTALL)
    words = htmllib.unescape(re.sub(r"<[^>]+>", " ", page))
    return re.sub(r"\s+", " ", words).replace(" .", ".").replace(" ,", ",")


def row_text(response, label: str) -> str:
    """The text of the first table row whose text contains ``label``."""
    for row in re.findall(r"<tr\b.*?</tr>", response.content.decode(), flags=re.DOTALL):
        words = re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", row))).strip()
        if label in words:
            return words
    raise AssertionError(f"No row with {label!r}")


def tranche(award, year, amount, paid=ZERO, spent=ZERO):
    return TrancheFactory(award=award, financial_year=year, amount=amount, paid=paid, spent=spent)


@pytest.fixture
def money(db):
    """Four published awards (one split 50/30/20 by a collaboration, one split across two
    regions 60/40, two unsplit), an unpublished award and a rejected bid.

    Shares: Nottinghamshire 750,000, Leicestershire 450,000, Northamptonshire 300,000 (East
    Midlands), Kent 300,000 and Hampshire 200,000 (South East), West Yorkshire 60,000
    (Yorkshire) and Lincolnshire 40,000 (East Midlands): 2,100,000 in all.
    """
    approver = UserFactory(first_name="Grace", last_name="Hopper", approver=True)
    published = FundingRoundFactory(
        published=True, name="2016/17 first round", slug="ptf-2016-17-round-1"
    )
    tri_force = CollaborationFactory(
        name="East Midlands tri-force",
        slug="east-midlands-tri-force",
        description="One technology plan for three forces.",
    )
    tri_force.memberships.create(force=force("nottinghamshire"), role="lead")
    tri_force.memberships.create(force=force("leicestershire"), role="partner")
    tri_force.memberships.create(force=force("northamptonshire"), role="partner")

    em_bid = BidFactory(
        reference="PTF-2016-0001",
        round=published,
        approved=True,
        title="East Midlands integrated technology plan",
        summary="One technology platform for three forces.",
        collaboration=tri_force,
        partners=["leicestershire", "northamptonshire"],
    )
    em = AwardFactory(
        bid=em_bid,
        total=D("1500000.00"),
        decided_by=approver,
        decided_at=DECIDED,
        conditions="Report the benefits to the Home Office each year.",
    )
    tranche(em, 2016, D("1000000.00"), paid=D("1000000.00"), spent=D("400000.00"))
    tranche(em, 2017, D("500000.00"))
    for slug, percent in [
        ("nottinghamshire", 50),
        ("leicestershire", 30),
        ("northamptonshire", 20),
    ]:
        AwardShareFactory(award=em, force=force(slug), percent=D(percent))
    ReviewFactory(
        bid=em_bid,
        reviewer=UserFactory(first_name="Ada", last_name="Lovelace", analyst=True),
    )

    kent = AwardFactory(
        bid=BidFactory(
            reference="PTF-2016-0002",
            round=published,
            approved=True,
            lead_force=force("kent"),
            title="Forensic footwear imaging",
            spend_category=category("forensics"),
        ),
        total=D("300000.00"),
        decided_by=approver,
        decided_at=DECIDED,
    )
    tranche(kent, 2016, D("300000.00"), paid=D("300000.00"), spent=D("100000.00"))

    hampshire = AwardFactory(
        bid=BidFactory(
            reference="PTF-2016-0003",
            round=published,
            approved=True,
            lead_force=force("hampshire"),
            partners=["surrey"],
            title="Digital information-sharing platform",
        ),
        total=D("200000.00"),
        decided_by=approver,
        decided_at=DECIDED,
    )
    tranche(hampshire, 2016, D("200000.00"))

    yorkshire = AwardFactory(
        bid=BidFactory(
            reference="PTF-2016-0004",
            round=published,
            approved=True,
            lead_force=force("west-yorkshire"),
            partners=["lincolnshire"],
            title="Crime-scene image transmission",
            spend_category=category("forensics"),
        ),
        total=D("100000.00"),
        decided_by=approver,
        decided_at=DECIDED,
    )
    tranche(yorkshire, 2017, D("100000.00"))
    AwardShareFactory(award=yorkshire, force=force("west-yorkshire"), percent=D(60))
    AwardShareFactory(award=yorkshire, force=force("lincolnshire"), percent=D(40))

    hidden = AwardFactory(
        bid=BidFactory(
            reference="PTF-2017-0099",
            round=FundingRoundFactory(closed=True),
            approved=True,
            title="Secret unpublished plan",
        ),
        total=D("999000.00"),
        decided_by=approver,
    )
    tranche(hidden, 2016, D("999000.00"))
    BidFactory(
        reference="PTF-2016-0098",
        round=published,
        status=Bid.Status.REJECTED,
        title="Rejected drone scheme",
    )

    EnvelopeFactory(round=published, category=category("digital"), amount=D("2000000.00"))
    EnvelopeFactory(round=published, category=category("forensics"), amount=D("400000.00"))
    EnvelopeFactory(
        round=FundingRoundFactory(closed=True),
        category=category("digital"),
        amount=D("7777777.00"),
    )
    return published


def assert_public(page: str):
    """Nothing unpublished, rejected or personal is on the page."""
    for secret in ["Secret unpublished plan", "PTF-2017-0099", "Rejected drone scheme"]:
        assert secret not in page
    for name in PEOPLE:
        assert name not in page
    assert "£999,000" not in page
    assert "£7,777,777" not in page


def per_head(amount: Decimal, slug: str) -> str:
    population = force(slug).population
    return f"£{(amount / population).quantize(D('0.01')):,}"


# --------------------------------------------------------------------------- who sees what

PAGES = [
    ("public:force_list", []),
    ("public:force_detail", ["nottinghamshire"]),
    ("public:region_list", []),
    ("public:region_detail", ["east-midlands"]),
    ("public:collaboration_detail", ["east-midlands-tri-force"]),
    ("public:category_list", []),
    ("public:category_detail", ["digital"]),
    ("public:award_list", []),
    ("public:award_detail", ["PTF-2016-0001"]),
]


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_every_page_is_public_and_shows_only_published_results(client, money, name, args):
    response = client.get(reverse(name, args=args))

    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=60"
    page = text(response)
    assert_public(page)
    assert "About these figures" in page
    assert 'aria-label="Breadcrumb"' in response.content.decode()


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_signed_in_users_see_the_same_pages_built_for_them(
    client, money, office_user, analyst, name, args
):
    for user in (office_user, analyst):
        client.force_login(user)
        response = client.get(reverse(name, args=args))
        assert response.status_code == 200
        assert "private" in response["Cache-Control"]
        assert_public(text(response))


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_pages_are_read_only(client, money, name, args):
    assert client.post(reverse(name, args=args)).status_code == 405


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("public:force_detail", ["atlantis"]),
        ("public:region_detail", ["atlantis"]),
        ("public:collaboration_detail", ["atlantis"]),
        ("public:category_detail", ["atlantis"]),
        ("public:award_detail", ["PTF-1999-0001"]),
        # An approved award of a round whose results are not published yet.
        ("public:award_detail", ["PTF-2017-0099"]),
        # A rejected bid of a published round has no award.
        ("public:award_detail", ["PTF-2016-0098"]),
    ],
)
def test_unknown_or_unpublished_things_are_not_found(client, money, name, args):
    assert client.get(reverse(name, args=args)).status_code == 404


def test_a_second_visitor_is_served_from_the_cache(client, money, django_assert_num_queries):
    url = reverse("public:force_list")
    assert client.get(url)["X-Cache"] == "miss"
    with django_assert_num_queries(0):
        assert client.get(url)["X-Cache"] == "hit"


# --------------------------------------------------------------------------- forces


def test_force_list_attributes_money_by_share(client, money):
    response = client.get(reverse("public:force_list"))

    assert row_text(response, "Nottinghamshire Police").startswith(
        "Nottinghamshire Police Police and Crime Commissioner East Midlands 1 0 £750,000"
    )
    expected = {
        "Nottinghamshire Police": ("1 0", "£750,000", "£200,000"),
        "Leicestershire Police": ("0 1", "£450,000", "£120,000"),
        "Northamptonshire Police": ("0 1", "£300,000", "£80,000"),
        "Kent Police": ("1 0", "£300,000", "£100,000"),
        "Hampshire": ("1 0", "£200,000", "£0"),
        "Surrey Police": ("0 1", "£0", "£0"),
        "West Yorkshire Police": ("1 0", "£60,000", "£0"),
        "Lincolnshire Police": ("0 1", "£40,000", "£0"),
    }
    for name, (counts, allocated, spent) in expected.items():
        row = row_text(response, name)
        assert f" {counts} {allocated} " in row, row
        assert f" {spent} Allocations" in row, row
    kent = force("kent")
    assert per_head(D(300000), "kent") in row_text(response, "Kent Police")
    assert f"population figures from {kent.population_year}" in text(response)


def test_force_totals_add_up_to_the_grand_total(client, money):
    response = client.get(reverse("public:force_list"))

    rows = [row for group in response.context["groups"] for row in group["rows"]]
    assert len(rows) == Force.objects.count() == 46
    assert sum(row.money.allocated for row in rows) == D("2100000.00")
    assert sum(row.money.spent for row in rows) == D("500000.00")
    assert response.context["totals"].allocated == D("2100000.00")
    assert "In all, £2,100,000 has been allocated to 46 forces and bodies" in text(response)
    territorial = response.context["groups"][0]
    assert territorial["label"] == "Territorial forces"
    assert len(territorial["rows"]) == 43
    assert "Total, territorial forces £2,100,000" in text(response)


def test_force_list_totals_round_once_not_force_by_force(client, money):
    # £1,000.01 split 50/50: each force's part is £500.005, shown as £500.01, but the two
    # together are still £1,000.01.
    award = AwardFactory(
        bid=BidFactory(round=money, approved=True, lead_force=force("surrey"), partners=["sussex"]),
        total=D("1000.01"),
    )
    tranche(award, 2016, D("1000.01"))
    AwardShareFactory(award=award, force=force("surrey"), percent=D(50))
    AwardShareFactory(award=award, force=force("sussex"), percent=D(50))

    response = client.get(reverse("public:force_list"))

    rows = {row.force.slug: row for group in response.context["groups"] for row in group["rows"]}
    assert rows["surrey"].money.allocated == rows["sussex"].money.allocated == D("500.01")
    assert (rows["surrey"].awards_led, rows["sussex"].awards_partnered) == (1, 1)
    assert response.context["totals"].allocated == D("2101000.01")
    assert response.context["groups"][0]["totals"].allocated == D("2101000.01")


def test_force_list_groups_national_forces_and_bodies_without_per_head(client, money):
    body = ForceFactory(name="College of Policing", slug="college-of-policing")
    award = AwardFactory(
        bid=BidFactory(round=money, approved=True, lead_force=body, title="Leadership"),
        total=D("50000.00"),
    )
    tranche(award, 2016, D("50000.00"))

    response = client.get(reverse("public:force_list"))

    labels = [group["label"] for group in response.context["groups"]]
    assert labels == ["Territorial forces", "National forces", "National bodies"]
    assert [group["per_head"] for group in response.context["groups"]] == [True, False, False]
    assert row_text(response, "College of Policing").endswith(
        "1 0 £50,000 £0 Allocations of College of Policing"
    )
    assert "Total, national bodies £50,000" in text(response)
    assert row_text(response, "British Transport Police").count("£") == 2


def _names(response):
    return [row.force.name for group in response.context["groups"][:1] for row in group["rows"]]


@pytest.mark.parametrize(
    ("sort", "first", "aria"),
    [
        ("", "Avon and Somerset Constabulary", ("name", "ascending")),
        ("-name", "Wiltshire Police", ("name", "descending")),
        ("-allocated", "Nottinghamshire Police", ("allocated", "descending")),
        ("-spent", "Nottinghamshire Police", ("spent", "descending")),
        ("region", "Derbyshire Constabulary", ("region", "ascending")),
        ("-region", "Humberside Police", ("region", "descending")),
    ],
)
def test_force_list_sorts_on_the_server(client, money, sort, first, aria):
    response = client.get(reverse("public:force_list"), {"sort": sort} if sort else {})

    assert response.status_code == 200
    assert _names(response)[0] == first
    column, direction = aria
    assert response.context["headers"][column]["aria_sort"] == direction
    assert f'aria-sort="{direction}"' in response.content.decode()


ALLOCATED = {
    "nottinghamshire": 750000,
    "leicestershire": 450000,
    "northamptonshire": 300000,
    "kent": 300000,
    "hampshire": 200000,
    "west-yorkshire": 60000,
    "lincolnshire": 40000,
}


def test_force_list_sorts_by_per_head_largest_first(client, money):
    response = client.get(reverse("public:force_list"), {"sort": "-per_head"})

    heads = {slug: D(amount) / force(slug).population for slug, amount in ALLOCATED.items()}
    ranked = sorted(heads, key=heads.get, reverse=True)
    assert _names(response)[: len(ranked)] == [force(slug).name for slug in ranked]
    first = response.context["groups"][0]["rows"][0]
    assert first.per_head == heads[ranked[0]].quantize(D("0.01"))
    assert per_head(D(ALLOCATED[ranked[0]]), ranked[0]) in row_text(response, first.force.name)


def test_sort_links_toggle_the_direction_and_keep_other_parameters(client, money):
    response = client.get(reverse("public:force_list"), {"sort": "-allocated"})

    headers = response.context["headers"]
    assert headers["allocated"]["param"] == "allocated"
    assert headers["name"]["param"] == "name"
    assert headers["spent"]["param"] == "-spent"
    assert 'href="?sort=allocated"' in response.content.decode()


def test_a_bad_sort_is_explained_and_the_forces_stay_in_name_order(client, money):
    response = client.get(reverse("public:force_list"), {"sort": "'; drop table"})

    assert response.status_code == 400
    page = text(response)
    assert "There is a problem" in page
    assert "Sort the table by name, region, allocated, per head or spent." in page
    assert "<title>Error: " in response.content.decode()
    assert _names(response)[0] == "Avon and Somerset Constabulary"


def test_force_page_shows_its_share_of_each_award(client, money):
    response = client.get(reverse("public:force_detail", args=["nottinghamshire"]))

    page = text(response)
    notts = force("nottinghamshire")
    assert "Nottinghamshire Police" in page
    assert "Territorial force" in page
    assert notts.ons_code in page
    assert f"{notts.population:,} ({notts.population_year})" in page
    assert "£750,000.00" in page  # allocated
    assert "£500,000.00" in page  # paid: half of the 2016/17 tranche
    assert "£200,000.00" in page  # spent
    assert per_head(D(750000), "nottinghamshire") in page
    row = row_text(response, "PTF-2016-0001")
    assert (
        "East Midlands integrated technology plan Lead Nottinghamshire Police 2016/17 first round"
        " Digital 50% £750,000 £200,000" in row
    )
    assert row_text(response, "2016/17 £500,000") == "2016/17 £500,000 £500,000 £200,000 40%"
    assert row_text(response, "2017/18") == "2017/18 £250,000 £0 £0 0%"
    assert "Nottinghamshire Police leads 1 published award and is a partner in 0." in page
    assert "is a partner in no published award" in page
    assert "East Midlands tri-force (lead)" in page
    content = response.content.decode()
    assert 'href="/collaborations/east-midlands-tri-force/"' in content
    assert f'href="{reverse("public:allocations")}?force=nottinghamshire"' in content
    assert f'href="{reverse("public:allocations_csv")}?force=nottinghamshire"' in content
    assert f'href="{reverse("public:award_detail", args=["PTF-2016-0001"])}"' in content
    assert_public(page)


def test_partner_pages_show_their_share_or_none(client, money):
    leics = text(client.get(reverse("public:force_detail", args=["leicestershire"])))
    assert "£450,000.00" in leics
    assert "has led no bid with a published award" in leics
    assert "Nottinghamshire Police 2016/17 first round Digital 30% £450,000 £120,000" in leics

    surrey = client.get(reverse("public:force_detail", args=["surrey"]))
    row = row_text(surrey, "PTF-2016-0003")
    assert row.endswith("Hampshire Constabulary 2016/17 first round Digital — No share £0 £0")
    assert "Surrey Police has no share in any published award yet." in text(surrey)


def test_a_national_force_has_no_per_head_figure(client, money):
    response = client.get(reverse("public:force_detail", args=["btp"]))

    page = text(response)
    assert response.context["per_head"] is None
    assert "Per head" not in page.split("About these figures")[0]
    assert "No area of its own" in page


# --------------------------------------------------------------------------- regions


def test_region_list_adds_up_to_the_total(client, money):
    response = client.get(reverse("public:region_list"))

    rows = {row.region.slug: row for row in response.context["rows"]}
    assert len(rows) == 11
    assert rows["east-midlands"].money.allocated == D("1540000.00")
    assert rows["south-east"].money.allocated == D("500000.00")
    assert rows["yorkshire-and-the-humber"].money.allocated == D("60000.00")
    assert sum(row.money.allocated for row in rows.values()) == D("2100000.00")
    assert "Total £2,100,000 £1,300,000 £500,000" in text(response)
    assert row_text(response, "East Midlands").startswith("East Midlands 5 ")


def test_region_page_lists_its_forces_years_categories_and_awards(client, money):
    response = client.get(reverse("public:region_detail", args=["east-midlands"]))

    page = text(response)
    force_rows = response.context["force_rows"]
    assert sum(row.money.allocated for row in force_rows) == D("1540000.00")
    assert "Total £1,540,000" in page
    assert row_text(response, "Lincolnshire Police").startswith("Lincolnshire Police 0 1 £40,000")
    assert row_text(response, "2016/17") == "2016/17 £1,000,000 £1,000,000 £400,000 40%"
    assert row_text(response, "2017/18") == "2017/18 £540,000 £0 £0 0%"
    assert row_text(response, "Forensics") == "Forensics £40,000 £0 £0"
    assert row_text(response, "PTF-2016-0004").endswith("£40,000 £0")
    assert "PTF-2016-0002" not in page
    assert 'href="/allocations/?region=east-midlands"' in response.content.decode()
    assert_public(page)


# --------------------------------------------------------------------------- collaborations


def test_collaboration_page_shows_members_awards_and_totals(client, money):
    response = client.get(reverse("public:collaboration_detail", args=["east-midlands-tri-force"]))

    page = text(response)
    assert "One technology plan for three forces." in page
    assert row_text(response, "Nottinghamshire Police") == (
        "Nottinghamshire Police Lead £750,000 £500,000 £200,000"
    )
    assert row_text(response, "Leicestershire Police") == (
        "Leicestershire Police Partner £450,000 £300,000 £120,000"
    )
    assert row_text(response, "Northamptonshire Police").startswith(
        "Northamptonshire Police Partner £300,000"
    )
    assert "Total £1,500,000 £1,000,000 £400,000" in page
    assert "PTF-2016-0001" in page
    assert "PTF-2016-0002" not in page
    assert_public(page)


def test_a_collaboration_without_published_awards_says_so(client, money):
    CollaborationFactory(slug="new-partnership", name="New partnership")

    page = text(client.get(reverse("public:collaboration_detail", args=["new-partnership"])))

    assert "No bid made by or through this collaboration has a published award yet." in page


# --------------------------------------------------------------------------- categories


def test_category_list_shows_set_aside_allocated_and_the_gap(client, money):
    response = client.get(reverse("public:category_list"))

    assert row_text(response, "Digital").endswith("2 £2,000,000 £1,700,000 £300,000 £400,000 24%")
    assert row_text(response, "Forensics").endswith("2 £400,000 £400,000 £0 £100,000 25%")
    assert row_text(response, "Armed policing").endswith("0 £0 £0 £0 £0 — Nothing allocated")
    assert "Total £2,400,000 £2,100,000 £300,000 £500,000 24%" in text(response)
    assert row_text(response, "2016/17") == "2016/17 £2,400,000 £1,500,000 £900,000 £500,000 33%"
    assert row_text(response, "2017/18") == "2017/18 £0 £600,000 -£600,000 £0 0%"
    assert_public(text(response))


def test_category_page_lists_its_years_and_awards(client, money):
    response = client.get(reverse("public:category_detail", args=["digital"]))

    page = text(response)
    assert "Digital programmes" in page
    assert row_text(response, "2016/17") == "2016/17 £2,000,000 £1,200,000 £800,000 £400,000 33%"
    assert "PTF-2016-0001" in page
    assert "PTF-2016-0003" in page
    assert "PTF-2016-0002" not in page
    assert row_text(response, "PTF-2016-0001").endswith("£1,500,000 £1,000,000 £400,000")
    assert 'href="/allocations/?category=digital"' in response.content.decode()
    assert_public(page)


# --------------------------------------------------------------------------- awards


def _references(response):
    return [award.bid.reference for award in response.context["awards"]]


def test_award_list_shows_published_awards_with_count_and_totals(client, money):
    response = client.get(reverse("public:award_list"))

    page = text(response)
    assert _references(response) == [f"PTF-2016-000{n}" for n in (1, 2, 3, 4)]
    assert "4 awards" in page
    assert "£2,100,000 allocated, £1,300,000 paid and £500,000 spent." in page
    assert "with Leicestershire, Northamptonshire" in page
    assert_public(page)


@pytest.mark.parametrize(
    ("params", "references", "allocated"),
    [
        ({"force": "leicestershire"}, ["PTF-2016-0001"], "£450,000"),
        ({"region": "east-midlands"}, ["PTF-2016-0001", "PTF-2016-0004"], "£1,540,000"),
        ({"category": "forensics"}, ["PTF-2016-0002", "PTF-2016-0004"], "£400,000"),
        ({"financial_year": "2017"}, ["PTF-2016-0001", "PTF-2016-0004"], "£600,000"),
        ({"round": "ptf-2016-17-round-1"}, [f"PTF-2016-000{n}" for n in (1, 2, 3, 4)], None),
        ({"fund": "police-transformation-fund"}, [f"PTF-2016-000{n}" for n in (1, 2, 3, 4)], None),
        ({"q": "integrated"}, ["PTF-2016-0001"], "£1,500,000"),
        ({"q": "kent"}, ["PTF-2016-0002"], "£300,000"),
        ({"q": "surrey"}, ["PTF-2016-0003"], "£200,000"),
        ({"q": "ptf-2016-0004"}, ["PTF-2016-0004"], "£100,000"),
        ({"q": "secret unpublished"}, [], "£0"),
        ({"q": "integrated", "force": "kent"}, [], "£0"),
    ],
)
def test_award_list_filters_and_searches(client, money, params, references, allocated):
    response = client.get(reverse("public:award_list"), params)

    assert response.status_code == 200
    assert _references(response) == references
    if allocated:
        assert f"{allocated} allocated" in text(response)
    if not references:
        assert "No published award matches." in text(response)


def test_award_list_with_a_force_shows_its_part(client, money):
    response = client.get(reverse("public:award_list"), {"force": "leicestershire"})

    assert row_text(response, "PTF-2016-0001").endswith("£450,000 £120,000")
    assert "force: Leicestershire Police" in text(response)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"force": "atlantis"}, "“atlantis” is not a force: choose a force from the list."),
        ({"region": "x' OR 1=1"}, "“x' OR 1=1” is not a region: choose a region from the list."),
        ({"category": "cakes"}, "“cakes” is not a spend category"),
        ({"financial_year": "1999"}, "“1999” is not a financial year with published awards"),
        ({"financial_year": "abc"}, "“abc” is not a financial year"),
        ({"round": "ptf-2017-round-9"}, "is not a funding round with published results"),
        ({"fund": "x" * 300}, "is not a fund"),
        ({"q": "word " * 50}, "Search for 200 characters or fewer."),
    ],
)
def test_award_list_explains_bad_parameters(client, money, params, message):
    response = client.get(reverse("public:award_list"), params)

    assert response.status_code == 400
    page = text(response)
    assert "There is a problem" in page
    assert message in page
    assert "awards" not in response.context or response.context.get("awards") is None
    assert "PTF-2016-0001" not in page


def test_award_list_with_a_bad_sort_still_lists_in_reference_order(client, money):
    response = client.get(reverse("public:award_list"), {"sort": "secret"})

    assert response.status_code == 400
    assert "Sort the table by reference, title, lead force, decided or allocated." in text(response)
    assert _references(response)[0] == "PTF-2016-0001"


@pytest.mark.parametrize(
    ("sort", "first"),
    [
        ("-reference", "PTF-2016-0004"),
        ("title", "PTF-2016-0004"),  # Crime-scene image transmission
        ("lead", "PTF-2016-0003"),  # Hampshire Constabulary
        ("-allocated", "PTF-2016-0001"),
        ("allocated", "PTF-2016-0004"),
    ],
)
def test_award_list_sorts(client, money, sort, first):
    response = client.get(reverse("public:award_list"), {"sort": sort})

    assert _references(response)[0] == first


def test_award_list_pages_by_fifty(client, money):
    for n in range(47):
        award = AwardFactory(
            bid=BidFactory(round=money, approved=True, reference=f"PTF-2016-{n + 10:04d}")
        )
        tranche(award, 2016, D("1000.00"))

    first = client.get(reverse("public:award_list"))
    second = client.get(reverse("public:award_list"), {"page": "2"})
    beyond = client.get(reverse("public:award_list"), {"page": "99"})
    nonsense = client.get(reverse("public:award_list"), {"page": "abc"})

    assert len(_references(first)) == 50
    assert "51 awards" in text(first)
    assert "1 to 50 of 51" in text(first)
    assert _references(second) == ["PTF-2016-0056"]
    assert _references(beyond) == ["PTF-2016-0056"]
    assert len(_references(nonsense)) == 50


def test_award_page_shows_the_award(client, money):
    response = client.get(reverse("public:award_detail", args=["PTF-2016-0001"]))

    page = text(response)
    assert "East Midlands integrated technology plan" in page
    assert "One technology platform for three forces." in page
    assert "Lead force Nottinghamshire Police" in page
    assert "Partner forces Leicestershire Police Northamptonshire Police" in page
    assert "Collaboration East Midlands tri-force" in page
    assert "Spend category Digital" in page
    assert "Fund Police Transformation Fund" in page
    assert "Funding round 2016/17 first round (2016/17 to 2017/18)" in page
    assert "Decided on 28 July 2016" in page
    assert "Conditions Report the benefits to the Home Office each year." in page
    assert row_text(response, "2016/17") == (
        "2016/17 Released £1,000,000.00 £1,000,000.00 £400,000.00 40%"
    )
    assert row_text(response, "2017/18") == "2017/18 Released £500,000.00 £0.00 £0.00 0%"
    assert "Total £1,500,000.00 £1,000,000.00 £400,000.00 27%" in page
    assert "£400,000.00 of £1,500,000.00 spent (27%)." in page
    assert row_text(response, "Nottinghamshire Police Lead") == (
        "Nottinghamshire Police Lead 50% £750,000.00 £500,000.00 £200,000.00"
    )
    assert row_text(response, "Leicestershire Police Partner") == (
        "Leicestershire Police Partner 30% £450,000.00 £300,000.00 £120,000.00"
    )
    assert row_text(response, "Northamptonshire Police Partner") == (
        "Northamptonshire Police Partner 20% £300,000.00 £200,000.00 £80,000.00"
    )
    assert_public(page)


def test_an_unsplit_award_counts_wholly_for_its_lead(client, money):
    response = client.get(reverse("public:award_detail", args=["PTF-2016-0003"]))

    assert row_text(response, "Hampshire Constabulary Lead") == (
        "Hampshire Constabulary Lead 100% £200,000.00 £0.00 £0.00"
    )
    assert row_text(response, "Surrey Police Partner") == (
        "Surrey Police Partner — No share £0.00 £0.00 £0.00"
    )
    assert "Conditions" not in text(response).split("Money")[0]


# --------------------------------------------------------------------------- queries


def _awards(round_, count, start=100):
    """``count`` more awards, each split 70/30 between Kent and Surrey, with two tranches."""
    for n in range(count):
        bid = BidFactory(
            round=round_,
            approved=True,
            lead_force=force("kent"),
            partners=["surrey"],
            title="Shared custody plan",
            reference=f"PTF-2016-{n + start:04d}",
        )
        award = AwardFactory(bid=bid, total=D("3000.00"))
        tranche(award, 2016, D("1000.00"), paid=D("1000.00"))
        tranche(award, 2017, D("2000.00"))
        AwardShareFactory(award=award, force=force("kent"), percent=D(70))
        AwardShareFactory(award=award, force=force("surrey"), percent=D(30))


# --------------------------------------------------------------------------- paged award lists


def _listed(response) -> list[str]:
    """The references of the awards listed on the page, in order."""
    return re.findall(r'href="/awards/(PTF-\d{4}-\d{4})/"', response.content.decode())


# Each profile with 60 more awards: the page, and what its totals must still count.
PAGED_PROFILES = [
    # Kent's 70 % of 60 awards of £3,000, and its own £300,000.
    ("public:force_detail", ["kent"], 61, D("426000.00"), "Showing 1 to 50 of 61,"),
    # Surrey's 30 % of them; it leads none.
    ("public:force_detail", ["surrey"], 61, D("54000.00"), "Showing 1 to 50 of 61,"),
    # Kent's and Surrey's parts, Hampshire's £200,000 and Kent's £300,000.
    ("public:region_detail", ["south-east"], 62, D("680000.00"), "Showing 1 to 50 of 62 awards"),
    # The 60 new awards are digital, like the East Midlands plan and Hampshire's platform.
    ("public:category_detail", ["digital"], 62, D("1880000.00"), "Awards (62): 1 to 50"),
]


@pytest.mark.parametrize(("name", "args", "awards", "allocated", "showing"), PAGED_PROFILES)
def test_profile_award_lists_are_paged_and_totals_count_every_award(
    client, money, name, args, awards, allocated, showing
):
    _awards(money, 60)
    url = reverse(name, args=args)

    first = client.get(url)
    second = client.get(url, {"page": "2"})

    listed = _listed(first)
    assert len(listed) == 50
    rest = _listed(second)
    assert len(rest) == awards - 50
    assert not set(listed) & set(rest)
    assert showing in text(first)
    assert 'href="?page=2" rel="next"' in first.content.decode()
    # The totals are the profile's, whichever page is shown.
    for response in (first, second):
        totals = response.context.get("totals") or response.context["total"].money
        assert totals.allocated == allocated
    # A page past the end shows the last one.
    assert _listed(client.get(url, {"page": "99"})) == rest


def test_collaboration_awards_are_paged(client, money):
    tri_force = Collaboration.objects.get(slug="east-midlands-tri-force")
    _awards(money, 55)
    Bid.objects.filter(reference__gte="PTF-2016-0100").update(collaboration=tri_force)
    url = reverse("public:collaboration_detail", args=["east-midlands-tri-force"])

    first, second = client.get(url), client.get(url, {"page": "2"})

    assert len(_listed(first)) == 50
    assert len(_listed(second)) == 6
    assert "Awards (56): 1 to 50, newest round first" in text(first)
    # Its totals count every award of the collaboration: £1,500,000 and 55 × £3,000.
    assert first.context["totals"].allocated == D("1665000.00")
    assert second.context["totals"].allocated == D("1665000.00")


# The most queries each page may make (anonymous, cache empty), whatever the number of awards.
# A paged list of awards takes two: the page's keys, then those awards with what they show.
QUERY_PAGES = [
    ("public:force_list", [], {}, 3),
    ("public:force_detail", ["kent"], {}, 7),
    ("public:force_detail", ["surrey"], {}, 7),
    ("public:region_list", [], {}, 3),
    ("public:region_detail", ["south-east"], {}, 13),
    ("public:collaboration_detail", ["east-midlands-tri-force"], {}, 9),
    ("public:category_list", [], {}, 8),
    ("public:category_detail", ["digital"], {}, 8),
    ("public:award_list", [], {}, 11),
    ("public:award_list", [], {"force": "kent", "financial_year": "2016", "q": "plan"}, 13),
    ("public:award_detail", ["PTF-2016-0100"], {}, 6),
]


def _count_queries(client, url, params) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


@pytest.mark.parametrize(("name", "args", "params", "limit"), QUERY_PAGES)
def test_query_counts_do_not_grow_with_the_awards(
    client, money, django_assert_max_num_queries, name, args, params, limit
):
    url = reverse(name, args=args)
    _awards(money, 3)
    with_3 = _count_queries(client, url, params)
    _awards(money, 27, start=200)
    cache.clear()

    with django_assert_max_num_queries(limit):
        response = client.get(url, params)

    assert response.status_code == 200
    assert _count_queries(client, url, params) == with_3
