"""Filters of the lists and dashboards (django-filter): each filter is a query parameter, so
every filtered view is a shareable URL."""

import hashlib
import json
from decimal import Decimal

import django_filters
from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    Value,
    When,
)
from django.forms import ModelChoiceField
from django.utils import timezone

from bids.derived import cached_review_figure
from bids.models import (
    AllocationCell,
    Bid,
    Envelope,
    Fund,
    FundingRound,
    Review,
    SpendCategory,
    Tranche,
)
from forces.models import Collaboration, Force, Region
from fundtracker.years import fy_label


def field_choices(field, rows: list | None = None) -> list[tuple]:
    """A form field's choices as its widget lists them. A model choice field's rows come in one
    fetch, where its own iterator reads them through a server-side cursor (three round trips
    to PostgreSQL for a list of a few dozen rows); or from ``rows``, its queryset already read
    by the caller for another use."""
    if not isinstance(field, ModelChoiceField) or getattr(field, "labels_from_the_list", False):
        # A field that labels each choice from the whole list (the reviewers') lists them;
        # iter() first, as list() would ask a model choice iterator its length (a COUNT).
        return list(iter(field.choices))
    empty = [("", field.empty_label)] if field.empty_label is not None else []
    if rows is None:
        rows = field.queryset
    return empty + [(field.prepare_value(row), field.label_from_instance(row)) for row in rows]


def select_options(field, choices: list[tuple] | None = None) -> list[tuple[str, str, bool]]:
    """A filter's options as (value, label, selected), for the template to write out; from
    ``choices`` when given (``field_choices`` of the field, kept from an earlier request).

    The same options Django's select widget renders, without its template for each option: a
    filter panel has over a hundred options, and rendering each through the widget templates
    took longer than all the sums of the dashboard and half the review queue."""
    current = field.value()
    current = "" if current is None else str(current)
    if choices is None:
        choices = field_choices(field.field)
    return [(str(value), str(label), str(value) == current) for value, label in choices]


def checkbox_options(field) -> list[tuple[str, str, str, bool]]:
    """A multiple-choice field's boxes as (id, value, label, ticked): ``select_options`` for
    checkboxes, with the ids Django's widget gives them (``id_<name>_<n>``)."""
    ticked = {str(value) for value in field.value() or ()}
    return [
        (f"{field.auto_id}_{n}", str(value), str(label), str(value) in ticked)
        for n, (value, label) in enumerate(field_choices(field.field))
    ]


def _published_rounds():
    # Built per request, not once at import: a QuerySet made at class definition would keep the
    # "published before now" of the moment the process started, and hide every round published
    # since from the filter until a restart.
    return (
        FundingRound.objects.published()
        .select_related("fund")
        .order_by("-first_financial_year", "name")
    )


def _published_years() -> list[tuple[int, str]]:
    # From the dashboard's summary of tranche money, a few thousand rows rather than every
    # tranche joined to its award, bid and round.
    years = (
        AllocationCell.objects.filter(round__results_published_at__lte=timezone.now())
        .order_by("financial_year")
        .values_list("financial_year", flat=True)
        .distinct()
    )
    return [(year, fy_label(year)) for year in years]


class ListedModelChoiceField(django_filters.fields.ModelChoiceField):
    """A model choice that finds a value in ``listed`` (its queryset's rows by the value, read
    earlier) once given one, rather than in a query for each chosen filter."""

    listed: dict | None = None

    def to_python(self, value):
        if self.listed is None or value in self.empty_values:
            return super().to_python(value)
        self.validate_no_null_characters(value)
        try:
            return self.listed[str(value)]
        except KeyError:
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            ) from None


class ListedModelChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = ListedModelChoiceField


# The filters of ``AllocationFilter`` that choose a row by its slug.
ALLOCATION_LISTS = ("fund", "round", "region", "force", "category")


