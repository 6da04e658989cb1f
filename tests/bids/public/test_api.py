"""The JSON API: the shapes of design §6, every filter, grouping, pagination, errors, headers,
query counts, and answers that validate against the API's own OpenAPI document."""

import datetime
import json
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from bids.models import Bid
from tests.factories import (
    AwardFactory,
    AwardShareFactory,
    BidFactory,
    EnvelopeFactory,
    FundFactory,
    FundingRoundFactory,
    PaymentFactory,
    TrancheFactory,
    UserFactory,
    category,
    force,
)

pytestmark = pytest.mark.django_db

SECRET_TITLE = "Moonshot quantum custody suite"
SECRET_REFERENCE = "PTF-2099-0042"
MONEY = r"^-?[0-9]+\.[0-9]{2}$"


def seed() -> dict:
    """Three published awards and what must never be public.

    Published: the East Midlands collaboration (Nottinghamshire lead, Leicestershire and
    Northamptonshire partners, split 50/30/20; 2016/17 and 2017/18), Kent's forensics award and
    a Police Innovation Fund award to West Yorkshire. Envelopes for digital and armed policing
    in 2016/17. Never public: an award of a round whose results are not published, a draft and
    a rejected bid in the published round, all carrying ``SECRET_TITLE``.
    """
    ptf = FundingRoundFactory(
        published=True, name="2016/17 round 1", slug="ptf-2016-17-round-1", decision_date=None
    )
    east_midlands = AwardFactory(
        bid=BidFactory(
            reference="PTF-2016-0001",
            round=ptf,
            approved=True,
            partners=["leicestershire", "northamptonshire"],
        ),
        total=Decimal("5740000.00"),
    )
    first = TrancheFactory(
        award=east_midlands,
        financial_year=2016,
        amount=Decimal("2240000.00"),
        paid=Decimal("1000000.00"),
        spent=Decimal("400000.00"),
    )
    PaymentFactory(tranche=first, amount=Decimal("1000000.00"), paid_on=datetime.date(2016, 9, 1))
    TrancheFactory(award=east_midlands, financial_year=2017, amount=Decimal("3500000.00"))
    for slug, percent in [
        ("nottinghamshire", 50),
        ("leicestershire", 30),
        ("northamptonshire", 20),
    ]:
        AwardShareFactory(award=east_midlands, force=force(slug), percent=Decimal(percent))
    kent = AwardFactory(
        bid=BidFactory(
            reference="PTF-2016-0002",
            round=ptf,
            approved=True,
            lead_force=force("kent"),
            spend_category=category("forensics"),
            title="Kent digital forensics",
        ),
        total=Decimal("300000.00"),
    )
    TrancheFactory(award=kent, financial_year=2016, amount=Decimal("300000.00"))
    EnvelopeFactory(
        round=ptf, category=category("digital"), financial_year=2016, amount=Decimal("4600000")
    )
    EnvelopeFactory(
        round=ptf,
        category=category("armed-policing"),
        financial_year=2016,
        amount=Decimal("34000000"),
    )

    pif = FundingRoundFactory(
        published=True,
        fund=FundFactory(code="PIF", name="Police Innovation Fund", slug="police-innovation-fund"),
        name="2015/16 round",
        slug="pif-2015-16",
        first_financial_year=2015,
        last_financial_year=2015,
    )
    yorkshire = AwardFactory(
        bid=BidFactory(
            reference="PIF-2015-0001",
            round=pif,
            approved=True,
            lead_force=force("west-yorkshire"),
            spend_category=category("workforce"),
            title="Digital transmission of crime-scene images",
            profile={2015: Decimal("100000.00")},
        ),
        total=Decimal("100000.00"),
    )
    TrancheFactory(award=yorkshire, financial_year=2015, amount=Decimal("100000.00"))

    hidden_round = FundingRoundFactory(closed=True, name="Secret round", slug="secret-round")
    hidden = AwardFactory(
        bid=BidFactory(
            reference=SECRET_REFERENCE,
            round=hidden_round,
            approved=True,
            title=SECRET_TITLE,
            lead_force=force("cumbria"),
        ),
        total=Decimal("999.99"),
    )
    TrancheFactory(award=hidden, financial_year=2016, amount=Decimal("999.99"))
    TrancheFactory(award=hidden, financial_year=2030, amount=Decimal("0.00"))
    EnvelopeFactory(
        round=hidden_round, category=category("workforce"), financial_year=2016, amount=777
    )
    BidFactory(round=ptf, reference="PTF-2016-0998", title=f"{SECRET_TITLE} draft")
    BidFactory(
        round=ptf,
        reference="PTF-2016-0999",
        title=f"{SECRET_TITLE} rejected",
        status=Bid.Status.REJECTED,
    )
    return {"ptf": ptf, "pif": pif, "east_midlands": east_midlands, "hidden": hidden}


