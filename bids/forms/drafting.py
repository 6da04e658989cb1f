"""Forms of the portal's drafting pages: each validates one section and hands it to a service.

Most answers are needed only to submit (``bid_submission_problems`` says which), so a section
saves what it has: those fields are ``AnswerLater`` — shown without "(optional)", since the bid
cannot go without them, yet not refused when empty.
"""

import datetime
import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.forms.boundfield import BoundField
from django.utils import timezone

from bids.models import Bid, FundingRound, SpendCategory
from forces.models import Force
from fundtracker.money import format_gbp
from fundtracker.templatetags.govuk import govuk_time
from fundtracker.years import fy_label

MONEY_LIMIT = Decimal("1000000000000")  # max_digits=14 with 2 decimal places


class DraftForm(forms.Form):
    # GOV.UK forms validate on the server only: the browser's own messages are not ours.
    use_required_attribute = False

    def __init__(self, *args, saved=None, initial=None, **kwargs):
        # ``saved``: the bid's answers, which the form shows unless told otherwise.
        super().__init__(*args, initial={**(saved or {}), **(initial or {})}, **kwargs)


class AnswerLater:
    """A field whose answer the bid needs before it is submitted, not before it is saved."""

    def validate(self, value):
        if value in self.empty_values:
            return
        super().validate(value)


class AnswerLaterCharField(AnswerLater, forms.CharField):
    pass


class AnswerLaterChoiceField(AnswerLater, forms.ChoiceField):
    pass


class AnswerLaterModelChoiceField(AnswerLater, forms.ModelChoiceField):
    pass


# --------------------------------------------------------------------------- start


class RoundChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, funding_round):
        closes = timezone.localtime(funding_round.closes_at)
        return (
            f"{funding_round.fund.name}: {funding_round.name} ({funding_round.years_label}), "
            f"closes at {govuk_time(closes)} on {closes.day} {closes:%B %Y}"
        )