class AllocationFilter(django_filters.FilterSet):
    """The public filters of design §6 over published tranches: ``fund``, ``round``,
    ``financial_year`` (start year), ``region``, ``force`` and ``category``.

    Slugs in the URL, never ids. ``force`` and ``region`` narrow the money to that force's or
    region's part of each award (``Tranche.objects.split_by_share()``), so a collaboration's
    award counts for each partner only by its share. Used by the dashboard, its CSV and PDF, and
    the API; ``errors`` name the parameter that is wrong.

    Each queryset is a function building it: a filterset deep-copies its filters, and a
    queryset held by a filter was deep-copied with them, query and all, for every request.
    """

    fund = ListedModelChoiceFilter(
        label="Fund",
        field_name="award__bid__round__fund",
        to_field_name="slug",
        queryset=lambda request: Fund.objects.order_by("name"),
        empty_label="All funds",
    )
    round = ListedModelChoiceFilter(
        label="Funding round",
        field_name="award__bid__round",
        to_field_name="slug",
        queryset=lambda request: _published_rounds(),
        empty_label="All rounds",
    )
    financial_year = django_filters.ChoiceFilter(
        choices=_published_years,
        empty_label="All years",
        label="Financial year",
    )
    region = ListedModelChoiceFilter(
        label="Region",
        to_field_name="slug",
        queryset=lambda request: Region.objects.order_by("name"),
        method="filter_region",
        empty_label="All regions",
    )
    force = ListedModelChoiceFilter(
        label="Force",
        to_field_name="slug",
        queryset=lambda request: Force.objects.select_related("region").order_by("name"),
        method="filter_force",
        empty_label="All forces",
    )
    category = ListedModelChoiceFilter(
        field_name="award__bid__spend_category",
        to_field_name="slug",
        queryset=lambda request: SpendCategory.objects.order_by("name"),
        empty_label="All categories",
        label="Spend category",
    )

    class Meta:
        model = Tranche
        fields = ["fund", "round", "financial_year", "region", "force", "category"]

    # The lists the filters were checked against (``use_lists``), if any.
    listed: dict | None = None
    _listed_form = None

    def __init__(self, data=None, queryset=None, **kwargs):
        if queryset is None:
            queryset = Tranche.objects.published()
        super().__init__(data, queryset=queryset, **kwargs)

    def filter_region(self, queryset, name, value):
        return queryset.split_by_share().filter(share_region=value.pk)

    def filter_force(self, queryset, name, value):
        return queryset.split_by_share().filter(share_force=value.pk)

    @property
    def chosen(self) -> dict:
        """The filters in force, by name (empty until ``is_valid()`` has run)."""
        data = getattr(self.form, "cleaned_data", {}) or {}
        chosen = {name: value for name, value in data.items() if value not in (None, "")}
        if "financial_year" in chosen:
            chosen["financial_year"] = int(chosen["financial_year"])
        return chosen

    def envelopes(self):
        """Published envelopes for the same fund, round, year and category.

        Money is set aside by category, never by force or region, so those two filters leave
        the envelopes whole.
        """
        chosen = self.chosen
        lookups = {
            "fund": "round__fund",
            "round": "round",
            "financial_year": "financial_year",
            "category": "category",
        }
        return Envelope.objects.published().filter(
            Q(**{lookups[name]: value for name, value in chosen.items() if name in lookups})
        )

    def lists(self) -> dict:
        """Every filter's rows and choices as the form lists them, read afresh: ``fund``,
        ``round``, ``region``, ``force`` and ``category`` as rows (forces with their region's
        id only), ``financial_year`` as (start year, label); ``choices``, each filter's options
        with its empty one first; ``by_value``, each filter's rows by their value in the URL;
        ``form_class``, the filters' form; ``until``, when the next round's results are due to
        be published (the list of rounds and years then changes), or ``None``."""
        fields = self.form.fields
        lists = {
            name: list(fields[name].queryset) for name in ("fund", "round", "region", "category")
        }
        # The filter's queryset reads each force's region, which no list shows.
        lists["force"] = list(Force.objects.order_by("name").only("slug", "name", "region"))
        lists["financial_year"] = _published_years()
        choices = {name: field_choices(fields[name], lists[name]) for name in ALLOCATION_LISTS}
        year = fields["financial_year"]
        choices["financial_year"] = [("", year.empty_label), *lists["financial_year"]]
        lists["choices"] = choices
        lists["by_value"] = {
            name: {getattr(row, fields[name].to_field_name): row for row in lists[name]}
            for name in ALLOCATION_LISTS
        }
        lists["form_class"] = type(self.form)
        lists["until"] = FundingRound.objects.filter(
            results_published_at__gt=timezone.now()
        ).aggregate(until=Min("results_published_at"))["until"]
        return lists

    def use_lists(self, lists: dict) -> None:
        """Check the chosen values against ``lists`` (``lists()``, read earlier) instead of a
        query for each; call before ``is_valid()``. ``listed`` keeps them for the caller."""
        self.listed = lists
        # The form class built with the lists: its fields' querysets then go unread, and a
        # form class built afresh would build each of them again.
        self._listed_form = lists["form_class"]
        fields = self.form.fields
        for name in ALLOCATION_LISTS:
            fields[name].listed = lists["by_value"][name]
        fields["financial_year"].choices = lists["financial_year"]

    def get_form_class(self):
        return self._listed_form or super().get_form_class()

    def error_messages(self) -> dict[str, str]:
        """One plain message per bad parameter."""
        return {name: " ".join(messages) for name, messages in self.form.errors.items()}


