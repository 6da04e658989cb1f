"""Figures of the public profile pages: forces, regions, collaborations, spend categories and
awards.

Only published results count. Money attributed to a force or a region follows the award's
shares (the lead force carries 100 % of an award without shares), so the forces' figures add up
to the total and no collaboration is counted twice. A force's and a region's figures are sums
over the summary tables (``cells``, ``award_parts``: see ``bids.allocations``), which hold each
force's exact part of every tranche and award; the rest split the tranches by share in the query
(``Tranche.objects.split_by_share()``). Every figure is summed in the database; each function
runs a fixed number of queries, however many awards there are.

Lists of awards are paged (``page_of``, 50 a page): a force, a region or a category has
thousands of awards at full scale, and a page that lists them all is megabytes of HTML. The
totals never come from the rows listed: they are sums over every published tranche.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.paginator import Page, Paginator
from django.db.models import (
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from bids.models import (
    AllocationCell,
    Award,
    AwardShare,
    Bid,
    Envelope,
    FundingRound,
    SpendCategory,
    Tranche,
)
from bids.models import AwardPart as SummaryPart
from forces.models import Collaboration, Force, Region
from fundtracker.money import PENNY, ZERO, to_money

HUNDRED = Decimal(100)


# --------------------------------------------------------------------------- money


@dataclass(frozen=True)
class Money:
    """Allocated, paid and spent, to the penny."""

    allocated: Decimal = ZERO
    paid: Decimal = ZERO
    spent: Decimal = ZERO

    @classmethod
    def of(cls, row: dict | None) -> "Money":
        """From a row of ``totals()`` or ``totals_by()``; nothing counts as zero."""
        if not row:
            return cls()
        return cls(to_money(row["allocated"]), to_money(row["paid"]), to_money(row["spent"]))

    @property
    def spent_percent(self) -> int | None:
        """Spent as a whole percentage of allocated; ``None`` when nothing is allocated."""
        return percent_of(self.spent, self.allocated)

    @property
    def spent_bar(self) -> int:
        """The width of a spend bar: the percentage spent, at most 100."""
        return min(self.spent_percent or 0, 100)


def percent_of(part: Decimal, whole: Decimal) -> int | None:
    if not whole:
        return None
    return int((part / whole * HUNDRED).quantize(Decimal(1), ROUND_HALF_UP))


def per_head(amount: Decimal, population: int | None) -> Decimal | None:
    """Pounds per resident to the penny; ``None`` without a population."""
    if not population:
        return None
    return (to_money(amount) / population).quantize(PENNY, ROUND_HALF_UP)


def _years(*rows_by_year: dict[int, object]) -> list[int]:
    return sorted(set().union(*rows_by_year))


# --------------------------------------------------------------------------- sorting


@dataclass(frozen=True)
class Column:
    """A column a table can be sorted by, with the words for each direction."""

    key: str
    label: str
    largest_first: bool = False
    ascending: str = "A to Z"
    descending: str = "Z to A"


def money_column(key: str, label: str) -> Column:
    return Column(key, label, True, "smallest first", "largest first")


def date_column(key: str, label: str) -> Column:
    return Column(key, label, True, "oldest first", "newest first")


class Sorting:
    """The ``sort`` query parameter: a column's key, with ``-`` in front for descending.

    An unknown column leaves the default order and sets ``error``, a message for the page's
    error summary.
    """

    def __init__(self, columns: Iterable[Column], value: str | None, default: str):
        self.columns = {column.key: column for column in columns}
        value = (value or "").strip() or default
        self.error = ""
        if value.lstrip("-") not in self.columns:
            labels = [column.label.lower() for column in self.columns.values()]
            self.error = f"Sort the table by {', '.join(labels[:-1])} or {labels[-1]}."
            value = default
        self.key = value.lstrip("-")
        self.descending = value.startswith("-")

    @property
    def value(self) -> str:
        return f"-{self.key}" if self.descending else self.key

    @property
    def description(self) -> str:
        """``name, A to Z``: the order of the rows, for the table's caption."""
        column = self.columns[self.key]
        words = column.descending if self.descending else column.ascending
        return f"{column.label.lower()}, {words}"

    @property
    def headers(self) -> dict[str, dict]:
        """For each column: its label, the ``sort`` value its link asks for (the other direction
        when it is the current column) and its ``aria-sort``."""
        headers = {}
        for key, column in self.columns.items():
            if key == self.key:
                param = key if self.descending else f"-{key}"
                aria_sort = "descending" if self.descending else "ascending"
            else:
                param = f"-{key}" if column.largest_first else key
                aria_sort = "none"
            headers[key] = {
                "label": column.label,
                "param": param,
                "aria_sort": aria_sort,
            }
        return headers

    def apply(self, rows: list, keys: dict[str, Callable], tiebreak: Callable) -> list:
        """``rows`` sorted by the chosen column (rows without a value last), then ``tiebreak``."""
        key = keys[self.key]
        rows = sorted(rows, key=tiebreak)
        known = [row for row in rows if key(row) is not None]
        unknown = [row for row in rows if key(row) is None]
        # Python's sort is stable in both directions, so ties keep the tiebreak order.
        return sorted(known, key=key, reverse=self.descending) + unknown


