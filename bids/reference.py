"""Reference data of the bids app: the PTF spend categories and the role groups."""

from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission

from bids.permissions import ANALYSTS, APPROVERS

# (name, slug, description), in the order pages list them.
SPEND_CATEGORIES = [
    (
        "Armed policing",
        "armed-policing",
        "Armed officers, training and equipment to respond to terrorist and firearms threats.",
    ),
    (
        "Digital",
        "digital",
        "Digital programmes: shared systems, mobile working, digital evidence and data.",
    ),
    (
        "Specialist capabilities",
        "specialist-capabilities",
        "Capabilities that forces build once and share, such as surveillance and cyber crime.",
    ),
    (
        "Child sexual abuse and exploitation",
        "child-sexual-abuse-and-exploitation",
        "Finding, protecting and supporting victims of child sexual abuse and exploitation.",
    ),
    ("Forensics", "forensics", "Forensic science and its transformation, including biometrics."),
    (
        "Collaboration and shared services",
        "collaboration-and-shared-services",
        "Forces working together and with other services to share functions and buildings.",
    ),
    (
        "Workforce",
        "workforce",
        "Recruiting, training and developing the police workforce and its leaders.",
    ),
    (
        "Other transformation",
        "other-transformation",
        "Transformation that falls in none of the other categories.",
    ),
]


def load_spend_categories(category_model) -> int:
    """Create or update the spend categories; returns how many were created."""
    created_count = 0
    for order, (name, slug, description) in enumerate(SPEND_CATEGORIES, start=1):
        _, created = category_model.objects.update_or_create(
            slug=slug, defaults={"name": name, "description": description, "order": order}
        )
        created_count += created
    return created_count


def sync_groups() -> None:
    """Create the Analysts and Approvers groups, each able to view every record in the admin.

    What each role may *do* is decided in ``bids.permissions``; these model permissions only
    open the admin's read-only views to Home Office staff accounts.
    """
    from django.apps import apps

    for app_label in ("forces", "bids"):
        create_permissions(apps.get_app_config(app_label), verbosity=0)
    view = Permission.objects.filter(
        content_type__app_label__in=["forces", "bids"], codename__startswith="view_"
    )
    for name in (ANALYSTS, APPROVERS):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*view)
