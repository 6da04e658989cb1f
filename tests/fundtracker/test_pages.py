import datetime
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils.functional import SimpleLazyObject

from fundtracker import views
from tests.factories import (
    EnvelopeFactory,
    FundingRoundFactory,
    OfficeMemberFactory,
    TrancheFactory,
    UserFactory,
)

PASSWORD = "correct horse battery staple"


def published_tranche(**kwargs):
    round_ = kwargs.pop("round", None) or FundingRoundFactory(published=True)
    return TrancheFactory(award__bid__round=round_, **kwargs)


# ----------------------------------------------------------------------------- home


@pytest.mark.django_db
def test_home_shows_headline_figures_of_published_results_to_anyone(client):
    round_ = FundingRoundFactory(published=True, name="The first round")
    published_tranche(
        round=round_,
        amount=Decimal("2240000.00"),
        paid=Decimal("1000000.00"),
        spent=Decimal("500000.00"),
    )
    # An award in a round whose results are not yet published stays out of the totals.
    TrancheFactory(amount=Decimal("9000000.00"))

    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Police funding tracker</title>" in html
    assert "£2.24m" in html
    assert "£2,240,000" in html
    assert "£1m" in html
    assert "£500k" in html
    assert "£9m" not in html
    assert "The first round" in html
    assert f'href="/allocations/?round={round_.slug}"' in html


@pytest.mark.django_db
def test_home_lists_open_rounds_with_closing_dates(client):
    FundingRoundFactory(name="The next round")

    html = client.get("/").content.decode()

    assert "Open for bids" in html
    assert "The next round" in html
    assert " closes at " in html


@pytest.mark.django_db
def test_home_reads_well_with_no_data(client):
    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "No awards have been published yet" in html
    assert "No funding round has published its results yet." in html
    assert "No funding round is open for bids at the moment." in html
    assert html.count("£0") >= 3


@pytest.mark.django_db
def test_home_query_count_does_not_grow_with_rounds_and_awards(
    client, django_assert_max_num_queries
):
    for _ in range(3):
        round_ = FundingRoundFactory(published=True)
        published_tranche(round=round_)
        published_tranche(round=round_, financial_year=2017)
        FundingRoundFactory()

    # Published rounds, tranche totals, envelope total and open rounds.
    with django_assert_max_num_queries(4):
        response = client.get("/")

    assert response.status_code == 200


@pytest.mark.django_db
def test_home_leads_to_the_allocations_by_category_the_first_round_forces_and_open_data(client):
    first = FundingRoundFactory(published=True, name="2016/17 round 1", slug="ptf-2016-17-round-1")
    published_tranche(round=first)
    latest = FundingRoundFactory(
        published=True,
        name="2017/18 round 1",
        slug="ptf-2017-18-round-1",
        first_financial_year=2017,
    )
    latest.results_published_at = first.results_published_at + datetime.timedelta(hours=1)
    latest.save()
    EnvelopeFactory(round=first, amount=Decimal("4600000.00"))
    EnvelopeFactory(round=FundingRoundFactory(closed=True), amount=Decimal("9000000.00"))

    html = client.get("/").content.decode()

    assert 'href="/allocations/#spend-categories">See allocations by spend category</a>' in html
    assert 'href="/allocations/?round=ptf-2016-17-round-1">the 2016/17 round 1 allocations' in html
    assert 'href="/allocations/?round=ptf-2017-18-round-1">' in html
    assert 'href="/forces/"' in html
    assert 'href="/open-data/"' in html
    # Set aside counts the envelopes of published rounds only.
    assert "£4.6m" in html
    assert "£9m" not in html


@pytest.mark.django_db
def test_home_is_served_from_the_cache_to_a_second_visitor(client, django_assert_num_queries):
    published_tranche()
    assert client.get("/")["X-Cache"] == "miss"

    with django_assert_num_queries(0):
        response = client.get("/")

    assert response["X-Cache"] == "hit"


