"""Checks the admin tests of both apps share."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse


def admin_url(model, view="changelist", *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def assert_changelist_queries_constant(client, model, make) -> None:
    """The changelist runs as many queries for five rows as for one: no query per row."""
    make()
    client.get(admin_url(model))  # caches that fill once a process (content types)
    with CaptureQueriesContext(connection) as one_row:
        client.get(admin_url(model))
    for _ in range(4):
        make()
    with CaptureQueriesContext(connection) as five_rows:
        response = client.get(admin_url(model))
    assert response.context["cl"].result_count == 5
    assert len(five_rows) == len(one_row)


def assert_changelist_lists_rows(client, assert_max_num_queries, model, make, queries) -> None:
    """Three rows listed in at most ``queries`` queries."""
    for _ in range(3):
        make()
    with assert_max_num_queries(queries):
        response = client.get(admin_url(model))
    assert response.status_code == 200
    assert response.context["cl"].result_count >= 3
