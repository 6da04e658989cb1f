"""The admin of the forces app and the user admin with its PCC office."""

import itertools

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.urls import reverse

from forces.models import Collaboration, CollaborationMembership, Force, OfficeMembership, Region
from tests import factories as f
from tests.admin_checks import admin_url as url
from tests.admin_checks import assert_changelist_lists_rows, assert_changelist_queries_constant

pytestmark = pytest.mark.django_db

_unique = itertools.count(1)


def make_region():
    n = next(_unique)
    return Region.objects.create(name=f"Region {n}", slug=f"region-{n}", order=20 + n)


def make_collaboration():
    collaboration = f.CollaborationFactory()
    CollaborationMembership.objects.create(
        collaboration=collaboration,
        force=f.force("nottinghamshire"),
        role=CollaborationMembership.Role.LEAD,
    )
    CollaborationMembership.objects.create(
        collaboration=collaboration, force=f.force("leicestershire")
    )
    f.BidFactory(collaboration=collaboration)
    return collaboration


def make_membership():
    return CollaborationMembership.objects.create(
        collaboration=f.CollaborationFactory(), force=f.force("kent")
    )


def make_office_member():
    return f.OfficeMemberFactory(office_force=f.force("kent")).office


# Model, a function that adds one row, and the most queries its changelist may take.
CHANGELISTS = [
    (Region, make_region, 5),
    (Force, f.ForceFactory, 7),
    (Collaboration, make_collaboration, 5),
    (CollaborationMembership, make_membership, 6),
    (OfficeMembership, make_office_member, 7),
    (User, make_office_member, 7),
]


def test_every_forces_model_and_the_user_model_have_an_admin():
    registered = {
        model for model in admin.site._registry if model._meta.app_label in {"forces", "auth"}
    }
    assert {model for model, _, _ in CHANGELISTS} <= registered
    assert {model for model in registered if model._meta.app_label == "forces"} == {
        Region,
        Force,
        Collaboration,
        CollaborationMembership,
        OfficeMembership,
    }


@pytest.mark.parametrize(
    ("model", "make", "queries"), CHANGELISTS, ids=[m._meta.model_name for m, _, _ in CHANGELISTS]
)
def test_changelist_lists_rows_in_a_fixed_number_of_queries(
    admin_client, django_assert_max_num_queries, model, make, queries
):
    assert_changelist_lists_rows(admin_client, django_assert_max_num_queries, model, make, queries)


@pytest.mark.parametrize(
    ("model", "make"),
    [(Collaboration, make_collaboration), (OfficeMembership, make_office_member)],
    ids=["collaboration", "officemembership"],
)
def test_changelist_queries_do_not_grow_with_rows(admin_client, model, make):
    assert_changelist_queries_constant(admin_client, model, make)


@pytest.mark.parametrize(
    ("model", "make"),
    [(model, make) for model, make, _ in CHANGELISTS],
    ids=[m._meta.model_name for m, _, _ in CHANGELISTS],
)
def test_change_and_add_pages_render(admin_client, model, make):
    obj = make()
    if not isinstance(obj, model):
        obj = obj.user

    assert admin_client.get(url(model, "change", obj.pk)).status_code == 200
    assert admin_client.get(url(model, "add")).status_code == 200


def test_force_changelist_shows_region_kind_ons_code_and_population(admin_client):
    force = f.force("nottinghamshire")
    force.population, force.population_year = 1154000, 2021
    force.save()

    response = admin_client.get(url(Force), {"q": "Nottinghamshire"})

    content = response.content.decode()
    assert "East Midlands" in content
    assert "Territorial force" in content
    assert force.ons_code in content
    assert "1,154,000 (2021)" in content


def test_collaboration_changelist_names_the_lead_and_counts_members(admin_client):
    collaboration = make_collaboration()

    response = admin_client.get(url(Collaboration))

    row = response.context["cl"].result_list.get(pk=collaboration.pk)
    assert row.lead_name == "Nottinghamshire Police"
    assert row.member_count == 2
    assert row.bid_count == 1


def _collaboration_post(members):
    data = {
        "name": "East Midlands tri-force",
        "slug": "east-midlands-tri-force",
        "description": "",
        "memberships-TOTAL_FORMS": str(len(members)),
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    for i, (slug, role) in enumerate(members):
        data[f"memberships-{i}-force"] = str(f.force(slug).pk)
        data[f"memberships-{i}-role"] = role
    return data


def test_a_collaboration_with_members_is_added_with_its_lead(admin_client):
    response = admin_client.post(
        url(Collaboration, "add"),
        _collaboration_post(
            [
                ("nottinghamshire", "lead"),
                ("leicestershire", "partner"),
                ("northamptonshire", "partner"),
            ]
        ),
    )

    assert response.status_code == 302
    collaboration = Collaboration.objects.get(slug="east-midlands-tri-force")
    assert collaboration.memberships.get(role="lead").force.slug == "nottinghamshire"
    assert collaboration.members.count() == 3


def test_a_collaboration_with_two_leads_is_refused(admin_client):
    response = admin_client.post(
        url(Collaboration, "add"),
        _collaboration_post([("nottinghamshire", "lead"), ("leicestershire", "lead")]),
    )

    assert response.status_code == 200
    assert "A collaboration has one lead force; 2 are marked lead" in response.content.decode()
    assert not Collaboration.objects.filter(slug="east-midlands-tri-force").exists()


def test_user_page_shows_the_pcc_office_inline(admin_client, office_user):
    response = admin_client.get(url(User, "change", office_user.pk))

    assert response.status_code == 200
    office = next(
        formset
        for formset in response.context["inline_admin_formsets"]
        if formset.formset.model is OfficeMembership
    )
    assert [form.instance.force.slug for form in office.formset.forms] == ["nottinghamshire"]


def test_user_changelist_shows_each_users_office(admin_client, office_user, other_office_user):
    response = admin_client.get(url(User))

    content = response.content.decode()
    assert "Nottinghamshire Police" in content
    assert "Kent Police" in content


def test_office_membership_search_by_username(admin_client, office_user, other_office_user):
    response = admin_client.get(url(OfficeMembership), {"q": "kent-office"})

    assert list(response.context["cl"].result_list) == [other_office_user.office]


def test_force_autocomplete_answers_for_the_bid_form(admin_client):
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"term": "Notting", "app_label": "bids", "model_name": "bid", "field_name": "lead_force"},
    )

    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["Nottinghamshire Police"]
