"""The rows of the allocations dashboard's tables, written in Python.

The same markup the tables' loops wrote, a row at a time: the page has some sixty rows of six
cells, and each cell through the template language (a variable, a filter, an ``{% if %}``, a
``{% url %}``) cost more than the sums behind it. Each tag writes the rows of one ``{% for %}``
and nothing else, so the tables' other markup stays in their templates.
"""

from html import escape as _escape

from django import template
from django.utils.safestring import mark_safe

from fundtracker.links import address_for_each
from fundtracker.money import format_gbp
from fundtracker.templatetags.govuk import allocation_tag_colour

register = template.Library()

_ROW = '\n    <tr class="govuk-table__row">\n'
_END = "\n    </tr>\n    "
_NUMERIC = '<td class="govuk-table__cell govuk-table__cell--numeric">'
_NOT_APPLICABLE = (
    '<span aria-hidden="true">–</span><span class="govuk-visually-hidden">not applicable</span>'
)


def escape(value) -> str:
    """Django's ``escape`` without its check for lazy strings, which none of these are."""
    return _escape(str(value))


def _money(value) -> str:
    return f"{_NUMERIC}{format_gbp(value, pence=False)}</td>"


def _percent(value) -> str:
    # A Decimal as the template wrote it in the site's one locale (a point, no separators),
    # without the cost of looking the locale's formats up for each cell.
    text = _NOT_APPLICABLE if value is None else f"{value:f}%"
    return f"{_NUMERIC}{text}</td>"


def _heading(row, url) -> str:
    label = escape(row.label)
    if url and row.slug:
        label = f'<a class="govuk-link" href="{url(row.slug)}">{label}</a>'
    return f'      <th scope="row" class="govuk-table__header">{label}</th>'


@register.simple_tag
def money_rows(rows, link="", envelope=False) -> str:
    """The rows of ``_money_table.html``: ``link`` names the URL of a row's slug, ``envelope``
    adds the set-aside column."""
    url = address_for_each(link) if link else None
    return mark_safe(
        "".join(
            _ROW
            + _heading(row, url)
            + f"\n      {_money(row.envelope) if envelope else ''}"
            + f"\n      {_money(row.allocated)}"
            + f"\n      {_money(row.paid)}"
            + f"\n      {_money(row.spent)}"
            + f"\n      {_percent(row.percent_spent)}"
            + _END
            for row in rows
        )
    )


@register.simple_tag
def category_rows(rows, narrowed=False) -> str:
    """The rows of ``_category_table.html``; without ``narrowed``, the gap and its tag."""
    url = address_for_each("public:category_detail")
    return mark_safe(
        "".join(
            _ROW
            + _heading(row, url)
            + f"\n      {_money(row.envelope)}"
            + f"\n      {_money(row.allocated)}\n      "
            + (
                ""
                if narrowed
                else f"\n      {_NUMERIC}{format_gbp(row.gap, pence=False)} "
                '<strong class="govuk-tag app-tag--in-cell govuk-tag--'
                f'{allocation_tag_colour(row.allocation_status)}">'
                f"{row.allocation_status}</strong></td>\n      "
            )
            + f"\n      {_money(row.spent)}"
            + f"\n      {_percent(row.percent_spent)}"
            + _END
            for row in rows
        )
    )


@register.simple_tag
def award_rows(awards) -> str:
    """The rows of ``_award_table.html``."""
    url = address_for_each("public:award_detail")
    return mark_safe(
        "".join(
            _ROW
            + '      <th scope="row" class="govuk-table__header app-table__award">'
            + f'<a class="govuk-link" href="{url(row.reference)}">{escape(row.title)}</a>\n'
            + '        <span class="govuk-body-s app-table__secondary">'
            + f"{escape(row.reference)} · {escape(row.round)}</span></th>"
            + f'\n      <td class="govuk-table__cell">{escape(row.lead_force)}</td>'
            + f'\n      <td class="govuk-table__cell">{escape(row.category or "Not given")}</td>'
            + f"\n      {_money(row.allocated)}"
            + f"\n      {_money(row.spent)}"
            + _END
            for row in awards
        )
    )
