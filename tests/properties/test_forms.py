"""Any values in any portal or review form: the page again with an error summary and nothing
changed, or a redirect. Never an error page.

Each case opens the form as its user would, reads the fields the page really has (so a field
added later is covered without touching this file), and posts values of any kind: the page's
own choices, text in any script, numbers past any column, float-like and negative money,
impossible dates, control characters, fields left out, files of random bytes.
"""

from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from hypothesis import event, given, settings
from hypothesis import strategies as st

from bids.models import Bid, Clarification, SpendReturn, Tranche
from tests.bids.review.test_panel import criteria, recommended, review
from tests.factories import (
    AwardFactory,
    BidFactory,
    ClarificationFactory,
    EnvelopeFactory,
    FundingRoundFactory,
    ReviewFactory,
    SpendReturnFactory,
    TrancheFactory,
    UserFactory,
)
from tests.properties.support import (
    anything,
    day_part,
    fingerprint,
    month_part,
    numberish,
    rolled_back,
    year_part,
)

pytestmark = pytest.mark.django_db

S = Bid.Status


class _Form:
    def __init__(self, action: str):
        self.action = action
        self.fields: dict[str, dict] = {}

    def add(self, name: str, kind: str, value: str | None = None):
        field = self.fields.setdefault(name, {"kind": kind, "options": []})
        if value is not None:
            field["options"].append(value)


