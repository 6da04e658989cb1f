"""The figures of the public allocations dashboard, its PDF report and its CSV.

``Dashboard`` reads everything from one validated ``AllocationFilter``: each section is a few
database sums (``Tranche.objects.totals_by``, ``Envelope.objects.totals_by``) merged with the
names of the small reference tables, so the number of queries never depends on how many awards
there are. ``csv_rows`` streams one row per tranche in a single query.
"""

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

from django.db.models import Aggregate, CharField, F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from bids.filters import AllocationFilter
from bids.models import (
    Award,
    Bid,
    FundingRound,
    Payment,
    SpendCategory,
    SpendReturn,
    Tranche,
)
from forces.models import Force, Region
from fundtracker.money import PENNY, ZERO
from fundtracker.years import fy_label

HUNDRED = Decimal(100)
TOP_AWARDS = 10
# The PDF lists the largest awards up to this many: a longer list would take WeasyPrint more
# than a few seconds, and the CSV has every tranche.
PDF_AWARDS = 100


def percent(part: Decimal, whole: Decimal) -> Decimal | None:
    """``part`` as a percentage of ``whole`` to one place; ``None`` when ``whole`` is zero."""
    if not whole:
        return None
    return (part / whole * HUNDRED).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass
class Row:
    """One line of a section: what it is (``key``, ``label``, ``slug``) and its money."""

    key: object
    label: str
    slug: str = ""
    envelope: Decimal = ZERO
    allocated: Decimal = ZERO
    paid: Decimal = ZERO
    spent: Decimal = ZERO

    @property
    def gap(self) -> Decimal:
        """Set aside less allocated: positive when money set aside was not allocated."""
        return self.envelope - self.allocated

    @property
    def allocation_status(self) -> str:
        if self.gap > 0:
            return "Under-allocated"
        if self.gap < 0:
            return "Over-allocated"
        return "Fully allocated"

    @property
    def percent_spent(self) -> Decimal | None:
        return percent(self.spent, self.allocated)

    @property
    def percent_paid(self) -> Decimal | None:
        return percent(self.paid, self.allocated)


@dataclass
class AwardRow:
    award: Award
    allocated: Decimal
    paid: Decimal
    spent: Decimal

    @property
    def percent_spent(self) -> Decimal | None:
        return percent(self.spent, self.allocated)


