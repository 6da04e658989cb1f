"""A short answer while the database cannot be reached, rather than an error page.

When PostgreSQL restarts, fails over or refuses connections, every request that needs it raises
``OperationalError`` or ``InterfaceError``. Each one would otherwise end as a 500 "problem with
the service" page, logged as a fault in the code. ``DatabaseUnavailableMiddleware`` answers
those requests with 503 and a ``Retry-After`` header instead: a plain page for people, the API's
JSON error for ``/api/``. Nothing in the answer touches the database, so it cannot fail in turn.

Nothing is half-written by such a request: every service runs in one transaction, which the
database rolls back when the connection goes. Django closes a connection that failed at the end
of the request, and with ``CONN_HEALTH_CHECKS`` a persistent connection is checked before it is
reused, so the service recovers by itself once the database is back.
"""

import logging

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpResponse, HttpResponseBadRequest
from django.template.loader import render_to_string

from bids import api
from fundtracker.outage import is_database_unavailable

logger = logging.getLogger(__name__)

# Long enough for a restart or a fail-over to finish, short enough for people to come back.
RETRY_AFTER_SECONDS = 30
API_PREFIX = "/api/"
API_MESSAGE = "The service cannot reach its database just now. Try again in a minute."


def unavailable_response(request) -> HttpResponse:
    """503 that needs neither the database nor the request's user, session or messages."""
    if request.path.startswith(API_PREFIX):
        response = api.ApiError([(None, API_MESSAGE)], status=503).response()
    else:
        # Rendered without the request, so no context processor runs.
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """Turn a failure to reach the database into 503 and a plain page.

    It answers for the view and for the look-up of the signed-in user, so it goes before
    ``LoginRequiredMiddleware``, whose own look-up would come first otherwise. Its 503 passes
    back through every middleware, which add their headers as to any answer. With DEBUG on it
    steps aside: a developer wants the traceback, which names the real cause (such as a missing
    table on SQLite).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # The session's user is usually the request's first query, made by the middleware
        # that checks sign-in; Django would answer a failure there with a logged 500. Looking
        # the user up here first, where a failure can be caught, makes it the 503 it is.
        user = getattr(request, "user", None)
        if user is None or settings.DEBUG:
            return None
        try:
            user.is_authenticated  # noqa: B018 - loads the user from the session
        except DatabaseError as error:
            if not is_database_unavailable(error):
                raise
            return self.process_exception(request, error)
        return None

    def process_exception(self, request, exception):
        if settings.DEBUG or not is_database_unavailable(exception):
            return None
        logger.warning("Database unavailable, answered 503 to %s: %s", request.path, exception)
        return unavailable_response(request)


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
