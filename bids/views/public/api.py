"""The read-only JSON API (design section 6) and its OpenAPI document."""

from django.http import Http404
from django.urls import path


def root(request, **kwargs):
    raise Http404


def awards(request, **kwargs):
    raise Http404


def allocations(request, **kwargs):
    raise Http404


def openapi(request, **kwargs):
    raise Http404


urlpatterns = [
    path("", root, name="root"),
    path("awards/", awards, name="awards"),
    path("allocations/", allocations, name="allocations"),
    path("openapi.json", openapi, name="openapi"),
]
