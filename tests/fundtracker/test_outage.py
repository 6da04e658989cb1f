"""The service while its database cannot be reached: 503 and a plain page, /healthz failing,
and nothing half-written by a request the outage cut short.

The outage is simulated with ``connection.execute_wrapper``: from a chosen statement on, every
query raises the error psycopg2 raises when PostgreSQL restarts under a connection.
"""

import json
import logging
import sys
from contextlib import contextmanager
from decimal import Decimal

import psycopg2
import pytest
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from bids import services
from bids.models import BidEvent, Review, Score, SpendReturn
from fundtracker.middleware import RETRY_AFTER_SECONDS, unavailable_response
from fundtracker.outage import OutageLogFilter
from tests.factories import (
    AwardFactory,
    BidFactory,
    CriterionFactory,
    FundingRoundFactory,
    TrancheFactory,
    UserFactory,
)

TERMINATED = "terminating connection due to administrator command"
PAGE_HEADING = "Sorry, the service is unavailable"


@contextmanager
def database_down(*, from_statement: str = "", error=OperationalError):
    """Every query fails, or every query from the first one that starts with
    ``from_statement`` on (a connection lost half-way through a transaction stays lost).

    Rolling back still works: the test runs inside a transaction of its own, and the rollback
    to the service's savepoint stands in for what PostgreSQL does to the transaction of a
    connection it has lost.
    """
    lost = not from_statement

    def fail(execute, sql, params, many, context):
        nonlocal lost
        statement = sql.lstrip().upper()
        lost = lost or statement.startswith(from_statement.upper())
        if lost and not statement.startswith(("ROLLBACK", "SAVEPOINT", "RELEASE")):
            raise error(TERMINATED)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(fail):
        yield


@pytest.fixture
def outage_client():
    """A client that sees the answer a visitor would, not the exception behind it."""
    return Client(raise_request_exception=False)


def assert_plain_unavailable_page(response):
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert PAGE_HEADING in html
    # Nothing that needs the user: no account links at all.
    assert "Sign in" not in html
    assert "Sign out" not in html
    assert "problem with the service" not in html


# --------------------------------------------------------------------------- 503 answers


@pytest.mark.django_db
def test_public_page_answers_503_with_a_plain_page(outage_client):
    with database_down():
        response = outage_client.get("/forces/")

    assert_plain_unavailable_page(response)
    # It passes back through the other middleware, which add their headers as to any page.
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_a_lost_connection_also_answers_503(outage_client):
    with database_down(error=InterfaceError):
        response = outage_client.get("/awards/")

    assert_plain_unavailable_page(response)


def connection_dropped(message):
    # How psycopg2 reports some connections lost mid-conversation: a plain DatabaseError
    # without a SQLSTATE, which Django passes on as its own DatabaseError.
    error = DatabaseError(message)
    error.__cause__ = psycopg2.DatabaseError(message)
    return error


@pytest.mark.django_db
def test_a_connection_dropped_without_a_sqlstate_also_answers_503(outage_client):
    with database_down(error=connection_dropped):
        response = outage_client.get("/awards/")

    assert_plain_unavailable_page(response)


@pytest.mark.django_db
def test_signed_in_page_answers_503_when_the_session_cannot_be_read(outage_client, analyst):
    # The first query is the session's, made by a middleware before any view runs.
    outage_client.force_login(analyst)

    with database_down():
        response = outage_client.get("/review/")

    assert_plain_unavailable_page(response)


@pytest.mark.django_db
def test_an_outage_met_by_the_account_middleware_answers_503(outage_client, analyst, settings):
    # With production's idle sign-out and second factor on, their middleware read the session
    # and the user before any view runs, where no view's error handling reaches.
    settings.FUNDTRACKER_SESSION_IDLE_TIMEOUT = 30 * 60
    settings.FUNDTRACKER_OTP_REQUIRED = True
    outage_client.force_login(analyst)

    with database_down():
        response = outage_client.get("/review/")

    assert_plain_unavailable_page(response)


@pytest.mark.django_db
def test_api_answers_503_in_json(outage_client):
    with database_down():
        response = outage_client.get("/api/v1/awards/")

    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    assert body["error"]["message"].startswith("The service cannot reach its database")


@pytest.mark.django_db
def test_the_503_is_never_cached(outage_client):
    with database_down():
        response = outage_client.get("/allocations/")
    assert response.status_code == 503
    assert "no-store" in response["Cache-Control"]

    # Once the database is back the page is built again, not served from a cached 503.
    assert outage_client.get("/allocations/").status_code == 200


def test_the_503_page_needs_no_database_or_user():
    # No django_db mark, so any query fails the test; so does a look at the user.
    request = RequestFactory().get("/portal/")
    request.user = SimpleLazyObject(lambda: pytest.fail("The 503 page looked up the user."))

    response = unavailable_response(request)

    assert_plain_unavailable_page(response)