class Dashboard:
    """The dashboard's figures for one ``AllocationFilter`` on which ``is_valid()`` has run.

    Money follows the filter: with a force or region chosen, each collaboration's tranche
    counts only by that force's or region's share. The envelopes (money set aside) follow the
    fund, round, year and category only, since money is set aside for all forces together.
    """

    def __init__(self, filterset: AllocationFilter):
        self.filterset = filterset
        self.chosen = filterset.chosen
        self.tranches = filterset.qs

    @property
    def narrowed(self) -> bool:
        """A force or region is chosen: allocated money is a part, set aside is the whole."""
        return "force" in self.chosen or "region" in self.chosen

    @cached_property
    def headline(self) -> Row:
        totals = self.tranches.totals()
        return Row(
            key="total",
            label="All",
            envelope=self.filterset.envelopes().total(),
            allocated=totals["allocated"],
            paid=totals["paid"],
            spent=totals["spent"],
        )

    @cached_property
    def by_category(self) -> list[Row]:
        """Every category with money set aside or allocated, in the categories' own order;
        awards without a category come last."""
        envelopes = {
            row["category"]: row["envelope"]
            for row in self.filterset.envelopes().totals_by("category")
        }
        money = {
            row["award__bid__spend_category"]: row for row in self.tranches.totals_by("category")
        }
        rows = []
        for category in SpendCategory.objects.order_by("order", "name"):
            if category.pk in envelopes or category.pk in money:
                rows.append(
                    self._row(
                        category.pk,
                        category.name,
                        category.slug,
                        money.get(category.pk),
                        envelopes.get(category.pk, ZERO),
                    )
                )
        if None in money:
            rows.append(self._row(None, "No category given", "", money[None], ZERO))
        return rows

    @cached_property
    def by_year(self) -> list[Row]:
        envelopes = {
            row["financial_year"]: row["envelope"]
            for row in self.filterset.envelopes().totals_by("financial_year")
        }
        money = {row["financial_year"]: row for row in self.tranches.totals_by("financial_year")}
        return [
            self._row(year, fy_label(year), str(year), money.get(year), envelopes.get(year, ZERO))
            for year in sorted(envelopes.keys() | money.keys())
        ]

    @cached_property
    def by_region(self) -> list[Row]:
        """Regions with money, by each force's share of every award."""
        money = {row["share_region"]: row for row in self.tranches.totals_by("region")}
        if not money:
            return []
        return [
            self._row(region.pk, region.name, region.slug, money[region.pk])
            for region in Region.objects.filter(pk__in=money.keys()).order_by("order", "name")
        ]

    @cached_property
    def by_force(self) -> list[Row]:
        """The forces of the chosen region with their share of the money; empty without one."""
        region = self.chosen.get("region")
        if region is None:
            return []
        money = {row["share_force"]: row for row in self.tranches.totals_by("force")}
        forces = Force.objects.filter(region=region).order_by("name")
        return [
            self._row(force.pk, force.name, force.slug, money.get(force.pk)) for force in forces
        ]

    def awards(self, limit: int | None = TOP_AWARDS) -> list[AwardRow]:
        """The awards with the most money allocated under the filter, largest first."""
        totals = self.tranches.totals_by("award").order_by("-allocated", "award")
        if limit is not None:
            totals = totals[:limit]
        totals = list(totals)
        awards = Award.objects.select_related(
            "bid__lead_force", "bid__spend_category", "bid__round__fund"
        ).in_bulk([row["award"] for row in totals])
        return [
            AwardRow(awards[row["award"]], row["allocated"], row["paid"], row["spent"])
            for row in totals
        ]

    @cached_property
    def award_count(self) -> int:
        return self.tranches.values("award").order_by().distinct().count()

    @staticmethod
    def _row(key, label, slug, money, envelope=ZERO) -> Row:
        money = money or {}
        return Row(
            key=key,
            label=label,
            slug=slug,
            envelope=envelope,
            allocated=money.get("allocated", ZERO),
            paid=money.get("paid", ZERO),
            spent=money.get("spent", ZERO),
        )


def last_changed() -> datetime.datetime | None:
    """When the published figures last changed: the latest of a round's results publication,
    a payment recorded and a spend return verified, in one query."""
    now = timezone.now()
    published = FundingRound.objects.published(now)
    payments = Payment.objects.filter(tranche__award__bid__round__in=published).order_by(
        "-recorded_at"
    )
    verified = SpendReturn.objects.filter(
        tranche__award__bid__round__in=published,
        status=SpendReturn.Status.VERIFIED,
        verified_at__isnull=False,
    ).order_by("-verified_at")
    row = (
        published.order_by("-results_published_at")
        .annotate(
            paid=Subquery(payments.values("recorded_at")[:1]),
            verified=Subquery(verified.values("verified_at")[:1]),
        )
        .values_list("results_published_at", "paid", "verified")
        .first()
    )
    if row is None:
        return None
    return max(moment for moment in row if moment is not None)


# --------------------------------------------------------------------------- CSV


class StringList(Aggregate):
    """The values of a group joined by ``;``: ``STRING_AGG`` on PostgreSQL, ``GROUP_CONCAT``
    on SQLite."""

    function = "STRING_AGG"
    output_field = CharField()

    def __init__(self, expression, **extra):
        super().__init__(expression, Value(";"), **extra)

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="GROUP_CONCAT", **extra_context)