@pytest.fixture
def money(db):
    return seed()


def get_json(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Access-Control-Allow-Origin"] == "*"
    return response.json()


def references(client, query=""):
    return [award["reference"] for award in get_json(client, f"/api/v1/awards/{query}")["results"]]


def problems(client, url, status=400):
    body = get_json(client, url, status)
    assert body["error"] == body["errors"][0]
    return [problem["parameter"] for problem in body["errors"]]


# --------------------------------------------------------------------------- awards


def test_an_award_has_exactly_the_shape_of_the_design(client, money):
    body = get_json(client, "/api/v1/awards/?force=leicestershire")
    assert body == {
        "count": 1,
        "next": None,
        "previous": None,
        "results": [
            {
                "reference": "PTF-2016-0001",
                "title": "East Midlands integrated technology plan",
                "fund": "police-transformation-fund",
                "round": "ptf-2016-17-round-1",
                "lead_force": {"slug": "nottinghamshire", "name": "Nottinghamshire Police"},
                "partner_forces": [
                    {"slug": "leicestershire", "name": "Leicestershire Police"},
                    {"slug": "northamptonshire", "name": "Northamptonshire Police"},
                ],
                "category": {"slug": "digital", "name": "Digital"},
                "amount_awarded": "5740000.00",
                "tranches": [
                    {
                        "financial_year": "2016/17",
                        "allocated": "2240000.00",
                        "paid": "1000000.00",
                        "spent": "400000.00",
                    },
                    {
                        "financial_year": "2017/18",
                        "allocated": "3500000.00",
                        "paid": "0.00",
                        "spent": "0.00",
                    },
                ],
            }
        ],
    }


def test_awards_are_in_order_of_reference(client, money):
    assert references(client) == ["PIF-2015-0001", "PTF-2016-0001", "PTF-2016-0002"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?fund=police-transformation-fund", ["PTF-2016-0001", "PTF-2016-0002"]),
        ("?fund=police-innovation-fund", ["PIF-2015-0001"]),
        ("?round=ptf-2016-17-round-1", ["PTF-2016-0001", "PTF-2016-0002"]),
        ("?round=pif-2015-16", ["PIF-2015-0001"]),
        ("?financial_year=2016", ["PTF-2016-0001", "PTF-2016-0002"]),
        ("?financial_year=2017", ["PTF-2016-0001"]),
        ("?category=forensics", ["PTF-2016-0002"]),
        ("?category=armed-policing", []),
        ("?force=northamptonshire", ["PTF-2016-0001"]),
        ("?force=kent", ["PTF-2016-0002"]),
        ("?force=cumbria", []),
        ("?region=east-midlands", ["PTF-2016-0001"]),
        ("?region=yorkshire-and-the-humber", ["PIF-2015-0001"]),
        ("?region=south-east&financial_year=2016", ["PTF-2016-0002"]),
        ("?region=south-east&financial_year=2017", []),
        ("?category=&force=", ["PIF-2015-0001", "PTF-2016-0001", "PTF-2016-0002"]),
    ],
)
def test_each_filter_keeps_the_awards_with_a_matching_tranche(client, money, query, expected):
    assert references(client, query) == expected


