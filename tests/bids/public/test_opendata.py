"""The open-data page: every download and the API documented, with the licence, the fields,
how often the data changes and what is never published; its examples are valid answers."""

import html as htmllib
import json
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bids.allocations import CSV_HEADER
from bids.views.public.opendata import CSV_COLUMNS
from tests.bids.public.test_api import SECRET_REFERENCE, SECRET_TITLE, add_awards, seed
from tests.bids.public.test_api import validator as openapi_validator
from tests.factories import OfficeMemberFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/open-data/"


def text(response) -> str:
    """The page's text without tags and with spaces collapsed: what a reader sees."""
    page = response.content.decode()
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.DOTALL)
    words = htmllib.unescape(re.sub(r"<[^>]+>", " ", page))
    return re.sub(r"\s+", " ", words)


@pytest.fixture
def money(db):
    return seed()


@pytest.fixture
def page(client, money):
    response = client.get(URL)
    assert response.status_code == 200
    return response


def test_the_url_is_open_data():
    assert reverse("public:open_data") == URL


@pytest.mark.parametrize("who", ["anonymous", "analyst", "office"])
def test_everyone_may_read_it(client, money, who):
    if who == "analyst":
        client.force_login(UserFactory(analyst=True))
    elif who == "office":
        client.force_login(OfficeMemberFactory())
    response = client.get(URL)
    assert response.status_code == 200
    assert '<h1 class="govuk-heading-xl">Open data</h1>' in response.content.decode()


def test_it_links_every_download_and_the_api(page):
    content = page.content.decode()
    for name in (
        "public:allocations_csv",
        "public:allocations_pdf",
        "public:giving360",
        "api:openapi",
        "api:awards",
        "api:allocations",
    ):
        assert reverse(name) in content, name
    assert 'href="http://testserver/api/v1/"' in content
    assert 'href="/open-data/360giving.json"' in content


def test_it_states_the_licence(page):
    content = page.content.decode()
    assert (
        'href="https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/" '
        'rel="license">Open Government Licence v3.0</a>'
    ) in content


def test_it_says_how_often_the_data_changes_and_what_is_never_published(page, money):
    words = text(page)
    assert "How often the data changes" in words
    assert "within 10 minutes" in words
    assert f"Results were last published on {money['ptf'].results_published_at:%-d %B %Y}" in words
    for never in (
        "drafts",
        "not funded",
        "business cases",
        "reviewers’ scores",
        "the names of people",
    ):
        assert never in words, never


def test_every_csv_column_is_described(page):
    assert set(CSV_COLUMNS) == set(CSV_HEADER)
    words = text(page)
    for column in CSV_HEADER:
        assert f"{column} {CSV_COLUMNS[column]}" in words


def test_the_360giving_fields_and_identifiers_are_explained(page):
    words = text(page)
    for field in (
        "recipientOrganization",
        "fundingOrganization",
        "beneficiaryLocation",
        "commitmentTransaction",
        "disbursementTransaction",
        "classifications",
    ):
        assert field in words
    assert "360G-fundtracker-PTF-2016-0001" in words
    assert "GB-GOVUK-home-office" in words
    assert "geoCodeType PFA" in words


def test_every_filter_is_documented_with_its_allowed_values(page):
    words = text(page)
    for name in ("fund", "round", "financial_year", "region", "force", "category"):
        assert f"Allowed values of {name}" in words
    assert "ptf-2016-17-round-1 Police Transformation Fund: 2016/17 round 1" in words
    assert "nottinghamshire Nottinghamshire Police" in words
    assert "Allowed values of force (46)" in words
    assert "Allowed values of financial_year (3)" in words
    assert "group_by" in words


def test_nothing_unpublished_appears(page):
    words = page.content.decode()
    for secret in (SECRET_TITLE, SECRET_REFERENCE, "secret-round", "Secret round", "2030/31"):
        assert secret not in words


def examples(page) -> list[dict]:
    blocks = re.findall(r"<pre [^>]*><code>(.*?)</code></pre>", page.content.decode(), re.DOTALL)
    return [json.loads(htmllib.unescape(block)) for block in blocks]


def test_the_example_answers_are_valid_answers(client, page):
    document = client.get("/api/v1/openapi.json").json()
    awards, allocations, error = examples(page)
    for schema, example in (("AwardList", awards), ("Allocations", allocations), ("Error", error)):
        assert not list(openapi_validator(document, schema).iter_errors(example)), schema
    assert "http://testserver/api/v1/awards/?financial_year=2016&amp;page_size=1" in (
        page.content.decode()
    )


def test_the_example_error_is_what_the_api_says(client, page):
    *_, error = examples(page)
    assert client.get("/api/v1/allocations/?group_by=colour").json() == error


def test_before_any_results_the_360giving_file_is_promised(client, db):
    response = client.get(URL)
    assert response.status_code == 200
    words = text(response)
    assert "will be available once the first funding round publishes its results" in words
    assert "No funding round has published its results yet" in words
    assert 'href="/open-data/360giving.json"' not in response.content.decode()


def test_the_page_is_cached(client, money):
    assert client.get(URL)["X-Cache"] == "miss"
    second = client.get(URL)
    assert second["X-Cache"] == "hit"
    assert "max-age=60" in second["Cache-Control"]


def count_queries(client) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as context:
        assert client.get(URL).status_code == 200
    return len(context)


def test_queries_do_not_grow_with_the_awards(client, db, django_assert_max_num_queries):
    add_awards(3)
    few = count_queries(client)
    add_awards(37)
    cache.clear()
    # The six filters' allowed values, whether an award is published, the last publication.
    with django_assert_max_num_queries(8):
        assert client.get(URL).status_code == 200
    assert count_queries(client) == few


def test_tables_scroll_on_narrow_screens_and_can_be_reached_by_keyboard(page):
    content = page.content.decode()
    assert '<div class="app-table-scroll" tabindex="0" role="region"' in content
    assert content.count('<pre class="app-code-block" tabindex="0" role="region"') == 3
