"""Review pages for the money after an award: tranches, payments, spend returns."""

from django.http import Http404
from django.urls import path


def awards(request, **kwargs):
    raise Http404


def award(request, **kwargs):
    raise Http404


def tranche_status(request, **kwargs):
    raise Http404


def payment_record(request, **kwargs):
    raise Http404


def spend_returns(request, **kwargs):
    raise Http404


def spend_return_verify(request, **kwargs):
    raise Http404


urlpatterns = [
    path("awards/", awards, name="awards"),
    path("awards/<str:reference>/", award, name="award"),
    path("awards/<str:reference>/<int:year>/status/", tranche_status, name="tranche_status"),
    path("awards/<str:reference>/<int:year>/payments/new/", payment_record, name="payment_record"),
    path("spend-returns/", spend_returns, name="spend_returns"),
    path("spend-returns/<int:pk>/", spend_return_verify, name="spend_return_verify"),
]
