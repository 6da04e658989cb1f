"""Forms of the review queue: assigning reviewers to many bids at once."""

from django import forms
from django.contrib.auth.models import User

from bids.forms.review import ReviewerChoiceField
from bids.models import Bid
from bids.permissions import ANALYSTS


def analysts():
    """Active analysts by name: the people who can review."""
    return (
        User.objects.filter(groups__name=ANALYSTS, is_active=True)
        .order_by("first_name", "last_name", "username")
        .distinct()
    )


class AssignBatchForm(forms.Form):
    """The bids ticked in the queue (by reference) and the analysts to assign to each of them.

    Any reference that is not a submitted bid fails the whole form, so nothing is assigned;
    whether each bid can take the reviewers is the service's decision, bid by bid.
    """

    bids = forms.ModelMultipleChoiceField(
        queryset=Bid.objects.exclude(status=Bid.Status.DRAFT).order_by("reference"),
        to_field_name="reference",
        widget=forms.CheckboxSelectMultiple,
        label="Bids",
        error_messages={
            "required": "Select at least one bid to assign reviewers to",
            "invalid_choice": "There is no submitted bid with the reference “%(value)s”. "
            "Nothing has been assigned",
            "invalid_list": "Select the bids to assign reviewers to from the list",
        },
    )
    reviewers = ReviewerChoiceField(
        queryset=analysts(),
        widget=forms.CheckboxSelectMultiple,
        label="Reviewers",
        help_text="Each of them is assigned to every bid you selected.",
        error_messages={
            "required": "Select at least one reviewer",
            "invalid_choice": "Choose reviewers from the list of analysts",
            "invalid_pk_value": "Choose reviewers from the list of analysts",
            "invalid_list": "Choose reviewers from the list of analysts",
        },
    )
