"""The open-data page and the 360Giving file."""

from django.http import Http404
from django.urls import path


def open_data(request, **kwargs):
    raise Http404


def giving360(request, **kwargs):
    raise Http404


urlpatterns = [
    path("open-data/", open_data, name="open_data"),
    path("open-data/360giving.json", giving360, name="giving360"),
]
