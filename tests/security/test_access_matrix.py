"""Who gets what from every URL of the service (design §5, deny by default).

``MATRIX`` has one entry for every named URL pattern outside the admin: how to build its URL for
an object in a given state, which states matter, and what each role must get. The admin is one
family, sampled. ``test_every_url_pattern_has_an_entry`` walks the URL configuration, so a new
page without an entry fails the suite with its name; ``test_access`` then asks each page, as
each role, for each state, and no answer may be a 500 (the test client raises).

The rules, from design §5 and the scope tests of each workspace:

- Anonymous visitors are sent to sign in everywhere but the public pages, the API and the
  sign-in and password-reset pages.
- The portal is for PCC offices: anyone signed in without an office is told so (403). An
  office sees the bids its force leads and, once submitted, those where it is a partner;
  any other reference is 404, never 403. Draft pages of a bid that is no longer a draft, or
  that the office only partners in, send it to the bid's read-only page.
- The review workspace is for analysts and approvers; anyone else signed in gets 404. Drafts
  are 404 there. Analysts' pages are 404 to approvers and the approvers' to analysts; a
  reviewer's own pages are 404 to anyone not assigned to the bid; the moderation sheet, which
  shows every review, is 404 to an assigned reviewer who has not submitted a review (a
  conflicted reviewer never does).
- Public pages answer the same to everyone, and show only published results.
- The admin is for staff; anyone else is sent to the admin's sign-in page.

A new page gets an ``Entry`` in ``MATRIX`` under its ``namespace:name`` (its route when it has
no name): a function building its URL for a state, the rule saying what each role gets
(``public()``, ``signed_in()``, ``portal(...)``, ``review(...)`` and the rules they take),
the states that matter (``BID_STATES``, ``ROUND_STATES``… from ``conftest.py``, which builds
the objects) and ``writes=True`` when a POST to it changes something.
"""

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls import resolve as url_resolve

from bids import services
from bids.models import (
    Award,
    Bid,
    BidEvent,
    Clarification,
    Document,
    FundingLine,
    FundingRound,
    Payment,
    Review,
    Score,
    SpendReturn,
    Tranche,
)
from tests.security.conftest import (
    APPROVED_STATES,
    BID_STATES,
    CLARIFIED_STATES,
    REVIEWED_STATES,
    ROLES,
    ROUND_STATES,
)

pytestmark = pytest.mark.django_db

LOGIN = "sign-in"  # 302 to the sign-in page, with ``next``
ADMIN_LOGIN = "admin sign-in"
ONE = ("-",)  # a URL with no object state

OFFICES = {"lead_office", "partner_office", "other_office"}
CASEWORKERS = {"analyst", "conflicted_reviewer", "approver"}
ANALYSTS = {"analyst", "conflicted_reviewer"}


@dataclass(frozen=True)
class Redirect:
    """302 to a page of the service other than sign-in."""

    to: Callable  # (world, state) -> path

    def __repr__(self) -> str:
        return "302 elsewhere"


Expected = int | str | Redirect


@dataclass(frozen=True)
class Entry:
    url: Callable  # (world, state) -> str
    expect: Callable  # (role, state) -> Expected
    states: tuple[str, ...] = ONE
    # A page that changes something on POST: refused roles' POSTs must change nothing.
    writes: bool = False


def ref(world, state) -> str:
    return world.bid(state).reference


def bid_url(name: str) -> Callable:
    return lambda w, s: reverse(name, args=[ref(w, s)])


def to_bid(name: str) -> Redirect:
    return Redirect(bid_url(name))


# --------------------------------------------------------------------------- role rules


def public(expected: Expected | Callable = 200) -> Callable:
    """The same answer for everyone: public pages never depend on who asks."""
    return lambda role, state: expected(state) if callable(expected) else expected


def signed_in(expected: Expected = 200) -> Callable:
    return lambda role, state: LOGIN if role == "anonymous" else expected


def portal(rule: Callable) -> Callable:
    """Anonymous → sign in; signed in without an office → 403; an office → ``rule``."""

    def expect(role, state):
        if role == "anonymous":
            return LOGIN
        if role not in OFFICES:
            return 403
        return rule(role, state)

    return expect


