"""Review pages: the queue of bids, its CSV export and batch assignment.

The queue lists every submitted bid through ``BidQueueFilter``: the filters, the sort and the
page are query parameters, so a filtered queue is a shareable URL, and the CSV takes the same
parameters. Analysts tick bids and assign reviewers to all of them in one go, one service call a
bid.

At tens of thousands of bids the page does as little as it shows: the filters and the sort run
over the bids alone (each served by an index), the counts by status give the total as well, and
only the 50 bids of the page are joined to their round, force and category and have their
reviews counted (``page_rows``); the requested total is stored on each bid. The CSV holds every
row, so it annotates them all in one pass (``Bid.objects.for_review_list()``).
"""

import csv
import datetime
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.core.paginator import Paginator
from django.db.models import (
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import QueryDict, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.formats import localize
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString
from django.utils.text import slugify
from django.views import View
from django.views.generic import TemplateView

from bids import services
from bids.derived import cached_review_figure
from bids.filters import (
    AMOUNT_BANDS,
    QUEUE_STATUSES,
    BidQueueFilter,
    checkbox_options,
    field_choices,
    select_options,
)
from bids.forms.review_queue import AssignBatchForm
from bids.models import Bid, Review
from bids.permissions import PermissionDenied
from bids.timeline import person_name
from bids.views.review.base import AnalystMixin, CaseworkerMixin
from forces.models import short_force_name
from fundtracker.links import address_for_each
from fundtracker.templatetags.govuk import gbp, status_tag_html

PAGE_SIZE = 50
# The filters of the panel, in its order: the search box, then a select for each of the others.
PANEL_FILTERS = ("q", "round", "status", "category", "force", "region", "collaboration", "amount")
# Where a batch assignment leaves its outcome, or its refused input, for the queue to show
# once after the redirect.
ASSIGN_FORM_KEY = "review_queue_assign_form"
ASSIGN_RESULT_KEY = "review_queue_assign_result"


def queue_filter(request, queryset=None) -> BidQueueFilter:
    """The queue's filters over submitted bids (``queryset``, plain bids unless given, whose
    counts by status are then cached), newest submission first until sorted."""
    cache_counts = queryset is None
    if queryset is None:
        queryset = Bid.objects.exclude(status=Bid.Status.DRAFT)
    queryset = queryset.order_by(F("submitted_at").desc(nulls_last=True), "-pk")
    filterset = BidQueueFilter(
        request.GET, queryset=queryset, request=request, cache_counts=cache_counts
    )
    filterset.is_valid()
    return filterset


def _review_count(condition: Q) -> Coalesce:
    reviews = (
        Review.objects.filter(condition, bid=OuterRef("pk"))
        .order_by()
        .values("bid")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(reviews, output_field=IntegerField()), Value(0))


@dataclass(frozen=True)
class QueueRow:
    """What a row of the queue shows of a bid, as plain values: fifty bids with their round,
    lead force, category and collaboration would be some 250 model instances to build."""

    reference: str
    title: str
    round_name: str
    lead_force_name: str
    collaboration_name: str | None
    category_name: str | None
    requested_total: Decimal
    status: str
    submitted_at: datetime.datetime | None
    moderated_score: Decimal | None
    needs_reassignment: bool
    reviews_assigned: int
    reviews_submitted: int
    reviews_conflicted: int

    @property
    def lead_force(self) -> str:
        return short_force_name(self.lead_force_name)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    def submitted_on(self, months: list[str]) -> str:
        """The day of submission as the date filter's ``j M Y`` writes it (``months``: the
        abbreviated names, January first), in the local time zone."""
        day = timezone.localtime(self.submitted_at)
        return f"{day.day} {months[day.month - 1]} {day.year:04d}"


_ACTIVE = Q(has_conflict=False) | Q(has_conflict__isnull=True)
# A row's counts of reviews, built once: each request only resolves them for its fifty bids.
REVIEW_COUNTS = {
    "reviews_assigned": _review_count(_ACTIVE),
    "reviews_submitted": _review_count(_ACTIVE & Q(submitted_at__isnull=False)),
    "reviews_conflicted": _review_count(Q(has_conflict=True)),
}

# Where the values of a row come from: the bid's own columns, then its relations' names.
ROW_COLUMNS = [
    "reference",
    "title",
    "requested_total",
    "status",
    "submitted_at",
    "moderated_score",
    "needs_reassignment",
]
ROW_NAMES = {
    "round_name": F("round__name"),
    "lead_force_name": F("lead_force__name"),
    "collaboration_name": F("collaboration__name"),
    "category_name": F("spend_category__name"),
}


def page_rows(ids: list[int]) -> list[QueueRow]:
    """The bids ``ids``, in that order, as rows of the queue (one query): with their round,
    lead force, category and collaboration; ``reviews_assigned`` (reviewers not withdrawn by
    a conflict of interest), ``reviews_submitted`` (of those) and ``reviews_conflicted``, each
    counted for these bids only."""
    values = (
        Bid.objects.filter(pk__in=ids)
        .annotate(**REVIEW_COUNTS)
        .order_by()
        .values(
            "pk",
            "reviews_assigned",
            "reviews_submitted",
            "reviews_conflicted",
            *ROW_COLUMNS,
            **ROW_NAMES,
        )
    )
    by_id = {row.pop("pk"): QueueRow(**row) for row in values}
    return [by_id[pk] for pk in ids if pk in by_id]


REASSIGN_TAG = '<strong class="govuk-tag govuk-tag--red app-task-list__tag">Reassign</strong>'
DECLARED_TAG = '<strong class="govuk-tag govuk-tag--grey app-task-list__tag">Declared</strong>'


def rows_html(
    rows: list[QueueRow],
    *,
    bid_url: Callable[[str], str],
    tick: bool,
    ticked: set,
    refused: bool,
) -> SafeString:
    """The queue's table rows, written here rather than by the template: fifty rows of a dozen
    cells each are some 1,200 template nodes and fifty ``{% url %}`` lookups a request.
    ``bid_url`` gives a bid page's address for a reference (``address_for_each``); ``tick`` adds the
    analysts' checkbox (checked for references in ``ticked``, described by the error message
    when the ticks were ``refused``)."""
    months = [str(name).title() for name in MONTHS_3.values()]
    describedby = ' aria-describedby="bids-error"' if refused else ""
    out = []
    for index, row in enumerate(rows):
        reference = escape(row.reference)
        out.append('\n      <tr class="govuk-table__row">\n        ')
        if tick:
            checked = " checked" if row.reference in ticked else ""
            out.append(
                '\n        <td class="govuk-table__cell">\n'
                '          <div class="govuk-checkboxes__item govuk-checkboxes--small'
                ' moj-multi-select__checkbox">\n'
                f'            <input type="checkbox" class="govuk-checkboxes__input"'
                f' id="id_bids_{index}" name="bids" value="{reference}"{checked}{describedby}>\n'
                '            <label class="govuk-label govuk-checkboxes__label'
                f' moj-multi-select__toggle-label" for="id_bids_{index}"><span'
                f' class="govuk-visually-hidden">Select {reference}</span></label>\n'
                "          </div>\n        </td>\n        "
            )
        collaboration = (
            f'<br><span class="govuk-body-s">{escape(row.collaboration_name)}</span>'
            if row.collaboration_name
            else ""
        )
        category = (
            escape(row.category_name)
            if row.category_name
            else '<span class="govuk-visually-hidden">Not given</span>–'
        )
        submitted = row.submitted_on(months) if row.submitted_at else "–"
        if row.reviews_assigned:
            reviews = f"{row.reviews_submitted} of {row.reviews_assigned}"
        else:
            reviews = "None assigned"
        if row.needs_reassignment:
            conflict = REASSIGN_TAG
        elif row.reviews_conflicted:
            conflict = DECLARED_TAG
        else:
            conflict = '<span class="govuk-visually-hidden">None</span>'
        if row.moderated_score is not None:
            score = escape(localize(row.moderated_score))
        else:
            score = '<span class="govuk-visually-hidden">Not moderated</span>–'
        out.append(
            "\n"
            f'        <td class="govuk-table__cell app-queue-table__nowrap"><a class="govuk-link"'
            f' href="{bid_url(row.reference)}">'
            f"{reference}</a></td>\n"
            f'        <td class="govuk-table__cell app-queue-table__title">{escape(row.title)}'
            f'<br><span class="govuk-body-s app-queue-table__round">{escape(row.round_name)}'
            "</span></td>\n"
            f'        <td class="govuk-table__cell">{escape(row.lead_force)}{collaboration}</td>\n'
            f'        <td class="govuk-table__cell">{category}</td>\n'
            '        <td class="govuk-table__cell govuk-table__cell--numeric'
            f' app-queue-table__nowrap">{escape(gbp(row.requested_total, False))}</td>\n'
            f'        <td class="govuk-table__cell">{status_tag_html(row.status, row.status_label)}'
            "</td>\n"
            f'        <td class="govuk-table__cell app-queue-table__nowrap">{submitted}</td>\n'
            f'        <td class="govuk-table__cell">{reviews}</td>\n'
            f'        <td class="govuk-table__cell">{conflict}</td>\n'
            f'        <td class="govuk-table__cell govuk-table__cell--numeric">{score}</td>\n'
            "      </tr>\n      "
        )
    # Every value above is escaped.
    return SafeString("".join(out))


class CountedPaginator(Paginator):
    """A paginator told its count, so that it asks the database only for the page."""

    def __init__(self, object_list, per_page, *, count: int, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self._known_count = count

    @property
    def count(self) -> int:
        return self._known_count


def clean_query(request, filterset: BidQueueFilter) -> QueryDict:
    """The query string with the page, empty values and every bad parameter taken out: what
    the queue's own links start from."""
    query = QueryDict(mutable=True)
    for name, values in request.GET.lists():
        if name == "page" or name in filterset.form.errors:
            continue
        kept = [value for value in values if value.strip()]
        if kept:
            query.setlist(name, kept)
    return query


def query_url(base: str, query: QueryDict, **changes) -> str:
    """``base`` with ``query`` changed: a value sets a parameter, ``None`` removes it."""
    query = query.copy()
    for name, value in changes.items():
        if value is None:
            query.pop(name, None)
        else:
            query[name] = value
    encoded = query.urlencode()
    return f"{base}?{encoded}" if encoded else base


def and_list(words: list[str]) -> str:
    """``["a", "b", "c"]`` → ``"a, b and c"``."""
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


# --------------------------------------------------------------------------- the queue


@dataclass(frozen=True)
class Column:
    """A header of the queue's table; ``sort`` is its value of the ``sort`` parameter."""

    label: str
    sort: str = ""
    numeric: bool = False
    href: str = ""
    aria_sort: str = ""


COLUMNS = [
    Column("Reference", "reference"),
    Column("Title", "title"),
    Column("Lead force", "force"),
    Column("Category", "category"),
    Column("Requested", "requested", numeric=True),
    Column("Status", "status"),
    Column("Submitted", "submitted"),
    Column("Reviews"),
    Column("Conflict"),
    Column("Moderated score", "score", numeric=True),
]
# Unsorted, the queue shows the newest submissions first, and its header says so.
DEFAULT_SORT = "-submitted"


@dataclass(frozen=True)
class FilterTag:
    text: str
    href: str


@dataclass(frozen=True)
class SelectedFilter:
    heading: str
    tags: list[FilterTag]


@dataclass(frozen=True)
class StatusLink:
    label: str
    count: int
    href: str
    current: bool


class QueueView(CaseworkerMixin, TemplateView):
    """Every submitted bid, filtered, sorted and 50 to a page, with the count of each status
    under the filters in force, a CSV of the same rows, and (for analysts) ticks and the
    reviewers to assign to the bids ticked."""

    template_name = "bids/review/queue/bid_list.html"

    def get(self, request, *args, **kwargs):
        # The filter form sends every field, chosen or not: the address of a filtered queue is
        # shared, so it names only the filters in force.
        if any(not value.strip() for _, values in request.GET.lists() for value in values):
            kept = QueryDict(mutable=True)
            for name, values in request.GET.lists():
                if kept_values := [value for value in values if value.strip()]:
                    kept.setlist(name, kept_values)
            return redirect(query_url(reverse("review:queue"), kept))
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request = self.request
        filterset = queue_filter(request)
        query = clean_query(request, filterset)
        base = reverse("review:queue")
        paginator = CountedPaginator(
            filterset.qs.values_list("pk", flat=True), PAGE_SIZE, count=filterset.count()
        )
        page_obj = paginator.get_page(request.GET.get("page"))
        page_obj.object_list = page_rows(list(page_obj.object_list))
        context.update(
            review_section="queue",
            filter=filterset,
            filter_form=filterset.form,
            filter_fields=self._filter_fields(filterset.form),
            filter_errors=self._filter_errors(filterset),
            selected_filters=self._selected(filterset, query, base),
            clear_filters_url=query_url(base, QueryDict(), sort=query.get("sort")),
            status_links=self._status_links(filterset, query, base),
            columns=self._columns(filterset, query, base),
            sort_value=query.get("sort", ""),
            page_obj=page_obj,
            bids=page_obj.object_list,
            total=page_obj.paginator.count,
            csv_url=query_url(reverse("review:queue_csv"), query),
        )
        if context["is_analyst"]:
            context.update(self._assign_context())
        context["bid_rows"] = rows_html(
            page_obj.object_list,
            bid_url=address_for_each("review:bid"),
            tick=context["is_analyst"],
            ticked=context.get("ticked", set()),
            refused=bool(context.get("assign_form") and context["assign_form"]["bids"].errors),
        )
        return context

    def _filter_fields(self, form) -> list[tuple]:
        """Each filter of the panel with its options (none for the search box). The lists of
        rounds, categories, forces, regions and collaborations are the same for every request,
        so they come from the cache until one of them changes (``bids.derived``)."""
        selects = PANEL_FILTERS[1:]
        choices = cached_review_figure(
            "queue-choices", lambda: {name: field_choices(form[name].field) for name in selects}
        )
        return [(form["q"], [])] + [
            (form[name], select_options(form[name], choices[name])) for name in selects
        ]

    def _filter_errors(self, filterset) -> list[dict[str, str]]:
        """Each bad parameter's message, linked to its field in the filter panel when it has one
        there (``sort`` does not)."""
        return [
            {
                "href": f"#{filterset.form[name].id_for_label}" if name in PANEL_FILTERS else "",
                "text": message,
            }
            for name, message in filterset.error_messages().items()
        ]

    def _selected(self, filterset, query, base) -> list[SelectedFilter]:
        """The filters in force as MOJ filter tags; each tag's link takes its filter away."""
        statuses = dict(QUEUE_STATUSES)
        selected = []
        for name, value in filterset.chosen.items():
            field = filterset.form.fields[name]
            if name == "status":
                text = statuses[value]
            elif name == "amount":
                text = AMOUNT_BANDS[value][0]
            elif name == "q":
                text = f"“{value}”"
            elif value is True:
                text = field.label
            else:
                text = str(value)
            heading = "Reviews" if value is True else field.label
            tag = FilterTag(text, query_url(base, query, **{name: None}))
            if selected and selected[-1].heading == heading:
                selected[-1].tags.append(tag)
            else:
                selected.append(SelectedFilter(heading, [tag]))
        return selected

    def _status_links(self, filterset, query, base) -> list[StatusLink]:
        counts = filterset.counts_by_status()
        chosen = filterset.chosen.get("status", "")
        every = StatusLink(
            "All", sum(counts.values()), query_url(base, query, status=None), not chosen
        )
        # A status no bid has is left out, unless it is the one chosen.
        return [every] + [
            StatusLink(
                label, counts.get(value, 0), query_url(base, query, status=value), chosen == value
            )
            for value, label in QUEUE_STATUSES
            if counts.get(value) or chosen == value
        ]

    def _columns(self, filterset, query, base) -> list[Column]:
        """Headers with ``aria-sort`` and a link that sorts by the column, ascending first and
        the other way round when it is already sorted ascending; a new sort starts at page 1."""
        current = (filterset.sorting or [DEFAULT_SORT])[0]
        columns = []
        for column in COLUMNS:
            if not column.sort:
                columns.append(column)
                continue
            aria_sort = "none"
            next_sort = column.sort
            if current == column.sort:
                aria_sort, next_sort = "ascending", f"-{column.sort}"
            elif current == f"-{column.sort}":
                aria_sort = "descending"
            columns.append(
                Column(
                    column.label,
                    column.sort,
                    column.numeric,
                    href=query_url(base, query, sort=next_sort),
                    aria_sort=aria_sort,
                )
            )
        return columns

    def _assign_context(self) -> dict:
        session = self.request.session
        refused_input = session.pop(ASSIGN_FORM_KEY, None)
        form = AssignBatchForm(refused_input) if refused_input is not None else AssignBatchForm()
        if refused_input is not None:
            form.is_valid()
        return {
            "assign_form": form,
            "reviewer_options": checkbox_options(form["reviewers"]),
            "assign_result": session.pop(ASSIGN_RESULT_KEY, None),
            "ticked": set(refused_input["bids"]) if refused_input else set(),
            "next_url": self.request.get_full_path(),
        }


# --------------------------------------------------------------------------- batch assignment


def return_url(request) -> str:
    """The filtered queue the form was sent from, if ``next`` is one; the queue otherwise."""
    queue = reverse("review:queue")
    url = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    if safe and url.split("?", 1)[0] == queue:
        return url
    return queue


class AssignBatchView(AnalystMixin, View):
    """Assign the reviewers chosen to every bid ticked, one ``bid_assign_reviewers`` call a bid
    (each atomic), then back to the same filtered queue with what was assigned and, bid by
    bid, what was refused and why. Input that does not make sense (nothing ticked, no
    reviewer, a reference that is no submitted bid) assigns nothing and goes back with the
    form's errors."""

    http_method_names = ["get", "post"]

    def get(self, request, *args, **kwargs):
        # Nothing to show here: a bookmarked or reloaded address goes to the queue.
        return redirect(query_url(reverse("review:queue"), request.GET))

    def post(self, request, *args, **kwargs):
        form = AssignBatchForm(request.POST)
        back = return_url(request)
        if not form.is_valid():
            request.session[ASSIGN_FORM_KEY] = {
                "bids": request.POST.getlist("bids"),
                "reviewers": request.POST.getlist("reviewers"),
            }
            return redirect(back)
        request.session[ASSIGN_RESULT_KEY] = self.assign(
            list(form.cleaned_data["bids"]), list(form.cleaned_data["reviewers"])
        )
        return redirect(back)

    def assign(self, bids: list[Bid], reviewers: list) -> dict:
        """Call the service for each bid; what it did or refused, ready for the queue's banner.

        Reviewers already assigned to a bid are left as they are (the service skips them), and
        the banner names them, so nobody wonders why they were not added twice.
        """
        existing = set(
            Review.objects.filter(bid__in=bids, reviewer__in=reviewers).values_list(
                "bid_id", "reviewer_id"
            )
        )
        assigned, refused = [], []
        for bid in bids:
            try:
                created = services.bid_assign_reviewers(
                    bid=bid, reviewers=reviewers, by=self.request.user
                )
            except services.WorkflowError as error:
                refused.append(self._row(bid, reasons=error.messages))
                continue
            except PermissionDenied as error:
                refused.append(self._row(bid, reasons=[str(error)]))
                continue
            new = {review.reviewer_id for review in created}
            assigned.append(
                self._row(
                    bid,
                    reviewers=and_list([person_name(r) for r in reviewers if r.pk in new]),
                    already=and_list(
                        [person_name(r) for r in reviewers if (bid.pk, r.pk) in existing]
                    ),
                )
            )
        return {
            "reviewers": and_list([person_name(r) for r in reviewers]),
            "assigned": assigned,
            "refused": refused,
        }

    @staticmethod
    def _row(bid: Bid, **details) -> dict:
        return {"reference": bid.reference, "title": bid.title, **details}


# --------------------------------------------------------------------------- CSV

CSV_HEADER = [
    "reference",
    "title",
    "fund",
    "round",
    "lead_force",
    "region",
    "collaboration",
    "spend_category",
    "bid_type",
    "status",
    "submitted_on",
    "requested_total",
    "local_match_contribution",
    "reviews_assigned",
    "reviews_submitted",
    "conflict_of_interest",
    "moderated_score",
]
# Rows go out in chunks of this many: few enough writes, and memory stays flat.
CSV_CHUNK = 500
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


STATUS_LABELS = dict(Bid.Status.choices)
BID_TYPE_LABELS = dict(Bid.BidType.choices)


class _Echo:
    """A file that hands back what is written to it, so csv.writer can feed a stream."""

    def write(self, value: str) -> str:
        return value


def _text(value) -> str:
    # Titles come from PCC offices: one that starts like a formula must stay text in Excel.
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_START) else text


def _money(value) -> str:
    return "" if value is None else f"{value:.2f}"


def csv_row(bid: Bid) -> list[str]:
    submitted = timezone.localtime(bid.submitted_at).date().isoformat() if bid.submitted_at else ""
    conflict = bid.needs_reassignment or bid.reviews_conflicted > 0
    return [
        bid.reference,
        _text(bid.title),
        _text(bid.round.fund.name),
        _text(bid.round.name),
        _text(bid.lead_force.name),
        _text(bid.lead_force.region.name),
        _text(bid.collaboration.name if bid.collaboration else ""),
        _text(bid.spend_category.name if bid.spend_category else ""),
        BID_TYPE_LABELS.get(bid.bid_type, bid.bid_type),
        STATUS_LABELS.get(bid.status, bid.status),
        submitted,
        _money(bid.requested_total),
        _money(bid.local_match_contribution),
        str(bid.reviews_assigned),
        str(bid.reviews_submitted),
        "yes" if conflict else "no",
        _money(bid.moderated_score),
    ]


def csv_lines(bids: Iterable[Bid]) -> Iterator[str]:
    """The header, then the bids as RFC 4180 lines (CRLF, quoted where needed), in chunks."""
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_HEADER)
    chunk = []
    for bid in bids:
        chunk.append(writer.writerow(csv_row(bid)))
        if len(chunk) == CSV_CHUNK:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)


