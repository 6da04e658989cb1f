"""Two requests at the same moment, on two real database connections.

Each test starts its requests in threads (one connection each, as two gunicorn workers would
have) held at a barrier so they reach the database together, and checks that exactly one write
wins and the other request is told why in words, never with an error page. Deciding one bid
twice at once is tested beside the decision page (tests/bids/review/test_panel.py).
"""

import datetime
import re
import threading
from decimal import Decimal
from html import unescape

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bids.models import Bid, BidEvent, Payment, SpendReturn
from tests.factories import (
    AwardFactory,
    BidFactory,
    FundingRoundFactory,
    OfficeMemberFactory,
    SpendReturnFactory,
    TrancheFactory,
    UserFactory,
    force,
)

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="Needs PostgreSQL: SQLite has no row locks (select_for_update) and allows one "
        "writer at a time, so no two requests ever race on it.",
    ),
    # Real commits, so each connection sees the others' work; the reference data that
    # migrations load is put back afterwards for the tests that follow.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def text(response) -> str:
    words = unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))
    return re.sub(r"\s+", " ", words)


def at_once(requests):
    """Run each ``(user, method, url, data)`` in its own thread and connection, all released
    together; the responses in the order given."""
    start = threading.Barrier(len(requests))
    responses = [None] * len(requests)
    errors = []

    def send(index, user, method, url, data):
        try:
            client = Client(raise_request_exception=True)
            client.force_login(user)
            start.wait(timeout=10)
            responses[index] = getattr(client, method)(url, data)
        except BaseException as error:  # reported below, in the test's own thread
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=send, args=[index, *request])
        for index, request in enumerate(requests)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return responses


def test_bids_started_at_once_get_one_reference_each():
    funding_round = FundingRoundFactory(first_financial_year=2016)
    BidFactory(round=funding_round, reference="PTF-2016-0007", lead_force=force("kent"))
    notts = force("nottinghamshire")
    users = [OfficeMemberFactory(username=f"notts-{n}", office_force=notts) for n in range(4)]
    start = reverse("portal:start")

    responses = at_once(
        [
            (user, "post", start, {"round": funding_round.pk, "title": f"Bid {user}"})
            for user in users
        ]
    )

    assert [r.status_code for r in responses] == [302] * 4
    references = sorted(Bid.objects.filter(lead_force=notts).values_list("reference", flat=True))
    assert references == ["PTF-2016-0008", "PTF-2016-0009", "PTF-2016-0010", "PTF-2016-0011"]
    assert BidEvent.objects.filter(action=BidEvent.Action.CREATED).count() == 4


def released_tranche():
    bid = BidFactory(approved=True)
    award = AwardFactory(
        bid=bid,
        total=Decimal("1000.00"),
        decided_at=timezone.make_aware(datetime.datetime(2016, 8, 5, 10, 0)),
    )
    return TrancheFactory(award=award, financial_year=2016, amount=Decimal("1000.00"))


@pytest.mark.parametrize("earlier", [None, SpendReturn.Status.RETURNED])
def test_one_quarters_spend_sent_twice_at_once_is_stored_once(earlier):
    """Two colleagues send the same quarter's return, first or again after it was sent back."""
    tranche = released_tranche()
    if earlier:
        SpendReturnFactory(tranche=tranche, quarter=1, status=earlier, returned_reason="Why?")
    notts = force("nottinghamshire")
    first, second = (
        OfficeMemberFactory(username=f"notts-{n}", office_force=notts) for n in range(2)
    )
    url = reverse("portal:spend_return", args=[tranche.award.bid.reference, 2016, 1])

    responses = at_once(
        [
            (first, "post", url, {"amount_spent": "100", "narrative": "Licences"}),
            (second, "post", url, {"amount_spent": "200", "narrative": "Cameras"}),
        ]
    )

    assert sorted(r.status_code for r in responses) == [200, 302]
    [stored] = SpendReturn.objects.filter(tranche=tranche, quarter=1)
    assert stored.status == SpendReturn.Status.SUBMITTED
    winner = responses[0] if responses[0].status_code == 302 else responses[1]
    loser = responses[1] if winner is responses[0] else responses[0]
    assert stored.amount_spent == (Decimal("100") if winner is responses[0] else Decimal("200"))
    assert "The Q1 return for 2016/17 has already been submitted." in text(loser)
    assert "There is a problem" in text(loser)
    assert BidEvent.objects.filter(action=BidEvent.Action.SPEND_RETURN_SUBMITTED).count() == 1


def test_two_payments_at_once_never_pay_past_the_allocation():
    tranche = released_tranche()
    analysts = [UserFactory(username=f"analyst-{n}", analyst=True) for n in range(2)]
    url = reverse("review:payment_record", args=[tranche.award.bid.reference, 2016])
    payment = {
        "amount": "600",
        "paid_on_day": "1",
        "paid_on_month": "9",
        "paid_on_year": "2016",
        "reference": "REM-1",
    }

    responses = at_once([(user, "post", url, payment) for user in analysts])

    assert sorted(r.status_code for r in responses) == [200, 302]
    assert Payment.objects.filter(tranche=tranche).count() == 1
    tranche.refresh_from_db()
    assert tranche.paid == Decimal("600.00")
    loser = next(r for r in responses if r.status_code == 200)
    assert "would take the 2016/17 tranche to £1,200.00" in text(loser)
