"""The sign-in backend reads a signed-in user, their roles and their office in one query."""

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.backends import UserBackend
from bids import permissions
from bids.permissions import ANALYSTS, APPROVERS
from tests.factories import UserFactory


def answers(user) -> dict:
    return {
        "analyst": permissions.is_analyst(user),
        "approver": permissions.is_approver(user),
        "caseworker": permissions.is_caseworker(user),
        "office": permissions.office_force_id(user),
    }


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("analyst", {"analyst": True, "approver": False, "caseworker": True, "office": None}),
        ("approver", {"analyst": False, "approver": True, "caseworker": True, "office": None}),
        ("office_user", {"analyst": False, "approver": False, "caseworker": False}),
    ],
)
def test_one_query_reads_the_user_with_roles_and_office(
    db, request, who, expected, django_assert_num_queries
):
    # ``db`` named here, so that the test is ordered with the other database tests: the user
    # comes from a fixture looked up by name.
    person = request.getfixturevalue(who)

    with django_assert_num_queries(1):
        user = UserBackend().get_user(person.pk)
    # Every permission check of the request is then answered from that one row.
    with django_assert_num_queries(0):
        found = answers(user)

    if who == "office_user":
        assert found.pop("office") == person.office.force_id
    assert found == expected


def test_both_roles_are_read(analyst, django_assert_num_queries):
    analyst.groups.add(Group.objects.get_or_create(name=APPROVERS)[0])
    user = UserBackend().get_user(analyst.pk)
    with django_assert_num_queries(0):
        assert permissions.is_analyst(user)
        assert permissions.is_approver(user)


def test_a_role_taken_away_is_gone_on_the_next_request(client, analyst):
    client.force_login(analyst)
    assert client.get(reverse("review:queue")).status_code == 200

    analyst.groups.remove(Group.objects.get(name=ANALYSTS))

    assert client.get(reverse("review:queue")).status_code == 404


def test_a_group_that_is_not_a_role_gives_no_role(db):
    user = UserFactory()
    user.groups.add(Group.objects.create(name="Press office"))

    found = UserBackend().get_user(user.pk)

    assert answers(found) == {
        "analyst": False,
        "approver": False,
        "caseworker": False,
        "office": None,
    }


def test_an_inactive_or_deleted_account_is_no_one(analyst):
    backend = UserBackend()
    analyst.is_active = False
    analyst.save()
    assert backend.get_user(analyst.pk) is None
    assert backend.get_user(analyst.pk + 1000) is None


def test_a_user_read_elsewhere_reads_their_roles_once(analyst, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert permissions.is_analyst(analyst)
        assert permissions.is_caseworker(analyst)
        assert not permissions.is_approver(analyst)


def test_signing_in_records_this_backend(client, analyst):
    client.force_login(analyst)
    assert client.session[BACKEND_SESSION_KEY] == "accounts.backends.UserBackend"
