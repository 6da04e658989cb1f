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
import sys

from django.conf import settings
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string

from bids import api

logger = logging.getLogger(__name__)

# Long enough for a restart or a fail-over to finish, short enough for people to come back.
RETRY_AFTER_SECONDS = 30
API_PREFIX = "/api/"
API_MESSAGE = "The service cannot reach its database just now. Try again in a minute."
# Set on the request when a database failure outside the view became Django's 500 answer.
FLAG = "_fundtracker_database_unavailable"


def is_database_unavailable(exception: BaseException | None) -> bool:
    """Whether ``exception`` says the database could not do the work now, rather than that the
    code asked for something wrong: connection refused or lost, the server shutting down or
    starting up, a statement cancelled. Trying again later is the right advice for all of them.
    """
    return isinstance(exception, OperationalError | InterfaceError)


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


def _note_database_failure(sender, request=None, **kwargs):
    # Django sends this signal while it turns an exception raised outside the view (loading
    # the session to find the user, saving it afterwards) into its 500 answer; the exception
    # is the one being handled. The middleware reads the note on the way out.
    if request is not None and is_database_unavailable(sys.exc_info()[1]):
        setattr(request, FLAG, True)


got_request_exception.connect(_note_database_failure, dispatch_uid="fundtracker-database-down")


class DatabaseUnavailableMiddleware:
    """Turn a failure to reach the database into 503 and a plain page.

    Put it before every middleware that may query the database (sessions, authentication,
    messages) and after those that only add headers, so that the 503 carries them. With DEBUG
    on it steps aside: a developer wants the traceback, which names the real cause (such as a
    missing table on SQLite).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, FLAG, False) and not settings.DEBUG:
            return unavailable_response(request)
        return response

    def process_exception(self, request, exception):
        if settings.DEBUG or not is_database_unavailable(exception):
            return None
        logger.warning("Database unavailable, answered 503 to %s: %s", request.path, exception)
        return unavailable_response(request)
