"""Review pages of the panel: rounds, moderation, funding line, decisions, publication."""

from django.http import Http404
from django.urls import path


def rounds(request, **kwargs):
    raise Http404


def round(request, **kwargs):
    raise Http404


def round_publish(request, **kwargs):
    raise Http404


def funding_line(request, **kwargs):
    raise Http404


def funding_line_csv(request, **kwargs):
    raise Http404


def panel_pack(request, **kwargs):
    raise Http404


def decide_batch(request, **kwargs):
    raise Http404


def moderate(request, **kwargs):
    raise Http404


def decide(request, **kwargs):
    raise Http404


urlpatterns = [
    path("rounds/", rounds, name="rounds"),
    path("rounds/<slug:slug>/", round, name="round"),
    path("rounds/<slug:slug>/publish/", round_publish, name="round_publish"),
    path("rounds/<slug:slug>/funding-line/", funding_line, name="funding_line"),
    path("rounds/<slug:slug>/funding-line.csv", funding_line_csv, name="funding_line_csv"),
    path("rounds/<slug:slug>/panel-pack.pdf", panel_pack, name="panel_pack"),
    path("rounds/<slug:slug>/decisions/", decide_batch, name="decide_batch"),
    path("bids/<str:reference>/moderation/", moderate, name="moderate"),
    path("bids/<str:reference>/decision/", decide, name="decide"),
]
