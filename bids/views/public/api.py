"""The read-only JSON API (design section 6) and its OpenAPI document.

Open data for anyone: no sign-in, any web page may read it (``Access-Control-Allow-Origin: *``),
and answers are cached like the public pages. Only GET and HEAD are answered; anything else,
and any bad parameter, gets a JSON error naming what is wrong, never an HTML page.
"""

import functools

from django.contrib.auth.decorators import login_not_required
from django.urls import path, reverse
from django.views.decorators.csrf import csrf_exempt

from bids import api
from bids import openapi as openapi_document
from fundtracker.cache import cache_public


def api_view(view):
    """Answer GET and HEAD only, from the public cache, turning ``ApiError`` into its JSON
    answer.

    CSRF checks are off because nothing here changes anything: a POST gets the API's own 405
    answer rather than Django's HTML 403 page.
    """
    cached = cache_public(view)

    @login_not_required
    @csrf_exempt
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            response = api.ApiError(
                [(None, f"The API is read-only: use GET, not {request.method}.")], status=405
            ).response()
            response["Allow"] = "GET, HEAD"
            return response
        try:
            return cached(request, *args, **kwargs)
        except api.ApiError as error:
            return error.response()

    return wrapped


@api_view
def root(request):
    """A small index of the API: its endpoints, its OpenAPI document and its licence."""
    absolute = request.build_absolute_uri
    return api.json_response(
        {
            "name": "Police funding tracker API",
            "version": "v1",
            "description": "Published awards of the Police Transformation Fund and the funds "
            "before it, and the money allocated, paid and spent. Read-only.",
            "licence": {"name": api.LICENCE_NAME, "url": api.LICENCE_URL},
            "documentation": absolute(reverse("public:open_data")),
            "openapi": absolute(reverse("api:openapi")),
            "endpoints": {
                "awards": {
                    "url": absolute(reverse("api:awards")),
                    "description": "Published awards with their yearly tranches, one page at "
                    "a time.",
                },
                "allocations": {
                    "url": absolute(reverse("api:allocations")),
                    "description": "Money set aside, allocated, paid and spent, totalled by "
                    "spend category, force, region or financial year.",
                },
            },
        }
    )


@api_view
def awards(request):
    """Published awards with a tranche the filters keep, a page at a time."""
    values, filterset = api.parse(request.GET, api.AWARDS_PARAMETERS)
    return api.json_response(api.awards_json(request, values, filterset))


@api_view
def allocations(request):
    """Money set aside, allocated, paid and spent, one row per ``group_by`` value."""
    values, filterset = api.parse(request.GET, api.ALLOCATIONS_PARAMETERS)
    return api.json_response(api.allocations_json(values["group_by"], filterset))


@api_view
def openapi(request):
    """The OpenAPI 3.1 document of the API, built from the parameters the views check."""
    return api.json_response(openapi_document.document(request))


urlpatterns = [
    path("", root, name="root"),
    path("awards/", awards, name="awards"),
    path("allocations/", allocations, name="allocations"),
    path("openapi.json", openapi, name="openapi"),
]
