"""The figures of the public allocations dashboard, its PDF report and its CSV, and the two
summary tables the dashboard reads.

``Dashboard`` reads everything from one validated ``AllocationFilter``: each section is one sum
over ``AllocationCell`` (tranche money by round, category, year and force) or ``AwardPart`` (each
award's money and each sharing force's fraction of it), merged with the names of the small
reference tables, so the number of queries never depends on how many awards there are and no
query joins tranches to awards, bids and shares. ``refresh_money_summaries`` keeps both tables
equal to those joins: it runs in the transaction of every write to tranches, awards and shares.
``csv_rows`` streams one row per tranche in a single query.
"""

import contextlib
import datetime
import decimal
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

from django.db import connection
from django.db.models import (
    CharField,
    DecimalField,
    F,
    Func,
    Q,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from bids.filters import AllocationFilter
from bids.models import (
    AllocationCell,
    Award,
    AwardPart,
    Bid,
    FundingRound,
    SpendCategory,
    SpendReturn,
    Tranche,
)
from forces.models import Force, Region
from fundtracker.money import MONEY_FIELD, PENNY, ZERO
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
    """One of the largest awards: its bid's reference, title and round, lead force and spend
    category (``None`` when not given), and its money under the filter."""

    reference: str
    title: str
    round: str
    lead_force: str
    category: str | None
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

    def __init__(
        self,
        filterset: AllocationFilter,
        *,
        categories: list[SpendCategory] | None = None,
        regions: list[Region] | None = None,
        forces: list[Force] | None = None,
    ):
        self.filterset = filterset
        self.chosen = filterset.chosen
        # Every spend category, region and force, by name, when the caller has them already
        # (the filter panel lists them); read here otherwise.
        self.categories = categories
        self.regions = regions
        self.forces = forces

    @property
    def narrowed(self) -> bool:
        """A force or region is chosen: allocated money is a part, set aside is the whole."""
        return "force" in self.chosen or "region" in self.chosen

    def _where(self, *, year: bool) -> Q:
        """The chosen filters over a summary table of published money."""
        q = Q(round__results_published_at__lte=timezone.now())
        for name in ("fund", "round", "category", "force", "region"):
            if name in self.chosen:
                q &= Q(**{name: self.chosen[name]})
        if year and "financial_year" in self.chosen:
            q &= Q(financial_year=self.chosen["financial_year"])
        return q

    def _cells(self):
        return AllocationCell.objects.filter(self._where(year=True))

    def _sums(self, split: bool) -> dict:
        """A force's or region's parts when split, the whole tranches otherwise."""
        prefix = "" if split else "whole_"
        return {name: _money_sum(f"{prefix}{name}") for name in ("allocated", "paid", "spent")}

    def totals_by(self, field: str):
        """Allocated, paid and spent under the filter by ``category``, ``financial_year``,
        ``force`` or ``region``: by force and region each collaboration's money split by its
        shares, so the rows add up to the total."""
        split = self.narrowed or field in ("force", "region")
        return self._cells().values(field).annotate(**self._sums(split)).order_by(field)

    def totals(self) -> dict[str, Decimal]:
        """Allocated, paid and spent under the filter."""
        return self._cells().aggregate(**self._sums(self.narrowed))

    @cached_property
    def _summary(self) -> dict:
        """Every sum of the page's sections from one statement (``_summary_branches``): the
        money set aside by category and by year, the money allocated, paid and spent by
        category, by year, by region and, with a region chosen, by force, and how many awards.

        One round trip, read as plain rows: these were six querysets (seven with a region), and
        building and reading them took the ORM longer than the database took to sum."""
        return _read_summary(*_summary_branches(self.chosen, narrowed=self.narrowed))

    @cached_property
    def headline(self) -> Row:
        """The totals under the filter: the categories' sums added up, exact to the last
        place the database gave, rather than summed again in two more queries."""
        envelopes = self._summary["envelope_category"]
        money = self._summary["category"]
        return Row(
            key="total",
            label="All",
            envelope=sum(envelopes.values(), ZERO),
            **{
                name: sum((row[name] for row in money.values()), ZERO)
                for name in ("allocated", "paid", "spent")
            },
        )

    @cached_property
    def by_category(self) -> list[Row]:
        """Every category with money set aside or allocated, in the categories' own order;
        awards without a category come last."""
        envelopes = self._summary["envelope_category"]
        money = self._summary["category"]
        rows = []
        for category in self._categories():
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
        envelopes = self._summary["envelope_year"]
        money = self._summary["financial_year"]
        return [
            self._row(year, fy_label(year), str(year), money.get(year), envelopes.get(year, ZERO))
            for year in sorted(envelopes.keys() | money.keys())
        ]

    @cached_property
    def by_region(self) -> list[Row]:
        """Regions with money, by each force's share of every award."""
        money = self._summary["region"]
        if not money:
            return []
        return [
            self._row(region.pk, region.name, region.slug, money[region.pk])
            for region in self._regions()
            if region.pk in money
        ]

    @cached_property
    def by_force(self) -> list[Row]:
        """The forces of the chosen region with their share of the money; empty without one."""
        region = self.chosen.get("region")
        if region is None:
            return []
        money = self._summary["force"]
        if self.forces is None:
            forces = Force.objects.filter(region=region).order_by("name")
        else:
            forces = [force for force in self.forces if force.region_id == region.pk]
        return [
            self._row(force.pk, force.name, force.slug, money.get(force.pk)) for force in forces
        ]

    def _categories(self) -> list[SpendCategory]:
        """Spend categories in their own order (``order``, then name)."""
        if self.categories is None:
            return list(SpendCategory.objects.order_by("order", "name"))
        # Listed by name (as the filter panel lists them): a stable sort by ``order`` keeps
        # the database's order of names within each.
        return sorted(self.categories, key=lambda category: category.order)

    def _regions(self) -> list[Region]:
        """Regions in their own order (``order``, then name)."""
        if self.regions is None:
            return list(Region.objects.order_by("order", "name"))
        return sorted(self.regions, key=lambda region: region.order)

    def awards(self, limit: int | None = TOP_AWARDS) -> list[AwardRow]:
        """The awards with the most money allocated under the filter, largest first, with
        the names the table shows, in one statement (``_award_rows_sql``)."""
        sql, params = _award_rows_sql(self.chosen, narrowed=self.narrowed, limit=limit)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return [
            AwardRow(
                reference,
                title,
                round_name,
                lead_force,
                category,
                _decimal(allocated),
                _decimal(paid),
                _decimal(spent),
            )
            for (
                _,
                allocated,
                paid,
                spent,
                reference,
                title,
                round_name,
                lead_force,
                category,
            ) in rows
        ]

    @property
    def award_count(self) -> int:
        """How many awards have money under the filter: from the sections' statement once it
        has been read, otherwise by itself (the award list needs only the count)."""
        if "_summary" in self.__dict__:
            return self._summary["awards"]
        branches, params = _summary_branches(self.chosen, narrowed=self.narrowed, sums=False)
        return _read_summary(branches, params)["awards"]

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


def _money_sum(expression) -> Coalesce:
    output = DecimalField(**MONEY_FIELD)
    return Coalesce(Sum(expression, output_field=output), Value(ZERO), output_field=output)


# The sections ``Dashboard._summary`` reads: money set aside (``envelope_*``) and money
# allocated, paid and spent, each by its key.
_GROUPINGS = ("envelope_category", "envelope_year", "category", "financial_year", "region", "force")

# The columns a chosen filter narrows on each summary table (the envelopes through their round).
_CELL_FILTERS = {
    "fund": "fund_id",
    "round": "round_id",
    "category": "category_id",
    "force": "force_id",
    "region": "region_id",
}
_ENVELOPE_FILTERS = {
    "fund": "r.fund_id",
    "round": "e.round_id",
    "category": "e.category_id",
    "financial_year": "e.financial_year",
}
# Typed, so that every branch of the UNION agrees on the column's type.
_NO_MONEY = "CAST(NULL AS NUMERIC)"


def _now(now: datetime.datetime):
    # As the ORM binds a moment: SQLite stores naive UTC text, and compares text.
    return connection.ops.adapt_datetimefield_value(now)


def _conditions(chosen: dict, columns: dict[str, str], now) -> tuple[str, list]:
    conditions = ["r.results_published_at <= %s"]
    params = [_now(now)]
    for name, column in columns.items():
        if name in chosen:
            conditions.append(f"{column} = %s")
            params.append(getattr(chosen[name], "pk", chosen[name]))
    return " AND ".join(conditions), params


def _summary_branches(chosen: dict, *, narrowed: bool, sums: bool = True) -> tuple[list[str], list]:
    """The SELECTs of the dashboard's one summary statement and their parameters, each row
    ``(grouping, key, envelope, allocated, paid, spent)``: the same sums as ``totals_by`` and
    the envelopes' ``totals_by`` (left out without ``sums``), and the number of awards (its
    ``key``). Plain SQL that PostgreSQL and SQLite both run."""
    now = timezone.now()
    branches, params = _sum_branches(chosen, narrowed, now) if sums else ([], [])

    # An award has one part per force and one carrying it whole; with a year, its tranche of
    # that year (one at most) must exist. A collaboration has a part for each of its forces in
    # a region, so by region the awards are counted once each.
    where, where_params = _conditions(chosen, {k: f"p.{v}" for k, v in _CELL_FILTERS.items()}, now)
    join = ""
    if "financial_year" in chosen:
        join = " JOIN bids_tranche t ON t.award_id = p.award_id"
        where += " AND t.financial_year = %s"
        where_params.append(chosen["financial_year"])
    if not narrowed:
        where += " AND p.whole"
    count = "COUNT(DISTINCT p.award_id)" if "region" in chosen else "COUNT(*)"
    branches.append(
        f"SELECT 'awards', {count}, {_NO_MONEY}, {_NO_MONEY}, {_NO_MONEY}, {_NO_MONEY} "
        f"FROM bids_awardpart p JOIN bids_fundinground r ON r.id = p.round_id{join} "
        f"WHERE {where}"
    )
    params += where_params
    return branches, params


def _sum_branches(chosen: dict, narrowed: bool, now) -> tuple[list[str], list]:
    branches, params = [], []
    where, where_params = _conditions(chosen, _ENVELOPE_FILTERS, now)
    for grouping, column in (
        ("envelope_category", "category_id"),
        ("envelope_year", "financial_year"),
    ):
        branches.append(
            f"SELECT '{grouping}', e.{column}, SUM(e.amount), {_NO_MONEY}, {_NO_MONEY}, "
            f"{_NO_MONEY} FROM bids_envelope e JOIN bids_fundinground r ON r.id = e.round_id "
            f"WHERE {where} GROUP BY e.{column}"
        )
        params += where_params

    cells = {name: f"c.{column}" for name, column in _CELL_FILTERS.items()}
    cells["financial_year"] = "c.financial_year"
    where, where_params = _conditions(chosen, cells, now)
    groupings = {
        "category": "category_id",
        "financial_year": "financial_year",
        "region": "region_id",
    }
    if "region" in chosen:
        groupings["force"] = "force_id"
    for grouping, column in groupings.items():
        # By force and region each collaboration's money is split by its shares, so the rows
        # add up to the total; otherwise the whole tranches count, unless the filter narrows.
        prefix = "" if narrowed or grouping in ("force", "region") else "whole_"
        branches.append(
            f"SELECT '{grouping}', c.{column}, {_NO_MONEY}, SUM(c.{prefix}allocated), "
            f"SUM(c.{prefix}paid), SUM(c.{prefix}spent) FROM bids_allocationcell c "
            f"JOIN bids_fundinground r ON r.id = c.round_id WHERE {where} GROUP BY c.{column}"
        )
        params += where_params
    return branches, params


def _award_rows_sql(chosen: dict, *, narrowed: bool, limit: int | None) -> tuple[str, list]:
    """The largest awards under the filter and the names shown with them.

    Without a year chosen an award's money is ``AwardPart``'s award totals, with a year the
    award's tranche of that year (it has one at most); narrowed to a force or region, times
    the force's fraction. An award has one part per force and one carrying it whole, so only a
    region (several forces) needs the parts of an award summed. The awards are chosen first
    and only those few joined to their bids."""
    where, params = _conditions(
        chosen, {k: f"p.{v}" for k, v in _CELL_FILTERS.items()}, timezone.now()
    )
    join = ""
    source = "p"
    columns = {"allocated": "allocated", "paid": "paid", "spent": "spent"}
    if "financial_year" in chosen:
        join = " JOIN bids_tranche t ON t.award_id = p.award_id"
        where += " AND t.financial_year = %s"
        params.append(chosen["financial_year"])
        source = "t"
        columns["allocated"] = "amount"
    if not narrowed:
        where += " AND p.whole"
    money = [
        f"{source}.{column} * p.fraction" if narrowed else f"{source}.{column}"
        for column in columns.values()
    ]
    group = ""
    if "region" in chosen:
        money = [f"SUM({value})" for value in money]
        group = " GROUP BY p.award_id"
    top = ""
    if limit is not None:
        top = " LIMIT %s"
        params.append(limit)
    sql = f"""
        SELECT m.award_id, m.allocated, m.paid, m.spent, b.reference, b.title, br.name,
               f.name, sc.name
        FROM (SELECT p.award_id, {money[0]} AS allocated, {money[1]} AS paid,
                     {money[2]} AS spent
              FROM bids_awardpart p JOIN bids_fundinground r ON r.id = p.round_id{join}
              WHERE {where}{group}
              ORDER BY 2 DESC, 1{top}) m
        JOIN bids_award a ON a.id = m.award_id
        JOIN bids_bid b ON b.id = a.bid_id
        JOIN bids_fundinground br ON br.id = b.round_id
        JOIN forces_force f ON f.id = b.lead_force_id
        LEFT JOIN bids_spendcategory sc ON sc.id = b.spend_category_id
        ORDER BY m.allocated DESC, m.award_id
    """
    return sql, params


def _read_summary(branches: list[str], params: list) -> dict:
    """The rows of ``_summary_branches`` by grouping and key: Decimal money, the award count
    under ``awards``."""
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(branches), params)
        rows = cursor.fetchall()
    summary = {grouping: {} for grouping in _GROUPINGS}
    summary["awards"] = 0
    for grouping, key, envelope, allocated, paid, spent in rows:
        if grouping == "awards":
            summary["awards"] = key
        elif grouping.startswith("envelope_"):
            summary[grouping][key] = _decimal(envelope)
        else:
            summary[grouping][key] = {
                "allocated": _decimal(allocated),
                "paid": _decimal(paid),
                "spent": _decimal(spent),
            }
    return summary