def office_sees(role: str, state: str) -> bool:
    """``Bid.objects.for_office``: the lead always, a partner once the bid is submitted."""
    if role == "lead_office":
        return True
    return role == "partner_office" and state != "draft"


def seen(role, state) -> Expected:
    return 200 if office_sees(role, state) else 404


def draft_page(role, state) -> Expected:
    """A page of the task list: the lead's draft; a bid it may see but not edit goes to its
    read-only page; any other is 404."""
    if not office_sees(role, state):
        return 404
    if role == "lead_office" and state == "draft":
        return 200
    return to_bid("portal:bid")


def review(rule: Callable) -> Callable:
    """Anonymous → sign in; anyone without the analyst or approver role → 404; else ``rule``."""

    def expect(role, state):
        if role == "anonymous":
            return LOGIN
        if role not in CASEWORKERS:
            return 404
        return rule(role, state)

    return expect


def home_office_staff(expected: Expected) -> Callable:
    """The second-factor pages: analysts, approvers and administrators (who must use a second
    factor); no such page for PCC offices; anonymous → sign in."""

    def expect(role, state):
        if role == "anonymous":
            return LOGIN
        return expected if role in CASEWORKERS | {"administrator"} else 404

    return expect


def caseworkers(role, state) -> Expected:
    return 200


def analysts_only(role, state) -> Expected:
    return 200 if role in ANALYSTS else 404


def approvers_only(role, state) -> Expected:
    return 200 if role == "approver" else 404


def submitted_bid(rule: Callable = caseworkers) -> Callable:
    """A review page of a bid: drafts are 404 to everyone."""
    return lambda role, state: 404 if state == "draft" else rule(role, state)


def assigned_reviewer(role, state) -> Expected:
    return 200 if role == "conflicted_reviewer" and state in REVIEWED_STATES else 404


def moderation(role, state) -> Expected:
    # Every review side by side: not for a reviewer whose own review is not in.
    if role == "conflicted_reviewer" and state in REVIEWED_STATES:
        return 404
    return analysts_only(role, state)


def has_award(rule: Callable) -> Callable:
    return lambda role, state: rule(role, state) if state in APPROVED_STATES else 404


def staff(role, state) -> Expected:
    """The admin's own pages: staff only; anyone else signed in goes to the admin's sign-in."""
    if role == "administrator":
        return 200
    # Anonymous visitors meet LoginRequiredMiddleware first, which sends them to the site's
    # sign-in; only the admin's index (login_not_required) sends them to its own.
    return LOGIN if role == "anonymous" else ADMIN_LOGIN


def staff_index(role, state) -> Expected:
    return ADMIN_LOGIN if role == "anonymous" else staff(role, state)


# --------------------------------------------------------------------------- URLs of objects


def document_url(name: str) -> Callable:
    return lambda w, s: reverse(name, args=[ref(w, s), w.documents[s].pk])


def clarification_url(w, s) -> str:
    return reverse("portal:clarification_answer", args=[ref(w, s), w.clarifications[s].pk])


def tranche_url(name: str) -> Callable:
    return lambda w, s: reverse(name, args=[ref(w, s), 2016])


def round_url(name: str) -> Callable:
    return lambda w, s: reverse(name, args=[w.rounds[s].slug])


def bad_reset_link(w, s) -> str:
    return reverse("password_reset_confirm", args=["MQ", "set-password-link-that-is-wrong"])


def admin_change(w, s) -> str:
    return reverse("admin:bids_bid_change", args=[w.bid("draft").pk])


def admin_event(w, s) -> str:
    return reverse("admin:bids_bidevent_change", args=[w.bid("draft").events.first().pk])