# --------------------------------------------------------------------------- forces


@dataclass(frozen=True)
class ForceRow:
    force: Force
    money: Money
    awards_led: int = 0
    awards_partnered: int = 0

    @property
    def per_head(self) -> Decimal | None:
        return per_head(self.money.allocated, self.force.population)


def with_award_counts(forces):
    """``awards_led`` and ``awards_partnered``: published awards each force leads, and those it
    joins as a partner force, counted in the same query as the forces. For one force; a list of
    forces takes ``award_counts`` (two grouped passes rather than two subqueries a force)."""
    published = Award.objects.published().order_by()
    led = (
        published.filter(bid__lead_force=OuterRef("pk"))
        .values("bid__lead_force")
        .annotate(n=Count("pk"))
        .values("n")
    )
    partnered = (
        published.filter(bid__partner_forces=OuterRef("pk"))
        .values("bid__partner_forces")
        .annotate(n=Count("pk"))
        .values("n")
    )
    zero = Value(0, output_field=IntegerField())
    return forces.annotate(
        awards_led=Coalesce(Subquery(led, output_field=IntegerField()), zero),
        awards_partnered=Coalesce(Subquery(partnered, output_field=IntegerField()), zero),
    )


def award_counts(forces) -> tuple[dict[int, int], dict[int, int]]:
    """Published awards led, and joined as a partner, by each of ``forces`` (a QuerySet):
    one query of two grouped passes, whatever the number of forces."""
    published = Award.objects.published().order_by()
    ids = forces.values("pk")

    def by(path: str, role: int):
        return (
            published.filter(**{f"{path}__in": ids})
            .annotate(force=F(path), role=Value(role))
            .values_list("force", "role")
            .annotate(n=Count("pk"))
        )

    led, partnered = {}, {}
    for force, role, n in by("bid__lead_force", 0).union(by("bid__partner_forces", 1), all=True):
        (partnered if role else led)[force] = n
    return led, partnered


MONEY_NAMES = ("allocated", "paid", "spent")


def _force_money(forces) -> dict[int, dict[str, Decimal]]:
    """Each force's exact share of published money (``allocated``, ``paid``, ``spent``, to six
    places), summed from the summary table rather than by splitting every tranche."""
    rows = cells(force__in=forces.values("pk")).values("force").annotate(**_part_sums())
    return {row.pop("force"): row for row in rows}


def _rows(forces, money: dict, counts: tuple[dict, dict]) -> list[ForceRow]:
    led, partnered = counts
    return [
        ForceRow(
            force, Money.of(money.get(force.pk)), led.get(force.pk, 0), partnered.get(force.pk, 0)
        )
        for force in forces
    ]


def sum_money(money: dict, keys: Iterable[int]) -> Money:
    """The exact parts of ``keys`` added up, then rounded to the penny once."""
    return Money(
        *(
            to_money(sum((money[key][name] for key in keys if key in money), ZERO))
            for name in MONEY_NAMES
        )
    )


@dataclass(frozen=True)
class ForceTable:
    """The rows of a list of forces and the exact money behind them, for totals of any subset
    that add up to the penny."""

    rows: list[ForceRow]
    money: dict[int, dict[str, Decimal]]

    def total(self, rows: Iterable[ForceRow] | None = None) -> Money:
        rows = self.rows if rows is None else rows
        return sum_money(self.money, [row.force.pk for row in rows])


def force_table(forces) -> ForceTable:
    """One row a force, with its share-attributed money and award counts: four queries for
    any number of forces."""
    forces = forces.select_related("region")
    money = _force_money(forces)
    return ForceTable(_rows(list(forces), money, award_counts(forces)), money)


def force_rows(forces) -> list[ForceRow]:
    """One row a force, with its share-attributed money (one grouped query for all forces)."""
    return force_table(forces).rows


def cells(**narrowing):
    """Published tranche money from the summary table (``AllocationCell``), narrowed by
    ``narrowing`` (``force=``, ``region=``): their ``allocated``, ``paid`` and ``spent`` are
    that force's or region's parts of each tranche, exact to six places."""
    return AllocationCell.objects.filter(
        round__in=FundingRound.objects.published(), **narrowing
    ).order_by()


