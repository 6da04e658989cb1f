"""Forms of the review workspace's money pages: the filters of the award list and of the spend
returns queue, a tranche's status, a payment and the verification of a spend return.

Forms check what the user typed; the services (``bids.services``) decide what the state of the
award allows and refuse the rest with a ``WorkflowError``.
"""

import datetime

import django_filters
from django import forms
from django.db.models import Q

from bids.forms.drafting import PastDateField
from bids.forms.following import MoneyField
from bids.models import AwardQuerySet, FundingRound, SpendCategory, Tranche
from forces.models import Force, Region
from fundtracker.money import ZERO

SpendTag = AwardQuerySet.SpendTag
TrancheStatus = Tranche.Status

# --------------------------------------------------------------------------- filters


class SortFilter(django_filters.OrderingFilter):
    """``?sort=allocated`` sorts by a column, ``?sort=-allocated`` the other way.

    A column may sort on several fields (a round by its first year, then its name), and
    ``tiebreak`` keeps rows that compare equal in one order, so no row shows on two pages.
    """

    def __init__(self, *, columns: dict[str, tuple[str, ...]], tiebreak: tuple[str, ...], **kwargs):
        self.columns = columns
        self.tiebreak = tiebreak
        super().__init__(fields={name: name for name in columns}, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        ordering = []
        for param in value:
            descending = param.startswith("-")
            ordering += [f"-{f}" if descending else f for f in self.columns[param.lstrip("-")]]
        return qs.order_by(*ordering, *self.tiebreak)


class FriendlyFilterSet(django_filters.FilterSet):
    """A FilterSet whose bad query parameters are reported in plain words and left out, so the
    rest of the filters still apply (django-filter filters with the valid ones only)."""

    def error_messages(self) -> list[tuple[str, str]]:
        """``(field name, message)`` for each query parameter that is not one of its choices."""
        problems = []
        for name in self.form.errors:
            if name not in self.filters:
                continue
            label = str(self.form.fields[name].label)
            value = self.data.get(name, "")
            if name == "sort":
                message = f"The list cannot be sorted by “{value}”, so it is in its usual order."
            elif not hasattr(self.form.fields[name], "choices"):
                errors = " ".join(self.form.errors[name])
                message = f"{label}: {errors}, so the list is not filtered by it."
            else:
                message = (
                    f"{label}: “{value}” is not one of the choices, so the list is not filtered "
                    f"by {label[0].lower()}{label[1:]}."
                )
            problems.append((name, message))
        return problems

    @property
    def chosen(self) -> list[tuple[str, str, str]]:
        """``(name, label, value shown)`` of each filter in use, for the "selected filters"
        tags (each with a link that removes it)."""
        data = getattr(self.form, "cleaned_data", None) or {}
        chosen = []
        for name, value in data.items():
            if name == "sort" or value in (None, "", [], ()):
                continue
            field = self.form.fields[name]
            shown = dict(field.choices).get(value, value) if name == "tag" else value
            chosen.append((name, str(field.label), str(shown)))
        return chosen


ROUNDS = FundingRound.objects.select_related("fund").order_by("-first_financial_year", "name")
FORCES = Force.objects.order_by("name")


class AwardMoneyFilter(FriendlyFilterSet):
    """The award list's filters (round, spend category, lead force, its region, spend tag and
    free text on the reference or title) and its sort; slugs in the URL, never ids."""

    q = django_filters.CharFilter(
        method="filter_text",
        label="Reference or title",
        max_length=200,
        error_messages={"max_length": "Search for at most 200 characters"},
    )
    round = django_filters.ModelChoiceFilter(
        field_name="bid__round",
        to_field_name="slug",
        queryset=ROUNDS,
        label="Round",
        empty_label="All rounds",
        error_messages={"invalid_choice": "Choose a round from the list"},
    )
    category = django_filters.ModelChoiceFilter(
        field_name="bid__spend_category",
        to_field_name="slug",
        queryset=SpendCategory.objects.order_by("order", "name"),
        label="Spend category",
        empty_label="All categories",
        error_messages={"invalid_choice": "Choose a spend category from the list"},
    )
    force = django_filters.ModelChoiceFilter(
        field_name="bid__lead_force",
        to_field_name="slug",
        queryset=FORCES,
        label="Lead force",
        empty_label="All forces",
        error_messages={"invalid_choice": "Choose a force from the list"},
    )
    region = django_filters.ModelChoiceFilter(
        field_name="bid__lead_force__region",
        to_field_name="slug",
        queryset=Region.objects.order_by("order", "name"),
        label="Lead force’s region",
        empty_label="All regions",
        error_messages={"invalid_choice": "Choose a region from the list"},
    )
    tag = django_filters.ChoiceFilter(
        field_name="spend_tag",
        choices=[(tag.value, tag.label) for tag in SpendTag],
        label="Spend against allocation",
        empty_label="Any",
        error_messages={"invalid_choice": "Choose how spend compares with the allocation"},
    )
    sort = SortFilter(
        columns={
            "reference": ("bid__reference",),
            "title": ("bid__title",),
            "force": ("bid__lead_force__name",),
            "round": ("bid__round__first_financial_year", "bid__round__name"),
            "allocated": ("allocated",),
            "paid": ("paid",),
            "spent": ("spent",),
            "variance": ("variance",),
            "tag": ("spend_tag",),
        },
        tiebreak=("bid__reference", "pk"),
        label="Sort by",
    )

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(bid__reference__icontains=value) | Q(bid__title__icontains=value))


