"""The audit trail: bid events cannot be rewritten, and every change of money says who and when.

Events are append-only through the model, its QuerySet and the admin; on PostgreSQL a trigger
refuses a plain ``UPDATE`` or ``DELETE`` too (migration ``bids.0006``). Awards, tranches,
payments and spend returns keep field-level history (django-simple-history) with the user,
and each money service records a bid event with its actor.
"""

import datetime
from decimal import Decimal

import pytest
from django.contrib import admin
from django.db import IntegrityError, connection, transaction
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from bids import services
from bids.models import AppendOnlyError, Award, Bid, BidEvent, Payment, SpendReturn, Tranche
from tests.factories import (
    BidEventFactory,
    BidFactory,
    SpendReturnFactory,
    TrancheFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Action = BidEvent.Action
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="The append-only trigger is PostgreSQL's; SQLite relies on the model's guards.",
)


@pytest.fixture
def event():
    return BidEventFactory(note="Started from the portal")


def unchanged(event: BidEvent) -> bool:
    return BidEvent.objects.filter(pk=event.pk, note="Started from the portal").exists()


# --------------------------------------------------------------------------- the application


def test_saving_an_existing_event_is_refused(event):
    event.note = "Rewritten"
    with pytest.raises(AppendOnlyError, match="append-only"):
        event.save()
    assert unchanged(event)


def test_deleting_an_event_is_refused(event):
    with pytest.raises(AppendOnlyError, match="append-only"):
        event.delete()
    assert unchanged(event)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda qs: qs.update(note="Rewritten"), id="update"),
        pytest.param(lambda qs: qs.delete(), id="delete"),
        pytest.param(lambda qs: BidEvent.objects.update(note="Rewritten"), id="manager-update"),
        pytest.param(
            lambda qs: BidEvent.objects.bulk_update(
                [BidEvent(pk=e.pk, note="Rewritten") for e in qs], ["note"]
            ),
            id="bulk_update",
        ),
    ],
)
def test_bulk_changes_to_events_are_refused(event, change):
    # In a savepoint: bulk_update runs in an atomic block that the refusal marks for rollback.
    with pytest.raises(AppendOnlyError, match="append-only"), transaction.atomic():
        change(BidEvent.objects.filter(pk=event.pk))
    assert unchanged(event)


def test_new_events_are_still_recorded(event):
    BidEvent.objects.create(bid=event.bid, action=Action.SUBMITTED, note="A second event")
    assert event.bid.events.count() == 2


def test_the_admin_shows_events_read_only(client, event):
    administrator = UserFactory(is_staff=True, is_superuser=True)
    request = RequestFactory().get("/admin/")
    request.user = administrator
    model_admin = admin.site._registry[BidEvent]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)
    assert "delete_selected" not in model_admin.get_actions(request)

    client.force_login(administrator)
    change = reverse("admin:bids_bidevent_change", args=[event.pk])
    delete = reverse("admin:bids_bidevent_delete", args=[event.pk])
    assert client.post(change, {"note": "Rewritten"}).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert unchanged(event)


# --------------------------------------------------------------------------- the database


def _raw(sql: str, params: list) -> None:
    # In a savepoint: the refused statement aborts it, not the test's transaction.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@postgresql_only
def test_a_plain_sql_update_is_refused_by_the_database(event):
    table = connection.ops.quote_name(BidEvent._meta.db_table)
    with pytest.raises(IntegrityError, match="append-only: UPDATE on bids_bidevent"):
        _raw(f"UPDATE {table} SET note = %s WHERE id = %s", ["Rewritten", event.pk])
    assert unchanged(event)


@postgresql_only
def test_a_plain_sql_delete_is_refused_by_the_database(event):
    table = connection.ops.quote_name(BidEvent._meta.db_table)
    with pytest.raises(IntegrityError, match="append-only: DELETE on bids_bidevent"):
        _raw(f"DELETE FROM {table} WHERE id = %s", [event.pk])
    assert unchanged(event)


