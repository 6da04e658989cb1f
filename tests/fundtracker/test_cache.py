from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse, StreamingHttpResponse
from django.test import RequestFactory

from fundtracker.cache import cache_public, public_data_changed, public_generation
from tests.factories import UserFactory


def counting_view(status=200, streaming=False):
    calls = []

    @cache_public
    def view(request):
        calls.append(request.get_full_path())
        if streaming:
            return StreamingHttpResponse(iter([b"a,b\n"]))
        return HttpResponse(f"call {len(calls)}", status=status)

    return view, calls


def get(path, user=None):
    request = RequestFactory().get(path)
    request.user = user or AnonymousUser()
    return request


def test_an_anonymous_page_is_built_once_and_then_served_from_the_cache():
    view, calls = counting_view()
    first = view(get("/allocations/?category=digital"))
    second = view(get("/allocations/?category=digital"))
    assert first["X-Cache"] == "miss"
    assert second["X-Cache"] == "hit"
    assert second.content == first.content == b"call 1"
    assert len(calls) == 1
    assert "public" in second["Cache-Control"]
    assert "max-age=60" in second["Cache-Control"]
    assert "Cookie" in second["Vary"]


def test_each_query_string_is_its_own_entry():
    view, _calls = counting_view()
    view(get("/allocations/?category=digital"))
    other = view(get("/allocations/?category=forensics"))
    assert other.content == b"call 2"


def test_a_change_to_public_data_empties_the_cache_once_committed(
    db, django_capture_on_commit_callbacks
):
    view, _calls = counting_view()
    view(get("/allocations/"))
    before = public_generation()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        public_data_changed()
    # Not before the transaction commits: a rolled-back change must not empty the cache …
    assert public_generation() == before
    assert view(get("/allocations/"))["X-Cache"] == "hit"
    for callback in callbacks:
        callback()
    # … and a committed one does.
    assert public_generation() != before
    fresh = view(get("/allocations/"))
    assert fresh["X-Cache"] == "miss"
    assert fresh.content == b"call 2"


def test_signed_in_users_get_a_fresh_private_page(db):
    view, _calls = counting_view()
    user = UserFactory()
    view(get("/allocations/", user))
    response = view(get("/allocations/", user))
    assert response.content == b"call 2"
    assert "private" in response["Cache-Control"]
    assert "X-Cache" not in response


def test_errors_and_streams_are_never_stored():
    view, calls = counting_view(status=400)
    view(get("/api/v1/awards/?page=x"))
    view(get("/api/v1/awards/?page=x"))
    assert len(calls) == 2
    stream, stream_calls = counting_view(streaming=True)
    stream(get("/allocations.csv"))
    stream(get("/allocations.csv"))
    assert len(stream_calls) == 2
