"""Any query string on the public API and the pages that filter: an answer, never an error page.

The API answers 200, or 400 with JSON whose every error names a parameter that was sent; the
pages answer 200, redirect to a cleaner address, or answer 400 with the filter at fault shown
as a problem. Parameters are the documented ones (``bids.api``, design §6, the review queue's
filters) and others, with values of any text, numbers past any column, repeated, or as raw
percent-escapes that are not UTF-8.
"""

import json
from urllib.parse import quote, urlencode

import pytest
from django.http import QueryDict
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from bids import api
from bids.filters import BidQueueFilter
from tests.bids.public.test_api import seed
from tests.properties.support import anything

pytestmark = pytest.mark.django_db

AWARDS = sorted(p.name for p in api.AWARDS_PARAMETERS)
ALLOCATIONS = sorted(p.name for p in api.ALLOCATIONS_PARAMETERS)
PUBLIC_FILTERS = ["fund", "round", "financial_year", "region", "force", "category", "sort", "page"]
QUEUE_FILTERS = [*BidQueueFilter.Meta.fields, "page"]
# Values that name real rows of ``seed()``, so that some queries find something.
REAL = st.sampled_from(
    ["2016", "2017", "digital", "forensics", "nottinghamshire", "east-midlands", "force", "1"]
)


def queries(names: list[str]):
    """A query string: known and unknown names, any values, some repeated, some raw."""
    pair = st.tuples(
        st.one_of(st.sampled_from(names), st.sampled_from(names), st.text(max_size=12)),
        st.one_of(REAL, anything, st.integers(min_value=-(10**30), max_value=10**30).map(str)),
    )
    encoded = st.lists(pair, max_size=6).map(urlencode)
    # Raw: percent-escapes kept as typed, so "%ff" or a lone "%" reach the server undecoded.
    raw = st.text(max_size=40).map(lambda text: quote(text, safe="=&%+;"))
    return st.one_of(encoded, encoded, encoded, raw)


@pytest.fixture
def published(db):
    seed()


def sent_names(query: str) -> set[str]:
    return set(QueryDict(query).keys())


@pytest.mark.usefixtures("published")
@pytest.mark.parametrize(("path", "names"), [("awards", AWARDS), ("allocations", ALLOCATIONS)])
@given(data=st.data())
def test_the_api_answers_any_query_with_data_or_a_400_naming_the_parameter(
    client, path, names, data
):
    query = data.draw(queries(names))
    response = client.get(f"{reverse(f'api:{path}')}?{query}")
    assert response.status_code in (200, 400), response.content[:300]
    body = json.loads(response.content)
    if response.status_code == 400:
        errors = body["errors"]
        assert errors
        sent = sent_names(query) | ({"group_by"} if path == "allocations" else set())
        for error in errors:
            assert error["parameter"] in sent, error
            assert error["message"]
    else:
        assert "results" in body


@pytest.mark.usefixtures("published")
@pytest.mark.parametrize(
    "url",
    ["public:allocations", "public:allocations_csv", "public:award_list", "public:force_list"],
)
@given(data=st.data())
def test_a_public_page_answers_any_query(client, url, data):
    """200, a redirect to a cleaner address, or a 400 that says which filter is wrong: a page
    with the GOV.UK error summary, or for the CSV download a line per parameter."""
    query = data.draw(queries(PUBLIC_FILTERS))
    response = client.get(f"{reverse(url)}?{query}")
    assert response.status_code in (200, 302, 400), response.status_code
    if response.status_code == 400:
        body = response.content.decode()
        if response["Content-Type"].startswith("text/html"):
            assert "There is a problem" in body
        else:
            for line in body.splitlines():
                name = line.removeprefix("Bad value for the parameter ").split(":")[0]
                assert name in sent_names(query), line


@pytest.mark.usefixtures("published")
@given(data=st.data())
def test_the_review_queue_answers_any_filter(client, analyst, data):
    client.force_login(analyst)
    query = data.draw(queries(QUEUE_FILTERS))
    response = client.get(f"{reverse('review:queue')}?{query}")
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 200:
        assert "Bids" in response.content.decode()


# Pages found by a bid's reference, the way each role reaches them.
REFERENCE_PAGES = [
    (None, "public:award_detail"),
    ("analyst", "review:bid"),
    ("analyst", "review:award"),
    ("analyst", "review:score"),
    ("office_user", "portal:bid"),
    ("office_user", "portal:about"),
    ("office_user", "portal:spend"),
]


@pytest.mark.usefixtures("published")
@pytest.mark.parametrize(("user", "url"), REFERENCE_PAGES)
@given(reference=st.one_of(st.sampled_from(["PTF-2016-0001", "PTF-2099-0042"]), st.text()))
def test_any_reference_in_an_address_is_a_page_or_not_found(request, client, user, url, reference):
    """Found on PostgreSQL: ``/awards/PTF%00-1/`` failed with a ValueError, since PostgreSQL
    cannot compare text holding a NUL; now such an address is a 400 before any view."""
    if user:
        client.force_login(request.getfixturevalue(user))
    path = reverse(url, args=["REF-0"]).replace("REF-0", quote(reference, safe=""))
    response = client.get(path)
    assert response.status_code in (200, 302, 400, 404), response.status_code
    if response.status_code == 400:
        assert "\x00" in reference
