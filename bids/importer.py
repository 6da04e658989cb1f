"""Award import (design §7): a CSV file of tranches becomes funds, rounds, bids and awards.

``awards_import`` checks every row against the rest of the file and against the database before
it writes anything, so a file with any bad row changes nothing and every bad row is reported at
once, each with its line number in the file.
"""

import csv
import datetime
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.text import slugify

from bids.allocations import money_summaries_deferred
from bids.models import Bid, BidEvent, Fund, FundingLine, FundingRound, SpendCategory
from bids.services import award_create
from forces.models import Force
from fundtracker.cache import public_data_changed
from fundtracker.money import MONEY_FIELD, ZERO, format_gbp, to_money
from fundtracker.years import fy_bounds, fy_label, fy_parse

COLUMNS = (
    "award_reference",
    "fund",
    "round",
    "lead_force",
    "partner_forces",
    "title",
    "category",
    "financial_year",
    "amount",
)
IMPORT_USERNAME = "import"

# The fund's code, then letters and digits in hyphen-separated parts: PTF-2016-0001.
_REFERENCE = re.compile(r"^(?P<code>[A-Z][A-Z0-9]{0,9})-[A-Z0-9]+(?:-[A-Z0-9]+)*$")
# Pounds, optionally with "£" and thousands separators; anything float-like (1e6, NaN) fails.
_AMOUNT = re.compile(r"^£?(?P<pounds>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<pence>\d+))?$")
_MAX_POUNDS_DIGITS = MONEY_FIELD["max_digits"] - MONEY_FIELD["decimal_places"]
_MAX_AMOUNT = Decimal(10**_MAX_POUNDS_DIGITS) - Decimal("0.01")
_MAX_LENGTH = {
    "award_reference": Bid._meta.get_field("reference").max_length,
    "fund": Fund._meta.get_field("name").max_length,
    "round": FundingRound._meta.get_field("name").max_length,
    "title": Bid._meta.get_field("title").max_length,
    "category": SpendCategory._meta.get_field("name").max_length,
}
_WHAT = {
    "award_reference": "the award reference",
    "fund": "the fund",
    "round": "the round",
    "lead_force": "the lead force",
    "title": "the title",
    "category": "the spend category",
    "financial_year": "the financial year",
    "amount": "the amount",
}


