"""The 360Giving file: valid against the standard's package schema, one grant per published
award with what the design asks for, nothing unpublished, constant queries."""

import copy
import datetime
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.bids.public.test_api import SECRET_REFERENCE, SECRET_TITLE, add_awards, seed
from tests.factories import AwardFactory, BidFactory, FundingRoundFactory, TrancheFactory, force

pytestmark = pytest.mark.django_db

URL = "/open-data/360giving.json"
REFERENCE = Path(settings.BASE_DIR).parent / "shared" / "reference" / "360giving"
needs_schema = pytest.mark.skipif(
    not (REFERENCE / "360-giving-package-schema.json").exists(),
    reason=f"the 360Giving schemas are not in {REFERENCE}",
)


@pytest.fixture(scope="module")
def package_validator() -> Draft202012Validator:
    """The package schema, its grants resolved to the grant schema (the package refers to the
    grant schema by a URL of another version than the grant schema's ``$id``), formats checked
    so that each date matches exactly one branch of its ``oneOf``."""
    package_schema = json.loads((REFERENCE / "360-giving-package-schema.json").read_text())
    grant_schema = json.loads((REFERENCE / "360-giving-schema.json").read_text())
    grant = Resource.from_contents(grant_schema, default_specification=DRAFT202012)
    registry = Registry().with_resources(
        [
            (grant_schema["$id"], grant),
            (package_schema["properties"]["grants"]["items"]["$ref"], grant),
        ]
    )
    return Draft202012Validator(
        package_schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def errors(validator, package) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(package)
    ]


@pytest.fixture
def money(db):
    return seed()