MATRIX: dict[str, Entry] = {
    # ------------------------------------------------------------------- the service
    "home": Entry(lambda w, s: reverse("home"), public()),
    "healthz": Entry(lambda w, s: reverse("healthz"), public()),
    # ------------------------------------------------------------------- accounts
    "login": Entry(lambda w, s: reverse("login"), public(), writes=True),
    # Signing out is a POST; GET is not an allowed method.
    "logout": Entry(lambda w, s: reverse("logout"), signed_in(405)),
    "password_change": Entry(lambda w, s: reverse("password_change"), signed_in(), writes=True),
    "password_change_done": Entry(lambda w, s: reverse("password_change_done"), signed_in()),
    "password_reset": Entry(lambda w, s: reverse("password_reset"), public(), writes=True),
    "password_reset_done": Entry(lambda w, s: reverse("password_reset_done"), public()),
    "password_reset_confirm": Entry(bad_reset_link, public(), writes=True),
    "password_reset_complete": Entry(lambda w, s: reverse("password_reset_complete"), public()),
    # With no authenticator app yet, setting one up is the page; entering a code sends there.
    "two_factor_setup": Entry(
        lambda w, s: reverse("two_factor_setup"), home_office_staff(200), writes=True
    ),
    "two_factor_verify": Entry(
        lambda w, s: reverse("two_factor_verify"),
        home_office_staff(Redirect(lambda w, s: reverse("two_factor_setup"))),
        writes=True,
    ),
    # The admin's own sign-in form is replaced by the service's.
    "admin_sign_in": Entry(lambda w, s: reverse("admin_sign_in"), public(LOGIN)),
    # ------------------------------------------------------------------- portal
    "portal:home": Entry(lambda w, s: reverse("portal:home"), portal(lambda r, s: 200)),
    "portal:start": Entry(
        lambda w, s: reverse("portal:start"), portal(lambda r, s: 200), writes=True
    ),
    "portal:task_list": Entry(bid_url("portal:task_list"), portal(draft_page), BID_STATES),
    "portal:about": Entry(bid_url("portal:about"), portal(draft_page), BID_STATES, True),
    "portal:involved": Entry(bid_url("portal:involved"), portal(draft_page), BID_STATES, True),
    "portal:funding": Entry(bid_url("portal:funding"), portal(draft_page), BID_STATES, True),
    "portal:signoffs": Entry(bid_url("portal:signoffs"), portal(draft_page), BID_STATES, True),
    "portal:check": Entry(bid_url("portal:check"), portal(draft_page), BID_STATES, True),
    "portal:submitted": Entry(
        bid_url("portal:submitted"),
        portal(lambda r, s: 200 if r == "lead_office" and s == "submitted" else 404),
        BID_STATES,
    ),
    "portal:documents": Entry(bid_url("portal:documents"), portal(seen), BID_STATES, True),
    "portal:document_download": Entry(
        document_url("portal:document_download"), portal(seen), BID_STATES
    ),
    "portal:document_delete": Entry(
        document_url("portal:document_delete"),
        portal(
            lambda r, s: (
                404
                if not office_sees(r, s)
                else 200
                if r == "lead_office" and s == "draft"
                else to_bid("portal:documents")
            )
        ),
        BID_STATES,
        True,
    ),
    "portal:bid_pdf": Entry(bid_url("portal:bid_pdf"), portal(seen), BID_STATES),
    "portal:bid": Entry(
        bid_url("portal:bid"),
        portal(
            lambda r, s: (
                to_bid("portal:task_list") if r == "lead_office" and s == "draft" else seen(r, s)
            )
        ),
        BID_STATES,
    ),
    "portal:withdraw": Entry(bid_url("portal:withdraw"), portal(seen), BID_STATES, True),
    "portal:clarification_answer": Entry(clarification_url, portal(seen), CLARIFIED_STATES, True),
    "portal:spend": Entry(bid_url("portal:spend"), portal(has_award(seen)), BID_STATES),
    "portal:spend_return": Entry(
        lambda w, s: reverse("portal:spend_return", args=[ref(w, s), 2016, 1]),
        portal(seen),
        APPROVED_STATES,
        True,
    ),
    # ------------------------------------------------------------------- review
    "review:queue": Entry(lambda w, s: reverse("review:queue"), review(caseworkers)),
    "review:queue_csv": Entry(lambda w, s: reverse("review:queue_csv"), review(caseworkers)),
    # POST-only: a GET goes back to the queue.
    "review:assign_batch": Entry(
        lambda w, s: reverse("review:assign_batch"),
        review(
            lambda r, s: Redirect(lambda w, s: reverse("review:queue")) if r in ANALYSTS else 404
        ),
        writes=True,
    ),
    "review:bid": Entry(bid_url("review:bid"), review(submitted_bid()), BID_STATES),
    "review:bid_pdf": Entry(bid_url("review:bid_pdf"), review(submitted_bid()), BID_STATES),
    "review:document": Entry(document_url("review:document"), review(submitted_bid()), BID_STATES),
    "review:assign": Entry(
        bid_url("review:assign"), review(submitted_bid(analysts_only)), BID_STATES, True
    ),
    "review:declare_interests": Entry(
        bid_url("review:declare_interests"), review(assigned_reviewer), BID_STATES, True
    ),
    "review:score": Entry(bid_url("review:score"), review(assigned_reviewer), BID_STATES, True),
    "review:clarification_ask": Entry(
        bid_url("review:clarification_ask"), review(submitted_bid(analysts_only)), BID_STATES, True
    ),
    "review:moderate": Entry(
        bid_url("review:moderate"), review(submitted_bid(moderation)), BID_STATES, True
    ),
    "review:decide": Entry(
        bid_url("review:decide"), review(submitted_bid(approvers_only)), BID_STATES, True
    ),
    "review:rounds": Entry(lambda w, s: reverse("review:rounds"), review(caseworkers)),
    "review:round": Entry(round_url("review:round"), review(caseworkers), ROUND_STATES),
    "review:round_publish": Entry(
        round_url("review:round_publish"), review(analysts_only), ROUND_STATES, True
    ),
    "review:funding_line": Entry(
        round_url("review:funding_line"), review(caseworkers), ROUND_STATES
    ),
    "review:funding_line_csv": Entry(
        round_url("review:funding_line_csv"), review(caseworkers), ROUND_STATES
    ),
    "review:panel_pack": Entry(round_url("review:panel_pack"), review(caseworkers), ROUND_STATES),
    "review:decide_batch": Entry(
        round_url("review:decide_batch"), review(approvers_only), ROUND_STATES, True
    ),
    "review:awards": Entry(lambda w, s: reverse("review:awards"), review(caseworkers)),
    "review:award": Entry(bid_url("review:award"), review(has_award(caseworkers)), BID_STATES),
    "review:tranche_status": Entry(
        tranche_url("review:tranche_status"), review(analysts_only), APPROVED_STATES, True
    ),
    "review:payment_record": Entry(
        tranche_url("review:payment_record"), review(analysts_only), APPROVED_STATES, True
    ),
    "review:spend_returns": Entry(
        lambda w, s: reverse("review:spend_returns"), review(caseworkers)
    ),
    "review:spend_return_verify": Entry(
        lambda w, s: reverse("review:spend_return_verify", args=[w.spend_return.pk]),
        review(caseworkers),
        writes=True,
    ),
    # ------------------------------------------------------------------- API
    "api:root": Entry(lambda w, s: reverse("api:root"), public()),
    "api:awards": Entry(lambda w, s: reverse("api:awards"), public()),
    "api:allocations": Entry(
        lambda w, s: reverse("api:allocations") + "?group_by=category", public()
    ),
    "api:openapi": Entry(lambda w, s: reverse("api:openapi"), public()),
    # ------------------------------------------------------------------- public pages
    "public:allocations": Entry(lambda w, s: reverse("public:allocations"), public()),
    "public:allocations_csv": Entry(lambda w, s: reverse("public:allocations_csv"), public()),
    "public:allocations_pdf": Entry(lambda w, s: reverse("public:allocations_pdf"), public()),
    "public:force_list": Entry(lambda w, s: reverse("public:force_list"), public()),
    "public:force_detail": Entry(
        lambda w, s: reverse("public:force_detail", args=["nottinghamshire"]), public()
    ),
    "public:region_list": Entry(lambda w, s: reverse("public:region_list"), public()),
    "public:region_detail": Entry(
        lambda w, s: reverse("public:region_detail", args=["east-midlands"]), public()
    ),
    "public:collaboration_detail": Entry(
        lambda w, s: reverse("public:collaboration_detail", args=[w.collaboration.slug]),
        public(),
    ),
    "public:category_list": Entry(lambda w, s: reverse("public:category_list"), public()),
    "public:category_detail": Entry(
        lambda w, s: reverse("public:category_detail", args=["digital"]), public()
    ),
    "public:award_list": Entry(lambda w, s: reverse("public:award_list"), public()),
    "public:award_detail": Entry(
        bid_url("public:award_detail"),
        public(lambda state: 200 if state == "approved_published" else 404),
        BID_STATES,
    ),
    "public:open_data": Entry(lambda w, s: reverse("public:open_data"), public()),
    "public:giving360": Entry(lambda w, s: reverse("public:giving360"), public()),
}