def test_a_filtered_award_is_shown_whole(client, money):
    (award,) = get_json(client, "/api/v1/awards/?financial_year=2017")["results"]
    assert award["amount_awarded"] == "5740000.00"
    assert [t["financial_year"] for t in award["tranches"]] == ["2016/17", "2017/18"]


def test_an_award_without_a_category_or_partners(client, money):
    bid = money["east_midlands"].bid
    bid.spend_category = None
    bid.save()
    bid.partner_forces.clear()
    award = get_json(client, "/api/v1/awards/?force=nottinghamshire")["results"][0]
    assert award["category"] is None
    assert award["partner_forces"] == []


def test_pages_link_to_each_other_keeping_the_filters(client, money):
    first = get_json(client, "/api/v1/awards/?fund=police-transformation-fund&page_size=1")
    assert first["count"] == 2
    assert [a["reference"] for a in first["results"]] == ["PTF-2016-0001"]
    assert first["previous"] is None
    assert first["next"] == (
        "http://testserver/api/v1/awards/?fund=police-transformation-fund&page_size=1&page=2"
    )
    second = get_json(client, first["next"])
    assert [a["reference"] for a in second["results"]] == ["PTF-2016-0002"]
    assert second["next"] is None
    assert second["previous"] == (
        "http://testserver/api/v1/awards/?fund=police-transformation-fund&page_size=1&page=1"
    )


def test_fifty_awards_to_a_page_by_default(client, db):
    funding_round = FundingRoundFactory(published=True)
    for _ in range(51):
        TrancheFactory(award=AwardFactory(bid=BidFactory(round=funding_round, approved=True)))
    body = get_json(client, "/api/v1/awards/")
    assert body["count"] == 51
    assert len(body["results"]) == 50
    assert body["next"].endswith("?page=2")
    assert len(get_json(client, body["next"])["results"]) == 1


def test_no_awards_is_one_empty_page(client, db):
    assert get_json(client, "/api/v1/awards/") == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }
    assert problems(client, "/api/v1/awards/?page=2") == ["page"]


# --------------------------------------------------------------------------- allocations


def rows(client, query):
    body = get_json(client, f"/api/v1/allocations/{query}")
    return [(r["key"], r["label"], r["envelope"], r["allocated"]) for r in body["results"]]


def test_by_force_money_follows_the_shares_and_adds_up(client, money):
    body = get_json(client, "/api/v1/allocations/?group_by=force")
    assert body["results"] == [
        {
            "key": "kent",
            "label": "Kent Police",
            "envelope": None,
            "allocated": "300000.00",
            "paid": "0.00",
            "spent": "0.00",
        },
        {
            "key": "leicestershire",
            "label": "Leicestershire Police",
            "envelope": None,
            "allocated": "1722000.00",
            "paid": "300000.00",
            "spent": "120000.00",
        },
        {
            "key": "northamptonshire",
            "label": "Northamptonshire Police",
            "envelope": None,
            "allocated": "1148000.00",
            "paid": "200000.00",
            "spent": "80000.00",
        },
        {
            "key": "nottinghamshire",
            "label": "Nottinghamshire Police",
            "envelope": None,
            "allocated": "2870000.00",
            "paid": "500000.00",
            "spent": "200000.00",
        },
        {
            "key": "west-yorkshire",
            "label": "West Yorkshire Police",
            "envelope": None,
            "allocated": "100000.00",
            "paid": "0.00",
            "spent": "0.00",
        },
    ]
    assert body["totals"] == {
        "envelope": None,
        "allocated": "6140000.00",
        "paid": "1000000.00",
        "spent": "400000.00",
    }


@pytest.mark.parametrize("group_by", ["category", "force", "region", "financial_year"])
@pytest.mark.parametrize("query", ["", "&financial_year=2016", "&region=east-midlands"])
def test_rows_add_up_to_the_totals(client, money, group_by, query):
    body = get_json(client, f"/api/v1/allocations/?group_by={group_by}{query}")
    assert body["results"]
    for name in ("allocated", "paid", "spent"):
        assert sum(Decimal(row[name]) for row in body["results"]) == Decimal(body["totals"][name])
    if group_by in ("category", "financial_year"):
        envelopes = sum(Decimal(row["envelope"]) for row in body["results"])
        assert envelopes == Decimal(body["totals"]["envelope"])