def csv_filename(filterset: BidQueueFilter, today: datetime.date) -> str:
    """What the file holds, such as ``bids-ptf-2016-round-1-under-review-2026-05-01.csv``."""
    chosen = filterset.chosen
    parts = [] if "round" in chosen else ["all-rounds"]
    for name, value in chosen.items():
        if value is True:
            parts.append(name)
        elif hasattr(value, "slug"):
            parts.append(value.slug)
        elif name != "q":
            parts.append(value)
    if chosen.get("q"):
        parts.append(f"matching-{slugify(chosen['q'])[:40]}".rstrip("-"))
    return f"bids-{'-'.join(parts)}-{today.isoformat()}.csv".replace("_", "-")


class QueueCsvView(CaseworkerMixin, View):
    """The queue's rows as CSV: the same filters and sort, every page, streamed row by row from
    the database so memory stays flat however many bids there are."""

    def get(self, request, *args, **kwargs):
        filterset = queue_filter(request, Bid.objects.for_review_list())
        bids = filterset.qs.defer("summary", "case_for_change").iterator(chunk_size=2000)
        response = StreamingHttpResponse(csv_lines(bids), content_type="text/csv; charset=utf-8")
        filename = csv_filename(filterset, timezone.localdate())
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


urlpatterns = [
    path("", QueueView.as_view(), name="queue"),
    path("bids.csv", QueueCsvView.as_view(), name="queue_csv"),
    path("assign/", AssignBatchView.as_view(), name="assign_batch"),
]