# --------------------------------------------------------------------------- review queue

# Bands of a bid's requested total: each band holds its lower bound and stops short of its upper.
AMOUNT_BANDS = {
    "under-250k": ("Under £250,000", None, Decimal("250000")),
    "250k-to-1m": ("£250,000 to under £1 million", Decimal("250000"), Decimal("1000000")),
    "1m-to-5m": ("£1 million to under £5 million", Decimal("1000000"), Decimal("5000000")),
    "5m-and-over": ("£5 million and over", Decimal("5000000"), None),
}

# Every status but draft: drafts are the PCC office's own until submitted.
QUEUE_STATUSES = [(value, label) for value, label in Bid.Status.choices if value != "draft"]

# Statuses sort in the order of the workflow, not alphabetically.
_STATUS_ORDER = Case(
    *(When(status=value, then=Value(rank)) for rank, value in enumerate(Bid.Status.values)),
    output_field=IntegerField(),
)

# Column of the queue → what it sorts by; the column names are the values of ``sort``.
QUEUE_SORTS = {
    "reference": "reference",
    "title": "title",
    "force": "lead_force__name",
    "category": "spend_category__name",
    "requested": "requested_total",
    "status": "status",
    "submitted": "submitted_at",
    "score": "moderated_score",
}


class QueueOrderingFilter(django_filters.OrderingFilter):
    """``sort`` of the review queue: a column of ``QUEUE_SORTS``, with ``-`` in front for
    descending. Empty values (no category, no moderated score yet) come last either way,
    statuses follow the workflow, and the primary key, in the same direction as the sort,
    breaks ties so pages never overlap (and an index on the column and the key serves both
    directions)."""

    # Columns that may be empty: only these need NULLS LAST, which a plain index cannot serve
    # when read backwards.
    NULLABLE = frozenset({"spend_category__name", "submitted_at", "moderated_score"})

    def get_ordering_value(self, param):
        descending = param.startswith("-")
        field = self.param_map[param.removeprefix("-")]
        expression = _STATUS_ORDER if field == "status" else F(field)
        nulls_last = True if field in self.NULLABLE else None
        if descending:
            return expression.desc(nulls_last=nulls_last)
        return expression.asc(nulls_last=nulls_last)

    def filter(self, qs, value):
        params = [param for param in value or () if param]
        if not params:
            return qs
        ordering = [self.get_ordering_value(param) for param in params]
        # References are unique: no tie to break, and their own index serves the sort.
        if params[-1].removeprefix("-") != "reference":
            ordering.append("-pk" if params[0].startswith("-") else "pk")
        return qs.order_by(*ordering)


