import datetime
from decimal import Decimal

import pytest
from django import forms
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.core.paginator import Paginator
from django.template import Context, Template
from django.template.loader import render_to_string
from django.test import RequestFactory

from bids.models import Bid
from fundtracker.templatetags.govuk import (
    allocation_tag_colour,
    fy,
    gbp,
    gbp_short,
    govuk_time,
    option_tags,
    status_tag_class,
)


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (Decimal("2240000"), "£2.24m"),
        (Decimal("76400000"), "£76.4m"),
        (Decimal("175000000"), "£175m"),
        (Decimal("3500000"), "£3.5m"),
        (Decimal("660000"), "£660k"),
        (Decimal("999999"), "£1m"),
        (Decimal("1250000000"), "£1.25bn"),
        (Decimal("950"), "£950"),
        (Decimal("12.50"), "£12.50"),
        (Decimal("0"), "£0"),
        (None, "£0"),
        (Decimal("-280000"), "-£280k"),
    ],
)
def test_gbp_short(amount, text):
    assert gbp_short(amount) == text


STATUS_TAGS = [
    ("submitted", "govuk-tag"),
    ("under_review", "govuk-tag govuk-tag--purple"),
    ("clarification_requested", "govuk-tag govuk-tag--yellow"),
    ("recommended", "govuk-tag govuk-tag--turquoise"),
    ("not_recommended", "govuk-tag govuk-tag--orange"),
    ("approved", "govuk-tag govuk-tag--green"),
    ("rejected", "govuk-tag govuk-tag--red"),
    ("withdrawn", "govuk-tag govuk-tag--grey"),
    ("draft", "govuk-tag govuk-tag--grey"),
]


@pytest.mark.parametrize(("status", "classes"), STATUS_TAGS)
def test_each_bid_status_has_its_tag_colour(status, classes):
    assert status_tag_class(status) == classes


def test_every_bid_status_is_given_a_tag():
    assert {status for status, _ in STATUS_TAGS} == set(Bid.Status.values)


@pytest.mark.parametrize(
    ("status", "colour"),
    [("Under-allocated", "yellow"), ("Over-allocated", "red"), ("Fully allocated", "green")],
)
def test_each_allocation_status_has_its_tag_colour(status, colour):
    assert allocation_tag_colour(status) == colour


def test_options_are_written_escaped_with_the_chosen_one_selected():
    options = [
        ("", "All forces", False),
        ("kent", "Kent Police", True),
        ("a&b", '"A" & <B>', False),
    ]

    html = Template("{% load govuk %}{{ options|option_tags }}").render(
        Context({"options": options})
    )

    assert html == (
        '<option value="">All forces</option>'
        '<option value="kent" selected>Kent Police</option>'
        '<option value="a&amp;b">&quot;A&quot; &amp; &lt;B&gt;</option>'
    )
    assert option_tags([]) == ""


def test_options_can_each_end_a_line():
    options = [("", "All", False), ("kent", "Kent", True)]

    html = Template("{% load govuk %}{{ options|option_tags:2 }}").render(
        Context({"options": options})
    )

    assert (
        html == '<option value="">All</option>\n  <option value="kent" selected>Kent</option>\n  '
    )


def test_gbp_with_and_without_pence():
    assert gbp(Decimal("2240000")) == "£2,240,000.00"
    assert gbp(Decimal("2240000"), False) == "£2,240,000"


def test_money_filters_leave_what_is_not_money_alone():
    assert gbp("n/a") == "n/a"
    assert gbp_short(1.5) == 1.5


def test_fy():
    assert fy(2016) == "2016/17"
    assert fy("1999") == "1999/00"
    assert fy("") == ""


@pytest.mark.parametrize(
    ("hour", "minute", "text"),
    [(0, 0, "midnight"), (12, 0, "midday"), (17, 0, "5pm"), (9, 30, "9:30am"), (23, 59, "11:59pm")],
)
def test_govuk_time(hour, minute, text):
    assert govuk_time(datetime.time(hour, minute)) == text


class ExampleForm(forms.Form):
    title = forms.CharField(help_text="The name the public will see.")
    category = forms.ChoiceField(
        choices=[("digital", "Digital"), ("armed", "Armed policing")], widget=forms.RadioSelect
    )
    forces = forms.MultipleChoiceField(
        choices=[("kent", "Kent"), ("essex", "Essex")], widget=forms.CheckboxSelectMultiple
    )
    region = forms.ChoiceField(choices=[("", "Any"), ("london", "London")], required=False)
    summary = forms.CharField(widget=forms.Textarea, required=False)
    confirm = forms.BooleanField(label="I confirm the figures are right")


def render_fields(form):
    return Template(
        "{% for field in form %}{% include 'includes/field.html' %}{% endfor %}"
        "{% include 'includes/error_summary.html' %}"
    ).render(Context({"form": form}))


def test_fields_render_as_govuk_components():
    html = render_fields(ExampleForm())

    assert 'class="govuk-input"' in html
    assert 'id="id_title_helptext" class="govuk-hint"' in html
    assert 'aria-describedby="id_title_helptext"' in html
    assert 'class="govuk-radios" data-module="govuk-radios"' in html
    assert 'class="govuk-radios__input" id="id_category_0" name="category" type="radio"' in html
    assert 'class="govuk-checkboxes__input" id="id_forces_1" name="forces" type="checkbox"' in html
    assert 'class="govuk-select"' in html
    assert "Region (optional)" in html
    assert 'class="govuk-textarea"' in html
    assert 'id="id_confirm" name="confirm" type="checkbox"' in html
    assert "govuk-error-summary" not in html


def test_fields_with_errors_are_marked_and_summarised():
    form = ExampleForm(data={"category": "digital"})
    form.is_valid()

    html = render_fields(form)

    assert 'class="govuk-form-group govuk-form-group--error"' in html
    assert 'class="govuk-input govuk-input--error"' in html
    assert 'aria-describedby="id_title_helptext id_title_error"' in html
    assert 'id="id_forces_error" class="govuk-error-message"' in html
    assert 'name="category" type="radio" value="digital" checked' in html
    # Options link to their first box, so the summary moves focus somewhere useful.
    assert '<a href="#id_forces_0">This field is required.</a>' in html
    assert '<a href="#id_title">This field is required.</a>' in html


def test_messages_render_as_notification_banners():
    html = render_to_string(
        "includes/messages.html",
        {
            "messages": [
                Message(constants.SUCCESS, "Bid submitted"),
                Message(constants.INFO, "Round closes on Friday"),
            ]
        },
    )

    assert "govuk-notification-banner--success" in html
    assert 'role="alert"' in html
    assert "Bid submitted" in html
    assert 'role="region"' in html
    assert "Round closes on Friday" in html


def test_pagination_keeps_the_query_string_and_elides_pages():
    page = Paginator(range(400), 10).page(20)
    request = RequestFactory().get("/awards/", {"region": "london", "page": "20"})

    html = render_to_string("includes/pagination.html", {"page_obj": page}, request=request)

    assert 'href="?region=london&amp;page=19" rel="prev"' in html
    assert 'href="?region=london&amp;page=21" rel="next"' in html
    assert 'aria-label="Page 20" aria-current="page"' in html
    assert 'aria-label="Page 1"' in html
    assert 'aria-label="Page 40"' in html
    assert "govuk-pagination__item--ellipsis" in html
    assert 'aria-label="Page 10"' not in html


def test_pagination_is_empty_for_a_single_page():
    page = Paginator(range(5), 10).page(1)

    assert render_to_string("includes/pagination.html", {"page_obj": page}).strip() == ""
