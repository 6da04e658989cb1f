"""Review pages about one bid: the bid, reviewers, interests, scoring, questions."""

from django.http import Http404
from django.urls import path


def bid(request, **kwargs):
    raise Http404


def bid_pdf(request, **kwargs):
    raise Http404


def document(request, **kwargs):
    raise Http404


def assign(request, **kwargs):
    raise Http404


def declare_interests(request, **kwargs):
    raise Http404


def score(request, **kwargs):
    raise Http404


def clarification_ask(request, **kwargs):
    raise Http404


urlpatterns = [
    path("bids/<str:reference>/", bid, name="bid"),
    path("bids/<str:reference>/bid.pdf", bid_pdf, name="bid_pdf"),
    path("bids/<str:reference>/documents/<int:pk>/", document, name="document"),
    path("bids/<str:reference>/reviewers/", assign, name="assign"),
    path("bids/<str:reference>/review/interests/", declare_interests, name="declare_interests"),
    path("bids/<str:reference>/review/", score, name="score"),
    path("bids/<str:reference>/questions/new/", clarification_ask, name="clarification_ask"),
]