CSV_HEADER = (
    "fund",
    "round",
    "round_results_published",
    "award_reference",
    "award_title",
    "lead_force_slug",
    "lead_force",
    "partner_force_slugs",
    "partner_forces",
    "category_slug",
    "category",
    "financial_year",
    "tranche_status",
    "share_force_slug",
    "share_force",
    "share_percent",
    "allocated",
    "paid",
    "spent",
    "award_url",
    "file_generated",
)


def _partner_slugs() -> Subquery:
    through = Bid.partner_forces.through
    return Subquery(
        through.objects.filter(bid_id=OuterRef("award__bid_id"))
        .order_by()
        .values("bid_id")
        .annotate(slugs=StringList("force__slug"))
        .values("slugs"),
        output_field=CharField(),
    )


def csv_rows(
    filterset: AllocationFilter, *, award_url: str, generated: datetime.datetime, chunk_size=2000
) -> Iterator[tuple]:
    """The CSV's rows after its header: one per tranche, in one query read in chunks.

    With a force or region chosen, each row is that force's share of the tranche (a
    collaboration's tranche gives one row for each of its forces in the region), with the share
    in ``share_percent``; otherwise the whole tranche, at 100 %. ``award_url`` holds ``{ref}``
    where the award's reference goes.

    The rows carry ids of rounds, forces and categories, named from the reference tables read
    beforehand (a few dozen rows each): a row then needs no joins to them and no date or text
    conversions, which keeps the file streaming at tens of thousands of rows a second.
    """
    tranches = filterset.qs
    narrowed = "force" in filterset.chosen or "region" in filterset.chosen
    columns = [
        "award__bid__round_id",
        "award__bid__reference",
        "award__bid__title",
        "award__bid__lead_force_id",
        "partner_slugs",
        "award__bid__spend_category_id",
        "financial_year",
        "status",
    ]
    annotations = {"partner_slugs": _partner_slugs()}
    order = ["award__bid__reference", "financial_year"]
    if narrowed:
        tranches = tranches.split_by_share().alias(
            csv_order=Coalesce("award__shares__force__slug", "award__bid__lead_force__slug")
        )
        annotations.update(csv_force=F("share_force"), csv_fraction=F("share_fraction"))
        columns += ["csv_force", "csv_fraction"]
        order.append("csv_order")
    columns += ["amount", "paid", "spent"]
    rows = tranches.annotate(**annotations).order_by(*order).values_list(*columns)

    rounds = {
        r.pk: (r.fund.name, r.name, timezone.localdate(r.results_published_at).isoformat())
        for r in FundingRound.objects.published().select_related("fund")
    }
    forces = {f.pk: (f.slug, f.name) for f in Force.objects.only("slug", "name")}
    force_names = dict(forces.values())
    categories = {c.pk: (c.slug, c.name) for c in SpendCategory.objects.only("slug", "name")}
    categories[None] = ("", "")
    status_labels = dict(Tranche.Status.choices)
    years = {}
    stamp = generated.isoformat(timespec="seconds")
    whole = ("", "", "100.00")
    for row in rows.iterator(chunk_size=chunk_size):
        round_id, reference, title, lead_id, partner_slugs, category_id, year, status = row[:8]
        if partner_slugs:
            slugs = sorted(partner_slugs.split(";"))
            partners = (";".join(slugs), ";".join(force_names[slug] for slug in slugs))
        else:
            partners = ("", "")
        if narrowed:
            fraction = Decimal(row[9])
            share = (*forces[row[8]], (fraction * HUNDRED).quantize(PENNY, ROUND_HALF_UP))
            money = [(value * fraction).quantize(PENNY, ROUND_HALF_UP) for value in row[10:]]
        else:
            share = whole
            money = row[8:]
        yield (
            *rounds[round_id],
            reference,
            title,
            *forces[lead_id],
            *partners,
            *categories[category_id],
            years.get(year) or years.setdefault(year, fy_label(year)),
            status_labels.get(status, status),
            *share,
            *money,
            award_url.replace("{ref}", reference),
            stamp,
        )
