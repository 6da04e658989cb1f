"""The public figures agree everywhere: dashboard, CSV, PDF, API and the database, and nothing
unpublished appears in any public response.

The expected sums are worked out here from the amounts the fixture writes, not by the code under
test.
"""

import csv
import io
import shutil
import subprocess
from decimal import Decimal

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from bids.models import Tranche
from fundtracker.templatetags.govuk import gbp
from tests.factories import (
    AwardFactory,
    AwardShareFactory,
    BidFactory,
    EnvelopeFactory,
    FundingRoundFactory,
    TrancheFactory,
    category,
    force,
)

pytestmark = pytest.mark.django_db

D = Decimal
# (lead, partners with shares %, category, {year: (allocated, paid, spent)})
AWARDS = [
    (
        "nottinghamshire",
        {"nottinghamshire": 50, "leicestershire": 30, "northamptonshire": 20},
        "digital",
        {2016: (D("2240000.00"), D("2240000.00"), D("1500000.00")), 2017: (D("3500000.00"),) * 1},
    ),
    ("west-yorkshire", {}, "forensics", {2016: (D("280000.00"), D("280000.00"), D("200000.00"))}),
    ("kent", {}, "digital", {2017: (D("660000.00"), D("0.00"), D("0.00"))}),
]
ENVELOPES = {(2016, "digital"): D("4600000.00"), (2016, "forensics"): D("1000000.00")}
SECRET_TITLE = "Unpublished quantum truncheon programme"


def money(values):
    allocated, *rest = values
    paid, spent = [*rest, D("0.00"), D("0.00")][:2]
    return allocated, paid, spent


@pytest.fixture
def published():
    funding_round = FundingRoundFactory(
        published=True, first_financial_year=2016, last_financial_year=2017
    )
    for lead, shares, slug, years in AWARDS:
        bid = BidFactory(
            round=funding_round,
            approved=True,
            lead_force=force(lead),
            spend_category=category(slug),
            partners=[s for s in shares if s != lead],
        )
        award = AwardFactory(bid=bid, total=sum(money(v)[0] for v in years.values()))
        for year, values in years.items():
            allocated, paid, spent = money(values)
            TrancheFactory(
                award=award, financial_year=year, amount=allocated, paid=paid, spent=spent
            )
        for slug_, percent in shares.items():
            AwardShareFactory(award=award, force=force(slug_), percent=D(percent))
    for (year, slug), amount in ENVELOPES.items():
        EnvelopeFactory(
            round=funding_round, category=category(slug), financial_year=year, amount=amount
        )
    # An unpublished round with a distinctive award: it must never show.
    hidden = BidFactory(
        round=FundingRoundFactory(closed=True),
        approved=True,
        title=SECRET_TITLE,
        lead_force=force("nottinghamshire"),
        spend_category=category("digital"),
    )
    TrancheFactory(
        award=AwardFactory(bid=hidden, total=D("777777.00")),
        financial_year=2016,
        amount=D("777777.00"),
    )
    return funding_round


def expected(params: dict) -> dict[str, Decimal]:
    """Allocated, paid and spent for the filters, from the fixture's own numbers."""
    totals = {"allocated": D(0), "paid": D(0), "spent": D(0)}
    region_of = {
        "nottinghamshire": "east-midlands",
        "leicestershire": "east-midlands",
        "northamptonshire": "east-midlands",
        "west-yorkshire": "yorkshire-and-the-humber",
        "kent": "south-east",
    }
    for lead, shares, slug, years in AWARDS:
        if params.get("category") not in (None, slug):
            continue
        parts = {f: D(p) / 100 for f, p in shares.items()} or {lead: D(1)}
        if "force" in params:
            parts = {f: p for f, p in parts.items() if f == params["force"]}
        if "region" in params:
            parts = {f: p for f, p in parts.items() if region_of[f] == params["region"]}
        fraction = sum(parts.values(), D(0))
        for year, values in years.items():
            if params.get("financial_year") not in (None, str(year)):
                continue
            for name, value in zip(["allocated", "paid", "spent"], money(values), strict=True):
                totals[name] += value * fraction
    return {name: value.quantize(D("0.01")) for name, value in totals.items()}


FILTERS = [
    {},
    {"financial_year": "2016"},
    {"financial_year": "2016", "category": "digital"},
    {"force": "leicestershire"},
    {"region": "east-midlands", "financial_year": "2017"},
    {"category": "forensics"},
]


