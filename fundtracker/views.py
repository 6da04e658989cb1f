"""Pages that belong to the service as a whole: home, health check and error pages."""

import sys

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.db.utils import DatabaseError
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from bids.models import Envelope, FundingRound, Tranche
from fundtracker.cache import cache_public
from fundtracker.middleware import (
    RETRY_AFTER_SECONDS,
    is_database_unavailable,
    unavailable_response,
)

# The first Police Transformation Fund round, the one the public record reports most.
FIRST_PTF_YEAR = 2016


@login_not_required
@cache_public
@require_safe
def home(request):
    """Headline figures of the published results, the latest round and the ways in."""
    rounds = list(
        FundingRound.objects.published()
        .select_related("fund")
        .order_by("-results_published_at", "name")
    )
    first_round = next(
        (
            r
            for r in reversed(rounds)
            if r.first_financial_year == FIRST_PTF_YEAR and r.fund.code == "PTF"
        ),
        None,
    )
    context = {
        "totals": Tranche.objects.published().totals(),
        "set_aside": Envelope.objects.published().total(),
        "latest_round": rounds[0] if rounds else None,
        "first_round": first_round,
        "rounds": rounds,
        "open_rounds": FundingRound.objects.open(),
    }
    return render(request, "home.html", context)


@login_not_required
@never_cache
@require_safe
def healthz(request):
    """200 when the database answers a trivial query, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        response = HttpResponse("database unavailable\n", status=503, content_type="text/plain")
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return HttpResponse("ok\n", content_type="text/plain")


@login_not_required
def bad_request(request, exception=None):
    return render(request, "400.html", status=400)


@login_not_required
def permission_denied(request, exception=None):
    return render(request, "403.html", {"reason": str(exception or "")}, status=403)


@login_not_required
def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


@login_not_required
def server_error(request):
    # Django calls this while handling the exception, so it is still in flight. An outage met
    # before any view ran (a middleware loading the session's user or checking the second
    # factor) is not an error in the service: answer it as the view's own would be, 503.
    if is_database_unavailable(sys.exc_info()[1]):
        return unavailable_response(request)
    return render(request, "500.html", status=500)