class BidQueueFilter(django_filters.FilterSet):
    """The review queue's filters, each a query parameter so a filtered queue is a shareable
    URL: ``q`` (words of the reference or title), ``round``, ``status``, ``category``,
    ``force`` (the lead force), ``region`` (the lead force's), ``collaboration`` (slugs, never
    ids), ``amount`` (a band of the requested total, ``AMOUNT_BANDS``), ``assigned_to_me``,
    ``conflicts`` and ``sort`` (``QueueOrderingFilter``).

    Runs over any queryset of submitted bids (the queue pages a plain one and annotates only
    the rows shown; the CSV runs over ``Bid.objects.for_review_list()``): no filter needs an
    annotation, and each is served by an index (``bids/migrations/0009_review_queue_indexes``).
    Needs ``request`` for ``assigned_to_me``. A bad value leaves its filter out rather than
    emptying the list; ``error_messages()`` says which and why.
    """

    q = django_filters.CharFilter(
        method="filter_search",
        label="Reference or title",
        max_length=200,
        error_messages={"max_length": "Search for 200 characters or fewer"},
    )
    round = django_filters.ModelChoiceFilter(
        to_field_name="slug",
        queryset=FundingRound.objects.select_related("fund").order_by(
            "-first_financial_year", "-opens_at", "name"
        ),
        empty_label="All rounds",
        error_messages={
            "invalid_choice": "There is no round “%(value)s”: showing bids of every round"
        },
    )
    status = django_filters.ChoiceFilter(
        choices=QUEUE_STATUSES,
        empty_label="Any status",
        error_messages={
            "invalid_choice": "“%(value)s” is not a status: showing bids of every status"
        },
    )
    category = django_filters.ModelChoiceFilter(
        field_name="spend_category",
        to_field_name="slug",
        queryset=SpendCategory.objects.order_by("order", "name"),
        empty_label="All categories",
        label="Spend category",
        error_messages={
            "invalid_choice": "There is no spend category “%(value)s”: showing every category"
        },
    )
    force = django_filters.ModelChoiceFilter(
        field_name="lead_force",
        to_field_name="slug",
        queryset=Force.objects.order_by("name"),
        empty_label="All forces",
        label="Lead force",
        error_messages={
            "invalid_choice": "There is no force “%(value)s”: showing bids of every force"
        },
    )
    region = django_filters.ModelChoiceFilter(
        field_name="lead_force__region",
        method="filter_region",
        to_field_name="slug",
        queryset=Region.objects.order_by("order", "name"),
        empty_label="All regions",
        label="Region of the lead force",
        error_messages={
            "invalid_choice": "There is no region “%(value)s”: showing bids of every region"
        },
    )
    collaboration = django_filters.ModelChoiceFilter(
        to_field_name="slug",
        queryset=Collaboration.objects.order_by("name"),
        empty_label="Any, or none",
        error_messages={
            "invalid_choice": "There is no collaboration “%(value)s”: showing bids of every "
            "collaboration"
        },
    )
    amount = django_filters.ChoiceFilter(
        choices=[(key, label) for key, (label, _, _) in AMOUNT_BANDS.items()],
        method="filter_amount",
        empty_label="Any amount",
        label="Total requested",
        error_messages={
            "invalid_choice": "“%(value)s” is not one of the amount bands: showing bids of "
            "any amount"
        },
    )
    # Tick boxes: 1 or true ticks them; anything else (0, false, nonsense) leaves them out.
    assigned_to_me = django_filters.BooleanFilter(
        method="filter_assigned_to_me",
        widget=django_filters.widgets.BooleanWidget,
        label="Assigned to me",
    )
    conflicts = django_filters.BooleanFilter(
        method="filter_conflicts",
        widget=django_filters.widgets.BooleanWidget,
        label="Conflict of interest declared",
    )
    sort = QueueOrderingFilter(
        fields=[(field, column) for column, field in QUEUE_SORTS.items()],
        label="Sort by",
        error_messages={
            "invalid_choice": "The list cannot be sorted by “%(value)s”: showing the newest "
            "submissions first"
        },
    )

    class Meta:
        model = Bid
        fields = [
            "q",
            "round",
            "status",
            "category",
            "force",
            "region",
            "collaboration",
            "amount",
            "assigned_to_me",
            "conflicts",
            "sort",
        ]

    def __init__(self, *args, cache_counts: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self._status_counts = None
        self._cache_counts = cache_counts

    def filter_search(self, queryset, name, value):
        # ``icontains`` is ``UPPER(column) LIKE``: trigram indexes on those two expressions
        # answer it without reading every bid.
        for word in value.split():
            queryset = queryset.filter(Q(reference__icontains=word) | Q(title__icontains=word))
        return queryset

    def filter_region(self, queryset, name, value):
        # By the region's forces: an index scan of the bids of each, rather than a join that
        # reads every bid to find its force's region.
        return queryset.filter(lead_force__in=Force.objects.filter(region=value).values("pk"))

    def filter_amount(self, queryset, name, value):
        """Bids whose requested total is in the band: at least its lower bound and under its
        upper. A bid without a funding profile asks for £0, so it is under any upper bound.
        The total is stored on the bid, so the band is a range of its index."""
        _, low, high = AMOUNT_BANDS[value]
        if low is not None:
            queryset = queryset.filter(requested_total__gte=low)
        if high is not None:
            queryset = queryset.filter(requested_total__lt=high)
        return queryset

    def filter_assigned_to_me(self, queryset, name, value):
        """Bids the signed-in analyst reviews; a review withdrawn by a conflict of interest no
        longer counts as theirs."""
        user = getattr(self.request, "user", None)
        if not value or user is None or not user.is_authenticated:
            return queryset
        mine = Review.objects.filter(bid=OuterRef("pk"), reviewer=user).exclude(has_conflict=True)
        return queryset.filter(Exists(mine))

    def filter_conflicts(self, queryset, name, value):
        """Bids flagged for reassignment, or where any reviewer has declared a conflict."""
        if not value:
            return queryset
        conflicted = Review.objects.filter(has_conflict=True).order_by().values("bid")
        if connections[queryset.db].vendor != "postgresql":
            return queryset.filter(Q(needs_reassignment=True) | Q(pk__in=conflicted))
        # The two small sets of bids (each read from its partial index) joined into one,
        # rather than a test of every bid against both. (SQLite, the embedded default, will
        # not count by status over a UNION; it has a few bids to test.)
        flagged = (
            Bid.objects.filter(needs_reassignment=True).order_by().values("pk").union(conflicted)
        )
        return queryset.filter(pk__in=flagged)

    @property
    def chosen(self) -> dict:
        """The filters in force by name, ``sort`` left out (empty until ``is_valid()``)."""
        data = getattr(self.form, "cleaned_data", {}) or {}
        return {
            name: value
            for name, value in data.items()
            if name != "sort" and value not in (None, "", False)
        }

    @property
    def sorting(self) -> list[str]:
        """The valid ``sort`` values in force, such as ``["-requested"]``; empty by default."""
        data = getattr(self.form, "cleaned_data", {}) or {}
        return [param for param in data.get("sort") or () if param]

    def counts_by_status(self) -> dict[str, int]:
        """How many bids have each status under every other filter in force: the status filter
        itself left out, so each count says what choosing that status would show. One query,
        run once; the queryset must not join anything that repeats a bid (the queue's does
        not: no filter joins, ``Exists`` and ``IN`` do not repeat rows).

        With ``cache_counts`` (the queue's filter over every submitted bid), the counts are
        kept in the cache until a submitted bid, a review or a force changes (``bids.derived``):
        counting tens of thousands of bids is most of the queue's time in the database."""
        if self._status_counts is None:
            self.is_valid()
            if self._cache_counts:
                self._status_counts = cached_review_figure(
                    f"queue-counts:{self._counts_key()}", self._count_by_status
                )
            else:
                self._status_counts = self._count_by_status()
        return self._status_counts

    def _count_by_status(self) -> dict[str, int]:
        queryset = self.queryset.all()
        for name, value in self.form.cleaned_data.items():
            if name not in {"status", "sort"}:
                queryset = self.filters[name].filter(queryset, value)
        rows = queryset.order_by().values("status").annotate(bids=Count("pk"))
        return {row["status"]: row["bids"] for row in rows}

    def _counts_key(self) -> str:
        """What the counts by status depend on: every filter in force but the status, and who
        asks when only the bids they review count."""
        chosen = []
        for name, value in sorted(self.chosen.items()):
            if name == "status":
                continue
            if name == "assigned_to_me":
                value = getattr(getattr(self.request, "user", None), "pk", None)
            chosen.append([name, str(getattr(value, "pk", value))])
        return hashlib.sha256(json.dumps(chosen).encode()).hexdigest()

    def count(self) -> int:
        """How many bids the filters in force leave, from ``counts_by_status()``: the page
        needs both, and one query gives them."""
        counts = self.counts_by_status()
        if "status" in self.chosen:
            return counts.get(self.chosen["status"], 0)
        return sum(counts.values())

    def error_messages(self) -> dict[str, str]:
        """One plain message per bad parameter."""
        return {name: " ".join(messages) for name, messages in self.form.errors.items()}
