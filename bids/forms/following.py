"""Forms of the portal pages that follow a bid after submission: withdraw, answer, report spend."""

import datetime
import re
from decimal import Decimal

from django import forms

from fundtracker.money import format_gbp

# Pounds with up to two decimal places, optionally with £ and thousands commas: what people
# type from a spreadsheet. Signs, exponents and NaN are refused with their own messages.
_AMOUNT = re.compile(r"^£?\s*(?P<pounds>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<pence>\d*))?$")
MAX_AMOUNT = Decimal("999999999999.99")


class MoneyField(forms.CharField):
    """An amount in pounds, cleaned to a two-place ``Decimal``; never a float."""

    def __init__(self, *, what: str, **kwargs):
        self.what = what
        kwargs.setdefault("error_messages", {"required": f"Enter {what}, in pounds, like 12500.50"})
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        # A text input rather than type=number: browsers mangle pounds and pence in those.
        attrs.update(inputmode="decimal", spellcheck="false", autocomplete="off")
        return attrs

    def to_python(self, value):
        text = super().to_python(value).replace(" ", "")
        if text in self.empty_values:
            return None
        what = self.what[0].upper() + self.what[1:]
        if text[:1] in "-−" and _AMOUNT.match(text[1:]):
            raise forms.ValidationError(f"{what} cannot be negative", code="negative")
        match = _AMOUNT.match(text)
        if not match:
            raise forms.ValidationError(
                f"{what} must be an amount in pounds, like 12500 or £12,500.50", code="invalid"
            )
        pence = match["pence"] or ""
        if len(pence) > 2:
            raise forms.ValidationError(
                f"{what} can have at most 2 decimal places (pence)", code="pence"
            )
        amount = Decimal(f"{match['pounds'].replace(',', '')}.{pence.ljust(2, '0')}")
        if amount > MAX_AMOUNT:
            raise forms.ValidationError(
                f"{what} must be {format_gbp(MAX_AMOUNT)} or less", code="too_large"
            )
        return amount


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="Why are you withdrawing the bid?",
        help_text="The Home Office and any partner forces will see this.",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=2000,
        error_messages={
            "required": "Enter why you are withdrawing the bid",
            "max_length": "The reason must be 2,000 characters or fewer",
        },
    )


class ClarificationAnswerForm(forms.Form):
    answer = forms.CharField(
        label="Your answer",
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=10000,
        error_messages={
            "required": "Enter your answer to the question",
            "max_length": "Your answer must be 10,000 characters or fewer",
        },
    )


class SpendReturnForm(forms.Form):
    """A quarter's spend, once the quarter has ended: a return sent early would lock the
    quarter with part of its spend until the Home Office sent it back."""

    amount_spent = MoneyField(
        what="the amount spent in the quarter",
        label="Amount spent in the quarter",
        help_text="In pounds, for example 125000 or 125,000.50. Enter 0 if nothing was spent.",
    )
    narrative = forms.CharField(
        label="What was the money spent on?",
        help_text="The Home Office checks the return against this. If nothing was spent, say why.",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
        error_messages={
            "required": "Describe what the money was spent on, or why nothing was spent",
            "max_length": "The description must be 5,000 characters or fewer",
        },
    )

    def __init__(self, *args, quarter_end: datetime.date, today: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.quarter_end = quarter_end
        self.today = today

    def clean(self):
        cleaned = super().clean()
        if self.today <= self.quarter_end:
            opens = self.quarter_end + datetime.timedelta(days=1)
            raise forms.ValidationError(
                "You can report spend for this quarter once it has ended, from "
                f"{opens.day} {opens:%B %Y}",
                code="quarter_not_ended",
            )
        return cleaned
