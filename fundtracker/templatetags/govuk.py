"""Template filters and tags for GOV.UK Frontend markup: money, years, forms and navigation."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.forms import BoundField
from django.utils.html import escape
from django.utils.safestring import SafeString

from bids import permissions
from fundtracker.money import format_gbp, to_money
from fundtracker.years import fy_label

register = template.Library()

_SCALES = ((Decimal("1e9"), "bn"), (Decimal("1e6"), "m"), (Decimal("1e3"), "k"))


@register.filter
def gbp(value, pence=True):
    """``2240000`` → ``£2,240,000.00``; ``{{ amount|gbp:False }}`` drops the pence."""
    try:
        return format_gbp(value, pence=bool(pence))
    except (TypeError, ValueError):
        return value


@register.filter
def gbp_short(value):
    """An amount to three significant figures for headlines: £2.24m, £76.4m, £175m, £660k."""
    try:
        amount = to_money(value)
    except (TypeError, ValueError):
        return value
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if amount >= 1000:
        # Round first, then pick the unit: 999,999 is £1m, not £1000k.
        rounded = amount.quantize(Decimal(1).scaleb(amount.adjusted() - 2), ROUND_HALF_UP)
        for size, suffix in _SCALES:
            if rounded >= size:
                text = f"{rounded / size:f}"
                if "." in text:
                    text = text.rstrip("0").rstrip(".")
                return f"{sign}£{text}{suffix}"
    if amount == amount.to_integral_value():
        return f"{sign}£{amount:,.0f}"
    return f"{sign}£{amount:,.2f}"


@register.filter
def fy(value):
    """A financial year's start year → ``2016/17``."""
    try:
        return fy_label(int(value))
    except (TypeError, ValueError):
        return value


@register.filter(expects_localtime=True)
def govuk_time(value):
    """The GOV.UK style for times: ``5:30pm``, ``5pm``, ``midday``, ``midnight``."""
    if not isinstance(value, datetime.datetime | datetime.time):
        return ""
    if value.hour == 0 and value.minute == 0:
        return "midnight"
    if value.hour == 12 and value.minute == 0:
        return "midday"
    hour = value.hour % 12 or 12
    minutes = f":{value.minute:02d}" if value.minute else ""
    return f"{hour}{minutes}{'am' if value.hour < 12 else 'pm'}"


# A bid's status → the colour of its GOV.UK tag (blue, the default, for submitted): yellow asks
# the office to act; green and red are the decision; grey is a bid nobody is working on.
STATUS_TAG_COLOURS = {
    "draft": "grey",
    "withdrawn": "grey",
    "under_review": "purple",
    "clarification_requested": "yellow",
    "recommended": "turquoise",
    "not_recommended": "orange",
    "approved": "green",
    "rejected": "red",
}


@register.filter
def status_tag_class(status) -> str:
    """The classes of a bid status's tag: ``govuk-tag govuk-tag--purple`` for under review.
    A filter rather than an include, since the review queue shows fifty of them."""
    colour = STATUS_TAG_COLOURS.get(status)
    return f"govuk-tag govuk-tag--{colour}" if colour else "govuk-tag"


def status_tag_html(status: str, label: str) -> SafeString:
    """A bid status as its GOV.UK tag, ``label`` the status's name."""
    return SafeString(f'<strong class="{status_tag_class(status)}">{escape(label)}</strong>')


@register.filter
def status_tag(bid) -> SafeString:
    """A bid's status as its GOV.UK tag: ``{{ bid|status_tag }}``."""
    return status_tag_html(bid.status, bid.get_status_display())


# A dashboard row's allocation status → the colour of its tag: yellow when money set aside was
# not allocated, red when more was allocated than set aside, green when the two agree.
ALLOCATION_TAG_COLOURS = {"Under-allocated": "yellow", "Over-allocated": "red"}


@register.filter
def allocation_tag_colour(status) -> str:
    """The colour of an allocation status's tag (``Row.allocation_status``). A filter rather
    than an include, since the dashboard's table has one for each spend category."""
    return ALLOCATION_TAG_COLOURS.get(status, "green")


# ----------------------------------------------------------------------------- forms

_WIDGET_KINDS = {
    "radioselect": "radios",
    "checkboxselectmultiple": "checkboxes",
    "checkbox": "checkbox",
    "select": "select",
    "nullbooleanselect": "select",
    "selectmultiple": "select",
    "textarea": "textarea",
    "password": "password",
}


