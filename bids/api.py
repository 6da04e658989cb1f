"""The read-only JSON API (design §6): its parameters, how they are checked, and the shape of
its answers.

Plain Django. Each endpoint is a tuple of ``Parameter``s that both the views (``parse``) and
the OpenAPI document (``bids.openapi``) read, so the document cannot drift from what the API
accepts. The six public filters are checked by ``AllocationFilter``, the same filter the
dashboard uses, and their allowed values are read from its querysets.
"""

import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.http import HttpResponse, QueryDict

from bids.allocations import Dashboard
from bids.filters import AllocationFilter
from bids.models import Award, SpendCategory
from forces.models import Force, Region
from fundtracker.money import ZERO, to_money
from fundtracker.years import fy_label

LICENCE_NAME = "Open Government Licence v3.0"
LICENCE_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
CONTENT_TYPE = "application/json; charset=utf-8"
MONEY_PATTERN = r"^-?[0-9]+\.[0-9]{2}$"
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
GROUP_BY = ("category", "force", "region", "financial_year")
NO_CATEGORY = "No spend category given"


# --------------------------------------------------------------------------- errors


class ApiError(Exception):
    """Problems with a request, each naming the parameter at fault (``None`` when no parameter
    is, as with a method the API does not answer)."""

    def __init__(self, problems: Iterable[tuple[str | None, str]], status: int = 400):
        self.problems = list(problems)
        self.status = status
        super().__init__("; ".join(message for _, message in self.problems))

    def response(self) -> HttpResponse:
        problems = [{"parameter": name, "message": message} for name, message in self.problems]
        # ``error`` holds the first problem for clients that show one; ``errors`` holds them all.
        return json_response({"error": problems[0], "errors": problems}, status=self.status)


def json_response(data, status: int = 200) -> HttpResponse:
    """``data`` as UTF-8 JSON that any web page may read (the data is open)."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    response = HttpResponse(body, content_type=CONTENT_TYPE, status=status)
    response["Access-Control-Allow-Origin"] = "*"
    return response


# --------------------------------------------------------------------------- parameters


@dataclass(frozen=True)
class Choice:
    """One allowed value of a parameter and what it stands for."""

    value: str | int
    label: str


@dataclass(frozen=True)
class Parameter:
    """A query parameter of an endpoint.

    ``clean`` turns the text into a value or raises ``ValueError`` with a message for the
    client; filters have none, since ``AllocationFilter`` checks them (``invalid`` is then the
    message, with ``{value}`` for what was sent). ``choices`` reads the allowed values (from the
    database for the filters) when the OpenAPI document or the open-data page asks.
    """

    name: str
    description: str
    schema: dict
    example: str
    required: bool = False
    default: object = None
    clean: Callable[[str], object] | None = None
    invalid: str = ""
    choices: Callable[[], list[Choice]] | None = field(default=None, compare=False)

    @property
    def is_filter(self) -> bool:
        return self.clean is None

    def allowed(self) -> list[Choice] | None:
        """The allowed values, or ``None`` when any value of the schema's type will do."""
        return None if self.choices is None else self.choices()

    def json_schema(self, allowed: list[Choice] | None = None) -> dict:
        """The parameter's JSON Schema, with its ``allowed`` values when there is a list."""
        schema = dict(self.schema)
        if allowed is not None:
            schema["enum"] = [choice.value for choice in allowed]
        if self.default is not None:
            schema["default"] = self.default
        return schema


def _filter_choices(name: str, label: Callable) -> Callable[[], list[Choice]]:
    def choices() -> list[Choice]:
        # A fresh QuerySet each time: one kept by the filter class would cache its rows (and a
        # round's "published before now") for the life of the process.
        queryset = AllocationFilter.base_filters[name].queryset
        queryset = queryset(None) if callable(queryset) else queryset.all()
        return [Choice(item.slug, label(item)) for item in queryset]

    return choices


def _year_choices() -> list[Choice]:
    years = AllocationFilter.base_filters["financial_year"].extra["choices"]
    return [Choice(int(year), label) for year, label in (years() if callable(years) else years)]


def _positive(name: str, maximum: int | None = None) -> Callable[[str], int]:
    def clean(text: str) -> int:
        if not text.isascii() or not text.isdigit():
            raise ValueError(f"{name} must be a whole number, such as 1; “{text}” is not.")
        number = int(text)
        if number < 1:
            raise ValueError(f"{name} starts at 1.")
        if maximum is not None and number > maximum:
            raise ValueError(f"{name} can be at most {maximum}; ask for more pages instead.")
        return number

    return clean


def _group_by(text: str) -> str:
    if text not in GROUP_BY:
        raise ValueError(
            f"Cannot group by “{text}”: choose category, force, region or financial_year."
        )
    return text


