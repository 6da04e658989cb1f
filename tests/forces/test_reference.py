"""The reference data every installation has, loaded by migrate and reloaded by a command."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from bids.models import SpendCategory
from forces.models import Force, Region

pytestmark = pytest.mark.django_db


def test_migrate_loads_the_46_forces_and_11_regions():
    assert Force.objects.count() == 46
    assert Force.objects.territorial().count() == 43
    assert Force.objects.filter(kind=Force.Kind.NATIONAL).count() == 3
    assert Region.objects.count() == 11


def test_every_territorial_force_has_an_ons_code_and_population():
    territorial = Force.objects.territorial()
    assert not territorial.filter(ons_code="").exists()
    assert not territorial.filter(population__isnull=True).exists()
    assert territorial.values("ons_code").distinct().count() == 43
    assert {c[:3] for c in territorial.values_list("ons_code", flat=True)} == {"E23", "W15"}


def test_regions_hold_their_forces():
    assert Region.objects.get(slug="wales").forces.count() == 4
    assert Region.objects.get(slug="east-midlands").forces.count() == 5
    assert set(Region.objects.get(slug="national").forces.values_list("slug", flat=True)) == {
        "btp",
        "civil-nuclear-constabulary",
        "ministry-of-defence-police",
    }


def test_spend_categories_and_groups_exist():
    assert (
        SpendCategory.objects.filter(
            slug__in=["armed-policing", "digital", "specialist-capabilities"]
        ).count()
        == 3
    )
    assert set(Group.objects.values_list("name", flat=True)) >= {"Analysts", "Approvers"}
    assert Group.objects.get(name="Analysts").permissions.filter(codename="view_award").exists()


def test_reload_is_idempotent_and_repairs_edits(capsys):
    Force.objects.filter(slug="kent").update(name="Kent Constabulary", population=1)
    call_command("load_reference_data")
    call_command("load_reference_data")
    kent = Force.objects.get(slug="kent")
    assert (kent.name, kent.population) == ("Kent Police", 1727665)
    assert Force.objects.count() == 46
    assert "46 forces (0 new)" in capsys.readouterr().out


def test_force_matching_by_slug_name_or_short_name():
    notts = Force.objects.get(slug="nottinghamshire")
    for text in [
        "nottinghamshire",
        "Nottinghamshire Police",
        "Nottinghamshire",
        " NOTTINGHAMSHIRE ",
    ]:
        assert list(Force.objects.match(text)) == [notts]
    assert notts.short_name == "Nottinghamshire"
    assert not Force.objects.match("Gotham").exists()