def package(client):
    response = client.get(URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return response.json()


def grants_by_id(client) -> dict:
    return {grant["id"]: grant for grant in package(client)["grants"]}


@needs_schema
def test_the_file_is_valid_360giving(client, money, package_validator):
    assert errors(package_validator, package(client)) == []


@needs_schema
def test_the_validation_would_catch_a_bad_file(client, money, package_validator):
    data = package(client)
    broken = copy.deepcopy(data)
    del broken["grants"][0]["currency"]
    assert errors(package_validator, broken)
    broken = copy.deepcopy(data)
    broken["grants"][0]["awardDate"] = "5 August 2016"
    assert errors(package_validator, broken)
    broken = copy.deepcopy(data)
    broken["grants"][0]["amountAwarded"] = "5740000.00"
    assert errors(package_validator, broken)
    broken = copy.deepcopy(data)
    broken["grants"][0]["dateModified"] = "2016-08-05"
    assert errors(package_validator, broken)


@needs_schema
def test_many_awards_are_valid_too(client, db, package_validator):
    add_awards(5)
    data = package(client)
    assert len(data["grants"]) == 5
    assert errors(package_validator, data) == []


def test_one_grant_per_published_award(client, money):
    assert sorted(grants_by_id(client)) == [
        "360G-fundtracker-PIF-2015-0001",
        "360G-fundtracker-PTF-2016-0001",
        "360G-fundtracker-PTF-2016-0002",
    ]


def test_the_package_says_who_publishes_it_and_under_what_licence(client, money):
    data = package(client)
    assert data["license"] == (
        "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
    )
    assert data["publisher"]["name"] == "Home Office"
    assert data["version"] == "1.4"
    assert data["downloadURL"] == "http://testserver/open-data/360giving.json"
    assert data["accessURL"] == "http://testserver/open-data/"


def test_a_grant_carries_the_award(client, money):
    grant = grants_by_id(client)["360G-fundtracker-PTF-2016-0001"]
    award = money["east_midlands"]
    assert grant["title"] == "East Midlands integrated technology plan"
    assert grant["description"] == "One technology platform for three forces."
    assert grant["currency"] == "GBP"
    assert grant["amountAwarded"] == 5740000
    assert grant["amountDisbursed"] == 1000000
    assert grant["awardDate"] == award.decided_at.date().isoformat()
    assert grant["plannedDates"] == [
        {
            "title": "Funding round years: 2016/17 to 2017/18",
            "startDate": "2016-04-01",
            "endDate": "2018-03-31",
            "duration": 24,
        }
    ]
    assert grant["recipientOrganization"] == [
        {
            "id": "360G-fundtracker-policing-body-nottinghamshire",
            "name": "Nottinghamshire Police and Crime Commissioner",
            "url": "http://testserver/forces/nottinghamshire/",
        }
    ]
    assert grant["fundingOrganization"] == [
        {
            "id": "GB-GOVUK-home-office",
            "name": "Home Office",
            "url": "https://www.gov.uk/government/organisations/home-office",
        }
    ]
    assert grant["grantProgramme"] == [
        {
            "code": "ptf-2016-17-round-1",
            "title": "Police Transformation Fund: 2016/17 round 1",
            "url": "http://testserver/allocations/?round=ptf-2016-17-round-1",
        }
    ]
    assert grant["classifications"] == [
        {
            "vocabulary": "Police Transformation Fund spend categories",
            "code": "digital",
            "title": "Digital",
            "url": "http://testserver/categories/digital/",
        }
    ]
    assert grant["dataSource"] == "http://testserver/awards/PTF-2016-0001/"
    assert grant["url"] == grant["dataSource"]


def test_beneficiaries_are_the_police_force_areas_of_every_force(client, money):
    grant = grants_by_id(client)["360G-fundtracker-PTF-2016-0001"]
    assert grant["beneficiaryLocation"] == [
        {
            "name": force(slug).short_name,
            "countryCode": "GB",
            "geoCode": force(slug).ons_code,
            "geoCodeType": "PFA",
        }
        for slug in ("nottinghamshire", "leicestershire", "northamptonshire")
    ]
    assert grant["beneficiaryLocation"][0]["geoCode"] == "E23000019"


def test_a_commitment_per_tranche_and_a_disbursement_per_payment(client, money):
    grant = grants_by_id(client)["360G-fundtracker-PTF-2016-0001"]
    award_date = grant["awardDate"]
    common = {
        "currency": "GBP",
        "provider": "GB-GOVUK-home-office",
        "recipient": "360G-fundtracker-policing-body-nottinghamshire",
    }
    assert grant["commitmentTransaction"] == [
        {
            "id": "360G-fundtracker-PTF-2016-0001-2016",
            "description": "Tranche for 2016/17",
            "transactionDate": award_date,
            "value": 2240000,
            **common,
        },
        {
            "id": "360G-fundtracker-PTF-2016-0001-2017",
            "description": "Tranche for 2017/18",
            "transactionDate": award_date,
            "value": 3500000,
            **common,
        },
    ]
    payment = money["east_midlands"].tranches.get(financial_year=2016).payments.get()
    assert grant["disbursementTransaction"] == [
        {
            "id": f"360G-fundtracker-PTF-2016-0001-payment-{payment.pk}",
            "description": "Payment against the 2016/17 tranche",
            "transactionDate": "2016-09-01",
            "value": 1000000,
            **common,
        }
    ]


def test_pence_are_exact_numbers(client, db):
    funding_round = FundingRoundFactory(published=True)
    award = AwardFactory(
        bid=BidFactory(round=funding_round, approved=True), total=Decimal("12345678901.23")
    )
    TrancheFactory(award=award, financial_year=2016, amount=Decimal("12345678901.23"))
    text = client.get(URL).content.decode()
    assert '"amountAwarded":12345678901.23' in text
    assert '"value":12345678901.23' in text


def test_a_force_without_a_police_force_area_is_named_without_a_code(client, db):
    funding_round = FundingRoundFactory(published=True)
    award = AwardFactory(
        bid=BidFactory(
            round=funding_round,
            approved=True,
            lead_force=force("btp"),
            spend_category=None,
            summary="",
            title="Railway body-worn video",
        )
    )
    TrancheFactory(award=award)
    (grant,) = package(client)["grants"]
    assert grant["beneficiaryLocation"] == [
        {"name": "British Transport Police", "countryCode": "GB"}
    ]
    assert "classifications" not in grant
    assert grant["description"].endswith("Railway body-worn video.")


def test_the_prefix_is_a_setting(client, money, settings):
    settings.GIVING360_PREFIX = "360G-homeoffice"
    grant = grants_by_id(client)["360G-homeoffice-PTF-2016-0001"]
    assert grant["recipientOrganization"][0]["id"] == (
        "360G-homeoffice-policing-body-nottinghamshire"
    )


def test_nothing_unpublished_and_no_names_appear(client, money):
    text = client.get(URL).content.decode()
    for secret in (SECRET_TITLE, SECRET_REFERENCE, "Secret round", "cumbria", "999.99"):
        assert secret not in text
    award = money["east_midlands"]
    for name in (
        award.bid.pcc_signoff_name,
        award.bid.cfo_signoff_name,
        award.decided_by.last_name,
    ):
        assert name not in text


def test_without_published_awards_there_is_no_file(client, db):
    hidden_round = FundingRoundFactory(closed=True)
    TrancheFactory(award=AwardFactory(bid=BidFactory(round=hidden_round, approved=True)))
    response = client.get(URL)
    assert response.status_code == 404
    assert response.json()["error"]["message"].startswith("No awards have been published yet")


def test_the_file_is_cached_and_open(client, money):
    first = client.get(URL)
    second = client.get(URL)
    assert (first["X-Cache"], second["X-Cache"]) == ("miss", "hit")
    assert "max-age=60" in second["Cache-Control"]
    assert second["Access-Control-Allow-Origin"] == "*"
    assert client.post(URL).status_code == 405


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
    # Awards with their sums, tranches, payments, partner forces.
    with django_assert_max_num_queries(4):
        assert len(package(client)["grants"]) == 40
    assert count_queries(client) == few


def test_the_latest_change_dates_the_package(client, money):
    data = package(client)
    latest = max(datetime.datetime.fromisoformat(g["dateModified"]) for g in data["grants"])
    assert datetime.datetime.fromisoformat(data["modified"]) == latest
