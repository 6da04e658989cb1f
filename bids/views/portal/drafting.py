"""Drafting a bid: start it, answer each section of the task list, check the answers, submit.

Every section saves on its own through the services; an answer the bid still lacks is for the
check page to list, not for the section to refuse.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.views.generic import FormView, TemplateView

from bids import permissions, services
from bids.drafting import SECTION_ORDER, SECTION_URLS, task_statuses
from bids.forms import drafting as forms
from bids.models import Bid, FundingRound
from bids.views.portal.base import BidMixin, DraftMixin, OfficeMixin, bid_answers_context

TEMPLATES = "bids/portal/drafting"


def _refusals(error: Exception) -> list[str]:
    """What a service said when it refused, as messages for the error summary."""
    if isinstance(error, services.WorkflowError):
        return error.messages
    return [str(error)]


class ServiceFormMixin:
    """``form_valid`` calls ``save``; a refusal from a service shows as the form's errors and
    the page is shown again, so a write that fails changes nothing and never ends in a 500."""

    def form_valid(self, form):
        try:
            with transaction.atomic():
                response = self.save(form)
        except (services.WorkflowError, PermissionDenied) as error:
            for message in _refusals(error):
                form.add_error(None, message)
            return self.form_invalid(form)
        return response

    def save(self, form):
        raise NotImplementedError


class StartView(OfficeMixin, ServiceFormMixin, FormView):
    """Choose an open round and a title: the draft is created for the user's own force."""

    template_name = f"{TEMPLATES}/start.html"
    form_class = forms.StartBidForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "rounds": FundingRound.objects.open()}

    def get_initial(self):
        # Links from a round (the portal's home page) name it: ?round=<slug>.
        slug = self.request.GET.get("round")
        if not slug:
            return {}
        chosen = FundingRound.objects.open().filter(slug=slug).values_list("pk", flat=True).first()
        return {"round": chosen} if chosen else {}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["rounds"] = list(context["form"].fields["round"].queryset)
        return context

    def save(self, form):
        bid = services.bid_create(
            funding_round=form.cleaned_data["round"],
            lead_force=self.office_force,
            title=form.cleaned_data["title"],
            by=self.request.user,
        )
        return redirect("portal:task_list", reference=bid.reference)


class TaskListView(DraftMixin, TemplateView):
    template_name = f"{TEMPLATES}/task_list.html"

    def get_bid_queryset(self):
        return (
            super()
            .get_bid_queryset()
            .prefetch_related("funding_lines", "partner_forces", "documents")
        )

    def get_context_data(self, **kwargs):
        funding_round = self.bid.round
        closes = timezone.localtime(funding_round.closes_at)
        return super().get_context_data(
            progress=task_statuses(self.bid),
            closes_at=closes,
            days_left=(closes.date() - timezone.localdate()).days,
            round_open=funding_round.is_open(),
            round_closed=closes <= timezone.now()
            or funding_round.status in {funding_round.Status.CLOSED, funding_round.Status.DECIDED},
            **kwargs,
        )


class SectionView(DraftMixin, ServiceFormMixin, FormView):
    """A question page of the task list: Save and continue returns to the task list."""

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "bid": self.bid}

    def get_success_url(self):
        return reverse("portal:task_list", kwargs={"reference": self.bid.reference})

    def done(self):
        return redirect(self.get_success_url())


class AboutView(SectionView):
    template_name = f"{TEMPLATES}/about.html"
    form_class = forms.AboutForm

    def save(self, form):
        services.bid_update(bid=self.bid, by=self.request.user, **form.cleaned_data)
        return self.done()