# SQLite hands sums of decimal columns back as floats; the ORM turns them into Decimals to the
# 15 significant digits SQLite keeps, and so does the summary. PostgreSQL gives Decimals.
_SQLITE_DIGITS = decimal.Context(prec=15)


def _decimal(value) -> Decimal:
    if value is None or isinstance(value, Decimal):
        return value
    return _SQLITE_DIGITS.create_decimal_from_float(value)


# The latest of each kind of change to published figures, each read from the top of its index.
_LAST_CHANGED_SQL = """
SELECT r.results_published_at,
       (SELECT p.recorded_at FROM bids_payment p
        JOIN bids_tranche t ON t.id = p.tranche_id
        JOIN bids_award a ON a.id = t.award_id
        JOIN bids_bid b ON b.id = a.bid_id
        WHERE b.round_id IN (SELECT id FROM bids_fundinground WHERE results_published_at <= %s)
        ORDER BY p.recorded_at DESC LIMIT 1),
       (SELECT s.verified_at FROM bids_spendreturn s
        JOIN bids_tranche t ON t.id = s.tranche_id
        JOIN bids_award a ON a.id = t.award_id
        JOIN bids_bid b ON b.id = a.bid_id
        WHERE s.status = %s
          AND b.round_id IN (SELECT id FROM bids_fundinground WHERE results_published_at <= %s)
          AND s.verified_at IS NOT NULL
        ORDER BY s.verified_at DESC LIMIT 1)
FROM bids_fundinground r
WHERE r.results_published_at <= %s
ORDER BY r.results_published_at DESC LIMIT 1
"""


