"""Caching of the public pages and the API, and its invalidation.

Every cached public response is stored under a key that includes a *generation* token. Any
change to what the public may see (a round's results published, a payment recorded, spend
verified, a tranche released or withheld, an import, an administrator's correction) calls
``public_data_changed()``, which replaces the token once the transaction commits: every cached
public response is then out of date at once, with no list of keys to track, and the old entries
expire on their own. Pages are cheap to rebuild; a wrong figure on a public page is not.

Each process also keeps the responses it served last in its own memory (``_LocalResponses``),
under the same keys: a page asked for again costs one small read of the shared cache (the
generation token, which every request checks, so no process serves a page another has made out
of date) instead of reading the whole page from it.
"""

import functools
import hashlib
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers

GENERATION_KEY = "public-data:generation"
# How long a cached public response is kept, and how long browsers and proxies may keep it.
# Short enough for a change made outside the services (a scheduled publication date passing)
# to show within minutes.
SERVER_TIMEOUT = 10 * 60
BROWSER_MAX_AGE = 60


def generation(key: str) -> str:
    """The current generation token stored under ``key`` (created on first use)."""
    token = cache.get(key)
    if token is None:
        token = uuid.uuid4().hex
        # add() so that two workers starting at once agree on one token.
        if not cache.add(key, token, timeout=None):
            token = cache.get(key, token)
    return token


def replace_generation(key: str) -> None:
    """Replace the token under ``key`` now: everything cached under the old one is never read
    again."""
    cache.set(key, uuid.uuid4().hex, timeout=None)


def new_generation(key: str) -> None:
    """Replace the token under ``key`` once the current transaction commits (at once outside
    one). A rolled-back change leaves the cache alone."""
    transaction.on_commit(lambda: replace_generation(key))


def public_generation() -> str:
    """The current generation token of the public pages."""
    return generation(GENERATION_KEY)


def public_data_changed() -> None:
    """Invalidate every cached public response once the current transaction commits.

    Called by the services that change published money; outside a transaction it acts at once.
    """
    new_generation(GENERATION_KEY)


# What ``per_generation`` keeps in this process: each name's generation token and value.
_KEPT: dict[str, tuple[str, object]] = {}


def per_generation(name: str, build, *, fresh=None):
    """What ``build()`` returns, kept in this process under ``name`` for the current generation
    of the public pages: for what they read from public data on every request, such as the
    lists of a filter panel. Exact as a cached page is, since any change to public data starts
    a new generation; kept in the process rather than the cache, so a request reads it without
    unpickling it. ``fresh``, when given, says whether a kept value still holds (one that
    changes at a known time, such as the next publication of results); one that does not is
    built again. The value is shared between requests: read it, never change it."""
    token = public_generation()
    kept = _KEPT.get(name)
    if kept is not None and kept[0] == token and (fresh is None or fresh(kept[1])):
        return kept[1]
    value = build()
    _KEPT[name] = (token, value)
    return value


def _response_key(request) -> str:
    # The query string as sent: two orders of the same filters are two entries, which is
    # harmless; a normalised key would need the view's parameters.
    raw = f"{request.method}:{request.path}?{request.META.get('QUERY_STRING', '')}"
    digest = hashlib.sha256(raw.encode()).hexdigest()
    return f"public-response:{public_generation()}:{digest}"


@dataclass(frozen=True)
class StoredResponse:
    """What is kept of a public response: its bytes, status and headers, and when it expires
    (seconds since the epoch)."""

    content: bytes
    status: int
    headers: tuple[tuple[str, str], ...]
    expires: float

    @classmethod
    def of(cls, response: HttpResponse, timeout: int) -> "StoredResponse":
        return cls(
            response.content,
            response.status_code,
            tuple(response.headers.items()),
            time.time() + timeout,
        )

    def response(self) -> HttpResponse:
        """A new response each time: the middleware adds its headers to the one it is given."""
        return HttpResponse(self.content, status=self.status, headers=dict(self.headers))


class _LocalResponses:
    """The responses a process served last, by key, up to ``limit`` bytes of content; each
    dropped when it expires, as its copy in the shared cache is."""

    def __init__(self, limit: int):
        self.limit = limit
        self.size = 0
        self.entries: OrderedDict[str, StoredResponse] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> StoredResponse | None:
        with self.lock:
            stored = self.entries.get(key)
            if stored is None:
                return None
            if stored.expires <= time.time():
                self._drop(key)
                return None
            self.entries.move_to_end(key)
            return stored

    def put(self, key: str, stored: StoredResponse) -> None:
        if len(stored.content) > self.limit:
            return
        with self.lock:
            if key in self.entries:
                self._drop(key)
            self.entries[key] = stored
            self.size += len(stored.content)
            while self.size > self.limit:
                self._drop(next(iter(self.entries)))

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.size = 0

    def _drop(self, key: str) -> None:
        self.size -= len(self.entries.pop(key).content)


# A few hundred pages of the usual size; the entries of an old generation are the first to go.
_local = _LocalResponses(limit=32 * 1024 * 1024)


def cache_public(view=None, *, timeout: int = SERVER_TIMEOUT):
    """Serve a public GET view from the cache for anonymous visitors.

    Signed-in users see their name in the header, so their responses are built afresh and
    marked private. Only 200 responses are stored; a streaming response is never stored.
    """

    def decorator(view_func):
        @functools.wraps(view_func)
        def wrapped(request, *args, **kwargs):
            if request.method not in ("GET", "HEAD") or request.user.is_authenticated:
                response = view_func(request, *args, **kwargs)
                patch_cache_control(response, private=True, no_cache=True)
                patch_vary_headers(response, ["Cookie"])
                return response
            key = _response_key(request)
            stored = _local.get(key)
            if stored is None:
                stored = cache.get(key)
                if stored is not None:
                    _local.put(key, stored)
            if stored is None:
                response = view_func(request, *args, **kwargs)
                if response.status_code == 200 and not response.streaming:
                    if hasattr(response, "render") and callable(response.render):
                        response = response.render()
                    patch_cache_control(response, public=True, max_age=BROWSER_MAX_AGE)
                    patch_vary_headers(response, ["Cookie"])
                    response["X-Cache"] = "miss"
                    stored = StoredResponse.of(response, timeout)
                    cache.set(key, stored, timeout)
                    _local.put(key, stored)
                return response
            response = stored.response()
            response["X-Cache"] = "hit"
            return response

        return wrapped

    return decorator(view) if view is not None else decorator