@register.filter
def option_tags(options, indent=None) -> SafeString:
    """A select's ``<option>`` elements from its options as (value, label, selected), as
    ``select_options`` gives them: written out here rather than by a ``{% for %}`` in the
    template, which for the hundred-odd options of the dashboard's filters cost more than all
    the rest of its tables. With ``indent`` (``{{ options|option_tags:2 }}``), each option is
    followed by a line break and that many spaces."""
    end = "" if indent is None else "\n" + " " * int(indent)
    return SafeString(
        "".join(
            f'<option value="{escape(value)}"{" selected" if selected else ""}>'
            f"{escape(label)}</option>{end}"
            for value, label, selected in options
        )
    )


@register.filter
def field_kind(field: BoundField) -> str:
    """Which GOV.UK component renders the field: input, password, textarea, select, radios,
    checkboxes, checkbox (one box, for a BooleanField) or hidden."""
    if field.is_hidden:
        return "hidden"
    return _WIDGET_KINDS.get(field.widget_type, "input")


@register.filter
def field_anchor(field: BoundField) -> str:
    """The id an error summary links to: the input itself, or the first of a set of options."""
    if field_kind(field) in {"radios", "checkboxes"}:
        return f"{field.auto_id}_0"
    return field.id_for_label or field.auto_id


@register.simple_tag
def govuk_widget(field: BoundField, classes: str = "") -> str:
    """The field's own widget with the GOV.UK classes for its kind, its error state and
    ``classes`` (``govuk-input--width-10`` …).

    Django links the hint (``<id>_helptext``) and the error (``<id>_error``) through
    ``aria-describedby``; the includes use those ids.
    """
    kind = field_kind(field)
    base, error = {
        "select": ("govuk-select", "govuk-select--error"),
        "textarea": ("govuk-textarea", "govuk-textarea--error"),
        "password": (
            "govuk-input govuk-password-input__input govuk-js-password-input-input",
            "govuk-input--error",
        ),
    }.get(kind, ("govuk-input", "govuk-input--error"))
    own = field.field.widget.attrs.get("class", "")
    attrs = {"class": " ".join(c for c in (base, own, classes, error if field.errors else "") if c)}
    if kind == "password" or field.widget_type == "email":
        attrs.update(spellcheck="false", autocapitalize="none")
    return field.as_widget(attrs=attrs)


@register.simple_tag
def govuk_error_items(form) -> list[dict[str, str]]:
    """Every error of ``form`` as ``{"href", "text"}`` for the error summary, in field order.

    Errors that belong to no field link to the first visible field, which is where the user
    has to start putting things right.
    """
    visible = form.visible_fields()
    items = []
    if visible:
        first = f"#{field_anchor(visible[0])}"
    for error in form.non_field_errors():
        items.append({"href": first if visible else "", "text": error})
    for field in visible:
        for error in field.errors:
            items.append({"href": f"#{field_anchor(field)}", "text": error})
    for field in form.hidden_fields():
        for error in field.errors:
            items.append({"href": "", "text": f"{field.label}: {error}"})
    return items


# ----------------------------------------------------------------------------- navigation


@register.simple_tag(takes_context=True)
def nav_current(context, href: str) -> str:
    """``aria-current`` for a navigation link: ``page`` on the page itself, ``true`` anywhere
    below it, empty elsewhere. The home page is only ever current by itself."""
    request = context.get("request")
    path = getattr(request, "path", "")
    if path == href:
        return "page"
    if href != "/" and path.startswith(href):
        return "true"
    return ""


@register.simple_tag
def account_roles(user) -> dict[str, bool]:
    """What the account links offer the signed-in user: ``office`` (their force's bids) and
    ``review`` (analysts, approvers and staff)."""
    return {
        "office": permissions.office_force_id(user) is not None,
        "review": bool(
            user.is_authenticated
            and user.is_active
            and (user.is_staff or permissions.is_analyst(user) or permissions.is_approver(user))
        ),
    }


@register.simple_tag
def page_range(page_obj, on_each_side: int = 2, on_ends: int = 1):
    """Page numbers around the current page, with ``None`` for each gap (shown as an ellipsis)."""
    elided = page_obj.paginator.get_elided_page_range(
        page_obj.number, on_each_side=on_each_side, on_ends=on_ends
    )
    ellipsis = page_obj.paginator.ELLIPSIS
    return [None if number == ellipsis else number for number in elided]
