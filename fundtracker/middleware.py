"""Middleware of the project's own."""

from django.http import HttpResponseBadRequest


class RefuseNulInPathMiddleware:
    """A path holding a NUL (``%00``) is answered 400 before any view sees it.

    No address of the service has one, and a view that looked one up (a bid's reference, a
    slug) would hand it to PostgreSQL, which cannot compare text holding a NUL and fails the
    request with an error instead of a "not found".
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path:
            return HttpResponseBadRequest(
                "This address has a null character (%00) in it, so it cannot be found.\n",
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)
