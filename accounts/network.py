"""The address a request came from, behind the reverse proxies we run."""

import ipaddress

from django.conf import settings


def client_ip(request) -> str | None:
    """The client's address as the last of our ``FUNDTRACKER_TRUSTED_PROXY_COUNT`` proxies saw it.

    Each proxy appends the address it received the request from to ``X-Forwarded-For``, so
    counting that many entries from the right gives an address no client can forge: anything a
    client sends itself sits further left. With no proxy (the default) ``REMOTE_ADDR`` is the
    client. A value that is not an address (a misconfigured proxy count lets the client write
    it) falls back to ``REMOTE_ADDR`` rather than reaching the database.
    """
    remote = request.META.get("REMOTE_ADDR")
    count = settings.FUNDTRACKER_TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [
        entry.strip()
        for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if entry.strip()
    ]
    if len(forwarded) < count:
        return remote
    candidate = forwarded[-count]
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return remote
    return candidate
