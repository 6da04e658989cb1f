import pytest

from tests.factories import OfficeMemberFactory, UserFactory, force


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: cached public pages must not leak between tests."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def analyst(db):
    return UserFactory(username="analyst", analyst=True)


@pytest.fixture
def second_analyst(db):
    return UserFactory(username="analyst2", analyst=True)


@pytest.fixture
def approver(db):
    return UserFactory(username="approver", approver=True)


@pytest.fixture
def office_user(db):
    """A member of Nottinghamshire's PCC office."""
    return OfficeMemberFactory(username="notts-office", office_force=force("nottinghamshire"))


@pytest.fixture
def other_office_user(db):
    """A member of Kent's PCC office: no part of the Nottinghamshire bids."""
    return OfficeMemberFactory(username="kent-office", office_force=force("kent"))


@pytest.fixture
def partner_office_user(db):
    """A member of Leicestershire's PCC office, a partner in the East Midlands bid."""
    return OfficeMemberFactory(username="leics-office", office_force=force("leicestershire"))