@pytest.mark.django_db
def test_home_links_to_the_public_sections(client):
    html = client.get("/").content.decode()

    for href in ("/allocations/", "/forces/", "/open-data/"):
        assert f'class="govuk-service-navigation__link" href="{href}"' in html
    assert "Open Government Licence v3.0" in html
    assert "MIT licence" in html


# ----------------------------------------------------------------------------- navigation


@pytest.mark.django_db
def test_navigation_marks_the_current_page(client):
    html = client.get("/accounts/login/").content.decode()

    assert re.search(r'href="/accounts/login/" aria-current="page"', html)


@pytest.mark.django_db
def test_navigation_offers_sign_in_to_anonymous_users(client):
    html = client.get("/").content.decode()

    assert "Sign in" in html
    assert "Sign out" not in html
    assert 'href="/portal/"' not in html
    assert 'href="/review/"' not in html


@pytest.mark.django_db
def test_navigation_offers_office_members_their_bids(client):
    user = OfficeMemberFactory(first_name="Paddy", last_name="Tipping")
    client.force_login(user)

    html = client.get("/").content.decode()

    assert "Paddy Tipping" in html
    assert 'href="/portal/"' in html
    assert 'href="/review/"' not in html
    assert re.search(r'<form method="post" action="/accounts/logout/">', html)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["analyst", "approver"])
def test_navigation_offers_analysts_and_approvers_the_review_pages(client, role):
    client.force_login(UserFactory(**{role: True}))

    html = client.get("/").content.decode()

    assert 'href="/review/"' in html
    assert 'href="/portal/"' not in html


@pytest.mark.django_db
def test_navigation_offers_staff_the_review_pages(client):
    client.force_login(UserFactory(is_staff=True))

    assert 'href="/review/"' in client.get("/").content.decode()


@pytest.mark.django_db
def test_navigation_offers_a_user_without_a_role_only_sign_out(client):
    client.force_login(UserFactory())

    html = client.get("/").content.decode()

    assert "Sign out" in html
    assert 'href="/portal/"' not in html
    assert 'href="/review/"' not in html


# ----------------------------------------------------------------------------- health and errors