def test_by_region_in_the_regions_own_order(client, money):
    assert rows(client, "?group_by=region") == [
        ("yorkshire-and-the-humber", "Yorkshire and the Humber", None, "100000.00"),
        ("east-midlands", "East Midlands", None, "5740000.00"),
        ("south-east", "South East", None, "300000.00"),
    ]


def test_by_category_includes_money_set_aside_but_not_allocated(client, money):
    assert rows(client, "?group_by=category") == [
        ("armed-policing", "Armed policing", "34000000.00", "0.00"),
        ("digital", "Digital", "4600000.00", "5740000.00"),
        ("forensics", "Forensics", "0.00", "300000.00"),
        ("workforce", "Workforce", "0.00", "100000.00"),
    ]


def test_by_year_the_key_is_the_start_year(client, money):
    body = get_json(client, "/api/v1/allocations/?group_by=financial_year")
    assert [(r["key"], r["label"], r["envelope"], r["allocated"]) for r in body["results"]] == [
        (2015, "2015/16", "0.00", "100000.00"),
        (2016, "2016/17", "38600000.00", "2540000.00"),
        (2017, "2017/18", "0.00", "3500000.00"),
    ]
    assert body["totals"]["envelope"] == "38600000.00"


def test_a_force_filter_counts_its_share_against_whole_envelopes(client, money):
    body = get_json(client, "/api/v1/allocations/?group_by=category&force=leicestershire")
    assert [(r["key"], r["envelope"], r["allocated"]) for r in body["results"]] == [
        ("armed-policing", "34000000.00", "0.00"),
        ("digital", "4600000.00", "1722000.00"),
    ]
    assert body["totals"] == {
        "envelope": "38600000.00",
        "allocated": "1722000.00",
        "paid": "300000.00",
        "spent": "120000.00",
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("&fund=police-innovation-fund", "100000.00"),
        ("&round=ptf-2016-17-round-1", "6040000.00"),
        ("&financial_year=2017", "3500000.00"),
        ("&category=forensics", "300000.00"),
        ("&force=northamptonshire", "1148000.00"),
        ("&region=east-midlands&financial_year=2016", "2240000.00"),
    ],
)
def test_each_filter_narrows_the_allocations(client, money, query, expected):
    body = get_json(client, f"/api/v1/allocations/?group_by=region{query}")
    assert body["totals"]["allocated"] == expected


def test_a_category_without_an_envelope_or_a_penny_has_no_row(client, money):
    keys = [row[0] for row in rows(client, "?group_by=category&financial_year=2016")]
    assert keys == ["armed-policing", "digital", "forensics"]


# --------------------------------------------------------------------------- bad requests


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/v1/awards/?force=atlantis", "force"),
        ("/api/v1/awards/?region=x%27%20OR%201%3D1", "region"),
        ("/api/v1/awards/?category=nonsense", "category"),
        ("/api/v1/awards/?fund=lottery", "fund"),
        ("/api/v1/awards/?round=secret-round", "round"),
        ("/api/v1/awards/?financial_year=abc", "financial_year"),
        ("/api/v1/awards/?financial_year=2016%2F17", "financial_year"),
        ("/api/v1/awards/?financial_year=2030", "financial_year"),
        ("/api/v1/awards/?page=0", "page"),
        ("/api/v1/awards/?page=x", "page"),
        ("/api/v1/awards/?page=-1", "page"),
        ("/api/v1/awards/?page=%C2%B2", "page"),
        ("/api/v1/awards/?page=2", "page"),
        ("/api/v1/awards/?page_size=10000", "page_size"),
        ("/api/v1/awards/?page_size=0", "page_size"),
        ("/api/v1/awards/?categroy=digital", "categroy"),
        ("/api/v1/awards/?group_by=force", "group_by"),
        ("/api/v1/awards/?force=kent&force=essex", "force"),
        ("/api/v1/awards/?force=%00", "force"),
        ("/api/v1/awards/?page=%EF%BC%91", "page"),
        ("/api/v1/awards/?page=99999999999999999999999", "page"),
        ("/api/v1/allocations/", "group_by"),
        ("/api/v1/allocations/?group_by=", "group_by"),
        ("/api/v1/allocations/?group_by=colour", "group_by"),
        ("/api/v1/allocations/?group_by=award", "group_by"),
        ("/api/v1/allocations/?group_by=force&page=1", "page"),
        ("/api/v1/allocations/?group_by=force&force=atlantis", "force"),
    ],
)
def test_a_bad_parameter_is_a_400_that_names_it(client, money, url, parameter):
    assert problems(client, url) == [parameter]


