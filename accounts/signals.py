from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from .middleware import mark_activity


@receiver(user_logged_in, dispatch_uid="accounts.idle_clock_starts_at_sign_in")
def idle_clock_starts_at_sign_in(sender, request, user, **kwargs):
    # The idle clock starts at sign-in, so the first page after it need not write the session.
    if request is not None and hasattr(request, "session"):
        mark_activity(request)