@pytest.mark.django_db
def test_healthz_answers_ok(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok\n"


@pytest.mark.django_db
def test_unknown_url_gets_the_styled_not_found_page(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "<title>Page not found – Police funding tracker</title>" in html
    assert 'class="govuk-heading-l">Page not found</h1>' in html
    assert "build/css/application.css" in html


@pytest.mark.django_db
def test_permission_denied_page_shows_the_reason():
    request = RequestFactory().get("/review/")

    response = views.permission_denied(
        request, PermissionDenied("Only analysts can assign reviewers.")
    )

    assert response.status_code == 403
    assert "Only analysts can assign reviewers." in response.content.decode()


@pytest.mark.django_db
def test_bad_request_page():
    response = views.bad_request(RequestFactory().get("/"))

    assert response.status_code == 400
    assert "there is a problem with your request" in response.content.decode()


def test_server_error_page_needs_no_database_or_user():
    # No django_db mark, so any query fails the test; so does a look at the user.
    request = RequestFactory().get("/")
    request.user = SimpleLazyObject(lambda: pytest.fail("The 500 page looked up the user."))
    response = views.server_error(request)
    html_without_request = render_to_string("500.html")

    assert response.status_code == 500
    for html in (response.content.decode(), html_without_request):
        assert "Sorry, there is a problem with the service" in html
        assert "Police funding tracker" in html
        assert "Sign in" not in html


# ----------------------------------------------------------------------------- sign-in


@pytest.mark.django_db
def test_pages_outside_the_public_ones_redirect_to_sign_in(client):
    response = client.get("/accounts/password_change/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/password_change/"


@pytest.mark.django_db
def test_sign_in_with_the_right_password(client):
    user = UserFactory(username="analyst", first_name="Ada", last_name="Lovelace")

    response = client.post("/accounts/login/", {"username": "analyst", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(user.pk)
    assert "Ada Lovelace" in client.get("/").content.decode()


@pytest.mark.django_db
def test_sign_in_with_the_wrong_password_shows_the_error_summary(client):
    UserFactory(username="analyst")

    response = client.post("/accounts/login/", {"username": "analyst", "password": "wrong"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Error: Sign in – Police funding tracker</title>" in html
    assert 'class="govuk-error-summary"' in html
    assert '<a href="#id_username">Please enter a correct username and password.' in html
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_sign_in_with_empty_fields_links_each_error_to_its_field(client):
    html = client.post("/accounts/login/", {"username": "", "password": ""}).content.decode()

    assert '<a href="#id_username">This field is required.</a>' in html
    assert '<a href="#id_password">This field is required.</a>' in html
    assert 'id="id_username_error" class="govuk-error-message"' in html
    assert 'aria-describedby="id_username_error"' in html
    assert "govuk-input--error" in html


@pytest.mark.django_db
def test_sign_out_is_a_post(client):
    client.force_login(UserFactory())

    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "_auth_user_id" not in client.session
    assert "Sign out" not in client.get("/").content.decode()


@pytest.mark.django_db
def test_change_password(client):
    user = UserFactory(username="office")
    client.force_login(user)

    response = client.post(
        "/accounts/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "a different long passphrase",
            "new_password2": "a different long passphrase",
        },
    )

    assert response.status_code == 302
    assert "Your password has been changed" in client.get(response["Location"]).content.decode()
    user.refresh_from_db()
    assert user.check_password("a different long passphrase")


# ----------------------------------------------------------------------------- password reset


@pytest.mark.django_db
def test_password_reset_from_request_to_signing_in_with_the_new_password(client):
    UserFactory(username="notts-office", email="office@nottinghamshire.pcc.example")

    response = client.post(
        "/accounts/password_reset/", {"email": "office@nottinghamshire.pcc.example"}
    )
    assert response.status_code == 302
    assert "Check your email" in client.get(response["Location"]).content.decode()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["office@nottinghamshire.pcc.example"]
    assert message.subject == "Reset your Police funding tracker password"
    link = re.search(r"http://testserver(/accounts/reset/\S+/\S+/)", message.body).group(1)

    # Django swaps the token in the link for one in the session, then shows the form.
    response = client.get(link, follow=True)
    assert "Choose a new password" in response.content.decode()
    form_url = response.redirect_chain[-1][0]

    response = client.post(
        form_url,
        {"new_password1": "a brand new passphrase", "new_password2": "a brand new passphrase"},
    )
    assert response.status_code == 302
    assert "Your password has been changed" in client.get(response["Location"]).content.decode()

    assert not client.login(username="notts-office", password=PASSWORD)
    assert client.login(username="notts-office", password="a brand new passphrase")


@pytest.mark.django_db
def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(client):
    response = client.post("/accounts/password_reset/", {"email": "nobody@example.org"})

    assert response.status_code == 302
    assert "Check your email" in client.get(response["Location"]).content.decode()
    assert mail.outbox == []


@pytest.mark.django_db
def test_password_reset_with_a_bad_link_says_it_has_expired(client):
    response = client.get("/accounts/reset/MQ/not-a-token/", follow=True)

    html = response.content.decode()
    assert "The link has expired" in html
    assert 'href="/accounts/password_reset/"' in html


@pytest.mark.django_db
def test_password_reset_with_mismatched_passwords_shows_the_error(client):
    UserFactory(username="notts-office", email="office@example.org")
    client.post("/accounts/password_reset/", {"email": "office@example.org"})
    link = re.search(r"http://testserver(/accounts/reset/\S+/\S+/)", mail.outbox[0].body).group(1)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]

    response = client.post(
        form_url, {"new_password1": "a brand new passphrase", "new_password2": "another one"}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="govuk-error-summary"' in html
    assert 'href="#id_new_password2"' in html
