"""Public profiles: forces, regions, collaborations, spend categories and awards.

Anyone may read them without signing in. They show only published results, through
``bids.profiles``, and are served from the public cache. A wrong query parameter (an unknown
filter value or sort column) answers 400 with an error summary, never a 500.
"""

from django.contrib.auth.decorators import login_not_required
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.text import slugify
from django.views.generic import TemplateView

from bids import profiles
from bids.allocations import Dashboard
from bids.filters import AllocationFilter
from bids.models import Award, Envelope, SpendCategory
from bids.profiles import Column, Money, Sorting, date_column, money_column
from forces.models import Collaboration, Force, Region
from fundtracker.cache import cache_public
from fundtracker.years import fy_label

HOME = {"text": "Home", "href": "/"}
SEARCH_MAX_LENGTH = 200


def public(view_class):
    """A public page: no sign-in, served from the public cache."""
    return login_not_required(cache_public(view_class.as_view()))


def crumb(text: str, name: str, *args) -> dict:
    return {"text": text, "href": reverse(name, args=args)}


class ProfileView(TemplateView):
    """A public page with breadcrumbs. ``errors`` in the context (``{"href", "text"}`` for the
    error summary) make it answer 400."""

    def get(self, request, *args, **kwargs):
        context = self.get_context_data(**kwargs)
        return self.render_to_response(context, status=400 if context.get("errors") else 200)


# --------------------------------------------------------------------------- forces

FORCE_COLUMNS = [
    Column("name", "Name"),
    Column("region", "Region"),
    money_column("allocated", "Allocated"),
    money_column("per_head", "Per head"),
    money_column("spent", "Spent"),
]
FORCE_SORT_KEYS = {
    "name": lambda row: row.force.name.lower(),
    "region": lambda row: row.force.region.name.lower(),
    "allocated": lambda row: row.money.allocated,
    "per_head": lambda row: row.per_head,
    "spent": lambda row: row.money.spent,
}
KIND_PLURALS = {
    Force.Kind.TERRITORIAL: "Territorial forces",
    Force.Kind.NATIONAL: "National forces",
    Force.Kind.NATIONAL_BODY: "National bodies",
}


class ForceListView(ProfileView):
    """Every force and national body with its region, policing body and money, in one table a
    kind (territorial forces, national forces, national bodies), sortable."""

    template_name = "bids/public/profiles/force_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        sorting = Sorting(FORCE_COLUMNS, self.request.GET.get("sort"), default="name")
        table = profiles.force_table(Force.objects.all())
        rows = sorting.apply(
            table.rows,
            FORCE_SORT_KEYS,
            tiebreak=lambda row: row.force.name.lower(),
        )
        groups = []
        for kind, label in KIND_PLURALS.items():
            kind_rows = [row for row in rows if row.force.kind == kind]
            if kind_rows:
                groups.append(
                    {
                        "id": slugify(label),
                        "label": label,
                        "rows": kind_rows,
                        "per_head": kind == Force.Kind.TERRITORIAL,
                        "totals": table.total(kind_rows),
                    }
                )
        errors = []
        if sorting.error and groups:
            errors.append({"href": f"#{groups[0]['id']}", "text": sorting.error})
        context.update(
            breadcrumbs=[HOME],
            errors=errors,
            groups=groups,
            force_count=len(rows),
            # Every award's shares add up to 100 %: the forces' parts add up to all the money.
            totals=table.total(),
            sorting=sorting,
            headers=sorting.headers,
            population_years=sorted(
                {row.force.population_year for row in rows if row.force.population_year}
            ),
        )
        return context


class ForceDetailView(ProfileView):
    """One force: who it is, its money (its share of every award), its awards (50 a page, those
    it leads and those it is a partner in together) and collaborations."""

    template_name = "bids/public/profiles/force_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        force = get_object_or_404(
            profiles.with_award_counts(Force.objects.select_related("region")), slug=kwargs["slug"]
        )
        cells = profiles.cells(force=force)
        totals = profiles.money_of(cells)
        # A bid's lead force is never one of its partners: the two counts add up.
        page = profiles.page_of(
            profiles.force_awards(force),
            self.request.GET.get("page"),
            force.awards_led + force.awards_partnered,
        )
        context.update(
            breadcrumbs=[HOME, crumb("Forces", "public:force_list")],
            force=force,
            totals=totals,
            per_head=profiles.per_head(totals.allocated, force.population),
            by_year=profiles.money_by(cells, "financial_year"),
            page_obj=page,
            awards=profiles.force_award_parts(force, page.object_list),
            memberships=force.memberships.select_related("collaboration").order_by(
                "collaboration__name"
            ),
        )
        return context


