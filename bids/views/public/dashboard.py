"""Public allocation dashboard, its CSV and its PDF report.

All three read the same query parameters through ``AllocationFilter``, so a filtered page, its
CSV and its PDF are one shareable URL apart. Only published results appear. A bad parameter
never breaks the page: it names the filter in an error summary and leaves that filter out; the
downloads answer 400 with a plain message instead, since a file cannot show the error.
"""

import itertools
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_not_required
from django.forms.utils import ErrorList
from django.http import HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.template.loader import get_template
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView

from bids import charts
from bids.allocations import (
    PDF_AWARDS,
    TOP_AWARDS,
    Dashboard,
    csv_lines,
    last_changed,
)
from bids.filters import AllocationFilter
from fundtracker.cache import cache_public, per_generation
from fundtracker.pdf import Part, join
from fundtracker.years import fy_label

# What each parameter is called in a sentence, and why a value can be wrong.
FILTER_PROBLEMS = {
    "fund": "Choose a fund from the list: there is no fund “{value}”",
    "round": (
        "Choose a funding round from the list: “{value}” is not a round with published results"
    ),
    "financial_year": (
        "Choose a financial year from the list: “{value}” is not a year with published allocations"
    ),
    "region": "Choose a region from the list: there is no region “{value}”",
    "force": "Choose a force from the list: there is no force “{value}”",
    "category": "Choose a spend category from the list: there is no spend category “{value}”",
}
FILTER_LABELS = {
    "fund": "Fund",
    "round": "Funding round",
    "financial_year": "Financial year",
    "region": "Region",
    "force": "Force",
    "category": "Spend category",
}


def allocation_filter(params, *, listed: bool = True) -> AllocationFilter:
    """The filter bound to ``params`` and validated, with one readable message in the form for
    each bad parameter (the filter itself is then left out). ``listed``: checked against the
    filters' lists, kept for each generation of the public cache (the page and the PDF show
    them), rather than with a query for each chosen filter (the CSV)."""
    filterset = AllocationFilter(params)
    if listed:
        # The filters' rows and options are the same for every request until public data
        # changes or the next round's results are due: read once for each generation, rather
        # than in six queries a request and one more for each filter chosen.
        filterset.use_lists(
            per_generation(
                "allocation-filter-lists",
                lambda: _lists(filterset),
                fresh=lambda lists: lists["until"] is None or timezone.now() < lists["until"],
            )
        )
    filterset.is_valid()
    for name in filterset.error_messages():
        # Echoed back to the visitor: printable characters only, and not too many of them.
        raw = "".join(ch for ch in str(params.get(name, "")) if ch.isprintable())
        value = Truncator(raw).chars(40)
        message = FILTER_PROBLEMS.get(name, "Choose a value from the list").format(value=value)
        filterset.form.errors[name] = ErrorList([message])
    return filterset


def _lists(filterset: AllocationFilter) -> dict:
    """``filterset.lists()``, with each filter's options written out once (``option_parts``)."""
    lists = filterset.lists()
    lists["options"] = {name: option_parts(choices) for name, choices in lists["choices"].items()}
    return lists


def option_parts(choices: list[tuple]) -> list[tuple[str, str, str]]:
    """A select's choices as (value, the markup of its option before and after where
    `` selected`` goes), escaped once for ``options_markup``."""
    return [
        (str(value), f'<option value="{escape(value)}"', f">{escape(label)}</option>")
        for value, label in choices
    ]


def options_markup(options: list[tuple[str, str, str]], current) -> SafeString:
    """A select's ``<option>`` elements from its ``option_parts``, ``current`` selected:
    written here rather than by a ``{% for %}`` in the template, which for the hundred-odd
    options of the filters cost more than all the rest of the tables."""
    current = "" if current is None else str(current)
    return SafeString(
        "".join(
            f"{start} selected{end}" if value == current else start + end
            for value, start, end in options
        )
    )


def filter_params(chosen: dict) -> dict[str, str]:
    """The query parameters of the chosen filters: slugs, and start years for years."""
    return {
        name: str(getattr(value, "slug", value))
        for name, value in chosen.items()
        if name in FILTER_LABELS
    }


def filter_text(name: str, value) -> str:
    return fy_label(value) if name == "financial_year" else str(value)


def _query(params: dict) -> str:
    return f"?{urlencode(params)}" if params else ""


