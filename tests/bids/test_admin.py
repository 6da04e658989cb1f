"""The admin of the bids app: constant queries a changelist, money in pounds, history, and the
fields the workflow keeps left read-only."""

import itertools
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from bids import models as bids
from tests import factories as f
from tests.admin_checks import admin_url as url
from tests.admin_checks import assert_changelist_lists_rows, assert_changelist_queries_constant

pytestmark = pytest.mark.django_db

_unique = itertools.count(1)


class _FormReader(HTMLParser):
    """What a browser would send for the admin form with ``form_id``."""

    def __init__(self, form_id):
        super().__init__()
        self.form_id, self.inside, self.data = form_id, False, []
        self._select = self._textarea = None
        self._select_first = None
        self._select_chosen = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in {"submit", "button", "file", "image", "reset"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in attrs:
                return
            self.data.append((name, attrs.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self._select, self._select_multiple = name, "multiple" in attrs
            self._select_first, self._select_chosen = None, False
        elif tag == "option" and self._select:
            value = attrs.get("value", "")
            if self._select_first is None:
                self._select_first = value
            if "selected" in attrs:
                self.data.append((self._select, value))
                self._select_chosen = True
        elif tag == "textarea" and name:
            self._textarea = [name, ""]

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self._select:
            if not self._select_chosen and not self._select_multiple and self._select_first:
                self.data.append((self._select, self._select_first))
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.data.append(tuple(self._textarea))
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self._textarea[1] += data.removeprefix("\n") if not self._textarea[1] else data


def form_data(response, form_id, **changes):
    """The form as the page shows it, with ``changes`` applied, ready to post."""
    reader = _FormReader(form_id)
    reader.feed(response.content.decode())
    data = {}
    for name, value in reader.data:
        data.setdefault(name, []).append(value)
    for name, value in changes.items():
        data[name] = value if isinstance(value, list) else [value]
    data["_save"] = ["Save"]
    return data


# --------------------------------------------------------------------------- row makers


def make_fund():
    n = next(_unique)
    return f.FundFactory(name=f"Test fund {n}", slug=f"test-fund-{n}", code=f"TF{n}")


def make_category():
    n = next(_unique)
    return bids.SpendCategory.objects.create(name=f"Category {n}", slug=f"category-{n}")


def make_round():
    funding_round = f.FundingRoundFactory()
    f.EnvelopeFactory(round=funding_round)
    f.CriterionFactory(round=funding_round)
    f.AwardFactory(bid__round=funding_round)
    return funding_round


def make_bid():
    bid = f.BidFactory(partners=["leicestershire"], collaboration=f.CollaborationFactory())
    f.BidEventFactory(bid=bid)
    return bid


def make_review():
    return f.ScoreFactory().review


def make_award():
    award = f.AwardFactory()
    tranche = f.TrancheFactory(award=award, financial_year=2016, amount=Decimal("2240000.00"))
    f.TrancheFactory(award=award, financial_year=2017, amount=Decimal("3500000.00"))
    f.PaymentFactory(tranche=tranche)
    f.AwardShareFactory(award=award)
    return award


def make_tranche():
    tranche = f.TrancheFactory()
    f.PaymentFactory(tranche=tranche)
    f.SpendReturnFactory(tranche=tranche)
    return tranche


def make_spend_return():
    return f.SpendReturnFactory(
        verified_by=f.UserFactory(analyst=True), status=bids.SpendReturn.Status.VERIFIED
    )


# Model, a function that adds one row (and what its columns reach for), and the most queries
# its changelist may take. The same number holds for 1, 3 or 50 rows.
CHANGELISTS = [
    (bids.Fund, make_fund, 5),
    (bids.SpendCategory, make_category, 5),
    (bids.FundingRound, make_round, 9),
    (bids.Envelope, f.EnvelopeFactory, 8),
    (bids.Criterion, f.CriterionFactory, 6),
    (bids.Bid, make_bid, 10),
    (bids.FundingLine, f.BidFactory, 7),
    (bids.Document, f.DocumentFactory, 7),
    (bids.Clarification, f.ClarificationFactory, 8),
    (bids.Review, make_review, 9),
    (bids.Score, f.ScoreFactory, 7),
    (bids.Award, make_award, 10),
    (bids.AwardShare, f.AwardShareFactory, 6),
    (bids.Tranche, make_tranche, 8),
    (bids.Payment, f.PaymentFactory, 9),
    (bids.SpendReturn, make_spend_return, 10),
    (bids.BidEvent, f.BidEventFactory, 7),
]


def test_every_bids_model_has_an_admin():
    registered = {model for model in admin.site._registry if model._meta.app_label == "bids"}
    assert registered == {model for model, _, _ in CHANGELISTS}


@pytest.mark.parametrize(
    ("model", "make", "queries"), CHANGELISTS, ids=[m._meta.model_name for m, _, _ in CHANGELISTS]
)
def test_changelist_lists_rows_in_a_fixed_number_of_queries(
    admin_client, django_assert_max_num_queries, model, make, queries
):
    assert_changelist_lists_rows(admin_client, django_assert_max_num_queries, model, make, queries)


@pytest.mark.parametrize(
    ("model", "make"),
    [
        (bids.Bid, make_bid),
        (bids.FundingRound, make_round),
        (bids.Award, make_award),
        (bids.Tranche, make_tranche),
        (bids.Payment, f.PaymentFactory),
        (bids.Review, make_review),
        (bids.SpendReturn, make_spend_return),
    ],
    ids=lambda value: getattr(value, "__name__", None),
)
def test_changelist_queries_do_not_grow_with_rows(admin_client, model, make):
    assert_changelist_queries_constant(admin_client, model, make)


@pytest.mark.parametrize(
    ("model", "make"),
    [(model, make) for model, make, _ in CHANGELISTS],
    ids=[m._meta.model_name for m, _, _ in CHANGELISTS],
)
def test_change_page_renders(admin_client, model, make):
    obj = make()
    if not isinstance(obj, model):
        obj = model.objects.first()

    response = admin_client.get(url(model, "change", obj.pk))

    assert response.status_code == 200


# --------------------------------------------------------------------------- money and years


def test_bid_changelist_shows_requested_total_in_pounds(admin_client):
    f.BidFactory(reference="PTF-2016-0042")

    response = admin_client.get(url(bids.Bid))

    assert "PTF-2016-0042" in response.content.decode()
    assert "£5,740,000.00" in response.content.decode()


def test_round_changelist_counts_bids_and_totals_awards(admin_client):
    funding_round = f.FundingRoundFactory(name="2016/17 main round")
    f.EnvelopeFactory(round=funding_round, amount=Decimal("34000000.00"))
    f.AwardFactory(bid__round=funding_round, total=Decimal("2240000.00"))
    f.AwardFactory(bid__round=funding_round, total=Decimal("1500000.00"))
    f.BidFactory(round=funding_round)

    response = admin_client.get(url(bids.FundingRound))

    row = response.context["cl"].result_list.get(pk=funding_round.pk)
    assert row.bid_count == 3
    assert row.awarded_total == Decimal("3740000.00")
    assert row.envelope_total == Decimal("34000000.00")
    content = response.content.decode()
    assert "£3,740,000.00" in content
    assert "£34,000,000.00" in content
    assert "2016/17 to 2017/18" in content


def test_award_page_shows_its_tranches_and_money_in_pounds(admin_client):
    award = f.AwardFactory(total=Decimal("5740000.00"))
    first = f.TrancheFactory(award=award, financial_year=2016, amount=Decimal("2240000.00"))
    f.TrancheFactory(award=award, financial_year=2017, amount=Decimal("3500000.00"))
    f.PaymentFactory(tranche=first, amount=Decimal("1000000.00"), reference="BACS-0001")

    response = admin_client.get(url(bids.Award, "change", award.pk))

    assert response.status_code == 200
    tranches = next(
        formset
        for formset in response.context["inline_admin_formsets"]
        if formset.formset.model is bids.Tranche
    )
    assert [form.instance.financial_year for form in tranches.formset.forms] == [2016, 2017]
    content = response.content.decode()
    assert '<option value="2016" selected>2016/17</option>' in content
    assert '<option value="2017" selected>2017/18</option>' in content
    assert "£5,740,000.00" in content  # allocated to tranches
    assert "£1,000,000.00" in content  # paid, and the payment listed
    assert "BACS-0001" in content


def test_award_page_refuses_tranches_that_do_not_add_up(admin_client):
    award = f.AwardFactory(total=Decimal("5740000.00"))
    f.TrancheFactory(award=award, financial_year=2016, amount=Decimal("2240000.00"))
    f.TrancheFactory(award=award, financial_year=2017, amount=Decimal("3500000.00"))
    page = admin_client.get(url(bids.Award, "change", award.pk))

    response = admin_client.post(
        url(bids.Award, "change", award.pk),
        form_data(page, "award_form", **{"tranches-1-amount": "3000000.00"}),
    )

    assert response.status_code == 200
    assert (
        "The tranches add up to £5,240,000.00, not the award of £5,740,000.00."
        in response.content.decode()
    )
    assert sorted(award.tranches.values_list("amount", flat=True)) == [
        Decimal("2240000.00"),
        Decimal("3500000.00"),
    ]


def test_award_page_saves_tranches_that_add_up(admin_client):
    award = f.AwardFactory(total=Decimal("5740000.00"))
    f.TrancheFactory(award=award, financial_year=2016, amount=Decimal("2240000.00"))
    f.TrancheFactory(award=award, financial_year=2017, amount=Decimal("3500000.00"))
    page = admin_client.get(url(bids.Award, "change", award.pk))

    response = admin_client.post(
        url(bids.Award, "change", award.pk),
        form_data(
            page,
            "award_form",
            **{"tranches-0-amount": "2740000.00", "tranches-1-amount": "3000000.00"},
        ),
    )

    assert response.status_code == 302
    assert dict(award.tranches.values_list("financial_year", "amount")) == {
        2016: Decimal("2740000.00"),
        2017: Decimal("3000000.00"),
    }


# --------------------------------------------------------------------------- bids


def test_bid_search_finds_a_bid_by_reference(admin_client):
    wanted = f.BidFactory(reference="PTF-2016-0107", title="Athena collaboration")
    f.BidFactory(reference="PTF-2016-0108", title="Digital transmission of images")
    f.BidFactory(reference="PTF-2017-0001", title="Child abuse image database")

    response = admin_client.get(url(bids.Bid), {"q": "PTF-2016-0107"})

    assert list(response.context["cl"].result_list) == [wanted]
    assert "Athena collaboration" in response.content.decode()


def test_bid_history_page_shows_a_change_made_in_the_admin(admin_client, admin_user):
    bid = f.BidFactory(title="East Midlands technology plan")
    page = admin_client.get(url(bids.Bid, "change", bid.pk))

    saved = admin_client.post(
        url(bids.Bid, "change", bid.pk),
        form_data(page, "bid_form", title="East Midlands integrated technology plan"),
    )
    response = admin_client.get(url(bids.Bid, "history", bid.pk))

    assert saved.status_code == 302
    assert response.status_code == 200
    content = response.content.decode()
    assert "Changed" in content
    assert "East Midlands technology plan" in content
    assert "East Midlands integrated technology plan" in content
    assert bid.history.latest().history_user == admin_user


def test_bid_status_cannot_be_changed_in_the_admin(admin_client):
    bid = f.BidFactory(submitted=True)
    page = admin_client.get(url(bids.Bid, "change", bid.pk))

    response = admin_client.post(
        url(bids.Bid, "change", bid.pk),
        form_data(page, "bid_form", status="approved", reference="PTF-9999-9999"),
    )

    assert response.status_code == 302  # saved, without the fields the workflow keeps
    bid.refresh_from_db()
    assert bid.status == bids.Bid.Status.SUBMITTED
    assert bid.reference != "PTF-9999-9999"
    assert "bids/services.py" in page.content.decode()


def test_bid_page_shows_its_events_read_only(admin_client):
    bid = f.BidFactory()
    f.BidEventFactory(bid=bid, note="Started from the portal")

    response = admin_client.get(url(bids.Bid, "change", bid.pk))

    content = response.content.decode()
    assert "Started from the portal" in content
    assert 'name="events-0-note"' not in content
    assert 'name="funding_lines-0-amount"' in content


def test_funding_line_outside_the_round_years_is_refused(admin_client):
    bid = f.BidFactory()
    page = admin_client.get(url(bids.Bid, "change", bid.pk))

    response = admin_client.post(
        url(bids.Bid, "change", bid.pk),
        form_data(page, "bid_form", **{"funding_lines-1-financial_year": "2019"}),
    )

    assert response.status_code == 200
    assert "2019/20 is outside the round&#x27;s years" in response.content.decode()


def test_funding_lines_changed_in_the_admin_change_the_stored_total(admin_client):
    bid = f.BidFactory(submitted=True)
    page = admin_client.get(url(bids.Bid, "change", bid.pk))

    response = admin_client.post(
        url(bids.Bid, "change", bid.pk),
        form_data(
            page,
            "bid_form",
            **{"funding_lines-0-amount": "1000000.00", "funding_lines-1-DELETE": "on"},
        ),
    )

    assert response.status_code == 302
    bid.refresh_from_db()
    assert bid.requested_total == Decimal("1000000.00")
    line = bid.funding_lines.get()
    admin_client.post(url(bids.FundingLine, "delete", line.pk), {"post": "yes"})
    bid.refresh_from_db()
    assert bid.requested_total == Decimal("0.00")


def test_bids_are_not_added_in_the_admin(admin_client):
    assert admin_client.get(url(bids.Bid, "add")).status_code == 403


# --------------------------------------------------------------------------- read-only records


def _request_as(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_bid_events_cannot_be_added_changed_or_deleted(admin_client, admin_user):
    event = f.BidEventFactory()
    model_admin = admin.site._registry[bids.BidEvent]
    request = _request_as(admin_user)

    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)
    assert admin_client.get(url(bids.BidEvent, "add")).status_code == 403
    assert admin_client.get(url(bids.BidEvent, "delete", event.pk)).status_code == 403
    assert admin_client.post(url(bids.BidEvent, "change", event.pk), {"note": "x"}).status_code == (
        403
    )
    view = admin_client.get(url(bids.BidEvent, "change", event.pk))
    assert view.status_code == 200
    assert 'name="_save"' not in view.content.decode()


def test_tranche_paid_and_spent_are_read_only(admin_client):
    award = make_award()
    tranche = award.tranches.get(financial_year=2016)

    response = admin_client.get(url(bids.Award, "change", award.pk))

    content = response.content.decode()
    assert 'name="tranches-0-amount"' in content
    assert 'name="tranches-0-paid"' not in content
    assert 'name="tranches-0-spent"' not in content
    assert admin_client.get(url(bids.Tranche, "change", tranche.pk)).status_code == 200
    assert admin_client.get(url(bids.Tranche, "add")).status_code == 403


def test_payment_amount_is_read_only_but_its_reference_can_be_corrected(admin_client):
    payment = f.PaymentFactory(reference="BACS-00O1")
    page = admin_client.get(url(bids.Payment, "change", payment.pk))

    admin_client.post(
        url(bids.Payment, "change", payment.pk),
        form_data(page, "payment_form", reference="BACS-0001", amount="9.99"),
    )

    payment.refresh_from_db()
    assert payment.reference == "BACS-0001"
    assert payment.amount == Decimal("1000000.00")


# --------------------------------------------------------------------------- who gets in


def test_a_non_staff_analyst_is_sent_to_the_admin_login(client, analyst):
    client.force_login(analyst)

    for path in ["/admin/", url(bids.Award)]:
        response = client.get(path)
        assert response.status_code == 302
        assert response.url == f"{reverse('admin:login')}?next={path}"


def test_a_staff_analyst_views_awards_read_only(client):
    analyst = f.UserFactory(username="staff-analyst", analyst=True, is_staff=True)
    award = make_award()
    client.force_login(analyst)

    listing = client.get(url(bids.Award))
    page = client.get(url(bids.Award, "change", award.pk))

    assert listing.status_code == 200
    assert award.bid.reference in listing.content.decode()
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert "£5,740,000.00" in page.content.decode()
    # Read-only fields show money and years the way people write them, not as raw numbers.
    assert "5740000.00" not in page.content.decode()
    assert "£3,500,000.00" in page.content.decode()
    assert "2017/18" in page.content.decode()
    assert client.post(url(bids.Award, "change", award.pk), {}).status_code == 403
    assert client.get(url(bids.Bid)).status_code == 200
