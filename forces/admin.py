from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Subquery

from forces.models import (
    Collaboration,
    CollaborationMembership,
    Force,
    OfficeMembership,
    Region,
)


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "order", "force_count"]
    list_editable = ["order"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    ordering = ["order", "name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(force_count=Count("forces"))

    @admin.display(description="Forces", ordering="force_count")
    def force_count(self, region):
        return region.force_count


class OfficeMembershipInline(admin.TabularInline):
    model = OfficeMembership
    fk_name = "force"
    autocomplete_fields = ["user"]
    extra = 0
    verbose_name = "office member"
    verbose_name_plural = "PCC office members"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


@admin.register(Force)
class ForceAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "region",
        "kind",
        "ons_code",
        "population_display",
        "nation",
        "policing_body",
    ]
    list_filter = ["kind", "region", "nation"]
    list_select_related = ["region"]
    search_fields = ["name", "slug", "ons_code", "policing_body"]
    ordering = ["name"]
    inlines = [OfficeMembershipInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", "kind", "region", "nation", "policing_body"]}),
        ("For per-head figures", {"fields": ["ons_code", "population", "population_year"]}),
    ]

    @admin.display(description="Population", ordering="population")
    def population_display(self, force):
        if force.population is None:
            return None
        year = f" ({force.population_year})" if force.population_year else ""
        return f"{force.population:,}{year}"


class CollaborationMembershipFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        # The database allows one lead a collaboration, but the inline excludes the
        # collaboration from model validation, so a second lead would only fail on save.
        leads = [
            form.cleaned_data["force"]
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("role") == CollaborationMembership.Role.LEAD
        ]
        if len(leads) > 1:
            raise ValidationError(
                f"A collaboration has one lead force; {len(leads)} are marked lead: "
                f"{', '.join(str(force) for force in leads)}."
            )


class CollaborationMembershipInline(admin.TabularInline):
    model = CollaborationMembership
    formset = CollaborationMembershipFormSet
    autocomplete_fields = ["force"]
    extra = 0
    verbose_name = "member force"
    verbose_name_plural = "member forces"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("collaboration", "force")


@admin.register(Collaboration)
class CollaborationAdmin(admin.ModelAdmin):
    list_display = ["name", "lead_force", "member_count", "bid_count", "slug"]
    search_fields = ["name", "slug", "memberships__force__name"]
    prepopulated_fields = {"slug": ["name"]}
    ordering = ["name"]
    inlines = [CollaborationMembershipInline]

    def get_queryset(self, request):
        lead = CollaborationMembership.objects.filter(
            collaboration=OuterRef("pk"), role=CollaborationMembership.Role.LEAD
        ).values("force__name")[:1]
        return (
            super()
            .get_queryset(request)
            .annotate(
                lead_name=Subquery(lead),
                member_count=Count("memberships", distinct=True),
                bid_count=Count("bids", distinct=True),
            )
        )

    @admin.display(description="Lead force", ordering="lead_name")
    def lead_force(self, collaboration):
        return collaboration.lead_name

    @admin.display(description="Forces", ordering="member_count")
    def member_count(self, collaboration):
        return collaboration.member_count

    @admin.display(description="Bids", ordering="bid_count")
    def bid_count(self, collaboration):
        return collaboration.bid_count


@admin.register(CollaborationMembership)
class CollaborationMembershipAdmin(admin.ModelAdmin):
    list_display = ["collaboration", "force", "role"]
    list_filter = ["role", "collaboration"]
    list_select_related = ["collaboration", "force"]
    search_fields = ["collaboration__name", "force__name"]
    autocomplete_fields = ["collaboration", "force"]
    ordering = ["collaboration__name", "role", "force__name"]


@admin.register(OfficeMembership)
class OfficeMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "user_full_name", "user_email", "force", "job_title"]
    list_filter = ["force__region", "force"]
    list_select_related = ["user", "force"]
    search_fields = [
        "user__username",
        "user__first_name",
        "user__last_name",
        "user__email",
        "force__name",
        "job_title",
    ]
    autocomplete_fields = ["user", "force"]
    ordering = ["force__name", "user__username"]

    @admin.display(description="Name", ordering="user__last_name")
    def user_full_name(self, membership):
        return membership.user.get_full_name()

    @admin.display(description="Email", ordering="user__email")
    def user_email(self, membership):
        return membership.user.email


class UserOfficeInline(admin.StackedInline):
    model = OfficeMembership
    fk_name = "user"
    autocomplete_fields = ["force"]
    can_delete = True
    max_num = 1
    verbose_name = "PCC office"
    verbose_name_plural = "PCC office (only for users who bid for a force)"


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [UserOfficeInline]
    list_display = [*BaseUserAdmin.list_display, "office_force", "last_login"]
    list_filter = [*BaseUserAdmin.list_filter, "office__force"]
    list_select_related = ["office__force"]
    search_fields = [*BaseUserAdmin.search_fields, "office__force__name"]

    @admin.display(description="PCC office of", ordering="office__force__name")
    def office_force(self, user):
        try:
            return user.office.force
        except OfficeMembership.DoesNotExist:
            return None