@dataclass(frozen=True)
class RowProblem:
    """Why one line of the file cannot be imported."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class AwardImportError(Exception):
    """The file has bad rows; ``problems`` lists every one, in line order. Nothing was written."""

    def __init__(self, problems: list[RowProblem]):
        self.problems = sorted(problems, key=lambda problem: problem.line)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class ImportResult:
    """What an import created (or, in a dry run, would create) and which awards it left alone."""

    dry_run: bool
    created: list[str]
    unchanged: list[str]
    funds_created: list[str]
    rounds_created: list[str]
    categories_created: list[str]


@transaction.atomic
def awards_import(
    *, data: bytes | str, by: User | None = None, dry_run: bool = False, source: str = ""
) -> ImportResult:
    """Import published awards from CSV ``data``, one row per tranche (design §7).

    Rows sharing an ``award_reference`` make one award with its approved bid. Forces must exist;
    funds, rounds and spend categories are created when missing, a new round spanning the years
    of its rows in the file, closed, decided and published. Awards already in the database with
    the same lead, title, round, category, partners and tranches are left unchanged, so importing
    a file twice changes nothing; one that differs is a bad row.

    Raises ``AwardImportError`` listing every bad row when any row is bad; nothing is written
    then, nor in a ``dry_run``. ``by`` defaults to the inactive ``import`` system user.
    """
    plan = _Plan()
    plan.read(data)
    if plan.problems:
        raise AwardImportError(plan.problems)
    plan.check()
    if plan.problems:
        raise AwardImportError(plan.problems)
    if not dry_run:
        # Every imported award reaches the dashboard's summaries in one refresh at the end.
        with money_summaries_deferred():
            plan.write(by=by or import_user(), source=source)
        public_data_changed()
    return plan.result(dry_run=dry_run)


def import_user() -> User:
    """The system user that imports act as: inactive, so no one can sign in as it."""
    user, _ = User.objects.get_or_create(
        username=IMPORT_USERNAME,
        defaults={
            "first_name": "Award",
            "last_name": "import",
            "is_active": False,
            "password": make_password(None),
        },
    )
    return user


# --------------------------------------------------------------------------- what the file asks


@dataclass(eq=False)
class _FundPlan:
    code: str
    name: str
    obj: Fund | None = None
    created: bool = False

    def label(self) -> str:
        return f"{self.name} ({self.code})"


@dataclass(eq=False)
class _RoundPlan:
    fund: _FundPlan
    name: str
    obj: FundingRound | None = None
    years: set[int] = field(default_factory=set)
    created: bool = False

    def label(self) -> str:
        return f"{self.fund.code} {self.name}"

    def years_label(self) -> str:
        span = FundingRound(
            first_financial_year=min(self.years), last_financial_year=max(self.years)
        )
        return span.years_label


@dataclass(eq=False)
class _CategoryPlan:
    name: str
    slug: str
    obj: SpendCategory | None = None
    created: bool = False


@dataclass(eq=False)
class _Row:
    line: int
    values: dict[str, str]
    reference: str = ""
    code: str = ""
    lead: Force | None = None
    partners: frozenset[Force] | None = None
    year: int | None = None
    amount: Decimal | None = None
    fund: _FundPlan | None = None
    round: _RoundPlan | None = None
    category: _CategoryPlan | None = None


@dataclass(eq=False)
class _Award:
    reference: str
    rows: list[_Row]
    existing: Bid | None = None

    @property
    def first(self) -> _Row:
        return self.rows[0]

    def value(self, name: str):
        """The award's value of a row attribute: the first row's that is known."""
        return next((getattr(r, name) for r in self.rows if getattr(r, name) is not None), None)

    @property
    def tranches(self) -> dict[int, Decimal]:
        return {r.year: r.amount for r in self.rows}


def _quoted(names) -> str:
    return ", ".join(f"“{n}”" for n in names) or "none"


def _force_names(forces) -> str:
    return "; ".join(sorted(f.name for f in forces)) or "none"


def _differences(bid: Bid, award: _Award) -> list[tuple[str, str, str]]:
    """What the stored bid says and the file says otherwise: (what, stored, in the file)."""
    found = []
    title = award.first.values["title"]
    if title and title != bid.title:
        found.append(("title", bid.title, title))
    funding_round = award.value("round")
    if funding_round is not None and funding_round.obj != bid.round:
        found.append(("round", str(bid.round), funding_round.label()))
    lead = award.value("lead")
    if lead is not None and lead != bid.lead_force:
        found.append(("lead force", bid.lead_force.name, lead.name))
    partners = award.value("partners")
    if partners is not None and partners != frozenset(bid.partner_forces.all()):
        found.append(
            ("partner forces", _force_names(bid.partner_forces.all()), _force_names(partners))
        )
    category = award.value("category")
    if category is not None and category.obj != bid.spend_category:
        found.append(("spend category", str(bid.spend_category or "none"), category.name))
    return found


class _Plan:
    """Reads the file, checks it against itself and the database, then writes it."""

    def __init__(self):
        self.problems: list[RowProblem] = []
        self.rows: list[_Row] = []
        self.awards: dict[str, _Award] = {}
        self.funds: dict[str, _FundPlan] = {}
        self.rounds: list[_RoundPlan] = []
        self.categories: dict[str, _CategoryPlan] = {}
        self._forces: dict[str, list[Force]] = {}

    def bad(self, row: _Row | int, message: str) -> None:
        line = row if isinstance(row, int) else row.line
        self.problems.append(RowProblem(line, message))

    # ----------------------------------------------------------------------- reading

    def read(self, data: bytes | str) -> None:
        if isinstance(data, bytes):
            try:
                data = data.decode("utf-8-sig")
            except UnicodeDecodeError as error:
                line = data.count(b"\n", 0, error.start) + 1
                self.bad(line, "the file is not UTF-8 text: save it as “CSV UTF-8”.")
                return
        text = data.removeprefix("\ufeff")
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            header = [name.strip().lower() for name in next(reader, [])]
            columns = self._columns(header)
            if columns is None:
                return
            # reader.line_num is the last physical line read: a quoted value may span lines.
            start = reader.line_num + 1
            for cells in reader:
                line, start = start, reader.line_num + 1
                if not any(cell.strip() for cell in cells):
                    continue
                if len(cells) != len(header):
                    self.bad(
                        line,
                        f"expected {len(header)} values, as in the header, found {len(cells)}.",
                    )
                    continue
                values = {name: cells[i].strip() for name, i in columns.items()}
                self.rows.append(self._parse(_Row(line=line, values=values)))
        except csv.Error as error:
            self.bad(reader.line_num, f"the file is not valid CSV: {error}.")
        if not self.rows and not self.problems:
            self.bad(1, "the file has no rows after the header, so there is nothing to import.")

    def _columns(self, header: list[str]) -> dict[str, int] | None:
        if not any(header):
            self.bad(1, f"the first line must be the header: {','.join(COLUMNS)}.")
            return None
        twice = sorted({name for name in header if name and header.count(name) > 1})
        if twice:
            self.bad(1, f"the header has the column(s) {_quoted(twice)} more than once.")
        missing = [name for name in COLUMNS if name not in header]
        if missing:
            self.bad(1, f"the header is missing the column(s) {_quoted(missing)}.")
        if twice or missing:
            return None
        return {name: header.index(name) for name in COLUMNS}

    def _parse(self, row: _Row) -> _Row:
        values = row.values
        # A NUL is never meant (a damaged export leaves it) and PostgreSQL cannot store or even
        # compare text holding one, so such a row is refused before anything looks it up.
        with_nul = [name for name in COLUMNS if "\x00" in values[name]]
        if with_nul:
            self.bad(
                row,
                f"{_quoted(with_nul)} contain{'s' if len(with_nul) == 1 else ''} a null "
                "character, which a damaged export leaves behind: remove it.",
            )
            return row
        for name, what in _WHAT.items():
            if not values[name]:
                self.bad(row, f"enter {what}.")
        for name, limit in _MAX_LENGTH.items():
            if len(values[name]) > limit:
                self.bad(row, f"{_WHAT[name]} is longer than {limit} characters.")
        reference = values["award_reference"]
        match = _REFERENCE.match(reference)
        if reference and not match:
            self.bad(
                row,
                f"“{reference}” is not an award reference: write it like PTF-2016-0001, the "
                "fund's code in capitals and then the number.",
            )
        elif match and len(reference) <= _MAX_LENGTH["award_reference"]:
            row.reference, row.code = reference, match["code"]
        if values["lead_force"]:
            row.lead = self._force(row, values["lead_force"], "lead force")
        row.partners = self._partners(row)
        if values["financial_year"]:
            try:
                row.year = fy_parse(values["financial_year"])
            except ValueError as error:
                self.bad(row, str(error))
        if values["amount"]:
            row.amount = self._amount(row, values["amount"])
        return row

    def _force(self, row: _Row, text: str, role: str) -> Force | None:
        key = text.casefold()
        if key not in self._forces:
            self._forces[key] = list(Force.objects.match(text))
        found = self._forces[key]
        if len(found) == 1:
            return found[0]
        if found:
            self.bad(row, f"the {role} “{text}” could be {_force_names(found)}: give its name.")
        else:
            self.bad(
                row,
                f"unknown {role} “{text}”: give the force's name, its name without “Police” "
                "or “Constabulary”, or its data.police.uk id.",
            )
        return None

    def _partners(self, row: _Row) -> frozenset[Force] | None:
        names = [n.strip() for n in row.values["partner_forces"].split(";") if n.strip()]
        partners = [self._force(row, name, "partner force") for name in names]
        if None in partners:
            return None
        if row.lead in partners:
            self.bad(row, f"{row.lead.name} is the lead force, so it cannot also be a partner.")
            return None
        return frozenset(partners)

    def _amount(self, row: _Row, text: str) -> Decimal | None:
        match = _AMOUNT.match(text)
        if not match:
            if text[:1] in "-−" and _AMOUNT.match(text[1:].strip()):
                self.bad(row, f"the amount “{text}” is negative: amounts cannot be negative.")
            else:
                self.bad(
                    row,
                    f"“{text}” is not an amount in pounds: write it like 2240000 or 2240000.50.",
                )
            return None
        pence = match["pence"] or ""
        if len(pence) > 2:
            self.bad(row, f"the amount “{text}” has more than two decimal places (pence).")
            return None
        amount = to_money(f"{match['pounds'].replace(',', '')}.{pence or '0'}")
        if amount > _MAX_AMOUNT:
            self.bad(row, f"the amount “{text}” is more than {format_gbp(_MAX_AMOUNT)}.")
            return None
        return amount

    # ----------------------------------------------------------------------- checking

    def check(self) -> None:
        """Group rows into awards, resolve what they name, and check them against the database."""
        seen: dict[tuple[str, int], _Row] = {}
        for row in self.rows:
            if not row.reference:
                continue
            self.awards.setdefault(row.reference, _Award(row.reference, [])).rows.append(row)
            if row.year is not None:
                other = seen.setdefault((row.reference, row.year), row)
                if other is not row:
                    self.bad(
                        row,
                        f"{row.reference} has a second {fy_label(row.year)} row: the first is "
                        f"on line {other.line}.",
                    )
        self._resolve_funds()
        self._resolve_rounds()
        self._resolve_categories()
        self._check_agreement()
        self._check_rounds()
        self._check_existing()

    def _resolve_funds(self) -> None:
        """The reference prefix is the fund's code: each row's fund must be that code's fund."""
        by_code: dict[str, list[_Row]] = defaultdict(list)
        for row in self.rows:
            if row.code and row.values["fund"]:
                by_code[row.code].append(row)
        for code, rows in by_code.items():
            fund = Fund.objects.filter(code__iexact=code).first()
            if fund:
                plan = _FundPlan(code=fund.code, name=fund.name, obj=fund)
                names = {fund.name.casefold(), fund.slug.casefold(), fund.code.casefold()}
            else:
                plan = _FundPlan(code=code, name=rows[0].values["fund"], created=True)
                names = {plan.name.casefold()}
                problem = self._new_fund_problem(plan)
                if problem:
                    for row in rows:
                        self.bad(row, problem)
                    continue
            self.funds[code] = plan
            for row in rows:
                if row.values["fund"].casefold() in names:
                    row.fund = plan
                elif plan.created:
                    self.bad(
                        row,
                        f"the fund is “{row.values['fund']}” here but “{plan.name}” on line "
                        f"{rows[0].line}, which has the same reference prefix {code}.",
                    )
                else:
                    self.bad(
                        row,
                        f"the reference prefix {code} belongs to the fund “{plan.name}”, "
                        f"not “{row.values['fund']}”.",
                    )

    def _new_fund_problem(self, plan: _FundPlan) -> str:
        slug = slugify(plan.name)
        if not slug:
            return f"“{plan.name}” cannot be the name of a fund."
        clash = Fund.objects.filter(Q(name__iexact=plan.name) | Q(slug=slug)).first() or next(
            (f for f in self.funds.values() if f.created and slugify(f.name) == slug), None
        )
        if clash:
            return (
                f"the fund “{clash.name}” has the reference prefix {clash.code}, not {plan.code}."
            )
        return ""

    def _resolve_rounds(self) -> None:
        by_text: dict[tuple[str, str], _RoundPlan] = {}
        by_existing: dict[int, _RoundPlan] = {}
        for row in self.rows:
            text = row.values["round"]
            if row.fund is None or not text:
                continue
            key = (row.fund.code, text.casefold())
            if key not in by_text:
                existing = None
                if row.fund.obj is not None:
                    existing = FundingRound.objects.filter(
                        Q(name__iexact=text) | Q(slug__iexact=text), fund=row.fund.obj
                    ).first()
                plan = by_existing.get(existing.pk) if existing else None
                if plan is None:
                    plan = _RoundPlan(
                        fund=row.fund,
                        name=existing.name if existing else text,
                        obj=existing,
                        created=existing is None,
                    )
                    self.rounds.append(plan)
                    if existing:
                        by_existing[existing.pk] = plan
                by_text[key] = plan
            row.round = by_text[key]

    def _resolve_categories(self) -> None:
        known: dict[str, _CategoryPlan] = {}
        for row in self.rows:
            text = row.values["category"]
            if not text:
                continue
            if text.casefold() not in known:
                slug = slugify(text)
                category = SpendCategory.objects.filter(
                    Q(name__iexact=text) | Q(slug__iexact=text) | Q(slug=slug)
                ).first()
                if category:
                    slug = category.slug
                elif not slug:
                    self.bad(row, f"“{text}” cannot be the name of a spend category.")
                    continue
                plan = self.categories.setdefault(
                    slug, _CategoryPlan(name=text, slug=slug, obj=category, created=not category)
                )
                known[text.casefold()] = plan
            row.category = known[text.casefold()]

    def _check_agreement(self) -> None:
        """Rows of one award must name the same round, forces, title and category.

        The fund needs no check here: it follows from the reference (``_resolve_funds``).
        """
        fields = [
            ("round", lambda r: r.round, lambda r: r.values["round"]),
            ("lead force", lambda r: r.lead, lambda r: r.values["lead_force"]),
            ("partner forces", lambda r: r.partners, lambda r: _force_names(r.partners)),
            ("title", lambda r: r.values["title"] or None, lambda r: r.values["title"]),
            ("spend category", lambda r: r.category, lambda r: r.values["category"]),
        ]
        for award in self.awards.values():
            for what, key, shown in fields:
                rows = [r for r in award.rows if key(r) is not None]
                for row in rows[1:]:
                    if key(row) != key(rows[0]):
                        self.bad(
                            row,
                            f"the rows of {award.reference} must agree on the {what}: "
                            f"“{shown(row)}” here, “{shown(rows[0])}” on line {rows[0].line}.",
                        )
            total = sum((r.amount for r in award.rows if r.amount is not None), ZERO)
            if total > _MAX_AMOUNT:
                self.bad(
                    award.first,
                    f"{award.reference} adds up to more than the most an award "
                    f"can be, {format_gbp(_MAX_AMOUNT)}.",
                )

    def _check_rounds(self) -> None:
        for row in self.rows:
            plan = row.round
            if plan is None or row.year is None:
                continue
            if plan.obj is None:
                plan.years.add(row.year)
            elif plan.obj.results_published_at is None:
                self.bad(
                    row,
                    f"the round “{plan.label()}” exists but its results are not published: "
                    "publish them before importing awards into it.",
                )
            elif row.year not in plan.obj.financial_years:
                self.bad(
                    row,
                    f"{fy_label(row.year)} is outside the years of the round “{plan.label()}” "
                    f"({plan.obj.years_label}).",
                )

    def _check_existing(self) -> None:
        """An award already in the database must be the file's award exactly; it is left alone."""
        bids = (
            Bid.objects.filter(reference__in=self.awards)
            .select_related("round__fund", "lead_force", "spend_category", "award")
            .prefetch_related("partner_forces", "award__tranches")
        )
        for bid in bids:
            award = self.awards[bid.reference]
            award.existing = bid
            stored = getattr(bid, "award", None)
            if stored is None:
                self.bad(
                    award.first,
                    f"{bid.reference} is an existing bid, {bid.get_status_display().lower()} and "
                    "without an award, so the file cannot make it an award.",
                )
                continue
            for what, theirs, ours in _differences(bid, award):
                self.bad(
                    award.first,
                    f"{bid.reference} already exists with the {what} “{theirs}”, not “{ours}”.",
                )
            tranches = {t.financial_year: t.amount for t in stored.tranches.all()}
            for row in award.rows:
                if row.year is None or row.amount is None:
                    continue
                if row.year not in tranches:
                    self.bad(
                        row,
                        f"the existing award {bid.reference} has no {fy_label(row.year)} tranche.",
                    )
                elif tranches[row.year] != row.amount:
                    self.bad(
                        row,
                        f"the existing award {bid.reference} has {format_gbp(tranches[row.year])} "
                        f"for {fy_label(row.year)}, not {format_gbp(row.amount)}.",
                    )
            left_out = sorted(set(tranches) - {r.year for r in award.rows})
            if left_out:
                self.bad(
                    award.first,
                    f"the existing award {bid.reference} also has a tranche for "
                    f"{', '.join(fy_label(y) for y in left_out)}, which the file leaves out.",
                )

    # ----------------------------------------------------------------------- writing

    def write(self, *, by: User, source: str) -> None:
        now = timezone.now()
        for fund in self.funds.values():
            if fund.created:
                fund.obj = Fund.objects.create(
                    name=fund.name, slug=slugify(fund.name), code=fund.code
                )
        for plan in self.rounds:
            if plan.created:
                plan.obj = self._create_round(plan, now)
        order = SpendCategory.objects.aggregate(last=Max("order"))["last"] or 0
        for category in self.categories.values():
            if category.created:
                order += 1
                category.obj = SpendCategory.objects.create(
                    name=category.name, slug=category.slug, order=order
                )
        for award in self.awards.values():
            if award.existing is None:
                self._create_award(award, by=by, source=source)

    @staticmethod
    def _create_round(plan: _RoundPlan, now: datetime.datetime) -> FundingRound:
        first, last = min(plan.years), max(plan.years)
        slug = base = slugify(f"{plan.fund.code} {plan.name}")[:190]
        suffix = 1
        while FundingRound.objects.filter(slug=slug).exists():
            suffix += 1
            slug = f"{base}-{suffix}"
        # The file does not say when the round was open; the year before its first financial
        # year stands in, never later than now, since its results are already out.
        zone = timezone.get_default_timezone()
        closes_at = min(
            timezone.make_aware(
                datetime.datetime.combine(fy_bounds(first)[0], datetime.time()), zone
            ),
            now,
        )
        opens_at = min(
            timezone.make_aware(
                datetime.datetime.combine(fy_bounds(first - 1)[0], datetime.time()), zone
            ),
            closes_at - datetime.timedelta(days=1),
        )
        return FundingRound.objects.create(
            fund=plan.fund.obj,
            name=plan.name,
            slug=slug,
            first_financial_year=first,
            last_financial_year=last,
            opens_at=opens_at,
            closes_at=closes_at,
            results_published_at=now,
            status=FundingRound.Status.DECIDED,
        )

    @staticmethod
    def _create_award(award: _Award, *, by: User, source: str) -> None:
        bid = Bid(
            reference=award.reference,
            round=award.first.round.obj,
            lead_force=award.first.lead,
            title=award.first.values["title"],
            spend_category=award.first.category.obj,
            status=Bid.Status.APPROVED,
            created_by=by,
        )
        bid._history_user = by
        bid.save()
        bid.partner_forces.set(award.first.partners)
        for year, amount in sorted(award.tranches.items()):
            line = FundingLine(bid=bid, financial_year=year, amount=amount)
            line._history_user = by
            line.save()
        created = award_create(bid=bid, tranches=award.tranches, by=by)
        lines = ", ".join(str(r.line) for r in award.rows)
        lines = f"lines {lines}" if len(award.rows) > 1 else f"line {lines}"
        tranches = ", ".join(
            f"{fy_label(year)} {format_gbp(amount)}"
            for year, amount in sorted(award.tranches.items())
        )
        BidEvent.objects.create(
            bid=bid,
            action=BidEvent.Action.IMPORTED,
            to_status=bid.status,
            actor=by,
            note=f"Award {format_gbp(created.total)} ({tranches}) imported from "
            f"{source or 'a file'} ({lines}).",
        )

    def result(self, *, dry_run: bool) -> ImportResult:
        return ImportResult(
            dry_run=dry_run,
            created=[a.reference for a in self.awards.values() if a.existing is None],
            unchanged=[a.reference for a in self.awards.values() if a.existing is not None],
            funds_created=[f.label() for f in self.funds.values() if f.created],
            rounds_created=[f"{r.label()} ({r.years_label()})" for r in self.rounds if r.created],
            categories_created=[c.name for c in self.categories.values() if c.created],
        )