@pytest.mark.django_db
def test_other_errors_still_answer_500(outage_client):
    # A fault in the code is not an outage: it keeps its 500 page and its log entry.
    with database_down(error=ValueError):
        response = outage_client.get("/forces/")

    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.content.decode()


@pytest.mark.django_db
def test_a_database_error_of_the_code_still_answers_500(outage_client):
    # Django's own DatabaseError for an update that found no row is not an outage.
    with database_down(error=DatabaseError):
        response = outage_client.get("/forces/")

    assert response.status_code == 500


@pytest.mark.django_db
def test_with_debug_on_the_real_error_shows(client, settings):
    settings.DEBUG = True

    with database_down(), pytest.raises(OperationalError, match=TERMINATED):
        client.get("/forces/")


# --------------------------------------------------------------------------- health check


@pytest.mark.django_db
def test_healthz_fails_while_the_database_is_down_and_recovers(client):
    assert client.get("/healthz").status_code == 200

    with database_down():
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response.content == b"database unavailable\n"
    assert client.get("/healthz").status_code == 200


# --------------------------------------------------------------------------- nothing half-written


@pytest.mark.django_db
def test_spend_return_cut_short_leaves_no_return(outage_client, office_user):
    bid = BidFactory(approved=True)
    AwardFactory(bid=bid)
    tranche = TrancheFactory(award=bid.award, financial_year=2016, amount=Decimal("2240000.00"))
    outage_client.force_login(office_user)
    url = reverse("portal:spend_return", args=[bid.reference, 2016, 1])
    events = BidEvent.objects.count()

    # The return's row is written; the connection goes before its event is.
    with database_down(from_statement='INSERT INTO "bids_bidevent"'):
        response = outage_client.post(url, {"amount_spent": "12500", "narrative": "Licences"})

    assert_plain_unavailable_page(response)
    assert not SpendReturn.objects.filter(tranche=tranche).exists()
    assert BidEvent.objects.count() == events
    # Sent again once the database is back, it goes through as the first return.
    response = outage_client.post(url, {"amount_spent": "12500", "narrative": "Licences"})
    assert response.status_code == 302
    assert tranche.spend_returns.get(quarter=1).amount_spent == Decimal("12500.00")


@pytest.mark.django_db
def test_review_submission_cut_short_leaves_the_draft_as_it_was(outage_client, analyst):
    funding_round = FundingRoundFactory(closed=True)
    fit = CriterionFactory(round=funding_round, name="Strategic fit", max_score=5)
    value = CriterionFactory(round=funding_round, name="Value for money", max_score=10)
    bid = BidFactory(submitted=True, round=funding_round)
    services.bid_assign_reviewers(bid=bid, reviewers=[analyst], by=UserFactory(analyst=True))
    review = Review.objects.get(bid=bid, reviewer=analyst)
    services.review_declare_conflict(review=review, has_conflict=False, by=analyst)
    services.review_save(
        review=review, scores={fit.pk: (2, "Weak fit.")}, comments="Draft", by=analyst
    )
    events = BidEvent.objects.count()
    outage_client.force_login(analyst)
    data = {
        f"score_{fit.pk}": "4",
        f"justification_{fit.pk}": "Fits the priorities.",
        f"score_{value.pk}": "7",
        f"justification_{value.pk}": "Fair price.",
        "recommendation": "fund",
        "comments": "Final",
        "confirm": "on",
        "action": "submit",
    }

    # Scores and the review are written; the connection goes before the submission's event.
    with database_down(from_statement='INSERT INTO "bids_bidevent"'):
        response = outage_client.post(reverse("review:score", args=[bid.reference]), data)

    assert_plain_unavailable_page(response)
    review.refresh_from_db()
    assert review.submitted_at is None
    assert review.comments == "Draft"
    assert list(Score.objects.filter(review=review).values_list("criterion", "value")) == [
        (fit.pk, 2)
    ]
    assert BidEvent.objects.count() == events


def test_an_outage_is_logged_in_one_line_and_other_errors_with_their_traceback():
    def record(error):
        try:
            raise error
        except Exception:
            return logging.LogRecord(
                "django.request", logging.ERROR, __file__, 1, "%s: %s",
                ("Service Unavailable", "/review/"), sys.exc_info(),
            )  # fmt: skip

    outage = record(OperationalError(TERMINATED))
    outage.status_code = 503
    assert OutageLogFilter().filter(outage)
    assert outage.exc_info is None
    assert outage.getMessage().startswith("Service Unavailable: /review/ (database unavailable:")

    fault = record(ValueError("a bug"))
    fault.status_code = 500
    assert OutageLogFilter().filter(fault)
    assert fault.exc_info is not None