class InvolvedView(SectionView):
    """The collaboration and the partner forces. Adding or removing a partner comes back here;
    Save and continue goes to the task list."""

    template_name = f"{TEMPLATES}/involved.html"
    form_class = forms.InvolvedForm

    def get_bid_queryset(self):
        return super().get_bid_queryset().prefetch_related("partner_forces")

    def get_form_kwargs(self):
        collaborations = self.office_force.collaborations.prefetch_related("members").order_by(
            "name"
        )
        return {
            **super().get_form_kwargs(),
            "collaborations": collaborations,
            "partners": self.bid.partner_forces.all(),
        }

    def get_context_data(self, **kwargs):
        form = kwargs.setdefault("form", self.get_form())
        return super().get_context_data(
            collaborations=list(form.collaborations.values()),
            partners=form.partners,
            **kwargs,
        )

    def save(self, form):
        data = form.cleaned_data
        partners = form.new_partners()
        if data["action"] != "remove":
            services.bid_update(
                bid=self.bid, by=self.request.user, collaboration=data["collaboration"]
            )
        services.bid_set_partners(bid=self.bid, partners=partners, by=self.request.user)
        if data["action"] == "save":
            return self.done()
        before = {force.pk for force in form.partners}
        after = {force.pk for force in partners}
        if data["action"] == "remove":
            messages.success(self.request, f"{data['remove']} is no longer a partner force.")
        elif added := sorted(force.name for force in partners if force.pk not in before):
            messages.success(self.request, f"Added as partner forces: {', '.join(added)}.")
        elif before == after:
            messages.info(self.request, "No partner force was added.")
        return redirect("portal:involved", reference=self.bid.reference)


class FundingView(SectionView):
    template_name = f"{TEMPLATES}/funding.html"
    form_class = forms.FundingForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "funding_lines": self.funding_lines}

    @property
    def funding_lines(self):
        if not hasattr(self, "_funding_lines"):
            self._funding_lines = list(self.bid.funding_lines.all())
        return self._funding_lines

    def get_context_data(self, **kwargs):
        bid = self.bid
        return super().get_context_data(
            funding_lines=self.funding_lines,
            total_cost=bid.requested_total + bid.local_match_contribution,
            **kwargs,
        )

    def save(self, form):
        services.bid_set_funding_profile(bid=self.bid, amounts=form.amounts(), by=self.request.user)
        services.bid_update(
            bid=self.bid,
            by=self.request.user,
            local_match_contribution=form.cleaned_data["local_match_contribution"] or 0,
        )
        return self.done()


class SignOffsView(SectionView):
    template_name = f"{TEMPLATES}/signoffs.html"
    form_class = forms.SignOffsForm

    def save(self, form):
        services.bid_update(bid=self.bid, by=self.request.user, **form.cleaned_data)
        return self.done()


class CheckView(DraftMixin, ServiceFormMixin, FormView):
    """Every answer with change links; what is missing, each linked to where to fix it; and,
    only when nothing is, the declaration and the Submit button."""

    template_name = f"{TEMPLATES}/check.html"
    form_class = forms.DeclarationForm

    def get_bid_queryset(self):
        return (
            super()
            .get_bid_queryset()
            .prefetch_related("funding_lines", "partner_forces", "documents")
        )

    def get_context_data(self, **kwargs):
        bid = self.bid
        problems = [
            {
                "text": problem.message,
                "href": reverse(SECTION_URLS[problem.section], args=[bid.reference])
                if problem.section in SECTION_URLS
                else "",
            }
            for problem in sorted(
                services.bid_submission_problems(bid), key=lambda p: SECTION_ORDER[p.section]
            )
        ]
        return super().get_context_data(
            **bid_answers_context(bid),
            documents=list(bid.documents.all()),
            problems=problems,
            change_links=True,
            **kwargs,
        )

    def save(self, form):
        bid = services.bid_submit(bid=self.bid, by=self.request.user)
        return redirect("portal:submitted", reference=bid.reference)


class SubmittedView(BidMixin, TemplateView):
    """The confirmation, for the office that submitted the bid, while it is submitted."""

    template_name = f"{TEMPLATES}/submitted.html"

    def get(self, request, *args, **kwargs):
        bid = self.bid
        if bid.status != Bid.Status.SUBMITTED or not permissions.is_office_of(request.user, bid):
            raise Http404("No submitted bid of your office has that reference.")
        return super().get(request, *args, **kwargs)


urlpatterns = [
    path("bids/start/", StartView.as_view(), name="start"),
    path("bids/<str:reference>/draft/", TaskListView.as_view(), name="task_list"),
    path("bids/<str:reference>/draft/about/", AboutView.as_view(), name="about"),
    path("bids/<str:reference>/draft/involved/", InvolvedView.as_view(), name="involved"),
    path("bids/<str:reference>/draft/funding/", FundingView.as_view(), name="funding"),
    path("bids/<str:reference>/draft/sign-offs/", SignOffsView.as_view(), name="signoffs"),
    path("bids/<str:reference>/draft/check/", CheckView.as_view(), name="check"),
    path("bids/<str:reference>/submitted/", SubmittedView.as_view(), name="submitted"),
]
