"""Public profiles: forces, regions, collaborations, categories and awards."""

from django.http import Http404
from django.urls import path


def force_list(request, **kwargs):
    raise Http404


def force_detail(request, **kwargs):
    raise Http404


def region_list(request, **kwargs):
    raise Http404


def region_detail(request, **kwargs):
    raise Http404


def collaboration_detail(request, **kwargs):
    raise Http404


def category_list(request, **kwargs):
    raise Http404


def category_detail(request, **kwargs):
    raise Http404


def award_list(request, **kwargs):
    raise Http404


def award_detail(request, **kwargs):
    raise Http404


urlpatterns = [
    path("forces/", force_list, name="force_list"),
    path("forces/<slug:slug>/", force_detail, name="force_detail"),
    path("regions/", region_list, name="region_list"),
    path("regions/<slug:slug>/", region_detail, name="region_detail"),
    path("collaborations/<slug:slug>/", collaboration_detail, name="collaboration_detail"),
    path("categories/", category_list, name="category_list"),
    path("categories/<slug:slug>/", category_detail, name="category_detail"),
    path("awards/", award_list, name="award_list"),
    path("awards/<str:reference>/", award_detail, name="award_detail"),
]