FILTERS = (
    Parameter(
        name="fund",
        description="Only money from this fund, by its slug.",
        schema={"type": "string"},
        example="police-transformation-fund",
        invalid="There is no fund “{value}”: give the slug of a fund.",
        choices=_filter_choices("fund", lambda fund: fund.name),
    ),
    Parameter(
        name="round",
        description="Only money from this funding round, by its slug. Only rounds whose "
        "results are published are allowed.",
        schema={"type": "string"},
        example="ptf-2016-17-round-1",
        invalid="There is no funding round “{value}” with published results: give the slug of "
        "a published round.",
        choices=_filter_choices("round", lambda r: f"{r.fund.name}: {r.name}"),
    ),
    Parameter(
        name="financial_year",
        description="Only money allocated to this UK financial year (1 April to 31 March), "
        "given by its start year: 2016 for 2016/17. Only years with published awards are "
        "allowed.",
        schema={"type": "integer"},
        example="2016",
        invalid="“{value}” is not a financial year with published awards: give its start "
        "year, such as 2016 for 2016/17.",
        choices=_year_choices,
    ),
    Parameter(
        name="region",
        description="Only the money of forces in this policing region, by its slug. A "
        "collaboration’s award counts only by the shares of the region’s forces.",
        schema={"type": "string"},
        example="east-midlands",
        invalid="There is no region “{value}”: give the slug of a policing region.",
        choices=_filter_choices("region", lambda region: region.name),
    ),
    Parameter(
        name="force",
        description="Only this force’s money, by its data.police.uk identifier. A "
        "collaboration’s award counts only by the force’s agreed share; an award without "
        "shares counts in full for its lead force and not for its partners.",
        schema={"type": "string"},
        example="nottinghamshire",
        invalid="There is no force “{value}”: give its data.police.uk identifier, such as "
        "nottinghamshire.",
        choices=_filter_choices("force", lambda force: force.name),
    ),
    Parameter(
        name="category",
        description="Only money for this spend category, by its slug.",
        schema={"type": "string"},
        example="digital",
        invalid="There is no spend category “{value}”: give the slug of a category.",
        choices=_filter_choices("category", lambda category: category.name),
    ),
)

