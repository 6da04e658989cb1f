"""Admin building blocks the apps share: money and financial-year columns, links and filters.

Money shows as ``£2,240,000.00`` and years as ``2016/17`` everywhere in the admin, as on the
public pages; totals come from annotations, so no changelist asks the database once a row.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.text import capfirst

from fundtracker.money import MONEY_FIELD, ZERO, format_gbp
from fundtracker.years import MAX_YEAR, MIN_YEAR, fy_label

# Inline style rather than a stylesheet: the admin's own CSS has no class for numeric cells.
_MONEY_HTML = (
    '<span class="money" style="display:block;text-align:right;white-space:nowrap;'
    'font-variant-numeric:tabular-nums">{}</span>'
)


def gbp(value):
    """``Decimal("2240000")`` → ``£2,240,000.00``, right-aligned; ``None`` → the admin's dash."""
    if value is None:
        return None
    return format_html(_MONEY_HTML, format_gbp(value))


def _attribute(obj, path: str):
    for name in path.split("__"):
        if obj is None:
            return None
        obj = getattr(obj, name)
    return obj


def money_column(path: str, description: str, *, ordering: str | None = None):
    """A ModelAdmin method showing a money field or annotation (``tranches__paid`` style paths
    allowed) as £; use its attribute name in ``list_display`` or ``readonly_fields``."""

    @admin.display(description=description, ordering=ordering or path)
    def column(self, obj):
        return gbp(_attribute(obj, path))

    return column


def financial_year_column(path: str = "financial_year", description: str = "Financial year"):
    """A ModelAdmin method showing a start year (``2016``) as ``2016/17``."""

    @admin.display(description=description, ordering=path)
    def column(self, obj):
        year = _attribute(obj, path)
        return None if year is None else fy_label(year)

    return column


def change_link(obj, text=None):
    """A link to ``obj``'s admin page; plain text when its model is not in the admin."""
    if obj is None:
        return None
    opts = obj._meta
    try:
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    except NoReverseMatch:
        return str(obj) if text is None else text
    return format_html('<a href="{}">{}</a>', url, obj if text is None else text)


def money_sum(expression):
    """Sum of money, £0.00 rather than NULL when there is nothing to add."""
    output = DecimalField(**MONEY_FIELD)
    return Coalesce(Sum(expression, output_field=output), Value(ZERO), output_field=output)


def money_subquery(queryset, link: str, field: str):
    """Sum of ``field`` over the rows of ``queryset`` whose ``link`` is the outer row.

    A subquery rather than a join, so it can sit beside other aggregates of the same row
    without multiplying them.
    """
    output = DecimalField(**MONEY_FIELD)
    total = (
        queryset.filter(**{link: OuterRef("pk")})
        .order_by()
        .values(link)
        .annotate(total=Sum(field, output_field=output))
        .values("total")
    )
    return Coalesce(Subquery(total, output_field=output), Value(ZERO), output_field=output)


class ViewOnlyDisplayMixin:
    """Money as £ and years as ``2016/17`` for users who may only view.

    Django shows a read-only money field as ``2240000.00`` and a year as ``2016``. For a user
    without the change permission every field is read-only, so each money or year field is
    swapped for a display of it (users who may edit keep the form fields).
    """

    financial_year_fields = ("financial_year",)

    def _display_name(self, name):
        if not isinstance(name, str):
            return name
        try:
            field = self.model._meta.get_field(name)
        except FieldDoesNotExist:
            return name
        if (
            isinstance(field, DecimalField)
            and field.decimal_places == MONEY_FIELD["decimal_places"]
            and field.max_digits == MONEY_FIELD["max_digits"]
        ):
            show = gbp
        elif name in self.financial_year_fields:
            show = fy_label
        else:
            return name
        attribute = f"view_{name}"
        if not hasattr(self, attribute):

            def display(obj, name=name, show=show):
                value = getattr(obj, name)
                return None if value is None else show(value)

            setattr(
                self, attribute, admin.display(description=capfirst(field.verbose_name))(display)
            )
        return attribute

    def _swap(self, items):
        return [
            type(item)(self._swap(item))
            if isinstance(item, list | tuple)
            else self._display_name(item)
            for item in items
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if self.has_change_permission(request, obj):
            return readonly
        # Inline formsets build their forms from every listed field that is not read-only.
        names = (self._display_name(f.name) for f in self.model._meta.concrete_fields)
        return [*readonly, *(name for name in names if name.startswith("view_"))]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if self.has_change_permission(request, obj):
            return fieldsets
        return [
            (name, {**options, "fields": self._swap(options["fields"])})
            for name, options in fieldsets
        ]


def financial_year_choices(blank: bool = True) -> list[tuple]:
    choices = [(year, fy_label(year)) for year in range(MIN_YEAR, MAX_YEAR + 1)]
    return [("", "---------"), *choices] if blank else choices


class FinancialYearFormMixin(ViewOnlyDisplayMixin):
    """Years are stored as start years (``2016``); administrators pick them as ``2016/17``.

    Works on ModelAdmin and InlineModelAdmin alike; list the fields in
    ``financial_year_fields``.
    """

    financial_year_fields = ("financial_year",)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in self.financial_year_fields:
            return forms.TypedChoiceField(
                choices=financial_year_choices(),
                coerce=int,
                empty_value=None,
                required=not db_field.blank,
                label=capfirst(db_field.verbose_name),
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)


def financial_year_filter(path: str = "financial_year", title: str = "financial year"):
    """A changelist filter listing the years present, labelled ``2016/17``."""

    class FinancialYearFilter(admin.SimpleListFilter):
        parameter_name = path

        def lookups(self, request, model_admin):
            years = (
                model_admin.model._default_manager.exclude(**{f"{path}__isnull": True})
                .order_by(path)
                .values_list(path, flat=True)
                .distinct()
            )
            return [(str(year), fy_label(year)) for year in years]

        def queryset(self, request, queryset):
            value = self.value()
            if value and value.isdigit():
                return queryset.filter(**{path: int(value)})
            return queryset

    FinancialYearFilter.title = title
    return FinancialYearFilter


class ReadOnlyInlineMixin(ViewOnlyDisplayMixin):
    """Rows the workflow writes, shown beside their parent; the services change them."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def related_filter(path: str, queryset, title: str):
    """A changelist filter over the rows of ``queryset`` (give it the ``select_related`` its
    ``__str__`` needs: Django's own related filter loads the choices one by one)."""

    class RelatedFilter(admin.SimpleListFilter):
        parameter_name = f"{path}__id__exact"

        def lookups(self, request, model_admin):
            return [(str(obj.pk), str(obj)) for obj in queryset.all()]

        def queryset(self, request, queryset):
            value = self.value()
            if value and value.isdigit():
                return queryset.filter(**{f"{path}__id": int(value)})
            return queryset

    RelatedFilter.title = title
    return RelatedFilter