def _part_sums(whole: bool = False) -> dict:
    """Sums of the parts, or of the whole tranches (counted once, on the row that carries
    them) when ``whole``."""
    return {name: Sum(f"whole_{name}" if whole else name) for name in MONEY_NAMES}


class WholeMoney:
    """Published money of whole tranches from the summary table, narrowed by ``narrowing``
    (``category=``), read as ``years_rows`` and ``total_row`` read a tranche QuerySet."""

    def __init__(self, **narrowing):
        self.cells = cells(**narrowing)

    def totals(self) -> dict:
        sums = self.cells.aggregate(**_part_sums(whole=True))
        return {name: value or ZERO for name, value in sums.items()}

    def totals_by(self, field: str):
        return self.cells.values(field).annotate(**_part_sums(whole=True)).order_by(field)


def money_of(cells) -> Money:
    """The parts of ``cells`` added up, rounded to the penny once."""
    sums = cells.aggregate(**_part_sums())
    return Money.of({name: value or ZERO for name, value in sums.items()})


def money_by(cells, field: str) -> list[tuple[object, Money]]:
    """The parts of ``cells`` by ``field`` (``financial_year``, ``category``), in its order."""
    rows = cells.values(field).annotate(**_part_sums()).order_by(field)
    return [(row[field], Money.of(row)) for row in rows]


def award_parts(awards: Iterable[Award], **narrowing) -> dict[int, Money]:
    """Each of ``awards``' money narrowed to a force's or region's part of it (``force=``,
    ``region=``): its summary rows' whole money times their fractions. One query."""
    product = DecimalField(max_digits=20, decimal_places=6)
    rows = (
        SummaryPart.objects.filter(award__in=[award.pk for award in awards], **narrowing)
        .values("award")
        .annotate(
            **{
                name: Sum(ExpressionWrapper(F(name) * F("fraction"), output_field=product))
                for name in MONEY_NAMES
            }
        )
        .order_by()
    )
    return {row["award"]: Money.of(row) for row in rows}


def forces_total() -> Money:
    """The money of all published awards (each tranche whole, once)."""
    return Money.of(WholeMoney().totals())


@dataclass(frozen=True)
class AwardPart:
    """An award seen from one force, region or collaboration: its part of the money."""

    award: Award
    money: Money
    role: str = ""
    share: Decimal | None = None


AWARDS_PER_PAGE = 50


def page_of(awards, number, count: int | None = None) -> Page:
    """The page ``number`` of ``awards`` (the first for a bad number, the last for one past the
    end), ``AWARDS_PER_PAGE`` long. ``count``, when the caller has it already, saves the
    query that counts them.

    In two steps: the page's keys from a query that filters and sorts the awards alone, then
    those awards with their bid, round, force and category joined. One query doing both joins
    every published award to five tables before it keeps fifty (100 to 150 ms at 30,000
    awards); apart, the two take about a fifth of that."""
    paginator = Paginator(awards.values_list("pk", flat=True), AWARDS_PER_PAGE)
    if count is not None:
        paginator.count = count
    page = paginator.get_page(number)
    keys = list(page.object_list)
    found = awards.order_by().in_bulk(keys) if keys else {}
    page.object_list = [found[key] for key in keys]
    return page


def force_awards(force: Force):
    """The published awards ``force`` leads or is a partner in, newest round first, with
    ``own_share`` (its agreed share, if any) and ``is_split`` (whether the award has shares)."""
    own_share = AwardShare.objects.filter(award=OuterRef("pk"), force=force).values("percent")
    # The bids it leads and those it is a partner in, each found by its index, as one set:
    # ``Award.objects.involving()`` asks the same with an OR that reads every award.
    bids = (
        Bid.objects.filter(lead_force=force)
        .order_by()
        .values("pk")
        .union(Bid.partner_forces.through.objects.filter(force=force).values("bid"))
    )
    return (
        Award.objects.for_public()
        .filter(bid__in=bids)
        .annotate(
            own_share=Subquery(own_share[:1]),
            is_split=Exists(AwardShare.objects.filter(award=OuterRef("pk"))),
        )
        .order_by("-bid__round__first_financial_year", "bid__reference")
    )


