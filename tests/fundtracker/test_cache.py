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


def test_a_page_served_by_another_process_is_read_from_the_shared_cache():
    from fundtracker import cache as public_cache

    view, calls = counting_view()
    view(get("/allocations/"))
    # This process has never seen the page: another one built it and kept it in the cache.
    public_cache._local.clear()
    response = view(get("/allocations/"))
    assert response["X-Cache"] == "hit"
    assert response.content == b"call 1"
    assert len(calls) == 1


def test_each_hit_is_a_response_of_its_own():
    view, _calls = counting_view()
    view(get("/allocations/"))
    first = view(get("/allocations/"))
    first["X-Added-By-Middleware"] = "yes"
    second = view(get("/allocations/"))
    assert second is not first
    assert "X-Added-By-Middleware" not in second
    assert second["Content-Type"] == "text/html; charset=utf-8"


def test_a_kept_page_expires_with_its_copy_in_the_shared_cache(monkeypatch):
    from django.core.cache import cache

    from fundtracker import cache as public_cache

    view, calls = counting_view()
    view(get("/allocations/"))
    later = public_cache.time.time() + public_cache.SERVER_TIMEOUT + 1
    monkeypatch.setattr(public_cache.time, "time", lambda: later)
    # The shared cache drops it on its own; the process's copy must go too.
    cache.delete(public_cache._response_key(get("/allocations/")))
    assert view(get("/allocations/"))["X-Cache"] == "miss"
    assert len(calls) == 2


def test_the_pages_a_process_keeps_stay_within_its_limit():
    from fundtracker.cache import StoredResponse, _LocalResponses

    kept = _LocalResponses(limit=10)
    page = StoredResponse(b"12345", 200, (), expires=float("inf"))
    for key in "abc":
        kept.put(key, page)
    assert kept.size == 10
    assert kept.get("a") is None
    assert kept.get("b") is page
    assert kept.get("c") is page
    kept.put("too large", StoredResponse(b"x" * 11, 200, (), expires=float("inf")))
    assert kept.get("too large") is None
    assert kept.size == 10