@pytest.mark.parametrize(
    "params", FILTERS, ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items())
)
def test_dashboard_csv_api_and_database_agree(client, published, params):
    want = expected(params)

    # The database, through the same QuerySets with the filter applied by hand.
    qs = Tranche.objects.published()
    if "financial_year" in params:
        qs = qs.filter(financial_year=int(params["financial_year"]))
    if "category" in params:
        qs = qs.filter(award__bid__spend_category__slug=params["category"])
    if "force" in params:
        qs = qs.split_by_share().filter(share_force=force(params["force"]).pk)
    if "region" in params:
        from forces.models import Region

        region = Region.objects.get(slug=params["region"])
        qs = qs.split_by_share().filter(share_region=region.pk)
    assert qs.totals() == want

    # The dashboard.
    page = client.get(reverse("public:allocations"), params)
    assert page.status_code == 200
    headline = page.context["headline"]
    assert (headline.allocated, headline.paid, headline.spent) == tuple(want.values())
    assert gbp(want["allocated"], False) in page.content.decode()

    # The CSV: one row per tranche (or per share of it), adding up to the same totals.
    response = client.get(reverse("public:allocations_csv"), params)
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    for name in ["allocated", "paid", "spent"]:
        assert sum((D(row[name]) for row in rows), D(0)).quantize(D("0.01")) == want[name]

    # The API, grouped two ways: the rows add up to the totals, and the totals agree.
    for group_by in ["category", "force"]:
        data = client.get(reverse("api:allocations"), {"group_by": group_by, **params}).json()
        assert {k: D(data["totals"][k]) for k in want} == want
        summed = sum((D(row["allocated"]) for row in data["results"]), D(0))
        assert abs(summed - want["allocated"]) <= D("0.01") * len(data["results"])


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs pdftotext (poppler-utils)")
@pytest.mark.parametrize("params", [{}, {"force": "leicestershire"}])
def test_the_pdf_report_shows_the_same_headline(client, published, params, tmp_path):
    response = client.get(reverse("public:allocations_pdf"), params)
    assert response.status_code == 200
    path = tmp_path / "report.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    want = expected(params)
    assert gbp(want["allocated"], False) in text
    assert gbp(want["spent"], False) in text
    assert SECRET_TITLE not in text


def public_paths(funding_round) -> list[str]:
    """Every public page, download and API endpoint, with real objects in its URL."""
    from bids.models import Award

    award = Award.objects.published().select_related("bid").first()
    args = {
        "slug": {
            "public:force_detail": "nottinghamshire",
            "public:region_detail": "east-midlands",
            "public:category_detail": "digital",
        },
        "reference": award.bid.reference,
    }
    paths = []
    resolver = get_resolver()
    for namespace in ["public", "api"]:
        _, sub = resolver.namespace_dict[namespace]
        for pattern in sub.url_patterns:
            assert isinstance(pattern, URLPattern | URLResolver)
            name = f"{namespace}:{pattern.name}"
            keys = list(pattern.pattern.regex.groupindex)
            if name == "api:allocations":
                paths.append(reverse(name) + "?group_by=category")  # group_by is required
            elif not keys:
                paths.append(reverse(name))
            elif keys == ["slug"] and name in args["slug"]:
                paths.append(reverse(name, kwargs={"slug": args["slug"][name]}))
            elif keys == ["reference"]:
                paths.append(reverse(name, kwargs={"reference": args["reference"]}))
    return paths


def test_nothing_unpublished_appears_in_any_public_response(client, published):
    from forces.models import Collaboration

    paths = public_paths(published)
    collaboration = Collaboration.objects.first()
    if collaboration:
        paths.append(reverse("public:collaboration_detail", kwargs={"slug": collaboration.slug}))
    paths += [
        reverse("api:awards") + "?force=nottinghamshire",
        reverse("api:allocations") + "?group_by=financial_year",
        reverse("public:award_list") + "?category=digital",
        reverse("public:allocations") + "?force=nottinghamshire",
        reverse("public:allocations_csv") + "?category=digital",
    ]
    assert len(paths) >= 20
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        if path.endswith(".pdf"):
            continue  # compressed text; the PDF test above reads its words
        body = (
            b"".join(response.streaming_content) if response.streaming else response.content
        ).decode()
        assert SECRET_TITLE not in body, path
        assert "777777" not in body, path
        assert "777,777" not in body, path
