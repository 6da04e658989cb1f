"""The test suite: fast hashing, in-memory email and a per-run media folder."""

import tempfile

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = "test-only-key"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = tempfile.mkdtemp(prefix="fundtracker-media-")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": env("PYTEST_XDIST_WORKER", "main"),
    }
}

# Off unless a test turns them on (tests/accounts): most tests sign analysts in with
# force_login and count queries, and Django's test client signs in without a request, which
# django-axes refuses.
FUNDTRACKER_OTP_REQUIRED = False
FUNDTRACKER_SESSION_IDLE_TIMEOUT = None
AXES_ENABLED = False
