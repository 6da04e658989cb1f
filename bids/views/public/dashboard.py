"""Public allocation dashboard, its CSV and its PDF report."""

from django.http import Http404
from django.urls import path


def allocations(request, **kwargs):
    raise Http404


def allocations_csv(request, **kwargs):
    raise Http404


def allocations_pdf(request, **kwargs):
    raise Http404


urlpatterns = [
    path("allocations/", allocations, name="allocations"),
    path("allocations.csv", allocations_csv, name="allocations_csv"),
    path("allocations/report.pdf", allocations_pdf, name="allocations_pdf"),
]