def test_every_bad_parameter_is_named_at_once(client, money):
    body = get_json(client, "/api/v1/awards/?page=x&colour=red&force=atlantis", 400)
    assert [p["parameter"] for p in body["errors"]] == ["colour", "page", "force"]
    assert "atlantis" in body["errors"][2]["message"]
    assert "fund, round, financial_year" in body["errors"][0]["message"]


def test_messages_say_what_to_send(client, money):
    body = get_json(client, "/api/v1/allocations/", 400)
    assert body["error"] == {
        "parameter": "group_by",
        "message": "group_by is required: choose category, force, region, financial_year.",
    }
    body = get_json(client, "/api/v1/awards/?page=4&page_size=1", 400)
    assert body["error"]["message"] == "There is no page 4: 3 awards make 3 pages of 1."
    body = get_json(client, "/api/v1/awards/?page=9", 400)
    assert body["error"]["message"] == "There is no page 9: 3 awards make 1 page of 50."


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete", "options"])
def test_only_get_and_head_are_answered(client, money, method):
    response = getattr(client, method)("/api/v1/awards/")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.json()["error"]["parameter"] is None


def test_head_answers_like_get(client, money):
    response = client.head("/api/v1/awards/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"


def test_unknown_paths_under_the_api_are_not_found(client, money):
    assert client.get("/api/v1/bids/").status_code == 404


# --------------------------------------------------------------------------- headers, cache


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/",
        "/api/v1/awards/",
        "/api/v1/allocations/?group_by=category",
        "/api/v1/openapi.json",
    ],
)
def test_answers_are_open_and_cached(client, money, url):
    first = client.get(url)
    second = client.get(url)
    assert first["X-Cache"] == "miss"
    assert second["X-Cache"] == "hit"
    assert second.content == first.content
    assert "public" in second["Cache-Control"]
    assert "max-age=60" in second["Cache-Control"]
    assert second["Access-Control-Allow-Origin"] == "*"
    assert second["Content-Type"] == "application/json; charset=utf-8"


def test_signed_in_users_get_the_same_data_privately(client, money):
    anonymous = client.get("/api/v1/awards/").json()
    client.force_login(UserFactory(analyst=True))
    response = client.get("/api/v1/awards/")
    assert response.status_code == 200
    assert response.json() == anonymous
    assert "private" in response["Cache-Control"]


def test_an_error_is_never_cached(client, money):
    client.get("/api/v1/awards/?page=x")
    assert client.get("/api/v1/awards/?page=x").get("X-Cache") is None


# --------------------------------------------------------------------------- never public


def everything(client) -> str:
    urls = [
        "/api/v1/",
        "/api/v1/awards/?page_size=500",
        "/api/v1/openapi.json",
        *(f"/api/v1/allocations/?group_by={g}" for g in ("category", "force", "region")),
        "/api/v1/allocations/?group_by=financial_year",
    ]
    return "\n".join(client.get(url).content.decode() for url in urls)