def force_award_parts(force: Force, awards: Iterable[Award]) -> list[AwardPart]:
    """``awards`` (of ``force_awards``, such as one page of them) with the force's role, its
    share (a percentage, or ``None`` when it has no part of the money) and its part. One
    query, for these awards only."""
    awards = list(awards)
    parts = award_parts(awards, force=force)
    rows = []
    for award in awards:
        is_lead = award.bid.lead_force_id == force.pk
        share = award.own_share if award.is_split else (HUNDRED if is_lead else None)
        rows.append(
            AwardPart(
                award=award,
                money=parts.get(award.pk, Money()),
                role="Lead" if is_lead else "Partner",
                share=share,
            )
        )
    return rows


def by_year(tranches) -> list[tuple[int, Money]]:
    return [(row["financial_year"], Money.of(row)) for row in tranches.totals_by("financial_year")]


# --------------------------------------------------------------------------- regions


@dataclass(frozen=True)
class RegionRow:
    region: Region
    money: Money

    @property
    def per_head(self) -> Decimal | None:
        return per_head(self.money.allocated, self.region.population)


def region_rows() -> list[RegionRow]:
    """Every region with its number of forces, population and share-attributed money."""
    money = dict(money_by(cells(), "region"))
    regions = Region.objects.annotate(
        force_count=Count("forces"), population=Sum("forces__population")
    )
    return [RegionRow(region, money.get(region.pk, Money())) for region in regions]


def region_population(region: Region) -> int | None:
    return region.forces.aggregate(population=Sum("population"))["population"]


def region_force_rows(region: Region) -> list[ForceRow]:
    """The region's forces with their money (adding up to the region's total)."""
    return force_rows(region.forces.order_by("name"))


def region_awards(region: Region):
    """The published awards the region's forces have a part of, newest round first."""
    return (
        Award.objects.for_public()
        .filter(pk__in=SummaryPart.objects.filter(region=region).values("award"))
        .order_by("-bid__round__first_financial_year", "bid__reference")
    )


def region_award_count(region: Region) -> int:
    """How many published awards the region's forces have a part of, from the summary rows."""
    return (
        SummaryPart.objects.filter(region=region, round__in=FundingRound.objects.published())
        .values("award")
        .distinct()
        .count()
    )


def region_award_parts(region: Region, awards: Iterable[Award]) -> list[AwardPart]:
    """``awards`` (such as one page of ``region_awards``), each with the region's forces'
    parts of its money. One query, for these awards only."""
    awards = list(awards)
    parts = award_parts(awards, region=region)
    return [AwardPart(award=award, money=parts.get(award.pk, Money())) for award in awards]


@dataclass(frozen=True)
class CategoryMoney:
    category: SpendCategory | None
    money: Money


def by_category(cells) -> list[CategoryMoney]:
    """The money of ``cells`` by spend category, in the categories' order; awards without a
    category last."""
    categories = SpendCategory.objects.in_bulk()
    rows = [CategoryMoney(categories.get(key), money) for key, money in money_by(cells, "category")]
    return sorted(rows, key=lambda r: (r.category is None, r.category and r.category.order))


# --------------------------------------------------------------------------- collaborations


@dataclass(frozen=True)
class MemberRow:
    force: Force
    role: str
    money: Money


def collaboration_figures(collaboration: Collaboration) -> dict:
    """The collaboration's members with their part of its awards' money, its awards (to be
    paged) and how many, its totals and its money by year. Forces that share in its awards
    without being members are listed after the members, so the parts add up to the total."""
    tranches = Tranche.objects.published().filter(award__bid__collaboration=collaboration)
    parts = {row["share_force"]: Money.of(row) for row in tranches.totals_by("force")}
    memberships = collaboration.memberships.select_related("force__region").order_by(
        "role", "force__name"
    )
    members = [
        MemberRow(m.force, m.get_role_display(), parts.get(m.force_id, Money()))
        for m in memberships
    ]
    others = Force.objects.filter(pk__in=tranches.split_by_share().values("share_force")).exclude(
        memberships__collaboration=collaboration
    )
    members += [MemberRow(force, "Not a member", parts.get(force.pk, Money())) for force in others]
    return {
        "members": members,
        "awards": collaboration_awards(collaboration),
        "award_count": Award.objects.published().filter(bid__collaboration=collaboration).count(),
        "totals": Money.of(tranches.totals()),
        "by_year": by_year(tranches),
    }


# --------------------------------------------------------------------------- categories


@dataclass(frozen=True)
class CategoryRow:
    """Money set aside and allocated for one category (or one year); the gap is what was set
    aside and not allocated, negative when more was allocated than set aside."""

    set_aside: Decimal
    money: Money
    category: SpendCategory | None = None
    financial_year: int | None = None
    awards: int = 0

    @property
    def gap(self) -> Decimal:
        return self.set_aside - self.money.allocated

    @property
    def allocated_percent(self) -> int | None:
        return percent_of(self.money.allocated, self.set_aside)


