"""The sign-in backend: Django's own, reading a signed-in user once a request with all that the
pages ask of them."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group
from django.db.models import Exists, OuterRef

from bids.permissions import ROLES, remember_roles

# The annotation of each role on the user's row: ``role_0`` for the first of ``ROLES``...
_ROLE_FIELDS = {f"role_{index}": name for index, name in enumerate(ROLES)}


class UserBackend(ModelBackend):
    """``ModelBackend`` whose ``get_user``, run for every request of a signed-in user, reads
    the user, their PCC office membership and their roles in one query rather than three: the
    navigation, the permission checks and the pages all ask for them."""

    def get_user(self, user_id):
        users = get_user_model()._default_manager.select_related("office")
        roles = Group.objects.filter(user=OuterRef("pk"))
        user = (
            users.annotate(
                **{field: Exists(roles.filter(name=name)) for field, name in _ROLE_FIELDS.items()}
            )
            .filter(pk=user_id)
            .first()
        )
        if user is None or not self.user_can_authenticate(user):
            return None
        remember_roles(user, [name for field, name in _ROLE_FIELDS.items() if getattr(user, field)])
        return user
