"""The open-data page and the 360Giving file."""

import json

from django.contrib.auth.decorators import login_not_required
from django.db.models import Max
from django.urls import path, reverse
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView

from bids import api, openapi
from bids import giving360 as giving360_package
from bids.allocations import CSV_HEADER
from bids.models import Award, FundingRound
from fundtracker.cache import BROWSER_MAX_AGE, SERVER_TIMEOUT, cache_public

# What each column of /allocations.csv holds, in the order of ``CSV_HEADER``.
CSV_COLUMNS = {
    "fund": "Name of the fund, such as Police Transformation Fund.",
    "round": "Name of the funding round, such as 2016/17 round 1.",
    "round_results_published": "Date the Home Office published the round’s results (YYYY-MM-DD).",
    "award_reference": "The award’s reference, the same as its bid’s: PTF-2016-0001.",
    "award_title": "What the money is for.",
    "lead_force_slug": "data.police.uk identifier of the force that bid, such as nottinghamshire.",
    "lead_force": "Name of the force that bid.",
    "partner_force_slugs": "Identifiers of the forces that bid with it, separated by "
    "semicolons; empty for a force bidding alone.",
    "partner_forces": "Names of those forces, separated by semicolons, in the same order.",
    "category_slug": "Identifier of the spend category, such as digital; empty when none "
    "was given.",
    "category": "Name of the spend category.",
    "financial_year": "The tranche’s financial year, 1 April to 31 March: 2016/17.",
    "tranche_status": "Scheduled, Released, Withheld or Closed.",
    "share_force_slug": "With a force or region filter: the force whose share the row "
    "counts; empty otherwise.",
    "share_force": "Name of that force.",
    "share_percent": "The share of the tranche the row counts: 100.00 without a force or "
    "region filter.",
    "allocated": "Money allocated for the year, in pounds with two decimals (that share of "
    "it with a force or region filter).",
    "paid": "Money paid to the policing body, in pounds with two decimals.",
    "spent": "Spend the force reported and the Home Office verified, in pounds with two decimals.",
    "award_url": "The award’s page on this site.",
    "file_generated": "When the file was made (date and time, ISO 8601).",
}

# Where each part of an award goes in the 360Giving file.
GIVING360_FIELDS = [
    ("id", "{prefix}- and the award’s reference: {prefix}-PTF-2016-0001."),
    ("title, description", "The award’s title and its published summary."),
    ("currency, amountAwarded", "GBP and the whole award, as a number in pounds."),
    ("amountDisbursed", "Money paid so far: the sum of the payments below."),
    ("awardDate", "Date of the funding decision."),
    ("plannedDates", "First and last day of the funding round’s financial years."),
    (
        "recipientOrganization",
        "The lead force’s policing body (Police and Crime Commissioner, mayor or authority), "
        "identified as {prefix}-policing-body- and the force’s data.police.uk "
        "identifier, since policing bodies are in no organisation register.",
    ),
    (
        "fundingOrganization",
        "The fund’s sponsor: the Home Office, GB-GOVUK-home-office (the org-id.guide list of "
        "GOV.UK organisations).",
    ),
    (
        "beneficiaryLocation",
        "The police force areas of the lead and partner forces: their ONS codes "
        "(E23000019 for Nottinghamshire) with geoCodeType PFA.",
    ),
    ("grantProgramme", "The funding round: its slug, fund and name."),
    ("classifications", "The spend category, in the vocabulary of the fund’s categories."),
    ("commitmentTransaction", "One for each yearly tranche: the money allocated to the year."),
    ("disbursementTransaction", "One for each payment: its date and amount."),
    ("url, dataSource", "The award’s page on this site."),
    ("dateModified", "The latest of the decision, the results' publication and the payments."),
]


class OpenDataView(TemplateView):
    """Every download and the API, with their fields, licence and what is never published."""

    template_name = "bids/public/opendata/open_data.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        base_url = self.request.build_absolute_uri(reverse("api:root")).rstrip("/")
        examples = {
            name: {
                "request": example["request"],
                "response": json.dumps(example["response"], indent=2, ensure_ascii=False),
            }
            for name, example in openapi.examples(base_url).items()
        }
        filters = [
            {"parameter": parameter, "choices": parameter.allowed() or []}
            for parameter in api.FILTERS
        ]
        context.update(
            csv_columns=[(name, CSV_COLUMNS.get(name, "")) for name in CSV_HEADER],
            giving360_fields=[
                (name, text.format(prefix=giving360_package.prefix()))
                for name, text in GIVING360_FIELDS
            ],
            giving360_available=Award.objects.published().exists(),
            last_published=FundingRound.objects.published().aggregate(
                last=Max("results_published_at")
            )["last"],
            filters=filters,
            group_by=api.GROUP_BY,
            default_page_size=api.DEFAULT_PAGE_SIZE,
            max_page_size=api.MAX_PAGE_SIZE,
            api_root=base_url + "/",
            examples=examples,
            licence_name=api.LICENCE_NAME,
            licence_url=api.LICENCE_URL,
            server_minutes=SERVER_TIMEOUT // 60,
            browser_seconds=BROWSER_MAX_AGE,
            giving360_prefix=giving360_package.prefix(),
        )
        return context


open_data = login_not_required(require_safe(cache_public(OpenDataView.as_view())))


@login_not_required
@require_safe
@cache_public
def giving360(request):
    """Every published award in the 360Giving Data Standard, as one JSON package."""
    package = giving360_package.package(request.build_absolute_uri)
    if package is None:
        return api.ApiError(
            [(None, "No awards have been published yet, so there is no 360Giving file.")],
            status=404,
        ).response()
    response = api.json_response(package)
    response["Content-Disposition"] = 'inline; filename="police-funding-360giving.json"'
    return response


urlpatterns = [
    path("open-data/", open_data, name="open_data"),
    path("open-data/360giving.json", giving360, name="giving360"),
]