# The admin is one family: a sample of its pages, each staff-only.
ADMIN_SAMPLES: dict[str, Callable] = {
    "index": lambda w, s: reverse("admin:index"),
    "bid list": lambda w, s: reverse("admin:bids_bid_changelist"),
    "bid": admin_change,
    "bid history": lambda w, s: reverse("admin:bids_bid_history", args=[w.bid("draft").pk]),
    "events": lambda w, s: reverse("admin:bids_bidevent_changelist"),
    "event": admin_event,
    "documents": lambda w, s: reverse("admin:bids_document_changelist"),
    "users": lambda w, s: reverse("admin:auth_user_changelist"),
}
for _name, _url in ADMIN_SAMPLES.items():
    MATRIX[f"admin ({_name})"] = Entry(_url, staff_index if _name == "index" else staff)


@pytest.fixture(scope="module", autouse=True)
def _html_only_pdfs():
    """PDF pages render their templates as ever (a template error is still a 500 here) but
    skip WeasyPrint's layout, which costs most of a second a page and decides nothing about
    who may see what; the PDF tests of each workspace check the layout. The panel pack and the
    allocations report, laid out in parts and joined, are their parts' HTML one after the other."""
    import weasyprint

    from bids.views.public import dashboard
    from bids.views.review import panel
    from fundtracker.pdf import Joined

    class HtmlOnly:
        def __init__(self, string, **kwargs):
            self.string = string

        def write_pdf(self):
            return b"%PDF-1.7\n" + self.string.encode()

    def parts_only(*, cover, ranked, footer, pages, request=None):
        return b"%PDF-1.7\n" + "".join([cover, *ranked, *(p.html for p in pages), footer]).encode()

    def joined_parts(parts, *, footer, request=None, **kwargs):
        html = "".join([*(part.html for part in parts), footer])
        return Joined(b"%PDF-1.7\n" + html.encode(), {})

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(weasyprint, "HTML", HtmlOnly)
        patch.setattr(panel.panel_pack, "pack_pdf", parts_only)
        patch.setattr(dashboard, "join", joined_parts)
        yield