@postgresql_only
def test_the_trigger_lets_inserts_through(event):
    table = connection.ops.quote_name(BidEvent._meta.db_table)
    _raw(
        f"INSERT INTO {table} (bid_id, action, from_status, to_status, at, note) "
        "VALUES (%s, %s, '', '', %s, %s)",
        [event.bid_id, Action.SUBMITTED, timezone.now(), "Inserted by hand"],
    )
    assert event.bid.events.count() == 2


# --------------------------------------------------------------------------- money history


def assert_recorded(rows, user, since) -> None:
    """Each history row or event names ``user`` and is dated from ``since`` on."""
    rows = list(rows)
    assert rows, "nothing was recorded"
    for row in rows:
        who = getattr(row, "history_user", None) or getattr(row, "actor", None)
        when = getattr(row, "history_date", None) or row.at
        assert who == user, f"{row!r} records {who}, not {user}"
        assert since <= when <= timezone.now()


@pytest.fixture
def approver():
    return UserFactory(username="audit-approver", approver=True)


@pytest.fixture
def analyst():
    return UserFactory(username="audit-analyst", analyst=True)


def test_a_decision_with_tranches_records_who_made_the_award_and_when(approver):
    bid = BidFactory(recommended=True)
    since = timezone.now()
    services.bid_decide(
        bid=bid,
        approve=True,
        by=approver,
        tranches={2016: Decimal("1000000.00"), 2017: Decimal("500000.00")},
        total=Decimal("1500000.00"),
    )
    award = Award.objects.get(bid=bid)
    assert_recorded(award.history.all(), approver, since)
    assert_recorded(Tranche.history.filter(award_id=award.pk), approver, since)
    assert Tranche.history.filter(award_id=award.pk).count() == 2
    assert_recorded(Bid.history.filter(id=bid.pk, history_date__gte=since), approver, since)
    assert_recorded(bid.events.filter(action=Action.APPROVED), approver, since)


def test_a_tranche_status_change_records_who_and_when(analyst):
    tranche = TrancheFactory(status=Tranche.Status.SCHEDULED)
    since = timezone.now()
    services.tranche_set_status(tranche=tranche, status=Tranche.Status.RELEASED, by=analyst)
    changes = tranche.history.filter(history_type="~")
    assert_recorded(changes, analyst, since)
    assert changes.get().status == Tranche.Status.RELEASED
    bid = tranche.award.bid
    assert_recorded(bid.events.filter(action=Action.TRANCHE_RELEASED), analyst, since)


def test_a_payment_records_who_and_when(analyst):
    tranche = TrancheFactory(status=Tranche.Status.RELEASED, amount=Decimal("2000.00"))
    since = timezone.now()
    payment = services.payment_record(
        tranche=tranche,
        amount=Decimal("1500.00"),
        paid_on=datetime.date(2016, 9, 1),
        by=analyst,
    )
    assert_recorded(payment.history.all(), analyst, since)
    assert_recorded(Payment.history.filter(id=payment.pk, history_type="+"), analyst, since)
    paid = tranche.history.filter(history_type="~")
    assert_recorded(paid, analyst, since)
    assert paid.get().paid == Decimal("1500.00")
    bid = tranche.award.bid
    assert_recorded(bid.events.filter(action=Action.PAYMENT_RECORDED), analyst, since)


@pytest.mark.parametrize("accept", [True, False], ids=["verified", "sent-back"])
def test_a_spend_return_verification_records_who_and_when(analyst, accept):
    tranche = TrancheFactory(status=Tranche.Status.RELEASED)
    spend = SpendReturnFactory(tranche=tranche, amount_spent=Decimal("400.00"))
    since = timezone.now()
    services.spend_return_verify(
        spend_return=spend, accept=accept, reason="" if accept else "Add the invoices.", by=analyst
    )
    changes = SpendReturn.history.filter(id=spend.pk, history_type="~")
    assert_recorded(changes, analyst, since)
    action = Action.SPEND_RETURN_VERIFIED if accept else Action.SPEND_RETURN_RETURNED
    assert_recorded(tranche.award.bid.events.filter(action=action), analyst, since)
    if accept:
        spent = tranche.history.filter(history_type="~")
        assert_recorded(spent, analyst, since)
        assert spent.get().spent == Decimal("400.00")