def dashboard_context(filterset: AllocationFilter, *, awards: int | None = None) -> dict:
    """What the page and the PDF show for ``filterset``: the figures, charts and the filters
    in force. ``awards`` is how many of the largest awards to list (the page's top ten when
    ``None``)."""
    form = filterset.form
    lists = filterset.listed
    dashboard = Dashboard(
        filterset,
        categories=lists["category"],
        regions=lists["region"],
        forces=lists["force"],
    )
    options = lists["options"]
    chosen = dashboard.chosen
    params = filter_params(chosen)
    query = _query(params)
    page_url = reverse("public:allocations")
    chosen_tags = [
        {
            "name": name,
            "label": FILTER_LABELS[name],
            "text": filter_text(name, chosen[name]),
            "href": page_url + _query({k: v for k, v in params.items() if k != name}),
        }
        for name in FILTER_LABELS
        if name in chosen
    ]
    description = ", ".join(tag["text"] for tag in chosen_tags)
    scope = f" ({description})" if description else ""
    categories = dashboard.by_category
    years = dashboard.by_year
    regions = dashboard.by_region
    money_series = [charts.ALLOCATED, charts.SPENT]
    category_series = money_series if dashboard.narrowed else [charts.SET_ASIDE, *money_series]
    return {
        "filter": filterset,
        "form": form,
        "filter_fields": [
            (form[name], label, options_markup(options[name], form[name].value()))
            for name, label in FILTER_LABELS.items()
        ],
        "filter_summary": [
            (label, filter_text(name, chosen[name]) if name in chosen else "All")
            for name, label in FILTER_LABELS.items()
        ],
        "problems": form.errors,
        "chosen": chosen,
        "chosen_tags": chosen_tags,
        "filter_description": description,
        "narrowed": dashboard.narrowed,
        "query": query,
        "page_url": page_url,
        "csv_url": reverse("public:allocations_csv") + query,
        "pdf_url": reverse("public:allocations_pdf") + query,
        "awards_url": reverse("public:award_list") + query,
        "headline": dashboard.headline,
        "categories": categories,
        "years": years,
        "regions": regions,
        "forces": dashboard.by_force,
        "awards": dashboard.awards(awards or TOP_AWARDS),
        "award_count": dashboard.award_count,
        "last_changed": last_changed(),
        "category_chart": charts.bar_chart(
            chart_id="chart-categories",
            title=f"Set aside, allocated and spent by spend category{scope}",
            description=(
                f"Bars from zero for each of {len(categories)} spend categories: "
                + ", ".join(s.label.lower() for s in category_series)
                + ". The table has the same figures."
            ),
            # Each row's own fields, read in place (asdict() would deep-copy every amount).
            rows=[vars(row) for row in categories],
            series=category_series,
        ),
        "year_chart": charts.bar_chart(
            chart_id="chart-years",
            title=f"Allocated and spent by financial year{scope}",
            description=(
                f"Bars from zero for each of {len(years)} financial years, earliest first: "
                "allocated and spent. The table has the same figures."
            ),
            rows=[vars(row) for row in years],
            series=money_series,
        ),
        "region_chart": charts.bar_chart(
            chart_id="chart-regions",
            title=f"Allocated and spent by region{scope}",
            description=(
                f"Bars from zero for each of {len(regions)} regions: allocated and spent, "
                "collaborations split between their forces' regions. The table has the same "
                "figures."
            ),
            rows=[vars(row) for row in regions],
            series=money_series,
        ),
    }


class AllocationsView(TemplateView):
    """The dashboard: headline figures, then set aside against allocated by spend category,
    the trend by year, regions and the largest awards, each as a chart and a table."""

    template_name = "bids/public/allocations/allocations.html"

    def get_context_data(self, **kwargs):
        filterset = allocation_filter(self.request.GET)
        return {**super().get_context_data(**kwargs), **dashboard_context(filterset)}


def _bad_request(filterset: AllocationFilter) -> HttpResponseBadRequest:
    lines = [
        f"Bad value for the parameter {name}: {errors[0]}."
        for name, errors in filterset.form.errors.items()
    ]
    return HttpResponseBadRequest("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


def _filename(chosen: dict, extension: str) -> str:
    # Slugs and years only, so the name needs no quoting.
    parts = ["allocations", *filter_params(chosen).values()]
    return f"{'-'.join(parts)}.{extension}"


def _batches(lines, size: int = 1000):
    """The lines joined a thousand at a time, so the response streams a few hundred kB at a
    time rather than a line per write."""
    lines = iter(lines)
    while batch := "".join(itertools.islice(lines, size)):
        yield batch


@login_not_required
@require_safe
def allocations_csv(request, **kwargs):
    """One row per tranche under the page's filters (RFC 4180, UTF-8, a header row), streamed
    from one query."""
    filterset = allocation_filter(request.GET, listed=False)
    if filterset.form.errors:
        return _bad_request(filterset)
    # Built once with a stand-in reference, rather than reversed for every row.
    head, _, tail = request.build_absolute_uri(
        reverse("public:award_detail", args=["REF"])
    ).rpartition("REF")
    award_url = f"{head}{{ref}}{tail}"
    lines = csv_lines(filterset, award_url=award_url, generated=timezone.now())
    response = StreamingHttpResponse(_batches(lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(filterset.chosen, "csv")}"'
    return response


PDF_TEMPLATE = "pdf/allocations.html"
# The report's parts, each of whole pages (every one starts a page of its own), laid out side
# by side and joined: the awards, half the pages, are laid out while the rest are.
PDF_PARTS = ("cover", "categories", "years", "regions", "awards")


@login_not_required
@cache_public
@require_safe
def allocations_pdf(request, **kwargs):
    """The dashboard as an A4 report: the filters and date, the headline figures, the charts
    and tables, and the largest awards."""
    filterset = allocation_filter(request.GET)
    if filterset.form.errors:
        return _bad_request(filterset)
    context = dashboard_context(filterset, awards=PDF_AWARDS)
    context["generated_at"] = timezone.localtime()
    context["pdf_awards"] = PDF_AWARDS
    template = get_template(PDF_TEMPLATE)
    html = {
        part: template.render({**context, "part": part}, request) for part in ("footer", *PDF_PARTS)
    }
    parts = [Part(html=html[part]) for part in PDF_PARTS]
    pdf = join(parts, footer=html["footer"], request=request, whole_fonts=False).pdf
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_filename(filterset.chosen, "pdf")}"'
    return response


allocations = login_not_required(cache_public(AllocationsView.as_view()))

urlpatterns = [
    path("allocations/", allocations, name="allocations"),
    path("allocations.csv", allocations_csv, name="allocations_csv"),
    path("allocations/report.pdf", allocations_pdf, name="allocations_pdf"),
]