PAGE = Parameter(
    name="page",
    description="Which page of results, from 1. Asking for a page past the last is an error.",
    schema={"type": "integer", "minimum": 1},
    example="1",
    default=1,
    clean=_positive("page"),
)
PAGE_SIZE = Parameter(
    name="page_size",
    description=f"How many awards a page holds, from 1 to {MAX_PAGE_SIZE}.",
    schema={"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
    example="100",
    default=DEFAULT_PAGE_SIZE,
    clean=_positive("page_size", MAX_PAGE_SIZE),
)
GROUP_BY_PARAMETER = Parameter(
    name="group_by",
    description="What each row of results totals: a spend category, a force, a policing "
    "region or a financial year. Required.",
    schema={"type": "string"},
    example="category",
    required=True,
    clean=_group_by,
    choices=lambda: [Choice(value, value.replace("_", " ")) for value in GROUP_BY],
)

AWARDS_PARAMETERS = (*FILTERS, PAGE, PAGE_SIZE)
ALLOCATIONS_PARAMETERS = (GROUP_BY_PARAMETER, *FILTERS)


def parse(query: QueryDict, parameters: Sequence[Parameter]) -> tuple[dict, AllocationFilter]:
    """The request's parameters checked against ``parameters``: the cleaned values (defaults
    for those left out) and a valid ``AllocationFilter`` of the filters among them.

    An empty value counts as left out, so a form's blank select does no harm. A parameter the
    endpoint does not take, or one given twice, is an error rather than ignored: a misspelt
    filter would otherwise return every award as though it had been applied.
    """
    known = {parameter.name: parameter for parameter in parameters}
    problems: list[tuple[str, str]] = []
    for name in query:
        if name not in known:
            problems.append((name, f"“{name}” is not a parameter here: use {', '.join(known)}."))
        elif len(query.getlist(name)) > 1:
            problems.append((name, f"Give {name} once."))

    values: dict[str, object] = {}
    filters: dict[str, str] = {}
    for parameter in parameters:
        text = query.get(parameter.name, "").strip()
        if parameter.is_filter:
            if text:
                filters[parameter.name] = text
        elif not text:
            if parameter.required:
                message = f"{parameter.name} is required"
                if parameter.choices is not None:
                    allowed = ", ".join(str(choice.value) for choice in parameter.allowed())
                    message = f"{message}: choose {allowed}"
                problems.append((parameter.name, f"{message}."))
            values[parameter.name] = parameter.default
        else:
            try:
                values[parameter.name] = parameter.clean(text)
            except ValueError as error:
                problems.append((parameter.name, str(error)))

    filterset = AllocationFilter(filters)
    if not filterset.is_valid():
        for name in filterset.form.errors:
            problems.append((name, known[name].invalid.format(value=filters.get(name, ""))))
    if problems:
        raise ApiError(problems)
    return values, filterset


# --------------------------------------------------------------------------- answers


def money(value) -> str:
    """Pounds as a string with two decimals: ``"2240000.00"`` (JSON numbers may lose pence)."""
    return format(to_money(value) + ZERO, "f")


def _ref(item) -> dict | None:
    return None if item is None else {"slug": item.slug, "name": item.name}


def award_json(award: Award) -> dict:
    """One award as the API gives it, from ``Award.objects.for_open_data()``."""
    bid = award.bid
    return {
        "reference": bid.reference,
        "title": bid.title,
        "fund": bid.round.fund.slug,
        "round": bid.round.slug,
        "lead_force": _ref(bid.lead_force),
        "partner_forces": [_ref(force) for force in bid.partner_forces.all()],
        "category": _ref(bid.spend_category),
        "amount_awarded": money(award.total),
        "tranches": [
            {
                "financial_year": fy_label(tranche.financial_year),
                "allocated": money(tranche.amount),
                "paid": money(tranche.paid),
                "spent": money(tranche.spent),
            }
            for tranche in award.tranches.all()
        ],
    }


@dataclass(frozen=True)
class Page:
    number: int
    size: int
    count: int

    @property
    def last(self) -> int:
        return max(1, math.ceil(self.count / self.size))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def page_of(count: int, number: int, size: int) -> Page:
    """The page asked for, or an error naming ``page`` when it is past the last one."""
    page = Page(number=number, size=size, count=count)
    if number > page.last:
        awards = "award" if count == 1 else "awards"
        pages = "page" if page.last == 1 else "pages"
        raise ApiError(
            [
                (
                    "page",
                    f"There is no page {number}: {count} {awards} make {page.last} {pages} "
                    f"of {size}.",
                )
            ]
        )
    return page


def page_url(request, number: int) -> str:
    """The absolute URL of the same request at page ``number``, keeping every other parameter."""
    query = request.GET.copy()
    query["page"] = str(number)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


def awards_json(request, values: dict, filterset: AllocationFilter) -> dict:
    """The awards endpoint's answer: published awards with a tranche the filters keep, in order
    of reference, one page at a time (four queries after the filters' own checks)."""
    awards = (
        Award.objects.published()
        .filter(pk__in=filterset.qs.values("award_id"))
        .for_open_data()
        .order_by("bid__reference")
    )
    count = awards.count()
    page = page_of(count, values["page"], values["page_size"])
    results = [award_json(award) for award in awards[page.offset : page.offset + page.size]]
    return {
        "count": count,
        "next": page_url(request, page.number + 1) if page.number < page.last else None,
        "previous": page_url(request, page.number - 1) if page.number > 1 else None,
        "results": results,
    }


def _money_row(key, label: str, sums: dict | None, envelope: Decimal | None) -> dict:
    sums = sums or {}
    return {
        "key": key,
        "label": label,
        "envelope": None if envelope is None else money(envelope),
        "allocated": money(sums.get("allocated")),
        "paid": money(sums.get("paid")),
        "spent": money(sums.get("spent")),
    }


def allocations_json(group_by: str, filterset: AllocationFilter) -> dict:
    """The allocations endpoint's answer: allocated, paid and spent (and the envelope set aside,
    for categories and years) in one row per ``group_by`` value, and their totals.

    Sums happen in the database, over the dashboard's summary of tranche money
    (``Dashboard.totals_by``). By force and region the money follows each award's shares, so
    the rows add up to the totals. Money is set aside by category and year, never by force, so
    the envelope is ``None`` for force and region rows; categories and years with an envelope
    but nothing allocated still get a row.
    """
    dashboard = Dashboard(filterset)
    sums = {row[group_by]: row for row in dashboard.totals_by(group_by)}
    with_envelope = group_by in ("category", "financial_year")
    envelopes = {}
    if with_envelope:
        envelopes = {
            row[group_by]: row["envelope"] for row in filterset.envelopes().totals_by(group_by)
        }

    rows = []
    if group_by == "category":
        for category in SpendCategory.objects.filter(pk__in=[*sums, *envelopes]):
            rows.append(
                _money_row(
                    category.slug,
                    category.name,
                    sums.get(category.pk),
                    envelopes.get(category.pk, ZERO),
                )
            )
        if None in sums:
            rows.append(_money_row(None, NO_CATEGORY, sums[None], ZERO))
    elif group_by == "financial_year":
        for year in sorted({*sums, *envelopes}):
            rows.append(_money_row(year, fy_label(year), sums.get(year), envelopes.get(year, ZERO)))
    else:
        model = Force if group_by == "force" else Region
        for item in model.objects.filter(pk__in=list(sums)):
            rows.append(_money_row(item.slug, item.name, sums[item.pk], None))

    totals = dashboard.totals()
    envelope = filterset.envelopes().total() if with_envelope else None
    total = _money_row(None, "", totals, envelope)
    return {
        "results": rows,
        "totals": {name: total[name] for name in ("envelope", "allocated", "paid", "spent")},
    }
