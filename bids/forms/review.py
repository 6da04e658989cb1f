"""Forms of the review workspace's bid pages: reviewers, interests, scores and questions.

Each validates what the user typed and hands it to one service, which has the last word on
whether the bid's state allows it.
"""

import re

from django import forms
from django.contrib.auth.models import User

from bids.models import Criterion, Review
from bids.timeline import distinct_names, person_name


class ReviewForm(forms.Form):
    # GOV.UK forms validate on the server only: the browser's own messages are not ours.
    use_required_attribute = False


class NeededToSubmit:
    """A field a submitted review needs and a draft does not: shown without "(optional)", and
    never refused for being empty here (``ScoreForm.clean`` asks for it on submission)."""

    def validate(self, value):
        if value in self.empty_values:
            return
        super().validate(value)


class JustificationField(NeededToSubmit, forms.CharField):
    pass


class RecommendationField(NeededToSubmit, forms.ChoiceField):
    pass


class ReviewerChoices(forms.models.ModelChoiceIterator):
    """The analysts, each labelled with a name no other of them shares (``distinct_names``),
    from the one fetch of the list."""

    def __iter__(self):
        users = list(self.queryset)
        names = distinct_names(users)
        for user in users:
            value = forms.models.ModelChoiceIteratorValue(self.field.prepare_value(user), user)
            yield value, names[user.pk]


class ReviewerChoiceField(forms.ModelMultipleChoiceField):
    iterator = ReviewerChoices
    labels_from_the_list = True

    def label_from_instance(self, user):
        return person_name(user)


class AssignReviewersForm(ReviewForm):
    reviewers = ReviewerChoiceField(
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        label="Who should review this bid?",
        help_text="Select all that apply. Each reviewer scores the bid on their own.",
        error_messages={
            "required": "Select at least one analyst to review the bid",
            "invalid_choice": "Select analysts from the list",
            "invalid_pk_value": "Select analysts from the list",
        },
    )

    def __init__(self, *args, analysts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewers"].queryset = analysts


class DeclareInterestsForm(ReviewForm):
    has_conflict = forms.TypedChoiceField(
        label="Do you have a conflict of interest with this bid?",
        help_text=(
            "For example, you worked for one of the forces in the bid, you advised on it, or "
            "someone close to you would gain from it."
        ),
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select yes if you have a conflict of interest with this bid",
            "invalid_choice": "Select yes if you have a conflict of interest with this bid",
        },
    )
    details = forms.CharField(
        label="If yes, describe the conflict of interest",
        help_text="Who or what it concerns, and how. Analysts see this when they reassign the bid.",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        error_messages={"max_length": "The description must be 5,000 characters or fewer"},
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("has_conflict") is True and not cleaned.get("details"):
            self.add_error("details", "Describe the conflict of interest")
        if cleaned.get("has_conflict") is False:
            cleaned["details"] = ""
        return cleaned


_WHOLE_NUMBER = re.compile(r"^\d+$")


class ScoreValueField(NeededToSubmit, forms.CharField):
    """A whole number from 0 to the criterion's top score; empty is ``None``."""

    def __init__(self, *, criterion: Criterion, **kwargs):
        self.criterion = criterion
        kwargs.setdefault("label", f"Score, from 0 to {criterion.max_score}")
        super().__init__(**kwargs)

    @property
    def _invalid_message(self) -> str:
        return (
            f"The score for {self.criterion.name} must be a whole number "
            f"from 0 to {self.criterion.max_score}"
        )

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        # A text input: type=number lets browsers change the value on scroll and accept "1e1".
        attrs.update(inputmode="numeric", spellcheck="false", autocomplete="off")
        return attrs

    def to_python(self, value):
        text = super().to_python(value).strip()
        if text in self.empty_values:
            return None
        if not _WHOLE_NUMBER.match(text) or int(text) > self.criterion.max_score:
            raise forms.ValidationError(self._invalid_message, code="invalid")
        return int(text)


class ScoreForm(ReviewForm):
    """A score and its justification for each criterion of the round, the recommendation and
    comments. A draft may leave scores out; a review being submitted needs them all, the
    recommendation and the reviewer's confirmation that it is final."""

    recommendation = RecommendationField(
        label="Your recommendation",
        choices=Review.Recommendation.choices,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Select a recommendation from the list"},
    )
    comments = forms.CharField(
        label="Comments",
        help_text="Anything the moderator and the funding panel should know, such as conditions "
        "you would attach to funding.",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=10000,
        error_messages={"max_length": "Comments must be 10,000 characters or fewer"},
    )
    confirm = forms.BooleanField(
        label="I understand that I cannot change my review once I submit it",
        required=False,
    )

    def __init__(self, *args, criteria, submitting: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        self.submitting = submitting
        for criterion in self.criteria:
            self.fields[self.score_name(criterion)] = ScoreValueField(criterion=criterion)
            self.fields[self.justification_name(criterion)] = JustificationField(
                label="Justification",
                widget=forms.Textarea(attrs={"rows": 4}),
                max_length=5000,
                error_messages={
                    "max_length": f"The justification for {criterion.name} must be 5,000 "
                    "characters or fewer"
                },
            )
        names = []
        for criterion in self.criteria:
            names += [self.score_name(criterion), self.justification_name(criterion)]
        self.order_fields([*names, "recommendation", "comments", "confirm"])

    @staticmethod
    def score_name(criterion: Criterion) -> str:
        return f"score_{criterion.pk}"

    @staticmethod
    def justification_name(criterion: Criterion) -> str:
        return f"justification_{criterion.pk}"

    def blocks(self) -> list[tuple[Criterion, forms.BoundField, forms.BoundField]]:
        """Each criterion with its score and justification fields, for the template."""
        return [
            (c, self[self.score_name(c)], self[self.justification_name(c)]) for c in self.criteria
        ]

    def clean(self):
        cleaned = super().clean()
        for criterion in self.criteria:
            score_name = self.score_name(criterion)
            if score_name in self.errors:
                continue
            value = cleaned.get(score_name)
            justification = cleaned.get(self.justification_name(criterion), "")
            if value is not None and not justification:
                self.add_error(
                    self.justification_name(criterion),
                    f"Give a justification for your score for {criterion.name}",
                )
            elif value is None and (justification or self.submitting):
                self.add_error(
                    score_name,
                    f"Enter a score for {criterion.name}"
                    + ("" if self.submitting else " to save its justification"),
                )
        if self.submitting:
            if not cleaned.get("recommendation"):
                self.add_error(
                    "recommendation",
                    "Select your recommendation: fund, fund with conditions or do not fund",
                )
            if not cleaned.get("confirm"):
                self.add_error("confirm", "Confirm that your review is final to submit it")
        return cleaned

    def scores(self) -> dict[int, tuple[int, str]]:
        """The scores given, as the services take them: criterion id → (value, justification)."""
        scores = {}
        for criterion in self.criteria:
            value = self.cleaned_data.get(self.score_name(criterion))
            if value is not None:
                justification = self.cleaned_data[self.justification_name(criterion)]
                scores[criterion.pk] = (value, justification)
        return scores


class ClarificationAskForm(ReviewForm):
    question = forms.CharField(
        label="Your question",
        help_text="The lead force's PCC office answers it. The bid is paused until it does.",
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=5000,
        error_messages={
            "required": "Enter your question for the PCC office",
            "max_length": "The question must be 5,000 characters or fewer",
        },
    )