# --------------------------------------------------------------------------- regions


class RegionListView(ProfileView):
    """The policing regions with their money: each region's forces' shares of the awards."""

    template_name = "bids/public/profiles/region_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            breadcrumbs=[HOME],
            rows=profiles.region_rows(),
            totals=profiles.forces_total(),
        )
        return context


class RegionDetailView(ProfileView):
    """One region: its forces and their money (adding up to the region's), by year and
    category, and the awards its forces share in, 50 a page."""

    template_name = "bids/public/profiles/region_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        region = get_object_or_404(Region, slug=kwargs["slug"])
        cells = profiles.cells(region=region)
        totals = profiles.money_of(cells)
        population = profiles.region_population(region)
        page = profiles.page_of(
            profiles.region_awards(region),
            self.request.GET.get("page"),
            profiles.region_award_count(region),
        )
        context.update(
            breadcrumbs=[HOME, crumb("Regions", "public:region_list")],
            region=region,
            population=population,
            totals=totals,
            per_head=profiles.per_head(totals.allocated, population),
            force_rows=profiles.region_force_rows(region),
            by_year=profiles.money_by(cells, "financial_year"),
            by_category=profiles.by_category(cells),
            page_obj=page,
            awards=profiles.region_award_parts(region, page.object_list),
        )
        return context


# --------------------------------------------------------------------------- collaborations


class CollaborationDetailView(ProfileView):
    """One collaboration: its members, the awards of its bids (50 a page) and how their money
    is shared."""

    template_name = "bids/public/profiles/collaboration_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        collaboration = get_object_or_404(Collaboration, slug=kwargs["slug"])
        figures = profiles.collaboration_figures(collaboration)
        page = profiles.page_of(
            figures.pop("awards"), self.request.GET.get("page"), figures["award_count"]
        )
        context.update(
            breadcrumbs=[HOME, crumb("Forces", "public:force_list")],
            collaboration=collaboration,
            page_obj=page,
            awards=page.object_list,
            **figures,
        )
        return context


# --------------------------------------------------------------------------- categories


class CategoryListView(ProfileView):
    """Every spend category: set aside, allocated, spent and the gap, and the same by year."""

    template_name = "bids/public/profiles/category_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        envelopes = Envelope.objects.published()
        tranches = profiles.WholeMoney()
        context.update(
            breadcrumbs=[HOME],
            rows=profiles.category_rows(),
            total=profiles.total_row(envelopes, tranches),
            years=profiles.years_rows(envelopes, tranches),
        )
        return context


class CategoryDetailView(ProfileView):
    """One spend category: set aside, allocated and spent by year, and its awards, 50 a
    page."""

    template_name = "bids/public/profiles/category_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        category = get_object_or_404(SpendCategory, slug=kwargs["slug"])
        envelopes = Envelope.objects.published().filter(category=category)
        tranches = profiles.WholeMoney(category=category)
        page = profiles.page_of(
            profiles.category_awards(category),
            self.request.GET.get("page"),
            profiles.category_award_count(category),
        )
        context.update(
            breadcrumbs=[HOME, crumb("Spend categories", "public:category_list")],
            category=category,
            total=profiles.total_row(envelopes, tranches),
            years=profiles.years_rows(envelopes, tranches),
            page_obj=page,
            awards=page.object_list,
        )
        return context


# --------------------------------------------------------------------------- awards

AWARD_COLUMNS = [
    Column("reference", "Reference"),
    Column("title", "Title"),
    Column("lead", "Lead force"),
    date_column("decided", "Decided"),
    money_column("allocated", "Allocated"),
]
AWARD_ORDER = {
    "reference": ["bid__reference"],
    "title": ["bid__title", "bid__reference"],
    "lead": ["bid__lead_force__name", "bid__reference"],
    "decided": ["decided_at", "bid__reference"],
    "allocated": ["allocated", "bid__reference"],
}
# The allocation filters as the page names them: (label, what an unknown value is not).
FILTER_LABELS = {
    "fund": ("Fund", "a fund"),
    "round": ("Funding round", "a funding round with published results"),
    "financial_year": ("Financial year", "a financial year with published awards"),
    "region": ("Region", "a region"),
    "force": ("Force", "a force"),
    "category": ("Spend category", "a spend category"),
}