# --------------------------------------------------------------------------- the URL patterns


def url_patterns(patterns=None, namespace=""):
    """Every URL pattern as ``(key, route)``: ``namespace:name`` (the route when unnamed), the
    admin's under ``admin``."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from url_patterns(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            name = pattern.name or str(pattern.pattern)
            yield (f"{namespace}:{name}" if namespace else name), str(pattern.pattern)


def test_every_url_pattern_has_an_entry():
    keys = {key for key, _ in url_patterns()}
    non_admin = {key for key in keys if not key.startswith("admin:")}
    missing = sorted(non_admin - MATRIX.keys())
    assert not missing, (
        "URL patterns without an entry in tests/security/test_access_matrix.py MATRIX "
        f"(say who may see them): {', '.join(missing)}"
    )
    stale = sorted(key for key in MATRIX if not key.startswith("admin (") and key not in keys)
    assert not stale, f"MATRIX entries for URL patterns that no longer exist: {stale}"
    assert any(key.startswith("admin:") for key in keys), "the admin is no longer mounted"


def test_every_entry_resolves_to_its_own_pattern(world):
    """An entry's URL is served by the pattern it is listed under, not by a neighbour."""
    for key, entry in MATRIX.items():
        if key.startswith("admin ("):
            continue
        match = url_resolve(urlsplit(entry.url(world, entry.states[0])).path)
        assert match.view_name == key, f"{key} builds a URL served by {match.view_name}"