class PostForms(HTMLParser):
    """The POST forms of a page and, for each, its fields with the values offered."""

    def __init__(self):
        super().__init__()
        self.forms: list[_Form] = []
        self._form: _Form | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            post = (attrs.get("method") or "").lower() == "post"
            self._form = _Form(attrs.get("action") or "") if post else None
            if self._form:
                self.forms.append(self._form)
        elif self._form is None or not attrs.get("name"):
            if tag == "option" and self._select and self._form:
                self._form.add(self._select, "select", attrs.get("value", ""))
        elif tag == "input":
            kind = (attrs.get("type") or "text").lower()
            if kind in ("submit", "hidden") and attrs["name"] == "csrfmiddlewaretoken":
                return
            choice = kind in ("radio", "checkbox", "submit", "hidden")
            self._form.add(attrs["name"], kind, attrs.get("value", "on") if choice else None)
        elif tag in ("textarea", "button"):
            self._form.add(attrs["name"], tag, attrs.get("value") if tag == "button" else None)
        elif tag == "select":
            self._select = attrs["name"]
            self._form.add(self._select, "select")
        elif tag == "option" and self._select:
            self._form.add(self._select, "select", attrs.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def form_fields(html: str, post_path: str, page_path: str) -> dict[str, dict]:
    parser = PostForms()
    parser.feed(html)
    fields: dict[str, dict] = {}
    for form in parser.forms:
        action = urlsplit(form.action).path or page_path
        if action == post_path:
            fields.update(form.fields)
    return fields


def value_for(name: str, field: dict):
    """What might arrive for one field: one of the page's choices, or anything."""
    junk = anything
    if name.endswith("day"):
        junk = st.one_of(day_part, anything)
    elif name.endswith("month"):
        junk = st.one_of(month_part, anything)
    elif name.endswith("year") or name.isdigit():
        junk = st.one_of(year_part, numberish)
    if field["kind"] == "file":
        return st.builds(
            SimpleUploadedFile,
            st.from_regex(r"[A-Za-z0-9 _-]{1,20}\.(pdf|docx|exe|xlsx)", fullmatch=True),
            st.one_of(st.binary(max_size=300), st.just(b"%PDF-1.7\n"), st.just(b"PK\x03\x04")),
        )
    options = [o for o in field["options"] if o is not None]
    if field["kind"] == "checkbox" and options:
        return st.lists(st.one_of(st.sampled_from(options), anything), max_size=3)
    if options:
        return st.one_of(st.sampled_from(options), st.sampled_from(options), junk)
    return st.one_of(numberish, junk, anything)


def posts(fields: dict[str, dict]):
    """A POST body: each field present with some value, or left out."""
    return st.fixed_dictionaries(
        {}, optional={name: value_for(name, field) for name, field in fields.items()}
    )


# --------------------------------------------------------------------------- the forms

LAST_YEAR = timezone.localdate().year - 1


def _draft(users):
    return BidFactory(created_by=users["office"])


def _clarification(users):
    bid = BidFactory(status=S.CLARIFICATION_REQUESTED, submitted_at=timezone.now())
    return ClarificationFactory(bid=bid).pk


def _released_tranche(**kwargs) -> Tranche:
    award = AwardFactory(bid=BidFactory(approved=True), total=Decimal("1000000.00"))
    return TrancheFactory(award=award, financial_year=2016, amount=award.total, **kwargs)


def _closed_round():
    funding_round = FundingRoundFactory(closed=True)
    for year in (2016, 2017):
        EnvelopeFactory(round=funding_round, financial_year=year, amount=Decimal("1000000.00"))
    criteria(funding_round)
    return funding_round


def case_start(users):
    FundingRoundFactory()
    return "office", reverse("portal:start"), None


def draft_case(section):
    def case(users):
        return "office", reverse(f"portal:{section}", args=[_draft(users).reference]), None

    case.__name__ = f"case_{section}"
    return case


def case_withdraw(users):
    bid = BidFactory(submitted=True)
    return "office", reverse("portal:withdraw", args=[bid.reference]), None


def case_clarification_answer(users):
    pk = _clarification(users)
    bid = Clarification.objects.get(pk=pk).bid
    return "office", reverse("portal:clarification_answer", args=[bid.reference, pk]), None


def case_spend_return(users):
    tranche = _released_tranche()
    url = reverse("portal:spend_return", args=[tranche.award.bid.reference, 2016, 1])
    return "office", url, None


def case_assign(users):
    bid = BidFactory(submitted=True)
    return "analyst", reverse("review:assign", args=[bid.reference]), None


def case_assign_batch(users):
    BidFactory(submitted=True)
    return "analyst", reverse("review:assign_batch"), reverse("review:queue")


def case_declare_interests(users):
    bid = BidFactory(under_review=True, round=_closed_round())
    ReviewFactory(bid=bid, reviewer=users["analyst"])
    return "analyst", reverse("review:declare_interests", args=[bid.reference]), None


def case_score(users):
    bid = BidFactory(under_review=True, round=_closed_round())
    ReviewFactory(
        bid=bid, reviewer=users["analyst"], has_conflict=False, conflict_declared_at=timezone.now()
    )
    return "analyst", reverse("review:score", args=[bid.reference]), None


def case_clarification_ask(users):
    bid = BidFactory(under_review=True)
    return "analyst", reverse("review:clarification_ask", args=[bid.reference]), None


def case_moderate(users):
    bid = BidFactory(round=_closed_round(), under_review=True)
    review(bid, users["analyst"], [2, 4], recommendation="do_not_fund")
    review(bid, users["second_analyst"], [5, 9], recommendation="fund")
    return "analyst", reverse("review:moderate", args=[bid.reference]), None


def case_decide(users):
    bid = recommended(_closed_round(), "70")
    return "approver", reverse("review:decide", args=[bid.reference]), None


def case_decide_batch(users):
    funding_round = _closed_round()
    recommended(funding_round, "70")
    recommended(funding_round, "40", status=S.NOT_RECOMMENDED)
    return "approver", reverse("review:decide_batch", args=[funding_round.slug]), None


def case_tranche_status(users):
    tranche = _released_tranche(status=Tranche.Status.SCHEDULED)
    url = reverse("review:tranche_status", args=[tranche.award.bid.reference, 2016])
    return "analyst", url, None


def case_payment_record(users):
    tranche = _released_tranche()
    url = reverse("review:payment_record", args=[tranche.award.bid.reference, 2016])
    return "analyst", url, None


def case_spend_return_verify(users):
    spend = SpendReturnFactory(tranche=_released_tranche(), status=SpendReturn.Status.SUBMITTED)
    return "analyst", reverse("review:spend_return_verify", args=[spend.pk]), None


CASES = [
    case_start,
    *(draft_case(section) for section in ("about", "involved", "funding", "signoffs")),
    draft_case("documents"),
    case_withdraw,
    case_clarification_answer,
    case_spend_return,
    case_assign,
    case_assign_batch,
    case_declare_interests,
    case_score,
    case_clarification_ask,
    case_moderate,
    case_decide,
    case_decide_batch,
    case_tranche_status,
    case_payment_record,
    case_spend_return_verify,
]


@pytest.fixture(params=CASES, ids=lambda case: case.__name__.removeprefix("case_"))
def form(request, client, settings, tmp_path, office_user, analyst, second_analyst, approver):
    """The case's data, its user signed in, the address to post to and the page's fields."""
    settings.MEDIA_ROOT = tmp_path / "media"
    users = {
        "office": office_user,
        "analyst": analyst,
        "second_analyst": second_analyst,
        "approver": approver,
        "other_approver": UserFactory(username="approver2", approver=True),
    }
    role, post_url, page_url = request.param(users)
    client.force_login(users[role])
    page = client.get(page_url or post_url)
    assert page.status_code == 200, (page_url or post_url, page.status_code)
    fields = form_fields(page.content.decode(), post_url, page_url or post_url)
    assert fields, f"no form posting to {post_url}"
    return client, post_url, fields


# Three quarters of the profile's examples (30 in CI): twenty forms, each post a request.
@settings(max_examples=settings.default.max_examples * 3 // 4)
@given(data=st.data())
def test_a_form_answers_any_values_without_writing_half(form, data):
    client, url, fields = form
    body = data.draw(posts(fields), label="POST")
    with rolled_back():
        before = fingerprint()
        response = client.post(url, body)
        assert response.status_code in (200, 302), response.status_code
        if response.status_code == 200:
            event("refused")
            assert "There is a problem" in response.content.decode()
            assert fingerprint() == before
        else:
            event("redirected")


@pytest.mark.parametrize(
    ("day", "month", "year"),
    [("0", "2147483648", "1000"), ("99999999999999999999", "1", "2016"), ("1", "-9" * 10, "2016")],
)
def test_a_date_of_numbers_past_any_calendar_is_refused(client, office_user, day, month, year):
    """Found by the property above: a month of 2147483648 overflowed Python's date and the
    sign-offs page (and the payment form, which shares the field) failed with an error."""
    bid = BidFactory(created_by=office_user)
    client.force_login(office_user)
    before = fingerprint()
    response = client.post(
        reverse("portal:signoffs", args=[bid.reference]),
        {
            "pcc_signoff_date_day": day,
            "pcc_signoff_date_month": month,
            "pcc_signoff_date_year": year,
        },
    )
    assert response.status_code == 200
    assert "Date the PCC signed off the bid must be a real date" in response.content.decode()
    assert fingerprint() == before