def filter_errors(filterset: AllocationFilter) -> dict[str, str]:
    """One message per bad filter, by name, naming the value that was not understood."""
    errors = {}
    for name in filterset.form.errors:
        label, what = FILTER_LABELS[name]
        value = str(filterset.form[name].value() or "")
        shown = value if len(value) <= 40 else f"{value[:40]}…"
        errors[name] = f"“{shown}” is not {what}: choose a {label.lower()} from the list."
    return errors


class AwardListView(ProfileView):
    """Published awards narrowed by the allocation filters and a search, sortable, 50 a page,
    with their count and totals."""

    template_name = "bids/public/profiles/award_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.GET
        filterset = AllocationFilter(params)
        field_errors = {} if filterset.is_valid() else filter_errors(filterset)
        errors = [
            {"href": f"#{filterset.form[name].id_for_label}", "text": text}
            for name, text in field_errors.items()
        ]
        query = params.get("q", "").strip()
        query_error = ""
        if len(query) > SEARCH_MAX_LENGTH:
            query_error = f"Search for {SEARCH_MAX_LENGTH} characters or fewer."
            errors.append({"href": "#q", "text": query_error})
        # A bad filter or search would list awards the visitor did not ask for, so nothing is
        # listed until it is put right; a bad sort only leaves the default order.
        listed = not errors
        sorting = Sorting(AWARD_COLUMNS, params.get("sort"), default="reference")
        if sorting.error:
            errors.append({"href": "#awards-table", "text": sorting.error})
        context.update(
            breadcrumbs=[HOME],
            filter=filterset,
            query=query,
            errors=errors,
            sorting=sorting,
            headers=sorting.headers,
            filter_fields=[
                (filterset.form[name], label, field_errors.get(name, ""))
                for name, (label, _) in FILTER_LABELS.items()
            ],
            query_error=query_error,
            listed=listed,
            chosen=[
                (FILTER_LABELS[name][0], fy_label(value) if name == "financial_year" else value)
                for name, value in filterset.chosen.items()
            ],
        )
        if not listed:
            return context
        tranches = filterset.qs
        awards = profiles.award_list(tranches)
        order = AWARD_ORDER[sorting.key]
        if sorting.descending:
            order = [f"-{order[0]}", *order[1:]]
        if query:
            awards = awards.matching(query)
            count = None
            totals = Money.of(tranches.filter(award__in=awards.values("pk")).totals())
        else:
            # Without a search, the count and the totals are those of the dashboard under the
            # same filters, read from the money summaries rather than every tranche.
            dashboard = Dashboard(filterset)
            count = dashboard.award_count
            totals = Money.of(dashboard.totals())
        page = profiles.page_of(awards.order_by(*order), params.get("page"), count)
        context.update(page_obj=page, awards=page.object_list, totals=totals)
        return context


class AwardDetailView(ProfileView):
    """One published award: the bid's title and summary, its forces and shares, and its
    tranches with what was paid and spent."""

    template_name = "bids/public/profiles/award_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        award = get_object_or_404(Award.objects.for_public(), bid__reference=kwargs["reference"])
        context.update(
            breadcrumbs=[HOME, crumb("Awards", "public:award_list")],
            award=award,
            bid=award.bid,
            forces=profiles.award_forces(award),
            tranches=profiles.award_tranches(award),
            totals=Money.of(award.tranches.all().totals()),
        )
        return context


force_list = public(ForceListView)
force_detail = public(ForceDetailView)
region_list = public(RegionListView)
region_detail = public(RegionDetailView)
collaboration_detail = public(CollaborationDetailView)
category_list = public(CategoryListView)
category_detail = public(CategoryDetailView)
award_list = public(AwardListView)
award_detail = public(AwardDetailView)

urlpatterns = [
    path("forces/", force_list, name="force_list"),
    path("forces/<slug:slug>/", force_detail, name="force_detail"),
    path("regions/", region_list, name="region_list"),
    path("regions/<slug:slug>/", region_detail, name="region_detail"),
    path("collaborations/<slug:slug>/", collaboration_detail, name="collaboration_detail"),
    path("categories/", category_list, name="category_list"),
    path("categories/<slug:slug>/", category_detail, name="category_detail"),
    path("awards/", award_list, name="award_list"),
    path("awards/<str:reference>/", award_detail, name="award_detail"),
]
