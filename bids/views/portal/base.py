"""What every portal view shares: the office check and the bid lookup scoped to the office."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.utils.functional import cached_property

from bids import permissions
from bids.models import Bid
from forces.models import Force


class OfficeMixin:
    """The portal is for members of a PCC office; anyone else is told so (403)."""

    def dispatch(self, request, *args, **kwargs):
        if permissions.office_force_id(request.user) is None:
            raise PermissionDenied(
                "The portal is for police and crime commissioners' offices. Ask an "
                "administrator to link your account to your force's office."
            )
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def office_force(self) -> Force:
        return self.request.user.office.force

    def get_context_data(self, **kwargs):
        return super().get_context_data(office_force=self.office_force, **kwargs)


class BidMixin(OfficeMixin):
    """A bid of the user's office, from the ``reference`` in the URL.

    Bids the office may not see answer 404, never 403, so a reference says nothing about
    another force's work.
    """

    bid_queryset_method = "for_office"

    def get_bid_queryset(self):
        return getattr(Bid.objects, self.bid_queryset_method)(self.request.user).select_related(
            "round__fund", "lead_force", "spend_category", "collaboration"
        )

    @cached_property
    def bid(self) -> Bid:
        try:
            return self.get_bid_queryset().get(reference=self.kwargs["reference"])
        except Bid.DoesNotExist:
            raise Http404("No bid of your office has that reference.") from None

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            bid=self.bid,
            can_edit=permissions.can_edit_bid(self.request.user, self.bid),
            is_lead_office=permissions.is_office_of(self.request.user, self.bid),
            **kwargs,
        )


class DraftMixin(BidMixin):
    """Pages that change a draft: only the lead force's office, only while it is a draft.

    The office's own bid that has moved on is shown read-only instead; anything else is 404.
    """

    def dispatch(self, request, *args, **kwargs):
        if permissions.office_force_id(request.user) is not None and not permissions.can_edit_bid(
            request.user, self.bid
        ):
            messages.info(
                request,
                f"Bid {self.bid.reference} is {self.bid.get_status_display().lower()}, "
                "so it can no longer be changed.",
            )
            return redirect("portal:bid", reference=self.bid.reference)
        return super().dispatch(request, *args, **kwargs)


def bid_answers_context(bid: Bid) -> dict:
    """What ``bids/includes/bid_answers.html`` shows besides the bid itself (two queries)."""
    return {
        "funding_lines": list(bid.funding_lines.all()),
        "requested_total": bid.requested_total,
        "partners": list(bid.partner_forces.order_by("name")),
    }