# --------------------------------------------------------------------------- the matrix

CELLS = [
    pytest.param(key, role, state, id=f"{key}|{role}|{state}")
    for key, entry in MATRIX.items()
    for state in entry.states
    for role in ROLES
]


def check(response, expected: Expected, world, state: str, where: str) -> None:
    status = response.status_code
    if isinstance(expected, Redirect):
        wanted = expected.to(world, state)
        assert status == 302, f"{where}: expected a redirect to {wanted}, got {status}"
        assert urlsplit(response["Location"]).path == wanted, where
    elif expected == LOGIN:
        assert status == 302, f"{where}: expected a redirect to sign in, got {status}"
        location = urlsplit(response["Location"])
        assert location.path == reverse(settings.LOGIN_URL), f"{where}: went to {location.path}"
        assert "next=" in location.query, where
    elif expected == ADMIN_LOGIN:
        assert status == 302, f"{where}: expected the admin's sign-in, got {status}"
        assert urlsplit(response["Location"]).path == reverse("admin:login"), where
    else:
        assert status == expected, f"{where}: expected {expected}, got {status}"


@pytest.mark.parametrize(("key", "role", "state"), CELLS)
def test_access(world, key, role, state):
    entry = MATRIX[key]
    url = entry.url(world, state)
    response = world.clients[role].get(url)
    check(response, entry.expect(role, state), world, state, f"GET {url} as {role} ({state})")


# --------------------------------------------------------------------------- refused writes

REFUSED = (LOGIN, ADMIN_LOGIN, 403, 404)


# What a service could change, read in one query. Bids, funding lines, awards, tranches,
# payments and spend returns keep history, so any save of theirs adds a history row; every
# service records a bid event; the rest is counted or dated.
FINGERPRINT = [
    (BidEvent, "MAX(id)"),
    (Bid.history.model, "MAX(history_id)"),
    (FundingLine.history.model, "MAX(history_id)"),
    (Award.history.model, "MAX(history_id)"),
    (Tranche.history.model, "MAX(history_id)"),
    (Payment.history.model, "MAX(history_id)"),
    (SpendReturn.history.model, "MAX(history_id)"),
    (Review, "COUNT(*)"),
    (Review, "MAX(conflict_declared_at)"),
    (Review, "MAX(submitted_at)"),
    (Score, "COUNT(*)"),
    (Score, "SUM(value)"),
    (Document, "COUNT(*)"),
    (Clarification, "COUNT(*)"),
    (Clarification, "MAX(answered_at)"),
    (FundingRound, "MAX(results_published_at)"),
]


def fingerprint() -> tuple:
    """What a refused POST must leave as it was."""
    columns = ", ".join(
        f"(SELECT {expression} FROM {connection.ops.quote_name(model._meta.db_table)})"
        for model, expression in FINGERPRINT
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns}")
        return cursor.fetchone()


WRITE_CELLS = [
    pytest.param(key, role, state, id=f"{key}|{role}|{state}")
    for key, entry in MATRIX.items()
    if entry.writes
    for state in entry.states
    for role in ROLES
    if entry.expect(role, state) in REFUSED
]


@pytest.mark.parametrize(("key", "role", "state"), WRITE_CELLS)
def test_refused_post_changes_nothing(world, key, role, state):
    """A role refused the page is refused its POST as well, and the database is unchanged."""
    entry = MATRIX[key]
    url = entry.url(world, state)
    before = fingerprint()
    response = world.clients[role].post(url, {"decision": "approve", "action": "submit"})
    check(response, entry.expect(role, state), world, state, f"POST {url} as {role} ({state})")
    assert fingerprint() == before, f"POST {url} as {role} ({state}) changed the database"


def test_the_fingerprint_sees_what_a_service_writes(world):
    before = fingerprint()
    services.clarification_ask(
        bid=world.bid("under_review"), question="Who runs it?", by=world.users["analyst"]
    )
    assert fingerprint() != before