def _set_aside(row: dict | None) -> Decimal:
    return to_money(row["envelope"]) if row else ZERO


def category_rows() -> list[CategoryRow]:
    """Every spend category with what was set aside, allocated and spent, and its number of
    published awards; awards without a category last, when there are any."""
    set_aside = {row["category"]: row for row in Envelope.objects.published().totals_by("category")}
    money = {row["category"]: row for row in WholeMoney().totals_by("category")}
    counts = dict(
        _published_awards_summary().values_list("category").annotate(n=Count("pk")).order_by()
    )
    rows = [
        CategoryRow(
            category=category,
            set_aside=_set_aside(set_aside.get(category.pk)),
            money=Money.of(money.get(category.pk)),
            awards=counts.get(category.pk, 0),
        )
        for category in SpendCategory.objects.all()
    ]
    if None in money:
        rows.append(CategoryRow(ZERO, Money.of(money[None]), awards=counts.get(None, 0)))
    return rows


def _published_awards_summary():
    """One summary row for each published award (the one that carries it whole)."""
    return SummaryPart.objects.filter(whole=True, round__in=FundingRound.objects.published())


def years_rows(envelopes, tranches) -> list[CategoryRow]:
    """Set aside, allocated and spent by financial year."""
    set_aside = {row["financial_year"]: row for row in envelopes.totals_by("financial_year")}
    money = {row["financial_year"]: row for row in tranches.totals_by("financial_year")}
    return [
        CategoryRow(
            set_aside=_set_aside(set_aside.get(year)),
            money=Money.of(money.get(year)),
            financial_year=year,
        )
        for year in _years(set_aside, money)
    ]


def total_row(envelopes, tranches) -> CategoryRow:
    set_aside = envelopes.aggregate(envelope=Coalesce(Sum("amount"), Value(ZERO)))
    return CategoryRow(set_aside=_set_aside(set_aside), money=Money.of(tranches.totals()))


def collaboration_awards(collaboration: Collaboration):
    """The published awards of the collaboration's bids, newest round first, with their paid
    and spent money."""
    return (
        Award.objects.for_public()
        .filter(bid__collaboration=collaboration)
        .with_money()
        .order_by("-bid__round__first_financial_year", "bid__reference")
    )


def category_awards(category: SpendCategory):
    """The category's published awards, newest round first, with their paid and spent money."""
    return (
        Award.objects.for_public()
        .filter(bid__spend_category=category)
        .with_money()
        .order_by("-bid__round__first_financial_year", "bid__reference")
    )


def category_award_count(category: SpendCategory) -> int:
    """How many published awards the category has, counted from the summary rows."""
    return _published_awards_summary().filter(category=category).count()


# --------------------------------------------------------------------------- awards


def award_list(tranches):
    """Published awards with a tranche among ``tranches`` (as narrowed by the allocation
    filters), each with ``allocated`` and ``spent``: its money among those tranches — the
    force's or region's part when they were narrowed to one."""
    money = tranches.totals_by("award")

    def summed(field: str) -> Subquery:
        return Subquery(
            money.filter(award=OuterRef("pk")).values(field)[:1],
            output_field=Award._meta.get_field("total"),
        )

    return (
        Award.objects.for_public()
        .filter(pk__in=tranches.values("award"))
        .annotate(allocated=summed("allocated"), spent=summed("spent"))
        .prefetch_related("bid__partner_forces")
    )


@dataclass(frozen=True)
class AwardForceRow:
    force: Force
    role: str
    share: Decimal | None
    money: Money


def award_forces(award: Award) -> list[AwardForceRow]:
    """The lead and partner forces of the award with their shares and parts of its money."""
    parts = {row["share_force"]: Money.of(row) for row in award.tranches.all().totals_by("force")}
    shares = {share.force_id: share.percent for share in award.shares.all()}
    bid = award.bid
    rows = [
        AwardForceRow(
            bid.lead_force,
            "Lead",
            shares.get(bid.lead_force_id) if shares else HUNDRED,
            parts.get(bid.lead_force_id, Money()),
        )
    ]
    for force in bid.partner_forces.select_related("region").order_by("name"):
        rows.append(
            AwardForceRow(force, "Partner", shares.get(force.pk), parts.get(force.pk, Money()))
        )
    return rows


def award_tranches(award: Award) -> list[tuple[Tranche, Money]]:
    """The award's tranches in year order, each with its money."""
    return [
        (tranche, Money(tranche.amount, tranche.paid, tranche.spent))
        for tranche in award.tranches.order_by("financial_year")
    ]
