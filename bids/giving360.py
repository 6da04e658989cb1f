"""Published awards in the 360Giving Data Standard (schema 1.4), one grant per award.

Identifiers, as the standard asks (https://standard.threesixtygiving.org, "Identifiers"):

- **Grants**: ``360G-fundtracker-`` and the award's reference, such as
  ``360G-fundtracker-PTF-2016-0001``. ``360G-`` prefixes are issued by 360Giving to each
  publisher; ``360G-fundtracker`` stands in until one is registered, and the
  ``GIVING360_PREFIX`` setting replaces it without a code change.
- **Recipients**: the policing body of the lead force (the Police and Crime Commissioner, the
  mayor or the authority that bid and receives the money). Policing bodies have no entry in any
  organisation register that org-id.guide lists (they are neither charities, companies nor
  local authorities), so, as the standard allows, they get an identifier under the publisher's
  own prefix from the force's data.police.uk identifier:
  ``360G-fundtracker-policing-body-nottinghamshire``. Their ``url`` is the force's public page.
- **Funder**: the fund's sponsor. The Home Office is ``GB-GOVUK-home-office``, from the
  org-id.guide list ``GB-GOVUK`` (GOV.UK's departments, agencies and public bodies, identified by
  the slug of their GOV.UK page); another sponsor gets one under the publisher's prefix.

Amounts are JSON numbers, as the standard requires: pounds and pence of up to 14 digits (the
model's limit) print exactly, since a double holds 15 significant digits.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from bids.api import LICENCE_URL
from bids.models import Award
from forces.models import Force
from fundtracker.money import to_money
from fundtracker.years import fy_bounds, fy_label

DEFAULT_PREFIX = "360G-fundtracker"
SCHEMA_VERSION = "1.4"
CURRENCY = "GBP"
HOME_OFFICE_URL = "https://www.gov.uk/government/organisations/home-office"
# Funders with an identifier in a register, by the fund's ``sponsor``.
REGISTERED_FUNDERS = {"Home Office": ("GB-GOVUK-home-office", HOME_OFFICE_URL)}
CATEGORY_VOCABULARY = "Police Transformation Fund spend categories"


def prefix() -> str:
    """The publisher's 360Giving prefix."""
    return getattr(settings, "GIVING360_PREFIX", DEFAULT_PREFIX)


def number(amount: Decimal) -> int | float:
    """Money as a JSON number: whole pounds as an integer, pence as a float that prints exactly
    (see the module's docstring)."""
    amount = to_money(amount)
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def body_name(force: Force) -> str:
    """The policing body's name, such as Nottinghamshire Police and Crime Commissioner; a mayor
    or an authority goes by its own title."""
    body = force.policing_body
    if not body:
        return f"{force.short_name} policing body"
    if body.endswith("Commissioner"):
        return f"{force.short_name} {body}"
    return body


def body_id(force: Force) -> str:
    return f"{prefix()}-policing-body-{force.slug}"


def funder(sponsor: str) -> dict:
    identifier, url = REGISTERED_FUNDERS.get(
        sponsor, (f"{prefix()}-funder-{slugify(sponsor)}", None)
    )
    organisation = {"id": identifier, "name": sponsor}
    if url:
        organisation["url"] = url
    return organisation


