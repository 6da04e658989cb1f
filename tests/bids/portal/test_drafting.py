"""The portal's drafting pages: who may see them, what each section saves, and submission."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import resolve, reverse
from django.utils import timezone

from bids import services
from bids.models import Bid, BidEvent, FundingLine
from bids.views.portal.drafting import StartView
from forces.models import CollaborationMembership
from tests.factories import (
    BidFactory,
    CollaborationFactory,
    DocumentFactory,
    FundingRoundFactory,
    category,
    force,
)

pytestmark = pytest.mark.django_db

DRAFT_PAGES = ["task_list", "about", "involved", "funding", "signoffs", "check"]


@pytest.fixture
def open_round():
    """An open two-year round, 2027/28 and 2028/29."""
    return FundingRoundFactory(
        name="2027/28 round 1", slug="ptf-2027", first_financial_year=2027, last_financial_year=2028
    )


@pytest.fixture
def draft(open_round):
    """A Nottinghamshire draft with nothing but its title, as the start page leaves it."""
    return BidFactory(
        round=open_round,
        reference="PTF-2027-0001",
        title="East Midlands integrated technology plan",
        summary="",
        case_for_change="",
        spend_category=None,
        bid_type="",
        pcc_signoff_name="",
        pcc_signoff_date=None,
        cfo_signoff_name="",
        cfo_signoff_date=None,
        profile={},
    )


@pytest.fixture
def complete_draft(open_round):
    """A Nottinghamshire draft with every answer, ready to submit."""
    return BidFactory(
        round=open_round,
        reference="PTF-2027-0002",
        profile={2027: Decimal("2240000.00"), 2028: Decimal("3500000.00")},
        partners=["leicestershire"],
    )


@pytest.fixture
def east_midlands():
    collaboration = CollaborationFactory(name="East Midlands tri-force")
    for slug, role in [
        ("nottinghamshire", CollaborationMembership.Role.LEAD),
        ("leicestershire", CollaborationMembership.Role.PARTNER),
        ("northamptonshire", CollaborationMembership.Role.PARTNER),
    ]:
        CollaborationMembership.objects.create(
            collaboration=collaboration, force=force(slug), role=role
        )
    return collaboration


def url(name: str, bid: Bid | None = None) -> str:
    return reverse(f"portal:{name}", args=[bid.reference] if bid else [])


def snapshot(bid: Bid) -> dict:
    """Everything a section page can change, and the history that any change would add."""
    bid = Bid.objects.get(pk=bid.pk)
    return {
        "fields": {
            name: getattr(bid, name)
            for name in [
                "title",
                "summary",
                "case_for_change",
                "bid_type",
                "spend_category_id",
                "collaboration_id",
                "local_match_contribution",
                "pcc_signoff_name",
                "pcc_signoff_date",
                "cfo_signoff_name",
                "cfo_signoff_date",
                "status",
            ]
        },
        "lines": list(bid.funding_lines.values_list("financial_year", "amount")),
        "partners": sorted(bid.partner_forces.values_list("slug", flat=True)),
        "history": bid.history.count(),
        "events": bid.events.count(),
    }


def error_summary(response) -> list[str]:
    """The error summary's items, as a user reads them."""
    html = response.content.decode()
    summary = re.search(r'<div class="govuk-error-summary".*?</ul>', html, re.S)
    assert summary, "no error summary on the page"
    items = re.findall(r"<li>(.*?)</li>", summary.group(0), re.S)
    return [re.sub(r"<[^>]+>", "", item).strip() for item in items]


def assert_error_page(response, *messages: str):
    assert response.status_code == 200
    assert "<title>Error: " in response.content.decode()
    assert error_summary(response) == list(messages)


# --------------------------------------------------------------------------- who may see what


@pytest.mark.parametrize("page", DRAFT_PAGES)
def test_the_lead_office_sees_each_page_of_its_draft(client, office_user, draft, page):
    client.force_login(office_user)

    response = client.get(url(page, draft))

    assert response.status_code == 200
    assert draft.reference in response.content.decode()