class StartBidForm(DraftForm):
    round = RoundChoiceField(
        queryset=FundingRound.objects.none(),
        label="Which funding round are you bidding to?",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select the funding round you are bidding to",
            "invalid_choice": "Select a funding round that is open for bids",
        },
    )
    title = forms.CharField(
        label="Title of the bid",
        max_length=250,
        help_text="A short name for the project, like “East Midlands integrated technology "
        "plan”. You can change it later.",
        error_messages={
            "required": "Enter a title for the bid",
            "max_length": "Title must be 250 characters or fewer",
        },
    )

    def __init__(self, *args, rounds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["round"].queryset = rounds


# --------------------------------------------------------------------------- about


class AboutForm(DraftForm):
    title = forms.CharField(
        label="Title",
        max_length=250,
        error_messages={
            "required": "Enter a title for the bid",
            "max_length": "Title must be 250 characters or fewer",
        },
    )
    summary = AnswerLaterCharField(
        label="Summary",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="What the project will do and for whom, in a paragraph or two.",
    )
    case_for_change = AnswerLaterCharField(
        label="Case for change",
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Why policing needs this change, what it costs not to make it, and the "
        "outcomes you expect.",
    )
    bid_type = AnswerLaterChoiceField(
        label="Bid type",
        choices=Bid.BidType.choices,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Select the bid type from the list"},
    )
    spend_category = AnswerLaterModelChoiceField(
        label="Spend category",
        queryset=SpendCategory.objects.all(),
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Select the spend category from the list"},
    )

    def __init__(self, *args, bid: Bid, **kwargs):
        super().__init__(
            *args,
            saved={
                "title": bid.title,
                "summary": bid.summary,
                "case_for_change": bid.case_for_change,
                "bid_type": bid.bid_type,
                "spend_category": bid.spend_category_id,
            },
            **kwargs,
        )


# --------------------------------------------------------------------------- who is involved


class InvolvedForm(DraftForm):
    """The collaboration and the partner forces, on one page that works without JavaScript.

    Three buttons post it: ``action=add`` (the default, so Enter in the force box adds it),
    ``action=save`` and ``remove=<force id>``. Adding or saving also saves the collaboration
    chosen, so nothing typed on the page is lost.
    """

    NONE = "none"

    collaboration = forms.ChoiceField(
        label="Is this bid for a collaboration?",
        required=False,
        widget=forms.RadioSelect,
        error_messages={
            "invalid_choice": "Select one of your force’s collaborations, or “No”",
        },
    )
    add_members = forms.BooleanField(
        label="Add the other forces in the collaboration as partner forces",
        required=False,
    )
    partner = forms.ModelChoiceField(
        label="Add a partner force",
        queryset=Force.objects.none(),
        required=False,
        help_text="Choose the force from the list: type the start of its name to find it.",
        widget=forms.Select(attrs={"data-module": "app-autocomplete"}),
        error_messages={"invalid_choice": "Select a force from the list"},
    )
    remove = forms.ModelChoiceField(
        label="Remove a partner force",
        queryset=Force.objects.none(),
        required=False,
        widget=forms.HiddenInput,
        error_messages={
            "invalid_choice": "That force is not a partner of this bid (it may have been "
            "removed already)"
        },
    )
    action = forms.ChoiceField(
        label="Button",
        choices=[("add", "add"), ("save", "save")],
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": "Use the Add or the Save and continue button"},
    )

    def __init__(self, *args, bid: Bid, collaborations, partners, **kwargs):
        self.bid = bid
        self.collaborations = {str(c.pk): c for c in collaborations}
        self.partners = list(partners)
        super().__init__(
            *args, saved={"collaboration": str(bid.collaboration_id or self.NONE)}, **kwargs
        )
        self.fields["collaboration"].choices = [
            *((pk, c.name) for pk, c in self.collaborations.items()),
            (self.NONE, "No, the bid is not for a collaboration"),
        ]
        partner_ids = [force.pk for force in self.partners]
        self.fields["partner"].queryset = Force.objects.exclude(pk=bid.lead_force_id).exclude(
            pk__in=partner_ids
        )
        self.fields["partner"].empty_label = "Choose a force"
        self.fields["remove"].queryset = Force.objects.filter(pk__in=partner_ids)

    def clean_collaboration(self):
        value = self.cleaned_data["collaboration"]
        return self.collaborations.get(value)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if data.get("remove"):
            data["action"] = "remove"
            return data
        data["action"] = data.get("action") or "save"
        if data["action"] == "add" and not data.get("partner"):
            self.add_error("partner", "Select the force to add as a partner")
        if data.get("add_members") and not data.get("collaboration"):
            self.add_error("add_members", "Select the collaboration whose forces you want to add")
        return data

    def new_partners(self) -> list[Force]:
        """The partner forces once the cleaned answers are applied, lead force excluded."""
        data = self.cleaned_data
        partners = {force.pk: force for force in self.partners}
        if data["action"] == "remove":
            partners.pop(data["remove"].pk, None)
            return list(partners.values())
        if data.get("add_members") and data.get("collaboration"):
            for force in data["collaboration"].members.all():
                partners.setdefault(force.pk, force)
        if data.get("partner"):
            partners.setdefault(data["partner"].pk, data["partner"])
        partners.pop(self.bid.lead_force_id, None)
        return list(partners.values())


# --------------------------------------------------------------------------- funding

_MONEY = re.compile(r"^\d+(\.\d+)?$")


class MoneyField(forms.CharField):
    """Pounds as people write them: ``1,250,000``, ``£250000`` or ``1250000.50``.

    ``what`` names the amount at the start of each message: “The amount for 2027/28”.
    """

    def __init__(self, *, what: str, example: str = "250000", **kwargs):
        self.what = what
        self.example = example
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        text = text.replace(",", "").replace(" ", "").replace("£", "")
        negative = text.startswith("-")
        if negative:
            text = text[1:].lstrip("£")
        if not _MONEY.match(text):
            raise ValidationError(
                f"{self.what} must be a number in pounds, like {self.example}",
                code="invalid",
            )
        if negative:
            raise ValidationError(f"{self.what} must be 0 or more", code="negative")
        amount = Decimal(text)
        if "." in text and len(text.split(".")[1]) > 2:
            raise ValidationError(
                f"{self.what} must be in pounds and pence, with no more than 2 decimal places",
                code="decimal_places",
            )
        if amount >= MONEY_LIMIT:
            raise ValidationError(
                f"{self.what} must be less than {format_gbp(MONEY_LIMIT, pence=False)}",
                code="max_value",
            )
        return amount.quantize(Decimal("0.01"))


def money_initial(amount) -> str:
    """An amount as a user would type it: ``2240000`` or ``2240000.50``."""
    if amount is None:
        return ""
    amount = Decimal(amount)
    return f"{amount:.0f}" if amount == amount.to_integral_value() else f"{amount:.2f}"


class FundingForm(DraftForm):
    """An amount for each financial year of the round (0 for a year that needs nothing)."""

    local_match_contribution = MoneyField(
        what="The local match contribution",
        label="Local match contribution",
        required=False,
        help_text="Money your force, or the forces in the bid, will put in themselves. "
        "Leave it empty if there is none.",
    )

    def __init__(self, *args, bid: Bid, funding_lines, **kwargs):
        self.years = list(bid.round.financial_years)
        saved = {line.financial_year: line.amount for line in funding_lines}
        initial = {self.year_field(year): money_initial(saved.get(year)) for year in self.years}
        initial["local_match_contribution"] = (
            money_initial(bid.local_match_contribution) if bid.local_match_contribution else ""
        )
        super().__init__(*args, saved=initial, **kwargs)
        years = {
            self.year_field(year): MoneyField(
                what=f"The amount for {fy_label(year)}",
                label=fy_label(year),
                error_messages={"required": f"Enter an amount for {fy_label(year)}, like 250000"},
            )
            for year in self.years
        }
        # The years come first, in order, so the error summary follows the page.
        self.fields = {**years, **self.fields}

    @staticmethod
    def year_field(year: int) -> str:
        return f"amount_{year}"

    @property
    def year_fields(self) -> list[BoundField]:
        return [self[self.year_field(year)] for year in self.years]

    def amounts(self) -> dict[int, Decimal]:
        return {year: self.cleaned_data[self.year_field(year)] for year in self.years}


# --------------------------------------------------------------------------- sign-offs

_MONTHS = {
    name: number
    for number in range(1, 13)
    for name in (
        datetime.date(2000, number, 1).strftime("%B").lower(),
        datetime.date(2000, number, 1).strftime("%b").lower(),
    )
}
DATE_PARTS = ("day", "month", "year")


class DateInput(forms.MultiWidget):
    """The GOV.UK date input: day, month and year boxes, posted as ``<name>_day`` and so on."""

    def __init__(self):
        super().__init__(
            widgets={part: forms.TextInput(attrs={"inputmode": "numeric"}) for part in DATE_PARTS}
        )

    def decompress(self, value):
        if isinstance(value, datetime.date):
            return [str(value.day), str(value.month), str(value.year)]
        return [None, None, None]

    def id_for_label(self, id_):
        # The error summary links to the day box, where the user starts.
        return f"{id_}_day" if id_ else ""


class DateBoundField(BoundField):
    @property
    def date_parts(self) -> list[dict]:
        """Day, month and year for the template, each with its name, id, value and whether
        it is the part in error (every part when the error is about the whole date)."""
        value = self.value()
        if not isinstance(value, list | tuple):
            value = self.field.widget.decompress(value)
        wrong = set()
        for error in self.form.errors.as_data().get(self.name, []):
            wrong.update((error.params or {}).get("parts", DATE_PARTS))
        widths = {"day": 2, "month": 2, "year": 4}
        return [
            {
                "part": part,
                "label": part.capitalize(),
                "name": f"{self.html_name}_{part}",
                "id": f"{self.auto_id}_{part}",
                "value": value[index] or "",
                "width": widths[part],
                "error": part in wrong,
            }
            for index, part in enumerate(DATE_PARTS)
        ]


class PastDateField(forms.Field):
    """A date of the past (or today) typed as day, month and year; empty means not given."""

    widget = DateInput
    bound_field_class = DateBoundField

    def __init__(self, *, what: str, **kwargs):
        self.what = what
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def _error(self, message: str, parts=DATE_PARTS):
        return ValidationError(f"{self.what} {message}", code="invalid", params={"parts": parts})

    def to_python(self, value):
        if isinstance(value, datetime.date):
            return value
        parts = [str(v or "").strip() for v in (value or [None, None, None])]
        if not any(parts):
            return None
        missing = [name for name, text in zip(DATE_PARTS, parts, strict=True) if not text]
        if missing:
            raise self._error(f"must include a {' and '.join(missing)}", parts=missing)
        day, month, year = parts
        month = _MONTHS.get(month.lower(), month)
        if not str(year).isdigit() or len(str(year)) != 4:
            raise self._error("must include a year with 4 numbers, like 2027", parts=["year"])
        try:
            date = datetime.date(int(year), int(month), int(day))
        except (TypeError, ValueError, OverflowError):
            # OverflowError: a month or day past what a C int holds, such as 2147483648.
            raise self._error("must be a real date, like 27 3 2027") from None
        if date > timezone.localdate():
            raise self._error("must be today or in the past")
        return date


class SignOffsForm(DraftForm):
    pcc_signoff_name = AnswerLaterCharField(
        label="Name of the police and crime commissioner",
        max_length=200,
        error_messages={"max_length": "Name of the PCC must be 200 characters or fewer"},
    )
    pcc_signoff_date = PastDateField(
        what="Date the PCC signed off the bid",
        label="Date the PCC signed off the bid",
        help_text="For example, 27 3 2027",
    )
    cfo_signoff_name = AnswerLaterCharField(
        label="Name of the chief finance officer",
        max_length=200,
        error_messages={
            "max_length": "Name of the chief finance officer must be 200 characters or fewer"
        },
    )
    cfo_signoff_date = PastDateField(
        what="Date the chief finance officer signed off the bid",
        label="Date the chief finance officer signed off the bid",
        help_text="For example, 27 3 2027",
    )

    def __init__(self, *args, bid: Bid, **kwargs):
        super().__init__(
            *args,
            saved={
                "pcc_signoff_name": bid.pcc_signoff_name,
                "pcc_signoff_date": bid.pcc_signoff_date,
                "cfo_signoff_name": bid.cfo_signoff_name,
                "cfo_signoff_date": bid.cfo_signoff_date,
            },
            **kwargs,
        )


# --------------------------------------------------------------------------- check and submit


class DeclarationForm(DraftForm):
    confirm = forms.BooleanField(
        label="I confirm the PCC and chief finance officer have approved this bid, and that "
        "its answers are correct to the best of my knowledge",
        error_messages={
            "required": "Confirm that the PCC and chief finance officer have approved this "
            "bid before you submit it"
        },
    )