def test_nothing_unpublished_ever_appears(client, money):
    text = everything(client)
    for secret in (SECRET_TITLE, SECRET_REFERENCE, "secret-round", "Secret round", "999.99"):
        assert secret not in text
    assert "cumbria" not in get_json(client, "/api/v1/allocations/?group_by=force").__repr__()
    assert "2030" not in json.dumps(get_json(client, "/api/v1/openapi.json")["paths"])
    # Nor people's names: the sign-off names and the decision maker.
    bid = money["east_midlands"].bid
    for name in (
        bid.pcc_signoff_name,
        bid.cfo_signoff_name,
        money["east_midlands"].decided_by.last_name,
    ):
        assert name not in text


def test_a_round_appears_once_its_results_are_published(client, money):
    hidden_round = money["hidden"].bid.round
    hidden_round.results_published_at = hidden_round.closes_at
    hidden_round.save()
    cache.clear()
    assert SECRET_REFERENCE in references(client, "?page_size=500")


# --------------------------------------------------------------------------- queries


def count_queries(client, url) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


def add_awards(how_many: int) -> None:
    funding_round = FundingRoundFactory(published=True)
    for _ in range(how_many):
        award = AwardFactory(
            bid=BidFactory(round=funding_round, approved=True, partners=["kent", "essex"])
        )
        TrancheFactory(award=award, financial_year=2016)
        TrancheFactory(award=award, financial_year=2017, amount=Decimal("3500000.00"))
        AwardShareFactory(award=award, force=force("kent"), percent=Decimal(40))
        AwardShareFactory(award=award, force=force("nottinghamshire"), percent=Decimal(60))


@pytest.mark.parametrize(
    ("url", "pinned"),
    [
        # The index reads nothing from the database.
        ("/api/v1/", 0),
        # Count, the page of awards, their tranches, their partner forces.
        ("/api/v1/awards/", 4),
        # … and one check of each filter's value.
        ("/api/v1/awards/?page_size=500&financial_year=2016&force=kent&category=digital", 7),
        # Sums, envelopes, category names, totals, envelope total.
        ("/api/v1/allocations/?group_by=category", 5),
        # Two filter checks, sums, force names, totals.
        ("/api/v1/allocations/?group_by=force&region=south-east&financial_year=2016", 5),
        ("/api/v1/allocations/?group_by=financial_year", 4),
        # The allowed values of the six filters.
        ("/api/v1/openapi.json", 6),
    ],
)
def test_queries_do_not_grow_with_the_awards(
    client, db, url, pinned, django_assert_max_num_queries
):
    add_awards(3)
    few = count_queries(client, url)
    add_awards(37)
    cache.clear()
    with django_assert_max_num_queries(pinned):
        assert client.get(url).status_code == 200
    assert count_queries(client, url) == few


# --------------------------------------------------------------------------- OpenAPI


@pytest.fixture
def document(client, money):
    return get_json(client, "/api/v1/openapi.json")


def validator(document, schema: str) -> Draft202012Validator:
    """Validates against ``#/components/schemas/<schema>`` of the OpenAPI document."""
    uri = "urn:fundtracker:openapi"
    registry = Registry().with_resource(
        uri, Resource.from_contents(document, default_specification=DRAFT202012)
    )
    return Draft202012Validator(
        {"$ref": f"{uri}#/components/schemas/{schema}"},
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def assert_valid(document, schema, instance):
    errors = sorted(validator(document, schema).iter_errors(instance), key=str)
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors]