@pytest.mark.parametrize("page", DRAFT_PAGES)
def test_a_partner_office_gets_404_for_a_draft(client, partner_office_user, open_round, page):
    bid = BidFactory(round=open_round, partners=["leicestershire"])
    client.force_login(partner_office_user)

    assert client.get(url(page, bid)).status_code == 404
    assert client.post(url(page, bid), {"title": "Hijacked"}).status_code == 404
    assert Bid.objects.get(pk=bid.pk).title != "Hijacked"


@pytest.mark.parametrize("page", DRAFT_PAGES)
def test_a_partner_office_is_sent_to_the_read_only_page_of_a_submitted_bid(
    client, partner_office_user, open_round, page
):
    bid = BidFactory(round=open_round, partners=["leicestershire"], submitted=True)
    client.force_login(partner_office_user)

    response = client.post(url(page, bid), {"title": "Hijacked"})

    assert response.status_code == 302
    assert response["Location"] == url("bid", bid)
    assert Bid.objects.get(pk=bid.pk).title != "Hijacked"


@pytest.mark.parametrize("page", DRAFT_PAGES)
def test_the_lead_office_is_sent_to_the_bid_page_once_it_is_submitted(
    client, office_user, open_round, page
):
    bid = BidFactory(round=open_round, submitted=True)
    client.force_login(office_user)

    response = client.get(url(page, bid))

    assert response.status_code == 302
    assert response["Location"] == url("bid", bid)


@pytest.mark.parametrize("page", [*DRAFT_PAGES, "submitted"])
def test_another_forces_office_gets_404(client, other_office_user, open_round, page):
    draft = BidFactory(round=open_round)
    submitted = BidFactory(round=open_round, submitted=True)
    client.force_login(other_office_user)

    assert client.get(url(page, draft)).status_code == 404
    assert client.get(url(page, submitted)).status_code == 404
    if page != "submitted":
        assert client.post(url(page, draft), {"title": "Hijacked"}).status_code == 404


def test_an_unknown_reference_is_404(client, office_user, open_round):
    client.force_login(office_user)

    assert client.get(reverse("portal:task_list", args=["PTF-2027-9999"])).status_code == 404


@pytest.mark.parametrize("page", [*DRAFT_PAGES, "submitted", "start"])
def test_an_analyst_is_told_the_portal_is_for_offices(client, analyst, open_round, page):
    bid = BidFactory(round=open_round, submitted=page == "submitted")
    client.force_login(analyst)

    response = client.get(url(page, None if page == "start" else bid))

    assert response.status_code == 403
    assert "The portal is for police and crime commissioners" in response.content.decode()


@pytest.mark.parametrize("page", [*DRAFT_PAGES, "submitted", "start"])
def test_anyone_signed_out_is_sent_to_sign_in(client, open_round, page):
    bid = BidFactory(round=open_round, submitted=page == "submitted")
    address = url(page, None if page == "start" else bid)

    response = client.get(address)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={address}"


# --------------------------------------------------------------------------- start


def test_the_start_address_is_not_taken_for_a_bid_reference():
    # bids/start/ has the shape of a bid's own page, bids/<reference>/, mounted before it.
    assert resolve(reverse("portal:start")).func.view_class is StartView


