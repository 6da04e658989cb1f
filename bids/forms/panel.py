"""Forms of the panel pages: moderation, the funding line's choices, decisions, publication."""

import re
from decimal import Decimal

from django import forms
from django.forms.boundfield import BoundField

from bids.forms.drafting import AnswerLater, AnswerLaterCharField, MoneyField, money_initial
from bids.models import Bid
from fundtracker.money import ZERO, format_gbp
from fundtracker.years import fy_label


class PanelForm(forms.Form):
    # GOV.UK forms validate on the server only: the browser's own messages are not ours.
    use_required_attribute = False


class NeededMoneyField(AnswerLater, MoneyField):
    """An amount needed for one choice of the form only: ``clean()`` asks for it then, and
    its label does not say “(optional)”."""


# --------------------------------------------------------------------------- moderation


class ModerationForm(PanelForm):
    RECOMMENDED = "recommended"
    NOT_RECOMMENDED = "not_recommended"

    moderated_score = forms.DecimalField(
        label="Moderated score, out of 100",
        help_text="A number from 0 to 100 with at most 2 decimal places, like 72.50. The "
        "mean of the reviewers’ weighted totals is filled in for you.",
        min_value=Decimal(0),
        max_value=Decimal(100),
        max_digits=5,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "spellcheck": "false"}),
        error_messages={
            "required": "Enter the moderated score, from 0 to 100",
            "invalid": "The moderated score must be a number from 0 to 100, like 72.50",
            "min_value": "The moderated score must be 0 or more",
            "max_value": "The moderated score must be 100 or less",
            "max_digits": "The moderated score must be 100 or less",
            "max_decimal_places": "The moderated score can have at most 2 decimal places",
            "max_whole_digits": "The moderated score must be 100 or less",
        },
    )
    outcome = forms.ChoiceField(
        label="Outcome of the moderation",
        choices=[
            (RECOMMENDED, "Recommended to the funding panel"),
            (NOT_RECOMMENDED, "Not recommended"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether the bid is recommended"},
    )
    reason = forms.CharField(
        label="Reason for the outcome",
        help_text="The approvers read this with the scores. Say where the reviewers differed "
        "and why you settled on this score.",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
        error_messages={
            "required": "Enter the reason for the moderation outcome",
            "max_length": "The reason must be 5,000 characters or fewer",
        },
    )

    @property
    def recommended(self) -> bool:
        return self.cleaned_data["outcome"] == self.RECOMMENDED


# --------------------------------------------------------------------------- funding line


class FundingLineForm(PanelForm):
    """The category to rank and, for a what-if, where to put the line (read from the query)."""

    category = forms.ChoiceField(
        label="Spend category",
        required=False,
        error_messages={"invalid_choice": "Choose a spend category from the list"},
    )
    line = forms.IntegerField(
        label="Number of bids funded",
        required=False,
        min_value=0,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"}),
        error_messages={
            "invalid": "The number of bids funded must be a whole number, like 3",
            "min_value": "The number of bids funded must be 0 or more",
        },
    )

    def __init__(self, data, *, categories, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["category"].choices = [(c.slug, c.name) for c in categories]
        self.bid_count = None

    def set_bid_count(self, count: int) -> None:
        """The line can go no lower than the number of bids ranked, known once they are."""
        self.bid_count = count
        line = self.cleaned_data.get("line")
        if line is not None and line > count:
            self.add_error(
                "line",
                f"The number of bids funded must be between 0 and {count}, the number of "
                "bids ranked in this category",
            )


# --------------------------------------------------------------------------- decisions


class DecisionForm(PanelForm):
    APPROVE = "approve"
    REJECT = "reject"

    decision = forms.ChoiceField(
        label="Decision",
        choices=[(APPROVE, "Approve the bid"), (REJECT, "Reject the bid")],
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether to approve or reject the bid"},
    )
    total = NeededMoneyField(
        what="The award total",
        example="5740000",
        label="Award total",
        help_text="The tranches must add up to this. It starts at the total the bid asked for.",
    )
    conditions = forms.CharField(
        label="Conditions of the award",
        required=False,
        help_text="For example, milestones to meet before a tranche is released.",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        error_messages={"max_length": "The conditions must be 5,000 characters or fewer"},
    )
    notes = forms.CharField(
        label="Decision notes",
        required=False,
        help_text="Why the panel approved the bid, for the record.",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        error_messages={"max_length": "The decision notes must be 5,000 characters or fewer"},
    )
    reasons = AnswerLaterCharField(
        label="Reasons for rejecting the bid",
        help_text="The PCC office sees these reasons.",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        error_messages={"max_length": "The reasons must be 5,000 characters or fewer"},
    )

    _TRANCHE = re.compile(r"^tranche_(\d{4})$")

    def __init__(self, *args, bid: Bid, funding_lines, **kwargs):
        self.bid = bid
        self.years = list(bid.round.financial_years)
        requested = {line.financial_year: line.amount for line in funding_lines}
        initial = {
            self.tranche_field(year): money_initial(requested.get(year, ZERO))
            for year in self.years
        }
        initial["total"] = money_initial(sum(requested.values(), ZERO))
        super().__init__(*args, initial={**initial, **kwargs.pop("initial", {})}, **kwargs)
        tranches = {
            self.tranche_field(year): NeededMoneyField(
                what=f"The tranche for {fy_label(year)}",
                example="250000",
                label=fy_label(year),
            )
            for year in self.years
        }
        # Decision first, then the tranches in year order: the error summary follows the page.
        fields = dict(self.fields)
        self.fields = {"decision": fields.pop("decision"), **tranches, **fields}

    @staticmethod
    def tranche_field(year: int) -> str:
        return f"tranche_{year}"

    @property
    def tranche_fields(self) -> list[BoundField]:
        return [self[self.tranche_field(year)] for year in self.years]

    def _years_outside_round(self) -> list[int]:
        """Tranche boxes posted for years the round does not fund (not on the page)."""
        posted = (self._TRANCHE.match(key) for key in self.data)
        return sorted(
            {int(m[1]) for m in posted if m and int(m[1]) not in self.years and self.data[m[0]]}
        )

    def clean(self):
        cleaned = super().clean()
        decision = cleaned.get("decision")
        if decision == self.REJECT:
            if not (cleaned.get("reasons") or "").strip():
                self.add_error("reasons", "Enter the reasons for rejecting the bid")
            return cleaned
        if decision != self.APPROVE:
            return cleaned
        outside = self._years_outside_round()
        if outside:
            years = ", ".join(fy_label(y) for y in outside)
            raise forms.ValidationError(
                f"The round funds {self.bid.round.years_label} only: a tranche for {years} "
                "cannot be awarded",
                code="outside_round",
            )
        names = [self.tranche_field(year) for year in self.years]
        if any(name in self.errors for name in names) or "total" in self.errors:
            return cleaned
        tranches = self.tranches()
        added = sum(tranches.values(), ZERO)
        if not added:
            raise forms.ValidationError(
                "Enter a tranche for at least one year. To fund nothing, reject the bid",
                code="no_tranches",
            )
        total = cleaned.get("total")
        if total is None:
            self.add_error("total", "Enter the award total, which the tranches must add up to")
        elif total != added:
            self.add_error(
                "total",
                f"The tranches add up to {format_gbp(added)}, not the award total of "
                f"{format_gbp(total)}: change a tranche or the total",
            )
        return cleaned

    def tranches(self) -> dict[int, Decimal]:
        """The tranches to award: each year with an amount above £0 (an empty box is £0)."""
        amounts = {year: self.cleaned_data.get(self.tranche_field(year)) for year in self.years}
        return {year: amount for year, amount in amounts.items() if amount}


class BatchDecisionForm(PanelForm):
    APPROVE = "approve"
    REJECT = "reject"

    bids = forms.MultipleChoiceField(
        label="Bids to decide",
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Select at least one bid to decide",
            "invalid_choice": "Select bids from the list: %(value)s is not one of them",
        },
    )
    action = forms.ChoiceField(
        label="What do you want to do with the selected bids?",
        choices=[
            (APPROVE, "Approve them, each at the funding profile it asked for"),
            (REJECT, "Reject them, for the reason below"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether to approve or reject the selected bids"},
    )
    reason = AnswerLaterCharField(
        label="Reason for rejecting the selected bids",
        help_text="Every selected bid is rejected with this reason, which the PCC offices see.",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        error_messages={"max_length": "The reason must be 5,000 characters or fewer"},
    )

    def __init__(self, *args, references, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bids"].choices = [(ref, ref) for ref in references]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == self.REJECT and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", "Enter the reason for rejecting the selected bids")
        return cleaned


class PublishForm(PanelForm):
    """Publishing asks for nothing but the button: the page says what it will make public."""
