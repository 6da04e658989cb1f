"""Who bids and who receives the money: regions, forces, collaborations and PCC offices."""

from django.conf import settings
from django.db import models
from django.db.models import Q

# Suffixes dropped to match "Nottinghamshire" to "Nottinghamshire Police".
FORCE_NAME_SUFFIXES = (" Police Service", " Constabulary", " Police")


class Region(models.Model):
    """One of the ten policing regions of England and Wales, or ``National``."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class ForceQuerySet(models.QuerySet):
    def territorial(self):
        """The 43 territorial forces of England and Wales."""
        return self.filter(kind=Force.Kind.TERRITORIAL)

    def match(self, text: str):
        """Forces whose slug, name or short name ("Nottinghamshire") is ``text``, any case."""
        text = text.strip()
        query = Q(slug__iexact=text) | Q(name__iexact=text)
        for suffix in FORCE_NAME_SUFFIXES:
            query |= Q(name__iexact=f"{text}{suffix}")
        return self.filter(query)


class Force(models.Model):
    """A police force, or a national body that receives money without being a force."""

    class Kind(models.TextChoices):
        TERRITORIAL = "territorial", "Territorial force"
        NATIONAL = "national", "National force"
        NATIONAL_BODY = "national_body", "National body"

    slug = models.SlugField(max_length=100, unique=True, help_text="The data.police.uk id.")
    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.TERRITORIAL)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="forces")
    nation = models.CharField(max_length=100, blank=True)
    policing_body = models.CharField(
        max_length=300, blank=True, help_text="The PCC, mayor, PFCC or authority that bids."
    )
    ons_code = models.CharField(
        "ONS Police Force Area code", max_length=9, blank=True, help_text="For example E23000001."
    )
    population = models.PositiveIntegerField(null=True, blank=True)
    population_year = models.PositiveSmallIntegerField(null=True, blank=True)

    objects = ForceQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["ons_code"], condition=~Q(ons_code=""), name="force_ons_code_unique"
            ),
            models.CheckConstraint(
                condition=~Q(kind="territorial") | ~Q(ons_code=""),
                name="force_territorial_has_ons_code",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def short_name(self) -> str:
        """The name without "Police", "Constabulary" or "Police Service"."""
        return short_force_name(self.name)


def short_force_name(name: str) -> str:
    """A force's name without "Police", "Constabulary" or "Police Service"."""
    for suffix in FORCE_NAME_SUFFIXES:
        if name.endswith(suffix):
            return name.removesuffix(suffix)
    return name


class Collaboration(models.Model):
    """Forces that bid together, such as the East Midlands tri-force."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    members = models.ManyToManyField(
        Force, through="CollaborationMembership", related_name="collaborations"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CollaborationMembership(models.Model):
    class Role(models.TextChoices):
        LEAD = "lead", "Lead"
        PARTNER = "partner", "Partner"

    collaboration = models.ForeignKey(
        Collaboration, on_delete=models.CASCADE, related_name="memberships"
    )
    force = models.ForeignKey(Force, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.PARTNER)

    class Meta:
        ordering = ["collaboration", "role", "force__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["collaboration", "force"], name="collaboration_member_once"
            ),
            models.UniqueConstraint(
                fields=["collaboration"], condition=Q(role="lead"), name="collaboration_one_lead"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.force} ({self.get_role_display()}) in {self.collaboration}"


class OfficeMembership(models.Model):
    """A user works in the office of one force's policing body (PCC, mayor or PFCC)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="office"
    )
    force = models.ForeignKey(Force, on_delete=models.PROTECT, related_name="office_members")
    job_title = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["force__name", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} – {self.force.policing_body or self.force}"
