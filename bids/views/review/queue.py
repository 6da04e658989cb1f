"""Review pages: the queue of bids, its CSV export and batch assignment."""

from django.http import Http404
from django.urls import path


def queue(request, **kwargs):
    raise Http404


def queue_csv(request, **kwargs):
    raise Http404


def assign_batch(request, **kwargs):
    raise Http404


urlpatterns = [
    path("", queue, name="queue"),
    path("bids.csv", queue_csv, name="queue_csv"),
    path("assign/", assign_batch, name="assign_batch"),
]
