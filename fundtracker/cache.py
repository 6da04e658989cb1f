"""Caching of the public pages and the API, and its invalidation.

Every cached public response is stored under a key that includes a *generation* token. Any
change to what the public may see (a round's results published, a payment recorded, spend
verified, a tranche released or withheld, an import, an administrator's correction) calls
``public_data_changed()``, which replaces the token once the transaction commits: every cached
public response is then out of date at once, with no list of keys to track, and the old entries
expire on their own. Pages are cheap to rebuild; a wrong figure on a public page is not.
"""

import functools
import hashlib
import uuid

from django.core.cache import cache
from django.db import transaction
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


def _response_key(request) -> str:
    # The query string as sent: two orders of the same filters are two entries, which is
    # harmless; a normalised key would need the view's parameters.
    raw = f"{request.method}:{request.path}?{request.META.get('QUERY_STRING', '')}"
    digest = hashlib.sha256(raw.encode()).hexdigest()
    return f"public-page:{public_generation()}:{digest}"


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
            response = cache.get(key)
            if response is None:
                response = view_func(request, *args, **kwargs)
                if response.status_code == 200 and not response.streaming:
                    if hasattr(response, "render") and callable(response.render):
                        response = response.render()
                    patch_cache_control(response, public=True, max_age=BROWSER_MAX_AGE)
                    patch_vary_headers(response, ["Cookie"])
                    response["X-Cache"] = "miss"
                    cache.set(key, response, timeout)
                    return response
                return response
            response["X-Cache"] = "hit"
            return response

        return wrapped

    return decorator(view) if view is not None else decorator