def test_the_document_is_openapi_3_1_under_the_open_government_licence(document):
    assert document["openapi"] == "3.1.0"
    assert document["info"]["license"] == {
        "name": "Open Government Licence v3.0",
        "url": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
    }
    assert document["servers"] == [{"url": "http://testserver/api/v1"}]
    assert set(document["paths"]) == {"/", "/awards/", "/allocations/", "/openapi.json"}
    for schema in document["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def parameters(document, path):
    return {p["name"]: p for p in document["paths"][path]["get"]["parameters"]}


def test_every_parameter_lists_its_allowed_values(document):
    awards = parameters(document, "/awards/")
    assert list(awards) == [
        "fund",
        "round",
        "financial_year",
        "region",
        "force",
        "category",
        "page",
        "page_size",
    ]
    assert awards["round"]["schema"]["enum"] == ["ptf-2016-17-round-1", "pif-2015-16"]
    assert "secret-round" not in json.dumps(document)
    assert awards["financial_year"]["schema"] == {"type": "integer", "enum": [2015, 2016, 2017]}
    assert len(awards["force"]["schema"]["enum"]) == 46
    assert "nottinghamshire" in awards["force"]["schema"]["enum"]
    assert len(awards["region"]["schema"]["enum"]) == 11
    assert "digital" in awards["category"]["schema"]["enum"]
    assert awards["page_size"]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 500,
        "default": 50,
    }
    allocations = parameters(document, "/allocations/")
    assert allocations["group_by"]["required"] is True
    assert allocations["group_by"]["schema"]["enum"] == [
        "category",
        "force",
        "region",
        "financial_year",
    ]
    assert "page" not in allocations
    assert document["components"]["schemas"]["Money"]["pattern"] == MONEY


def test_the_examples_validate_against_the_schemas(document):
    awards = document["paths"]["/awards/"]["get"]["responses"]
    assert_valid(document, "AwardList", awards["200"]["content"]["application/json"]["example"])
    allocations = document["paths"]["/allocations/"]["get"]["responses"]
    example = allocations["200"]["content"]["application/json"]["example"]
    assert_valid(document, "Allocations", example)
    assert_valid(document, "Error", allocations["400"]["content"]["application/json"]["example"])


@pytest.mark.parametrize(
    ("url", "schema"),
    [
        ("/api/v1/", "Index"),
        ("/api/v1/awards/", "AwardList"),
        ("/api/v1/awards/?page_size=1&page=2", "AwardList"),
        ("/api/v1/allocations/?group_by=category", "Allocations"),
        ("/api/v1/allocations/?group_by=force", "Allocations"),
        ("/api/v1/allocations/?group_by=region", "Allocations"),
        ("/api/v1/allocations/?group_by=financial_year", "Allocations"),
    ],
)
def test_real_answers_validate_against_the_document(client, document, url, schema):
    assert_valid(document, schema, get_json(client, url))


def test_real_errors_validate_against_the_document(client, document):
    assert_valid(document, "Error", get_json(client, "/api/v1/awards/?page=x&colour=red", 400))
    assert_valid(document, "Error", client.post("/api/v1/awards/").json())


def test_the_schemas_are_strict_enough_to_catch_mistakes(client, document):
    award_list = get_json(client, "/api/v1/awards/")
    award_list["results"][0]["amount_awarded"] = 5740000
    assert list(validator(document, "AwardList").iter_errors(award_list))
    award_list = get_json(client, "/api/v1/awards/")
    award_list["results"][0]["tranches"][0]["allocated"] = "2240000.0"
    assert list(validator(document, "AwardList").iter_errors(award_list))
    award_list = get_json(client, "/api/v1/awards/")
    del award_list["results"][0]["lead_force"]["slug"]
    assert list(validator(document, "AwardList").iter_errors(award_list))
    allocations = get_json(client, "/api/v1/allocations/?group_by=force")
    allocations["results"][0]["colour"] = "red"
    assert list(validator(document, "Allocations").iter_errors(allocations))


def test_a_round_published_later_is_an_allowed_value_at_once(client, document):
    hidden_round = FundingRoundFactory(closed=True, slug="published-later")
    hidden_round.results_published_at = hidden_round.closes_at
    hidden_round.save()
    cache.clear()
    later = get_json(client, "/api/v1/openapi.json")
    assert "published-later" in parameters(later, "/awards/")["round"]["schema"]["enum"]


def test_the_index_links_the_endpoints_and_the_document(client, money):
    index = get_json(client, "/api/v1/")
    assert index["openapi"] == "http://testserver/api/v1/openapi.json"
    assert index["endpoints"]["awards"]["url"] == "http://testserver/api/v1/awards/"
    assert index["endpoints"]["allocations"]["url"] == "http://testserver/api/v1/allocations/"
    assert index["documentation"] == "http://testserver/open-data/"
    assert index["licence"]["name"] == "Open Government Licence v3.0"