def _stamp(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds")


def _location(force: Force) -> dict:
    """The force's police force area (named like the area: Nottinghamshire); a national force
    or body has no area, so it is named in full, in the United Kingdom."""
    if not force.ons_code:
        return {"name": force.name, "countryCode": "GB"}
    return {
        "name": force.short_name,
        "countryCode": "GB",
        "geoCode": force.ons_code,
        "geoCodeType": "PFA",
    }


def modified_at(award: Award) -> datetime.datetime:
    """When what the grant shows last changed: the decision, the publication of the round's
    results, or the latest payment recorded."""
    return max(
        [
            award.decided_at,
            award.bid.round.results_published_at,
            *(
                payment.recorded_at
                for tranche in award.tranches.all()
                for payment in tranche.payments.all()
            ),
        ]
    )


def grant(award: Award, absolute) -> dict:
    """One award as a 360Giving grant, from ``Award.objects.for_open_data().with_payments()``
    annotated ``with_money()``; ``absolute`` turns a path into a full URL."""
    bid = award.bid
    funding_round = bid.round
    fund = funding_round.fund
    lead = bid.lead_force
    partners = list(bid.partner_forces.all())
    tranches = list(award.tranches.all())

    grant_id = f"{prefix()}-{bid.reference}"
    page = absolute(reverse("public:award_detail", args=[bid.reference]))
    award_date = timezone.localdate(award.decided_at).isoformat()
    funding = funder(fund.sponsor)
    recipient = {
        "id": body_id(lead),
        "name": body_name(lead),
        "url": absolute(reverse("public:force_detail", args=[lead.slug])),
    }
    start, _ = fy_bounds(funding_round.first_financial_year)
    _, end = fy_bounds(funding_round.last_financial_year)
    years = funding_round.last_financial_year - funding_round.first_financial_year + 1
    with_partners = f" with {', '.join(force.short_name for force in partners)}" if partners else ""
    description = bid.summary.strip() or (
        f"{fund.name} award to {body_name(lead)} for {lead.name}{with_partners}: {bid.title}."
    )

    data = {
        "id": grant_id,
        "title": bid.title,
        "description": description,
        "currency": CURRENCY,
        "amountAwarded": number(award.total),
        "amountDisbursed": number(award.paid),
        "awardDate": award_date,
        "url": page,
        "plannedDates": [
            {
                "title": f"Funding round years: {funding_round.years_label}",
                "startDate": start.isoformat(),
                "endDate": end.isoformat(),
                "duration": 12 * years,
            }
        ],
        "recipientOrganization": [recipient],
        "fundingOrganization": [funding],
        "beneficiaryLocation": [_location(force) for force in [lead, *partners]],
        "grantProgramme": [
            {
                "code": funding_round.slug,
                "title": f"{fund.name}: {funding_round.name}",
                "url": absolute(f"{reverse('public:allocations')}?round={funding_round.slug}"),
            }
        ],
        "fromOpenCall": "Yes",
        "commitmentTransaction": [
            {
                "id": f"{grant_id}-{tranche.financial_year}",
                "description": f"Tranche for {fy_label(tranche.financial_year)}",
                "transactionDate": award_date,
                "currency": CURRENCY,
                "value": number(tranche.amount),
                "provider": funding["id"],
                "recipient": recipient["id"],
            }
            for tranche in tranches
        ],
        "disbursementTransaction": [
            {
                "id": f"{grant_id}-payment-{payment.pk}",
                "description": f"Payment against the {fy_label(tranche.financial_year)} tranche",
                "transactionDate": payment.paid_on.isoformat(),
                "currency": CURRENCY,
                "value": number(payment.amount),
                "provider": funding["id"],
                "recipient": recipient["id"],
            }
            for tranche in tranches
            for payment in tranche.payments.all()
        ],
        "dataSource": page,
        "dateModified": _stamp(modified_at(award)),
    }
    if bid.spend_category is not None:
        data["classifications"] = [
            {
                "vocabulary": CATEGORY_VOCABULARY,
                "code": bid.spend_category.slug,
                "title": bid.spend_category.name,
                "url": absolute(reverse("public:category_detail", args=[bid.spend_category.slug])),
            }
        ]
    return data


def package(absolute) -> dict | None:
    """Every published award as a 360Giving package; ``None`` while none is published (the
    standard requires at least one grant). Five queries however many awards."""
    awards = (
        Award.objects.published()
        .with_money()
        .for_open_data()
        .with_payments()
        .order_by("bid__reference")
    )
    awards = list(awards)
    if not awards:
        return None
    return {
        "version": SCHEMA_VERSION,
        "title": "Police Transformation Fund awards",
        "description": "Awards of the Police Transformation Fund and the funds before it to "
        "police forces in England and Wales, with their yearly tranches and payments. Only "
        "the results of funding rounds the Home Office has published.",
        "identifier": f"{prefix()}-awards",
        "modified": _stamp(max(modified_at(award) for award in awards)),
        "publisher": {
            "identifier": REGISTERED_FUNDERS["Home Office"][0],
            "name": "Home Office",
            "website": HOME_OFFICE_URL,
        },
        "license": LICENCE_URL,
        "downloadURL": absolute(reverse("public:giving360")),
        "accessURL": absolute(reverse("public:open_data")),
        "grants": [grant(award, absolute) for award in awards],
    }