def last_changed() -> datetime.datetime | None:
    """When the published figures last changed: the latest of a round's results publication,
    a payment recorded and a spend return verified, in one query.

    Written as SQL: the ORM took longer to build this query's three joins twice over than the
    database took to answer it."""
    now = _now(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(_LAST_CHANGED_SQL, [now, SpendReturn.Status.VERIFIED.value, now, now])
        row = cursor.fetchone()
    if row is None:
        return None
    return max(_moment(value) for value in row if value is not None)


def _moment(value) -> datetime.datetime:
    # SQLite hands back naive UTC (as text, or parsed), read as the ORM reads it: made aware.
    if isinstance(value, str):
        value = parse_datetime(value)
    if timezone.is_naive(value):
        value = timezone.make_aware(value, datetime.UTC)
    return value


# --------------------------------------------------------------------------- summaries

# One row per force sharing in each award: the lead at 1 without shares (as
# ``Tranche.objects.split_by_share()`` counts it); the award's first share, or its lead, carries
# the whole award once. Awards without tranches have no money and no rows.
_PARTS_SQL = """
INSERT INTO bids_awardpart
    (award_id, force_id, region_id, round_id, fund_id, category_id, fraction, whole,
     allocated, paid, spent)
SELECT a.id, COALESCE(s.force_id, b.lead_force_id), f.region_id, b.round_id, r.fund_id,
       b.spend_category_id, COALESCE(s.percent * 0.01, 1),
       s.id IS NULL OR s.id = (SELECT MIN(first.id) FROM bids_awardshare first
                               WHERE first.award_id = a.id),
       m.allocated, m.paid, m.spent
FROM bids_award a
JOIN bids_bid b ON b.id = a.bid_id
JOIN bids_fundinground r ON r.id = b.round_id
JOIN (SELECT t.award_id, SUM(t.amount) AS allocated, SUM(t.paid) AS paid,
             SUM(t.spent) AS spent
      FROM bids_tranche t {tranche_where} GROUP BY t.award_id) m ON m.award_id = a.id
LEFT JOIN bids_awardshare s ON s.award_id = a.id
JOIN forces_force f ON f.id = COALESCE(s.force_id, b.lead_force_id)
{award_where}
"""

# Every tranche times each part's fraction, summed by round, category, year and force; the
# whole tranche once, on the part that carries its award whole.
_CELLS_SQL = """
INSERT INTO bids_allocationcell
    (round_id, fund_id, category_id, financial_year, force_id, region_id,
     allocated, paid, spent, whole_allocated, whole_paid, whole_spent)
SELECT p.round_id, p.fund_id, p.category_id, t.financial_year, p.force_id, p.region_id,
       SUM(t.amount * p.fraction), SUM(t.paid * p.fraction), SUM(t.spent * p.fraction),
       SUM(CASE WHEN p.whole THEN t.amount ELSE 0 END),
       SUM(CASE WHEN p.whole THEN t.paid ELSE 0 END),
       SUM(CASE WHEN p.whole THEN t.spent ELSE 0 END)
FROM bids_awardpart p
JOIN bids_tranche t ON t.award_id = p.award_id
{round_where}
GROUP BY p.round_id, p.fund_id, p.category_id, t.financial_year, p.force_id, p.region_id
"""

# Ids per statement: well below SQLite's limit on parameters.
_CHUNK = 500

_pending: ContextVar[set | None] = ContextVar("money_summaries_pending", default=None)


def _in(column: str, ids: list[int]) -> tuple[str, list[int]]:
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", ids


def rebuild_money_summaries() -> None:
    """Both summaries rebuilt whole from the tranches, awards, bids and shares (set-based)."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM bids_allocationcell")
        cursor.execute("DELETE FROM bids_awardpart")
        cursor.execute(_PARTS_SQL.format(tranche_where="", award_where=""))
        cursor.execute(_CELLS_SQL.format(round_where=""))


def refresh_money_summaries(award_ids: Iterable[int]) -> None:
    """``AwardPart`` rows of these awards and ``AllocationCell`` rows of their rounds (before
    and after the change), recomputed from the base tables. Call it inside the transaction
    that changed them; ``money_summaries_deferred()`` gathers many changes into one call."""
    award_ids = sorted({pk for pk in award_ids if pk is not None})
    rounds = set()
    with connection.cursor() as cursor:
        for start in range(0, len(award_ids), _CHUNK):
            chunk = award_ids[start : start + _CHUNK]
            where, params = _in("award_id", chunk)
            cursor.execute(f"SELECT DISTINCT round_id FROM bids_awardpart WHERE {where}", params)
            rounds.update(row[0] for row in cursor.fetchall())
            cursor.execute(f"DELETE FROM bids_awardpart WHERE {where}", params)
            tranche_where, _ = _in("t.award_id", chunk)
            award_where, _ = _in("a.id", chunk)
            cursor.execute(
                _PARTS_SQL.format(
                    tranche_where=f"WHERE {tranche_where}", award_where=f"WHERE {award_where}"
                ),
                [*chunk, *chunk],
            )
            cursor.execute(f"SELECT DISTINCT round_id FROM bids_awardpart WHERE {where}", params)
            rounds.update(row[0] for row in cursor.fetchall())
        rounds = sorted(rounds)
        for start in range(0, len(rounds), _CHUNK):
            chunk = rounds[start : start + _CHUNK]
            where, params = _in("round_id", chunk)
            cursor.execute(f"DELETE FROM bids_allocationcell WHERE {where}", params)
            round_where, _ = _in("p.round_id", chunk)
            cursor.execute(_CELLS_SQL.format(round_where=f"WHERE {round_where}"), params)


def money_summaries_changed(award_ids: Iterable[int]) -> None:
    """These awards' money changed: refresh the summaries now, or at the end of the
    ``money_summaries_deferred()`` block this runs in."""
    pending = _pending.get()
    if pending is None:
        refresh_money_summaries(award_ids)
    else:
        pending.update(award_ids)


@contextlib.contextmanager
def money_summaries_deferred():
    """Gather the awards changed inside the block and refresh the summaries once at its end
    (an award written with its tranches and shares, an import of many awards)."""
    if _pending.get() is not None:
        yield
        return
    token = _pending.set(set())
    try:
        yield
        changed = _pending.get()
    finally:
        _pending.reset(token)
    if changed:
        refresh_money_summaries(changed)


def _tranche_or_share_changed(sender, instance, **kwargs):
    money_summaries_changed([instance.award_id])


def _award_changed(sender, instance, **kwargs):
    money_summaries_changed([instance.pk])


def _bid_changed(sender, instance, **kwargs):
    # Only an approved bid has an award; an administrator may correct its round, lead force
    # or category afterwards.
    if instance.status == Bid.Status.APPROVED:
        money_summaries_changed(Award.objects.filter(bid=instance).values_list("pk", flat=True))


def _parts_changed(field: str):
    def handler(sender, instance, **kwargs):
        # A force moved to another region, a round to another fund: rare administrative
        # corrections, each refreshing the awards it touches.
        awards = AwardPart.objects.filter(**{field: instance}).values_list("award", flat=True)
        money_summaries_changed(list(awards))

    return handler


def connect_money_summaries() -> None:
    """Keep the summaries current on every save and delete of what they are built from,
    whoever makes it: the services, the import, the admin, the tests' factories. Bulk writes
    send no signals: their callers rebuild (``seed_demo``) or refresh (``award_create``)."""
    from django.db.models.signals import post_delete, post_save

    from bids.models import AwardShare, FundingRound

    for model in (Tranche, AwardShare):
        for signal in (post_save, post_delete):
            signal.connect(_tranche_or_share_changed, sender=model, dispatch_uid=f"summary_{model}")
    post_save.connect(_award_changed, sender=Award, dispatch_uid="summary_award")
    post_save.connect(_bid_changed, sender=Bid, dispatch_uid="summary_bid")
    post_save.connect(
        _parts_changed("force"), sender=Force, dispatch_uid="summary_force", weak=False
    )
    post_save.connect(
        _parts_changed("round"), sender=FundingRound, dispatch_uid="summary_round", weak=False
    )


# --------------------------------------------------------------------------- CSV


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


def _partners(published_rounds) -> dict[int, tuple[str, str]]:
    """Each published award's partner forces, by bid: their slugs and names joined by ``;``,
    in the order of the slugs. One query, a few thousand rows."""
    through = Bid.partner_forces.through
    slugs: dict[int, list[tuple[str, str]]] = {}
    for bid_id, slug, name in through.objects.filter(
        bid__award__isnull=False, bid__round__in=published_rounds
    ).values_list("bid_id", "force__slug", "force__name"):
        slugs.setdefault(bid_id, []).append((slug, name))
    partners = {}
    for bid_id, forces in slugs.items():
        forces.sort()
        partners[bid_id] = (";".join(s for s, _ in forces), ";".join(n for _, n in forces))
    return partners


class MoneyText(Func):
    """An amount of money as the text of its pounds and pence (``1234.50``), made by the
    database: the CSV then writes it as it comes, with no ``Decimal`` made and printed for each
    of its hundreds of thousands of values."""

    template = "CAST(%(expressions)s AS TEXT)"
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra_context):
        # SQLite keeps decimals as numbers; printf gives them their two places. The percent
        # sign is doubled twice: once for this template, once for the query's parameters.
        return self.as_sql(compiler, connection, template="printf('%%%%.2f', %(expressions)s)")


def csv_field(value) -> str:
    """One field of an RFC 4180 line: quoted, with its quotes doubled, when it holds a comma, a
    quote or a line break (as ``csv.writer`` quotes by default)."""
    text = str(value)
    if "," in text or '"' in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_join(*values) -> str:
    return ",".join(csv_field(value) for value in values)


def csv_lines(
    filterset: AllocationFilter, *, award_url: str, generated: datetime.datetime, chunk_size=5000
) -> Iterator[str]:
    """The CSV's lines (RFC 4180, CRLF endings), the header first, then one per tranche from
    one query read in chunks.

    With a force or region chosen, each row is that force's share of the tranche (a
    collaboration's tranche gives one row for each of its forces in the region), with the share
    in ``share_percent``; otherwise the whole tranche, at 100 %. ``award_url`` holds ``{ref}``
    where the award's reference goes.

    Written for speed, since the whole file has a row for every published tranche: the rows
    carry ids of rounds and forces, named from the reference tables read beforehand (a few
    dozen rows each), and each bid's partners come from one query of the partner table read
    beforehand, so a row needs no subquery and few joins. The rows come in award order, so an
    award's columns are quoted and joined once for all its tranches, and whole tranches bring
    their money as text from the database: a line is then a few strings put together.
    """
    tranches = filterset.qs
    narrowed = "force" in filterset.chosen or "region" in filterset.chosen
    columns = [
        "award__bid__round_id",
        "award__bid_id",
        "award__bid__reference",
        "award__bid__title",
        "award__bid__lead_force_id",
        "award__bid__spend_category__slug",
        "award__bid__spend_category__name",
        "financial_year",
        "status",
    ]
    annotations = {}
    order = ["award__bid__reference", "financial_year"]
    if narrowed:
        tranches = tranches.split_by_share().alias(
            csv_order=Coalesce("award__shares__force__slug", "award__bid__lead_force__slug")
        )
        annotations.update(csv_force=F("share_force"), csv_fraction=F("share_fraction"))
        columns += ["csv_force", "csv_fraction", "amount", "paid", "spent"]
        order.append("csv_order")
    else:
        annotations.update(
            csv_allocated=MoneyText("amount"),
            csv_paid=MoneyText("paid"),
            csv_spent=MoneyText("spent"),
        )
        columns += ["csv_allocated", "csv_paid", "csv_spent"]
    rows = tranches.annotate(**annotations).order_by(*order).values_list(*columns)

    published = FundingRound.objects.published()
    rounds = {
        r.pk: _csv_join(r.fund.name, r.name, timezone.localdate(r.results_published_at).isoformat())
        for r in published.select_related("fund")
    }
    forces = {f.pk: _csv_join(f.slug, f.name) for f in Force.objects.only("slug", "name")}
    partners = {bid: _csv_join(*names) for bid, names in _partners(published).items()}
    no_partners = ","
    status_labels = {value: csv_field(label) for value, label in Tranche.Status.choices}
    years = {}
    stamp = csv_field(generated.isoformat(timespec="seconds"))
    whole = ",,100.00"
    yield _csv_join(*CSV_HEADER) + "\r\n"
    last_bid = head = tail = None
    for row in rows.iterator(chunk_size=chunk_size):
        bid_id = row[1]
        if bid_id != last_bid:
            last_bid = bid_id
            reference = row[2]
            head = ",".join(
                (
                    rounds[row[0]],
                    _csv_join(reference, row[3]),
                    forces[row[4]],
                    partners.get(bid_id, no_partners),
                    _csv_join(row[5] or "", row[6] or ""),
                )
            )
            tail = "," + _csv_join(award_url.replace("{ref}", reference)) + "," + stamp + "\r\n"
        year, status = row[7], row[8]
        if year not in years:
            years[year] = csv_field(fy_label(year))
        if narrowed:
            fraction = Decimal(row[10])
            percent = (fraction * HUNDRED).quantize(PENNY, ROUND_HALF_UP)
            share = f"{forces[row[9]]},{percent}"
            money = ",".join(
                str((value * fraction).quantize(PENNY, ROUND_HALF_UP)) for value in row[11:]
            )
        else:
            share = whole
            money = f"{row[9]},{row[10]},{row[11]}"
        label = status_labels.get(status) or csv_field(status)
        yield f"{head},{years[year]},{label},{share},{money}{tail}"
