"""What counts as the database being unavailable, and how such an outage is logged.

Kept apart from the middleware, which needs the apps loaded: logging is configured first.
"""

import logging

from django.db import DatabaseError, InterfaceError, OperationalError


def is_database_unavailable(exception: BaseException | None) -> bool:
    """Whether ``exception`` says the database could not do the work now, rather than that the
    code asked for something wrong: connection refused or lost, the server shutting down or
    starting up, a statement cancelled. Trying again later is the right advice for all of them.
    """
    if isinstance(exception, OperationalError | InterfaceError):
        return True
    # psycopg2 reports some connections lost mid-conversation as a plain DatabaseError
    # ("server closed the connection unexpectedly", "error with status PGRES_TUPLES_OK and no
    # message from the libpq"): the server never answered, so the error has no SQLSTATE, which
    # an error in the query itself always has.
    cause = getattr(exception, "__cause__", None)
    return type(exception) is DatabaseError and getattr(cause, "pgcode", "") is None


class OutageLogFilter(logging.Filter):
    """Log a 503 for a database outage as one line, without the traceback Django attaches.

    An outage answered before any view ran reaches ``fundtracker.views.server_error`` as an
    exception, and Django logs the 503 with it; hundreds of identical tracebacks during a
    restart would hide a real fault logged beside them.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        exc_info = record.exc_info
        outage = exc_info and is_database_unavailable(exc_info[1])
        if getattr(record, "status_code", None) == 503 and outage:
            record.msg = f"{record.msg} (database unavailable: %s)"
            record.args = (*record.args, str(exc_info[1]).strip())
            record.exc_info = record.exc_text = None
        return True