def test_start_lists_open_rounds_with_their_closing_dates(
    client, office_user, open_round, django_assert_max_num_queries
):
    FundingRoundFactory(name="Closed round", closed=True)
    client.force_login(office_user)

    with django_assert_max_num_queries(5):
        response = client.get(url("start"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Police Transformation Fund: 2027/28 round 1 (2027/28 to 2028/29), closes at" in html
    closes = timezone.localtime(open_round.closes_at)
    assert f"on {closes.day} {closes:%B %Y}" in html
    assert "Closed round" not in html


def test_start_says_so_when_no_round_is_open(client, office_user):
    FundingRoundFactory(closed=True)
    client.force_login(office_user)

    html = client.get(url("start")).content.decode()

    assert "No funding round is open for bids" in html
    assert "<form" not in html.split('id="main-content"')[1]


def test_start_preselects_the_round_named_in_the_address(client, office_user, open_round):
    FundingRoundFactory(name="Another open round")
    client.force_login(office_user)

    html = client.get(f"{url('start')}?round={open_round.slug}").content.decode()

    assert re.search(rf'value="{open_round.pk}" checked', html)


def test_start_creates_a_draft_with_the_next_reference(client, office_user, open_round):
    BidFactory(round=open_round, reference="PTF-2027-0003", lead_force=force("kent"))
    client.force_login(office_user)

    response = client.post(url("start"), {"round": open_round.pk, "title": "  Shared ANPR  "})

    bid = Bid.objects.get(reference="PTF-2027-0004")
    assert response.status_code == 302
    assert response["Location"] == url("task_list", bid)
    assert (bid.title, bid.status, bid.lead_force, bid.round) == (
        "Shared ANPR",
        Bid.Status.DRAFT,
        force("nottinghamshire"),
        open_round,
    )
    assert bid.created_by == office_user
    assert bid.events.get().action == BidEvent.Action.CREATED


@pytest.mark.parametrize(
    ("data", "messages"),
    [
        ({}, ["Select the funding round you are bidding to", "Enter a title for the bid"]),
        ({"round": "ROUND", "title": "   "}, ["Enter a title for the bid"]),
        ({"round": "CLOSED", "title": "A bid"}, ["Select a funding round that is open for bids"]),
        ({"round": "nonsense", "title": "A bid"}, ["Select a funding round that is open for bids"]),
        ({"round": "ROUND", "title": "x" * 251}, ["Title must be 250 characters or fewer"]),
    ],
)
def test_start_refuses_bad_input_and_creates_nothing(
    client, office_user, open_round, data, messages
):
    closed = FundingRoundFactory(closed=True)
    data = {
        key: {"ROUND": open_round.pk, "CLOSED": closed.pk}.get(value, value)
        for key, value in data.items()
    }
    client.force_login(office_user)

    response = client.post(url("start"), data)

    assert_error_page(response, *messages)
    assert not Bid.objects.exists()


def test_start_refuses_a_round_that_closed_since_the_page_was_shown(
    client, office_user, open_round
):
    client.force_login(office_user)
    response = client.get(url("start"))
    assert response.status_code == 200
    open_round.status = open_round.Status.CLOSED
    open_round.save()

    response = client.post(url("start"), {"round": open_round.pk, "title": "A bid"})

    assert_error_page(response, "Select a funding round that is open for bids")
    assert not Bid.objects.exists()


# --------------------------------------------------------------------------- task list


def test_task_list_shows_each_section_with_its_status(
    client, office_user, draft, django_assert_max_num_queries
):
    client.force_login(office_user)

    with django_assert_max_num_queries(7):
        response = client.get(url("task_list", draft))

    html = response.content.decode()
    statuses = dict(
        re.findall(
            r'class="govuk-link govuk-task-list__link" href="[^"]*"[^>]*>([^<]+)</a>.*?'
            r'class="govuk-task-list__status[^"]*"[^>]*>\s*(?:<strong[^>]*>)?([^<]+?)\s*<',
            html,
            re.S,
        )
    )
    assert statuses == {
        "About the bid": "In progress",
        "Who is involved": "Not started",
        "Funding profile": "Not started",
        "Documents": "Not started",
        "Sign-offs": "Not started",
        "Check your answers and submit": "Cannot submit yet",
    }
    assert f'href="{url("documents", draft)}"' in html
    assert f'href="{url("check", draft)}"' in html
    assert "You can leave and come back: your answers are saved." in html
    assert "You have completed 0 of 3 required sections." in html
    closes = timezone.localtime(draft.round.closes_at)
    days = (closes.date() - timezone.localdate()).days
    assert f"on {closes.day} {closes:%B %Y}" in html
    assert f"{days} days left" in html


def test_task_list_marks_sections_completed(
    client, office_user, complete_draft, django_assert_max_num_queries
):
    DocumentFactory(bid=complete_draft)
    client.force_login(office_user)

    with django_assert_max_num_queries(7):
        html = client.get(url("task_list", complete_draft)).content.decode()

    assert "You have completed 3 of 3 required sections." in html
    assert html.count('id="task-about-status">\n    Completed') == 1
    for section in ["involved", "funding", "documents", "signoffs"]:
        assert f'id="task-{section}-status">\n    Completed' in html
    assert "Total requested: £5,740,000.00" in html
    assert "Cannot submit yet" not in html


def test_task_list_warns_when_the_round_has_closed(client, office_user):
    bid = BidFactory(round=FundingRoundFactory(closed=True))
    client.force_login(office_user)

    html = client.get(url("task_list", bid)).content.decode()

    assert "so you cannot submit this bid" in html
    assert "Cannot submit yet" in html


# --------------------------------------------------------------------------- about the bid


def test_about_saves_the_answers_given_even_if_some_are_missing(
    client, office_user, draft, django_assert_max_num_queries
):
    client.force_login(office_user)
    with django_assert_max_num_queries(5):
        assert client.get(url("about", draft)).status_code == 200

    response = client.post(
        url("about", draft),
        {"title": "Shared ANPR", "summary": "Cameras shared by three forces.", "bid_type": ""},
    )

    assert response.status_code == 302
    assert response["Location"] == url("task_list", draft)
    draft.refresh_from_db()
    assert (draft.title, draft.summary, draft.case_for_change, draft.bid_type) == (
        "Shared ANPR",
        "Cameras shared by three forces.",
        "",
        "",
    )
    assert draft.history.first().history_user == office_user


def test_about_saves_every_answer(client, office_user, draft):
    client.force_login(office_user)

    client.post(
        url("about", draft),
        {
            "title": "Shared ANPR",
            "summary": "Cameras.",
            "case_for_change": "Three systems.",
            "bid_type": Bid.BidType.PROOF_OF_CONCEPT,
            "spend_category": category("digital").pk,
        },
    )

    draft.refresh_from_db()
    assert draft.bid_type == Bid.BidType.PROOF_OF_CONCEPT
    assert draft.spend_category == category("digital")
    assert not [p for p in services.bid_submission_problems(draft) if p.section == "about"]


@pytest.mark.parametrize(
    ("data", "messages"),
    [
        ({"title": ""}, ["Enter a title for the bid"]),
        ({"title": "x" * 251}, ["Title must be 250 characters or fewer"]),
        ({"title": "A", "bid_type": "cheap"}, ["Select the bid type from the list"]),
        ({"title": "A", "spend_category": "999999"}, ["Select the spend category from the list"]),
    ],
)
def test_about_refuses_bad_input_and_changes_nothing(client, office_user, draft, data, messages):
    client.force_login(office_user)
    before = snapshot(draft)

    response = client.post(url("about", draft), {"summary": "Lost?", **data})

    assert_error_page(response, *messages)
    # The answers typed are shown again, for the user to correct.
    assert "Lost?" in response.content.decode()
    assert snapshot(draft) == before


def test_about_links_each_error_to_its_field(client, office_user, draft):
    client.force_login(office_user)

    html = client.post(url("about", draft), {"title": ""}).content.decode()

    assert '<a href="#id_title">Enter a title for the bid</a>' in html
    assert 'id="id_title_error"' in html


# --------------------------------------------------------------------------- who is involved


def test_involved_offers_the_forces_collaborations_and_the_other_forces(
    client, office_user, draft, east_midlands, django_assert_max_num_queries
):
    CollaborationFactory(name="Not ours")
    draft.partner_forces.add(force("leicestershire"))
    client.force_login(office_user)

    with django_assert_max_num_queries(8):
        response = client.get(url("involved", draft))

    html = response.content.decode()
    assert "East Midlands tri-force" in html
    assert "Leicestershire Police, Northamptonshire Police, Nottinghamshire Police" in html
    assert "Not ours" not in html
    select = re.search(r'<select name="partner".*?</select>', html, re.S).group(0)
    options = re.findall(r'<option value="(\d+)"', select)
    # All 46 forces less the lead and the partner already named.
    assert len(options) == 44
    assert str(force("nottinghamshire").pk) not in options
    assert 'data-module="app-autocomplete"' in select
    assert 'Remove<span class="govuk-visually-hidden"> Leicestershire Police</span>' in html
    assert "build/js/accessible-autocomplete.min.js" in html


def test_involved_adds_partners_one_at_a_time_and_stays_on_the_page(
    client, office_user, draft, east_midlands
):
    client.force_login(office_user)

    first = client.post(
        url("involved", draft),
        {"collaboration": east_midlands.pk, "partner": force("leicestershire").pk, "action": "add"},
    )
    client.post(
        url("involved", draft),
        {
            "collaboration": east_midlands.pk,
            "partner": force("northamptonshire").pk,
            "action": "add",
        },
    )

    assert first.status_code == 302
    assert first["Location"] == url("involved", draft)
    draft.refresh_from_db()
    assert draft.collaboration == east_midlands
    assert sorted(draft.partner_forces.values_list("slug", flat=True)) == [
        "leicestershire",
        "northamptonshire",
    ]
    html = client.get(url("involved", draft)).content.decode()
    assert "Added as partner forces: Northamptonshire Police." in html


def test_involved_removes_a_partner(client, office_user, draft):
    draft.partner_forces.add(force("leicestershire"), force("northamptonshire"))
    client.force_login(office_user)

    response = client.post(url("involved", draft), {"remove": force("leicestershire").pk})

    assert response.status_code == 302
    assert list(draft.partner_forces.values_list("slug", flat=True)) == ["northamptonshire"]
    assert (
        "Leicestershire Police is no longer a partner force."
        in client.get(response["Location"]).content.decode()
    )


def test_involved_adds_the_members_of_the_collaboration_and_continues(
    client, office_user, draft, east_midlands
):
    client.force_login(office_user)

    response = client.post(
        url("involved", draft),
        {"collaboration": east_midlands.pk, "add_members": "on", "action": "save"},
    )

    assert response.status_code == 302
    assert response["Location"] == url("task_list", draft)
    # The lead force is a member, but never its own partner.
    assert sorted(draft.partner_forces.values_list("slug", flat=True)) == [
        "leicestershire",
        "northamptonshire",
    ]


def test_involved_save_also_adds_a_force_chosen_but_not_added(
    client, office_user, draft, east_midlands
):
    client.force_login(office_user)

    client.post(
        url("involved", draft),
        {"collaboration": "none", "partner": force("kent").pk, "action": "save"},
    )

    draft.refresh_from_db()
    assert draft.collaboration is None
    assert list(draft.partner_forces.values_list("slug", flat=True)) == ["kent"]


def test_involved_without_a_collaboration_of_the_force(client, office_user, draft):
    client.force_login(office_user)

    html = client.get(url("involved", draft)).content.decode()
    response = client.post(url("involved", draft), {"action": "save"})

    assert "is not a member of any collaboration" in html
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("data", "messages"),
    [
        ({"action": "add"}, ["Select the force to add as a partner"]),
        ({"action": "add", "partner": "LEAD"}, ["Select a force from the list"]),
        ({"action": "add", "partner": "PARTNER"}, ["Select a force from the list"]),
        ({"action": "add", "partner": "999999"}, ["Select a force from the list"]),
        (
            {"action": "save", "collaboration": "OTHER"},
            ["Select one of your force’s collaborations, or “No”"],
        ),
        (
            {"action": "save", "collaboration": "none", "add_members": "on"},
            ["Select the collaboration whose forces you want to add"],
        ),
        (
            {"remove": "LEAD"},
            [
                "Remove a partner force: That force is not a partner of this bid (it may have "
                "been removed already)"
            ],
        ),
        ({"action": "delete"}, ["Button: Use the Add or the Save and continue button"]),
    ],
)
def test_involved_refuses_bad_input_and_changes_nothing(
    client, office_user, draft, east_midlands, data, messages
):
    draft.partner_forces.add(force("leicestershire"))
    other = CollaborationFactory(name="Not ours")
    ids = {
        "LEAD": force("nottinghamshire").pk,
        "PARTNER": force("leicestershire").pk,
        "OTHER": other.pk,
    }
    data = {key: ids.get(value, value) for key, value in data.items()}
    client.force_login(office_user)
    before = snapshot(draft)

    response = client.post(url("involved", draft), data)

    assert_error_page(response, *messages)
    assert snapshot(draft) == before


# --------------------------------------------------------------------------- funding profile


def test_funding_has_a_box_for_each_year_of_the_round(
    client, office_user, draft, django_assert_max_num_queries
):
    client.force_login(office_user)

    with django_assert_max_num_queries(5):
        html = client.get(url("funding", draft)).content.decode()

    assert '<label class="govuk-label" for="id_amount_2027">\n  2027/28\n</label>' in html
    assert '<label class="govuk-label" for="id_amount_2028">\n  2028/29\n</label>' in html
    assert html.count('<div class="govuk-input__prefix" aria-hidden="true">£</div>') == 3
    assert "Local match contribution (optional)" in html


def test_funding_saves_a_two_year_profile_and_shows_the_totals(client, office_user, draft):
    client.force_login(office_user)

    response = client.post(
        url("funding", draft),
        {
            "amount_2027": "1,250,000",
            "amount_2028": "1250000.50",
            "local_match_contribution": "£100,000",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == url("task_list", draft)
    assert list(draft.funding_lines.values_list("financial_year", "amount")) == [
        (2027, Decimal("1250000.00")),
        (2028, Decimal("1250000.50")),
    ]
    draft.refresh_from_db()
    assert draft.local_match_contribution == Decimal("100000.00")
    html = client.get(url("funding", draft)).content.decode()
    assert 'value="1250000"' in html
    assert 'value="1250000.50"' in html
    assert "£2,500,000.50" in html  # requested
    assert "£2,600,000.50" in html  # with the local match
    assert "Total requested: £2,500,000.50" in client.get(url("task_list", draft)).content.decode()


def test_funding_replaces_the_profile_and_an_empty_match_is_none(client, office_user, draft):
    FundingLine.objects.create(bid=draft, financial_year=2027, amount=Decimal("5"))
    draft.local_match_contribution = Decimal("10")
    draft.save()
    client.force_login(office_user)

    client.post(
        url("funding", draft),
        {"amount_2027": "0", "amount_2028": "300000", "local_match_contribution": ""},
    )

    assert list(draft.funding_lines.values_list("financial_year", "amount")) == [
        (2027, Decimal("0.00")),
        (2028, Decimal("300000.00")),
    ]
    draft.refresh_from_db()
    assert draft.local_match_contribution == 0


@pytest.mark.parametrize(
    ("data", "messages"),
    [
        (
            {"amount_2027": "", "amount_2028": ""},
            [
                "Enter an amount for 2027/28, like 250000",
                "Enter an amount for 2028/29, like 250000",
            ],
        ),
        (
            {"amount_2027": "-5", "amount_2028": "10"},
            ["The amount for 2027/28 must be 0 or more"],
        ),
        (
            {"amount_2027": "10", "amount_2028": "lots"},
            ["The amount for 2028/29 must be a number in pounds, like 250000"],
        ),
        (
            {"amount_2027": "10.505", "amount_2028": "10"},
            [
                "The amount for 2027/28 must be in pounds and pence, with no more than 2 "
                "decimal places"
            ],
        ),
        (
            {"amount_2027": "1e6", "amount_2028": "10"},
            ["The amount for 2027/28 must be a number in pounds, like 250000"],
        ),
        (
            {"amount_2027": "1000000000000", "amount_2028": "10"},
            ["The amount for 2027/28 must be less than £1,000,000,000,000"],
        ),
        (
            {"amount_2027": "10", "amount_2028": "10", "local_match_contribution": "-1"},
            ["The local match contribution must be 0 or more"],
        ),
    ],
)
def test_funding_refuses_bad_input_and_changes_nothing(client, office_user, draft, data, messages):
    FundingLine.objects.create(bid=draft, financial_year=2027, amount=Decimal("5"))
    client.force_login(office_user)
    before = snapshot(draft)

    response = client.post(url("funding", draft), data)

    assert_error_page(response, *messages)
    assert snapshot(draft) == before


# --------------------------------------------------------------------------- sign-offs


def test_signoffs_save_names_and_dates(client, office_user, draft, django_assert_max_num_queries):
    client.force_login(office_user)
    with django_assert_max_num_queries(4):
        assert client.get(url("signoffs", draft)).status_code == 200

    response = client.post(
        url("signoffs", draft),
        {
            "pcc_signoff_name": "Paddy Tipping",
            "pcc_signoff_date_day": "1",
            "pcc_signoff_date_month": "3",
            "pcc_signoff_date_year": "2026",
            "cfo_signoff_name": "Charlotte Radford",
            "cfo_signoff_date_day": "02",
            "cfo_signoff_date_month": "Mar",
            "cfo_signoff_date_year": "2026",
        },
    )

    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.pcc_signoff_name, draft.pcc_signoff_date) == (
        "Paddy Tipping",
        datetime.date(2026, 3, 1),
    )
    assert (draft.cfo_signoff_name, draft.cfo_signoff_date) == (
        "Charlotte Radford",
        datetime.date(2026, 3, 2),
    )
    html = client.get(url("signoffs", draft)).content.decode()
    assert 'name="pcc_signoff_date_day" type="text" inputmode="numeric" value="1"' in html


def test_signoffs_may_be_saved_one_at_a_time(client, office_user, draft):
    client.force_login(office_user)

    response = client.post(url("signoffs", draft), {"pcc_signoff_name": "Paddy Tipping"})

    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.pcc_signoff_name, draft.pcc_signoff_date, draft.cfo_signoff_name) == (
        "Paddy Tipping",
        None,
        "",
    )


TOMORROW = timezone.localdate() + datetime.timedelta(days=1)


@pytest.mark.parametrize(
    ("date", "message", "wrong"),
    [
        (
            ("", "3", "2026"),
            "Date the PCC signed off the bid must include a day",
            ["day"],
        ),
        (
            ("1", "", ""),
            "Date the PCC signed off the bid must include a month and year",
            ["month", "year"],
        ),
        (
            ("31", "2", "2026"),
            "Date the PCC signed off the bid must be a real date, like 27 3 2027",
            ["day", "month", "year"],
        ),
        (
            ("1", "13", "2026"),
            "Date the PCC signed off the bid must be a real date, like 27 3 2027",
            ["day", "month", "year"],
        ),
        (
            ("1", "3", "26"),
            "Date the PCC signed off the bid must include a year with 4 numbers, like 2027",
            ["year"],
        ),
        (
            (str(TOMORROW.day), str(TOMORROW.month), str(TOMORROW.year)),
            "Date the PCC signed off the bid must be today or in the past",
            ["day", "month", "year"],
        ),
    ],
)
def test_signoffs_refuse_a_date_that_is_not_real_or_is_in_the_future(
    client, office_user, draft, date, message, wrong
):
    client.force_login(office_user)
    before = snapshot(draft)

    response = client.post(
        url("signoffs", draft),
        {
            "pcc_signoff_name": "Paddy Tipping",
            "pcc_signoff_date_day": date[0],
            "pcc_signoff_date_month": date[1],
            "pcc_signoff_date_year": date[2],
        },
    )

    assert_error_page(response, message)
    assert snapshot(draft) == before
    html = response.content.decode()
    assert '<a href="#id_pcc_signoff_date_day">' in html
    in_error = re.findall(r'govuk-input--error" id="id_pcc_signoff_date_(\w+)"', html)
    assert in_error == wrong


# --------------------------------------------------------------------------- check and submit


def test_check_lists_what_is_missing_with_links_and_offers_no_submit(
    client, office_user, draft, django_assert_max_num_queries
):
    client.force_login(office_user)

    with django_assert_max_num_queries(8):
        response = client.get(url("check", draft))

    html = response.content.decode()
    assert "You cannot submit this bid yet" in html
    missing = re.findall(r'<li><a href="([^"]+)">([^<]+)</a></li>', html)
    assert (url("about", draft), "Enter a summary of the bid") in missing
    assert (url("funding", draft), "Enter the amount requested for at least one year") in missing
    assert (
        url("signoffs", draft),
        "Enter the name of the chief finance officer",
    ) in missing
    assert len(missing) == 9
    # In the task list's order.
    assert [href for href, _ in missing] == sorted(
        (href for href, _ in missing),
        key=[url("about", draft), url("funding", draft), url("signoffs", draft)].index,
    )
    assert "Submit bid" not in html
    assert 'name="confirm"' not in html
    # Every answer, with a link to change it.
    assert f'href="{url("about", draft)}#id_title"' in html
    assert f'href="{url("documents", draft)}"' in html


def test_check_shows_every_answer_and_the_documents(
    client, office_user, complete_draft, django_assert_max_num_queries
):
    DocumentFactory(bid=complete_draft, original_name="business-case.pdf")
    client.force_login(office_user)

    with django_assert_max_num_queries(8):
        html = client.get(url("check", complete_draft)).content.decode()

    assert "You cannot submit this bid yet" not in html
    assert "Leicestershire Police" in html
    assert "£5,740,000.00" in html
    assert "business-case.pdf" in html
    assert "Paddy Tipping" in html
    assert "I confirm the PCC and chief finance officer have approved this bid" in html
    assert "Submit bid" in html


def test_check_submits_a_complete_bid(client, office_user, complete_draft):
    client.force_login(office_user)

    response = client.post(url("check", complete_draft), {"confirm": "on"})

    assert response.status_code == 302
    assert response["Location"] == url("submitted", complete_draft)
    complete_draft.refresh_from_db()
    assert complete_draft.status == Bid.Status.SUBMITTED
    assert complete_draft.submitted_by == office_user
    event = complete_draft.events.get(action=BidEvent.Action.SUBMITTED)
    assert (event.from_status, event.to_status, event.actor) == (
        Bid.Status.DRAFT,
        Bid.Status.SUBMITTED,
        office_user,
    )


def test_check_needs_the_declaration(client, office_user, complete_draft):
    client.force_login(office_user)
    before = snapshot(complete_draft)

    response = client.post(url("check", complete_draft), {})

    assert_error_page(
        response,
        "Confirm that the PCC and chief finance officer have approved this bid before you "
        "submit it",
    )
    assert snapshot(complete_draft) == before


def test_check_gives_the_reason_when_the_round_has_closed(client, office_user, complete_draft):
    client.force_login(office_user)
    funding_round = complete_draft.round
    funding_round.closes_at = timezone.now() - datetime.timedelta(minutes=1)
    funding_round.opens_at = timezone.now() - datetime.timedelta(days=60)
    funding_round.save()
    before = snapshot(complete_draft)

    response = client.post(url("check", complete_draft), {"confirm": "on"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Error: " in html
    assert "You cannot submit this bid yet" in html
    assert f"{funding_round} is not open for bids." in html
    assert "Submit bid" not in html
    assert snapshot(complete_draft) == before


# --------------------------------------------------------------------------- confirmation


def test_submitted_shows_the_confirmation_panel(
    client, office_user, complete_draft, django_assert_max_num_queries
):
    services.bid_submit(bid=complete_draft, by=office_user)
    client.force_login(office_user)

    with django_assert_max_num_queries(4):
        response = client.get(url("submitted", complete_draft))

    html = response.content.decode()
    assert response.status_code == 200
    assert '<h1 class="govuk-panel__title">Bid submitted</h1>' in html
    assert "<strong>PTF-2027-0002</strong>" in html
    assert "What happens next" in html
    assert f'href="{url("bid", complete_draft)}"' in html
    assert f'href="{reverse("portal:home")}"' in html


def test_submitted_is_404_for_a_draft_and_for_a_partner(
    client, office_user, partner_office_user, draft, complete_draft
):
    services.bid_submit(bid=complete_draft, by=office_user)
    client.force_login(office_user)
    assert client.get(url("submitted", draft)).status_code == 404

    client.force_login(partner_office_user)
    assert client.get(url("submitted", complete_draft)).status_code == 404


def test_submitted_is_404_once_the_bid_has_moved_on(client, office_user, open_round):
    bid = BidFactory(round=open_round, under_review=True)
    client.force_login(office_user)

    assert client.get(url("submitted", bid)).status_code == 404