class SpendReturnFilter(FriendlyFilterSet):
    """The spend returns queue's filters: the award's round and lead force."""

    round = django_filters.ModelChoiceFilter(
        field_name="tranche__award__bid__round",
        to_field_name="slug",
        queryset=ROUNDS,
        label="Round",
        empty_label="All rounds",
        error_messages={"invalid_choice": "Choose a round from the list"},
    )
    force = django_filters.ModelChoiceFilter(
        field_name="tranche__award__bid__lead_force",
        to_field_name="slug",
        queryset=FORCES,
        label="Lead force",
        empty_label="All forces",
        error_messages={"invalid_choice": "Choose a force from the list"},
    )


# --------------------------------------------------------------------------- tranche status

# The moves ``tranche_set_status`` allows, by the status the tranche goes to: the form offers
# only these, and the service refuses any other.
TRANCHE_MOVES = {
    TrancheStatus.RELEASED: (TrancheStatus.SCHEDULED, TrancheStatus.WITHHELD),
    TrancheStatus.WITHHELD: (TrancheStatus.SCHEDULED, TrancheStatus.RELEASED),
    TrancheStatus.CLOSED: (TrancheStatus.RELEASED,),
}
MOVE_LABELS = {
    TrancheStatus.RELEASED: "Release it: the money can be paid and the office reports spend",
    TrancheStatus.WITHHELD: "Withhold it: no payments until it is released again",
    TrancheStatus.CLOSED: "Close it: the year’s money is settled and the tranche cannot change",
}


def tranche_moves(tranche: Tranche) -> list[str]:
    """The statuses ``tranche`` can move to."""
    return [to for to, froms in TRANCHE_MOVES.items() if tranche.status in froms]


class TrancheStatusForm(forms.Form):
    status = forms.ChoiceField(
        label="What do you want to do with the tranche?",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose whether to release, withhold or close the tranche",
            "invalid_choice": "Choose one of the changes offered for this tranche",
        },
    )
    reason = forms.CharField(
        label="Reason",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text="Required when you withhold the tranche. The office sees it on the bid’s "
        "timeline.",
        error_messages={"max_length": "The reason must be 2,000 characters or fewer"},
    )

    def __init__(self, *args, tranche: Tranche, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [(to, MOVE_LABELS[to]) for to in tranche_moves(tranche)]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("status") == TrancheStatus.WITHHELD and not cleaned.get("reason"):
            self.add_error("reason", "Enter why the tranche is withheld")
        return cleaned


# --------------------------------------------------------------------------- payments


class PaymentForm(forms.Form):
    """A payment against a tranche. Its date cannot be in the future or before the award was
    decided; the service refuses a payment that would take the tranche past its allocation."""

    amount = MoneyField(
        what="the amount paid",
        label="Amount paid",
        help_text="In pounds, for example 250000 or 250,000.50",
    )
    paid_on = PastDateField(
        what="The date paid",
        label="Date paid",
        required=True,
        help_text="For example, 27 3 2017",
        error_messages={"required": "Enter the date the payment was made"},
    )
    reference = forms.CharField(
        label="Payment reference",
        help_text="The reference on the remittance advice, so the payment can be traced",
        max_length=100,
        error_messages={
            "required": "Enter the payment reference",
            "max_length": "The payment reference must be 100 characters or fewer",
        },
    )

    def __init__(self, *args, award_date: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.award_date = award_date

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount is not None and amount <= ZERO:
            raise forms.ValidationError("The amount paid must be more than £0.00", code="zero")
        return amount

    def clean_paid_on(self):
        paid_on = self.cleaned_data["paid_on"]
        if paid_on is not None and paid_on < self.award_date:
            raise forms.ValidationError(
                "The date paid cannot be before the award was made on "
                f"{self.award_date.day} {self.award_date:%B %Y}",
                code="before_award",
                params={"parts": ("day", "month", "year")},
            )
        return paid_on


# --------------------------------------------------------------------------- spend returns


class SpendVerifyForm(forms.Form):
    ACCEPT = "accept"
    SEND_BACK = "send_back"

    decision = forms.ChoiceField(
        label="Your decision",
        widget=forms.RadioSelect,
        choices=[
            (ACCEPT, "Accept the return: its spend counts as verified"),
            (SEND_BACK, "Send it back to the office to correct"),
        ],
        error_messages={
            "required": "Choose whether to accept the return or send it back",
            "invalid_choice": "Choose whether to accept the return or send it back",
        },
    )
    reason = forms.CharField(
        label="If you send it back, why?",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=2000,
        help_text="Needed to send the return back. The office sees it and corrects the return.",
        error_messages={"max_length": "The reason must be 2,000 characters or fewer"},
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == self.SEND_BACK and not cleaned.get("reason"):
            self.add_error("reason", "Enter why you are sending the return back")
        return cleaned

    @property
    def accept(self) -> bool:
        return self.cleaned_data["decision"] == self.ACCEPT
