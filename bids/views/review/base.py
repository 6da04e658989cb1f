"""What every ``/review/`` view shares: the role check and the bid lookup."""

from django.http import Http404
from django.utils.functional import cached_property

from bids import permissions
from bids.models import Bid


def is_review_user(user) -> bool:
    """Analysts and approvers work under /review/."""
    return permissions.is_analyst(user) or permissions.is_approver(user)


class CaseworkerMixin:
    """Analysts and approvers only. Anyone else signed in (a PCC office user, an account with no
    role) gets 404, so the workspace does not even admit it exists; anonymous visitors are sent
    to sign in by ``LoginRequiredMiddleware``."""

    def dispatch(self, request, *args, **kwargs):
        if not is_review_user(request.user):
            raise Http404("No such page.")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            is_analyst=permissions.is_analyst(self.request.user),
            is_approver=permissions.is_approver(self.request.user),
            **kwargs,
        )


class AnalystMixin(CaseworkerMixin):
    """Pages only analysts use (assign, moderate, money): approvers get 404 as well."""

    def dispatch(self, request, *args, **kwargs):
        if is_review_user(request.user) and not permissions.is_analyst(request.user):
            raise Http404("No such page.")
        return super().dispatch(request, *args, **kwargs)


class ApproverMixin(CaseworkerMixin):
    """Pages only approvers use (decisions): analysts get 404 as well."""

    def dispatch(self, request, *args, **kwargs):
        if is_review_user(request.user) and not permissions.is_approver(request.user):
            raise Http404("No such page.")
        return super().dispatch(request, *args, **kwargs)


class ReviewBidMixin(CaseworkerMixin):
    """A submitted bid, from the ``reference`` in the URL. Drafts are the PCC office's own
    work until submitted, so they answer 404 here."""

    def get_bid_queryset(self):
        return Bid.objects.exclude(status=Bid.Status.DRAFT).select_related(
            "round__fund", "lead_force__region", "spend_category", "collaboration"
        )

    @cached_property
    def bid(self) -> Bid:
        try:
            return self.get_bid_queryset().get(reference=self.kwargs["reference"])
        except Bid.DoesNotExist:
            raise Http404("No submitted bid has that reference.") from None

    def get_context_data(self, **kwargs):
        return super().get_context_data(bid=self.bid, **kwargs)
